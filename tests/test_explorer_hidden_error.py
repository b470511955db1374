"""Tests for the hidden-error explorer (chapter 4): ‖δ^l‖ over depth, vanishing and exploding.

The mathematics the tests hold the explorer to (derived in chapter 4): with
W^{l+1} of i.i.d. N(0, g²/n) entries, ‖(W^{l+1})ᵀ v‖ ≈ g‖v‖, and the Hadamard
product with σ'(z^l) multiplies the norm by about rms σ'(z^l). Hence a gain
per layer of about
  identity: g;   ReLU: g/√2 (σ' is 1 on half the units);
  tanh, small g: g (z ≈ 0, tanh'(0) = 1);   sigmoid, small g: g/4 (σ'(0) = 1/4).
The per-layer δ^l themselves are checked against centred finite differences
of the cost with respect to z^l, computed by a forward pass written here.
"""

import warnings

import numpy as np
import pytest

from backprop.explorers import hidden_error as he

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

SIGMA = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
}


def fd_deltas(net, X, Y, activation, h=1e-6):
    """Return [None, δ^1, ..., δ^L] by centred differences of Σ_x C_x in z^l (own forward pass)."""
    Ws, bs, L = net.weights, net.biases, len(net.weights)

    def act(l, z):
        return z if l == L else SIGMA[activation](z)

    zs, a = [None], X
    for l in range(1, L + 1):
        z = Ws[l - 1] @ a + bs[l - 1]
        zs.append(z)
        a = act(l, z)

    def total_cost_from(l, z):
        a = act(l, z)
        for k in range(l + 1, L + 1):
            a = act(k, Ws[k - 1] @ a + bs[k - 1])
        return 0.5 * np.sum(
            (a - Y) ** 2
        )  # Σ_x C_x: z^l_{jx} only reaches C_x

    deltas = [None]
    for l in range(1, L + 1):
        d = np.zeros_like(zs[l])
        for idx in np.ndindex(d.shape):
            up, down = zs[l].copy(), zs[l].copy()
            up[idx] += h
            down[idx] -= h
            d[idx] = (total_cost_from(l, up) - total_cost_from(l, down)) / (
                2 * h
            )
        deltas.append(d)
    return deltas


@pytest.mark.parametrize(
    "activation", ["sigmoid", "tanh", "relu", "identity"]
)
def test_norms_match_finite_difference_errors(activation):
    depth, width, m = 4, 5, 3
    net, X, Y = he.build_problem(activation, depth, 1.3, width, m, seed=2)
    ref = fd_deltas(net, X, Y, activation)
    ref_norms = np.array(
        [
            np.sqrt(np.mean(np.sum(ref[l] ** 2, axis=0)))
            for l in range(1, depth + 1)
        ]
    )
    s = he.delta_norms(activation, depth, 1.3, width, m, seed=2)
    np.testing.assert_allclose(s.norms, ref_norms, rtol=1e-6)
    np.testing.assert_allclose(
        s.ratios, ref_norms / ref_norms[-1], rtol=1e-6
    )
    np.testing.assert_allclose(
        s.gains, ref_norms[:-1] / ref_norms[1:], rtol=1e-6
    )


def test_weights_have_the_requested_scale():
    net, X, Y = he.build_problem("tanh", 6, 2.5, 200, 4, seed=1)
    for W in net.weights:
        assert W.shape == (200, 200)
        assert np.std(W) * np.sqrt(200) == pytest.approx(2.5, rel=0.02)
    assert np.all(np.concatenate(net.biases) == 0)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("g", [0.25, 0.5, 1.0])
def test_sigmoid_at_small_scale_vanishes_by_about_g_over_4(g, seed):
    s = he.delta_norms("sigmoid", 15, g, seed=seed)
    assert np.all(np.diff(s.norms) > 0), (
        "‖δ^l‖ must shrink at every step towards the input"
    )
    assert s.mean_gain == pytest.approx(g / 4, rel=0.15)
    assert s.ratios[0] < (0.3 * g) ** 14


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("g", [0.25, 0.5, 1.0, 2.0, 4.0])
def test_relu_gain_is_about_g_over_root_2(g, seed):
    # Measured gains run up to ~12% above g/√2 once the forward signal dominates
    # δ^L (it passed through the same matrices, which the estimate ignores);
    # a missing σ' (gain g) or a σ' applied twice (g/2) is 30% or more away.
    s = he.delta_norms("relu", 15, g, seed=seed)
    assert s.mean_gain == pytest.approx(g / np.sqrt(2), rel=0.2)
    if g < 1.2:
        assert s.ratios[0] < 0.1  # vanishing below the He scale √2
    if g > 1.8:
        assert s.ratios[0] > 10.0  # exploding above it


@pytest.mark.parametrize("g", [0.25, 0.5])
def test_tanh_with_small_weights_behaves_like_identity(g):
    tanh, ident = (
        he.delta_norms("tanh", 15, g),
        he.delta_norms("identity", 15, g),
    )
    assert tanh.mean_gain == pytest.approx(g, rel=0.1)
    assert ident.mean_gain == pytest.approx(g, rel=0.1)


@pytest.mark.parametrize("g", [2.0, 3.0, 4.0])
def test_tanh_with_large_weights_explodes(g):
    # Saturation cuts tanh' but g grows faster: the gain g·rms tanh'(z) exceeds 1.
    s = he.delta_norms("tanh", 15, g)
    assert s.mean_gain > 1.05
    assert s.ratios[0] > 2.0
    assert s.ratios[0] > he.delta_norms("tanh", 15, g / 2).ratios[0]


def test_predicted_gains_follow_the_forward_pass():
    g = 1.7
    net, X, Y = he.build_problem("relu", 8, g)
    cache = net.forward(X, return_cache=True)
    s = he.delta_norms("relu", 8, g)
    active = [
        np.mean(cache.z[l] > 0) for l in range(1, 8)
    ]  # rms of a 0/1 derivative
    np.testing.assert_allclose(
        s.predicted_gains, g * np.sqrt(active), rtol=1e-12
    )
    np.testing.assert_allclose(
        s.predicted_ratios[:-1], np.cumprod(s.predicted_gains[::-1])[::-1]
    )
    # The prediction g·rms σ' tracks the measured gain per layer within 15%.
    for act in he.ACTIVATIONS + ("identity",):
        for scale in (0.25, 0.5, 1.0, 2.0, 4.0):
            t = he.delta_norms(act, 15, scale)
            assert t.mean_gain == pytest.approx(
                t.mean_predicted_gain, rel=0.15
            )


@pytest.mark.parametrize(
    "activation", ["sigmoid", "tanh", "relu", "identity"]
)
def test_extremes_are_finite_and_silent(activation):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for depth in (2, 50):
            for g in (0.01, 10.0):
                s = he.delta_norms(activation, depth, g)
                for v in (
                    s.norms,
                    s.ratios,
                    s.gains,
                    s.predicted_gains,
                    s.predicted_ratios,
                ):
                    assert np.all(np.isfinite(v))
                assert np.all(s.norms > 0)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="activation"):
        he.delta_norms("softmax", 5, 1.0)
    with pytest.raises(ValueError, match="depth"):
        he.delta_norms("tanh", 1, 1.0)
    with pytest.raises(ValueError, match="scale"):
        he.delta_norms("tanh", 5, 0.0)
    with pytest.raises(TypeError, match="width"):
        he.delta_norms("tanh", 5, 1.0, width="wide")
    # The explorer's controls are narrower: its sliders end at depth 20.
    with pytest.raises(
        ValueError, match=r"depth must be an integer in \[2, 20\]"
    ):
        he.show(depth=30)
    with pytest.raises(ValueError, match="width must be one of"):
        he.show().set_controls(width=20)


def test_controls_drive_the_state():
    ex = he.show("tanh", depth=12, scale=1.0)
    s = ex.set_controls(scale=0.25)
    assert s["scale"] == 0.25 and s["activation"] == "tanh"
    assert s["tanh"]["ratios"][0] < 1e-5  # vanishing
    s = ex.set_controls(scale=4.0)
    assert s["tanh"]["ratios"][0] > 1e2  # exploding
    s = ex.set_controls(depth=5, activation="sigmoid")
    assert s["depth"] == 5 and len(s["sigmoid"]["norms"]) == 5
    assert s["sigmoid"]["ratios"][0] < 1.0
    # Every curve is delta_norms at the same setting.
    m = ex.config["m"]
    ref = he.delta_norms("relu", 5, 4.0, width=s["width"], m=m)
    np.testing.assert_allclose(s["relu"]["norms"], ref.norms, rtol=1e-15)
    # Another draw is another network; another width another shape.
    t = ex.set_controls(seed=3)
    assert t["relu"]["norms"] != s["relu"]["norms"]
    u = ex.set_controls(width=16)
    assert u["width"] == 16 and u["relu"]["norms"] != t["relu"]["norms"]


def test_a_deeper_network_keeps_its_layers():
    # W^l is stream l of the generator: depth adds layers, it does not
    # redraw the ones below.
    a, _, _ = he.build_problem("tanh", 3, 1.0, 8, 4, seed=1)
    b, _, _ = he.build_problem("tanh", 6, 1.0, 8, 4, seed=1)
    for l in range(3):
        np.testing.assert_array_equal(a.weights[l], b.weights[l])


def test_the_generator_draws_standard_normals():
    from backprop.explorers.host import normals

    z = normals(0, 1, 200_000)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    # Gaussian tails: about 4.55% beyond two standard deviations.
    assert np.mean(np.abs(z) > 2) == pytest.approx(0.0455, abs=0.003)
    assert not np.array_equal(normals(0, 1, 10), normals(0, 2, 10))
    assert not np.array_equal(normals(0, 1, 10), normals(1, 1, 10))


def test_book_view_is_inline_and_small():
    bundle = he.show()._repr_mimebundle_()
    html = bundle["text/html"]
    assert 'data-explorer="hidden_error"' in html
    assert html.count('<script type="module">') == 1
    assert "needs JavaScript" in html
    assert "VBox(" not in bundle["text/plain"]
    assert WIDGET_VIEW in bundle
    assert len(html) < 100_000  # the old frames view weighed about 160 KB


# -- the page's view, in headless Chromium ---------------------------------------

# For each setting: the frame of the chart's axes (top and bottom, in SVG
# units) and the heights of every point of every curve and line it plots.
JS_PLOTTED = """(settings) => {
  const el = document.querySelector("[data-explorer]");
  const svg = el.querySelector("svg.bp-chart");
  return settings.map((c) => {
    el.bpModel.set("controls", c);
    el.bpModel.save_changes();
    const f = svg.querySelector(".bp-frame"), ys = [];
    for (const n of svg.querySelectorAll(".bp-plot > *")) {
      if (n.tagName === "polyline") ys.push(...n.getAttribute("points")
        .trim().split(" ").map((p) => Number(p.split(",")[1])));
      else ys.push(Number(n.getAttribute("y1")), Number(n.getAttribute("y2")));
    }
    const top = Number(f.getAttribute("y"));
    return {top, bottom: top + Number(f.getAttribute("height")), ys};
  });
}"""


@pytest.mark.browser
def test_page_draws_every_curve_inside_the_axes(
    playwright_session, tmp_path
):
    # At both ends of the depth and weight-scale sliders, at every width,
    # and at random settings, every ratio of every activation and every
    # estimate lies inside the log axis the page draws.
    from browser_support import explorer_page, launch_chromium

    explorer = he.show()
    settings = explorer.extreme_controls()
    settings += [
        {**explorer.controls, "depth": d, "scale": g, "width": w, "seed": s}
        for d in he.DEPTH_RANGE
        for g in he.SCALE_RANGE
        for w in he.WIDTHS
        for s in (0, 9)
    ]
    rng = np.random.default_rng(4)
    settings += [explorer.sample_controls(rng) for _ in range(20)]
    browser = launch_chromium(playwright_session)
    with explorer_page(browser, tmp_path, explorer) as (page, errors):
        drawn = page.evaluate(JS_PLOTTED, settings)
    browser.close()
    assert errors == []
    outside = []
    for c, chart in zip(settings, drawn):
        assert len(chart["ys"]) >= 4 * 2 + 2  # four curves and the 1-line
        out = [
            y
            for y in chart["ys"]
            if not chart["top"] - 0.5 <= y <= chart["bottom"] + 0.5
        ]
        if out:
            outside.append(f"{c}: {out[:3]} outside {chart['top']}..")
    assert outside == [], outside[:3]
