"""Output-error explorer: δ^L for sigmoid + MSE against softmax + cross-entropy (chapter 3).

One output unit with pre-activation z and target y ∈ [0, 1], two ways:

- sigmoid output with the mean squared error, C_x = ½(a − y)², a = σ(z):
  rule 1 gives δ = (a − y) σ'(z);
- a softmax over two classes whose second logit is held at 0, with the
  cross-entropy and the target (y, 1 − y): the first output is
  e^z / (e^z + e^0) = σ(z), the very same a, and δ = a − y.

Both outputs are the same number a = σ(z), so the only difference between the
two errors is the factor σ'(z): it makes δ vanish when the unit saturates
(|z| large), however wrong the output is, while the cross-entropy error stays
a − y.

Three layers, as for every explorer of the book:

- `output_errors(z, y)` is the pure function: it returns an `OutputErrorState`
  with a, σ'(z), both errors and both costs (z may be an array). No widgets,
  no Matplotlib; the tests pin it.
- `OutputErrorPlot` draws a state on ONE Matplotlib figure and moves its
  artists in place.
- `OutputErrorExplorer` holds the sliders for z and y and an
  `ipywidgets.Image` with the figure's PNG; `show()` returns a
  `backprop.frames.DualView` whose book view steps through frames along z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations, losses, rules
from .figure import (
    BlittedFigure,
    LiveExplorer,
    code_html,
    compact_png,  # noqa: F401  (its home was here: keep oe.compact_png working)
    controls_row,
    image_widget,
)

__all__ = [
    "OutputErrorState",
    "output_errors",
    "OutputErrorPlot",
    "OutputErrorExplorer",
    "show",
    "Z_RANGE",
    "Y_RANGE",
    "BOOK_ZS",
]

#: Range of the slider for the pre-activation z.
Z_RANGE = (-10.0, 10.0)
#: Range of the slider for the target y.
Y_RANGE = (0.0, 1.0)
#: The z values of the book's precomputed frames.
BOOK_ZS = tuple(float(v) for v in np.linspace(-7.0, 7.0, 15))


@dataclass(frozen=True)
class OutputErrorState:
    """What the explorer shows at pre-activation(s) z for target y (arrays shaped like z)."""

    z: (
        np.ndarray
    )  # pre-activation of the output unit (the first logit for softmax)
    y: float  # target (the first class's probability for softmax)
    a: np.ndarray  # σ(z), which is also softmax((z, 0))_1
    dsigma: np.ndarray  # σ'(z)
    delta_mse: np.ndarray  # rule 1, sigmoid + MSE: (a − y) σ'(z)
    delta_ce: np.ndarray  # softmax + cross-entropy: a − y
    cost_mse: np.ndarray  # ½ (a − y)²
    cost_ce: (
        np.ndarray
    )  # −y ln a − (1 − y) ln(1 − a), from the logits (finite at every z)

    @property
    def slowdown(self):
        """Return |δ_MSE| / |δ_CE| = σ'(z) (where a ≠ y): the factor by which MSE learns slower."""
        return self.dsigma


def _check(z, y):
    z = np.asarray(z, dtype=np.float64)
    if not np.all(np.isfinite(z)):
        raise ValueError(f"z must be finite; got {z!r}")
    try:
        y = float(y)
    except (TypeError, ValueError):
        raise TypeError(
            f"y must be a number in [0, 1]; got {y!r}"
        ) from None
    if not Y_RANGE[0] <= y <= Y_RANGE[1]:
        raise ValueError(
            f"y is a target probability and must lie in [0, 1]; got {y}"
        )
    return z, y


def output_errors(z, y):
    """Return the OutputErrorState at z (a number or an array) for target y ∈ [0, 1]."""
    z, y = _check(z, y)
    row = z.reshape(1, -1)  # one output unit, one column per z value
    a = activations.sigmoid(row)
    dsigma = activations.sigmoid_prime(row)
    delta_mse = rules.output_error(
        losses.mse_grad(a, y * np.ones_like(row)), dsigma
    )  # rule 1
    logits = np.vstack(
        [row, np.zeros_like(row)]
    )  # the second logit is held at 0
    Y = np.vstack([np.full_like(row, y), np.full_like(row, 1.0 - y)])
    a_soft = activations.softmax(logits)
    delta_ce = losses.cross_entropy_delta(a_soft, Y)[
        0:1
    ]  # ∂C_x/∂z for the first logit
    cost_mse = 0.5 * (a - y) ** 2
    cost_ce = -np.sum(Y * losses.log_softmax(logits), axis=0, keepdims=True)

    def shaped(v):
        return v.reshape(z.shape)

    return OutputErrorState(
        z,
        y,
        shaped(a),
        shaped(dsigma),
        shaped(delta_mse),
        shaped(delta_ce),
        shaped(cost_mse),
        shaped(cost_ce),
    )


# -- drawing -------------------------------------------------------------------

_CURVE_Z = np.linspace(*Z_RANGE, 401)


class OutputErrorPlot(BlittedFigure):
    """One Matplotlib figure for an OutputErrorState; update(z, y) moves its artists in place."""

    def __init__(self, z=-4.0, y=1.0, figsize=(8.0, 3.2)):
        """Create the figure and its artists; only the markers move when z alone changes."""
        super().__init__(figsize)
        # Fixed margins rather than a layout engine, which would rerun on every full draw.
        self.fig.subplots_adjust(
            left=0.07, right=0.985, bottom=0.15, top=0.9, wspace=0.2
        )
        left, right = self.fig.subplots(1, 2)
        self.left, self.right = left, right
        curves = output_errors(
            _CURVE_Z, 0.0
        )  # a and σ' do not depend on the target
        (self.a_curve,) = left.plot(
            _CURVE_Z,
            curves.a,
            color="k",
            lw=1.8,
            label=r"output $a = \sigma(z)$",
        )
        (self.ds_curve,) = left.plot(
            _CURVE_Z,
            curves.dsigma,
            color="C2",
            lw=1.5,
            ls="--",
            label=r"$\sigma'(z)$",
        )
        self.target = left.axhline(
            1.0, color="C3", lw=1.2, ls=":", label="target $y$"
        )
        (self.gap,) = left.plot(
            [], [], color="C3", lw=3, alpha=0.6, solid_capstyle="butt"
        )
        (self.a_dot,) = left.plot([], [], "o", color="k", ms=6)
        (self.ds_dot,) = left.plot([], [], "o", color="C2", ms=5)
        left.set_xlim(*Z_RANGE)
        left.set_ylim(-0.05, 1.05)
        left.set_xlabel("pre-activation $z$")
        left.set_title("the two factors of $\\delta$", fontsize=10)
        left.legend(loc="center right", fontsize=8, framealpha=0.85)

        (self.mse_curve,) = right.plot(
            _CURVE_Z,
            np.zeros_like(_CURVE_Z),
            color="C0",
            lw=2,
            label=r"sigmoid + MSE: $(a-y)\,\sigma'(z)$",
        )
        (self.ce_curve,) = right.plot(
            _CURVE_Z,
            np.zeros_like(_CURVE_Z),
            color="C1",
            lw=2,
            label=r"softmax + cross-entropy: $a-y$",
        )
        self.zero = right.axhline(0.0, color="0.5", lw=0.8)
        (self.mse_dot,) = right.plot([], [], "o", color="C0", ms=7)
        (self.ce_dot,) = right.plot([], [], "s", color="C1", ms=6)
        self.cursor = right.axvline(0.0, color="0.6", lw=0.8, ls=":")
        right.set_xlim(*Z_RANGE)
        right.set_ylim(-1.08, 1.08)
        right.set_xlabel("pre-activation $z$")
        right.set_title(
            r"the output error $\delta = \partial C_x/\partial z$",
            fontsize=10,
        )
        right.legend(loc="upper left", fontsize=8, framealpha=0.85)
        # What y moves is slow: drawn over the axes when y changes, so that a y move does
        # not redraw the axes (three times the cost). The zero line goes with it, to stay on
        # top of the curves; the frames of the axes and the legends are drawn per frame, to
        # stay on top of the markers: as in a full draw.
        self.animate(
            self.target, self.mse_curve, self.ce_curve, self.zero, slow=True
        )
        self.animate(
            self.gap,
            self.a_dot,
            self.ds_dot,
            self.mse_dot,
            self.ce_dot,
            self.cursor,
            *left.spines.values(),
            *right.spines.values(),
            left.legend_,
            right.legend_,
        )
        self._y = None
        self.update(z, y)

    def update(self, z, y):
        """Move every artist to show the state at (z, y); return self."""
        if y != self._y:
            curves = output_errors(_CURVE_Z, y)
            self.mse_curve.set_ydata(curves.delta_mse)
            self.ce_curve.set_ydata(curves.delta_ce)
            self.target.set_ydata([y, y])
            self._y = y
            self.invalidate(slow_only=True)
        s = output_errors(z, y)
        a, ds, dm, dc = (
            float(s.a),
            float(s.dsigma),
            float(s.delta_mse),
            float(s.delta_ce),
        )
        self.gap.set_data([z, z], [y, a])
        self.a_dot.set_data([z], [a])
        self.ds_dot.set_data([z], [ds])
        self.mse_dot.set_data([z], [dm])
        self.ce_dot.set_data([z], [dc])
        self.cursor.set_xdata([z, z])
        return self


def label(state):
    """Return a one-line plain-text summary of a (scalar) state: z, a − y and both errors."""
    s = state
    return (
        f"z = {float(s.z):+.1f}:  a − y = {float(s.a) - s.y:+.3f},  σ'(z) = {float(s.dsigma):.1e},  "
        f"δ sigmoid+MSE = {float(s.delta_mse):+.1e},  δ softmax+CE = {float(s.delta_ce):+.3f}"
    )


def readout(state):
    """Return the live view's HTML readout of a (scalar) state."""
    return code_html(label(state))


# -- the live explorer ---------------------------------------------------------


class OutputErrorExplorer(LiveExplorer):
    """The live view: sliders for z and y, and the figure as an Image that is redrawn in place."""

    def __init__(self, z=-4.0, y=1.0):
        """Build the sliders and the figure at (z, y)."""
        import ipywidgets as widgets

        z, y = _check(z, y)
        z = float(np.clip(z, *Z_RANGE))
        style = {"description_width": "initial"}
        self.z = widgets.FloatSlider(
            value=z,
            min=Z_RANGE[0],
            max=Z_RANGE[1],
            step=0.1,
            description="pre-activation z",
            readout_format="+.1f",
            continuous_update=True,
            style=style,
            description_allow_html=False,
        )
        self.y = widgets.FloatSlider(
            value=y,
            min=Y_RANGE[0],
            max=Y_RANGE[1],
            step=0.05,
            description="target y",
            readout_format=".2f",
            continuous_update=True,
            style=style,
            description_allow_html=False,
        )
        self.state = output_errors(self.z.value, self.y.value)
        self.plot = OutputErrorPlot(self.z.value, self.y.value)
        self.image = image_widget(self.plot.png())
        self.readout = widgets.HTML(value=readout(self.state))
        self.z.observe(self._on_change, names="value")
        self.y.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [controls_row(self.z, self.y), self.readout, self.image]
        )

    def refresh(self):
        """Recompute the state and redraw the figure into the Image widget."""
        self.state = output_errors(self.z.value, self.y.value)
        self.plot.update(self.z.value, self.y.value)
        self.readout.value = readout(self.state)
        self.image.value = self.plot.png()

    def _on_change(self, change):
        self.refresh()

    def book_view(self, zs=BOOK_ZS):
        """Return the frames HTML along z, for the current target y."""
        from ..frames import frames_html

        y = self.y.value
        plot = OutputErrorPlot(zs[0], y)
        images = [plot.update(z, y).book_png() for z in zs]
        return frames_html(
            images,
            [label(output_errors(z, y)) for z in zs],
            title=f"The output error as the pre-activation z moves (target y = {y:.2f}): "
            "sigmoid + MSE against softmax + cross-entropy",
            slider_label="pre-activation z",
            alt=(
                "Left: the output a = σ(z), an S-shaped curve from 0 to 1, the target y as a dotted line and "
                "σ'(z) as a dashed bump centred at z = 0. Right: the output error δ as a function of z for "
                "sigmoid with mean squared error, (a − y)σ'(z), which goes to 0 at both ends, and for softmax "
                "with cross-entropy, a − y, which stays far from 0 wherever the output is wrong. Dots mark "
                "the current z; a box lists a − y, σ'(z) and both errors."
            ),
        )

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        return (
            "Output-error explorer: δ for sigmoid + MSE and softmax + cross-entropy "
            f"at z = {self.z.value:+.1f}, y = {self.y.value:.2f}"
        )


def show(z=-4.0, y=1.0):
    """Return the output-error explorer at pre-activation z and target y as a DualView."""
    return OutputErrorExplorer(z, y).dual_view()
