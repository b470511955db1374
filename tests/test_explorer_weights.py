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
    target = Ws if param.kind == "w" else bs
    if param.kind == "w":
        target[param.l - 1][param.j - 1, param.k - 1] = value
    else:
        target[param.l - 1][param.j - 1, 0] = value
    return Ws, bs


def finite_difference_gradients(Ws, bs, X, Y, l, eps=1e-6):
    """Return (dW, db) of layer l by centred differences of reference_loss."""

    def estimate(P):
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            plus = reference_loss(Ws, bs, X, Y)
            P[idx] = old - eps
            minus = reference_loss(Ws, bs, X, Y)
            P[idx] = old
            G[idx] = (plus - minus) / (2 * eps)
        return G

    return estimate(Ws[l - 1]), estimate(bs[l - 1])


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
        dW, db = finite_difference_gradients(Ws, bs, X, Y, param.l)
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
            assert s.db.shape == (net.sizes[param.l], 1)


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
        before = net.weights[param.l - 1].copy()
        s = wx.layer_state(net, X, Y, param, 3.25)
        changed = np.argwhere(s.W != before)
        assert changed.tolist() == [[param.j - 1, param.k - 1]]
        assert s.W[param.j - 1, param.k - 1] == 3.25
        np.testing.assert_array_equal(s.b, net.biases[param.l - 1])
        np.testing.assert_array_equal(
            net.weights[param.l - 1], before
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


def test_bad_parameters_are_refused(problem):
    net, X, Y = problem
    with pytest.raises(ValueError, match="layer"):
        wx.layer_state(net, X, Y, wx.weight(3, 1, 1), 0.0)
    with pytest.raises(ValueError, match="row j"):
        wx.layer_state(net, X, Y, wx.weight(2, 3, 1), 0.0)
    with pytest.raises(ValueError, match="column k"):
        wx.layer_state(net, X, Y, wx.weight(1, 1, 3), 0.0)
    with pytest.raises(ValueError, match="finite"):
        wx.layer_state(net, X, Y, wx.bias(1, 1), float("nan"))
    with pytest.raises(TypeError, match="Param"):
        wx.layer_state(net, X, Y, (1, 1, 1), 0.0)


def test_parameters_lists_every_weight_and_bias(problem):
    net, _, _ = problem
    params = wx.parameters(net)
    assert len(params) == net.n_params == len(set(params))
    assert params[0].text == "w^1_11" and params[0].unicode == "w¹₁₁"


# -- the explorer's protocol: state(config, controls) -------------------------


def _as_param(d):
    return (
        wx.weight(d["l"], d["j"], d["k"])
        if d["kind"] == "w"
        else wx.bias(d["l"], d["j"])
    )


def test_state_equals_finite_differences_with_edited_x_and_y(view):
    rng = np.random.default_rng(7)
    cfg = view.config
    net = wx.default_problem()[0]
    for _ in range(6):
        c = view.sample_controls(rng)
        s = wx.state(cfg, c)
        param = _as_param(c["param"])
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
        G = s["dW"] if param.kind == "w" else s["db"]
        assert s["grad"] == G[param.l - 1][param.index[0]][param.index[1]]
        # The curve is the cost at each value of the parameter.
        for i in (0, 17, 40):
            v = cfg["curve_values"][i]
            Wv, bv = set_entry(net, param, v)
            assert s["curve"][i] == pytest.approx(
                reference_loss(Wv, bv, X, Y), rel=1e-12
            )


def test_state_shows_the_layer_of_the_parameter(view):
    c = dict(view.controls, param={"kind": "w", "l": 1, "j": 2, "k": 1})
    s = wx.state(view.config, c)
    np.testing.assert_array_equal(s["a_prev"], c["X"])  # a^0 = x
    assert np.shape(s["delta"]) == (3, 4)
    assert s["weights"][0][1][0] == c["value"]


def test_state_is_json_and_repeats_every_control(view):
    s = view.state
    json.dumps(s, allow_nan=False)
    for key in ("param", "value", "X", "Y", "example"):
        assert s[key] == view.controls[key]
    for key in ("sizes", "hidden", "output", "loss", "weights", "biases"):
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


def test_extreme_controls_give_finite_states(view):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            settings = view.extreme_controls()
            assert len(settings) >= 2 * len(
                wx.parameters(bp.MLP([2, 3, 2]))
            )
            for c in settings:
                s = wx.state(view.config, c)
                json.dumps(s, allow_nan=False)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"value": float("nan")}, "value"),
        ({"value": 9.0}, "value must be in"),
        ({"value": "1"}, "number"),
        ({"param": {"kind": "w", "l": 3, "j": 1, "k": 1}}, "layer"),
        ({"param": {"kind": "w", "l": 1, "j": 1}}, "indices"),
        ({"param": {"kind": "z", "l": 1, "j": 1}}, "kind"),
        ({"X": [[0.0, 1.0], [1.0, 2.0]]}, "examples"),
        ({"X": [[0.0] * 4]}, "rows"),
        ({"Y": [[5.0] * 4, [0.0] * 4]}, "must be in"),
        ({"example": 5}, "example"),
    ],
)
def test_bad_controls_are_refused_clearly(view, change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        wx.state(view.config, {**view.controls, **change})


def test_show_refuses_bad_arguments():
    with pytest.raises(ValueError, match="focus"):
        wx.show(focus="dz")
    net, X, Y = wx.default_problem()
    with pytest.raises(ValueError, match="together"):
        wx.show(net=net)
    with pytest.raises(ValueError, match="row j"):
        wx.show(param=wx.weight(2, 3, 1))


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
    assert "needs JavaScript" in page
    assert "function compute(config, controls)" in page
    assert (
        "fetch(" not in page and "import " not in page.split("<script")[-1]
    )
    assert len(page.encode()) < 100_000
    assert "Weights explorer" in bundle["text/plain"]
