"""Weights and biases explorer: move one parameter, watch rules 3 and 4 respond (chapters 5, 6).

A small network (2-3-2 by default) and a batch of four examples. One
parameter, a weight w^l_{jk} or a bias b^l_j, is set to a value; the
explorer shows, for its layer l, W^l, b^l, a^{l-1}, δ^l,
∂C/∂W^l = δ^l (a^{l-1})ᵀ / m and ∂C/∂b^l = the mean of the columns of δ^l,
with the cost C as a function of the parameter and the tangent whose slope
is the backprop gradient. The reader can also change the input x and the
target y of every example. `layer_state` computes one layer's numbers;
the explorer's `controls_spec(config)` declares the controls (see
`backprop.explorers.host`), against which it checks every value;
`state(config, controls)` is what the view shows, and `web/weights.js`
computes it again in the page.

Indices are those of the text and are 1-based: `weight(2, 1, 3)` is the
entry {"kind": "w", "l": 2, "j": 1, "k": 3}, w^2_{13}, row 1 and column 3
of W^2 (`net.weights[1][0, 2]` in Python).
"""

from dataclasses import dataclass

import numpy as np

from ..network import MLP
from .controls import Choice, Entry, Matrix, Range, entries
from .host import Explorer, net_config, net_from

__all__ = [
    "weight",
    "bias",
    "label",
    "parameters",
    "WeightsState",
    "layer_state",
    "default_problem",
    "state",
    "WeightsExplorer",
    "EXPLORER",
    "show",
    "VALUE_RANGE",
    "DATA_RANGE",
]

#: The slider range of the selected parameter's value.
VALUE_RANGE = (-4.0, 4.0)
#: The slider range of every input x and target y.
DATA_RANGE = (-3.0, 3.0)
#: The number of points of the cost curve over VALUE_RANGE.
CURVE_POINTS = 41
#: The parameter control: any weight or bias of the network.
PARAM = Entry("param", "parameter", ("w", "b"))


def weight(l, j, k):
    """Return the entry of w^l_{jk}, row j and column k of W^l (1-based, as in the text)."""
    return {"kind": "w", "l": int(l), "j": int(j), "k": int(k)}


def bias(l, j):
    """Return the entry of b^l_j, entry j of b^l (1-based, as in the text)."""
    return {"kind": "b", "l": int(l), "j": int(j)}


def parameters(net):
    """Return the entry of every weight and bias of net, layer by layer."""
    return entries(PARAM.kinds, {"sizes": list(net.sizes)})


def label(param, tex=False):
    """Return param's name as plain text ('w^2_13') or mathtext ('$w^{2}_{13}$')."""
    idx = [param["j"], param["k"]] if param["kind"] == "w" else [param["j"]]
    sub = ("," if max(idx) > 9 else "").join(map(str, idx))
    if tex:
        return f"${param['kind']}^{{{param['l']}}}_{{{sub}}}$"
    return f"{param['kind']}^{param['l']}_{sub}"


def _index(param):
    # The text's 1-based (j, k) is NumPy's 0-based [j - 1, k - 1]; a bias
    # b^l_j is row j - 1 of the column b^l.
    k = param["k"] if param["kind"] == "w" else 1
    return param["j"] - 1, k - 1


def with_value(net, param, value):
    """Return a copy of net in which only the entry `param` is set to `value`."""
    PARAM.check(param, {"sizes": list(net.sizes)})
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(
            f"the value of {label(param)} must be a finite number; "
            f"got {value!r}"
        )
    twin = net.copy()
    P = twin.weights if param["kind"] == "w" else twin.biases
    P[param["l"] - 1][_index(param)] = value
    return twin


@dataclass
class WeightsState:
    """Everything the explorer shows for layer l at one parameter value.

    W (n_l, n_{l-1}), b (n_l, 1), a_prev = a^{l-1} (n_{l-1}, m),
    delta = δ^l (n_l, m), dW = δ^l (a^{l-1})ᵀ / m, db = mean of δ^l's columns
    (n_l, 1), loss = C, and grad = the entry of dW or db of the parameter.
    """

    param: dict
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
        G = self.dW if self.param["kind"] == "w" else self.db
        return float(G[_index(self.param)])


def layer_state(net, X, Y, param, value):
    """Return the WeightsState of param's layer after setting param to value; net is not changed."""
    twin = with_value(net, param, value)
    X = twin.check_X(X)
    Y = twin.check_Y(Y, X.shape[1])
    cache = twin.forward(X, return_cache=True)
    dWs, dbs, deltas = twin.backward(cache, Y)
    l = param["l"]
    return WeightsState(
        dict(param),
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
    # A target the network can roughly follow.
    Y = np.vstack([np.sin(X[0]), X[0] * X[1]])
    return net, X, Y


# -- the explorer's protocol: config (static), controls, state ---------


def state(config, controls):
    """Return what the view shows at checked controls, with the package:
    the network of config with param set to value, every layer's gradients
    on the batch X, Y, the layer of param's a^{l-1} and δ^l, C, the
    gradient of param, and the cost at each of config["curve_values"]."""
    net = net_from(config)
    param, value = controls["param"], controls["value"]
    X, Y = np.array(controls["X"]), np.array(controls["Y"])
    s = layer_state(net, X, Y, param, value)
    twin = with_value(net, param, value)
    dWs, dbs = twin.gradients(X, Y)
    curve = [with_value(net, param, v) for v in config["curve_values"]]
    return {
        "param": dict(param),
        "value": float(value),
        "example": controls["example"],
        "X": X.tolist(),
        "Y": Y.tolist(),
        "weights": [W.tolist() for W in twin.weights],
        "biases": [b.tolist() for b in twin.biases],
        "a_prev": s.a_prev.tolist(),
        "delta": s.delta.tolist(),
        "C": float(s.loss),
        "dW": [G.tolist() for G in dWs],
        "db": [g.tolist() for g in dbs],
        "grad": s.grad,
        "curve": [float(n.loss(X, Y)) for n in curve],
    }


class WeightsExplorer(Explorer):
    """The weights explorer (view: web/weights.js)."""

    howto = "Pick a parameter and move its value, or an example's x and y: the panels show its layer's numbers for rules 3 and 4, the chart the cost and its backprop tangent."

    name = "weights"
    view = "weights"

    def __init__(self, net=None, X=None, Y=None, param=None, focus="dW"):
        """Start on net, X, Y (default_problem() if none of them) with param
        (by focus: w^2_12 for "dW", b^2_1 for "db") at its value in net;
        focus, the gradient the view puts first, is "dW" (chapter 6) or
        "db" (chapter 5)."""
        if focus not in ("dW", "db"):
            raise ValueError(f"focus must be 'dW' or 'db'; got {focus!r}")
        if net is None and X is None and Y is None:
            net, X, Y = default_problem()
        elif net is None or X is None or Y is None:
            raise ValueError(
                "give net, X and Y together, or none of them for the "
                "default 2-3-2 problem"
            )
        if not isinstance(net, MLP):
            raise TypeError(
                f"net must be a backprop MLP; got {type(net).__name__}"
            )
        X = net.check_X(X)  # Y is checked against the spec
        cfg = {
            **net_config(net),
            "m": X.shape[1],  # the batch size
            "focus": focus,
            "curve_values": np.linspace(
                *VALUE_RANGE, CURVE_POINTS
            ).tolist(),
        }
        if param is None:
            param = weight(2, 1, 2) if focus == "dW" else bias(2, 1)
        param = PARAM.check(param, {"sizes": cfg["sizes"]})
        P = net.weights if param["kind"] == "w" else net.biases
        value = float(P[param["l"] - 1][_index(param)])
        controls = {
            "param": param,
            "value": float(np.clip(value, *VALUE_RANGE)),
            "X": X,
            "Y": Y,
            "example": 1,
        }
        super().__init__(cfg, controls)

    def controls_spec(self, config):
        """Return the controls at config: a weight or bias, its value, the
        batch X (n0, m) and Y (nL, m), and the example whose x and y the
        view's sliders edit (1..m)."""
        examples = tuple(
            (i, f"example {i}") for i in range(1, config["m"] + 1)
        )
        return (
            PARAM,
            Range("value", "value", *VALUE_RANGE, 0.01),
            Matrix("X", "x", *DATA_RANGE, 0.01, "x"),
            Matrix("Y", "y", *DATA_RANGE, 0.01, "y"),
            Choice("example", "edit x and y of", examples),
        )

    def context(self, config, values):
        """Return the network every control acts on: config's sizes and m."""
        sizes = config["sizes"]
        return {
            "sizes": sizes,
            "L": len(sizes) - 1,
            "m": config["m"],
            "onehot": False,
        }

    def compute_state(self, config, controls):
        """Return state(config, controls), computed with the package."""
        return state(config, controls)

    def summary(self):
        """Return one line saying what the explorer shows."""
        s, p = self.state, self.state["param"]
        return (
            f"Weights explorer: move {label(p)} (now {s['value']:.2f}) and "
            f"watch W, b, a, delta, dC/dW, dC/db of layer {p['l']} and the "
            f"cost C = {s['C']:.4f}"
        )

    def fallback_html(self):
        """Return the starting picture: the cost against the parameter and the tangent (Matplotlib, drawn once)."""
        import matplotlib.pyplot as plt

        from .host import picture

        s, cfg = self.state, self.config
        p, lo, hi = s["param"], *VALUE_RANGE
        fig, ax = plt.subplots(figsize=(4.6, 2.4))
        ax.plot(cfg["curve_values"], s["curve"], color="0.2", lw=1.5)
        half = 0.12 * (hi - lo)
        xs = np.array([s["value"] - half, s["value"] + half])
        ax.plot(xs, s["C"] + s["grad"] * (xs - s["value"]), color="#c0392b")
        ax.plot([s["value"]], [s["C"]], "o", color="black", ms=4)
        ax.set_xlabel(label(p, tex=True), fontsize=9)
        ax.set_ylabel("cost C", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_title(
            f"C = {s['C']:.4f}, dC/d{label(p)} = {s['grad']:+.4f}",
            fontsize=9,
        )
        fig.tight_layout()
        alt = (
            f"The cost C against {label(p)} from {lo:g} to {hi:g}, with the "
            f"tangent whose slope is the backprop gradient at {label(p)} = "
            f"{s['value']:.2f}."
        )
        return picture(fig, alt)


#: The explorer class (the engine tests find explorers by this name).
EXPLORER = WeightsExplorer


def show(net=None, X=None, Y=None, param=None, focus="dW"):
    """Return the weights explorer: a parameter selector, its value, x and y of every example.

    focus is "dW" (chapter 6) or "db" (chapter 5) and picks the parameter
    shown first when `param` is not given: the weight w^2_12 or the output
    bias b^2_1. Without net, X and Y: the 2-3-2 problem of default_problem().
    """
    return WeightsExplorer(net, X, Y, param, focus)
