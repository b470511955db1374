"""Gradient checking with centered finite differences (chapter 8).

∂C/∂θ ≈ (C(θ + ε) − C(θ − ε)) / 2ε has error O(ε²), against O(ε) for the
one-sided difference. Everything is float64: in float32 the rounding error of
C, about 1e-7·|C|, divided by 2ε would swamp the comparison.
"""

from dataclasses import dataclass

import numpy as np

#: Thresholds for the relative error in float64 (chapter 8).
GOOD = 1e-7
SUSPECT = 1e-4


def numerical_gradients(net, X, Y, eps=1e-6):
    """Return (dWs, dbs) estimated by centered differences of net.loss for every parameter."""
    if not eps > 0:
        raise ValueError(f"eps must be a positive step size; got {eps!r}")
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])

    def estimate(P):
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            plus = net._loss(net._forward(X), Y)
            P[idx] = old - eps
            minus = net._loss(net._forward(X), Y)
            P[idx] = (
                old  # restore exactly: the network must come back unchanged
            )
            G[idx] = (plus - minus) / (2 * eps)
        return G

    return [estimate(W) for W in net.weights], [
        estimate(b) for b in net.biases
    ]


def relative_error(x, y):
    """Return ‖x − y‖ / (‖x‖ + ‖y‖), symmetric in x and y; 0 when both are zero."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(
            f"cannot compare gradients of shapes {x.shape} and {y.shape}"
        )
    scale = np.linalg.norm(x) + np.linalg.norm(y)
    return 0.0 if scale == 0 else float(np.linalg.norm(x - y) / scale)


def verdict(error):
    """Return a plain-words verdict on a float64 relative error."""
    if error < GOOD:
        return "correct"
    if error < SUSPECT:
        return "suspect (look for a ReLU kink or a too large eps)"
    return "wrong"


def flatten(dWs, dbs):
    """Return all gradient entries as one vector, weights then biases layer by layer."""
    return np.concatenate([g.ravel() for g in (*dWs, *dbs)])


@dataclass
class GradientCheck:
    """Relative errors of backprop against finite differences, per parameter and overall."""

    errors: dict
    overall: float

    @property
    def verdict(self):
        """Return the plain-words verdict of the overall relative error."""
        return verdict(self.overall)

    def __str__(self):
        lines = [
            f"{name:>6}: relative error {err:.2e}  {verdict(err)}"
            for name, err in self.errors.items()
        ]
        lines.append(
            f"overall: relative error {self.overall:.2e}  {self.verdict}"
        )
        return "\n".join(lines)


def check_gradients(net, X, Y, eps=1e-6):
    """Compare net.gradients with centered differences; return a GradientCheck."""
    dWs, dbs = net.gradients(X, Y)
    nWs, nbs = numerical_gradients(net, X, Y, eps)
    errors = {}
    for l in range(1, net.L + 1):
        errors[f"W^{l}"] = relative_error(dWs[l - 1], nWs[l - 1])
        errors[f"b^{l}"] = relative_error(dbs[l - 1], nbs[l - 1])
    return GradientCheck(
        errors, relative_error(flatten(dWs, dbs), flatten(nWs, nbs))
    )
