"""The self-checking exercises: each checker accepts right answers and names the defect of wrong ones.

The wrong answers are the typical mistakes a reader makes; each test asserts
the diagnosis category (result.diagnosis), not just that the answer failed.
The references inside the checkers are finite differences; they are tested
here against derivatives worked out by hand.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop import exercises as ex

ROOT = Path(__file__).resolve().parents[1]


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def sig_prime(z):  # written out here, not taken from the package
    return sig(z) * (1.0 - sig(z))


def not_implemented(*args):
    raise NotImplementedError("your code here")


def returns_nothing(*args):
    pass


# -- the references against hand-derived derivatives --------------------------------------


def test_numerical_deltas_match_a_hand_derivation():
    # 1-1-1 network, sigmoid hidden, identity output, MSE, two examples:
    # δ² = a² − y and δ¹ = w² δ² σ'(z¹), example by example.
    net = bp.MLP([1, 1, 1], hidden="sigmoid", output="identity", seed=0)
    w1, b1, w2, b2 = 0.7, -0.2, -1.3, 0.4
    net.weights = [np.array([[w1]]), np.array([[w2]])]
    net.biases = [np.array([[b1]]), np.array([[b2]])]
    X, Y = np.array([[0.5, -1.5]]), np.array([[0.3, 0.8]])
    z1 = w1 * X + b1
    a2 = w2 * sig(z1) + b2
    d2 = a2 - Y
    d1 = w2 * d2 * sig_prime(z1)
    deltas = ex.numerical_deltas(net, X, Y)
    np.testing.assert_allclose(deltas[2], d2, rtol=1e-8)
    np.testing.assert_allclose(deltas[1], d1, rtol=1e-8)


def test_numerical_deltas_of_softmax_cross_entropy_are_a_minus_y():
    net = bp.MLP(
        [2, 3],
        hidden="sigmoid",
        output="softmax",
        loss="cross_entropy",
        seed=1,
    )
    X = np.array([[0.3, -1.0], [2.0, 0.5]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    z = net.weights[0] @ X
    a = np.exp(z) / np.exp(z).sum(axis=0)
    np.testing.assert_allclose(
        ex.numerical_deltas(net, X, Y)[1], a - Y, atol=1e-8
    )


# -- rule 1 -------------------------------------------------------------------------------

OUTPUT_RIGHT = [
    lambda a, y, z: (a - y) * sig_prime(z),
    lambda a, y, z: (a - y) * a * (1 - a),
    lambda a, y, z: bp.rules.output_error(
        a - y, bp.activations.sigmoid_prime(z)
    ),
]

OUTPUT_WRONG = [
    (lambda a, y, z: (y - a) * sig_prime(z), "sign", "-1"),
    (lambda a, y, z: a - y, "missing_sigma_prime", None),
    (lambda a, y, z: (a - y) * sig_prime(a), "sigma_prime_of_a", None),
    (lambda a, y, z: (a - y) * sig_prime(z) / a.shape[1], "factor", "1/m"),
    (lambda a, y, z: 2 * (a - y) * sig_prime(z), "factor", "2"),
    (lambda a, y, z: ((a - y) * sig_prime(z)).T, "transposed", None),
    (
        lambda a, y, z: ((a - y) * sig_prime(z)).sum(axis=1, keepdims=True),
        "shape",
        None,
    ),
    (lambda a, y, z: (a - y) @ sig_prime(z).T, "shape", None),
    (lambda a, y, z: (a - y) * sig_prime(z) + 0.1, "wrong", None),
    (lambda a, y, z: "delta", "type", None),
    (not_implemented, "not_implemented", None),
    (returns_nothing, "not_implemented", None),
]


@pytest.mark.parametrize("fn", OUTPUT_RIGHT)
def test_output_error_accepts_right_answers(fn):
    result = ex.check_output_error(fn)
    assert result.correct and result.diagnosis == "correct", str(result)


@pytest.mark.parametrize("fn, diagnosis, factor", OUTPUT_WRONG)
def test_output_error_names_the_mistake(fn, diagnosis, factor):
    result = ex.check_output_error(fn)
    assert not result.correct
    assert result.diagnosis == diagnosis, str(result)
    assert result.factor == factor


SOFTMAX_WRONG = [
    (lambda a, y: (a - y) * a * (1 - a), "extra_sigma_prime"),
    (lambda a, y: -y / a, "gradient_wrt_a"),
    (lambda a, y: y - a, "sign"),
    (lambda a, y: (a - y) / a.shape[1], "factor"),
    (lambda a, y: (a - y).T, "transposed"),
    (lambda a, y: a, "wrong"),
    (not_implemented, "not_implemented"),
]


def test_softmax_delta_accepts_a_minus_y():
    assert ex.check_softmax_cross_entropy_delta(lambda a, y: a - y).correct
    assert ex.check_softmax_cross_entropy_delta(
        lambda a, y: -(y - a)
    ).correct


@pytest.mark.parametrize("fn, diagnosis", SOFTMAX_WRONG)
def test_softmax_delta_names_the_mistake(fn, diagnosis):
    result = ex.check_softmax_cross_entropy_delta(fn)
    assert result.diagnosis == diagnosis, str(result)
    assert not result.correct


# -- rule 2 -------------------------------------------------------------------------------

HIDDEN_RIGHT = [
    lambda W, d, s: (W.T @ d) * s,
    lambda W, d, s: (d.T @ W).T * s,
    lambda W, d, s: np.einsum("ji,jm->im", W, d) * s,
]

HIDDEN_WRONG = [
    (
        lambda W, d, s: (W @ d) * s,
        "transposed",
        None,
    ),  # runs only where W is square
    (lambda W, d, s: W @ d, "transposed", None),
    (
        lambda W, d, s: (d.T @ W) * s.T,
        "transposed",
        None,
    ),  # the result transposed
    (lambda W, d, s: W.T @ d, "missing_sigma_prime", None),
    (lambda W, d, s: -(W.T @ d) * s, "sign", "-1"),
    (lambda W, d, s: (W.T @ d) * s / d.shape[1], "factor", "1/m"),
    (lambda W, d, s: (W.T @ d) @ s.T, "shape", None),
    (
        lambda W, d, s: (W.T @ d) * s.mean(axis=1, keepdims=True),
        "wrong",
        None,
    ),
    (not_implemented, "not_implemented", None),
]


@pytest.mark.parametrize("fn", HIDDEN_RIGHT)
def test_hidden_error_accepts_right_answers(fn):
    assert ex.check_hidden_error(fn).correct


@pytest.mark.parametrize("fn, diagnosis, factor", HIDDEN_WRONG)
def test_hidden_error_names_the_mistake(fn, diagnosis, factor):
    result = ex.check_hidden_error(fn)
    assert result.diagnosis == diagnosis, str(result)
    assert result.factor == factor


def test_missing_transpose_is_caught_although_the_square_case_runs():
    """The square case hides the shape error; the checker still names the transpose."""
    result = ex.check_hidden_error(lambda W, d, s: (W @ d) * s)
    categories = [c.finding.category for c in result.cases]
    assert "exception" in categories  # the non-square layers
    assert (
        "transposed" in categories
    )  # the square one: right shape, wrong numbers
    square = [c for c in result.cases if "square" in c.description]
    assert square and square[0].finding.category == "transposed"
    assert "W_next.T @ delta_next" in result.message


# -- rule 3 -------------------------------------------------------------------------------

BIAS_WRONG = [
    (lambda d: d.sum(axis=1, keepdims=True), "factor", "m"),
    (lambda d: d.mean(axis=1, keepdims=True) / d.shape[1], "factor", "1/m"),
    (lambda d: d.mean(axis=1), "shape", None),
    (lambda d: d.mean(axis=0, keepdims=True), "wrong_axis", None),
    (lambda d: d.mean(axis=0), "wrong_axis", None),
    (lambda d: -d.mean(axis=1, keepdims=True), "sign", "-1"),
    (lambda d: d[:, :1], "wrong", None),
    (lambda d: d, "shape", None),
    (not_implemented, "not_implemented", None),
]


def test_bias_gradient_accepts_the_mean_of_the_columns():
    assert ex.check_bias_gradient(
        lambda d: d.mean(axis=1, keepdims=True)
    ).correct
    assert ex.check_bias_gradient(
        lambda d: d @ np.ones((d.shape[1], 1)) / d.shape[1]
    ).correct


@pytest.mark.parametrize("fn, diagnosis, factor", BIAS_WRONG)
def test_bias_gradient_names_the_mistake(fn, diagnosis, factor):
    result = ex.check_bias_gradient(fn)
    assert result.diagnosis == diagnosis, str(result)
    assert result.factor == factor


def test_a_factor_m_mistake_is_invisible_for_one_example_and_the_result_says_so():
    result = ex.check_bias_gradient(lambda d: d.sum(axis=1, keepdims=True))
    right = [c for c in result.cases if c.finding.category == "correct"]
    assert [c.description for c in right] == ["n_l = 4, m = 1"]
    assert "would not have found" in result.message


# -- rule 4 -------------------------------------------------------------------------------

WEIGHT_WRONG = [
    (lambda d, a: d @ a.T, "factor", "m"),
    (
        lambda d, a: a @ d.T / d.shape[1],
        "transposed",
        None,
    ),  # the row-convention formula
    (lambda d, a: d @ a.T / d.shape[1] ** 2, "factor", "1/m"),
    (lambda d, a: -d @ a.T / d.shape[1], "sign", "-1"),
    (lambda d, a: d * a, "exception", None),
    (lambda d, a: d.T @ a / d.shape[1], "exception", None),
    (lambda d, a: d[:, :1] @ a[:, :1].T, "wrong", None),
    (not_implemented, "not_implemented", None),
]


def test_weight_gradient_accepts_right_answers():
    assert ex.check_weight_gradient(
        lambda d, a: d @ a.T / d.shape[1]
    ).correct
    assert ex.check_weight_gradient(
        lambda d, a: np.einsum("im,jm->ij", d, a) / d.shape[1]
    ).correct
    assert ex.check_weight_gradient(
        lambda d, a: (
            sum(np.outer(d[:, i], a[:, i]) for i in range(d.shape[1]))
            / d.shape[1]
        )
    ).correct


@pytest.mark.parametrize("fn, diagnosis, factor", WEIGHT_WRONG)
def test_weight_gradient_names_the_mistake(fn, diagnosis, factor):
    result = ex.check_weight_gradient(fn)
    assert result.diagnosis == diagnosis, str(result)
    assert result.factor == factor


def test_transposed_weight_gradient_on_the_square_case_is_named_too():
    result = ex.check_weight_gradient(lambda d, a: a @ d.T / d.shape[1])
    square = [c for c in result.cases if "square" in c.description]
    assert square[0].finding.category == "transposed"
    assert "row-convention" in square[0].finding.detail
    # the reader sees plain text, not TeX: (n_l, n_(l-1)), no n_{l-1}
    assert "(n_l, n_(l-1))" in square[0].finding.detail
    assert "{" not in str(result) and "{" not in result._repr_html_()


# -- the algorithm ------------------------------------------------------------------------


def make_backprop(mistake=None):
    """A backward pass written out in this test, with one of the usual mistakes switched on."""

    def backprop(net, X, Y):
        c = net.forward(X, return_cache=True)
        z, a, L, m = c.z, c.a, net.L, X.shape[1]
        if net.loss_name == "cross_entropy":
            d = a[L] - Y
            if mistake == "extra":
                d = d * a[L] * (1 - a[L])
        else:
            d = a[L] - Y
            if mistake != "no_output_prime":
                d = d * net.output.prime(z[L])
        if mistake == "sign":
            d = -d
        dWs, dbs = [None] * L, [None] * L
        for l in range(L, 0, -1):
            dWs[l - 1] = d @ a[l - 1].T / (1 if mistake == "no_m" else m)
            if mistake == "row":
                dWs[l - 1] = a[l - 1] @ d.T / m
            dbs[l - 1] = d.sum(axis=1, keepdims=True) / (
                1 if mistake == "sum_b" else m
            )
            if l > 1:
                W = net.weights[l - 1]
                d = (W if mistake == "no_T" else W.T) @ d
                if mistake != "no_hidden_prime":
                    d = d * net.hidden.prime(z[l - 1])
        if mistake == "swap":
            return dbs, dWs
        return dWs, dbs

    return backprop


def test_backprop_accepts_right_answers():
    assert ex.check_backprop(make_backprop()).correct
    assert ex.check_backprop(lambda net, X, Y: net.gradients(X, Y)).correct


@pytest.mark.parametrize(
    "mistake, diagnosis, factor",
    [
        ("sign", "sign", "-1"),
        ("extra", "extra_sigma_prime", None),
        ("no_output_prime", "missing_sigma_prime", None),
        ("no_hidden_prime", "missing_sigma_prime", None),
        ("no_m", "factor", "m"),
        ("sum_b", "factor", "m"),
        ("row", "transposed", None),
        ("no_T", "transposed", None),
        ("swap", "shape", None),
    ],
)
def test_backprop_names_the_mistake(mistake, diagnosis, factor):
    result = ex.check_backprop(make_backprop(mistake))
    assert result.diagnosis == diagnosis, str(result)
    assert result.factor == factor
    if mistake == "row":  # plain text for the reader, no TeX subscripts
        assert "(n_l, n_(l-1))" in str(result)
    assert "{" not in str(result)


def test_backprop_locates_a_wrong_hidden_layer():
    result = ex.check_backprop(make_backprop("no_hidden_prime"))
    assert (
        "hidden layers" in result.message
        and "output layer is right" in result.message
    )


def test_backprop_reports_a_wrong_return_value_and_not_implemented():
    assert ex.check_backprop(lambda net, X, Y: 3).diagnosis == "type"
    assert ex.check_backprop(not_implemented).diagnosis == "not_implemented"
    assert ex.check_backprop(returns_nothing).diagnosis == "not_implemented"


def test_backprop_gets_a_copy_of_the_network():
    def vandal(net, X, Y):
        dWs, dbs = net.gradients(X, Y)
        net.weights = [
            W * 0 for W in net.weights
        ]  # must not spoil the checker's reference
        return dWs, dbs

    assert ex.check_backprop(vandal).correct


# -- robustness and display ---------------------------------------------------------------


def test_checkers_never_raise_or_warn_because_of_the_readers_code():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            ex.check_hidden_error(lambda W, d, s: np.log(0 * s)).diagnosis
            == "nonfinite"
        )
        assert (
            ex.check_bias_gradient(lambda d: 1 / 0).diagnosis == "exception"
        )
        assert (
            ex.check_weight_gradient(lambda d, a: d @ a.T / 0.0).diagnosis
            == "nonfinite"
        )


def test_checker_refuses_something_that_is_not_a_function():
    with pytest.raises(TypeError, match="function"):
        ex.check_hidden_error("W.T @ delta")


def test_exception_names_the_exception_and_the_shapes():
    result = ex.check_weight_gradient(lambda d, a: d * a)
    assert result.diagnosis == "exception"
    assert "ValueError" in result.message


def test_not_implemented_is_one_friendly_sentence():
    result = ex.check_hidden_error(not_implemented)
    assert "not implemented yet" in str(result).lower()
    assert not result.cases


def test_displays():
    wrong = ex.check_bias_gradient(lambda d: d.sum(axis=1, keepdims=True))
    right = ex.check_bias_gradient(lambda d: d.mean(axis=1, keepdims=True))
    assert str(right).startswith("✓ Correct") and str(wrong).startswith(
        "✗ Off by a constant factor"
    )
    assert repr(wrong) == str(wrong)
    assert "**✗ Off by a constant factor**" in wrong._repr_markdown_()
    html_text = wrong._repr_html_()
    assert (
        "<li>✓ n_l = 4, m = 1" in html_text
        and "same mistake as above" in html_text
    )
    # exception text from the reader's code is escaped
    bad = ex.check_bias_gradient(
        lambda d: (_ for _ in ()).throw(ValueError("<b>|x|</b>"))
    )
    assert (
        "<b>" not in bad._repr_html_() and "&lt;b&gt;" in bad._repr_html_()
    )
    assert "\\<b\\>" in bad._repr_markdown_()


# -- the self-checking exercise sections that end chapters 3 to 7 -------------------------

SNIPPETS = [
    ROOT / "chapters" / f"{name}.md"
    for name in (
        "03_output_error",
        "04_hidden_error",
        "05_bias_gradient",
        "06_weight_gradient",
        "07_algorithm",
    )
]
HEADING = re.compile(
    r"^## (Exercises that check themselves|An exercise that checks itself)$",
    re.M,
)


def _section(path):
    """Return the chapter's self-checking exercise section, from its heading to the next section."""
    text = path.read_text()
    match = HEADING.search(text)
    assert match, f"{path.name} has no self-checking exercise section"
    end = re.compile(r"^## ", re.M).search(text, match.end())
    return text[match.start() : end.start() if end else len(text)]


def _cells(text):
    return re.findall(
        r"```\{code-cell\} ipython3\n(.*?)```", text, flags=re.S
    )


@pytest.mark.parametrize("path", SNIPPETS, ids=lambda p: p.stem)
def test_snippet_runs_and_its_solution_is_the_code_it_checks(path):
    text = _section(path)
    solutions = re.findall(
        r":::\{admonition\} Solution\n:class: dropdown\n(.*?)\n:::",
        text,
        flags=re.S,
    )
    assert solutions, "the solution must sit in a collapsed admonition"
    # Each cell's metadata block (if any) is stripped; then the cells run in order.
    cells = [
        re.sub(r"\A---\n.*?\n---\n", "", c, flags=re.S)
        for c in _cells(text)
    ]
    hidden = [c for c in _cells(text) if "remove-input" in c]
    assert len(hidden) == len(solutions)
    for solution, cell in zip(solutions, hidden):
        shown = (
            re.search(r"```python\n(.*?)```", solution, flags=re.S)
            .group(1)
            .strip()
        )
        assert shown in cell, (
            "the hidden cell must run exactly the solution shown"
        )
    namespace = {"bp": bp}
    results = []
    for src in cells:
        lines = src.strip().splitlines()
        exec(compile("\n".join(lines[:-1]), str(path), "exec"), namespace)
        results.append(
            eval(compile(lines[-1], str(path), "eval"), namespace)
        )
    assert all(isinstance(r, ex.CheckResult) for r in results)
    assert len(results) == 3 * len(solutions)
    for attempt, stub, solution in zip(
        results[0::3], results[1::3], results[2::3]
    ):
        assert not attempt.correct and attempt.diagnosis not in (
            "not_implemented",
            "correct",
            "wrong",
        )
        assert stub.diagnosis == "not_implemented"
        assert solution.correct
