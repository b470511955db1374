"""Input checks that turn shape and value accidents into clear errors.

NumPy broadcasts silently: a bias of shape (n,) added to (n, m) works when
m == n and gives a wrong answer; a batch passed as (m, n0) instead of (n0, m)
may multiply without complaint. These checks name the argument, what was
expected and what came.
"""

import numpy as np


def as_matrix(name, x, rows, *, hint=""):
    """Return x as a float64 (rows, m) array; raise if its shape or values are wrong."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(
            f"{name} must be a 2-D numeric array of shape ({rows}, m); got {type(x).__name__}"
        )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a 2-D numeric array of shape ({rows}, m); could not convert it: {err}"
        ) from None
    if arr.ndim != 2:
        extra = (
            " (for one example use x.reshape(-1, 1))"
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2-D with shape ({rows}, m){extra}; got {arr.ndim}-D shape {arr.shape}"
        )
    if arr.shape[0] != rows:
        transposed = (
            " — it looks transposed: the book puts one example per column, try .T"
            if arr.shape[1] == rows
            else ""
        )
        raise ValueError(
            f"{name} must have {rows} rows{hint}; got shape {arr.shape}{transposed}"
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one example (column); got shape {arr.shape}"
        )
    require_finite(name, arr)
    return arr


def require_finite(name, arr):
    """Raise ValueError if arr holds NaN or inf, saying how many and where the first is."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr)):  # a NaN or inf anywhere spoils the sum
            return  # (a sum that overflows is checked entry by entry below)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or inf value(s), the first at index {first}; expected finite numbers"
        )


def labels_to_one_hot(name, labels, n_classes):
    """Return the (n_classes, m) one-hot matrix of integer labels of shape (m,)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(
            f"{name} as class labels must be 1-D of shape (m,); got shape {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.floating) or not np.all(
            labels == np.round(labels)
        ):
            raise TypeError(
                f"{name} as class labels must be integers in 0..{n_classes - 1}; got dtype {labels.dtype}"
            )
        labels = labels.astype(np.int64)
    out_of_range = (labels < 0) | (labels >= n_classes)
    if out_of_range.any():
        raise ValueError(
            f"{name} holds label(s) {sorted(set(labels[out_of_range].tolist()))[:5]} outside 0..{n_classes - 1} "
            f"(the network has {n_classes} output units)"
        )
    one_hot = np.zeros((n_classes, labels.size))
    one_hot[labels, np.arange(labels.size)] = 1.0
    return one_hot


def layer_sizes(sizes):
    """Return sizes as a list of ints after checking there are ≥ 2 positive integers."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(
            f"sizes must be a list of layer sizes like [2, 3, 1]; got {sizes!r}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"sizes needs at least two entries (inputs and outputs), e.g. [2, 1]; got {sizes}"
        )
    for l, n in enumerate(sizes):
        if (
            isinstance(n, bool)
            or not isinstance(n, (int, np.integer))
            or n < 1
        ):
            raise ValueError(
                f"layer sizes must be positive integers; sizes[{l}] is {n!r} in {sizes}"
            )
    return [int(n) for n in sizes]
