"""Nudge explorer: move one weight by Δw and compare ΔC with ∂C/∂w · Δw (chapter 2).

For a single weight w = w^l_{jk} (row j, column k of W^l) the cost is a
function of one variable, C(w), all other parameters held fixed. Backprop
gives its slope ∂C/∂w at the current value w₀, and Taylor's theorem says

    ΔC = C(w₀ + Δw) − C(w₀) = ∂C/∂w · Δw + ½ C''(w₀) Δw² + O(Δw³),

so the prediction ∂C/∂w · Δw misses the actual change by O(Δw²).

Weights are named as in the text, 1-based: (l, j, k) is w^l_{jk}, the
entry W^l[j − 1, k − 1] in NumPy; (2, 1, 2) is w²₁₂. The explorer's
weight control holds it as the entry {"kind": "w", "l", "j", "k"}
(controls.Entry).

`state(config, controls)` computes what the explorer shows (the cost curve
around w₀, the backprop slope, the actual and predicted ΔC) with the
package, as JSON; `show()` returns the explorer (view: web/nudge.js, a
weight selector and sliders for w₀ and Δw). In JupyterLab the package
computes the state; in the book web/engine.js computes the same numbers.
"""

from __future__ import annotations

import numpy as np

from ..network import MLP
from .controls import Entry, Range
from .host import Explorer, net_config, net_from

__all__ = [
    "default_problem",
    "weight_label",
    "state",
    "NudgeExplorer",
    "EXPLORER",
    "show",
    "DW_RANGE",
    "W_RANGE",
]

#: Range of the Δw slider, and of the window of the cost curve on each side of w₀.
DW_RANGE = (-2.0, 2.0)
#: Range of the slider for the weight's current value w₀.
W_RANGE = (-3.0, 3.0)
#: Points of the drawn cost curve C(w) around w₀.
N_CURVE = 161

#: The explorer's controls: which weight w^l_jk, its value w₀, the nudge Δw.
SPEC = (
    Entry("weight", "weight", kinds=("w",)),
    Range("w0", "its value w₀", *W_RANGE, 0.01, sign=True),
    Range("dw", "nudge Δw", *DW_RANGE, 0.01, sign=True),
)


def default_problem(seed=3):
    """Return (net, X, Y): a 2-3-1 tanh/sigmoid MSE network and a batch of m = 4 examples."""
    net = MLP(
        [2, 3, 1], hidden="tanh", output="sigmoid", loss="mse", seed=seed
    )
    X = np.array([[0.5, -1.0, 1.5, -0.3], [1.0, 0.4, -0.8, -1.2]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    return net, X, Y


_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def weight_label(weight):
    """Return the book's name of weight (l, j, k) in plain text: (2, 1, 2) -> 'w²₁₂'."""
    l, j, k = weight
    sep = "," if max(j, k) >= 10 else ""
    return f"w{str(l).translate(_SUP)}{str(j).translate(_SUB)}{sep}{str(k).translate(_SUB)}"


def _entry(weight):
    # Return the weight control's value for weight (l, j, k), 1-based.
    try:
        l, j, k = weight
    except (TypeError, ValueError):
        raise TypeError(
            f"weight must be a triple (l, j, k), 1-based; got {weight!r}"
        ) from None
    return {"kind": "w", "l": l, "j": j, "k": k}


def config_for(net, X, Y):
    """Return the view's config: the network, its batch, the curve's points."""
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    return {
        **net_config(net),
        "X": X.tolist(),
        "Y": Y.tolist(),
        "n_curve": N_CURVE,
    }


def state(config, controls):
    """Return what the package computes at checked controls {weight, w0, dw}.

    C and C1 are the cost at w₀ and at w₀ + Δw, slope is ∂C/∂w at w₀ from
    backprop, actual = C1 − C and predicted = slope · Δw, error their
    distance, which is O(Δw²) (Taylor); curve_w, curve_C is the cost curve
    C(w) on n_curve points reaching a little beyond the largest nudge.
    """
    net = net_from(config)
    X, Y = np.array(config["X"]), np.array(config["Y"])
    e, w0, dw = controls["weight"], controls["w0"], controls["dw"]
    l, j, k = e["l"], e["j"] - 1, e["k"] - 1  # w^l_jk is W^l[j-1, k-1]
    W = net.weights[l - 1]

    def cost_at(value):
        W[j, k] = value
        return net.loss(X, Y)

    half = 1.1 * max(DW_RANGE[1], -DW_RANGE[0])  # beyond every nudge
    ws = w0 + np.linspace(-half, half, int(config["n_curve"]))
    Cs = [cost_at(v) for v in ws]
    C1 = cost_at(w0 + dw)
    C = cost_at(w0)
    dWs, _ = net.gradients(X, Y)  # backprop at w₀ (W[j, k] is w₀ again)
    slope = float(dWs[l - 1][j, k])
    return {
        "weight": e,
        "w0": w0,
        "dw": dw,
        "C": C,
        "C1": C1,
        "slope": slope,
        "actual": C1 - C,
        "predicted": slope * dw,
        "error": abs(C1 - C - slope * dw),
        "curve_w": ws.tolist(),
        "curve_C": Cs,
    }


class NudgeExplorer(Explorer):
    """The nudge explorer (view: web/nudge.js)."""

    howto = "Pick a weight, then move its value w₀ or the nudge Δw: the bars set the actual change of C beside the tangent's prediction ∂C/∂w · Δw."

    name = "nudge"
    view = "nudge"
    spec = SPEC

    def context(self, config, values):
        """Return the ctx of the weight control: the network's sizes."""
        return {"sizes": config["sizes"]}

    def __init__(self, net=None, X=None, Y=None, weight=(1, 1, 1), dw=0.5):
        """Start on net, X, Y (default_problem() if net is None) at weight (l, j, k), 1-based, and dw."""
        if net is None:
            net, X, Y = default_problem()
        elif X is None or Y is None:
            raise ValueError(
                "pass X and Y together with net (or none of the three)"
            )
        e = SPEC[0].check(_entry(weight), {"sizes": net.sizes})
        W = net.weights[e["l"] - 1]
        w0 = float(np.clip(W[e["j"] - 1, e["k"] - 1], *W_RANGE))
        super().__init__(
            config_for(net, X, Y), {"weight": e, "w0": w0, "dw": dw}
        )

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def _label(self):
        e = self.controls["weight"]
        return weight_label((e["l"], e["j"], e["k"]))

    def fallback_html(self):
        """Return the starting picture as a PNG (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        from .host import picture

        s = self.state
        ws, Cs = np.array(s["curve_w"]), np.array(s["curve_C"])
        fig, ax = plt.subplots(figsize=(5.0, 2.8))
        ax.plot(ws, Cs, color="k", label="cost C(w)")
        ax.plot(
            ws,
            s["C"] + s["slope"] * (ws - s["w0"]),
            color="C1",
            ls="--",
            label="tangent, slope ∂C/∂w",
        )
        ax.plot([s["w0"]], [s["C"]], "o", color="k")
        ax.plot([s["w0"] + s["dw"]], [s["C1"]], "o", color="C0")
        ax.set_xlabel(f"weight {self._label()}", fontsize=8)
        ax.legend(fontsize=7)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        alt = (
            f"The cost C as the weight {self._label()} varies around "
            f"w₀ = {s['w0']:+.2f}, with its tangent line; ΔC = "
            f"{s['actual']:+.4f} against the prediction "
            f"{s['predicted']:+.4f} for Δw = {s['dw']:+.2f}."
        )
        return picture(fig, alt)

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        sizes = "-".join(map(str, self.config["sizes"]))
        return (
            f"Nudge explorer: the weight {self._label()} of a "
            f"{sizes} network, nudged by Δw = {self.controls['dw']:+.2f}"
        )


EXPLORER = NudgeExplorer


def show(net=None, X=None, Y=None, weight=(1, 1, 1), dw=0.5):
    """Return the nudge explorer for net, X, Y (a small default network if none) at weight (l, j, k), 1-based."""
    return NudgeExplorer(net, X, Y, weight=weight, dw=dw)
