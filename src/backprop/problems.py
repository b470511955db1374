"""Practice problems that check the reader's numbers and name the mistake.

Five kinds, one per rule and one for the whole pass, all on a 2-2-2
network with sigmoid units and the squared-error cost:

    output_error     δ² = δᴸ from z², a², y           rule 1 (chapter 3)
    hidden_error     δ¹ from W², δ², z¹                rule 2 (chapter 4)
    bias_gradient    ∂C/∂b² over m = 2 examples        rules 1, 3 (chapter 5)
    weight_gradient  ∂C/∂Wˡ over m = 2 examples        rule 4 (chapter 6)
    backward         δ², ∂C/∂W², δ¹, ∂C/∂W¹ in turn    chapter 7

`draw(kind, seed)` draws a problem (weights, biases and inputs to one
decimal) from the hash generator that web/engine.js shares with
`explorers.host.uniforms`, so the page draws the same problem.
`answers(problem)` computes the right numbers with `backprop.rules`;
`mistake_answers(problem)` the numbers each classic mistake of chapter 9
gives on that very problem, by calling the catalogue's wrong gradient
functions (`backprop.mistakes`); `judge(problem, entries)` says whether
typed entries are right, which mistake they show, or which are wrong.
`show(kind, seed)` returns the widget: one view (web/problem.js) that the
package feeds in JupyterLab and that web/engine.js and web/mistakes.js
feed in the HTML book.

The page's contract (issue 17), for tests and readers' tools: the root
element carries `data-problem` (the kind) and `data-state`, the JSON of
`state(config, controls)`: `sizes`, `hidden`, `output`, `loss`, `weights`,
`biases` (lists of rows), `X`, `Y` (one example per column), `seed`,
`ask` = {"quantity": "delta" | "db" | "dW", "layer": l} (1-based; in a
backward pass the quantity asked now), the given values and, after a
check, `verdict`. Each answer field is an `input[data-entry="i,j"]`
(1-based row and column; a vector's are "i,1"); the buttons carry
`data-action="check"`, `"new"` (the next seed) and, in a backward pass
once a quantity is right, `"next"`. After a check the root carries
`data-verdict`: "correct", the id of the mistake recognised, "unknown" or
"invalid".
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import anywidget
import numpy as np
import traitlets

from . import losses, mistakes, rules
from .explorers.host import (
    book_mimebundle,
    booted,
    json_safe,
    summary_repr,
    uniforms,
    web_source,
)
from .network import MLP
from .text import sup

__all__ = [
    "KINDS",
    "TOLERANCE",
    "VARIANTS",
    "Problem",
    "draw",
    "answers",
    "mistake_answers",
    "judge",
    "state",
    "ProblemWidget",
    "show",
]

#: An entry counts as right within this fraction of the exact value (1 %):
#: a number given to 3 significant figures is within 0.5 %.
TOLERANCE = 0.01
#: Every problem's network: 2 inputs, 2 hidden units, 2 outputs.
SIZES = (2, 2, 2)
HIDDEN, OUTPUT, LOSS = "sigmoid", "sigmoid", "mse"
#: A problem is redrawn (next attempt) while an answer entry is this small.
SMALLEST = 1e-3
#: Attempts at a problem before the last one is kept as it is.
ATTEMPTS = 50
#: Seeds are unsigned 32-bit integers (the generator's).
SEEDS = 2**32

# The mistakes each asked quantity can show, given what the problem shows.
_OUTPUT = [
    "sign_flipped",
    "sigmoid_output_with_a_minus_y",
    "output_sigma_prime_of_activation",
    "cached_output_changed_in_place",
]
_HIDDEN = [
    "missing_transpose",
    "sigma_prime_of_activation",
    "hidden_error_without_sigma_prime",
]
_WEIGHT = [
    "row_convention_weight_gradient",
    "activation_for_the_layer_input",
]

#: kind -> m, the asked quantities [quantity, layer] (layer 0: drawn,
#: 1 or 2), the mistakes recognised for each, and the chapter.
KINDS = {
    "output_error": {
        "m": 1,
        "asks": [["delta", 2]],
        "mistakes": [_OUTPUT],
        "chapter": 3,
    },
    "hidden_error": {
        "m": 1,
        "asks": [["delta", 1]],
        "mistakes": [_HIDDEN],
        "chapter": 4,
    },
    "bias_gradient": {
        "m": 2,
        "asks": [["db", 2]],
        "mistakes": [
            _OUTPUT
            + ["bias_averaged_twice", "bias_gradient_without_1_over_m"]
        ],
        "chapter": 5,
    },
    "weight_gradient": {
        "m": 2,
        "asks": [["dW", 0]],
        "mistakes": [
            ["weight_gradient_without_1_over_m"]
            + _WEIGHT
            + ["output_error_in_first_layer"]
        ],
        "chapter": 6,
    },
    "backward": {
        "m": 1,
        "asks": [["delta", 2], ["dW", 2], ["delta", 1], ["dW", 1]],
        "mistakes": [
            _OUTPUT,
            _OUTPUT + _WEIGHT,
            _OUTPUT + _HIDDEN,
            _OUTPUT + _HIDDEN + _WEIGHT + ["output_error_in_first_layer"],
        ],
        "chapter": 7,
    },
}

#: The page that the mistakes' links point to (beside the chapters' pages).
MISTAKES_PAGE = "09_common_mistakes.html"


def anchor(key):
    """Return the HTML id of mistake key's section in chapter 9.

    The section is labelled (mistake-<key>)=; Sphinx writes the label's
    id with "-" for "_", as docutils ids have no underscores.
    """
    return "mistake-" + key.replace("_", "-")


@dataclass(frozen=True)
class Variant:
    """One way to get a quantity wrong: a mistake of the catalogue
    (bp.mistakes, chapter 9), by its key, and a sentence saying what the
    numbers show on this problem."""

    key: str
    message: str

    def __post_init__(self):
        mistakes.get(
            self.key
        )  # a clear error for a key not in the catalogue

    @property
    def id(self):
        """Return the verdict id: the catalogue's key."""
        return self.key

    @property
    def anchor(self):
        """Return the id of the mistake's section in chapter 9."""
        return anchor(self.key)

    @property
    def section(self):
        """Return the mistake's number in chapter 9 (its catalogue place)."""
        return list(mistakes.MISTAKES).index(self.key) + 1

    def function(self):
        """Return the catalogue's wrong gradient function (net, X, Y)."""
        return mistakes.MISTAKES[self.key].wrong


#: The mistakes the problems recognise, by their catalogue key (the verdict
#: id, and the label of their section of chapter 9).
VARIANTS = {
    v.key: v
    for v in [
        Variant(
            "sign_flipped",
            "Every sign is flipped: these numbers come from y − a where "
            "rule 1 has a − y.",
        ),
        Variant(
            "sigmoid_output_with_a_minus_y",
            "The factor σ′(z²) is left out: δ² = a − y holds for a softmax "
            "with the cross-entropy, not for a sigmoid output with the "
            "squared error.",
        ),
        Variant(
            "output_sigma_prime_of_activation",
            "σ′ is taken at a² instead of z²: σ′(z²) = a²(1 − a²), while "
            "σ′(a²) = σ(a²)(1 − σ(a²)) applies the sigmoid twice.",
        ),
        Variant(
            "cached_output_changed_in_place",
            "σ′ = a(1 − a) is taken from a − y instead of a: as if a² "
            "had been overwritten by a² − y before σ′ was computed.",
        ),
        Variant(
            "missing_transpose",
            "W² multiplies δ² where rule 2 has its transpose (W²)ᵀ.",
        ),
        Variant(
            "sigma_prime_of_activation",
            "σ′ is taken at a¹ instead of z¹ in rule 2.",
        ),
        Variant(
            "hidden_error_without_sigma_prime",
            "The factor σ′(z¹) is left out: rule 2 multiplies (W²)ᵀ δ² "
            "entry by entry by the hidden layer's slope σ′(z¹).",
        ),
        Variant(
            "bias_averaged_twice",
            "The 1/m is taken twice: ∂C/∂b is the mean of δ over the m "
            "examples, divided by m once.",
        ),
        Variant(
            "bias_gradient_without_1_over_m",
            "The 1/m is left out: ∂C/∂b is the mean of δ over the m "
            "examples, not their sum.",
        ),
        Variant(
            "weight_gradient_without_1_over_m",
            "The 1/m is left out: ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ / m is a mean over "
            "the m examples, not their sum.",
        ),
        Variant(
            "row_convention_weight_gradient",
            "The transpose is missing: these are aˡ⁻¹ (δˡ)ᵀ / m, the row "
            "convention's order, where the column convention has "
            "δˡ (aˡ⁻¹)ᵀ / m.",
        ),
        Variant(
            "activation_for_the_layer_input",
            "aˡ, the layer's output, stands where rule 4 takes aˡ⁻¹, "
            "its input.",
        ),
        Variant(
            "output_error_in_first_layer",
            "δ², the output layer's error, stands where ∂C/∂W¹ needs δ¹.",
        ),
    ]
}

_QUANTITY = {"delta": "δ", "db": "∂C/∂b", "dW": "∂C/∂W"}


def quantity_name(ask):
    """Return the symbol of an ask [quantity, layer], e.g. 'δ²' or '∂C/∂W¹'."""
    quantity, layer = ask
    return _QUANTITY[quantity] + sup(layer)


# -- drawing a problem -----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A drawn problem: the network, the batch and the quantities asked.

    weights[l - 1] is W^l (n_l, n_{l-1}) and biases[l - 1] is b^l (n_l, 1);
    X (2, m) and Y (2, m) hold one example per column; asks lists the
    [quantity, layer] asked in turn ("delta", "db" or "dW"; layer 1 or 2).
    """

    kind: str
    seed: int
    weights: tuple
    biases: tuple
    X: np.ndarray
    Y: np.ndarray
    asks: tuple
    attempt: int

    @property
    def m(self):
        """Return the number of examples m."""
        return self.X.shape[1]

    def network(self):
        """Return the MLP of this problem (a new one each call)."""
        net = MLP(list(SIZES), hidden=HIDDEN, output=OUTPUT, loss=LOSS)
        net.weights = [W.copy() for W in self.weights]
        net.biases = [b.copy() for b in self.biases]
        return net


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}; got {kind!r}")


def _check_seed(seed):
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or not 0 <= seed < SEEDS
    ):
        raise ValueError(
            f"seed must be an integer in [0, 2**32); got {seed!r}"
        )
    return int(seed)


def _tenths(seed, stream, n, scale, nonzero):
    """Return n numbers k/10, k an integer in [−scale, scale] (never 0 if nonzero).

    The same arithmetic as tenths() in web/problem.js, so the same bits.
    """
    t = uniforms(seed, stream, n) / np.sqrt(3.0)  # in (−1, 1)
    k = np.floor(t * scale + 0.5)
    if nonzero:
        k[k == 0] = 1.0
    return k / 10


def _attempt(kind, seed, a):
    """Return the problem of attempt a (streams 10a + 1 ... 10a + 7)."""
    spec, m = KINDS[kind], KINDS[kind]["m"]
    n0, n1, n2 = SIZES
    weights, biases = [], []
    for l, (rows, cols) in enumerate([(n1, n0), (n2, n1)], start=1):
        W = _tenths(seed, 10 * a + l, rows * cols, 10, True)
        weights.append(W.reshape(rows, cols))  # row by row
        biases.append(
            _tenths(seed, 10 * a + 2 + l, rows, 5, False).reshape(rows, 1)
        )
    X = _tenths(seed, 10 * a + 5, n0 * m, 10, True).reshape(n0, m)
    # one-hot targets: the class of each example from one uniform
    t = uniforms(seed, 10 * a + 6, m) / np.sqrt(3.0)
    Y = np.zeros((n2, m))
    for j, tj in enumerate(t):
        Y[min(int(math.floor((tj + 1) / 2 * n2)), n2 - 1), j] = 1.0
    t_layer = uniforms(seed, 10 * a + 7, 1)[0] / np.sqrt(3.0)
    drawn = 1 if t_layer < 0 else 2
    asks = tuple(
        (q, layer if layer else drawn) for q, layer in spec["asks"]
    )
    return Problem(kind, seed, tuple(weights), tuple(biases), X, Y, asks, a)


def draw(kind, seed):
    """Return the Problem of kind drawn from seed (the page draws the same).

    Attempts follow one another until every entry of every answer is at
    least SMALLEST in size (so that 1 % of it is more than rounding) and
    W² is not symmetric (else W² δ² = (W²)ᵀ δ² hides a missing transpose).
    """
    _check_kind(kind)
    seed = _check_seed(seed)
    for a in range(ATTEMPTS):
        problem = _attempt(kind, seed, a)
        W2 = problem.weights[1]
        if W2[0, 1] != W2[1, 0] and all(
            np.all(np.abs(v) >= SMALLEST) for v in answers(problem)
        ):
            return problem
    return problem


# -- the right numbers and the mistakes' numbers ---------------------------------


def backward_values(problem):
    """Return {z1, a1, z2, a2, delta1, delta2, dW1, dW2, db1, db2}: the
    forward pass (chapter 1) and the four rules (chapters 3 to 6)."""
    net = problem.network()
    cache = net.forward(problem.X, return_cache=True)
    z, a = cache.z, cache.a
    W2 = net.weights[1]
    grad_a = losses.mse_grad(a[2], problem.Y)
    delta2 = rules.output_error(grad_a, net.output.prime(z[2]))  # rule 1
    delta1 = rules.hidden_error(W2, delta2, net.hidden.prime(z[1]))  # 2
    return {
        "z1": z[1],
        "a1": a[1],
        "z2": z[2],
        "a2": a[2],
        "delta1": delta1,
        "delta2": delta2,
        "db1": rules.bias_gradient(delta1),  # rule 3
        "db2": rules.bias_gradient(delta2),
        "dW1": rules.weight_gradient(delta1, a[0]),  # rule 4
        "dW2": rules.weight_gradient(delta2, a[1]),
    }


def _pick(ask, dWs, dbs, m):
    """Return the asked quantity from a gradient function's (dWs, dbs)."""
    quantity, layer = ask
    if quantity == "dW":
        return dWs[layer - 1]
    if quantity == "delta" and m != 1:
        raise ValueError("δ is read from ∂C/∂b only for m = 1")
    # with m = 1 the bias gradient, the mean of δ's one column, is δ
    return np.reshape(dbs[layer - 1], (-1, 1))


def answers(problem):
    """Return the right answer of each ask, in order (arrays), by the rules (chapters 3-6)."""
    values = backward_values(problem)
    names = {"delta": "delta", "db": "db", "dW": "dW"}
    return [values[f"{names[q]}{layer}"] for q, layer in problem.asks]


#: Mistakes that change one quantity only: key -> that [quantity, layer].
ONLY = {"output_error_in_first_layer": ["dW", 1]}


def recognised(problem):
    """Return, for each ask, the keys of VARIANTS it recognises (KINDS, ONLY)."""
    lists = KINDS[problem.kind]["mistakes"]
    return [
        [k for k in keys if ONLY.get(k, list(ask)) == list(ask)]
        for ask, keys in zip(problem.asks, lists)
    ]


def mistake_answers(problem):
    """Return, for each ask, {variant key: the numbers that mistake gives},
    each computed by the catalogue's wrong gradient function (chapter 9).

    With m = 1 a δ is read from the mistake's bias gradient (the mean of
    one column is the column); ∂C/∂b and ∂C/∂W are read directly.
    """
    net = problem.network()
    out = []
    cache = {}
    for ask, keys in zip(problem.asks, recognised(problem)):
        numbers = {}
        for key in keys:
            if key not in cache:
                fn = VARIANTS[key].function()
                cache[key] = fn(net, problem.X, problem.Y)
            numbers[key] = _pick(ask, *cache[key], problem.m)
        out.append(numbers)
    return out


# -- judging typed entries --------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_entry(text):
    """Return the number typed (a real minus '−' and a comma are allowed), or None."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    s = text.strip().replace("\u2212", "-").replace(",", ".")
    if not _NUMBER.match(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def close(x, v):
    """Return True when x is within TOLERANCE of v (relative)."""
    return abs(x - v) <= TOLERANCE * abs(v) + 1e-12


def entry_keys(shape):
    """Return the data-entry keys "i,j" (1-based) of a matrix of shape, row by row."""
    rows, cols = shape
    return [f"{i + 1},{j + 1}" for i in range(rows) for j in range(cols)]


def _listing(keys):
    items = [f"({k})" for k in keys]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def judge(problem, entries, step=0):
    """Return the verdict on entries {"i,j": text} for ask number step.

    The verdict dict holds `verdict` ("correct", a mistake's id, "unknown"
    or "invalid"), `message` (one sentence or two), `wrong` (the keys of
    the wrong entries), and for a mistake `variant`, `anchor` (the id of its
    section of chapter 9) and `section` (its number there).
    """
    ask = problem.asks[step]
    right = answers(problem)[step]
    name = quantity_name(ask)
    keys = entry_keys(right.shape)
    typed, invalid = {}, []
    for key in keys:
        value = parse_entry(entries.get(key, ""))
        if value is None:
            invalid.append(key)
        else:
            typed[key] = value
    if invalid:
        key = invalid[0]
        text = str(entries.get(key, "")).strip()
        what = "is empty" if not text else f"is not a number (“{text}”)"
        rest = invalid[1:]
        more = ""
        if rest:
            more = (
                f" Entry {_listing(rest)} needs a number too."
                if len(rest) == 1
                else f" Entries {_listing(rest)} need numbers too."
            )
        return {
            "verdict": "invalid",
            "message": f"Entry ({key}) of {name} {what}. Type a decimal "
            f"number such as −0.0123 or 1.5e-3.{more}",
            "wrong": invalid,
        }

    def matches(values):
        flat = np.ravel(values)
        return all(close(typed[k], v) for k, v in zip(keys, flat))

    if matches(right):
        return {
            "verdict": "correct",
            "message": f"Correct: every entry of {name} is within 1 % "
            "of the exact value.",
            "wrong": [],
        }
    for key, values in mistake_answers(problem)[step].items():
        if matches(values):
            v = VARIANTS[key]
            return {
                "verdict": v.id,
                "message": f"Not yet. {v.message}",
                "wrong": [
                    k
                    for k, x in zip(keys, np.ravel(right))
                    if not close(typed[k], x)
                ],
                "variant": key,
                "anchor": v.anchor,
                "section": v.section,
            }
    wrong = [
        k for k, x in zip(keys, np.ravel(right)) if not close(typed[k], x)
    ]
    ok = [k for k in keys if k not in wrong]
    rest = (
        f"; {_listing(ok)} {'is' if len(ok) == 1 else 'are'} right"
        if ok
        else ""
    )
    return {
        "verdict": "unknown",
        "message": f"{'Entry' if len(wrong) == 1 else 'Entries'} "
        f"{_listing(wrong)} of {name} {'is' if len(wrong) == 1 else 'are'} "
        f"not right{rest}. The numbers match none of the common mistakes "
        "this problem knows.",
        "wrong": wrong,
    }


# -- what the view shows -----------------------------------------------------------

#: kind -> the given values shown, (label, key of backward_values or of
#: the network: W1, b1, W2, b2, X, Y).
GIVEN = {
    "output_error": [("z²", "z2"), ("a²", "a2"), ("y", "Y")],
    "hidden_error": [("W²", "W2"), ("δ²", "delta2"), ("z¹", "z1")],
    "bias_gradient": [("z²", "z2"), ("a²", "a2"), ("y", "Y")],
    "weight_gradient": [
        ("a⁰ = x", "X"),
        ("a¹", "a1"),
        ("a²", "a2"),
        ("δ¹", "delta1"),
        ("δ²", "delta2"),
    ],
    "backward": [
        ("W¹", "W1"),
        ("b¹", "b1"),
        ("W²", "W2"),
        ("b²", "b2"),
        ("x", "X"),
        ("y", "Y"),
        ("z¹", "z1"),
        ("a¹", "a1"),
        ("z²", "z2"),
        ("a²", "a2"),
    ],
}

#: kind -> the task, sentence by sentence; {name} is the asked quantity.
PROMPTS = {
    "output_error": "One example x with a one-hot target y went through "
    "the network; the forward pass gave z² and a². Compute the output "
    "error {name} (rule 1, chapter 3).",
    "hidden_error": "One example; the output error δ² and the hidden "
    "layer's z¹ are given. Compute the hidden error {name} (rule 2, "
    "chapter 4).",
    "bias_gradient": "A batch of m = 2 examples, one per column, with "
    "one-hot targets y; the forward pass gave z² and a². Compute {name}, "
    "the gradient of the batch's mean cost (rules 1 and 3, chapters 3 "
    "and 5).",
    "weight_gradient": "A batch of m = 2 examples, one per column, with "
    "the activations a⁰ = x, a¹, a² and the errors δ¹, δ² of each. "
    "Compute {name}, the gradient of the batch's mean cost (rule 4, "
    "chapter 6).",
    "backward": "One example x with a one-hot target y; the forward pass "
    "is done. Work backwards, one quantity at a time: compute {name}.",
}

NETWORK_TEXT = (
    "The network is 2-2-2 with sigmoid units in both layers and the "
    "squared-error cost Cₓ = ½‖a² − y‖², averaged over the m examples."
)
PRECISION_TEXT = (
    "Give each entry to 3 significant figures or more (keep 5 in the "
    "steps): an entry counts as right within 1 % of the exact value."
)


def config(kind):
    """Return the view's config of kind: JSON-safe, the same in both hosts."""
    _check_kind(kind)
    spec = KINDS[kind]
    return {
        "kind": kind,
        "sizes": list(SIZES),
        "hidden": HIDDEN,
        "output": OUTPUT,
        "loss": LOSS,
        "m": spec["m"],
        "asks": spec["asks"],
        "mistakes": spec["mistakes"],
        "only": ONLY,
        "variants": {
            key: {"id": v.id, "message": v.message, "section": v.section}
            for key, v in VARIANTS.items()
        },
        "given": [list(g) for g in GIVEN[kind]],
        "prompt": PROMPTS[kind],
        "network_text": NETWORK_TEXT,
        "precision_text": PRECISION_TEXT,
        "tolerance": TOLERANCE,
        "smallest": SMALLEST,
        "attempts": ATTEMPTS,
        "mistakes_page": MISTAKES_PAGE,
    }


def default_controls(seed=0):
    """Return the controls of a fresh problem: seed, first step, nothing typed."""
    return {
        "seed": _check_seed(seed),
        "step": 0,
        "entries": {},
        "checked": False,
    }


def _values(problem):
    """Return the network's and the backward pass's values by key (W1, z2, ...)."""
    values = backward_values(problem)
    for l in (1, 2):
        values[f"W{l}"] = problem.weights[l - 1]
        values[f"b{l}"] = problem.biases[l - 1]
    values["X"], values["Y"] = problem.X, problem.Y
    return values


def state(config, controls):
    """Return what the view shows at controls {seed, step, entries, checked}
    (JSON-safe): the problem in the contract's keys, the given values and,
    after a check, the verdict."""
    kind = config["kind"]
    problem = draw(kind, int(controls["seed"]))
    step = int(controls["step"])
    if not 0 <= step < len(problem.asks):
        raise ValueError(
            f"step must be in [0, {len(problem.asks)}); got {step!r}"
        )
    values = _values(problem)
    ask = problem.asks[step]
    right = answers(problem)
    given = [
        {"label": label, "values": values[key]}
        for label, key in config["given"]
    ]
    # the backward pass shows what the reader has already solved
    given += [
        {"label": quantity_name(problem.asks[s]), "values": right[s]}
        for s in range(step)
    ]
    out = {
        "kind": kind,
        "sizes": list(SIZES),
        "hidden": HIDDEN,
        "output": OUTPUT,
        "loss": LOSS,
        "weights": list(problem.weights),
        "biases": list(problem.biases),
        "X": problem.X,
        "Y": problem.Y,
        "m": problem.m,
        "seed": problem.seed,
        "step": step,
        "steps": len(problem.asks),
        "ask": {"quantity": ask[0], "layer": ask[1]},
        "name": quantity_name(ask),
        "shape": list(right[step].shape),
        "given": given,
        "entries": {k: str(v) for k, v in controls["entries"].items()},
        "checked": bool(controls["checked"]),
    }
    if controls["checked"]:
        out["verdict"] = judge(problem, controls["entries"], step)
    return json_safe(out)


# -- the two hosts -----------------------------------------------------------------

NO_JS = (
    "Checking your answer needs JavaScript, which is turned off in this "
    "browser; the numbers above let you work the problem on paper."
)


def module_source():
    """Return the widget's ES module: engine, ui, mistakes and the problem view."""
    return "\n".join(
        [
            web_source("engine.js"),
            web_source("ui.js"),
            web_source("mistakes.js"),
            web_source("problem.js"),
            "export default { render };",
        ]
    )


def _matrix_text(values):
    rows = [
        "  ".join(f"{v:.5g}".replace("-", "−") for v in row)
        for row in values
    ]
    return " ; ".join(rows)


def fallback_html(config, state):
    """Return the problem as static HTML (what shows without JavaScript)."""
    items = "".join(
        f"<li>{html.escape(g['label'])} = [{html.escape(_matrix_text(g['values']))}]</li>"
        for g in state["given"]
    )
    prompt = config["prompt"].replace("{name}", state["name"])
    return (
        f"<p>{html.escape(config['network_text'])} "
        f"{html.escape(prompt)}</p><ul>{items}</ul>"
    )


def book_html(config, controls, state):
    """Return the book's HTML of one problem: root, fallback, inline module.

    The same shape as the explorers' (explorers.host.book_html), with
    data-problem in place of data-explorer and web/mistakes.js added.
    """
    key, state_attr, data, module = booted(
        "problem", ["mistakes.js", "problem.js"], config, controls, state
    )
    kind = html.escape(config["kind"])
    return (
        f"<style>{web_source('problem.css')}</style>\n"
        f'<div class="bp-problem" data-problem="{kind}" '
        f'data-bp-key="{key}" data-state="{state_attr}">\n'
        f"{data}"
        f'<div class="bp-fallback">{fallback_html(config, state)}'
        f'<noscript><p class="bp-note">{html.escape(NO_JS)}</p></noscript>'
        "</div>\n</div>\n"
        f"{module}"
    )


class ProblemWidget(anywidget.AnyWidget):
    """A problem: a live anywidget in JupyterLab, inline HTML in the book.

    The view (web/problem.js) sets `controls` (seed, step, the typed
    entries, checked); Python answers with `state(config, controls)`,
    judged with the package.
    """

    _esm = module_source()
    _css = web_source("problem.css")
    config = traitlets.Dict().tag(sync=True)
    controls = traitlets.Dict().tag(sync=True)
    state = traitlets.Dict().tag(sync=True)

    def __init__(self, kind, seed=0):
        """Start on the problem of kind drawn from seed."""
        cfg = config(kind)
        controls = default_controls(seed)
        super().__init__(
            config=cfg, controls=controls, state=state(cfg, controls)
        )
        self.observe(self._on_controls, names="controls")

    def _on_controls(self, change):
        self.state = state(self.config, change["new"])

    @property
    def problem(self):
        """Return the Problem shown now."""
        return draw(self.config["kind"], self.controls["seed"])

    def check(self, entries):
        """Type entries {"i,j": text} and check them (as the view does); return the verdict."""
        self.controls = {
            **self.controls,
            "entries": dict(entries),
            "checked": True,
        }
        return self.state["verdict"]

    def summary(self):
        """Return one line of plain text saying what the problem asks."""
        s = self.state
        return (
            f"Practice problem ({s['kind']}, seed {s['seed']}): "
            f"compute {s['name']}"
        )

    def book_html(self):
        """Return the book's text/html view of the current problem."""
        return book_html(self.config, self.controls, self.state)

    _repr_mimebundle_ = book_mimebundle
    __repr__ = summary_repr


def show(kind, seed=0):
    """Return the practice problem of kind drawn from seed (a widget)."""
    return ProblemWidget(kind, seed)
