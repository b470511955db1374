"""Weights and biases explorer: move one parameter, watch rules 3 and 4 respond (chapters 5, 6).

A small network (2-3-2 by default) and a batch of four examples. One
parameter, a weight w^l_{jk} or a bias b^l_j, is set to a value; the
explorer shows, for its layer l, W^l, b^l, a^{l-1}, δ^l,
∂C/∂W^l = δ^l (a^{l-1})ᵀ / m and ∂C/∂b^l = the mean of the columns of δ^l,
with the cost C as a function of the parameter and the tangent whose slope
is the backprop gradient. The reader can also change the input x and the
target y of every example.

- `layer_state(net, X, Y, param, value)`: pure NumPy, the
  numbers of one layer;
- `state(config, controls)`: the explorer's whole state as JSON-safe lists,
  computed with the package; the view in `web/weights.js` computes the same
  dictionary with the in-page engine, and the tests compare the two;
- `show(...)`: the explorer (`backprop.explorers.host`), a widget in
  JupyterLab and a live page in the book.

Indices are those of the text and are 1-based: `weight(2, 1, 3)` is w^2_{13},
row 1 and column 3 of W^2 (`net.weights[1][0, 2]` in Python). In controls
and state a parameter is ``{"kind": "w", "l": 2, "j": 1, "k": 3}``.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..network import MLP
from .host import Explorer, net_from

__all__ = [
    "Param",
    "weight",
    "bias",
    "WeightsState",
    "layer_state",
    "config",
    "default_controls",
    "state",
    "WeightsExplorer",
    "EXPLORER",
    "parameters",
    "default_problem",
    "show",
    "VALUE_RANGE",
]

#: The slider range of the selected parameter's value.
VALUE_RANGE = (-4.0, 4.0)
#: The slider range of every input x and target y.
DATA_RANGE = (-3.0, 3.0)
#: The number of points of the cost curve over VALUE_RANGE.
CURVE_POINTS = 41


class Param(NamedTuple):
    """One parameter of the network: kind "w" (W^l[j, k]) or "b" (b^l[j]), 1-based indices."""

    kind: str
    l: int
    j: int
    k: int | None = None

    @property
    def index(self):
        """Return the 0-based NumPy index of the entry in W^l or b^l."""
        return (
            (self.j - 1, self.k - 1)
            if self.kind == "w"
            else (self.j - 1, 0)
        )

    @property
    def text(self):
        """Return a plain-text name such as 'w^2_13' or 'b^1_2'."""
        sub = f"{self.j}{self.k}" if self.kind == "w" else f"{self.j}"
        if self.kind == "w" and max(self.j, self.k) > 9:
            sub = f"{self.j},{self.k}"
        return f"{self.kind}^{self.l}_{sub}"

    @property
    def unicode(self):
        """Return the name with Unicode super- and subscripts, such as 'w²₁₃'."""
        sup, sub = (
            str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
            str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,"),
        )
        kind, rest = self.text.split("^", 1)
        l, idx = rest.split("_", 1)
        return kind + l.translate(sup) + idx.translate(sub)

    @property
    def tex(self):
        """Return the Matplotlib mathtext name, such as '$w^{2}_{13}$'."""
        sub = self.text.split("_", 1)[1]
        return f"${self.kind}^{{{self.l}}}_{{{sub}}}$"


def weight(l, j, k):
    """Return the Param of w^l_{jk}, row j and column k of W^l (1-based, as in the text)."""
    return Param("w", int(l), int(j), int(k))


def bias(l, j):
    """Return the Param of b^l_j, entry j of b^l (1-based, as in the text)."""
    return Param("b", int(l), int(j))


def _check_param(net, param):
    if not isinstance(param, Param):
        raise TypeError(
            f"param must be a Param from weight(l, j, k) or bias(l, j); got {type(param).__name__}"
        )
    if param.kind not in ("w", "b"):
        raise ValueError(
            f"param kind must be 'w' or 'b'; got {param.kind!r}"
        )
    if not 1 <= param.l <= net.L:
        raise ValueError(
            f"layer l must be in 1..{net.L} for this network; got {param.l}"
        )
    n_l, n_prev = net.sizes[param.l], net.sizes[param.l - 1]
    if not 1 <= param.j <= n_l:
        raise ValueError(
            f"row j of layer {param.l} must be in 1..{n_l}; got {param.j}"
        )
    if param.kind == "w" and (
        param.k is None or not 1 <= param.k <= n_prev
    ):
        raise ValueError(
            f"column k of W^{param.l} must be in 1..{n_prev}; got {param.k}"
        )


def parameters(net):
    """Return every Param of the network: the weights, then the biases, layer by layer."""
    params = []
    for l in range(1, net.L + 1):
        n_l, n_prev = net.sizes[l], net.sizes[l - 1]
        params += [
            weight(l, j, k)
            for j in range(1, n_l + 1)
            for k in range(1, n_prev + 1)
        ]
        params += [bias(l, j) for j in range(1, n_l + 1)]
    return params


def get_value(net, param):
    """Return the current value of a parameter of net."""
    _check_param(net, param)
    P = (
        net.weights[param.l - 1]
        if param.kind == "w"
        else net.biases[param.l - 1]
    )
    return float(P[param.index])


def with_value(net, param, value):
    """Return a copy of net in which only `param` is set to `value`."""
    _check_param(net, param)
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(
            f"the value of {param.text} must be a finite number; got {value!r}"
        )
    twin = net.copy()
    P = (
        twin.weights[param.l - 1]
        if param.kind == "w"
        else twin.biases[param.l - 1]
    )
    P[param.index] = value
    return twin


@dataclass
class WeightsState:
    """Everything the explorer shows for layer l at one parameter value.

    W (n_l, n_{l-1}), b (n_l, 1), a_prev = a^{l-1} (n_{l-1}, m),
    delta = δ^l (n_l, m), dW = δ^l (a^{l-1})ᵀ / m, db = mean of δ^l's columns
    (n_l, 1), loss = C, and grad = the entry of dW or db of the parameter.
    """

    param: Param
    value: float
    W: np.ndarray
    b: np.ndarray
    a_prev: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    loss: float

    @property
    def grad(self):
        """Return ∂C/∂(the selected parameter), read from dW or db."""
        G = self.dW if self.param.kind == "w" else self.db
        return float(G[self.param.index])


def layer_state(net, X, Y, param, value):
    """Return the WeightsState of param's layer after setting param to value; net is not changed."""
    twin = with_value(net, param, value)
    X = twin.check_X(X)
    Y = twin.check_Y(Y, X.shape[1])
    cache = twin.forward(X, return_cache=True)
    dWs, dbs, deltas = twin.backward(cache, Y)
    l = param.l
    return WeightsState(
        param,
        float(value),
        twin.weights[l - 1].copy(),
        twin.biases[l - 1].copy(),
        cache.a[l - 1],
        deltas[l],
        dWs[l - 1],
        dbs[l - 1],
        twin._loss(cache, Y),
    )


def default_problem(seed=0, m=4):
    """Return (net, X, Y): a 2-3-2 sigmoid network with identity output and MSE, and a batch of m."""
    net = MLP(
        [2, 3, 2],
        hidden="sigmoid",
        output="identity",
        loss="mse",
        seed=seed,
    )
    rng = np.random.default_rng(seed + 1)
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(0.0, 1.0, size=(2, m))
    Y = np.vstack(
        [np.sin(X[0]), X[0] * X[1]]
    )  # a target the network can roughly follow
    return net, X, Y


# ---------------------------------------------------------------------------
# The explorer's protocol: config (static), controls (every control), state.
# ---------------------------------------------------------------------------


def _param_dict(param):
    d = {"kind": param.kind, "l": param.l, "j": param.j}
    if param.kind == "w":
        d["k"] = param.k
    return d


def _param_from(d):
    if not isinstance(d, dict) or d.get("kind") not in ("w", "b"):
        raise ValueError(
            "param must be a dict {kind: 'w' or 'b', l, j (, k)} with "
            f"1-based indices; got {d!r}"
        )
    try:
        if d["kind"] == "w":
            return weight(d["l"], d["j"], d["k"])
        return bias(d["l"], d["j"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"param {d!r} needs integer indices l, j (and k for a weight)"
        ) from None


def config(net=None, focus="dW"):
    """Return the static configuration: the base network, ranges, the curve's values.

    net: an MLP (default: that of default_problem()); focus "dW" (chapter 6)
    or "db" (chapter 5), the gradient the view puts first.
    """
    if focus not in ("dW", "db"):
        raise ValueError(f"focus must be 'dW' or 'db'; got {focus!r}")
    if net is None:
        net = default_problem()[0]
    if not isinstance(net, MLP):
        raise TypeError(
            f"net must be a backprop MLP; got {type(net).__name__}"
        )
    net._check_parameters()
    lo, hi = VALUE_RANGE
    return {
        "sizes": list(net.sizes),
        "hidden": net.hidden.name,
        "output": net.output.name,
        "loss": net.loss_name,
        "weights": [W.tolist() for W in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "focus": focus,
        "value_range": [lo, hi],
        "data_range": list(DATA_RANGE),
        "curve_values": np.linspace(lo, hi, CURVE_POINTS).tolist(),
    }


def default_controls(cfg, X=None, Y=None, param=None):
    """Return the starting controls: param (default by focus), its value in the net, X and Y.

    X (n0, m) and Y (nL, m) default to those of default_problem().
    """
    if X is None and Y is None:
        _, X, Y = default_problem()
    elif X is None or Y is None:
        raise ValueError("give X and Y together, or neither")
    net = net_from(cfg)
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    if param is None:
        param = weight(2, 1, 2) if cfg["focus"] == "dW" else bias(2, 1)
    return {
        "param": _param_dict(param),
        "value": get_value(net, param),
        "X": X.tolist(),
        "Y": Y.tolist(),
        "example": 1,
    }


def state(cfg, controls):
    """Return everything the explorer shows at controls, computed with the package.

    The network of cfg with controls["param"] set to controls["value"], the
    batch controls["X"], controls["Y"]: every layer's weights, biases and
    gradients, the selected layer's a^{l-1} and δ^l, C, the gradient of the
    parameter, and the cost at each of cfg["curve_values"].
    """
    if not isinstance(controls, dict):
        raise TypeError(
            f"controls must be a dict; got {type(controls).__name__}"
        )
    missing = {"param", "value", "X", "Y", "example"} - set(controls)
    if missing:
        raise ValueError(f"controls lack {sorted(missing)}")
    net = net_from(cfg)
    param = _param_from(controls["param"])
    value = controls["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"value must be a number; got {value!r}")
    lo, hi = cfg["value_range"]
    if not lo <= value <= hi:
        raise ValueError(f"value must be in [{lo}, {hi}]; got {value!r}")
    X = net.check_X(controls["X"])
    Y = net.check_Y(controls["Y"], X.shape[1])
    dlo, dhi = cfg["data_range"]
    for name, M in (("X", X), ("Y", Y)):
        if M.min() < dlo or M.max() > dhi:
            raise ValueError(
                f"every entry of {name} must be in [{dlo}, {dhi}]; got "
                f"{M.min():g} to {M.max():g}"
            )
    example = controls["example"]
    if not (isinstance(example, int) and 1 <= example <= X.shape[1]):
        raise ValueError(
            f"example must be an int in 1..{X.shape[1]}; got {example!r}"
        )
    s = layer_state(net, X, Y, param, value)
    twin = with_value(net, param, value)
    dWs, dbs = twin.gradients(X, Y)
    curve = [
        with_value(net, param, v).loss(X, Y) for v in cfg["curve_values"]
    ]
    return {
        "sizes": list(net.sizes),
        "hidden": net.hidden.name,
        "output": net.output.name,
        "loss": net.loss_name,
        "focus": cfg["focus"],
        "param": _param_dict(param),
        "value": float(value),
        "example": example,
        "weights": [W.tolist() for W in twin.weights],
        "biases": [b.tolist() for b in twin.biases],
        "X": X.tolist(),
        "Y": Y.tolist(),
        "a_prev": s.a_prev.tolist(),
        "delta": s.delta.tolist(),
        "C": float(s.loss),
        "dW": [G.tolist() for G in dWs],
        "db": [g.tolist() for g in dbs],
        "grad": s.grad,
        "curve": [float(c) for c in curve],
    }


class WeightsExplorer(Explorer):
    """The weights explorer (view: web/weights.js)."""

    howto = "Pick a parameter and move its value, or an example's x and y: the panels show its layer's numbers for rules 3 and 4, the chart the cost and its backprop tangent."

    name = "weights"
    view = "weights"

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def sample_controls(self, rng):
        """Return random controls: any parameter at any value, any x and y (for the engine tests)."""
        net = net_from(self.config)
        params = parameters(net)
        p = params[rng.integers(len(params))]
        X, Y = np.array(self.controls["X"]), np.array(self.controls["Y"])
        return {
            "param": _param_dict(p),
            "value": float(rng.uniform(*VALUE_RANGE)),
            "X": rng.uniform(*DATA_RANGE, size=X.shape).tolist(),
            "Y": rng.uniform(*DATA_RANGE, size=Y.shape).tolist(),
            "example": int(rng.integers(1, X.shape[1] + 1)),
        }

    def extreme_controls(self):
        """Return every control at its extremes (for the engine tests)."""
        net = net_from(self.config)
        X, Y = np.array(self.controls["X"]), np.array(self.controls["Y"])
        m = X.shape[1]
        out = []
        for p in parameters(net):
            for value in VALUE_RANGE:
                for sign in (1.0, -1.0):
                    out.append(
                        {
                            "param": _param_dict(p),
                            "value": value,
                            "X": np.full(
                                X.shape, sign * DATA_RANGE[1]
                            ).tolist(),
                            "Y": np.full(
                                Y.shape, -sign * DATA_RANGE[1]
                            ).tolist(),
                            "example": m if sign > 0 else 1,
                        }
                    )
        return out

    def summary(self):
        """Return one line saying what the explorer shows."""
        s = self.state
        p = _param_from(s["param"])
        return (
            f"Weights explorer: move {p.text} (now {s['value']:.2f}) and "
            f"watch W, b, a, delta, dC/dW, dC/db of layer {p.l} and the "
            f"cost C = {s['C']:.4f}"
        )

    def fallback_html(self):
        """Return the starting picture: the cost against the parameter and the tangent (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        from .host import png_data_uri

        s, cfg = self.state, self.config
        p = _param_from(s["param"])
        fig, ax = plt.subplots(figsize=(4.6, 2.4))
        ax.plot(cfg["curve_values"], s["curve"], color="0.2", lw=1.5)
        half = 0.12 * (VALUE_RANGE[1] - VALUE_RANGE[0])
        xs = np.array([s["value"] - half, s["value"] + half])
        ax.plot(xs, s["C"] + s["grad"] * (xs - s["value"]), color="#c0392b")
        ax.plot([s["value"]], [s["C"]], "o", color="black", ms=4)
        ax.set_xlabel(p.tex, fontsize=9)
        ax.set_ylabel("cost C", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_title(
            f"C = {s['C']:.4f}, dC/d{p.text} = {s['grad']:+.4f}", fontsize=9
        )
        fig.tight_layout()
        alt = (
            f"The cost C against {p.text} from {VALUE_RANGE[0]:g} to "
            f"{VALUE_RANGE[1]:g}, with the tangent whose slope is the "
            f"backprop gradient at {p.text} = {s['value']:.2f}."
        )
        return f'<img src="{png_data_uri(fig)}" alt="{alt}">'


#: The explorer class (the engine tests find explorers by this name).
EXPLORER = WeightsExplorer


def show(net=None, X=None, Y=None, param=None, focus="dW"):
    """Return the weights explorer: a parameter selector, its value, x and y of every example.

    focus is "dW" (chapter 6) or "db" (chapter 5) and picks the parameter
    shown first when `param` is not given: the weight w^2_12 or the output
    bias b^2_1. Without net, X and Y: the 2-3-2 problem of default_problem().
    """
    if net is None and (X is not None or Y is not None):
        raise ValueError(
            "give net, X and Y together, or none of them for the default "
            "2-3-2 problem"
        )
    if net is not None and (X is None or Y is None):
        raise ValueError("give X and Y together with net")
    if param is not None:
        _check_param(net or default_problem()[0], param)
    cfg = config(net, focus)
    controls = default_controls(cfg, X, Y, param)
    lo, hi = VALUE_RANGE
    controls["value"] = float(min(hi, max(lo, controls["value"])))
    return WeightsExplorer(cfg, controls)
