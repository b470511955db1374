"""The multilayer perceptron whose gradients are the four rules composed.

Forward pass: chapter 1. Backward pass: chapter 7, built from the four rule
functions of `backprop.rules` (chapters 3 to 6).

Indexing: the text numbers layers l = 1..L, Python lists start at 0, so
`weights[l - 1]` is W^l and `biases[l - 1]` is b^l. The forward cache is
padded instead, so that `cache.z[l]` is z^l and `cache.a[l]` is a^l
(`cache.z[0]` is None, `cache.a[0]` is the input x).

Memory (chapter 12): `MLP.gradients` computes z^l, a^l, σ'(z^l) and δ^l
into a workspace of arrays kept between calls while the batch size stays
the same, and hands out ∂C/∂W^l, ∂C/∂b^l in arrays it takes back once the
caller has let go of them. A training step then allocates no large arrays,
and the operating system never has to map fresh memory for it. The
results are the same, bit for bit, and every call's gradients are the
caller's own: see `GradientBuffers`. `forward` and `backward` return new
arrays every time.
"""

import sys
from dataclasses import dataclass

import numpy as np

from . import activations, checks, losses, rules


@dataclass
class ForwardCache:
    """The z^l and a^l of every layer: z[l] (n_l, m) for l ≥ 1, a[l] (n_l, m) for l ≥ 0."""

    z: list
    a: list


class Workspace:
    """Buffers z[l], a[l], dsigma[l], delta[l] (n_l, m) for l = 1..L, for a batch of m (chapter 12).

    Index 0 is None in every list (a^0 is the input X itself), so that the
    indices are the text's layer numbers.
    """

    def __init__(self, sizes, m):
        """Allocate the buffers of an MLP with layer sizes [n0, ..., nL] for a batch of m."""
        self.m = m

        def per_layer():
            return [None] + [np.empty((n, m)) for n in sizes[1:]]

        self.z, self.a, self.dsigma, self.delta = (
            per_layer() for _ in range(4)
        )


class GradientBuffers:
    """Arrays shaped like the weights and biases, lent out by MLP.gradients and taken back when free.

    `take()` returns a set (dWs, dbs) that no one outside this object holds:
    an array the caller keeps, or any view of it, holds a reference to it,
    and Python counts references, so an array is reused only when its
    reference count shows that the caller has dropped it. The gradients of
    two calls are therefore always independent, as if newly allocated. A
    loop that drops each step's gradients by the end of the next step
    (like `training.train`) cycles through at most `keep` sets and
    allocates nothing after the first steps; a caller that keeps every
    result gets new arrays each time, and this object forgets the oldest.
    """

    def __init__(self, sizes, keep=2):
        """Prepare sets for layer sizes [n0, ..., nL]; keep at most `keep` of them."""
        self.sizes, self.keep, self.sets = sizes, keep, []
        # The references to an array that only a set holds: measured on a
        # set of one array, with the very function that later tests sets.
        self.unshared = self._references(([np.empty(0)], []))

    @staticmethod
    def _references(grads):
        """Return the largest reference count among the arrays of grads = (dWs, dbs)."""
        dWs, dbs = grads
        return max(sys.getrefcount(x) for x in dWs + dbs)

    def take(self):
        """Return a set (dWs, dbs) of lists of arrays that no caller holds."""
        for i, grads in enumerate(self.sets):
            if self._references(grads) <= self.unshared:
                self.sets.append(self.sets.pop(i))  # now the newest
                return grads
        sizes = self.sizes
        fresh = (
            [np.empty((n, k)) for n, k in zip(sizes[1:], sizes[:-1])],
            [np.empty((n, 1)) for n in sizes[1:]],
        )
        self.sets = self.sets[max(0, len(self.sets) - self.keep + 1) :]
        self.sets.append(fresh)
        return fresh


class MLP:
    """A fully connected network in the column convention, float64 throughout."""

    def __init__(
        self, sizes, hidden="relu", output="identity", loss="mse", seed=0
    ):
        """Build a network with layer sizes [n0, ..., nL] and initialise it from seed."""
        self.sizes = checks.layer_sizes(sizes)
        if hidden not in activations.HIDDEN_ACTIVATIONS:
            activations.get(
                hidden
            )  # raises for unknown names and non-strings
            raise ValueError(
                f"hidden activation {hidden!r} is for outputs only; expected one of {list(activations.HIDDEN_ACTIVATIONS)}"
            )
        self.hidden = activations.get(hidden)
        self.output = activations.get(output)
        losses.check_name(loss)
        if output == "softmax" and loss != "cross_entropy":
            raise ValueError(
                f"output 'softmax' goes with loss 'cross_entropy'; got loss {loss!r}"
            )
        if loss == "cross_entropy" and output != "softmax":
            raise ValueError(
                f"loss 'cross_entropy' needs output 'softmax'; got output {output!r}"
            )
        self.loss_name = loss
        rng = np.random.default_rng(seed)
        self.weights = [
            self._initial_weights(rng, l) for l in range(1, self.L + 1)
        ]
        self.biases = [np.zeros((n, 1)) for n in self.sizes[1:]]
        # memory that gradients() reuses from call to call (chapter 12)
        self._workspaces, self._gradient_buffers = {}, None

    @property
    def L(self):
        """Return the number of layers with weights (the input layer is layer 0)."""
        return len(self.sizes) - 1

    @property
    def n_params(self):
        """Return the number of weights and biases."""
        return sum(
            W.size + b.size for W, b in zip(self.weights, self.biases)
        )

    def activation(self, l):
        """Return the Activation of layer l (1..L)."""
        return self.output if l == self.L else self.hidden

    def _initial_weights(self, rng, l):
        # He initialisation keeps the variance of ReLU activations steady over
        # depth; Glorot does the same for activations symmetric around 0.
        n_in, n_out = self.sizes[l - 1], self.sizes[l]
        if self.activation(l).name == "relu":
            std = np.sqrt(2.0 / n_in)
        else:
            std = np.sqrt(2.0 / (n_in + n_out))
        return rng.normal(0.0, std, size=(n_out, n_in))

    def __repr__(self):
        return (
            f"MLP({self.sizes}, hidden={self.hidden.name!r}, output={self.output.name!r}, "
            f"loss={self.loss_name!r})"
        )

    def copy(self):
        """Return an independent copy with the same parameters."""
        twin = object.__new__(MLP)
        twin.__dict__.update(self.__dict__)
        twin.weights = [W.copy() for W in self.weights]
        twin.biases = [b.copy() for b in self.biases]
        twin._workspaces, twin._gradient_buffers = {}, None  # its own
        return twin

    # -- input checks -------------------------------------------------------

    def _check_parameters(self):
        # A bias assigned as (n,) would broadcast against (n, m) and give a
        # wrong answer whenever m == n; refuse it instead.
        if len(self.weights) != self.L or len(self.biases) != self.L:
            raise ValueError(
                f"the network has {self.L} layers but {len(self.weights)} weight matrices and {len(self.biases)} bias vectors"
            )
        for l in range(1, self.L + 1):
            W, b = self.weights[l - 1], self.biases[l - 1]
            expected_W, expected_b = (
                (self.sizes[l], self.sizes[l - 1]),
                (self.sizes[l], 1),
            )
            if np.shape(W) != expected_W:
                raise ValueError(
                    f"weights[{l - 1}] (W^{l}) must have shape {expected_W}; got {np.shape(W)}"
                )
            if np.shape(b) != expected_b:
                raise ValueError(
                    f"biases[{l - 1}] (b^{l}) must have shape {expected_b}; got {np.shape(b)}"
                )

    def check_X(self, X):
        """Return X as a float64 (n0, m) array, or raise a clear error."""
        return checks.as_matrix(
            "X",
            X,
            self.sizes[0],
            hint=f" (n0 = {self.sizes[0]} inputs, one example per column)",
        )

    def check_Y(self, Y, m):
        """Return targets as a float64 (nL, m) array; class labels (m,) are one-hot encoded."""
        n_L = self.sizes[-1]
        if self.loss_name == "cross_entropy" and np.ndim(Y) == 1:
            Y = checks.labels_to_one_hot("Y", Y, n_L)
        else:
            Y = checks.as_matrix(
                "Y",
                Y,
                n_L,
                hint=f" (nL = {n_L} outputs, one example per column)",
            )
        if Y.shape[1] != m:
            raise ValueError(
                f"X has m = {m} examples (columns) but Y has {Y.shape[1]}; they must match"
            )
        if self.loss_name == "cross_entropy":
            # δ^L = a − y relies on every target column being a probability vector.
            sums = Y.sum(axis=0)
            # The same test as np.allclose(sums, 1), without its overhead on every step.
            if Y.min() < 0 or np.abs(sums - 1.0).max() > 1e-8 + 1e-5:
                col = int(
                    np.argmax(np.abs(sums - 1.0) + (Y < 0).any(axis=0))
                )
                raise ValueError(
                    f"cross-entropy targets must be probability vectors (non-negative, each column summing to 1); column {col} sums to {sums[col]:g}"
                )
        return Y

    # -- forward and backward ----------------------------------------------

    def forward(self, X, return_cache=False):
        """Return a^L (nL, m) for inputs X (n0, m); with return_cache, the ForwardCache of every layer."""
        X = self.check_X(X)
        cache = self._forward(X)
        return cache if return_cache else cache.a[-1]

    def _forward(self, X, ws=None):
        # With a Workspace ws, z^l and a^l are written into its buffers.
        self._check_parameters()
        into = ws or _NoWorkspace(self.L)
        z, a = [None], [X]
        for l in range(1, self.L + 1):
            z_l = np.matmul(self.weights[l - 1], a[l - 1], out=into.z[l])
            z_l += self.biases[l - 1]  # z^l = W^l a^{l-1} + b^l, in place
            z.append(z_l)
            a.append(self.activation(l).f(z_l, out=into.a[l]))  # σ(z^l)
        return ForwardCache(z, a)

    def predict(self, X):
        """Return the index of the largest output per example, shape (m,)."""
        return np.argmax(self.forward(X), axis=0)

    def loss(self, X, Y):
        """Return the cost C, averaged over the m examples of X (n0, m) and Y (nL, m)."""
        X = self.check_X(X)
        Y = self.check_Y(Y, X.shape[1])
        return self._loss(self._forward(X), Y)

    def _loss(self, cache, Y):
        if self.loss_name == "cross_entropy":
            return losses.cross_entropy(
                cache.z[-1], Y
            )  # from logits, stable
        return losses.mse(cache.a[-1], Y)

    def backward(self, cache, Y, ws=None, grads=None):
        """Return (dWs, dbs, deltas) from a ForwardCache and targets Y (nL, m).

        deltas[l] is δ^l. New arrays, unless gradients() passes a Workspace
        ws and gradient arrays grads to write into (chapter 12).
        """
        L, z, a = self.L, cache.z, cache.a
        ws = ws or _NoWorkspace(L)  # its buffers are None: new arrays
        dW_out, db_out = grads or ([None] * L, [None] * L)
        if self.loss_name == "cross_entropy":
            # rule 1 in the softmax form: δ^L = a^L − y
            delta = losses.cross_entropy_delta(a[L], Y, out=ws.delta[L])
        else:
            # rule 1: δ^L = ∇_a C_x ⊙ σ'(z^L)
            grad_a = losses.mse_grad(a[L], Y, out=ws.delta[L])
            dsigma = self.output.prime(z[L], out=ws.dsigma[L])
            delta = rules.output_error(grad_a, dsigma, out=ws.delta[L])
        deltas = [None] * (L + 1)
        dWs, dbs = [None] * L, [None] * L
        for l in range(L, 0, -1):
            deltas[l] = delta
            # i = l - 1: weights[i] is W^l (lists count from 0), while the
            # padded cache has a[i] = a^{l-1} and z[i] = z^{l-1}
            i = l - 1
            # rule 4 and rule 3: the gradients of layer l
            dWs[i] = rules.weight_gradient(delta, a[i], out=dW_out[i])
            dbs[i] = rules.bias_gradient(delta, out=db_out[i])
            if l > 1:
                # rule 2: the error of layer l - 1
                W = self.weights[i]
                dsigma = self.hidden.prime(z[i], out=ws.dsigma[i])
                delta = rules.hidden_error(
                    W, delta, dsigma, out=ws.delta[i]
                )
        return dWs, dbs, deltas

    def gradients(self, X, Y):
        """Return (dWs, dbs): ∂C/∂W^l and ∂C/∂b^l shaped like weights and biases.

        The arrays are the caller's own: the next call never writes into
        them while the caller holds them (GradientBuffers). The work in
        between happens in a Workspace kept for the batch size m of X.
        """
        X = self.check_X(X)
        Y = self.check_Y(Y, X.shape[1])
        ws = self._workspace(X.shape[1])
        if self._gradient_buffers is None:
            self._gradient_buffers = GradientBuffers(self.sizes)
        grads = self._gradient_buffers.take()
        dWs, dbs, _ = self.backward(self._forward(X, ws), Y, ws, grads)
        return dWs, dbs

    # -- memory kept between calls (chapter 12) ------------------------------

    def _workspace(self, m):
        """Return the Workspace for batches of m, kept for the last two m used."""
        ws = self._workspaces.pop(m, None) or Workspace(self.sizes, m)
        self._workspaces[m] = ws  # the newest last
        if len(self._workspaces) > 2:  # e.g. train's full and last batch
            del self._workspaces[next(iter(self._workspaces))]
        return ws


class _NoWorkspace:
    """Stands in for a Workspace: every buffer is None, so results are new arrays."""

    def __init__(self, L):
        self.z = self.a = self.dsigma = self.delta = [None] * (L + 1)
