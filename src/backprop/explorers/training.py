"""Training explorer: learning rate, batch size and epochs on a small 2-D problem (chapter 10).

A network 2-16-16-2 (tanh hidden units, softmax output, cross-entropy) learns
to separate two classes of points in the plane, two moons or two circles made
in code (backprop.data). The explorer shows the decision boundary (the
network's probability of class 1 over the plane, with the line where it is
½) and the training loss curve, after any number of epochs of one run of
`backprop.training.train`.

Three layers, as for every explorer:

- `toy_run(...)` -> ToyRun: pure NumPy, no widgets, no Matplotlib; the state
  after every epoch of one seeded run (the tests call it directly). A run of
  E epochs is the first E epochs of any longer run with the same settings
  (same seed, same shuffles), so the epochs slider only looks further along
  one run;
- `_Figure`: one blitted Matplotlib figure whose artists are updated in place;
- `show(...)`: the live ipywidgets view (dataset, learning rate, batch
  size, epochs) wrapped in a `backprop.frames.DualView` whose book view is
  frames along the epochs of one run.

A learning rate that is too large is reported as divergence (the loss rose
above DIVERGENCE_FACTOR times its starting value, or became NaN), never drawn
as NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import data, training
from ..network import MLP
from .figure import PALETTE_COLORS, BlittedFigure, image_widget

__all__ = [
    "ToyRun",
    "toy_run",
    "make_problem",
    "show",
    "DATASETS",
    "SIZES",
    "EPOCHS_MAX",
    "LR_RANGE",
    "DIVERGENCE_FACTOR",
]

DATASETS = ("moons", "circles")
SIZES = [2, 16, 16, 2]
EPOCHS_MAX = 60
LR_RANGE = (1e-3, 30.0)
DIVERGENCE_FACTOR = 10.0
M = 150  # training points
GRID = 61  # the plane is sampled on GRID × GRID points
LIMITS = (-2.0, 2.0)


def make_problem(dataset="moons", seed=0, m=M):
    """Return (X (2, m), labels (m,)) of the named toy dataset, seeded."""
    if dataset == "moons":
        return data.two_moons(m, noise=0.15, seed=seed)
    if dataset == "circles":
        X, labels = data.circles(m, noise=0.1, factor=0.5, seed=seed)
        return 1.5 * X, labels
    raise ValueError(
        f"dataset must be one of {list(DATASETS)}; got {dataset!r}"
    )


@dataclass
class ToyRun:
    """One seeded training run and its state after every epoch 0..epochs_done.

    loss[e] and accuracy[e] are the training loss and accuracy after e epochs
    (e = 0: before training); probability[e] (GRID, GRID) is the network's
    P(class 1) over the plane then, rows along y, columns along x. If the run
    diverged in epoch k, `diverged_at` is k and the lists stop at k − 1.
    """

    dataset: str
    lr: float
    batch_size: int
    epochs: int
    seed: int
    X: np.ndarray
    labels: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    probability: list = field(default_factory=list)
    diverged_at: int | None = None
    message: str = ""

    @property
    def epochs_done(self):
        """Return the number of epochs with a recorded state (the last finite one)."""
        return len(self.loss) - 1

    def at(self, epoch):
        """Return (epoch shown, loss, accuracy, probability) at `epoch`, or at the last finite epoch."""
        e = int(min(max(epoch, 0), self.epochs_done))
        return e, self.loss[e], self.accuracy[e], self.probability[e]

    def status(self, epoch):
        """Return a one-line description of the state at `epoch`."""
        e, loss, acc, _ = self.at(epoch)
        if self.diverged_at is not None and epoch >= self.diverged_at:
            return (
                f"diverged in epoch {self.diverged_at} (learning rate {self.lr:.3g} is too large); "
                f"showing epoch {e}"
            )
        return f"epoch {e}: training loss {loss:.4f}, training accuracy {acc:.1%}"


def _check_settings(dataset, lr, batch_size, epochs):
    if dataset not in DATASETS:
        raise ValueError(
            f"dataset must be one of {list(DATASETS)}; got {dataset!r}"
        )
    if (
        isinstance(epochs, bool)
        or not isinstance(epochs, (int, np.integer))
        or not 0 <= epochs <= 10_000
    ):
        raise ValueError(
            f"epochs must be an integer between 0 and 10000; got {epochs!r}"
        )


def toy_run(
    dataset="moons", lr=0.1, batch_size=8, epochs=EPOCHS_MAX, seed=0
):
    """Return the ToyRun of training SIZES on the toy dataset for `epochs` epochs (pure, no plotting)."""
    _check_settings(dataset, lr, batch_size, epochs)
    X, labels = make_problem(dataset, seed=seed)
    Y = data.one_hot(labels, 2)
    xs = np.linspace(*LIMITS, GRID)
    ys = np.linspace(*LIMITS, GRID)
    gx, gy = np.meshgrid(xs, ys)
    plane = np.vstack(
        [gx.ravel(), gy.ravel()]
    )  # (2, GRID²): one point per column
    net = MLP(
        SIZES,
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        seed=seed,
    )
    run = ToyRun(
        dataset,
        float(lr),
        int(batch_size),
        int(epochs),
        seed,
        X,
        labels,
        xs,
        ys,
    )

    def record(epoch, net, history):
        run.loss.append(net.loss(X, Y))
        run.accuracy.append(float(np.mean(net.predict(X) == labels)))
        # Far from the data a wild network could round to NaN: never draw NaN.
        P = net.forward(plane)[1].reshape(GRID, GRID)
        run.probability.append(
            np.nan_to_num(P, nan=0.5, posinf=1.0, neginf=0.0)
        )

    record(0, net, None)
    if epochs == 0:
        training._check_hyper(1, batch_size, lr, X.shape[1])
        return run
    try:
        training.train(
            net,
            X,
            Y,
            epochs,
            batch_size,
            lr,
            seed=seed,
            progress=False,
            callback=record,
            divergence_factor=DIVERGENCE_FACTOR,
        )
    except training.DivergenceError as err:
        run.diverged_at = err.epoch
        run.message = str(err)
    return run


# ---------------------------------------------------------------------------
# The figure: created once, its artists updated in place.
# ---------------------------------------------------------------------------


class _Figure(BlittedFigure):
    """Decision boundary (left) and loss curve (right) of a ToyRun at one epoch; update() moves artists.

    The still parts (axes, ticks, labels, the whole run's loss curve) are drawn
    once per run; a frame draws only the moving artists on top: the
    probability map, the boundary, the points, the curve so far and the titles.
    """

    def __init__(self, epochs_max=EPOCHS_MAX):
        """Create the figure and its artists for runs of up to epochs_max epochs."""
        super().__init__((8.0, 3.6))
        self.epochs_max = epochs_max
        ax = self.ax_plane = self.fig.add_axes([0.06, 0.13, 0.37, 0.76])
        self.image = ax.imshow(
            np.full((GRID, GRID), 0.5),
            origin="lower",
            extent=(*LIMITS, *LIMITS),
            cmap="RdBu",
            vmin=0,
            vmax=1,
            alpha=0.55,
            interpolation="bilinear",
        )
        self.points = [
            ax.scatter(
                [],
                [],
                s=14,
                c=color,
                marker=marker,
                edgecolors="black",
                linewidths=0.4,
                label=f"class {k}",
            )
            for k, (color, marker) in enumerate(
                (("tab:red", "o"), ("tab:blue", "s"))
            )
        ]
        self.contour = None
        ax.set_xlim(*LIMITS)
        ax.set_ylim(*LIMITS)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$", labelpad=0)
        ax.tick_params(labelsize=8)
        self.legend = ax.legend(
            loc="lower left", fontsize=7, framealpha=0.8
        )
        self.plane_title = ax.set_title("", fontsize=10)
        ax = self.ax_loss = self.fig.add_axes([0.56, 0.13, 0.41, 0.76])
        (self.curve_full,) = ax.plot(
            [], [], color="0.8", lw=1.2, label="whole run"
        )
        (self.curve,) = ax.plot(
            [], [], color="tab:purple", lw=1.8, label="so far"
        )
        (self.dot,) = ax.plot([], [], "o", color="tab:purple", ms=5)
        self.cross = ax.plot(
            [], [], "x", color="tab:red", ms=10, mew=2.5, label="diverged"
        )[0]
        ax.set_yscale("log")
        ax.set_xlim(-0.5, epochs_max + 0.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss $C$")
        ax.tick_params(labelsize=8)
        ax.legend(loc="upper right", fontsize=7, frameon=False)
        self.loss_title = ax.set_title("", fontsize=10)
        # The image would hide the points, the legend and the frame: all are drawn per frame, by zorder,
        # and so is the frame of the loss curve, which the last dot touches. (Not the axes: their
        # text would cost half a frame, for the pixels where a tick meets the frame.)
        self.animate(
            self.image,
            *self.points,
            *self.ax_plane.spines.values(),
            self.legend,
            self.curve,
            self.dot,
            self.cross,
            *self.ax_loss.spines.values(),
            self.plane_title,
            self.loss_title,
        )
        self.run = None

    def show_run(self, run):
        """Set the run whose epochs the figure shows: points, whole loss curve, axis limits."""
        self.run = run
        for k, artist in enumerate(self.points):
            artist.set_offsets(run.X[:, run.labels == k].T)
        self.curve_full.set_data(np.arange(run.epochs_done + 1), run.loss)
        losses = np.asarray(run.loss)
        lo, hi = float(losses.min()), float(losses.max())
        if run.diverged_at is not None:
            hi = max(hi, DIVERGENCE_FACTOR * losses[0])
        self.ax_loss.set_ylim(max(lo / 1.6, 1e-4), hi * 1.6)
        self.invalidate()
        return self

    def update(self, epoch):
        """Show the run's state at `epoch` (clamped to the epochs recorded) and return self."""
        run = self.run
        e, loss, acc, P = run.at(epoch)
        self.image.set_data(P)
        if self.contour is not None:
            self.forget(self.contour)
            self.contour.remove()
            self.contour = None
        if P.min() < 0.5 < P.max():
            # zorder 0.5: above the map (0), below the points (1).
            self.contour = self.ax_plane.contour(
                run.xs,
                run.ys,
                P,
                levels=[0.5],
                colors="black",
                linewidths=1.5,
                zorder=0.5,
            )
            self.animate(self.contour)
        self.curve.set_data(np.arange(e + 1), run.loss[: e + 1])
        self.dot.set_data([e], [loss])
        diverged = run.diverged_at is not None and epoch >= run.diverged_at
        if diverged:
            self.cross.set_data(
                [run.diverged_at], [DIVERGENCE_FACTOR * run.loss[0]]
            )
            self.plane_title.set_text(
                f"diverged in epoch {run.diverged_at}: lr too large"
            )
            self.plane_title.set_color("tab:red")
        else:
            self.cross.set_data([], [])
            self.plane_title.set_text(
                f"after {e} epochs: accuracy {acc:.0%}"
            )
            self.plane_title.set_color("black")
        self.loss_title.set_text(
            f"lr = {run.lr:.3g}, batch size {run.batch_size}: C = {loss:.3f}"
        )
        return self


# ---------------------------------------------------------------------------
# The explorer
# ---------------------------------------------------------------------------


class TrainingExplorer:
    """The live state behind the widget: settings, the current run, one figure.

    set(dataset=..., lr=..., batch_size=..., epochs=...) changes settings; a
    new learning rate, batch size or dataset retrains (to EPOCHS_MAX epochs, in
    one run), a new epoch only looks further along the same run.
    """

    def __init__(
        self,
        dataset="moons",
        lr=0.1,
        batch_size=8,
        epochs=EPOCHS_MAX,
        seed=0,
    ):
        self.settings = dict(
            dataset=dataset,
            lr=float(lr),
            batch_size=int(batch_size),
            seed=seed,
        )
        self.epoch = self._check_epochs(epochs)
        self.view = _Figure()
        self.run = toy_run(epochs=EPOCHS_MAX, **self.settings)
        self.view.show_run(self.run)

    @staticmethod
    def _check_epochs(epochs):
        if (
            isinstance(epochs, bool)
            or not isinstance(epochs, (int, np.integer))
            or not 0 <= epochs <= EPOCHS_MAX
        ):
            raise ValueError(
                f"epochs must be an integer between 0 and {EPOCHS_MAX}; got {epochs!r}"
            )
        return int(epochs)

    def set(self, *, epochs=None, **settings):
        """Change any of dataset, lr, batch_size, seed and epochs; return the status line."""
        changed = {
            k: v for k, v in settings.items() if self.settings.get(k) != v
        }
        unknown = set(changed) - set(self.settings)
        if unknown:
            raise ValueError(
                f"unknown setting(s) {sorted(unknown)}; expected dataset, lr, batch_size, seed, epochs"
            )
        epoch = self.epoch if epochs is None else self._check_epochs(epochs)
        if changed:
            settings = {**self.settings, **changed}
            run = toy_run(
                epochs=EPOCHS_MAX, **settings
            )  # raises on bad settings, leaving the state as it was
            self.settings, self.run = settings, run
            self.view.show_run(run)
        self.epoch = epoch
        return self.status

    @property
    def status(self):
        """Return the one-line description of what is shown."""
        return self.run.status(self.epoch)

    def state(self):
        """Return (epoch shown, loss, accuracy, probability over the plane) at the current epoch."""
        return self.run.at(self.epoch)

    def png(self):
        """Return the figure at the current epoch as a palette PNG: in full colour the map costs 3 times as long."""
        return self.view.update(self.epoch).png(colors=PALETTE_COLORS)


def book_frames(run, n_frames=21):
    """Return frames_html of a ToyRun along its epochs: n_frames frames from 0 to run.epochs."""
    from ..frames import frames_html

    view = _Figure().show_run(run)
    epochs = np.unique(
        np.linspace(0, run.epochs, n_frames).round().astype(int)
    )
    images = [view.update(int(e)).book_png() for e in epochs]
    labels = [run.status(int(e)) for e in epochs]
    return frames_html(
        images,
        labels,
        title=f"Training on {run.dataset}: learning rate {run.lr:g}, batch size {run.batch_size}",
        slider_label="epochs",
        alt=(
            f"Left: the plane coloured by the network's probability of class 1 (red for class 0, blue for "
            f"class 1) with the training points of the {run.dataset} problem and the decision boundary as a "
            "black line. Right: the training loss on a log scale against the epoch, up to the epoch "
            "selected by the slider."
        ),
    )


def show(
    dataset="moons",
    lr=0.1,
    batch_size=8,
    epochs=EPOCHS_MAX,
    seed=0,
    frames=21,
):
    """Return a DualView: live sliders for learning rate, batch size and epochs; book frames along the epochs."""
    import ipywidgets as widgets

    from ..frames import DualView

    if (
        isinstance(frames, bool)
        or not isinstance(frames, int)
        or frames < 2
    ):
        raise ValueError(f"frames must be an integer ≥ 2; got {frames!r}")
    ex = TrainingExplorer(
        dataset=dataset,
        lr=lr,
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
    )
    style = {"description_width": "initial"}
    dataset_buttons = widgets.ToggleButtons(
        options=list(DATASETS),
        value=dataset,
        description="data set",
        style=style,
    )
    lr_slider = widgets.FloatLogSlider(
        value=lr,
        base=10,
        min=np.log10(LR_RANGE[0]),
        max=np.log10(LR_RANGE[1]),
        step=0.05,
        description="learning rate η",
        description_allow_html=False,
        continuous_update=False,
        readout_format=".3g",
        style=style,
        layout=widgets.Layout(width="420px"),
    )
    batch_slider = widgets.IntSlider(
        value=batch_size,
        min=1,
        max=M,
        description="batch size",
        description_allow_html=False,
        continuous_update=False,
        style=style,
        layout=widgets.Layout(width="420px"),
    )
    epochs_slider = widgets.IntSlider(
        value=epochs,
        min=0,
        max=EPOCHS_MAX,
        description="epochs",
        description_allow_html=False,
        continuous_update=True,
        style=style,
        layout=widgets.Layout(width="420px"),
    )
    image = image_widget(ex.png())
    readout = widgets.Label(value=ex.status)
    note = widgets.Label(
        value="(a new learning rate, batch size or data set retrains; epochs looks along the run)"
    )

    def refresh(change=None):
        ex.set(
            dataset=dataset_buttons.value,
            lr=float(lr_slider.value),
            batch_size=int(batch_slider.value),
            epochs=int(epochs_slider.value),
        )
        image.value = ex.png()
        readout.value = ex.status

    for control in (
        dataset_buttons,
        lr_slider,
        batch_slider,
        epochs_slider,
    ):
        control.observe(refresh, names="value")
    widget = widgets.VBox(
        [
            dataset_buttons,
            lr_slider,
            batch_slider,
            epochs_slider,
            note,
            image,
            readout,
        ]
    )
    widget.explorer = ex
    widget.controls = dict(
        dataset=dataset_buttons,
        lr=lr_slider,
        batch_size=batch_slider,
        epochs=epochs_slider,
    )

    first_run = ex.run  # the book shows the run of the settings given here, whatever the sliders do later

    def book_view():
        return book_frames(first_run, n_frames=frames)

    view = DualView(
        widget,
        book_view,
        text=f"Training explorer: {dataset}, learning rate, batch size and epochs (precomputed frames)",
    )
    view.explorer = ex
    return view
