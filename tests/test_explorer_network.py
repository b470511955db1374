"""Tests for backprop.explorers.network, the whole-network explorer (chapter 7).

The references are independent of the code under test: a forward pass and
cost written out here in plain NumPy for every activation and pairing, and
centred finite differences of that cost for every weight, bias, input and
target. The browser side (the page's engine against this package) is in
tests/test_engine_browser.py; the built book's explorers are moved in
tests/test_explorer_pages.py.
"""

import copy
import html
import json
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from backprop.explorers import network as nx  # noqa: E402

SIGMA = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
}


def reference_cost(c):
    """C for controls c, written out: z = W a + b, a = σ(z), then ½‖a − y‖² or −Σ y ln softmax(z)."""
    output, loss, _ = nx.PAIRINGS[c["pairing"]]
    a = np.array(c["X"], dtype=float)
    L = len(c["weights"])
    for l in range(1, L + 1):
        z = np.array(c["weights"][l - 1]) @ a + np.array(c["biases"][l - 1])
        if l < L:
            a = SIGMA[c["hidden"]](z)
    y = np.array(c["Y"], dtype=float)
    if loss == "cross_entropy":
        return float(-np.sum(y * (z - np.log(np.sum(np.exp(z))))))
    return float(0.5 * np.sum((SIGMA[output](z) - y) ** 2))


def finite_difference(c, where, eps=1e-6):
    """∂C/∂(the entry at `where`: key, then indices) by centred differences."""
    plus, minus = copy.deepcopy(c), copy.deepcopy(c)
    for d, sign in ((plus, 1), (minus, -1)):
        M = d[where[0]]
        for i in where[1:-1]:
            M = M[i]
        M[where[-1]] += sign * eps
    return (reference_cost(plus) - reference_cost(minus)) / (2 * eps)


def settings(n=12, seed=0):
    rng = np.random.default_rng(seed)
    out = [nx.default_controls()]
    while len(out) < n:
        c = nx.random_controls(rng)
        # Keep the random numbers moderate, so finite differences are
        # accurate and no ReLU sits on its kink.
        c["weights"] = [(np.array(W) / 3).tolist() for W in c["weights"]]
        c["biases"] = [(np.array(b) / 3).tolist() for b in c["biases"]]
        out.append(c)
    return out


@pytest.mark.parametrize("c", settings(), ids=lambda c: str(c["sizes"]))
def test_every_gradient_equals_finite_differences(c):
    s = nx.state(nx.config(), c)
    assert s["C"] == pytest.approx(reference_cost(c), rel=1e-12)
    for l, W in enumerate(c["weights"], start=1):
        for j, row in enumerate(W):
            assert s["db"][l - 1][j][0] == pytest.approx(
                finite_difference(c, ("biases", l - 1, j, 0)),
                rel=1e-5,
                abs=1e-8,
            )
            for k in range(len(row)):
                assert s["dW"][l - 1][j][k] == pytest.approx(
                    finite_difference(c, ("weights", l - 1, j, k)),
                    rel=1e-5,
                    abs=1e-8,
                )


@pytest.mark.parametrize("c", settings(8, 1), ids=lambda c: str(c["sizes"]))
def test_selected_gradient_and_its_chain(c):
    sizes = c["sizes"]
    L = len(sizes) - 1
    kinds = [("x", j) for j in range(1, sizes[0] + 1)]
    if not c["pairing"].startswith("softmax"):
        kinds += [("y", j) for j in range(1, sizes[-1] + 1)]
    sels = [{"kind": k, "j": j} for k, j in kinds]
    sels += [{"kind": "b", "l": l, "j": 1} for l in range(1, L + 1)]
    sels += [
        {"kind": "w", "l": l, "j": sizes[l], "k": 1}
        for l in range(1, L + 1)
    ]
    for sel in sels:
        c2 = dict(c, selected=sel)
        s = nx.state(nx.config(), c2)
        where = {
            "x": ("X", sel["j"] - 1, 0),
            "y": ("Y", sel["j"] - 1, 0),
            "b": ("biases", sel.get("l", 1) - 1, sel["j"] - 1, 0),
            "w": ("weights", sel.get("l", 1) - 1, sel["j"] - 1, 0),
        }[sel["kind"]]
        assert s["grad"] == pytest.approx(
            finite_difference(c2, where), rel=1e-5, abs=1e-8
        )
        check_chain(s)


def check_chain(s):
    """Each step's value is its formula applied to its own numbers; rule 1 comes first, the selection's rule last."""
    steps, sel = s["chain"], s["selected"]
    if sel["kind"] == "y":
        assert steps == []
        return
    rules = [step["rule"] for step in steps]
    assert rules == sorted(rules, key=lambda r: {1: 0, 2: 1}.get(r, 2))
    last = {"w": 4, "b": 3, "x": 0}[sel["kind"]]
    assert rules[-1] == last
    for step in steps:
        if step["rule"] == 1:
            factor = step.get("dsigma", 1.0)
            want = (step["a"] - step["y"]) * factor
        elif step["rule"] in (0, 2):
            want = sum(w * d for w, d in step["terms"])
            want *= step.get("dsigma", 1.0)
        elif step["rule"] == 3:
            want = s["delta"][step["l"]][step["j"] - 1][0]
        else:
            want = step["delta"] * step["a_prev"]
        assert step["value"] == pytest.approx(want, rel=1e-12, abs=1e-300)
    assert steps[-1]["value"] == s["grad"]


def test_softmax_errors_sum_to_zero():
    rng = np.random.default_rng(3)
    for _ in range(20):
        c = nx.random_controls(rng)
        c["pairing"] = "softmax_ce"
        c = nx.resize(c, c["sizes"])
        c["Y"] = [[1.0 if j == 0 else 0.0] for j in range(c["sizes"][-1])]
        if c["selected"]["kind"] == "y":
            c["selected"] = {"kind": "x", "j": 1}
        s = nx.state(nx.config(), c)
        assert abs(sum(row[0] for row in s["delta"][-1])) < 1e-12


def test_resize_keeps_what_exists_and_fills_the_rest():
    c = nx.default_controls([2, 3, 2])
    big = nx.resize(c, [3, 4, 2, 2])
    assert big["sizes"] == [3, 4, 2, 2]
    assert np.shape(big["weights"][0]) == (4, 3)
    assert big["weights"][0][0][:2] == c["weights"][0][0]
    assert big["weights"][0][3][2] == nx.fill_value("w", 1, 4, 3)
    assert big["X"][:2] == c["X"] and big["X"][2][0] == nx.fill_value(
        "x", 0, 3
    )
    small = nx.resize(big, [1, 1])
    assert small["weights"] == [[[c["weights"][0][0][0]]]]
    assert small["selected"] == {"kind": "w", "l": 1, "j": 1, "k": 1}
    nx.state(nx.config(), small)
    ce = nx.default_controls([2, 3, 3], "tanh", "softmax_ce")
    ce["Y"] = [[0.0], [0.0], [1.0]]
    assert nx.resize(ce, [2, 2])["Y"] == [[1.0], [0.0]]  # class 3 is gone


def test_fill_values_are_exact_fractions():
    # Integer arithmetic and one division: the page computes the same floats.
    for l in range(1, 5):
        for j in range(1, 6):
            for k in range(1, 6):
                v = nx.fill_value("w", l, j, k)
                assert v * 6 == round(v * 6) and abs(v) <= 5 / 6


def test_extremes_are_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            cases = nx.extreme_controls()
            assert len(cases) >= 50
            for c in cases:
                s = nx.state(nx.config(), c)
                json.dumps(s, allow_nan=False)


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"sizes": [2]}, ValueError, "2 to 5 layer widths"),
        ({"sizes": [2, 6]}, ValueError, "1..5"),
        ({"sizes": [2, 2.5, 2]}, TypeError, "int"),
        ({"hidden": "softmax"}, ValueError, "hidden"),
        ({"pairing": "relu-mse"}, ValueError, "pairing"),
        ({"weights": [[[0.0, 0.0]]]}, ValueError, "weights"),
        ({"X": [[0.1, 0.2], [0.3, 0.4]]}, ValueError, "shape"),
        ({"X": [[float("nan")], [0.0]]}, ValueError, "finite"),
        ({"X": [["a"], [0.0]]}, TypeError, "numbers"),
        (
            {"selected": {"kind": "w", "l": 3, "j": 1, "k": 1}},
            ValueError,
            "not an entry",
        ),
        ({"selected": {"kind": "q", "j": 1}}, ValueError, "kind"),
        ({"resize_layer": 3}, ValueError, "resize_layer"),
    ],
)
def test_bad_controls_are_refused_clearly(change, error, match):
    c = {**nx.default_controls(), **change}
    with pytest.raises(error, match=match):
        nx.state(nx.config(), c)


def test_cross_entropy_targets_must_be_probabilities():
    c = nx.default_controls(pairing="softmax_ce")
    c["Y"] = [[0.7], [0.7]]
    with pytest.raises(ValueError, match="probability"):
        nx.state(nx.config(), c)


def test_show_and_the_widget():
    with pytest.raises(ValueError, match="hidden"):
        nx.show(hidden="softmax")
    with pytest.raises(ValueError, match="1..5"):
        nx.show(sizes=[2, 7, 2])
    ex = nx.show()
    assert ex.state["sizes"] == [2, 3, 2]
    before = ex.state["C"]
    W = copy.deepcopy(ex.controls["weights"])
    W[1][0][0] = 3.0
    s = ex.set_controls(weights=W)
    assert s["weights"][1][0][0] == 3.0 and s["C"] != before
    assert s["C"] == pytest.approx(reference_cost(ex.controls), rel=1e-12)
    s = ex.set_controls(**nx.resize(ex.controls, [3, 4, 4, 2]))
    assert s["sizes"] == [3, 4, 4, 2] and len(s["dW"]) == 3


def test_book_html_holds_the_live_view_and_a_fallback():
    ex = nx.show()
    bundle = ex._repr_mimebundle_()
    page = bundle["text/html"]
    assert 'data-explorer="network"' in page
    state = json.loads(
        html.unescape(re.search(r'data-state="([^"]*)"', page).group(1))
    )
    assert state == ex.state
    assert "<noscript>" in page and "data:image/png;base64," in page
    assert "function compute(config, controls)" in page
    assert "fetch(" not in page
    assert len(page.encode()) < 100_000
    assert bundle["text/plain"].startswith("Whole-network explorer")
