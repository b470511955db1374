"""Search with snippets from file://, with no fetch and a clean console.

Sphinx's search page finds pages in searchindex.js (a script, so it loads
from file://), then fetches each hit's HTML to cut a snippet around the
words. A browser refuses fetch() of file:// URLs (a CORS error per hit and
no snippets). After the HTML build this extension writes
``_static/search-pages.js``: the text of every page's main block, reduced
to its sections (ids kept, so a hit on a section still finds its block) and
plain text. On the search page only, ``_static/book-search.js`` answers
Sphinx's fetch() of a book page from that table, and passes any other
request through untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

# Whatever holds no prose: the scripts and styles of explorers, pictures,
# buttons, the rendered copies of MathJax (its TeX source stays).
DROP = (
    "script, style, svg, img, button, .headerlink, noscript, "
    "mjx-container, template, [data-explorer]"
)


def page_text(html: str) -> str | None:
    """Return the main block of one built page as small HTML, or None."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    main = soup.select_one('[role="main"]')
    if main is None:
        return None
    for tag in main.select(DROP):
        tag.decompose()
    # A snippet shows math as its TeX, without the \( \) \[ \] fences.
    for tag in main.select(".math"):
        tex = tag.get_text().strip()
        if tex[:2] in ("\\(", "\\[") and tex[-2:] in ("\\)", "\\]"):
            tex = tex[2:-2].strip()
        tag.string = tex
    for tag in main.find_all(True):
        keep = tag.name == "section" or tag.get("id")
        ident = tag.get("id")
        if keep:
            tag.attrs = {"id": ident} if ident else {}
            tag.name = "section" if tag.name == "section" else "div"
        else:
            tag.unwrap()
    body = " ".join(str(c) for c in main.contents)
    body = " ".join(body.split())
    return f'<div role="main">{body}</div>'


def write_table(app, exception):
    """After a good HTML build, write _static/search-pages.js."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = {}
    for doc in sorted(app.env.found_docs):
        path = out / f"{doc}.html"
        if not path.exists():
            continue
        text = page_text(path.read_text(encoding="utf-8"))
        if text:
            pages[doc] = text
    target = out / "_static" / "search-pages.js"
    target.write_text(
        "// Written by _ext/offline_search.py: each page's text, for the\n"
        "// search snippets (a file:// page may not fetch() another).\n"
        "window.BOOK_SEARCH_PAGES = "
        + json.dumps(pages, ensure_ascii=False)
        + ";\n",
        encoding="utf-8",
    )


def add_scripts(app, pagename, templatename, context, doctree):
    """Load the page table and the fetch shim on the search page only."""
    if pagename == "search":
        app.add_js_file("search-pages.js", priority=200)
        app.add_js_file("book-search.js", priority=200)


def setup(app):
    app.connect("html-page-context", add_scripts)
    app.connect("build-finished", write_table)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
