"""The row convention, Z = A W + b with one example per row (derived in chapter 7).

The book computes in the column convention: a batch X has shape (n0, m),
W^l (n_l, n_{l-1}), b^l (n_l, 1), z^l = W^l a^{l-1} + b^l. Many libraries and
blog posts put the examples in rows instead. Transposing every equation of
the column convention gives this small parallel implementation:

    column convention                      row convention (this module)
    X           (n0, m)                    X           (m, n0)
    W^l         (n_l, n_{l-1})             W^l         (n_{l-1}, n_l)     = (W^l_col)ᵀ
    b^l         (n_l, 1)                   b^l         (1, n_l)           = (b^l_col)ᵀ
    z^l = W^l a^{l-1} + b^l                Z^l = A^{l-1} W^l + b^l
    δ^l         (n_l, m), a column each    Δ^l         (m, n_l), a row each
    δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l)     Δ^l = Δ^{l+1} (W^{l+1})ᵀ ⊙ σ'(Z^l)
    ∂C/∂W^l = δ^l (a^{l-1})ᵀ / m           ∂C/∂W^l = (A^{l-1})ᵀ Δ^l / m
    ∂C/∂b^l = mean of the columns of δ^l   ∂C/∂b^l = mean of the rows of Δ^l

The losses are written out again here, row-wise, rather than borrowed from
`backprop.losses`, so that the two conventions are two independent
computations that a test can compare (only the element-wise σ and σ' of
`backprop.activations` are shared).
"""

import numpy as np

from . import activations, losses

__all__ = ["RowMLP", "softmax_rows", "log_softmax_rows"]


def softmax_rows(Z):
    """Return the softmax of each row of Z (m, n); every row sums to 1."""
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax_rows(Z):
    """Return ln softmax of each row of Z (m, n), stable for extreme logits."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class RowMLP:
    """A fully connected network in the row convention: X (m, n0), W^l (n_{l-1}, n_l), b^l (1, n_l)."""

    def __init__(
        self, weights, biases, hidden="relu", output="identity", loss="mse"
    ):
        """Wrap row-convention parameters; weights[l-1] is W^l (n_{l-1}, n_l), biases[l-1] is b^l (1, n_l)."""
        if len(weights) != len(biases) or not weights:
            raise ValueError(
                f"need one bias per weight matrix and at least one layer; got {len(weights)} weights and {len(biases)} biases"
            )
        self.weights = [np.array(W, dtype=np.float64) for W in weights]
        self.biases = [np.array(b, dtype=np.float64) for b in biases]
        self.sizes = [self.weights[0].shape[0]] + [
            W.shape[1] for W in self.weights
        ]
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            expected_W = (self.sizes[l - 1], self.sizes[l])
            if W.shape != expected_W:
                raise ValueError(
                    f"weights[{l - 1}] (W^{l}) must have shape (n_{l - 1}, n_{l}) = {expected_W} in the row convention; got {W.shape}"
                )
            if b.shape != (1, self.sizes[l]):
                raise ValueError(
                    f"biases[{l - 1}] (b^{l}) must have shape (1, n_{l}) = {(1, self.sizes[l])} in the row convention; got {b.shape}"
                )
        if hidden not in activations.HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"hidden activation must be one of {list(activations.HIDDEN_ACTIVATIONS)}; got {hidden!r}"
            )
        activations.get(output)
        losses.check_name(loss)
        if (output == "softmax") != (loss == "cross_entropy"):
            raise ValueError(
                f"output 'softmax' and loss 'cross_entropy' go together; got output {output!r} with loss {loss!r}"
            )
        self.hidden, self.output, self.loss_name = (
            activations.get(hidden),
            activations.get(output),
            loss,
        )

    @classmethod
    def from_column(cls, net):
        """Return the row-convention twin of a column-convention bp.MLP: every W and b transposed."""
        return cls(
            [W.T.copy() for W in net.weights],
            [b.T.copy() for b in net.biases],
            hidden=net.hidden.name,
            output=net.output.name,
            loss=net.loss_name,
        )

    @property
    def L(self):
        """Return the number of layers with weights."""
        return len(self.weights)

    def __repr__(self):
        return (
            f"RowMLP({self.sizes}, hidden={self.hidden.name!r}, output={self.output.name!r}, "
            f"loss={self.loss_name!r})"
        )

    # -- input checks -------------------------------------------------------

    def check_X(self, X):
        """Return X as a float64 (m, n0) array, one example per row, or raise a clear error."""
        X = np.asarray(X, dtype=np.float64)
        n0 = self.sizes[0]
        if X.ndim != 2 or X.shape[1] != n0 or X.shape[0] == 0:
            hint = (
                " — it looks transposed: the row convention puts one example per row, try .T"
                if X.ndim == 2 and X.shape[0] == n0
                else ""
            )
            raise ValueError(
                f"X must have shape (m, {n0}) in the row convention (one example per row); got {X.shape}{hint}"
            )
        return X

    def check_Y(self, Y, m):
        """Return targets as a float64 (m, nL) array; integer class labels (m,) are one-hot encoded."""
        n_L = self.sizes[-1]
        Y = np.asarray(Y)
        if self.loss_name == "cross_entropy" and Y.ndim == 1:
            if not np.issubdtype(Y.dtype, np.integer) or np.any(
                (Y < 0) | (Y >= n_L)
            ):
                raise ValueError(
                    f"class labels must be integers in 0..{n_L - 1}; got {Y!r}"
                )
            Y = np.eye(n_L)[Y]
        Y = np.asarray(Y, dtype=np.float64)
        if Y.shape != (m, n_L):
            raise ValueError(
                f"Y must have shape (m, nL) = {(m, n_L)} in the row convention (one example per row); got {Y.shape}"
            )
        return Y

    # -- forward and backward ----------------------------------------------

    def _activate(self, l, Z):
        act = self.output if l == self.L else self.hidden
        return softmax_rows(Z) if act.name == "softmax" else act.f(Z)

    def forward(self, X, return_cache=False):
        """Return A^L (m, nL) for X (m, n0); with return_cache, the lists Z (padded, Z[0] None) and A."""
        X = self.check_X(X)
        Z, A = [None], [X]
        for l in range(1, self.L + 1):
            Z.append(
                A[l - 1] @ self.weights[l - 1] + self.biases[l - 1]
            )  # Z^l = A^{l-1} W^l + b^l
            A.append(self._activate(l, Z[l]))
        return (Z, A) if return_cache else A[-1]

    def loss(self, X, Y):
        """Return C, the mean over the m rows of X (m, n0), Y (m, nL) of C_x."""
        X = self.check_X(X)
        Y = self.check_Y(Y, X.shape[0])
        Z, A = self.forward(X, return_cache=True)
        m = X.shape[0]
        if self.loss_name == "cross_entropy":
            return float(-np.sum(Y * log_softmax_rows(Z[-1])) / m)
        return float(0.5 * np.sum((A[-1] - Y) ** 2) / m)

    def gradients(self, X, Y):
        """Return (dWs, dbs) in the row convention.

        dWs[l - 1] is ∂C/∂W^l_row (n_{l-1}, n_l), dbs[l - 1] is (1, n_l).
        """
        X = self.check_X(X)
        Y = self.check_Y(Y, X.shape[0])
        Z, A = self.forward(X, return_cache=True)
        m, L = X.shape[0], self.L
        if self.loss_name == "cross_entropy":
            Delta = A[L] - Y  # rule 1, softmax form, one row per example
        else:
            Delta = (A[L] - Y) * self.output.prime(Z[L])  # rule 1
        dWs, dbs = [None] * L, [None] * L
        for l in range(L, 0, -1):
            if l < L:
                # rule 2: Δ^l = Δ^{l+1} (W^{l+1})ᵀ ⊙ σ'(Z^l)
                W_next = self.weights[l]  # W^{l+1}: lists count from 0
                Delta = (Delta @ W_next.T) * self.hidden.prime(Z[l])
            # rule 4: (A^{l-1})ᵀ Δ^l / m; rule 3: the mean of the rows
            dWs[l - 1] = A[l - 1].T @ Delta / m
            dbs[l - 1] = Delta.mean(axis=0, keepdims=True)
        return dWs, dbs
