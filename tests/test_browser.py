"""The built HTML book in a real browser (headless Chromium), fully offline.

Every HTML page of the built book (``$BOOK_HTML``, default ``_build/html``)
is opened twice, from a local HTTP server on 127.0.0.1 and from ``file://``,
with every request to a non-local host blocked and counted. On each load:
no blocked request, no failed local request, no console error, math rendered
by MathJax with no raw TeX delimiters left, every image loaded with real alt
text, and every control of every explorer ([data-explorer], computed in the
page by engine.js) moves its state and its drawing, from the keyboard and by
input events, with no NaN, inf or null. Each page is
also checked with axe-core (no serious or critical violation), its links are
crawled (every local file and ``#fragment`` exists), and each chapter page is
screenshot at 1280 px and 390 px wide into ``_build/screenshots/``.

Sphinx's ``search.html`` and ``genindex.html`` are included: both work
offline (the search index is a local script), and a search is run from both
origins. From ``file://`` the page summaries come from a local script
(_ext/offline_search.py), since browsers refuse fetch() of file:// URLs.
A meta-refresh page (``index.html``) is checked to land on its target.

Run: ``pytest -m browser`` after ``make book``. Without ``/usr/bin/chromium``
Playwright's own Chromium is used (installed once with ``python -m
playwright install chromium``); if neither can be had the browser tests
skip with one line saying why, unless ``CI`` is set, when they fail.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from browser_support import (
    NON_LOCAL_HTTP,
    SUMMARY,
    BookBrowser,
    BookServer,
    book_html_dir,
    describe_wide_blocks,
    discover_pages,
    explorer_count,
    find_chromium,
    is_chapter_page,
    link_problems,
    redirect_target,
    screenshot_dir,
)

pytestmark = pytest.mark.browser

BOOK = book_html_dir()
PAGES = discover_pages(BOOK)
NO_BOOK = "<no built book>"
ORIGINS = ["http", "file"]

REDIRECTS = [p for p in PAGES if redirect_target(BOOK, p)]
CONTENT = [p for p in PAGES if p not in REDIRECTS]
CHAPTERS = [p for p in CONTENT if is_chapter_page(BOOK, p)]
EXPLORER_PAGES = [p for p in CONTENT if explorer_count(BOOK, p)]


def _or_missing(pages: list[str]) -> list[str]:
    # With no built book, keep one test per check so that it fails (below)
    # instead of silently collecting nothing.
    return pages if PAGES else [NO_BOOK]


def _or_missing_origins(pages: list[str]):
    if pages or not PAGES:
        return _origin_params(pages)
    # A book without explorers is a broken book: one test that fails.
    return [pytest.param(None, None, id="no-explorer-pages")]


def _origin_params(pages: list[str]):
    return [
        pytest.param(origin, page, id=f"{origin}:{page}")
        for page in _or_missing(pages)
        for origin in ORIGINS
    ]


# --------------------------------------------------------------------------
# Fixtures (session-wide: one server, one browser, one load per page)
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def book():
    if not (BOOK / "index.html").is_file() or not PAGES:
        pytest.fail(
            f"No built book at {BOOK} (set BOOK_HTML to use another): "
            "run `make book` first",
            pytrace=False,
        )
    return BOOK


@pytest.fixture(scope="session")
def chromium(playwright_session):
    # Debian's Chromium, else Playwright's own (installed once), else a skip
    # with one line saying why (a failure under CI=true).
    return find_chromium(playwright_session)


@pytest.fixture(scope="session")
def server(book):
    with BookServer(book) as srv:
        yield srv


@pytest.fixture(scope="session")
def book_browser(chromium, playwright_session):
    browser = BookBrowser(playwright_session, chromium)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def shots(book):
    folder = screenshot_dir(book)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot_name(page: str, width: int) -> str:
    return (
        re.sub(r"[^A-Za-z0-9_.-]+", "__", page.removesuffix(".html"))
        + f"-{width}.png"
    )


@pytest.fixture(scope="session")
def reports(book, server, book_browser, shots):
    """report(origin, page, viewport) -> PageReport, loading each page once."""
    cache = {}

    def report(origin: str, page: str, viewport: str = "desktop"):
        key = (origin, page, viewport)
        if key not in cache:
            if origin == "http":
                url = server.url + urllib.parse.quote(page)
            else:
                url = (book / page).as_uri()
            chapter = page in CHAPTERS
            desktop_http = origin == "http" and viewport == "desktop"
            if viewport == "mobile":
                shot = shots / _shot_name(page, 390)
            elif desktop_http and chapter:
                shot = shots / _shot_name(page, 1280)
            else:
                shot = None
            cache[key] = book_browser.visit(
                url,
                viewport=viewport,
                checks=viewport == "desktop" and page not in REDIRECTS,
                axe=desktop_http and page not in REDIRECTS,
                screenshot=shot,
                redirect=page in REDIRECTS,
            )
        return cache[key]

    return report


def _listing(items) -> str:
    return "\n  " + "\n  ".join(str(i) for i in items)


# --------------------------------------------------------------------------
# The built files
# --------------------------------------------------------------------------


def test_book_has_pages(book):
    assert CHAPTERS, f"no chapter pages found in {book}"


@pytest.mark.parametrize("page", _or_missing(PAGES))
def test_internal_links(book, page):
    problems = link_problems(book, page)
    assert not problems, f"broken links in {page}:{_listing(problems)}"


# --------------------------------------------------------------------------
# Each page in the browser, from http://127.0.0.1 and from file://
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("origin", "page"), _origin_params(CONTENT))
def test_no_external_requests(reports, origin, page):
    blocked = reports(origin, page).external_requests
    assert not blocked, (
        f"{page} ({origin}) asked for {len(blocked)} non-local resource(s), "
        f"all blocked:{_listing(blocked)}"
    )


@pytest.mark.parametrize(("origin", "page"), _origin_params(CONTENT))
def test_no_failed_local_requests(reports, origin, page):
    failed = reports(origin, page).failed_local
    assert not failed, (
        f"{page} ({origin}): failed local requests:{_listing(failed)}"
    )


# Known causes of console errors in a Jupyter Book 1.x site, and their fixes.
CONSOLE_HINTS = {
    "invalid theme mode": "pydata-sphinx-theme starts with an empty mode: set "
    "sphinx.config.html_context.default_mode (auto, light or dark) in _config.yml",
    "THEBE_JS_URL": "sphinx_thebe writes its inline config twice: leave it out "
    "of sphinx.config.extensions in _config.yml",
}


@pytest.mark.parametrize(("origin", "page"), _origin_params(CONTENT))
def test_no_console_errors(reports, origin, page):
    errors = reports(origin, page).console_errors
    hints = sorted(
        {h for e in errors for key, h in CONSOLE_HINTS.items() if key in e}
    )
    assert not errors, (
        f"{page} ({origin}): {len(errors)} console error(s)"
        + (f" (hint: {'; '.join(hints)})" if hints else "")
        + f":{_listing(errors)}"
    )


@pytest.mark.parametrize(("origin", "page"), _origin_params(CONTENT))
def test_math_rendered(reports, origin, page):
    math = reports(origin, page).math
    if math["math_elements"]:
        assert math["mathjax"], f"{page} has math but MathJax did not load"
        assert math["containers"] > 0, (
            f"{page}: no <mjx-container> after MathJax"
        )
        assert not math["unrendered"], (
            f"{page} ({origin}): math left unrendered:{_listing(math['unrendered'])}"
        )
    assert not math["errors"], (
        f"{page}: MathJax errors:{_listing(math['errors'])}"
    )
    raw = list(dict.fromkeys(math["raw_delimiters"]))
    hint = ""
    if any(
        "|--" in r or "|—" in r or r.lstrip().startswith("|") for r in raw
    ):
        hint = (
            " (a Markdown table shown as text: myst-nb renders IPython Markdown "
            "output as CommonMark, without tables or $math$, unless _config.yml "
            "sets sphinx.config.nb_render_markdown_format: myst)"
        )
    # The first line is what pytest shows without -vv: make it the diagnosis.
    assert not raw, (
        f"{page} ({origin}): {len(raw)} raw TeX delimiter(s) in visible text{hint}:"
        f"{_listing(raw[:6])}"
        + (f"\n  ... and {len(raw) - 6} more" if len(raw) > 6 else "")
    )


_FILENAME_ALT = re.compile(r"^\S*\.(png|jpe?g|gif|svg|webp)$", re.I)


@pytest.mark.parametrize(("origin", "page"), _origin_params(CONTENT))
def test_images_load_and_have_alt_text(reports, origin, page):
    problems = []
    for img in reports(origin, page).images:
        src = (
            img["src"] if len(img["src"]) < 90 else img["src"][:87] + "..."
        )
        alt = (img["alt"] or "").strip()
        if not img["width"]:
            problems.append(f"did not load: {src}")
        if not alt:
            problems.append(f"no alt text: {src}")
        elif _FILENAME_ALT.match(alt):
            problems.append(f"alt text is a file name ({alt!r}): {src}")
    assert not problems, f"{page} ({origin}) images:{_listing(problems)}"


@pytest.mark.parametrize(
    ("origin", "page"), _or_missing_origins(EXPLORER_PAGES)
)
def test_explorers_move(reports, origin, page):
    assert page is not None, "no page of the built book has an explorer"
    found = reports(origin, page).explorers
    assert len(found) == explorer_count(BOOK, page), (
        f"{page} has {explorer_count(BOOK, page)} explorers in its HTML but "
        f"{len(found)} were found in the browser"
    )
    problems = [
        f"{e['explorer']}: {p}" for e in found for p in e["problems"]
    ]
    assert not problems, f"{page} ({origin}):{_listing(problems)}"
    assert all(e["moved"] for e in found)


@pytest.mark.parametrize("page", _or_missing(EXPLORER_PAGES))
def test_explorers_without_javascript(book, book_browser, page):
    context = book_browser.browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.route(
            NON_LOCAL_HTTP, lambda route: route.abort("blockedbyclient")
        )
        tab.goto((book / page).as_uri())
        roots = tab.locator("[data-explorer]")
        problems = []
        for i in range(roots.count()):
            root = roots.nth(i)
            name = root.get_attribute("data-explorer")
            text = root.inner_text()
            if "needs JavaScript" not in text:
                problems.append(
                    f"{name}: no sentence saying it needs JavaScript"
                )
            pictures = root.locator("img[alt]")
            if pictures.count() == 0 or not pictures.first.evaluate(
                "(im) => im.complete && im.naturalWidth > 0"
            ):
                problems.append(f"{name}: no starting picture")
    finally:
        context.close()
    assert roots and not problems, f"{page}:{_listing(problems)}"


@pytest.mark.parametrize(("origin", "page"), _origin_params(REDIRECTS))
def test_redirect_pages_arrive(reports, origin, page):
    target = redirect_target(BOOK, page)
    report = reports(origin, page)
    final = report.final_url
    assert final.split("#")[0].endswith(target.split("#")[0]), (
        f"{page} should redirect to {target}, browser ended at {final}"
    )
    problems = report.external_requests + report.failed_local
    assert not problems, (
        f"{page} ({origin}) -> {target}:{_listing(problems)}"
    )


@pytest.mark.parametrize("page", _or_missing(CONTENT))
def test_accessibility(reports, page):
    violations = reports("http", page).axe_violations
    for v in violations:
        line = (
            f"{page}: {v['id']} ({len(v['nodes'])}x, e.g. "
            f"{v['nodes'][0]['target']}) - {v['help']}"
        )
        if v["impact"] in ("moderate", "minor"):
            SUMMARY[f"axe {v['impact']}"].append(line)
    bad = [
        f"{v['impact']}: {v['id']} - {v['help']} ({len(v['nodes'])} nodes, e.g. "
        f"{v['nodes'][0]['target']}) {v['helpUrl']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page}: axe violations:{_listing(bad)}"


@pytest.mark.parametrize("page", _or_missing(CHAPTERS))
def test_screenshots(reports, shots, page):
    desktop = reports("http", page)
    mobile = reports("http", page, "mobile")
    for width in (1280, 390):
        path = shots / _shot_name(page, width)
        assert path.is_file() and path.stat().st_size > 0, (
            f"no screenshot {path}"
        )
        SUMMARY["screenshots"].append(str(path))
    for name, rep in (("1280 px", desktop), ("390 px", mobile)):
        if rep.overflow_px > 0:
            SUMMARY["layout"].append(
                f"{page} at {name}: the whole page scrolls sideways by "
                f"{rep.overflow_px} px"
            )
        SUMMARY["layout"].extend(
            f"{page} at {name}: {line}"
            for line in describe_wide_blocks(rep.wide_blocks)
        )


@pytest.mark.parametrize("page", _or_missing(CHAPTERS))
def test_code_and_output_fit_the_column(reports, page):
    """No code or output block scrolls sideways at 1280 px (issue 11)."""
    wide = [
        b
        for b in reports("http", page).wide_blocks
        if b["kind"] == "code or output"
    ]
    assert not wide, (
        f"{page}: {len(wide)} code or output block(s) wider than the text "
        "column at 1280 px (ruff formats code at 76 columns; shorten printed "
        "lines at the source):" + _listing(describe_wide_blocks(wide))
    )


def _search_word(book) -> str:
    """A word of the first chapter's title, for the search test."""
    from bs4 import BeautifulSoup

    title = BeautifulSoup(
        (book / CHAPTERS[0]).read_text(encoding="utf-8"), "html.parser"
    ).h1
    words = re.findall(r"[A-Za-z]{5,}", title.get_text() if title else "")
    return words[0].lower() if words else "backpropagation"


@pytest.mark.parametrize("origin", ORIGINS)
def test_search_works_offline(book, server, book_browser, origin):
    if "search.html" not in PAGES:
        pytest.fail("the book has no search.html")
    word = _search_word(book)
    base = (
        server.url + "search.html"
        if origin == "http"
        else (book / "search.html").as_uri()
    )

    def hits(page):
        page.wait_for_selector(
            "#search-results li, ul.search li", timeout=15_000
        )
        return page.locator("#search-results li, ul.search li").count()

    report = book_browser.visit(
        f"{base}?q={word}", checks=False, action=hits
    )
    assert report.action, f"searching for {word!r} found nothing ({origin})"
    assert not report.external_requests, _listing(report.external_requests)
    # From file:// too: the page summaries come from a local script
    # (_ext/offline_search.py), so no request fails.
    failed = report.failed_local
    assert not failed, _listing(failed)


# --------------------------------------------------------------------------
# The checks themselves, on pages made here, on a page made here that follows the contract
# --------------------------------------------------------------------------


def _explorer_page(tmp_path, name, body):
    path = tmp_path / f"{name}.html"
    path.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{name}</title></head><body><main>{body}</main></body></html>",
        encoding="utf-8",
    )
    return path.as_uri()


def test_explorer_check_catches_dead_and_broken_controls(
    book_browser, tmp_path
):
    """check_explorers passes a live explorer and names each fault."""
    from backprop.explorers import output_error

    text = output_error.show(z=-4.0, y=1.0).book_html()
    report = book_browser.visit(_explorer_page(tmp_path, "good", text))
    assert [e["problems"] for e in report.explorers] == [[]]
    assert len(report.explorers[0]["moved"]) == 8  # 4 controls, 2 ways
    assert not report.console_errors

    # A slider whose change never reaches the model.
    # (The views build their controls from the spec in ui.controls.)
    dead = text.replace(
        "((v) => ui.setControls(model, { [c.name]: v }))",
        '((v) => c.name === "y" || ui.setControls(model, { [c.name]: v }))',
    )
    assert dead != text
    report = book_browser.visit(_explorer_page(tmp_path, "dead", dead))
    problems = report.explorers[0]["problems"]
    assert any(p.startswith("y (") and "data-state" in p for p in problems)
    assert not any(p.startswith("z (") for p in problems), problems

    # An engine that returns NaN, and a control without its label.
    nan = text.replace(
        "return { a: a[0], factor: factor[0],",
        "return { a: a[0].map(() => NaN), factor: factor[0],",
    ).replace('<label for="${id}"', "<span")
    nan = nan.replace(
        'ui.el("label", { for: id, text: label }), input, out',
        'ui.el("span", { text: label }), input, out',
    )
    assert nan.count("NaN") >= 1
    report = book_browser.visit(_explorer_page(tmp_path, "nan", nan))
    problems = report.explorers[0]["problems"]
    assert any("not finite JSON" in p for p in problems), problems
    assert any("no visible label" in p for p in problems), problems


def test_checks_catch_known_faults(book_browser, tmp_path):
    """Each check notices the fault it is there for, on a page made to have it."""
    (tmp_path / "target.html").write_text(
        '<!doctype html><html lang="en"><title>t</title><h1 id="here">t</h1></html>'
    )
    bad = tmp_path / "bad.html"
    bad.write_text(
        """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad</title>
<script src="https://cdn.example.org/lib.js"></script></head>
<body><main>
<p>Money is no math: the cost $C$ stays raw, and so does \\(x\\).</p>
<img src="missing.png" alt="A plot that is not there">
<img src="https://example.org/remote.png" alt="Remote">
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='9' height='9'/%3E">
<a href="target.html#here">fine</a> <a href="target.html#nowhere">bad id</a>
<a href="gone.html">missing</a> <a href="#">top</a> <a href="https://example.org/">out</a>
<script>undefinedFunction();</script>
<div class="highlight" style="width: 300px"><pre style="overflow-x: auto">
print("a line of code far longer than the three hundred pixels it is given")
</pre></div>
</main></body></html>""",
        encoding="utf-8",
    )
    report = book_browser.visit(bad.as_uri(), axe=True)
    assert len(report.external_requests) == 2, report.external_requests
    assert any("missing.png" in f for f in report.failed_local), (
        report.failed_local
    )
    assert any("undefinedFunction" in e for e in report.console_errors)
    assert [m for m in report.math["raw_delimiters"] if "$C$" in m]
    assert [m for m in report.math["raw_delimiters"] if "\\(x" in m]
    assert sum(1 for i in report.images if not i["width"]) == 2
    assert sum(1 for i in report.images if not i["alt"]) == 1
    assert any(v["id"] == "image-alt" for v in report.axe_violations)
    assert [b for b in report.wide_blocks if b["kind"] == "code or output"]
    problems = link_problems(tmp_path, "bad.html")
    assert len(problems) == 2, problems
    assert any("nowhere" in p for p in problems) and any(
        "gone.html" in p for p in problems
    )
