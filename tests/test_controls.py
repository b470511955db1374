"""The explorers' control kinds (backprop.explorers.controls).

Every kind must accept what it draws and its own ends, refuse a wrong value
with an error naming the control and what it expects, and count entries and
shapes as the network has them (counted here by hand from the sizes).
"""

import numpy as np
import pytest

from backprop.explorers.controls import (
    Choice,
    Entry,
    Matrix,
    Range,
    Sizes,
    check_controls,
    entries,
    spec_json,
)

SIZES = Sizes("sizes", "layers", layers=4, units=5)
CTX = {"sizes": [2, 3, 1], "L": 2, "m": 4, "onehot": False}


def test_range_checks_draws_and_caps_its_top_by_the_network():
    r = Range("layer", "layer", 0, 4, 1, decimals=0, upto="L")
    assert r.ends(CTX) == [0, 2]
    rng = np.random.default_rng(0)
    assert {r.draw(rng, CTX) for _ in range(200)} == {0, 1, 2}
    with pytest.raises(
        ValueError, match=r"layer must be an integer in \[0, 2\]"
    ):
        r.check(3, CTX)
    with pytest.raises(ValueError, match="an integer"):
        r.check(1.5, CTX)
    for bad in ("two", "1", True, None, [1]):
        with pytest.raises(TypeError, match="layer must be a number"):
            r.check(bad, CTX)


def test_log_range_draws_powers_of_two_inside_it():
    r = Range("batch", "batch size", 1, 64, 1, decimals=0, log=True)
    rng = np.random.default_rng(1)
    drawn = {r.draw(rng) for _ in range(300)}
    assert drawn == {2.0**k for k in range(7)}


def test_sizes_draws_networks_it_accepts_and_refuses_others():
    rng = np.random.default_rng(2)
    for _ in range(200):
        sizes = SIZES.draw(rng)
        assert SIZES.check(sizes) == sizes
        assert 2 <= len(sizes) <= 5 and all(1 <= n <= 5 for n in sizes)
    assert [SIZES.check(s) for s in SIZES.ends()] == SIZES.ends()
    for bad, message in (
        ([3], "2 to 5 widths"),
        ([1] * 6, "2 to 5 widths"),
        ([2, 6], r"in 1\.\.5"),
        ([2, 0], r"in 1\.\.5"),
        ([2, 1.0], "must be an int"),
        ([2, True], "must be an int"),
        ("2-3", "list of layer widths"),
    ):
        with pytest.raises((TypeError, ValueError), match=message):
            SIZES.check(bad)


@pytest.mark.parametrize(
    ("shape", "want"),
    [
        ("W", [(3, 2), (1, 3)]),
        ("b", [(3, 1), (1, 1)]),
        ("x", [(2, 4)]),
        ("y", [(1, 4)]),
    ],
)
def test_matrix_shapes_follow_the_network(shape, want):
    M = Matrix("M", "numbers", -2.0, 3.0, 0.01, shape)
    rng = np.random.default_rng(3)
    for value in [M.draw(rng, CTX), *M.ends(CTX)]:
        arrays = value if shape in "Wb" else [value]
        assert [np.shape(A) for A in arrays] == want
        assert all(-2.0 <= np.min(A) and np.max(A) <= 3.0 for A in arrays)
        assert M.check(value, CTX) == value
    lo, hi, turns = M.ends(CTX)
    first = lo if shape in "xy" else lo[0]
    assert np.all(np.array(first) == -2.0)
    # By turns: row r of layer l (from 1) at lo when r + l is odd.
    for l, A in enumerate([turns] if shape in "xy" else turns, start=1):
        for r, row in enumerate(np.array(A), start=1):
            assert np.all(row == (-2.0 if (r + l) % 2 == 0 else 3.0))


def test_matrix_refuses_wrong_shapes_ranges_and_non_numbers():
    X = Matrix("X", "inputs", -3.0, 3.0, 0.01, "x")
    W = Matrix("weights", "weights", -4.0, 4.0, 0.01, "W")
    good = [[0.0] * 4, [1.0] * 4]
    with pytest.raises(ValueError, match=r"X must have shape \(2, 4\)"):
        X.check([[0.0] * 4], CTX)
    with pytest.raises(ValueError, match=r"every entry of X must be in"):
        X.check([[0.0] * 4, [3.5] * 4], CTX)
    with pytest.raises(ValueError, match="in"):
        X.check([[0.0] * 4, [float("nan")] * 4], CTX)
    with pytest.raises(TypeError, match="list of rows of numbers"):
        X.check([["a"] * 4, [1.0] * 4], CTX)
    assert X.check(good, CTX) == good
    with pytest.raises(ValueError, match="a list of 2 matrices"):
        W.check([[[0.0, 0.0]] * 3], CTX)
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\)"):
        W.check([[[0.0, 0.0]] * 3, [[0.0, 0.0]]], CTX)


def test_one_hot_targets_are_drawn_checked_and_ended_as_one_hot():
    Y = Matrix("Y", "targets", -2.0, 2.0, 0.01, "y")
    ctx = {"sizes": [2, 3], "L": 1, "m": 5, "onehot": True}
    rng = np.random.default_rng(4)
    for value in [Y.draw(rng, ctx) for _ in range(20)] + Y.ends(ctx):
        A = np.array(value)
        assert A.shape == (3, 5)
        assert set(A.ravel()) <= {0.0, 1.0} and np.all(A.sum(axis=0) == 1)
    assert np.all(np.array(Y.ends(ctx)[1])[2] == 1)  # the last class
    for bad in ([[0.5] * 5, [0.5] * 5, [0.0] * 5], [[1.0] * 5] * 3):
        with pytest.raises(ValueError, match="one-hot"):
            Y.check(bad, ctx)


def test_entries_are_every_weight_bias_input_and_target_1_based():
    listed = entries(("w", "b", "x", "y"), CTX)
    # By hand for [2, 3, 1]: 6 + 3 weights, 3 + 1 biases, 2 inputs, 1 target.
    assert len(listed) == 16
    assert listed[0] == {"kind": "x", "j": 1}  # from input to output
    assert listed[2] == {"kind": "w", "l": 1, "j": 1, "k": 1}
    assert listed[3] == {"kind": "w", "l": 1, "j": 1, "k": 2}
    assert {"kind": "w", "l": 2, "j": 1, "k": 3} in listed
    assert {"kind": "b", "l": 1, "j": 3} in listed
    assert listed[-1] == {"kind": "y", "j": 1}
    assert not any(
        e["kind"] == "y" for e in entries("wby", {**CTX, "onehot": True})
    )


def test_entry_refuses_what_the_network_does_not_have():
    e = Entry("selected", "entry", ("w", "b"))
    assert e.check({"kind": "w", "l": 2, "j": 1, "k": 3}, CTX)
    for bad in (
        {"kind": "w", "l": 2, "j": 1, "k": 4},  # W² has 3 columns
        {"kind": "w", "l": 0, "j": 1, "k": 1},  # layers start at 1
        {"kind": "x", "j": 1},  # not among the kinds
        {"kind": "b", "l": 3, "j": 1},
        "w213",
    ):
        with pytest.raises(ValueError, match="selected must be an entry"):
            e.check(bad, CTX)


def test_check_controls_names_unknown_and_missing_controls_in_order():
    spec = (
        SIZES,
        Matrix("X", "inputs", -1.0, 1.0, 0.1, "x"),
        Choice("f", "activation", (("tanh", "tanh"), ("relu", "ReLU"))),
    )

    def context(values):
        return (
            {"sizes": values["sizes"], "m": 1} if "sizes" in values else {}
        )

    good = {"sizes": [2, 1], "X": [[0.5], [-0.5]], "f": "relu"}
    assert check_controls(spec, good, context) == good
    with pytest.raises(
        ValueError, match=r"unknown \['g'\], missing \['f'\]"
    ):
        check_controls(
            spec, {"sizes": [2, 1], "X": good["X"], "g": 1}, context
        )
    with pytest.raises(ValueError, match=r"X must have shape \(3, 1\)"):
        check_controls(spec, {**good, "sizes": [3, 1]}, context)
    with pytest.raises(TypeError, match="controls must be a dict"):
        check_controls(spec, [good], context)
    shipped = spec_json(spec)
    assert [c["kind"] for c in shipped] == ["sizes", "matrix", "choice"]
    assert shipped[2]["options"] == [["tanh", "tanh"], ["relu", "ReLU"]]


@pytest.mark.browser
def test_the_views_list_entries_as_the_package_does(playwright_session):
    # ui.entries (ui.js) builds the views' entry selects; controls.entries
    # checks what they send. The two must list the same entries in order.
    from backprop.explorers.host import web_source
    from browser_support import launch_chromium

    browser = launch_chromium(playwright_session)
    page = browser.new_page()
    page.set_content("<!doctype html><title>entries</title>")
    page.add_script_tag(content=web_source("ui.js") + "\nwindow.ui = ui;")
    rng = np.random.default_rng(5)
    for _ in range(30):
        sizes = SIZES.draw(rng)
        for kinds in ("w", "wb", "wbxy"):
            for onehot in (False, True):
                ctx = {"sizes": sizes, "onehot": onehot}
                got = page.evaluate(
                    "([k, s, o]) => ui.entries(k, s, o)",
                    [kinds, sizes, onehot],
                )
                assert got == entries(tuple(kinds), ctx), (sizes, kinds)
    browser.close()
