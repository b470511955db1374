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

- `state(config, controls)` computes, with the package, everything the
  view shows, as JSON;
- `show(z, y, first, second)` returns the explorer (web/output_error.js is
  its view; in the book web/engine.js computes the same numbers, for the
  pairings of config["pairings"]).
"""

from __future__ import annotations

import numpy as np

from .. import activations, losses, rules
from .controls import Choice, Range
from .host import Explorer, picture

__all__ = ["PAIRINGS", "Z_RANGE", "default_config", "state", "show"]

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

_NAMES = tuple((k, v[2]) for k, v in PAIRINGS.items())
SPEC = (
    Range("z", "pre-activation z", *Z_RANGE, 0.1, decimals=1, sign=True),
    Range("y", "target y", 0.0, 1.0, 0.05),
    Choice("first", "pairing 1 (blue)", _NAMES),
    Choice("second", "pairing 2 (orange)", _NAMES),
)


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
    second}: each pairing at z and its curves over the config's z points.

    For slot "first" and "second": `<slot>_point` holds the output a (for
    the softmax its first entry, σ(z)), the factor δ/(a − y) (σ'(z) for
    the squared error, 1 for the cross-entropy), the error δ = ∂C_x/∂z
    (rule 1) and the cost C_x at z; `<slot>_curve` holds a and δ at every
    point of the curve.
    """
    y = controls["y"]
    # One output unit: one row, one column per z (the controls' z first,
    # then the curve's points).
    z = np.append(controls["z"], _curve_z(config)).reshape(1, -1)
    out = dict(controls)
    for slot in ("first", "second"):
        name, loss, _ = PAIRINGS[controls[slot]]
        if loss == "cross_entropy":
            logits = np.vstack([z, np.zeros_like(z)])  # second logit 0
            Y = np.vstack([np.full_like(z, y), np.full_like(z, 1.0 - y)])
            A = activations.softmax(logits)
            a = A[0:1]  # the first output: σ(z)
            delta = losses.cross_entropy_delta(A, Y)[0:1]  # first logit
            factor = np.ones_like(a)  # σ' cancels
            cost = -np.sum(Y * losses.log_softmax(logits), axis=0)
        else:
            act = activations.get(name)
            a, factor = act.f(z), act.prime(z)
            grad_a = losses.mse_grad(a, np.full_like(z, y))
            delta = rules.output_error(grad_a, factor)  # rule 1
            cost = 0.5 * (a - y) ** 2
        values = {"a": a, "factor": factor, "delta": delta, "cost": cost}
        values = {k: np.ravel(v) for k, v in values.items()}
        out[slot + "_point"] = {k: float(v[0]) for k, v in values.items()}
        out[slot + "_curve"] = {
            k: values[k][1:].tolist() for k in ("a", "delta")
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
        return picture(fig, alt)

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
