"""The weights and whole-network explorers in the built book, in headless Chromium.

Chapters 5, 6 and 7 are opened from file:// and from a local server (no
request may leave the machine, the console stays clean). Every visible
control of each explorer is moved, by an input event and from the keyboard,
and each move must change data-state and the drawing, with no NaN, inf or
null. The network drawing is also clicked and driven with Tab and Enter;
a wrong number typed is refused with a message; and the explorer fits a
390 px wide screen. Needs a built book in _build/html (or $BOOK_HTML).
"""

from __future__ import annotations

import json

import pytest

from browser_support import (
    MOBILE,
    BookServer,
    book_html_dir,
    is_local_url,
    launch_chromium,
)

pytestmark = pytest.mark.browser

PAGES = {
    "chapters/05_bias_gradient.html": "weights",
    "chapters/06_weight_gradient.html": "weights",
    "chapters/07_algorithm.html": "network",
}


@pytest.fixture(scope="module")
def book():
    root = book_html_dir()
    missing = [p for p in PAGES if not (root / p).is_file()]
    if missing:
        pytest.skip(f"no built book with {missing} in {root}")
    return root


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture(scope="module", params=["file", "http"])
def origin(request, book):
    if request.param == "file":
        yield book.as_uri() + "/"
    else:
        with BookServer(book) as server:
            yield server.url


class Opened:
    """One page in its own context, with its console errors and requests recorded."""

    def __init__(self, browser, url, viewport=None):
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r):
            if is_local_url(r.request.url):
                r.continue_()
            else:
                self.errors.append(f"non-local request {r.request.url}")
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(url)
        self.page.wait_for_selector(".bp-live[data-explorer]")

    def close(self):
        self.context.close()


def snapshot(page, name):
    """Return (data-state text, the drawing's markup) of explorer `name`."""
    return page.evaluate(
        """(name) => {
          const el = document.querySelector(`[data-explorer="${name}"]`);
          const pics = [...el.querySelectorAll("svg")].map((s) => s.outerHTML);
          return [el.getAttribute("data-state"), pics.join("")];
        }""",
        name,
    )


def assert_clean_state(text):
    assert "NaN" not in text and "Infinity" not in text
    state = json.loads(text)

    def walk(x):
        assert x is not None, "a null in data-state"
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(state)
    return state


def controls(page, name):
    """Return the data-control keys of explorer `name`'s visible controls."""
    return page.evaluate(
        """(name) => [...document.querySelectorAll(
             `[data-explorer="${name}"] [data-control]`)]
           .filter((c) => c.offsetParent !== null)
           .map((c) => c.getAttribute("data-control"))""",
        name,
    )


MOVE = """([name, key, how]) => {
  const el = document.querySelector(`[data-explorer="${name}"]`);
  const c = el.querySelector(`[data-control="${key}"]`);
  if (c.tagName === "SELECT") {
    const values = [...c.options].map((o) => o.value);
    const i = values.indexOf(c.value);
    c.value = values[(i + 1) % values.length];
    c.dispatchEvent(new Event("change", { bubbles: true }));
  } else if (c.type === "range") {
    const lo = Number(c.min), hi = Number(c.max), v = Number(c.value);
    c.value = String(how === "max" || v < (lo + hi) / 2 ? hi : lo);
    c.dispatchEvent(new Event("input", { bubbles: true }));
  } else {
    const lo = Number(c.min), hi = Number(c.max);
    c.value = String(Number(c.value) > (lo + hi) / 2 ? lo : hi);
    c.dispatchEvent(new Event("change", { bubbles: true }));
  }
}"""


@pytest.mark.parametrize("path", sorted(PAGES))
def test_every_control_moves_state_and_drawing(browser, origin, path):
    name = PAGES[path]
    opened = Opened(browser, origin + path)
    page = opened.page
    try:
        keys = controls(page, name)
        expected = {"param", "value", "example", "x1", "x2", "y1", "y2"}
        if name == "network":
            expected = {"depth", "width0", "width1", "width2", "hidden"}
            expected |= {"pairing", "selected", "value", "exact"}
        assert expected <= set(keys), keys
        for key in keys:
            before = snapshot(page, name)
            page.evaluate(MOVE, [name, key, ""])
            after = snapshot(page, name)
            assert after[0] != before[0], (
                f"{key}: data-state did not change"
            )
            assert after[1] != before[1], (
                f"{key}: the drawing did not change"
            )
            assert_clean_state(after[0])
        # The keyboard: arrow keys on the sliders, on the selects too.
        for key in ("value",) + (("hidden",) if name == "network" else ()):
            control = page.locator(
                f'[data-explorer="{name}"] [data-control="{key}"]'
            )
            control.focus()
            before = snapshot(page, name)
            page.keyboard.press("Home" if key == "value" else "ArrowDown")
            page.keyboard.press("ArrowRight" if key == "value" else "Tab")
            after = snapshot(page, name)
            assert after[0] != before[0], f"{key}: keyboard moved nothing"
            assert_clean_state(after[0])
        assert opened.errors == []
    finally:
        opened.close()


def test_network_drawing_is_selectable_by_click_and_keyboard(browser, book):
    opened = Opened(browser, (book / "chapters/07_algorithm.html").as_uri())
    page = opened.page
    try:
        root = '[data-explorer="network"]'
        page.click(f'{root} [data-id="w:1:2:1"]')
        state = json.loads(page.get_attribute(root, "data-state"))
        assert state["selected"] == {"kind": "w", "l": 1, "j": 2, "k": 1}
        assert state["chain"][-1]["rule"] == 4
        assert page.locator(f"{root} ol.bp-chain li").count() == len(
            state["chain"]
        )
        # Tab to a unit, Enter selects its bias and moves focus to the slider.
        page.focus(f'{root} [data-id="b:1:3:0"]')
        page.keyboard.press("Enter")
        state = json.loads(page.get_attribute(root, "data-state"))
        assert state["selected"] == {"kind": "b", "l": 1, "j": 3}
        assert (
            page.evaluate(
                "() => document.activeElement.getAttribute('data-control')"
            )
            == "value"
        )
        page.keyboard.press("ArrowLeft")
        moved = json.loads(page.get_attribute(root, "data-state"))
        assert moved["biases"][0][2][0] == pytest.approx(
            state["biases"][0][2][0] - 0.01
        )
        # The selection's numbers are text too, not only colour.
        readout = page.inner_text(f"{root} .bp-readout-line")
        assert "C = " in readout and "∂C/∂b¹₃" in readout
        # A wrong number is refused with a message, and nothing moves.
        before = page.get_attribute(root, "data-state")
        page.fill(f'{root} [data-control="exact"]', "12")
        page.dispatch_event(f'{root} [data-control="exact"]', "change")
        assert "from" in page.inner_text(f"{root} .bp-error")
        assert page.get_attribute(root, "data-state") == before
        assert opened.errors == []
    finally:
        opened.close()


@pytest.mark.parametrize("path", sorted(PAGES))
def test_fits_a_phone_and_has_labels(browser, book, path):
    name = PAGES[path]
    opened = Opened(browser, (book / path).as_uri(), viewport=MOBILE)
    page = opened.page
    try:
        report = page.evaluate(
            """(name) => {
              const el = document.querySelector(`[data-explorer="${name}"]`);
              const bad = [];
              for (const c of el.querySelectorAll("input, select")) {
                const label = c.id && el.querySelector(`label[for="${c.id}"]`)
                  || c.closest("label");
                if (!label || !label.textContent.trim()) bad.push(c.outerHTML);
                if (c.type === "range" && !c.getAttribute("aria-valuetext"))
                  bad.push("no aria-valuetext: " + c.outerHTML);
              }
              const r = el.getBoundingClientRect();
              return { bad, right: r.right, width: window.innerWidth,
                       scroll: el.scrollWidth - el.clientWidth };
            }""",
            name,
        )
        assert report["bad"] == []
        assert report["right"] <= report["width"] + 1
        assert report["scroll"] <= 1
        assert opened.errors == []
    finally:
        opened.close()
