"""The common mistakes of chapter 9: each fails the gradient check, each fix passes it.

The references are centered finite differences (bp.gradcheck), and the
specific claims the chapter makes about each mistake (a factor m, a sign, a
transpose that only square layers let through) are checked against those
references, not against the package's own gradients.
"""

import dataclasses
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import gradcheck, mistakes
from chapter_support import centred_differences

KEYS = list(mistakes.MISTAKES)


def reference(mistake, sizes=None, m=None, seed=0):
    net = mistake.network(sizes, seed)
    X, Y = mistake.data(net, m, seed)
    return net, X, Y, gradcheck.numerical_gradients(net, X, Y)


#: How each mistake shows in a gradient check on its own network.
FAILS_BY = {
    "bias_gradient_without_keepdims": "shape error",
    "log_of_softmax_probabilities": "NaN in the gradient",
    "softmax_without_max": "NaN in the gradient",
    "targets_as_a_column": "shape error",
}


def test_there_are_the_mistakes_the_chapter_promises():
    assert len(KEYS) >= 14
    for key in [
        "bias_averaged_twice",
        "softmax_extra_sigma_prime",
        "sign_flipped",
        "output_error_in_first_layer",
        "missing_transpose",
        "weight_gradient_without_1_over_m",
        "row_convention_weight_gradient",
        "sigma_prime_of_activation",
        # the review's classic mistakes (issue 11, item 9)
        "gradients_accumulated",
        "cached_output_changed_in_place",
        "bias_gradient_without_keepdims",
        "log_of_softmax_probabilities",
        "update_before_rule_2",
        "activation_for_the_layer_input",
        "sigmoid_output_with_a_minus_y",
        # the second review's classic mistakes (issue 19, item 2)
        "a_form_derivative_of_z",
        "output_sigma_prime_in_hidden_layer",
        "one_unit_sigma_prime_for_all",
        "gradients_overwritten",
        "targets_as_a_column",
        "integer_labels",
        "softmax_without_max",
        # the practice problems' mistakes (issue 17)
        "bias_gradient_without_1_over_m",
        "output_sigma_prime_of_activation",
        "hidden_error_without_sigma_prime",
    ]:
        assert key in mistakes.MISTAKES


@pytest.mark.parametrize("key", KEYS)
def test_each_mistake_fails_the_gradient_check_and_its_fix_passes(key):
    result = mistakes.check(key)
    if key in FAILS_BY:
        assert result.wrong.failure.startswith(FAILS_BY[key]), str(result)
    else:
        assert result.wrong.failure is None
        assert result.wrong.overall > gradcheck.SUSPECT, str(result)
        assert result.wrong.verdict == "wrong"
    assert result.fixed.failure is None
    assert result.fixed.overall < gradcheck.GOOD, str(result)
    assert result.fixed.passes and not result.wrong.passes


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("sizes, m, seed", [(None, 3, 1), (None, 9, 2)])
def test_fixes_pass_on_other_batches_and_seeds(key, sizes, m, seed):
    result = mistakes.check(key, sizes, m, seed)
    assert result.fixed.overall < gradcheck.GOOD
    assert not result.wrong.passes


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


def test_bias_gradient_without_1_over_m_is_m_times_too_large_in_the_biases_only():
    mk = mistakes.MISTAKES["bias_gradient_without_1_over_m"]
    net, X, Y, (nWs, nbs) = reference(mk, m=7)
    dWs, dbs = mk.wrong(net, X, Y)
    for db, nb in zip(dbs, nbs):
        np.testing.assert_allclose(db, 7 * nb, rtol=1e-6, atol=1e-10)
        # a factor m gives the relative error (m − 1)/(m + 1)
        assert gradcheck.relative_error(db, nb) == pytest.approx(
            6 / 8, rel=1e-6
        )
    for dW, nW in zip(dWs, nWs):
        assert gradcheck.relative_error(dW, nW) < 1e-7


@pytest.mark.parametrize(
    "key",
    [
        "bias_averaged_twice",
        "weight_gradient_without_1_over_m",
        "bias_gradient_without_1_over_m",
    ],
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


# -- the classic mistakes of issue 11, each against its own reference --------


def numerical_gradient_of(cost, net, eps=1e-6):
    """Centred differences of cost() over every weight and bias of net."""
    return centred_differences(cost, [*net.weights, *net.biases], eps)


def test_accumulated_gradients_pass_once_then_double():
    mk = mistakes.MISTAKES["gradients_accumulated"]
    net, X, Y, (nWs, nbs) = reference(mk)
    grad = mk.gradient_function("wrong", net)
    first = gradcheck.flatten(*grad(net, X, Y))
    second = gradcheck.flatten(*grad(net, X, Y))
    ref = gradcheck.flatten(nWs, nbs)
    assert gradcheck.relative_error(first, ref) < 1e-7
    np.testing.assert_allclose(second, 2 * ref, rtol=1e-6, atol=1e-10)
    # a factor 2 gives (2 − 1)/(2 + 1) = 1/3
    assert mistakes.check(mk).wrong.overall == pytest.approx(1 / 3)
    assert mistakes.check(mk, calls=1).wrong.passes
    assert mistakes.check(mk, calls=3).fixed.passes


def test_in_place_change_of_the_cached_output_uses_a_minus_y():
    """δ² from d = a; d −= y; d *= a(1 − a) is (a − y)(a − y)(1 − a + y)."""
    mk = mistakes.MISTAKES["cached_output_changed_in_place"]
    net, X, Y, (nWs, nbs) = reference(mk)
    cache = net.forward(X, return_cache=True)
    a2, a1, m = cache.a[2], cache.a[1], X.shape[1]
    r = a2 - Y
    dWs, _ = mk.wrong(net, X, Y)
    np.testing.assert_allclose(
        dWs[1], (r * r * (1 - r)) @ a1.T / m, rtol=1e-12
    )
    assert gradcheck.relative_error(dWs[1], nWs[1]) > 1e-2


def test_the_identity_returns_its_argument_so_the_cache_aliases():
    net = bp.MLP([3, 4, 2], hidden="tanh", output="identity", seed=0)
    cache = net.forward(np.ones((3, 2)), return_cache=True)
    assert cache.a[2] is cache.z[2]
    assert cache.a[1] is not cache.z[1]


def test_bias_without_keepdims_has_the_right_numbers_and_a_wrong_shape():
    mk = mistakes.MISTAKES["bias_gradient_without_keepdims"]
    net, X, Y, (nWs, nbs) = reference(mk)
    _, dbs = mk.wrong(net, X, Y)
    for db, nb in zip(dbs, nbs):
        assert db.shape == (nb.shape[0],)
        np.testing.assert_allclose(db[:, None], nb, rtol=1e-6, atol=1e-10)
    # (n, 1) − (n,) broadcasts to (n, n); with n = 1 it stays (1, 1)
    assert mistakes.update_outcomes(mk) == {
        "b^1": "grows to (4, 4)",
        "b^2": "broadcasts",
    }
    curves = mistakes.train(mk, steps=5)
    assert curves.crashed and "(4, 4)" in curves.crashed


def test_log_of_softmax_probabilities_is_exact_until_a_probability_underflows():
    mk = mistakes.MISTAKES["log_of_softmax_probabilities"]
    moderate = dataclasses.replace(mk, weight_scale=1.0)
    assert mistakes.check(moderate).wrong.passes  # the formula is exact
    net, X, Y, _ = reference(mk)
    a = net.forward(X)
    assert np.any(a == 0.0)  # float64 underflow on this network
    with np.errstate(divide="ignore", invalid="ignore"):
        dWs, dbs = mk.wrong(net, X, Y)
    assert not np.all(np.isfinite(gradcheck.flatten(dWs, dbs)))
    # the cost from the logits stays finite: log-softmax, not log(softmax)
    assert np.isfinite(net.loss(X, Y))
    with np.errstate(divide="ignore", invalid="ignore"):
        assert not np.isfinite(-np.sum(Y * np.log(a)))


def test_update_before_rule_2_is_wrong_by_a_term_of_order_lr():
    mk = mistakes.MISTAKES["update_before_rule_2"]
    net, X, Y, (nWs, nbs) = reference(mk)
    errors = []
    for lr in (1e-2, 1e-3):
        dWs, dbs = mk.wrong(net.copy(), X, Y, lr)
        errors.append(gradcheck.relative_error(dWs[0], nWs[0]))
        # layer 2 is computed before the step, so it is right
        assert gradcheck.relative_error(dWs[1], nWs[1]) < 1e-7
    assert errors[0] / errors[1] == pytest.approx(10, rel=0.05)
    assert mistakes.check(mk).wrong.errors["W^2"] < 1e-7
    before = net.copy()
    mk.fix(net, X, Y, mk.lr)  # the fix steps the net, by −η ∇C
    np.testing.assert_allclose(
        net.weights[0], before.weights[0] - mk.lr * nWs[0], atol=1e-8
    )


def test_off_by_one_layer_uses_a_l_for_a_l_minus_1():
    mk = mistakes.MISTAKES["activation_for_the_layer_input"]
    assert mistakes.check(mk, sizes=(3, 4, 2)).wrong.failure
    result = mistakes.check(mk)
    assert result.wrong.overall > gradcheck.SUSPECT
    assert result.wrong.errors["b^1"] < 1e-7  # rules 1 to 3 are right


def test_a_minus_y_with_a_sigmoid_output_is_the_gradient_of_another_cost():
    """The mistake is the exact gradient of the binary cross-entropy."""
    mk = mistakes.MISTAKES["sigmoid_output_with_a_minus_y"]
    net, X, Y, (nWs, nbs) = reference(mk)
    m = X.shape[1]

    def bce():
        a = net.forward(X)
        return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / m

    dWs, dbs = mk.wrong(net, X, Y)
    got = gradcheck.flatten(dWs, dbs)
    bce_ref = np.concatenate(
        [g.ravel() for g in numerical_gradient_of(bce, net)]
    )
    assert gradcheck.relative_error(got, bce_ref) < 1e-7
    assert gradcheck.relative_error(got, gradcheck.flatten(nWs, nbs)) > 0.1


@pytest.mark.parametrize(
    "key, outcome",
    [
        ("output_error_in_first_layer", {"W^1": "broadcasts"}),
        (
            "row_convention_weight_gradient",
            {"W^1": "raises", "W^2": "grows to (4, 4)"},
        ),
        ("sign_flipped", {}),
    ],
)
def test_a_single_output_lets_wrong_shapes_broadcast(key, outcome):
    """9.1: on 3-4-1 a (1, 3) dW¹ broadcasts against a (4, 3) W¹."""
    assert mistakes.update_outcomes(key) == outcome
    W = np.zeros((4, 3))
    assert (W - np.ones((1, 3))).shape == W.shape  # NumPy's own rule


def test_hiding_table_says_when_each_mistake_hides():
    found = {key: mistakes.hiding(key) for key in KEYS}
    one, batch, square = [label for label, _, _ in mistakes.SITUATIONS]
    assert found["bias_averaged_twice"][one][0] == "hidden"
    assert found["weight_gradient_without_1_over_m"][one][0] == "hidden"
    for key in [
        "missing_transpose",
        "row_convention_weight_gradient",
        "output_error_in_first_layer",
        "activation_for_the_layer_input",
    ]:
        assert (
            found[key][batch][0] == "shape error"
            and found[key][square][0] == "caught"
        )
    for key in [
        "sign_flipped",
        "softmax_extra_sigma_prime",
        "sigma_prime_of_activation",
        "sigmoid_output_with_a_minus_y",
        "cached_output_changed_in_place",
        "update_before_rule_2",
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
    wrong = mistakes.MISTAKES[key].wrong
    keyword = "class" if isinstance(wrong, type) else "def"
    assert text.splitlines()[0].startswith(f"  {keyword} {wrong.__name__}")
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
    mk = mistakes.MISTAKES["sign_flipped"]
    with pytest.raises(ValueError, match="'wrong' or 'fix'"):
        mk.gradient_function("right", mk.network())


def test_summary_table():
    checks = {key: mistakes.check(key) for key in KEYS}
    table = mistakes.summary_table(checks)
    assert len(table.rows) == len(KEYS)
    for key, row in zip(KEYS, table.rows):
        wrong, fixed = row[3].split(" → ")
        assert float(fixed) < 1e-7
        if key in FAILS_BY:
            assert wrong.startswith(FAILS_BY[key])
        else:
            assert float(wrong) > 1e-4


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
    assert curves["log_of_softmax_probabilities"].diverged
    assert len(curves["log_of_softmax_probabilities"].wrong) == 1
    assert curves["bias_gradient_without_keepdims"].crashed
    assert not curves["bias_averaged_twice"].diverged
    slow = curves["softmax_extra_sigma_prime"]
    assert slow.wrong[-1] > 10 * slow.fixed[-1]  # learning crawls
    loud = {key: mistakes.loudness(c) for key, c in curves.items()}
    assert loud["sign_flipped"] == "loud"
    assert loud["gradients_accumulated"] != "silent"
    for key in [
        "sigma_prime_of_activation",
        "missing_transpose",
        "update_before_rule_2",
        "sigmoid_output_with_a_minus_y",
    ]:
        assert loud[key] == "silent", key


def test_loudness_on_hand_made_curves():
    mk = mistakes.MISTAKES["sign_flipped"]
    make = lambda w, f, **kw: mistakes.Curves(
        mk, np.array(w), np.array(f), kw.get("diverged", False)
    )
    assert mistakes.loudness(make([1, 2], [1, 0.1])) == "loud"
    assert mistakes.loudness(make([1, 0.5], [1, 0.1])) == "visible"
    assert mistakes.loudness(make([1, 0.2], [1, 0.1])) == "silent"
    assert mistakes.loudness(make([1], [1, 0.1], diverged=True)) == "loud"


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


# -- claims of chapter 9's prose that are words, not glued numbers -----------


@pytest.fixture(scope="module")
def all_curves():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {key: mistakes.train(key) for key in KEYS}


def test_chapter_9_training_claims(all_curves):
    c = all_curves
    # sigmoid_output_with_a_minus_y: "even ends lower"
    a_minus_y = c["sigmoid_output_with_a_minus_y"]
    assert a_minus_y.wrong[-1] < a_minus_y.fixed[-1]
    # row convention, off by one layer: "training with it diverges"
    assert c["row_convention_weight_gradient"].diverged
    assert c["activation_for_the_layer_input"].diverged
    # the bias averaged twice is ahead for a while, then ends higher
    twice = c["bias_averaged_twice"]
    ahead = np.flatnonzero(twice.wrong < twice.fixed)
    assert ahead.size and np.all(np.diff(ahead) == 1)  # "from step a to b"
    assert twice.wrong[-1] > twice.fixed[-1]
    # the never-reset gradients end far above the fix
    never = c["gradients_accumulated"]
    assert never.wrong[-1] > 10 * never.fixed[-1]
    # update before rule 2: "much smaller harm than the check suggests"
    before = c["update_before_rule_2"]
    assert before.wrong[-1] < 1.1 * before.fixed[-1]


def test_chapter_9_check_claims():
    def errors(key):
        return mistakes.check(key).wrong.errors

    # off by one layer: both weight gradients fail, both biases pass
    e = errors("activation_for_the_layer_input")
    assert e["W^1"] > 1e-4 and e["W^2"] > 1e-4
    assert e["b^1"] < 1e-7 and e["b^2"] < 1e-7
    # σ′ at a in rule 2: small errors, only in the first layer
    e = errors("sigma_prime_of_activation")
    assert 1e-4 < e["W^1"] < 0.1 and 1e-4 < e["b^1"] < 0.1
    assert e["W^2"] < 1e-7 and e["b^2"] < 1e-7
    # every parameter fails
    for key in [
        "softmax_extra_sigma_prime",
        "sigmoid_output_with_a_minus_y",
        "cached_output_changed_in_place",
        "output_sigma_prime_of_activation",
    ]:
        assert all(v > 1e-4 for v in errors(key).values()), key
    # update before rule 2: the second layer passes, the first fails
    e = errors("update_before_rule_2")
    assert e["W^2"] < 1e-7 and e["W^1"] > 1e-4


# -- the classic mistakes of issue 19, each against its own reference --------


def test_a_form_derivative_of_z_uses_z_one_minus_z_and_fails_only_below():
    mk = mistakes.MISTAKES["a_form_derivative_of_z"]
    net, X, Y, (nWs, nbs) = reference(mk)
    cache = net.forward(X, return_cache=True)
    z1, a2 = cache.z[1], cache.a[2]
    W2, m = net.weights[1], X.shape[1]
    dWs, dbs = mk.wrong(net, X, Y)
    # hand-derived: δ¹ = (W²)ᵀ δ² ⊙ z¹(1 − z¹), δ² = a² − y (identity)
    d1 = (W2.T @ (a2 - Y)) * z1 * (1 - z1)
    np.testing.assert_allclose(dWs[0], d1 @ X.T / m, rtol=1e-12)
    assert gradcheck.relative_error(dWs[1], nWs[1]) < 1e-7
    assert gradcheck.relative_error(dWs[0], nWs[0]) > 0.1
    # the a-form is right when it gets a: the fix against the differences
    fWs, fbs = mk.fix(net, X, Y)
    assert gradcheck.relative_error(fWs[0], nWs[0]) < 1e-7
    assert np.any(z1 * (1 - z1) < 0)  # a negative "derivative"


def test_tanh_a_form_on_z_differs_by_about_two_thirds_z_to_the_fourth():
    z = np.array([1e-2, 3e-2, 0.1])
    gap = (1 - z**2) - (1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(np.abs(gap), 2 / 3 * z**4, rtol=0.02)


def test_output_sigma_prime_in_hidden_layer_hides_when_activations_agree():
    mk = mistakes.MISTAKES["output_sigma_prime_in_hidden_layer"]
    errors = mistakes.check(mk).wrong.errors
    assert errors["W^1"] > 1e-2 and errors["b^1"] > 1e-2
    assert errors["W^2"] < 1e-7 and errors["b^2"] < 1e-7
    same = dataclasses.replace(mk, hidden="sigmoid")
    assert mistakes.check(same).wrong.passes


def test_one_unit_sigma_prime_broadcasts_and_hides_with_one_hidden_unit():
    mk = mistakes.MISTAKES["one_unit_sigma_prime_for_all"]
    net, X, Y, (nWs, nbs) = reference(mk)
    dWs, dbs = mk.wrong(net, X, Y)
    assert dWs[0].shape == nWs[0].shape  # the (m,) row broadcast
    assert gradcheck.relative_error(dWs[0], nWs[0]) > 1e-2
    assert gradcheck.relative_error(dWs[1], nWs[1]) < 1e-7
    assert mistakes.check(mk, sizes=(3, 1, 2)).wrong.passes


def test_overwritten_gradient_is_the_last_example_divided_by_m():
    mk = mistakes.MISTAKES["gradients_overwritten"]
    net, X, Y, _ = reference(mk)
    m = X.shape[1]
    dWs, dbs = mk.wrong(net, X, Y)
    # reference: finite differences of the last example's cost alone
    lWs, lbs = gradcheck.numerical_gradients(net, X[:, -1:], Y[:, -1:])
    np.testing.assert_allclose(
        gradcheck.flatten(dWs, dbs),
        gradcheck.flatten(lWs, lbs) / m,
        rtol=1e-5,
        atol=1e-10,
    )
    assert mistakes.check(mk, m=1).wrong.passes
    assert not mistakes.check(mk, m=2).wrong.passes


def test_targets_as_a_column_broadcast_to_m_by_m_and_hide_with_m_1():
    mk = mistakes.MISTAKES["targets_as_a_column"]
    net, X, Y, _ = reference(mk)
    a = net.forward(X)
    assert (a - Y.reshape(-1, 1)).shape == (6, 6)
    with pytest.raises(ValueError):
        mk.wrong(net, X, Y)
    assert mistakes.check(mk, m=1).wrong.passes
    curves = mistakes.train(mk, steps=5)
    assert curves.crashed
    # the broadcast cost averages every output against every target
    y = Y.ravel()
    pairs = np.mean(
        [
            np.mean([(a[0, k] - y[i]) ** 2 for i in range(6)])
            for k in range(6)
        ]
    )
    wrong = 0.5 * np.mean(np.sum((a - y.reshape(-1, 1)) ** 2, axis=0))
    assert wrong == pytest.approx(0.5 * 6 * pairs)
    assert wrong != pytest.approx(net.loss(X, Y))


def test_integer_labels_broadcast_a_minus_label_into_every_row():
    mk = mistakes.MISTAKES["integer_labels"]
    net, X, Y, (nWs, nbs) = reference(mk)
    cache = net.forward(X, return_cache=True)
    a1, a2, m = cache.a[1], cache.a[2], X.shape[1]
    labels = np.argmax(Y, axis=0)
    d2 = a2 - labels[None, :]  # hand-built: row j holds a_j − label
    dWs, _ = mk.wrong(net, X, Y)
    np.testing.assert_allclose(dWs[1], d2 @ a1.T / m, rtol=1e-12)
    assert gradcheck.relative_error(dWs[1], nWs[1]) > 0.1
    found = mistakes.hiding(mk)
    assert {status for status, _ in found.values()} == {"caught"}


def test_softmax_without_max_overflows_past_ln_of_the_largest_double():
    assert np.isfinite(np.exp(709.0))
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(710.0))
    assert np.log(np.finfo(np.float64).max) == pytest.approx(709.78, 1e-4)
    mk = mistakes.MISTAKES["softmax_without_max"]
    net, X, Y, _ = reference(mk)
    assert net.forward(X, return_cache=True).z[2].max() > 710
    moderate = dataclasses.replace(mk, weight_scale=1.0)
    assert mistakes.check(moderate).wrong.passes  # the formula is exact


def test_new_mistakes_in_training():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = {
            key: mistakes.train(key)
            for key in [
                "a_form_derivative_of_z",
                "output_sigma_prime_in_hidden_layer",
                "one_unit_sigma_prime_for_all",
                "gradients_overwritten",
                "integer_labels",
                "softmax_without_max",
            ]
        }
    loud = {key: mistakes.loudness(v) for key, v in c.items()}
    assert c["a_form_derivative_of_z"].diverged  # "the run diverges"
    assert c["softmax_without_max"].diverged
    assert loud["output_sigma_prime_in_hidden_layer"] == "silent"
    for key in [
        "one_unit_sigma_prime_for_all",
        "gradients_overwritten",
        "integer_labels",
    ]:
        assert loud[key] != "silent", key  # "levels off above the fix's"
        assert c[key].wrong[-1] > c[key].fixed[-1]


# -- chapter 9: one labelled section per mistake ----------------------------


def test_every_mistake_has_a_labelled_section_in_chapter_9():
    from pathlib import Path

    text = (
        Path(__file__).parents[1] / "chapters" / "09_common_mistakes.md"
    ).read_text()
    lines = text.splitlines()
    labels = [
        (i, line[len("(mistake-") : -2])
        for i, line in enumerate(lines)
        if line.startswith("(mistake-") and line.endswith(")=")
    ]
    assert [key for _, key in labels] == KEYS  # catalogue order
    numbers = []
    for i, key in labels:
        assert lines[i + 1].startswith("### Mistake "), key
        numbers.append(int(lines[i + 1].split()[2].rstrip(":")))
        assert f'"{key}"' in text[text.index(lines[i + 1]) :], key
    assert numbers == list(range(1, len(KEYS) + 1))


def test_symptom_panels_show_one_picture_per_mistake_with_alt_text():
    curves = [
        mistakes.train(key, steps=10)
        for key in ["sign_flipped", "bias_gradient_without_keepdims"]
    ]
    page = mistakes.SymptomPanels(curves)._repr_html_()
    assert page.count("<img") == 2
    assert "flex-wrap: wrap" in page
    assert (
        "stops with an error" in page and "y − a instead of a − y" in page
    )


@pytest.mark.parametrize(
    "key", ["log_of_softmax_probabilities", "softmax_without_max"]
)
def test_a_large_cost_puts_the_fix_in_the_grey_zone_by_rounding(key):
    """W3: the fix's W² row sits between 1e-7 and 1e-4 because u|C|/ε is large."""
    mk = mistakes.MISTAKES[key]
    net, X, Y, (nWs, nbs) = reference(mk)
    dW2 = mk.fix(net, X, Y)[0][1]
    # the estimate's error is of the size of the rounding term u|C|/ε
    C = net.loss(X, Y)
    u, eps = np.finfo(np.float64).eps / 2, 1e-6
    gap = np.linalg.norm(dW2 - nWs[1])
    assert (
        gap < 10 * np.sqrt(dW2.size) * u * C / eps
    )  # rounding explains it
    fixed = mistakes.check(mk).fixed
    assert gradcheck.GOOD < fixed.errors["W^2"] < gradcheck.SUSPECT
    assert fixed.passes  # overall still "correct"
    # with a larger step the rounding term shrinks and the row passes
    coarse = gradcheck.numerical_gradients(net, X, Y, eps=1e-4)[0][1]
    assert gradcheck.relative_error(dW2, coarse) < gradcheck.GOOD


def test_row_convention_twins_run_only_when_a_width_equals_m():
    """Mistake 13's twins: dZ @ A and W.T @ dZ in row-convention code."""
    rng = np.random.default_rng(0)
    n_prev, n_l = 3, 4
    W = rng.normal(size=(n_prev, n_l))  # the row convention's W
    for m in (3, 4, 5):
        A, dZ = rng.normal(size=(m, n_prev)), rng.normal(size=(m, n_l))
        assert (A.T @ dZ).shape == W.shape  # rule 4, right
        assert (dZ @ W.T).shape == A.shape  # rule 2, right
        if m == n_l:  # rule 4 swapped runs, with the wrong shape
            assert (dZ @ A).shape != W.shape
        else:
            with pytest.raises(ValueError):
                dZ @ A
        if m == n_prev:  # the column habit in rule 2 runs, wrongly shaped
            assert (W.T @ dZ).shape != A.shape
        else:
            with pytest.raises(ValueError):
                W.T @ dZ


# -- the practice problems' mistakes (issue 17), against hand formulas -------


def test_hidden_error_without_sigma_prime_is_at_least_four_times_too_large():
    mk = mistakes.MISTAKES["hidden_error_without_sigma_prime"]
    net, X, Y, (nWs, nbs) = reference(mk, m=1)
    cache = net.forward(X, return_cache=True)
    z1, a2 = cache.z[1], cache.a[2]
    W2 = net.weights[1]
    d2 = a2 - Y  # identity output: σ′ = 1
    dWs, dbs = mk.wrong(net, X, Y)
    # hand-derived: δ¹ = (W²)ᵀ δ², with m = 1 the bias gradient
    np.testing.assert_allclose(dbs[0], W2.T @ d2, rtol=1e-12)
    # the right δ¹ (finite differences of b¹) is δ¹ ⊙ σ′(z¹), σ′ ≤ 1/4
    assert np.all(np.abs(dbs[0]) >= 4 * np.abs(nbs[0]) - 1e-9)
    s = 1 / (1 + np.exp(-z1))
    np.testing.assert_allclose(
        nbs[0], dbs[0] * s * (1 - s), rtol=1e-6, atol=1e-10
    )
    errors = mistakes.check(mk).wrong.errors
    assert errors["W^2"] < 1e-7 and errors["b^2"] < 1e-7
    assert errors["W^1"] > 1e-2 and errors["b^1"] > 1e-2
    linear = dataclasses.replace(mk, hidden="identity")
    assert mistakes.check(linear).wrong.passes


def test_output_sigma_prime_of_a_is_nearly_a_constant_factor():
    mk = mistakes.MISTAKES["output_sigma_prime_of_activation"]
    net, X, Y, (nWs, nbs) = reference(mk)
    cache = net.forward(X, return_cache=True)
    a1, a2, m = cache.a[1], cache.a[2], X.shape[1]
    s = 1 / (1 + np.exp(-a2))  # σ(a²), by hand
    dWs, _ = mk.wrong(net, X, Y)
    np.testing.assert_allclose(
        dWs[1], ((a2 - Y) * s * (1 - s)) @ a1.T / m, rtol=1e-12
    )
    # σ′(a) for a in (0, 1) lies between σ′(1) ≈ 0.197 and σ′(0) = 1/4
    e = np.e
    assert np.all((s * (1 - s) > e / (1 + e) ** 2) & (s * (1 - s) < 0.25))
    assert e / (1 + e) ** 2 == pytest.approx(0.19661, abs=1e-5)
    for output in ("identity", "relu"):
        hidden = dataclasses.replace(mk, output=output)
        assert mistakes.check(hidden).wrong.passes, output


def test_practice_mistakes_in_training(all_curves):
    c = all_curves
    assert c["bias_gradient_without_1_over_m"].diverged
    for key in [
        "hidden_error_without_sigma_prime",
        "output_sigma_prime_of_activation",
    ]:
        assert mistakes.loudness(c[key]) == "silent", key


# -- chapter 9 executed: the numbers its prose quotes ------------------------


@pytest.fixture(scope="module")
def chapter_9():
    """Return {name: value} of what chapter 9's prose quotes, executed."""
    from pathlib import Path

    from chapter_support import execute_chapters, glued

    path = Path(__file__).parents[1] / "chapters" / "09_common_mistakes.md"
    return glued(execute_chapters({9: path})[9])


def test_chapter_9_quotes_the_factor_m_signature(chapter_9):
    # |c - 1| / (|c| + 1) for c = 6 and c = 1/6, by hand: 5/7.
    for name in ["no_1_over_m_W1", "no_1_over_m_b1", "bias_twice_b1"]:
        assert chapter_9[name] == pytest.approx(5 / 7, abs=1e-5), name


def test_chapter_9_quotes_the_float_limits(chapter_9):
    # exp underflows below 2^-1074 (2^-149 in float32) and overflows past
    # about 2^1024 (2^128): the logs of powers of two, by hand.
    ln2 = np.log(2.0)
    assert chapter_9["underflow_64"] == pytest.approx(1074 * ln2)
    assert chapter_9["underflow_32"] == pytest.approx(149 * ln2)
    assert chapter_9["overflow_64"] == pytest.approx(1024 * ln2)
    assert chapter_9["overflow_32"] == pytest.approx(128 * ln2)
    sig = 1 / (1 + np.exp(-1.0))
    assert chapter_9["sigma_prime_at_1_text"] == pytest.approx(
        sig * (1 - sig)
    )


def test_chapter_9_quotes_consistent_counts_and_claims(chapter_9):
    g = chapter_9
    assert g["n_mistakes"] == len(KEYS)
    groups = ["loud", "visible", "silent"]
    assert sum(g[f"n_{level}"] for level in groups) == g["n_mistakes"]
    for level in groups:
        assert len(g[f"names_{level}"].split("; ")) == g[f"n_{level}"]
    # u |C| / eps with u = 2^-53 and the check's step eps = 1e-6
    C = g["log_softmax_C"]
    assert g["log_softmax_rounding"] == pytest.approx(2.0**-53 * C / 1e-6)
    # "in the grey zone between 1e-7 and 1e-4"
    assert 1e-7 < g["log_softmax_fix_W2"] < 1e-4
    assert g["log_softmax_W2_gap"] < 1e-3 * g["log_softmax_W2_norm"]
    # "diverges after N steps" of the 150 trained
    for name in [
        "diverge_steps_1_over_m",
        "diverge_steps_bias_sum",
        "diverge_steps_a_form",
    ]:
        assert 0 < g[name] < 150, name
    # "ahead from step a to step b, before it ends r times higher"
    assert 0 < g["bias_twice_ahead_first"] < g["bias_twice_ahead_last"]
    assert g["ratio_bias_twice"] > 1
    # "even ends lower"; "much smaller harm than the check suggests"
    assert g["ratio_sigmoid_a_minus_y"] < 1
    assert g["ratio_update_before"] < 1.1
    # "the errors are small, ... but far above the threshold of 1e-4"
    assert 1e-4 < g["sigma_prime_of_a_W1"] < 0.1
    assert 1e-4 < g["sigma_prime_of_a_b1"] < 0.1
    # "the values agree to" a number below the 1e-7 of a right gradient
    assert g["no_keepdims_b1"] < 1e-7
    # a column of targets: the printed cost differs from the right one
    assert g["column_cost_wrong"] != pytest.approx(g["column_cost_right"])
    assert g["n_hide_one"] >= 1 and g["n_need_square"] >= 1
