"""Output-error explorer: δ^L for two output/cost pairings (chapter 3).

One output unit with pre-activation z and target y ∈ [0, 1]. Each pairing
of an output activation with a cost gives an output a and, by rule 1, an
error δ = ∂C_x/∂z:

- sigmoid, tanh or identity output with the squared error C_x = ½(a − y)²:
  δ = (a − y) σ'(z);
- a softmax over two classes whose second logit is held at 0, with the
  cross-entropy and the target (y, 1 − y): its first output is σ(z), the
  same a as the sigmoid's, and δ = a − y (σ' cancels).

The explorer compares two pairings (by default sigmoid + MSE against softmax
+ cross-entropy): the factor σ'(z) makes the squared error's δ vanish when
the unit saturates, however wrong the output is.

- `output_errors(z, y, pairing)` is the pure function (z may be an array);
- `state(config, controls)` is everything the view shows, as JSON;
- `show(z, y, first, second)` returns the explorer (web/output_error.js is
  its view; in the book web/engine.js computes the same numbers, for the
  pairings of config["pairings"]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations, losses, rules
from .host import Choice, Explorer, Range, png_data_uri

__all__ = [
    "PAIRINGS",
    "OutputErrorState",
    "output_errors",
    "default_config",
    "state",
    "OutputErrorExplorer",
    "EXPLORER",
    "show",
    "Z_RANGE",
]

#: Range of the slider for the pre-activation z.
Z_RANGE = (-10.0, 10.0)
#: The pairings the view offers: key -> (output activation, cost, label).
PAIRINGS = {
    "sigmoid_mse": ("sigmoid", "mse", "sigmoid + MSE"),
    "softmax_ce": ("softmax", "cross_entropy", "softmax + cross-entropy"),
    "tanh_mse": ("tanh", "mse", "tanh + MSE"),
    "identity_mse": ("identity", "mse", "identity + MSE"),
}
#: Number of points of the drawn curves over Z_RANGE.
N_CURVE = 121


@dataclass(frozen=True)
class OutputErrorState:
    """One pairing at z (arrays shaped like z) for target y."""

    pairing: str
    z: np.ndarray
    y: float
    a: np.ndarray  # the output (for softmax: its first entry, σ(z))
    factor: np.ndarray  # δ / (a − y): σ'(z) for MSE, 1 for cross-entropy
    delta: np.ndarray  # rule 1: ∂C_x/∂z
    cost: np.ndarray  # C_x (for cross-entropy from the logits)


_NAMES = tuple((k, v[2]) for k, v in PAIRINGS.items())
SPEC = (
    Range("z", "pre-activation z", *Z_RANGE, 0.1, decimals=1, sign=True),
    Range("y", "target y", 0.0, 1.0, 0.05),
    Choice("first", "pairing 1 (blue)", _NAMES),
    Choice("second", "pairing 2 (orange)", _NAMES),
)


def _check(z, y, pairing):
    z = np.asarray(z, dtype=np.float64)
    if not np.all(np.isfinite(z)):
        raise ValueError(f"z must be finite; got {z!r}")
    if pairing not in PAIRINGS:
        raise ValueError(
            f"pairing must be one of {list(PAIRINGS)}; got {pairing!r}"
        )
    return z, SPEC[1].check(y)  # y: a target probability in [0, 1]


def output_errors(z, y, pairing="sigmoid_mse"):
    """Return the OutputErrorState of pairing at z (number or array), target y."""
    z, y = _check(z, y, pairing)
    out, loss, _ = PAIRINGS[pairing]
    row = z.reshape(1, -1)  # one output unit, one column per z value
    if loss == "cross_entropy":
        logits = np.vstack([row, np.zeros_like(row)])  # second logit 0
        Y = np.vstack([np.full_like(row, y), np.full_like(row, 1.0 - y)])
        A = activations.softmax(logits)
        a = A[0:1]  # the first output: σ(z)
        delta = losses.cross_entropy_delta(A, Y)[
            0:1
        ]  # ∂C_x/∂z, first logit
        factor = np.ones_like(row)  # σ' cancels
        cost = -np.sum(
            Y * losses.log_softmax(logits), axis=0, keepdims=True
        )
    else:
        act = activations.get(out)
        a = act.f(row)
        factor = act.prime(row)
        delta = rules.output_error(
            losses.mse_grad(a, np.full_like(row, y)), factor
        )  # rule 1
        cost = 0.5 * (a - y) ** 2
    a, factor, delta, cost = (
        v.reshape(z.shape) for v in (a, factor, delta, cost)
    )
    return OutputErrorState(pairing, z, y, a, factor, delta, cost)


def default_config():
    """Return the view's config: the z range and number of curve points, and
    each pairing's output activation and cost (engine.js computes with them)."""
    pairings = {k: [out, loss] for k, (out, loss, _) in PAIRINGS.items()}
    return {
        "z_range": list(Z_RANGE),
        "n_curve": N_CURVE,
        "pairings": pairings,
    }


def _curve_z(config):
    # The same points as engine's linspace in output_error.js.
    lo, hi = config["z_range"]
    return np.linspace(lo, hi, int(config["n_curve"]))


def state(config, controls):
    """Return what the package computes at checked controls {z, y, first,
    second}: each pairing at z and its curves over the config's z points."""
    z, y, zs = controls["z"], controls["y"], _curve_z(config)
    out = dict(controls)
    for slot in ("first", "second"):
        p = output_errors(z, y, controls[slot])
        c = output_errors(zs, y, controls[slot])
        out[slot + "_point"] = {
            "a": float(p.a),
            "factor": float(p.factor),
            "delta": float(p.delta),
            "cost": float(p.cost),
        }
        out[slot + "_curve"] = {
            "a": c.a.tolist(),
            "delta": c.delta.tolist(),
        }
    return out


class OutputErrorExplorer(Explorer):
    """The output-error explorer (view: web/output_error.js)."""

    howto = "Drag z, or change the target y or a pairing: the plot of δ = ∂Cₓ/∂z shows the output error of both pairings at z."

    name = "output_error"
    view = "output_error"
    spec = SPEC

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def fallback_html(self):
        """Return the starting picture as a PNG (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        s, zs = self.state, _curve_z(self.config)
        fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.6))
        for slot, color in (("first", "C0"), ("second", "C1")):
            label = PAIRINGS[s[slot]][2]
            axes[0].plot(
                zs, s[slot + "_curve"]["a"], color=color, label=label
            )
            axes[1].plot(zs, s[slot + "_curve"]["delta"], color=color)
            axes[1].plot(
                [s["z"]], [s[slot + "_point"]["delta"]], "o", color=color
            )
        axes[0].axhline(s["y"], color="C3", ls=":", label="target y")
        axes[0].set_title("output a", fontsize=9)
        axes[1].set_title("error δ = ∂C/∂z", fontsize=9)
        axes[0].legend(fontsize=7)
        for ax in axes:
            ax.set_xlabel("z", fontsize=8)
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        alt = (
            f"Output a and error δ against z for {PAIRINGS[s['first']][2]} "
            f"and {PAIRINGS[s['second']][2]}, at z = {s['z']:+.1f}, "
            f"y = {s['y']:.2f}."
        )
        return f'<img src="{png_data_uri(fig)}" alt="{alt}">'

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        c = self.controls
        return (
            "Output-error explorer: δ for "
            f"{PAIRINGS[c['first']][2]} and {PAIRINGS[c['second']][2]} "
            f"at z = {c['z']:+.1f}, y = {c['y']:.2f}"
        )


EXPLORER = OutputErrorExplorer


def show(z=-4.0, y=1.0, first="sigmoid_mse", second="softmax_ce"):
    """Return the output-error explorer at z and y, comparing two pairings."""
    controls = {"z": z, "y": y, "first": first, "second": second}
    return OutputErrorExplorer(default_config(), controls)
