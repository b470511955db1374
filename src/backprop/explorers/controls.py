"""The explorers' controls, declared once (see web/README.md).

An explorer's controls are a tuple of Range, Choice, Sizes, Matrix and
Entry: the view builds its controls from them (config["spec"]; ui.controls
in ui.js builds sliders and selects, a view its own widgets for the rest),
the explorer checks the values it is given against them, and the engine
tests draw random and extreme settings from them. A control may depend on
the network it acts on: `ctx` holds its layer widths ("sizes", and "L"),
the batch size "m" and whether targets are one-hot ("onehot"), read from
the config or from the controls before it (Explorer.context).
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "Range",
    "Choice",
    "Sizes",
    "Matrix",
    "Entry",
    "entries",
    "spec_json",
    "check_controls",
]


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
        numbers = (int, float, np.integer, np.floating)
        if isinstance(value, bool) or not isinstance(value, numbers):
            raise TypeError(f"{self.name} must be a number; got {value!r}")
        v = float(value)
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
        """Return every entry at lo, at hi, and at lo and hi by turns of row
        and layer (one-hot: every column on the first class, on the last)."""
        if self._onehot(ctx):
            return [
                self._fill(ctx, lambda i, s, c=c: self._hot(s, [c] * s[1]))
                for c in (0, ctx["sizes"][-1] - 1)
            ]
        ends = [lambda i, s, v=v: np.full(s, v) for v in (self.lo, self.hi)]
        # lo and hi by turns of row and layer: some units saturate, some not
        turns = lambda i, s: (
            np.where((np.arange(s[0])[:, None] + i) % 2, self.hi, self.lo)
            * np.ones(s)
        )
        ends.append(turns)
        return [self._fill(ctx, end) for end in ends]


def entries(kinds, ctx):
    """Return every entry {kind, l, j(, k)} of kinds in the network of ctx,
    1-based, from input to output: inputs x_j, then layer by layer the
    weights w^l_jk and biases b^l_j, then targets y_j (ui.entries in ui.js
    lists the same)."""
    sizes = ctx["sizes"]
    L = len(sizes) - 1
    out = [{"kind": "x", "j": j} for j in range(1, sizes[0] + 1)]
    for l in range(1, L + 1):
        out += [
            {"kind": "w", "l": l, "j": j, "k": k}
            for j in range(1, sizes[l] + 1)
            for k in range(1, sizes[l - 1] + 1)
        ]
        out += [
            {"kind": "b", "l": l, "j": j} for j in range(1, sizes[l] + 1)
        ]
    if not ctx.get("onehot"):
        out += [{"kind": "y", "j": j} for j in range(1, sizes[L] + 1)]
    return [e for e in out if e["kind"] in kinds]


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
