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

Within the accepted ranges (depth ≤ 50, 0.01 ≤ g ≤ 10) every ratio stays between
about 1e-130 and 1e90, far inside float64 (about 1e-308 to 1e308), so the
norms are computed directly, without log-space arithmetic; the pure function
still checks that every value is finite and positive.

Two layers:

- `delta_norms(activation, depth, scale)` is the pure function: it returns a
  `HiddenErrorState` with the norms, the ratios, the measured gains and the
  predicted ones. No widgets, no Matplotlib; the tests pin it.
- `HiddenErrorExplorer` is the explorer (view: web/hidden_error.js: the
  activation, depth, weight scale, width and random draw); `state(config,
  controls)` is what it shows, as JSON, and `show()` returns it. In the
  book web/engine.js computes the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import MLP
from .host import (
    Choice,
    Explorer,
    Range,
    check_controls,
    json_safe,
    normals,
)

__all__ = [
    "HiddenErrorState",
    "build_problem",
    "delta_norms",
    "state",
    "HiddenErrorExplorer",
    "EXPLORER",
    "show",
    "ACTIVATIONS",
    "DEPTH_RANGE",
    "SCALE_RANGE",
    "WIDTHS",
]

#: The hidden activations compared (the dropdown's choices); the pure function also accepts "identity".
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: Depths (number of layers L) the slider offers; the pure function accepts 2..50.
DEPTH_RANGE = (2, 20)
#: Weight scales g the slider offers; the pure function accepts 0.01..10.
SCALE_RANGE = (0.25, 4.0)
#: Widths (units per layer) the view offers.
WIDTHS = (16, 32, 64)
#: Random draws (seeds) the view offers: 0..N_SEEDS − 1.
N_SEEDS = 10

_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}


@dataclass(frozen=True)
class HiddenErrorState:
    """Per-layer error norms of one deep random network; index i is layer l = i + 1."""

    activation: str
    depth: int  # L, the number of layers with weights
    scale: float  # g: the entries of every W^l are N(0, g²/width)
    width: int
    # ‖δ^l‖: root mean square over the batch of the column norms
    norms: np.ndarray
    ratios: np.ndarray  # ‖δ^l‖ / ‖δ^L‖ (the last entry is 1)
    gains: np.ndarray  # ‖δ^l‖ / ‖δ^{l+1}‖ for l = 1..L−1, measured
    predicted_gains: np.ndarray  # g · rms σ'(z^l) for l = 1..L−1
    # products of the predicted gains from layer l up to L − 1 (last 1)
    predicted_ratios: np.ndarray

    @property
    def mean_gain(self):
        """Return the geometric mean of the measured gains: the typical factor per layer."""
        return float(np.exp(np.mean(np.log(self.gains))))

    @property
    def mean_predicted_gain(self):
        """Return the geometric mean of the predicted gains."""
        return float(np.exp(np.mean(np.log(self.predicted_gains))))


#: What the pure functions accept (wider than the explorer's controls).
LIMITS = (
    Choice(
        "activation", "σ", tuple((a, a) for a in (*_LABELS, "identity"))
    ),
    Range("depth", "the number of layers L", 2, 50, 1, decimals=0),
    Range("scale", "the weight scale g", 0.01, 10.0, 0.01),
    Range("width", "units per layer", 1, np.inf, 1, decimals=0),
    Range("m", "examples", 1, np.inf, 1, decimals=0),
)


def _check(activation, depth, scale, width, m):
    # Return the arguments checked against LIMITS; refuse anything else.
    names = [c.name for c in LIMITS]
    values = dict(zip(names, (activation, depth, scale, width, m)))
    return tuple(check_controls(LIMITS, values).values())


def build_problem(
    activation="tanh", depth=15, scale=1.0, width=64, m=32, seed=0
):
    """Return (net, X, Y): the deep random network of delta_norms and its batch, X and Y (width, m)."""
    activation, depth, scale, width, m = _check(
        activation, depth, scale, width, m
    )
    net = MLP(
        [width] * (depth + 1),
        hidden=activation,
        output="identity",
        loss="mse",
        seed=seed,
    )
    net.weights = [
        scale
        * normals(seed, l, width * width).reshape(width, width)
        / np.sqrt(width)
        for l in range(1, depth + 1)
    ]  # row-major: W^l[j, k] is entry j * width + k of stream l
    X = normals(seed, 1001, width * m).reshape(width, m)
    Y = normals(seed, 1002, width * m).reshape(width, m)
    return net, X, Y


def delta_norms(
    activation="tanh", depth=15, scale=1.0, width=64, m=32, seed=0
):
    """Return the HiddenErrorState of a depth-layer, width-wide network with weights N(0, scale²/width)."""
    activation, depth, scale, width, m = _check(
        activation, depth, scale, width, m
    )
    net, X, Y = build_problem(activation, depth, scale, width, m, seed)
    cache = net.forward(X, return_cache=True)
    _, _, deltas = net.backward(cache, Y)  # rules 1 and 2 (and 3, 4)
    norms = np.array(
        [
            np.sqrt(np.mean(np.sum(deltas[l] ** 2, axis=0)))
            for l in range(1, depth + 1)
        ]
    )
    if not np.all(np.isfinite(norms) & (norms > 0)):
        raise FloatingPointError(
            f"‖δ^l‖ left the float64 range for {activation}, depth {depth}, scale {scale}"
        )
    prime = net.hidden.prime
    predicted_gains = np.array(
        [
            scale * np.sqrt(np.mean(prime(cache.z[l]) ** 2))
            for l in range(1, depth)
        ]
    )
    predicted_ratios = np.append(
        np.cumprod(predicted_gains[::-1])[::-1], 1.0
    )
    return HiddenErrorState(
        activation,
        depth,
        scale,
        width,
        norms,
        norms / norms[-1],
        norms[:-1] / norms[1:],
        predicted_gains,
        predicted_ratios,
    )


# -- the explorer ----------------------------------------------------------------

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


#: What the state holds of each activation's HiddenErrorState.
CURVE = (
    "norms",
    "ratios",
    "gains",
    "predicted_gains",
    "predicted_ratios",
    "mean_gain",
    "mean_predicted_gain",
)


def state(config, controls):
    """Return what the package computes at checked controls {activation,
    depth, scale, width, seed}: those, and the curves of every activation
    (JSON-safe; the view draws the chosen one in bold)."""
    c, m = controls, config["m"]
    out = dict(controls)
    for name in ACTIVATIONS:
        s = delta_norms(
            name, c["depth"], c["scale"], c["width"], m, c["seed"]
        )
        out[name] = json_safe({k: getattr(s, k) for k in CURVE})
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

        from .host import png_data_uri

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
        return f'<img src="{png_data_uri(fig)}" alt="{alt}">'

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
