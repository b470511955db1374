"""Gradient checking with centered finite differences (chapter 8).

∂C/∂θ ≈ (C(θ + ε) − C(θ − ε)) / 2ε has error O(ε²), against O(ε) for the
one-sided difference. Everything is float64: in float32 the rounding error of
C, about 1e-7·|C|, divided by 2ε would swamp the comparison.

A ReLU is not differentiable at z = 0. When a perturbation ±ε moves some
pre-activation of a ReLU layer across 0, the difference quotient mixes two
slopes and the check can report "wrong" for correct code (chapter 8, "The
ReLU kink"). `check_gradients` watches for such crossings and says so in its
verdicts.
"""

from dataclasses import dataclass, field

import numpy as np

#: Thresholds for the relative error in float64 (chapter 8).
GOOD = 1e-7
SUSPECT = 1e-4

#: What a verdict adds when a perturbation crossed a ReLU kink.
KINK_HINT = "a ReLU kink lies within ±eps"


def _parameter_names(net):
    """Return the names W^1..W^L, b^1..b^L in the order of weights + biases."""
    return [f"W^{l}" for l in range(1, net.L + 1)] + [
        f"b^{l}" for l in range(1, net.L + 1)
    ]


def _relu_layers(net):
    """Return the layers l (1..L) whose activation is the ReLU."""
    return [
        l for l in range(1, net.L + 1) if net.activation(l).name == "relu"
    ]


def _differences(net, X, Y, eps, watch_kinks):
    """Return (dWs, dbs, crossings): centered differences and, if asked, kinks.

    crossings maps a parameter name ("W^1") to the list of its entries whose
    +eps or -eps perturbation changed the sign pattern (z > 0) of a ReLU layer.
    """
    if not eps > 0:
        raise ValueError(f"eps must be a positive step size; got {eps!r}")
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    layers = _relu_layers(net) if watch_kinks else []

    def pattern(cache):
        return [cache.z[l] > 0 for l in layers]

    # One extra forward pass, only when there is a ReLU layer to watch.
    base = pattern(net._forward(X)) if layers else []
    crossings = {}

    def estimate(name, P):
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            crossed = False
            P[idx] = old + eps
            cache = net._forward(X)
            plus = net._loss(cache, Y)
            crossed |= any(
                np.any(p != q) for p, q in zip(pattern(cache), base)
            )
            P[idx] = old - eps
            cache = net._forward(X)
            minus = net._loss(cache, Y)
            crossed |= any(
                np.any(p != q) for p, q in zip(pattern(cache), base)
            )
            # restore exactly: the network must come back unchanged
            P[idx] = old
            G[idx] = (plus - minus) / (2 * eps)
            if crossed:
                crossings.setdefault(name, []).append(idx)
        return G

    names = _parameter_names(net)
    grads = [
        estimate(name, P)
        for name, P in zip(names, net.weights + net.biases)
    ]
    return grads[: net.L], grads[net.L :], crossings


def numerical_gradients(net, X, Y, eps=1e-6):
    """Return (dWs, dbs) estimated by centered differences of net.loss."""
    dWs, dbs, _ = _differences(net, X, Y, eps, watch_kinks=False)
    return dWs, dbs


def kink_crossings(net, X, Y, eps=1e-6):
    """Return {name: entries} whose ±eps perturbation crosses a ReLU kink."""
    return _differences(net, X, Y, eps, watch_kinks=True)[2]


def relative_error(x, y):
    """Return ‖x − y‖ / (‖x‖ + ‖y‖), symmetric in x and y; 0 if both are 0."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(
            f"cannot compare gradients of shapes {x.shape} and {y.shape}"
        )
    scale = np.linalg.norm(x) + np.linalg.norm(y)
    return 0.0 if scale == 0 else float(np.linalg.norm(x - y) / scale)


def verdict(error, kink=None):
    """Return a plain-words verdict on a float64 relative error.

    kink: True if a ±eps perturbation crossed a ReLU kink, False if none
    did, None if unknown. A failed check names the kink when there was one.
    """
    if error < GOOD:
        return "correct"
    base = "suspect" if error < SUSPECT else "wrong"
    if kink:
        return f"{base}: {KINK_HINT}"
    if kink is None and base == "suspect":
        return "suspect (eps too large? a ReLU kink?)"
    return base


def flatten(dWs, dbs):
    """Return all gradient entries as one vector: weights, then biases."""
    return np.concatenate([g.ravel() for g in (*dWs, *dbs)])


@dataclass
class GradientCheck:
    """Relative errors of backprop against finite differences, per parameter.

    errors: {"W^1": relative error, ...}; overall: the relative error of the
    whole flattened gradient; kinks: {"W^1": entries whose ±eps perturbation
    crossed a ReLU kink}, empty for a network without ReLU layers.
    """

    errors: dict
    overall: float
    kinks: dict = field(default_factory=dict)

    @property
    def verdict(self):
        """Return the plain-words verdict of the overall relative error."""
        return verdict(self.overall, kink=bool(self.kinks))

    def __str__(self):
        lines = [
            f"{name:>6}: relative error {err:.2e}  "
            + verdict(err, kink=name in self.kinks)
            for name, err in self.errors.items()
        ]
        lines.append(
            f"overall: relative error {self.overall:.2e}  {self.verdict}"
        )
        return "\n".join(lines)


def check_gradients(net, X, Y, eps=1e-6):
    """Compare net.gradients(X, Y) with centered differences; a GradientCheck."""
    dWs, dbs = net.gradients(X, Y)
    nWs, nbs, kinks = _differences(net, X, Y, eps, watch_kinks=True)
    errors = {}
    for l in range(1, net.L + 1):
        errors[f"W^{l}"] = relative_error(dWs[l - 1], nWs[l - 1])
        errors[f"b^{l}"] = relative_error(dbs[l - 1], nbs[l - 1])
    return GradientCheck(
        errors,
        relative_error(flatten(dWs, dbs), flatten(nWs, nbs)),
        kinks,
    )
