"""Every chapter as a notebook from the built book, and all of them as a zip.

_ext/book_downloads.py writes ``chapters/<name>.ipynb`` next to each chapter
page (the chapter's MyST source converted by jupytext, outputs left out)
and ``_downloads/backprop-notebooks.zip``. Checked here on the built book:
each chapter page links its notebook, the notebook exists and is valid,
its cells are the chapter's own; the intro links the archive, which holds
every notebook, the package source and requirements.txt; and a notebook
taken from the archive runs top to bottom in a fresh kernel (nbclient).

Run after ``make book``.
"""

from __future__ import annotations

import io
import json
import urllib.parse
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from browser_support import REPO, book_html_dir

pytestmark = pytest.mark.book

BOOK = book_html_dir()
TOC = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
CHAPTERS = [c["file"] for c in TOC["chapters"]]
ARCHIVE = "_downloads/backprop-notebooks.zip"
SHORT_CHAPTER = "chapters/01_notation_forward"


@pytest.fixture(scope="module")
def book():
    if not (BOOK / f"{TOC['root']}.html").is_file():
        pytest.fail(
            f"No built book at {BOOK}: run `make book` first", pytrace=False
        )
    return BOOK


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _notebook_links(page: Path) -> list[Path]:
    """Return the .ipynb files the page links, resolved in the build."""
    found = []
    for a in _soup(page).find_all("a", href=True):
        href = urllib.parse.urlsplit(a["href"])
        if href.scheme or not href.path.endswith(".ipynb"):
            continue
        found.append(
            (page.parent / urllib.parse.unquote(href.path)).resolve()
        )
    return found


def _source_cells(doc: str) -> list[tuple[str, str]]:
    """Return (type, source) of the chapter's cells, read independently."""
    import jupytext

    nb = jupytext.read(REPO / f"{doc}.md")
    return [(c.cell_type, c.source) for c in nb.cells]


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_page_links_its_notebook(book, doc):
    page = book / f"{doc}.html"
    links = _notebook_links(page)
    target = (book / f"{doc}.ipynb").resolve()
    assert target in links, (
        f"{doc}.html does not link {doc}.ipynb (links: {links})"
    )
    assert target.is_file(), f"{doc}.html links a missing {target}"
    nb = nbformat.read(target, as_version=4)
    nbformat.validate(nb)
    cells = [(c.cell_type, c.source) for c in nb.cells]
    assert cells == _source_cells(doc), (
        f"{target.name}: its cells differ from {doc}.md"
    )
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{target.name} has no code cell"
    assert all(not c.outputs for c in code), (
        f"{target.name} carries outputs (the notebooks ship without them)"
    )
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_no_page_offers_the_raw_markdown(book):
    for doc in CHAPTERS + [TOC["root"]]:
        soup = _soup(book / f"{doc}.html")
        raw = [
            a["href"]
            for a in soup.find_all("a", href=True)
            if a["href"].split("?")[0].endswith((".md", ".md.txt"))
        ]
        assert not raw, f"{doc}.html still offers the .md source: {raw}"


def test_intro_links_the_archive(book):
    intro = book / f"{TOC['root']}.html"
    hrefs = [a["href"] for a in _soup(intro).find_all("a", href=True)]
    assert ARCHIVE in hrefs, f"the intro does not link {ARCHIVE}"
    assert (book / ARCHIVE).is_file()


def _archive(book) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO((book / ARCHIVE).read_bytes()))


def test_archive_holds_notebooks_package_and_requirements(book):
    names = set(_archive(book).namelist())
    roots = {n.split("/", 1)[0] for n in names}
    assert len(roots) == 1, f"the archive has several top folders: {roots}"
    root = roots.pop() + "/"
    missing = [d for d in CHAPTERS if f"{root}{d}.ipynb" not in names]
    assert not missing, f"archive lacks the notebooks of {missing}"
    package = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "src" / "backprop").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    lacking = sorted(p for p in package if root + p not in names)
    assert not lacking, f"archive lacks package files {lacking[:5]}"
    for name in ("requirements.txt", "pyproject.toml", "README.md"):
        assert root + name in names, f"archive lacks {name}"
    z = _archive(book)
    req = z.read(root + "requirements.txt").decode()
    assert req == (REPO / "requirements.txt").read_text(encoding="utf-8")
    readme = z.read(root + "README.md").decode()
    assert "pip install -r requirements.txt" in readme
    assert "jupyter lab" in readme


def test_a_downloaded_notebook_runs_clean(book, tmp_path):
    """Chapter 1 from the archive, run top to bottom in a fresh kernel."""
    from nbclient import NotebookClient

    z = _archive(book)
    z.extractall(tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    path = folder / f"{SHORT_CHAPTER}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors, stderr = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                errors.append(f"{out.ename}: {out.evalue}")
            if out.output_type == "stream" and out.name == "stderr":
                stderr.append(out.text[:200])
    assert not errors, f"{path.name} raised: {errors}"
    assert not stderr, f"{path.name} wrote to stderr: {stderr}"
    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in ran), "a code cell did not run"
    shown = json.dumps([c.outputs for c in ran])
    assert "image/png" in shown, "chapter 1 drew no figure"
