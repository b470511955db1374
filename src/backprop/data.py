"""Data for the last chapters, always in the column convention: X is (n_0, m).

- the handwritten digits that scikit-learn ships (8×8 images, 1,797 of them,
  no download), scaled to [0, 1]                          (chapters 10, 11);
- a seeded train/test split and one-hot targets;
- a reader for the IDX format of the MNIST files, for readers who have them
  on disk (nothing is downloaded);
- two small 2-D classification problems made in code, two moons and two
  circles, for the training explorer.

Labels are integer arrays of shape (m,); one-hot targets are (n_classes, m).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import checks

__all__ = [
    "DIGITS_SIZES",
    "digits_classifier",
    "Split",
    "digits",
    "train_test_split",
    "load_digits",
    "one_hot",
    "read_idx",
    "write_idx",
    "load_mnist",
    "two_moons",
    "circles",
    "IDXError",
]


# ---------------------------------------------------------------------------
# one-hot targets and the train/test split
# ---------------------------------------------------------------------------


def one_hot(labels, n_classes=None):
    """Return the (n_classes, m) one-hot matrix of integer labels (m,); n_classes defaults to max + 1."""
    labels = np.asarray(labels)
    if n_classes is None:
        if labels.size == 0:
            raise ValueError(
                "one_hot needs at least one label, or n_classes"
            )
        n_classes = int(np.max(labels)) + 1
    return checks.labels_to_one_hot("labels", labels, n_classes)


@dataclass
class Split:
    """A train/test split: X_train (n_0, m_train), y_train (m_train,), X_test (n_0, m_test), y_test (m_test,)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def Y_train(self):
        """Return the one-hot training targets, shape (n_classes, m_train)."""
        return one_hot(self.y_train, self.n_classes)

    @property
    def Y_test(self):
        """Return the one-hot test targets, shape (n_classes, m_test)."""
        return one_hot(self.y_test, self.n_classes)

    def __repr__(self):
        return (
            f"Split(X_train {self.X_train.shape}, X_test {self.X_test.shape}, "
            f"n_classes={self.n_classes})"
        )


def train_test_split(X, labels, test_fraction=0.2, seed=0):
    """Return a seeded, stratified Split of X (n_0, m) and labels (m,).

    Every class is shuffled with a NumPy Generator seeded by `seed`, and its
    first round(test_fraction · count) examples go to the test set, so both
    sets see the classes in the same proportions. Within each set the
    examples are shuffled again, so classes are interleaved.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D of shape (n_0, m), one example per column; got shape {X.shape}"
        )
    if labels.ndim != 1 or labels.size != X.shape[1]:
        raise ValueError(
            f"labels must have shape (m,) = ({X.shape[1]},) to match X {X.shape}; got {labels.shape}"
        )
    if (
        not isinstance(test_fraction, (int, float))
        or not 0 < test_fraction < 1
    ):
        raise ValueError(
            f"test_fraction must be a number strictly between 0 and 1; got {test_fraction!r}"
        )
    n_classes = int(labels.max()) + 1
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(test_fraction * idx.size))
        test_idx.append(idx[:k])
        train_idx.append(idx[k:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    if train_idx.size == 0 or test_idx.size == 0:
        raise ValueError(
            f"test_fraction={test_fraction} leaves an empty train or test set for m = {labels.size}"
        )
    return Split(
        X[:, train_idx],
        labels[train_idx],
        X[:, test_idx],
        labels[test_idx],
        n_classes,
    )


# ---------------------------------------------------------------------------
# the digits that scikit-learn ships
# ---------------------------------------------------------------------------


#: Chapter 10's digit classifier: 64 pixels, 64 tanh units, 10 classes.
#: Chapters 7, 8 and 12 quote its size from here, never by hand.
DIGITS_SIZES = (64, 64, 10)


def digits_classifier(seed=0):
    """Return chapter 10's classifier: MLP(DIGITS_SIZES), tanh, softmax."""
    from .network import MLP

    return MLP(
        list(DIGITS_SIZES),
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        seed=seed,
    )


def digits():
    """Return (X, labels): the 1,797 scikit-learn digits as X (64, 1797) in [0, 1] and labels (1797,).

    Each column is one 8×8 image read row by row (X[:, k].reshape(8, 8) shows
    it); the original pixels are integers 0..16, divided here by 16.
    """
    table = _digits_table()
    X = table[:, :64].T / 16.0
    return X, table[:, 64].astype(np.int64)


def _digits_table():
    """Return scikit-learn's digits as a (1797, 65) array: 64 pixels, then the label."""
    # The file scikit-learn reads in load_digits. Reading it directly spares
    # importing sklearn.datasets (and SciPy with it), about a second.
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.origin is not None:
        path = (
            Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
        )
        if path.is_file():
            return np.loadtxt(path, delimiter=",", dtype=np.float64)
    from sklearn.datasets import (
        load_digits as _sklearn_digits,  # pragma: no cover - a differently packaged sklearn
    )

    bunch = _sklearn_digits()
    return np.column_stack([bunch.data, bunch.target]).astype(np.float64)


def load_digits(test_fraction=0.2, seed=0):
    """Return the digits as a seeded, stratified Split (X columns are 8×8 images in [0, 1])."""
    X, labels = digits()
    return train_test_split(
        X, labels, test_fraction=test_fraction, seed=seed
    )


# ---------------------------------------------------------------------------
# the IDX format (MNIST)
# ---------------------------------------------------------------------------


class IDXError(ValueError):
    """An IDX file that is not what its header says (wrong magic number, truncated, too long)."""


# The third byte of the magic number names the element type; data are big-endian.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path):
    """Return the bytes of path, gunzipped if the file starts with the gzip signature."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {str(path)!r} does not exist")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError) as err:
            raise IDXError(
                f"{path.name}: the gzip stream is damaged or truncated ({err})"
            ) from None
    return raw


def read_idx(path):
    """Return the array stored in an IDX file (MNIST format), gzipped or not, with its dims as shape.

    The header is a magic number 0x00 0x00 <type> <ndims>, then ndims
    big-endian uint32 sizes, then the data, big-endian, row-major.
    Raises IDXError (a ValueError) for a wrong magic number, an unknown
    type byte, or a file shorter or longer than its header announces.
    """
    raw = _read_bytes(path)
    name = Path(path).name
    if len(raw) < 4:
        raise IDXError(
            f"{name}: only {len(raw)} byte(s); an IDX file starts with a 4-byte magic number"
        )
    zero0, zero1, type_byte, ndim = raw[:4]
    if zero0 != 0 or zero1 != 0:
        raise IDXError(
            f"{name}: wrong magic number {raw[:4].hex(' ')}; an IDX file starts with 00 00 <type> <ndims> "
            "(is this really an IDX file, e.g. train-images-idx3-ubyte?)"
        )
    if type_byte not in IDX_DTYPES:
        known = ", ".join(f"0x{k:02X}" for k in IDX_DTYPES)
        raise IDXError(
            f"{name}: unknown element type byte 0x{type_byte:02X} in the magic number; expected one of {known}"
        )
    if ndim == 0:
        raise IDXError(
            f"{name}: the magic number announces 0 dimensions; expected at least 1"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(
            f"{name}: truncated header: {ndim} dimension sizes need {header} bytes, the file has {len(raw)}"
        )
    shape = tuple(
        int(d)
        for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    )
    dtype = IDX_DTYPES[type_byte]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual < expected:
        raise IDXError(
            f"{name}: truncated: the header announces shape {shape} of {dtype.name} ({expected} data bytes), "
            f"but only {actual} follow"
        )
    if actual > expected:
        raise IDXError(
            f"{name}: {actual - expected} unexpected byte(s) after the {expected} data bytes for shape {shape}"
        )
    data = np.frombuffer(
        raw, dtype=dtype, count=expected // dtype.itemsize, offset=header
    )
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array, *, compress=None):
    """Write array to path in IDX format (gzipped if compress, or if compress is None and path ends in .gz)."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(
            f"IDX stores uint8, int8, int16, int32, float32 or float64; got dtype {array.dtype}"
        )
    if array.ndim < 1 or array.ndim > 255:
        raise ValueError(
            f"IDX stores arrays with 1 to 255 dimensions; got {array.ndim}"
        )
    header = (
        bytes([0, 0, codes[native], array.ndim])
        + np.asarray(array.shape, dtype=">u4").tobytes()
    )
    payload = header + array.astype(IDX_DTYPES[codes[native]]).tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    Path(path).write_bytes(
        gzip.compress(payload, mtime=0) if compress else payload
    )


_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find_idx(folder, stem):
    """Return the path of stem in folder, accepting the usual spellings (.gz, '.idx' with a dot)."""
    candidates = [
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ]
    for candidate in candidates:
        path = Path(folder) / candidate
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no {stem} in {os.fspath(folder)!r}: looked for {', '.join(candidates)}. "
        "load_mnist reads the four standard MNIST files from a local folder and downloads nothing."
    )


def _mnist_pair(folder, kind):
    """Return (X (784, m) in [0, 1], labels (m,)) for kind 'train' or 'test'."""
    images_name, labels_name = _MNIST_FILES[kind]
    images = read_idx(_find_idx(folder, images_name))
    labels = read_idx(_find_idx(folder, labels_name))
    if images.ndim != 3:
        raise IDXError(
            f"{images_name}: expected images of shape (m, rows, cols); got {images.shape}"
        )
    if labels.ndim != 1:
        raise IDXError(
            f"{labels_name}: expected labels of shape (m,); got {labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise IDXError(
            f"{kind}: {images.shape[0]} images but {labels.shape[0]} labels"
        )
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    X = images.reshape(images.shape[0], -1).T.astype(np.float64) / scale
    return X, labels.astype(np.int64)


def load_mnist(folder):
    """Return MNIST from the four IDX files in folder as a Split: X (784, m) in [0, 1], labels (m,)."""
    X_train, y_train = _mnist_pair(folder, "train")
    X_test, y_test = _mnist_pair(folder, "test")
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    return Split(X_train, y_train, X_test, y_test, n_classes)


# ---------------------------------------------------------------------------
# small 2-D problems made in code (the training explorer)
# ---------------------------------------------------------------------------


def random_batch(net, m, rng):
    """Return random inputs X (n0, m) and targets Y (nL, m) for a gradient check: one-hot for cross-entropy, in (0.1, 0.9) otherwise."""
    X = rng.normal(size=(net.sizes[0], m))
    n_L = net.sizes[-1]
    if net.loss_name == "cross_entropy":
        Y = np.zeros((n_L, m))
        Y[rng.integers(0, n_L, size=m), np.arange(m)] = 1.0
    else:
        Y = rng.uniform(0.1, 0.9, size=(n_L, m))
    return X, Y


def _check_toy(m, noise):
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
        raise ValueError(
            f"m must be an integer ≥ 2 (the number of points); got {m!r}"
        )
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(
            f"noise must be a finite number ≥ 0; got {noise!r}"
        )


def two_moons(m=200, noise=0.15, seed=0):
    """Return (X (2, m), labels (m,)): two interleaved half circles with Gaussian noise, seeded.

    Class 0 lies on the upper half circle of radius 1 around (0, 0), class 1 on
    the lower half circle around (1, 0.5); the points are centred near 0.
    """
    _check_toy(m, noise)
    rng = np.random.default_rng(seed)
    m0 = m // 2
    m1 = m - m0
    t0 = np.linspace(0, np.pi, m0)
    t1 = np.linspace(0, np.pi, m1)
    upper = np.stack([np.cos(t0), np.sin(t0)])
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([upper, lower], axis=1) - np.array([[0.5], [0.25]])
    X = X + noise * rng.normal(size=X.shape)
    labels = np.concatenate(
        [np.zeros(m0, dtype=np.int64), np.ones(m1, dtype=np.int64)]
    )
    order = rng.permutation(m)
    return X[:, order], labels[order]


def circles(m=200, noise=0.08, factor=0.5, seed=0):
    """Return (X (2, m), labels (m,)): a circle of radius `factor` (class 1) inside one of radius 1 (class 0)."""
    _check_toy(m, noise)
    if not 0 < factor < 1:
        raise ValueError(
            f"factor (inner radius) must be between 0 and 1; got {factor!r}"
        )
    rng = np.random.default_rng(seed)
    m0 = m // 2
    m1 = m - m0
    t0 = np.linspace(0, 2 * np.pi, m0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, m1, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.stack([np.cos(t1), np.sin(t1)])
    X = np.concatenate([outer, inner], axis=1) + noise * rng.normal(
        size=(2, m)
    )
    labels = np.concatenate(
        [np.zeros(m0, dtype=np.int64), np.ones(m1, dtype=np.int64)]
    )
    order = rng.permutation(m)
    return X[:, order], labels[order]
