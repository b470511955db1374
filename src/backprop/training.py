"""Minibatch stochastic gradient descent on top of the four rules (chapters 10 and 11).

`train` is the whole training loop of the book: shuffle the examples, cut them
into minibatches, ask `net.gradients` (the four rules composed, chapter 7) for
∂C/∂W^l and ∂C/∂b^l of each minibatch, computed into `Buffers` that every
step reuses (chapter 12), and step against them:

    W^l ← W^l − η ∂C/∂W^l,    b^l ← b^l − η ∂C/∂b^l.

It returns the learning curves as plain data (a History of lists), and it
stops with a DivergenceError, not a screen of NaNs, when a learning rate is
too large.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from . import flops
from .network import Buffers

__all__ = [
    "DivergenceError",
    "History",
    "accuracy",
    "is_one_hot",
    "sgd_step",
    "single_thread_blas",
    "train",
]

#: Width of the progress line, in characters: it fits the book's text
#: column (76), so the line printed under a training cell never scrolls.
NCOLS = 76


class DivergenceError(ArithmeticError):
    """Training produced a NaN or infinite loss or gradient; .epoch and .history say when."""

    def __init__(self, message, *, epoch, lr, history):
        super().__init__(message)
        self.epoch = epoch
        self.lr = lr
        self.history = history


@dataclass
class History:
    """Learning curves, one entry per epoch 1..E (accuracies only for one-hot targets)."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    time: list = field(
        default_factory=list
    )  # seconds since the start, at the end of each epoch
    lr: float = 0.0
    batch_size: int = 0
    seed: int = 0

    def as_dict(self):
        """Return the history as a dict of plain lists and numbers."""
        return asdict(self)

    def __repr__(self):
        if not self.epoch:
            return "History(no epochs)"
        parts = [
            f"{len(self.epoch)} epochs",
            f"train loss {self.train_loss[-1]:.4g}",
        ]
        if self.train_accuracy:
            parts.append(f"train accuracy {self.train_accuracy[-1]:.2%}")
        if self.val_loss:
            parts.append(f"val loss {self.val_loss[-1]:.4g}")
        if self.val_accuracy:
            parts.append(f"val accuracy {self.val_accuracy[-1]:.2%}")
        parts.append(f"{self.time[-1]:.2f} s")
        return "History(" + ", ".join(parts) + ")"


def is_one_hot(Y):
    """Return True if every column of Y (n, m) is a one-hot vector (one 1, the rest 0)."""
    Y = np.asarray(Y)
    return bool(
        Y.ndim == 2
        and np.all((Y == 0) | (Y == 1))
        and np.all(Y.sum(axis=0) == 1)
    )


def accuracy(net, X, Y):
    """Return the fraction of columns of X (n_0, m) whose largest output is the 1 of one-hot Y (n_L, m)."""
    Y = np.asarray(Y)
    labels = Y if Y.ndim == 1 else np.argmax(Y, axis=0)
    return float(np.mean(net.predict(X) == labels))


def sgd_step(net, dWs, dbs, lr):
    """Move every W^l and b^l of net by −lr times its gradient, in place."""
    for l in range(net.L):
        net.weights[l] -= lr * dWs[l]
        net.biases[l] -= lr * dbs[l]


# ---------------------------------------------------------------------------
# hyper-parameter checks
# ---------------------------------------------------------------------------


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(
        x, (bool, np.bool_)
    )


def _check_hyper(epochs, batch_size, lr, m):
    if not _is_int(epochs) or epochs < 1:
        raise ValueError(
            f"epochs must be an integer ≥ 1 (passes over the training set); got {epochs!r}"
        )
    if not _is_int(batch_size) or not 1 <= batch_size <= m:
        raise ValueError(
            f"batch_size must be an integer between 1 and m = {m} (the number of training examples); got {batch_size!r}"
        )
    if isinstance(lr, (bool, np.bool_)) or not isinstance(
        lr, (int, float, np.integer, np.floating)
    ):
        raise ValueError(
            f"lr (the learning rate η) must be a positive finite number; got {lr!r}"
        )
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(
            f"lr (the learning rate η) must be a positive finite number, e.g. 0.1; got {lr!r}"
        )


def _all_finite(arrays):
    return all(np.isfinite(a).all() for a in arrays)


def single_thread_blas():
    """Return a context that runs NumPy's BLAS on one thread (flops.one_thread).

    The matrices of this book are small (64 × 1438 at most); spreading each
    product over threads costs more in hand-offs than it gains, and on a
    busy machine (a book build running beside other jobs) threads that spin
    waiting for a core made a forward pass fifty times slower.
    """
    return flops.one_thread()


# ---------------------------------------------------------------------------
# the progress bar
# ---------------------------------------------------------------------------


def _in_jupyter_kernel():
    """Return True when running in a Jupyter kernel (JupyterLab, or the book's build)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Progress:
    """One tqdm bar per run, advanced once per epoch with the losses in its postfix.

    In a Jupyter kernel the bar is tqdm.notebook's widget, live while training.
    The widget is displayed with a display id, together with a text/plain line;
    when the run ends that display is updated to the final bar. The built book
    cannot show widgets, so it shows that text/plain: the single final line,
    never `HBox(children=...)` and never a carriage-return animation.
    Elsewhere (a terminal, a script) it is tqdm's text bar, on sys.stdout so
    that nothing goes to stderr.
    """

    def __init__(self, total, enabled):
        self.bar = None
        self.handle = None
        if not enabled:
            return
        fmt = dict(
            total=total,
            desc="training",
            unit="epoch",
            leave=True,
            # No bar in the text: the line that stays under the cell is
            # short enough for the column (Jupyter draws its own bar).
            bar_format="{desc}: {n_fmt}/{total_fmt} epochs, {elapsed}{postfix}",
        )
        if _in_jupyter_kernel():
            try:
                from IPython.display import display
                from tqdm.notebook import tqdm as notebook_tqdm

                self.bar = notebook_tqdm(display=False, **fmt)
                self.handle = display(
                    self._bundle(), raw=True, display_id=True
                )
                return
            except ImportError:  # no ipywidgets: fall back to the text bar
                self.bar = None
        from tqdm import tqdm as text_tqdm

        self.bar = text_tqdm(
            file=sys.stdout,
            ascii=True,
            dynamic_ncols=False,
            ncols=NCOLS,
            **fmt,
        )

    def _bundle(self):
        """Return the widget view of the bar plus its current text (final line in the book)."""
        bundle = {
            "text/plain": self.bar.format_meter(
                **{**self.bar.format_dict, "ascii": False, "ncols": NCOLS}
            )
        }
        container = getattr(self.bar, "container", None)
        if container is not None:
            view = container._repr_mimebundle_()
            key = "application/vnd.jupyter.widget-view+json"
            if view and key in view:
                bundle[key] = view[key]
        return bundle

    def update(self, **postfix):
        if self.bar is None:
            return
        self.bar.set_postfix(
            {k: f"{v:.4g}" for k, v in postfix.items()}, refresh=False
        )
        self.bar.update(1)

    def close(self):
        if self.bar is None:
            return
        # tqdm.notebook turns a bar that stopped early red ("danger") on close.
        self.bar.close()
        if self.handle is not None:
            self.handle.update(self._bundle(), raw=True)
        self.bar = None


# ---------------------------------------------------------------------------
# the training loop
# ---------------------------------------------------------------------------


def train(
    net,
    X,
    Y,
    epochs,
    batch_size,
    lr,
    *,
    X_val=None,
    Y_val=None,
    seed=0,
    progress=True,
    callback=None,
    divergence_factor=None,
    orders=None,
):
    """Train net in place by minibatch SGD on X (n_0, m), Y (n_L, m); return the History per epoch.

    Each epoch shuffles the m columns with a NumPy Generator seeded by `seed`
    (the same seed gives the same run), cuts them into minibatches of
    `batch_size` (the last one may be smaller) and takes one step
    W^l ← W^l − lr ∂C/∂W^l, b^l ← b^l − lr ∂C/∂b^l per minibatch, the
    gradients coming from net.gradients (the four rules). After each epoch the
    loss on the whole training set (and on X_val, Y_val if given) is recorded,
    with the accuracy when the targets are one-hot (or class labels (m,)).

    callback(epoch, net, history), if given, is called after each epoch.
    Raises ValueError for bad hyper-parameters and DivergenceError when a
    loss or gradient becomes NaN or infinite (the parameters are then left
    as they were at that moment). A cross-entropy computed from the logits
    rarely reaches inf: with divergence_factor = k, a training loss above k
    times the loss before training also counts as divergence.

    orders(epoch), if given, returns the order in which epoch 1..epochs
    visits the columns (a permutation of 0..m−1) instead of the seeded
    shuffle: the training explorer (chapter 10) passes the shuffles its
    in-page twin makes, so that both runs take the same steps.
    """
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    m = X.shape[1]
    _check_hyper(epochs, batch_size, lr, m)
    if (X_val is None) != (Y_val is None):
        raise ValueError("pass both X_val and Y_val, or neither")
    if X_val is not None:
        X_val = net.check_X(X_val)
        Y_val = net.check_Y(Y_val, X_val.shape[1])
    classify = is_one_hot(Y) and (Y_val is None or is_one_hot(Y_val))
    lr = float(lr)
    if divergence_factor is not None and not (
        isinstance(divergence_factor, (int, float))
        and divergence_factor > 1
    ):
        raise ValueError(
            f"divergence_factor must be a number > 1 (or None); got {divergence_factor!r}"
        )

    history = History(lr=lr, batch_size=int(batch_size), seed=seed)
    rng = np.random.default_rng(seed)
    limit = (
        math.inf
        if divergence_factor is None
        else divergence_factor * net.loss(X, Y)
    )
    # Arrays each step writes into, for the full batches and the last one
    # (chapter 12): a step then allocates no large arrays.
    buffers = {
        n: Buffers(net.sizes, n)
        for n in {batch_size, m % batch_size or batch_size}
    }
    bar = _Progress(epochs, progress)
    start = time.perf_counter()
    try:
        # Inside the loop a diverging run overflows long before it is caught;
        # the check below reports it once, clearly, instead of RuntimeWarnings.
        with (
            single_thread_blas(),
            np.errstate(
                over="ignore",
                invalid="ignore",
                divide="ignore",
                under="ignore",
            ),
        ):
            for epoch in range(1, epochs + 1):
                if orders is None:
                    order = rng.permutation(m)
                else:
                    order = _check_order(orders(epoch), m, epoch)
                for step, first in enumerate(
                    range(0, m, batch_size), start=1
                ):
                    batch = order[first : first + batch_size]
                    dWs, dbs = net.gradients(
                        X[:, batch], Y[:, batch], buffers[len(batch)]
                    )
                    if not (_all_finite(dWs) and _all_finite(dbs)):
                        raise _diverged(
                            epoch,
                            epochs,
                            lr,
                            history,
                            f"a gradient became NaN or infinite in minibatch {step}",
                        )
                    sgd_step(net, dWs, dbs, lr)
                loss = net.loss(X, Y)
                if not math.isfinite(loss):
                    raise _diverged(
                        epoch,
                        epochs,
                        lr,
                        history,
                        f"the training loss became {loss}",
                    )
                if loss > limit:
                    raise _diverged(
                        epoch,
                        epochs,
                        lr,
                        history,
                        f"the training loss rose to {loss:.4g}, over {divergence_factor:g} times its starting value",
                    )
                history.epoch.append(epoch)
                history.train_loss.append(loss)
                postfix = {"loss": loss}
                if classify:
                    history.train_accuracy.append(accuracy(net, X, Y))
                if X_val is not None:
                    history.val_loss.append(net.loss(X_val, Y_val))
                    postfix["val_loss"] = history.val_loss[-1]
                    if classify:
                        history.val_accuracy.append(
                            accuracy(net, X_val, Y_val)
                        )
                        postfix["val_acc"] = history.val_accuracy[-1]
                history.time.append(time.perf_counter() - start)
                bar.update(**postfix)
                if callback is not None:
                    callback(epoch, net, history)
    finally:
        bar.close()
    return history


def _check_order(order, m, epoch):
    """Return orders(epoch) as an int array (m,), or raise if it is no permutation."""
    order = np.asarray(order)
    if (
        order.shape != (m,)
        or not np.issubdtype(order.dtype, np.integer)
        or not np.array_equal(np.sort(order), np.arange(m))
    ):
        raise ValueError(
            f"orders({epoch}) must be a permutation of 0..{m - 1} "
            f"(the m = {m} columns); got {order!r}"
        )
    return order


def _diverged(epoch, epochs, lr, history, what):
    """Return the DivergenceError for a run that blew up in `epoch`."""
    smaller = lr / 10
    return DivergenceError(
        f"training diverged in epoch {epoch} of {epochs}: {what} at learning rate lr = {lr:g}. "
        f"The steps are too large for this network and data; try a smaller learning rate, e.g. lr = {smaller:g}.",
        epoch=epoch,
        lr=lr,
        history=history,
    )
