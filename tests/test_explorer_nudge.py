"""Tests for the nudge explorer (backprop.explorers.nudge, chapter 2).

References are independent of the code under test: the cost is recomputed
here with a forward pass written out in NumPy, slopes are centered finite
differences of it, and the curvature C''(w₀) is a second difference.
"""

import json
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.explorers import nudge  # noqa: E402
from explorer_settings import extreme_controls, sample_controls

# Every weight w^l_jk of the default 2-3-1 network, 1-based as in the text.
ALL_WEIGHTS = [
    (l, j + 1, k + 1)
    for l, W in enumerate(nudge.default_problem()[0].weights, start=1)
    for j, k in np.ndindex(W.shape)
]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def cost(weights, biases, X, Y, weight=None, value=None):
    """C = mean over columns of ½‖a^L − y‖² for a tanh hidden / sigmoid output network, written out here."""
    Ws = [W.copy() for W in weights]
    if weight is not None:
        l, j, k = weight
        Ws[l - 1][j - 1, k - 1] = value  # w^l_jk, 1-based
    a = np.asarray(X, dtype=float)
    for l, (W, b) in enumerate(zip(Ws, biases), start=1):
        z = W @ a + b
        a = sigmoid(z) if l == len(Ws) else np.tanh(z)
    return 0.5 * np.sum((a - Y) ** 2) / X.shape[1]


@pytest.fixture
def problem():
    return nudge.default_problem()


def reference(net, X, Y, weight):
    """Return C(w) written out here, as a function of the one weight."""
    return lambda v: cost(net.weights, net.biases, X, Y, weight, v)


def entry(l, j, k):
    """Return the weight control's value for w^l_jk (1-based)."""
    return {"kind": "w", "l": l, "j": j, "k": k}


def run(weight, dw, w0=None, net=None, X=None, Y=None):
    """Return nudge.state at weight (l, j, k), its value w0 (default: the
    network's, clipped to the slider) and the nudge dw, on net, X, Y (the
    default problem if None), with the controls checked by the explorer."""
    explorer = nudge.show(net, X, Y, weight=weight, dw=dw)
    controls = dict(explorer.controls)
    if w0 is not None:
        controls["w0"] = w0
    config = explorer.config
    return nudge.state(config, explorer.check(config, controls))


# -- the state the package computes ----------------------------------------------


@pytest.mark.parametrize("weight", ALL_WEIGHTS)
def test_slope_equals_centered_finite_difference(problem, weight):
    net, X, Y = problem
    s = run(weight, dw=0.3)
    C = reference(net, X, Y, weight)
    h = 1e-5
    fd = (C(s["w0"] + h) - C(s["w0"] - h)) / (2 * h)
    assert s["slope"] == pytest.approx(fd, rel=1e-6, abs=1e-10)
    l, j, k = weight
    assert s["w0"] == net.weights[l - 1][j - 1, k - 1]
    assert s["weight"] == entry(*weight)


@pytest.mark.parametrize("weight", [(1, 3, 1), (1, 1, 2), (2, 1, 3)])
def test_curve_and_actual_change_match_the_written_out_cost(
    problem, weight
):
    net, X, Y = problem
    s = run(weight, dw=-0.7, w0=0.4)
    C = reference(net, X, Y, weight)
    assert s["w0"] == 0.4 and s["dw"] == -0.7
    assert s["C"] == pytest.approx(C(0.4), rel=1e-12)
    assert s["C1"] == pytest.approx(C(0.4 - 0.7), rel=1e-12)
    assert s["actual"] == pytest.approx(
        C(0.4 - 0.7) - C(0.4), rel=1e-9, abs=1e-15
    )
    expected = [C(v) for v in s["curve_w"]]
    np.testing.assert_allclose(s["curve_C"], expected, rtol=1e-12)
    ws = s["curve_w"]
    assert len(ws) == nudge.N_CURVE
    assert ws[0] < 0.4 - 2 and ws[-1] > 0.4 + 2  # every nudge of the slider
    np.testing.assert_allclose(np.diff(ws), np.diff(ws)[0], rtol=1e-9)


@pytest.mark.parametrize("weight", [(1, 3, 1), (1, 2, 2), (2, 1, 1)])
def test_prediction_converges_to_actual_change_with_error_of_order_dw_squared(
    problem, weight
):
    net, X, Y = problem
    l, j, k = weight
    w0 = net.weights[l - 1][j - 1, k - 1]
    C = reference(net, X, Y, weight)
    h = 1e-3
    half_curvature = (
        abs(C(w0 + h) - 2 * C(w0) + C(w0 - h)) / h**2 / 2
    )  # |C''(w₀)| / 2
    assert half_curvature > 1e-4, (
        "pick weights whose cost curve bends, or the test proves little"
    )
    dws = [0.2 / 2**i for i in range(8)]
    states = [run(weight, dw) for dw in dws]
    for s, dw in zip(states, dws):
        assert s["predicted"] == pytest.approx(s["slope"] * dw, rel=1e-12)
        assert s["error"] == pytest.approx(
            abs(s["actual"] - s["predicted"]), rel=1e-12
        )
    ratio_gaps = [abs(s["predicted"] / s["actual"] - 1) for s in states]
    assert all(a > b for a, b in zip(ratio_gaps, ratio_gaps[1:])), (
        ratio_gaps
    )  # ratio → 1 monotonically
    assert ratio_gaps[-1] < 1e-2
    # Error O(Δw²): halving Δw divides the error by about 4, and error / Δw² → |C''| / 2.
    errors = [s["error"] for s in states]
    for big, small in zip(errors[3:], errors[4:]):
        assert 3.6 < big / small < 4.4
    assert errors[-1] / dws[-1] ** 2 == pytest.approx(
        half_curvature, rel=2e-2
    )
    # Opposite nudges: the first-order terms cancel, the second-order ones add.
    minus = run(weight, -dws[-1])
    second_order = (states[-1]["actual"] + minus["actual"]) / 2
    assert abs(second_order) == pytest.approx(
        half_curvature * dws[-1] ** 2, rel=2e-2
    )


def test_dw_zero_gives_no_change():
    s = run((1, 1, 1), dw=0.0)
    assert s["actual"] == 0 and s["predicted"] == 0 and s["error"] == 0
    assert s["C1"] == s["C"]


def test_another_weight_gives_another_curve(problem):
    net, X, Y = problem
    a = run((1, 1, 1), dw=0.5, w0=0.0)
    b = run((2, 1, 2), dw=0.5, w0=0.0)
    assert not np.allclose(a["curve_C"], b["curve_C"])
    assert a["slope"] != pytest.approx(b["slope"])
    C = reference(net, X, Y, (2, 1, 2))
    expected = [C(v) for v in b["curve_w"]]
    np.testing.assert_allclose(b["curve_C"], expected, rtol=1e-12)


def test_state_leaves_the_network_unchanged(problem):
    net, X, Y = problem
    before = [W.copy() for W in net.weights]
    explorer = nudge.show(net, X, Y, weight=(1, 3, 2), dw=1.3)
    config = json.loads(json.dumps(explorer.config))
    controls = dict(explorer.controls, w0=2.5)
    nudge.state(explorer.config, explorer.check(config, controls))
    assert json.loads(json.dumps(explorer.config)) == config
    for W, W0 in zip(net.weights, before):
        np.testing.assert_array_equal(W, W0)


def test_other_networks_and_losses():
    net = bp.MLP(
        [3, 4, 3],
        hidden="sigmoid",
        output="softmax",
        loss="cross_entropy",
        seed=5,
    )
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 5))
    Y = np.eye(3)[:, [0, 2, 1, 1, 0]]
    for weight in [(1, 4, 3), (2, 2, 1)]:
        s = run(weight, 1e-3, net=net, X=X, Y=Y)
        probe = net.copy()
        l, j, k = weight
        W = probe.weights[l - 1]
        w0 = W[j - 1, k - 1]
        assert s["w0"] == w0
        h = 1e-5
        W[j - 1, k - 1] = w0 + h
        plus = probe.loss(X, Y)
        W[j - 1, k - 1] = w0 - h
        minus = probe.loss(X, Y)
        assert s["slope"] == pytest.approx(
            (plus - minus) / (2 * h), rel=1e-6
        )
        assert s["predicted"] / s["actual"] == pytest.approx(1, abs=1e-2)


@pytest.mark.parametrize(
    "bad, error",
    [
        ((0, 1, 1), ValueError),
        ((3, 1, 1), ValueError),
        ((1, 4, 1), ValueError),
        ((1, 1, 3), ValueError),
        ((1, 0, 1), ValueError),  # 0-based rows are refused
        ((2, 1, 0), ValueError),
        ("w", TypeError),
        ((1, 0), TypeError),
    ],
)
def test_bad_weights_are_named(bad, error):
    with pytest.raises(error, match="weight.*1-based"):
        nudge.show(weight=bad)


def test_non_finite_nudges_are_refused():
    with pytest.raises(ValueError, match=r"dw must be a number in \["):
        nudge.show(dw=float("nan"))
    with pytest.raises(ValueError, match=r"w0 must be a number in \["):
        nudge.show().set_controls(w0=float("inf"))


def test_weight_labels_are_one_based():
    assert nudge.weight_label((2, 1, 2)) == "w²₁₂"
    assert nudge.weight_label((1, 3, 1)) == "w¹₃₁"
    assert nudge.weight_label((1, 10, 2)) == "w¹₁₀,₂"  # a comma past 9


@pytest.mark.parametrize("weight", ALL_WEIGHTS)
def test_extremes_of_the_ranges_are_finite_and_silent(weight):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for w0 in nudge.W_RANGE:
            for dw in (*nudge.DW_RANGE, 0.0):
                s = run(weight, dw, w0=w0)
                json.dumps(s, allow_nan=False)  # refuses NaN and inf


# -- the explorer ----------------------------------------------------------------


def test_controls_drive_the_state(problem):
    net, X, Y = problem
    explorer = nudge.show(weight=(1, 3, 1), dw=0.5)
    C = reference(net, X, Y, (1, 3, 1))
    w0 = net.weights[0][2, 0]  # w^1_31 is W^1[2, 0] in NumPy
    assert explorer.controls["weight"] == entry(1, 3, 1)
    assert explorer.state["w0"] == pytest.approx(w0)
    assert explorer.state["C"] == pytest.approx(C(w0), rel=1e-12)
    assert "w¹₃₁" in explorer.summary()
    s = explorer.set_controls(dw=-1.25)
    assert s["dw"] == -1.25
    assert s["actual"] == pytest.approx(C(w0 - 1.25) - C(w0), rel=1e-9)
    # Smaller nudges: the prediction closes in on the actual change.
    gaps = []
    for dw in (1.0, 0.1, 0.01):
        s = explorer.set_controls(dw=dw)
        gaps.append(abs(s["predicted"] / s["actual"] - 1))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-2
    # Moving w₀ moves the tangent point; the slope is the difference there.
    s = explorer.set_controls(w0=1.5)
    h = 1e-5
    assert s["slope"] == pytest.approx(
        (C(1.5 + h) - C(1.5 - h)) / (2 * h), rel=1e-6
    )
    assert s["C"] == pytest.approx(C(1.5), rel=1e-12)
    assert s["C1"] == pytest.approx(C(1.5 + 0.01), rel=1e-12)


def test_another_weight_gives_its_curve(problem):
    net, X, Y = problem
    explorer = nudge.show()
    assert explorer.controls["weight"] == entry(1, 1, 1)
    w = net.weights[1][0, 1]  # w^2_12
    s = explorer.set_controls(weight=entry(2, 1, 2), w0=float(w))
    expected = [reference(net, X, Y, (2, 1, 2))(v) for v in s["curve_w"]]
    np.testing.assert_allclose(s["curve_C"], expected, rtol=1e-12)
    assert s["weight"] == entry(2, 1, 2)
    assert "choices" not in explorer.config
    assert explorer.config["spec"][0]["kind"] == "entry"


@pytest.mark.parametrize(
    "bad", [entry(1, 0, 0), entry(2, 2, 1), {"kind": "b", "l": 1, "j": 1}]
)
def test_bad_weight_controls_are_refused(bad):
    explorer = nudge.show()
    with pytest.raises(ValueError, match="weight must be an entry"):
        explorer.set_controls(weight=bad)


def test_settings_outside_the_controls_are_refused():
    with pytest.raises(ValueError, match=r"dw must be a number in \[-2"):
        nudge.show(dw=2.5)
    with pytest.raises(ValueError, match="w0 must be a number"):
        nudge.show().set_controls(w0=3.5)


def test_state_is_json_and_the_book_view_is_inline():
    explorer = nudge.show(weight=(1, 3, 1))
    for c in extreme_controls(explorer):
        text = json.dumps(nudge.state(explorer.config, c), allow_nan=False)
        assert "null" not in text
    bundle = explorer._repr_mimebundle_()
    assert "Nudge explorer" in bundle["text/plain"]
    html = bundle["text/html"]
    assert 'data-explorer="nudge"' in html
    assert html.count('<script type="module">') == 1
    assert "needs JavaScript" in html and 'alt="' in html
    assert not re.search(r"\bfetch\(|^\s*import\b", html, re.M)
    assert len(html) < 100_000  # the old frames view weighed about 250 KB


# -- the page's view, in headless Chromium ---------------------------------------


@pytest.fixture(scope="module")
def page(playwright_session, tmp_path_factory):
    from browser_support import explorer_page, launch_chromium

    browser = launch_chromium(playwright_session)
    explorer = nudge.show()
    folder = tmp_path_factory.mktemp("nudge")
    with explorer_page(browser, folder, explorer) as (tab, errors):
        yield explorer, tab
        assert errors == []
    browser.close()


# For each setting: the frame of each chart's axes (top and bottom, in SVG
# units) and the heights of what it plots: the curve's points and the dots
# (chart 0), the bars (chart 1).
JS_PLOTTED = """(settings) => {
  const el = document.querySelector("[data-explorer]");
  return settings.map((c) => {
    el.bpModel.set("controls", c);
    el.bpModel.save_changes();
    return [...el.querySelectorAll("svg.bp-chart")].map((svg, i) => {
      const f = svg.querySelector(".bp-frame"), ys = [];
      const top = Number(f.getAttribute("y"));
      for (const n of svg.querySelectorAll(".bp-plot > *")) {
        const at = (k) => Number(n.getAttribute(k));
        if (n.tagName === "polyline") ys.push(...n.getAttribute("points")
          .trim().split(" ").map((p) => Number(p.split(",")[1])));
        if (n.tagName === "circle") ys.push(at("cy"));
        if (n.tagName === "line" && i === 1) ys.push(at("y1"), at("y2"));
      }
      return {top, bottom: top + Number(f.getAttribute("height")), ys};
    });
  });
}"""


@pytest.mark.browser
def test_page_draws_every_curve_and_bar_inside_the_axes(page):
    explorer, tab = page
    rng = np.random.default_rng(7)
    settings = extreme_controls(explorer)
    settings += [
        {"weight": entry(*w), "w0": w0, "dw": dw}
        for w in ALL_WEIGHTS
        for w0 in nudge.W_RANGE
        for dw in (*nudge.DW_RANGE, 0.0)
    ]
    settings += [sample_controls(explorer, rng) for _ in range(20)]
    outside = []
    for c, charts in zip(settings, tab.evaluate(JS_PLOTTED, settings)):
        for chart in charts:
            assert len(chart["ys"]) > 2
            out = [
                y
                for y in chart["ys"]
                if not chart["top"] - 0.5 <= y <= chart["bottom"] + 0.5
            ]
            if out:
                outside.append(f"{c}: {out[:3]} outside {chart}")
    assert outside == [], outside[:3]


JS_BAR = """(settings) => {
  const el = document.querySelector("[data-explorer]");
  return settings.map((c) => {
    el.bpModel.set("controls", c);
    el.bpModel.save_changes();
    const [zero, actual] = el.querySelectorAll("svg.bp-chart")[1]
      .querySelectorAll(".bp-plot > line");
    return [Number(zero.getAttribute("y1")),
            Number(actual.getAttribute("y2"))];
  });
}"""


@pytest.mark.browser
def test_page_bars_keep_their_scale_while_dw_moves(page, problem):
    # At one weight and w₀ the bars' axis is fixed: the bar of ΔC is as
    # many pixels per unit of cost at every Δw (ΔC from the written-out
    # cost), so the reader sees the changes grow, not the axis rescale.
    net, X, Y = problem
    explorer, tab = page
    C = reference(net, X, Y, (2, 1, 2))
    dws = [-2.0, -1.0, -0.3, 0.4, 1.0, 2.0]
    settings = [
        {"weight": entry(2, 1, 2), "w0": 0.5, "dw": dw} for dw in dws
    ]
    bars = tab.evaluate(JS_BAR, settings)
    scales = [
        (zero - top) / (C(0.5 + dw) - C(0.5))
        for (zero, top), dw in zip(bars, dws)
    ]
    assert max(scales) == pytest.approx(min(scales), rel=0.02), scales


@pytest.mark.browser
def test_page_lists_every_weight_one_based(page, problem):
    net, _, _ = problem
    _, tab = page
    select = tab.locator("select[data-control=weight]")
    texts = select.locator("option").all_inner_texts()
    assert texts == [nudge.weight_label(w) for w in ALL_WEIGHTS]
    # Picking w²₁₂ selects W^2[0, 1] and starts at its value.
    select.select_option(label="w²₁₂")
    controls = tab.evaluate(
        "document.querySelector('[data-explorer]').bpModel.get('controls')"
    )
    assert controls["weight"] == entry(2, 1, 2)
    assert controls["w0"] == pytest.approx(net.weights[1][0, 1], rel=1e-15)


# For each setting: the cost curve's points, the tangent's end points and
# the dot at w₀ (chart 0, in SVG units), the state's curve_w, and the
# readout's rows.
JS_TANGENT = """(settings) => {
  const el = document.querySelector("[data-explorer]");
  return settings.map((c) => {
    el.bpModel.set("controls", c);
    el.bpModel.save_changes();
    const svg = el.querySelector("svg.bp-chart");
    const num = (n, k) => Number(n.getAttribute(k));
    const curve = svg.querySelector(".bp-plot > polyline").getAttribute("points")
      .trim().split(" ").map((p) => p.split(",").map(Number));
    const t = svg.querySelector(".bp-plot > line.bp-dash");
    const dot = svg.querySelector(".bp-plot > circle");
    const rows = [...el.querySelectorAll("table.bp-readout tr")].map((r) =>
      [r.querySelector("th").textContent, r.querySelector("td").textContent]);
    return {
      curve, tangent: [[num(t, "x1"), num(t, "y1")], [num(t, "x2"), num(t, "y2")]],
      dot: [num(dot, "cx"), num(dot, "cy")],
      curve_w: el.bpModel.get("state").curve_w, rows: Object.fromEntries(rows),
    };
  });
}"""


def _number(text):
    return float(text.replace("\u2212", "-"))


@pytest.mark.browser
@pytest.mark.parametrize(
    "weight, w0", [((1, 3, 1), None), ((2, 1, 2), 0.5), ((1, 1, 2), -1.0)]
)
def test_page_draws_the_tangent_and_reads_out_the_ratios(
    page, problem, weight, w0
):
    # The dashed line is the tangent C(w₀) + ∂C/∂w · (w − w₀), slope by
    # centred differences of the written-out cost, mapped to the chart
    # by the cost curve it is drawn with; the readout's predicted / actual
    # and error / Δw² match the written-out cost, "—" at Δw = 0.
    net, X, Y = problem
    _, tab = page
    l, j, k = weight
    w0 = float(net.weights[l - 1][j - 1, k - 1]) if w0 is None else w0
    C, h = reference(net, X, Y, weight), 1e-5
    fd = (C(w0 + h) - C(w0 - h)) / (2 * h)
    dws = [0.0, 0.01, -0.5, 2.0]
    settings = [{"weight": entry(*weight), "w0": w0, "dw": d} for d in dws]
    for d, got in zip(dws, tab.evaluate(JS_TANGENT, settings)):
        px, py = np.array(got["curve"]).T
        ws = np.array(got["curve_w"])
        ax, bx = np.polyfit(ws, px, 1)  # the chart's x axis
        ay, by = np.polyfit([C(v) for v in ws], py, 1)  # and its y axis
        assert got["dot"] == pytest.approx(
            [ax * w0 + bx, ay * C(w0) + by], abs=0.1
        )
        for x, y in got["tangent"]:
            w = (x - bx) / ax
            assert y == pytest.approx(
                ay * (C(w0) + fd * (w - w0)) + by, abs=0.2
            )
        rows = got["rows"]
        if d == 0:
            assert rows["predicted / actual"] == "—"
            assert rows["error / Δw²"] == "—"
            continue
        actual = C(w0 + d) - C(w0)
        ratio = fd * d / actual
        assert _number(rows["predicted / actual"]) == pytest.approx(
            ratio, rel=1e-4
        )
        assert _number(rows["error / Δw²"]) == pytest.approx(
            abs(actual - fd * d) / d**2, rel=1e-3
        )
