"""Hidden-error explorer: how ‖δ^l‖ changes from layer to layer over depth (chapter 4).

A deep, square network (every layer `width` units wide) gets weights with
entries drawn from N(0, g²/n), g the weight scale and n the width, zero
biases, an identity output with the mean squared error, and a random batch.
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

Three layers, as for every explorer of the book:

- `delta_norms(activation, depth, scale)` is the pure function: it returns a
  `HiddenErrorState` with the norms, the ratios, the measured gains and the
  predicted ones. No widgets, no Matplotlib; the tests pin it.
- `HiddenErrorPlot` draws states on ONE Matplotlib figure (log scale) and moves
  its artists in place.
- `HiddenErrorExplorer` holds the depth and scale sliders and the activation
  dropdown, and an `ipywidgets.Image` with the figure's PNG; `show()` returns a
  `backprop.frames.DualView` whose book view steps through frames along g.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import MLP
from .figure import (
    BlittedFigure,
    LiveExplorer,
    code_html,
    controls_row,
    image_widget,
)

__all__ = [
    "HiddenErrorState",
    "build_problem",
    "delta_norms",
    "HiddenErrorPlot",
    "HiddenErrorExplorer",
    "show",
    "ACTIVATIONS",
    "DEPTH_RANGE",
    "SCALE_RANGE",
    "BOOK_SCALES",
]

#: The hidden activations compared (the dropdown's choices); the pure function also accepts "identity".
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: Depths (number of layers L) the slider offers; the pure function accepts 2..50.
DEPTH_RANGE = (2, 20)
#: Weight scales g the slider offers; the pure function accepts 0.01..10.
SCALE_RANGE = (0.25, 4.0)
#: The weight scales of the book's frames, from 1/4 to 4 through 1 (tanh's edge) and √2 (ReLU's).
BOOK_SCALES = (
    0.25,
    0.35,
    0.5,
    0.6,
    0.7,
    0.85,
    1.0,
    1.2,
    float(np.sqrt(2.0)),
    1.7,
    2.0,
    2.8,
    4.0,
)

_LABELS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "identity": "identity",
}
_COLORS = {"sigmoid": "C0", "tanh": "C1", "relu": "C2", "identity": "C4"}


@dataclass(frozen=True)
class HiddenErrorState:
    """Per-layer error norms of one deep random network; index i is layer l = i + 1."""

    activation: str
    depth: int  # L, the number of layers with weights
    scale: float  # g: the entries of every W^l are N(0, g²/width)
    width: int
    layers: np.ndarray  # 1..L
    norms: (
        np.ndarray
    )  # ‖δ^l‖: root mean square over the batch of the column norms
    ratios: np.ndarray  # ‖δ^l‖ / ‖δ^L‖ (the last entry is 1)
    gains: np.ndarray  # ‖δ^l‖ / ‖δ^{l+1}‖ for l = 1..L−1, measured
    predicted_gains: np.ndarray  # g · rms σ'(z^l) for l = 1..L−1
    predicted_ratios: np.ndarray  # products of the predicted gains from layer l up to L − 1 (last entry 1)

    @property
    def mean_gain(self):
        """Return the geometric mean of the measured gains: the typical factor per layer."""
        return float(np.exp(np.mean(np.log(self.gains))))

    @property
    def mean_predicted_gain(self):
        """Return the geometric mean of the predicted gains."""
        return float(np.exp(np.mean(np.log(self.predicted_gains))))


def _check(activation, depth, scale, width, m):
    if activation not in ACTIVATIONS + ("identity",):
        raise ValueError(
            f"activation must be one of {list(ACTIVATIONS) + ['identity']}; got {activation!r}"
        )
    if (
        isinstance(depth, bool)
        or not isinstance(depth, (int, np.integer))
        or not 2 <= depth <= 50
    ):
        raise ValueError(
            f"depth (the number of layers L) must be an integer in 2..50; got {depth!r}"
        )
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise TypeError(
            f"scale must be a number in [0.01, 10]; got {scale!r}"
        ) from None
    if not 0.01 <= scale <= 10.0:
        raise ValueError(f"scale g must lie in [0.01, 10]; got {scale}")
    for name, v in (("width", width), ("m", m)):
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, np.integer))
            or v < 1
        ):
            raise ValueError(
                f"{name} must be a positive integer; got {v!r}"
            )
    return activation, int(depth), scale, int(width), int(m)


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
    rng = np.random.default_rng(seed)
    net.weights = [
        scale * rng.normal(size=(width, width)) / np.sqrt(width)
        for _ in range(depth)
    ]
    X = rng.normal(size=(width, m))
    Y = rng.normal(size=(width, m))
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
        np.arange(1, depth + 1),
        norms,
        norms / norms[-1],
        norms[:-1] / norms[1:],
        predicted_gains,
        predicted_ratios,
    )


def label(state):
    """Return a one-line plain-text summary of a state."""
    s = state
    return (
        f"g = {s.scale:.2f}: {_LABELS[s.activation]}, L = {s.depth}: ‖δ¹‖/‖δᴸ‖ = {s.ratios[0]:.1e}, "
        f"gain per layer {s.mean_gain:.2f} (predicted g·rms σ' = {s.mean_predicted_gain:.2f})"
    )


def y_limits(depth):
    """Return the fixed log-axis limits for a depth: wide enough for every scale of the slider."""
    low = (SCALE_RANGE[0] / 4) ** (
        depth - 1
    )  # sigmoid, smallest scale: gain ≈ g/4
    high = (1.15 * SCALE_RANGE[1] / np.sqrt(2)) ** (
        depth - 1
    )  # ReLU, largest scale: gain ≈ g/√2
    return 10.0 ** (np.floor(np.log10(low)) - 1), 10.0 ** (
        np.ceil(np.log10(high)) + 1
    )


# -- drawing -------------------------------------------------------------------


class HiddenErrorPlot(BlittedFigure):
    """One Matplotlib figure: ‖δ^l‖/‖δ^L‖ per layer on a log scale; update(...) moves its artists.

    The curves and the title move; the axes (set by the depth) are still parts,
    redrawn only when the depth changes, and the legend (set by the selected
    activation) is slow: drawn over them only when the activation changes.
    """

    def __init__(self, figsize=(7.6, 3.4)):
        """Create the figure and its artists (outside pyplot, so no cell shows it by itself)."""
        super().__init__(figsize)
        # Fixed margins rather than a layout engine, which would rerun on every full draw.
        self.fig.subplots_adjust(left=0.1, right=0.72, bottom=0.14, top=0.9)
        self.ax = ax = self.fig.add_subplot()
        ax.set_yscale("log")
        # Plain-text tick labels ("1e-12"): mathtext labels ("10^{-12}") cost most of a redraw.
        from matplotlib.ticker import FuncFormatter, NullLocator

        ax.yaxis.set_major_formatter(
            FuncFormatter(
                lambda v, _: f"1e{round(np.log10(v)):d}" if v > 0 else ""
            )
        )
        ax.yaxis.set_minor_locator(NullLocator())
        self.lines = {}
        for name in ACTIVATIONS:
            (self.lines[name],) = ax.plot(
                [1, 2], [1, 1], color=_COLORS[name], label=_LABELS[name]
            )
        (self.prediction,) = ax.plot(
            [1, 2],
            [1, 1],
            color="k",
            lw=1.2,
            ls="--",
            label="predicted",
            zorder=4,
        )  # on top of the bold curve it predicts
        one = ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
        ax.set_xlabel("layer $l$ (the output layer $L$ is on the right)")
        ax.set_ylabel(r"$\Vert\delta^l\Vert \,/\, \Vert\delta^L\Vert$")
        ax.grid(True, which="major", axis="y", color="0.92")
        self.title = ax.set_title("", fontsize=10)
        # The line at 1 and the frame are drawn per frame, to stay on top of the faint curves.
        self.animate(
            *self.lines.values(),
            self.prediction,
            one,
            *ax.spines.values(),
            self.title,
        )
        self._depth = self._selected = (
            None  # what the axes and the legend show
        )

    def update(self, states, selected):
        """Show the states (a dict activation -> HiddenErrorState), `selected` in bold; return self."""
        s = states[selected]
        for name, line in self.lines.items():
            t = states[name]
            line.set_data(t.layers, t.ratios)
            bold = name == selected
            line.set_linewidth(2.4 if bold else 1.2)
            line.set_alpha(1.0 if bold else 0.35)
            line.set_marker("o" if bold else "")
            line.set_markersize(4)
            line.set_zorder(3 if bold else 2)
        self.prediction.set_data(s.layers, s.predicted_ratios)
        # Plain text, no $...$: a title that changes at every move would be parsed as mathtext every time.
        self.title.set_text(
            f"g = {s.scale:.2f}, {s.depth} layers of {s.width} units; "
            f"{_LABELS[selected]}: gain per layer {s.mean_gain:.2f}"
        )
        if self._selected != selected:
            self._set_legend(selected)
        if self._depth != s.depth:
            self._set_axes(s.depth)
        return self

    def _set_legend(self, selected):
        """Make the legend for `selected`, a slow artist: the axes stay as they are."""
        if self.ax.legend_ is not None:
            self.forget(self.ax.legend_)
        self.prediction.set_label(
            f"{_LABELS[selected]}, predicted:\nproduct of g · rms σ'(zᵏ)"
        )
        legend = self.ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=8,
            frameon=False,
        )
        self.animate(legend, slow=True)
        self._selected = selected
        self.invalidate(slow_only=True)

    def _set_axes(self, depth):
        """Set the limits and ticks of the axes for `depth`: the still parts."""
        self.ax.set_xlim(0.5, depth + 0.5)
        low, high = y_limits(depth)
        self.ax.set_ylim(low, high)
        # At most about 8 labelled decades, always including 1e0.
        e_low, e_high = round(np.log10(low)), round(np.log10(high))
        step = max(1, int(np.ceil((e_high - e_low) / 8)))
        self.ax.set_yticks(
            10.0
            ** np.arange(
                int(np.ceil(e_low / step)) * step, e_high + 1, step
            )
        )
        self._depth = depth
        self.invalidate()


def all_states(depth, scale, **kwargs):
    """Return {activation: HiddenErrorState} for every activation of the explorer."""
    return {
        name: delta_norms(name, depth, scale, **kwargs)
        for name in ACTIVATIONS
    }


# -- the live explorer ---------------------------------------------------------


class HiddenErrorExplorer(LiveExplorer):
    """The live view: depth and scale sliders, an activation dropdown, and the figure as an Image."""

    def __init__(self, activation="tanh", depth=15, scale=1.0):
        """Build the widgets and the figure."""
        import ipywidgets as widgets

        activation, depth, scale, _, _ = _check(
            activation, depth, scale, 1, 1
        )
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"the explorer compares {list(ACTIVATIONS)}; got {activation!r}"
            )
        style = {"description_width": "initial"}
        self.activation = widgets.Dropdown(
            options=[(_LABELS[a], a) for a in ACTIVATIONS],
            value=activation,
            description="activation σ",
            style=style,
            description_allow_html=False,
        )
        self.depth = widgets.IntSlider(
            value=int(np.clip(depth, *DEPTH_RANGE)),
            min=DEPTH_RANGE[0],
            max=DEPTH_RANGE[1],
            step=1,
            description="depth L (layers)",
            continuous_update=True,
            style=style,
            description_allow_html=False,
        )
        self.scale = widgets.FloatLogSlider(
            value=float(np.clip(scale, *SCALE_RANGE)),
            base=2,
            min=np.log2(SCALE_RANGE[0]),
            max=np.log2(SCALE_RANGE[1]),
            step=0.05,
            description="weight scale g",
            readout_format=".2f",
            continuous_update=True,
            style=style,
            description_allow_html=False,
        )
        self.states = all_states(self.depth.value, self.scale.value)
        self.plot = HiddenErrorPlot()
        self.plot.update(self.states, self.activation.value)
        self.image = image_widget(self.plot.png())
        self.readout = widgets.HTML(value=self._readout())
        self.activation.observe(self._on_activation, names="value")
        self.depth.observe(self._on_change, names="value")
        self.scale.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [
                controls_row(self.activation, self.depth, self.scale),
                self.readout,
                self.image,
            ]
        )

    @property
    def state(self):
        """Return the HiddenErrorState of the selected activation."""
        return self.states[self.activation.value]

    def _readout(self):
        return code_html(label(self.state))

    def redraw(self):
        """Redraw the figure into the Image widget (and the readout) from the current states."""
        self.plot.update(self.states, self.activation.value)
        self.readout.value = self._readout()
        self.image.value = self.plot.png()

    def refresh(self):
        """Recompute the states for the current depth and scale, then redraw."""
        self.states = all_states(self.depth.value, self.scale.value)
        self.redraw()

    def _on_activation(self, change):
        self.redraw()  # the states of every activation are computed already

    def _on_change(self, change):
        self.refresh()

    def book_view(self, scales=BOOK_SCALES):
        """Return the frames HTML along the weight scale g, for the current activation and depth."""
        from ..frames import frames_html

        selected, depth = self.activation.value, self.depth.value
        plot = HiddenErrorPlot()
        states = [all_states(depth, g) for g in scales]
        images = [plot.update(st, selected).book_png() for st in states]
        return frames_html(
            images,
            [label(st[selected]) for st in states],
            title=f"‖δˡ‖ / ‖δᴸ‖ per layer in a {depth}-layer network as the weight scale g grows "
            f"({_LABELS[selected]} in bold, the other activations faint)",
            slider_label="weight scale g",
            alt=(
                "A log-scale plot of the ratio of each layer's error norm to the output layer's, against the "
                "layer index, for sigmoid, tanh and ReLU networks, with a dashed line for the predicted "
                f"product of g times the root mean square of σ'(z) for {_LABELS[selected]}. At small g every "
                "curve falls steeply towards the input layer (vanishing gradients); as g grows, tanh and "
                "ReLU level off near g = 1 and g = √2 and then rise towards the input (exploding "
                "gradients), while the sigmoid still falls."
            ),
        )

    def summary(self):
        """Return what the explorer shows, in one line of plain text."""
        return (
            f"Hidden-error explorer: ‖δ^l‖ per layer, {_LABELS[self.activation.value]}, "
            f"depth {self.depth.value}, weight scale g = {self.scale.value:.2f}"
        )


def show(activation="tanh", depth=15, scale=1.0):
    """Return the hidden-error explorer as a DualView (live sliders in Jupyter, frames along g in the book)."""
    return HiddenErrorExplorer(activation, depth, scale).dual_view()
