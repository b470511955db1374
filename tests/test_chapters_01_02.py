"""Facts stated in chapters 1 (notation, forward pass) and 2 (chain rule, δ, nudging).

Every reference here is independent of the code under test: forward passes
and costs written out in NumPy, centered finite differences, SymPy
derivatives, hand-computed numbers.
"""

import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import symbolic
from backprop.explorers import nudge
from chapter_support import execute_chapters, glued

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


NUMPY_SIGMA = {
    "identity": lambda z: z,
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
}


def forward_by_hand(net, X):
    """Return lists z, a of the forward pass, written out for the hidden/output names of net."""
    z, a = [None], [np.asarray(X, float)]
    for l in range(1, net.L + 1):
        z.append(net.weights[l - 1] @ a[-1] + net.biases[l - 1])
        name = net.output.name if l == net.L else net.hidden.name
        if name == "softmax":
            e = np.exp(z[-1] - z[-1].max(axis=0))
            a.append(e / e.sum(axis=0))
        else:
            a.append(NUMPY_SIGMA[name](z[-1]))
    return z, a


def randomise(net, seed):
    rng = np.random.default_rng(seed)
    net.weights = [rng.normal(size=W.shape) for W in net.weights]
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    return net


# -- chapter 1 -----------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    m=st.integers(1, 6),
    hidden=st.sampled_from(["identity", "sigmoid", "tanh", "relu"]),
)
def test_cache_shapes_follow_the_column_convention(sizes, m, hidden):
    net = bp.MLP(sizes, hidden=hidden, output="identity", seed=0)
    X = np.random.default_rng(1).normal(size=(sizes[0], m))
    cache = net.forward(X, return_cache=True)
    assert len(cache.z) == len(cache.a) == len(sizes)
    assert cache.z[0] is None and np.array_equal(cache.a[0], X)
    for l in range(1, len(sizes)):
        assert net.weights[l - 1].shape == (sizes[l], sizes[l - 1])
        assert net.biases[l - 1].shape == (sizes[l], 1)
        assert cache.z[l].shape == cache.a[l].shape == (sizes[l], m)
    assert net.n_params == sum(
        n * (n_prev + 1) for n_prev, n in zip(sizes, sizes[1:])
    )


def test_forward_pass_matches_the_written_out_equations_and_broadcasts_the_bias():
    net = bp.MLP([2, 3, 2], hidden="sigmoid", output="identity", seed=0)
    net.biases = [
        np.array([[0.1], [-0.2], [0.3]]),
        np.array([[0.5], [-0.5]]),
    ]
    X = np.array([[0.5, -1.0, 2.0, 0.0], [1.5, 0.3, -0.7, -1.0]])
    cache = net.forward(X, return_cache=True)
    z, a = forward_by_hand(net, X)
    for l in (1, 2):
        np.testing.assert_allclose(cache.z[l], z[l], rtol=1e-14)
        np.testing.assert_allclose(cache.a[l], a[l], rtol=1e-14)
    # The bias is added to every column: example i alone gives column i.
    for i in range(4):
        np.testing.assert_allclose(
            net.forward(X[:, [i]]), cache.a[2][:, [i]], rtol=1e-14
        )
    # Entry by entry: z^1_j = Σ_k w^1_jk x_k + b^1_j for example 3.
    W1, b1 = net.weights[0], net.biases[0]
    for j in range(3):
        assert cache.z[1][j, 2] == pytest.approx(
            sum(W1[j, k] * X[k, 2] for k in range(2)) + b1[j, 0], rel=1e-14
        )


def test_transposed_batch_and_flat_bias_get_clear_errors():
    net = bp.MLP([2, 3, 2], seed=0)
    X = np.ones((2, 4))
    with pytest.raises(
        ValueError,
        match=r"X must have 2 rows.*got shape \(4, 2\).*looks transposed.*one example per column",
    ):
        net.forward(X.T)
    net.biases[0] = np.zeros(3)
    with pytest.raises(
        ValueError, match=r"b\^1\) must have shape \(3, 1\); got \(3,\)"
    ):
        net.forward(np.ones((2, 3)))


def test_parameter_count_of_the_digits_network():
    assert 30 * 785 + 10 * 31 == 23860
    assert bp.MLP([784, 30, 10]).n_params == 23860


def test_he_and_glorot_variances():
    net = bp.MLP([400, 300, 10], hidden="relu", output="identity", seed=1)
    assert net.weights[0].var() == pytest.approx(
        2 / 400, rel=0.03
    )  # He, 120 000 draws
    assert net.weights[1].var() == pytest.approx(
        2 / 310, rel=0.1
    )  # Glorot, 3 000 draws
    assert all(np.all(b == 0) for b in net.biases)
    sig = bp.MLP(
        [400, 300, 10], hidden="sigmoid", output="identity", seed=1
    )
    assert sig.weights[0].var() == pytest.approx(2 / 700, rel=0.03)


def test_hadamard_example():
    u, v = np.array([[1.0], [2.0], [3.0]]), np.array([[4.0], [5.0], [6.0]])
    assert (u * v).ravel().tolist() == [4.0, 10.0, 18.0]
    assert (u.T @ v).item() == 32.0


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu"])
def test_activation_derivatives_are_finite_differences(name):
    act = bp.activations.get(name)
    z = np.linspace(-4, 4, 81)
    z = z[np.abs(z) > 1e-3]  # ReLU has no derivative at 0
    h = 1e-6
    fd = (NUMPY_SIGMA[name](z + h) - NUMPY_SIGMA[name](z - h)) / (2 * h)
    np.testing.assert_allclose(act.prime(z), fd, atol=1e-8)
    np.testing.assert_allclose(act.f(z), NUMPY_SIGMA[name](z), rtol=1e-14)


def test_sigmoid_derivative_peaks_at_a_quarter():
    z = np.linspace(-10, 10, 2001)
    assert bp.activations.sigmoid_prime(z).max() == pytest.approx(
        0.25, abs=1e-12
    )


def test_softmax_columns_probabilities_shift_invariant_and_coupled():
    Z = np.array([[2.0, 0.0, -1.0], [1.0, 0.0, -1.0], [0.1, 0.0, 3.0]])
    A = bp.activations.softmax(Z)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    np.testing.assert_allclose(A[:, 1], [1 / 3] * 3)
    np.testing.assert_allclose(
        A[:, 0], np.exp(Z[:, 0]) / np.exp(Z[:, 0]).sum()
    )
    np.testing.assert_allclose(
        bp.activations.softmax(Z + 7.5), A, rtol=1e-12
    )
    Z2 = Z.copy()
    Z2[0, 0] += 1.0
    moved = bp.activations.softmax(Z2)
    assert np.all(moved[:, 0] != A[:, 0]) and np.array_equal(
        moved[:, 1:], A[:, 1:]
    )
    big = bp.activations.softmax(np.array([[1000.0], [0.0]]))
    assert np.all(np.isfinite(big)) and big[0, 0] == 1.0


def test_costs_written_out_by_hand():
    net = bp.MLP([2, 3, 2], hidden="sigmoid", output="identity", seed=0)
    X = np.array([[0.5, -1.0, 2.0, 0.0], [1.5, 0.3, -0.7, -1.0]])
    Y = np.array([[1.0, 0.0, 0.5, -1.0], [0.0, 1.0, 0.5, 1.0]])
    _, a = forward_by_hand(net, X)
    mse = (
        sum(
            0.5 * sum((a[2][j, i] - Y[j, i]) ** 2 for j in range(2))
            for i in range(4)
        )
        / 4
    )
    assert net.loss(X, Y) == pytest.approx(mse, rel=1e-13)
    clf = bp.MLP(
        [2, 3, 2],
        hidden="sigmoid",
        output="softmax",
        loss="cross_entropy",
        seed=0,
    )
    labels = [0, 1, 1, 0]
    _, a = forward_by_hand(clf, X)
    ce = -sum(np.log(a[2][labels[i], i]) for i in range(4)) / 4
    assert clf.loss(X, np.eye(2)[:, labels]) == pytest.approx(ce, rel=1e-13)
    assert clf.loss(X, np.array(labels)) == pytest.approx(ce, rel=1e-13)


def cost_from_layer_by_hand(net, l, Z, Y):
    """Return C when Z^l of a batch is replaced by Z, layers above by hand."""
    z, a = Z, None
    for k in range(l, net.L + 1):
        if k > l:
            z = net.weights[k - 1] @ a + net.biases[k - 1]
        name = net.output.name if k == net.L else net.hidden.name
        if name == "softmax":
            e = np.exp(z - z.max(axis=0))
            a = e / e.sum(axis=0)
        else:
            a = NUMPY_SIGMA[name](z)
    m = Z.shape[1]
    if net.loss_name == "cross_entropy":
        return -np.sum(Y * np.log(a)) / m
    return 0.5 * np.sum((a - Y) ** 2) / m


@pytest.mark.parametrize(
    "sizes, hidden, output, loss",
    [
        ([2, 3, 2], "sigmoid", "identity", "mse"),
        ([3, 4, 2, 3], "tanh", "sigmoid", "mse"),
        ([2, 4, 3], "tanh", "softmax", "cross_entropy"),
    ],
)
def test_batch_errors_are_m_times_the_gradient_of_the_mean_cost(
    sizes, hidden, output, loss
):
    """Chapter 2: Δ^l = m ∂C/∂Z^l, with ∂C/∂Z^l by centred differences."""
    net = randomise(
        bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=0),
        seed=5,
    )
    m = 4
    rng = np.random.default_rng(6)
    X = rng.normal(size=(sizes[0], m))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m)]
    else:
        Y = rng.normal(size=(sizes[-1], m))
    cache = net.forward(X, return_cache=True)
    _, _, Deltas = net.backward(cache, Y)
    h = 1e-6
    for l in range(1, net.L + 1):
        Z = cache.z[l]
        fd = np.zeros_like(Z)
        for idx in np.ndindex(Z.shape):
            E = np.zeros_like(Z)
            E[idx] = h
            fd[idx] = (
                cost_from_layer_by_hand(net, l, Z + E, Y)
                - cost_from_layer_by_hand(net, l, Z - E, Y)
            ) / (2 * h)
        np.testing.assert_allclose(Deltas[l], m * fd, rtol=1e-5, atol=1e-8)
        # without the factor m the two differ: the check can fail
        assert not np.allclose(Deltas[l], fd, rtol=1e-3)


def test_zero_biases_put_the_next_relu_layer_exactly_on_the_kink():
    """Chapter 1 (N5): an all-off ReLU layer gives z = 0 exactly above it."""
    net = bp.MLP([2, 2, 3, 1], hidden="relu", output="identity", seed=3)
    X = np.random.default_rng(0).normal(size=(2, 40))
    z, a = forward_by_hand(net, X)
    all_off = np.all(a[1] == 0, axis=0)
    exact_zero = np.all(z[2] == 0, axis=0)
    assert 0 < all_off.sum() < 40
    assert np.array_equal(all_off, exact_zero)
    # the chapter's cell computes the same count from the package's cache
    cache = net.forward(X, return_cache=True)
    assert np.array_equal(np.all(cache.z[2] == 0, axis=0), exact_zero)
    # with random biases no weighted input is exactly zero
    randomise(net, seed=1)
    z, _ = forward_by_hand(net, X)
    assert not np.any(z[2] == 0)


# -- chapter 2 -----------------------------------------------------------------------


def test_single_neuron_chain_rule_with_sympy():
    w, x, b, y = sp.symbols("w x b y", real=True)
    z = w * x + b
    a = 1 / (1 + sp.exp(-z))
    C = sp.Rational(1, 2) * (a - y) ** 2
    assert sp.simplify(sp.diff(C, w) - (a - y) * a * (1 - a) * x) == 0
    assert sp.simplify(sp.diff(C, b) - (a - y) * a * (1 - a)) == 0
    # A wrong chain (σ' forgotten) must not pass: the check can fail.
    assert sp.simplify(sp.diff(C, w) - (a - y) * x) != 0


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu"])
def test_activation_primes_verified_by_sympy(name):
    assert symbolic.verify_activation_prime(name) is True


def test_two_routes_are_summed():
    x, w1, b1 = sp.symbols("x w1 b1", real=True)
    W2, B2, Y = (
        sp.symbols("v1 v2", real=True),
        sp.symbols("c1 c2", real=True),
        sp.symbols("y1 y2", real=True),
    )
    z1 = w1 * x + b1
    a2 = [
        1 / (1 + sp.exp(-(W2[j] * sp.tanh(z1) + B2[j]))) for j in range(2)
    ]
    C = sp.Rational(1, 2) * sum((a2[j] - Y[j]) ** 2 for j in range(2))
    route = [
        (a2[j] - Y[j])
        * a2[j]
        * (1 - a2[j])
        * W2[j]
        * (1 - sp.tanh(z1) ** 2)
        * x
        for j in range(2)
    ]
    assert sp.simplify(sp.diff(C, w1) - route[0] - route[1]) == 0
    assert (
        sp.simplify(sp.diff(C, w1) - route[0]) != 0
    )  # one route alone is not the derivative


def test_cross_entropy_cancels_sigma_prime():
    """Chapter 3, exercise 3 (it was chapter 2's exercise 1 too)."""
    b, w, x, y = sp.symbols("b w x y", real=True)
    a = 1 / (1 + sp.exp(-(w * x + b)))
    C = -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
    assert sp.simplify(sp.diff(C, b) - (a - y)) == 0


def test_max_node_routes_the_gradient():
    """Chapter 2, exercise 1: max sends g to the larger input, 0 to the other."""
    rng = np.random.default_rng(8)
    h = 1e-6
    for _ in range(50):
        z = rng.normal(size=2)
        if abs(z[0] - z[1]) < 1e-3:
            continue  # a tie: no derivative
        y = rng.normal()

        def C(v, y=y):
            return 0.5 * (np.max(v) - y) ** 2

        g = np.max(z) - y  # upstream gradient ∂C/∂u
        fd = [(C(z + h * e) - C(z - h * e)) / (2 * h) for e in np.eye(2)]
        routed = [g * (z[0] > z[1]), g * (z[1] > z[0])]
        np.testing.assert_allclose(fd, routed, atol=1e-8)
        # a wrong rule that splits g between the inputs fails
        assert not np.allclose(fd, [g / 2, g / 2], atol=1e-8)
    # ReLU is max(z, 0): its local gradient is the package's σ'
    z = np.linspace(-3, 3, 60)
    np.testing.assert_array_equal(
        bp.activations.relu_prime(z), (z > 0).astype(float)
    )


def numerical(net, X, Y, h=1e-6):
    """Return centered finite differences of net.loss for every weight and bias."""

    def grad(P):
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + h
            plus = net.loss(X, Y)
            P[idx] = old - h
            minus = net.loss(X, Y)
            P[idx] = old
            G[idx] = (plus - minus) / (2 * h)
        return G

    return [grad(W) for W in net.weights], [grad(b) for b in net.biases]


@pytest.mark.parametrize(
    "sizes, hidden, output, loss",
    [
        ([2, 3, 2], "sigmoid", "identity", "mse"),
        ([3, 4, 2, 3], "tanh", "sigmoid", "mse"),
        ([2, 4, 3], "tanh", "softmax", "cross_entropy"),
    ],
)
def test_one_delta_per_unit_is_shared_by_its_weights_and_bias(
    sizes, hidden, output, loss
):
    """For one example: ∂C/∂b^l_j = δ^l_j and ∂C/∂w^l_jk = δ^l_j a^{l-1}_k."""
    net = randomise(
        bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=0),
        seed=2,
    )
    rng = np.random.default_rng(3)
    x = rng.normal(size=(sizes[0], 1))
    y = (
        np.eye(sizes[-1])[:, [1]]
        if loss == "cross_entropy"
        else rng.normal(size=(sizes[-1], 1))
    )
    cache = net.forward(x, return_cache=True)
    _, _, deltas = net.backward(cache, y)
    num_dW, num_db = numerical(net, x, y)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(
            num_db[l - 1], deltas[l], rtol=1e-6, atol=1e-9
        )
        np.testing.assert_allclose(
            num_dW[l - 1],
            deltas[l] * cache.a[l - 1].T,
            rtol=1e-6,
            atol=1e-9,
        )


def test_delta_is_the_derivative_with_respect_to_z():
    """δ^L_j by finite differences in z^L itself: C as a function of the output weighted input."""
    net = randomise(
        bp.MLP([2, 3, 2], hidden="sigmoid", output="sigmoid", seed=0),
        seed=4,
    )
    x, y = np.array([[0.3], [-0.8]]), np.array([[1.0], [0.0]])
    cache = net.forward(x, return_cache=True)
    _, _, deltas = net.backward(cache, y)
    h = 1e-6
    for j in range(2):
        e = np.zeros((2, 1))
        e[j] = h
        cost = lambda zL: 0.5 * np.sum((sigmoid(zL) - y) ** 2)
        assert deltas[2][j, 0] == pytest.approx(
            (cost(cache.z[2] + e) - cost(cache.z[2] - e)) / (2 * h),
            rel=1e-7,
        )


def test_nudge_prediction_error_is_of_order_dw_squared_against_backprop():
    net, X, Y = nudge.default_problem()
    l, j, k = 1, 2, 0
    slope = net.gradients(X, Y)[0][l - 1][j, k]

    def C(dw):
        probe = net.copy()
        probe.weights[l - 1][j, k] += dw
        return probe.loss(X, Y)

    h = 1e-3
    half_curvature = abs(C(h) - 2 * C(0) + C(-h)) / h**2 / 2
    dws = 10.0 ** -np.arange(1, 6)
    errors = np.array([abs(C(dw) - C(0) - slope * dw) for dw in dws])
    ratios = np.array([slope * dw / (C(dw) - C(0)) for dw in dws])
    assert (
        np.all(np.diff(np.abs(ratios - 1)) < 0)
        and abs(ratios[-1] - 1) < 1e-5
    )
    # Each tenfold smaller nudge: a hundredfold smaller error (slope 2 on the log-log plot).
    np.testing.assert_allclose(errors[1:-1] / errors[2:], 100, rtol=0.05)
    np.testing.assert_allclose(
        errors[2:] / dws[2:] ** 2, half_curvature, rtol=0.02
    )
    assert (
        0.009 < half_curvature < 0.015
    )  # the chapter's table settles on 0.0119


def test_steepest_descent_exercise():
    net, X, Y = nudge.default_problem()
    dWs, dbs = net.gradients(X, Y)
    g = bp.gradcheck.flatten(dWs, dbs)
    eps = 1e-3
    step = net.copy()
    for P, dP in zip(step.weights + step.biases, dWs + dbs):
        P -= eps * dP / np.linalg.norm(g)
    change = step.loss(X, Y) - net.loss(X, Y)
    assert change == pytest.approx(-eps * np.linalg.norm(g), rel=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(20):  # random directions of the same length do worse
        d = rng.normal(size=g.size)
        d *= eps / np.linalg.norm(d)
        other = net.copy()
        offset = 0
        for P in other.weights + other.biases:
            P += d[offset : offset + P.size].reshape(P.shape)
            offset += P.size
        assert other.loss(X, Y) - net.loss(X, Y) > change


def test_relu_kink_gives_first_order_error():
    """Exercise 3: next to a ReLU kink the prediction's error shrinks only like Δw."""
    net = bp.MLP([1, 1, 1], hidden="relu", output="identity", seed=0)
    net.weights = [np.array([[1.0]]), np.array([[2.0]])]
    net.biases = [np.array([[-1.0]]), np.array([[0.0]])]
    X, Y = (
        np.array([[1.0]]),
        np.array([[3.0]]),
    )  # z^1 = 1·1 − 1 = 0: exactly on the kink
    slope = net.gradients(X, Y)[0][0][0, 0]  # the code uses σ'(0) = 0

    def C(dw):
        probe = net.copy()
        probe.weights[0][0, 0] += dw
        return probe.loss(X, Y)

    errors = np.array(
        [abs(C(dw) - C(0) - slope * dw) for dw in (1e-2, 1e-3, 1e-4)]
    )
    np.testing.assert_allclose(
        errors[:-1] / errors[1:], 10, rtol=0.05
    )  # O(Δw), not O(Δw²)


# -- the chapter sources -------------------------------------------------------------------


BOOK = CHAPTERS.parent
SOURCES = ["chapters/01_notation_forward.md", "chapters/02_chain_rule.md"]
DOC_ROLE = re.compile(r"\{doc\}`([^`]+)`")
EXPLICIT = re.compile(r"^(?P<text>[^<]*\S) <(?P<target>[^>]+)>$")


@pytest.mark.parametrize("name", SOURCES)
def test_chapter_sources_keep_the_book_rules(name):
    text = (BOOK / name).read_text()
    assert (
        text.startswith("---\njupytext:")
        and "import backprop as bp" in text
        and "sys.path" not in text
    )
    cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)```", text, re.S)
    for cell in cells:
        if "plt.show()" in cell:
            assert re.search(r"mystnb:\n  image:\n    alt: \S", cell), cell[
                :80
            ]
    assert text.count(":class: dropdown") >= 4


@pytest.mark.parametrize("name", ["intro.md", *SOURCES])
def test_cross_references_read_as_prose(name):
    """Every {doc} has explicit link text; a bare one pastes a title."""
    path = BOOK / name
    roles = DOC_ROLE.findall(path.read_text())
    assert roles
    for role in roles:
        found = EXPLICIT.match(role)
        assert found, f"{name}: {{doc}}`{role}` has no explicit link text"
        assert re.fullmatch(r"[Cc]hapters? \d+", found["text"]), role
        target = (path.parent / found["target"]).with_suffix(".md")
        assert target.exists(), role
        number = int(found["text"].split()[-1])
        assert target.name.startswith(f"{number:02d}_"), role


@pytest.mark.parametrize("name", ["intro.md", *SOURCES])
def test_no_column_by_column_claim_for_all_rules(name):
    """W1: rules 3 and 4 reduce across columns; the text must not deny it."""
    text = (BOOK / name).read_text()
    assert not re.search(r"every formula[^.]*column by column", text)
    assert "\\Delta^l" in text  # the batch of errors has its own symbol


def test_the_factor_m_is_derived_once_in_chapter_2():
    """W2: chapter 1 only points to it; chapters 3, 5, 6 reference it."""
    one = (CHAPTERS / "01_notation_forward.md").read_text()
    two = (CHAPTERS / "02_chain_rule.md").read_text()
    assert "factor $m$" not in one and "net.backward" not in one
    assert "### The errors of a batch, and a factor $m$" in two
    displayed = r"\Delta^l = m\,\frac{\partial C}{\partial Z^l}"
    for name in sorted(CHAPTERS.glob("0[1-6]_*.md")):
        count = name.read_text().count(displayed)
        assert count == (1 if name.name.startswith("02") else 0), name


@pytest.mark.parametrize(
    "name", sorted(p.name for p in CHAPTERS.glob("0[1-6]_*.md"))
)
def test_pytorch_z_grad_comes_with_retain_grad(name):
    """E4: Z is a non-leaf tensor; without retain_grad() its .grad is None."""
    for paragraph in (CHAPTERS / name).read_text().split("\n\n"):
        if re.search(r"`[Zz]\.grad`", paragraph) and "PyTorch" in paragraph:
            assert "retain_grad()" in paragraph, paragraph[:80]


@pytest.fixture(scope="module")
def executed():
    """Execute chapters 1 and 2 in a fresh kernel each, as the book does."""
    return execute_chapters(
        {n: BOOK / name for n, name in enumerate(SOURCES, 1)}
    )


@pytest.mark.parametrize("number", [1, 2])
def test_every_number_the_prose_quotes_is_computed_by_the_chapter(
    executed, number
):
    text = (BOOK / SOURCES[number - 1]).read_text()
    quoted = set(re.findall(r"\{eval\}`([A-Za-z_]\w*)`", text))
    assert quoted and quoted <= set(glued(executed[number]))
    assert "{glue" not in text and "myst_nb import glue" not in text


def test_chapter_2_factor_m_check_against_an_own_backward_pass(executed):
    """The moved cell: Δ^l from a hand backward pass, ∂C/∂Z by differences."""
    g = glued(executed[2])
    net = bp.MLP([2, 3, 2], hidden="sigmoid", output="identity", seed=0)
    net.biases = [
        np.array([[0.1], [-0.2], [0.3]]),
        np.array([[0.5], [-0.5]]),
    ]
    X = np.array([[0.5, -1.0, 2.0, 0.0], [1.5, 0.3, -0.7, -1.0]])
    Y = np.array([[1.0, 0.0, 0.5, -1.0], [0.0, 1.0, 0.5, 1.0]])
    z, a = forward_by_hand(net, X)
    D = {2: a[2] - Y}
    D[1] = (net.weights[1].T @ D[2]) * a[1] * (1 - a[1])
    h = 1e-6
    for l in (1, 2):
        fd = np.zeros_like(z[l])
        for idx in np.ndindex(z[l].shape):
            E = np.zeros_like(z[l])
            E[idx] = h
            fd[idx] = (
                cost_from_layer_by_hand(net, l, z[l] + E, Y)
                - cost_from_layer_by_hand(net, l, z[l] - E, Y)
            ) / (2 * h)
        np.testing.assert_allclose(D[l] / fd, 4.0, rtol=1e-5)
    assert g["batch_m"] == 4
    assert g["delta_m_ratio"] == pytest.approx(4.0, rel=1e-5)
    assert g["delta_m_gap"] < 1e-6
    # the merging sums: both match, one path or one column alone does not
    assert g["merge_gap_text"] < 1e-6
    assert g["one_path_off"] > 1e-3 and g["one_column_off"] > 1e-3


def test_chapter_2_places_the_explorer_under_its_heading():
    text = (CHAPTERS / "02_chain_rule.md").read_text()
    explore = text.index("## Explore: nudge a weight")
    assert text.index("nudge.show(", explore) < text.index("## Exercises")
