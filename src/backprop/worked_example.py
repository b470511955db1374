"""The 2-2-2 network that chapter 7 backpropagates by hand, in exact decimals.

The numbers are chosen so that every step fits on paper: ReLU hidden units
(σ' is 1 or 0), an identity output, the mean squared error, one example,
and one step of gradient descent with learning rate ETA.
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


#: The learning rate of the one gradient-descent step taken by hand.
ETA = _q("0.2")


def _forward(W1, B1, W2, B2):
    """Return z1, a1, z2 (= a2) and C of the example, entry by entry."""
    z1 = [W1[j][0] * X[0] + W1[j][1] * X[1] + B1[j] for j in range(2)]
    a1 = [max(Fraction(0), z) for z in z1]  # ReLU
    z2 = [W2[j][0] * a1[0] + W2[j][1] * a1[1] + B2[j] for j in range(2)]
    C = sum((a - y) ** 2 for a, y in zip(z2, Y)) / 2  # identity output
    return z1, a1, z2, C


def _outer(u, v):
    """Return the outer product u vᵀ of two lists, as a list of rows."""
    return [[u_j * v_k for v_k in v] for u_j in u]


def _step(P, G):
    """Return P − η G, entry by entry, for a matrix or a column P."""
    if isinstance(P[0], (tuple, list)):
        return [_step(row, g) for row, g in zip(P, G)]
    return [p - ETA * g for p, g in zip(P, G)]


def by_hand():
    """Return the paper computation as a dict of exact Fractions.

    Keys: z1, a1, dsigma1, z2, a2 (lists of 2), C, delta2, back (the list
    (W^2)ᵀ δ^2), delta1, the gradients dW2 = δ^2 (a^1)ᵀ and dW1 = δ^1 xᵀ
    (lists of rows) with their entries dC_dw2_11 and dC_dw1_11, and one
    step of gradient descent with learning rate ETA: W1_next, B1_next,
    W2_next, B2_next, then z1_next, a1_next, z2_next and C_next.
    """
    z1, a1, z2, C = _forward(W1, B1, W2, B2)
    dsigma1 = [Fraction(1) if z > 0 else Fraction(0) for z in z1]
    delta2 = [(a - y) * 1 for a, y in zip(z2, Y)]  # rule 1, σ' = 1
    # rule 2: ((W^2)ᵀ δ^2)_k sums over the units j that unit k sends to
    back = [W2[0][k] * delta2[0] + W2[1][k] * delta2[1] for k in range(2)]
    delta1 = [g * s for g, s in zip(back, dsigma1)]
    dW2, dW1 = _outer(delta2, a1), _outer(delta1, X)  # rule 4
    # one step: every parameter moves by −η times its gradient (rule 3:
    # ∂C/∂b^l = δ^l for one example)
    step = {
        "W1_next": _step(W1, dW1),
        "B1_next": _step(B1, delta1),
        "W2_next": _step(W2, dW2),
        "B2_next": _step(B2, delta2),
    }
    after = _forward(*step.values())
    return {
        "z1": z1,
        "a1": a1,
        "dsigma1": dsigma1,
        "z2": z2,
        "a2": list(z2),
        "C": C,
        "delta2": delta2,
        "back": back,
        "delta1": delta1,
        "dW2": dW2,
        "dW1": dW1,
        "dC_dw2_11": dW2[0][0],  # δ^2_1 a^1_1
        "dC_dw1_11": dW1[0][0],  # δ^1_1 x_1
        **step,
        **dict(zip(("z1_next", "a1_next", "z2_next", "C_next"), after)),
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
        "dw2": r"\frac{\partial C}{\partial W^2} = \delta^2 (a^1)^\top = "
        + _col([_num(v) for v in h["delta2"]])
        + r"\begin{bmatrix}"
        + " & ".join(_num(v) for v in h["a1"])
        + r"\end{bmatrix} = "
        + matrix(h["dW2"]),
        "dw1": r"\frac{\partial C}{\partial W^1} = \delta^1 x^\top = "
        + _col([_num(v) for v in h["delta1"]])
        + r"\begin{bmatrix}"
        + " & ".join(_num(v) for v in X)
        + r"\end{bmatrix} = "
        + matrix(h["dW1"]),
        "step1": r"W^1 - \eta\, \frac{\partial C}{\partial W^1} = "
        + matrix(h["W1_next"])
        + r",\qquad b^1 - \eta\, \delta^1 = "
        + _col([_num(v) for v in h["B1_next"]]),
        "step2": r"W^2 - \eta\, \frac{\partial C}{\partial W^2} = "
        + matrix(h["W2_next"])
        + r",\qquad b^2 - \eta\, \delta^2 = "
        + _col([_num(v) for v in h["B2_next"]]),
        "after": "z^1 = "
        + _col([_num(v) for v in h["z1_next"]])
        + r",\qquad a^1 = "
        + _col([_num(v) for v in h["a1_next"]])
        + r",\qquad a^2 = z^2 = "
        + _col([_num(v) for v in h["z2_next"]]),
        "C_after": r"C = \tfrac12 \left("
        + " + ".join(f"{_factor(a - y)}^2" for a, y in zip(h["z2_next"], Y))
        + r"\right) = "
        + _num(h["C_next"]),
    }
