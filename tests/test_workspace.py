"""net.gradients with and without Buffers (chapter 12).

The reference is the plain computation, written out below with new arrays
at every step and the package's order of operations: a pass into Buffers
must give the same bits, whatever the sequence of batch sizes and
parameters. Reuse is checked by what a caller can observe (shared memory)
and by counting NumPy's allocations with tracemalloc.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import activations, losses
from backprop.network import Buffers

HIDDEN = ["identity", "sigmoid", "tanh", "relu"]
OUTPUTS = [
    ("identity", "mse"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("softmax", "cross_entropy"),
]

# -- the plain computation, written out -----------------------------------


def plain_sigma(name, z):
    """σ(z) with new arrays, the formulas of chapter 1."""
    if name == "identity":
        return z
    if name == "sigmoid":
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    e = np.exp(z - z.max(axis=0, keepdims=True))  # softmax
    return e / e.sum(axis=0, keepdims=True)


def plain_sigma_prime(name, z):
    """σ'(z) with new arrays."""
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        s = plain_sigma("sigmoid", z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    return (z > 0).astype(np.float64)  # relu


def plain_gradients(net, X, Y):
    """The four rules over a batch, every intermediate a new array."""
    L, m = net.L, X.shape[1]
    zs, As = [None], [X]
    for l in range(1, L + 1):
        zs.append(net.weights[l - 1] @ As[l - 1] + net.biases[l - 1])
        As.append(plain_sigma(net.activation(l).name, zs[l]))
    if net.loss_name == "cross_entropy":
        delta = As[L] - Y
    else:
        delta = (As[L] - Y) * plain_sigma_prime(net.output.name, zs[L])
    dWs, dbs = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dWs[l - 1] = (delta @ As[l - 1].T) / m
        dbs[l - 1] = delta.sum(axis=1, keepdims=True) / m
        if l > 1:
            delta = (net.weights[l - 1].T @ delta) * plain_sigma_prime(
                net.hidden.name, zs[l - 1]
            )
    return dWs, dbs


def assert_same_bits(got, want):
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        assert g.shape == w.shape and g.dtype == w.dtype
        assert g.tobytes() == w.tobytes()  # also tells −0.0 from 0.0


def batch(net, m, rng):
    X = rng.normal(size=(net.sizes[0], m))
    if net.loss_name == "cross_entropy":
        Y = rng.dirichlet(np.ones(net.sizes[-1]), size=m).T
    else:
        Y = rng.normal(size=(net.sizes[-1], m))
    return X, Y


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 4))
    sizes = draw(
        st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1)
    )
    hidden = draw(st.sampled_from(HIDDEN))
    output, loss = draw(st.sampled_from(OUTPUTS))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    ms = draw(st.lists(st.integers(1, 5), min_size=2, max_size=8))
    seed = draw(st.integers(0, 2**32 - 1))
    return sizes, hidden, output, loss, ms, seed


# -- bit for bit ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(networks())
def test_buffered_gradients_equal_the_plain_computation_bit_for_bit(case):
    sizes, hidden, output, loss, ms, seed = case
    rng = np.random.default_rng(seed)
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    buffers = {m: Buffers(net.sizes, m) for m in ms}
    for step, m in enumerate(ms):  # batch sizes change, and come back
        if step % 3 == 2:  # parameters replaced by new arrays...
            net.weights = [rng.normal(size=W.shape) for W in net.weights]
            net.biases[0] = rng.normal(size=net.biases[0].shape)
        if step % 3 == 1:  # ... or changed in place
            net.weights[-1] *= 1.5
        X, Y = batch(net, m, rng)
        want = plain_gradients(net, X, Y)
        assert_same_bits(net.gradients(X, Y, buffers[m]), want)
        assert_same_bits(net.gradients(X, Y), want)  # new arrays
        public = net.backward(net.forward(X, return_cache=True), Y)
        assert_same_bits(public[:2], want)


def test_bit_for_bit_on_a_large_relu_network():
    # Large enough for BLAS to block and thread its products.
    rng = np.random.default_rng(0)
    net = bp.MLP(
        [300, 200, 100, 10],
        hidden="relu",
        output="softmax",
        loss="cross_entropy",
    )
    buffers = {64: Buffers(net.sizes, 64), 17: Buffers(net.sizes, 17)}
    for m in (64, 64, 17, 64):
        X, Y = batch(net, m, rng)
        got = net.gradients(X, Y, buffers[m])
        assert_same_bits(got, plain_gradients(net, X, Y))


# -- who owns the results ---------------------------------------------------


def test_without_buffers_every_call_returns_new_arrays():
    rng = np.random.default_rng(1)
    net = bp.MLP([4, 6, 3], hidden="tanh", seed=0)
    first = net.gradients(*batch(net, 5, rng))
    saved = [g.copy() for g in first[0] + first[1]]
    for _ in range(3):
        later = net.gradients(*batch(net, 5, rng))
        for g in later[0] + later[1]:
            assert not any(np.shares_memory(g, f) for f in first[0])
    for g, s in zip(first[0] + first[1], saved):
        np.testing.assert_array_equal(g, s)


def test_with_buffers_the_results_are_the_buffers_arrays():
    # The contract the training loop relies on: the gradients live in the
    # buffers, and the next call with the same buffers overwrites them.
    rng = np.random.default_rng(2)
    net = bp.MLP([4, 6, 3], hidden="relu", seed=0)
    b = Buffers(net.sizes, 5)
    dWs, dbs = net.gradients(*batch(net, 5, rng), b)
    assert all(g is h for g, h in zip(dWs + dbs, b.dWs + b.dbs))
    X, Y = batch(net, 5, rng)
    net.gradients(X, Y, b)
    assert_same_bits((dWs, dbs), plain_gradients(net, X, Y))


def test_a_fresh_forward_pass_makes_only_z_and_a():
    net = bp.MLP([3, 4, 2], seed=0)
    b = Buffers(net.sizes, 6)
    net._forward(np.ones((3, 6)), b)
    assert {"z", "a"} <= set(vars(b))
    assert not {"dsigma", "delta", "dWs", "dbs"} & set(vars(b))


def test_buffers_for_another_network_or_batch_size_are_refused():
    net = bp.MLP([3, 4, 2], seed=0)
    X, Y = np.ones((3, 5)), np.ones((2, 5))
    for wrong in (Buffers([3, 4, 2], 6), Buffers([3, 5, 2], 5)):
        with pytest.raises(ValueError, match=r"buffers were made for"):
            net.gradients(X, Y, wrong)
    with pytest.raises(TypeError, match=r"buffers must be"):
        net.gradients(X, Y, {})


# -- no allocation in the steady state -----------------------------------


def allocated_per_call(fn, calls=5):
    """Peak bytes NumPy and Python allocate above the start, over calls of fn."""
    for _ in range(3):
        fn()  # warm up: the buffers' arrays are made in the first call
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(calls):
            fn()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "hidden,output,loss",
    [
        ("relu", "softmax", "cross_entropy"),
        ("tanh", "identity", "mse"),
    ],
)
def test_buffered_gradients_allocate_no_large_arrays(hidden, output, loss):
    # One (200, 100) array is 160 kB; a plain step allocates dozens of
    # arrays that size. What remains: Python objects, (1, m) temporaries
    # and NumPy's fixed iterator buffer (8192 elements, 64 kB) for the
    # broadcast z += b, none of which grows with the layers.
    rng = np.random.default_rng(5)
    net = bp.MLP(
        [100, 200, 200, 10], hidden=hidden, output=output, loss=loss
    )
    full, last = batch(net, 100, rng), batch(net, 30, rng)
    buffers = Buffers(net.sizes, 100), Buffers(net.sizes, 30)

    def train_like():  # a full batch and a smaller last one
        net.gradients(*full, buffers[0])
        net.gradients(*last, buffers[1])

    assert allocated_per_call(train_like) < 120_000


def test_a_plain_step_does_allocate():
    # The measurement can fail: without buffers, passes make new arrays.
    rng = np.random.default_rng(5)
    net = bp.MLP([100, 200, 200, 10], hidden="relu")
    X, Y = batch(net, 100, rng)
    assert allocated_per_call(lambda: net.gradients(X, Y)) > 500_000


def test_training_uses_its_buffers(monkeypatch):
    # train passes one Buffers per batch size, the same object every step.
    rng = np.random.default_rng(8)
    net = bp.MLP([3, 4, 2], seed=0)
    X, Y = rng.normal(size=(3, 10)), rng.normal(size=(2, 10))
    seen = []
    gradients = net.gradients

    def spy(X, Y, buffers=None):
        seen.append((X.shape[1], buffers))
        return gradients(X, Y, buffers)

    monkeypatch.setattr(net, "gradients", spy)
    bp.training.train(
        net, X, Y, epochs=3, batch_size=4, lr=0.1, progress=False
    )
    assert [m for m, _ in seen] == [4, 4, 2] * 3
    assert all(isinstance(b, Buffers) and b.m == m for m, b in seen)
    assert len({id(b) for _, b in seen}) == 2


# -- out= of the building blocks -----------------------------------------


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_activations_write_into_out_with_the_same_bits(name):
    z = np.random.default_rng(6).normal(size=(4, 5)) * 3
    act = activations.get(name)
    for fn in (act.f, act.prime):
        if fn is None:  # softmax has no element-wise derivative
            continue
        out = np.full_like(z, np.nan)
        got = fn(z, out=out)
        assert got.tobytes() == fn(z).tobytes()
        if name != "identity" or fn is act.prime:
            assert got is out  # identity itself just returns z


@pytest.mark.parametrize(
    "fn", [losses.mse_grad, losses.cross_entropy_delta]
)
def test_loss_gradients_write_into_out(fn):
    rng = np.random.default_rng(7)
    a, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    out = np.empty_like(a)
    assert fn(a, y, out=out) is out
    np.testing.assert_array_equal(out, a - y)
