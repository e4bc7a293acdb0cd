#!/usr/bin/env python3
"""labgen — write labs/ from the LAB regions in solutions/.

A LAB region in a solutions/ .cc file looks like this:

    // LAB(01.3) Point every segment at the 64 KiB block holding `entry`, clear
    // CR0.PE and CR0.PG, and set RIP, RSP and RFLAGS as the header describes.
    ...reference code...
    // END LAB

The sentence may go on over following `//` lines and ends at the first line
that ends with '.', '?' or '!'. In labs/ the reference code is replaced by a
stub that throws uh::Todo("01.3", "<the sentence>"); the marker lines stay, so
the reader sees where to write. Only files holding regions are written.

Rules, each a loud error with file and line:
  - markers are well-formed, balanced and not nested;
  - regions live in .cc files (headers are shared by both tracks);
  - a region's chapter owns the module the file is in (chapters/NN-*/chapter.toml);
  - each chapter's TODO ids run 1..N with no gap, and each has hints.

Usage:
  ci/labgen.py                 write labs/ (idempotent, removes stale files)
  ci/labgen.py --check         exit 1 if labs/ differs from what would be written
  ci/labgen.py --chapter NN    write only chapter NN's files (lab reset)
  ci/labgen.py --out DIR       write the skeletons to DIR (a pristine copy for checks)
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore

ROOT = Path(__file__).resolve().parent.parent
SOURCE_SUFFIXES = {".cc", ".h", ".hpp", ".cpp", ".hh", ".cxx", ".s", ".S", ".c"}
MARKER = re.compile(r"^(?P<indent>[ \t]*)// LAB\((?P<chapter>\d\d)\.(?P<number>[1-9]\d*)\) (?P<text>\S.*)$")
END = re.compile(r"^[ \t]*// END LAB[ \t]*$")
CONTINUATION = re.compile(r"^[ \t]*// (?P<text>\S.*)$")
SENTENCE_END = (".", "?", "!")
STUB = re.compile(r'throw uh::Todo\("(?P<id>\d\d\.\d+)"')
WIDTH = 100
HEADER = ("// Your workspace for chapter {chapter}: write the code where the LAB markers are.\n"
          "// Made from solutions/{path} by ci/labgen.py; `./lab test {chapter}` checks your work,\n"
          "// `./lab hint {chapter}` helps, `./lab reset {chapter}` brings this skeleton back.\n")


class LabError(Exception):
    """A malformed marker or a broken rule; the message names file and line."""


@dataclass
class Region:
    todo: str          # "01.3"
    sentence: str
    path: Path         # relative to solutions/
    line: int          # 1-based line of the marker


@dataclass
class Chapter:
    number: str
    dir: Path
    title: str
    modules: list[str]
    hints: dict[str, dict[str, str]]
    regions: list[Region] = field(default_factory=list)

    @property
    def todos(self) -> list[str]:
        return sorted({r.todo for r in self.regions}, key=lambda t: int(t.split(".")[1]))

    def files(self) -> list[Path]:
        return sorted({r.path for r in self.regions})


def load_chapters(root: Path = ROOT) -> dict[str, Chapter]:
    chapters: dict[str, Chapter] = {}
    for toml in sorted((root / "chapters").glob("[0-9][0-9]-*/chapter.toml")):
        try:
            data = tomllib.loads(toml.read_text())
        except tomllib.TOMLDecodeError as e:
            raise LabError(f"{toml.relative_to(root)}: {e}") from None
        number = toml.parent.name[:2]
        chapters[number] = Chapter(number, toml.parent, data.get("title", ""),
                                   list(data.get("modules", [])), dict(data.get("hints", {})))
    return chapters


def owner_of(path: Path, chapters: dict[str, Chapter]) -> str | None:
    """The chapter owning the module `path` (relative to solutions/) is in."""
    best, best_len = None, -1
    for number, chapter in chapters.items():
        for module in chapter.modules:
            parts = Path(module).parts
            if path.parts[:len(parts)] == parts and len(parts) > best_len:
                best, best_len = number, len(parts)
    return best


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stub_lines(indent: str, todo: str, sentence: str) -> list[str]:
    one = f'{indent}throw uh::Todo("{todo}", {c_string(sentence)});'
    if len(one) <= WIDTH:
        return [one + "\n"]
    head = f'{indent}throw uh::Todo("{todo}",'
    pad = " " * len(f"{indent}throw uh::Todo(")
    words, pieces, current = sentence.split(" "), [], ""
    room = WIDTH - len(pad) - 4
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) + 1 > room and current:
            pieces.append(current + " ")
            current = word
        else:
            current = candidate
    pieces.append(current)
    lines = [head + "\n"]
    for i, piece in enumerate(pieces):
        tail = ");" if i == len(pieces) - 1 else ""
        lines.append(f"{pad}{c_string(piece)}{tail}\n")
    return lines


def transform(path: Path, text: str) -> tuple[str, list[Region]]:
    """Returns the labs version of `text` and the regions found in it."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    regions: list[Region] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "END LAB" in line and not MARKER.match(line):
            raise LabError(f"solutions/{path}:{i + 1}: END LAB without a LAB marker before it")
        if "LAB(" not in line:
            out.append(line)
            i += 1
            continue
        m = MARKER.match(line.rstrip("\n"))
        if not m:
            raise LabError(f"solutions/{path}:{i + 1}: malformed LAB marker; write it as "
                           "`// LAB(NN.M) A sentence saying what to do.`")
        start = i
        todo = f"{m['chapter']}.{m['number']}"
        text_parts = [m["text"].strip()]
        out.append(line)
        i += 1
        while not text_parts[-1].endswith(SENTENCE_END):
            c = CONTINUATION.match(lines[i].rstrip("\n")) if i < len(lines) else None
            if not c or "LAB" in lines[i]:
                raise LabError(f"solutions/{path}:{start + 1}: the sentence of LAB({todo}) must "
                               "end with '.', '?' or '!' (it may go on over `//` lines)")
            text_parts.append(c["text"].strip())
            out.append(lines[i])
            i += 1
        sentence = " ".join(text_parts)
        body_start = i
        while i < len(lines) and not END.match(lines[i]):
            if "LAB(" in lines[i]:
                raise LabError(f"solutions/{path}:{i + 1}: LAB marker inside LAB({todo}) "
                               f"opened at line {start + 1}; regions cannot nest")
            i += 1
        if i == len(lines):
            raise LabError(f"solutions/{path}:{start + 1}: LAB({todo}) has no `// END LAB`")
        if all(not l.strip() for l in lines[body_start:i]):
            raise LabError(f"solutions/{path}:{start + 1}: LAB({todo}) holds no code")
        out.extend(stub_lines(m["indent"], todo, sentence))
        out.append(lines[i])
        regions.append(Region(todo, sentence, path, start + 1))
        i += 1
    if regions:
        out = add_todo_include(out)
    return "".join(out), regions


def add_todo_include(lines: list[str]) -> list[str]:
    if any('#include "support/todo.h"' in l for l in lines):
        return lines
    last = max((n for n, l in enumerate(lines) if l.startswith("#include")), default=-1)
    return lines[:last + 1] + ['#include "support/todo.h"\n'] + lines[last + 1:]


def scan(root: Path = ROOT) -> tuple[dict[str, Chapter], dict[Path, str]]:
    """Finds every region, checks every rule; returns chapters and labs files."""
    chapters = load_chapters(root)
    solutions = root / "solutions"
    outputs: dict[Path, str] = {}
    for file in sorted(solutions.rglob("*")):
        if not file.is_file() or file.suffix not in SOURCE_SUFFIXES:
            continue
        rel = file.relative_to(solutions)
        text = file.read_text()
        if "LAB" not in text:
            continue
        labs_text, regions = transform(rel, text)
        if not regions:
            continue
        if file.suffix != ".cc":
            raise LabError(f"solutions/{rel}:{regions[0].line}: LAB regions belong in .cc files; "
                           "headers are shared by both tracks")
        owner = owner_of(rel, chapters)
        for r in regions:
            chapter = r.todo[:2]
            if owner is None:
                raise LabError(f"solutions/{rel}:{r.line}: LAB({r.todo}) is in a file no chapter "
                               "owns; list its module in a chapter.toml (shared code has no LABs)")
            if chapter != owner:
                raise LabError(f"solutions/{rel}:{r.line}: LAB({r.todo}) is in a module of "
                               f"chapter {owner}; a region belongs to the chapter owning its file")
            chapters[chapter].regions.append(r)
        chapter = regions[0].todo[:2]
        outputs[Path(rel)] = HEADER.format(chapter=chapter, path=rel) + labs_text
    for chapter in chapters.values():
        numbers = sorted({int(t.split(".")[1]) for t in chapter.todos})
        expected = list(range(1, len(numbers) + 1))
        if numbers != expected:
            missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
            first = min(chapter.regions, key=lambda r: (str(r.path), r.line))
            raise LabError(f"solutions/{first.path}:{first.line}: chapter {chapter.number}'s TODO "
                           f"ids must run 1..N without gaps; missing "
                           + ", ".join(f"{chapter.number}.{n}" for n in missing))
        for todo in chapter.todos:
            tiers = chapter.hints.get(todo, {})
            if not all(tiers.get(k) for k in ("nudge", "approach", "solution")):
                where = next(r for r in chapter.regions if r.todo == todo)
                raise LabError(f"solutions/{where.path}:{where.line}: TODO {todo} needs hints "
                               f"(nudge, approach, solution) under [hints.\"{todo}\"] in "
                               f"{chapter.dir.relative_to(root)}/chapter.toml")
        for todo in chapter.hints:
            if todo not in chapter.todos:
                raise LabError(f"{chapter.dir.relative_to(root)}/chapter.toml: hints for {todo}, "
                               "but no LAB region has that id")
    return chapters, outputs


def stubs_left(path: Path) -> list[str]:
    """The TODO ids whose stubs are still in the reader's file `path`."""
    if not path.exists():
        return []
    return STUB.findall(path.read_text())


def committed(root: Path, rel: Path) -> str | None:
    """labs/<rel> as in git's HEAD, or None outside a repository."""
    try:
        r = subprocess.run(["git", "-C", str(root), "show", f"HEAD:labs/{rel.as_posix()}"],
                           capture_output=True, text=True)
    except FileNotFoundError:
        return None
    return r.stdout if r.returncode == 0 else None


def check(root: Path, outputs: dict[Path, str]) -> int:
    labs = root / "labs"
    problems, own_work = [], []
    for rel, text in sorted(outputs.items()):
        path = labs / rel
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        if current is not None and committed(root, rel) == text:
            own_work.append(rel)  # the reader's edits; the committed file is in sync
            continue
        problems.append(f"labs/{rel}: " + ("missing" if current is None else "differs"))
    if labs.exists():
        for file in sorted(labs.rglob("*")):
            if file.is_file() and file.relative_to(labs) not in outputs:
                problems.append(f"labs/{file.relative_to(labs)}: no LAB regions in solutions/ "
                                "any more; stale")
    for rel in own_work:
        print(f"labgen: labs/{rel} holds your own edits; the committed version is in sync")
    if problems:
        print("labgen: labs/ is out of date with solutions/:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        print("labgen: run ci/labgen.py and commit labs/", file=sys.stderr)
        return 1
    total = sum(len(c.todos) for c in scan(root)[0].values())
    print(f"labgen: labs/ in sync ({len(outputs)} files, {total} TODOs)")
    return 0


def write(root: Path, outputs: dict[Path, str], only: str | None, labs: Path | None = None) -> None:
    labs = labs or root / "labs"
    for rel, text in sorted(outputs.items()):
        if only and not text.startswith(HEADER.format(chapter=only, path=rel)):
            continue
        path = labs / rel
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"labgen: wrote {path.relative_to(labs.parent)}")
    if only is None and labs.exists():
        for file in sorted(labs.rglob("*"), reverse=True):
            if file.is_file() and file.relative_to(labs) not in outputs:
                file.unlink()
                print(f"labgen: removed stale labs/{file.relative_to(labs)}")
            elif file.is_dir() and not any(file.iterdir()):
                file.rmdir()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--chapter", help="write only this chapter's files (NN)")
    parser.add_argument("--out", type=Path, help="write the skeletons here instead of labs/")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        _, outputs = scan(args.root)
    except LabError as e:
        print(f"labgen: error: {e}", file=sys.stderr)
        return 2
    if args.check:
        return check(args.root, outputs)
    write(args.root, outputs, args.chapter, args.out.resolve() if args.out else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
