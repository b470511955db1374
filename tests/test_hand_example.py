"""Chapter 7's backward pass by hand (backprop.worked_example).

The hand numbers (exact fractions, the arithmetic the text writes out) are
held against three references that do not share their code: centered
finite differences of the cost written here from the forward pass alone,
SymPy's exact derivative of a symbolic network evaluated at the same exact
numbers, and the package's backward pass.
"""

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import backprop as bp
from backprop import worked_example as we

CHAPTER = Path(__file__).parents[1] / "chapters" / "07_algorithm.md"


def cost_of(W1, b1, W2, b2, x, y):
    """C = ½‖a² − y‖² of the 2-2-2 ReLU / identity network, by NumPy."""
    a1 = np.maximum(0.0, W1 @ x + b1)
    a2 = W2 @ a1 + b2
    return 0.5 * float(np.sum((a2 - y) ** 2))


def centered(params, name, idx, eps=1e-6):
    """Centered difference of cost_of with respect to params[name][idx]."""
    P = params[name]
    old = P[idx]
    P[idx] = old + eps
    up = cost_of(**params)
    P[idx] = old - eps
    down = cost_of(**params)
    P[idx] = old
    return (up - down) / (2 * eps)


def float_params():
    net, x, y = we.network()
    return {
        "W1": net.weights[0].copy(),
        "b1": net.biases[0].copy(),
        "W2": net.weights[1].copy(),
        "b2": net.biases[1].copy(),
        "x": x,
        "y": y,
    }


def test_hand_numbers_are_the_finite_differences_of_the_cost():
    hand, p = we.by_hand(), float_params()
    assert cost_of(**p) == pytest.approx(float(hand["C"]), abs=1e-15)
    assert centered(p, "W2", (0, 0)) == pytest.approx(
        float(hand["dC_dw2_11"]), abs=1e-9
    )
    assert centered(p, "W1", (0, 0)) == pytest.approx(
        float(hand["dC_dw1_11"]), abs=1e-9
    )
    # one example: δ^l_j = ∂C/∂z^l_j = ∂C/∂b^l_j, since z^l_j moves with b^l_j
    for l, key in ((1, "delta1"), (2, "delta2")):
        for j in range(2):
            assert centered(p, f"b{l}", (j, 0)) == pytest.approx(
                float(hand[key][j]), abs=1e-9
            ), (key, j)


def test_every_gradient_by_rule_4_matches_finite_differences():
    hand, p = we.by_hand(), float_params()
    inputs = {"W1": we.X, "W2": hand["a1"]}
    deltas = {"W1": hand["delta1"], "W2": hand["delta2"]}
    for name in ("W1", "W2"):
        for j in range(2):
            for k in range(2):
                expected = float(deltas[name][j] * inputs[name][k])
                assert centered(p, name, (j, k)) == pytest.approx(
                    expected, abs=1e-9
                ), (name, j, k)


def test_hand_numbers_equal_sympy_diff_exactly():
    hand = we.by_hand()
    S = bp.symbolic.SymbolicNetwork(
        (2, 2, 2), hidden="relu", output="identity", loss="mse", m=1
    )
    values = {}
    for P, V in (
        (S.W[1], we.W1),
        (S.W[2], we.W2),
        (S.b[1], [[v] for v in we.B1]),
        (S.b[2], [[v] for v in we.B2]),
        (S.X, [[v] for v in we.X]),
        (S.Y, [[v] for v in we.Y]),
    ):
        for (j, k), s in np.ndenumerate(P):
            values[s] = sp.Rational(V[j][k])

    def exact(symbol):
        value = sp.diff(S.cost, symbol).xreplace(values)
        return Fraction(str(sp.nsimplify(value)))

    assert Fraction(str(S.cost.xreplace(values))) == hand["C"]
    assert exact(S.W[2][0, 0]) == hand["dC_dw2_11"]
    assert exact(S.W[1][0, 0]) == hand["dC_dw1_11"]
    for j in range(2):
        assert exact(S.b[2][j, 0]) == hand["delta2"][j]
        assert exact(S.b[1][j, 0]) == hand["delta1"][j]


def test_full_gradients_are_the_finite_differences_of_the_cost():
    hand, p = we.by_hand(), float_params()
    for name, key in (("W1", "dW1"), ("W2", "dW2")):
        for j in range(2):
            for k in range(2):
                assert centered(p, name, (j, k)) == pytest.approx(
                    float(hand[key][j][k]), abs=1e-9
                ), (name, j, k)


def test_the_step_lowers_the_cost_as_sympy_says():
    # SymPy takes its own step, with its own derivatives, and evaluates the
    # cost there; the hand step must land on the same exact number.
    hand = we.by_hand()
    S = bp.symbolic.SymbolicNetwork(
        (2, 2, 2), hidden="relu", output="identity", loss="mse", m=1
    )
    values = {}
    for P, V in (
        (S.W[1], we.W1),
        (S.W[2], we.W2),
        (S.b[1], [[v] for v in we.B1]),
        (S.b[2], [[v] for v in we.B2]),
        (S.X, [[v] for v in we.X]),
        (S.Y, [[v] for v in we.Y]),
    ):
        for (j, k), s in np.ndenumerate(P):
            values[s] = sp.Rational(V[j][k])
    eta = sp.Rational(1, 5)  # the text's η = 0.2
    stepped = dict(values)
    for P in (S.W[1], S.W[2], S.b[1], S.b[2]):
        for s in P.ravel():
            stepped[s] = values[s] - eta * sp.diff(S.cost, s).xreplace(
                values
            )
    after = Fraction(str(S.cost.xreplace(stepped)))
    assert after == hand["C_next"]
    assert hand["C_next"] < hand["C"]
    assert we.ETA == Fraction(1, 5)


def test_package_takes_the_same_step():
    hand = we.by_hand()
    net, x, y = we.network()
    bp.training.sgd_step(net, *net.gradients(x, y), float(we.ETA))
    for got, key in (
        (net.weights[0], "W1_next"),
        (net.weights[1], "W2_next"),
    ):
        np.testing.assert_allclose(
            got, [[float(v) for v in row] for row in hand[key]], atol=1e-15
        )
    assert net.loss(x, y) == pytest.approx(float(hand["C_next"]), abs=1e-15)


def test_package_gives_the_hand_numbers():
    hand = we.by_hand()
    net, x, y = we.network()
    cache = net.forward(x, return_cache=True)
    dWs, dbs, deltas = net.backward(cache, y)
    for l, key in ((1, "z1"), (2, "z2")):
        np.testing.assert_allclose(
            cache.z[l].ravel(), [float(v) for v in hand[key]], atol=1e-15
        )
    for l, key in ((1, "delta1"), (2, "delta2")):
        np.testing.assert_allclose(
            deltas[l].ravel(), [float(v) for v in hand[key]], atol=1e-15
        )
    assert dWs[1][0, 0] == pytest.approx(
        float(hand["dC_dw2_11"]), abs=1e-15
    )
    assert dWs[0][0, 0] == pytest.approx(
        float(hand["dC_dw1_11"]), abs=1e-15
    )


def test_the_example_stays_away_from_the_relu_kink():
    # a hidden z within 1e-3 of 0 would make the finite differences unreliable
    hand = we.by_hand()
    assert min(abs(z) for z in hand["z1"]) > Fraction(1, 10)
    assert hand["dsigma1"] == [
        1,
        0,
    ]  # one unit on, one off: both cases shown


def test_decimal_text_is_exact():
    assert we.decimal(Fraction(-3, 10)) == "−0.3"
    assert we.decimal(Fraction(1, 4)) == "0.25"
    assert we.decimal(Fraction(0)) == "0"
    with pytest.raises(ValueError, match="decimal"):
        we.decimal(Fraction(1, 3))


def test_chapter_inserts_every_step_from_the_cell():
    # each equation is the output (a Math object) of a hidden cell that
    # shows hand_<name>, bound to equations()[<name>] in a cell above it
    text = CHAPTER.read_text()
    shown = re.findall(
        r"```\{code-cell\} ipython3\n:tags: \[remove-input\]\n\n"
        r"hand_(\w+)\n```",
        text,
    )
    assert sorted(shown) == sorted(we.equations())
    for name in shown:
        bound = re.search(rf'^hand_{name} = eq\["{name}"\]$', text, re.M)
        assert bound and bound.start() < text.index(f"\nhand_{name}\n```")
    assert "eq = {name: Math(tex) for name, tex in hand.equations()" in text


# -- the numbers the prose quotes, read from the executed chapter ------------


@pytest.fixture(scope="module")
def quoted():
    """Return {name: value} of the numbers chapter 7's prose quotes."""
    from chapter_support import execute_chapters, glued

    return glued(execute_chapters({7: CHAPTER})[7])


def test_prose_quotes_the_cost_before_and_after_one_step(quoted):
    # reference: the NumPy cost, and a step taken with finite differences
    p = float_params()
    eta = Fraction(quoted["hand_ETA_text"])
    assert eta == Fraction(1, 5)  # the text's η = 0.2
    C = Fraction(quoted["hand_C_text"])
    assert float(C) == pytest.approx(cost_of(**p), abs=1e-15)
    grads = {
        name: [
            (idx, centered(p, name, idx))
            for idx in np.ndindex(p[name].shape)
        ]
        for name in ("W1", "b1", "W2", "b2")
    }
    for name, entries in grads.items():
        for idx, g in entries:
            p[name][idx] -= float(eta) * g
    C_next = Fraction(quoted["hand_C_next_text"])
    assert float(C_next) == pytest.approx(cost_of(**p), abs=1e-9)
    assert C_next < C  # "the cost fell"


def test_prose_counts_the_nearest_doubles_and_the_step_rounding(quoted):
    # C, δ² (2), δ¹ (2), ∂C/∂W² (4) and ∂C/∂W¹ (4): the first five rows
    assert quoted["hand_entries"] == 1 + 2 + 2 + 4 + 4
    assert quoted["hand_nearest"] == quoted["hand_entries"]  # all of them
    # "the step's arithmetic does round ... in the sixteenth digit"
    assert 0 < quoted["hand_step_gap"] < 1e-15
