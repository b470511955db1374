"""Tests for backprop.frames: the kernel-free explorer frames and the dual view."""

import base64
import json
import re
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from backprop.frames import (  # noqa: E402
    DualView,
    figure_to_png,
    frames_html,
    render_frames,
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PNG = b"\x89PNG\r\n\x1a\n"


def tiny_png(seed: int) -> bytes:
    """Return a real, small PNG whose pixels depend on `seed`."""
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, seed])
    try:
        return figure_to_png(fig, dpi=20)
    finally:
        plt.close(fig)


class _Collector(HTMLParser):
    """Collect start tags with their attributes, and the text of each element."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = {}
        self._stack = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data):
        if self._stack:
            self.text.setdefault(self._stack[-1], []).append(data)


def parse(markup):
    """Parse `markup` and return the collector."""
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


def by_class(collector, cls):
    """Return the attribute dicts of every tag carrying class `cls`."""
    return [
        attrs
        for _, attrs in collector.tags
        if cls in (attrs.get("class") or "").split()
    ]


def data_json(markup):
    """Return the parsed JSON payload of the frames figure."""
    match = re.search(
        r'<script type="application/json" class="bp-frames-data">(.*?)</script>',
        markup,
        re.S,
    )
    assert match, "no bp-frames-data script"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def images():
    return [tiny_png(i) for i in range(4)]


def test_figure_to_png_returns_png_bytes_sized_by_dpi():
    fig, ax = plt.subplots(figsize=(2, 1))
    try:
        small, large = (
            figure_to_png(fig, dpi=20),
            figure_to_png(fig, dpi=80),
        )
    finally:
        plt.close(fig)
    assert small.startswith(PNG) and large.startswith(PNG)
    # PNG IHDR: width and height are big-endian at bytes 16..24.
    width = int.from_bytes(small[16:20], "big")
    height = int.from_bytes(small[20:24], "big")
    assert (width, height) == (40, 20)
    assert int.from_bytes(large[16:20], "big") == 160


def test_figure_to_png_is_deterministic():
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    try:
        assert figure_to_png(fig, dpi=30) == figure_to_png(fig, dpi=30)
    finally:
        plt.close(fig)


def test_figure_to_png_rejects_non_figures():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        figure_to_png("not a figure")


def test_frame_count_equals_image_count(images):
    markup = frames_html(
        images,
        [f"v={i}" for i in range(4)],
        title="T",
        slider_label="v",
        alt="A plot",
    )
    data = data_json(markup)
    assert len(data["frames"]) == len(images) == len(data["labels"])
    assert [
        base64.b64decode(uri.split(",", 1)[1]) for uri in data["frames"]
    ] == images
    slider = by_class(parse(markup), "bp-frames-slider")
    assert len(slider) == 1
    assert slider[0]["type"] == "range"
    assert (slider[0]["min"], slider[0]["max"], slider[0]["step"]) == (
        "0",
        "3",
        "1",
    )


def test_structure_and_first_frame(images):
    markup = frames_html(
        images[:2],
        ["first", "second"],
        title="Loss as w moves",
        slider_label="weight w",
        alt="Loss curve",
    )
    doc = parse(markup)
    assert markup.startswith('<figure class="bp-frames"')
    (img,) = by_class(doc, "bp-frames-image")
    assert img["alt"] == "Loss curve"
    assert img["src"] == data_json(markup)["frames"][0]
    assert "".join(doc.text["output"]) == "first"
    assert "".join(doc.text["figcaption"]) == "Loss as w moves"
    assert by_class(doc, "bp-frames-slider")[0]["aria-label"] == "weight w"
    assert not any("id" in attrs for _, attrs in doc.tags), (
        "figures must not use ids (several share a page)"
    )


def test_labels_and_texts_are_escaped(images):
    nasty = '</script><script>alert("x")</script> & <b>'
    markup = frames_html(
        images[:2],
        [nasty, "b"],
        title="<i>t</i>",
        slider_label='"w"',
        alt='a "quoted" <alt>',
    )
    # The only script tags are the two the figure is made of.
    assert markup.count("<script") == 2
    assert markup.count("</script>") == 2
    assert "<b>" not in markup and "<i>" not in markup
    doc = parse(markup)
    assert "".join(doc.text["output"]) == nasty  # shown as text, not markup
    assert by_class(doc, "bp-frames-image")[0]["alt"] == 'a "quoted" <alt>'
    assert (
        data_json(markup)["labels"][0] == nasty
    )  # JSON round-trips the label


def test_no_external_references(images):
    markup = frames_html(
        images, list("abcd"), title="T", slider_label="s", alt="a"
    )
    assert "http" not in markup.lower()
    assert "//" not in re.sub(
        r"data:image/png;base64,[A-Za-z0-9+/=]+", "", markup
    )
    for _, attrs in parse(markup).tags:
        for name in ("src", "href"):
            if name in attrs:
                assert attrs[name].startswith("data:image/png;base64,"), (
                    attrs
                )


def test_several_figures_do_not_share_state(images):
    one = frames_html(
        images[:2], ["a", "b"], title="one", slider_label="s", alt="a"
    )
    two = frames_html(
        images[2:], ["c", "d"], title="two", slider_label="s", alt="a"
    )
    page = one + two
    # The script finds its data inside each figure, never through an id or a global.
    assert "getElementById" not in page and " id=" not in page
    assert (
        'querySelectorAll("figure.bp-frames:not([data-bp-ready])")' in one
    )


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(images=[], labels=[]), ValueError),
        (dict(images=[PNG + b"x"], labels=["a", "b"]), ValueError),
        (dict(images=[b"GIF89a"], labels=["a"]), ValueError),
        (dict(images=["not bytes"], labels=["a"]), TypeError),
        (dict(images=[PNG + b"x"], labels=[1]), TypeError),
    ],
)
def test_bad_input_is_rejected(kwargs, error):
    with pytest.raises(error):
        frames_html(title="t", slider_label="s", alt="a", **kwargs)


def test_empty_alt_is_rejected(images):
    with pytest.raises(ValueError, match="alt"):
        frames_html(images[:1], ["a"], title="t", slider_label="s", alt=" ")


def test_render_frames_draws_each_value_and_closes_figures():
    seen = []

    def draw(v):
        seen.append(v)
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.plot([0, 1], [0, v])
        return fig

    before = len(plt.get_fignums())
    frames = render_frames(draw, [1, 2, 3], dpi=20)
    assert seen == [1, 2, 3]
    assert len(frames) == 3 and all(f.startswith(PNG) for f in frames)
    assert len(plt.get_fignums()) == before


def make_view(calls):
    box = widgets.VBox(
        [widgets.FloatSlider(description="w"), widgets.Output()]
    )

    def book():
        calls.append(1)
        return frames_html(
            [tiny_png(1)], ["w = 0"], title="t", slider_label="w", alt="a"
        )

    return box, DualView(box, book, text="Explorer: loss as w moves")


def test_mime_bundle_has_widget_view_and_frames_and_no_vbox_repr():
    calls = []
    box, view = make_view(calls)
    assert calls == [], (
        "frames must be computed lazily, not at construction"
    )
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW, "text/html", "text/plain"}
    assert bundle[WIDGET_VIEW]["model_id"] == box.model_id
    assert bundle["text/html"].startswith('<figure class="bp-frames"')
    assert bundle["text/plain"] == "Explorer: loss as w moves"
    assert "VBox(" not in bundle["text/plain"] and "VBox(" not in repr(view)
    view._repr_mimebundle_()
    assert calls == [1], "frames must be computed once"


def test_mime_bundle_through_ipython_formatter():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    _, view = make_view([])
    data, _ = shell.display_formatter.format(view)
    assert WIDGET_VIEW in data and "text/html" in data
    assert "VBox(" not in data["text/plain"]


def test_dual_view_rejects_non_callable_frames():
    with pytest.raises(TypeError, match="callable"):
        DualView(widgets.VBox(), "<figure></figure>")
