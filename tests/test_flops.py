"""Tests of backprop.flops: the operation counts of chapter 12.

The counts are checked against numbers worked out by hand (in the comments)
and against the matrix products the network actually performs, counted by an
ndarray subclass that intercepts every matmul.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import flops
from backprop.network import Buffers

# -- hand-derived cases ------------------------------------------------------


def test_2_3_1_network_single_example_by_hand():
    # W^1 is (3, 2), W^2 is (1, 3), m = 1.
    # Forward: z^1 = W^1 x: 3 entries, each a sum of 2 products -> 6;
    #          z^2 = W^2 a^1: 1 entry, a sum of 3 products       -> 3;  total 9.
    # Backward: rule 4 at l = 2: δ^2 (1,1) times (a^1)ᵀ (1,3)   -> 3 products,
    #           rule 4 at l = 1: δ^1 (3,1) times xᵀ (1,2)       -> 6 products,
    #           rule 2 for δ^1: (W^2)ᵀ (3,1) times δ^2 (1,1)    -> 3 products,
    #           no rule 2 below layer 1.                          total 12.
    # Parameters: 6 + 3 weights, 3 + 1 biases = 13; finite differences:
    # 2 · 13 = 26 forward passes of 9 -> 234.
    c = flops.count([2, 3, 1], 1)
    assert c.forward == 9
    assert c.backward == 12
    assert c.n_params == 13
    assert c.finite_differences == 234
    assert [
        (r.forward, r.hidden_error, r.weight_gradient) for r in c.layers
    ] == [(6, 0, 6), (3, 3, 3)]
    assert flops.forward_multiply_adds([2, 3, 1], 1) == 9
    assert flops.backward_multiply_adds([2, 3, 1], 1) == 12
    assert flops.finite_difference_multiply_adds([2, 3, 1], 1) == 234


def test_batch_multiplies_every_product_by_m():
    # m = 5 columns: each product above is done for 5 columns -> 45 and 60.
    c = flops.count([2, 3, 1], 5)
    assert (c.forward, c.backward) == (45, 60)


def test_784_100_10_by_hand():
    # Forward: 100·784 + 10·100 = 78,400 + 1,000 = 79,400 per example.
    # Backward: rule 4 the same 79,400, rule 2 only 10·100 = 1,000 -> 80,400.
    c = flops.count([784, 100, 10], 1)
    assert c.forward == 79_400
    assert c.backward == 80_400
    assert c.n_params == 78_400 + 100 + 1_000 + 10


def test_single_layer_has_no_rule_2():
    # One layer: the backward pass is only rule 4, as large as the forward pass.
    c = flops.count([7, 4], 3)
    assert c.forward == c.backward == 7 * 4 * 3
    assert c.layers[0].hidden_error == 0


def test_ratio_tends_to_two_for_deep_equal_widths():
    # L equal layers of width n: forward L n² m, backward (2L − 1) n² m.
    for L in (1, 2, 5, 50):
        c = flops.count([32] * (L + 1), 4)
        assert c.ratio == pytest.approx((2 * L - 1) / L)


def test_accepts_a_network_and_matches_its_n_params():
    net = bp.MLP([5, 8, 3], seed=1)
    assert flops.n_params(net) == net.n_params
    assert flops.count(net, 2).sizes == (5, 8, 3)


@pytest.mark.parametrize("m", [0, -1, 2.5, True, "4"])
def test_bad_batch_size(m):
    with pytest.raises(ValueError, match="batch size"):
        flops.count([2, 3, 1], m)


def test_bad_sizes():
    with pytest.raises(ValueError, match="layer sizes"):
        flops.count([2, 0, 1], 1)


def test_table_renders():
    c = flops.count([2, 3, 1], 1)
    text, html = str(c), c._repr_html_()
    assert "234" in text and "total" in text
    assert html.count("<tr>") == 4  # header, two layers, total
    assert "<b>total</b>" in html and "234" in html


# -- instrumented count: the products the network really performs -----------


class CountingArray(np.ndarray):
    """An ndarray that adds up the multiply-adds of every matmul it takes part in."""

    log = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [
            np.asarray(x) if isinstance(x, CountingArray) else x
            for x in inputs
        ]
        if "out" in kwargs:
            kwargs["out"] = tuple(
                np.asarray(o) if isinstance(o, CountingArray) else o
                for o in kwargs["out"]
            )
        if ufunc is np.matmul and method == "__call__":
            A, B = plain
            assert A.ndim == B.ndim == 2
            CountingArray.log.append((A.shape[0], A.shape[1], B.shape[1]))
        result = getattr(ufunc, method)(*plain, **kwargs)
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        def unwrap(x):
            if isinstance(x, CountingArray):
                return np.asarray(x)
            if isinstance(x, (list, tuple)):
                return type(x)(unwrap(y) for y in x)
            return x

        return _wrap(
            func(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})
        )


def _wrap(result):
    if isinstance(result, np.ndarray) and not isinstance(
        result, CountingArray
    ):
        return result.view(CountingArray)
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    return result


def _counting_buffers(sizes, m):
    """Buffers whose arrays count every product written into them."""
    b = Buffers(sizes, m)

    def counting(shape):
        return np.empty(shape).view(CountingArray)

    for name in ("z", "a", "dsigma", "delta"):
        setattr(b, name, [None] + [counting((n, m)) for n in sizes[1:]])
    b.dWs = [counting((n, k)) for n, k in zip(sizes[1:], sizes)]
    b.dbs = [counting((n, 1)) for n in sizes[1:]]
    return b


def _counted_gradients(net, X, Y):
    # The passes of net.gradients, into buffers that count: every result
    # of a pass passes through them, as do the weights.
    CountingArray.log = []
    twin = net.copy()
    twin.weights = [W.view(CountingArray) for W in twin.weights]
    twin.biases = [b.view(CountingArray) for b in twin.biases]
    buffers = _counting_buffers(net.sizes, X.shape[1])
    forward = twin._forward(twin.check_X(X), buffers)
    n_forward = len(CountingArray.log)
    dWs, dbs, _ = twin.backward(
        forward, twin.check_Y(Y, X.shape[1]), buffers
    )
    log = CountingArray.log
    cost = lambda entries: sum(p * q * r for p, q, r in entries)
    return cost(log[:n_forward]), cost(log[n_forward:]), log, (dWs, dbs)


def test_counting_array_counts_a_known_product():
    CountingArray.log = []
    A = np.ones((2, 3)).view(CountingArray)
    B = A.T @ np.ones((2, 4))
    assert CountingArray.log == [(3, 2, 4)]
    assert np.asarray(B).tolist() == [[2.0] * 4] * 3


@pytest.mark.parametrize(
    "sizes,m,hidden,output,loss",
    [
        ([2, 3, 1], 1, "relu", "identity", "mse"),
        ([4, 6, 5, 3], 7, "tanh", "softmax", "cross_entropy"),
        ([3, 2, 2, 2, 2, 4], 2, "sigmoid", "sigmoid", "mse"),
    ],
)
def test_counts_match_the_matmuls_performed(sizes, m, hidden, output, loss):
    rng = np.random.default_rng(0)
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=3)
    X = rng.normal(size=(sizes[0], m))
    Y = (
        np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
        if loss == "cross_entropy"
        else rng.normal(size=(sizes[-1], m))
    )
    fwd, bwd, log, (dWs, dbs) = _counted_gradients(net, X, Y)
    c = flops.count(sizes, m)
    assert fwd == c.forward
    assert bwd == c.backward
    L = len(sizes) - 1
    assert len(log) == L + L + (
        L - 1
    )  # forward, rule 4 at every layer, rule 2 above layer 1
    # and the counting did not change the mathematics
    plain_dWs, plain_dbs = net.gradients(X, Y)
    for got, want in zip(dWs + dbs, plain_dWs + plain_dbs):
        np.testing.assert_allclose(
            np.asarray(got), want, rtol=1e-12, atol=1e-15
        )


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    m=st.integers(1, 5),
)
def test_counts_match_performed_matmuls_for_any_shape(sizes, m):
    rng = np.random.default_rng(1)
    net = bp.MLP(sizes, hidden="tanh", seed=0)
    fwd, bwd, _, _ = _counted_gradients(
        net, rng.normal(size=(sizes[0], m)), rng.normal(size=(sizes[-1], m))
    )
    assert (fwd, bwd) == (
        flops.forward_multiply_adds(sizes, m),
        flops.backward_multiply_adds(sizes, m),
    )


def test_finite_differences_does_two_forward_passes_per_parameter():
    # Count the forward passes numerical_gradients makes by counting the
    # products with W^1 (exactly one per forward pass).
    net = bp.MLP([3, 4, 2], seed=0)
    X, Y = np.ones((3, 2)), np.zeros((2, 2))
    CountingArray.log = []
    net.weights = [W.view(CountingArray) for W in net.weights]
    bp.gradcheck.numerical_gradients(net, X, Y)
    passes = sum(1 for shape in CountingArray.log if shape == (4, 3, 2))
    assert passes == 2 * flops.n_params([3, 4, 2]) == 2 * (12 + 4 + 8 + 2)
    assert sum(
        p * q * r for p, q, r in CountingArray.log
    ) == flops.finite_difference_multiply_adds([3, 4, 2], 2)


# -- measuring helpers -------------------------------------------------------


def test_loglog_slope_recovers_power_laws():
    x = np.array([10.0, 100.0, 1000.0, 5000.0])
    assert flops.loglog_slope(x, 3 * x**2) == pytest.approx(2.0)
    assert flops.loglog_slope(x, 0.5 * x) == pytest.approx(1.0)
    assert flops.loglog_slope(x, np.full(4, 7.0)) == pytest.approx(
        0.0, abs=1e-12
    )
    with pytest.raises(ValueError):
        flops.loglog_slope([1.0, 2.0], [0.0, 1.0])


def test_median_time_is_the_median_of_the_runs(monkeypatch):
    # A fake clock: three runs of 1 s, 5 s and 2 s (each two calls, number=2),
    # so the median per call is 2 s / 2 = 1 s.
    clock = iter([0.0, 1.0, 10.0, 15.0, 20.0, 22.0])
    monkeypatch.setattr(flops.time, "perf_counter", lambda: next(clock))
    calls = []
    assert flops.median_time(
        lambda: calls.append(1), repeat=3, number=2
    ) == pytest.approx(1.0)
    assert len(calls) == 1 + 3 * 2  # one warm-up call, then 3 runs of 2
    with pytest.raises(ValueError):
        flops.median_time(lambda: None, repeat=0)


def test_time_passes_returns_two_positive_times():
    net = bp.MLP([4, 8, 2], seed=0)
    f, b = flops.time_passes(
        net, np.ones((4, 3)), np.zeros((2, 3)), repeat=3
    )
    assert f > 0 and b > 0


# -- forward mode ------------------------------------------------------------


@pytest.mark.parametrize(
    "hidden,output,loss",
    [
        ("tanh", "identity", "mse"),
        ("sigmoid", "sigmoid", "mse"),
        ("relu", "softmax", "cross_entropy"),
    ],
)
def test_directional_derivative_matches_finite_differences_and_backprop(
    hidden, output, loss
):
    rng = np.random.default_rng(4)
    sizes, m = [3, 5, 4, 3], 6
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=2)
    X = rng.normal(size=(3, m))
    Y = (
        np.eye(3)[:, rng.integers(0, 3, m)]
        if loss == "cross_entropy"
        else rng.normal(size=(3, m))
    )
    Vs = [rng.normal(size=W.shape) for W in net.weights]
    vs = [rng.normal(size=b.shape) for b in net.biases]
    got = flops.directional_derivative(net, X, Y, Vs, vs)

    # independent reference 1: centered difference of t -> C(θ + t v)
    def cost_at(t):
        moved = net.copy()
        moved.weights = [W + t * V for W, V in zip(net.weights, Vs)]
        moved.biases = [b + t * v for b, v in zip(net.biases, vs)]
        return moved.loss(X, Y)

    eps = 1e-5
    fd = (cost_at(eps) - cost_at(-eps)) / (2 * eps)
    assert got == pytest.approx(fd, rel=1e-6, abs=1e-10)
    # reference 2: the dot product of the backprop gradient with v
    dWs, dbs = net.gradients(X, Y)
    dot = sum(np.sum(g * d) for g, d in zip(dWs + dbs, Vs + vs))
    assert got == pytest.approx(dot, rel=1e-10)


def test_directional_derivative_along_one_parameter_is_that_partial():
    net = bp.MLP([2, 3, 1], hidden="tanh", seed=0)
    X, Y = np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([[1.0, -0.5]])
    Vs = [np.zeros_like(W) for W in net.weights]
    vs = [np.zeros_like(b) for b in net.biases]
    Vs[0][2, 1] = 1.0
    dWs, _ = net.gradients(X, Y)
    assert flops.directional_derivative(net, X, Y, Vs, vs) == pytest.approx(
        dWs[0][2, 1], rel=1e-12
    )


def test_directional_derivative_rejects_misshaped_direction():
    net = bp.MLP([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match="shape"):
        flops.directional_derivative(
            net,
            np.ones((2, 1)),
            np.ones((1, 1)),
            [np.ones((2, 3)), np.ones((1, 3))],
            [np.ones((3, 1)), np.ones((1, 1))],
        )


def test_one_thread_limits_blas_threads():
    from threadpoolctl import threadpool_info

    with flops.one_thread():
        assert all(
            pool["num_threads"] == 1
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        )


def test_forward_mode_sweep_costs_a_forward_and_a_backward_pass():
    # [2, 3, 1], m = 1: forward W a: 6 + 3 = 9; tangent V a: 6 + 3 and
    # W ȧ above layer 1: 3 -> 12 = B. One sweep: 9 + 12 = 21 = F + B.
    assert flops.forward_mode_multiply_adds([2, 3, 1], 1) == 21


@pytest.mark.parametrize(
    "sizes,m", [([2, 3, 1], 1), ([4, 6, 5, 3], 7), ([3, 2], 2)]
)
def test_forward_mode_count_matches_the_matmuls_performed(sizes, m):
    rng = np.random.default_rng(2)
    net = bp.MLP(sizes, hidden="tanh", seed=0)
    X, Y = rng.normal(size=(sizes[0], m)), rng.normal(size=(sizes[-1], m))
    net.weights = [W.view(CountingArray) for W in net.weights]
    Vs = [rng.normal(size=W.shape).view(CountingArray) for W in net.weights]
    vs = [rng.normal(size=b.shape) for b in net.biases]
    CountingArray.log = []
    flops.directional_derivative(net, X, Y, Vs, vs)
    performed = sum(p * q * r for p, q, r in CountingArray.log)
    c = flops.count(sizes, m)
    assert performed == flops.forward_mode_multiply_adds(sizes, m)
    assert performed == c.forward + c.backward
