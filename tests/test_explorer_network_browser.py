"""The whole-network explorer's view (chapter 7), in headless Chromium.

What only the view computes, the chain of rules behind the selected
entry's gradient and the resizing of the network (web/network.js), is
checked against references independent of it: the package's state (δ, σ′,
∂C/∂W, ∂C/∂b), each rule's formula applied to the numbers of its step,
centred finite differences of the package's cost, and the spec's ranges.
The page is the explorer's book HTML, opened from file:// as in
tests/test_engine_browser.py; it publishes the chain it draws as
data-chain, and the text it shows is read back too.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from backprop.explorers import network as nx
from backprop.explorers.controls import check_controls, entries
from browser_support import compare_states, explorer_page, launch_chromium
from explorer_settings import sample_controls

pytestmark = pytest.mark.browser

EXPLORER = nx.show()
CONFIG = EXPLORER.config
RTOL, ATOL = 1e-9, EXPLORER.compare_atol
KEY = {"w": "weights", "b": "biases", "x": "X", "y": "Y"}

# Set each controls dict through the page's model, as a control does, and
# read back what the view drew: its chain, state, chain lines and readout.
JS_SHOW = """(cases) => {
  const el = document.querySelector("[data-explorer]");
  return cases.map((c) => {
    el.bpModel.set("controls", c);
    el.bpModel.save_changes();
    return {
      chain: JSON.parse(el.getAttribute("data-chain")),
      state: JSON.parse(el.getAttribute("data-state")),
      lines: [...el.querySelectorAll("ol.bp-chain li")].map((li) => li.textContent),
      readout: el.querySelector(".bp-readout-line").textContent,
    };
  });
}"""


@pytest.fixture(scope="module")
def browser(playwright_session):
    b = launch_chromium(playwright_session)
    yield b
    b.close()


def cases(n_settings, seed):
    """Return random controls, each with every entry of its network selected."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_settings):
        c = sample_controls(EXPLORER, rng)
        # Moderate numbers: accurate finite differences, no ReLU on its kink.
        for key in ("weights", "biases"):
            c[key] = [(np.array(M) / 3).tolist() for M in c[key]]
        onehot = nx.PAIRINGS[c["pairing"]][1] == "cross_entropy"
        ctx = {"sizes": c["sizes"], "onehot": onehot}
        for sel in entries(("w", "b", "x", "y"), ctx):
            out.append({**c, "selected": sel})
    return out


def entry(c, sel, change):
    """Return controls c with the selected entry moved by change."""
    c = json.loads(json.dumps(c))
    M = c[KEY[sel["kind"]]]
    if sel["kind"] in "wb":
        M = M[sel["l"] - 1]
    row = M[sel["j"] - 1]
    row[sel.get("k", 1) - 1] += change
    return c


def finite_difference(c, sel, eps=1e-6):
    """∂C/∂(the selected entry), centred differences of the package's cost."""
    up = nx.state(CONFIG, entry(c, sel, eps))["C"]
    down = nx.state(CONFIG, entry(c, sel, -eps))["C"]
    return (up - down) / (2 * eps)


def expected_steps(sizes, sel):
    """Return the (rule, l, j) of the chain of sel, from the output back.

    Rule 1 at every output unit, rule 2 at every unit of the layers below
    down to the selection's, where only unit j is needed (every unit of
    layer 1 for an input); then rule 0 (inputs), 3 or 4; none for a target.
    """
    L = len(sizes) - 1
    kind, j = sel["kind"], sel["j"]
    if kind == "y":
        return []
    lowest = 1 if kind == "x" else sel["l"]
    steps = []
    for l in range(L, lowest - 1, -1):
        only_j = l == lowest and kind != "x"
        units = [j] if only_j else range(1, sizes[l] + 1)
        steps += [(1 if l == L else 2, l, u) for u in units]
    last = {"x": (0, 0, j), "b": (3, sel.get("l"), j)}
    return steps + [last.get(kind, (4, sel.get("l"), j))]


def close(got, want):
    return abs(got - want) <= RTOL * abs(want) + ATOL


def shown_number(text):
    """Return the last number of a line the view shows (after its last '=')."""
    tail = text.rsplit("=", 1)[1].strip().replace("\u2212", "-")
    return float(re.match(r"-?[0-9.]+(e-?[0-9]+)?", tail).group(0))


def chain_problems(c, shown):
    """Return what is wrong in the chain the page drew for controls c."""
    s = nx.state(CONFIG, c)  # the package's numbers
    sizes, sel = c["sizes"], c["selected"]
    L = len(sizes) - 1
    chain, out = shown["chain"], []
    steps, grad = chain["chain"], chain["grad"]

    def want(what, got, value):
        if not close(got, value):
            out.append(f"{sel} {what}: view {got!r}, expected {value!r}")

    if chain["selected"] != sel:
        return [f"the view selected {chain['selected']}, not {sel}"]
    where = [(t["rule"], t["l"], t["j"]) for t in steps]
    if where != expected_steps(sizes, sel):
        return [f"{sel}: steps {where} != {expected_steps(sizes, sel)}"]
    fd = finite_difference(c, sel)
    if abs(grad - fd) > 1e-5 * abs(fd) + 1e-8:
        out.append(f"{sel}: ∂C {grad!r}, finite differences {fd!r}")
    for t in steps:
        l, i = t["l"], t["j"] - 1
        if t["rule"] in (1, 2):
            want(f"δ^{l}_{i + 1}", t["value"], s["delta"][l][i][0])
            if s["dsigma"][l]:
                want("σ′", t["dsigma"], s["dsigma"][l][i][0])
            elif "dsigma" in t:
                out.append(f"{sel}: a softmax output has no σ′ factor")
        if t["rule"] == 1:
            want("a^L", t["a"], s["a"][L][i][0])
            want("y", t["y"], c["Y"][i][0])
            want(
                "rule 1", t["value"], (t["a"] - t["y"]) * t.get("dsigma", 1)
            )
        elif t["rule"] in (0, 2):
            W, d = s["weights"][l], s["delta"][l + 1]  # W^{l+1}, δ^{l+1}
            terms = [[W[r][i], d[r][0]] for r in range(sizes[l + 1])]
            if len(t["terms"]) != len(terms):
                out.append(f"{sel}: {len(t['terms'])} terms in rule 2")
            for (w, dn), (w0, d0) in zip(t["terms"], terms):
                want("a term's w", w, w0)
                want("a term's δ", dn, d0)
            total = sum(w * dn for w, dn in t["terms"])
            want(
                f"rule {t['rule']}", t["value"], total * t.get("dsigma", 1)
            )
            if t["rule"] == 0 and "dsigma" in t:
                out.append(f"{sel}: an input has no σ′ factor")
        elif t["rule"] == 3:
            want("rule 3", t["value"], s["db"][l - 1][i][0])
        else:
            k = t["k"] - 1
            want("δ of rule 4", t["delta"], s["delta"][l][i][0])
            want("a_prev of rule 4", t["a_prev"], s["a"][l - 1][k][0])
            want("rule 4", t["value"], t["delta"] * t["a_prev"])
            want("∂C/∂w", t["value"], s["dW"][l - 1][i][k])
    if steps:
        want("the last step", steps[-1]["value"], grad)
    # What the reader sees: one line per step (one for a target), each
    # ending with its value (4 digits, or 5 decimals), and the readout's
    # gradient (5 decimals).
    values = [t["value"] for t in steps] or [grad]
    if len(shown["lines"]) != len(values):
        out.append(f"{sel}: {len(shown['lines'])} lines shown")
    for line, v in zip(shown["lines"], values):
        if abs(shown_number(line) - v) > 1e-3 * abs(v) + 5e-6:
            out.append(f"{sel}: the line {line!r} does not end with {v}")
    if abs(shown_number(shown["readout"]) - grad) > 5e-6:
        out.append(f"{sel}: the readout {shown['readout']!r} is not {grad}")
    return out


def show_all(page, settings):
    return page.evaluate(JS_SHOW, settings)


def test_chain_of_every_entry_matches_the_rules_and_the_package(
    browser, tmp_path
):
    settings = cases(8, seed=7)
    kinds = {(c["selected"]["kind"], c["pairing"]) for c in settings}
    assert {k for k, _ in kinds} == {"w", "b", "x", "y"}
    with explorer_page(browser, tmp_path, EXPLORER) as (page, errors):
        shown = show_all(page, settings)
    problems = []
    for c, got in zip(settings, shown):
        problems += chain_problems(c, got)
        problems += compare_states(got["state"], nx.state(CONFIG, c), ATOL)
    assert problems == [], "\n".join(problems[:10])
    assert errors == []


# Breaks of the view's chain, each of which the test above must catch.
BREAKS = [
    # Rule 2 without σ′ (the view writes the factor 1).
    ("dsigma: s.dsigma[l][i][0], value", "dsigma: 1, value"),
    # The selected weight's gradient read from the wrong column.
    (
        "const grad = s.dW[l - 1][j - 1][k - 1]",
        "const grad = s.dW[l - 1][j - 1][0]",
    ),
    # An input's gradient without its last term.
    (
        "for (let r = 0; r < sizes[1]; r++) {",
        "for (let r = 1; r < sizes[1]; r++) {",
    ),
]


@pytest.mark.parametrize(
    "old, new", BREAKS, ids=["sigma", "column", "input"]
)
def test_a_broken_chain_is_caught(browser, tmp_path, old, new):
    settings = cases(3, seed=11)
    with explorer_page(browser, tmp_path, EXPLORER, replace=(old, new)) as (
        page,
        errors,
    ):
        shown = show_all(page, settings)
    problems = [
        p for c, got in zip(settings, shown) for p in chain_problems(c, got)
    ]
    assert problems, f"breaking {old!r} went unnoticed"


# -- resizing, through the view's own selects --------------------------------

JS_SET = """(c) => {
  const el = document.querySelector("[data-explorer]");
  el.bpModel.set("controls", c);
  el.bpModel.save_changes();
}"""
JS_READ = """() => {
  const el = document.querySelector("[data-explorer]");
  return [el.bpModel.get("controls"), JSON.parse(el.getAttribute("data-state"))];
}"""
ALL = ("w", "b", "x", "y")


def value(c, sel):
    """Return the entry sel of controls c."""
    M = c[KEY[sel["kind"]]]
    if sel["kind"] in "wb":
        M = M[sel["l"] - 1]
    return M[sel["j"] - 1][sel.get("k", 1) - 1]


def resize_problems(before, after, sizes):
    """Return how the resize from controls before to sizes went wrong."""
    if after["sizes"] != sizes:
        return [f"sizes {after['sizes']}, expected {sizes}"]
    out = []
    spec = {c["name"]: c for c in CONFIG["spec"]}
    onehot = nx.PAIRINGS[after["pairing"]][1] == "cross_entropy"
    old = entries(ALL, {"sizes": before["sizes"], "onehot": onehot})
    new = entries(ALL, {"sizes": sizes, "onehot": onehot})
    for sel in new:
        got = value(after, sel)
        if sel in old and got != value(before, sel):
            out.append(f"{sel} went from {value(before, sel)} to {got}")
        c = spec[KEY[sel["kind"]]]
        if not (np.isfinite(got) and c["lo"] <= got <= c["hi"]):
            out.append(f"{sel} = {got} is not in [{c['lo']}, {c['hi']}]")
    if onehot:
        cls = [r[0] for r in before["Y"]].index(1.0) + 1
        cls = cls if cls <= sizes[-1] else 1  # a lost class goes to 1
        one = [[1.0 if j == cls else 0.0] for j in range(1, sizes[-1] + 1)]
        if after["Y"] != one:
            out.append(f"the target {after['Y']} is not one-hot on {cls}")
    if (
        before["selected"] in new
        and after["selected"] != before["selected"]
    ):
        out.append(f"the selection {before['selected']} moved")
    try:
        check_controls(EXPLORER.spec, after, nx._context)
    except (TypeError, ValueError) as e:
        out.append(f"the package refuses the resized controls: {e}")
    return out


def test_resizing_keeps_what_exists_and_fills_the_rest(browser, tmp_path):
    rng = np.random.default_rng(5)
    problems, seen = [], set()
    with explorer_page(browser, tmp_path, EXPLORER) as (page, errors):
        root = page.locator("[data-explorer]")

        def choose(key, option):
            root.locator(f"select[data-control={key}]").select_option(
                option
            )

        for _ in range(6):
            page.evaluate(JS_SET, sample_controls(EXPLORER, rng))
            for _ in range(6):
                before = page.evaluate(JS_READ)[0]
                sizes = list(before["sizes"])
                L = len(sizes) - 1
                if rng.random() < 0.4:
                    # Depth: the inputs and outputs stay, hidden layers
                    # that still exist keep their widths.
                    depth = int(rng.integers(1, nx.MAX_LAYERS + 1))
                    choose("depth", str(depth))
                    hidden = [
                        sizes[l] if l < L else 3 for l in range(1, depth)
                    ]
                    sizes = [sizes[0], *hidden, sizes[-1]]
                    seen.add(("depth", depth > L))
                else:
                    layer = int(rng.integers(0, L + 1))
                    choose("layer", str(layer))
                    before = page.evaluate(JS_READ)[0]
                    sizes[layer] = int(rng.integers(1, nx.MAX_UNITS + 1))
                    choose("units", str(sizes[layer]))
                    seen.add(
                        ("units", before["sizes"][layer] < sizes[layer])
                    )
                after, shown = page.evaluate(JS_READ)
                problems += resize_problems(before, after, sizes)
                if not problems:
                    want = nx.state(CONFIG, after)
                    problems += compare_states(shown, want, ATOL)
    assert problems == [], "\n".join(problems[:10])
    assert {("depth", True), ("depth", False)} <= seen
    assert {("units", True), ("units", False)} <= seen
    assert errors == []
