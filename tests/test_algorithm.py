"""Chapter 7: the algorithm is the four rules composed, and the batch is the average of its examples.

References: a trace of the rule functions MLP.backward calls; a per-example
loop (m single-column calls, averaged); centered finite differences written
here; a 1-1-1 network differentiated by hand; and sympy.diff of a symbolic
network's cost compared with the rules chained on symbols.
"""

import numpy as np
import pytest
import sympy as sp

import backprop as bp
from backprop import rules

CONFIGS = [
    # sizes, hidden, output, loss
    ([3, 4, 2], "sigmoid", "identity", "mse"),
    ([2, 5, 3, 2], "tanh", "sigmoid", "mse"),
    ([4, 6, 3], "relu", "identity", "mse"),
    ([3, 5, 4], "relu", "softmax", "cross_entropy"),
    ([2, 3, 3, 3], "tanh", "softmax", "cross_entropy"),
]


def make(sizes, hidden, output, loss, seed=0, m=7, labels=False):
    rng = np.random.default_rng(seed)
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    net.biases = [rng.normal(scale=0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(sizes[0], m))
    if loss == "cross_entropy":
        if labels:
            Y = rng.integers(0, sizes[-1], size=m)
        else:
            Y = rng.random((sizes[-1], m))
            Y /= Y.sum(axis=0, keepdims=True)
    else:
        Y = rng.normal(size=(sizes[-1], m))
    return net, X, Y


def loop_gradients(net, X, Y):
    """Average of m calls on single examples (columns, or single labels)."""
    m = X.shape[1]
    dWs = [np.zeros_like(W) for W in net.weights]
    dbs = [np.zeros_like(b) for b in net.biases]
    for i in range(m):
        y = Y[i : i + 1] if np.ndim(Y) == 1 else Y[:, i : i + 1]
        gW, gb = net.gradients(X[:, i : i + 1], y)
        for l in range(net.L):
            dWs[l] += gW[l] / m
            dbs[l] += gb[l] / m
    return dWs, dbs


def centered_differences(net, X, Y, eps=1e-6):
    out = []
    for P in net.weights + net.biases:
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            up = net.loss(X, Y)
            P[idx] = old - eps
            down = net.loss(X, Y)
            P[idx] = old
            G[idx] = (up - down) / (2 * eps)
        out.append(G)
    return out[: net.L], out[net.L :]


# -- the four rules, composed ------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_backward_calls_exactly_the_four_rules(config, monkeypatch):
    net, X, Y = make(*config)
    calls = []
    for name in (
        "output_error",
        "hidden_error",
        "bias_gradient",
        "weight_gradient",
    ):
        original = getattr(rules, name)

        def traced(*args, _name=name, _f=original, **out):
            calls.append((_name, tuple(np.shape(a) for a in args)))
            return _f(*args, **out)

        monkeypatch.setattr(rules, name, traced)
    net.gradients(X, Y)
    sizes, L, m = net.sizes, net.L, X.shape[1]
    expected = (
        []
        if config[3] == "cross_entropy"
        else [("output_error", ((sizes[L], m), (sizes[L], m)))]
    )
    for l in range(L, 0, -1):
        expected.append(
            ("weight_gradient", ((sizes[l], m), (sizes[l - 1], m)))
        )
        expected.append(("bias_gradient", ((sizes[l], m),)))
        if l > 1:
            expected.append(
                (
                    "hidden_error",
                    (
                        (sizes[l], sizes[l - 1]),
                        (sizes[l], m),
                        (sizes[l - 1], m),
                    ),
                )
            )
    assert calls == expected


def test_gradients_are_what_the_rule_functions_return(monkeypatch):
    net, X, Y = make(*CONFIGS[1])
    dWs, dbs = net.gradients(X, Y)
    original = rules.weight_gradient
    monkeypatch.setattr(
        rules,
        "weight_gradient",
        lambda delta, a_prev, out=None: 3.0 * original(delta, a_prev),
    )
    dWs3, dbs3 = net.gradients(X, Y)
    for a, b in zip(dWs, dWs3):
        np.testing.assert_allclose(3.0 * a, b)
    for a, b in zip(dbs, dbs3):
        np.testing.assert_array_equal(a, b)


# -- the batch is the average of its examples ------------------------------


@pytest.mark.parametrize("config", CONFIGS)
def test_per_example_loop_equals_batch(config):
    net, X, Y = make(*config, seed=3)
    batch = net.gradients(X, Y)
    loop = loop_gradients(net, X, Y)
    for a, b in zip(batch[0] + batch[1], loop[0] + loop[1]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "config", [c for c in CONFIGS if c[3] == "cross_entropy"]
)
def test_per_example_loop_equals_batch_with_integer_labels(config):
    net, X, labels = make(*config, seed=5, m=9, labels=True)
    assert labels.ndim == 1 and labels.dtype.kind == "i"
    batch = net.gradients(X, labels)
    loop = loop_gradients(net, X, labels)
    for a, b in zip(batch[0] + batch[1], loop[0] + loop[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    one_hot = np.eye(net.sizes[-1])[:, labels]
    for a, b in zip(batch[0], net.gradients(X, one_hot)[0]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("config", CONFIGS)
def test_batch_deltas_are_the_per_example_deltas_side_by_side(config):
    net, X, Y = make(*config, seed=4, m=5)
    Yc = net.check_Y(Y, X.shape[1])
    _, _, deltas = net.backward(net.forward(X, return_cache=True), Yc)
    for i in range(X.shape[1]):
        _, _, single = net.backward(
            net.forward(X[:, [i]], return_cache=True), Yc[:, [i]]
        )
        for l in range(1, net.L + 1):
            assert deltas[l].shape == (net.sizes[l], X.shape[1])
            np.testing.assert_allclose(
                deltas[l][:, [i]], single[l], rtol=1e-12, atol=1e-15
            )


@pytest.mark.parametrize("config", CONFIGS)
def test_batch_gradients_match_finite_differences(config):
    net, X, Y = make(*config, seed=8)
    if config[1] == "relu":
        z = net.forward(X, return_cache=True).z
        assert (
            min(np.min(np.abs(z[l])) for l in range(1, net.L)) > 1e-4
        )  # away from the kink
    dWs, dbs = net.gradients(X, Y)
    nWs, nbs = centered_differences(net, X, Y)
    for a, b in zip(dWs + dbs, nWs + nbs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_one_one_one_network_by_hand():
    # z1 = w1 x + b1, a1 = σ(z1), z2 = w2 a1 + b2 = a2, C_x = ½(a2 − y)²; two examples
    w1, b1, w2, b2 = 0.7, -0.2, -1.3, 0.4
    xs, ys = [0.5, -1.5], [1.0, -0.5]
    sig = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    g = {"w1": 0.0, "b1": 0.0, "w2": 0.0, "b2": 0.0}
    for x, y in zip(xs, ys):
        a1 = sig(w1 * x + b1)
        r = w2 * a1 + b2 - y  # ∂C_x/∂z2
        s = r * w2 * a1 * (1 - a1)  # ∂C_x/∂z1
        g["w2"] += r * a1 / 2
        g["b2"] += r / 2
        g["w1"] += s * x / 2
        g["b1"] += s / 2
    net = bp.MLP([1, 1, 1], hidden="sigmoid", output="identity", loss="mse")
    net.weights = [np.array([[w1]]), np.array([[w2]])]
    net.biases = [np.array([[b1]]), np.array([[b2]])]
    dWs, dbs = net.gradients(np.array([xs]), np.array([ys]))
    assert dWs[0][0, 0] == pytest.approx(g["w1"], rel=1e-12)
    assert dbs[0][0, 0] == pytest.approx(g["b1"], rel=1e-12)
    assert dWs[1][0, 0] == pytest.approx(g["w2"], rel=1e-12)
    assert dbs[1][0, 0] == pytest.approx(g["b2"], rel=1e-12)


# -- SymPy: the chained rules equal sympy.diff of the cost ------------------


def chained_rules_on_symbols(S):
    """Run the algorithm (rule 1, then rules 4, 3, 2 layer by layer) on a SymbolicNetwork."""
    L = S.L
    if S.loss == "cross_entropy":
        delta = S.a[L] - S.Y
    else:
        delta = rules.output_error(S.a[L] - S.Y, S.dsigma(L))
    dW, db = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dW[l - 1] = rules.weight_gradient(delta, S.a[l - 1])
        db[l - 1] = rules.bias_gradient(delta)
        if l > 1:
            delta = rules.hidden_error(S.W[l], delta, S.dsigma(l - 1))
    return dW, db


@pytest.mark.parametrize(
    "sizes,hidden,output,loss",
    [
        ((2, 2, 1), "tanh", "sigmoid", "mse"),
        ((1, 2, 2), "tanh", "softmax", "cross_entropy"),
        ((1, 2, 1, 1), "tanh", "identity", "mse"),
    ],
)
def test_algorithm_equals_sympy_diff(sizes, hidden, output, loss):
    S = bp.symbolic.SymbolicNetwork(
        sizes, hidden=hidden, output=output, loss=loss, m=2
    )
    C = S.cost
    dW, db = chained_rules_on_symbols(S)
    checked = 0
    for l in range(1, S.L + 1):
        for P, G in ((S.W[l], dW[l - 1]), (S.b[l], db[l - 1])):
            assert G.shape == P.shape
            for idx in np.ndindex(P.shape):
                diff = sp.diff(C, P[idx]) - G[idx]
                assert sp.expand(sp.together(diff)) == 0, P[idx]
                checked += 1
    assert checked == sum(
        sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes))
    )


def test_sympy_check_detects_a_wrong_chain():
    # the same comparison must fail when rule 2 forgets σ'(z^l)
    S = bp.symbolic.SymbolicNetwork(
        (2, 2, 1), hidden="tanh", output="identity", loss="mse", m=1
    )
    delta2 = rules.output_error(S.a[2] - S.Y, S.dsigma(2))
    wrong_delta1 = S.W[2].T @ delta2
    wrong = rules.weight_gradient(wrong_delta1, S.a[0])
    diff = sp.diff(S.cost, S.W[1][0, 0]) - wrong[0, 0]
    rng = np.random.default_rng(0)
    point = {
        s: sp.Float(v)
        for s, v in zip(
            sorted(diff.free_symbols, key=str),
            rng.normal(size=len(diff.free_symbols)),
        )
    }
    assert abs(float(diff.xreplace(point))) > 1e-3
