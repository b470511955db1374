"""No TeX or MyST source is visible in the rendered text of any built page.

A line of prose that MyST reads as something else (a list item that starts
with `+ `, an unclosed `$`, a role with a typo, a directive that is not
indented) does not fail the build: it shows the reader its source. This
test reads every page of the built book (``$BOOK_HTML``, default
``_build/html``: the introduction, every chapter, any page added later),
keeps the text a reader sees, and fails on any trace of source in it.

What is left out before searching: code (``code``, ``pre``), scripts and
styles, and math (``math`` elements and the elements of class ``math``,
whose ``\\(..\\)`` and ``\\[..\\]`` MathJax typesets in the browser). What is
searched for: ``$..$`` and ``$$``, a ``$`` before a TeX command, a
TeX command (``\\delta``) outside math, ``\\(``,
``\\[``, ``:::``, the roles ``{glue``, ``{ref}``, ``{doc}``, ``{eval}``, ``{math}``, ``{numref}``, and
a directive fence ``````{``.

Run after ``make book`` (or any build into ``_build/html``).
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from browser_support import book_html_dir, discover_pages, redirect_target

BOOK = book_html_dir()
PAGES = [
    p
    for p in discover_pages(BOOK)
    if p not in {"genindex.html", "search.html", "py-modindex.html"}
    and redirect_target(BOOK, p) is None
]

#: (what the reader would see, the pattern that finds it)
SOURCE = [
    (
        "inline or display TeX between dollars",
        re.compile(r"\$\$|\$[^$\n]+\$"),
    ),
    ("a dollar opening TeX", re.compile(r"\$\\[A-Za-z]")),
    ("a TeX command outside math", re.compile(r"\\[A-Za-z]{2,}")),
    ("a TeX inline-math opener \\(", re.compile(r"\\\(")),
    ("a TeX display-math opener \\[", re.compile(r"\\\[")),
    ("a MyST colon fence :::", re.compile(r":::")),
    ("a MyST directive fence ```{", re.compile(r"```\{")),
    (
        "a MyST role",
        re.compile(r"\{(glue(:[a-z]+)?|ref|doc|eval|math|numref)\}?`?"),
    ),
]

#: Elements whose text is code or math, not prose.
NOT_PROSE = ["code", "pre", "script", "style", "math", "mjx-container"]


def visible_text(html: str) -> str:
    """Return the text of a page's body without its code and math."""
    soup = BeautifulSoup(html, "html.parser")
    body = soup.body or soup
    for el in body.find_all(NOT_PROSE):
        el.decompose()
    for el in body.select(".math"):
        el.decompose()
    return body.get_text(" ")


def source_found(text: str) -> list[str]:
    """Return one line per trace of source in text: what, and where."""
    found = []
    for what, pattern in SOURCE:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 50)
            context = " ".join(text[start : match.end() + 50].split())
            found.append(f"{what}: …{context}…")
    return found


def test_the_guard_finds_source_and_passes_rendered_text():
    """The guard itself, on hand-made HTML: it must be able to fail."""
    broken = (
        "<html><body><p>The gain is $\\lVert W \\rVert$ here,</p>"
        "<p>+ \\frac{1}{2}</p><p>:::{admonition} Solution</p>"
        "<p>see {ref}`mistake-sign_flipped`</p><p>{glue:text}`x`</p>"
        "<p>\\[ a = b \\]</p><p>gives $\\delta^{l+1}_k</p></body></html>"
    )
    found = source_found(visible_text(broken))
    for what, _ in SOURCE:
        if "```{" not in what and "\\(" not in what:
            assert any(line.startswith(what) for line in found), what
    rendered = (
        '<html><body><p>The gain is <span class="math notranslate">'
        "\\(\\lVert W \\rVert\\)</span>.</p>"
        '<div class="math">\\[ a = b \\]</div>'
        "<pre>x = {'a': 1}  # ::: $a$</pre>"
        "<p>Costs <code>{glue}</code> nothing.</p>"
        "<script>var s = '$x$';</script></body></html>"
    )
    assert source_found(visible_text(rendered)) == []


@pytest.mark.parametrize("page", PAGES or ["<no built book>"])
def test_no_source_visible_in_the_rendered_page(page):
    if not PAGES:
        pytest.fail(
            f"No built book at {BOOK} (set BOOK_HTML to use another): "
            "run `make book` first",
            pytrace=False,
        )
    text = visible_text((BOOK / page).read_text(encoding="utf-8"))
    found = source_found(text)
    assert not found, (
        f"{page}: {len(found)} trace(s) of TeX or MyST source in the text "
        "a reader sees (the first 8):\n  " + "\n  ".join(found[:8])
    )
