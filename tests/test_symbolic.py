"""SymPy verification of the four rules, for every pairing the book discusses.

The verifications run the functions of backprop.rules on SymPy symbols, so
they must also FAIL when a rule is replaced by a wrong formula: the last
tests break each rule on purpose and check that the verification notices.
"""

import numpy as np
import pytest

from backprop import rules, symbolic

HIDDEN = ["sigmoid", "tanh", "relu"]
PAIRINGS = list(symbolic.PAIRINGS)
ids = [f"{o}+{l}" for o, l in PAIRINGS]


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu"])
def test_stated_activation_derivatives(name):
    assert symbolic.verify_activation_prime(name)


@pytest.mark.parametrize("output, loss", PAIRINGS, ids=ids)
def test_rule1_output_error(output, loss):
    result = symbolic.verify_output_error(output, loss, sizes=(2, 3), m=2)
    assert result.holds and len(result.entries) == 3 * 2


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", PAIRINGS, ids=ids)
def test_rule2_hidden_error(hidden, output, loss):
    results = symbolic.verify_hidden_error(hidden, output, loss)
    assert results and all(r.holds for r in results)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", PAIRINGS, ids=ids)
def test_rule3_bias_gradient(hidden, output, loss):
    results = symbolic.verify_bias_gradient(hidden, output, loss)
    assert len(results) == 2 and all(r.holds for r in results)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", PAIRINGS, ids=ids)
def test_rule4_weight_gradient(hidden, output, loss):
    results = symbolic.verify_weight_gradient(hidden, output, loss)
    assert len(results) == 2 and all(r.holds for r in results)


def test_rule2_over_two_hidden_layers():
    results = symbolic.verify_hidden_error(
        "tanh", "identity", "mse", sizes=(2, 2, 3, 1)
    )
    assert len(results) == 2 and all(r.holds for r in results)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", PAIRINGS, ids=ids)
def test_sympy_derivatives_match_package_gradients(hidden, output, loss):
    rows, max_diff = symbolic.numeric_comparison(
        hidden, output, loss, sizes=(2, 3, 2), m=3, seed=7
    )
    assert len(rows) == 2 * 3 + 3 + 3 * 2 + 2
    exact = np.array([e for _, e, _ in rows])
    assert max_diff <= 1e-10 * max(1.0, np.abs(exact).max())


def test_markdown_report_names_rule_and_verdicts():
    text = symbolic.verify_output_error("sigmoid", "mse")._repr_markdown_()
    assert (
        "rule 1" in text
        and "2 of 2 entries verified" in text
        and "equal" in text
    )


# --- the verification must notice a wrong rule --------------------------------


def _wrong_hidden_error(W_next, delta_next, dsigma):
    return W_next.T @ delta_next  # forgets ⊙ σ'(z)


def _wrong_bias_gradient(delta):
    return delta.sum(axis=1, keepdims=True)  # forgets 1/m


def _wrong_weight_gradient(delta, a_prev):
    return -(delta @ a_prev.T) / delta.shape[1]  # wrong sign


def _wrong_output_error(grad_a, dsigma):
    return grad_a  # forgets ⊙ σ'(z)


@pytest.mark.parametrize(
    "name, wrong, verify",
    [
        (
            "output_error",
            _wrong_output_error,
            lambda: [symbolic.verify_output_error("sigmoid", "mse")],
        ),
        (
            "hidden_error",
            _wrong_hidden_error,
            lambda: symbolic.verify_hidden_error(
                "sigmoid", "identity", "mse"
            ),
        ),
        (
            "bias_gradient",
            _wrong_bias_gradient,
            lambda: symbolic.verify_bias_gradient(
                "tanh", "identity", "mse"
            ),
        ),
        (
            "weight_gradient",
            _wrong_weight_gradient,
            lambda: symbolic.verify_weight_gradient(
                "tanh", "identity", "mse"
            ),
        ),
    ],
)
def test_a_wrong_rule_fails_verification(monkeypatch, name, wrong, verify):
    monkeypatch.setattr(rules, name, wrong)
    results = verify()
    assert not all(r.holds for r in results)
    assert "DIFFERENT" in "".join(r._repr_markdown_() for r in results)


# --- numeric_comparison shows itself as a table and a verdict --------------------


def test_numeric_comparison_unpacks_and_displays_as_a_table_with_a_verdict():
    comparison = symbolic.numeric_comparison(
        "tanh", "sigmoid", "mse", sizes=(2, 2, 2), m=2
    )
    rows, max_diff = comparison
    assert (rows, max_diff) == comparison and len(rows) == 4 + 2 + 4 + 2
    lines = comparison._repr_markdown_().splitlines()
    assert (
        lines[0]
        == "| parameter | `sympy.diff` | `MLP.gradients` | difference |"
    )
    assert lines[1] == "|---|---:|---:|---:|"
    name, exact, computed = rows[1]
    assert name == "w^1_12"
    assert (
        lines[3]
        == f"| $w^1_{{12}}$ | {exact:+.12f} | {computed:+.12f} | {abs(exact - computed):.1e} |"
    )
    assert len(lines) == 2 + len(rows) + 2 and lines[-2] == ""
    assert lines[-1].startswith(
        "All 12 parameters: largest difference"
    ) and lines[-1].endswith("**correct**")
    assert (
        comparison.verdict == "correct"
        and comparison.relative_error < 1e-12
    )


def test_numeric_comparison_table_shows_first_rows_but_judges_all():
    comparison = symbolic.numeric_comparison(
        "tanh", "sigmoid", "mse", sizes=(2, 2, 2), m=2
    )
    text = comparison.table(3)._repr_markdown_()
    assert (
        text.count("\n| $") == 3
        and "All 12 parameters (the first 3 shown)" in text
    )


def test_numeric_comparison_verdict_says_wrong_when_the_code_is_wrong():
    rows, max_diff = symbolic.numeric_comparison(
        "tanh", "sigmoid", "mse", sizes=(2, 2, 2), m=2
    )
    wrong = symbolic.NumericComparison(
        [(n, e, -g) for n, e, g in rows], max_diff
    )
    assert wrong.verdict == "wrong" and wrong._repr_markdown_().endswith(
        "**wrong**"
    )
