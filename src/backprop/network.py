"""The multilayer perceptron whose gradients are the four rules composed.

Forward pass: chapter 1. Backward pass: chapter 7, built from the four rule
functions of `backprop.rules` (chapters 3 to 6).

Indexing: the text numbers layers l = 1..L, Python lists start at 0, so
`weights[l - 1]` is W^l and `biases[l - 1]` is b^l. The forward cache is
padded instead, so that `cache.z[l]` is z^l and `cache.a[l]` is a^l
(`cache.z[0]` is None, `cache.a[0]` is the input x).

Memory (chapter 12): every pass returns new arrays, unless its caller
passes `Buffers` for the batch size, arrays that the pass writes into
instead. The training loop does, so that a step allocates no large arrays.
The arithmetic is the same either way, bit for bit.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import activations, checks, losses, rules


@dataclass
class ForwardCache:
    """The z^l and a^l of every layer: z[l] (n_l, m) for l ≥ 1, a[l] (n_l, m) for l ≥ 0."""

    z: list
    a: list


class Buffers:
    """Arrays that passes write into, for one batch size m (chapter 12).

    z[l], a[l], dsigma[l] (σ'(z^l)) and delta[l] (δ^l) are (n_l, m) for
    l = 1..L, index 0 being None (a^0 is the input itself); dWs[l - 1]
    and dbs[l - 1] are shaped like W^l and b^l. Each list is allocated
    when a pass first uses it. A pass into the same Buffers overwrites
    the previous pass's results.
    """

    def __init__(self, sizes, m):
        """Prepare buffers for layer sizes [n0, ..., nL] and m examples."""
        self.sizes, self.m = list(sizes), m

    def _per_layer(self):
        return [None] + [np.empty((n, self.m)) for n in self.sizes[1:]]

    z = cached_property(_per_layer)
    a = cached_property(_per_layer)
    dsigma = cached_property(_per_layer)
    delta = cached_property(_per_layer)

    @cached_property
    def dWs(self):
        """The arrays for ∂C/∂W^l, shaped like the weights."""
        return [
            np.empty((n, k)) for n, k in zip(self.sizes[1:], self.sizes)
        ]

    @cached_property
    def dbs(self):
        """The arrays for ∂C/∂b^l, shaped like the biases."""
        return [np.empty((n, 1)) for n in self.sizes[1:]]


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

    def _forward(self, X, buffers=None):
        # With Buffers, z^l and a^l are written into them (chapter 12).
        self._check_parameters()
        b = self._buffers(buffers, X.shape[1])
        z, a = [None], [X]
        for l in range(1, self.L + 1):
            z_l = np.matmul(self.weights[l - 1], a[l - 1], out=b.z[l])
            z_l += self.biases[l - 1]  # z^l = W^l a^{l-1} + b^l, in place
            z.append(z_l)
            a.append(self.activation(l).f(z_l, out=b.a[l]))  # σ(z^l)
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

    def backward(self, cache, Y, buffers=None):
        """Return (dWs, dbs, deltas) from a ForwardCache and Y (nL, m).

        deltas[l] is δ^l. New arrays, or written into `buffers`, Buffers
        for this batch size, when given (chapter 12).
        """
        L, z, a = self.L, cache.z, cache.a
        b = self._buffers(buffers, Y.shape[1])
        if self.loss_name == "cross_entropy":
            # rule 1 in the softmax form: δ^L = a^L − y
            delta = losses.cross_entropy_delta(a[L], Y, out=b.delta[L])
        else:
            # rule 1: δ^L = ∇_a C_x ⊙ σ'(z^L)
            grad_a = losses.mse_grad(a[L], Y, out=b.delta[L])
            dsigma = self.output.prime(z[L], out=b.dsigma[L])
            delta = rules.output_error(grad_a, dsigma, out=b.delta[L])
        deltas = [None] * (L + 1)
        dWs, dbs = [None] * L, [None] * L
        for l in range(L, 0, -1):
            # lists count from 0: weights[l] is W^{l+1} and dWs[l - 1]
            # is ∂C/∂W^l; the padded cache has z[l] = z^l
            if l < L:
                # rule 2: δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l)
                dsigma = self.hidden.prime(z[l], out=b.dsigma[l])
                delta = rules.hidden_error(
                    self.weights[l], delta, dsigma, out=b.delta[l]
                )
            deltas[l] = delta
            # rule 4 and rule 3: the gradients of layer l
            dWs[l - 1] = rules.weight_gradient(
                delta, a[l - 1], out=b.dWs[l - 1]
            )
            dbs[l - 1] = rules.bias_gradient(delta, out=b.dbs[l - 1])
        return dWs, dbs, deltas

    def gradients(self, X, Y, buffers=None):
        """Return (dWs, dbs), ∂C/∂W^l and ∂C/∂b^l, shaped like W^l and b^l.

        New arrays; or, given Buffers for the batch size m of X, the arrays
        of `buffers`, which the next call with them overwrites (chapter 12).
        """
        X = self.check_X(X)
        Y = self.check_Y(Y, X.shape[1])
        b = self._buffers(buffers, X.shape[1])
        dWs, dbs, _ = self.backward(self._forward(X, b), Y, b)
        return dWs, dbs

    def _buffers(self, buffers, m):
        """Return buffers, checked against this network and m, or fresh Buffers."""
        if buffers is None:
            return Buffers(self.sizes, m)
        if not isinstance(buffers, Buffers):
            raise TypeError(
                f"buffers must be backprop.network.Buffers (or None); got {type(buffers).__name__}"
            )
        if buffers.sizes != self.sizes or buffers.m != m:
            raise ValueError(
                f"buffers were made for sizes {buffers.sizes} and m = {buffers.m}; "
                f"this pass needs sizes {self.sizes} and m = {m}"
            )
        return buffers
