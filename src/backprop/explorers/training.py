"""Training explorer: data set, learning rate, batch size, epochs (chapter 10).

A network 2-16-16-2 (tanh hidden units, softmax output, cross-entropy)
learns to separate two classes of points in the plane, two moons or two
circles made in code (backprop.data). The explorer shows the decision
boundary (the network's probability of class 1 over the plane, with the
line where it is ½) and the training loss curve after any number of epochs
of one run of minibatch SGD.

The view is JavaScript (web/training.js), the same in JupyterLab and in
the book. Its numbers come from two engines that take the same steps:

- here, `state(config, controls)` trains with `backprop.training.train`
  (the SGD update on net.gradients, the four rules);
- in the book, the page's engine (web/engine.js) transcribes the same
  rules and training.js the same loop.

Both start from the initial weights in `config` and visit the examples in
the same per-epoch orders: `epoch_orders` ranks numbers of the generator
the two engines share (host.uniforms, engine.js's uniforms, the same bits),
so the two loss curves agree to rounding.

A run of E epochs is the first E epochs of the run of EPOCHS_MAX epochs
with the same settings, so the epochs control only looks along one run; a
new data set, learning rate or batch size trains a new one. A learning rate
that is too large is reported as divergence (a gradient or the loss became
NaN or infinite, or the loss rose above DIVERGENCE_FACTOR times its starting
value), never drawn as NaN.
"""

from __future__ import annotations

import functools
import json

import numpy as np

from .. import data, training
from ..network import MLP
from .controls import Choice, Range, check_controls
from .host import Explorer, json_safe, net_from, picture, uniforms

__all__ = [
    "DATASETS",
    "NETWORK",
    "EPOCHS_MAX",
    "LEARNING_RATES",
    "M",
    "epoch_orders",
    "make_config",
    "make_controls",
    "state",
    "show",
]

DATASETS = ("moons", "circles")
#: The network: its layer sizes, activations and cost (MLP's arguments).
NETWORK = {
    "sizes": [2, 16, 16, 2],
    "hidden": "tanh",
    "output": "softmax",
    "loss": "cross_entropy",
}
EPOCHS_MAX = 60
#: The values of the learning-rate slider: 1-2-3-5 steps over 4 decades.
LEARNING_RATES = tuple(
    float(f"{c}e{e}") for e in range(-3, 1) for c in (1, 2, 3, 5)
) + (10.0, 20.0, 30.0)
DIVERGENCE_FACTOR = 10.0
M = 150  # training points
GRID = 41  # the plane is sampled on GRID × GRID points
LIMITS = (-2.0, 2.0)
SHUFFLE_SEED = 2026  # seed of the per-epoch orders (host.uniforms)


def epoch_orders(m, epochs, seed=SHUFFLE_SEED):
    """Return `epochs` orders (lists of 0..m−1), one per epoch.

    Epoch e (1-based) visits the examples in increasing order of m uniform
    numbers of stream e of host.uniforms: a random permutation, and the
    same one in the page, whose engine.js draws the same numbers.
    """
    return [
        np.argsort(uniforms(seed, e, m)).tolist()
        for e in range(1, epochs + 1)
    ]


def make_config(seed=0, m=M):
    """Return the explorer's static config: data, initial weights, grid.

    Everything either engine needs: both data sets (X with one example per
    column, as rows; labels), the NETWORK and its initial W^l, b^l
    (MLP(..., seed=seed)), the grid of the plane on which the network's
    probability is computed, and the seed of the shuffles. m is the number
    of points per data set (the explorer's M; the benchmarks also time
    larger ones).
    """
    net = MLP(**NETWORK, seed=seed)
    X1, labels1 = data.two_moons(m, noise=0.15, seed=seed)
    X2, labels2 = data.circles(m, noise=0.1, factor=0.5, seed=seed)
    config = {
        **NETWORK,
        "weights": net.weights,
        "biases": net.biases,
        "datasets": {
            "moons": {"X": X1, "labels": labels1},
            "circles": {"X": 1.5 * X2, "labels": labels2},
        },
        "grid": np.linspace(*LIMITS, GRID),
        "epochs_max": EPOCHS_MAX,
        "divergence_factor": DIVERGENCE_FACTOR,
        "shuffle_seed": SHUFFLE_SEED,
    }
    return json_safe(config, "config")


SPEC = (
    Choice("dataset", "data set", tuple((d, f"two {d}") for d in DATASETS)),
    # Small batches at larger learning rates are chaotic: a change of one
    # weight in its 14th digit moves the loss after 60 epochs in its first
    # digit, in NumPy alone (tests/test_explorer_training.py shows it), so
    # the tests draw their random settings where float64 is reproducible.
    Choice(
        "lr",
        "learning rate η",
        tuple((v, f"{v:g}") for v in LEARNING_RATES),
        slider=True,
        sample=tuple(v for v in LEARNING_RATES if v <= 0.3),
    ),
    Range("batch_size", "batch size", 1, M, 1, decimals=0, sample=(16, M)),
    Range("epochs", "epochs", 0, EPOCHS_MAX, 1, decimals=0),
)


def make_controls(dataset="moons", lr=0.1, batch_size=8, epochs=EPOCHS_MAX):
    """Return the controls dict, or raise ValueError naming a bad value."""
    controls = {"dataset": dataset, "lr": lr, "batch_size": batch_size}
    return check_controls(SPEC, {**controls, "epochs": epochs})


def _problem(config, dataset):
    """Return X (2, m) and one-hot Y (2, m) of a data set of the config."""
    d = config["datasets"][dataset]
    return np.array(d["X"], dtype=float), data.one_hot(d["labels"], 2)


@functools.lru_cache(maxsize=16)
def _run(config_json, dataset, lr, batch_size):
    """Return one run of config["epochs_max"] epochs of training.train.

    The lists (W^l, b^l, loss, accuracy) hold the state after each epoch
    0..done; if the run diverged in epoch k (a DivergenceError), the last
    item, diverged_at, is k and the lists stop at epoch k − 1; otherwise it
    is 0 (JSON has no None to spare). The same initial weights (config)
    and per-epoch orders (epoch_orders) as the page's engine.
    """
    config = json.loads(config_json)
    net = net_from(config)
    X, Y = _problem(config, dataset)
    epochs = config["epochs_max"]
    orders = epoch_orders(X.shape[1], epochs, config["shuffle_seed"])
    weights, biases, loss, accuracy = [], [], [], []

    def record(epoch, net, history):
        weights.append([W.copy() for W in net.weights])
        biases.append([b.copy() for b in net.biases])
        loss.append(net.loss(X, Y))
        accuracy.append(training.accuracy(net, X, Y))

    record(0, net, None)
    try:
        training.train(
            net,
            X,
            Y,
            epochs,
            batch_size,
            lr,
            progress=False,
            callback=record,
            divergence_factor=config["divergence_factor"],
            orders=lambda epoch: orders[epoch - 1],
        )
    except training.DivergenceError as err:
        return weights, biases, loss, accuracy, err.epoch
    return weights, biases, loss, accuracy, 0


def state(config, controls):
    """Return what the package computes at checked controls (JSON-safe).

    Keys: the controls; `epoch` shown (the last before a divergence);
    `curve` and `accuracy_curve` of the whole run; `diverged_at` (0: never);
    `C` and `accuracy` at that epoch; `P` (GRID rows along x₂ of GRID values
    along x₁), the network's probability of class 1 over the plane, to six
    decimals; the network's `weights` and `biases` at that epoch and `dW`,
    `db`, the gradient of the training loss there (chapter 7's backward
    pass). No NaN, no inf, no None.
    """
    dataset = controls["dataset"]
    weights, biases, loss, accuracy, diverged_at = _run(
        json.dumps(config, sort_keys=True),
        dataset,
        controls["lr"],
        controls["batch_size"],
    )
    epoch = min(controls["epochs"], len(loss) - 1)
    net = net_from(
        {**config, "weights": weights[epoch], "biases": biases[epoch]}
    )
    X, Y = _problem(config, dataset)
    gx, gy = np.meshgrid(config["grid"], config["grid"])  # rows along x₂
    plane = np.vstack([gx.ravel(), gy.ravel()])  # one point per column
    with np.errstate(over="ignore", invalid="ignore"):
        P = net.forward(plane)[1].reshape(gx.shape)
        dWs, dbs = net.gradients(X, Y)
    # Far from the data a wild network could round to NaN: never draw NaN.
    P = np.nan_to_num(P, nan=0.5, posinf=1.0, neginf=0.0)
    # Six decimals, far below what a colour shows, keep the page small;
    # floor(x + ½) is what training.js does (Math.round would differ at ½).
    P = np.floor(P * 1e6 + 0.5) / 1e6
    out = {
        **controls,
        "epoch": epoch,
        "diverged_at": diverged_at,
        "curve": loss,
        "accuracy_curve": accuracy,
        "C": loss[epoch],
        "accuracy": accuracy[epoch],
        "P": P,
        "weights": net.weights,
        "biases": net.biases,
        "dW": [np.nan_to_num(dW) for dW in dWs],
        "db": [np.nan_to_num(db) for db in dbs],
    }
    return json_safe(out)


class TrainingExplorer(Explorer):
    """The training explorer: live in JupyterLab (backprop), in the book (engine.js)."""

    howto = "Press Play, or drag the epochs, to watch the network learn; a new learning rate, batch size or data set retrains it."

    name = "training"
    view = "training"
    spec = SPEC

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with backprop."""
        return state(config, controls)

    def _outcome(self):
        # What the run reached, in words (the view's readout says the same).
        s = self.state
        if s["diverged_at"] and s["epochs"] >= s["diverged_at"]:
            return (
                f"diverged in epoch {s['diverged_at']}: learning rate "
                f"{s['lr']:g} is too large; showing epoch {s['epoch']}"
            )
        return (
            f"epoch {s['epoch']}: training loss {s['C']:.4f}, "
            f"accuracy {100 * s['accuracy']:.1f}%"
        )

    def summary(self):
        """Return one line saying what the explorer shows."""
        s = self.state
        return (
            f"Training explorer: two {s['dataset']}, learning rate "
            f"{s['lr']:g}, batch size {s['batch_size']}; {self._outcome()}"
        )

    def fallback_html(self):
        """Return the starting picture (a small PNG) for pages without JavaScript."""
        s = self.state
        alt = (
            f"Left: the plane coloured by the network's probability of "
            f"class 1, with the training points of the two {s['dataset']} "
            f"and the decision boundary. Right: the training loss against "
            f"the epoch. {self._outcome()}."
        )
        return picture(_fallback_figure(self.config, s), alt)


def _fallback_figure(config, s):
    """Return a Matplotlib figure of state s: the plane and the loss curve."""
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(7.8, 3.4))
    grid, P = np.array(config["grid"]), np.array(s["P"])
    ax.pcolormesh(grid, grid, P, cmap="RdBu", vmin=0, vmax=1, alpha=0.6)
    if P.min() < 0.5 < P.max():
        ax.contour(grid, grid, P, levels=[0.5], colors="black")
    points = config["datasets"][s["dataset"]]
    X, labels = np.array(points["X"]), np.array(points["labels"])
    dots = {"s": 12, "edgecolors": "black", "linewidths": 0.4}
    for k, (c, marker) in enumerate((("tab:red", "o"), ("tab:blue", "s"))):
        ax.scatter(*X[:, labels == k], c=c, marker=marker, **dots)
    ax.set(
        xlabel="$x_1$", ylabel="$x_2$", title=f"after {s['epoch']} epochs"
    )
    bx.semilogy(s["curve"], color="0.7", label="the whole run")
    bx.semilogy(
        s["curve"][: s["epoch"] + 1], color="rebeccapurple", label="so far"
    )
    bx.set(xlabel="epoch", ylabel="training loss $C$")
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig


EXPLORER = TrainingExplorer  # the engine tests find explorers by this name


def show(dataset="moons", lr=0.1, batch_size=8, epochs=EPOCHS_MAX, seed=0):
    """Return the training explorer at these controls (one line in a chapter);
    seed picks the data and the initial weights."""
    controls = make_controls(dataset, lr, batch_size, epochs)
    return TrainingExplorer(make_config(seed), controls)
