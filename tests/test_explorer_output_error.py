"""Tests for the output-error explorer (chapter 3): pairings of output and cost.

References are independent of the package: the logistic function and both
costs are written out here with the math module, and derivatives are taken by
centred finite differences.
"""

import json
import math
import re
import warnings

import numpy as np
import pytest

from backprop.explorers import output_error as oe

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def logistic(z):
    return (
        1.0 / (1.0 + math.exp(-z))
        if z >= 0
        else math.exp(z) / (1.0 + math.exp(z))
    )


def mse_cost(z, y):
    return 0.5 * (logistic(z) - y) ** 2


def ce_cost(z, y):
    # Two-class softmax with logits (z, 0) and target (y, 1 − y), written out.
    log_norm = max(z, 0.0) + math.log(
        math.exp(z - max(z, 0.0)) + math.exp(-max(z, 0.0))
    )
    return -(y * (z - log_norm) + (1.0 - y) * (0.0 - log_norm))


def tanh_mse_cost(z, y):
    return 0.5 * (math.tanh(z) - y) ** 2


def identity_mse_cost(z, y):
    return 0.5 * (z - y) ** 2


COSTS = {
    "sigmoid_mse": (mse_cost, logistic),
    "softmax_ce": (ce_cost, logistic),
    "tanh_mse": (tanh_mse_cost, math.tanh),
    "identity_mse": (identity_mse_cost, lambda z: z),
}


def centred(f, z, h=1e-5):
    return (f(z + h) - f(z - h)) / (2 * h)


ZS = [-9.5, -6.0, -2.5, -0.3, 0.0, 0.7, 3.0, 7.5]
YS = [0.0, 0.25, 1.0]
CONFIG = oe.default_config()


def states(y, pairing, z=0.0, z_range=None, n_curve=None):
    """Return oe.state with pairing in both slots, curves over z_range."""
    config = dict(CONFIG)
    if z_range is not None:
        config.update(z_range=list(z_range), n_curve=n_curve)
    controls = {"z": z, "y": y, "first": pairing, "second": pairing}
    return oe.state(config, controls)


@pytest.mark.parametrize("pairing", sorted(COSTS))
@pytest.mark.parametrize("y", YS)
@pytest.mark.parametrize("z", ZS)
def test_errors_are_the_derivatives_of_the_costs(z, y, pairing):
    cost, out = COSTS[pairing]
    s = states(y, pairing, z)
    for p in (s["first_point"], s["second_point"]):
        assert p["delta"] == pytest.approx(
            centred(lambda t: cost(t, y), z), abs=1e-8
        )
        assert p["cost"] == pytest.approx(cost(z, y), rel=1e-12, abs=1e-15)
        assert p["a"] == pytest.approx(out(z), rel=1e-14, abs=1e-300)
        # δ = (a − y) · factor: σ'(z) for the squared error, 1 for CE.
        assert p["delta"] == pytest.approx(
            (out(z) - y) * p["factor"], abs=1e-15
        )


@pytest.mark.parametrize("y", YS)
@pytest.mark.parametrize("z", ZS)
def test_cross_entropy_error_is_a_minus_y_and_mse_carries_sigma_prime(z, y):
    a = logistic(z)
    s = oe.state(
        CONFIG,
        {"z": z, "y": y, "first": "softmax_ce", "second": "sigmoid_mse"},
    )
    ce, mse = s["first_point"], s["second_point"]
    # softmax((z, 0))_1 = e^z / (e^z + 1) = σ(z): the same output for both.
    assert ce["a"] == pytest.approx(a, rel=1e-14)
    assert ce["delta"] == pytest.approx(a - y, abs=1e-14)
    assert ce["factor"] == 1.0
    assert mse["delta"] == pytest.approx((a - y) * a * (1 - a), abs=1e-15)
    assert mse["factor"] <= 0.25


def delta_curve(pairing, z_range, n_curve):
    """Return the δ curve of pairing for y = 1 over z_range, from oe.state."""
    s = states(1.0, pairing, z_range=z_range, n_curve=n_curve)
    return np.array(s["first_curve"]["delta"])


def test_mse_error_vanishes_when_saturated_but_cross_entropy_does_not():
    for z in (-10.0, -8.0):
        # confidently wrong: a ≈ 0, y = 1
        mse = states(1.0, "sigmoid_mse", z)["first_point"]["delta"]
        assert abs(mse) < 4e-4
        assert states(1.0, "softmax_ce", z)["first_point"]["delta"] < -0.999
    mse = delta_curve("sigmoid_mse", (-10, -1.5), 50)
    ce = delta_curve("softmax_ce", (-10, -1.5), 50)
    assert len(mse) == 50
    assert np.all(np.diff(np.abs(mse)) > 0)
    assert np.all(np.abs(ce) > np.abs(mse))
    # Largest |δ_MSE| for y = 1 is 4/27 (where a = 1/3), exercise 2.
    fine = delta_curve("sigmoid_mse", (-10, 10), 20001)
    assert np.max(np.abs(fine)) == pytest.approx(4 / 27, abs=1e-6)


@pytest.mark.parametrize("pairing", sorted(COSTS))
def test_curves_are_the_pairing_at_the_configs_z_points(pairing):
    # Over z_range, n_curve points with both ends: a(t) and δ(t) there.
    cost, out = COSTS[pairing]
    zs = [-3.0 + 0.5 * i for i in range(11)]  # -3, -2.5, ..., 2
    s = states(0.25, pairing, 1.0, z_range=(-3, 2), n_curve=11)
    for slot in ("first_curve", "second_curve"):
        assert set(s[slot]) == {"a", "delta"}
        want_a = [out(t) for t in zs]
        want_d = [centred(lambda u: cost(u, 0.25), t) for t in zs]
        np.testing.assert_allclose(s[slot]["a"], want_a, rtol=1e-14)
        np.testing.assert_allclose(s[slot]["delta"], want_d, atol=1e-8)


def test_extremes_are_finite_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for pairing in oe.PAIRINGS:
                for y in (0.0, 0.5, 1.0):
                    for z in oe.Z_RANGE:
                        s = states(y, pairing, z, oe.Z_RANGE, 401)
                        values = [
                            *s["first_point"].values(),
                            *s["first_curve"]["a"],
                            *s["first_curve"]["delta"],
                        ]
                        assert np.all(np.isfinite(values))


def test_controls_drive_the_state():
    ex = oe.show(z=-4.0, y=1.0)
    assert ex.state["z"] == -4.0 and ex.state["first"] == "sigmoid_mse"
    before = ex.state["first_point"]["delta"]
    ex.set_controls(z=2.0, y=0.0, second="tanh_mse")
    s = ex.state
    assert s["z"] == 2.0 and s["second"] == "tanh_mse"
    a = logistic(2.0)
    assert s["first_point"]["delta"] == pytest.approx(a * a * (1 - a))
    assert s["second_point"]["a"] == pytest.approx(math.tanh(2.0))
    assert s["first_point"]["delta"] != before
    # The curves are the same function at every z of the config's grid.
    zs = np.linspace(*oe.Z_RANGE, oe.N_CURVE)
    want = [
        (logistic(t) - 0.0) * logistic(t) * (1 - logistic(t)) for t in zs
    ]
    np.testing.assert_allclose(s["first_curve"]["delta"], want, atol=1e-15)


def test_state_is_json_without_nan_or_null():
    ex = oe.show(z=oe.Z_RANGE[0], y=1.0)
    text = json.dumps(ex.state, allow_nan=False)
    assert "null" not in text


def test_book_view_holds_the_state_a_fallback_and_one_inline_module():
    ex = oe.show(z=-4.0, y=1.0)
    bundle = ex._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # JupyterLab's live widget
    html = bundle["text/html"]
    assert 'data-explorer="output_error"' in html
    assert html.count('<script type="module">') == 1
    assert "<noscript>" in html and "needs JavaScript" in html
    assert "data:image/png;base64," in html  # the starting picture
    # No fetch, no import of other files: file:// forbids both.
    assert not re.search(r"\bfetch\(|^\s*import\b", html, re.M)
    assert "rules.output_error" in html  # the engine is inlined
    assert "VBox" not in bundle["text/plain"]


def test_show_refuses_what_the_controls_cannot_reach():
    # The spec checks the starting controls: z beyond the slider, a target
    # that is no probability, a pairing the lists do not offer.
    for bad, name in (
        ({"z": oe.Z_RANGE[1] + 0.5}, "z"),
        ({"z": float("nan")}, "z"),
        ({"y": 1.5}, "y"),
        ({"first": "relu_mse"}, "first"),
        ({"second": "sigmoid_ce"}, "second"),
    ):
        with pytest.raises(ValueError, match=f"^{name} must be"):
            oe.show(**bad)
    with pytest.raises(TypeError, match="y must be a number"):
        oe.show(y="one")


def test_state_holds_the_numbers_of_both_pairings_only():
    ex = oe.show(z=1.0, y=0.0, first="tanh_mse", second="identity_mse")
    s = ex.state
    assert set(s) == {
        "z", "y", "first", "second",
        "first_point", "second_point", "first_curve", "second_curve",
    }  # fmt: skip
    # identity + MSE: a = z, factor 1, δ = z − y, C = ½(z − y)².
    assert s["second_point"] == {
        "a": 1.0, "factor": 1.0, "delta": 1.0, "cost": 0.5
    }  # fmt: skip
    assert s["first_point"]["factor"] == pytest.approx(
        1 - math.tanh(1.0) ** 2, rel=1e-14
    )
