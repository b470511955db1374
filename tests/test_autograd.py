"""backprop.autograd against independent references.

- every operation, alone and broadcast, against centred differences
  (chapter_support's, not the package's);
- an MLP's forward pass through Tensors, written here, against
  MLP.gradients (≤ 1e-12 relative) for every activation/loss pairing and
  random shapes (Hypothesis);
- graphs beyond the four rules (a skip connection, tied weights, an L2
  penalty, a broadcast bias) against centred differences;
- a value used twice, deep graphs, bad input;
- mutations: a wrong backward step makes the comparisons fail.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import autograd as ag
from backprop.autograd import Tensor
from chapter_support import centred_differences

TOL_RULES = 1e-12  # engine vs the four rules: rounding only
TOL_FD = 1e-7  # engine vs centred differences (chapter 8's "correct")


def rel(x, y):
    """‖x − y‖ / (‖x‖ + ‖y‖), written here, not taken from gradcheck."""
    scale = np.linalg.norm(x) + np.linalg.norm(y)
    return 0.0 if scale == 0 else np.linalg.norm(x - y) / scale


def engine_vs_differences(cost, arrays, lib_cost=None):
    """Relative error of .grad after cost(tensors).backward() against
    centred differences of cost(arrays) (NumPy arrays in, a float out)."""
    tensors = [Tensor(P) for P in arrays]
    cost(tensors).backward()
    work = [P.copy() for P in arrays]
    numeric = centred_differences(lambda: float(cost(work)), work)
    got = np.concatenate([T.grad.ravel() for T in tensors])
    want = np.concatenate([g.ravel() for g in numeric])
    return rel(got, want)


# -- every operation, against centred differences ---------------------------


def sig(v):
    return 1 / (1 + np.exp(-v))


def act(name):
    """The engine's activation, or NumPy's, looked up at call time."""
    return {
        "tanh": (ag.tanh, np.tanh),
        "sigmoid": (ag.sigmoid, sig),
        "relu": (ag.relu, lambda v: np.maximum(v, 0)),
        "exp": (ag.exp, np.exp),
        "log": (ag.log, np.log),
    }[name]


def pick(args, engine, numpy):
    return engine if isinstance(args[0], Tensor) else numpy


OPERATIONS = {
    # name: (cost of a list of arrays or tensors, shapes of the inputs)
    "a + b": (lambda P: (P[0] + P[1]).sum(), [(3, 4), (3, 4)]),
    "a + bias (3, 1)": (
        lambda P: ((P[0] + P[1]) * P[0]).sum(),
        [(3, 4), (3, 1)],
    ),
    "a + row (1, 4)": (
        lambda P: ((P[0] + P[1]) * P[0]).sum(),
        [(3, 4), (1, 4)],
    ),
    "a + vector (4,)": (
        lambda P: ((P[0] + P[1]) * P[0]).sum(),
        [(3, 4), (4,)],
    ),
    "a * scalar tensor": (
        lambda P: (P[0] * P[1] * P[0]).sum(),
        [(3, 4), ()],
    ),
    "a - b": (lambda P: ((P[0] - P[1]) * P[0]).sum(), [(2, 3), (2, 3)]),
    "2 - a": (lambda P: ((2.0 - P[0]) * P[0]).sum(), [(2, 3)]),
    "3 + a, 3 * a": (
        lambda P: ((3.0 + P[0]) * (3.0 * P[0])).sum(),
        [(2, 3)],
    ),
    "-a": (lambda P: ((-P[0]) * P[0]).sum(), [(2, 3)]),
    "a * b": (lambda P: (P[0] * P[1]).sum(), [(2, 3), (2, 3)]),
    "A @ B": (
        lambda P: ((P[0] @ P[1]) * (P[0] @ P[1])).sum(),
        [(3, 2), (2, 4)],
    ),
    "A.T": (lambda P: (P[0].T @ P[1]).sum(), [(3, 2), (3, 4)]),
    "sum(axis=0)": (
        lambda P: (P[0].sum(axis=0) * P[1]).sum(),
        [(3, 4), (4,)],
    ),
    "sum(axis=1, keepdims)": (
        lambda P: (P[0].sum(axis=1, keepdims=True) * P[1]).sum(),
        [(3, 4), (3, 1)],
    ),
    "mean()": (lambda P: (P[0] * P[0]).mean(), [(3, 4)]),
    "mean(axis=0)": (
        lambda P: (P[0].mean(axis=0) * P[1]).sum(),
        [(3, 4), (4,)],
    ),
    **{
        f"{name}(a)": (
            lambda P, name=name: (pick(P, *act(name))(P[0]) * P[1]).sum(),
            [(3, 4), (3, 4)],
        )
        for name in ("tanh", "sigmoid", "relu", "exp")
    },
    "log(a * a + 1)": (
        lambda P: (pick(P, ag.log, np.log)(P[0] * P[0] + 1.0) * P[1]).sum(),
        [(3, 4), (3, 4)],
    ),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_operation_against_centred_differences(name):
    cost, shapes = OPERATIONS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    # entries at least 0.2 from ReLU's kink at 0
    arrays = [
        np.array(
            rng.uniform(0.2, 1.5, size=s) * rng.choice([-1, 1], size=s)
        )
        for s in shapes
    ]
    assert engine_vs_differences(cost, arrays) < TOL_FD


def test_array_on_the_left_defers_to_the_tensor():
    rng = np.random.default_rng(0)
    M, x = rng.normal(size=(2, 3)), Tensor(rng.normal(size=(3, 1)))
    for out in (M @ x, np.ones((3, 1)) + x, np.ones((3, 1)) * x, 1 - x):
        assert isinstance(out, Tensor)
    y = (M @ x).sum()
    y.backward()
    assert np.allclose(x.grad, M.sum(axis=0)[:, None])


# -- an MLP through the engine: the four rules fall out ----------------------

ENGINE_SIGMA = {
    "identity": lambda Z: Z,
    "sigmoid": lambda Z: ag.sigmoid(Z),
    "tanh": lambda Z: ag.tanh(Z),
    "relu": lambda Z: ag.relu(Z),
}


def engine_gradients(net, X, Y):
    """Return (C, dWs, dbs, Zs) from the engine, the forward pass written here."""
    Ws = [Tensor(W) for W in net.weights]
    bs = [Tensor(b) for b in net.biases]
    A, Zs = Tensor(X), []
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        Z = W @ A + b
        Zs.append(Z)
        if l < net.L:
            A = ENGINE_SIGMA[net.hidden.name](Z)
    if net.loss_name == "cross_entropy":
        shift = Z.data.max(axis=0, keepdims=True)
        log_softmax = (
            Z - shift - ag.log(ag.exp(Z - shift).sum(axis=0, keepdims=True))
        )
        C = -(log_softmax * Y).sum(axis=0).mean()
    else:
        E = ENGINE_SIGMA[net.output.name](Z) - Y
        C = 0.5 * (E * E).sum(axis=0).mean()
    C.backward()
    return C, [W.grad for W in Ws], [b.grad for b in bs], Zs


PAIRINGS = [
    (hidden, output, loss)
    for hidden in bp.activations.HIDDEN_ACTIVATIONS
    for output, loss in [
        ("identity", "mse"),
        ("sigmoid", "mse"),
        ("tanh", "mse"),
        ("relu", "mse"),
        ("softmax", "cross_entropy"),
    ]
]


def test_the_pairings_are_every_network_the_package_builds():
    for hidden in bp.activations.HIDDEN_ACTIVATIONS:
        for output in bp.activations.ACTIVATIONS:
            for loss in bp.losses.LOSSES:
                try:
                    bp.MLP([2, 2, 2], hidden, output, loss)
                except ValueError:
                    continue
                assert (hidden, output, loss) in PAIRINGS


def random_problem(sizes, hidden, output, loss, m, seed):
    rng = np.random.default_rng(seed)
    net = bp.MLP(sizes, hidden, output, loss, seed=seed)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X, Y = bp.data.random_batch(net, m, rng)
    return net, X, Y


def assert_matches_the_rules(net, X, Y):
    C, dWs, dbs, Zs = engine_gradients(net, X, Y)
    rWs, rbs = net.gradients(X, Y)
    assert abs(C.data.item() - net.loss(X, Y)) <= 1e-12 * max(
        1, abs(net.loss(X, Y))
    )
    for got, want in zip(dWs + dbs, rWs + rbs):
        assert got.shape == want.shape
        assert rel(got, want) <= TOL_RULES
    # the gradient on Z^l is Δ^l / m, the book's error over the batch size
    _, _, deltas = net.backward(net.forward(X, return_cache=True), Y)
    m = X.shape[1]
    for l, Z in enumerate(Zs, start=1):
        assert rel(m * Z.grad, deltas[l]) <= TOL_RULES


@pytest.mark.parametrize("hidden, output, loss", PAIRINGS)
def test_engine_gives_mlp_gradients_for_every_pairing(hidden, output, loss):
    net, X, Y = random_problem([3, 5, 4, 3], hidden, output, loss, 6, 1)
    assert_matches_the_rules(net, X, Y)


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    pairing=st.sampled_from(PAIRINGS),
    m=st.integers(1, 7),
    seed=st.integers(0, 2**16),
)
def test_engine_gives_mlp_gradients_for_random_shapes(
    sizes, pairing, m, seed
):
    hidden, output, loss = pairing
    if loss == "cross_entropy" and sizes[-1] < 2:
        sizes = [*sizes[:-1], 2]
    net, X, Y = random_problem(sizes, hidden, output, loss, m, seed)
    assert_matches_the_rules(net, X, Y)


def test_engine_agrees_with_centred_differences_on_an_mlp():
    net, X, Y = random_problem([4, 5, 3, 2], "tanh", "sigmoid", "mse", 6, 3)
    _, dWs, dbs, _ = engine_gradients(net, X, Y)
    numeric = centred_differences(
        lambda: net.loss(X, Y), net.weights + net.biases
    )
    for got, want in zip(dWs + dbs, numeric):
        assert rel(got, want) < TOL_FD


# -- beyond the four rules ---------------------------------------------------


def lib(P):
    """The engine's functions for tensors, NumPy's for arrays."""
    if isinstance(P[0], Tensor):
        return ag.tanh, ag.sigmoid
    return np.tanh, sig


def residual_cost(P):
    """Four layers of width 4; z^{l+1} = W tanh(z^l) + b + z^l."""
    tanh, _ = lib(P)
    W, b, X, Y = P[:4], P[4:8], P[8], P[9]
    Z = W[0] @ X + b[0]
    for l in range(1, 4):
        Z = W[l] @ tanh(Z) + b[l] + Z
    E = Z - Y
    return 0.5 * (E * E).sum() * (1 / X.shape[1])


def tied_cost(P):
    """An autoencoder whose decoder is the encoder's Wᵀ."""
    tanh, sigmoid = lib(P)
    W, b1, b2, X = P
    E = sigmoid(W.T @ tanh(W @ X + b1) + b2) - X
    return 0.5 * (E * E).sum() * (1 / X.shape[1])


def l2_cost(P, lam=0.3):
    """A two-layer tanh/identity network plus λ/2 Σ ‖W‖²."""
    tanh, _ = lib(P)
    W1, b1, W2, b2, X, Y = P
    E = W2 @ tanh(W1 @ X + b1) + b2 - Y
    penalty = (W1 * W1).sum() + (W2 * W2).sum()
    return 0.5 * (E * E).sum() * (1 / X.shape[1]) + 0.5 * lam * penalty


def bias_cost(P):
    """A bias (n, 1) broadcast over the m columns, then a sigmoid."""
    _, sigmoid = lib(P)
    W, b, X = P
    return sigmoid(W @ X + b).mean()


def graphs(rng):
    n, m = 4, 5
    return {
        "skip connection": (
            residual_cost,
            [rng.normal(scale=0.6, size=(n, n)) for _ in range(4)]
            + [rng.normal(size=(n, 1)) for _ in range(4)]
            + [rng.normal(size=(n, m)), rng.normal(size=(n, m))],
        ),
        "tied weights": (
            tied_cost,
            [
                rng.normal(scale=0.4, size=(3, 6)),
                rng.normal(size=(3, 1)),
                rng.normal(size=(6, 1)),
                rng.uniform(size=(6, m)),
            ],
        ),
        "L2 penalty": (
            l2_cost,
            [
                rng.normal(size=(3, 2)),
                rng.normal(size=(3, 1)),
                rng.normal(size=(2, 3)),
                rng.normal(size=(2, 1)),
                rng.normal(size=(2, m)),
                rng.normal(size=(2, m)),
            ],
        ),
        "broadcast bias": (
            bias_cost,
            [
                rng.normal(size=(3, 2)),
                rng.normal(size=(3, 1)),
                rng.normal(size=(2, m)),
            ],
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["skip connection", "tied weights", "L2 penalty", "broadcast bias"],
)
def test_graphs_beyond_the_rules_against_centred_differences(name):
    cost, arrays = graphs(np.random.default_rng(5))[name]
    assert engine_vs_differences(cost, arrays) < TOL_FD


def test_tied_gradient_is_encoder_plus_decoder_transposed():
    """The rules give the tied gradient only with the two uses added by hand."""
    rng = np.random.default_rng(2)
    W, b1, b2, X = (
        rng.normal(size=(3, 6)),
        rng.normal(size=(3, 1)),
        rng.normal(size=(6, 1)),
        rng.uniform(size=(6, 4)),
    )
    Wt = Tensor(W)
    tied_cost([Wt, Tensor(b1), Tensor(b2), Tensor(X)]).backward()
    code = np.tanh(W @ X + b1)
    x_hat = sig(W.T @ code + b2)
    d2 = (x_hat - X) * x_hat * (1 - x_hat)
    d1 = (W @ d2) * (1 - code**2)  # (Wᵀ)ᵀ δ²
    encoder, decoder = d1 @ X.T / 4, d2 @ code.T / 4
    assert rel(Wt.grad, encoder + decoder.T) <= TOL_RULES
    assert rel(Wt.grad, encoder) > 0.01  # one use alone is not the gradient


# -- a value used twice, deep graphs, repeated backward ----------------------


def test_a_value_used_twice_accumulates():
    x = Tensor(np.array([[1.5, -2.0]]))
    (x * x + x).sum().backward()  # d/dx (x² + x) = 2x + 1
    assert np.allclose(x.grad, 2 * x.data + 1)
    y = Tensor(3.0)
    z = y * 2.0
    (z * z * z).backward()  # (2y)³: 24 y²
    assert np.isclose(y.grad, 24 * 9.0)


def test_backward_resets_gradients_between_calls():
    x = Tensor(2.0)
    C = x * x
    C.backward()
    C.backward()
    assert x.grad == 4.0


def test_a_deep_graph_needs_no_recursion():
    x = Tensor(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001 + 0.0
    y.backward()
    assert np.isclose(x.grad, 1.00001**100_000, rtol=1e-9)


def test_size_one_tensors_count_as_scalars():
    x = Tensor(np.array([[2.0]]))
    (x * x).backward()
    assert x.grad.shape == (1, 1) and x.grad[0, 0] == 4.0


# -- bad input -----------------------------------------------------------------


def test_matmul_names_both_shapes():
    with pytest.raises(ValueError, match=re.escape("(2, 3) @ (2, 3)")):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"2-d.*\(3,\)"):
        Tensor(np.ones(3)) @ Tensor(np.ones((3, 1)))


def test_backward_needs_a_scalar():
    with pytest.raises(ValueError, match=r"scalar.*\(2, 3\).*sum\(\)"):
        (Tensor(np.ones((2, 3))) * 2.0).backward()


@pytest.mark.parametrize(
    "data", ["abc", [1 + 2j], None, {"a": 1}, [[1, 2], [3]]]
)
def test_non_numeric_data_is_refused(data):
    with pytest.raises(
        (TypeError, ValueError), match="number|inhomogeneous"
    ):
        Tensor(data)


def test_log_of_non_positive_is_refused():
    with pytest.raises(ValueError, match="positive"):
        ag.log(Tensor([1.0, 0.0]))


def test_data_is_float64_and_grad_has_its_shape():
    x = Tensor([[1, 2, 3]])
    assert x.data.dtype == np.float64
    (x * 2).sum().backward()
    assert x.grad.shape == (1, 3) and np.all(x.grad == 2.0)


# -- mutations: a wrong backward step is caught ------------------------------


def mul_with_assignment(self, other):
    """Tensor.__mul__ with `=` for `+=`: a value used twice loses a share."""
    other = ag._lift(other)
    out = Tensor(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad = ag._unbroadcast(other.data * out.grad, self.shape)
        other.grad = ag._unbroadcast(self.data * out.grad, other.shape)

    out._backward = _backward
    return out


def matmul_dividing_by_m(self, other):
    """Tensor.__matmul__ whose rule 4 divides by m once more (chapter 9)."""
    out = Tensor(self.data @ other.data, (self, other), "@")

    def _backward():
        self.grad += out.grad @ other.data.T / other.shape[1]
        other.grad += self.data.T @ out.grad

    out._backward = _backward
    return out


def sigmoid_prime_of_a(x):
    """ag.sigmoid with σ'(σ(z)) as its local gradient (chapter 9's mistake)."""
    s = sig(x.data)
    return ag._elementwise(x, s, sig(s) * (1 - sig(s)), "sigmoid")


def unbroadcast_mean(grad, shape):
    """Averages the copies' gradients instead of summing them."""
    summed = ORIGINAL_UNBROADCAST(grad, shape)
    return summed * (summed.size / grad.size)


ORIGINAL_UNBROADCAST = ag._unbroadcast

MUTATIONS = {
    "= instead of +=": (ag.Tensor, "__mul__", mul_with_assignment),
    "1/m twice in @": (ag.Tensor, "__matmul__", matmul_dividing_by_m),
    "σ' of a": (ag, "sigmoid", sigmoid_prime_of_a),
    "mean instead of sum": (ag, "_unbroadcast", unbroadcast_mean),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_broken_backward_step_fails_the_comparisons(name, monkeypatch):
    owner, attr, broken = MUTATIONS[name]
    net, X, Y = random_problem(
        [3, 4, 4, 2], "sigmoid", "sigmoid", "mse", 5, 4
    )
    assert_matches_the_rules(net, X, Y)  # intact, it passes
    monkeypatch.setattr(owner, attr, broken)
    with pytest.raises(AssertionError):
        assert_matches_the_rules(net, X, Y)


def test_assignment_bug_hides_from_cross_entropy(monkeypatch):
    """The chapter's exercise 3: the cross-entropy's graph multiplies no
    tensor by itself, so `=` in __mul__ leaves its gradients right, and
    the squared error's are exactly halved."""
    monkeypatch.setattr(ag.Tensor, "__mul__", mul_with_assignment)
    net, X, Y = random_problem(
        [3, 4, 3], "tanh", "softmax", "cross_entropy", 5, 6
    )
    assert_matches_the_rules(net, X, Y)
    net, X, Y = random_problem([3, 4, 3], "tanh", "identity", "mse", 5, 6)
    _, dWs, _, _ = engine_gradients(net, X, Y)
    for got, want in zip(dWs, net.gradients(X, Y)[0]):
        assert rel(2 * got, want) <= TOL_RULES


# -- the chapter's checker for a new operation --------------------------------


def softplus_np(v):
    return np.logaddexp(0.0, v)


def make_softplus(
    local=lambda v: sig(v), assign=False, forward=softplus_np
):
    def softplus(x):
        out = Tensor(forward(x.data), (x,), "softplus")

        def _backward():
            if assign:
                x.grad = local(x.data) * out.grad
            else:
                x.grad += local(x.data) * out.grad

        out._backward = _backward
        return out

    return softplus


def test_check_operation_passes_a_correct_operation():
    result = ag.check_operation(make_softplus(), softplus_np)
    assert result.correct is True
    assert "WRONG" not in repr(result) and "Correct." in repr(result)
    composed = ag.check_operation(
        lambda x: ag.log(1.0 + ag.exp(x)), softplus_np
    )
    assert composed.correct is True


@pytest.mark.parametrize(
    "wrong",
    [
        make_softplus(assign=True),  # = instead of +=
        make_softplus(local=lambda v: softplus_np(v)),  # wrong derivative
        make_softplus(local=lambda v: 1.0),  # no local gradient
        make_softplus(forward=lambda v: np.log1p(v * v)),  # wrong forward
    ],
)
def test_check_operation_fails_wrong_operations(wrong):
    result = ag.check_operation(wrong, softplus_np)
    assert result.correct is False
    assert "WRONG" in repr(result) and "Not yet correct." in repr(result)


def test_check_operation_reports_not_implemented():
    def todo(x):
        raise NotImplementedError

    result = ag.check_operation(todo, softplus_np)
    assert result.correct is False
    assert "not implemented" in repr(result)
