"""The practice problems in headless Chromium, from file://, against the package.

One page holds the book's HTML of every kind (the very text/html a
chapter's cell shows). For ≥ 100 random seeds of each kind, in one
page.evaluate per kind:

- the page draws the same problem as `problems.draw` (exactly: the short
  decimals are the same doubles);
- the page's right answers (engine.js, the rules) and every mistake's
  numbers (mistakes.js) equal the package's (`bp.rules`, `bp.mistakes`)
  to 1e-12 relative;
- typed into the inputs and checked with the Check button: the right
  answer to 3 significant figures gives `correct`, each mistake's numbers
  to 4 significant figures give that mistake's id (or, where another
  mistake gives the same numbers on that problem to 1 %, that one's: the
  test counts how often), nonsense gives `invalid`.

A broken rule in the page's engine must make the comparison fail.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop import problems
from browser_support import compare_states, launch_chromium, open_local

pytestmark = pytest.mark.browser

N_SEEDS = 100
N_STATES = 15  # seeds whose whole data-state is compared after each check
RTOL = 1e-12


@pytest.fixture(scope="module")
def browser(playwright_session):
    b = launch_chromium(playwright_session)
    yield b
    b.close()


def _write_page(folder, replace=None):
    parts = [
        problems.show(kind, seed=1).book_html() for kind in problems.KINDS
    ]
    text = "\n".join(parts)
    if replace is not None:
        old, new = replace
        assert old in text, f"{old!r} is not in the page's script"
        text = text.replace(old, new)
    path = folder / "problems.html"
    path.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>problems</title></head><body><main>{text}</main>"
        "</body></html>",
        encoding="utf-8",
    )
    return path


def _open(browser, path):
    context, page, errors = open_local(browser, path)
    page.wait_for_function(
        f"document.querySelectorAll('.bp-live[data-problem]').length === {len(problems.KINDS)}"
    )
    return context, page, errors


JS_NUMBERS = """
([kind, seeds]) => {
  const el = document.querySelector(`[data-problem="${kind}"]`);
  const P = el.bpProblems, config = el.bpModel.get("config");
  return seeds.map((seed) => {
    const p = P.draw(config, seed);
    return { weights: p.weights, biases: p.biases, X: p.X, Y: p.Y,
      asks: p.asks, attempt: p.attempt, answers: P.answers(p),
      mistakes: P.mistakeAnswers(p, config) };
  });
}
"""

# Type each set of entries of each step into the inputs, press Check, and
# record data-verdict (and, for the first seeds, data-state); after the
# last set of a step (the right answer) press "Next quantity".
JS_TYPE = """
([kind, jobs, nStates]) => {
  const el = document.querySelector(`[data-problem="${kind}"]`);
  const out = [];
  jobs.forEach(({seed, steps}, n) => {
    el.bpModel.set("controls", {seed, step: 0, entries: {}, checked: false});
    el.bpModel.save_changes();
    const seen = [];
    steps.forEach((sets, s) => {
      const row = [];
      for (const entries of sets) {
        for (const input of el.querySelectorAll("input[data-entry]")) {
          input.value = entries[input.getAttribute("data-entry")] ?? "";
          input.dispatchEvent(new Event("input", {bubbles: true}));
        }
        el.querySelector('[data-action="check"]').click();
        row.push({verdict: el.getAttribute("data-verdict"),
          state: n < nStates ? JSON.parse(el.getAttribute("data-state")) : null});
      }
      const next = el.querySelector('[data-action="next"]');
      if (s + 1 < steps.length) {
        if (next.hidden) throw new Error(`no next button after step ${s}`);
        next.click();
      }
      seen.push(row);
    });
    out.push(seen);
  });
  return out;
}
"""


def _seeds(kind):
    rng = np.random.default_rng(len(kind))
    return [0, 1, 2**32 - 1] + [
        int(s) for s in rng.integers(0, 2**32, size=N_SEEDS - 3)
    ]


def _fmt(values, digits):
    return {
        k: f"{v:.{digits}g}"
        for k, v in zip(problems.entry_keys(values.shape), values.ravel())
    }


def _within(typed, values):
    """True when every typed number is within 1 % of values (the page's stated precision)."""
    got = np.array([float(v) for v in typed.values()])
    want = np.ravel(values)
    return bool(np.all(np.abs(got - want) <= 0.01 * np.abs(want) + 1e-12))


def _close(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and bool(
        np.all(np.abs(got - want) <= RTOL * np.abs(want) + 1e-15)
    )


NONSENSE = ["abc", "", "1/3", "0.1.2", "nan"]


def _jobs(kind, seeds):
    """Return the typing jobs and, per seed and step, what each set expects."""
    jobs, expected = [], []
    for n, seed in enumerate(seeds):
        p = problems.draw(kind, seed)
        right = problems.answers(p)
        wrong = problems.mistake_answers(p)
        steps, expects = [], []
        for s in range(len(p.asks)):
            sets, exp = [], []
            for key, values in wrong[s].items():
                typed = _fmt(values, 4)
                sets.append(typed)
                if _within(typed, right[s]):
                    exp.append(("same as right", key, {"correct"}))
                    continue
                ids = {
                    problems.VARIANTS[k].id
                    for k, v in wrong[s].items()
                    if _within(typed, v)
                }
                exp.append(("mistake", key, ids))
            bad = _fmt(right[s], 4)
            bad[next(iter(bad))] = NONSENSE[n % len(NONSENSE)]
            sets.append(bad)
            exp.append(("nonsense", None, {"invalid"}))
            sets.append(_fmt(right[s], 3))
            exp.append(("right", None, {"correct"}))
            steps.append(sets)
            expects.append(exp)
        jobs.append({"seed": seed, "steps": steps})
        expected.append(expects)
    return jobs, expected


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    path = _write_page(tmp_path_factory.mktemp("problems"))
    context, page, errors = _open(browser, path)
    yield page, errors
    context.close()


@pytest.mark.parametrize("kind", list(problems.KINDS))
def test_page_numbers_equal_the_package(page, kind):
    page, errors = page
    seeds = _seeds(kind)
    assert len(seeds) >= 100
    got = page.evaluate(JS_NUMBERS, [kind, seeds])
    compared = 0
    for seed, g in zip(seeds, got):
        p = problems.draw(kind, seed)
        # the same seed, the same problem: exactly the same numbers
        assert g["weights"] == [W.tolist() for W in p.weights], seed
        assert g["biases"] == [b.tolist() for b in p.biases], seed
        assert g["X"] == p.X.tolist() and g["Y"] == p.Y.tolist(), seed
        assert [tuple(a) for a in g["asks"]] == list(p.asks), seed
        assert g["attempt"] == p.attempt, seed
        for s, want in enumerate(problems.answers(p)):
            assert _close(g["answers"][s], want), (seed, s)
        for s, want in enumerate(problems.mistake_answers(p)):
            assert set(g["mistakes"][s]) == set(want), (seed, s)
            for key, values in want.items():
                assert _close(g["mistakes"][s][key], values), (seed, s, key)
                compared += 1
    assert compared >= len(seeds)
    assert errors == []


@pytest.mark.parametrize("kind", list(problems.KINDS))
def test_typed_answers_get_their_verdicts(page, kind):
    page, errors = page
    seeds = _seeds(kind)
    jobs, expected = _jobs(kind, seeds)
    got = page.evaluate(JS_TYPE, [kind, jobs, N_STATES])
    counts = {"mistake": 0, "shared": 0, "same as right": 0}
    states = 0
    for job, exp_seed, got_seed in zip(jobs, expected, got):
        for s, (exp_step, got_step) in enumerate(zip(exp_seed, got_seed)):
            for entries, (what, key, ids), result in zip(
                job["steps"][s], exp_step, got_step
            ):
                where = f"{kind} seed {job['seed']} step {s} {what} {key}"
                assert result["verdict"] in ids, (
                    f"{where}: {result['verdict']}"
                )
                if what == "mistake":
                    counts["mistake"] += 1
                    counts["shared"] += len(ids) > 1
                elif what == "same as right":
                    counts["same as right"] += 1
                if result["state"] is not None:
                    controls = {
                        "seed": job["seed"],
                        "step": s,
                        "entries": entries,
                        "checked": True,
                    }
                    want = problems.state(problems.config(kind), controls)
                    diff = compare_states(result["state"], want, 1e-15)
                    assert diff == [], f"{where}: {diff[:3]}"
                    states += 1
    # every kind recognises mistakes; say how often two looked alike
    assert counts["mistake"] >= len(seeds)
    assert states >= N_STATES
    print(
        f"\n{kind}: {counts['mistake']} mistakes typed, "
        f"{counts['shared']} matched another mistake's numbers too, "
        f"{counts['same as right']} gave the right numbers (to 1 %)"
    )
    assert errors == []


def test_new_problem_button_draws_the_next_seed(page):
    page, errors = page
    got = page.evaluate(
        """() => {
          const el = document.querySelector('[data-problem="weight_gradient"]');
          el.bpModel.set("controls", {seed: 41, step: 0, entries: {}, checked: false});
          el.bpModel.save_changes();
          el.querySelector('[data-action="new"]').click();
          return [JSON.parse(el.getAttribute("data-state")),
                  el.hasAttribute("data-verdict"),
                  el.querySelectorAll("input[data-entry]").length];
        }"""
    )
    state, has_verdict, n_inputs = got
    want = problems.state(
        problems.config("weight_gradient"), problems.default_controls(42)
    )
    assert compare_states(state, want, 1e-15) == []
    assert not has_verdict and n_inputs == 4
    assert errors == []


def test_labels_and_live_verdict(page):
    page, _ = page
    info = page.evaluate(
        """() => [...document.querySelectorAll("[data-problem]")].map((el) => ({
          unlabelled: [...el.querySelectorAll("input")].filter((i) =>
            !el.querySelector(`label[for="${i.id}"]`)).length,
          live: el.querySelector(".bp-verdict").getAttribute("aria-live"),
          buttons: [...el.querySelectorAll("button")].map((b) => b.getAttribute("data-action")),
        }))"""
    )
    assert len(info) == len(problems.KINDS)
    for item in info:
        assert item["unlabelled"] == 0
        assert item["live"] == "polite"
        assert {"check", "new"} <= set(item["buttons"])


def test_broken_engine_rule_is_caught(browser, tmp_path):
    # Rule 2 without its ⊙ σ'(z): the page's hidden errors must differ.
    path = _write_page(
        tmp_path,
        replace=(
            "mat.mul(mat.matmulT(W_next, delta_next), dsigma)",
            "mat.matmulT(W_next, delta_next)",
        ),
    )
    context, page, _ = _open(browser, path)
    try:
        seeds = _seeds("hidden_error")[:20]
        got = page.evaluate(JS_NUMBERS, ["hidden_error", seeds])
    finally:
        context.close()
    mismatches = sum(
        not _close(
            g["answers"][0],
            problems.answers(problems.draw("hidden_error", s))[0],
        )
        for s, g in zip(seeds, got)
        if g["attempt"] == problems.draw("hidden_error", s).attempt
    )
    assert mismatches > 0, "breaking rule 2 in the page went unnoticed"


# The anywidget host without JupyterLab: the widget's own ES module is
# imported from a blob URL, rendered with a model that records what the
# view sends; Python answers with its state, as the kernel does.
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
  for (const input of el.querySelectorAll("input[data-entry]")) input.value = "-0.5";
  el.querySelector('[data-action="check"]').click();
  window.bpWidget = {el, listeners, values};
  return sent[sent.length - 1];
}
"""


def test_widget_module_shows_python_verdict(browser):
    widget = problems.show("output_error", seed=5)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("about:blank")
    data = {
        "config": widget.config,
        "controls": widget.controls,
        "state": widget.state,
    }
    sent = page.evaluate(JS_ANYWIDGET, [widget._esm, data])
    assert sent["checked"] is True
    assert sent["entries"] == {"1,1": "-0.5", "2,1": "-0.5"}
    widget.controls = sent  # the kernel's answer
    shown = page.evaluate(
        """(state) => {
          const w = window.bpWidget;
          w.values.state = state;
          for (const cb of w.listeners["change:state"] || []) cb();
          return [w.el.getAttribute("data-verdict"),
                  w.el.querySelector(".bp-verdict").textContent];
        }""",
        widget.state,
    )
    assert shown[0] == widget.state["verdict"]["verdict"] == "unknown"
    assert widget.state["verdict"]["message"] in shown[1]
    page.close()
    assert errors == []
    json.dumps(widget.state, allow_nan=False)
