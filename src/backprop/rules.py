"""The four rules of backpropagation, one small function each.

Column convention: one example per column, m examples per batch.

    rule 1 (chapter 3)  δ^L = ∇_a C_x ⊙ σ'(z^L)
    rule 2 (chapter 4)  δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l)
    rule 3 (chapter 5)  ∂C/∂b^l = mean of the columns of δ^l
    rule 4 (chapter 6)  ∂C/∂W^l = δ^l (a^{l-1})ᵀ / m

The functions use only the ufuncs behind `*`, `@` and `/` (`np.multiply`,
`np.matmul`, `np.divide`), `.T` and sums, so they accept float arrays and
also NumPy object arrays of SymPy expressions: the SymPy chapters run these
very functions on symbols (see `backprop.symbolic`).

Each takes an optional `out`, a float64 array of the result's shape that
the result is written into (and returned); without it the result is one
new array. The training loop passes the arrays of its `Buffers` (chapter
12), so that a step allocates nothing; the arithmetic is the same either
way, bit for bit.
"""

import numpy as np


def _require_2d(name, x):
    if np.ndim(x) != 2:
        raise ValueError(
            f"{name} must be a 2-D array (units, examples); got shape {np.shape(x)}"
        )


def _require_same_shape(name_a, a, name_b, b):
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}"
        )


def _own(x, *operands):
    """Return x if x times operands, or x over a number, fits in x's dtype, else None."""
    # float64 and SymPy object arrays fit; an integer array, or a float
    # array times SymPy objects, gets a new array of the wider type
    return x if np.result_type(x, *operands, 1.0) == x.dtype else None


def _require_out(out, shape):
    if out is not None and (
        not isinstance(out, np.ndarray)
        or out.shape != shape
        or out.dtype != np.float64
    ):
        raise ValueError(
            f"out must be a float64 array of shape {shape} (or None); got "
            f"{getattr(out, 'dtype', type(out).__name__)} {np.shape(out)}"
        )


def output_error(grad_a, dsigma, out=None):
    """Rule 1: return δ^L = ∇_a C_x ⊙ σ'(z^L); both inputs and the result (n_L, m)."""
    _require_2d("grad_a", grad_a)
    _require_2d("dsigma", dsigma)
    _require_same_shape("grad_a", grad_a, "dsigma", dsigma)
    _require_out(out, grad_a.shape)
    return np.multiply(grad_a, dsigma, out=out)


def hidden_error(W_next, delta_next, dsigma, out=None):
    """Rule 2: return δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l).

    W_next (n_{l+1}, n_l), delta_next (n_{l+1}, m), dsigma (n_l, m) -> (n_l, m).
    """
    for name, x in (
        ("W_next", W_next),
        ("delta_next", delta_next),
        ("dsigma", dsigma),
    ):
        _require_2d(name, x)
    if W_next.shape[0] != delta_next.shape[0]:
        raise ValueError(
            f"W_next has {W_next.shape[0]} rows (units of layer l+1) but delta_next has "
            f"{delta_next.shape[0]}; expected W_next (n_{{l+1}}, n_l) and delta_next (n_{{l+1}}, m)"
        )
    expected = (W_next.shape[1], delta_next.shape[1])
    if dsigma.shape != expected:
        raise ValueError(
            f"dsigma must have shape (n_l, m) = {expected}; got {dsigma.shape}"
        )
    _require_out(out, expected)
    # (W^{l+1})ᵀ δ^{l+1}, then ⊙ σ'(z^l) in place: one array in all
    product = np.matmul(W_next.T, delta_next, out=out)
    return np.multiply(product, dsigma, out=_own(product, dsigma))


def bias_gradient(delta, out=None):
    """Rule 3: return ∂C/∂b^l (n_l, 1), the mean of the m columns of δ^l."""
    _require_2d("delta", delta)
    _require_out(out, (delta.shape[0], 1))
    m = delta.shape[1]
    total = delta.sum(axis=1, keepdims=True, out=out)
    return np.divide(total, m, out=_own(total))


def weight_gradient(delta, a_prev, out=None):
    """Rule 4: return ∂C/∂W^l = δ^l (a^{l-1})ᵀ / m; delta (n_l, m), a_prev (n_{l-1}, m)."""
    _require_2d("delta", delta)
    _require_2d("a_prev", a_prev)
    if delta.shape[1] != a_prev.shape[1]:
        raise ValueError(
            f"delta and a_prev must have the same number of examples (columns); "
            f"got {delta.shape[1]} and {a_prev.shape[1]}"
        )
    _require_out(out, (delta.shape[0], a_prev.shape[0]))
    m = delta.shape[1]
    # δ^l (a^{l-1})ᵀ, then / m in place: one weight-sized array, not two
    product = np.matmul(delta, a_prev.T, out=out)
    return np.divide(product, m, out=_own(product))
