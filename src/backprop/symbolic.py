"""SymPy verification of the four rules (chapters 2 to 8).

A small network is built with symbolic weights, biases, inputs and targets.
The cost is a SymPy expression, so `sympy.diff` gives the true derivatives.
Each rule is then evaluated with the very functions of `backprop.rules`,
applied to NumPy object arrays of SymPy expressions, and the difference
between the rule and the true derivative is simplified to zero, entry by
entry. A second check evaluates the derivatives at random numbers and
compares them with `MLP.gradients`: the first verifies the mathematics, the
second the code.

Names follow the book: w^l_{jk} is row j, column k of W^l (1-based in the
symbols, as in the text); x_{k,i} is input k of example i.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import sympy as sp

from . import gradcheck, rules
from .network import MLP
from .tables import table_text

# σ as a SymPy formula, and σ' as the text states it (chapter 1).
SIGMA = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
    "tanh": sp.tanh,
    "relu": lambda z: sp.Max(0, z),
}
SIGMA_PRIME = {
    "identity": lambda z: sp.Integer(1),
    "sigmoid": lambda z: (
        SIGMA["sigmoid"](z) * (1 - SIGMA["sigmoid"](z))
    ),  # σ(1 − σ)
    "tanh": lambda z: 1 - sp.tanh(z) ** 2,  # 1 − tanh²
    "relu": lambda z: sp.Heaviside(z),  # 1 for z > 0, 0 for z < 0
}

#: The (output, loss) pairings the chapters discuss.
PAIRINGS = (
    ("identity", "mse"),
    ("sigmoid", "mse"),
    ("softmax", "cross_entropy"),
)


def verify_activation_prime(name):
    """Return True when diff(σ(z), z) − σ'(z) as stated simplifies to 0."""
    z = sp.Symbol("z", real=True)
    return (
        sp.simplify(sp.diff(SIGMA[name](z), z) - SIGMA_PRIME[name](z)) == 0
    )


def _matrix(prefix, rows, cols):
    return np.array(
        [
            [
                sp.Symbol(f"{prefix}_{{{j + 1}{k + 1}}}", real=True)
                for k in range(cols)
            ]
            for j in range(rows)
        ],
        dtype=object,
    )


def _apply(f, Z):
    return np.vectorize(f, otypes=[object])(Z)


class SymbolicNetwork:
    """A network whose weights, biases, inputs and targets are SymPy symbols."""

    def __init__(
        self,
        sizes=(2, 3, 2),
        hidden="sigmoid",
        output="sigmoid",
        loss="mse",
        m=1,
    ):
        """Build symbols for sizes [n0, ..., nL] and m examples; targets sum to 1 for cross-entropy."""
        self.sizes, self.m, self.L = list(sizes), m, len(sizes) - 1
        self.hidden, self.output, self.loss = hidden, output, loss
        self.W = [None] + [
            _matrix(f"w^{l}", sizes[l], sizes[l - 1])
            for l in range(1, self.L + 1)
        ]
        self.b = [None] + [
            _matrix(f"b^{l}", sizes[l], 1) for l in range(1, self.L + 1)
        ]
        self.X = _matrix("x", sizes[0], m)
        self.Y = _matrix("y", sizes[-1], m)
        if loss == "cross_entropy":
            # a − y is the softmax error only for targets that sum to one, so
            # the last target of each example is 1 minus the others.
            for i in range(m):
                self.Y[-1, i] = 1 - sum(self.Y[:-1, i])
        self.z, self.a = self.forward_from(0, self.X)

    def sigma(self, l):
        """Return the name of the activation of layer l."""
        return self.output if l == self.L else self.hidden

    def forward_from(self, l0, start):
        """Return padded lists z, a of the forward pass started at layer l0 with a^{l0} = start."""
        z, a = [None] * (self.L + 1), [None] * (self.L + 1)
        a[l0] = start
        for l in range(l0 + 1, self.L + 1):
            z[l] = self.W[l] @ a[l - 1] + self.b[l]
            a[l] = self._activate(l, z[l])
        return z, a

    def _activate(self, l, Z):
        if self.sigma(l) == "softmax":
            e = _apply(sp.exp, Z)
            return e / e.sum(axis=0, keepdims=True)
        return _apply(SIGMA[self.sigma(l)], Z)

    def example_costs(self, aL):
        """Return the row of per-example costs C_x for outputs aL (n_L, m)."""
        if self.loss == "cross_entropy":
            return [
                -sum(
                    self.Y[j, i] * sp.log(aL[j, i])
                    for j in range(aL.shape[0])
                )
                for i in range(self.m)
            ]
        return [
            sp.Rational(1, 2)
            * sum(
                (aL[j, i] - self.Y[j, i]) ** 2 for j in range(aL.shape[0])
            )
            for i in range(self.m)
        ]

    @property
    def cost(self):
        """Return C = (1/m) Σ_x C_x as one SymPy expression."""
        return sum(self.example_costs(self.a[self.L])) / self.m

    def true_delta(self, l):
        """Return δ^l = ∂C_x/∂z^l (n_l, m) by sympy.diff, with z^l treated as fresh symbols."""
        s = _matrix(f"s^{l}", self.sizes[l], self.m)
        _, a = self.forward_from(l, self._activate(l, s))
        costs = self.example_costs(a[self.L])
        delta = np.array(
            [
                [sp.diff(costs[i], s[j, i]) for i in range(self.m)]
                for j in range(self.sizes[l])
            ],
            dtype=object,
        )
        at_z = {
            s[j, i]: self.z[l][j, i]
            for j in range(self.sizes[l])
            for i in range(self.m)
        }
        return _apply(lambda e: e.xreplace(at_z), delta), s

    def dsigma(self, l):
        """Return σ'(z^l) (n_l, m); σ' is SymPy's derivative of σ, checked against the stated formula by verify_activation_prime."""
        t = sp.Symbol("t", real=True)
        prime = sp.diff(SIGMA[self.sigma(l)](t), t)
        return _apply(lambda z: prime.xreplace({t: z}), self.z[l])


@dataclass
class Entry:
    """One verified entry: its name, the rule's formula, the true derivative, the verdict."""

    name: str
    formula: object
    derivative: object
    holds: bool


@dataclass
class Verification:
    """The entries of one rule on one network, each checked by simplification."""

    rule: str
    network: str
    entries: list = field(default_factory=list)

    @property
    def holds(self):
        """Return True when every entry's difference simplified to zero."""
        return bool(self.entries) and all(e.holds for e in self.entries)

    def _repr_markdown_(self):
        rows = [
            f"**{self.rule}** on {self.network}: "
            f"{sum(e.holds for e in self.entries)} of {len(self.entries)} entries verified",
            "",
            "| entry | rule − sympy.diff | verdict |",
            "|---|---|---|",
        ]
        for e in self.entries:
            diff = (
                "0"
                if e.holds
                else rf"{_probe(e.formula - e.derivative):.4g} \neq 0 \text{{ at a random point}}"
            )
            rows.append(
                f"| ${e.name}$ | ${diff}$ | {'equal' if e.holds else 'DIFFERENT'} |"
            )
        return "\n".join(rows)

    def __str__(self):
        ok = sum(e.holds for e in self.entries)
        return f"{self.rule} on {self.network}: {ok}/{len(self.entries)} entries equal to sympy.diff"


def _probe(expr):
    """Return the value of expr at a fixed random point (every symbol in [-1.5, 1.5])."""
    rng = np.random.default_rng(0)
    point = {
        s: sp.Float(rng.uniform(-1.5, 1.5))
        for s in sorted(expr.free_symbols, key=str)
    }
    return complex(expr.xreplace(point).evalf()).real


def _is_zero(expr):
    """Return True when expr simplifies to 0; False when a point shows it is not 0."""
    if sp.expand(expr) == 0:
        return True
    # One point where the difference is clearly not zero proves it is not
    # identically zero, and saves simplify a long and futile search.
    if abs(_probe(expr)) > 1e-9:
        return False
    # Bringing the difference over one denominator and expanding settles it
    # quickly; simplify is the slow, thorough fallback.
    return sp.expand(sp.together(expr)) == 0 or sp.simplify(expr) == 0


def _describe(net):
    return (
        f"{'-'.join(map(str, net.sizes))} network, hidden {net.hidden}, output {net.output}, "
        f"loss {net.loss}, m = {net.m}"
    )


def _compare(net, rule, names, formula, derivative):
    result = Verification(rule, _describe(net))
    for idx in np.ndindex(formula.shape):
        holds = _is_zero(formula[idx] - derivative[idx])
        result.entries.append(
            Entry(names(*idx), formula[idx], derivative[idx], holds)
        )
    return result


def verify_output_error(output="sigmoid", loss="mse", sizes=(2, 2), m=1):
    """Verify rule 1: δ^L from rules.output_error (or a − y for softmax) equals ∂C_x/∂z^L."""
    net = SymbolicNetwork(
        sizes, hidden="sigmoid", output=output, loss=loss, m=m
    )
    L = net.L
    true, _ = net.true_delta(L)
    if loss == "cross_entropy":
        formula = net.a[L] - net.Y  # the Jacobian form reduces to a − y
    else:
        formula = rules.output_error(net.a[L] - net.Y, net.dsigma(L))
    return _compare(
        net,
        "rule 1 (output error)",
        lambda j, i: rf"\delta^{L}_{{{j + 1},{i + 1}}}",
        formula,
        true,
    )


def verify_hidden_error(
    hidden="sigmoid", output="sigmoid", loss="mse", sizes=(2, 3, 2), m=1
):
    """Verify rule 2 for every hidden layer: (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l) equals ∂C_x/∂z^l."""
    net = SymbolicNetwork(sizes, hidden, output, loss, m)
    results = []
    for l in range(net.L - 1, 0, -1):
        true_l, _ = net.true_delta(l)
        true_next, _ = net.true_delta(l + 1)
        formula = rules.hidden_error(net.W[l + 1], true_next, net.dsigma(l))
        results.append(
            _compare(
                net,
                f"rule 2 (hidden error, layer {l})",
                lambda j, i, l=l: rf"\delta^{l}_{{{j + 1},{i + 1}}}",
                formula,
                true_l,
            )
        )
    return results


def _verify_parameter_gradients(net, rule, what, symbols, name, formula):
    """Compare formula(l, δ^l) with sympy.diff(C, p) for every parameter p in symbols[l], layer by layer."""
    C, results = net.cost, []
    for l in range(1, net.L + 1):
        true = _apply(lambda p: sp.diff(C, p), symbols[l])
        delta, _ = net.true_delta(l)
        results.append(
            _compare(
                net,
                f"{rule} ({what}, layer {l})",
                lambda j, k, l=l: name(l, j, k),
                formula(l, delta),
                true,
            )
        )
    return results


def verify_bias_gradient(
    hidden="sigmoid", output="sigmoid", loss="mse", sizes=(2, 3, 2), m=2
):
    """Verify rule 3 for every layer: the mean of the columns of δ^l equals ∂C/∂b^l."""
    net = SymbolicNetwork(sizes, hidden, output, loss, m)
    return _verify_parameter_gradients(
        net,
        "rule 3",
        "bias gradient",
        net.b,
        lambda l, j, k: rf"\partial C/\partial b^{l}_{{{j + 1}}}",
        lambda l, delta: rules.bias_gradient(delta),
    )


def verify_weight_gradient(
    hidden="sigmoid", output="sigmoid", loss="mse", sizes=(2, 3, 2), m=2
):
    """Verify rule 4 for every layer: δ^l (a^{l-1})ᵀ / m equals ∂C/∂W^l."""
    net = SymbolicNetwork(sizes, hidden, output, loss, m)
    return _verify_parameter_gradients(
        net,
        "rule 4",
        "weight gradient",
        net.W,
        lambda l, j, k: rf"\partial C/\partial w^{l}_{{{j + 1}{k + 1}}}",
        lambda l, delta: rules.weight_gradient(delta, net.a[l - 1]),
    )


class NumericComparison(NamedTuple):
    """sympy.diff against MLP.gradients: unpacks as (rows, max_diff), shows as a table and a verdict."""

    rows: list  # (name like "w^1_12", sympy.diff value, MLP.gradients value), one per parameter
    max_diff: float  # largest absolute difference over all rows

    @property
    def relative_error(self):
        """Return ‖exact − computed‖ / (‖exact‖ + ‖computed‖) over all parameters."""
        return gradcheck.relative_error(
            [e for _, e, _ in self.rows], [g for _, _, g in self.rows]
        )

    @property
    def verdict(self):
        """Return the plain-words verdict of chapter 8 on the relative error."""
        return gradcheck.verdict(self.relative_error)

    def table(self, n=None):
        """Return an IPython Markdown object: the first n rows (all by default), then the verdict over all rows."""
        from IPython.display import Markdown

        return Markdown(self._markdown(n))

    def _markdown(self, n=None):
        """Return the Markdown source of table(n)."""
        shown = self.rows if n is None else self.rows[:n]
        body = table_text(
            ["parameter", "`sympy.diff`", "`MLP.gradients`", "difference"],
            [
                (
                    f"${_tex_name(name)}$",
                    f"{e:+.12f}",
                    f"{g:+.12f}",
                    f"{abs(e - g):.1e}",
                )
                for name, e, g in shown
            ],
            align="lrrr",
        )
        more = (
            f" (the first {len(shown)} shown)"
            if len(shown) < len(self.rows)
            else ""
        )
        return (
            f"{body}\n\nAll {len(self.rows)} parameters{more}: largest difference {self.max_diff:.1e}, "
            f"relative error {self.relative_error:.1e}: **{self.verdict}**"
        )

    def _repr_markdown_(self):
        return self._markdown()


def _tex_name(label):
    """Return 'w^1_12' as 'w^1_{12}' (TeX for the table)."""
    head, _, index = label.rpartition("_")
    return f"{head}_{{{index}}}"


def numeric_comparison(
    hidden="sigmoid",
    output="sigmoid",
    loss="mse",
    sizes=(2, 3, 2),
    m=2,
    seed=0,
):
    """Return a NumericComparison: (parameter, sympy.diff, MLP.gradients) rows at random numbers, and the max abs difference."""
    sym = SymbolicNetwork(sizes, hidden, output, loss, m)
    net = MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    rng = np.random.default_rng(seed)
    values = {}
    for l in range(1, sym.L + 1):
        net.weights[l - 1] = rng.normal(size=sym.W[l].shape)
        net.biases[l - 1] = rng.normal(size=sym.b[l].shape)
        values.update(zip(sym.W[l].ravel(), net.weights[l - 1].ravel()))
        values.update(zip(sym.b[l].ravel(), net.biases[l - 1].ravel()))
    X = rng.normal(size=sym.X.shape)
    Y = rng.random(sym.Y.shape)
    if loss == "cross_entropy":
        Y /= Y.sum(axis=0, keepdims=True)
    values.update(zip(sym.X.ravel(), X.ravel()))
    # With cross-entropy the last target is 1 − (the others) already.
    values.update(
        (s, v)
        for s, v in zip(sym.Y.ravel(), Y.ravel())
        if isinstance(s, sp.Symbol)
    )
    dWs, dbs = net.gradients(X, Y)
    C = sym.cost
    labels, params, computed = [], [], []
    for l in range(1, sym.L + 1):
        for P, G, name in (
            (sym.W[l], dWs[l - 1], "w"),
            (sym.b[l], dbs[l - 1], "b"),
        ):
            for idx in np.ndindex(P.shape):
                labels.append(
                    f"w^{l}_{idx[0] + 1}{idx[1] + 1}"
                    if name == "w"
                    else f"b^{l}_{idx[0] + 1}"
                )
                params.append(P[idx])
                computed.append(float(G[idx]))
    # One lambdified function for all derivatives, sharing common subexpressions.
    exact = sp.lambdify(
        list(values), [sp.diff(C, p) for p in params], "numpy", cse=True
    )(*values.values())
    rows = [
        (name, float(e), g) for name, e, g in zip(labels, exact, computed)
    ]
    max_diff = max(abs(e - g) for _, e, g in rows)
    return NumericComparison(rows, max_diff)
