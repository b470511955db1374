"""Claims of chapters 10 and 11, each against an independent reference.

- the digit classifier's size comes from one place and matches a hand count;
- 11.1: σ' ≤ ¼ (SymPy), so the identity output's δᴸ is at least four times
  the sigmoid's for the same residual; and the data that back it: the
  identity output diverges at a learning rate where the sigmoid trains;
- 11.2: the rules fed ∇ₐC' = (a − y)/n_L give the gradient of the per-pixel
  mean C' = C/n_L, checked against finite differences of C' computed from
  its definition (and the book's gradient fails that check);
- 11.7: a 1-nearest-neighbour classifier on the 8-number codes names most
  test digits;
- the numbers both chapters' prose quotes ({eval}), read back from the
  executed chapters, against counts by hand, scikit-learn's copy of the
  digits, and the identities that tie them to each other.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import backprop as bp
from backprop import gradcheck
from chapter_support import centred_differences, execute_chapters, glued

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
CHAPTER_FILES = {
    10: CHAPTERS / "10_digits.md",
    11: CHAPTERS / "11_autoencoder.md",
}


def test_digit_classifier_size_by_hand():
    net = bp.data.digits_classifier()
    n0, n1, n2 = bp.data.DIGITS_SIZES
    assert net.sizes == [n0, n1, n2]
    assert net.n_params == n1 * n0 + n1 + n2 * n1 + n2 == 4810


def test_sigmoid_prime_is_at_most_a_quarter():
    z = sp.symbols("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    ds = sp.diff(s, z)
    critical = sp.solve(sp.Eq(sp.diff(ds, z), 0), z)
    assert critical == [0] and ds.subs(z, 0) == sp.Rational(1, 4)
    grid = np.linspace(-40, 40, 100001)
    assert bp.activations.sigmoid_prime(grid).max() <= 0.25
    # so for every residual r: |r · 1| ≥ 4 |r σ'(z)|
    rng = np.random.default_rng(0)
    r = rng.normal(size=(4, 250))
    zz = rng.normal(scale=5, size=(4, 250))
    identity = bp.rules.output_error(r, np.ones_like(zz))
    sigmoid = bp.rules.output_error(r, bp.activations.sigmoid_prime(zz))
    assert np.all(np.abs(identity) >= 4 * np.abs(sigmoid))


@pytest.fixture(scope="module")
def digits():
    return bp.data.load_digits(test_fraction=0.2, seed=1)


def autoencoder(output):
    return bp.MLP([64, 32, 8, 32, 64], hidden="tanh", output=output, seed=0)


@pytest.mark.slow
def test_identity_output_diverges_where_the_sigmoid_trains(digits):
    X = digits.X_train
    with pytest.raises(bp.training.DivergenceError):
        bp.training.train(
            autoencoder("identity"), X, X, 60, 32, 0.2, progress=False
        )
    net = autoencoder("sigmoid")
    history = bp.training.train(net, X, X, 60, 32, 2.0, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]


def per_pixel_gradients(net, X, Y):
    """The chapter's backward pass for C': the rules fed (a − y) / n_L."""
    L, n_L = net.L, net.sizes[-1]
    cache = net.forward(X, return_cache=True)
    z, a = cache.z, cache.a
    delta = bp.rules.output_error((a[L] - Y) / n_L, net.output.prime(z[L]))
    dWs, dbs = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dWs[l - 1] = bp.rules.weight_gradient(delta, a[l - 1])
        dbs[l - 1] = bp.rules.bias_gradient(delta)
        if l > 1:
            delta = bp.rules.hidden_error(
                net.weights[l - 1], delta, net.hidden.prime(z[l - 1])
            )
    return dWs, dbs


def test_per_pixel_mean_gradient_against_finite_differences():
    rng = np.random.default_rng(3)
    net = bp.MLP([6, 5, 2, 5, 6], hidden="tanh", output="sigmoid", seed=1)
    net.biases = [rng.normal(0, 0.5, size=b.shape) for b in net.biases]
    X = rng.uniform(size=(6, 7))

    def per_pixel_cost():  # C' from its definition, not from C
        return np.mean(0.5 * (net.forward(X) - X) ** 2)

    reference = np.concatenate(
        [
            g.ravel()
            for g in centred_differences(
                per_pixel_cost, net.weights + net.biases
            )
        ]
    )
    got = gradcheck.flatten(*per_pixel_gradients(net, X, X))
    assert gradcheck.relative_error(got, reference) < 1e-7
    # the book's C is n_L times C': its gradient fails the same check
    book = gradcheck.flatten(*net.gradients(X, X))
    assert gradcheck.relative_error(book, reference) == pytest.approx(
        5 / 7, rel=1e-6
    )


@pytest.mark.slow
def test_nearest_neighbour_on_the_codes_names_most_digits(digits):
    X = digits.X_train
    net = autoencoder("sigmoid")
    bp.training.train(net, X, X, 60, 32, 0.5, seed=0, progress=False)
    codes = lambda A: net.forward(A, return_cache=True).a[2]
    train, test = codes(X), codes(digits.X_test)
    # brute force, one test code at a time (the chapter uses one matrix)
    nearest = [
        digits.y_train[np.argmin(((train - c[:, None]) ** 2).sum(axis=0))]
        for c in test.T
    ]
    assert np.mean(np.array(nearest) == digits.y_test) > 0.9


@pytest.mark.slow
def test_the_code_keeps_about_what_8_principal_components_keep(digits):
    """11, W4: the codes against two baselines computed by scikit-learn."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    def one_nn(train, test):  # samples in rows for scikit-learn
        knn = KNeighborsClassifier(n_neighbors=1).fit(train, digits.y_train)
        return np.mean(knn.predict(test) == digits.y_test)

    X, X_test = digits.X_train, digits.X_test
    pca = PCA(n_components=8).fit(X.T)
    on_pca = one_nn(pca.transform(X.T), pca.transform(X_test.T))
    on_pixels = one_nn(X.T, X_test.T)
    net = autoencoder("sigmoid")
    bp.training.train(net, X, X, 60, 32, 0.5, seed=0, progress=False)
    codes = lambda A: net.forward(A, return_cache=True).a[2].T
    on_codes = one_nn(codes(X), codes(X_test))
    # "about as much class information as 8 principal components"
    assert abs(on_codes - on_pca) < 0.02
    assert on_codes <= on_pca + 0.005  # "no better than the linear one"
    # "and less than the pixels"
    assert on_pixels > max(on_codes, on_pca) + 0.02


@pytest.mark.slow
def test_the_activations_are_not_ranked_by_a_paired_comparison():
    """10, N15: McNemar's exact test (scipy) on the digits the nets split."""
    from scipy.stats import binomtest

    split = bp.data.load_digits(test_fraction=0.2, seed=1)
    right = {}
    for hidden, seed in (("tanh", 0), ("sigmoid", None), ("relu", None)):
        net = bp.MLP(
            list(bp.data.DIGITS_SIZES),
            hidden=hidden,
            output="softmax",
            loss="cross_entropy",
            seed=0,
        )
        kwargs = {} if seed is None else {"seed": seed}
        bp.training.train(
            net,
            split.X_train,
            split.Y_train,
            epochs=40,
            batch_size=32,
            lr=0.5,
            progress=False,
            **kwargs,
        )
        right[hidden] = net.predict(split.X_test) == split.y_test
    accuracy = {k: v.mean() for k, v in right.items()}
    best = max(accuracy, key=accuracy.get)
    worst = min(accuracy, key=accuracy.get)
    b = int(np.sum(right[best] & ~right[worst]))
    c = int(np.sum(right[worst] & ~right[best]))
    assert b + c > 0
    # the chapter's z = (b − c)/√(b + c) is below 2; the exact test agrees
    assert (b - c) / np.sqrt(b + c) < 2
    assert binomtest(b, b + c, 0.5).pvalue > 0.05


# -- the numbers the prose quotes ({eval}), read back from the chapters ------


@pytest.fixture(scope="module")
def executed():
    return execute_chapters(CHAPTER_FILES)


@pytest.mark.slow
@pytest.mark.parametrize("number", [10, 11])
def test_every_name_the_prose_quotes_is_read_back(executed, number):
    text = CHAPTER_FILES[number].read_text()
    names = set(re.findall(r"\{eval\}`(\w+)`", text))
    assert len(names) >= 15 and names <= set(glued(executed[number]))


@pytest.mark.slow
def test_chapter_10_counts_against_scikit_learn_and_by_hand(executed):
    from sklearn.datasets import load_digits

    g = glued(executed[10])
    N, n_train, n_test = g["n_images"], g["n_train_text"], g["n_test_text"]
    assert N == load_digits().data.shape[0] == n_train + n_test
    assert abs(n_test - N / 5) < 10  # "a fifth", split digit by digit
    assert g["steps_per_epoch"] == math.ceil(n_train / 32)
    assert list(g["digits_sizes"]) == [64, 64, 10]
    assert g["n_params"] == 64 * 64 + 64 + 10 * 64 + 10
    split = bp.data.load_digits(test_fraction=0.2, seed=1)
    assert g["n_blank"] == sum(
        all(v == 0 for v in row) for row in split.X_train.tolist()
    )


@pytest.mark.slow
def test_chapter_10_accuracies_agree_with_the_paired_counts(executed):
    from scipy.stats import binom

    g = glued(executed[10])
    n, p = g["n_test_text"], g["test_accuracy_3f"]
    assert g["point_per_digit"] == pytest.approx(100 / n)
    # the binomial standard error, from scipy's binomial distribution
    assert g["std_error_text"] == pytest.approx(100 * binom(n, p).std() / n)
    accuracy = {
        "tanh": p,
        "sigmoid": g["accuracy_sigmoid"],
        "relu": g["accuracy_relu"],
    }
    best, worst = g["paired_best"], g["paired_worst"]
    assert accuracy[best] == max(accuracy.values())
    assert accuracy[worst] == min(accuracy.values())
    b, c = g["paired_only_best"], g["paired_only_worst"]
    # only the digits the two nets split change the difference of accuracy
    assert accuracy[best] - accuracy[worst] == pytest.approx((b - c) / n)
    assert g["paired_z_text"] == pytest.approx((b - c) / math.sqrt(b + c))
    gap = (accuracy[best] - accuracy[worst]) / (g["std_error_text"] / 100)
    assert g["activation_gap_se"] == pytest.approx(gap)


@pytest.mark.slow
def test_chapter_11_learning_rates_and_errors_by_hand(executed):
    g = glued(executed[11])
    sizes = [64, 32, 8, 32, 64]
    assert g["n_params"] == sum(
        n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])
    )
    n_L = 64  # one output per pixel
    # a step η' on C' = C / n_L is a step η'/n_L on C: the book's η = 0.5
    assert g["lr_per_pixel"] / n_L == 0.5 and g["lr_per_pixel"] == 32
    # PyTorch's MSELoss is 2C / n_L: a step η' on it is 2η'/n_L on C
    assert 2 * g["lr_pytorch"] / n_L == 0.5 and g["lr_pytorch"] == 16
    assert g["pixel_error_text"] < 1e-6
    # a gradient n_L times too large: |n_L − 1| / (n_L + 1)
    assert g["book_error_text"] == pytest.approx(63 / 65, rel=1e-6)
