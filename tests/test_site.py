"""The book's site as a reader meets it: navigation, search, scroll, print.

In headless Chromium over the built book (``_build/html``), from file://:

* at 390x844 with touch and at 800 px, the chapter drawer and the contents
  drawer open from a chapter page, and a tap in the chapter list reaches
  another chapter (the themes bind their toggles to a hidden button;
  _static/book-site.js forwards the visible one);
* at 1280 px the sidebar toggle collapses and restores the chapter list,
  and no empty header band sits above the page;
* search from file:// lists hits with snippets, and the console stays
  clean (_ext/offline_search.py answers Sphinx's fetch() from a table);
* on a phone, wide display math that scrolls shows that it does (a
  shadow at the edge with more to see), and stops showing it at the end;
* in print, each explorer stays on one page, its controls printed as
  values, with a line saying it is live in the HTML book; solutions fold.

Run: ``pytest -m browser tests/test_site.py`` after ``make book``.
"""

from __future__ import annotations

import pytest
import yaml

from browser_support import (
    REPO,
    TIMEOUT_MS,
    BookBrowser,
    book_html_dir,
    find_chromium,
)

pytestmark = pytest.mark.browser

BOOK = book_html_dir()
TOC = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
CHAPTERS = [c["file"] for c in TOC["chapters"]]
START = "chapters/05_bias_gradient"
WIDE_MATH = "chapters/07_algorithm"
EXPLORER = "chapters/02_chain_rule"
NARROW = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    },
    "tablet": {"viewport": {"width": 800, "height": 1000}},
}
QUERIES = ["softmax", "jacobian", "autoencoder"]


@pytest.fixture(scope="module")
def book():
    if not (BOOK / "search.html").is_file():
        pytest.fail(
            f"No built book at {BOOK}: run `make book` first", pytrace=False
        )
    return BOOK


@pytest.fixture(scope="module")
def site_browser(book, playwright_session):
    browser = BookBrowser(
        playwright_session, find_chromium(playwright_session)
    )
    yield browser
    browser.close()


def _open(site_browser, doc, errors, **context_args):
    """Open a built page from file:// in a new context; collect errors."""
    context = site_browser.browser.new_context(**context_args)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto((BOOK / f"{doc}.html").as_uri(), wait_until="load")
    return context, page


def _press(page, locator, touch):
    if touch:
        locator.tap()
    else:
        locator.click()


def _visible_toggle(page, selector):
    toggles = page.locator(f"{selector}:visible")
    assert toggles.count() == 1, (
        f"expected one visible {selector}, found {toggles.count()}"
    )
    return toggles.first


@pytest.mark.parametrize("size", sorted(NARROW))
def test_chapter_list_opens_and_reaches_another_chapter(
    book, site_browser, size
):
    errors: list[str] = []
    args = NARROW[size]
    touch = args.get("has_touch", False)
    context, page = _open(site_browser, START, errors, **args)
    try:
        drawer = page.locator("#pst-primary-sidebar-modal")
        _press(page, _visible_toggle(page, ".primary-toggle"), touch)
        page.wait_for_function(
            "() => document.querySelector('#pst-primary-sidebar-modal').open",
            timeout=5_000,
        )
        target = CHAPTERS[-1]
        link = drawer.locator(f'a[href$="{target.split("/")[-1]}.html"]')
        assert link.is_visible(), f"{target} is not in the open drawer"
        _press(page, link, touch)
        page.wait_for_url(f"**/{target}.html", timeout=10_000)
        # Back on a chapter page: the contents drawer opens and closes.
        contents = page.locator("#pst-secondary-sidebar-modal")
        _press(page, _visible_toggle(page, ".secondary-toggle"), touch)
        page.wait_for_function(
            "() => document.querySelector('#pst-secondary-sidebar-modal')"
            ".open",
            timeout=5_000,
        )
        assert contents.locator("a").count() > 0
        page.keyboard.press("Escape")
        page.wait_for_function(
            "() => !document.querySelector('#pst-secondary-sidebar-modal')"
            ".open",
            timeout=5_000,
        )
    finally:
        context.close()
    assert not errors, errors


def test_sidebar_toggle_and_no_empty_header_at_desktop(book, site_browser):
    errors: list[str] = []
    context, page = _open(
        site_browser, START, errors, viewport={"width": 1280, "height": 800}
    )
    try:
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.is_visible()
        toggle = _visible_toggle(page, ".primary-toggle")
        toggle.click()
        page.wait_for_timeout(400)
        box = sidebar.bounding_box()
        assert not sidebar.is_visible() or box["width"] < 2, (
            f"the sidebar did not collapse: {box}"
        )
        toggle.click()
        page.wait_for_timeout(400)
        assert (
            sidebar.is_visible() and sidebar.bounding_box()["width"] > 100
        )
        # No band above the article holding only a second search box.
        assert not page.locator("#pst-header").is_visible()
        top = page.locator("article.bd-article h1").first.bounding_box()[
            "y"
        ]
        assert top < 120, f"the title starts {top:.0f} px down"
        footer = page.locator("footer").all_inner_texts()
        assert not any("By " in t for t in footer), footer
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.parametrize("query", QUERIES)
def test_search_from_file_has_snippets_and_clean_console(
    book, site_browser, query
):
    def results(page):
        page.wait_for_selector("#search-results li", timeout=15_000)
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-results');"
            " return s && /found|matched|No search results/i.test("
            "s.innerText) || (window.Search && !Search._pulse_status); }",
            timeout=15_000,
        )
        page.wait_for_timeout(500)
        return page.evaluate(
            """() => Array.from(document.querySelectorAll(
                '#search-results li')).map(li => {
                  const p = li.querySelector('p.context');
                  return p ? p.innerText : null; })"""
        )

    url = (book / "search.html").as_uri() + f"?q={query}"
    report = site_browser.visit(url, checks=False, action=results)
    snippets = report.action
    assert snippets, f"searching {query!r} from file:// found nothing"
    missing = sum(1 for s in snippets if not s)
    assert not missing, f"{missing} of {len(snippets)} hits have no snippet"
    with_word = [s for s in snippets if query in s.lower()]
    assert with_word, f"no snippet for {query!r} shows the word: {snippets}"
    assert not report.console_errors, report.console_errors
    assert not report.failed_local, report.failed_local
    assert not report.external_requests, report.external_requests


def test_wide_math_on_a_phone_shows_that_it_scrolls(book, site_browser):
    errors: list[str] = []
    context, page = _open(
        site_browser, WIDE_MATH, errors, **NARROW["phone"]
    )
    try:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && "
            "MathJax.startup.promise && document.querySelector("
            "'mjx-container[display=true]')",
            timeout=TIMEOUT_MS,
        )
        page.evaluate("() => MathJax.startup.promise")
        page.wait_for_timeout(300)
        boxes = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                'mjx-container[display="true"]'))
              .filter(b => b.scrollWidth - b.clientWidth > 8)
              .map(b => ({cls: b.className,
                          hint: getComputedStyle(b).backgroundImage}))"""
        )
        assert boxes, "no display equation overflows at 390 px on this page"
        unmarked = [
            b for b in boxes if "bp-more-right" not in b["cls"].split()
        ]
        assert not unmarked, f"{len(unmarked)} wide equations show no hint"
        # The hint is drawn: a shadow at the edge with more to see.
        assert all("gradient" in b["hint"] for b in boxes), boxes
        # Scrolled to its end, the right-hand fade goes, a left one comes.
        ends = page.evaluate(
            """async () => {
              const b = Array.from(document.querySelectorAll(
                  'mjx-container[display="true"]'))
                .find(b => b.scrollWidth - b.clientWidth > 8);
              b.scrollLeft = b.scrollWidth;
              await new Promise(r => setTimeout(r, 200));
              return b.className; }"""
        ).split()
        assert "bp-more-right" not in ends and "bp-more-left" in ends
    finally:
        context.close()
    assert not errors, errors


def test_print_keeps_explorer_whole_with_values_and_folds_solutions(
    book, site_browser
):
    errors: list[str] = []
    context, page = _open(
        site_browser,
        EXPLORER,
        errors,
        viewport={"width": 1280, "height": 800},
    )
    try:
        page.wait_for_selector(
            "[data-explorer].bp-live", timeout=TIMEOUT_MS
        )
        page.emulate_media(media="print")
        page.evaluate("() => window.bookPreparePrint()")
        state = page.evaluate(
            """() => Array.from(document.querySelectorAll('[data-explorer]'))
              .map(root => {
                const css = getComputedStyle(root);
                const shown = e => e.getClientRects().length > 0;
                const ranges = Array.from(root.querySelectorAll(
                    'input[type=range]'));
                return {
                  breakInside: css.breakInside,
                  note: getComputedStyle(root, '::after').content,
                  widgets: ranges.filter(shown).length
                    + Array.from(root.querySelectorAll('select'))
                        .filter(shown).length,
                  values: ranges.map(r => {
                    const v = r.nextElementSibling;
                    return v && shown(v) ? v.textContent.trim() : null;
                  }),
                  ariaValues: ranges.map(r =>
                    r.getAttribute('aria-valuetext') || r.value),
                };
              })"""
        )
        folded = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                '.dropdown.admonition')).map(a => Array.from(a.children)
                .filter(c => !c.classList.contains('admonition-title'))
                .some(c => c.getClientRects().length > 0))"""
        )
    finally:
        context.close()
    assert state, f"{EXPLORER} has no explorer"
    for root in state:
        assert root["breakInside"] == "avoid", root
        assert "live in the HTML book" in root["note"], root
        assert root["widgets"] == 0, f"controls print as widgets: {root}"
        assert root["values"] and all(root["values"]), root
        for shown, value in zip(root["values"], root["ariaValues"]):
            assert shown.replace("−", "-") == value.replace("−", "-"), root
    assert folded and not any(folded), "a solution prints unfolded"
    assert not errors, errors
