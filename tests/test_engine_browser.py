"""The in-page engine against the package, in headless Chromium.

Every explorer module of `backprop.explorers` whose `show()` returns a
`host.Explorer` is discovered and checked the same way: its book HTML (the
very text/html the book shows) is loaded from file:// in Chromium; for at
least 50 random settings and every control's extremes (drawn from its
control spec by explorer_settings.py) the controls are set through the
page's model, and the numbers in `data-state` (computed by engine.js and the
view) must equal `state(config, controls)` computed by the package (Python)
to 1e-9 relative. A second test breaks a rule in the page's engine and
asserts that the comparison then fails.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from browser_support import (
    compare_states,
    engine_explorers,
    explorer_page,
    launch_chromium,
)
from explorer_settings import extreme_controls, sample_controls

pytestmark = pytest.mark.browser

N_RANDOM = 50
EXPLORERS = engine_explorers()


@pytest.fixture(scope="module")
def browser(playwright_session):
    b = launch_chromium(playwright_session)
    yield b
    b.close()


def _settings(explorer, seed):
    rng = np.random.default_rng(seed)
    settings = list(extreme_controls(explorer))
    settings += [sample_controls(explorer, rng) for _ in range(N_RANDOM)]
    return settings


def _page_states(page, settings):
    # Set each controls dict through the page's model (what a control does)
    # and read back the data-state the view published after redrawing.
    return page.evaluate(
        """(settings) => {
          const el = document.querySelector("[data-explorer]");
          return settings.map((c) => {
            el.bpModel.set("controls", c);
            el.bpModel.save_changes();
            return JSON.parse(el.getAttribute("data-state"));
          });
        }""",
        settings,
    )


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_engine_matches_package(browser, tmp_path, name):
    explorer = EXPLORERS[name]()
    settings = _settings(explorer, seed=len(name))
    assert len(settings) >= N_RANDOM + 2
    with explorer_page(browser, tmp_path, explorer) as (page, errors):
        initial = json.loads(
            page.get_attribute("[data-explorer]", "data-state")
        )
        assert compare_states(initial, explorer.state) == []
        states = _page_states(page, settings)
    problems = []
    for controls, got in zip(settings, states):
        want = explorer.compute_state(explorer.config, controls)
        for p in compare_states(got, want, explorer.compare_atol):
            problems.append(f"{controls}: {p}")
    assert problems == [], "\n".join(problems[:10])
    assert errors == [], errors


# One deliberately wrong rule per explorer: (text in the page's script,
# replacement). The comparison must then fail.
BREAKS = {
    "output_error": (
        "output_error: (grad_a, dsigma) => mat.mul(grad_a, dsigma)",
        "output_error: (grad_a, dsigma) => grad_a",
    ),
    "hidden_error": (
        "mat.mul(mat.matmulT(W_next, delta_next), dsigma)",
        "mat.matmulT(W_next, delta_next)",
    ),
    "network": (
        "mat.mul(mat.matmulT(W_next, delta_next), dsigma)",
        "mat.matmulT(W_next, delta_next)",
    ),
    "weights": (
        "delta.map((row) => [row.reduce((s, v) => s + v, 0) / row.length])",
        "delta.map((row) => [row.reduce((s, v) => s + v, 0)])",
    ),
    "nudge": (
        "return mat.map(mat.matmul(delta, mat.T(a_prev)), (v) => v / m);",
        "return mat.matmul(delta, mat.T(a_prev));",
    ),
}


@pytest.mark.parametrize("name", sorted(set(BREAKS) & set(EXPLORERS)))
def test_broken_engine_rule_is_caught(browser, tmp_path, name):
    explorer = EXPLORERS[name]()
    settings = _settings(explorer, seed=1)[:12]
    old, new = BREAKS[name]
    with explorer_page(browser, tmp_path, explorer, replace=(old, new)) as (
        page,
        errors,
    ):
        states = _page_states(page, settings)
    mismatches = sum(
        bool(
            compare_states(
                got,
                explorer.compute_state(explorer.config, controls),
                explorer.compare_atol,
            )
        )
        for controls, got in zip(settings, states)
    )
    assert mismatches > 0, f"breaking {old!r} went unnoticed"


# The anywidget host, without JupyterLab: the widget's own ES module (_esm)
# is imported from a blob URL, as anywidget does, and rendered with a model
# that records what the view sends; Python answers with its state, as the
# kernel does, and the view must show exactly those numbers.
JS_ANYWIDGET = """
async ([esm, data]) => {
  const url = URL.createObjectURL(new Blob([esm], {type: "text/javascript"}));
  const mod = await import(url);
  const values = {...data}, listeners = {}, sent = [];
  const model = {
    get: (k) => values[k],
    set: (k, v) => { values[k] = v; },
    save_changes: () => sent.push(values.controls),
    on: (e, cb) => { (listeners[e] ||= []).push(cb); },
    off: () => {},
  };
  const el = document.createElement("div");
  document.body.append(el);
  mod.default.render({model, el});
  window.bpWidget = {model, el, sent, listeners, values};
  return el.getAttribute("data-explorer");
}
"""

JS_MOVE_FIRST_CONTROL = """
() => {
  const {el, sent} = window.bpWidget;
  const c = el.querySelector("input[type=range]");
  c.value = c.max;
  c.dispatchEvent(new Event("input", {bubbles: true}));
  return sent[sent.length - 1];
}
"""

JS_PYTHON_ANSWERS = """
(state) => {
  const w = window.bpWidget;
  w.values.state = state;
  for (const cb of w.listeners["change:state"] || []) cb();
  return JSON.parse(w.el.getAttribute("data-state"));
}
"""


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_widget_module_renders_with_python_numbers(browser, name):
    explorer = EXPLORERS[name]()
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("about:blank")
    data = {
        "config": explorer.config,
        "controls": explorer.controls,
        "state": explorer.state,
    }
    assert page.evaluate(JS_ANYWIDGET, [explorer._esm, data]) == name
    controls = page.evaluate(JS_MOVE_FIRST_CONTROL)
    assert controls != explorer.controls  # the view sent a change
    state = explorer.set_controls(**controls)  # the kernel's answer
    shown = page.evaluate(JS_PYTHON_ANSWERS, state)
    assert compare_states(shown, state, atol=0.0) == []
    page.close()
    assert errors == []
