"""Every explorer of the built book as a reader's screen shows it.

Opened from file:// in headless Chromium: each explorer's box fits one
1280×800 screen (at most 720 px tall under the theme's header) and is no
wider than a 390 px phone; axe's color-contrast rule finds nothing serious
inside any explorer, in light and in dark mode, and every SVG label stands
out at least 3:1 from the pixels drawn behind it; chart labels are drawn at
12 px or more; everything plotted is clipped to its axes; the chapter 7
readout of the item under the pointer follows every change of the state;
and chapter 10's Play button runs through the epochs and pauses. Needs a
built book in _build/html (or $BOOK_HTML).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from browser_support import book_html_dir, launch_chromium

pytestmark = pytest.mark.browser

PAGES = {
    "nudge": "chapters/02_chain_rule.html",
    "output_error": "chapters/03_output_error.html",
    "hidden_error": "chapters/04_hidden_error.html",
    "weights (ch 5)": "chapters/05_bias_gradient.html",
    "weights (ch 6)": "chapters/06_weight_gradient.html",
    "network": "chapters/07_algorithm.html",
    "training": "chapters/10_digits.html",
}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_HEIGHT = 720  # 800 px less the theme's 64 px header, and some air
MIN_LABEL_PX = 12.0
MIN_CONTRAST = 3.0


@pytest.fixture(scope="module")
def book():
    root = book_html_dir()
    missing = [p for p in PAGES.values() if not (root / p).is_file()]
    if missing:
        pytest.fail(
            f"no built book with {missing} in {root}: run `make book`",
            pytrace=False,
        )
    return root


@pytest.fixture(scope="module")
def browser(playwright_session):
    b = launch_chromium(playwright_session)
    yield b
    b.close()


def open_page(browser, book, page, viewport, theme="light", **kwargs):
    """Open a chapter from file:// in `theme` with every explorer live."""
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, **kwargs
    )
    context.add_init_script(
        f"localStorage.setItem('mode', '{theme}');"
        f"localStorage.setItem('theme', '{theme}');"
    )
    tab = context.new_page()
    tab.goto((book / page).as_uri())
    tab.wait_for_selector(".bp-live[data-explorer]")
    tab.wait_for_timeout(300)  # the charts' fit after the first layout
    assert tab.evaluate("document.documentElement.dataset.theme") == theme
    return tab


def boxes(tab):
    """Return [name, width, height, left, right] of every explorer."""
    return tab.evaluate(
        """() => [...document.querySelectorAll('[data-explorer]')].map((e) => {
          const r = e.getBoundingClientRect();
          return [e.dataset.explorer, r.width, r.height, r.left, r.right];
        })"""
    )


@pytest.mark.parametrize("page", list(PAGES.values()), ids=list(PAGES))
def test_explorer_fits_a_desktop_screen_and_a_phone(browser, book, page):
    tab = open_page(browser, book, page, DESKTOP)
    found = boxes(tab)
    tab.context.close()
    assert found, f"no explorer on {page}"
    for name, _, height, left, right in found:
        assert height <= MAX_HEIGHT, (
            f"{name} on {page} is {height:.0f} px tall at 1280×800 "
            f"(at most {MAX_HEIGHT})"
        )
        assert left >= 0 and right <= DESKTOP["width"], (name, left, right)
    tab = open_page(browser, book, page, PHONE)
    found = boxes(tab)
    tab.context.close()
    for name, _, _, left, right in found:
        assert left >= 0 and right <= PHONE["width"], (
            f"{name} on {page} spans {left:.0f}–{right:.0f} px on a "
            f"{PHONE['width']} px phone"
        )


# -- contrast --------------------------------------------------------------

# Every SVG text inside an explorer: its fill and its box on the page.
JS_SVG_TEXTS = """
() => [...document.querySelectorAll('[data-explorer] svg text')]
  .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent.trim(), fill: getComputedStyle(t).fill,
            opacity: Number(getComputedStyle(t).opacity),
            box: [r.left + window.scrollX, r.top + window.scrollY,
                  r.width, r.height]};
  })
"""
JS_HIDE_TEXTS = """
(hide) => document.querySelectorAll('[data-explorer] svg text').forEach(
  (t) => { t.style.visibility = hide ? 'hidden' : ''; })
"""


CONTENTS_TEXT = """() => {
  // Every line box of text in the right-hand contents column.
  const side = document.querySelector(".bd-sidebar-secondary");
  const walk = document.createTreeWalker(side, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (!n.textContent.trim()) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    for (const b of r.getClientRects()) out.push([b.left, b.right, b.top, b.bottom]);
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1200, 1280, 1440, 1920])
def test_wide_explorer_leaves_no_word_of_the_contents_cut(
    browser, book, width
):
    # Beside a wide explorer a line of the contents column is either
    # hidden under it or wholly to its right, never cut in two.
    tab = open_page(
        browser,
        book,
        PAGES["output_error"],
        {"width": width, "height": 800},
    )
    tab.locator("[data-explorer]").first.scroll_into_view_if_needed()
    tab.wait_for_timeout(200)
    box = tab.locator("[data-explorer]").first.bounding_box()
    right, top, bottom = (
        box["x"] + box["width"],
        box["y"],
        box["y"] + box["height"],
    )
    lines = tab.evaluate(CONTENTS_TEXT)
    assert lines, "no text in the contents column"
    cut = [
        b
        for b in lines
        if b[2] < bottom and b[3] > top and b[0] < right - 1 < b[1] - 2
    ]
    tab.context.close()
    assert cut == [], f"explorer ends at x = {right:.0f}, cutting {cut}"


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    """Return the WCAG contrast ratio of two sRGB colours (0-255)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rgb(css):
    inside = css[css.index("(") + 1 : css.index(")")]
    return tuple(round(float(v)) for v in inside.split(",")[:3])


def svg_label_contrasts(tab):
    """Return (text, contrast) of every SVG label against what is behind it.

    The labels are hidden, the page is photographed, and the median colour
    of the pixels under each label's box is taken as its background.
    """
    from PIL import Image

    texts = tab.evaluate(JS_SVG_TEXTS)
    tab.evaluate(JS_HIDE_TEXTS, True)
    shot = Image.open(io.BytesIO(tab.screenshot(full_page=True)))
    tab.evaluate(JS_HIDE_TEXTS, False)
    shot = shot.convert("RGB")
    out = []
    for t in texts:
        x, y, w, h = (round(v) for v in t["box"])
        region = shot.crop((x, y, x + max(w, 1), y + max(h, 1)))
        pixels = np.asarray(region).reshape(-1, 3)
        background = tuple(np.median(pixels, axis=0))
        out.append((t["text"], contrast(_rgb(t["fill"]), background)))
    return out


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("page", list(PAGES.values()), ids=list(PAGES))
def test_explorer_text_has_contrast(browser, book, page, theme):
    from axe_playwright_python.sync_playwright import Axe

    tab = open_page(browser, book, page, DESKTOP, theme)
    result = Axe().run(
        tab,
        context={"include": [["[data-explorer]"]]},
        options={
            "runOnly": ["color-contrast"],
            "resultTypes": ["violations"],
        },
    )
    serious = [
        f"{v['id']}: {n['target']} {n.get('failureSummary', '')[:160]}"
        for v in result.response["violations"]
        for n in v["nodes"]
        if n.get("impact") in ("serious", "critical")
    ]
    low = [
        f"{text!r} at {ratio:.2f}:1"
        for text, ratio in svg_label_contrasts(tab)
        if ratio < MIN_CONTRAST
    ]
    tab.context.close()
    assert not serious, f"{page} ({theme}): " + "; ".join(serious)
    assert not low, f"{page} ({theme}) SVG labels: " + ", ".join(low)


# -- charts ------------------------------------------------------------------

JS_CHART_TEXT_SIZES = """
() => [...document.querySelectorAll('[data-explorer] svg.bp-chart text')]
  .filter((t) => t.textContent.trim())
  .map((t) => [t.textContent.trim(),
    parseFloat(getComputedStyle(t).fontSize)
    * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b)])
"""

# Chart text drawn (partly) outside its SVG, which the page cuts off.
JS_TEXT_OUTSIDE = """
() => [...document.querySelectorAll('[data-explorer] svg.bp-chart')].flatMap((svg) => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim()).filter((t) => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1;
  }).map((t) => t.textContent.trim());
})
"""

JS_CLIPPING = """
() => [...document.querySelectorAll('[data-explorer] svg.bp-chart')].map((svg) => {
  const plot = svg.querySelector('.bp-plot'), frame = svg.querySelector('.bp-frame');
  const ref = (plot.getAttribute('clip-path') || '').match(/url\\(#(.+)\\)/);
  const rect = ref && svg.querySelector(`clipPath[id="${ref[1]}"] rect`);
  const geometry = (r) => ['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k)));
  return {frame: geometry(frame), clip: rect ? geometry(rect) : null,
          items: plot.children.length};
})
"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("page", list(PAGES.values()), ids=list(PAGES))
def test_chart_labels_are_12px_and_plots_clipped(
    browser, book, page, viewport
):
    tab = open_page(browser, book, page, viewport)
    sizes = tab.evaluate(JS_CHART_TEXT_SIZES)
    charts = tab.evaluate(JS_CLIPPING)
    cut = tab.evaluate(JS_TEXT_OUTSIDE)
    tab.context.close()
    assert cut == [], (
        f"{page} at {viewport['width']} px: text cut off {cut}"
    )
    small = [
        f"{t!r} {px:.1f} px" for t, px in sizes if px < MIN_LABEL_PX - 0.05
    ]
    assert not small, f"{page} at {viewport['width']} px: " + ", ".join(
        small
    )
    for chart in charts:
        assert chart["clip"] == chart["frame"], (
            f"{page}: a chart's plot is clipped to {chart['clip']}, "
            f"its axes are {chart['frame']}"
        )


def test_log_axis_has_two_labelled_ticks_at_every_batch_size(browser, book):
    tab = open_page(browser, book, PAGES["training"], DESKTOP)
    root = tab.locator("[data-explorer=training]")
    m = int(
        root.locator("input[data-control=batch_size]").get_attribute("max")
    )
    for batch in (1, 2, 8, m):
        tab.evaluate(
            """([root, b]) => { const model = root.bpModel;
              model.set('controls', {...model.get('controls'), batch_size: b});
              model.save_changes(); }""",
            [root.element_handle(), batch],
        )
        labels = root.evaluate(
            """(r) => { const svg = r.querySelector('svg.bp-chart');
              const left = svg.querySelector('.bp-frame').getBBox().x;
              return [...svg.querySelectorAll('.bp-axes text')]
                .filter((t) => t.getBBox().x + t.getBBox().width <= left)
                .map((t) => t.textContent); }"""
        )
        ticks = [t for t in labels if t and t[0].isdigit()]
        assert len(ticks) >= 2, f"batch size {batch}: y ticks {labels}"
    tab.context.close()


# -- chapter 7: the readout under the pointer -------------------------------


def _number(text):
    return float(text.strip().replace("\u2212", "-"))


def test_network_hover_readout_follows_the_state(browser, book):
    tab = open_page(browser, book, PAGES["network"], DESKTOP)
    root = tab.locator("[data-explorer=network]")
    edge = root.locator('[data-id="w:2:1:1"] .bp-hit')
    hover = root.locator(".bp-hover")
    edge.scroll_into_view_if_needed()
    box = edge.bounding_box()
    pointer = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]

    def check(after):
        # The item under the pointer, and the gradient the state gives it.
        state = json.loads(root.get_attribute("data-state"))
        under = tab.evaluate(
            """([x, y]) => { const g = document.elementFromPoint(x, y)
                 .closest('[data-id]'); return g ? g.dataset.id : null; }""",
            pointer,
        )
        shown = hover.inner_text()
        kind, l, j, k = under.split(":")
        l, j, k = int(l), int(j), int(k)
        if kind == "w":
            expected = state["dW"][l - 1][j - 1][k - 1]
            value = _number(shown.rsplit("= ", 1)[1])
        else:
            assert kind == "b", under
            expected = state["delta"][l][j - 1][0]
            value = _number(
                shown.split("δ = ")[1].split("= ")[1].split(",")[0]
            )
        assert value == pytest.approx(expected, rel=2e-3, abs=1e-9), (
            f"after {after}: the readout of {under} says {value} "
            f"({shown!r}), the state {expected}"
        )

    edge.click()  # selects w²₁₁, with the pointer on it
    check("selecting w²₁₁")
    root.locator("[data-control=exact]").fill("3")
    root.locator("[data-control=exact]").dispatch_event("change")
    check("typing 3")
    root.locator("input[data-control=value]").press("ArrowLeft")
    check("the slider")
    for key, option in [
        ("hidden", "relu"),
        ("pairing", "softmax_ce"),
        ("depth", "3"),
        ("depth", "2"),
    ]:
        root.locator(f"select[data-control={key}]").select_option(option)
        check(f"{key} = {option}")
    tab.context.close()


# -- chapter 10: Play ------------------------------------------------------


def _epochs(root):
    return json.loads(root.get_attribute("data-state"))["epoch"]


def test_play_runs_the_epochs_and_pauses(browser, book):
    tab = open_page(browser, book, PAGES["training"], DESKTOP)
    root = tab.locator("[data-explorer=training]")
    play = root.locator("button.bp-play")
    tab.evaluate(
        """(root) => { const model = root.bpModel;
          model.set('controls', {...model.get('controls'), epochs: 0});
          model.save_changes(); }""",
        root.element_handle(),
    )
    assert _epochs(root) == 0
    play.focus()
    tab.keyboard.press("Enter")  # the keyboard starts it
    tab.wait_for_timeout(600)
    running = _epochs(root)
    assert running > 0, "Play did not advance the epochs"
    tab.keyboard.press("Space")  # and pauses it
    paused = _epochs(root)
    tab.wait_for_timeout(500)
    assert _epochs(root) == paused, "Pause did not stop the epochs"
    assert "Play" in play.inner_text()
    play.click()
    end = int(
        root.locator("input[data-control=epochs]").get_attribute("max")
    )
    tab.wait_for_function(
        "(r) => JSON.parse(r.dataset.state).epochs >= Number("
        "r.querySelector('input[data-control=epochs]').max)",
        arg=root.element_handle(),
        timeout=15000,
    )
    tab.wait_for_timeout(300)
    assert _epochs(root) <= end
    assert "Play" in play.inner_text(), "Play did not stop at the end"
    tab.context.close()


def test_play_with_reduced_motion_takes_few_steps(browser, book):
    tab = open_page(
        browser, book, PAGES["training"], DESKTOP, reduced_motion="reduce"
    )
    root = tab.locator("[data-explorer=training]")
    tab.evaluate(
        """(root) => { const model = root.bpModel;
          model.set('controls', {...model.get('controls'), epochs: 0});
          model.save_changes(); }""",
        root.element_handle(),
    )
    seen = set()
    root.locator("button.bp-play").click()
    for _ in range(8):
        tab.wait_for_timeout(250)
        seen.add(json.loads(root.get_attribute("data-state"))["epochs"])
    tab.context.close()
    assert len(seen) <= 4, f"reduced motion still animates: {sorted(seen)}"
