"""The whole book as one PDF (`make pdf`, tools/book_pdf.py).

The script is run once on the built book (``$BOOK_HTML``, default
``_build/html``) into a temporary file, and the PDF is read back with pypdf
(pinned): a title page first; one top-level bookmark per page of _toc.yml,
in order, named by the page's title; every title in the text; no TeX
source left in the prose (math rendered by MathJax before printing; code
may quote TeX, so text set in the monospace font is not searched); and
each explorer of the HTML book present with its line saying it is live
there. The titles and explorer counts are read from the HTML with
BeautifulSoup, not from the script.

Run after ``make book`` (takes about two minutes).
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata

import pytest
import yaml
from bs4 import BeautifulSoup

from browser_support import REPO, book_html_dir

pytestmark = [pytest.mark.book, pytest.mark.browser, pytest.mark.slow]

BOOK = book_html_dir()
TOC = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
DOCS = [TOC["root"]] + [c["file"] for c in TOC["chapters"]]
TEX = re.compile(r"\\\(|\\\)|\$\$|\\begin\{")
LIVE = "live in the HTML book"


def _norm(text: str) -> str:
    """Fold ligatures (ﬁ) and spacing, as PDF text extraction varies."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _html_title(doc: str) -> str:
    soup = BeautifulSoup(
        (BOOK / f"{doc}.html").read_text(encoding="utf-8"), "html.parser"
    )
    h1 = soup.select_one("article h1") or soup.h1
    for link in h1.select(".headerlink"):
        link.decompose()
    return _norm(h1.get_text())


def _html_explorers(doc: str) -> int:
    soup = BeautifulSoup(
        (BOOK / f"{doc}.html").read_text(encoding="utf-8"), "html.parser"
    )
    return len(soup.select("[data-explorer]"))


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    from pypdf import PdfReader

    if not all((BOOK / f"{d}.html").is_file() for d in DOCS):
        pytest.fail(f"No built book at {BOOK}: run `make book` first")
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "book_pdf.py"),
            "--html",
            str(BOOK),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    return PdfReader(out)


@pytest.fixture(scope="module")
def prose(pdf):
    """Return the text of each page, less what is set in monospace (code)."""
    pages = []
    for page in pdf.pages:
        parts: list[str] = []

        def visit(text, cm, tm, font, size, parts=parts):
            name = str((font or {}).get("/BaseFont", ""))
            if "Mono" not in name and "Courier" not in name:
                parts.append(text)

        page.extract_text(visitor_text=visit)
        pages.append("".join(parts))
    return pages


def test_title_page_first(pdf):
    first = _norm(pdf.pages[0].extract_text())
    assert _html_title(TOC["root"]) in first, first[:300]


def test_one_bookmark_per_chapter_in_order(pdf):
    top = [
        _norm(item.title)
        for item in pdf.outline
        if not isinstance(item, list)
    ]
    assert top == [_html_title(d) for d in DOCS]
    starts = [
        pdf.get_destination_page_number(item)
        for item in pdf.outline
        if not isinstance(item, list)
    ]
    assert starts == sorted(starts) and starts[0] >= 1, starts


def test_every_chapter_title_in_the_text(pdf):
    text = _norm(" ".join(p.extract_text() for p in pdf.pages))
    missing = [d for d in DOCS if _html_title(d) not in text]
    assert not missing, f"titles of {missing} are not in the PDF's text"


def test_no_tex_source_in_the_prose(prose):
    raw = [
        f"page {i + 1}: …{text[max(0, m.start() - 40) : m.end() + 40]}…"
        for i, text in enumerate(prose)
        for m in [TEX.search(text)]
        if m
    ]
    assert not raw, "TeX source printed instead of math:\n" + "\n".join(
        raw[:5]
    )


def test_every_explorer_printed_with_its_live_line(pdf):
    want = sum(_html_explorers(d) for d in DOCS)
    text = _norm(" ".join(p.extract_text() for p in pdf.pages))
    assert want > 0
    assert text.count(LIVE) == want, (
        f"{text.count(LIVE)} explorer notes in the PDF, {want} explorers "
        "in the HTML book"
    )
