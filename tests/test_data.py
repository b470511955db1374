"""Tests for backprop.data: the digits, the split, one-hot targets, the IDX reader, the toy problems."""

import gzip
import struct

import numpy as np
import pytest

from backprop import data

# ---------------------------------------------------------------------------
# the digits
# ---------------------------------------------------------------------------


def test_digits_are_columns_in_unit_interval():
    X, labels = data.digits()
    assert X.shape == (64, 1797) and X.dtype == np.float64
    assert labels.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    # The original pixels are integers 0..16: scaling by 16 gives multiples of 1/16.
    assert np.allclose(X * 16, np.round(X * 16))
    assert set(np.unique(labels)) == set(range(10))


def test_digit_columns_are_the_sklearn_images():
    from sklearn.datasets import load_digits as sk

    bunch = sk()
    X, labels = data.digits()
    k = 123
    np.testing.assert_array_equal(
        X[:, k].reshape(8, 8) * 16, bunch.images[k]
    )
    assert labels[k] == bunch.target[k]


def test_split_partitions_the_data_and_is_seeded():
    X, labels = data.digits()
    s = data.load_digits(test_fraction=0.2, seed=3)
    assert s.X_train.shape[0] == s.X_test.shape[0] == 64
    assert s.X_train.shape[1] + s.X_test.shape[1] == 1797
    assert abs(s.X_test.shape[1] - 0.2 * 1797) <= 10

    # Every example lands in exactly one set: the (label, pixels) rows of both
    # sets together are the rows of the whole data set, as a multiset.
    def sorted_rows(X, labels):
        rows = np.column_stack([labels, X.T])
        return rows[np.lexsort(rows.T[::-1])]

    both = sorted_rows(
        np.hstack([s.X_train, s.X_test]),
        np.concatenate([s.y_train, s.y_test]),
    )
    np.testing.assert_array_equal(both, sorted_rows(X, labels))
    again = data.load_digits(test_fraction=0.2, seed=3)
    np.testing.assert_array_equal(again.X_test, s.X_test)
    other = data.load_digits(test_fraction=0.2, seed=4)
    assert not np.array_equal(other.y_test, s.y_test)


def test_split_is_stratified():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    X = np.arange(100, dtype=float)[None, :]
    s = data.train_test_split(X, labels, test_fraction=0.2, seed=0)
    assert np.bincount(s.y_test).tolist() == [10, 6, 4]
    assert np.bincount(s.y_train).tolist() == [40, 24, 16]
    # The columns travel with their labels.
    np.testing.assert_array_equal(
        labels[s.X_train[0].astype(int)], s.y_train
    )


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, "0.2"])
def test_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(
            np.zeros((2, 10)), np.arange(10) % 2, test_fraction=fraction
        )


def test_split_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels must have shape"):
        data.train_test_split(np.zeros((2, 10)), np.zeros(9, dtype=int))


def test_one_hot_by_hand():
    Y = data.one_hot([2, 0, 1, 2], 3)
    expected = np.array(
        [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]], dtype=float
    )
    np.testing.assert_array_equal(Y, expected)
    np.testing.assert_array_equal(
        data.one_hot([2, 0, 1, 2]), expected
    )  # n_classes = max + 1
    s = data.load_digits()
    assert s.Y_train.shape == (10, s.X_train.shape[1])
    np.testing.assert_array_equal(np.argmax(s.Y_train, axis=0), s.y_train)


def test_one_hot_errors_are_clear():
    with pytest.raises(ValueError, match="outside 0..2"):
        data.one_hot([0, 3], 3)
    with pytest.raises(TypeError, match="integers"):
        data.one_hot([0.5, 1.0], 3)


# ---------------------------------------------------------------------------
# IDX files (MNIST format), written by hand with struct, independently of write_idx
# ---------------------------------------------------------------------------


def idx_bytes(array, type_byte):
    """Return the IDX encoding of array, built by hand from the format description."""
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    return header + array.tobytes()


@pytest.fixture
def tiny_mnist(tmp_path):
    """Write 5 random 4×3 ubyte images and their labels in IDX format, plain and gzipped."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    test_images = rng.integers(0, 256, size=(2, 4, 3), dtype=np.uint8)
    test_labels = np.array([9, 2], dtype=np.uint8)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        idx_bytes(images, 0x08)
    )
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        idx_bytes(labels, 0x08)
    )
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(test_images, 0x08))
    )
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(test_labels, 0x08))
    )
    return tmp_path, images, labels, test_images, test_labels


def test_read_idx_ubyte_images_and_labels(tiny_mnist):
    folder, images, labels, test_images, test_labels = tiny_mnist
    got = data.read_idx(folder / "train-images-idx3-ubyte")
    assert got.shape == (5, 4, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(
        data.read_idx(folder / "train-labels-idx1-ubyte"), labels
    )
    np.testing.assert_array_equal(
        data.read_idx(folder / "t10k-images-idx3-ubyte.gz"), test_images
    )


def test_read_idx_big_endian_types(tmp_path):
    # 0x0B short and 0x0D float are big-endian on disk: bytes written by hand.
    shorts = np.array([[1, -2], [300, -32000]], dtype=np.int16)
    raw = (
        bytes([0, 0, 0x0B, 2])
        + struct.pack(">II", 2, 2)
        + struct.pack(">4h", 1, -2, 300, -32000)
    )
    (tmp_path / "s.idx").write_bytes(raw)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "s.idx"), shorts)
    floats = np.array([0.5, -1.25, 3e10], dtype=np.float32)
    raw = (
        bytes([0, 0, 0x0D, 1])
        + struct.pack(">I", 3)
        + struct.pack(">3f", *floats)
    )
    (tmp_path / "f.idx").write_bytes(raw)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "f.idx"), floats)


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
)
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_write_idx_round_trip(tmp_path, dtype, name):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    data.write_idx(tmp_path / name, array)
    assert (
        (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"
    ) == name.endswith(".gz")
    got = data.read_idx(tmp_path / name)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, array)


def test_wrong_magic_is_a_clear_error(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(
        data.IDXError, match="wrong magic number 50 4b 03 04"
    ):
        data.read_idx(path)
    path.write_bytes(bytes([0, 0, 0x07, 1]) + struct.pack(">I", 1) + b"x")
    with pytest.raises(
        data.IDXError, match="unknown element type byte 0x07"
    ):
        data.read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(data.IDXError, match="only 2 byte"):
        data.read_idx(path)


def test_truncated_files_are_clear_errors(tiny_mnist, tmp_path):
    folder, images, *_ = tiny_mnist
    raw = idx_bytes(images, 0x08)
    cut = tmp_path / "cut"
    cut.write_bytes(raw[:-7])
    with pytest.raises(
        data.IDXError,
        match=r"truncated.*\(5, 4, 3\).*60 data bytes.*only 53",
    ):
        data.read_idx(cut)
    cut.write_bytes(raw[:9])  # inside the dimension sizes
    with pytest.raises(data.IDXError, match="truncated header"):
        data.read_idx(cut)
    cut.write_bytes(gzip.compress(raw)[:-12])  # a cut gzip stream
    with pytest.raises(data.IDXError, match="gzip"):
        data.read_idx(cut)
    cut.write_bytes(raw + b"\x00")
    with pytest.raises(data.IDXError, match="1 unexpected byte"):
        data.read_idx(cut)
    assert issubclass(data.IDXError, ValueError)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        data.read_idx(tmp_path / "nothing-here")


def test_load_mnist_columns(tiny_mnist):
    folder, images, labels, test_images, test_labels = tiny_mnist
    s = data.load_mnist(folder)
    assert s.X_train.shape == (12, 5) and s.X_test.shape == (12, 2)
    # Column k is image k read row by row, divided by 255.
    np.testing.assert_allclose(s.X_train[:, 2], images[2].ravel() / 255.0)
    np.testing.assert_allclose(
        s.X_test[:, 1].reshape(4, 3) * 255, test_images[1]
    )
    np.testing.assert_array_equal(s.y_train, labels)
    np.testing.assert_array_equal(s.y_test, test_labels)
    assert s.n_classes == 10 and s.Y_test.shape == (10, 2)


def test_load_mnist_mismatch_and_missing(tiny_mnist):
    folder, images, labels, *_ = tiny_mnist
    (folder / "train-labels-idx1-ubyte").write_bytes(
        idx_bytes(labels[:4], 0x08)
    )
    with pytest.raises(data.IDXError, match="5 images but 4 labels"):
        data.load_mnist(folder)
    (folder / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(
        FileNotFoundError,
        match="train-labels-idx1-ubyte.*downloads nothing",
    ):
        data.load_mnist(folder)


# ---------------------------------------------------------------------------
# toy problems
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [data.two_moons, data.circles])
def test_toy_problems_are_seeded_columns(make):
    X, labels = make(m=101, seed=5)
    assert X.shape == (2, 101) and labels.shape == (101,)
    assert np.bincount(labels).tolist() == [50, 51]
    X2, labels2 = make(m=101, seed=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(labels, labels2)
    assert not np.array_equal(make(m=101, seed=6)[0], X)


def test_circles_radii_without_noise():
    X, labels = data.circles(m=40, noise=0.0, factor=0.3)
    r = np.hypot(X[0], X[1])
    np.testing.assert_allclose(r[labels == 0], 1.0)
    np.testing.assert_allclose(r[labels == 1], 0.3)


def test_moons_without_noise_lie_on_half_circles():
    X, labels = data.two_moons(m=40, noise=0.0)
    X = X + np.array([[0.5], [0.25]])
    upper, lower = X[:, labels == 0], X[:, labels == 1]
    np.testing.assert_allclose(np.hypot(upper[0], upper[1]), 1.0)
    assert np.all(upper[1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[0] - 1, lower[1] - 0.5), 1.0)
    assert np.all(lower[1] <= 0.5 + 1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [dict(m=1), dict(m=2.5), dict(noise=-1), dict(noise=float("nan"))],
)
def test_toy_problems_reject_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        data.two_moons(**kwargs)
