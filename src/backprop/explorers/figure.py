"""What every explorer shares: a blitted figure drawn to PNG bytes, and the parts of the live widget.

An explorer's figure is created once and updated in place. Its still parts
(axes, ticks, labels, curves that do not move) are drawn once and kept as
pixels; each frame restores those pixels and draws only the moving artists on
top (blitting). Drawing text is what costs most in Matplotlib, so a slider
move that leaves the axes alone costs a few milliseconds instead of tens.

Every frame is a PNG: the live view shows it in an `ipywidgets.Image`, the
book inlines a few of them in its page (see `backprop.frames`).
"""

from __future__ import annotations

import html
import io

import numpy as np

__all__ = [
    "BlittedFigure",
    "LabelledLines",
    "LiveExplorer",
    "encode_png",
    "compact_png",
    "image_widget",
    "controls_row",
    "code_html",
    "DPI",
    "PALETTE_COLORS",
]

#: Dots per inch of every explorer figure, live and in the book.
DPI = 80
#: Colours of the palette PNGs (the book's frames): about a third of the bytes of full colour.
PALETTE_COLORS = 64


def encode_png(image, colors=None, small=False):
    """Return a PIL image as PNG bytes, in full colour or with a palette of `colors` colours.

    small=True (zlib's best compression) takes about four times as long as
    zlib's fastest level for about 30% fewer bytes: for frames encoded once and
    inlined in a page. A live frame, encoded on every slider move, gets the
    fastest level.
    """
    from PIL import Image

    if colors:
        # FASTOCTREE: about a quarter of the time of the default median cut, for the same size.
        image = image.quantize(
            colors=colors, method=Image.Quantize.FASTOCTREE
        )
    buffer = io.BytesIO()
    options = {"optimize": True} if small else {"compress_level": 1}
    image.save(buffer, format="png", **options)
    return buffer.getvalue()


def compact_png(png, colors=PALETTE_COLORS):
    """Return PNG bytes re-encoded small, with a palette of `colors` colours (about a third of the size)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
    return encode_png(rgb, colors, small=True)


class BlittedFigure:
    """A Matplotlib figure with its own Agg canvas whose still parts are drawn once (blitting).

    Subclasses mark their moving artists with `animate(...)` (an animated
    artist, even an Axis, is left out of a full draw), call `invalidate()`
    when a still part changes, and take each frame from `png()` (live) or
    `book_png()` (the book's frames). Artists that change only with a second,
    rarer control can be animated with slow=True: they are drawn over the
    still parts and kept as pixels with them until `invalidate(slow_only=True)`,
    so that control does not redraw the axes. The figure is not managed by
    pyplot, so no cell shows it by itself. `savefig` (and so
    `frames.figure_to_png`) leaves animated artists out: take frames from `png()`.
    """

    def __init__(self, figsize, dpi=DPI):
        """Create the empty figure on an Agg canvas of its own, whose renderer and text caches persist."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.moving = []  # drawn on every frame
        self.slow = []  # drawn over the still parts when they change, then kept as pixels
        self._still_pixels = None  # the still parts
        self._background_pixels = (
            None  # the still parts and the slow artists
        )

    def animate(self, *artists, slow=False):
        """Leave artists out of the still parts: drawn on every frame, or with slow=True when invalidated."""
        for artist in artists:
            artist.set_animated(True)
            (self.slow if slow else self.moving).append(artist)

    def forget(self, artist):
        """Stop drawing an animated artist (before removing it from the figure)."""
        (self.slow if artist in self.slow else self.moving).remove(artist)

    def clear(self):
        """Remove every axes and artist, for a new layout of the same figure."""
        self.fig.clear()
        self.moving, self.slow = [], []
        self.invalidate()

    def invalidate(self, slow_only=False):
        """Mark the still parts (or only the slow artists) as changed: the next frame draws them again."""
        if not slow_only:
            self._still_pixels = None
        self._background_pixels = None

    def _draw(self, artists):
        # In the order of a full draw: by zorder, list order breaking ties (sorted is stable).
        for artist in sorted(
            artists, key=lambda artist: artist.get_zorder()
        ):
            self.fig.draw_artist(artist)

    def render(self):
        """Draw the current frame on the canvas and return it as an RGB PIL image."""
        from PIL import Image

        if self._still_pixels is None:
            self.canvas.draw()  # the still parts only: animated artists are skipped
            self._still_pixels = self.canvas.copy_from_bbox(self.fig.bbox)
            self._background_pixels = None
        if self._background_pixels is None:
            self.canvas.restore_region(self._still_pixels)
            self._draw(self.slow)
            self._background_pixels = (
                self.canvas.copy_from_bbox(self.fig.bbox)
                if self.slow
                else self._still_pixels
            )
        self.canvas.restore_region(self._background_pixels)
        self._draw(self.moving)
        return Image.fromarray(
            np.asarray(self.canvas.buffer_rgba())
        ).convert("RGB")

    def png(self, colors=None):
        """Return the current frame as PNG bytes, fast; with `colors`, as a palette of that many colours."""
        return encode_png(self.render(), colors)

    def book_png(self):
        """Return the current frame as a small palette PNG, for the book's precomputed frames."""
        return encode_png(self.render(), PALETTE_COLORS, small=True)


class LabelledLines:
    """A block of "label value" lines drawn where one multi-line Text would put them, the labels still.

    Text costs by the glyph, and in a readout that changes with every move only
    the values do: the labels are drawn with the still parts and only the values
    per frame, each line where `model`, a Text with the block's position,
    alignment and a monospace font, would start it (linespacing "normal", no
    rotation; the model itself is hidden and keeps the whole text).
    """

    def __init__(self, figure, model, labels):
        """Split `model` of BlittedFigure `figure` into still `labels` and moving values."""
        from matplotlib import font_manager
        from matplotlib.transforms import IdentityTransform

        self.figure, self.model, self.labels = figure, model, list(labels)
        model.set_visible(False)
        prop = model.get_fontproperties()
        font = font_manager.get_font(font_manager.findfont(prop))
        os2 = font.get_sfnt_table("OS/2")
        scale = (
            prop.get_size_in_points()
            * figure.fig.dpi
            / 72
            / font.get_sfnt_table("head")["unitsPerEm"]
        )
        # The font's own line metrics, as Text uses them: the least ascent and descent of a line, and the gap.
        self._min_ascent, self._min_descent = (
            os2["sTypoAscender"] * scale,
            -os2["sTypoDescender"] * scale,
        )
        self._gap = (
            os2["sTypoLineGap"] * scale if len(self.labels) > 1 else 0.0
        )
        # One advance of the monospace font: a value starts len(label) advances after its line.
        renderer = figure.canvas.get_renderer()
        self._advance = (
            renderer.get_text_width_height_descent(
                "00", prop, ismath=False
            )[0]
            - renderer.get_text_width_height_descent(
                "0", prop, ismath=False
            )[0]
        )
        style = dict(
            transform=IdentityTransform(),
            ha="left",
            va="baseline",
            fontproperties=prop,
            color=model.get_color(),
        )
        self.still = [
            model.axes.text(0, 0, label.rstrip(), **style)
            for label in self.labels
        ]
        self.values = [
            model.axes.text(0, 0, "", **style) for _ in self.labels
        ]
        figure.animate(*self.values)
        self._origins = None

    def set_values(self, values):
        """Show `values` after the labels, one a line."""
        lines = [label + value for label, value in zip(self.labels, values)]
        self.model.set_text("\n".join(lines))
        origins = self._line_origins(lines)
        if (
            origins != self._origins
        ):  # a longer line recentres the block: the labels move
            for text, xy in zip(self.still, origins):
                text.set_position(xy)
            self._origins = origins
            self.figure.invalidate()
        for text, (x, y), label, value in zip(
            self.values, origins, self.labels, values
        ):
            text.set_position((x + len(label) * self._advance, y))
            text.set_text(value)

    def _line_origins(self, lines):
        """Return the display (x, y) at which the model, holding `lines`, would start each line."""
        renderer = self.figure.canvas.get_renderer()
        prop = self.model.get_fontproperties()
        ys, widths, y = [], [], 0.0
        for line in lines:
            w, h, d = renderer.get_text_width_height_descent(
                line, prop, ismath=False
            )
            ascent, descent = (
                max(h - d, self._min_ascent) + self._gap / 2,
                max(d, self._min_descent) + self._gap / 2,
            )
            y -= ascent
            ys.append(y)
            y -= descent
            widths.append(w)
        x0, y0 = self.model.get_transform().transform(
            self.model.get_position()
        )
        # Centred both ways, as the model is (y is now the bottom of the block, 0 its top).
        return [
            (x0 - max(widths) / 2, y0 + line_y - y / 2) for line_y in ys
        ]


# -- the live widget -------------------------------------------------------------


class LiveExplorer:
    """An explorer's live view; subclasses set `widget` and define book_view() and summary()."""

    def dual_view(self):
        """Return the DualView: this live widget in Jupyter, the frames of book_view() in the book."""
        from ..frames import DualView

        return DualView(self.widget, self.book_view, text=self.summary())


def image_widget(png=b""):
    """Return the ipywidgets.Image that shows an explorer's figure, never wider than the page."""
    import ipywidgets as widgets

    return widgets.Image(
        value=png, format="png", layout=widgets.Layout(max_width="100%")
    )


def controls_row(*controls):
    """Return the controls side by side in a row that wraps on a narrow page."""
    import ipywidgets as widgets

    return widgets.HBox(
        list(controls), layout=widgets.Layout(flex_flow="row wrap")
    )


def code_html(text):
    """Return a one-line readout as escaped HTML in a <code> element."""
    return f"<code>{html.escape(text)}</code>"
