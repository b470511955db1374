"""Chapter 8's claims about gradient checking, each against an independent reference.

- centered differences converge like ε², one-sided like ε (exact derivative by hand);
- rounding makes a tiny ε worse than a moderate one;
- a float32 cost cannot confirm a correct gradient, a float64 cost can;
- the ReLU kink: the check fails by the predicted factor 1/2 + z/(2ε), and
  passes once the pre-activation is moved away;
- the relative error and its thresholds, on hand-computed cases;
- SymPy, backprop and finite differences agree on a small network.
"""

import numpy as np
import pytest
import sympy as sp

import backprop as bp
from backprop import gradcheck

# -- a 1-1-1 network whose derivative is written out by hand -----------------
# z1 = w1 x + b1, a1 = tanh(z1), a2 = z2 = w2 a1 + b2, C = ½ (a2 − y)²  (one example)
W1, B1, W2, B2, XV, YV = 0.8, -0.3, 1.7, 0.2, 0.9, -0.4


def tiny_net():
    net = bp.MLP([1, 1, 1], hidden="tanh", output="identity", loss="mse")
    net.weights = [np.array([[W1]]), np.array([[W2]])]
    net.biases = [np.array([[B1]]), np.array([[B2]])]
    return net, np.array([[XV]]), np.array([[YV]])


def dC_dw1_by_hand():
    a1 = np.tanh(W1 * XV + B1)
    return (W2 * a1 + B2 - YV) * W2 * (1 - a1**2) * XV


def one_sided(f, P, idx, eps):
    old = P[idx]
    base = f()
    P[idx] = old + eps
    up = f()
    P[idx] = old
    return (up - base) / eps


def loglog_slope(eps, err):
    return np.polyfit(np.log10(eps), np.log10(err), 1)[0]


def test_centered_difference_error_falls_like_eps_squared():
    net, x, y = tiny_net()
    exact = dC_dw1_by_hand()
    eps = np.logspace(-3, -1, 9)
    err = [
        abs(
            gradcheck.numerical_gradients(net, x, y, eps=e)[0][0][0, 0]
            - exact
        )
        for e in eps
    ]
    assert loglog_slope(eps, err) == pytest.approx(2.0, abs=0.1)


def test_one_sided_difference_error_falls_like_eps():
    net, x, y = tiny_net()
    exact = dC_dw1_by_hand()
    eps = np.logspace(-5, -1, 9)
    err = [
        abs(
            one_sided(lambda: net.loss(x, y), net.weights[0], (0, 0), e)
            - exact
        )
        for e in eps
    ]
    assert loglog_slope(eps, err) == pytest.approx(1.0, abs=0.1)


def test_centered_beats_one_sided_at_the_same_step():
    net, x, y = tiny_net()
    exact = dC_dw1_by_hand()
    for e in (1e-2, 1e-3, 1e-4):
        centered = gradcheck.numerical_gradients(net, x, y, eps=e)[0][0][
            0, 0
        ]
        forward = one_sided(
            lambda: net.loss(x, y), net.weights[0], (0, 0), e
        )
        assert abs(centered - exact) < abs(forward - exact) / 10


def test_rounding_makes_a_tiny_eps_worse():
    net, x, y = tiny_net()
    exact = dC_dw1_by_hand()
    err = {
        e: abs(
            gradcheck.numerical_gradients(net, x, y, eps=e)[0][0][0, 0]
            - exact
        )
        for e in (1e-5, 1e-12)
    }
    assert err[1e-5] < 1e-9
    assert err[1e-12] > 100 * err[1e-5]


# -- float32 against float64 -------------------------------------------------


def smooth_case():
    rng = np.random.default_rng(0)
    net = bp.MLP(
        [3, 4, 2], hidden="tanh", output="sigmoid", loss="mse", seed=0
    )
    net.biases = [rng.normal(scale=0.5, size=b.shape) for b in net.biases]
    return net, rng.normal(size=(3, 5)), rng.random((2, 5))


def loss_in(dtype, net, X, Y):
    a = X.astype(dtype)
    for l in range(1, net.L + 1):
        z = net.weights[l - 1].astype(dtype) @ a + net.biases[l - 1].astype(
            dtype
        )
        a = np.tanh(z) if l < net.L else 1 / (1 + np.exp(-z))
    return 0.5 * np.sum((a - Y.astype(dtype)) ** 2) / X.shape[1]


def numeric_in(dtype, net, X, Y, eps):
    out = []
    for P in net.weights + net.biases:
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            up = loss_in(dtype, net, X, Y)
            P[idx] = old - eps
            down = loss_in(dtype, net, X, Y)
            P[idx] = old
            out.append((up - down) / (2 * eps))
    return np.array(out, dtype=np.float64)


def test_float32_check_cannot_confirm_a_correct_gradient():
    net, X, Y = smooth_case()
    assert loss_in(np.float32, net, X, Y).dtype == np.float32
    assert loss_in(np.float64, net, X, Y) == pytest.approx(
        net.loss(X, Y), rel=1e-14
    )
    g = gradcheck.flatten(*net.gradients(X, Y))
    eps_grid = np.logspace(-7, -1, 13)
    rel32 = [
        gradcheck.relative_error(g, numeric_in(np.float32, net, X, Y, e))
        for e in eps_grid
    ]
    rel64 = gradcheck.relative_error(
        g, numeric_in(np.float64, net, X, Y, 1e-6)
    )
    assert rel64 < gradcheck.GOOD
    assert (
        min(rel32) > 10 * gradcheck.GOOD
    )  # no ε makes float32 read "correct"
    assert rel32[2] > gradcheck.SUSPECT  # ε = 1e-6: float32 reads "wrong"
    assert rel32[2] > 1e4 * rel64


# -- the ReLU kink -----------------------------------------------------------


def kinked_case(z_target):
    net = bp.MLP([2, 3, 1], hidden="relu", output="identity", loss="mse")
    net.weights = [
        np.array([[0.6, -0.4], [0.7, 0.2], [-0.3, 0.9]]),
        np.array([[1.0, -0.5, 0.8]]),
    ]
    x, y = np.array([[1.0], [0.5]]), np.array([[0.3]])
    net.biases[0][0, 0] = z_target - (net.weights[0] @ x)[0, 0]
    return net, x, y


def test_kink_case_fails_the_check_by_the_predicted_factor():
    eps, z = 1e-6, 3e-7
    net, x, y = kinked_case(z)
    assert net.forward(x, return_cache=True).z[1][0, 0] == pytest.approx(
        z, abs=1e-15
    )
    check = gradcheck.check_gradients(net, x, y, eps=eps)
    assert (
        check.errors["b^1"] > gradcheck.SUSPECT
        and check.errors["W^1"] > gradcheck.SUSPECT
    )
    assert (
        check.errors["W^2"] < gradcheck.GOOD
        and check.errors["b^2"] < gradcheck.GOOD
    )
    assert check.verdict == "wrong: " + gradcheck.KINK_HINT
    assert set(check.kinks) == {"W^1", "b^1"}
    # by hand: δ^1_1 = (a^2 − y) w^2_11 with unit 1 on; the difference sees half of it plus z/(2ε)
    a = net.forward(x)[0, 0]
    delta1 = (a - y[0, 0]) * 1.0
    numeric = gradcheck.numerical_gradients(net, x, y, eps=eps)[1][0][0, 0]
    assert net.gradients(x, y)[1][0][0, 0] == pytest.approx(
        delta1, rel=1e-12
    )
    assert numeric == pytest.approx(
        (0.5 + z / (2 * eps)) * delta1, rel=1e-4
    )


def test_moving_away_from_the_kink_passes():
    net, x, y = kinked_case(0.01)
    check = gradcheck.check_gradients(net, x, y, eps=1e-6)
    assert check.overall < gradcheck.GOOD and check.verdict == "correct"


def test_sign_flip_detects_exactly_the_kinked_parameters():
    # a perturbation crosses the kink iff it flips the sign of z^1_1 = w11 x1 + w12 x2 + b1
    eps = 1e-6
    net, x, _ = kinked_case(3e-7)
    crossed = set()
    for name, P in (
        ("W1", net.weights[0]),
        ("b1", net.biases[0]),
        ("W2", net.weights[1]),
    ):
        for idx in np.ndindex(P.shape):
            old = P[idx]
            for v in (old + eps, old - eps):
                P[idx] = v
                if np.any(
                    (net.forward(x, return_cache=True).z[1] > 0)
                    != [[True], [True], [True]]
                ):
                    crossed.add((name, idx))
            P[idx] = old
    # |Δz| = eps·x_k for w1k (x = 1, 0.5), eps for b1: all exceed 3e-7, so all three cross
    assert crossed == {("W1", (0, 0)), ("W1", (0, 1)), ("b1", (0, 0))}


# -- the relative error ------------------------------------------------------


def test_relative_error_on_hand_cases():
    assert gradcheck.relative_error(
        [1.0, 0.0], [0.0, 1.0]
    ) == pytest.approx(np.sqrt(2) / 2)
    assert gradcheck.relative_error(
        [1.0, 2.0], [-1.0, -2.0]
    ) == pytest.approx(1.0)
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    x, y = np.array([3.0, -4.0]), np.array([3.0, -4.0]) * (1 + 1e-8)
    assert gradcheck.relative_error(x, y) == pytest.approx(
        1e-8 / (2 + 1e-8), rel=1e-6
    )
    assert gradcheck.relative_error(1e6 * x, 1e6 * y) == pytest.approx(
        gradcheck.relative_error(x, y), rel=1e-9
    )
    assert gradcheck.relative_error(x, y) == gradcheck.relative_error(y, x)


def test_thresholds_and_verdicts():
    assert gradcheck.GOOD == 1e-7 and gradcheck.SUSPECT == 1e-4
    assert gradcheck.verdict(1e-10) == "correct"
    assert gradcheck.verdict(1e-5).startswith("suspect")
    assert gradcheck.verdict(1e-2) == "wrong"
    # the kink hint wherever a check fails with a kink in reach, never else
    hint = gradcheck.KINK_HINT
    assert gradcheck.verdict(1e-10, kink=True) == "correct"
    assert gradcheck.verdict(1e-5, kink=True) == "suspect: " + hint
    assert gradcheck.verdict(0.4, kink=True) == "wrong: " + hint
    assert gradcheck.verdict(1e-5, kink=False) == "suspect"
    assert gradcheck.verdict(0.4, kink=False) == "wrong"


def test_bias_gradient_summed_not_averaged_gives_the_predicted_error():
    net, X, Y = smooth_case()
    m = X.shape[1]
    dWs, dbs = net.gradients(X, Y)
    nWs, nbs = gradcheck.numerical_gradients(net, X, Y)
    for db, nb in zip(dbs, nbs):
        assert gradcheck.relative_error(m * db, nb) == pytest.approx(
            (m - 1) / (m + 1), rel=1e-6
        )


# -- three ways to the same gradient ------------------------------------------


def test_sympy_backprop_and_finite_differences_agree():
    S = bp.symbolic.SymbolicNetwork(
        (2, 3, 2),
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        m=2,
    )
    rng = np.random.default_rng(11)
    net = bp.MLP(
        [2, 3, 2],
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        seed=11,
    )
    net.biases = [rng.normal(scale=0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(2, 2))
    Y = rng.random((2, 2))
    Y /= Y.sum(axis=0, keepdims=True)
    values = {}
    for l in range(1, S.L + 1):
        values.update(zip(S.W[l].ravel(), net.weights[l - 1].ravel()))
        values.update(zip(S.b[l].ravel(), net.biases[l - 1].ravel()))
    values.update(zip(S.X.ravel(), X.ravel()))
    values.update(
        (s, v)
        for s, v in zip(S.Y.ravel(), Y.ravel())
        if isinstance(s, sp.Symbol)
    )
    params = [
        P[i]
        for l in range(1, S.L + 1)
        for P in (S.W[l], S.b[l])
        for i in np.ndindex(P.shape)
    ]
    exact = np.array(
        sp.lambdify(
            list(values),
            [sp.diff(S.cost, p) for p in params],
            "numpy",
            cse=True,
        )(*values.values()),
        dtype=float,
    )
    dWs, dbs = net.gradients(X, Y)
    nWs, nbs = gradcheck.numerical_gradients(net, X, Y)
    backprop = np.concatenate(
        [G.ravel() for l in range(net.L) for G in (dWs[l], dbs[l])]
    )
    numeric = np.concatenate(
        [G.ravel() for l in range(net.L) for G in (nWs[l], nbs[l])]
    )
    assert len(exact) == 17
    assert gradcheck.relative_error(backprop, exact) < 1e-12
    assert gradcheck.relative_error(numeric, exact) < gradcheck.GOOD
    assert gradcheck.relative_error(numeric, backprop) < gradcheck.GOOD


# -- the zero-bias kink (review 8.4) ------------------------------------------


def zero_bias_case():
    # the package's zero initial biases: where layer 1 is all off for an
    # example, z^2 = W^2 · 0 + 0 is exactly 0 for that example
    net = bp.MLP([2, 2, 3, 1], hidden="relu", seed=3)
    rng = np.random.default_rng(1)
    return net, rng.normal(size=(2, 40)), rng.normal(size=(1, 40))


def test_zero_biases_put_z_exactly_on_the_kink():
    net, X, Y = zero_bias_case()
    z = net.forward(X, return_cache=True).z
    off = np.all(z[1] <= 0, axis=0)  # examples with layer 1 all off
    assert off.sum() >= 10
    assert np.all(z[2][:, off] == 0.0)  # exactly, not nearly
    assert np.all(z[2][:, ~off] != 0.0)


def test_zero_bias_kink_fails_b2_for_every_eps_and_names_the_kink():
    net, X, Y = zero_bias_case()
    m = X.shape[1]
    dbs = net.gradients(X, Y)[1]
    z = net.forward(X, return_cache=True).z
    off = np.all(z[1] <= 0, axis=0)
    # by hand: at z = 0 exactly, z^2_j + ε turns unit j on and z^2_j − ε
    # leaves it off, so the centered difference for b^2_j adds half the
    # right-hand slope, ½ ((W^3)ᵀ δ^3)_j / m, for every example at the kink
    back = net.weights[2].T @ (net.forward(X) - Y)  # identity output
    predicted = dbs[1] + 0.5 * back[:, off].sum(axis=1, keepdims=True) / m
    for eps in (1e-4, 1e-6, 1e-8):
        check = gradcheck.check_gradients(net, X, Y, eps=eps)
        assert check.errors["b^2"] > gradcheck.SUSPECT
        assert "kink" in str(check).splitlines()[3]  # the b^2 line
        assert "b^2" in check.kinks and "W^2" not in check.kinks
        numeric = gradcheck.numerical_gradients(net, X, Y, eps=eps)[1][1]
        np.testing.assert_allclose(numeric, predicted, rtol=1e-3, atol=1e-6)
    assert check.verdict.endswith(gradcheck.KINK_HINT)


def test_small_random_biases_cure_the_zero_bias_kink():
    net, X, Y = zero_bias_case()
    rng = np.random.default_rng(0)
    net.biases = [rng.normal(scale=0.1, size=b.shape) for b in net.biases]
    check = gradcheck.check_gradients(net, X, Y)
    assert check.overall < gradcheck.GOOD and not check.kinks
    assert check.verdict == "correct"


def test_kink_crossings_is_empty_without_relu():
    net, X, Y = smooth_case()
    assert gradcheck.kink_crossings(net, X, Y) == {}
    assert gradcheck.check_gradients(net, X, Y).kinks == {}


# -- tiny gradients near a minimum (review 8.3) ------------------------------


def trained(steps):
    rng = np.random.default_rng(0)
    net = bp.MLP([3, 8, 1], hidden="tanh", output="identity", seed=0)
    X = rng.normal(size=(3, 4))
    Y = rng.normal(size=(1, 4))
    for _ in range(steps):
        dWs, dbs = net.gradients(X, Y)
        for P, G in zip(net.weights + net.biases, dWs + dbs):
            P -= 0.5 * G
    return net, X, Y


def test_relative_error_means_nothing_near_a_minimum():
    early, late = trained(20), trained(1000)
    assert late[0].loss(*late[1:]) < 1e-20
    g_late = gradcheck.flatten(*late[0].gradients(*late[1:]))
    assert np.linalg.norm(g_late) < 1e-12
    # the same correct code: right at a characteristic point, "wrong" late
    assert gradcheck.check_gradients(*early).overall < gradcheck.GOOD
    assert gradcheck.check_gradients(*late).overall > 0.5
    # why: the difference's own error is absolute (about ε²|C'''|/6) and
    # does not shrink with the gradient, so late it is all the estimate is
    n_late = gradcheck.flatten(*gradcheck.numerical_gradients(*late))
    assert np.linalg.norm(n_late) > 10 * np.linalg.norm(g_late)
