"""The facts chapters 3 (rule 1) and 4 (rule 2) state, checked against independent references.

Every reference here is written out with NumPy or the math module (costs,
activations, forward and backward passes) and differentiated by centred finite
differences, so a wrong rule in the package cannot agree with it by
construction.
"""

import math

import numpy as np
import pytest

import backprop as bp


def logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


def fd_grad(f, z, h=1e-6):
    """Centred differences of a scalar function f at every entry of the array z."""
    g = np.zeros_like(z, dtype=float)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = (f(up) - f(down)) / (2 * h)
    return g


def own_softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


# -- chapter 3: rule 1 -----------------------------------------------------------

RNG = np.random.default_rng(42)
Z = RNG.normal(scale=2.0, size=(3, 4))  # z^L: 3 outputs, 4 examples
Y = RNG.random(size=(3, 4))


@pytest.mark.parametrize(
    "output, sigma, prime",
    [
        ("identity", lambda z: z, lambda z: np.ones_like(z)),
        ("sigmoid", logistic, lambda z: logistic(z) * (1 - logistic(z))),
        ("tanh", np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    ],
)
def test_rule_1_is_the_derivative_of_the_mse_cost(output, sigma, prime):
    # Σ_x C_x: entry (j, x) of its gradient in z^L is δ^L_j of example x.
    total = lambda z: 0.5 * np.sum((sigma(z) - Y) ** 2)
    a = sigma(Z)
    delta = bp.rules.output_error(
        a - Y, bp.activations.get(output).prime(Z)
    )
    np.testing.assert_allclose(delta, fd_grad(total, Z), atol=1e-8)
    # the chapter's written-out forms: a − y (identity), (a − y) a (1 − a) (sigmoid), (a − y)(1 − a²) (tanh)
    by_hand = {
        "identity": a - Y,
        "sigmoid": (a - Y) * a * (1 - a),
        "tanh": (a - Y) * (1 - a**2),
    }[output]
    np.testing.assert_allclose(delta, by_hand, atol=1e-15)
    np.testing.assert_allclose(
        prime(Z), bp.activations.get(output).prime(Z), atol=1e-15
    )


def test_softmax_jacobian_formula_symmetry_and_zero_row_sums():
    for col in range(Z.shape[1]):
        z = Z[:, col : col + 1]
        J = bp.activations.softmax_jacobian(z)[0]
        a = own_softmax(z).ravel()
        np.testing.assert_allclose(
            J, np.diag(a) - np.outer(a, a), atol=1e-15
        )  # a_i (1[i=j] − a_j)
        numeric = np.column_stack(
            [
                fd_grad(lambda t, i=i: own_softmax(t)[i, 0], z).ravel()
                for i in range(3)
            ]
        ).T
        np.testing.assert_allclose(J, numeric, atol=1e-9)
        np.testing.assert_allclose(J, J.T, atol=1e-15)
        np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)


def cross_entropy_total(z, y):
    return -np.sum(y * np.log(own_softmax(z)))


def test_softmax_cross_entropy_error_is_a_minus_y_when_targets_sum_to_one():
    one_hot = np.eye(3)[:, [0, 2, 1, 2]]
    soft = Y / Y.sum(axis=0)
    for y in (one_hot, soft):
        numeric = fd_grad(lambda z, y=y: cross_entropy_total(z, y), Z)
        a = bp.activations.softmax(Z)
        np.testing.assert_allclose(
            bp.losses.cross_entropy_delta(a, y), numeric, atol=1e-8
        )
        # the chapter's chain: Jᵀ ∇_a C_x with ∇_a C_x = −y / a, column by column
        J = bp.activations.softmax_jacobian(Z)
        chain = np.column_stack(
            [J[i].T @ (-y[:, i] / a[:, i]) for i in range(Z.shape[1])]
        )
        np.testing.assert_allclose(chain, a - y, atol=1e-12)


def test_targets_not_summing_to_one_give_s_a_minus_y():
    y = Y.copy()  # columns sum to s ≠ 1
    s = y.sum(axis=0)
    numeric = fd_grad(lambda z: cross_entropy_total(z, y), Z)
    a = bp.activations.softmax(Z)
    np.testing.assert_allclose(numeric, s * a - y, atol=1e-8)
    assert np.max(np.abs(numeric - (a - y))) > 0.1
    net = bp.MLP([2, 3], output="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="sum"):
        net.gradients(np.zeros((2, 4)), y)


def test_two_class_softmax_with_a_zero_logit_is_the_sigmoid():
    z = np.linspace(-8, 8, 33)
    first = bp.activations.softmax(np.vstack([z, np.zeros_like(z)]))[0]
    np.testing.assert_allclose(first, logistic(z), rtol=1e-13)
    # binary cross-entropy through the sigmoid: δ = a − y (exercise 3)
    for y in (0.0, 0.3, 1.0):
        # −y ln σ(t) − (1 − y) ln(1 − σ(t)) = ln(1 + e^{−t}) + (1 − y) t, without rounding trouble
        bce = lambda t, y=y: float(
            np.sum(np.logaddexp(0.0, -t) + (1 - y) * t)
        )
        np.testing.assert_allclose(
            fd_grad(bce, z.copy()), logistic(z) - y, atol=1e-8
        )


def test_saturated_sigmoid_with_mse_has_a_tiny_error_and_cross_entropy_does_not():
    z, y = np.array([[-6.0]]), np.array([[1.0]])
    a = bp.activations.sigmoid(z)
    assert a.item() == pytest.approx(0.0025, abs=1e-4)
    mse = bp.rules.output_error(
        bp.losses.mse_grad(a, y), bp.activations.sigmoid_prime(z)
    ).item()
    ce = bp.losses.cross_entropy_delta(a, y).item()
    assert mse == pytest.approx(-0.0025, abs=1e-4)
    assert ce == pytest.approx(-0.9975, abs=1e-4)
    # the largest |δ| of sigmoid + MSE for y = 1 is 4/27, at z = −ln 2 (exercise 2)
    zs = np.linspace(-10, 10, 200001)
    d = np.abs((logistic(zs) - 1) * logistic(zs) * (1 - logistic(zs)))
    assert d.max() == pytest.approx(4 / 27, abs=1e-9)
    assert zs[np.argmax(d)] == pytest.approx(-math.log(2), abs=1e-3)


def steps_to_half(cost, steps=300, eta=1.0):
    """Gradient descent on one sigmoid unit (x = 1, w = b = −3), derivatives by finite differences."""
    w, b = -3.0, -3.0
    h = 1e-6
    for step in range(steps):
        if logistic(w + b) > 0.5:
            return step
        dw = (cost(w + h, b) - cost(w - h, b)) / (2 * h)
        db = (cost(w, b + h) - cost(w, b - h)) / (2 * h)
        w, b = w - eta * dw, b - eta * db
    return steps


def test_mse_plateaus_for_about_two_hundred_steps_and_cross_entropy_does_not():
    mse = steps_to_half(lambda w, b: 0.5 * (logistic(w + b) - 1.0) ** 2)
    ce = steps_to_half(lambda w, b: -math.log(logistic(w + b)))
    assert 150 < mse < 260
    assert ce <= 10


# -- chapter 4: rule 2 -----------------------------------------------------------

ACT = {
    "sigmoid": (logistic, lambda z: logistic(z) * (1 - logistic(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
}


def own_backward(Ws, bs, X, Y, hidden):
    """Forward and backward pass written out (identity output, MSE): return [None, δ^1, ..., δ^L]."""
    f, fp = ACT[hidden]
    L = len(Ws)
    zs, a = [None], X
    for l in range(1, L + 1):
        z = Ws[l - 1] @ a + bs[l - 1]
        zs.append(z)
        a = z if l == L else f(z)
    deltas = [None] * (L + 1)
    deltas[L] = a - Y
    for l in range(L - 1, 0, -1):
        deltas[l] = (Ws[l].T @ deltas[l + 1]) * fp(zs[l])
    return deltas


def test_rule_2_is_the_derivative_of_the_cost_in_z_l():
    net = bp.MLP(
        [3, 4, 4, 2],
        hidden="sigmoid",
        output="identity",
        loss="mse",
        seed=3,
    )
    rng = np.random.default_rng(0)
    X, Y2 = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    cache = net.forward(X, return_cache=True)
    _, _, deltas = net.backward(cache, Y2)
    for l in (1, 2):

        def total(z, l=l):
            a = logistic(z)
            for k in range(l + 1, 4):
                zk = net.weights[k - 1] @ a + net.biases[k - 1]
                a = zk if k == 3 else logistic(zk)
            return 0.5 * np.sum((a - Y2) ** 2)

        np.testing.assert_allclose(
            deltas[l], fd_grad(total, cache.z[l]), atol=1e-8
        )
        by_rule = bp.rules.hidden_error(
            net.weights[l],
            deltas[l + 1],
            bp.activations.sigmoid_prime(cache.z[l]),
        )
        np.testing.assert_allclose(by_rule, deltas[l], atol=1e-15)
    # zero outgoing weights (a column of W^3): that unit of layer 2 gets no error
    W3 = net.weights[2].copy()
    W3[:, 0] = 0.0
    cut = bp.rules.hidden_error(
        W3, deltas[3], bp.activations.sigmoid_prime(cache.z[2])
    )
    assert np.all(cut[0] == 0) and np.all(cut[1:] != 0)


def test_sigmoid_gate_bounds_the_norm_by_a_quarter_of_the_spectral_norm():
    rng = np.random.default_rng(5)
    for _ in range(20):
        W = rng.normal(scale=2.0, size=(6, 5))
        d_next = rng.normal(size=(6, 1))
        z = rng.normal(scale=3.0, size=(5, 1))
        d = bp.rules.hidden_error(
            W, d_next, bp.activations.sigmoid_prime(z)
        )
        assert (
            np.linalg.norm(d)
            <= 0.25 * np.linalg.norm(W, 2) * np.linalg.norm(d_next) + 1e-15
        )
    assert 4**10 > 1e6 > 4**9  # exercise 3: ten layers


def measured_norms(hidden, depth=15, width=64, m=32):
    """The chapter's measurement, recomputed with an own backward pass on the MLP's default weights."""
    rng = np.random.default_rng(0)
    X, Y2 = rng.normal(size=(width, m)), rng.normal(size=(width, m))
    net = bp.MLP(
        [width] * (depth + 1),
        hidden=hidden,
        output="identity",
        loss="mse",
        seed=0,
    )
    deltas = own_backward(net.weights, net.biases, X, Y2, hidden)
    norms = np.array(
        [
            np.sqrt(np.mean(np.sum(deltas[l] ** 2, axis=0)))
            for l in range(1, depth + 1)
        ]
    )
    _, _, pkg = net.backward(net.forward(X, return_cache=True), Y2)
    pkg_norms = np.array(
        [
            np.sqrt(np.mean(np.sum(pkg[l] ** 2, axis=0)))
            for l in range(1, depth + 1)
        ]
    )
    np.testing.assert_allclose(pkg_norms, norms, rtol=1e-10)
    gain = float(np.exp(np.mean(np.log(norms[:-1] / norms[1:]))))
    return norms, gain, net


def test_default_initialisation_scales():
    # Glorot for sigmoid/tanh on square layers: std = 1/√n (g = 1); He for ReLU: √(2/n) (g = √2).
    for hidden, g in (
        ("sigmoid", 1.0),
        ("tanh", 1.0),
        ("relu", math.sqrt(2)),
    ):
        _, _, net = measured_norms(hidden, depth=3, width=256, m=2)
        assert np.std(net.weights[0]) * 16 == pytest.approx(g, rel=0.03)


def test_sigmoid_error_vanishes_by_about_four_per_layer():
    norms, gain, _ = measured_norms("sigmoid")
    assert np.all(
        np.diff(norms) > 0
    )  # shrinks at every step towards the input
    assert 0.2 < gain < 0.26
    assert (
        1e-10 < norms[0] / norms[-1] < 1e-8
    )  # "about a billion times smaller"


def test_tanh_error_shrinks_slowly_and_relu_stays_within_an_order_of_magnitude():
    norms, gain, _ = measured_norms("tanh")
    assert 0.8 < gain < 0.95
    assert 0.1 < norms[0] / norms[-1] < 0.35  # "about a fifth"
    norms, gain, _ = measured_norms("relu")
    assert 0.95 < gain < 1.2
    assert 0.1 < norms[0] / norms[-1] < 10


def test_relu_at_g_1_shrinks_by_about_2_to_the_minus_9_5_over_20_layers():
    from backprop.explorers import hidden_error as he

    ratio = he.delta_norms("relu", 20, 1.0).ratios[0]
    assert 2**-9.5 / 3 < ratio < 2**-9.5 * 3  # exercise 4


def test_explorer_extremes_span_the_range_the_chapter_states():
    from backprop.explorers import hidden_error as he

    low = min(
        he.delta_norms(a, 20, 0.25).ratios.min() for a in he.ACTIVATIONS
    )
    high = max(
        he.delta_norms(a, 20, 4.0).ratios.max() for a in he.ACTIVATIONS
    )
    assert 1e-25 < low < 1e-22  # "from about 1e-23"
    assert 1e8 < high < 1e10  # "to about 1e9"
