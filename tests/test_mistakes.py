"""The common mistakes of chapter 9: each fails the gradient check, each fix passes it.

The references are centered finite differences (bp.gradcheck), and the
specific claims the chapter makes about each mistake (a factor m, a sign, a
transpose that only square layers let through) are checked against those
references, not against the package's own gradients.
"""

import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import gradcheck, mistakes

KEYS = list(mistakes.MISTAKES)


def reference(mistake, sizes=None, m=None, seed=0):
    net = mistake.network(sizes, seed)
    X, Y = mistake.data(net, m, seed)
    return net, X, Y, gradcheck.numerical_gradients(net, X, Y)


def test_there_are_the_mistakes_the_chapter_promises():
    assert len(KEYS) >= 7
    for key in [
        "bias_averaged_twice",
        "softmax_extra_sigma_prime",
        "sign_flipped",
        "output_error_in_first_layer",
        "missing_transpose",
        "weight_gradient_without_1_over_m",
        "row_convention_weight_gradient",
    ]:
        assert key in mistakes.MISTAKES


@pytest.mark.parametrize("key", KEYS)
def test_each_mistake_fails_the_gradient_check_and_its_fix_passes(key):
    result = mistakes.check(key)
    assert result.wrong.failure is None
    assert result.wrong.overall > gradcheck.SUSPECT, str(result)
    assert result.wrong.verdict == "wrong"
    assert result.fixed.overall < gradcheck.GOOD, str(result)
    assert result.fixed.passes and not result.wrong.passes


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("sizes, m, seed", [(None, 3, 1), (None, 9, 2)])
def test_fixes_pass_on_other_batches_and_seeds(key, sizes, m, seed):
    result = mistakes.check(key, sizes, m, seed)
    assert result.fixed.overall < gradcheck.GOOD
    assert result.wrong.overall > gradcheck.SUSPECT


@pytest.mark.parametrize(
    "fn, output, loss",
    [
        (mistakes.correct, "sigmoid", "mse"),
        (mistakes.correct, "identity", "mse"),
        (mistakes.correct_softmax, "softmax", "cross_entropy"),
    ],
)
@pytest.mark.parametrize("sizes", [(2, 5, 3), (4, 4, 4), (3, 2, 1)])
def test_the_right_functions_agree_with_finite_differences(
    fn, output, loss, sizes
):
    if loss == "cross_entropy" and sizes[-1] == 1:
        sizes = (3, 2, 2)
    net = bp.MLP(
        list(sizes), hidden="tanh", output=output, loss=loss, seed=3
    )
    rng = np.random.default_rng(4)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = rng.normal(size=(sizes[0], 5))
    Y = (
        np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], 5)]
        if loss == "cross_entropy"
        else rng.uniform(size=(sizes[-1], 5))
    )
    dWs, dbs = fn(net, X, Y)
    nWs, nbs = gradcheck.numerical_gradients(net, X, Y)
    assert (
        gradcheck.relative_error(
            gradcheck.flatten(dWs, dbs), gradcheck.flatten(nWs, nbs)
        )
        < 1e-7
    )


# -- what the chapter says about each mistake ----------------------------------------------


def test_bias_averaged_twice_is_exactly_m_times_too_small_and_only_in_the_biases():
    mk = mistakes.MISTAKES["bias_averaged_twice"]
    net, X, Y, (nWs, nbs) = reference(mk, m=8)
    dWs, dbs = mk.wrong(net, X, Y)
    for dW, nW in zip(dWs, nWs):
        assert gradcheck.relative_error(dW, nW) < 1e-7
    for db, nb in zip(dbs, nbs):
        np.testing.assert_allclose(db * 8, nb, rtol=1e-6, atol=1e-10)
        # a factor 1/m gives the relative error (m − 1)/(m + 1)
        assert gradcheck.relative_error(db, nb) == pytest.approx(
            7 / 9, rel=1e-6
        )


def test_weight_gradient_without_1_over_m_is_m_times_too_large_in_the_weights_only():
    mk = mistakes.MISTAKES["weight_gradient_without_1_over_m"]
    net, X, Y, (nWs, nbs) = reference(mk, m=5)
    dWs, dbs = mk.wrong(net, X, Y)
    for dW, nW in zip(dWs, nWs):
        np.testing.assert_allclose(dW, 5 * nW, rtol=1e-6, atol=1e-10)
    for db, nb in zip(dbs, nbs):
        assert gradcheck.relative_error(db, nb) < 1e-7


@pytest.mark.parametrize(
    "key", ["bias_averaged_twice", "weight_gradient_without_1_over_m"]
)
def test_factor_m_mistakes_hide_behind_a_single_example(key):
    assert mistakes.check(key, m=1).wrong.overall < gradcheck.GOOD
    assert mistakes.check(key, m=2).wrong.overall > gradcheck.SUSPECT


def test_sign_flip_negates_every_gradient_relative_error_one():
    mk = mistakes.MISTAKES["sign_flipped"]
    net, X, Y, (nWs, nbs) = reference(mk)
    dWs, dbs = mk.wrong(net, X, Y)
    np.testing.assert_allclose(
        gradcheck.flatten(dWs, dbs),
        -gradcheck.flatten(nWs, nbs),
        rtol=1e-6,
        atol=1e-10,
    )
    assert mistakes.check(mk).wrong.overall == pytest.approx(1.0, abs=1e-9)


def test_extra_sigma_prime_leaves_the_softmax_error_a_minus_y_times_a_one_minus_a():
    mk = mistakes.MISTAKES["softmax_extra_sigma_prime"]
    net, X, Y, (nWs, nbs) = reference(mk)
    a2 = net.forward(X)
    a1 = net.forward(X, return_cache=True).a[1]
    dWs, _ = mk.wrong(net, X, Y)
    # Hand-derived: the wrong δ² is (a − y) ⊙ a ⊙ (1 − a); the right one, a − y, is
    # what the finite differences give for ∂C/∂W² = δ² (a¹)ᵀ / m.
    np.testing.assert_allclose(
        dWs[1], ((a2 - Y) * a2 * (1 - a2)) @ a1.T / X.shape[1], rtol=1e-10
    )
    np.testing.assert_allclose(
        nWs[1], (a2 - Y) @ a1.T / X.shape[1], rtol=1e-6, atol=1e-10
    )


@pytest.mark.parametrize(
    "key",
    [
        "missing_transpose",
        "row_convention_weight_gradient",
        "output_error_in_first_layer",
    ],
)
def test_square_layers_hide_a_shape_error_that_other_layers_expose(key):
    nonsquare = mistakes.check(key, sizes=(3, 4, 2))
    assert nonsquare.wrong.failure and nonsquare.wrong.failure.startswith(
        "shape error"
    )
    assert nonsquare.wrong.verdict.startswith("shape error")
    assert nonsquare.fixed.overall < gradcheck.GOOD
    square = mistakes.check(key, sizes=(3, 3, 3))
    assert (
        square.wrong.failure is None
        and square.wrong.overall > gradcheck.SUSPECT
    )


def test_missing_transpose_raises_on_a_non_square_layer():
    mk = mistakes.MISTAKES["missing_transpose"]
    net = mk.network((3, 4, 2))
    X, Y = mk.data(net)
    with pytest.raises(ValueError):
        mk.wrong(net, X, Y)


def test_missing_transpose_on_a_square_layer_is_wrong_only_below_the_output():
    mk = mistakes.MISTAKES["missing_transpose"]
    errors = mistakes.check(mk).wrong.errors
    assert errors["W^2"] < 1e-7 and errors["b^2"] < 1e-7
    assert errors["W^1"] > 1e-4 and errors["b^1"] > 1e-4


def test_row_convention_gradient_is_the_transpose_on_square_layers():
    mk = mistakes.MISTAKES["row_convention_weight_gradient"]
    net, X, Y, (nWs, nbs) = reference(mk)
    dWs, dbs = mk.wrong(net, X, Y)
    for dW, nW in zip(dWs, nWs):
        np.testing.assert_allclose(dW, nW.T, rtol=1e-6, atol=1e-10)


def test_output_error_in_first_layer_is_wrong_only_in_W1():
    errors = mistakes.check("output_error_in_first_layer").wrong.errors
    assert errors["W^1"] > 1e-4
    assert all(errors[k] < 1e-7 for k in ("W^2", "b^1", "b^2"))


def test_sigma_prime_of_a_is_harmless_for_relu_and_identity_hidden_layers():
    """The chapter's exercise: relu'(a) = relu'(z) because a > 0 exactly where z > 0; identity' = 1."""
    import dataclasses

    for hidden in ("relu", "identity"):
        mk = dataclasses.replace(
            mistakes.MISTAKES["sigma_prime_of_activation"], hidden=hidden
        )
        assert mistakes.check(mk).wrong.overall < gradcheck.GOOD
    assert (
        mistakes.check("sigma_prime_of_activation").wrong.overall
        > gradcheck.SUSPECT
    )


def test_hiding_table_says_when_each_mistake_hides():
    found = {key: mistakes.hiding(key) for key in KEYS}
    one, batch, square = [label for label, _, _ in mistakes.SITUATIONS]
    assert found["bias_averaged_twice"][one][0] == "hidden"
    assert found["weight_gradient_without_1_over_m"][one][0] == "hidden"
    for key in [
        "missing_transpose",
        "row_convention_weight_gradient",
        "output_error_in_first_layer",
    ]:
        assert (
            found[key][batch][0] == "shape error"
            and found[key][square][0] == "caught"
        )
    for key in [
        "sign_flipped",
        "softmax_extra_sigma_prime",
        "sigma_prime_of_activation",
    ]:
        assert {status for status, _ in found[key].values()} == {"caught"}
    table = mistakes.hiding_table()
    assert len(table.rows) == len(KEYS)
    assert "<table" in table._repr_html_() and "hidden" in str(table)


# -- the code the chapter shows ------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_diff_shows_the_wrong_lines_and_the_fix(key):
    text = str(mistakes.diff(key))
    removed = [line for line in text.splitlines() if line.startswith("- ")]
    added = [line for line in text.splitlines() if line.startswith("+ ")]
    assert removed and added
    assert all("✗" in line for line in removed)
    assert all("✗" not in line for line in added)
    assert text.splitlines()[0].startswith(
        f"  def {mistakes.MISTAKES[key].wrong.__name__}("
    )
    assert "```diff" in mistakes.diff(key)._repr_markdown_()


def test_source_of_the_right_function():
    text = str(mistakes.source(mistakes.correct))
    assert "W2.T @ d2" in text and '"""' not in text


def test_check_display_lists_every_parameter():
    result = mistakes.check("missing_transpose")
    text = str(result)
    for name in ["W^1", "W^2", "b^1", "b^2", "overall"]:
        assert name in text
    assert "(wrong)" in text and "(correct)" in text
    assert "<table" in result._repr_html_()
    failed = mistakes.check("missing_transpose", sizes=(3, 4, 2))
    assert "shape error" in str(failed)


def test_unknown_mistake_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown mistake"):
        mistakes.check("typo")


def test_summary_table():
    checks = {key: mistakes.check(key) for key in KEYS}
    table = mistakes.summary_table(checks)
    assert len(table.rows) == len(KEYS)
    for row in table.rows:
        wrong, fixed = row[3].split(" → ")
        assert float(wrong) > 1e-4 and float(fixed) < 1e-7


# -- the symptoms in training ------------------------------------------------------------------


def test_training_shows_the_symptoms_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curves = {key: mistakes.train(key) for key in KEYS}
    for key, c in curves.items():
        assert c.fixed[-1] < 0.1 * c.fixed[0], (
            f"the fix should learn: {key}"
        )
        assert np.all(np.isfinite(c.wrong)) and np.all(np.isfinite(c.fixed))
    sign = curves["sign_flipped"]
    assert sign.wrong[-1] > sign.wrong[0]  # gradient descent climbs
    assert np.all(np.diff(sign.wrong) > -1e-12)
    assert curves["weight_gradient_without_1_over_m"].diverged
    assert not curves["bias_averaged_twice"].diverged
    slow = curves["softmax_extra_sigma_prime"]
    assert slow.wrong[-1] > 10 * slow.fixed[-1]  # learning crawls


def test_plot_symptoms_draws_one_panel_per_mistake():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = [mistakes.train(key, steps=20) for key in KEYS]
    fig = mistakes.plot_symptoms(curves)
    panels = [ax for ax in fig.axes if ax.lines]
    assert len(panels) == len(KEYS)
    assert [ax.get_title() for ax in panels] == [
        mistakes.MISTAKES[k].short for k in KEYS
    ]
    plt.close(fig)
