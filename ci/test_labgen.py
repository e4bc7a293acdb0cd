#!/usr/bin/env python3
"""Self-test of ci/labgen.py: each broken marker fails loudly, with file and line."""
from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labgen  # noqa: E402

HINTS = '[hints."01.{n}"]\nnudge = "n"\napproach = "a"\nsolution = "s"\n'


class Tree:
    """A throwaway workbook: one chapter owning module m/, with given files."""

    def __init__(self, files: dict[str, str], todos: int = 1, modules='["m"]'):
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)
        chapter = self.root / "chapters" / "01-test"
        chapter.mkdir(parents=True)
        hints = "".join(HINTS.format(n=n) for n in range(1, todos + 1))
        (chapter / "chapter.toml").write_text(f"modules = {modules}\n{hints}")
        for name, text in files.items():
            path = self.root / "solutions" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))

    def scan(self):
        return labgen.scan(self.root)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.dir.cleanup()


GOOD = """\
    #include "m/a.h"

    int f(int x) {
      // LAB(01.1) Return twice x, a sentence that goes on
      // over a second line.
      return 2 * x;
      // END LAB
    }
    """


class LabgenTest(unittest.TestCase):
    def assert_error(self, files, pattern, todos=1, modules='["m"]'):
        with Tree(files, todos, modules) as tree:
            with self.assertRaises(labgen.LabError) as caught:
                tree.scan()
            self.assertRegex(str(caught.exception), pattern)

    def test_good_region_becomes_a_stub_keeping_the_markers(self):
        with Tree({"m/a.cc": GOOD}) as tree:
            chapters, outputs = tree.scan()
            text = outputs[Path("m/a.cc")]
            self.assertIn('throw uh::Todo("01.1", "Return twice x, a sentence that goes on over '
                          'a second line.");', text)
            self.assertIn("// LAB(01.1) Return twice x", text)
            self.assertIn("// END LAB", text)
            self.assertNotIn("return 2 * x;", text)
            self.assertIn('#include "support/todo.h"', text)
            self.assertEqual(chapters["01"].todos, ["01.1"])

    def test_output_is_deterministic_and_idempotent(self):
        with Tree({"m/a.cc": GOOD, "m/b.cc": GOOD.replace("01.1", "01.2")}, todos=2) as tree:
            quiet = contextlib.redirect_stdout(io.StringIO())
            with quiet, contextlib.redirect_stderr(io.StringIO()):
                _, first = tree.scan()
                labgen.write(tree.root, first, None)
                _, second = tree.scan()
                self.assertEqual(first, second)
                self.assertEqual(labgen.check(tree.root, second), 0)
                (tree.root / "labs/m/a.cc").write_text("changed")
                self.assertEqual(labgen.check(tree.root, second), 1)

    def test_long_sentence_wraps_within_100_columns(self):
        long = GOOD.replace("Return twice x, a sentence that goes on",
                            "Return twice x " + "and keep going " * 8)
        with Tree({"m/a.cc": long}) as tree:
            _, outputs = tree.scan()
            stub = [l for l in outputs[Path("m/a.cc")].splitlines() if "//" not in l]
            self.assertTrue(any(l.strip().startswith("\"") for l in stub), stub)  # wrapped
            for line in stub:
                self.assertLessEqual(len(line), 100, line)

    def test_malformed_marker_names_file_and_line(self):
        bad = GOOD.replace("// LAB(01.1)", "// LAB(1.1)")
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:4: malformed LAB marker")

    def test_missing_end(self):
        bad = GOOD.replace("      // END LAB\n", "")
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:4: LAB\(01\.1\) has no `// END LAB`")

    def test_end_without_start(self):
        bad = GOOD + "// END LAB\n"
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:9: END LAB without")

    def test_nested_regions(self):
        bad = GOOD.replace("return 2 * x;", "// LAB(01.2) Inner.\n  return 2 * x;")
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:6: LAB marker inside", todos=2)

    def test_unfinished_sentence(self):
        bad = GOOD.replace("over a second line.", "over a second line")
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:4: the sentence of LAB\(01\.1\)")

    def test_gap_in_numbering(self):
        bad = GOOD.replace("01.1", "01.2")
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:4: .* missing 01\.1", todos=0)

    def test_region_in_another_chapters_module(self):
        bad = GOOD.replace("01.1", "02.1")
        self.assert_error({"m/a.cc": bad}, r"solutions/m/a\.cc:4: LAB\(02\.1\) is in a module "
                          r"of chapter 01")

    def test_region_in_shared_code(self):
        self.assert_error({"support/a.cc": GOOD}, r"solutions/support/a\.cc:4: .* no chapter owns")

    def test_region_in_a_header(self):
        self.assert_error({"m/a.h": GOOD}, r"solutions/m/a\.h:4: LAB regions belong in \.cc files")

    def test_missing_hints(self):
        self.assert_error({"m/a.cc": GOOD}, r"TODO 01\.1 needs hints", todos=0)

    def test_hints_without_region(self):
        self.assert_error({"m/a.cc": GOOD}, r"hints for 01\.2, but no LAB region", todos=2)


if __name__ == "__main__":
    unittest.main(verbosity=1)
