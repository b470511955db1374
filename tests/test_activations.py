"""Activations and losses: derivatives against SymPy, stability at extremes."""

import warnings

import numpy as np
import pytest
import sympy as sp

import backprop as bp
from backprop import activations, losses

z_sym = sp.Symbol("z", real=True)
# The formulas written independently of the package, as the text states them.
FORMULAS = {
    "identity": z_sym,
    "sigmoid": 1 / (1 + sp.exp(-z_sym)),
    "tanh": sp.tanh(z_sym),
    "relu": sp.Piecewise((0, z_sym < 0), (z_sym, True)),
}


@pytest.mark.parametrize("name", FORMULAS)
def test_activation_and_derivative_match_sympy(name):
    z = np.linspace(-8, 8, 401)
    z = z[np.abs(z) > 1e-9]  # the ReLU kink has no derivative
    f = sp.lambdify(z_sym, FORMULAS[name], "numpy")
    df = sp.lambdify(z_sym, sp.diff(FORMULAS[name], z_sym), "numpy")
    act = activations.get(name)
    np.testing.assert_allclose(
        act.f(z), np.broadcast_to(f(z), z.shape), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(
        act.prime(z),
        np.broadcast_to(df(z), z.shape),
        rtol=1e-10,
        atol=1e-15,
    )


def test_softmax_jacobian_matches_sympy():
    zs = sp.symbols("z1:4", real=True)
    e = [sp.exp(v) for v in zs]
    soft = [ei / sum(e) for ei in e]
    J = sp.lambdify(zs, sp.Matrix(soft).jacobian(zs), "numpy")
    z = np.array([[0.3, -2.0], [1.0, 0.5], [-0.7, 4.0]])  # two examples
    got = activations.softmax_jacobian(z)
    for i in range(2):
        np.testing.assert_allclose(got[i], J(*z[:, i]), rtol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax"])
def test_no_overflow_or_nan_at_extremes(name):
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]]).T @ np.ones((1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = activations.get(name).f(z)
    assert np.all(np.isfinite(out))
    if name == "sigmoid":
        assert out[0, 0] == 0.0 and out[-1, 0] == 1.0 and out[2, 0] == 0.5
    if name == "softmax":
        np.testing.assert_allclose(out.sum(axis=0), 1.0)


def test_cross_entropy_stable_for_extreme_logits():
    # a = softmax((1e4, 0)) rounds to (1, 0); ln 0 would be −inf, but the exact
    # cost for target class 2 is ln(1 + e^{1e4}) ≈ 1e4.
    z = np.array([[1e4, -1e4], [0.0, 0.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost = losses.cross_entropy(z, y)
    assert cost == pytest.approx((1e4 + 0.0) / 2)


def test_mse_is_half_squared_norm_averaged_over_batch():
    a = np.array([[1.0, 0.0], [2.0, 0.0]])
    y = np.array([[0.0, 0.0], [0.0, 3.0]])
    # example 1: ½(1 + 4) = 2.5; example 2: ½(9) = 4.5; mean 3.5
    assert losses.mse(a, y) == pytest.approx(3.5)


def test_network_cost_with_softmax_matches_direct_formula():
    net = bp.MLP(
        [3, 4],
        hidden="relu",
        output="softmax",
        loss="cross_entropy",
        seed=2,
    )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 5))
    labels = np.array([0, 3, 1, 1, 2])
    a = net.forward(X)
    direct = -np.mean(np.log(a[labels, np.arange(5)]))
    assert net.loss(X, labels) == pytest.approx(direct, rel=1e-12)
