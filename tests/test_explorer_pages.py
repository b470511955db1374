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
        pytest.fail(
            f"no built book with {missing} in {root}: run make book first"
        )
    return root


@pytest.fixture(scope="module")
def browser(playwright_session):
    b = launch_chromium(playwright_session)
    yield b
    b.close()


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
    """Return (data-state text, the drawing's markup, the controls' JSON) of explorer `name`."""
    return page.evaluate(
        """(name) => {
          const el = document.querySelector(`[data-explorer="${name}"]`);
          const pics = [...el.querySelectorAll("svg")].map((s) => s.outerHTML);
          const controls = JSON.stringify(el.bpModel.get("controls"));
          return [el.getAttribute("data-state"), pics.join(""), controls];
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
            expected = {"depth", "layer", "units", "hidden", "pairing"}
            expected |= {"selected", "value", "exact", "class"}
        assert expected <= set(keys), keys
        # Controls only the view uses (the network's selected entry, the
        # layer its units control resizes) move the controls and the
        # drawing, not the package's numbers.
        view_only = {"selected", "layer"} if name == "network" else set()
        for key in keys:
            before = snapshot(page, name)
            page.evaluate(MOVE, [name, key, ""])
            after = snapshot(page, name)
            assert after[2] != before[2], f"{key}: controls did not change"
            assert key in view_only or after[0] != before[0], (
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
        # The view publishes the chain it draws (and the selection it is
        # for) as data-chain; the state holds only the package's numbers.
        chain = json.loads(page.get_attribute(root, "data-chain"))
        assert chain["selected"] == {"kind": "w", "l": 1, "j": 2, "k": 1}
        assert chain["chain"][-1]["rule"] == 4
        assert page.locator(f"{root} ol.bp-chain li").count() == len(
            chain["chain"]
        )
        # Tab to a unit, Enter selects its bias and moves focus to the slider.
        page.focus(f'{root} [data-id="b:1:3:0"]')
        page.keyboard.press("Enter")
        state = json.loads(page.get_attribute(root, "data-state"))
        chain = json.loads(page.get_attribute(root, "data-chain"))
        assert chain["selected"] == {"kind": "b", "l": 1, "j": 3}
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


JUPYTER_HOST = """async ([config, controls, state]) => {
  // anywidget's model API, answered by the Python package (as in
  // JupyterLab): save_changes() sends controls away and the state comes
  // back later, asynchronously.
  const values = { config, controls, state };
  const listeners = {};
  const model = {
    get: (k) => values[k],
    set: (k, v) => { values[k] = v; },
    save_changes() {
      window.pyState(values.controls).then((s) => {
        values.state = s;
        for (const cb of listeners["change:state"] || []) cb();
      });
    },
    on: (e, cb) => { (listeners[e] ||= []).push(cb); },
    off: (e, cb) => {
      listeners[e] = (listeners[e] || []).filter((f) => f !== cb);
    },
  };
  const el = document.createElement("div");
  document.body.append(el);
  window.bpWidget.render({ model, el });
}"""


@pytest.mark.parametrize("module", ["weights", "network"])
def test_widget_module_runs_with_the_package_as_host(browser, module):
    # The JupyterLab side: the very _esm anywidget loads, with a model whose
    # numbers come from the package through an asynchronous round trip.
    import importlib

    from backprop.explorers.host import json_safe

    explorer = importlib.import_module(
        f"backprop.explorers.{module}"
    ).show()
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    page.expose_function(
        "pyState",
        lambda c: json_safe(explorer.compute_state(explorer.config, c)),
    )
    try:
        page.set_content(
            "<!doctype html><html lang='en'><body></body></html>"
        )
        source = explorer._esm.replace(
            "export default { render };",
            "export default { render };\nwindow.bpWidget = { render };",
        )
        page.add_script_tag(content=source, type="module")
        page.wait_for_function("() => window.bpWidget")
        page.evaluate(
            JUPYTER_HOST,
            [explorer.config, explorer.controls, explorer.state],
        )
        root = f'[data-explorer="{module}"]'
        before = page.get_attribute(root, "data-state")
        slider = page.locator(f'{root} [data-control="value"]')
        slider.focus()
        page.keyboard.press("End")
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel)"
            ".getAttribute('data-state') !== old",
            arg=[root, before],
        )
        shown = json.loads(page.get_attribute(root, "data-state"))
        controls = dict(explorer.controls)
        if module == "weights":
            spec = {c["name"]: c for c in explorer.config["spec"]}
            controls["value"] = spec["value"]["hi"]
            assert shown["value"] == controls["value"]
        else:
            sel = controls["selected"]
            W = [[row[:] for row in M] for M in controls["weights"]]
            W[sel["l"] - 1][sel["j"] - 1][sel["k"] - 1] = 4.0
            controls["weights"] = W
        want = json_safe(explorer.compute_state(explorer.config, controls))
        assert shown == want  # the package's numbers, exactly
        assert errors == []
    finally:
        context.close()
