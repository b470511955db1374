"""Hidden-error explorer: how ‖δ^l‖ changes from layer to layer over depth (chapter 4).

A deep, square network (every layer `width` units wide) gets weights with
entries drawn from N(0, g²/n), g the weight scale and n the width, zero
biases, an identity output with the mean squared error, and a random batch.
The normal numbers come from `host.normals` (a hash of seed, stream and
index, then Box–Muller), which the book's page reproduces in JavaScript, so
the page and the package draw the same network; W^l is stream l, X stream
1001 and Y stream 1002, so a deeper network keeps the layers it had.
Rule 1 gives δ^L and rule 2 carries it down, layer by layer:

    δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l).

For such random weights ‖(W^{l+1})ᵀ v‖ ≈ g ‖v‖, and the Hadamard product with
σ'(z^l) then scales the norm by about the root mean square of σ'(z^l), so each
layer multiplies ‖δ‖ by about

    gain_l = g · rms σ'(z^l).

For ReLU, σ' is 1 on about half the units, so gain ≈ g/√2 (steady at the He
scale g = √2); for tanh with small weights, z ≈ 0 and σ' ≈ 1, so gain ≈ g; for
the sigmoid, σ' ≤ 1/4, so gain ≈ g/4 with small weights. The explorer shows the
measured ratios ‖δ^l‖ / ‖δ^L‖ next to this prediction.

Within the controls' ranges (depth ≤ 20, 0.25 ≤ g ≤ 4) every ratio stays
far inside float64 (about 1e-308 to 1e308), so the norms are computed
directly, without log-space arithmetic; `host.json_safe` refuses the state
if a value were ever not finite.

`state(config, controls)` computes the curves of every activation with the
package, as JSON; `show()` returns the explorer (view: web/hidden_error.js:
the activation, depth, weight scale, width and random draw). In the book
web/engine.js computes the same numbers.
"""

from __future__ import annotations

import numpy as np

from ..network import MLP
from .controls import Choice, Range
from .host import Explorer, json_safe, normals

__all__ = [
    "state",
    "HiddenErrorExplorer",
    "EXPLORER",
    "show",
    "ACTIVATIONS",
    "DEPTH_RANGE",
    "SCALE_RANGE",
    "WIDTHS",
]

#: The hidden activations compared (the dropdown's choices).
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: Depths (number of layers L) the slider offers.
DEPTH_RANGE = (2, 20)
#: Weight scales g the slider offers.
SCALE_RANGE = (0.25, 4.0)
#: Widths (units per layer) the view offers.
WIDTHS = (16, 32, 64)
#: Random draws (seeds) the view offers: 0..N_SEEDS − 1.
N_SEEDS = 10

_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}


#: The view's config: examples per batch (16 keeps a move within a frame).
CONFIG = {"m": 16}

#: The explorer's controls.
SPEC = (
    Choice(
        "activation",
        "activation σ",
        tuple((a, _LABELS[a]) for a in ACTIVATIONS),
    ),
    Range("depth", "depth L (layers)", *DEPTH_RANGE, 1, decimals=0),
    Range("scale", "weight scale g", *SCALE_RANGE, 0.05, log=True),
    Choice("width", "units per layer", tuple((w, str(w)) for w in WIDTHS)),
    Choice(
        "seed",
        "random draw",
        tuple((i, f"#{i}") for i in range(N_SEEDS)),
        slider=True,
    ),
)


def _geometric_mean(v):
    # The typical factor per layer of a product of factors v.
    return float(np.exp(np.mean(np.log(v))))


def state(config, controls):
    """Return what the package computes at checked controls {activation,
    depth, scale, width, seed}: those, and the curves of every activation
    (JSON-safe; the view draws the chosen one in bold).

    Each activation's network has the same weights W^l, entries N(0, g²/n)
    from stream l of `host.normals`, zero biases, an identity output, the
    mean squared error, and the same batch X, Y (n, m) from streams 1001
    and 1002. Its curves, index i for layer l = i + 1: norms ‖δ^l‖ (root
    mean square over the batch of the column norms), ratios ‖δ^l‖ / ‖δ^L‖,
    gains ‖δ^l‖ / ‖δ^{l+1}‖ measured and predicted_gains g · rms σ'(z^l)
    for l = 1..L−1, predicted_ratios the products of the predicted gains
    from l up to L − 1 (last 1), and the geometric means of both gains.
    """
    c, m = controls, config["m"]
    L, g, n, seed = c["depth"], c["scale"], c["width"], c["seed"]
    # Row-major: W^l[j, k] is entry j * n + k of stream l, so a deeper
    # network keeps the layers it had.
    Ws = [
        g * normals(seed, l, n * n).reshape(n, n) / np.sqrt(n)
        for l in range(1, L + 1)
    ]
    X = normals(seed, 1001, n * m).reshape(n, m)
    Y = normals(seed, 1002, n * m).reshape(n, m)
    out = dict(controls)
    for name in ACTIVATIONS:
        net = MLP([n] * (L + 1), hidden=name, output="identity")
        net.weights = Ws  # the biases stay 0
        cache = net.forward(X, return_cache=True)
        _, _, deltas = net.backward(cache, Y)  # rules 1 and 2 (and 3, 4)
        norms = np.array(
            [np.sqrt(np.mean(np.sum(d**2, axis=0))) for d in deltas[1:]]
        )
        gains = norms[:-1] / norms[1:]
        rms_prime = [
            np.sqrt(np.mean(net.hidden.prime(cache.z[l]) ** 2))
            for l in range(1, L)
        ]
        predicted = g * np.array(rms_prime)
        out[name] = json_safe(
            {
                "norms": norms,
                "ratios": norms / norms[-1],
                "gains": gains,
                "predicted_gains": predicted,
                "predicted_ratios": np.append(
                    np.cumprod(predicted[::-1])[::-1], 1.0
                ),
                "mean_gain": _geometric_mean(gains),
                "mean_predicted_gain": _geometric_mean(predicted),
            },
            name,
        )
    return out


class HiddenErrorExplorer(Explorer):
    """The hidden-error explorer (view: web/hidden_error.js)."""

    howto = "Change the activation, the depth L or the weight scale g: the chart shows how the error norm grows or shrinks from the output layer back."

    name = "hidden_error"
    view = "hidden_error"
    spec = SPEC
    compare_atol = 0.0  # the ratios reach 1e-25: compare them relatively

    def __init__(
        self, activation="tanh", depth=15, scale=1.0, width=32, seed=0
    ):
        """Start with activation, depth L, weight scale g, width and draw seed."""
        names = [c.name for c in SPEC]
        values = (activation, depth, scale, width, seed)
        super().__init__(CONFIG, dict(zip(names, values)))

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def fallback_html(self):
        """Return the starting picture as a PNG (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        from .host import picture

        s = self.state
        layers = np.arange(1, s["depth"] + 1)
        fig, ax = plt.subplots(figsize=(5.0, 2.8))
        for i, name in enumerate(ACTIVATIONS):
            bold = name == s["activation"]
            ax.semilogy(
                layers,
                s[name]["ratios"],
                "o-",
                color=f"C{i}",
                lw=2 if bold else 1,
                alpha=1 if bold else 0.4,
                label=_LABELS[name],
            )
        chosen = s[s["activation"]]["predicted_ratios"]
        ax.semilogy(layers, chosen, "k--", lw=1, label="estimate")
        ax.set_xlabel("layer l", fontsize=8)
        ax.set_ylabel("‖δˡ‖ / ‖δᴸ‖", fontsize=8)
        ax.legend(fontsize=7)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        alt = (
            f"‖δˡ‖/‖δᴸ‖ per layer of a {s['depth']}-layer network with weight "
            f"scale g = {s['scale']:.2f}, on a log scale, for sigmoid, tanh "
            f"and ReLU; for {_LABELS[s['activation']]} ‖δ¹‖/‖δᴸ‖ = "
            f"{s[s['activation']]['ratios'][0]:.1e}."
        )
        return picture(fig, alt)

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        c = self.controls
        return (
            f"Hidden-error explorer: ‖δˡ‖ per layer, {_LABELS[c['activation']]}, "
            f"depth {c['depth']}, weight scale g = {c['scale']:.2f}"
        )


EXPLORER = HiddenErrorExplorer


def show(activation="tanh", depth=15, scale=1.0, width=32, seed=0):
    """Return the hidden-error explorer (activation, depth, scale, width, draw)."""
    return HiddenErrorExplorer(activation, depth, scale, width, seed)
