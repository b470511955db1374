"""Tests for the machinery the explorers share (backprop.explorers.figure).

Blitting must be invisible: a frame drawn as still background plus moving
artists must have the pixels of a full draw of the same figure with nothing
animated, and a move of a main slider must not redraw the whole figure (that
is what keeps it fast).
"""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from backprop.explorers import (  # noqa: E402
    figure,
    hidden_error,
    nudge,
    output_error,
    training,
    weights,
)

PNG = b"\x89PNG\r\n\x1a\n"


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def full_draw(plot):
    """Return the pixels of the figure drawn in full, nothing animated, and leave it as it was."""
    animated = plot.moving + plot.slow
    for artist in animated:
        artist.set_animated(False)
    plot.canvas.draw()
    image = np.asarray(plot.canvas.buffer_rgba())[..., :3].copy()
    for artist in animated:
        artist.set_animated(True)
    plot.invalidate()
    return image


class DrawCounter:
    """Count the full draws of a canvas."""

    def __init__(self, canvas, monkeypatch):
        self.count = 0
        draw = canvas.draw

        def counted(*args, **kwargs):
            self.count += 1
            return draw(*args, **kwargs)

        monkeypatch.setattr(canvas, "draw", counted)


# -- encoding ---------------------------------------------------------------------


def test_palette_pngs_are_smaller_and_compact_png_keeps_the_picture():
    plot = output_error.OutputErrorPlot(-4.0, 1.0)
    full, palette, book = (
        plot.png(),
        plot.png(colors=figure.PALETTE_COLORS),
        plot.book_png(),
    )
    assert full[:8] == palette[:8] == book[:8] == PNG
    assert len(book) <= len(palette) < len(full) / 2
    assert Image.open(io.BytesIO(palette)).mode == "P"
    compact = figure.compact_png(full)
    assert compact[:8] == PNG and len(compact) < len(full) / 2
    assert pixels(compact).shape == pixels(full).shape
    # 64 colours: close to the full-colour picture everywhere.
    assert np.mean(np.abs(pixels(compact).astype(int) - pixels(full))) < 3


def test_the_live_widget_parts():
    image = figure.image_widget(b"\x89PNG")
    assert image.format == "png" and image.layout.max_width == "100%"
    row = figure.controls_row(image)
    assert row.children == (image,) and row.layout.flex_flow == "row wrap"
    assert figure.code_html("a < b & c") == "<code>a &lt; b &amp; c</code>"


# -- blitting is invisible ------------------------------------------------------------


def nudge_plot():
    net, X, Y = nudge.default_problem()
    plot = nudge.NudgePlot()
    steps = [
        ((1, 2, 0), 0.5, None),
        ((1, 2, 0), -2.0, None),
        ((1, 2, 0), 0.0, 2.5),
        ((2, 0, 2), 2.0, -3.0),
    ]
    return plot, [
        lambda w=w, dw=dw, w0=w0: plot.update(
            nudge.nudge(net, X, Y, w, dw, w=w0)
        )
        for w, dw, w0 in steps
    ]


def output_error_plot():
    plot = output_error.OutputErrorPlot()
    return plot, [
        lambda z=z, y=y: plot.update(z, y)
        for z, y in [(-4, 1), (2, 1), (-9.9, 0.3), (10, 0.0)]
    ]


def hidden_error_plot():
    plot = hidden_error.HiddenErrorPlot()
    steps = [
        (15, 1.0, "tanh"),
        (15, 2.0, "tanh"),
        (15, 2.0, "relu"),
        (5, 0.5, "relu"),
        (20, 4.0, "sigmoid"),
    ]
    return plot, [
        lambda d=d, g=g, a=a: plot.update(hidden_error.all_states(d, g), a)
        for d, g, a in steps
    ]


def weights_plot():
    ex = weights.show().widget.explorer

    def select_bias():
        ex.select(weights.bias(1, 2))  # a new layout of the same figure
        ex.set_value(-2.0)

    return ex.view, [
        lambda: ex.set_value(-4.0),
        lambda: ex.set_value(0.5),
        select_bias,
        lambda: ex.set_value(3.0),
    ]


def training_plot():
    ex = training.TrainingExplorer()
    return ex.view, [
        lambda e=e: ex.view.update(e) for e in (0, 5, training.EPOCHS_MAX)
    ]


@pytest.mark.parametrize(
    "make",
    [nudge_plot, output_error_plot, hidden_error_plot, weights_plot],
    ids=["nudge", "output_error", "hidden_error", "weights"],
)
def test_blitted_frames_equal_a_full_draw(make):
    plot, steps = make()
    for step in steps:
        step()
        np.testing.assert_array_equal(
            np.asarray(plot.render()), full_draw(plot)
        )


def test_training_frames_equal_a_full_draw_but_where_ticks_meet_the_frame():
    # The axes of the map are still and the map moves: only the pixel where each
    # tick meets the frame is blended in another order.
    plot, steps = training_plot()
    for step in steps:
        step()
        differ = np.any(
            np.asarray(plot.render()) != full_draw(plot), axis=2
        )
        assert differ.sum() <= 10
        assert (
            len(set(np.nonzero(differ)[1])) <= 1
        )  # one column: the left frame


def test_nudge_text_box_is_drawn_where_one_text_would_draw_it():
    net, X, Y = nudge.default_problem()
    split, whole = nudge.NudgePlot(), nudge.NudgePlot()
    whole.info.set_visible(True)
    for text in whole.info_lines.still + whole.info_lines.values:
        text.set_visible(False)
    rng = np.random.default_rng(0)
    for _ in range(20):
        state = nudge.nudge(
            net,
            X,
            Y,
            (2, 0, 1),
            float(rng.uniform(-2, 2)),
            w=float(rng.uniform(-3, 3)),
        )
        split.update(state)
        whole.update(state)
        np.testing.assert_array_equal(
            np.asarray(split.render()), full_draw(whole)
        )


# -- a move of a main slider redraws only what moves -----------------------------------


def test_main_slider_moves_do_not_redraw_the_whole_figure(monkeypatch):
    nx = nudge.NudgeExplorer()
    oe = output_error.OutputErrorExplorer()
    he = hidden_error.HiddenErrorExplorer()
    wv = weights.show().widget
    tv = training.show()
    moves = [
        (nx.plot, nx.dw, [0.3, -1.2, 2.0]),
        (oe.plot, oe.z, [1.0, -7.5]),
        (oe.plot, oe.y, [0.3, 0.8]),
        (he.plot, he.scale, [0.5, 2.0]),
        (he.plot, he.activation, ["relu", "sigmoid"]),
        (wv.explorer.view, wv.slider, [-1.0, 2.5]),
        (tv.explorer.view, tv.widget.controls["epochs"], [3, 30]),
    ]
    for plot, control, values in moves:
        counter = DrawCounter(plot.canvas, monkeypatch)
        images = set()
        for value in values:
            control.value = value
            images.add(plot.png())
        assert counter.count == 0, control.description
        assert len(images) == len(values)


def test_a_still_part_that_changes_is_redrawn():
    plot = hidden_error.HiddenErrorPlot()
    plot.update(hidden_error.all_states(10, 1.0), "tanh")
    before = plot.png()
    plot.update(
        hidden_error.all_states(6, 1.0), "tanh"
    )  # new depth: new axes
    assert plot.png() != before
    np.testing.assert_array_equal(
        np.asarray(plot.render()), full_draw(plot)
    )
