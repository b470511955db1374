"""Write the whole book as one PDF from the built HTML (`make pdf`).

Usage: python tools/book_pdf.py [--html _build/html] [--out FILE]

Each page of the book, in the order of _toc.yml, is opened from file:// in
headless Chromium (Playwright, pinned in requirements.txt), printed with the
book's print stylesheet (_static/book.css, @media print) once MathJax's
startup promise has resolved, the web fonts are in and every explorer is
live; the page's own headings become its PDF outline (Chromium's
outline=True). The title page is printed from a small HTML page of its own.
pypdf (pinned) then joins the parts, each chapter under one top-level
bookmark named after its title, with the chapter's sections beneath it.

It lives in tools/, not _ext/: it is not a Sphinx extension and runs after
the HTML build, not inside it. By default the PDF goes to
_build/html/_downloads/backprop-book.pdf, where the intro's download list
(_ext/book_downloads.py) links it on the next build of the HTML.
"""

from __future__ import annotations

import argparse
import datetime
import html
import io
import os
import re
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
TIMEOUT_MS = 60_000
PDF_NAME = "_downloads/backprop-book.pdf"
# The screen type printed at 80 %: a line of about 90 characters on A4, and
# an explorer laid out at the width of its screen column.
SCALE = 0.8
MARGIN = {"top": "18mm", "bottom": "20mm", "left": "16mm", "right": "16mm"}

# Resolves once MathJax has typeset the page (if the page loads it), the
# fonts are loaded and every explorer on the page has come up live.
JS_READY = """
async () => {
  const loadsMathJax = Array.from(document.scripts)
      .some(s => /mathjax/i.test(s.src || ""));
  if (loadsMathJax) {
    while (!(window.MathJax && MathJax.startup
             && MathJax.startup.promise)) {
      await new Promise(r => setTimeout(r, 50));
    }
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const t0 = Date.now();
  while (document.querySelector("[data-explorer]:not(.bp-live)")
         && Date.now() - t0 < 15000) {
    await new Promise(r => setTimeout(r, 50));
  }
  return {
    explorers: document.querySelectorAll("[data-explorer]").length,
    dead: document.querySelectorAll("[data-explorer]:not(.bp-live)").length,
  };
}
"""

FOOTER = (
    '<div style="font-size:8px;width:100%;padding:0 16mm;'
    "color:#555;font-family:sans-serif;display:flex;"
    'justify-content:space-between">'
    "<span>{title}</span>"
    '<span><span class="pageNumber"></span> / '
    '<span class="totalPages"></span></span></div>'
)

TITLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  body {{ font-family: sans-serif; margin: 0; color: #111; }}
  .title {{ margin-top: 70mm; text-align: center; }}
  h1 {{ font-size: 30pt; margin: 0 0 6mm; }}
  .sub {{ font-size: 13pt; color: #444; }}
  .note {{ margin: 40mm 10mm 0; font-size: 10.5pt; line-height: 1.5; }}
  ol {{ font-size: 10.5pt; line-height: 1.6; }}
</style></head>
<body>
  <div class="title">
    <h1>{title}</h1>
    <div class="sub">The whole book as one PDF, printed from the HTML
    book on {date}</div>
  </div>
  <div class="note">
    <p>The HTML book is the original: its explorers are live there (move a
    slider and every number follows). Here each explorer is printed as a
    picture of its first state, with its settings written out.
    Every chapter is also a Jupyter notebook (see the introduction).</p>
    <p>Contents</p>
    <ol>{contents}</ol>
  </div>
</body></html>
"""


def book_pages(html_dir: Path) -> list[Path]:
    """Return the built page of each _toc.yml entry, in reading order."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        docs += [c["file"] for c in part.get("chapters", [])]
    pages = [html_dir / f"{doc}.html" for doc in docs]
    missing = [str(p) for p in pages if not p.exists()]
    if missing:
        sys.exit(
            "book_pdf: the built book lacks "
            + ", ".join(missing)
            + "; run `make book` first"
        )
    return pages


def launch(pw):
    """Return headless Chromium: Debian's if present, else Playwright's."""
    kwargs = {
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--no-first-run"],
    }
    if CHROMIUM.exists():
        kwargs["executable_path"] = str(CHROMIUM)
    return pw.chromium.launch(**kwargs)


def print_page(page, url: str, title: str) -> tuple[bytes, dict]:
    """Print one built page to PDF; return the bytes and its state."""
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    state = page.evaluate(JS_READY)
    page.emulate_media(media="print")
    page.evaluate(
        "() => window.bookPreparePrint && window.bookPreparePrint()"
    )
    data = page.pdf(
        format="A4",
        margin=MARGIN,
        scale=SCALE,
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=FOOTER.format(title=html.escape(title)),
        outline=True,
        tagged=True,
    )
    return data, state


def page_title(page) -> str:
    """Return the page's first heading (the chapter title) as plain text."""
    text = page.evaluate(
        "() => { const h = document.querySelector('main h1');"
        " return h ? h.innerText : document.title; }"
    )
    return " ".join(text.replace("#", "").split())


def build(html_dir: Path, out: Path, only: str | None = None) -> dict:
    """Write the book's PDF to ``out``; return counts for the report."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    pages = book_pages(html_dir)
    if only:
        pages = [p for p in pages if only in p.as_posix()]
    parts: list[tuple[str, bytes]] = []
    explorers = 0
    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(
            viewport={"width": 1100, "height": 900}
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for path in pages:
            page.emulate_media(media="screen")
            page.goto(path.as_uri(), wait_until="load")
            title = page_title(page)
            data, state = print_page(page, path.as_uri(), title)
            if state["dead"]:
                errors.append(
                    f"{path.name}: {state['dead']} explorer(s) not live"
                )
            explorers += state["explorers"]
            parts.append((title, data))
            print(f"  {path.relative_to(html_dir)}: {title}", flush=True)
        contents = "".join(f"<li>{html.escape(t)}</li>" for t, _ in parts)
        title = "Backpropagation, derived and verified"
        cover = TITLE_PAGE.format(
            title=title,
            date=datetime.date.today().isoformat(),
            contents=contents,
        )
        page.emulate_media(media="print")
        page.set_content(cover, wait_until="load")
        cover_pdf = page.pdf(format="A4", print_background=True)
        browser.close()
    if errors:
        sys.exit("book_pdf: " + "; ".join(errors))
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(cover_pdf)), import_outline=False)
    for title, data in parts:
        writer.append(PdfReader(io.BytesIO(data)), outline_item=title)
    writer.add_metadata({"/Title": title})
    writer.page_mode = "/UseOutlines"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        writer.write(fh)
    return {
        "pages": len(writer.pages),
        "chapters": len(parts),
        "explorers": explorers,
    }


def link_from_intro(html_dir: Path, out: Path) -> bool:
    """Add the PDF to the intro's download list in the built HTML now.

    The next HTML build renders the same item itself (the {book-downloads}
    directive of intro.md links the PDF whenever the file exists).
    """
    sys.path.insert(0, str(REPO / "_ext"))
    from book_downloads import PDF, pdf_item

    if out.resolve() != (html_dir / PDF).resolve():
        return False
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    intro = html_dir / f"{toc['root']}.html"
    text = intro.read_text(encoding="utf-8")
    marker = '<ul class="bp-downloads simple">'
    if marker not in text:
        return False
    item = pdf_item("", out.stat().st_size)
    # A PDF linked by an earlier build: its item is refreshed (the size).
    text = re.sub(r'<li class="bp-pdf">.*?</li>', "", text, flags=re.S)
    intro.write_text(
        text.replace(marker, marker + item, 1), encoding="utf-8"
    )
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build/html")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--only",
        help="print only pages whose path contains this (a quick look)",
    )
    args = parser.parse_args(argv)
    html_dir = args.html.resolve()
    out = args.out or html_dir / PDF_NAME
    start = time.perf_counter()
    counts = build(html_dir, out, args.only)
    seconds = time.perf_counter() - start
    print(
        f"book_pdf: wrote {out} ({counts['pages']} pages, "
        f"{counts['chapters']} chapters, {counts['explorers']} explorers, "
        f"{out.stat().st_size / 1e6:.1f} MB) in {seconds:.0f} s"
    )
    if not args.only and link_from_intro(html_dir, out):
        print("book_pdf: linked the PDF from the intro")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
