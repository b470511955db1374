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
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import anywidget
import numpy as np
import traitlets

__all__ = [
    "Explorer",
    "WEB",
    "web_source",
    "module_source",
    "book_html",
    "json_safe",
    "Range",
    "Choice",
    "Sizes",
    "Matrix",
    "Entry",
    "entries",
    "check_controls",
    "normals",
    "png_data_uri",
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


def png_data_uri(fig, dpi=72):
    """Return a Matplotlib figure as a small data: URI (palette PNG), and close it."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    image = image.quantize(colors=48, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(
        out.getvalue()
    ).decode("ascii")


def book_html(name, view, config, controls, state, fallback="", text=""):
    """Return the book's HTML of one explorer: root, fallback, inline module.

    name is the data-explorer name, view the web/<view>.js file; config,
    controls and state are JSON-safe dicts; fallback is HTML shown without
    JavaScript (inside <noscript>), text its plain summary.
    """
    data = {"config": config, "controls": controls, "state": state}
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    key = hashlib.sha1(
        (name + blob).encode("utf-8"), usedforsecurity=False
    ).hexdigest()[:12]
    state_attr = html.escape(
        json.dumps(state, separators=(",", ":"), allow_nan=False)
    )
    script = "\n".join(
        [
            web_source("engine.js"),
            web_source("ui.js"),
            web_source(f"{view}.js"),
            f'ui.boot("{key}", compute, render);',
        ]
    )
    return (
        f"<style>{web_source('explorer.css')}</style>\n"
        f'<div class="bp-explorer bp-wide" data-explorer="{html.escape(name)}" '
        f'data-bp-key="{key}" data-state="{state_attr}">\n'
        f'<script type="application/json" class="bp-data">'
        f"{_script_text(blob)}</script>\n"
        f'<noscript><div class="bp-fallback">{fallback}'
        f'<p class="bp-note">{html.escape(NO_JS)}</p></div></noscript>\n'
        f'<p class="bp-note bp-summary">{html.escape(text)}</p>\n'
        "</div>\n"
        f'<script type="module">\n{_script_text(script)}\n</script>'
    )


# -- the controls, declared once ------------------------------------------------
# An explorer's controls are a tuple of Range, Choice, Sizes, Matrix and
# Entry: the view builds its controls from them (config["spec"]; ui.controls
# in ui.js builds sliders and selects, a view its own widgets for the rest),
# the explorer checks the values it is given against them, and the engine
# tests draw random and extreme settings from them. A control may depend on
# the network it acts on: `ctx` holds its layer widths ("sizes", and "L"),
# the batch size "m" and whether targets are one-hot ("onehot"), read from
# the config or from the controls before it (Explorer.context).


@dataclass(frozen=True)
class Range:
    """A slider: a number from lo to hi (to ctx[upto] if upto) in steps of step."""

    name: str
    label: str
    lo: float
    hi: float
    step: float
    decimals: int = 2  # the readout's decimals (0: an integer control)
    sign: bool = False  # the readout shows "+" on positive numbers
    log: bool = False  # the slider moves log2 of the value
    sample: tuple = ()  # (lo, hi) the tests draw from, if not the whole range
    upto: str = ""  # a key of ctx that lowers hi ("L": the layer count)
    kind = "range"

    def top(self, ctx):
        """Return the largest value allowed in ctx."""
        return min(self.hi, ctx[self.upto]) if self.upto else self.hi

    def check(self, value, ctx=None):
        """Return value as a number in [lo, top]; refuse anything else."""
        hi = self.top(ctx)
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.name} must be a number; got {value!r}"
            ) from None
        if not self.lo <= v <= hi or (self.decimals == 0 and v % 1):
            whole = "an integer" if self.decimals == 0 else "a number"
            raise ValueError(
                f"{self.name} must be {whole} in [{self.lo}, {hi}]; "
                f"got {value!r}"
            )
        return int(v) if self.decimals == 0 else v

    def draw(self, rng, ctx=None):
        """Return a random value on the slider's grid."""
        if self.log:
            lo, hi = math.log2(self.lo), math.log2(self.hi)
            k = rng.integers(int(round((hi - lo) / self.step)) + 1)
            return float(min(2.0 ** (lo + self.step * k), self.hi))
        lo, hi = self.sample or (self.lo, self.top(ctx))
        k = rng.integers(int(round((hi - lo) / self.step)) + 1)
        return self.check(min(lo + self.step * k, hi), ctx)

    def ends(self, ctx=None):
        """Return the two ends of the range (and 0 if it lies inside)."""
        zero = [0] if self.lo < 0 < self.top(ctx) else []
        ends = [self.lo, self.top(ctx), *zero]
        return [self.check(v, ctx) for v in ends]


@dataclass(frozen=True)
class Choice:
    """A select (or, with slider, a slider over the values): one of options.

    options are (value, text) pairs; sample, if given, the values the tests
    draw at random (every value is still an extreme).
    """

    name: str
    label: str
    options: tuple
    slider: bool = False
    sample: tuple = ()
    kind = "choice"

    def check(self, value, ctx=None):
        """Return value if it is one of the options; refuse anything else."""
        values = [v for v, _ in self.options]
        if isinstance(value, bool) or value not in values:
            raise ValueError(
                f"{self.name} must be one of {values}; got {value!r}"
            )
        return values[values.index(value)]

    def draw(self, rng, ctx=None):
        """Return a random option."""
        values = list(self.sample) or [v for v, _ in self.options]
        return values[rng.integers(len(values))]

    def ends(self, ctx=None):
        """Return every option of a select, the two ends of a slider."""
        values = [v for v, _ in self.options]
        return [values[0], values[-1]] if self.slider else values


def _int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}; got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Sizes:
    """The layer widths [n0, ..., nL]: 1 to layers layers of 1 to units units."""

    name: str
    label: str
    layers: int
    units: int
    kind = "sizes"

    def check(self, value, ctx=None):
        """Return value as a list of widths; refuse anything else."""
        if isinstance(value, (str, bytes, dict)) or not hasattr(
            value, "__len__"
        ):
            raise TypeError(
                f"{self.name} must be a list of layer widths [n0, ..., nL];"
                f" got {value!r}"
            )
        if not 2 <= len(value) <= self.layers + 1:
            raise ValueError(
                f"{self.name} must list 2 to {self.layers + 1} widths "
                f"(1 to {self.layers} layers with weights); got {value!r}"
            )
        return [
            _int(f"a width in {value!r}", n, 1, self.units) for n in value
        ]

    def draw(self, rng, ctx=None):
        """Return random widths of a random number of layers."""
        L = int(rng.integers(1, self.layers + 1))
        return [int(n) for n in rng.integers(1, self.units + 1, L + 1)]

    def ends(self, ctx=None):
        """Return the smallest network, the largest, and a narrow-wide one."""
        n, u = self.layers + 1, self.units
        return [[1, 1], [u] * n, [u if i % 2 == 0 else 1 for i in range(n)]]


def _shapes(shape, ctx):
    # The shapes of a Matrix control in ctx: W^1..W^L, b^1..b^L, X or Y.
    sizes, m = ctx["sizes"], ctx.get("m", 1)
    L = len(sizes) - 1
    if shape == "W":
        return [(sizes[l], sizes[l - 1]) for l in range(1, L + 1)]
    if shape == "b":
        return [(sizes[l], 1) for l in range(1, L + 1)]
    return (sizes[0] if shape == "x" else sizes[L], m)


@dataclass(frozen=True)
class Matrix:
    """Numbers in [lo, hi] shaped by the network: shape "W" or "b" (a list,
    one matrix per layer), "x" (n0, m) or "y" (nL, m; one-hot columns when
    ctx["onehot"])."""

    name: str
    label: str
    lo: float
    hi: float
    step: float
    shape: str
    kind = "matrix"

    def _onehot(self, ctx):
        return self.shape == "y" and ctx.get("onehot", False)

    def check(self, value, ctx):
        """Return value as lists of rows of the right shape; refuse anything else."""
        shapes = _shapes(self.shape, ctx)
        if isinstance(shapes, tuple):
            return self._check_one(self.name, value, shapes, ctx)
        if not isinstance(value, list) or len(value) != len(shapes):
            raise ValueError(
                f"{self.name} must be a list of {len(shapes)} matrices "
                f"for sizes {ctx['sizes']}; got {value!r}"
            )
        return [
            self._check_one(f"{self.name}[{i}] (layer {i + 1})", M, s, ctx)
            for i, (M, s) in enumerate(zip(value, shapes))
        ]

    def _check_one(self, name, M, shape, ctx):
        try:
            A = np.asarray(M, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a list of rows of numbers, shape {shape}"
            ) from None
        if A.shape != shape:
            raise ValueError(
                f"{name} must have shape {shape} (one example per column);"
                f" got {A.shape}"
            )
        if not (np.all(np.isfinite(A)) and self.lo <= A.min()) or (
            A.max() > self.hi
        ):
            raise ValueError(
                f"every entry of {name} must be in [{self.lo}, {self.hi}];"
                f" got {M!r}"
            )
        if self._onehot(ctx) and not (
            np.all((A == 0) | (A == 1)) and np.all(A.sum(axis=0) == 1)
        ):
            raise ValueError(
                f"{name} must be one-hot (one 1 per column, for the "
                f"cross-entropy); got {M!r}"
            )
        return A.tolist()

    def _fill(self, ctx, value):
        # value(i, shape) -> array: matrix i (i = 0 for X and Y).
        shapes = _shapes(self.shape, ctx)
        if isinstance(shapes, tuple):
            return value(0, shapes).tolist()
        return [value(i, s).tolist() for i, s in enumerate(shapes)]

    def _hot(self, shape, classes):
        return (np.arange(shape[0])[:, None] == classes).astype(float)

    def draw(self, rng, ctx):
        """Return random numbers in [lo, hi] (random one-hot columns)."""
        if self._onehot(ctx):
            return self._fill(
                ctx,
                lambda i, s: self._hot(s, rng.integers(s[0], size=s[1])),
            )
        return self._fill(
            ctx, lambda i, s: rng.uniform(self.lo, self.hi, s)
        )

    def ends(self, ctx):
        """Return every entry at lo, at hi, and at lo and hi by turns of layer
        (one-hot: every column on the first class, on the last)."""
        if self._onehot(ctx):
            return [
                self._fill(ctx, lambda i, s, c=c: self._hot(s, [c] * s[1]))
                for c in (0, ctx["sizes"][-1] - 1)
            ]
        ends = [lambda i, s, v=v: np.full(s, v) for v in (self.lo, self.hi)]
        ends.append(lambda i, s: np.full(s, (self.lo, self.hi)[i % 2]))
        return [self._fill(ctx, end) for end in ends]


def entries(kinds, ctx):
    """Return every entry {kind, l, j(, k)} of kinds in the network of ctx:
    weights w^l_jk, biases b^l_j, inputs x_j, targets y_j; 1-based."""
    sizes = ctx["sizes"]
    out = []
    for l in range(1, len(sizes)):
        if "w" in kinds:
            out += [
                {"kind": "w", "l": l, "j": j, "k": k}
                for j in range(1, sizes[l] + 1)
                for k in range(1, sizes[l - 1] + 1)
            ]
        if "b" in kinds:
            out += [
                {"kind": "b", "l": l, "j": j}
                for j in range(1, sizes[l] + 1)
            ]
    for kind, n in (("x", sizes[0]), ("y", sizes[-1])):
        if kind in kinds and not (kind == "y" and ctx.get("onehot")):
            out += [{"kind": kind, "j": j} for j in range(1, n + 1)]
    return out


@dataclass(frozen=True)
class Entry:
    """One entry of the network, 1-based as in the text: {"kind": "w", "l":
    2, "j": 1, "k": 3} is w²₁₃; kinds of "w", "b", "x", "y" (no y when
    targets are one-hot)."""

    name: str
    label: str
    kinds: tuple = ("w", "b")
    kind = "entry"

    def check(self, value, ctx):
        """Return value if it names an entry of the network; refuse anything else."""
        if value not in entries(self.kinds, ctx):
            raise ValueError(
                f"{self.name} must be an entry {{kind, l, j(, k)}} of the "
                f"{ctx['sizes']} network, kind one of {list(self.kinds)}, "
                f"1-based; got {value!r}"
            )
        return dict(value)

    def draw(self, rng, ctx):
        """Return a random entry."""
        options = entries(self.kinds, ctx)
        return options[rng.integers(len(options))]

    def ends(self, ctx):
        """Return the first and the last entry."""
        options = entries(self.kinds, ctx)
        return [options[0], options[-1]]


def spec_json(spec):
    """Return the spec as JSON for the view (config["spec"])."""
    out = []
    for c in spec:
        d = {"kind": c.kind, **asdict(c)}
        d.pop("sample", None)
        if c.kind == "choice":
            d["options"] = [list(o) for o in c.options]
        out.append(d)
    return out


def check_controls(spec, controls, context=lambda values: {}):
    """Return controls with every value of spec checked (and nothing else).

    context(values) is the ctx of the next control, given the checked
    values of those before it.
    """
    if not isinstance(controls, dict):
        raise TypeError(
            f"controls must be a dict; got {type(controls).__name__}"
        )
    names = [c.name for c in spec]
    unknown = sorted(set(controls) - set(names))
    missing = [n for n in names if n not in controls]
    if unknown or missing:
        raise ValueError(
            f"controls must be exactly {names}; unknown {unknown}, "
            f"missing {missing}"
        )
    values = {}
    for c in spec:
        values[c.name] = c.check(controls[c.name], context(values))
    return values


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
        if not self.controls_spec(config):
            return controls
        return check_controls(
            self.controls_spec(config),
            controls,
            lambda values: self.context(config, values),
        )

    def sample_controls(self, rng):
        """Return random controls drawn from the spec (for the engine tests)."""
        values = {}
        for c in self.controls_spec(self.config):
            values[c.name] = c.draw(rng, self.context(self.config, values))
        return values

    def extreme_controls(self):
        """Return settings at the ends of the spec: each control at each of
        its ends (the others as they start, or at their first end where the
        start no longer fits), then every control at its first end, then at
        its last."""
        spec = self.controls_spec(self.config)
        out = []
        for c in spec:
            ctx = self._context_before(c.name, self.controls)
            for v in c.ends(ctx):
                out.append(self._settle({**self.controls, c.name: v}, 0))
        for i in (0, -1):
            out.append(self._settle({}, i))
        return out

    def _context_before(self, name, controls):
        values = {}
        for c in self.controls_spec(self.config):
            if c.name == name:
                break
            values[c.name] = controls[c.name]
        return self.context(self.config, values)

    def _settle(self, controls, i):
        # Keep every value of controls that fits the controls before it;
        # put the others at their end i.
        values = {}
        for c in self.controls_spec(self.config):
            ctx = self.context(self.config, values)
            try:
                values[c.name] = c.check(controls[c.name], ctx)
            except (KeyError, TypeError, ValueError):
                values[c.name] = c.ends(ctx)[i]
        return values

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
