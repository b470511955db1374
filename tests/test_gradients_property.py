"""Property tests: backprop agrees with centered finite differences everywhere.

Hypothesis draws the depth (1 to 4 weight layers), the layer sizes (including
n = 1), the batch size (including m = 1), the weights and the data, for every
hidden activation and every output/loss pairing.
"""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import backprop as bp

HIDDEN = ["identity", "sigmoid", "tanh", "relu"]
OUTPUTS = [
    ("identity", "mse"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("softmax", "cross_entropy"),
]
EPS = 1e-6


@st.composite
def cases(draw):
    depth = draw(st.integers(1, 4))
    sizes = draw(
        st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1)
    )
    hidden = draw(st.sampled_from(HIDDEN))
    output, loss = draw(st.sampled_from(OUTPUTS))
    if output == "softmax" and sizes[-1] == 1:
        sizes[-1] = (
            2  # a softmax over one unit is constant: nothing to check
        )
    m = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.floats(0.3, 2.0))
    return sizes, hidden, output, loss, m, seed, scale


def build(sizes, hidden, output, loss, m, seed, scale):
    rng = np.random.default_rng(seed)
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    for l in range(net.L):
        net.weights[l] = scale * rng.normal(size=net.weights[l].shape)
        net.biases[l] = rng.normal(size=net.biases[l].shape)
    X = rng.normal(size=(sizes[0], m))
    if loss == "cross_entropy":
        Y = rng.dirichlet(
            np.ones(sizes[-1]), size=m
        ).T  # columns are probability vectors
    else:
        Y = rng.normal(size=(sizes[-1], m))
    return net, X, Y


@settings(max_examples=200, deadline=None)
@given(cases())
def test_backprop_matches_centered_differences(case):
    net, X, Y = build(*case)
    cache = net.forward(X, return_cache=True)
    # A finite difference that straddles a ReLU kink measures the average of
    # two slopes, not the derivative: keep every pre-activation away from 0.
    if "relu" in (net.hidden.name, net.output.name):
        assume(min(np.abs(z).min() for z in cache.z[1:]) > 1e3 * EPS)
    dWs, dbs = net.gradients(X, Y)
    exact = bp.gradcheck.flatten(dWs, dbs)
    # Rounding puts a floor of about 1e-16·|C|/EPS = 1e-10·|C| under every
    # difference quotient; below 1e-7 relative error is only promised for a
    # gradient well above that floor (chapter 8).
    assume(np.linalg.norm(exact) > 1e-2 * max(1.0, net.loss(X, Y)))
    numeric = bp.gradcheck.flatten(
        *bp.gradcheck.numerical_gradients(net, X, Y, EPS)
    )
    assert bp.gradcheck.relative_error(exact, numeric) < 1e-7


@settings(max_examples=60, deadline=None)
@given(cases())
def test_batch_gradient_is_mean_of_example_gradients(case):
    net, X, Y = build(*case)
    dWs, dbs = net.gradients(X, Y)
    m = X.shape[1]
    per_example = [net.gradients(X[:, [i]], Y[:, [i]]) for i in range(m)]
    for l in range(net.L):
        np.testing.assert_allclose(
            dWs[l],
            sum(g[0][l] for g in per_example) / m,
            rtol=1e-10,
            atol=1e-12,
        )
        np.testing.assert_allclose(
            dbs[l],
            sum(g[1][l] for g in per_example) / m,
            rtol=1e-10,
            atol=1e-12,
        )


@settings(max_examples=60, deadline=None)
@given(cases())
def test_gradient_check_leaves_network_unchanged(case):
    net, X, Y = build(*case)
    before = [W.copy() for W in net.weights] + [
        b.copy() for b in net.biases
    ]
    bp.gradcheck.numerical_gradients(net, X, Y)
    after = net.weights + net.biases
    assert all(np.array_equal(p, q) for p, q in zip(before, after))
