"""Tests for backprop.explorers.weights, the weights-and-biases explorer (chapters 5 and 6).

The references are independent of the code under test: a forward pass and
cost written out here in plain NumPy, centred finite differences of that cost,
and derivatives worked out by hand for the output layer.
"""

import html
import json
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.explorers import weights as wx  # noqa: E402
from chapter_support import centred_differences  # noqa: E402
from explorer_settings import extreme_controls, sample_controls

SETTINGS = (-4.0, -2.35, -0.5, 0.0, 0.7, 1.9, 4.0)


def reference_loss(Ws, bs, X, Y):
    """C = (1/m) Σ_x ½‖a^L − y‖² for sigmoid hidden layers and an identity output, written out."""
    a = X
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = W @ a + b
        a = z if l == len(Ws) else 1.0 / (1.0 + np.exp(-z))
    return 0.5 * np.sum((a - Y) ** 2) / X.shape[1]


def set_entry(net, param, value):
    """Return copies of the weight and bias lists with one entry set (1-based indices)."""
    Ws = [W.copy() for W in net.weights]
    bs = [b.copy() for b in net.biases]
    if param["kind"] == "w":
        Ws[param["l"] - 1][param["j"] - 1, param["k"] - 1] = value
    else:
        bs[param["l"] - 1][param["j"] - 1, 0] = value
    return Ws, bs


def finite_difference_gradients(Ws, bs, X, Y, l):
    """Return (dW, db) of layer l by centred differences of reference_loss."""
    return centred_differences(
        lambda: reference_loss(Ws, bs, X, Y), [Ws[l - 1], bs[l - 1]]
    )


@pytest.fixture(scope="module")
def problem():
    return wx.default_problem()


@pytest.fixture()
def view():
    return wx.show()


# -- the pure function ------------------------------------------------------


@pytest.mark.parametrize(
    "param",
    [wx.weight(2, 1, 2), wx.weight(1, 3, 1), wx.bias(2, 2), wx.bias(1, 1)],
)
def test_gradients_equal_finite_differences_at_every_setting(
    problem, param
):
    net, X, Y = problem
    for value in SETTINGS:
        s = wx.layer_state(net, X, Y, param, value)
        Ws, bs = set_entry(net, param, value)
        dW, db = finite_difference_gradients(Ws, bs, X, Y, param["l"])
        np.testing.assert_allclose(s.dW, dW, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(s.db, db, rtol=1e-6, atol=1e-9)


def test_db_is_the_mean_of_the_columns_of_delta(problem):
    net, X, Y = problem
    for param in (wx.weight(1, 2, 2), wx.bias(2, 1)):
        for value in SETTINGS:
            s = wx.layer_state(net, X, Y, param, value)
            m = X.shape[1]
            mean = sum(s.delta[:, [i]] for i in range(m)) / m
            np.testing.assert_allclose(s.db, mean, rtol=1e-12, atol=1e-15)
            assert s.db.shape == (net.sizes[param["l"]], 1)


def test_dW_is_the_mean_of_the_outer_products(problem):
    net, X, Y = problem
    s = wx.layer_state(net, X, Y, wx.weight(2, 2, 3), 1.5)
    m = X.shape[1]
    loop = (
        sum(np.outer(s.delta[:, i], s.a_prev[:, i]) for i in range(m)) / m
    )
    np.testing.assert_allclose(s.dW, loop, rtol=1e-12, atol=1e-15)


def test_moving_one_weight_changes_W_only_at_j_k(problem):
    net, X, Y = problem
    for param in (wx.weight(1, 3, 2), wx.weight(2, 2, 1)):
        l, j, k = param["l"], param["j"], param["k"]
        before = net.weights[l - 1].copy()
        s = wx.layer_state(net, X, Y, param, 3.25)
        changed = np.argwhere(s.W != before)
        assert changed.tolist() == [[j - 1, k - 1]]
        assert s.W[j - 1, k - 1] == 3.25
        np.testing.assert_array_equal(s.b, net.biases[l - 1])
        np.testing.assert_array_equal(
            net.weights[l - 1], before
        )  # net itself is untouched


def test_moving_one_bias_changes_b_only_at_j(problem):
    net, X, Y = problem
    s = wx.layer_state(net, X, Y, wx.bias(1, 2), -1.0)
    assert np.argwhere(s.b != net.biases[0]).tolist() == [[1, 0]]
    np.testing.assert_array_equal(s.W, net.weights[0])


def test_loss_equals_net_loss_after_setting_the_weight(problem):
    net, X, Y = problem
    for param in (wx.weight(2, 1, 3), wx.bias(1, 3)):
        for value in SETTINGS:
            s = wx.layer_state(net, X, Y, param, value)
            twin = net.copy()
            Ws, bs = set_entry(net, param, value)
            twin.weights, twin.biases = Ws, bs
            assert s.loss == pytest.approx(twin.loss(X, Y), rel=1e-12)
            assert s.loss == pytest.approx(
                reference_loss(Ws, bs, X, Y), rel=1e-12
            )


def test_activation_into_layer_1_is_the_input(problem):
    net, X, Y = problem
    np.testing.assert_array_equal(
        wx.layer_state(net, X, Y, wx.weight(1, 1, 1), 0.0).a_prev, X
    )


def test_output_bias_gradient_is_the_mean_residual_and_grows_with_slope_one(
    problem,
):
    # Identity output and MSE: ∂C/∂b^2_j = mean_x (a^2_j − y_j), and a^2_j grows
    # one for one with b^2_j, so the gradient is linear in b^2_j with slope 1.
    net, X, Y = problem
    param = wx.bias(2, 2)
    g = {
        v: wx.layer_state(net, X, Y, param, v).grad
        for v in (-3.0, 0.0, 2.0)
    }
    assert (g[2.0] - g[-3.0]) / 5.0 == pytest.approx(1.0, rel=1e-12)
    assert (g[0.0] - g[-3.0]) / 3.0 == pytest.approx(1.0, rel=1e-12)
    Ws, bs = set_entry(net, param, 2.0)
    a1 = 1.0 / (1.0 + np.exp(-(Ws[0] @ X + bs[0])))
    residual = Ws[1] @ a1 + bs[1] - Y
    assert g[2.0] == pytest.approx(residual[1].mean(), rel=1e-12)


def test_output_weight_gradient_is_linear_with_slope_mean_a_squared(
    problem,
):
    # ∂C/∂w^2_jk = mean_x (a^2_j − y_j) a^1_k, and a^2_j grows by a^1_k per unit of
    # w^2_jk, so the gradient is linear in w^2_jk with slope mean_x (a^1_k)².
    net, X, Y = problem
    param = wx.weight(2, 1, 3)
    lo, hi = (
        wx.layer_state(net, X, Y, param, -1.0),
        wx.layer_state(net, X, Y, param, 2.5),
    )
    a1 = 1.0 / (1.0 + np.exp(-(net.weights[0] @ X + net.biases[0])))
    assert (hi.grad - lo.grad) / 3.5 == pytest.approx(
        np.mean(a1[2] ** 2), rel=1e-10
    )


def test_extremes_give_finite_values_without_warnings(problem):
    net, X, Y = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for param in wx.parameters(net):
                for value in wx.VALUE_RANGE:
                    s = wx.layer_state(net, X, Y, param, value)
                    for M in (s.W, s.b, s.a_prev, s.delta, s.dW, s.db):
                        assert np.all(np.isfinite(M))
                    assert np.isfinite(s.loss) and np.isfinite(s.grad)


def test_extremes_are_finite_for_softmax_and_cross_entropy():
    net = bp.MLP(
        [2, 3, 3],
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        seed=3,
    )
    X = np.array([[0.5, -1.0], [2.0, 0.3]])
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for param in (
            wx.weight(2, 1, 1),
            wx.bias(2, 3),
            wx.weight(1, 2, 2),
        ):
            for value in (-40.0, 40.0):
                s = wx.layer_state(net, X, Y, param, value)
                assert (
                    np.isfinite(s.loss)
                    and np.all(np.isfinite(s.dW))
                    and np.all(np.isfinite(s.db))
                )


@pytest.mark.parametrize(
    "param",
    [
        wx.weight(3, 1, 1),  # no layer 3
        wx.weight(2, 3, 1),  # no row 3 in W^2 (2, 3)
        wx.weight(1, 1, 3),  # no column 3 in W^1 (3, 2)
        wx.bias(1, 4),
        {"kind": "z", "l": 1, "j": 1},
        (1, 1, 1),
    ],
)
def test_bad_parameters_are_refused(problem, param):
    net, X, Y = problem
    with pytest.raises(
        ValueError, match=r"param must be an entry .* 1-based"
    ):
        wx.layer_state(net, X, Y, param, 0.0)


def test_a_value_that_is_not_finite_is_refused(problem):
    net, X, Y = problem
    with pytest.raises(ValueError, match="b\\^1_1 must be a finite"):
        wx.layer_state(net, X, Y, wx.bias(1, 1), float("nan"))


def test_parameters_lists_every_weight_and_bias(problem):
    net, _, _ = problem
    params = wx.parameters(net)
    # 2-3-2: W^1 (3, 2), b^1 (3), W^2 (2, 3), b^2 (2), counted by hand.
    assert len(params) == 6 + 3 + 6 + 2 == net.n_params
    assert len({tuple(p.items()) for p in params}) == len(params)
    assert params[0] == {"kind": "w", "l": 1, "j": 1, "k": 1}
    assert params[-1] == {"kind": "b", "l": 2, "j": 2}
    assert wx.label(params[0]) == "w^1_11"
    assert wx.label(wx.bias(2, 1), tex=True) == "$b^{2}_{1}$"
    assert wx.label(wx.weight(1, 12, 3)) == "w^1_12,3"


# -- the explorer's protocol: spec, checked controls, state ------------------


def test_state_equals_finite_differences_with_edited_x_and_y(view):
    rng = np.random.default_rng(7)
    cfg = view.config
    net = wx.default_problem()[0]
    curve_values = np.linspace(-4.0, 4.0, 41)
    for _ in range(6):
        c = sample_controls(view, rng)
        s = view.compute_state(cfg, view.check(cfg, c))
        param = c["param"]
        X, Y = np.array(c["X"]), np.array(c["Y"])
        Ws, bs = set_entry(net, param, c["value"])
        assert s["C"] == pytest.approx(
            reference_loss(Ws, bs, X, Y), rel=1e-12
        )
        for l in (1, 2):
            dW, db = finite_difference_gradients(Ws, bs, X, Y, l)
            np.testing.assert_allclose(
                s["dW"][l - 1], dW, rtol=1e-6, atol=1e-9
            )
            np.testing.assert_allclose(
                s["db"][l - 1], db, rtol=1e-6, atol=1e-9
            )
        l, j = param["l"], param["j"]
        if param["kind"] == "w":
            assert s["grad"] == s["dW"][l - 1][j - 1][param["k"] - 1]
        else:
            assert s["grad"] == s["db"][l - 1][j - 1][0]
        # The curve is the cost at each value of the parameter.
        for i in (0, 17, 40):
            Wv, bv = set_entry(net, param, curve_values[i])
            assert s["curve"][i] == pytest.approx(
                reference_loss(Wv, bv, X, Y), rel=1e-12
            )


def test_state_shows_the_layer_of_the_parameter(view):
    c = dict(view.controls, param={"kind": "w", "l": 1, "j": 2, "k": 1})
    s = wx.state(view.config, view.check(view.config, c))
    np.testing.assert_array_equal(s["a_prev"], c["X"])  # a^0 = x
    assert np.shape(s["delta"]) == (3, 4)
    assert s["weights"][0][1][0] == c["value"]


def test_state_repeats_every_control_and_no_config(view):
    # The state holds what the package computes (and the controls it was
    # computed at); what only the drawing needs comes from the config.
    s = view.state
    json.dumps(s, allow_nan=False)
    for key in ("param", "value", "X", "Y", "example"):
        assert s[key] == view.controls[key]
    echoed = {"sizes", "hidden", "output", "loss", "focus", "m"}
    assert echoed & set(s) == set()
    for key in ("weights", "biases", "dW", "db", "delta", "a_prev"):
        assert key in s


def test_set_controls_recomputes_the_state_with_the_package(view):
    before = view.state["C"]
    s = view.set_controls(value=3.5)
    assert s["value"] == 3.5 and s["C"] != before
    X = [row[:] for row in view.controls["X"]]
    X[0][2] = -2.5
    s = view.set_controls(X=X, example=3)
    assert s["X"][0][2] == -2.5 and s["example"] == 3
    net = wx.default_problem()[0]
    Ws, bs = set_entry(net, wx.weight(2, 1, 2), 3.5)
    assert s["C"] == pytest.approx(
        reference_loss(Ws, bs, np.array(X), np.array(s["Y"])), rel=1e-12
    )


def test_spec_declares_the_controls_the_text_describes(view):
    # By hand: the parameter of the 2-3-2 network, its value in [-4, 4] in
    # steps of 0.01, x and y of the four examples in [-3, 3], and which
    # example the sliders edit.
    spec = {c["name"]: c for c in view.config["spec"]}
    assert list(spec) == ["param", "value", "X", "Y", "example"]
    assert spec["param"]["kind"] == "entry"
    assert list(spec["param"]["kinds"]) == ["w", "b"]
    assert (spec["value"]["lo"], spec["value"]["hi"]) == (-4.0, 4.0)
    assert spec["value"]["step"] == 0.01
    for name, shape in (("X", "x"), ("Y", "y")):
        assert spec[name]["kind"] == "matrix"
        assert spec[name]["shape"] == shape
        assert (spec[name]["lo"], spec[name]["hi"]) == (-3.0, 3.0)
    assert [v for v, _ in spec["example"]["options"]] == [1, 2, 3, 4]
    # The view reads ranges from the spec, not from separate config keys.
    assert not {"value_range", "data_range"} & set(view.config)


def test_samples_from_the_spec_cover_every_parameter_and_example(view):
    rng = np.random.default_rng(3)
    samples = [sample_controls(view, rng) for _ in range(400)]
    seen = {tuple(c["param"].items()) for c in samples}
    assert len(seen) == 17  # every weight and bias of 2-3-2, by hand
    assert {c["example"] for c in samples} == {1, 2, 3, 4}
    values = np.array([c["value"] for c in samples])
    assert values.min() >= -4.0 and values.max() <= 4.0
    # on the slider's grid of 0.01
    np.testing.assert_allclose(
        values * 100, np.round(values * 100), atol=1e-6
    )
    for c in samples[:20]:
        assert np.shape(c["X"]) == (2, 4) and np.shape(c["Y"]) == (2, 4)
        assert np.max(np.abs(c["X"] + c["Y"])) <= 6.0


def test_extreme_controls_reach_every_end_and_give_finite_states(view):
    settings = extreme_controls(view)
    values = {c["value"] for c in settings}
    assert {-4.0, 0.0, 4.0} <= values
    params = [c["param"] for c in settings]
    assert {"kind": "w", "l": 1, "j": 1, "k": 1} in params
    assert {"kind": "b", "l": 2, "j": 2} in params
    assert {c["example"] for c in settings} == {1, 2, 3, 4}
    for name in ("X", "Y"):
        ends = {(np.min(c[name]), np.max(c[name])) for c in settings}
        assert {(-3.0, -3.0), (3.0, 3.0)} <= ends
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for c in settings:
                s = view.compute_state(
                    view.config, view.check(view.config, c)
                )
                json.dumps(s, allow_nan=False)


@pytest.mark.parametrize(
    "change, match",
    [
        (
            {"value": float("nan")},
            r"value must be a number in \[-4.0, 4.0\]",
        ),
        (
            {"value": 9.0},
            r"value must be a number in \[-4.0, 4.0\]; got 9.0",
        ),
        ({"value": None}, "value must be a number; got None"),
        ({"param": {"kind": "w", "l": 3, "j": 1, "k": 1}}, "param must be"),
        (
            {"param": {"kind": "w", "l": 1, "j": 1}},
            r"\{kind, l, j\(, k\)\}",
        ),
        ({"param": {"kind": "z", "l": 1, "j": 1}}, r"kind one of \['w'"),
        ({"X": [[0.0, 1.0], [1.0, 2.0]]}, r"X must have shape \(2, 4\)"),
        ({"X": [[0.0] * 4]}, r"X must have shape \(2, 4\)"),
        ({"Y": [[5.0] * 4, [0.0] * 4]}, r"entry of Y must be in \[-3.0"),
        ({"example": 5}, r"example must be one of \[1, 2, 3, 4\]"),
        ({"example": True}, "example must be one of"),
        ({"extra": 1}, r"unknown \['extra'\]"),
    ],
)
def test_bad_controls_are_refused_clearly(view, change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        view.check(view.config, {**view.controls, **change})


def test_set_controls_refuses_bad_controls(view):
    controls = {k: view.controls[k] for k in ("param", "value", "X", "Y")}
    with pytest.raises(ValueError, match=r"missing \['example'\]"):
        view.controls = controls
    with pytest.raises(ValueError, match="value must be a number in"):
        wx.show().set_controls(value=-4.5)


def test_show_refuses_bad_arguments():
    with pytest.raises(ValueError, match="focus"):
        wx.show(focus="dz")
    net, X, Y = wx.default_problem()
    with pytest.raises(ValueError, match="together"):
        wx.show(net=net)
    with pytest.raises(ValueError, match="param must be an entry"):
        wx.show(param=wx.weight(2, 3, 1))
    with pytest.raises(TypeError, match="backprop MLP"):
        wx.show(net="2-3-2", X=X, Y=Y)


def test_focus_picks_the_first_parameter():
    assert wx.show(focus="db").state["param"] == {
        "kind": "b",
        "l": 2,
        "j": 1,
    }
    assert wx.show(focus="dW").state["param"] == {
        "kind": "w",
        "l": 2,
        "j": 1,
        "k": 2,
    }


def test_book_html_holds_the_live_view_and_a_fallback(view):
    bundle = view._repr_mimebundle_()
    page = bundle["text/html"]
    assert 'data-explorer="weights"' in page
    state = json.loads(
        html.unescape(re.search(r'data-state="([^"]*)"', page).group(1))
    )
    assert state == view.state
    assert "<noscript>" in page and "data:image/png;base64," in page
    assert re.search(r'<noscript>.*<img [^>]*alt="The cost C', page, re.S)
    assert "needs JavaScript" in page
    assert "function compute(config, controls)" in page
    assert (
        "fetch(" not in page and "import " not in page.split("<script")[-1]
    )
    assert len(page.encode()) < 100_000
    assert "Weights explorer" in bundle["text/plain"]


# -- the view in the page: built from config.spec ----------------------------

VIEW = """() => {
  const el = document.querySelector("[data-explorer]");
  const attrs = (key) => {
    const c = el.querySelector(`[data-control="${key}"]`);
    const label = el.querySelector(`label[for="${c.id}"]`).textContent;
    return [c.tagName, c.min, c.max, c.step, label,
            [...(c.options || [])].map((o) => o.value)];
  };
  const keys = [...el.querySelectorAll("[data-control]")]
    .map((c) => c.getAttribute("data-control"));
  const focus = [...el.querySelectorAll(".bp-focus figcaption")]
    .map((f) => f.textContent);
  const chart = el.querySelector("svg.bp-chart").getAttribute("aria-label");
  return {
    keys, focus, chart, ...Object.fromEntries(keys.map((k) => [k, attrs(k)])),
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("focus", ["dW", "db"])
def test_view_builds_its_controls_from_the_spec(
    playwright_session, tmp_path, focus
):
    from browser_support import explorer_page, launch_chromium

    explorer = wx.show(focus=focus)
    # Narrow the spec the page gets: the view must follow it.
    spec = [dict(c) for c in explorer.config["spec"]]
    spec[1].update(lo=-2.0, hi=2.5, step=0.05, label="move")
    spec[2].update(lo=-1.5, step=0.25)
    spec[3].update(hi=1.25, label="t")
    explorer.config = {**explorer.config, "spec": spec}
    browser = launch_chromium(playwright_session)
    try:
        with explorer_page(browser, tmp_path, explorer) as (page, errors):
            got = page.evaluate(VIEW)
            page.focus('[data-control="value"]')
            page.keyboard.press("End")
            state = json.loads(
                page.get_attribute("[data-explorer]", "data-state")
            )
    finally:
        browser.close()
    assert got["keys"] == ["param", "value", "example"] + [
        "x1",
        "x2",
        "t1",
        "t2",
    ]
    assert got["value"][:4] == ["INPUT", "-2", "2.5", "0.05"]
    assert got["x1"][:4] == ["INPUT", "-1.5", "3", "0.25"]
    assert got["t2"][:4] == ["INPUT", "-3", "1.25", "0.01"]
    assert got["param"][4] == "parameter" and len(got["param"][5]) == 17
    assert got["example"][4] == "edit x and y of"
    assert got["example"][5] == ["1", "2", "3", "4"]
    assert state["value"] == 2.5
    # The cost curve's axis spans the value's range of the spec.
    name = "w²₁₂" if focus == "dW" else "b²₁"
    assert f"against {name} from -2 to 2.5;" in got["chart"]
    # The gradient the chapter is about is the panel put first.
    want = "∂C/∂W²" if focus == "dW" else "∂C/∂b²"
    assert got["focus"] == [want]
    assert errors == []
