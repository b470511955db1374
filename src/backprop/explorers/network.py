"""Whole-network explorer: every z, a and δ of a small network (chapter 7).

A network of up to MAX_LAYERS layers of at most MAX_UNITS units (2-3-2 by
default) and one example x with its target y; every weight, bias, input and
target can be changed. `SPEC` declares the controls once: the explorer
checks, samples and takes the extremes of its controls from it, and the view
(`web/network.js`) builds its widgets from it. `state(config, controls)` is
every number the package computes (`MLP.forward` and `MLP.backward`, the
four functions of `backprop.rules`); the view's `compute` gives the same
dictionary with the in-page engine, and draws from it z, a and δ at every
unit, ∂C/∂w on every edge and the chain of rules of the selected entry.

Indices are those of the text and 1-based: the selection
``{"kind": "w", "l": 2, "j": 1, "k": 3}`` is w^2_{13}, row 1 and column 3 of
W^2 (``controls["weights"][1][0][2]``). The lists ``z``, ``a``, ``dsigma``
and ``delta`` of the state are padded like `ForwardCache`, so that entry l
is layer l: ``a[0]`` is x, and ``z[0]``, ``dsigma[0]`` and ``delta[0]`` are
empty lists (JSON has no None to spare).
"""

import numpy as np

from ..network import MLP
from . import host
from .controls import Choice, Entry, Matrix, Range, Sizes, check_controls
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
    "SPEC",
    "config",
    "default_controls",
    "state",
    "NetworkExplorer",
    "EXPLORER",
    "show",
]

#: At most this many layers with weights (L), each of at most MAX_UNITS units.
MAX_LAYERS = 4
MAX_UNITS = 5
#: The hidden activations the reader can choose.
HIDDEN = ("sigmoid", "tanh", "relu", "identity")
#: The output activation and cost pairings: name -> (output, loss, label)
#: (the output-error explorer's table, chapter 3, less tanh).
PAIRINGS = {
    k: OE_PAIRINGS[k] for k in ("identity_mse", "sigmoid_mse", "softmax_ce")
}
#: The slider ranges of weights and biases, of inputs, and of MSE targets.
VALUE_RANGE = (-4.0, 4.0)
INPUT_RANGE = (-3.0, 3.0)
TARGET_RANGE = (-2.0, 2.0)

#: The controls, in an order where each one's network (ctx) is known from
#: those before it: the pairing and sizes come before the matrices.
SPEC = (
    Choice("hidden", "hidden activation", tuple((h, h) for h in HIDDEN)),
    Choice(
        "pairing",
        "output and cost",
        tuple((k, label) for k, (_, _, label) in PAIRINGS.items()),
    ),
    Sizes("sizes", "layers with weights L", MAX_LAYERS, MAX_UNITS),
    Matrix("weights", "weight", *VALUE_RANGE, 0.01, "W"),
    Matrix("biases", "bias", *VALUE_RANGE, 0.01, "b"),
    Matrix("X", "input", *INPUT_RANGE, 0.01, "x"),
    Matrix("Y", "target", *TARGET_RANGE, 0.01, "y"),
    Entry("selected", "selected", ("w", "b", "x", "y")),
    # decimals 0: an integer, at most L (the view frames that layer).
    Range("resize_layer", "resize layer", 0, MAX_LAYERS, 1, 0, upto="L"),
)


def config():
    """Return the static configuration: pairing -> [output, loss], for the
    engine's compute (ranges, options and labels are in config["spec"])."""
    return {
        "pairings": {k: [o, loss] for k, (o, loss, _) in PAIRINGS.items()}
    }


def _context(values):
    # The network the next control acts on, from the controls before it.
    if "sizes" not in values:
        return {}
    n = values["sizes"]
    onehot = PAIRINGS[values["pairing"]][1] == "cross_entropy"
    return {"sizes": n, "L": len(n) - 1, "m": 1, "onehot": onehot}


def default_controls(
    sizes=(2, 3, 2), hidden="sigmoid", pairing="sigmoid_mse"
):
    """Return the controls of a fresh explorer: weights from MLP(sizes, seed=0)."""
    hidden = SPEC[0].check(hidden)
    output, loss, _ = PAIRINGS[SPEC[1].check(pairing)]
    sizes = SPEC[2].check(sizes)
    net = MLP(sizes, hidden=hidden, output=output, loss=loss, seed=0)
    rng = np.random.default_rng(1)
    X = rng.normal(0.0, 1.0, size=(sizes[0], 1))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1], 1)  # one-hot on class 1
    else:
        Y = rng.uniform(0.0, 1.0, size=(sizes[-1], 1))
    b = [rng.normal(0.0, 0.3, size=b.shape) for b in net.biases]

    def rows(M, lo_hi):
        return np.clip(M, *lo_hi).round(2).tolist()

    return {
        "hidden": hidden,
        "pairing": pairing,
        "sizes": sizes,
        "weights": [rows(W, VALUE_RANGE) for W in net.weights],
        "biases": [rows(v, VALUE_RANGE) for v in b],
        "X": rows(X, INPUT_RANGE),
        "Y": rows(Y, TARGET_RANGE),
        "selected": {"kind": "w", "l": len(sizes) - 1, "j": 1, "k": 1},
        "resize_layer": 0,
    }


def _rows(arrays):
    return [np.asarray(M, dtype=np.float64).tolist() for M in arrays]


def state(config, controls):
    """Return every number the explorer shows, computed with the package.

    config: from config(); controls: as default_controls() gives them,
    checked against SPEC. The network gets exactly the weights, biases, x
    and y of controls (m = 1 example).
    """
    c = check_controls(SPEC, controls, _context)
    output, loss, _ = PAIRINGS[c["pairing"]]
    net = host.net_from({**c, "output": output, "loss": loss})
    X, Y = np.array(c["X"]), np.array(c["Y"])
    cache = net.forward(X, return_cache=True)
    dWs, dbs, deltas = net.backward(cache, Y)
    # σ'(z^l) of every layer; the softmax output has none (rule 1 takes
    # the form δ^L = a^L − y there).
    primes = [net.activation(l).prime for l in range(1, net.L + 1)]
    dsigma = [[]] + [
        [] if p is None else p(z).tolist()
        for p, z in zip(primes, cache.z[1:])
    ]
    echo = ("sizes", "hidden", "pairing", "weights", "biases", "X", "Y")
    return {
        **{k: c[k] for k in echo},  # the controls the view draws
        "output": output,
        "loss": loss,
        "z": [[]] + _rows(cache.z[1:]),
        "a": _rows(cache.a),
        "dsigma": dsigma,
        "delta": [[]] + _rows(deltas[1:]),
        "C": float(net._loss(cache, Y)),
        "dW": _rows(dWs),
        "db": _rows(dbs),
    }


class NetworkExplorer(Explorer):
    """The whole-network explorer (view: web/network.js)."""

    name = "network"
    view = "network"
    spec = SPEC
    #: A saturated tanh unit's σ′ = 1 − tanh(z)² keeps only an absolute
    #: precision (Math.tanh and np.tanh may differ by an ulp of 1), which the
    #: chain multiplies by weights and errors: up to 3e-14 in 1000 draws.
    compare_atol = 1e-13
    howto = (
        "Select an edge, a unit, an input or a target (click, or Tab and "
        "Enter) and change it on the right. Red: the gradient is positive "
        "(gradient descent lowers the number); blue: negative; the wider "
        "or darker, the larger. A unit shows its activation a, and δ "
        "below it."
    )

    def context(self, config, values):
        """Return the network (sizes, L, m = 1, onehot) of the next control."""
        return _context(values)

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

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
        return host.picture(fig, alt)


#: The explorer class (the engine tests find explorers by this name).
EXPLORER = NetworkExplorer


def show(sizes=(2, 3, 2), hidden="sigmoid", pairing="sigmoid_mse"):
    """Return the whole-network explorer for a network of `sizes` and one example.

    sizes [n0, ..., nL] with 1 to MAX_LAYERS layers of at most MAX_UNITS
    units; hidden one of HIDDEN; pairing one of PAIRINGS.
    """
    return NetworkExplorer(
        config(), default_controls(sizes, hidden, pairing)
    )
