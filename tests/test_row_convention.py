"""The row convention (backprop.row_convention, chapter 7) against the column convention.

Three independent references: the column-convention MLP (same gradients up to
transposition), centered finite differences of the row network's own loss,
and a one-layer linear case whose gradient is derived by hand.
"""

import itertools

import numpy as np
import pytest

import backprop as bp
from backprop.row_convention import RowMLP

HIDDEN = ("identity", "sigmoid", "tanh", "relu")
OUTPUT_LOSS = (
    ("identity", "mse"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("softmax", "cross_entropy"),
)
SIZES = ([3, 4, 2], [2, 5, 3, 3], [4, 3])
CASES = list(itertools.product(HIDDEN, OUTPUT_LOSS, range(len(SIZES))))


def make(hidden, output, loss, sizes, seed, m=6):
    """Return a column-convention MLP with non-zero biases, and column X (n0, m), Y (nL, m)."""
    rng = np.random.default_rng(seed)
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = rng.normal(size=(sizes[0], m))
    if loss == "cross_entropy":
        Y = rng.random((sizes[-1], m))
        Y /= Y.sum(axis=0, keepdims=True)
    else:
        Y = rng.normal(size=(sizes[-1], m))
    return net, X, Y


def centered_differences(loss_fn, params, eps=1e-6):
    """Estimate d loss / d p for every entry of every array in params (changed in place and restored)."""
    grads = []
    for P in params:
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            up = loss_fn()
            P[idx] = old - eps
            down = loss_fn()
            P[idx] = old
            G[idx] = (up - down) / (2 * eps)
        grads.append(G)
    return grads


@pytest.mark.parametrize("hidden,output_loss,size_index", CASES)
def test_same_forward_and_loss_up_to_transposition(
    hidden, output_loss, size_index
):
    output, loss = output_loss
    net, X, Y = make(
        hidden, output, loss, SIZES[size_index], seed=size_index
    )
    row = RowMLP.from_column(net)
    np.testing.assert_allclose(
        row.forward(X.T), net.forward(X).T, rtol=1e-12, atol=1e-12
    )
    assert row.loss(X.T, Y.T) == pytest.approx(
        net.loss(X, Y), rel=1e-12, abs=1e-14
    )


@pytest.mark.parametrize("hidden,output_loss,size_index", CASES)
def test_same_gradients_up_to_transposition(
    hidden, output_loss, size_index
):
    output, loss = output_loss
    net, X, Y = make(
        hidden, output, loss, SIZES[size_index], seed=10 + size_index
    )
    row = RowMLP.from_column(net)
    dWs, dbs = net.gradients(X, Y)
    rWs, rbs = row.gradients(X.T, Y.T)
    for l in range(net.L):
        assert rWs[l].shape == (
            net.sizes[l],
            net.sizes[l + 1],
        )  # (n_{l-1}, n_l)
        assert rbs[l].shape == (1, net.sizes[l + 1])  # (1, n_l)
        np.testing.assert_allclose(rWs[l], dWs[l].T, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(rbs[l], dbs[l].T, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "hidden,output_loss", list(itertools.product(HIDDEN, OUTPUT_LOSS))
)
def test_row_gradients_match_finite_differences(hidden, output_loss):
    output, loss = output_loss
    net, X, Y = make(hidden, output, loss, [3, 4, 2], seed=7)
    row = RowMLP.from_column(net)
    Xr, Yr = X.T.copy(), Y.T.copy()
    if hidden == "relu":
        # keep every hidden pre-activation away from the kink, where a finite difference is meaningless
        Z, _ = row.forward(Xr, return_cache=True)
        assert np.min(np.abs(Z[1])) > 1e-4
    rWs, rbs = row.gradients(Xr, Yr)
    numeric = centered_differences(
        lambda: row.loss(Xr, Yr), row.weights + row.biases
    )
    for analytic, estimate in zip(rWs + rbs, numeric):
        np.testing.assert_allclose(analytic, estimate, rtol=1e-6, atol=1e-8)


def test_integer_labels_equal_one_hot_targets():
    net, X, _ = make("relu", "softmax", "cross_entropy", [3, 4, 3], seed=3)
    labels = np.array([0, 2, 1, 1, 0, 2])
    row = RowMLP.from_column(net)
    one_hot = np.zeros((6, 3))
    one_hot[np.arange(6), labels] = 1.0
    for a, b in zip(
        row.gradients(X.T, labels)[0], row.gradients(X.T, one_hot)[0]
    ):
        np.testing.assert_array_equal(a, b)
    dWs, _ = net.gradients(X, labels)
    for a, b in zip(row.gradients(X.T, labels)[0], dWs):
        np.testing.assert_allclose(a, b.T, rtol=1e-10, atol=1e-13)


def test_one_linear_layer_by_hand():
    # C = (1/2m) ||X W + b − Y||²  =>  ∂C/∂W = Xᵀ (X W + b − Y) / m,  ∂C/∂b = column sums of (X W + b − Y) / m
    X = np.array(
        [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]]
    )  # m = 3 examples, n0 = 2
    W = np.array([[0.5], [-1.0]])  # (n0, n1) = (2, 1)
    b = np.array([[0.25]])
    Y = np.array([[1.0], [0.0], [2.0]])
    residual = np.array(
        [
            [0.5 - 2.0 + 0.25 - 1.0],
            [1.0 + 0.25 - 0.0],
            [1.5 - 1.0 + 0.25 - 2.0],
        ]
    )  # X W + b − Y, by hand
    row = RowMLP([W], [b], hidden="identity", output="identity", loss="mse")
    dWs, dbs = row.gradients(X, Y)
    expected_dW = (
        np.array(
            [
                [1 * -2.25 + 0 * 1.25 + 3 * -1.25],
                [2 * -2.25 + -1 * 1.25 + 1 * -1.25],
            ]
        )
        / 3
    )
    np.testing.assert_allclose(residual, X @ W + b - Y)
    np.testing.assert_allclose(dWs[0], expected_dW)
    np.testing.assert_allclose(dbs[0], [[(-2.25 + 1.25 - 1.25) / 3]])
    assert row.loss(X, Y) == pytest.approx(
        (2.25**2 + 1.25**2 + 1.25**2) / 6
    )


def test_shapes_are_checked_with_clear_errors():
    net = bp.MLP([3, 4, 2], seed=0)
    row = RowMLP.from_column(net)
    assert row.sizes == [3, 4, 2]
    with pytest.raises(ValueError, match="transposed"):
        row.forward(np.zeros((3, 5)))  # a column-convention batch
    with pytest.raises(ValueError, match=r"\(m, nL\)"):
        row.gradients(np.zeros((5, 3)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"\(1, n_1\)"):
        RowMLP(
            [W.T for W in net.weights], list(net.biases)
        )  # column-shaped biases (n_l, 1)
    with pytest.raises(ValueError, match="go together"):
        RowMLP(
            [W.T for W in net.weights],
            [b.T for b in net.biases],
            output="softmax",
            loss="mse",
        )


def test_from_column_copies_parameters():
    net = bp.MLP([2, 3, 1], seed=1)
    row = RowMLP.from_column(net)
    row.weights[0][0, 0] += 1.0
    assert net.weights[0][0, 0] == pytest.approx(row.weights[0][0, 0] - 1.0)
