"""Every chapter as a notebook, all of them as one archive, the PDF link.

At the end of an HTML build this extension writes, next to each chapter
page, ``chapters/<name>.ipynb``: the chapter's MyST source converted by
jupytext, with no outputs. Outputs are left out on purpose: an explorer's
stored output is its whole inlined JavaScript plus the widget state (most
of a chapter's weight) and would show a dead copy of the view until the
cells run, and a number or figure kept from the build could disagree with
the package the reader installs. The reader runs the notebook and gets
every output from their own kernel.

It also writes ``_downloads/backprop-notebooks.zip`` (the twelve notebooks,
the ``backprop`` package source, ``pyproject.toml``, ``requirements.txt``,
``chapters/matplotlibrc`` and a README), replaces the theme's "download
source (.md)" entry with the chapter's notebook, and gives the intro a
``{book-downloads}`` directive that links the archive and, once ``make pdf``
has written it, the PDF of the whole book (tools/book_pdf.py). The PDF link
is only rendered when the file exists, so the strict build never sees a
broken link.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

ARCHIVE = "_downloads/backprop-notebooks.zip"
PDF = "_downloads/backprop-book.pdf"
CHAPTER_PREFIX = "chapters/"

README = """\
# Backpropagation, derived and verified: the chapters as notebooks

This folder holds every chapter of the book as a Jupyter notebook
(`chapters/`), the book's Python package `backprop` (`src/`) and the exact
versions of everything they need (`requirements.txt`). With Python 3.11 or
newer, two commands, run in this folder, set it up and open JupyterLab:

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/jupyter lab chapters

(On Windows: `py -m venv .venv`, then `.venv\\Scripts\\pip install -r
requirements.txt` and `.venv\\Scripts\\jupyter lab chapters`.)

The notebooks carry no outputs: choose Run > Run All Cells and every
number, figure and explorer is computed by your own kernel.
"""


def chapter_docs(app) -> list[str]:
    """Return the docnames of the book's chapters, in reading order."""
    found = app.env.found_docs
    order = list(app.env.toctree_includes.get(app.config.root_doc, []))
    rest = sorted(d for d in found if d not in order)
    return [d for d in order + rest if d.startswith(CHAPTER_PREFIX)]


def to_notebook(source: Path) -> dict:
    """Return the MyST chapter at ``source`` as a notebook, no outputs."""
    import jupytext
    import nbformat

    nb = jupytext.read(source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    # The downloaded file is a plain notebook, not a jupytext pairing.
    nb.metadata.pop("jupytext", None)
    nbformat.validate(nb)
    return json.loads(nbformat.writes(nb))


def write_notebooks(app, exception):
    """After a good HTML build, write each .ipynb and the archive."""
    if exception is not None or app.builder.format != "html":
        return
    src = Path(app.srcdir)
    out = Path(app.outdir)
    written = []
    for doc in chapter_docs(app):
        source = Path(app.env.doc2path(doc))
        target = out / f"{doc}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(to_notebook(source), indent=1, ensure_ascii=False)
        target.write_text(text + "\n", encoding="utf-8")
        written.append((doc, target))
    archive = out / ARCHIVE
    archive.parent.mkdir(parents=True, exist_ok=True)
    root = "backprop-notebooks/"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(root + "README.md", README)
        for doc, target in written:
            z.write(target, root + f"{doc}.ipynb")
        rc = src / "chapters" / "matplotlibrc"
        if rc.exists():
            z.write(rc, root + "chapters/matplotlibrc")
        for name in ("requirements.txt", "pyproject.toml"):
            z.write(src / name, root + name)
        for path in sorted((src / "src" / "backprop").rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(src).as_posix()
            z.write(path, root + rel)


def replace_download_entry(app, pagename, templatename, context, doctree):
    """Offer the chapter's notebook, not its raw .md, for download."""
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [
            b
            for b in group["buttons"]
            if b.get("label")
            not in ("download-source-button", "download-notebook-button")
        ]
        if pagename.startswith(CHAPTER_PREFIX):
            name = pagename.rsplit("/", 1)[-1]
            buttons.insert(
                0,
                {
                    "type": "link",
                    "url": f"{name}.ipynb",
                    "text": "Notebook (.ipynb)",
                    "tooltip": "Download this chapter as a notebook",
                    "icon": "fas fa-code",
                    "label": "download-notebook-button",
                },
            )
        for b in buttons:
            if b.get("label") == "download-pdf-button":
                b["text"] = "Print"
                b["tooltip"] = "Print this page"
        group["buttons"] = buttons


def pdf_item(up: str, size: int) -> str:
    """Return the intro's list item linking the PDF (make pdf too)."""
    return (
        '<li class="bp-pdf"><a class="reference download" '
        f'href="{up}{PDF}">'
        f"The whole book as one PDF</a> ({size / 1e6:.1f} MB): every "
        "chapter, each explorer as a picture of its first state.</li>"
    )


class downloads_node(nodes.General, nodes.Element):
    """Placeholder for the intro's download links, filled at write time."""


class BookDownloads(SphinxDirective):
    """The ``{book-downloads}`` directive: archive and PDF links."""

    has_content = False

    def run(self):
        return [downloads_node()]


def visit_downloads(self, node):
    """Write the archive link, and the PDF link only if the PDF exists."""
    pathto = self.builder.get_target_uri(self.builder.current_docname)
    depth = pathto.count("/")
    up = "../" * depth
    out = Path(self.builder.outdir)
    items = [
        f'<li><a class="reference download" href="{up}{ARCHIVE}" download>'
        "All chapters as notebooks (.zip)</a>: the twelve notebooks, the "
        "<code>backprop</code> package and <code>requirements.txt</code>; "
        "its README gives the two commands that set it up and open "
        "JupyterLab.</li>"
    ]
    if (out / PDF).exists():
        items.append(pdf_item(up, (out / PDF).stat().st_size))
    items.append(
        "<li>Each chapter page offers its own notebook under the download "
        "button (the arrow at the top of the page).</li>"
    )
    self.body.append(
        '<ul class="bp-downloads simple">' + "".join(items) + "</ul>"
    )
    raise nodes.SkipNode


def skip(self, node):
    raise nodes.SkipNode


def setup(app):
    app.add_node(
        downloads_node,
        html=(visit_downloads, None),
        latex=(skip, None),
        text=(skip, None),
        man=(skip, None),
        texinfo=(skip, None),
    )
    app.add_directive("book-downloads", BookDownloads)
    app.connect("html-page-context", replace_download_entry, priority=600)
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
