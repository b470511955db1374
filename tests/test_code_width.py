"""No code block scrolls sideways at 1280 px, folded solutions included.

The layout check of tests/test_browser.py measures what the page shows when
it loads, and a solution folded into a dropdown admonition is not shown: its
code has `visibility: hidden` until the reader opens it, so a solution line
too long for the text column went unmeasured. This test opens every fold
first (the dropdown admonitions of sphinx-togglebutton, and every
``<details>``, which is how MyST-NB folds hidden cells), then measures every
code block (``pre``) of each chapter page at 1280 px.

Run: ``pytest -m browser tests/test_code_width.py`` after ``make book``.
"""

from __future__ import annotations

import pytest

from browser_support import (
    CHROMIUM_ARGS,
    DESKTOP,
    BookServer,
    book_html_dir,
    discover_pages,
    find_chromium,
    is_chapter_page,
)

pytestmark = pytest.mark.browser

BOOK = book_html_dir()
CHAPTERS = [p for p in discover_pages(BOOK) if is_chapter_page(BOOK, p)]

# Open every fold, then return the code blocks that scroll sideways.
JS_OPEN_AND_MEASURE = """
async () => {
  for (const d of document.querySelectorAll("details")) d.open = true;
  for (const a of document.querySelectorAll(".toggle-hidden")) {
    a.classList.remove("toggle-hidden");
  }
  await new Promise(r => setTimeout(r, 400));  // the 0.3 s fade-in
  const wide = [];
  for (const pre of document.querySelectorAll("article pre")) {
    if (pre.closest("mjx-container")) continue;
    if (pre.clientWidth === 0) continue;  // not laid out at all
    if (pre.scrollWidth <= pre.clientWidth + 4) continue;
    const section = pre.closest("section[id]");
    const fold = pre.closest(".admonition.toggle, details");
    wide.push({
      section: section ? section.id : "",
      folded: fold !== null,
      need: pre.scrollWidth,
      have: pre.clientWidth,
      line: pre.innerText.split("\\n").reduce(
        (a, b) => (b.length > a.length ? b : a), ""
      ).trim().slice(0, 90),
    });
  }
  return wide;
}
"""


@pytest.fixture(scope="module")
def desktop(playwright_session):
    if not CHAPTERS:
        pytest.fail(
            f"No built book at {BOOK} (set BOOK_HTML to use another): "
            "run `make book` first",
            pytrace=False,
        )
    path = find_chromium(playwright_session)
    kwargs = {"args": CHROMIUM_ARGS, "headless": True}
    if path is not None:
        kwargs["executable_path"] = str(path)
    browser = playwright_session.chromium.launch(**kwargs)
    context = browser.new_context(viewport=DESKTOP, service_workers="block")
    with BookServer(BOOK) as server:
        yield context, server.url
    browser.close()


def wide_code_blocks(desktop, page_name: str) -> list[dict]:
    """Return the code blocks of a page that scroll sideways, folds opened."""
    context, url = desktop
    page = context.new_page()
    try:
        page.goto(url + page_name, wait_until="load")
        return page.evaluate(JS_OPEN_AND_MEASURE)
    finally:
        page.close()


def test_the_check_opens_folds_and_finds_a_wide_block(desktop, tmp_path):
    """The check itself, on a hand-made page: it must be able to fail."""
    context, _ = desktop
    long_line = "x = " + " + ".join(["1"] * 120)
    (tmp_path / "wide.html").write_text(
        '<html><body><article><div class="admonition toggle toggle-hidden">'
        '<p class="admonition-title">Solution</p>'
        f"<pre>{long_line}</pre></div>"
        "<details><summary>code</summary><pre>short</pre></details>"
        "</article></body></html>"
    )
    page = context.new_page()
    try:
        page.goto((tmp_path / "wide.html").as_uri())
        wide = page.evaluate(JS_OPEN_AND_MEASURE)
    finally:
        page.close()
    assert len(wide) == 1 and wide[0]["folded"]
    assert wide[0]["line"].startswith("x = 1 + 1")


@pytest.mark.parametrize("page", CHAPTERS or ["<no built book>"])
def test_code_blocks_fit_the_column_with_solutions_open(desktop, page):
    wide = wide_code_blocks(desktop, page)
    listing = "\n  ".join(
        f"{'in a folded block, ' if b['folded'] else ''}section "
        f"#{b['section']}: {b['need']} px in {b['have']} px: {b['line']}"
        for b in wide
    )
    assert not wide, (
        f"{page}: {len(wide)} code block(s) scroll sideways at 1280 px "
        f"(shorten the line at the source):\n  {listing}"
    )
