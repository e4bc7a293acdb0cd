#!/usr/bin/env python3
"""check_book — open the built book in headless Chromium and check what a reader sees.

Sphinx building without warnings proves the sources are consistent; this proves
the pages render: the index lists the parts and chapters, and each chapter page
shows its lesson with the skeleton listings from labs/ (stubs, not answers).

Usage: ci/check_book.py BUILD/book/html
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--dump-dom"]


class Page(HTMLParser):
    """Collects the rendered text, the headings and the code listings of a DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.headings: list[str] = []
        self.listings: list[str] = []
        self._in_heading = 0
        self._in_pre = 0
        self._skip = 0
        self._links: list[bool] = []  # per open <a>: is it a heading's link?

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":  # the pilcrow/hash links Sphinx puts after headings are not text
            headerlink = ("class", "headerlink") in attrs
            self._links.append(headerlink)
            self._skip += headerlink
        if tag == "h1":
            self._in_heading += 1
            self.headings.append("")
        if tag == "pre":
            self._in_pre += 1
            self.listings.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "a" and self._links:
            self._skip -= self._links.pop()
        if tag == "h1":
            self._in_heading -= 1
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._in_heading:
            self.headings[-1] += data
        if self._in_pre:
            self.listings[-1] += data


def render(chromium: str, page: Path) -> Page:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                 page.as_uri()], capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or "<body" not in result.stdout:
        raise SystemExit(f"check_book: Chromium could not render {page}: {result.stderr[-500:]}")
    parsed = Page()
    parsed.feed(result.stdout)
    return parsed


def main(argv: list[str]) -> int:
    html = (Path(argv[0]) if argv else ROOT / "build/book/html").resolve()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("check_book: chromium is not installed; run ci/install-deps", file=sys.stderr)
        return 1
    problems = []
    index = render(chromium, html / "book/index.html")
    text = " ".join(index.text)
    for part in ("Part I", "Part II"):
        if part not in text:
            problems.append(f"the index does not show {part}")
    chapters = sorted(p.parent.name for p in (ROOT / "chapters").glob("[0-9][0-9]-*/README.md"))
    for slug in chapters:
        page = render(chromium, html / "chapters" / slug / "README.html")
        title = next((h for h in page.headings if h.strip()), "")
        if not title.strip():
            problems.append(f"{slug}: the page has no title")
        if len(" ".join(page.text).split()) < 500:
            problems.append(f"{slug}: the page shows under 500 words of lesson")
        stubs = [l for l in page.listings if re.search(r'throw uh::Todo\("\d\d\.\d+"', l)]
        if not stubs:
            problems.append(f"{slug}: no skeleton listing (a `throw uh::Todo` stub) is shown")
        if slug[:2] not in " ".join(index.text) and title.strip() not in " ".join(index.text):
            problems.append(f"{slug}: the index does not list it")
        print(f"check_book: {slug}: \"{title.strip()}\", {len(page.listings)} listings, "
              f"{len(stubs)} skeleton regions")
    if problems:
        for p in problems:
            print(f"check_book: {p}", file=sys.stderr)
        return 1
    print(f"check_book: the book renders in Chromium ({len(chapters)} chapter pages checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
