"""One view, two engines: the explorers' hosts (see web/README.md).

Every explorer's view (controls, drawing, readouts) is written once, in
JavaScript (`web/<name>.js`, with `web/engine.js` and `web/ui.js`), and runs
in two hosts:

- JupyterLab: `Explorer` is an anywidget whose front end is that module; the
  view changes the `controls` trait, and the Python side answers with
  `state = state_fn(config, controls)`, computed with `backprop`.
- The HTML book: the same object's text/html representation holds the root
  element with the initial state (computed here, by Python, at build time), a
  no-JavaScript fallback, and one inline module script: engine.js, ui.js and
  the view, plus a stand-in model whose save_changes() computes the state with
  the in-page engine. No kernel, no widget manager, nothing fetched.

An explorer module defines `CONFIG`-like defaults, a pure
`state(config, controls)` and `show(...)`, which returns an Explorer.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
from functools import cache
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from .controls import check_controls, spec_json

__all__ = [
    "Explorer",
    "WEB",
    "web_source",
    "module_source",
    "book_html",
    "booted",
    "json_safe",
    "normals",
    "picture",
    "net_config",
    "net_from",
]

#: The folder of the JavaScript and CSS shipped with the package.
WEB = Path(__file__).with_name("web")
#: What the book says where JavaScript is off.
NO_JS = (
    "This is the explorer's starting picture. Moving its controls needs "
    "JavaScript, which is turned off in this browser."
)


@cache
def web_source(name):
    """Return the text of web/<name> (for example 'engine.js')."""
    path = WEB / name
    if not path.is_file():
        raise ValueError(f"no file {name!r} in {WEB}")
    return path.read_text(encoding="utf-8")


def module_source(view):
    """Return the ES module of explorer view `view`: engine + ui + view.

    The view file defines top-level `compute(config, controls)` and
    `render({model, el})`; this module exports render for anywidget.
    """
    return "\n".join(
        [
            web_source("engine.js"),
            web_source("ui.js"),
            web_source(f"{view}.js"),
            # JupyterLab only: draw at once from the in-page engine, then
            # from the kernel's state when it answers (web/lab.js).
            web_source("lab.js"),
            "render = labFirst(render, compute);",
            "export default { render };",
        ]
    )


def _script_text(text):
    """Return text safe inside an HTML <script> element."""
    return text.replace("</", "<\\/")


def json_safe(value, where="state"):
    """Return value as plain JSON types (lists of rows), refusing NaN and inf."""
    if isinstance(value, dict):
        return {
            str(k): json_safe(v, f"{where}.{k}") for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist(), where)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}; a state must be finite")
        return value
    if isinstance(value, str):
        return value
    if value is None:
        raise ValueError(f"{where} is None; a state holds no null")
    raise TypeError(f"{where} has type {type(value).__name__}")


def net_config(net):
    """Return the JSON of net (sizes, hidden, output, loss, weights, biases)
    that net_from reads back."""
    return {
        "sizes": list(net.sizes),
        "hidden": net.hidden.name,
        "output": net.output.name,
        "loss": net.loss_name,
        "weights": [W.tolist() for W in net.weights],
        "biases": [b.tolist() for b in net.biases],
    }


def net_from(config):
    """Return the MLP of config's sizes, hidden, output, loss, weights, biases."""
    from ..network import MLP

    net = MLP(
        config["sizes"],
        hidden=config["hidden"],
        output=config["output"],
        loss=config["loss"],
    )
    net.weights = [np.array(W, dtype=np.float64) for W in config["weights"]]
    net.biases = [np.array(b, dtype=np.float64) for b in config["biases"]]
    net._check_parameters()
    return net


def picture(fig, alt, dpi=72):
    """Return a Matplotlib figure as an <img> (a small palette PNG in a
    data: URI) with alt text alt, and close the figure."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    image = image.quantize(colors=48, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    data = base64.b64encode(out.getvalue()).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
    )


def booted(name, files, config, controls, state):
    """Return (key, state attribute, data script, module script) of a root
    that ui.boot starts in the book: files are the web/ files of its view
    (after engine.js and ui.js); config, controls and state JSON-safe dicts.
    Shared by the explorers and the practice problems (backprop.problems).
    """
    data = {"config": config, "controls": controls, "state": state}
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    key = hashlib.sha1(
        (name + blob).encode("utf-8"), usedforsecurity=False
    ).hexdigest()[:12]
    state_attr = html.escape(
        json.dumps(state, separators=(",", ":"), allow_nan=False)
    )
    sources = [web_source(f) for f in ("engine.js", "ui.js", *files)]
    script = "\n".join([*sources, f'ui.boot("{key}", compute, render);'])
    return (
        key,
        state_attr,
        '<script type="application/json" class="bp-data">'
        f"{_script_text(blob)}</script>\n",
        f'<script type="module">\n{_script_text(script)}\n</script>',
    )


def book_html(name, view, config, controls, state, fallback="", text=""):
    """Return the book's HTML of one explorer: root, fallback, inline module.

    name is the data-explorer name, view the web/<view>.js file; config,
    controls and state are JSON-safe dicts; fallback is HTML shown without
    JavaScript (inside <noscript>), text its plain summary.
    """
    key, state_attr, data, module = booted(
        name, [f"{view}.js"], config, controls, state
    )
    return (
        f"<style>{web_source('explorer.css')}</style>\n"
        f'<div class="bp-explorer bp-wide" data-explorer="{html.escape(name)}" '
        f'data-bp-key="{key}" data-state="{state_attr}">\n'
        f"{data}"
        f'<noscript><div class="bp-fallback">{fallback}'
        f'<p class="bp-note">{html.escape(NO_JS)}</p></div></noscript>\n'
        f'<p class="bp-note bp-summary">{html.escape(text)}</p>\n'
        "</div>\n"
        f"{module}"
    )


def book_mimebundle(self, **kwargs):
    """Return the widget view (JupyterLab), text/html (the book) and text/plain.

    Shared by the explorers and the practice problems (backprop.problems):
    the widget defines book_html() and summary().
    """
    bundle = anywidget.AnyWidget._repr_mimebundle_(self, **kwargs) or {}
    if isinstance(bundle, tuple):
        bundle = bundle[0]
    bundle = dict(bundle)
    bundle["text/html"] = self.book_html()
    bundle["text/plain"] = self.summary()
    return bundle


def summary_repr(self):
    """Return the one-line summary, never the trait dump."""
    return self.summary()


class Explorer(anywidget.AnyWidget):
    """An explorer: a live anywidget in JupyterLab, inline HTML in the book.

    Subclasses set `name` (data-explorer), `view` (web/<view>.js), `howto`,
    `spec` (or `controls_spec(config)`) and implement
    `compute_state(config, controls) -> state` with the package; optionally
    `fallback_html()` (the no-JavaScript picture) and `summary()`.
    """

    name = "explorer"
    view = "explorer"
    #: One line telling the reader what to move and what to watch; the view
    #: shows it above its controls (config["howto"]).
    howto = ""
    #: The controls (Range and Choice), if the explorer declares them; see
    #: controls_spec().
    spec = ()
    #: Absolute tolerance of the engine tests beside 1e-9 relative (0 where
    #: tiny numbers matter, as for hidden_error's ratios).
    compare_atol = 1e-15
    config = traitlets.Dict().tag(sync=True)
    controls = traitlets.Dict().tag(sync=True)
    state = traitlets.Dict().tag(sync=True)

    def __init_subclass__(cls, **kwargs):
        """Give every subclass its ES module and CSS as anywidget's _esm and _css."""
        if "view" in cls.__dict__:
            cls._esm = module_source(cls.view)
            cls._css = web_source("explorer.css")
        super().__init_subclass__(**kwargs)

    def __init__(self, config, controls):
        """Start from JSON-safe config and controls; compute the state with the package."""
        config = json_safe(config, "config")
        if self.howto:
            config = {**config, "howto": self.howto}
        spec = self.controls_spec(config)
        config = {**config, "spec": spec_json(spec)}
        controls = json_safe(self.check(config, controls), "controls")
        super().__init__(
            config=config,
            controls=controls,
            state=json_safe(self.compute_state(config, controls)),
        )
        self.observe(self._on_controls, names="controls")

    def compute_state(self, config, controls):
        """Return the state at config and checked controls (a subclass computes it)."""
        raise NotImplementedError

    def controls_spec(self, config):
        """Return the spec of the controls at config (the class's spec)."""
        return self.spec

    def context(self, config, values):
        """Return the ctx of a control given config and the checked values of
        the controls before it (the network's sizes, m, onehot; see Matrix)."""
        return {}

    def check(self, config, controls):
        """Return controls checked against the spec at config."""
        return check_controls(
            self.controls_spec(config),
            controls,
            lambda values: self.context(config, values),
        )

    def _on_controls(self, change):
        controls = self.check(self.config, change["new"])
        self.state = json_safe(self.compute_state(self.config, controls))

    def set_controls(self, **values):
        """Change some controls (as the view does) and return the new state."""
        self.controls = {**self.controls, **values}
        return self.state

    def fallback_html(self):
        """Return the HTML shown without JavaScript (the starting picture)."""
        return ""

    def summary(self):
        """Return one line of plain text saying what the explorer shows."""
        return f"{self.name} explorer"

    def book_html(self):
        """Return the book's text/html view at the current state."""
        return book_html(
            self.name,
            self.view,
            self.config,
            self.controls,
            self.state,
            fallback=self.fallback_html(),
            text=self.summary(),
        )

    _repr_mimebundle_ = book_mimebundle
    __repr__ = summary_repr


# -- the reproducible generator of engine.js ------------------------------------

_M32 = np.uint64(0xFFFFFFFF)


def _hash32(x):
    # Integer arithmetic on uint64 masked to 32 bits: the same bits as
    # engine.js's hash32 (Math.imul and >>> 0).
    x = x.astype(np.uint64) & _M32
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x7FEB352D)) & _M32
    x = x ^ (x >> np.uint64(15))
    x = (x * np.uint64(0x846CA68B)) & _M32
    return x ^ (x >> np.uint64(16))


def _uniforms01(seed, stream, n):
    h = int(_hash32(np.array([seed & 0xFFFFFFFF]))[0])
    mix = ((stream + 1) * 0x9E3779B9) & 0xFFFFFFFF
    key = int(_hash32(np.array([h ^ mix]))[0])
    i = np.arange(n, dtype=np.uint64)
    return (_hash32(np.uint64(key) ^ i).astype(np.float64) + 0.5) / 2.0**32


def uniforms(seed, stream, n):
    """Return n uniform numbers in (−√3, √3) (mean 0, variance 1): engine.js's uniforms.

    The practice problems (backprop.problems) draw their networks with it.
    """
    return (2.0 * _uniforms01(seed, stream, n) - 1.0) * np.sqrt(3.0)


def normals(seed, stream, n):
    """Return n standard normal numbers: engine.js's normals (Box–Muller)."""
    u = _uniforms01(seed, stream, n + (n % 2))
    r = np.sqrt(-2.0 * np.log(u[0::2]))
    t = 2.0 * np.pi * u[1::2]
    out = np.empty(n + (n % 2))
    out[0::2] = r * np.cos(t)
    out[1::2] = r * np.sin(t)
    return out[:n]
