"""Costs C = (1/m) Σ_x C_x and the gradient ∇_a C_x that rule 1 starts from.

Derived in chapter 3 (rule 1, the output error). Arrays are (n_L, m): one
column per example, so "per example" means "per column".
"""

import numpy as np


def mse(a, y):
    """Return the batch mean of C_x = ½‖a − y‖² for a, y of shape (n_L, m)."""
    m = a.shape[1]
    return float(0.5 * np.sum((a - y) ** 2) / m)


def mse_grad(a, y, out=None):
    """Return ∇_a C_x = a − y for every example, shape (n_L, m) (into out if given)."""
    return np.subtract(a, y, out=out)


def log_softmax(z):
    """Return ln softmax(z) of each column of z (n_L, m), stable for extreme logits."""
    shifted = z - z.max(axis=0, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))


def cross_entropy(z, y):
    """Return the batch mean of C_x = −Σ_j y_j ln a_j, with a = softmax(z); z, y (n_L, m).

    Takes the logits z, not a = softmax(z): ln a is computed as z − logsumexp(z),
    which stays finite where softmax itself rounds to 0.
    """
    m = z.shape[1]
    return float(-np.sum(y * log_softmax(z)) / m)


def cross_entropy_delta(a, y, out=None):
    """Return δ^L = a − y for softmax with cross-entropy, shape (n_L, m) (chapter 3; into out if given)."""
    return np.subtract(a, y, out=out)


LOSSES = ("mse", "cross_entropy")


def check_name(name):
    """Raise a clear error unless name is one of LOSSES."""
    if not isinstance(name, str):
        raise TypeError(
            f"loss must be a name (str), one of {list(LOSSES)}; got {type(name).__name__}"
        )
    if name not in LOSSES:
        raise ValueError(
            f"unknown loss {name!r}; expected one of {list(LOSSES)}"
        )
