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

# nudge, output_error, hidden_error and training draw in JavaScript now
# (web/); the weights explorer still uses this module until it moves too.
from backprop.explorers import (  # noqa: E402
    figure,
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


def test_the_live_widget_parts():
    image = figure.image_widget(b"\x89PNG")
    assert image.format == "png" and image.layout.max_width == "100%"
    row = figure.controls_row(image)
    assert row.children == (image,) and row.layout.flex_flow == "row wrap"
    assert figure.code_html("a < b & c") == "<code>a &lt; b &amp; c</code>"


# -- blitting is invisible ------------------------------------------------------------


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


@pytest.mark.parametrize(
    "make",
    [weights_plot],
    ids=["weights"],
)
def test_blitted_frames_equal_a_full_draw(make):
    plot, steps = make()
    for step in steps:
        step()
        np.testing.assert_array_equal(
            np.asarray(plot.render()), full_draw(plot)
        )
