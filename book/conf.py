"""Sphinx configuration for the workbook's book.

Built from the repository root (`./lab book`), so the lessons in chapters/ and
the notes in resources/ are read in place. Warnings are errors.
"""
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

project = "Under the Hood"
author = "Under the Hood authors"
copyright = "the Under the Hood authors"

extensions = ["myst_parser", "breathe", "sphinx.ext.graphviz"]
root_doc = "book/index"
include_patterns = ["book/**", "chapters/*/README.md", "resources/**"]
exclude_patterns = ["book/_templates/**", "build/**", "labs/**", "solutions/**", "**/.git/**"]
source_suffix = {".md": "markdown"}

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "Under the Hood"
html_static_path = []
templates_path = ["_templates"]
# The book's front page is book/index; build/book/html/index.html sends readers there.
html_additional_pages = {"index": "redirect.html"}

breathe_projects = {"uh": os.environ.get("UH_DOXYGEN_XML", str(ROOT / "build/book/doxygen/xml"))}
breathe_default_project = "uh"
breathe_default_members = ("members",)

# The fixed list of chapters, by part. A chapter appears in the book as soon as
# its folder has a README.md.
PARTS = [
    ("Part I — do-serverless: a micro-VM serverless runtime",
     ["01-kvm-hello", "02-long-mode-paging", "03-virtio", "04-namespaces-cgroups",
      "05-oci-runtime", "06-microvm-containers"]),
    ("Part II — blockchain-microservices: a distributed system, end to end",
     ["07-blockchain-core", "08-raft", "09-raft-ledger", "10-microservices", "11-queueing",
      "12-kubernetes"]),
]


def chapter_title(slug):
    readme = ROOT / "chapters" / slug / "README.md"
    for line in readme.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return slug


def parts_markdown():
    """The index's part-by-part chapter list, with a toctree per part."""
    out = []
    for title, slugs in PARTS:
        out.append(f"## {title}\n")
        present = [s for s in slugs if (ROOT / "chapters" / s / "README.md").exists()]
        for slug in slugs:
            if slug in present:
                out.append(f"- [{chapter_title(slug)}](../chapters/{slug}/README.md)")
            else:
                out.append(f"- {slug} — in a later edition of the workbook")
        out.append("")
        if present:
            out.append(":::{toctree}\n:hidden:\n:caption: " + title.split(" — ")[0] + "\n")
            out.extend(f"/chapters/{slug}/README" for slug in present)
            out.append(":::\n")
    return "\n".join(out)


def fill_index(app, docname, source):
    if docname == "book/index":
        source[0] = source[0].replace("<!-- chapters -->", parts_markdown())


def setup(app):
    app.connect("source-read", fill_index)
