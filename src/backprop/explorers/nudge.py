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
- `NudgePlot` draws a state on ONE Matplotlib figure and updates its artists
  in place (no new figures per move); a Δw move redraws only what moves.
- `NudgeExplorer` holds the widgets (a dropdown for the weight, sliders for
  its value w and for Δw) and an `ipywidgets.Image` showing the figure's PNG;
  `show()` returns a `backprop.frames.DualView` whose book view steps through
  frames along Δw.

Weights are named by (l, j, k) with l = 1..L the layer and j, k the NumPy
(0-based) row and column of W^l; labels print them 1-based, as the text does:
(2, 0, 1) is w^2_{12}, printed "w²₁₂" in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import MLP
from .figure import (
    BlittedFigure,
    LabelledLines,
    LiveExplorer,
    compact_png,  # noqa: F401  (its home was here: keep nudge.compact_png working)
    controls_row,
    image_widget,
)

__all__ = [
    "NudgeState",
    "nudge",
    "default_problem",
    "weight_choices",
    "weight_label",
    "NudgePlot",
    "NudgeExplorer",
    "show",
    "compact_png",
    "DW_RANGE",
    "W_RANGE",
    "BOOK_DWS",
]

#: Range of the Δw slider, and of the window of the cost curve on each side of w₀.
DW_RANGE = (-2.0, 2.0)
#: Range of the slider for the weight's current value w₀.
W_RANGE = (-3.0, 3.0)
#: Δw of the book's precomputed frames: denser near 0, where ΔC and ∂C/∂w·Δw meet.
BOOK_DWS = (
    -2.0,
    -1.0,
    -0.5,
    -0.2,
    -0.1,
    -0.05,
    -0.02,
    0.0,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
)


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


# -- drawing -------------------------------------------------------------------

#: The labels of the text box beside the bars, padded to one width: the values line up.
_INFO_LABELS = (
    "slope ∂C/∂w (backprop) ",
    "actual ΔC              ",
    "predicted ∂C/∂w·Δw     ",
    "error |ΔC − pred.|     ",
    "predicted / actual     ",
    "error / Δw²            ",
)


class NudgePlot(BlittedFigure):
    """One Matplotlib figure showing a NudgeState; update(state) moves its artists in place.

    The cost curve, the tangent and the axes around them are slow: they change
    with the weight and w₀, not with Δw. The segments and points at w₀ + Δw,
    the title, the values of the text, the bars and the bar chart's y axis
    (whose scale follows Δw) move.
    """

    def __init__(self, state=None, figsize=(7.6, 3.3)):
        """Create the figure and its artists (outside pyplot, so no cell shows it by itself)."""
        super().__init__(figsize)
        # A fixed layout: a layout engine would rerun on every full draw.
        grid = self.fig.add_gridspec(
            2,
            2,
            width_ratios=[1.9, 1],
            height_ratios=[1.5, 1],
            left=0.085,
            right=0.985,
            bottom=0.14,
            top=0.92,
            wspace=0.22,
            hspace=0.5,
        )
        self.ax = ax = self.fig.add_subplot(grid[:, 0])
        self.bar_ax = bar_ax = self.fig.add_subplot(grid[0, 1])
        text_ax = self.fig.add_subplot(grid[1, 1])
        text_ax.set_axis_off()
        (self.curve,) = ax.plot(
            [], [], color="C0", lw=2, label="cost $C(w)$"
        )
        (self.tangent,) = ax.plot(
            [],
            [],
            color="C1",
            lw=1.5,
            ls="--",
            label=r"tangent, slope $\partial C/\partial w$",
        )
        (self.base,) = ax.plot([], [], color="0.5", lw=1, ls=":")
        (self.actual_seg,) = ax.plot(
            [], [], color="C0", lw=3, solid_capstyle="butt"
        )
        (self.pred_seg,) = ax.plot(
            [], [], color="C1", lw=3, solid_capstyle="butt"
        )
        (self.p0,) = ax.plot([], [], "o", color="k", ms=5)
        (self.p1,) = ax.plot([], [], "o", color="C0", ms=6)
        (self.pt,) = ax.plot([], [], "s", color="C1", ms=5)
        ax.set_ylabel("cost $C$")
        ax.legend(loc="upper center", fontsize=8, framealpha=0.85)
        self.bars = bar_ax.bar(
            [0, 1], [0, 0], color=["C0", "C1"], width=0.6
        )
        bar_ax.set_xticks(
            [0, 1], ["actual\nΔC", "predicted\n∂C/∂w · Δw"], fontsize=8
        )
        self.bar_zero = bar_ax.axhline(0, color="0.3", lw=0.8)
        bar_ax.set_title("the change in cost", fontsize=10)
        bar_ax.set_xlim(-0.6, 1.6)
        bar_ax.tick_params(axis="y", labelsize=7)
        self.bar_text = [
            bar_ax.text(i, 0, "", ha="center", fontsize=8) for i in (0, 1)
        ]
        self.info = text_ax.text(
            0.5,
            0.5,
            "",
            transform=text_ax.transAxes,
            ha="center",
            va="center",
            fontsize=8,
            family="monospace",
            multialignment="left",
        )
        self.info_lines = LabelledLines(self, self.info, _INFO_LABELS)
        # The frame goes with the curves, and the legend with the segments, to stay on top
        # of them as in a full draw. Of the bar chart, whose scale follows Δw, only the title
        # and the x axis are still (its frame moves, to stay on top of the zero line).
        self.animate(
            ax.xaxis,
            ax.yaxis,
            self.curve,
            self.tangent,
            *ax.spines.values(),
            slow=True,
        )
        self.animate(
            self.base,
            self.actual_seg,
            self.pred_seg,
            self.p0,
            self.p1,
            self.pt,
            ax.title,
            ax.legend_,
            *self.bars,
            self.bar_zero,
            *bar_ax.spines.values(),
            bar_ax.yaxis,
            *self.bar_text,
        )
        self._shown = None  # what the slow parts show, see _slow_key
        if state is not None:
            self.update(state)

    @staticmethod
    def _slow_key(s):
        """Return what the slow parts of state s depend on: the curve, the tangent, the limits, the label."""
        return (
            s.label,
            s.w0,
            s.C0,
            s.slope,
            s.bar_limit,
            s.ws.tobytes(),
            s.Cs.tobytes(),
        )

    def _set_curve(self, s):
        """Set the slow parts (curve, tangent, limits, axis label) for state s."""
        self.curve.set_data(s.ws, s.Cs)
        self.tangent.set_data(s.ws, s.tangent)
        ax = self.ax
        ax.set_xlim(s.ws[0], s.ws[-1])
        lo, hi = float(s.Cs.min()), float(s.Cs.max())
        lo, hi = min(lo, s.C0 - s.bar_limit), max(hi, s.C0 + s.bar_limit)
        pad = 0.08 * max(hi - lo, 1e-6)
        ax.set_ylim(lo - pad, hi + 2.5 * pad)
        ax.set_xlabel(
            f"weight {s.label}   (current value w₀ = {s.w0:+.2f})"
        )
        self._shown = self._slow_key(s)
        self.invalidate(slow_only=True)

    def update(self, s):
        """Move every artist to show state s; return self."""
        if self._shown != self._slow_key(s):
            self._set_curve(s)
        x1 = s.w0 + s.dw
        self.base.set_data([min(s.w0, x1), max(s.w0, x1)], [s.C0, s.C0])
        # The two changes as vertical segments at w₀ + Δw, side by side.
        off = 0.012 * (s.ws[-1] - s.ws[0])
        self.actual_seg.set_data([x1 - off, x1 - off], [s.C0, s.C1])
        self.pred_seg.set_data(
            [x1 + off, x1 + off], [s.C0, s.C0 + s.predicted]
        )
        self.p0.set_data([s.w0], [s.C0])
        self.p1.set_data([x1], [s.C1])
        self.pt.set_data([x1], [s.C0 + s.predicted])
        # Plain text, not mathtext: a title that changes with every move
        # would be parsed again on every draw, which costs more than the rest.
        self.ax.set_title(
            f"nudging {s.label} by Δw = {s.dw:+.2f}", fontsize=10
        )
        ratio = "—" if s.ratio is None else f"{s.ratio:.4f}"
        per_dw2 = (
            "—" if s.error_over_dw2 is None else f"{s.error_over_dw2:.2e}"
        )
        self.info_lines.set_values(
            [
                f"{s.slope:+.5f}",
                f"{s.actual:+.5f}",
                f"{s.predicted + 0.0:+.5f}",
                f"{s.error:.1e}",
                ratio,
                per_dw2,
            ]
        )
        # The bar axis follows the current changes, so that they can be
        # compared at every size; at Δw = 0 both are 0 and the axis keeps a
        # fixed, small scale.
        size = max(abs(s.actual), abs(s.predicted))
        limit = 1.3 * (size if size > 0 else 0.01 * max(s.bar_limit, 1e-6))
        for bar, text, value in zip(
            self.bars, self.bar_text, (s.actual, s.predicted)
        ):
            value += (
                0.0  # no "-0" label when Δw = 0 and the slope is negative
            )
            bar.set_height(value)
            text.set_position(
                (
                    bar.get_x() + bar.get_width() / 2,
                    value + (0.03 if value >= 0 else -0.03) * limit,
                )
            )
            text.set_va("bottom" if value >= 0 else "top")
            text.set_text(
                f"{value:+.2e}"
                if 0 < abs(value) < 1e-3
                else f"{value:+.4f}"
            )
        self.bar_ax.set_ylim(-limit, limit)
        return self


# -- the live explorer ---------------------------------------------------------


class NudgeExplorer(LiveExplorer):
    """The live view: a weight dropdown, sliders for w and Δw, and the figure as an Image."""

    def __init__(self, net=None, X=None, Y=None, weight=None, dw=0.5):
        """Build the widgets for net, X, Y (default_problem() if net is None)."""
        import ipywidgets as widgets

        if net is None:
            net, X, Y = default_problem()
        elif X is None or Y is None:
            raise ValueError(
                "pass X and Y together with net (or none of the three)"
            )
        self.net, self.X, self.Y = net.copy(), X, Y
        choices = weight_choices(self.net)
        weight = (
            choices[0][1]
            if weight is None
            else _check_weight(self.net, weight)
        )
        style = {"description_width": "initial"}
        self.weight = widgets.Dropdown(
            options=choices,
            value=weight,
            description="weight",
            style=style,
            description_allow_html=False,
        )
        self.w = widgets.FloatSlider(
            value=self._value_of(weight),
            min=W_RANGE[0],
            max=W_RANGE[1],
            step=0.01,
            description="its value w₀",
            readout_format="+.2f",
            continuous_update=True,
            style=style,
            description_allow_html=False,
        )
        self.dw = widgets.FloatSlider(
            value=float(np.clip(dw, *DW_RANGE)),
            min=DW_RANGE[0],
            max=DW_RANGE[1],
            step=0.01,
            description="nudge Δw",
            readout_format="+.2f",
            continuous_update=True,
            style=style,
            description_allow_html=False,
        )
        self.state = self.compute()
        self.plot = NudgePlot(self.state)
        self.image = image_widget(self.plot.png())
        self.weight.observe(self._on_weight, names="value")
        self.w.observe(self._on_change, names="value")
        self.dw.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [controls_row(self.weight, self.w, self.dw), self.image]
        )

    def _value_of(self, weight):
        l, j, k = weight
        return float(np.clip(self.net.weights[l - 1][j, k], *W_RANGE))

    def compute(self):
        """Return the NudgeState for the widgets' current values."""
        return nudge(
            self.net,
            self.X,
            self.Y,
            self.weight.value,
            self.dw.value,
            w=self.w.value,
        )

    def refresh(self):
        """Recompute the state and redraw the figure into the Image widget."""
        self.state = self.compute()
        self.plot.update(self.state)
        self.image.value = self.plot.png()

    def _on_weight(self, change):
        # A new weight starts from its value in the network; hold the redraw
        # until both the weight and its value are set.
        self._holding = True
        try:
            self.w.value = self._value_of(change["new"])
        finally:
            self._holding = False
        self.refresh()

    def _on_change(self, change):
        if not getattr(self, "_holding", False):
            self.refresh()

    def book_view(self, dws=BOOK_DWS):
        """Return the frames HTML along Δw for the current weight and value."""
        from ..frames import frames_html

        weight, w0 = self.weight.value, self.w.value
        plot = NudgePlot()
        images = [
            plot.update(
                nudge(self.net, self.X, self.Y, weight, dw, w=w0)
            ).book_png()
            for dw in dws
        ]
        labels = [f"Δw = {dw:+.2f}" for dw in dws]
        label = weight_label(weight)
        return frames_html(
            images,
            labels,
            title=f"Nudge the weight {label} (w₀ = {w0:+.2f}) by Δw: actual ΔC against the prediction ∂C/∂w · Δw",
            slider_label="nudge Δw",
            alt=(
                f"Left: the cost C as a function of the weight {label}, with the tangent line of slope ∂C/∂w "
                "from backprop at the current value; at w₀ + Δw a blue segment shows the actual change of "
                "the cost and an orange one the change the tangent predicts. Right: the two changes as bars. "
                "As Δw shrinks towards 0 the two agree ever more closely."
            ),
        )

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        return (
            f"Nudge explorer: the weight {weight_label(self.weight.value)} of a "
            f"{'-'.join(map(str, self.net.sizes))} network, nudged by Δw"
        )


def show(net=None, X=None, Y=None, weight=None, dw=0.5):
    """Return the nudge explorer for net, X, Y (a small default network if none) as a DualView."""
    return NudgeExplorer(net, X, Y, weight=weight, dw=dw).dual_view()
