"""Whole-network explorer: every z, a and δ of a small network (chapter 7).

A network of up to MAX_LAYERS layers of at most MAX_UNITS units (2-3-2 by
default) and one example x with its target y. Every weight, bias, input and
target can be changed; the explorer shows z^l, a^l and δ^l at every unit,
∂C/∂w on every edge and ∂C/∂b on every unit, the cost C, and, for the
selected quantity, the chain of the four rules that produces its gradient.

Two layers, as for every explorer built on `backprop.explorers.host`:

- `state(config, controls)`: pure, computed with the package (`MLP.forward`
  and `MLP.backward`, that is, the four functions of `backprop.rules`);
  JSON-safe, no NaN, inf or None. The view in `web/network.js` computes the
  same dictionary with the in-page engine, and the tests compare the two;
- `show(...)`: the explorer, a widget in JupyterLab and a live page in the
  book.

Indices are those of the text and 1-based: the selection
``{"kind": "w", "l": 2, "j": 1, "k": 3}`` is w^2_{13}, row 1 and column 3 of
W^2 (``controls["weights"][1][0][2]`` in Python). The lists ``z``, ``a``,
``dsigma`` and ``delta`` of the state are padded like `ForwardCache`, so that
entry l is layer l: ``a[0]`` is x, and ``z[0]``, ``dsigma[0]`` and
``delta[0]`` are empty lists (JSON has no None to spare). The control
``resize_layer`` (0..L) is the layer whose width the view's "units" control
sets; the drawing frames it.
"""

import copy

import numpy as np

from .. import losses
from ..network import MLP
from .host import Explorer
from .output_error import PAIRINGS as OE_PAIRINGS

__all__ = [
    "MAX_LAYERS",
    "MAX_UNITS",
    "HIDDEN",
    "PAIRINGS",
    "VALUE_RANGE",
    "INPUT_RANGE",
    "TARGET_RANGE",
    "config",
    "default_controls",
    "fill_value",
    "resize",
    "check_controls",
    "state",
    "random_controls",
    "extreme_controls",
    "NetworkExplorer",
    "EXPLORER",
    "show",
]

#: At most this many layers with weights (L), each of at most MAX_UNITS units.
MAX_LAYERS = 4
MAX_UNITS = 5
#: The hidden activations the reader can choose.
HIDDEN = ("sigmoid", "tanh", "relu", "identity")
#: The output activation and cost pairings: name -> (output, loss).
#: (the output-error explorer's table, chapter 3, less tanh).
PAIRINGS = {
    k: OE_PAIRINGS[k] for k in ("identity_mse", "sigmoid_mse", "softmax_ce")
}
#: The slider ranges of weights and biases, of inputs, and of MSE targets.
VALUE_RANGE = (-4.0, 4.0)
INPUT_RANGE = (-3.0, 3.0)
TARGET_RANGE = (-2.0, 2.0)
KINDS = ("w", "b", "x", "y")


def config():
    """Return the explorer's static configuration (ranges and choices)."""
    return {
        "max_layers": MAX_LAYERS,
        "max_units": MAX_UNITS,
        "hidden_choices": list(HIDDEN),
        "pairings": {
            k: list(v) for k, v in PAIRINGS.items()
        },  # out, loss, label
        "value_range": list(VALUE_RANGE),
        "input_range": list(INPUT_RANGE),
        "target_range": list(TARGET_RANGE),
    }


def fill_value(kind, l, j, k=0):
    """Return the value a new entry gets when the network grows (1-based l, j, k).

    kind "w" (w^l_{jk}), "b" (b^l_j), "x" (x_j) or "y" (y_j). Only integer
    arithmetic and one division, so the view's JavaScript (network.js,
    fillValue) gives the very same float64.
    """
    if kind == "w":
        return ((7 * l + 3 * j + 5 * k) % 11 - 5) / 6
    if kind == "b":
        return ((3 * l + 5 * j) % 7 - 3) / 10
    if kind == "x":
        return ((4 * j) % 5 - 2) / 2
    return ((2 * j) % 3 - 1) / 2


def default_controls(sizes=(2, 3, 2), hidden="sigmoid", pairing=None):
    """Return the controls of a fresh explorer: weights from MLP(sizes, seed=0)."""
    pairing = pairing or "sigmoid_mse"
    _check_choice("pairing", pairing, list(PAIRINGS))
    output, loss, _ = PAIRINGS[pairing]
    sizes = _check_sizes(sizes)
    net = MLP(sizes, hidden=hidden, output=output, loss=loss, seed=0)
    rng = np.random.default_rng(1)
    X = rng.normal(0.0, 1.0, size=(sizes[0], 1)).round(2)
    if loss == "cross_entropy":
        Y = np.zeros((sizes[-1], 1))
        Y[0, 0] = 1.0
    else:
        Y = rng.uniform(0.0, 1.0, size=(sizes[-1], 1)).round(2)
    return {
        "sizes": list(sizes),
        "hidden": hidden,
        "pairing": pairing,
        "weights": [W.round(2).tolist() for W in net.weights],
        "biases": [
            rng.normal(0.0, 0.3, size=b.shape).round(2).tolist()
            for b in net.biases
        ],
        "X": X.tolist(),
        "Y": Y.tolist(),
        "selected": {"kind": "w", "l": len(sizes) - 1, "j": 1, "k": 1},
        "resize_layer": 0,
    }


def resize(controls, sizes):
    """Return controls for a network of `sizes`: entries that still exist keep their values.

    New entries get fill_value; a cross-entropy target becomes one-hot on
    class 1 if its class no longer exists; the selection moves to w^L_11 if
    it no longer exists.
    """
    sizes = _check_sizes(sizes)
    new = copy.deepcopy(controls)
    old_W, old_b = controls["weights"], controls["biases"]

    def old(M, l, r, c):
        ok = l - 1 < len(M) and r < len(M[l - 1]) and c < len(M[l - 1][r])
        return M[l - 1][r][c] if ok else None

    L = len(sizes) - 1
    new["weights"] = [
        [
            [
                _first(
                    old(old_W, l, j, k), fill_value("w", l, j + 1, k + 1)
                )
                for k in range(sizes[l - 1])
            ]
            for j in range(sizes[l])
        ]
        for l in range(1, L + 1)
    ]
    new["biases"] = [
        [
            [_first(old(old_b, l, j, 0), fill_value("b", l, j + 1))]
            for j in range(sizes[l])
        ]
        for l in range(1, L + 1)
    ]
    X, Y = controls["X"], controls["Y"]
    new["X"] = [
        [X[j][0] if j < len(X) else fill_value("x", 0, j + 1)]
        for j in range(sizes[0])
    ]
    if PAIRINGS[controls["pairing"]][1] == "cross_entropy":
        cls = _target_class(Y)
        cls = cls if cls < sizes[-1] else 0
        new["Y"] = [[1.0 if j == cls else 0.0] for j in range(sizes[-1])]
    else:
        new["Y"] = [
            [Y[j][0] if j < len(Y) else fill_value("y", 0, j + 1)]
            for j in range(sizes[-1])
        ]
    new["sizes"] = list(sizes)
    new["resize_layer"] = min(controls["resize_layer"], L)
    if not _selection_exists(sizes, controls["selected"]):
        new["selected"] = {"kind": "w", "l": L, "j": 1, "k": 1}
    return new


def _first(value, fallback):
    return fallback if value is None else value


def _target_class(Y):
    # The first largest entry, as the view reads a one-hot column.
    col = [row[0] for row in Y]
    return col.index(max(col))


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(
            f"sizes must be a list of layer widths [n0, ..., nL]; got {sizes!r}"
        )
    sizes = list(sizes)
    if not 2 <= len(sizes) <= MAX_LAYERS + 1:
        raise ValueError(
            f"sizes must list 2 to {MAX_LAYERS + 1} layer widths "
            f"(1 to {MAX_LAYERS} layers with weights); got {sizes!r}"
        )
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(
                f"every layer width must be an int; got {n!r} in {sizes!r}"
            )
        if not 1 <= n <= MAX_UNITS:
            raise ValueError(
                f"every layer width must be in 1..{MAX_UNITS}; got {sizes!r}"
            )
    return [int(n) for n in sizes]


def _selection_exists(sizes, sel):
    L = len(sizes) - 1
    kind, l, j, k = sel["kind"], sel.get("l", 0), sel["j"], sel.get("k", 0)
    if kind == "x":
        return 1 <= j <= sizes[0]
    if kind == "y":
        return 1 <= j <= sizes[L]
    if not 1 <= l <= L or not 1 <= j <= sizes[l]:
        return False
    return kind == "b" or 1 <= k <= sizes[l - 1]


def check_controls(controls):
    """Return a checked copy of controls, or raise a ValueError/TypeError naming the problem."""
    if not isinstance(controls, dict):
        raise TypeError(
            f"controls must be a dict; got {type(controls).__name__}"
        )
    missing = {
        "sizes",
        "hidden",
        "pairing",
        "weights",
        "biases",
        "X",
        "Y",
        "selected",
        "resize_layer",
    } - set(controls)
    if missing:
        raise ValueError(f"controls lack {sorted(missing)}")
    sizes = _check_sizes(controls["sizes"])
    _check_choice("hidden", controls["hidden"], list(HIDDEN))
    _check_choice("pairing", controls["pairing"], list(PAIRINGS))
    L = len(sizes) - 1
    for name, arrays, shape in (
        (
            "weights",
            controls["weights"],
            lambda l: (sizes[l], sizes[l - 1]),
        ),
        ("biases", controls["biases"], lambda l: (sizes[l], 1)),
    ):
        if not isinstance(arrays, list) or len(arrays) != L:
            raise ValueError(
                f"{name} must be a list of {L} matrices for sizes {sizes}"
            )
        for l, M in enumerate(arrays, start=1):
            _check_matrix(f"{name}[{l - 1}] (layer {l})", M, shape(l))
    _check_matrix("X", controls["X"], (sizes[0], 1))
    _check_matrix("Y", controls["Y"], (sizes[-1], 1))
    r = controls["resize_layer"]
    if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r <= L:
        raise ValueError(
            f"resize_layer must be an int in 0..{L} (the layer whose width "
            f"the units control sets); got {r!r}"
        )
    sel = controls["selected"]
    if not isinstance(sel, dict) or sel.get("kind") not in KINDS:
        raise ValueError(
            "selected must be a dict with kind 'w', 'b', 'x' or 'y' and "
            f"1-based indices l, j (and k for a weight); got {sel!r}"
        )
    try:
        exists = _selection_exists(sizes, sel)
    except (KeyError, TypeError):
        exists = False
    if not exists:
        raise ValueError(
            f"selected {sel!r} is not an entry of the network {sizes}"
        )
    return copy.deepcopy(controls)


def _check_matrix(name, M, shape):
    try:
        arr = np.asarray(M, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a list of rows of numbers, shape {shape}"
        ) from None
    if arr.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape} (one example per column); "
            f"got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers; got {M!r}")
    return arr


def _rows(M):
    return np.asarray(M, dtype=np.float64).tolist()


def state(config, controls):
    """Return everything the explorer shows, computed with the package.

    config: from config() (unused but for the view's ranges); controls: the
    dict of default_controls() or resize(). The network gets exactly the
    weights, biases, x and y of controls (m = 1 example).
    """
    c = check_controls(controls)
    sizes, L = c["sizes"], len(c["sizes"]) - 1
    output, loss, _ = PAIRINGS[c["pairing"]]
    net = MLP(sizes, hidden=c["hidden"], output=output, loss=loss)
    net.weights = [np.array(W, dtype=np.float64) for W in c["weights"]]
    net.biases = [np.array(b, dtype=np.float64) for b in c["biases"]]
    X = np.array(c["X"], dtype=np.float64)
    Y = net.check_Y(np.array(c["Y"], dtype=np.float64), 1)
    cache = net.forward(X, return_cache=True)
    dWs, dbs, deltas = net.backward(cache, Y)
    # σ'(z^l) of every layer; the softmax output has none (rule 1 takes
    # the form δ^L = a^L − y there).
    dsigma = [[]] + [
        _rows(net.activation(l).prime(cache.z[l]))
        if net.activation(l).prime is not None
        else []
        for l in range(1, L + 1)
    ]
    s = {
        "sizes": sizes,
        "hidden": c["hidden"],
        "output": output,
        "loss": loss,
        "pairing": c["pairing"],
        "weights": _rows_list(net.weights),
        "biases": _rows_list(net.biases),
        "X": _rows(X),
        "Y": _rows(Y),
        "selected": c["selected"],
        "resize_layer": c["resize_layer"],
        "z": [[]] + _rows_list(cache.z[1:]),
        "a": _rows_list(cache.a),
        "dsigma": dsigma,
        "delta": [[]] + _rows_list(deltas[1:]),
        "C": float(net._loss(cache, Y)),
        "dW": _rows_list(dWs),
        "db": _rows_list(dbs),
    }
    s["grad"], s["chain"] = _chain(s, net)
    return s


def _rows_list(arrays):
    return [_rows(M) for M in arrays]


def _chain(s, net):
    """Return (gradient of the selected entry, the steps of the rules that give it)."""
    sel, sizes = s["selected"], s["sizes"]
    L = len(sizes) - 1
    kind, j = sel["kind"], sel["j"]
    # 0-based indices below: row j - 1 is unit j of the text.
    if kind == "y":
        # Not a rule: C depends on y directly (mse: ½(a − y)², so ∂C/∂y = y − a;
        # cross-entropy: −Σ y ln a, so ∂C/∂y_j = −ln a_j).
        if s["loss"] == "cross_entropy":
            z = np.array(s["z"][L])
            grad = -losses.log_softmax(z)[j - 1, 0]
        else:
            grad = s["Y"][j - 1][0] - s["a"][L][j - 1][0]
        return float(grad), []
    lowest = 1 if kind == "x" else sel["l"]
    steps = []
    # Rule 1 at every output unit (only unit j when the selection is in layer L).
    for i in range(sizes[L]) if lowest < L or kind == "x" else [j - 1]:
        step = {
            "rule": 1,
            "l": L,
            "j": i + 1,
            "a": s["a"][L][i][0],
            "y": s["Y"][i][0],
            "value": s["delta"][L][i][0],
        }
        if s["dsigma"][L]:
            step["dsigma"] = s["dsigma"][L][i][0]
        steps.append(step)
    # Rule 2 from layer L − 1 down to the selection's layer: every unit on
    # the way, only unit j in the selection's own layer.
    for l in range(L - 1, lowest - 1, -1):
        units = [j - 1] if l == lowest and kind != "x" else range(sizes[l])
        for i in units:
            W_next, d_next = s["weights"][l], s["delta"][l + 1]  # W^{l+1}
            terms = [
                [W_next[r][i], d_next[r][0]] for r in range(sizes[l + 1])
            ]
            steps.append(
                {
                    "rule": 2,
                    "l": l,
                    "j": i + 1,
                    "terms": terms,
                    "dsigma": s["dsigma"][l][i][0],
                    "value": s["delta"][l][i][0],
                }
            )
    if kind == "x":
        # ∂C/∂x = (W^1)ᵀ δ^1: rule 2 without a σ' factor (x has no activation).
        W1 = np.array(s["weights"][0])
        grad = float((W1.T @ np.array(s["delta"][1]))[j - 1, 0])
        terms = [
            [s["weights"][0][r][j - 1], s["delta"][1][r][0]]
            for r in range(sizes[1])
        ]
        steps.append(
            {"rule": 0, "l": 0, "j": j, "terms": terms, "value": grad}
        )
        return grad, steps
    l = sel["l"]
    if kind == "b":
        grad = s["db"][l - 1][j - 1][0]
        steps.append({"rule": 3, "l": l, "j": j, "value": grad})
    else:
        k = sel["k"]
        grad = s["dW"][l - 1][j - 1][k - 1]
        steps.append(
            {
                "rule": 4,
                "l": l,
                "j": j,
                "k": k,
                "delta": s["delta"][l][j - 1][0],
                "a_prev": s["a"][l - 1][k - 1][0],
                "value": grad,
            }
        )
    return float(grad), steps


def random_controls(rng):
    """Return controls at a random setting: shape, activation, pairing, every number, selection."""
    L = int(rng.integers(1, MAX_LAYERS + 1))
    sizes = [int(n) for n in rng.integers(1, MAX_UNITS + 1, size=L + 1)]
    pairing = list(PAIRINGS)[rng.integers(len(PAIRINGS))]
    hidden = HIDDEN[rng.integers(len(HIDDEN))]

    def uniform(lo_hi, shape):
        return rng.uniform(*lo_hi, size=shape).tolist()

    if PAIRINGS[pairing][1] == "cross_entropy":
        Y = np.zeros((sizes[-1], 1))
        Y[rng.integers(sizes[-1]), 0] = 1.0
        Y = Y.tolist()
    else:
        Y = uniform(TARGET_RANGE, (sizes[-1], 1))
    controls = {
        "sizes": sizes,
        "hidden": hidden,
        "pairing": pairing,
        "weights": [
            uniform(VALUE_RANGE, (sizes[l], sizes[l - 1]))
            for l in range(1, L + 1)
        ],
        "biases": [
            uniform(VALUE_RANGE, (sizes[l], 1)) for l in range(1, L + 1)
        ],
        "X": uniform(INPUT_RANGE, (sizes[0], 1)),
        "Y": Y,
    }
    kind = KINDS[rng.integers(3 if pairing.startswith("softmax") else 4)]
    l = int(rng.integers(1, L + 1))
    if kind == "w":
        sel = {
            "kind": "w",
            "l": l,
            "j": int(rng.integers(1, sizes[l] + 1)),
            "k": int(rng.integers(1, sizes[l - 1] + 1)),
        }
    elif kind == "b":
        sel = {"kind": "b", "l": l, "j": int(rng.integers(1, sizes[l] + 1))}
    else:
        n = sizes[0] if kind == "x" else sizes[-1]
        sel = {"kind": kind, "j": int(rng.integers(1, n + 1))}
    controls["selected"] = sel
    controls["resize_layer"] = int(rng.integers(0, L + 1))
    return controls


def extreme_controls():
    """Return settings at the extremes: the smallest and largest networks, every number at an end of its range."""
    out = []
    for sizes in ([MAX_UNITS] * (MAX_LAYERS + 1), [5, 1, 5, 1, 5], [1, 1]):
        L = len(sizes) - 1
        for hidden in HIDDEN:
            for pairing, (_, loss, _) in PAIRINGS.items():
                for sign in (1.0, -1.0):
                    c = default_controls([2, 2], hidden, pairing)
                    c = resize(c, sizes)

                    def fill(M, v):
                        return [[v for _ in row] for row in M]

                    # Alternate signs by layer so the extremes saturate
                    # some units and not others.
                    c["weights"] = [
                        fill(W, sign * VALUE_RANGE[1] * (-1) ** l)
                        for l, W in enumerate(c["weights"])
                    ]
                    c["biases"] = [
                        fill(b, sign * VALUE_RANGE[0]) for b in c["biases"]
                    ]
                    c["X"] = fill(c["X"], sign * INPUT_RANGE[1])
                    if loss == "mse":
                        c["Y"] = fill(c["Y"], -sign * TARGET_RANGE[1])
                        c["selected"] = {"kind": "y", "j": sizes[-1]}
                    else:
                        c["selected"] = {"kind": "x", "j": sizes[0]}
                    out.append(c)
                    c = copy.deepcopy(c)
                    c["selected"] = {
                        "kind": "w",
                        "l": 1,
                        "j": sizes[1],
                        "k": sizes[0],
                    }
                    out.append(c)
                    c = copy.deepcopy(c)
                    c["selected"] = {"kind": "b", "l": L, "j": 1}
                    out.append(c)
    return out


class NetworkExplorer(Explorer):
    """The whole-network explorer (view: web/network.js)."""

    name = "network"
    view = "network"

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def sample_controls(self, rng):
        """Return random controls (for the engine tests)."""
        return random_controls(rng)

    def extreme_controls(self):
        """Return every control at its extremes (for the engine tests)."""
        return extreme_controls()

    def summary(self):
        """Return one line saying what the explorer shows."""
        s = self.state
        return (
            f"Whole-network explorer: a {'-'.join(map(str, s['sizes']))} "
            f"network, {s['hidden']} hidden units, {s['output']} output "
            f"and {s['loss']} cost, one example; C = {s['C']:.4f}"
        )

    def fallback_html(self):
        """Return the starting picture: the network with its gradients (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        from .host import png_data_uri

        s = self.state
        sizes, L = s["sizes"], len(s["sizes"]) - 1
        fig, ax = plt.subplots(figsize=(5.2, 2.6))

        def pos(l, j):
            return l, (j - (sizes[l] - 1) / 2)

        gmax = max(
            1e-300, max(abs(g) for M in s["dW"] for row in M for g in row)
        )
        for l in range(1, L + 1):
            for j in range(sizes[l]):
                for k in range(sizes[l - 1]):
                    g = s["dW"][l - 1][j][k]
                    (x0, y0), (x1, y1) = pos(l - 1, k), pos(l, j)
                    ax.plot(
                        [x0, x1],
                        [y0, y1],
                        color="#c0392b" if g > 0 else "#2166ac",
                        lw=0.6 + 4 * abs(g) / gmax,
                        zorder=1,
                    )
        for l in range(L + 1):
            for j in range(sizes[l]):
                x, y = pos(l, j)
                a = s["a"][l][j][0]
                ax.scatter(
                    [x], [y], s=520, color="white", ec="0.3", zorder=2
                )
                ax.text(x, y, f"{a:.2f}", ha="center", va="center", size=7)
        ax.set_axis_off()
        ax.set_title(f"C = {s['C']:.4f}", fontsize=9)
        alt = (
            f"A {'-'.join(map(str, sizes))} network: every unit shows its "
            "activation; every edge is coloured by the sign of dC/dw (red "
            "positive, blue negative) and as wide as its size."
        )
        return f'<img src="{png_data_uri(fig)}" alt="{alt}">'


#: The explorer class (the engine tests find explorers by this name).
EXPLORER = NetworkExplorer


def show(sizes=(2, 3, 2), hidden="sigmoid", pairing="sigmoid_mse"):
    """Return the whole-network explorer for a network of `sizes` and one example.

    sizes [n0, ..., nL] with 1 to MAX_LAYERS layers of at most MAX_UNITS
    units; hidden one of HIDDEN; pairing one of PAIRINGS.
    """
    _check_choice("hidden", hidden, list(HIDDEN))
    return NetworkExplorer(
        config(), default_controls(sizes, hidden, pairing)
    )
