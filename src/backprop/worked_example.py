"""The 2-2-2 network that chapter 7 backpropagates by hand, in exact decimals.

The numbers are chosen so that every step fits on paper: ReLU hidden units
(σ' is 1 or 0), an identity output, the mean squared error, one example.
`by_hand` does the text's arithmetic with fractions, entry by entry, with
neither NumPy nor the rest of the package, so that the tests can hold it
against the package, SymPy and finite differences.

Indexing: the text numbers units from 1 (w^l_{jk}, unit j of layer l
receives from unit k of layer l − 1); the tuples here start at 0, so
w^l_{jk} is W[j - 1][k - 1].
"""

from decimal import Decimal
from fractions import Fraction

import numpy as np


def _q(text):
    return Fraction(text)


#: The example x = (x_1, x_2) and its target y = (y_1, y_2).
X = (_q("1"), _q("0.5"))
Y = (_q("1"), _q("0"))
#: W^1 (2, 2), row j holds the weights into hidden unit j; b^1 (2,).
W1 = ((_q("0.4"), _q("0.2")), (_q("-0.6"), _q("0.4")))
B1 = (_q("0.1"), _q("-0.1"))
#: W^2 (2, 2), row j holds the weights into output unit j; b^2 (2,).
W2 = ((_q("0.5"), _q("-0.3")), (_q("-1"), _q("0.2")))
B2 = (_q("0.2"), _q("0.1"))


def by_hand():
    """Return the paper computation as a dict of exact Fractions.

    Keys: z1, a1, dsigma1, z2, a2 (lists of 2), C, delta2, back (the list
    (W^2)ᵀ δ^2), delta1, and the two gradients dC_dw2_11, dC_dw1_11.
    """
    z1 = [W1[j][0] * X[0] + W1[j][1] * X[1] + B1[j] for j in range(2)]
    a1 = [max(Fraction(0), z) for z in z1]  # ReLU
    dsigma1 = [Fraction(1) if z > 0 else Fraction(0) for z in z1]
    z2 = [W2[j][0] * a1[0] + W2[j][1] * a1[1] + B2[j] for j in range(2)]
    a2 = list(z2)  # identity output
    C = sum((a - y) ** 2 for a, y in zip(a2, Y)) / 2
    delta2 = [(a - y) * 1 for a, y in zip(a2, Y)]  # rule 1, σ' = 1
    # rule 2: ((W^2)ᵀ δ^2)_k sums over the units j that unit k sends to
    back = [W2[0][k] * delta2[0] + W2[1][k] * delta2[1] for k in range(2)]
    delta1 = [g * s for g, s in zip(back, dsigma1)]
    return {
        "z1": z1,
        "a1": a1,
        "dsigma1": dsigma1,
        "z2": z2,
        "a2": a2,
        "C": C,
        "delta2": delta2,
        "back": back,
        "delta1": delta1,
        "dC_dw2_11": delta2[0] * a1[0],  # rule 4: δ^2_1 a^1_1
        "dC_dw1_11": delta1[0] * X[0],  # rule 4: δ^1_1 x_1
    }


def network():
    """Return (net, x, y): MLP([2, 2, 2]) with these numbers, x, y (2, 1)."""
    from .network import MLP

    net = MLP([2, 2, 2], hidden="relu", output="identity", loss="mse")
    net.weights = [_array(W1), _array(W2)]
    net.biases = [_column(B1), _column(B2)]
    return net, _column(X), _column(Y)


def _array(rows):
    return np.array([[float(v) for v in row] for row in rows])


def _column(values):
    return np.array([[float(v)] for v in values])


def decimal(q):
    """Return the exact decimal text of a Fraction with a finite expansion."""
    d = Decimal(q.numerator) / Decimal(q.denominator)
    if Decimal(q.numerator) != d * q.denominator:
        raise ValueError(f"{q} has no short decimal expansion")
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text.replace("-", "−")


def _factor(q):
    """Return q as a LaTeX factor, in parentheses when negative."""
    text = decimal(q).replace("−", "-")
    return f"({text})" if q < 0 else text


def _terms(terms):
    """Return a LaTeX sum of already formatted terms."""
    return " + ".join(terms)


def _col(entries):
    return r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"


def _num(q):
    return decimal(q).replace("−", "-")


def equations():
    """Return the LaTeX of each written-out step, keyed by name."""
    h = by_hand()
    z1_terms = [
        _terms(
            [
                f"{_factor(W1[j][0])} \\cdot {_factor(X[0])}",
                f"{_factor(W1[j][1])} \\cdot {_factor(X[1])}",
                _factor(B1[j]),
            ]
        )
        for j in range(2)
    ]
    z2_terms = [
        _terms(
            [
                f"{_factor(W2[j][0])} \\cdot {_factor(h['a1'][0])}",
                f"{_factor(W2[j][1])} \\cdot {_factor(h['a1'][1])}",
                _factor(B2[j]),
            ]
        )
        for j in range(2)
    ]
    back_terms = [
        _terms(
            [
                f"{_factor(W2[0][k])} \\cdot {_factor(h['delta2'][0])}",
                f"{_factor(W2[1][k])} \\cdot {_factor(h['delta2'][1])}",
            ]
        )
        for k in range(2)
    ]
    residual = [a - y for a, y in zip(h["a2"], Y)]

    def matrix(rows):
        body = r" \\ ".join(
            " & ".join(_num(v) for v in row) for row in rows
        )
        return r"\begin{bmatrix}" + body + r"\end{bmatrix}"

    return {
        "inputs1": r",\qquad ".join(
            [
                "W^1 = " + matrix(W1),
                "b^1 = " + _col([_num(v) for v in B1]),
                "x = " + _col([_num(v) for v in X]),
            ]
        ),
        "inputs2": r",\qquad ".join(
            [
                "W^2 = " + matrix(W2),
                "b^2 = " + _col([_num(v) for v in B2]),
                "y = " + _col([_num(v) for v in Y]),
            ]
        ),
        "z1": "z^1 = W^1 x + b^1 = "
        + _col(z1_terms)
        + " = "
        + _col([_num(v) for v in h["z1"]]),
        "a1": r"a^1 = \operatorname{ReLU}(z^1) = "
        + _col([_num(v) for v in h["a1"]])
        + r", \qquad \sigma'(z^1) = "
        + _col([_num(v) for v in h["dsigma1"]]),
        "z2": "a^2 = z^2 = W^2 a^1 + b^2 = "
        + _col(z2_terms)
        + " = "
        + _col([_num(v) for v in h["z2"]]),
        "C": r"C = \tfrac12 \lVert a^2 - y \rVert^2 = \tfrac12 \left("
        + " + ".join(f"{_factor(r)}^2" for r in residual)
        + r"\right) = "
        + _num(h["C"]),
        "delta2": r"\delta^2 = (a^2 - y) \odot \sigma'(z^2) = "
        + _col([_num(r) for r in residual])
        + r" \odot "
        + _col(["1", "1"])
        + " = "
        + _col([_num(v) for v in h["delta2"]]),
        "back": r"(W^2)^\top \delta^2 = "
        + _col(back_terms)
        + " = "
        + _col([_num(v) for v in h["back"]]),
        "delta1": r"\delta^1 = (W^2)^\top \delta^2 \odot \sigma'(z^1) = "
        + _col([_num(v) for v in h["back"]])
        + r" \odot "
        + _col([_num(v) for v in h["dsigma1"]])
        + " = "
        + _col([_num(v) for v in h["delta1"]]),
        "dw2": r"\frac{\partial C}{\partial w^2_{11}} = \delta^2_1\, a^1_1"
        + f" = {_factor(h['delta2'][0])} \\cdot {_factor(h['a1'][0])}"
        + f" = {_num(h['dC_dw2_11'])}",
        "dw1": r"\frac{\partial C}{\partial w^1_{11}} = \delta^1_1\, x_1"
        + f" = {_factor(h['delta1'][0])} \\cdot {_factor(X[0])}"
        + f" = {_num(h['dC_dw1_11'])}",
    }
