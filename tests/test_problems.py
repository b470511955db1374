"""The practice problems in Python: draw, answers, mistake_answers, judge, state.

The right answers are checked against centred differences of the cost
(tests/chapter_support.py, not the package's gradcheck), and each
mistake's numbers against the wrong formula written out here by hand with
NumPy, so neither reference is the code under test. The verdict must name
the mistake those numbers show, and every link must point at the section of
chapter 9 labelled (mistake-<id>)= (and, once the book is built, at an id of
its HTML page).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest

from backprop import mistakes, problems
from chapter_support import centred_differences

CHAPTER_9 = (
    Path(__file__).resolve().parents[1]
    / "chapters"
    / "09_common_mistakes.md"
)
KINDS = list(problems.KINDS)
SEEDS = [0, 1, 7, 123, 2**31, 2**32 - 1]
#: The built chapter 9, if the book has been built (jupyter-book build).
BUILT_9 = (
    Path(__file__).resolve().parents[1]
    / "_build"
    / "html"
    / "chapters"
    / "09_common_mistakes.html"
)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def forward(p):
    """Return z1, a1, z2, a2 of problem p, written out here."""
    (W1, W2), (b1, b2) = p.weights, p.biases
    z1 = W1 @ p.X + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    return z1, a1, z2, sigmoid(z2)


def fmt(values, digits):
    keys = problems.entry_keys(values.shape)
    return {k: f"{v:.{digits}g}" for k, v in zip(keys, values.ravel())}


# -- drawing -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_draw_is_reproducible_and_short(kind):
    for seed in SEEDS:
        p, q = problems.draw(kind, seed), problems.draw(kind, seed)
        for A, B in zip(
            [*p.weights, *p.biases, p.X, p.Y],
            [*q.weights, *q.biases, q.X, q.Y],
        ):
            assert np.array_equal(A, B)
        for W in p.weights:
            assert W.shape == (2, 2)
            assert np.all(np.abs(W) <= 1) and np.all(W != 0)
            assert np.allclose(W * 10, np.round(W * 10), atol=1e-12)
        for b in p.biases:
            assert b.shape == (2, 1) and np.all(np.abs(b) <= 0.5)
            assert np.allclose(b * 10, np.round(b * 10), atol=1e-12)
        assert p.X.shape == (2, problems.KINDS[kind]["m"])
        assert np.allclose(p.X * 10, np.round(p.X * 10), atol=1e-12)
        assert np.all(p.X != 0)
        assert np.all(p.Y.sum(axis=0) == 1) and set(np.unique(p.Y)) <= {
            0,
            1,
        }
        assert all(1 <= layer <= 2 for _, layer in p.asks)
        assert p.weights[1][0, 1] != p.weights[1][1, 0]  # W² not symmetric
        assert all(
            np.all(np.abs(v) >= problems.SMALLEST)
            for v in problems.answers(p)
        )


def test_seeds_give_different_problems():
    drawn = {
        tuple(
            np.concatenate(
                [W.ravel() for W in problems.draw("backward", s).weights]
            )
        )
        for s in range(20)
    }
    assert len(drawn) >= 18


def test_weight_gradient_asks_both_layers():
    layers = {
        problems.draw("weight_gradient", s).asks[0][1] for s in range(30)
    }
    assert layers == {1, 2}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("delta", 1), "kind must be one of"),
        (("output_error", -1), "seed must be an integer"),
        (("output_error", 2**32), "seed must be an integer"),
        (("output_error", 1.5), "seed must be an integer"),
        (("output_error", True), "seed must be an integer"),
    ],
)
def test_bad_draw_arguments_are_named(args, words):
    with pytest.raises(ValueError, match=words):
        problems.draw(*args)


# -- the right answers against centred differences ----------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_answers_equal_centred_differences(kind):
    for seed in SEEDS:
        p = problems.draw(kind, seed)
        net = p.network()

        def cost(net=net, p=p):
            return net.loss(p.X, p.Y)

        dWs = centred_differences(cost, net.weights)
        dbs = centred_differences(cost, net.biases)
        for (quantity, layer), got in zip(p.asks, problems.answers(p)):
            # δˡ = ∂Cₓ/∂zˡ = ∂Cₓ/∂bˡ for one example (z = W a + b)
            want = dWs[layer - 1] if quantity == "dW" else dbs[layer - 1]
            if quantity == "delta":
                assert p.m == 1
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-10)


# -- each mistake's numbers against the wrong formula, by hand ----------------------


def hand_mistakes(p, ask):
    """Return {variant key: the numbers of that mistake}, each formula written out here."""
    z1, a1, z2, a2 = forward(p)
    W2, m, Y, X = p.weights[1], p.m, p.Y, p.X
    quantity, layer = ask
    d2 = (a2 - Y) * sigmoid_prime(z2)
    d1 = (W2.T @ d2) * sigmoid_prime(z1)
    c = a2 - Y  # a² overwritten by a² − y
    wrong_d2 = {
        "sign_flipped": (Y - a2) * sigmoid_prime(z2),
        "sigmoid_output_with_a_minus_y": a2 - Y,
        "output_sigma_prime_of_activation": (a2 - Y) * sigmoid_prime(a2),
        "cached_output_changed_in_place": c * c * (1 - c),
    }
    wrong_d1 = {
        k: (W2.T @ v) * sigmoid_prime(z1) for k, v in wrong_d2.items()
    }
    wrong_d1["missing_transpose"] = (W2 @ d2) * sigmoid_prime(z1)
    wrong_d1["sigma_prime_of_activation"] = (W2.T @ d2) * sigmoid_prime(a1)
    wrong_d1["hidden_error_without_sigma_prime"] = W2.T @ d2
    delta = {1: d1, 2: d2}[layer]
    a_prev, a_here = {1: (X, a1), 2: (a1, a2)}[layer]
    wrong_delta = {1: wrong_d1, 2: wrong_d2}[layer]
    out = {}
    if quantity == "delta":
        out.update(wrong_delta)
    elif quantity == "db":
        out = {
            k: v.mean(axis=1, keepdims=True) for k, v in wrong_delta.items()
        }
        out["bias_averaged_twice"] = delta.mean(axis=1, keepdims=True) / m
        out["bias_gradient_without_1_over_m"] = delta.sum(
            axis=1, keepdims=True
        )
    else:
        out = {k: v @ a_prev.T / m for k, v in wrong_delta.items()}
        out["weight_gradient_without_1_over_m"] = delta @ a_prev.T
        out["row_convention_weight_gradient"] = a_prev @ delta.T / m
        out["activation_for_the_layer_input"] = delta @ a_here.T / m
        if layer == 1:
            out["output_error_in_first_layer"] = d2 @ X.T / m
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_mistake_numbers_equal_the_wrong_formulas(kind):
    for seed in SEEDS:
        p = problems.draw(kind, seed)
        for ask, numbers in zip(p.asks, problems.mistake_answers(p)):
            hand = hand_mistakes(p, ask)
            assert numbers, ask
            for key, values in numbers.items():
                assert key in hand, (
                    f"{kind} {ask}: no hand formula for {key}"
                )
                np.testing.assert_allclose(
                    values, hand[key], rtol=1e-12, atol=1e-15
                )


def test_mistakes_come_from_the_catalogue():
    # every variant is a catalogue entry, computed by its wrong function
    for key, v in problems.VARIANTS.items():
        assert key in mistakes.MISTAKES, key
        assert v.id == key
        assert v.function() is mistakes.MISTAKES[key].wrong
    # and the problems keep no gradient function of their own
    own = [
        name
        for name, fn in vars(problems).items()
        if inspect.isfunction(fn)
        and fn.__module__ == problems.__name__
        and list(inspect.signature(fn).parameters) == ["net", "X", "Y"]
    ]
    assert own == []
    with pytest.raises(ValueError, match="unknown mistake 'typo'"):
        problems.Variant("typo", "A mistake the catalogue does not have.")


# -- judging -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_right_answer_to_3_significant_figures_is_correct(kind):
    for seed in range(60):
        p = problems.draw(kind, seed)
        for step, right in enumerate(problems.answers(p)):
            verdict = problems.judge(p, fmt(right, 3), step)
            assert verdict["verdict"] == "correct", (seed, step)


@pytest.mark.parametrize("kind", KINDS)
def test_each_mistake_is_named(kind):
    shared = 0
    for seed in range(40):
        p = problems.draw(kind, seed)
        right = problems.answers(p)
        for step, ask in enumerate(p.asks):
            hand = hand_mistakes(p, ask)
            for key in problems.recognised(p)[step]:
                typed = fmt(hand[key], 4)
                got = problems.judge(p, typed, step)
                if got["verdict"] == "correct":
                    # the mistake changes nothing here (to 1 %)
                    assert np.allclose(hand[key], right[step], rtol=0.011)
                    continue
                ids = {
                    problems.VARIANTS[k].id
                    for k in problems.recognised(p)[step]
                    if np.all(
                        np.abs(
                            np.array([float(t) for t in typed.values()])
                            - hand[k].ravel()
                        )
                        <= 0.01 * np.abs(hand[k].ravel()) + 1e-12
                    )
                }
                assert got["verdict"] in ids, (seed, step, key, got)
                shared += len(ids) > 1
                v = problems.VARIANTS[got["variant"]]
                assert (
                    got["anchor"] == v.anchor
                    and got["section"] == v.section
                )
    print(f"\n{kind}: {shared} typed mistakes matched two ids")


def test_sign_flip_named_on_a_hand_case():
    p = problems.draw("output_error", 3)
    z1, a1, z2, a2 = forward(p)
    delta = (a2 - p.Y) * a2 * (1 - a2)
    got = problems.judge(p, fmt(-delta, 4))
    assert got["verdict"] == "sign_flipped"
    assert "y − a" in got["message"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("abc", "is not a number (“abc”)"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("1/3", "is not a number"),
        ("nan", "is not a number"),
        ("inf", "is not a number"),
        ("1e999", "is not a number"),
        ("0.1.2", "is not a number"),
    ],
)
def test_nonsense_is_invalid_and_named(text, words):
    p = problems.draw("hidden_error", 2)
    right = problems.answers(p)[0]
    entries = fmt(right, 4)
    entries["2,1"] = text
    got = problems.judge(p, entries)
    assert got["verdict"] == "invalid"
    assert got["wrong"] == ["2,1"]
    assert "Entry (2,1) of δ¹" in got["message"] and words in got["message"]
    json.dumps(got, allow_nan=False)  # no NaN anywhere in the verdict


def test_missing_entries_are_invalid():
    p = problems.draw("weight_gradient", 2)
    got = problems.judge(p, {"1,1": "0.1"})
    assert got["verdict"] == "invalid"
    assert got["wrong"] == ["1,2", "2,1", "2,2"]
    assert "Entries (2,1) and (2,2) need numbers too" in got["message"]


def test_minus_signs_and_commas_are_read():
    assert problems.parse_entry("\u22120.25") == -0.25
    assert problems.parse_entry(" -0,25 ") == -0.25
    assert problems.parse_entry("+.5e-1") == 0.05
    assert problems.parse_entry("1e-3") == 0.001
    for bad in [
        "",
        "e3",
        "--1",
        "1 2",
        "0x10",
        "1_000",
        None,
        float("nan"),
    ]:
        assert problems.parse_entry(bad) is None


def test_unknown_names_wrong_entries_without_the_answer():
    p = problems.draw("weight_gradient", 5)
    right = problems.answers(p)[0]
    typed = fmt(right, 4)
    typed["1,2"] = "0.987"
    got = problems.judge(p, typed)
    assert got["verdict"] == "unknown"
    assert got["wrong"] == ["1,2"]
    assert "Entry (1,2) of ∂C/∂W" in got["message"]
    assert "(1,1), (2,1) and (2,2) are right" in got["message"]
    for v in right.ravel():
        for digits in (2, 3, 4):
            assert f"{abs(v):.{digits}g}" not in got["message"]


# -- links to chapter 9 --------------------------------------------------------------


def chapter_9_labels():
    """Return [(label, number of the heading below it)] of chapter 9's
    "(mistake-...)=" labels, read from its source."""
    lines = CHAPTER_9.read_text(encoding="utf-8").splitlines()
    out = []
    for i, line in enumerate(lines):
        label = re.fullmatch(r"\((mistake-[\w-]+)\)=", line)
        if label:
            number = re.match(r"### Mistake (\d+):", lines[i + 1])
            out.append((label.group(1), int(number.group(1))))
    return out


def html_id(label):
    """Return the HTML id Sphinx gives a label (docutils' make_id)."""
    from docutils.nodes import make_id

    return make_id(label)


def test_every_link_points_at_its_section_of_chapter_9():
    labels = dict(chapter_9_labels())
    ids = {html_id(label): number for label, number in labels.items()}
    assert len(ids) == len(labels) == len(mistakes.MISTAKES)
    for key, v in problems.VARIANTS.items():
        assert f"mistake-{key}" in labels, f"{key}: no label in chapter 9"
        assert v.anchor in ids, f"{key}: no section {v.anchor!r}"
        assert ids[v.anchor] == v.section, key
    page = problems.config("output_error")["mistakes_page"]
    assert page == CHAPTER_9.with_suffix(".html").name
    # once the book is built, the ids are checked in its HTML as well
    if BUILT_9.exists():
        html = BUILT_9.read_text(encoding="utf-8")
        found = set(re.findall(r'id="(mistake-[a-z0-9-]+)"', html))
        for key, v in problems.VARIANTS.items():
            assert v.anchor in found, f"{key}: {v.anchor!r} not built"


# -- state, widget, book HTML ------------------------------------------------------------

CONTRACT = {
    "sizes",
    "hidden",
    "output",
    "loss",
    "weights",
    "biases",
    "X",
    "Y",
    "seed",
    "ask",
}


@pytest.mark.parametrize("kind", KINDS)
def test_state_keeps_the_contract(kind):
    w = problems.show(kind, seed=9)
    s = w.state
    assert CONTRACT <= set(s)
    assert s["kind"] == kind and s["seed"] == 9 and "verdict" not in s
    assert s["ask"]["quantity"] in {"delta", "db", "dW"}
    assert s["ask"]["layer"] in {1, 2}
    assert np.array(s["weights"][0]).shape == (2, 2)
    json.dumps(s, allow_nan=False)
    html = w.book_html()
    assert f'data-problem="{kind}"' in html
    assert html.count("<script") == 2
    assert (
        "</script"
        not in html.split('class="bp-data">', 1)[1].split("</script>", 1)[0]
    )


def test_backward_asks_four_quantities_in_turn():
    w = problems.show("backward", seed=4)
    p = w.problem
    names = []
    for step, right in enumerate(problems.answers(p)):
        w.controls = {
            **w.controls,
            "step": step,
            "entries": {},
            "checked": False,
        }
        names.append((w.state["ask"]["quantity"], w.state["ask"]["layer"]))
        assert (
            len(w.state["given"]) == 10 + step
        )  # solved quantities join the givens
        assert w.check(fmt(right, 4))["verdict"] == "correct"
    assert names == [("delta", 2), ("dW", 2), ("delta", 1), ("dW", 1)]


def test_widget_check_and_repr():
    w = problems.show("bias_gradient", seed=11)
    right = problems.answers(w.problem)[0]
    assert w.check(fmt(right / 2, 4))["verdict"] == "bias_averaged_twice"
    assert (
        w.check(fmt(right * 2, 4))["verdict"]
        == "bias_gradient_without_1_over_m"
    )
    assert w.state["checked"] is True
    assert (
        repr(w)
        == "Practice problem (bias_gradient, seed 11): compute ∂C/∂b²"
    )
    bundle = w._repr_mimebundle_()
    assert "text/html" in bundle and bundle["text/plain"] == repr(w)


def test_show_refuses_bad_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        problems.show("rule_5")
