"""Bad input raises a clear error that names the problem (DESIGN.md, issue item 4)."""

import numpy as np
import pytest

import backprop as bp


@pytest.fixture
def net():
    return bp.MLP(
        [3, 4, 2], hidden="tanh", output="identity", loss="mse", seed=0
    )


@pytest.fixture
def classifier():
    return bp.MLP(
        [3, 4, 3],
        hidden="relu",
        output="softmax",
        loss="cross_entropy",
        seed=0,
    )


X_OK = np.ones((3, 5))
Y_OK = np.zeros((2, 5))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(sizes=[3]), ValueError, "at least two"),
        (dict(sizes=[]), ValueError, "at least two"),
        (dict(sizes=[3, 0, 2]), ValueError, "sizes[1]"),
        (dict(sizes=[3, -1]), ValueError, "positive integers"),
        (dict(sizes=[3, 2.5]), ValueError, "positive integers"),
        (dict(sizes=[3, True]), ValueError, "positive integers"),
        (dict(sizes="32"), TypeError, "list of layer sizes"),
        (dict(sizes=[3, 2], hidden="swish"), ValueError, "'relu'"),
        (dict(sizes=[3, 2], hidden="softmax"), ValueError, "outputs only"),
        (dict(sizes=[3, 2], output="gelu"), ValueError, "'softmax'"),
        (dict(sizes=[3, 2], loss="hinge"), ValueError, "'cross_entropy'"),
        (
            dict(sizes=[3, 2], output="softmax", loss="mse"),
            ValueError,
            "goes with loss 'cross_entropy'",
        ),
        (
            dict(sizes=[3, 2], output="sigmoid", loss="cross_entropy"),
            ValueError,
            "needs output 'softmax'",
        ),
        (
            dict(sizes=[3, 2], hidden=None),
            TypeError,
            "activation must be a name",
        ),
    ],
)
def test_constructor_rejects(kwargs, error, words):
    with pytest.raises(error) as info:
        bp.MLP(**kwargs)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "X, words",
    [
        (np.ones(3), "2-D"),
        (np.ones(3), "reshape(-1, 1)"),
        (np.ones((2, 3, 1)), "3-D"),
        (np.ones((4, 5)), "must have 3 rows"),
        (np.ones((5, 3)), "transposed"),
        (np.ones((3, 0)), "at least one example"),
        (np.array([[1.0, np.nan], [0, 0], [0, 0]]), "NaN or inf"),
        (
            np.array([[1.0, np.inf], [0, 0], [0, 0]]),
            "first at index (0, 1)",
        ),
        ([["a", "b"], ["c", "d"], ["e", "f"]], "numeric"),
    ],
)
def test_forward_rejects_bad_X(net, X, words):
    with pytest.raises((ValueError, TypeError)) as info:
        net.forward(X)
    assert "X" in str(info.value) and words in str(info.value)


@pytest.mark.parametrize(
    "Y, words",
    [
        (np.zeros((3, 5)), "must have 2 rows"),
        (np.zeros((2, 4)), "X has m = 5 examples (columns) but Y has 4"),
        (np.zeros(5), "2-D"),
        (np.full((2, 5), np.nan), "NaN or inf"),
    ],
)
def test_loss_and_gradients_reject_bad_Y(net, Y, words):
    for method in (net.loss, net.gradients):
        with pytest.raises(ValueError) as info:
            method(X_OK, Y)
        assert "Y" in str(info.value) and words in str(info.value)


@pytest.mark.parametrize(
    "Y, error, words",
    [
        (np.array([0, 1, 2, 3, 0]), ValueError, "outside 0..2"),
        (np.array([0, -1, 2, 1, 0]), ValueError, "outside 0..2"),
        (np.array([0.5, 1, 2, 1, 0]), TypeError, "integers"),
        (np.array([0, 1, 2]), ValueError, "m = 5"),
        (np.ones((3, 5)), ValueError, "probability vectors"),
        (
            np.array([[2.0] * 5, [-1.0] * 5, [0.0] * 5]),
            ValueError,
            "probability vectors",
        ),
    ],
)
def test_classifier_rejects_bad_targets(classifier, Y, error, words):
    with pytest.raises(error) as info:
        classifier.gradients(X_OK, Y)
    assert words in str(info.value)


def test_classifier_accepts_labels_and_one_hot_alike(classifier):
    labels = np.array([0, 2, 1, 1, 0])
    one_hot = np.eye(3)[:, labels]
    for g1, g2 in zip(
        classifier.gradients(X_OK, labels),
        classifier.gradients(X_OK, one_hot),
    ):
        for a, b in zip(g1, g2):
            np.testing.assert_array_equal(a, b)


def test_flat_bias_is_refused_not_broadcast():
    # With m == n_l a (n,) bias would broadcast along the wrong axis silently.
    net = bp.MLP([2, 3, 3], seed=0)
    net.biases[0] = np.zeros(3)
    with pytest.raises(ValueError) as info:
        net.forward(np.ones((2, 3)))
    assert "biases[0] (b^1) must have shape (3, 1); got (3,)" in str(
        info.value
    )


def test_wrong_weight_shape_is_named():
    net = bp.MLP([2, 3, 1], seed=0)
    net.weights[1] = np.ones((3, 1))
    with pytest.raises(ValueError) as info:
        net.gradients(np.ones((2, 4)), np.ones((1, 4)))
    assert "weights[1] (W^2) must have shape (1, 3); got (3, 1)" in str(
        info.value
    )


def test_gradcheck_rejects_bad_eps(net):
    with pytest.raises(ValueError, match="eps"):
        bp.gradcheck.numerical_gradients(net, X_OK, Y_OK, eps=0.0)


def test_relative_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="shapes"):
        bp.gradcheck.relative_error(np.ones((2, 3)), np.ones((3, 2)))
