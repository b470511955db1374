"""Nudge explorer: move one weight by Δw and compare ΔC with ∂C/∂w · Δw (chapter 2).

For a single weight w = w^l_{jk} (row j, column k of W^l) the cost is a
function of one variable, C(w), all other parameters held fixed. Backprop
gives its slope ∂C/∂w at the current value w₀, and Taylor's theorem says

    ΔC = C(w₀ + Δw) − C(w₀) = ∂C/∂w · Δw + ½ C''(w₀) Δw² + O(Δw³),

so the prediction ∂C/∂w · Δw misses the actual change by O(Δw²).

Three layers, as for every explorer of the book:

- `nudge(net, X, Y, weight, dw, w=None)` is the pure function: it returns a
  `NudgeState` with the cost curve around w₀, the backprop slope, the actual
  and predicted ΔC. No widgets, no Matplotlib; the tests pin it.
- `state(config, controls)` is everything the view shows, as JSON;
- `NudgeExplorer` is the explorer (view: web/nudge.js, a weight selector and
  sliders for w₀ and Δw); `show()` returns it. In JupyterLab the package
  computes the state; in the book web/engine.js computes the same numbers.

Weights are named by (l, j, k) with l = 1..L the layer and j, k the NumPy
(0-based) row and column of W^l; labels print them 1-based, as the text does:
(2, 0, 1) is w^2_{12}, printed "w²₁₂" in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import MLP
from .host import Choice, Explorer, Range, net_from

__all__ = [
    "NudgeState",
    "nudge",
    "default_problem",
    "weight_choices",
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


@dataclass(frozen=True)
class NudgeState:
    """Everything the explorer shows for one weight, one value w₀ and one nudge Δw."""

    weight: tuple  # (l, j, k): W^l[j, k]
    label: str  # plain-text name, 1-based: "w²₁₂" is (2, 0, 1)
    w0: float  # the weight's current value
    dw: float  # the nudge Δw
    C0: float  # C(w₀)
    C1: float  # C(w₀ + Δw)
    slope: float  # ∂C/∂w at w₀, from backprop (MLP.gradients)
    ws: np.ndarray  # the curve's w values, w₀ + [−2.2, 2.2]
    Cs: np.ndarray  # C(w) on ws
    tangent: np.ndarray  # C₀ + slope · (ws − w₀) on ws
    bar_limit: float  # largest |ΔC| or |predicted| over the whole Δw range (for the plot's y range)

    @property
    def actual(self):
        """Return the actual change ΔC = C(w₀ + Δw) − C(w₀)."""
        return self.C1 - self.C0

    @property
    def predicted(self):
        """Return the first-order prediction ∂C/∂w · Δw."""
        return self.slope * self.dw

    @property
    def error(self):
        """Return |ΔC − ∂C/∂w · Δw|, which is O(Δw²)."""
        return abs(self.actual - self.predicted)

    @property
    def ratio(self):
        """Return predicted / actual, or None when ΔC is exactly 0 (for Δw = 0)."""
        return None if self.actual == 0 else self.predicted / self.actual

    @property
    def error_over_dw2(self):
        """Return error / Δw², which tends to |C''(w₀)| / 2 as Δw → 0; None for Δw = 0."""
        return None if self.dw == 0 else self.error / self.dw**2


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
    """Return the book's name of weight (l, j, k) in plain text, 1-based: (2, 0, 1) -> 'w²₁₂'."""
    l, j, k = weight
    sep = "," if max(j, k) >= 9 else ""
    return f"w{str(l).translate(_SUP)}{str(j + 1).translate(_SUB)}{sep}{str(k + 1).translate(_SUB)}"


def weight_choices(net):
    """Return [(label, (l, j, k))] for every weight of net, layer by layer, row by row."""
    return [
        (weight_label((l, j, k)), (l, j, k))
        for l in range(1, net.L + 1)
        for j in range(net.sizes[l])
        for k in range(net.sizes[l - 1])
    ]


def _check_weight(net, weight):
    try:
        l, j, k = (int(i) for i in weight)
    except (TypeError, ValueError):
        raise TypeError(
            f"weight must be a triple (l, j, k) of integers; got {weight!r}"
        ) from None
    if not 1 <= l <= net.L:
        raise ValueError(f"weight layer l must be in 1..{net.L}; got {l}")
    rows, cols = net.sizes[l], net.sizes[l - 1]
    if not (0 <= j < rows and 0 <= k < cols):
        raise ValueError(
            f"W^{l} has shape {(rows, cols)}: row j must be in 0..{rows - 1} and column k in 0..{cols - 1}; got j={j}, k={k}"
        )
    return l, j, k


def _finite(name, value):
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return value


def nudge(net, X, Y, weight=(1, 0, 0), dw=0.5, w=None, n_points=161):
    """Return the NudgeState of weight (l, j, k) at value w (default: its value in net) nudged by dw.

    net is not changed: the curve and the slope are computed on a copy.
    """
    l, j, k = _check_weight(net, weight)
    dw = _finite("dw", dw)
    probe = net.copy()
    W = probe.weights[l - 1]
    w0 = float(W[j, k]) if w is None else _finite("w", w)

    def cost_at(value):
        W[j, k] = value
        return probe.loss(X, Y)

    half = 1.1 * max(
        DW_RANGE[1], -DW_RANGE[0], abs(dw)
    )  # a margin beyond the largest nudge
    ws = w0 + np.linspace(-half, half, n_points)
    Cs = np.array([cost_at(v) for v in ws])
    C1 = cost_at(w0 + dw)
    C0 = cost_at(w0)
    dWs, _ = probe.gradients(X, Y)  # backprop at w₀ (W[j, k] is w₀ again)
    slope = float(dWs[l - 1][j, k])
    tangent = C0 + slope * (ws - w0)
    lo, hi = w0 + DW_RANGE[0], w0 + DW_RANGE[1]
    inside = (ws >= lo - 1e-12) & (ws <= hi + 1e-12)
    bar_limit = max(
        float(np.max(np.abs(Cs[inside] - C0))),
        abs(slope) * DW_RANGE[1],
        abs(C1 - C0),
        abs(slope * dw),
    )
    return NudgeState(
        (l, j, k),
        weight_label((l, j, k)),
        w0,
        dw,
        C0,
        C1,
        slope,
        ws,
        Cs,
        tangent,
        bar_limit,
    )


# -- the explorer ----------------------------------------------------------------

#: Points of the drawn cost curve C(w) around w₀.
N_CURVE = 161


def weight_key(weight):
    """Return the view's key of weight (l, j, k): 'l,j,k' (0-based j, k)."""
    return ",".join(str(int(i)) for i in weight)


def parse_weight_key(key):
    """Return (l, j, k) from the view's key 'l,j,k'."""
    try:
        l, j, k = (int(i) for i in str(key).split(","))
    except ValueError:
        raise ValueError(
            f"weight key must be 'l,j,k' (three integers); got {key!r}"
        ) from None
    return l, j, k


def config_for(net, X, Y):
    """Return the view's config: the network, its batch, ranges, choices."""
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    return {
        "sizes": list(net.sizes),
        "hidden": net.hidden.name,
        "output": net.output.name,
        "loss": net.loss_name,
        "weights": [W.tolist() for W in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "X": X.tolist(),
        "Y": Y.tolist(),
        "dw_range": list(DW_RANGE),
        "n_curve": N_CURVE,
        "choices": [
            [weight_key(w), label] for label, w in weight_choices(net)
        ],
    }


def state(config, controls):
    """Return what the view shows at controls {weight, w0, dw} (JSON-safe).

    The network explorers' keys (sizes ... weights with w₀ in place, X, Y,
    C, dW, db at w₀) come with the nudge: C1, slope, the curve, the bars.
    """
    net, X, Y = (
        net_from(config),
        np.array(config["X"]),
        np.array(config["Y"]),
    )
    l, j, k = parse_weight_key(controls["weight"])
    s = nudge(
        net,
        X,
        Y,
        (l, j, k),
        controls["dw"],
        w=controls["w0"],
        n_points=int(config["n_curve"]),
    )
    net.weights[l - 1][j, k] = s.w0
    dWs, dbs = net.gradients(X, Y)
    return {
        "weight": controls["weight"],
        "w0": s.w0,
        "dw": s.dw,
        "label": s.label,
        "sizes": config["sizes"],
        "hidden": config["hidden"],
        "output": config["output"],
        "loss": config["loss"],
        "weights": [W.tolist() for W in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "X": config["X"],
        "Y": config["Y"],
        "C": s.C0,
        "dW": [d.tolist() for d in dWs],
        "db": [d.tolist() for d in dbs],
        "C1": s.C1,
        "slope": s.slope,
        "actual": s.actual,
        "predicted": s.predicted,
        "error": s.error,
        "curve_w": s.ws.tolist(),
        "curve_C": s.Cs.tolist(),
        "bar_limit": s.bar_limit,
    }


class NudgeExplorer(Explorer):
    """The nudge explorer (view: web/nudge.js)."""

    howto = "Pick a weight, then move its value w₀ or the nudge Δw: the bars set the actual change of C beside the tangent's prediction ∂C/∂w · Δw."

    name = "nudge"
    view = "nudge"

    def controls_spec(self, config):
        """Return the controls: which weight (of config), w₀ and Δw."""
        return (
            Choice(
                "weight", "weight", tuple(map(tuple, config["choices"]))
            ),
            Range("w0", "its value w₀", *W_RANGE, 0.01, sign=True),
            Range("dw", "nudge Δw", *DW_RANGE, 0.01, sign=True),
        )

    def __init__(self, net=None, X=None, Y=None, weight=None, dw=0.5):
        """Start on net, X, Y (default_problem() if net is None) at weight, dw."""
        if net is None:
            net, X, Y = default_problem()
        elif X is None or Y is None:
            raise ValueError(
                "pass X and Y together with net (or none of the three)"
            )
        weight = (1, 0, 0) if weight is None else weight
        l, j, k = _check_weight(net, weight)
        w0 = float(np.clip(net.weights[l - 1][j, k], *W_RANGE))
        dw = float(np.clip(_finite("dw", dw), *DW_RANGE))
        super().__init__(
            config_for(net, X, Y),
            {"weight": weight_key((l, j, k)), "w0": w0, "dw": dw},
        )

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def fallback_html(self):
        """Return the starting picture as a PNG (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        from .host import png_data_uri

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
        ax.set_xlabel(f"weight {s['label']}", fontsize=8)
        ax.legend(fontsize=7)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        alt = (
            f"The cost C as the weight {s['label']} varies around "
            f"w₀ = {s['w0']:+.2f}, with its tangent line; ΔC = "
            f"{s['actual']:+.4f} against the prediction "
            f"{s['predicted']:+.4f} for Δw = {s['dw']:+.2f}."
        )
        return f'<img src="{png_data_uri(fig)}" alt="{alt}">'

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        l, j, k = parse_weight_key(self.controls["weight"])
        sizes = "-".join(map(str, self.config["sizes"]))
        return (
            f"Nudge explorer: the weight {weight_label((l, j, k))} of a "
            f"{sizes} network, nudged by Δw = {self.controls['dw']:+.2f}"
        )


EXPLORER = NudgeExplorer


def show(net=None, X=None, Y=None, weight=None, dw=0.5):
    """Return the nudge explorer for net, X, Y (a small default network if none)."""
    return NudgeExplorer(net, X, Y, weight=weight, dw=dw)
