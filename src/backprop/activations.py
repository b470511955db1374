"""Activation functions σ and their derivatives σ', each pair side by side.

Derived in chapter 1 (the forward pass) and used by rules 1 and 2 (chapters 3
and 4). Every function acts element-wise on an array z of shape (n, m): one
column per example. Softmax is the exception: it acts on each column as a
whole, so it has a Jacobian instead of an element-wise derivative.

Each function takes an optional `out`, an array shaped like z that receives
the result (the training loop passes the arrays of its `Buffers`, chapter
12, so that a training step allocates no new arrays); without it a new array
is returned.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def identity(z, out=None):
    """Return z unchanged; shape (n, m) -> (n, m) (out is not needed)."""
    return z


def identity_prime(z, out=None):
    """Return the derivative of the identity, ones shaped like z (into out if given)."""
    if out is None:
        return np.ones_like(z)
    out.fill(1.0)
    return out


def sigmoid(z, out=None):
    """Return σ(z) = 1 / (1 + e^{-z}) element-wise, without overflow (into out if given)."""
    # e^{-|z|} never overflows; the two branches are the same function
    # rewritten so the exponent is never positive.
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if out is None:
        return s
    np.copyto(out, s)
    return out


def sigmoid_prime(z, out=None):
    """Return σ'(z) = σ(z)(1 − σ(z)) element-wise (into out if given)."""
    s = sigmoid(z, out=out)
    return np.multiply(s, 1.0 - s, out=out)


def tanh(z, out=None):
    """Return tanh(z) element-wise (into out if given)."""
    return np.tanh(z, out=out)


def tanh_prime(z, out=None):
    """Return tanh'(z) = 1 − tanh(z)² element-wise (into out if given)."""
    t = np.square(np.tanh(z, out=out), out=out)
    return np.subtract(1.0, t, out=out)


def relu(z, out=None):
    """Return max(0, z) element-wise (into out if given)."""
    return np.maximum(z, 0.0, out=out)


def relu_prime(z, out=None):
    """Return the ReLU derivative element-wise: 1 where z > 0, else 0 (0 at the kink)."""
    if out is None:
        return (z > 0).astype(np.float64)
    return np.greater(z, 0.0, out=out)  # True, False written as 1.0, 0.0


def softmax(z, out=None):
    """Return the softmax of each column of z (n, m); every column sums to 1 (into out if given)."""
    # Subtracting the column maximum changes nothing mathematically and keeps
    # every exponent <= 0, so e^{z} cannot overflow.
    e = np.exp(
        np.subtract(z, z.max(axis=0, keepdims=True), out=out), out=out
    )
    return np.divide(e, e.sum(axis=0, keepdims=True), out=out)


def softmax_jacobian(z):
    """Return ∂a_i/∂z_j = a_i(δ_ij − a_j) per example: shape (m, n, n) for z (n, m)."""
    a = softmax(z).T  # (m, n): row k is example k
    return (
        a[:, :, None] * np.eye(z.shape[0])[None]
        - a[:, :, None] * a[:, None, :]
    )


@dataclass(frozen=True)
class Activation:
    """An activation σ with its element-wise derivative σ' (None for softmax)."""

    name: str
    f: Callable
    prime: Callable | None


ACTIVATIONS = {
    "identity": Activation("identity", identity, identity_prime),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime),
    "tanh": Activation("tanh", tanh, tanh_prime),
    "relu": Activation("relu", relu, relu_prime),
    "softmax": Activation("softmax", softmax, None),
}

HIDDEN_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu")


def get(name):
    """Return the Activation called name; raise ValueError listing allowed names."""
    if not isinstance(name, str):
        raise TypeError(
            f"activation must be a name (str), one of {sorted(ACTIVATIONS)}; got {type(name).__name__}"
        )
    if name not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]
