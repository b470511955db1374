"""Weights and biases explorer: move one parameter, watch rules 3 and 4 respond (chapters 5, 6).

A small network (2-3-2 by default) and a fixed batch. One parameter, a weight
w^l_{jk} or a bias b^l_j, is set to a value; the explorer shows, for its layer
l, the heatmaps of W^l, b^l, a^{l-1}, δ^l, ∂C/∂W^l = δ^l (a^{l-1})ᵀ / m and
∂C/∂b^l = the mean of the columns of δ^l, together with the cost C as a
function of the parameter and the tangent whose slope is the backprop
gradient.

Three layers, as for every explorer:

- `state(net, X, Y, param, value)` and `sweep(...)`: pure NumPy, no widgets,
  no Matplotlib; the tests call them directly;
- `_Figure`: one blitted Matplotlib figure whose artists are updated in place;
- `show(...)`: the live ipywidgets view (a selector and one slider) wrapped
  in a `backprop.frames.DualView` whose book view is frames precomputed along
  the slider.

Indices are those of the text and are 1-based: `weight(2, 1, 3)` is w^2_{13},
row 1 and column 3 of W^2 (`net.weights[1][0, 2]` in Python).
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..network import MLP
from .figure import PALETTE_COLORS, BlittedFigure, image_widget

__all__ = [
    "Param",
    "weight",
    "bias",
    "WeightsState",
    "state",
    "sweep",
    "parameters",
    "default_problem",
    "show",
    "VALUE_RANGE",
]

#: The slider range of the selected parameter's value.
VALUE_RANGE = (-4.0, 4.0)


class Param(NamedTuple):
    """One parameter of the network: kind "w" (W^l[j, k]) or "b" (b^l[j]), 1-based indices."""

    kind: str
    l: int
    j: int
    k: int | None = None

    @property
    def index(self):
        """Return the 0-based NumPy index of the entry in W^l or b^l."""
        return (
            (self.j - 1, self.k - 1)
            if self.kind == "w"
            else (self.j - 1, 0)
        )

    @property
    def text(self):
        """Return a plain-text name such as 'w^2_13' or 'b^1_2'."""
        sub = f"{self.j}{self.k}" if self.kind == "w" else f"{self.j}"
        if self.kind == "w" and max(self.j, self.k) > 9:
            sub = f"{self.j},{self.k}"
        return f"{self.kind}^{self.l}_{sub}"

    @property
    def unicode(self):
        """Return the name with Unicode super- and subscripts, such as 'w²₁₃'."""
        sup, sub = (
            str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
            str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,"),
        )
        kind, rest = self.text.split("^", 1)
        l, idx = rest.split("_", 1)
        return kind + l.translate(sup) + idx.translate(sub)

    @property
    def tex(self):
        """Return the Matplotlib mathtext name, such as '$w^{2}_{13}$'."""
        sub = self.text.split("_", 1)[1]
        return f"${self.kind}^{{{self.l}}}_{{{sub}}}$"


def weight(l, j, k):
    """Return the Param of w^l_{jk}, row j and column k of W^l (1-based, as in the text)."""
    return Param("w", int(l), int(j), int(k))


def bias(l, j):
    """Return the Param of b^l_j, entry j of b^l (1-based, as in the text)."""
    return Param("b", int(l), int(j))


def _check_param(net, param):
    if not isinstance(param, Param):
        raise TypeError(
            f"param must be a Param from weight(l, j, k) or bias(l, j); got {type(param).__name__}"
        )
    if param.kind not in ("w", "b"):
        raise ValueError(
            f"param kind must be 'w' or 'b'; got {param.kind!r}"
        )
    if not 1 <= param.l <= net.L:
        raise ValueError(
            f"layer l must be in 1..{net.L} for this network; got {param.l}"
        )
    n_l, n_prev = net.sizes[param.l], net.sizes[param.l - 1]
    if not 1 <= param.j <= n_l:
        raise ValueError(
            f"row j of layer {param.l} must be in 1..{n_l}; got {param.j}"
        )
    if param.kind == "w" and (
        param.k is None or not 1 <= param.k <= n_prev
    ):
        raise ValueError(
            f"column k of W^{param.l} must be in 1..{n_prev}; got {param.k}"
        )


def parameters(net):
    """Return every Param of the network: the weights, then the biases, layer by layer."""
    params = []
    for l in range(1, net.L + 1):
        n_l, n_prev = net.sizes[l], net.sizes[l - 1]
        params += [
            weight(l, j, k)
            for j in range(1, n_l + 1)
            for k in range(1, n_prev + 1)
        ]
        params += [bias(l, j) for j in range(1, n_l + 1)]
    return params


def get_value(net, param):
    """Return the current value of a parameter of net."""
    _check_param(net, param)
    P = (
        net.weights[param.l - 1]
        if param.kind == "w"
        else net.biases[param.l - 1]
    )
    return float(P[param.index])


def with_value(net, param, value):
    """Return a copy of net in which only `param` is set to `value`."""
    _check_param(net, param)
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(
            f"the value of {param.text} must be a finite number; got {value!r}"
        )
    twin = net.copy()
    P = (
        twin.weights[param.l - 1]
        if param.kind == "w"
        else twin.biases[param.l - 1]
    )
    P[param.index] = value
    return twin


@dataclass
class WeightsState:
    """Everything the explorer shows for layer l at one parameter value.

    W (n_l, n_{l-1}), b (n_l, 1), a_prev = a^{l-1} (n_{l-1}, m),
    delta = δ^l (n_l, m), dW = δ^l (a^{l-1})ᵀ / m, db = mean of δ^l's columns
    (n_l, 1), loss = C, and grad = the entry of dW or db of the parameter.
    """

    param: Param
    value: float
    W: np.ndarray
    b: np.ndarray
    a_prev: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    loss: float

    @property
    def grad(self):
        """Return ∂C/∂(the selected parameter), read from dW or db."""
        G = self.dW if self.param.kind == "w" else self.db
        return float(G[self.param.index])


def state(net, X, Y, param, value):
    """Return the WeightsState of param's layer after setting param to value; net is not changed."""
    twin = with_value(net, param, value)
    X = twin.check_X(X)
    Y = twin.check_Y(Y, X.shape[1])
    cache = twin.forward(X, return_cache=True)
    dWs, dbs, deltas = twin.backward(cache, Y)
    l = param.l
    return WeightsState(
        param,
        float(value),
        twin.weights[l - 1].copy(),
        twin.biases[l - 1].copy(),
        cache.a[l - 1],
        deltas[l],
        dWs[l - 1],
        dbs[l - 1],
        twin._loss(cache, Y),
    )


def sweep(net, X, Y, param, values):
    """Return the list of WeightsState at each of `values` of param."""
    return [state(net, X, Y, param, v) for v in values]


def default_problem(seed=0, m=4):
    """Return (net, X, Y): a 2-3-2 sigmoid network with identity output and MSE, and a batch of m."""
    net = MLP(
        [2, 3, 2],
        hidden="sigmoid",
        output="identity",
        loss="mse",
        seed=seed,
    )
    rng = np.random.default_rng(seed + 1)
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(0.0, 1.0, size=(2, m))
    Y = np.vstack(
        [np.sin(X[0]), X[0] * X[1]]
    )  # a target the network can roughly follow
    return net, X, Y


# ---------------------------------------------------------------------------
# The figure: created once per selected parameter, its artists updated in place.
# ---------------------------------------------------------------------------

_PANELS = ("W", "b", "a_prev", "delta", "dW", "db")


def _titles(l):
    return {
        "W": f"$W^{{{l}}}$",
        "b": f"$b^{{{l}}}$",
        "a_prev": f"$a^{{{l - 1}}}$",
        "delta": rf"$\delta^{{{l}}}$",
        "dW": rf"$\partial C/\partial W^{{{l}}}$",
        "db": rf"$\partial C/\partial b^{{{l}}}$",
    }


class _Figure(BlittedFigure):
    """One Matplotlib figure (not managed by pyplot) showing a WeightsState; update() moves its artists.

    The still parts (axes, ticks, titles, the cost curve, and the panels the
    parameter cannot change: a^{l-1}, and b^l for a weight or W^l for a bias)
    are drawn once; a frame draws only the moving artists on top: the other
    heatmaps with their numbers and outlines, the tangent and the title of the
    cost panel. Text is what costs most to draw.
    """

    def __init__(self, states):
        """Create the figure and lay it out for the states' parameter."""
        super().__init__((8.4, 4.6))
        self.layout(states)

    def layout(self, states):
        """Lay the panels out anew for the states' parameter; colour limits and the curve span the states."""
        from matplotlib.patches import Rectangle

        self.clear()
        first = states[0]
        p = self.param = first.param
        # Fixed margins: a layout engine would rerun on every full draw.
        n_prev, m = first.W.shape[1], first.delta.shape[1]
        gs = self.fig.add_gridspec(
            2,
            4,
            width_ratios=[n_prev + 1, 1.6, m + 1, m + 1],
            left=0.04,
            right=0.99,
            bottom=0.1,
            top=0.93,
            wspace=0.25,
            hspace=0.45,
        )
        places = {
            "W": gs[0, 0],
            "b": gs[0, 1],
            "a_prev": gs[0, 2],
            "delta": gs[0, 3],
            "dW": gs[1, 0],
            "db": gs[1, 1],
        }
        titles = _titles(p.l)
        self.images, self.texts, self.limits = {}, {}, {}
        for name, place in places.items():
            ax = self.fig.add_subplot(place)
            M = getattr(first, name)
            lim = 1.25 * max(
                1e-12,
                max(
                    float(np.max(np.abs(getattr(s, name)))) for s in states
                ),
            )
            self.limits[name] = lim
            self.images[name] = ax.imshow(
                M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto"
            )
            self.texts[name] = [
                [
                    ax.text(c, r, "", ha="center", va="center", fontsize=8)
                    for c in range(M.shape[1])
                ]
                for r in range(M.shape[0])
            ]
            ax.set_yticks(
                range(M.shape[0]), [str(r + 1) for r in range(M.shape[0])]
            )
            ax.set_xticks(
                range(M.shape[1]), [str(c + 1) for c in range(M.shape[1])]
            )
            ax.tick_params(length=0, labelsize=8)
            bold = name == (
                "dW" if p.kind == "w" else "db"
            )  # the gradient of the selected parameter
            ax.set_title(
                titles[name],
                fontsize=11,
                fontweight="bold" if bold else "normal",
                color="black" if bold else "0.35",
            )
            if name in ("a_prev", "delta"):
                ax.set_xlabel("example", fontsize=8)
        # Outline the selected entry, and the rows of a and δ whose products make its gradient.
        r, c = p.index
        outline = dict(fill=False, lw=2.2, ec="black")
        if p.kind == "w":
            boxes = [
                ("W", (c, r), 1),
                ("dW", (c, r), 1),
                ("a_prev", (0, c), m),
                ("delta", (0, r), m),
            ]
        else:
            boxes = [
                ("b", (0, r), 1),
                ("db", (0, r), 1),
                ("delta", (0, r), m),
            ]
        self.outlines = [
            self.images[name].axes.add_patch(
                Rectangle((x - 0.5, y - 0.5), w, 1, **outline)
            )
            for name, (x, y), w in boxes
        ]
        # The cost against the parameter, with the tangent of slope ∂C/∂(parameter).
        ax = self.ax_loss = self.fig.add_subplot(gs[1, 2:])
        self.grid = np.array([s.value for s in states])
        losses = np.array([s.loss for s in states])
        ax.plot(self.grid, losses, color="0.35", lw=1.5, label="cost C")
        (self.tangent,) = ax.plot(
            [], [], color="tab:red", lw=2, label="slope from backprop"
        )
        (self.dot,) = ax.plot([], [], "o", color="black", ms=5)
        span = float(losses.max() - losses.min()) or 1.0
        ax.set_ylim(losses.min() - 0.1 * span, losses.max() + 0.3 * span)
        ax.set_xlim(self.grid[0], self.grid[-1])
        ax.set_xlabel(p.tex, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=8, loc="upper center", frameon=False, ncols=2)
        self.loss_title = ax.set_title("", fontsize=10)
        self.fixed = ("a_prev", "b" if p.kind == "w" else "W")
        moving = [name for name in _PANELS if name not in self.fixed]
        # The frames of the moving panels move too, to stay on top of their heatmaps.
        self.animate(
            *(self.images[name] for name in moving),
            *(
                spine
                for name in moving
                for spine in self.images[name].axes.spines.values()
            ),
            *(
                t
                for name in moving
                for row in self.texts[name]
                for t in row
            ),
            *(
                box
                for box, (name, _, _) in zip(self.outlines, boxes)
                if name in moving
            ),
            self.tangent,
            self.dot,
            self.loss_title,
        )
        return self.update(first)

    def update(self, s):
        """Move every artist to WeightsState s (no new artists) and return self."""
        for name in _PANELS:
            M = getattr(s, name)
            if name in self.fixed and not np.array_equal(
                self.images[name].get_array(), M
            ):
                self.invalidate()  # not from the states this figure was laid out for: redraw all
            self.images[name].set_data(M)
            for r, row in enumerate(self.texts[name]):
                for c, t in enumerate(row):
                    t.set_text(f"{M[r, c]:.2f}".replace("-0.00", "0.00"))
                    t.set_color(
                        "white"
                        if abs(M[r, c]) > 0.6 * self.limits[name]
                        else "black"
                    )
        half = 0.12 * (self.grid[-1] - self.grid[0])
        xs = np.array([s.value - half, s.value + half])
        self.tangent.set_data(xs, s.loss + s.grad * (xs - s.value))
        self.dot.set_data([s.value], [s.loss])
        # Plain text, not mathtext: it is laid out again on every frame.
        self.loss_title.set_text(
            f"C = {s.loss:.4f}    ∂C/∂{self.param.unicode} = {s.grad:+.4f}"
        )
        return self


# ---------------------------------------------------------------------------
# The explorer: a selector and one slider (live), frames along the slider (book).
# ---------------------------------------------------------------------------


class _Explorer:
    """The live state: base network and batch, selected parameter, one figure."""

    def __init__(self, net, X, Y, param, n_curve=41):
        self.net, self.X, self.Y = net, X, Y
        self.grid = np.linspace(*VALUE_RANGE, n_curve)
        self.select(param)

    def select(self, param):
        """Choose the parameter the slider moves; lay the figure out for its layer."""
        _check_param(self.net, param)
        self.param = param
        self.curve = sweep(self.net, self.X, self.Y, param, self.grid)
        if hasattr(self, "view"):
            self.view.layout(
                self.curve
            )  # the same figure, so the widget keeps one canvas
        else:
            self.view = _Figure(self.curve)
        return self

    def set_value(self, value):
        """Set the selected parameter to value; return the new WeightsState (figure updated)."""
        self.current = state(self.net, self.X, self.Y, self.param, value)
        self.view.update(self.current)
        return self.current

    def png(self):
        """Return the figure as a palette PNG, as in the book: heatmaps in full colour cost over twice the bytes."""
        return self.view.png(colors=PALETTE_COLORS)


def show(net=None, X=None, Y=None, param=None, focus="dW", frames=17):
    """Return a DualView: a parameter selector and a value slider over the weights explorer.

    focus is "dW" (chapter 6) or "db" (chapter 5) and picks the parameter shown
    first when `param` is not given: the weight w^2_12 or the output bias b^2_1.
    The book view has `frames` frames along that parameter's value, evenly
    spaced over VALUE_RANGE; live, the selector reaches every parameter.
    """
    import ipywidgets as widgets

    from ..frames import DualView, frames_html

    if focus not in ("dW", "db"):
        raise ValueError(f"focus must be 'dW' or 'db'; got {focus!r}")
    if net is None:
        if X is not None or Y is not None:
            raise ValueError(
                "give net, X and Y together, or none of them for the default 2-3-2 problem"
            )
        net, X, Y = default_problem()
    elif X is None or Y is None:
        raise ValueError("give X and Y together with net")
    if param is None:
        param = weight(2, 1, 2) if focus == "dW" else bias(2, 1)
    if not (isinstance(frames, int) and frames >= 2):
        raise ValueError(f"frames must be an int >= 2; got {frames!r}")
    ex = _Explorer(net, X, Y, param)
    lo, hi = VALUE_RANGE

    def clamp(v):
        return float(min(hi, max(lo, v)))

    style = {"description_width": "initial"}
    options = [(f"{p.unicode}  (layer {p.l})", p) for p in parameters(net)]
    selector = widgets.Dropdown(
        options=options,
        value=param,
        description="parameter",
        description_allow_html=False,
        style=style,
    )
    slider = widgets.FloatSlider(
        value=clamp(get_value(net, param)),
        min=lo,
        max=hi,
        step=0.05,
        description=f"value of {param.unicode}",
        description_allow_html=False,
        continuous_update=True,
        readout_format=".2f",
        style=style,
        layout=widgets.Layout(width="460px"),
    )
    image = image_widget()
    readout = widgets.Label()

    def refresh():
        s = ex.set_value(slider.value)
        image.value = ex.png()
        readout.value = (
            f"C = {s.loss:.5f}   ∂C/∂{s.param.unicode} = {s.grad:+.5f}   "
            f"(the slope of the red tangent)"
        )

    moving_selector = []  # non-empty while a new selection resets the slider

    def on_value(change):
        if not moving_selector:
            refresh()

    def on_select(change):
        ex.select(change["new"])
        moving_selector.append(True)
        try:
            slider.description = f"value of {ex.param.unicode}"
            slider.value = clamp(
                get_value(net, ex.param)
            )  # the selected parameter starts at its value in net
        finally:
            moving_selector.clear()
        refresh()

    slider.observe(on_value, names="value")
    selector.observe(on_select, names="value")
    refresh()
    box = widgets.VBox([selector, slider, image, readout])
    box.explorer, box.selector, box.slider = (
        ex,
        selector,
        slider,
    )  # for tests and curious readers

    def book_view():
        values = np.linspace(lo, hi, frames)
        # Reuse the live figure when it shows `param` (it does until the reader picks
        # another parameter), then put it back; else lay out a figure of its own.
        view = (
            ex.view
            if ex.param == param
            else _Figure(sweep(net, X, Y, param, ex.grid))
        )
        images = [
            view.update(s).book_png()
            for s in sweep(net, X, Y, param, values)
        ]
        if view is ex.view:
            view.update(ex.current)
        labels = [f"{param.unicode} = {v:+.2f}" for v in values]
        what = "the bias" if param.kind == "b" else "the weight"
        alt = (
            f"Heatmaps for layer {param.l} of a {'-'.join(map(str, net.sizes))} network: "
            f"W, b, the activations a and errors delta of {X.shape[1]} examples, and the gradients "
            f"dC/dW and dC/db, with the outlined entries tied to {param.text}; beside them the cost "
            f"C plotted against {what} {param.text}, with a red tangent whose slope is the "
            f"backprop gradient."
        )
        return frames_html(
            images,
            labels,
            title=f"Move {param.unicode} and watch rules 3 and 4 respond",
            slider_label=f"value of {param.unicode}",
            alt=alt,
        )

    text = (
        f"Weights and biases explorer: move {param.text} over [{lo:g}, {hi:g}] and watch W, b, a, "
        f"delta, dC/dW, dC/db and the cost respond"
    )
    return DualView(box, book_view, text=text)
