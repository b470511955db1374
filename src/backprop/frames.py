"""Kernel-free explorers: one cell, a live widget in Jupyter, frames in the book.

The built HTML book has no kernel, so a live ipywidget cannot compute there.
An explorer therefore carries two views of itself:

- the live ipywidget (mime type ``application/vnd.jupyter.widget-view+json``),
  which JupyterLab shows and the kernel keeps up to date;
- a figure of frames precomputed along the explorer's main slider
  (``text/html``), switched by a plain HTML range input and a few lines of
  inline script, which the HTML book shows (``_config.yml`` tells myst-nb never
  to pick the widget view).

Usage, in an explorer module::

    from backprop.frames import DualView, frames_html, render_frames

    def explorer(...):
        widget = ...                                    # the live VBox
        def book_view():                                # called once, lazily
            values = np.linspace(-2, 2, 9)
            images = render_frames(draw_at, values)     # draw_at(v) -> Figure
            labels = [f"w = {v:+.2f}" for v in values]
            return frames_html(images, labels, title="Loss as w moves",
                               slider_label="weight w", alt="Loss curve ...")
        return DualView(widget, book_view, text="Explorer: loss as w moves")

The chapter cell ends with ``explorer(...)``; nothing else is needed. Rules
for explorer authors:

- always display a widget through DualView: a bare widget has no kernel-free
  view, and the book would show its ``VBox(children=...)`` text (a test fails);
- keep the frames few and small (about 5 to 15 frames of a figure a few inches
  wide, at the default 80 dpi): they are inlined in the page;
- draw frames on figures that are closed afterwards (render_frames does it),
  or the inline backend shows them as extra outputs of the cell;
- the frames are computed when the view is first displayed, in Jupyter too.

The HTML contract (for styling and tests)::

    figure.bp-frames                 one per explorer; no id attributes
      figcaption                     the title
      img.bp-frames-image            the current frame (frame 0 at load)
      div.bp-frames-controls
        label > input.bp-frames-slider[type=range]   min 0, max N-1, step 1
        output.bp-frames-value       the current frame's label
      script.bp-frames-data[type=application/json]   {"frames": [...], "labels": [...]}
      script                         wires every not yet wired figure.bp-frames
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["DualView", "figure_to_png", "frames_html", "render_frames"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"

# Wires every figure.bp-frames on the page that is not wired yet, so any number
# of figures can share a page without ids, and running it twice is harmless.
_SCRIPT = """\
(function () {
  document.querySelectorAll("figure.bp-frames:not([data-bp-ready])").forEach(function (fig) {
    fig.setAttribute("data-bp-ready", "");
    var data = JSON.parse(fig.querySelector("script.bp-frames-data").textContent);
    var img = fig.querySelector(".bp-frames-image");
    var out = fig.querySelector(".bp-frames-value");
    var slider = fig.querySelector(".bp-frames-slider");
    function show() {
      var i = Number(slider.value);
      img.src = data.frames[i];
      out.textContent = data.labels[i];
    }
    slider.addEventListener("input", show);
    show();
  });
})();"""


def figure_to_png(fig: Any, dpi: float = 80) -> bytes:
    """Render a Matplotlib figure to PNG bytes at `dpi` dots per inch."""
    if not hasattr(fig, "savefig"):
        raise TypeError(
            f"figure_to_png expects a matplotlib Figure, got {type(fig).__name__}"
        )
    if not dpi > 0:
        raise ValueError(f"dpi must be positive, got {dpi!r}")
    buffer = io.BytesIO()
    # No "Software" metadata: the same figure gives the same bytes every build.
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def render_frames(
    draw: Callable[[Any], Any],
    values: Iterable[Any],
    *,
    dpi: float = 80,
    close: bool = True,
) -> list[bytes]:
    """Call `draw(value) -> Figure` for each value and return the PNG bytes of each figure."""
    images = []
    for value in values:
        fig = draw(value)
        images.append(figure_to_png(fig, dpi=dpi))
        if close:
            # A figure left open in pyplot would also be shown by the inline backend.
            import matplotlib.pyplot as plt

            plt.close(fig)
    return images


def _png_data_uri(image: bytes, index: int) -> str:
    """Return the `data:image/png;base64,...` URI of PNG bytes (frame `index`, for errors)."""
    if not isinstance(image, (bytes, bytearray)):
        raise TypeError(
            f"frame {index} must be PNG bytes, got {type(image).__name__}"
        )
    if not bytes(image[:8]) == PNG_SIGNATURE:
        raise ValueError(
            f"frame {index} is not a PNG image (bytes do not start with the PNG signature)"
        )
    return "data:image/png;base64," + base64.b64encode(bytes(image)).decode(
        "ascii"
    )


def _script_json(value: Any) -> str:
    """Return `value` as JSON that is safe inside an HTML <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
    )


def frames_html(
    images: Sequence[bytes],
    labels: Sequence[str],
    *,
    title: str,
    slider_label: str,
    alt: str,
) -> str:
    """Return a self-contained HTML figure whose range slider steps through PNG `images`."""
    images, labels = list(images), list(labels)
    if not images:
        raise ValueError("frames_html needs at least one image, got none")
    if len(labels) != len(images):
        raise ValueError(
            f"frames_html needs one label per image: {len(images)} images, {len(labels)} labels"
        )
    for name, text in (
        ("title", title),
        ("slider_label", slider_label),
        ("alt", alt),
    ):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                f"{name} must be a non-empty string, got {text!r}"
            )
    for i, label in enumerate(labels):
        if not isinstance(label, str):
            raise TypeError(
                f"label {i} must be a str, got {type(label).__name__}"
            )
    uris = [_png_data_uri(image, i) for i, image in enumerate(images)]
    esc = html.escape
    return (
        '<figure class="bp-frames" style="margin:1em 0">\n'
        f"<figcaption>{esc(title)}</figcaption>\n"
        f'<img class="bp-frames-image" src="{uris[0]}" alt="{esc(alt)}" style="max-width:100%;height:auto">\n'
        '<div class="bp-frames-controls">\n'
        f"<label>{esc(slider_label)} "
        f'<input type="range" class="bp-frames-slider" min="0" max="{len(uris) - 1}" step="1" value="0" '
        f'aria-label="{esc(slider_label)}"></label>\n'
        f'<output class="bp-frames-value">{esc(labels[0])}</output>\n'
        "</div>\n"
        f'<script type="application/json" class="bp-frames-data">{_script_json({"frames": uris, "labels": labels})}</script>\n'
        f"<script>\n{_SCRIPT}\n</script>\n"
        "</figure>"
    )


class DualView:
    """One displayable explorer: a live ipywidget in Jupyter, precomputed frames in the book."""

    def __init__(
        self,
        widget: Any,
        frames: Callable[[], str],
        *,
        text: str = "Interactive explorer",
    ) -> None:
        """Hold the live `widget` and `frames`, a callable returning frames_html, called lazily."""
        if not callable(frames):
            raise TypeError(
                f"frames must be a callable returning HTML, got {type(frames).__name__}"
            )
        self.widget = widget
        self.text = text
        self._frames = frames
        self._html: str | None = None

    def frames_html(self) -> str:
        """Return the frames HTML, computing it on first use."""
        if self._html is None:
            result = self._frames()
            if not isinstance(result, str):
                raise TypeError(
                    f"frames callable must return an HTML str, got {type(result).__name__}"
                )
            self._html = result
        return self._html

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Return the widget view, the frames as text/html and a short text/plain."""
        bundle: dict[str, Any] = {}
        widget_repr = getattr(self.widget, "_repr_mimebundle_", None)
        if callable(widget_repr):
            widget_bundle = widget_repr(**kwargs) or {}
            if WIDGET_VIEW_MIME in widget_bundle:
                bundle[WIDGET_VIEW_MIME] = widget_bundle[WIDGET_VIEW_MIME]
        bundle["text/html"] = self.frames_html()
        bundle["text/plain"] = self.text
        return bundle

    def __repr__(self) -> str:
        """Return the short human description, never the widget tree."""
        return self.text
