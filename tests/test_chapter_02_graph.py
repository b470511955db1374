"""Chapter 2's new material: linearisation, ∇_z C = Jᵀ ∇_u C, the graph.

The references are centred finite differences of costs written out in
NumPy here, never the package's backward pass; where a test compares with
`net.backward` or `net.gradients`, the package is the thing under test.
"""

import numpy as np
import pytest

import backprop as bp


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def jacobian(f, v, h=1e-6):
    """Return ∂f_j/∂v_k (row j, column k) of f at the column v."""
    columns = []
    for k in range(v.shape[0]):
        e = np.zeros_like(v)
        e[k] = h
        columns.append(np.atleast_1d(f(v + e) - f(v - e)).ravel() / (2 * h))
    return np.column_stack(columns)


@pytest.fixture
def layer_problem():
    """A 2-3-2 sigmoid/identity network (chapter 1's), one example."""
    rng = np.random.default_rng(11)
    W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    W2, b2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 1))
    x, y = rng.normal(size=(2, 1)), rng.normal(size=(2, 1))
    return W1, b1, W2, b2, x, y


def test_first_order_changes_of_several_inputs_add(layer_problem):
    """ΔC − Σ_j ∂C/∂z_j Δz_j is of second order in the nudge."""
    W1, b1, W2, b2, x, y = layer_problem

    def cost(z1):
        return 0.5 * np.sum((W2 @ sigmoid(z1) + b2 - y) ** 2)

    z1 = W1 @ x + b1
    slopes = jacobian(cost, z1)  # one at a time
    d = np.random.default_rng(0).normal(size=(3, 1))
    gaps = []
    for s in (1e-1, 1e-2, 1e-3):
        actual = cost(z1 + s * d) - cost(z1)
        gaps.append(abs(actual - (slopes @ (s * d)).item()))
    np.testing.assert_allclose(gaps[0] / gaps[1], 100, rtol=0.1)
    np.testing.assert_allclose(gaps[1] / gaps[2], 100, rtol=0.1)
    # one slope alone does not predict a joint nudge: the check can fail
    alone = slopes[0, 0] * 1e-3 * d[0, 0]
    actual = cost(z1 + 1e-3 * d) - cost(z1)
    assert abs(actual - alone) > 10 * gaps[2]


def test_gradients_travel_back_through_the_transposed_jacobian(
    layer_problem,
):
    W1, b1, W2, b2, x, y = layer_problem
    z1 = W1 @ x + b1

    def layer_2(z):
        return W2 @ sigmoid(z) + b2

    def cost_z2(z2):
        return 0.5 * np.sum((z2 - y) ** 2)

    J = jacobian(layer_2, z1)
    s1 = sigmoid(z1)
    np.testing.assert_allclose(J, W2 * (s1 * (1 - s1)).T, rtol=1e-7)
    grad_z2 = jacobian(cost_z2, layer_2(z1)).T
    grad_z1 = jacobian(lambda z: cost_z2(layer_2(z)), z1).T
    np.testing.assert_allclose(J.T @ grad_z2, grad_z1, rtol=1e-6)
    # and that is δ^1 of the package's backward pass
    net = bp.MLP([2, 3, 2], hidden="sigmoid", output="identity", seed=0)
    net.weights, net.biases = [W1, W2], [b1, b2]
    _, _, deltas = net.backward(net.forward(x, return_cache=True), y)
    np.testing.assert_allclose(deltas[1], grad_z1, rtol=1e-6)
    # without the transpose the product is not even defined
    with pytest.raises(ValueError):
        J @ grad_z2  # (2, 3) @ (2, 1)


@pytest.mark.parametrize("total", [1.0, 0.7])
def test_softmax_output_error_is_a_minus_y_only_when_targets_sum_to_one(
    total,
):
    """Intro and chapter 2 (N1): δ^L = Jᵀ ∇_a C = a − y needs Σ y = 1."""
    rng = np.random.default_rng(2)
    z = rng.normal(size=(4, 1))
    y = rng.uniform(size=(4, 1))
    y *= total / y.sum()

    def softmax(v):
        e = np.exp(v - v.max())
        return e / e.sum()

    def cost(v):
        return -np.sum(y * np.log(softmax(v)))

    delta = jacobian(cost, z).T
    a = softmax(z)
    J = jacobian(softmax, z)
    np.testing.assert_allclose(delta, J.T @ (-y / a), rtol=1e-6)
    if total == 1.0:
        np.testing.assert_allclose(delta, a - y, rtol=1e-6, atol=1e-9)
        assert np.allclose(bp.losses.cross_entropy_delta(a, y), delta)
    else:
        assert not np.allclose(delta, a - y, atol=1e-3)


def test_a_small_delta_can_mean_a_saturated_unit_not_a_good_one():
    """E1: z = −6, target 1 is as wrong as it gets, yet δ is tiny."""
    y = 1.0

    def cost(z):
        return 0.5 * (sigmoid(z) - y) ** 2

    h = 1e-6
    delta = (cost(-6.0 + h) - cost(-6.0 - h)) / (2 * h)
    assert abs(sigmoid(-6.0) - y) > 0.99
    assert abs(delta) < 0.003
    a = bp.activations.sigmoid(-6.0)
    assert (a - y) * bp.activations.sigmoid_prime(-6.0) == pytest.approx(
        delta, rel=1e-6
    )


def graph_backward(W1, b1, W2, b2, x, y):
    """Run the chapter's graph node by node: tanh hidden, sigmoid output."""
    u1 = W1 @ x
    z1 = u1 + b1
    a1 = np.tanh(z1)
    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)
    g_z2 = a2 * (1 - a2) * (a2 - y)  # σ node: local × upstream
    g_z1 = (1 - a1**2) * (W2.T @ g_z2)
    return {
        "W2": g_z2 @ a1.T,
        "b2": g_z2,
        "W1": g_z1 @ x.T,
        "b1": g_z1,
        "x": W1.T @ g_z1,
        "paths_x0": W1[:, 0] * g_z1[:, 0],
    }


def test_the_graph_node_by_node_matches_finite_differences_and_the_package():
    rng = np.random.default_rng(8)  # three paths of visible size
    W1, b1 = rng.normal(size=(3, 4)), rng.normal(size=(3, 1))
    W2, b2 = rng.normal(size=(2, 3)), rng.normal(size=(2, 1))
    x, y = rng.normal(size=(4, 1)), rng.uniform(size=(2, 1))
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "x": x}

    def cost(**p):
        a1 = np.tanh(p["W1"] @ p["x"] + p["b1"])
        return 0.5 * np.sum((sigmoid(p["W2"] @ a1 + p["b2"]) - y) ** 2)

    graph = graph_backward(W1, b1, W2, b2, x, y)
    h = 1e-6
    for name, P in params.items():
        fd = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            plus, minus = P.copy(), P.copy()
            plus[idx] += h
            minus[idx] -= h
            fd[idx] = (
                cost(**{**params, name: plus})
                - cost(**{**params, name: minus})
            ) / (2 * h)
        np.testing.assert_allclose(graph[name], fd, rtol=1e-6, atol=1e-10)
        if name == "x":
            # gradients add where paths merge: the sum of the three paths
            # into x_1 is its gradient, any one path alone is not
            paths = graph["paths_x0"]
            assert paths.sum() == pytest.approx(fd[0, 0], rel=1e-6)
            assert all(abs(p - fd[0, 0]) > 1e-4 for p in paths)
    net = bp.MLP([4, 3, 2], hidden="tanh", output="sigmoid", seed=0)
    net.weights, net.biases = [W1, W2], [b1, b2]
    dWs, dbs = net.gradients(x, y)
    np.testing.assert_allclose(dWs[0], graph["W1"], rtol=1e-12)
    np.testing.assert_allclose(dbs[1], graph["b2"], rtol=1e-12)


def test_a_broadcast_bias_sums_its_gradient_over_the_columns():
    """The bias is used by all m columns, so ∂C/∂b sums m contributions."""
    rng = np.random.default_rng(8)
    net = bp.MLP([4, 3, 2], hidden="tanh", output="sigmoid", seed=0)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X, Y = rng.normal(size=(4, 5)), rng.uniform(size=(2, 5))
    m = X.shape[1]
    (W1, W2), (b1, b2) = net.weights, net.biases
    per_column = [
        graph_backward(W1, b1, W2, b2, X[:, [i]], Y[:, [i]])["b2"] / m
        for i in range(m)
    ]
    fd = np.zeros_like(b2)
    for j in range(b2.shape[0]):
        old = b2[j, 0]
        b2[j, 0] = old + 1e-6
        plus = net.loss(X, Y)
        b2[j, 0] = old - 1e-6
        minus = net.loss(X, Y)
        b2[j, 0] = old
        fd[j, 0] = (plus - minus) / 2e-6
    np.testing.assert_allclose(sum(per_column), fd, rtol=1e-6)
    assert not np.allclose(per_column[0], fd, rtol=1e-2)


def test_shapes_decide_the_product_only_when_the_layer_is_not_square():
    """Dimension analysis (and E2): a square layer lets a wrong product fit."""
    rng = np.random.default_rng(9)
    delta, a_prev = rng.normal(size=(2, 1)), rng.normal(size=(3, 1))
    W = rng.normal(size=(2, 3))
    fitting = [
        p
        for p in (
            lambda: delta @ a_prev.T,
            lambda: a_prev @ delta.T,
            lambda: delta.T @ a_prev,
            lambda: a_prev.T @ delta,
        )
        if _shape(p) == W.shape
    ]
    assert len(fitting) == 1 and np.array_equal(
        fitting[0](), delta @ a_prev.T
    )
    # square layer: the transposed product fits too, and is wrong
    net = bp.MLP([3, 3, 1], hidden="tanh", output="identity", seed=4)
    x, y = rng.normal(size=(3, 1)), rng.normal(size=(1, 1))
    cache = net.forward(x, return_cache=True)
    _, _, deltas = net.backward(cache, y)
    right = deltas[1] @ cache.a[0].T
    wrong = cache.a[0] @ deltas[1].T
    assert wrong.shape == right.shape == net.weights[0].shape
    fd = bp.gradcheck.numerical_gradients(net, x, y)[0][0]
    np.testing.assert_allclose(right, fd, rtol=1e-6, atol=1e-10)
    assert not np.allclose(wrong, fd, atol=1e-3)


def _shape(product):
    try:
        return product().shape
    except ValueError:
        return None
