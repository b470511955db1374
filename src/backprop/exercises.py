"""Exercises that check themselves (chapters 3 to 7).

Each checker runs the reader's function on several random cases (layers that
are not square and one that is, batches of m > 1 examples and a single
example) and compares what it returns with a reference computed
independently, by centered finite differences of the cost of a small `MLP`:

    δ^l of example x = ∂C_x/∂b^l      (z^l = W^l a^{l-1} + b^l, so ∂z^l/∂b^l = I;
                                       the cost of that example alone, m = 1)
    ∂C/∂b^l, ∂C/∂W^l                  (differences of the batch cost C = (1/m) Σ_x C_x)

No rule function of the package enters a reference. When an answer is wrong,
the checker compares it with the usual wrong variants (a transpose, a missing
σ', a factor m, 2 or 1/m, a flipped sign, a wrong shape) and says in plain
words which one it matches, case by case::

    result = check_hidden_error(my_hidden_error)
    result.correct      # True or False
    result.diagnosis    # "correct", "transposed", "factor", "sign", ... (see DIAGNOSES)
    print(result)       # what is right and what is wrong, in words

The checkers never raise because of the reader's function: an exception it
raises is reported (NotImplementedError as "not implemented yet").
"""

import html
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import activations, gradcheck
from .data import random_batch
from .network import MLP
from .text import sup

#: Relative error below which an answer counts as equal to the reference. The
#: references are centered differences, accurate to about 1e-9 here.
RTOL = 1e-6

#: Every diagnosis a checker can give, with its headline.
DIAGNOSES = {
    "correct": "Correct",
    "not_implemented": "Not implemented yet",
    "missing_sigma_prime": "The factor σ′(z) is missing",
    "extra_sigma_prime": "An extra factor σ′(z)",
    "sigma_prime_of_a": "σ′ evaluated at a instead of z",
    "gradient_wrt_a": "The gradient with respect to a, not z",
    "wrong_axis": "Averaged over the wrong axis",
    "transposed": "Transposed",
    "sign": "Wrong sign",
    "factor": "Off by a constant factor",
    "shape": "Wrong shape",
    "type": "Not an array",
    "nonfinite": "NaN or inf in the result",
    "exception": "Raised an exception",
    "wrong": "Wrong values",
}

# When the cases disagree (a square case gives the transpose, the others raise
# a shape error), the most specific diagnosis names the mistake.
_PRIORITY = [
    "not_implemented",
    "missing_sigma_prime",
    "extra_sigma_prime",
    "sigma_prime_of_a",
    "gradient_wrt_a",
    "wrong_axis",
    "transposed",
    "sign",
    "factor",
    "shape",
    "type",
    "nonfinite",
    "exception",
    "wrong",
]


@dataclass
class Finding:
    """The verdict on one case: a category of DIAGNOSES, the details, and the factor if any."""

    category: str
    detail: str
    factor: str | None = None


@dataclass
class Case:
    """One test case: what it was and what the checker found."""

    description: str
    finding: Finding


@dataclass
class CheckResult:
    """What a checker found: `.correct`, `.diagnosis` (a key of DIAGNOSES), `.message`, the cases."""

    exercise: str
    diagnosis: str
    message: str
    cases: list = field(default_factory=list)
    factor: str | None = None

    @property
    def correct(self):
        """Return True when the function agreed with the reference on every case."""
        return self.diagnosis == "correct"

    @property
    def headline(self):
        """Return the one-line verdict, e.g. '✗ Transposed'."""
        return ("✓ " if self.correct else "✗ ") + DIAGNOSES[self.diagnosis]

    def case_lines(self):
        """Return (mark, description, detail) per case; a detail said already becomes 'the same.'."""
        seen, rows = set(), []
        for c in self.cases:
            detail, category = c.finding.detail, c.finding.category
            if category in seen and category == "exception":
                detail = (
                    detail.split(":")[0].replace(" in a matrix product", "")
                    + " here too."
                )
            elif category in seen and category != "correct":
                detail = "the same mistake as above."
            seen.add(category)
            rows.append(
                (
                    "✓" if c.finding.category == "correct" else "✗",
                    c.description,
                    detail,
                )
            )
        return rows

    def __str__(self):
        lines = [f"{self.headline}: {self.exercise}", self.message]
        if self.cases:
            lines.append("Case by case:")
            lines += [
                f"  {mark} {desc}: {detail}"
                for mark, desc, detail in self.case_lines()
            ]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self):
        lines = [
            f"**{_md(self.headline)}**: {_md(self.exercise)}",
            "",
            _md(self.message),
        ]
        if self.cases:
            lines += ["", "Case by case:", ""]
            lines += [
                f"- {mark} {_md(desc)}: {_md(detail)}"
                for mark, desc, detail in self.case_lines()
            ]
        return "\n".join(lines)

    def _repr_html_(self):
        colour = "#1a7f37" if self.correct else "#b42318"
        parts = [
            f'<div class="bp-check" style="border-left: 4px solid {colour}; padding-left: 0.8em">',
            f"<p><strong>{html.escape(self.headline)}</strong>: {html.escape(self.exercise)}</p>",
            f"<p>{html.escape(self.message)}</p>",
        ]
        if self.cases:
            parts.append("<p>Case by case:</p><ul>")
            parts += [
                f"<li>{mark} {html.escape(desc)}: {html.escape(detail)}</li>"
                for mark, desc, detail in self.case_lines()
            ]
            parts.append("</ul>")
        parts.append("</div>")
        return "\n".join(parts)


def _md(text):
    """Escape what Markdown would read as markup in a plain sentence."""
    for ch in "\\`*_[]<>|$#":
        text = text.replace(ch, "\\" + ch)
    return text


# -- comparing one answer with the reference ---------------------------------------


def _close(x, y):
    return x.shape == y.shape and gradcheck.relative_error(x, y) < RTOL


def _call(fn, *args):
    """Return (value, None) or (None, exception) of fn on copies of args, with warnings silenced."""
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args), None
        except Exception as err:  # the reader's bug is reported, not raised
            return None, err


def _exception_finding(err):
    if isinstance(err, NotImplementedError):
        return Finding(
            "not_implemented",
            "Your function raised NotImplementedError (not implemented yet).",
        )
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    sizes = re.search(r"size (\d+) is different from (\d+)", text)
    if "matmul" in text and sizes:
        return Finding(
            "exception",
            f"Your function raised {type(err).__name__} in a matrix product: the inner "
            f"dimensions do not match ({sizes.group(0)}). Check which factor needs a transpose.",
        )
    hint = ""
    if "shapes" in text or "broadcast" in text:
        hint = " The shapes of a product or an element-wise operation do not fit: check which factor needs a transpose."
    return Finding(
        "exception",
        f"Your function raised {type(err).__name__}: {text.rstrip('.')}.{hint}",
    )


def _as_array(got):
    """Return (array, None), or (None, Finding) when got is not a numeric array."""
    if got is None:
        return None, Finding(
            "not_implemented",
            "Your function returned None: it has no return statement yet (not implemented yet?).",
        )
    if isinstance(got, (str, bytes, dict)):
        return None, Finding(
            "type",
            f"Your function returned a {type(got).__name__}, not a NumPy array.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Finding(
            "type",
            f"Your function returned a {type(got).__name__} that is not a numeric array.",
        )
    return arr, None


def _judge(
    got,
    ref,
    *,
    candidates=(),
    factors=(),
    shape_hints=None,
    transposed_detail=None,
):
    """Return the Finding for one answer against the reference ref.

    candidates: (category, array or None, detail) of known wrong variants;
    factors: (name, value, detail) of known wrong scalings;
    shape_hints: {shape: (category, detail)} for known wrong shapes.
    """
    arr, finding = _as_array(got)
    if finding:
        return finding
    transposed_detail = (
        transposed_detail or "The values are right but transposed."
    )
    if arr.shape != ref.shape:
        if shape_hints and arr.shape in shape_hints:
            category, detail = shape_hints[arr.shape]
            return Finding(
                category,
                f"Your result has shape {arr.shape}; expected {ref.shape}: {detail}",
            )
        if arr.ndim == 2 and arr.shape == ref.T.shape:
            if _close(arr.T, ref):
                return Finding(
                    "transposed",
                    f"Your result has shape {arr.shape}, the transpose of the expected {ref.shape}. {transposed_detail}",
                )
            return Finding(
                "shape",
                f"Your result has shape {arr.shape}, the transpose of the expected {ref.shape}, and even transposed its values are wrong.",
            )
        if arr.size == ref.size and _close(arr.reshape(ref.shape), ref):
            return Finding(
                "shape",
                f"Your result has shape {arr.shape}; expected {ref.shape}. The numbers are right: keep the "
                f"shape with keepdims=True or .reshape{ref.shape}.",
            )
        return Finding(
            "shape",
            f"Your result has shape {arr.shape}; expected {ref.shape}.",
        )
    if not np.all(np.isfinite(arr)):
        return Finding("nonfinite", "Your result contains NaN or inf.")
    err = gradcheck.relative_error(arr, ref)
    if err < RTOL:
        return Finding(
            "correct",
            f"Your result matches the finite-difference reference (relative error {err:.1e}).",
        )
    for category, cand, detail in candidates:
        if cand is not None and _close(arr, cand):
            return Finding(category, detail)
    if (
        arr.ndim == 2
        and arr.shape[0] == arr.shape[1]
        and _close(arr, ref.T)
    ):
        return Finding(
            "transposed",
            "Your result is the transpose of the right answer; it is square, so its shape could not show it. "
            + transposed_detail,
        )
    denom = float(np.sum(ref * ref))
    c = float(np.sum(arr * ref)) / denom if denom > 0 else 0.0
    if c != 0.0 and _close(arr, c * ref):
        if abs(c + 1) < 1e-6:
            return Finding(
                "sign",
                "Your result has the wrong sign: it is exactly minus the right answer.",
                "-1",
            )
        for name, value, detail in factors:
            if abs(c / value - 1) < 1e-6:
                return Finding(
                    "factor",
                    f"Your result is {name} times the right answer: {detail}",
                    name,
                )
            if abs(c / value + 1) < 1e-6:
                return Finding(
                    "sign",
                    f"Your result is −{name} times the right answer: a wrong sign, and {detail}",
                    "-" + name,
                )
        return Finding(
            "factor",
            f"Your result is {c:.4g} times the right answer: a constant factor is wrong.",
            f"{c:.4g}",
        )
    return Finding(
        "wrong",
        f"Your result has the right shape but wrong values (relative error {err:.2g}), "
        "and they are not a transpose, a sign or a constant multiple of the right ones.",
    )


def _result(exercise, cases):
    """Aggregate the cases into a CheckResult with one diagnosis and a plain-words message."""
    findings = [c.finding for c in cases]
    wrong = [f for f in findings if f.category != "correct"]
    if not wrong:
        return CheckResult(
            exercise,
            "correct",
            f"It agrees with finite differences on all {len(cases)} cases "
            f"(several shapes, batches of m > 1 examples and a single one).",
            cases,
        )
    diagnosis = min((f.category for f in wrong), key=_PRIORITY.index)
    if diagnosis == "not_implemented":
        return CheckResult(
            exercise,
            "not_implemented",
            "Not implemented yet: write the body of your function (replace the "
            "raise NotImplementedError) and run this check again.",
            [],
        )
    first_case = next(c for c in cases if c.finding.category == diagnosis)
    first = first_case.finding
    summary = _MESSAGES[diagnosis].format(factor=first.factor)
    detail = first.detail[:1].upper() + first.detail[1:]
    message = f"{summary} In the case {first_case.description}: {detail}"
    n_right = len(cases) - len(wrong)
    if n_right:
        which = "; ".join(
            c.description for c in cases if c.finding.category == "correct"
        )
        message += (
            f" It is right in {n_right} of {len(cases)} cases ({which}): a single test case "
            f"like those would not have found the mistake."
        )
    return CheckResult(exercise, diagnosis, message, cases, first.factor)


_MESSAGES = {
    "missing_sigma_prime": "A factor σ′(z) is missing.",
    "extra_sigma_prime": "There is a factor σ′(z) too many.",
    "sigma_prime_of_a": "σ′ is evaluated at the wrong place.",
    "gradient_wrt_a": "This is the derivative with respect to the wrong variable.",
    "wrong_axis": "The mean is taken over the wrong axis.",
    "transposed": "A transpose is wrong.",
    "sign": "The sign is wrong.",
    "factor": "The result is off by a factor of {factor}.",
    "shape": "The result does not have the shape the rule gives.",
    "type": "The result is not what the exercise asks for.",
    "nonfinite": "The result contains NaN or inf.",
    "exception": "The function raised an exception.",
    "wrong": "The values are wrong in a way the checker does not recognise.",
}


def _require_callable(fn, signature):
    if not callable(fn):
        raise TypeError(
            f"expected your function {signature}; got {type(fn).__name__}"
        )


# -- the references: finite differences of a small network -------------------------


def _network(sizes, hidden, output, loss, seed):
    """Return an MLP with random, non-zero biases, and a random generator for its data."""
    net = MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    return net, rng


def numerical_deltas(net, X, Y, eps=1e-6):
    """Return [None, δ^1, ..., δ^L], δ^l (n_l, m): column i is ∂C_x/∂b^l of example i, by centered differences."""
    deltas = [None] + [np.zeros((n, X.shape[1])) for n in net.sizes[1:]]
    for i in range(X.shape[1]):
        x, y = X[:, [i]], Y[:, [i]]
        for l in range(1, net.L + 1):
            b = net.biases[l - 1]
            for j in range(b.shape[0]):
                old = b[j, 0]
                b[j, 0] = old + eps
                plus = net.loss(x, y)
                b[j, 0] = old - eps
                minus = net.loss(x, y)
                b[j, 0] = old
                deltas[l][j, i] = (plus - minus) / (2 * eps)
    return deltas


def _factors_m(m, too_large, too_small):
    return [("m", float(m), too_large), ("1/m", 1.0 / m, too_small)]


_HALF = (
    "2",
    2.0,
    "the ½ in C_x = ½‖a − y‖² cancels the 2 that differentiating the square brings down, so no 2 remains.",
)
_TWICE = (
    "1/2",
    0.5,
    "differentiating ½‖a − y‖² gives a − y: the ½ is used up by the 2 of the square.",
)


# -- rule 1 (chapter 3) -----------------------------------------------------------------


def check_output_error(fn):
    """Check fn(a, y, z) -> δᴸ (n_L, m) for a sigmoid output layer with C_x = ½‖a − y‖²."""
    _require_callable(
        fn, "my_output_error(a, y, z) returning δᴸ of shape (n_L, m)"
    )
    cases = []
    for k, (n, m) in enumerate([(3, 4), (2, 5), (4, 1), (3, 3)]):
        net, rng = _network(
            [3, n], "sigmoid", "sigmoid", "mse", seed=10 + k
        )
        X, Y = random_batch(net, m, rng)
        cache = net.forward(X, return_cache=True)
        a, z = cache.a[1], cache.z[1]
        ref = numerical_deltas(net, X, Y)[1]
        s = activations.sigmoid
        candidates = [
            (
                "missing_sigma_prime",
                a - Y,
                "Your result is a − y, which is ∇_a C_x alone. Rule 1 multiplies it "
                "element-wise by σ′(zᴸ): (a - y) * sigmoid_prime(z).",
            ),
            (
                "sigma_prime_of_a",
                (a - Y) * s(a) * (1 - s(a)),
                "Your result evaluates σ′ at a instead of z. σ′(z) = σ(z)(1 − σ(z)) = a(1 − a), but σ′(a) = σ(a)(1 − σ(a)) is "
                "something else: use sigmoid_prime(z) or a * (1 - a).",
            ),
            (
                "missing_sigma_prime",
                (a - Y) / m,
                "Your result divides a − y by m and forgets σ′(z).",
            ),
        ]
        factors = _factors_m(
            m,
            "δᴸ is the error of each example; there is no sum over the batch in rule 1.",
            "δᴸ is the error of each example, one column each; the 1/m of the batch mean belongs to "
            "rules 3 and 4, not to δᴸ.",
        ) + [_HALF, _TWICE]
        got, err = _call(fn, a, Y, z)
        finding = (
            _exception_finding(err)
            if err
            else _judge(
                got,
                ref,
                candidates=candidates,
                factors=factors,
                transposed_detail="δᴸ keeps one column per example, shape (n_L, m).",
            )
        )
        cases.append(Case(f"n_L = {n}, m = {m}", finding))
        if finding.category == "not_implemented":
            break
    return _result(
        "rule 1, the output error δᴸ = (a − y) ⊙ σ′(z) (sigmoid output, MSE)",
        cases,
    )


def check_softmax_cross_entropy_delta(fn):
    """Check fn(a, y) -> δᴸ (n_L, m) for a softmax output layer with the cross-entropy cost."""
    _require_callable(
        fn, "my_softmax_delta(a, y) returning δᴸ of shape (n_L, m)"
    )
    cases = []
    for k, (n, m) in enumerate([(3, 4), (4, 5), (2, 1), (3, 3)]):
        net, rng = _network(
            [3, n], "sigmoid", "softmax", "cross_entropy", seed=20 + k
        )
        X, Y = random_batch(net, m, rng)
        a = net.forward(X)
        ref = numerical_deltas(net, X, Y)[1]
        candidates = [
            (
                "extra_sigma_prime",
                (a - Y) * a * (1 - a),
                "Your result multiplies a − y by a(1 − a), a σ′ that is not there: the softmax Jacobian, multiplied by "
                "∂C_x/∂a = −y/a, already collapsed to a − y.",
            ),
            (
                "gradient_wrt_a",
                -Y / a,
                "Your result is ∂C_x/∂a = −y/a, the gradient with respect to the outputs a. "
                "δᴸ is the gradient with respect to zᴸ: push it through the softmax "
                "Jacobian, which gives a − y.",
            ),
            (
                "gradient_wrt_a",
                -Y / a * a * (1 - a),
                "Your result multiplies ∂C_x/∂a = −y/a by the diagonal a(1 − a) of the softmax Jacobian only; the "
                "off-diagonal entries −a_i a_j count too, and the full product is a − y.",
            ),
        ]
        factors = _factors_m(
            m,
            "δᴸ is the error of each example; there is no sum over the batch here.",
            "δᴸ is the error of each example; the 1/m of the batch mean belongs to rules 3 and 4.",
        )
        got, err = _call(fn, a, Y)
        finding = (
            _exception_finding(err)
            if err
            else _judge(
                got,
                ref,
                candidates=candidates,
                factors=factors,
                transposed_detail="δᴸ keeps one column per example, shape (n_L, m).",
            )
        )
        cases.append(Case(f"n_L = {n}, m = {m}", finding))
        if finding.category == "not_implemented":
            break
    return _result(
        "rule 1 for softmax with cross-entropy, δᴸ = a − y", cases
    )


# -- rule 2 (chapter 4) -----------------------------------------------------------------


def check_hidden_error(fn):
    """Check fn(W_next, delta_next, dsigma) -> δˡ (n_l, m), rule 2."""
    _require_callable(
        fn,
        "my_hidden_error(W_next, delta_next, dsigma) returning δˡ of shape (n_l, m)",
    )
    cases = []
    for k, (n, n_next, m) in enumerate(
        [(4, 2, 3), (2, 3, 5), (3, 3, 4), (3, 2, 1)]
    ):
        net, rng = _network(
            [3, n, n_next], "sigmoid", "identity", "mse", seed=30 + k
        )
        X, Y = random_batch(net, m, rng)
        cache = net.forward(X, return_cache=True)
        deltas = numerical_deltas(net, X, Y)
        W_next, delta_next, ref = net.weights[1], deltas[2], deltas[1]
        dsigma = activations.sigmoid_prime(cache.z[1])
        square = W_next.shape[0] == W_next.shape[1]
        no_t = "Your result computes W_next @ delta_next; the rule needs W_next.T @ delta_next (the error flows back along the transposed weights)."
        candidates = [
            (
                "transposed",
                (W_next @ delta_next) * dsigma if square else None,
                no_t
                + " With a square W_next the shapes fit anyway, and only the numbers show the mistake.",
            ),
            (
                "missing_sigma_prime",
                W_next.T @ delta_next,
                "Your result forgets the factor σ′(zˡ): multiply element-wise by dsigma.",
            ),
            (
                "transposed",
                W_next @ delta_next if square else None,
                no_t + " It also forgets the factor dsigma.",
            ),
        ]
        factors = _factors_m(
            m,
            "δˡ is the error of each example; nothing is summed over the batch in rule 2.",
            "δˡ is the error of each example; the 1/m of the batch mean belongs to rules 3 and 4.",
        )
        got, err = _call(fn, W_next, delta_next, dsigma)
        finding = (
            _exception_finding(err)
            if err
            else _judge(
                got,
                ref,
                candidates=candidates,
                factors=factors,
                transposed_detail="δˡ keeps one column per example, shape (n_l, m).",
            )
        )
        cases.append(
            Case(
                f"W_next {n_next}×{n}, m = {m}"
                + (" (square)" if square else ""),
                finding,
            )
        )
        if finding.category == "not_implemented":
            break
    return _result(
        "rule 2, the hidden error δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ)", cases
    )


# -- rule 3 (chapter 5) -----------------------------------------------------------------


def check_bias_gradient(fn):
    """Check fn(delta) -> ∂C/∂bˡ (n_l, 1) from δˡ (n_l, m), rule 3."""
    _require_callable(
        fn, "my_bias_gradient(delta) returning ∂C/∂b of shape (n_l, 1)"
    )
    cases = []
    for k, (n, m) in enumerate([(3, 4), (2, 5), (4, 1), (3, 3)]):
        net, rng = _network(
            [3, n, 2], "tanh", "sigmoid", "mse", seed=40 + k
        )
        X, Y = random_batch(net, m, rng)
        delta = numerical_deltas(net, X, Y)[1]
        ref = gradcheck.numerical_gradients(net, X, Y)[1][0]
        axis0 = "it averages each example's column (axis 0, over the units) instead of each unit's row over the examples (axis 1)."
        candidates = [
            (
                "wrong_axis",
                delta.mean(axis=0, keepdims=True).T if n == m else None,
                "Your result: " + axis0,
            ),
            (
                "wrong_axis",
                delta.sum(axis=0, keepdims=True).T if n == m else None,
                "Your result sums over axis 0 (the units) instead of averaging over axis 1 (the examples).",
            ),
        ]
        shape_hints = (
            {(m,): ("wrong_axis", axis0), (1, m): ("wrong_axis", axis0)}
            if m != n and m > 1
            else {}
        )
        factors = _factors_m(
            m,
            "it is the sum of δ over the examples; ∂C/∂b is their mean, because C = (1/m) Σ_x C_x.",
            "it was divided by m twice (a mean, then / m again).",
        )
        got, err = _call(fn, delta)
        finding = (
            _exception_finding(err)
            if err
            else _judge(
                got,
                ref,
                factors=factors,
                candidates=candidates,
                shape_hints=shape_hints,
            )
        )
        cases.append(Case(f"n_l = {n}, m = {m}", finding))
        if finding.category == "not_implemented":
            break
    return _result(
        "rule 3, the bias gradient ∂C/∂bˡ = mean of the columns of δˡ",
        cases,
    )


# -- rule 4 (chapter 6) -----------------------------------------------------------------


def check_weight_gradient(fn):
    """Check fn(delta, a_prev) -> ∂C/∂W^l (n_l, n_(l-1)) from δ^l (n_l, m) and a^(l-1) (n_(l-1), m), rule 4."""
    _require_callable(
        fn,
        "my_weight_gradient(delta, a_prev) returning ∂C/∂W of shape (n_l, n_(l-1))",
    )
    cases = []
    for k, (n_prev, n, m) in enumerate(
        [(3, 2, 4), (2, 4, 5), (3, 3, 3), (4, 2, 1)]
    ):
        net, rng = _network(
            [3, n_prev, n], "sigmoid", "identity", "mse", seed=50 + k
        )
        X, Y = random_batch(net, m, rng)
        cache = net.forward(X, return_cache=True)
        delta, a_prev = numerical_deltas(net, X, Y)[2], cache.a[1]
        ref = gradcheck.numerical_gradients(net, X, Y)[0][1]
        factors = _factors_m(
            m,
            "the 1/m is missing: ∂C/∂W averages δ (aˡ⁻¹)ᵀ over the examples, because C = (1/m) Σ_x C_x.",
            "it was divided by m twice.",
        )
        got, err = _call(fn, delta, a_prev)
        finding = (
            _exception_finding(err)
            if err
            else _judge(
                got,
                ref,
                factors=factors,
                transposed_detail="a_prev @ delta.T / m is the row-convention formula Aᵀ Δ / m, for weights stored "
                "as (n_(l-1), n_l). Here Wˡ is (n_l, n_(l-1)), so ∂C/∂Wˡ = delta @ a_prev.T / m.",
            )
        )
        square = n == n_prev
        cases.append(
            Case(
                f"W {n}×{n_prev}, m = {m}"
                + (" (square)" if square else ""),
                finding,
            )
        )
        if finding.category == "not_implemented":
            break
    return _result(
        "rule 4, the weight gradient ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ / m", cases
    )


# -- the algorithm (chapter 7) --------------------------------------------------------


def _variant_gradients(
    net,
    X,
    Y,
    *,
    transpose=False,
    hidden_prime=True,
    output_prime=True,
    extra_softmax_prime=False,
):
    """Return (dWs, dbs) of backprop written out here, with one of the usual mistakes switched on."""
    cache = net.forward(X, return_cache=True)
    z, a, L, m = cache.z, cache.a, net.L, X.shape[1]
    if net.loss_name == "cross_entropy":
        delta = a[L] - Y
        if extra_softmax_prime:
            delta = delta * a[L] * (1 - a[L])
    else:
        delta = a[L] - Y
        if output_prime:
            delta = delta * net.output.prime(z[L])
    dWs, dbs = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dWs[l - 1] = delta @ a[l - 1].T / m
        dbs[l - 1] = delta.sum(axis=1, keepdims=True) / m
        if l > 1:
            W = net.weights[l - 1]
            delta = (W if transpose else W.T) @ delta
            if hidden_prime:
                delta = delta * net.hidden.prime(z[l - 1])
    return dWs, dbs


_ALGORITHM_VARIANTS = [
    (
        "transposed",
        dict(transpose=True),
        "Your function carries the error back with Wˡ⁺¹ δˡ⁺¹ instead of (Wˡ⁺¹)ᵀ δˡ⁺¹ (rule 2): on this square "
        "network the shapes fit anyway, and only the numbers show it.",
    ),
    (
        "missing_sigma_prime",
        dict(hidden_prime=False),
        "Your hidden layers forget the factor σ′(zˡ) of rule 2; the output layer is right.",
    ),
    (
        "missing_sigma_prime",
        dict(output_prime=False),
        "Your output layer forgets the factor σ′(zᴸ) of rule 1 (with the MSE cost, δᴸ = (a − y) ⊙ σ′(zᴸ)).",
    ),
    (
        "extra_sigma_prime",
        dict(extra_softmax_prime=True),
        "With softmax and cross-entropy, δᴸ is a − y: your function multiplies it by a(1 − a), a σ′ that is not there.",
    ),
]


def check_backprop(fn):
    """Check fn(net, X, Y) -> (dWs, dbs), the whole backward pass, against finite differences."""
    _require_callable(fn, "my_backprop(net, X, Y) returning (dWs, dbs)")
    configs = [
        ([3, 4, 2], "sigmoid", "identity", "mse", 5),
        ([2, 3, 4, 2], "tanh", "sigmoid", "mse", 4),
        ([4, 3, 3], "sigmoid", "softmax", "cross_entropy", 3),
        ([3, 3, 3], "tanh", "identity", "mse", 4),
        ([3, 2, 1], "sigmoid", "sigmoid", "mse", 1),
    ]
    cases = []
    for k, (sizes, hidden, output, loss, m) in enumerate(configs):
        net, rng = _network(sizes, hidden, output, loss, seed=60 + k)
        X, Y = random_batch(net, m, rng)
        nWs, nbs = gradcheck.numerical_gradients(net, X, Y)
        got, err = _call(fn, net.copy(), X, Y)
        finding = (
            _exception_finding(err)
            if err
            else _judge_backprop(got, net, X, Y, nWs, nbs)
        )
        cost = "cross-entropy" if loss == "cross_entropy" else "MSE"
        cases.append(
            Case(
                f"{'-'.join(map(str, sizes))} network ({hidden} hidden, {output} output, {cost}), m = {m}",
                finding,
            )
        )
        if finding.category == "not_implemented":
            break
    return _result(
        "the backpropagation algorithm, (dWs, dbs) for a whole network",
        cases,
    )


def _judge_backprop(got, net, X, Y, nWs, nbs):
    L, m = net.L, X.shape[1]
    if got is None:
        return Finding(
            "not_implemented",
            "Your function returned None: it has no return statement yet (not implemented yet?).",
        )
    if (
        not isinstance(got, (tuple, list))
        or len(got) != 2
        or any(not isinstance(g, (tuple, list)) or len(g) != L for g in got)
    ):
        return Finding(
            "type",
            f"Your function must return (dWs, dbs): two lists of L = {L} arrays each, W¹ first.",
        )
    dWs, dbs = got
    arrays = []
    for g in (*dWs, *dbs):
        arr, finding = _as_array(g)
        if finding:
            return finding
        arrays.append(arr)
    names = [f"∂C/∂W{sup(l)}" for l in range(1, L + 1)] + [
        f"∂C/∂b{sup(l)}" for l in range(1, L + 1)
    ]
    refs = [*nWs, *nbs]
    if all(a.shape == r.shape for a, r in zip(arrays, refs)):
        flat, ref_flat = (
            np.concatenate([a.ravel() for a in arrays]),
            np.concatenate([r.ravel() for r in refs]),
        )
        if (
            np.all(np.isfinite(flat))
            and gradcheck.relative_error(flat, ref_flat) < RTOL
        ):
            return Finding(
                "correct",
                f"Your gradients match finite differences (relative error "
                f"{gradcheck.relative_error(flat, ref_flat):.1e}).",
            )
        for category, flags, detail in _ALGORITHM_VARIANTS:
            try:
                with np.errstate(all="ignore"):
                    vWs, vbs = _variant_gradients(net, X, Y, **flags)
            except ValueError:
                continue  # this mistake cannot even run on these shapes
            if all(_close(a, v) for a, v in zip(arrays, [*vWs, *vbs])):
                return Finding(category, detail)
    # Otherwise name the first wrong gradient, from the output layer backwards.
    order = [i for l in range(L, 0, -1) for i in (l - 1, L + l - 1)]
    factors = _factors_m(
        m,
        "the 1/m of the batch mean (rules 3 and 4) is missing.",
        "it was divided by m twice.",
    ) + [_HALF, _TWICE]
    for i in order:
        finding = _judge(
            arrays[i],
            refs[i],
            factors=factors,
            transposed_detail="∂C/∂Wˡ must be shaped like Wˡ, (n_l, n_(l-1)).",
        )
        if finding.category != "correct":
            right = [names[j] for j in order[: order.index(i)]]
            where = f" ({', '.join(right)} right)" if right else ""
            finding.detail = finding.detail.replace(
                "Your result", f"Your {names[i]}{where}", 1
            )
            return finding
    return Finding("correct", "Your gradients match finite differences.")
