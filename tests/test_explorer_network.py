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

EXPLORER = nx.show()
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
        c = EXPLORER.sample_controls(rng)
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


def test_softmax_errors_sum_to_zero():
    rng = np.random.default_rng(3)
    for _ in range(20):
        c = EXPLORER.sample_controls(rng)
        n = c["sizes"][-1]
        c["pairing"] = "softmax_ce"
        c["Y"] = [[1.0 if j == 0 else 0.0] for j in range(n)]
        c["selected"] = {"kind": "x", "j": 1}
        s = nx.state(nx.config(), c)
        assert abs(sum(row[0] for row in s["delta"][-1])) < 1e-12


def test_the_engine_tests_see_every_kind_of_network():
    # The engine test (tests/test_engine_browser.py) takes the extremes of
    # the spec and 50 random settings: big and small networks, both costs,
    # every hidden activation, every entry kind, every number at an end.
    rng = np.random.default_rng(len("network"))
    ends = EXPLORER.extreme_controls()
    cases = ends + [EXPLORER.sample_controls(rng) for _ in range(50)]
    sizes = {tuple(c["sizes"]) for c in ends}
    assert {(1, 1), (5,) * 5} <= sizes
    assert {c["hidden"] for c in ends} == set(nx.HIDDEN)
    assert {c["pairing"] for c in ends} == set(nx.PAIRINGS)
    assert {c["hidden"] for c in cases[len(ends) :]} == set(nx.HIDDEN)
    assert {len(c["sizes"]) for c in cases} == set(range(2, 6))
    assert {c["selected"]["kind"] for c in cases} == {"w", "b", "x", "y"}
    flat = [v for c in ends for W in c["weights"] for row in W for v in row]
    assert {-4.0, 4.0} <= set(flat)
    for c in cases:
        L = len(c["sizes"]) - 1
        assert 0 <= c["resize_layer"] <= L
        assert nx.state(nx.config(), c)["sizes"] == c["sizes"]


def test_extremes_are_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for c in EXPLORER.extreme_controls():
                s = nx.state(nx.config(), c)
                json.dumps(s, allow_nan=False)


def test_the_state_holds_only_what_the_package_computes():
    s = EXPLORER.state
    view_only = {"grad", "chain", "selected", "resize_layer"}
    assert not view_only & set(s)
    spec = {c["name"]: c for c in EXPLORER.config["spec"]}
    assert list(spec) == [
        "hidden",
        "pairing",
        "sizes",
        "weights",
        "biases",
        "X",
        "Y",
        "selected",
        "resize_layer",
    ]
    assert [spec["X"]["lo"], spec["X"]["hi"]] == list(nx.INPUT_RANGE)
    assert set(EXPLORER.config) == {"pairings", "howto", "spec"}


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"sizes": [2]}, ValueError, "2 to 5 widths"),
        ({"sizes": [2, 6]}, ValueError, "1..5"),
        ({"sizes": [2, 2.5, 2]}, TypeError, "int"),
        ({"hidden": "softmax"}, ValueError, "hidden"),
        ({"pairing": "relu-mse"}, ValueError, "pairing"),
        ({"weights": [[[0.0, 0.0]]]}, ValueError, "weights"),
        ({"X": [[0.1, 0.2], [0.3, 0.4]]}, ValueError, "shape"),
        ({"X": [[float("nan")], [0.0]]}, ValueError, "X"),
        ({"X": [[3.5], [0.0]]}, ValueError, r"\[-3.0, 3.0\]"),
        ({"X": [["a"], [0.0]]}, TypeError, "numbers"),
        (
            {"selected": {"kind": "w", "l": 3, "j": 1, "k": 1}},
            ValueError,
            "selected",
        ),
        ({"selected": {"kind": "q", "j": 1}}, ValueError, "kind"),
        ({"resize_layer": 3}, ValueError, "resize_layer"),
        ({"surprise": 1}, ValueError, "unknown"),
    ],
)
def test_bad_controls_are_refused_clearly(change, error, match):
    c = {**nx.default_controls(), **change}
    with pytest.raises(error, match=match):
        nx.state(nx.config(), c)
    with pytest.raises(error, match=match):
        nx.show().set_controls(**change)


def test_cross_entropy_targets_must_be_one_hot():
    c = nx.default_controls(pairing="softmax_ce")
    c["Y"] = [[0.7], [0.3]]
    with pytest.raises(ValueError, match="one-hot"):
        nx.state(nx.config(), c)
    c["Y"], c["selected"] = [[0.0], [1.0]], {"kind": "y", "j": 1}
    with pytest.raises(ValueError, match="selected"):
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
    s = ex.set_controls(**nx.default_controls([3, 4, 4, 2]))
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
