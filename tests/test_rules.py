"""The four rule functions on cases worked out by hand in this file, and their memory."""

import tracemalloc

import numpy as np
import pytest

from backprop import rules


def test_output_error_hand_case():
    # δ = ∇_a C ⊙ σ'(z): (1)(0.5) = 0.5 and (−2)(0.25) = −0.5
    grad_a = np.array([[1.0], [-2.0]])
    dsigma = np.array([[0.5], [0.25]])
    np.testing.assert_array_equal(
        rules.output_error(grad_a, dsigma), [[0.5], [-0.5]]
    )


def test_hidden_error_hand_case():
    # W^{l+1} is 3×2 (three units above, two here). Wᵀδ = (1·1 + 3·0 + 5·(−1),
    # 2·1 + 4·0 + 6·(−1)) = (−4, −4); times σ' = (0.5, 2) gives (−2, −8).
    W_next = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    delta_next = np.array([[1.0], [0.0], [-1.0]])
    dsigma = np.array([[0.5], [2.0]])
    np.testing.assert_array_equal(
        rules.hidden_error(W_next, delta_next, dsigma), [[-2.0], [-8.0]]
    )


def test_bias_gradient_hand_case():
    # mean of the columns (1, 2) and (3, −2) is (2, 0)
    delta = np.array([[1.0, 3.0], [2.0, -2.0]])
    result = rules.bias_gradient(delta)
    assert result.shape == (2, 1)
    np.testing.assert_array_equal(result, [[2.0], [0.0]])


def test_weight_gradient_hand_case():
    # δ Aᵀ = [[1·1+3·0, 1·0+3·1, 1·2+3·2], [2·1−2·0, 2·0−2·1, 2·2−2·2]]
    #      = [[1, 3, 8], [2, −2, 0]], divided by m = 2.
    delta = np.array([[1.0, 3.0], [2.0, -2.0]])
    a_prev = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    np.testing.assert_array_equal(
        rules.weight_gradient(delta, a_prev),
        [[0.5, 1.5, 4.0], [1.0, -1.0, 0.0]],
    )


def test_one_unit_chain_by_hand():
    """A 1-1-1 identity network: C = ½(w2(w1 x + b1) + b2 − y)², derivatives by hand."""
    import backprop as bp

    net = bp.MLP([1, 1, 1], hidden="identity", output="identity", seed=0)
    w1, b1, w2, b2, x, y = 0.5, -1.0, 2.0, 0.25, 3.0, 1.0
    net.weights = [np.array([[w1]]), np.array([[w2]])]
    net.biases = [np.array([[b1]]), np.array([[b2]])]
    a1 = w1 * x + b1
    r = w2 * a1 + b2 - y  # the residual a − y
    dWs, dbs = net.gradients(np.array([[x]]), np.array([[y]]))
    assert dWs[1][0, 0] == pytest.approx(r * a1)
    assert dbs[1][0, 0] == pytest.approx(r)
    assert dWs[0][0, 0] == pytest.approx(r * w2 * x)
    assert dbs[0][0, 0] == pytest.approx(r * w2)


@pytest.mark.parametrize(
    "call, words",
    [
        (
            lambda: rules.output_error(np.ones((2, 3)), np.ones((3, 2))),
            "same shape",
        ),
        (lambda: rules.output_error(np.ones(3), np.ones(3)), "2-D"),
        (
            lambda: rules.hidden_error(
                np.ones((3, 2)), np.ones((2, 4)), np.ones((2, 4))
            ),
            "rows",
        ),
        (
            lambda: rules.hidden_error(
                np.ones((3, 2)), np.ones((3, 4)), np.ones((3, 4))
            ),
            "(n_l, m) = (2, 4)",
        ),
        (
            lambda: rules.weight_gradient(np.ones((2, 3)), np.ones((4, 5))),
            "same number of examples",
        ),
        (lambda: rules.bias_gradient(np.ones(3)), "2-D"),
    ],
)
def test_rules_reject_mismatched_shapes(call, words):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert words in str(info.value)


# -- the optional output buffer --------------------------------------------


def test_rules_write_into_out_and_return_it():
    # The hand cases above, computed into given buffers.
    delta = np.array([[1.0, 3.0], [2.0, -2.0]])
    a_prev = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    W_next = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    cases = [
        (
            rules.output_error,
            (np.array([[1.0], [-2.0]]), np.array([[0.5], [0.25]])),
            [[0.5], [-0.5]],
        ),
        (
            rules.hidden_error,
            (
                W_next,
                np.array([[1.0], [0.0], [-1.0]]),
                np.array([[0.5], [2.0]]),
            ),
            [[-2.0], [-8.0]],
        ),
        (rules.bias_gradient, (delta,), [[2.0], [0.0]]),
        (
            rules.weight_gradient,
            (delta, a_prev),
            [[0.5, 1.5, 4.0], [1.0, -1.0, 0.0]],
        ),
    ]
    for rule, args, expected in cases:
        out = np.full(np.shape(expected), np.nan)
        assert rule(*args, out=out) is out
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "out", [np.empty((2, 2)), np.empty((2, 3), dtype=np.float32), [0.0]]
)
def test_rules_reject_a_wrong_out(out):
    delta = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"out must be a float64 array"):
        rules.weight_gradient(delta, np.ones((3, 4)), out=out)


# -- one array per result (chapter 12) ----------------------------------------


def _peak_bytes(fn):
    """Return the peak bytes allocated while fn() runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "rule,shapes,result",
    [
        (rules.weight_gradient, [(300, 64), (200, 64)], (300, 200)),
        (rules.hidden_error, [(64, 300), (64, 50), (300, 50)], (300, 50)),
        (rules.bias_gradient, [(3000, 64)], (3000, 1)),
    ],
)
def test_rules_without_out_make_one_array(rule, shapes, result):
    # The division by m (and rule 2's ⊙ σ') happen in place: a second
    # array of the result's size would double the peak.
    rng = np.random.default_rng(0)
    args = [rng.normal(size=s) for s in shapes]
    size = np.prod(result) * 8
    assert _peak_bytes(lambda: rule(*args)) < 1.5 * size


def test_rules_accept_integer_arrays():
    # An integer product cannot hold the quotient: a new float array.
    delta = np.array([[1, 3], [2, -2]])
    a_prev = np.array([[1, 0], [0, 1], [2, 2]])
    np.testing.assert_array_equal(
        rules.weight_gradient(delta, a_prev),
        [[0.5, 1.5, 4.0], [1.0, -1.0, 0.0]],
    )
    np.testing.assert_array_equal(rules.bias_gradient(delta), [[2], [0]])
    W_next = np.array([[1, 2], [3, 4], [5, 6]])
    got = rules.hidden_error(
        W_next, np.array([[1], [0], [-1]]), np.array([[0.5], [2.0]])
    )
    np.testing.assert_array_equal(got, [[-2.0], [-8.0]])
