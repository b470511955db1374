"""Helpers for the headless-Chromium tests of the built HTML book.

Used by ``tests/test_browser.py``:

* :class:`BookServer` serves the built book from 127.0.0.1 on a free port,
  in a background thread (stdlib ``http.server``);
* :func:`discover_pages` / :func:`redirect_target` / :func:`link_problems`
  read the built files with BeautifulSoup (no browser needed);
* :class:`BookBrowser` drives one Chromium for the whole session, blocks and
  counts every request to a non-local host, and records console errors,
  failed local requests, math, images, explorers, axe results and screenshots
  for each page it visits (each page is loaded once per origin and viewport,
  the tests then assert on the recorded :class:`PageReport`).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: even a request that escaped page.route (a service
    # worker, a prefetch) cannot resolve any host but the loopback one.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
_NOT_LOOPBACK = r"(?!(127\.0\.0\.1|localhost|\[::1\])([:/]|$))"
NON_LOCAL_HTTP = re.compile(r"^https?://" + _NOT_LOOPBACK, re.I)
NON_LOCAL_WS = re.compile(r"^wss?://" + _NOT_LOOPBACK, re.I)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
AXE_OPTIONS = {"resultTypes": ["violations"], "preload": False}

# Pages Sphinx writes besides the book's own chapters.
SPECIAL_PAGES = {"genindex.html", "search.html", "py-modindex.html"}

# Everything the tests want to print at the end of the run (see conftest.py).
SUMMARY: dict[str, list[str]] = {
    "axe moderate": [],
    "axe minor": [],
    "layout": [],
    "notes": [],
    "screenshots": [],
}


def book_html_dir() -> Path:
    """The built book: $BOOK_HTML, or <repo>/_build/html."""
    return Path(
        os.environ.get("BOOK_HTML", REPO / "_build" / "html")
    ).resolve()


def screenshot_dir(book: Path) -> Path:
    """Screenshots go next to the HTML: <book>/../screenshots."""
    return book.parent / "screenshots"


# --------------------------------------------------------------------------
# The built files
# --------------------------------------------------------------------------


def discover_pages(book: Path) -> list[str]:
    """Every HTML page of the book, as paths relative to ``book``.

    Folders whose name starts with ``_`` (``_static``, ``_sources``,
    ``_images``) hold assets, not pages, and are left out.
    """
    if not book.is_dir():
        return []
    pages = []
    for path in book.rglob("*.html"):
        rel = path.relative_to(book)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue
        pages.append(rel.as_posix())
    return sorted(pages)


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def redirect_target(book: Path, rel: str) -> str | None:
    """For a page that is only a ``<meta http-equiv=refresh>``, its target URL."""
    meta = _soup(book / rel).find(
        "meta", attrs={"http-equiv": re.compile("^refresh$", re.I)}
    )
    if meta is None:
        return None
    match = re.search(
        r"url\s*=\s*['\"]?([^'\";]+)", meta.get("content", ""), re.I
    )
    return match.group(1).strip() if match else None


def is_chapter_page(book: Path, rel: str) -> bool:
    """A page of the book's text: not a Sphinx index/search page, not a redirect."""
    return rel not in SPECIAL_PAGES and redirect_target(book, rel) is None


def explorer_count(book: Path, rel: str) -> int:
    """Return how many explorer roots ([data-explorer]) the built page has."""
    return len(_soup(book / rel).select("[data-explorer]"))


@functools.cache
def _ids(path: Path) -> frozenset[str]:
    soup = _soup(path)
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    ids |= {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
    return frozenset(ids)


def _local_target(
    book: Path, page: Path, href: str
) -> tuple[Path, str] | None:
    """Resolve a link to (file, fragment), or None if it leaves the site."""
    parts = urllib.parse.urlsplit(href)
    if parts.scheme or parts.netloc:
        if parts.scheme != "file":
            return (
                None  # http(s), mailto, javascript: not a file of the book
            )
    path = urllib.parse.unquote(parts.path)
    target = page if not path else (page.parent / path).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, urllib.parse.unquote(parts.fragment)


def link_problems(book: Path, rel: str) -> list[str]:
    """Broken local links of one page: missing files and missing #fragments.

    Looks at every ``<a href>`` and at a meta-refresh target.
    """
    page = (book / rel).resolve()
    soup = _soup(page)
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    refresh = redirect_target(book, rel)
    if refresh:
        hrefs.append(refresh)
    problems = []
    for href in hrefs:
        href = href.strip()
        if not href or href == "#":
            continue
        resolved = _local_target(book, page, href)
        if resolved is None:
            continue
        target, fragment = resolved
        try:
            target.relative_to(book.resolve())
        except ValueError:
            problems.append(f"{href!r} points outside the book ({target})")
            continue
        if not target.is_file():
            problems.append(
                f"{href!r}: no file {target.relative_to(book.resolve())}"
            )
            continue
        if (
            fragment
            and target.suffix == ".html"
            and fragment not in _ids(target)
        ):
            problems.append(
                f"{href!r}: no id {fragment!r} in {target.relative_to(book.resolve())}"
            )
    return problems


# --------------------------------------------------------------------------
# The local server
# --------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


class BookServer:
    """Serve a folder on http://127.0.0.1:<free port>/ from a thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), handler
        )
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True
        )

    def __enter__(self) -> BookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------


def is_local_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def short(url: str, n: int = 100) -> str:
    return url if len(url) <= n else url[: n - 3] + "..."


@dataclass
class PageReport:
    """What one load of one page showed."""

    url: str
    external_requests: list[str] = field(default_factory=list)
    failed_local: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    images: list[dict] = field(default_factory=list)
    explorers: list[dict] = field(default_factory=list)
    axe_violations: list[dict] = field(default_factory=list)
    overflow_px: int = 0
    wide_blocks: list[dict] = field(default_factory=list)
    final_url: str = ""
    action: object = None


# Waits for MathJax (if the page loads it) and for web fonts; never hangs.
JS_WAIT_FOR_MATH = """
async (timeout) => {
  const late = (what) => new Promise(r => setTimeout(() => r(what), timeout));
  const loadsMathJax = Array.from(document.scripts)
      .some(s => /mathjax/i.test(s.src || ""));
  if (loadsMathJax) {
    const started = (async () => {
      while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
        await new Promise(r => setTimeout(r, 50));
      }
      await MathJax.startup.promise;
      return "mathjax";
    })();
    const state = await Promise.race([started, late("MathJax did not finish")]);
    if (state !== "mathjax") return state;
  }
  return await Promise.race([
    document.fonts.ready.then(() => loadsMathJax ? "mathjax" : "none"),
    late("web fonts did not finish loading"),
  ]);
}
"""

# How the math came out, and raw TeX delimiters left in visible prose.
JS_MATH_STATE = r"""
() => {
  const math = Array.from(document.querySelectorAll(".math"));
  const unrendered = math.filter(e => !e.querySelector("mjx-container"))
                         .map(e => e.textContent.trim().slice(0, 80));
  const skip = "script,style,pre,code,textarea,noscript,template,mjx-container,.highlight";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(n) {
      const p = n.parentElement;
      if (!p || p.closest(skip)) return NodeFilter.FILTER_REJECT;
      if (p.checkVisibility && !p.checkVisibility()) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  const pattern = /\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\s][^$\n]*?\$/g;
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const s = n.textContent;
    for (const m of s.matchAll(pattern)) {
      raw.push(s.slice(Math.max(0, m.index - 20), m.index + m[0].length + 20)
                .replace(/\s+/g, " ").trim());
    }
  }
  return {
    mathjax: !!(window.MathJax && window.MathJax.startup),
    math_elements: math.length,
    containers: document.querySelectorAll("mjx-container").length,
    unrendered: unrendered,
    errors: Array.from(document.querySelectorAll("mjx-merror"))
                 .map(e => e.getAttribute("data-mjx-error") || e.textContent),
    raw_delimiters: raw,
  };
}
"""

# Load every image (also lazy ones) and report size and alt text.
JS_IMAGES = """
async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(im => { im.loading = "eager"; });
  await Promise.race([
    Promise.all(imgs.map(im => im.decode().catch(() => null))),
    new Promise(r => setTimeout(r, 10000)),
  ]);
  return imgs.map(im => ({
    src: im.currentSrc || im.src,
    alt: im.getAttribute("alt"),
    width: im.naturalWidth,
  }));
}
"""

# Blocks of the text that do not fit the viewport's width: they scroll
# sideways inside the page or stick out of it (outermost ones only).
JS_WIDE_BLOCKS = """
() => {
  const root = document.querySelector("article") || document.body;
  const vw = document.documentElement.clientWidth;
  const found = [];
  for (const e of root.querySelectorAll("*")) {
    if (e.closest("mjx-assistive-mml")) continue;  // visually hidden MathML
    if (found.some(f => f.el.contains(e))) continue;
    const style = getComputedStyle(e);
    if (style.display === "none" || style.visibility === "hidden") continue;
    // Inline math overflows its line box by a few px of sub- and superscripts.
    if (style.display.startsWith("inline")) continue;
    const scrolls = /(auto|scroll|hidden)/.test(style.overflowX)
                    && e.scrollWidth > e.clientWidth + 4 && e.clientWidth > 0;
    const right = Math.round(e.getBoundingClientRect().right);
    if (!scrolls && right <= vw + 1) continue;
    const kind = e.closest("mjx-container, .math") ? "display math"
      : e.closest("pre, .highlight, .cell_output") ? "code or output"
      : e.closest("table, .pst-scrollable-table-container") ? "table"
      : e.closest("figure, img") ? "figure"
      : e.tagName.toLowerCase();
    const section = e.closest("section[id]");
    found.push({el: e, info: {
      kind: kind,
      section: section ? section.id : "",
      need: scrolls ? e.scrollWidth : right,
      have: scrolls ? e.clientWidth : vw,
      how: scrolls ? "scrolls sideways" : "sticks out of the page",
    }});
  }
  return found.map(f => f.info);
}
"""


def describe_wide_blocks(blocks: list[dict]) -> list[str]:
    """One line per kind of block: how many, the widest one and where."""
    lines = []
    kinds = sorted({b["kind"] for b in blocks})
    for kind in kinds:
        some = [b for b in blocks if b["kind"] == kind]
        widest = max(some, key=lambda b: b["need"] - b["have"])
        lines.append(
            f"{len(some)} {kind} block(s) too wide ({widest['how']}; widest "
            f"{widest['need']} px in {widest['have']} px, #{widest['section']})"
        )
    return lines


# One explorer's snapshot: its data-state, whether it is finite and null-free,
# and a signature of its drawing (SVG markup, canvas pixels).
JS_EXPLORER_SNAPSHOT = """
(root) => {
  const raw = root.getAttribute("data-state") || "";
  let finite = true, parsed = true;
  try {
    const walk = (v) => {
      if (v === null) finite = false;
      else if (typeof v === "number") { if (!Number.isFinite(v)) finite = false; }
      else if (typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(JSON.parse(raw));
  } catch (e) { parsed = false; }
  const drawing = Array.from(root.querySelectorAll("svg, canvas")).map(
    (d) => d.tagName === "CANVAS" ? d.toDataURL() : d.innerHTML).join("|");
  const text = root.innerText || "";
  return {state: raw, parsed, finite, drawing, drawn: drawing.length > 0,
          drawn_count: root.getAttribute("data-drawn"),
          nan_text: /\\bNaN\\b|Infinity/.test(text),
          live: root.classList.contains("bp-live")};
}
"""

# Every control of an explorer: [index, tag, type, value, min, max,
# n options, selected index, label text, aria-valuetext].
JS_EXPLORER_CONTROLS = """
(root) => Array.from(root.querySelectorAll("input, select")).map((c, i) => {
  const label = c.id ? root.querySelector(`label[for="${c.id}"]`) : null;
  return {index: i, tag: c.tagName.toLowerCase(), type: c.type || "",
    key: c.dataset.control || c.name || c.id || String(i),
    value: c.value, min: c.min, max: c.max,
    options: c.tagName === "SELECT" ? c.options.length : 0,
    selected: c.tagName === "SELECT" ? c.selectedIndex : -1,
    label: label ? label.textContent.trim() : (c.getAttribute("aria-label") || ""),
    valuetext: c.getAttribute("aria-valuetext"),
    viewOnly: c.hasAttribute("data-view-only")};
})
"""

# Set control i of root to an end of its range (or another option) and
# dispatch input and change, as a script or an assistive tool would.
JS_SET_CONTROL = """
([root, i, value]) => {
  const c = root.querySelectorAll("input, select")[i];
  if (c.type === "checkbox") c.checked = !c.checked;
  else if (c.tagName === "SELECT") c.selectedIndex = Number(value);
  else c.value = String(value);
  c.dispatchEvent(new Event("input", {bubbles: true}));
  c.dispatchEvent(new Event("change", {bubbles: true}));
}
"""

# Resolves once data-state differs from `before` and a frame was drawn
# (or after `ms`): recomputing may take a frame or two.
JS_WAIT_CHANGED = """
async ([root, before, ms]) => {
  const t0 = performance.now();
  while (root.getAttribute("data-drawn") === before && performance.now() - t0 < ms) {
    await new Promise((r) => requestAnimationFrame(() => r()));
  }
  await new Promise((r) => requestAnimationFrame(() => r()));
}
"""


def _other_end(control: dict) -> str:
    """Return the value at the other end of a control from its current one."""
    if control["tag"] == "select":
        return (
            "0" if control["selected"] != 0 else str(control["options"] - 1)
        )
    lo, hi, v = control["min"], control["max"], control["value"]
    try:
        return (
            lo
            if abs(float(v) - float(hi)) < abs(float(v) - float(lo))
            else hi
        )
    except ValueError:
        return hi


def check_explorers(page, wait_ms: int = 3000) -> list[dict]:
    """Move every control of every explorer (keyboard, then input events).

    For each root element [data-explorer] on the page, each input and
    select inside it is moved twice: focused and driven by the keyboard
    (ArrowRight or ArrowLeft for a range, ArrowDown or ArrowUp for a select,
    Space for a checkbox), then set to the other end of its range (another
    option) with input and change events. After each move the view must
    redraw (data-drawn), data-state must change (unless the control is
    marked data-view-only) and stay finite JSON without null, the drawing
    (SVG or canvas) must change, and no NaN or Infinity may show. Every control needs a
    visible label; a range needs aria-valuetext.
    """
    results = []
    roots = page.locator("[data-explorer]")
    for r in range(roots.count()):
        root = roots.nth(r)
        name = root.get_attribute("data-explorer")
        problems, moved = [], []
        root.scroll_into_view_if_needed()
        snap = root.evaluate(JS_EXPLORER_SNAPSHOT)
        if not snap["live"]:
            problems.append("the view did not start (no .bp-live)")
        if not (snap["parsed"] and snap["finite"]):
            problems.append("initial data-state is not finite JSON")
        if not snap["drawn"]:
            problems.append("no SVG or canvas drawing")
        controls = root.evaluate(JS_EXPLORER_CONTROLS)
        if not controls:
            problems.append("no controls")
        for c in controls:
            key = c["key"]
            if not c["label"]:
                problems.append(f"{key}: no visible label")
            if c["type"] == "range" and not c["valuetext"]:
                problems.append(f"{key}: no aria-valuetext")
            element = root.locator("input, select").nth(c["index"])
            steps = []
            if c["type"] == "range":
                at_max = float(c["value"]) >= float(c["max"] or 100)
                steps.append(
                    ("keyboard", "ArrowLeft" if at_max else "ArrowRight")
                )
            elif c["tag"] == "select":
                last = c["selected"] >= c["options"] - 1
                steps.append(
                    ("keyboard", "ArrowUp" if last else "ArrowDown")
                )
            elif c["type"] == "checkbox":
                steps.append(("keyboard", "Space"))
            steps.append(("input event", None))
            for how, key_name in steps:
                before = root.evaluate(JS_EXPLORER_SNAPSHOT)
                if how == "keyboard":
                    element.scroll_into_view_if_needed()
                    element.focus()
                    element.press(key_name)
                else:
                    current = root.evaluate(JS_EXPLORER_CONTROLS)[
                        c["index"]
                    ]
                    page.evaluate(
                        JS_SET_CONTROL,
                        [
                            root.element_handle(),
                            c["index"],
                            _other_end(current),
                        ],
                    )
                page.evaluate(
                    JS_WAIT_CHANGED,
                    [root.element_handle(), before["drawn_count"], wait_ms],
                )
                after = root.evaluate(JS_EXPLORER_SNAPSHOT)
                where = f"{key} ({how}{' ' + key_name if key_name else ''})"
                if after["drawn_count"] == before["drawn_count"]:
                    problems.append(f"{where}: the view did not redraw")
                # A view-only control (data-view-only) changes what is
                # drawn from the state, not the state.
                if after["state"] == before["state"] and not c["viewOnly"]:
                    problems.append(f"{where}: data-state did not change")
                if after["drawing"] == before["drawing"]:
                    problems.append(f"{where}: the drawing did not change")
                if not (after["parsed"] and after["finite"]):
                    problems.append(f"{where}: data-state not finite JSON")
                if after["nan_text"]:
                    problems.append(f"{where}: NaN or Infinity shown")
                moved.append(where)
        results.append(
            {
                "explorer": name,
                "index": r,
                "problems": problems,
                "moved": moved,
            }
        )
    return results


def _asked_by(request) -> str:
    referer = request.headers.get("referer")
    return f"{request.resource_type} asked for by {short(referer, 80) if referer else 'the page'}"


class BookBrowser:
    """One Chromium for the session; one page load per (url, viewport)."""

    def __init__(self, playwright, executable: Path | None = CHROMIUM):
        # executable None: Playwright's own Chromium (see find_chromium).
        kwargs = {"args": CHROMIUM_ARGS, "headless": True}
        if executable is not None:
            kwargs["executable_path"] = str(executable)
        self.browser = playwright.chromium.launch(**kwargs)
        self.contexts = {
            "desktop": self.browser.new_context(
                viewport=DESKTOP, service_workers="block"
            ),
            "mobile": self.browser.new_context(
                viewport=MOBILE,
                is_mobile=True,
                has_touch=True,
                service_workers="block",
            ),
        }
        for context in self.contexts.values():
            context.set_default_timeout(TIMEOUT_MS)
            # Every page load is a first visit: the theme keeps state (light
            # or dark mode, sidebar scroll) in the browser's storage.
            context.add_init_script(
                "try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}"
            )
        self._axe = None

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()
        self.browser.close()

    @property
    def axe(self):
        if self._axe is None:
            from axe_playwright_python.sync_playwright import Axe

            self._axe = Axe()
        return self._axe

    def visit(
        self,
        url: str,
        *,
        viewport: str = "desktop",
        checks: bool = True,
        axe: bool = False,
        screenshot: Path | None = None,
        redirect: bool = False,
        action=None,
    ) -> PageReport:
        """Load ``url`` with non-local requests blocked; record what happened.

        ``redirect``: the page is a meta-refresh; wait until the browser has
        moved on and report on where it arrived. ``action(page)``, if given,
        runs after the checks; what it returns is kept in ``report.action``.
        """
        report = PageReport(url=url)
        page = self.contexts[viewport].new_page()

        pending: list[str] = []

        def on_request(request):
            pending.append(request.url)
            if not is_local_url(request.url):
                report.external_requests.append(short(request.url))

        def on_done(request):
            if request.url in pending:
                pending.remove(request.url)

        def on_websocket(ws):
            # Never connected to a server: a silent, mocked socket.
            report.external_requests.append(short(ws.url))

        def on_failed(request):
            if is_local_url(request.url):
                report.failed_local.append(
                    f"{short(request.url)} ({request.failure}; {_asked_by(request)})"
                )

        def on_response(response):
            if response.status >= 400 and is_local_url(response.url):
                report.failed_local.append(
                    f"{short(response.url)} ({response.status}; "
                    f"{_asked_by(response.request)})"
                )

        def on_console(msg):
            if msg.type == "error":
                loc = msg.location or {}
                where = f" at {short(loc.get('url', ''), 60)}:{loc.get('lineNumber')}"
                report.console_errors.append(
                    msg.text + (where if loc else "")
                )

        # Only non-local URLs are intercepted (the regex is matched inside the
        # browser driver), so local files load at full speed.
        page.route(
            NON_LOCAL_HTTP, lambda route: route.abort("blockedbyclient")
        )
        page.route_web_socket(NON_LOCAL_WS, on_websocket)
        page.on("request", on_request)
        page.on("requestfinished", on_done)
        page.on("requestfailed", on_done)
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.on("console", on_console)
        page.on(
            "pageerror",
            lambda exc: report.console_errors.append(f"uncaught: {exc}"),
        )
        try:
            page.goto(url, wait_until="load")
            if redirect:
                page.wait_for_url(
                    lambda u: u.split("#")[0] != url.split("#")[0]
                )
                page.wait_for_load_state("load")
            state = page.evaluate(JS_WAIT_FOR_MATH, TIMEOUT_MS)
            if state != "mathjax" and state != "none":
                report.console_errors.append(state)
            report.final_url = page.url
            if checks:
                report.math = page.evaluate(JS_MATH_STATE)
                report.images = page.evaluate(JS_IMAGES)
            report.overflow_px = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            report.wide_blocks = page.evaluate(JS_WIDE_BLOCKS)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            if axe:
                # preload off: axe would fetch every stylesheet again by XHR
                # and resolve relative @imports against the page (a false 404).
                result = self.axe.run(page, options=AXE_OPTIONS)
                report.axe_violations = result.response["violations"]
            if checks:
                # Last: moving the explorers changes the page.
                report.explorers = check_explorers(page)
            if action is not None:
                report.action = action(page)
            if checks:
                # Anything the page still fetches late is recorded above.
                # Wait until no request of ours has been in flight for
                # QUIET_MS (Playwright's own "networkidle" sometimes never
                # fired on a busy machine with nothing in flight).
                if not wait_until_quiet(page, pending):
                    report.failed_local.append(
                        f"network not quiet after {TIMEOUT_MS // 1000} s; "
                        "in flight: " + ", ".join(short(u) for u in pending)
                    )
        finally:
            page.close()
        return report


QUIET_MS = 500


def wait_until_quiet(page, pending: list[str]) -> bool:
    """Return True once `pending` has stayed empty for QUIET_MS, False after TIMEOUT_MS."""
    quiet, waited, step = 0, 0, 50
    while waited < TIMEOUT_MS:
        page.wait_for_timeout(step)  # lets Playwright deliver events
        waited += step
        quiet = quiet + step if not pending else 0
        if quiet >= QUIET_MS:
            return True
    return False


# --------------------------------------------------------------------------
# The explorers' engine harness (tests/test_engine_browser.py, and any
# explorer module: an explorer registers by having `show()` return a
# backprop.explorers.host.Explorer with sample_controls and
# extreme_controls)
# --------------------------------------------------------------------------

RTOL = 1e-9
ATOL = 1e-15


def engine_explorers() -> dict:
    """Return {name: factory} for every explorer module whose show() is an Explorer."""
    import importlib
    import pkgutil

    import backprop.explorers as pkg
    from backprop.explorers.host import Explorer

    found = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in {"host"}:
            continue
        module = importlib.import_module(f"backprop.explorers.{info.name}")
        show = getattr(module, "show", None)
        cls = getattr(module, "EXPLORER", None)
        if cls is None or not callable(show):
            continue
        if isinstance(cls, type) and issubclass(cls, Explorer):
            found[cls.name] = show
    return found


def _walk(got, want, path, out, atol):
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            keys = sorted(got) if isinstance(got, dict) else got
            out.append(f"{path}: keys {keys!r} != {sorted(want)}")
            return
        for k in want:
            _walk(got[k], want[k], f"{path}.{k}", out, atol)
    elif isinstance(want, (list, tuple)):
        if not isinstance(got, list) or len(got) != len(want):
            out.append(f"{path}: length differs")
            return
        for i, (g, w) in enumerate(zip(got, want)):
            _walk(g, w, f"{path}[{i}]", out, atol)
    elif isinstance(want, (bool, str)):
        if got != want:
            out.append(f"{path}: {got!r} != {want!r}")
    elif isinstance(want, (int, float)):
        import math

        if not isinstance(got, (int, float)) or isinstance(got, bool):
            out.append(f"{path}: {got!r} is not a number")
        elif not math.isfinite(got):
            out.append(f"{path}: {got!r} is not finite")
        elif abs(got - want) > RTOL * abs(want) + atol:
            out.append(f"{path}: page {got!r} != package {want!r}")
    else:
        out.append(f"{path}: unexpected {type(want).__name__}")


def compare_states(got, want, atol=ATOL) -> list[str]:
    """Return where a page's state and the package's differ.

    Numbers must agree to RTOL relative plus atol absolute: atol (1e-15 by
    default, a few rounding steps of a number near 1) covers quantities
    such as 1 − tanh(z)², which float64 computes with an absolute, not a
    relative, error; an explorer whose tiny numbers matter passes atol=0.
    """
    out: list[str] = []
    _walk(got, want, "state", out, atol)
    return out


def launch_chromium(playwright):
    """Return a headless Chromium (Debian's, or Playwright's own)."""
    path = find_chromium(playwright)
    kwargs = {"args": CHROMIUM_ARGS, "headless": True}
    if path is not None:
        kwargs["executable_path"] = str(path)
    return playwright.chromium.launch(**kwargs)


def open_local(browser, path: Path):
    """Open file path in a new context; return (context, page, errors).

    errors collects console errors, page errors and every request that
    would leave the machine (which is aborted).
    """
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if is_local_url(r.request.url):
            r.continue_()
        else:
            errors.append(f"non-local request {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    return context, page, errors


def explorer_page(browser, folder: Path, explorer, replace=None):
    """Open the explorer's book HTML from file:// in a new page.

    Yields (page, errors): errors collects console errors, page errors and
    every non-local request. replace=(old, new) edits the page's script (to
    break a rule on purpose); old must occur in it.
    """
    import contextlib

    @contextlib.contextmanager
    def opened():
        text = explorer.book_html()
        if replace is not None:
            old, new = replace
            assert old in text, f"{old!r} is not in the page's script"
            text = text.replace(old, new)
        path = folder / f"{explorer.name}.html"
        path.write_text(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{explorer.name}</title></head><body><main>{text}</main>"
            "</body></html>",
            encoding="utf-8",
        )
        context, page, errors = open_local(browser, path)
        page.wait_for_selector(".bp-live[data-explorer]")
        try:
            yield page, errors
        finally:
            context.close()

    return opened()


_CHOICE: dict[str, tuple[str | None, str]] = {}


def _chromium_choice(playwright) -> tuple[str | None, str]:
    """Return (executable or None for Playwright's own, '') or (None, why not)."""
    import subprocess
    import sys

    if CHROMIUM.exists():
        return str(CHROMIUM), ""
    if "choice" in _CHOICE:
        return _CHOICE["choice"]
    own = Path(playwright.chromium.executable_path)
    if own.exists():
        choice = (None, "")
    else:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "playwright", "install", "chromium"],
                capture_output=True,
                text=True,
                timeout=300,
            )
            lines = (done.stderr + done.stdout).strip().splitlines()
            errors = [x for x in lines if x.startswith("Error")]
            if done.returncode == 0 and own.exists():
                choice = (None, "")
            else:
                why = (errors or lines[-1:] or ["no output"])[0][:120]
                choice = (
                    None,
                    f"`playwright install chromium` failed ({why})",
                )
        except (OSError, subprocess.TimeoutExpired) as exc:
            choice = (None, f"`playwright install chromium` failed ({exc})")
    _CHOICE["choice"] = choice
    return choice


def find_chromium(playwright) -> Path | None:
    """Return Debian's Chromium, or None to use Playwright's own; else skip.

    Without /usr/bin/chromium (or $CHROMIUM_PATH), Playwright's own Chromium
    is used, installed once with `python -m playwright install chromium`
    (which needs the internet). If neither can be had, the browser tests
    are skipped with one line saying so; under CI=true that is a failure.
    """
    import pytest

    path, why = _chromium_choice(playwright)
    if path is not None:
        return Path(path)
    if not why:
        return None
    verdict = "fail (CI=true)" if os.environ.get("CI") else "skipped"
    message = (
        f"browser tests {verdict}: no Chromium at {CHROMIUM} and {why}; "
        "install the Debian package chromium to run them"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    if message not in SUMMARY["notes"]:
        print("\n" + message)
        SUMMARY["notes"].append(message)
    pytest.skip(message)
