"""Common mistakes in backpropagation, each a small wrong gradient function (chapter 9).

Almost every gradient function here takes (net, X, Y) for a two-layer
network (L = 2) and returns ([dW1, dW2], [db1, db2]), written out line by
line the way one writes backprop by hand. Two kinds differ (see
Mistake.kind): a "stateful" mistake is a class, built once from the net and
then called like a function (its state outlives a call); a "step" mistake
also takes lr and steps the net in place. `correct` (MSE cost) and
`correct_softmax` (softmax with cross-entropy) are right. Each mistake is a
copy of one of them with a line or a few changed (marked `# ✗`), paired with
its fix; `diff` shows exactly what changed. `check` runs the gradient check
of chapter 8 on both: the mistake fails it, the fix passes. `train` shows
the symptom in training, `update_outcomes` what a misshaped gradient does
to the update p − η g.

    mistake = MISTAKES["sign_flipped"]
    check(mistake)          # relative errors of the mistake and of its fix
    diff(mistake)           # the wrong lines and the fixed ones, as a diff
"""

import difflib
import html
import inspect
import re
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import gradcheck
from .data import random_batch
from .network import MLP


def _forward(net, X):
    """Return z1, a1, z2, a2 of a two-layer network (the forward pass is not where these mistakes are)."""
    cache = net.forward(X, return_cache=True)
    return cache.z[1], cache.a[1], cache.z[2], cache.a[2]


# -- the right gradient functions ---------------------------------------------------------


def correct(net, X, Y):
    """The four rules for a two-layer network with the MSE cost."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def correct_softmax(net, X, Y):
    """The four rules for a two-layer network with a softmax output and the cross-entropy cost."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = a2 - Y  # rule 1, softmax with cross-entropy
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


# -- the mistakes ---------------------------------------------------------------------------


def bias_averaged_twice(net, X, Y):
    """The 1/m is folded into δ (as many libraries do), and the bias gradient averages once more."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2) / m  # δ carries the 1/m
    d1 = (W2.T @ d2) * net.hidden.prime(z1)
    dW1 = d1 @ X.T  # so no / m here
    dW2 = d2 @ a1.T
    db1 = d1.mean(axis=1, keepdims=True)  # ✗ a mean divides by m again
    db2 = d2.mean(axis=1, keepdims=True)  # ✗
    return [dW1, dW2], [db1, db2]


def bias_averaged_twice_fixed(net, X, Y):
    """The 1/m is folded into δ, so the bias gradient sums."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2) / m  # δ carries the 1/m
    d1 = (W2.T @ d2) * net.hidden.prime(z1)
    dW1 = d1 @ X.T  # so no / m here
    dW2 = d2 @ a1.T
    db1 = d1.sum(axis=1, keepdims=True)  # ✓ and a sum here
    db2 = d2.sum(axis=1, keepdims=True)  # ✓
    return [dW1, dW2], [db1, db2]


def softmax_extra_sigma_prime(net, X, Y):
    """Softmax with cross-entropy, and rule 1 multiplied by σ'(z) = a(1 − a) anyway."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * a2 * (1 - a2)  # ✗ a σ' that is not there
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def sign_flipped(net, X, Y):
    """Rule 1 with y − a in place of a − y."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (Y - a2) * net.output.prime(z2)  # ✗ y − a
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def output_error_in_first_layer(net, X, Y):
    """The first layer's weight gradient built from δ² instead of δ¹."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d2 @ X.T / m  # ✗ δ² where δ¹ belongs
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def missing_transpose(net, X, Y):
    """Rule 2 with W² δ² in place of (W²)ᵀ δ²."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2 @ d2) * net.hidden.prime(z1)  # ✗ W2 where W2.T belongs
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def weight_gradient_without_1_over_m(net, X, Y):
    """Rule 4 without the 1/m: the sum over the batch, not the mean."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T  # ✗ no / m
    dW2 = d2 @ a1.T  # ✗
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def bias_gradient_without_1_over_m(net, X, Y):
    """Rule 3 without the 1/m: the sum of δ over the batch, not its mean."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.sum(axis=1, keepdims=True)  # ✗ a sum: no / m
    db2 = d2.sum(axis=1, keepdims=True)  # ✗
    return [dW1, dW2], [db1, db2]


def row_convention_weight_gradient(net, X, Y):
    """Rule 4 copied from the row convention (Z = XW, ∂C/∂W = Xᵀ Δ / m) into column-convention code."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = X @ d1.T / m  # ✗ a δᵀ, shaped like the row convention's W
    dW2 = a1 @ d2.T / m  # ✗
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def sigma_prime_of_activation(net, X, Y):
    """Rule 2 with σ' evaluated at a¹ = σ(z¹) instead of z¹."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(a1)  # ✗ σ'(a¹), not σ'(z¹)
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def output_sigma_prime_of_activation(net, X, Y):
    """Rule 1 with σ' evaluated at a² = σ(z²) instead of z²."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(a2)  # ✗ σ'(a²), not σ'(z²)
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def hidden_error_without_sigma_prime(net, X, Y):
    """Rule 2 without its factor σ'(z¹): (W²)ᵀ δ² alone."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = W2.T @ d2  # ✗ no ⊙ σ'(z¹)
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def sigmoid_output_with_a_minus_y(net, X, Y):
    """Rule 1 for a sigmoid output and MSE written as a − y (the softmax form)."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = a2 - Y  # ✗ the softmax and cross-entropy δ, no σ′(z²)
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def log_of_softmax_probabilities(net, X, Y):
    """Rule 1 through ∇ₐ of −Σ y ln a and the softmax Jacobian, not a − y."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    grad_a = -Y / a2  # ✗ −y/a: inf once a probability underflows to 0
    d2 = a2 * (grad_a - (a2 * grad_a).sum(0, keepdims=True))  # ✗
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def activation_for_the_layer_input(net, X, Y):
    """Rule 4 with aˡ where aˡ⁻¹ belongs: the layer's output, not its input."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ a1.T / m  # ✗ a¹ where a⁰ = X belongs
    dW2 = d2 @ a2.T / m  # ✗ a² where a¹ belongs
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def bias_gradient_without_keepdims(net, X, Y):
    """Rule 3 as a mean without keepdims: shape (n_l,), not (n_l, 1)."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1)  # ✗ shape (n₁,): keepdims forgotten
    db2 = d2.mean(axis=1)  # ✗ shape (n₂,)
    return [dW1, dW2], [db1, db2]


def cached_output_changed_in_place(net, X, Y):
    """Rule 1 with δ² an alias of the cached a², changed in place."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = a2  # ✗ a second name for the cached a², not a copy
    d2 -= Y  # ✗ so this changes a² as well
    d2 *= a2 * (1 - a2)  # ✗ σ′ = a²(1 − a²), but a² is now a² − y
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def cached_output_copied(net, X, Y):
    """Rule 1 with δ² a new array: a − y allocates one."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = a2 - Y  # ✓ a new array; a² is left alone
    d2 *= a2 * (1 - a2)  # σ′(z²) = a²(1 − a²)
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def a_form_derivative_of_z(net, X, Y):
    """Rule 2 with the sigmoid's a-form derivative, a(1 − a), applied to z¹."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * z1 * (1 - z1)  # ✗ a(1 − a) with z¹ for a¹
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def a_form_derivative_of_a(net, X, Y):
    """Rule 2 with the sigmoid's derivative in its a-form, a¹(1 − a¹)."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * a1 * (1 - a1)  # ✓ σ′(z¹) = a¹(1 − a¹)
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def output_sigma_prime_in_hidden_layer(net, X, Y):
    """Rule 2 with the output layer's σ′ where the hidden layer's belongs."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.output.prime(z1)  # ✗ the output layer's σ′
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def one_unit_sigma_prime_for_all(net, X, Y):
    """Rule 2 with the first hidden unit's σ′ broadcast to every unit."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1[0])  # ✗ unit 1's σ′, shape (m,)
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def gradients_overwritten(net, X, Y):
    """Backprop one example at a time that assigns where it should add."""
    W1, W2 = net.weights
    b1, b2 = net.biases
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    dW1, dW2 = np.zeros_like(W1), np.zeros_like(W2)
    db1, db2 = np.zeros_like(b1), np.zeros_like(b2)
    for i in range(m):  # column i is example i; [i] keeps it a column
        d2 = (a2[:, [i]] - Y[:, [i]]) * net.output.prime(z2[:, [i]])
        d1 = (W2.T @ d2) * net.hidden.prime(z1[:, [i]])
        dW1 = d1 @ X[:, [i]].T / m  # ✗ = keeps only the last example
        dW2 = d2 @ a1[:, [i]].T / m  # ✗
        db1 = d1 / m  # ✗
        db2 = d2 / m  # ✗
    return [dW1, dW2], [db1, db2]


def gradients_added_up(net, X, Y):
    """Backprop one example at a time that adds each example's share."""
    W1, W2 = net.weights
    b1, b2 = net.biases
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    dW1, dW2 = np.zeros_like(W1), np.zeros_like(W2)
    db1, db2 = np.zeros_like(b1), np.zeros_like(b2)
    for i in range(m):  # column i is example i; [i] keeps it a column
        d2 = (a2[:, [i]] - Y[:, [i]]) * net.output.prime(z2[:, [i]])
        d1 = (W2.T @ d2) * net.hidden.prime(z1[:, [i]])
        dW1 += d1 @ X[:, [i]].T / m  # ✓ the sum over the examples
        dW2 += d2 @ a1[:, [i]].T / m  # ✓
        db1 += d1 / m  # ✓
        db2 += d2 / m  # ✓
    return [dW1, dW2], [db1, db2]


def targets_as_a_column(net, X, Y):
    """Rule 1 with the targets of a single output stored as a column (m, 1)."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    y = Y.reshape(-1, 1)  # ✗ (m, 1): a² − y is then (m, m)
    d2 = (a2 - y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def targets_as_a_row(net, X, Y):
    """Rule 1 with the targets of a single output as a row (1, m), like a."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    y = Y.reshape(1, -1)  # ✓ one column per example, like a²
    d2 = (a2 - y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def integer_labels(net, X, Y):
    """Softmax with cross-entropy, and rule 1 with the class labels for y."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    labels = Y.argmax(axis=0)  # the class of each example, shape (m,)
    d2 = a2 - labels  # ✗ (K, m) − (m,): a − label in every row
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def one_hot_labels(net, X, Y):
    """Softmax with cross-entropy, and rule 1 with one-hot targets (K, m)."""
    W2 = net.weights[1]
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    labels = Y.argmax(axis=0)  # the class of each example, shape (m,)
    d2 = a2 - np.eye(a2.shape[0])[:, labels]  # ✓ one-hot, shape (K, m)
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def softmax_without_max(net, X, Y):
    """Softmax computed as exp(z) / Σ exp(z), without subtracting max z."""
    W2 = net.weights[1]
    z1, a1, z2, _ = _forward(net, X)
    m = X.shape[1]
    e = np.exp(z2)  # ✗ inf once z passes about 709; inf / inf is NaN
    a2 = e / e.sum(axis=0, keepdims=True)  # softmax(z²)
    d2 = a2 - Y  # rule 1, softmax with cross-entropy
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


def softmax_with_max(net, X, Y):
    """Softmax computed as exp(z − max z) / Σ exp(z − max z)."""
    W2 = net.weights[1]
    z1, a1, z2, _ = _forward(net, X)
    m = X.shape[1]
    e = np.exp(z2 - z2.max(axis=0, keepdims=True))  # ✓ every exp ≤ 1
    a2 = e / e.sum(axis=0, keepdims=True)  # softmax(z²)
    d2 = a2 - Y  # rule 1, softmax with cross-entropy
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
    dW1 = d1 @ X.T / m  # rule 4
    dW2 = d2 @ a1.T / m
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    db2 = d2.mean(axis=1, keepdims=True)
    return [dW1, dW2], [db1, db2]


class AccumulatedGradients:
    """Backprop that keeps dW and db on the object and adds into them."""

    def __init__(self, net):
        self.dW = [np.zeros_like(W) for W in net.weights]
        self.db = [np.zeros_like(b) for b in net.biases]

    def __call__(self, net, X, Y):
        W2 = net.weights[1]
        z1, a1, z2, a2 = _forward(net, X)
        m = X.shape[1]
        d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
        d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
        self.dW[0] += d1 @ X.T / m  # ✗ adds to the last call's
        self.dW[1] += d2 @ a1.T / m  # ✗
        self.db[0] += d1.mean(axis=1, keepdims=True)  # ✗
        self.db[1] += d2.mean(axis=1, keepdims=True)  # ✗
        return list(self.dW), list(self.db)


class ResetGradients:
    """Backprop that keeps dW and db on the object and overwrites them."""

    def __init__(self, net):
        self.dW = [np.zeros_like(W) for W in net.weights]
        self.db = [np.zeros_like(b) for b in net.biases]

    def __call__(self, net, X, Y):
        W2 = net.weights[1]
        z1, a1, z2, a2 = _forward(net, X)
        m = X.shape[1]
        d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
        d1 = (W2.T @ d2) * net.hidden.prime(z1)  # rule 2
        self.dW[0] = d1 @ X.T / m  # ✓ this call's gradient only
        self.dW[1] = d2 @ a1.T / m  # ✓
        self.db[0] = d1.mean(axis=1, keepdims=True)  # ✓
        self.db[1] = d2.mean(axis=1, keepdims=True)  # ✓
        return list(self.dW), list(self.db)


def update_before_rule_2(net, X, Y, lr):
    """A backward pass that steps each layer as it goes, W² before rule 2."""
    W1, W2 = net.weights
    b1, b2 = net.biases
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    dW2 = d2 @ a1.T / m  # rule 4
    db2 = d2.mean(axis=1, keepdims=True)  # rule 3
    W2 -= lr * dW2  # the step on layer 2, in place
    b2 -= lr * db2
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # ✗ rule 2 with the new W²
    dW1 = d1 @ X.T / m  # rule 4
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    W1 -= lr * dW1
    b1 -= lr * db1
    return [dW1, dW2], [db1, db2]


def update_after_rule_2(net, X, Y, lr):
    """A backward pass that steps each layer once rule 2 has used its W."""
    W1, W2 = net.weights
    b1, b2 = net.biases
    z1, a1, z2, a2 = _forward(net, X)
    m = X.shape[1]
    d2 = (a2 - Y) * net.output.prime(z2)  # rule 1
    d1 = (W2.T @ d2) * net.hidden.prime(z1)  # ✓ rule 2 with the old W²
    dW2 = d2 @ a1.T / m  # rule 4
    db2 = d2.mean(axis=1, keepdims=True)  # rule 3
    W2 -= lr * dW2  # the step on layer 2, in place
    b2 -= lr * db2
    dW1 = d1 @ X.T / m  # rule 4
    db1 = d1.mean(axis=1, keepdims=True)  # rule 3
    W1 -= lr * dW1
    b1 -= lr * db1
    return [dW1, dW2], [db1, db2]


@dataclass(frozen=True)
class Mistake:
    """One common mistake: wrong gradient code, its fix, its network, its symptom.

    `kind` says how the code is called: "function" for fn(net, X, Y);
    "stateful" for a class built once from the net whose instance is then
    called as fn(net, X, Y) again and again (it keeps state across calls);
    "step" for fn(net, X, Y, lr), which also steps the net and returns the
    gradient it used.
    """

    key: str
    title: str
    short: str
    wrong: Callable
    fix: Callable
    wrong_formula: str
    right_formula: str
    symptom: str
    hides_when: str
    sizes: tuple = (3, 4, 2)
    hidden: str = "sigmoid"
    output: str = "identity"
    loss: str = "mse"
    m: int = 6
    lr: float = 0.5
    kind: str = "function"
    calls: int = 1  # calls before the one that is checked, plus one
    weight_scale: float = 1.0  # the output layer's W, times this

    def network(self, sizes=None, seed=0):
        """Return the MLP this mistake is shown on (random non-zero biases), or one with other sizes."""
        net = MLP(
            list(sizes or self.sizes),
            hidden=self.hidden,
            output=self.output,
            loss=self.loss,
            seed=seed,
        )
        rng = np.random.default_rng(seed + 100)
        net.biases = [
            rng.normal(0.0, 0.5, size=b.shape) for b in net.biases
        ]
        net.weights[-1] = self.weight_scale * net.weights[-1]
        return net

    def data(self, net, m=None, seed=0):
        """Return inputs X (n0, m) and targets Y (nL, m) for a gradient check: one-hot for cross-entropy."""
        m = self.m if m is None else m
        return random_batch(net, m, np.random.default_rng(seed + 200))

    def gradient_function(self, which, net):
        """Return g(net, X, Y) -> (dWs, dbs) for the "wrong" code or its "fix".

        A "stateful" mistake is built once here, so repeated calls of g
        share its state; a "step" mistake steps a copy of the net (the
        gradient check must not move the net it checks).
        """
        if which not in ("wrong", "fix"):
            raise ValueError(
                f"which must be 'wrong' or 'fix'; got {which!r}"
            )
        fn = self.wrong if which == "wrong" else self.fix
        if self.kind == "stateful":
            return fn(net)
        if self.kind == "step":
            return lambda net, X, Y: fn(net.copy(), X, Y, self.lr)
        return fn


_SQUARE = (3, 3, 3)

MISTAKES = {
    mk.key: mk
    for mk in [
        Mistake(
            "weight_gradient_without_1_over_m",
            "A weight gradient that forgets 1/m",
            "Weight gradient without 1/m",
            weight_gradient_without_1_over_m,
            correct,
            "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
            "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ / m",
            "the step grows with the batch size: at m = 32 training "
            "diverges with a learning rate that suits the fix",
            "m = 1",
            lr=0.1,
        ),
        Mistake(
            "bias_gradient_without_1_over_m",
            "A bias gradient that sums δ where rule 3 takes the mean",
            "Bias gradient without 1/m",
            bias_gradient_without_1_over_m,
            correct,
            "∂C/∂bˡ = Σₓ δˡ(x)",
            "∂C/∂bˡ = (1/m) Σₓ δˡ(x)",
            "the biases step m times too far: at m = 32 training "
            "diverges with a learning rate that suits the fix",
            "m = 1",
            lr=0.1,
        ),
        Mistake(
            "bias_averaged_twice",
            "Averaging the bias gradient when δ already carries 1/m",
            "Bias gradient averaged twice",
            bias_averaged_twice,
            bias_averaged_twice_fixed,
            "δᴸ = (a − y) ⊙ σ′(z)/m, then ∂C/∂b = mean of δ",
            "∂C/∂b = Σ_x δ_x (δ already carries 1/m)",
            "no error, no crash: the biases learn m times slower",
            "m = 1",
        ),
        Mistake(
            "softmax_extra_sigma_prime",
            "Multiplying the softmax and cross-entropy error by σ′ again",
            "Extra σ′ on the softmax error",
            softmax_extra_sigma_prime,
            correct_softmax,
            "δᴸ = (a − y) ⊙ a ⊙ (1 − a)",
            "δᴸ = a − y",
            "learning crawls: the extra factor a(1 − a) is near 0 "
            "exactly on confidently wrong outputs",
            "never",
            sizes=(3, 4, 3),
            output="softmax",
            loss="cross_entropy",
            lr=2.0,
        ),
        Mistake(
            "sigmoid_output_with_a_minus_y",
            "δᴸ = a − y with a sigmoid output and the MSE",
            "a − y for sigmoid and MSE",
            sigmoid_output_with_a_minus_y,
            correct,
            "δᴸ = a − y",
            "δᴸ = (a − y) ⊙ σ′(zᴸ)",
            "training works: a − y descends another cost (the binary "
            "cross-entropy), so only a gradient check finds it",
            "never",
            output="sigmoid",
            lr=2.0,
        ),
        Mistake(
            "hidden_error_without_sigma_prime",
            "σ′ left out of rule 2",
            "No σ′ in rule 2",
            hidden_error_without_sigma_prime,
            correct,
            "δ¹ = (W²)ᵀ δ²",
            "δ¹ = (W²)ᵀ δ² ⊙ σ′(z¹)",
            "no error, no crash: the hidden layer's steps are up to "
            "four times too long (σ′ ≤ 1/4), and training still works",
            "identity hidden layers, where σ′ = 1",
        ),
        Mistake(
            "log_of_softmax_probabilities",
            "The log of softmax probabilities, not log-softmax of logits",
            "log of softmax probabilities",
            log_of_softmax_probabilities,
            correct_softmax,
            "∇ₐC = −y/a, then δᴸ = Jᵀ ∇ₐC",
            "δᴸ = a − y, from the logits",
            "NaN as soon as a probability underflows to 0",
            "the logits stay moderate: the formula is exact, only "
            "floating point breaks it",
            sizes=(3, 4, 3),
            output="softmax",
            loss="cross_entropy",
            lr=0.003,  # small steps: the weights are large
            weight_scale=1000.0,
        ),
        Mistake(
            "softmax_without_max",
            "Softmax without subtracting the largest logit",
            "exp(z) without max z",
            softmax_without_max,
            softmax_with_max,
            "a = exp(z) / Σₖ exp(zₖ)",
            "a = exp(z − max z) / Σₖ exp(zₖ − max z)",
            "NaN as soon as a logit passes about 709 (88 in float32)",
            "the logits stay moderate: the formula is exact, only "
            "floating point breaks it",
            sizes=(3, 4, 3),
            output="softmax",
            loss="cross_entropy",
            lr=0.003,  # small steps: the weights are large
            weight_scale=3000.0,  # logits past 709
        ),
        Mistake(
            "sign_flipped",
            "Using y − a instead of a − y",
            "y − a instead of a − y",
            sign_flipped,
            correct,
            "δᴸ = (y − a) ⊙ σ′(zᴸ)",
            "δᴸ = (a − y) ⊙ σ′(zᴸ)",
            "gradient descent climbs: the cost rises step after step",
            "never",
            output="sigmoid",
            lr=2.0,
        ),
        Mistake(
            "output_error_in_first_layer",
            "The output layer's error in the first layer's weight gradient",
            "δ² in the first layer's ∂C/∂W¹",
            output_error_in_first_layer,
            correct,
            "∂C/∂W¹ = δ² (a⁰)ᵀ / m",
            "∂C/∂W¹ = δ¹ (a⁰)ᵀ / m",
            "a shape error when n₁ ≠ n₂ > 1; when n₁ = n₂ it runs, and "
            "the cost stalls far above the fixed version's",
            "n₁ = n₂ (the shapes fit) or n₂ = 1 (the update broadcasts)",
            sizes=(3, 4, 4),
        ),
        Mistake(
            "activation_for_the_layer_input",
            "Off by one layer: aˡ where aˡ⁻¹ belongs in rule 4",
            "aˡ for aˡ⁻¹ in rule 4",
            activation_for_the_layer_input,
            correct,
            "∂C/∂Wˡ = δˡ (aˡ)ᵀ / m",
            "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ / m",
            "a shape error, unless adjacent layers are as wide: then it "
            "runs and training goes astray",
            "square layers: the shapes fit",
            sizes=_SQUARE,
            hidden="tanh",
        ),
        Mistake(
            "missing_transpose",
            "A missing transpose in (Wˡ⁺¹)ᵀ δˡ⁺¹",
            "Missing transpose in Wᵀδ",
            missing_transpose,
            correct,
            "δ¹ = W² δ² ⊙ σ′(z¹)",
            "δ¹ = (W²)ᵀ δ² ⊙ σ′(z¹)",
            "a shape error, unless W² is square: then training looks "
            "almost normal, and only a gradient check finds it",
            "W² square: the shapes fit",
            sizes=_SQUARE,
            hidden="tanh",
        ),
        Mistake(
            "row_convention_weight_gradient",
            "Row and column conventions confused (XW versus WX) in rule 4",
            "Row-convention ∂C/∂W = a δᵀ/m",
            row_convention_weight_gradient,
            correct,
            "∂C/∂Wˡ = aˡ⁻¹ (δˡ)ᵀ / m",
            "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ / m",
            "a shape error in the update W −= η ∂C/∂W, unless W is "
            "square (it runs) or has one row (W = W − η ∂C/∂W broadcasts)",
            "W square: the shapes fit",
            sizes=_SQUARE,
            hidden="tanh",
        ),
        Mistake(
            "sigma_prime_of_activation",
            "σ′ evaluated at a instead of z",
            "σ′(a) instead of σ′(z)",
            sigma_prime_of_activation,
            correct,
            "δ¹ = (W²)ᵀ δ² ⊙ σ′(a¹)",
            "δ¹ = (W²)ᵀ δ² ⊙ σ′(z¹)",
            "no error, no crash: training looks almost normal, and only "
            "a gradient check finds it",
            "ReLU or identity hidden layers, where σ′(σ(z)) = σ′(z)",
        ),
        Mistake(
            "output_sigma_prime_of_activation",
            "σ′ evaluated at a instead of z in rule 1",
            "σ′(aᴸ) in rule 1",
            output_sigma_prime_of_activation,
            correct,
            "δᴸ = (a − y) ⊙ σ′(aᴸ)",
            "δᴸ = (a − y) ⊙ σ′(zᴸ)",
            "no error, no crash: training works, and only a gradient "
            "check finds it",
            "identity or ReLU outputs, where σ′(σ(z)) = σ′(z)",
            output="sigmoid",
            lr=2.0,
        ),
        Mistake(
            "a_form_derivative_of_z",
            "The a-form of σ′ applied to z",
            "z(1 − z) for σ′(z)",
            a_form_derivative_of_z,
            a_form_derivative_of_a,
            "δ¹ = (W²)ᵀ δ² ⊙ z¹(1 − z¹)",
            "δ¹ = (W²)ᵀ δ² ⊙ a¹(1 − a¹)",
            "training diverges: z(1 − z) is negative outside 0 < z < 1, "
            "so there the error is pushed the wrong way",
            "never: z(1 − z) is far from σ′(z) = a(1 − a) at every z",
        ),
        Mistake(
            "output_sigma_prime_in_hidden_layer",
            "The output layer's σ′ in a hidden layer",
            "Output σ′ in the hidden layer",
            output_sigma_prime_in_hidden_layer,
            correct,
            "δ¹ = (W²)ᵀ δ² ⊙ σ′_out(z¹)",
            "δ¹ = (W²)ᵀ δ² ⊙ σ′_hid(z¹)",
            "training works: σ′ and tanh′ are both positive, so the "
            "steps still go downhill, and only a gradient check finds it",
            "hidden and output layers share one activation",
            hidden="tanh",
            output="sigmoid",
            lr=2.0,
        ),
        Mistake(
            "one_unit_sigma_prime_for_all",
            "One unit's σ′ used for every unit of the layer",
            "One unit's σ′ for all units",
            one_unit_sigma_prime_for_all,
            correct,
            "δ¹ⱼ = ((W²)ᵀ δ²)ⱼ σ′(z¹₁) for every j",
            "δ¹ⱼ = ((W²)ᵀ δ²)ⱼ σ′(z¹ⱼ)",
            "no error, no crash: every hidden unit learns at the rate "
            "of unit 1, and the cost levels off above the fix's",
            "a hidden layer of one unit, n₁ = 1",
            hidden="tanh",
        ),
        Mistake(
            "bias_gradient_without_keepdims",
            "A bias gradient of shape (n,) from a mean without keepdims",
            "(n,) bias gradient",
            bias_gradient_without_keepdims,
            correct,
            "∂C/∂b = δ.mean(axis=1), shape (n,)",
            "∂C/∂b = δ.mean(axis=1, keepdims=True), (n, 1)",
            "the update b = b − η ∂C/∂b broadcasts (n, 1) against (n,) "
            "into an (n, n) matrix",
            "n_l = 1: (1, 1) − (1,) stays (1, 1)",
        ),
        Mistake(
            "targets_as_a_column",
            "Targets of shape (m, 1) against outputs of shape (1, m)",
            "(m, 1) targets for (1, m) outputs",
            targets_as_a_column,
            targets_as_a_row,
            "δᴸ from a (1, m) − y (m, 1), shape (m, m)",
            "δᴸ from a (1, m) − y (1, m), shape (1, m)",
            "a shape error in rule 2; a cost computed with the same "
            "broadcast runs and prints a number that means nothing",
            "m = 1: (1, 1) − (1, 1) stays (1, 1)",
            sizes=(3, 4, 1),
        ),
        Mistake(
            "integer_labels",
            "Integer class labels where one-hot targets belong",
            "Labels for one-hot targets",
            integer_labels,
            one_hot_labels,
            "δᴸ = a − label, label ∈ {0, …, K − 1}, shape (m,)",
            "δᴸ = a − y, y one-hot, shape (K, m)",
            "no error, no crash: every output is pulled towards the "
            "label's value, and the cost levels off high",
            "never: (K, m) − (m,) always broadcasts",
            sizes=(3, 4, 3),
            output="softmax",
            loss="cross_entropy",
            lr=2.0,
        ),
        Mistake(
            "cached_output_changed_in_place",
            "An in-place change of a cached array through an alias",
            "Cached a² changed in place",
            cached_output_changed_in_place,
            cached_output_copied,
            "d = a²; d −= y; d *= a²(1 − a²)",
            "d = a² − y; d *= a²(1 − a²)",
            "no error, no crash; and the cache no longer holds the "
            "forward pass",
            "the changed array is not read again",
            output="sigmoid",
            lr=2.0,
        ),
        Mistake(
            "gradients_accumulated",
            "Gradients accumulated across calls (no reset)",
            "Gradients never reset",
            AccumulatedGradients,
            ResetGradients,
            "dW += δ (aˡ⁻¹)ᵀ / m at every call",
            "dW = δ (aˡ⁻¹)ᵀ / m (or reset to 0 first)",
            "the first check passes; then every step adds all past "
            "gradients, and training overshoots",
            "one call: the first gradient is right",
            kind="stateful",
            calls=2,
            lr=0.5,
        ),
        Mistake(
            "gradients_overwritten",
            "Gradients overwritten in a loop over the examples",
            "dW = … where dW += … belongs",
            gradients_overwritten,
            gradients_added_up,
            "dW = δ_x (aˡ⁻¹_x)ᵀ / m for each x in turn",
            "dW += δ_x (aˡ⁻¹_x)ᵀ / m for each x in turn",
            "no error, no crash: each step learns the batch's last "
            "example, at 1/m of the step, and the cost levels off",
            "m = 1: the last example is the only one",
        ),
        Mistake(
            "update_before_rule_2",
            "W² updated before rule 2 uses it",
            "W² stepped before rule 2",
            update_before_rule_2,
            update_after_rule_2,
            "δ¹ = (W² − η ∂C/∂W²)ᵀ δ² ⊙ σ′(z¹)",
            "δ¹ = (W²)ᵀ δ² ⊙ σ′(z¹), then step",
            "training runs and converges, a little off the true "
            "gradient path",
            "a small learning rate: the error is of order η",
            kind="step",
            lr=0.5,
        ),
    ]
}


def get(mistake):
    """Return the Mistake called mistake (a key of MISTAKES), or mistake itself."""
    if isinstance(mistake, Mistake):
        return mistake
    if mistake not in MISTAKES:
        raise ValueError(
            f"unknown mistake {mistake!r}; expected one of {list(MISTAKES)}"
        )
    return MISTAKES[mistake]


def _body(fn):
    """Return the source lines of fn without its docstring."""
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    return [line for line in lines if not line.strip().startswith('"""')]


def diff(mistake):
    """Return the Code (a diff) between the wrong gradient function and its fix, whole functions."""
    mistake = get(mistake)
    wrong, fix = _body(mistake.wrong), _body(mistake.fix)
    out = ["  " + wrong[0]]
    wrong, fix = wrong[1:], fix[1:]
    for line in difflib.ndiff(wrong, fix):
        tag, text = line[:1], line[2:]
        if tag in "-+ ":
            out.append(("  " if tag == " " else tag + " ") + text)
    return Code("\n".join(out), "diff")


def source(fn):
    """Return the Code of a gradient function of this module."""
    return Code("\n".join(_body(fn)), "python")


@dataclass
class Code:
    """Source code that displays as a highlighted Markdown code block, or as plain text."""

    text: str
    language: str = "python"

    def __str__(self):
        return self.text

    __repr__ = __str__

    def _repr_markdown_(self):
        return f"```{self.language}\n{self.text}\n```"


# -- the gradient check ---------------------------------------------------------------------


@dataclass
class Comparison:
    """Relative errors of one gradient function against finite differences.

    errors maps a parameter name to its relative error; shapes maps the
    name of a gradient that is not shaped like its parameter to the shape
    it has. failure says why no overall error exists (a shape error, an
    exception, a NaN), else None.
    """

    errors: dict
    overall: float | None
    failure: str | None = None
    shapes: dict = field(default_factory=dict)

    @property
    def verdict(self):
        """Return 'correct', 'wrong', 'suspect ...' or the failure."""
        return self.failure or gradcheck.verdict(self.overall)

    @property
    def passes(self):
        """Return True when the overall relative error is below GOOD."""
        return self.failure is None and self.overall < gradcheck.GOOD


def _names(net):
    return [f"W^{l}" for l in range(1, net.L + 1)] + [
        f"b^{l}" for l in range(1, net.L + 1)
    ]


def _compare(grad, net, X, Y, nWs, nbs, calls=1):
    """Compare the last of `calls` calls of grad(net, X, Y) with nWs, nbs."""
    names = _names(net)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for _ in range(calls):
                dWs, dbs = grad(net, X, Y)
    except ValueError as err:
        return Comparison({}, None, f"shape error: {_short_error(err)}")
    got, ref = [*dWs, *dbs], [*nWs, *nbs]
    errors, shapes = {}, {}
    for name, g, r in zip(names, got, ref):
        if np.shape(g) != r.shape:
            shapes[name] = np.shape(g)
            if np.size(g) != r.size:
                continue
            g = np.reshape(g, r.shape)  # same numbers, other shape
        errors[name] = gradcheck.relative_error(g, r)
    if shapes:
        name, shape = next(iter(shapes.items()))
        i = names.index(name)
        return Comparison(
            errors,
            None,
            f"shape error: ∂C/∂{name} has shape {shape}, "
            f"{name} has {ref[i].shape}",
            shapes,
        )
    overall = gradcheck.relative_error(
        gradcheck.flatten(dWs, dbs), gradcheck.flatten(nWs, nbs)
    )
    if not np.isfinite(overall):
        return Comparison(errors, overall, "NaN in the gradient")
    return Comparison(errors, overall)


def _short_error(err):
    """Return the first line of a NumPy shape error, matmul's shortened."""
    first = str(err).splitlines()[0]
    sizes = re.search(r"\(size \d+ is different from \d+\)", first)
    if first.startswith("matmul") and sizes:
        return f"matmul refuses the shapes {sizes.group(0)}"
    return first


def _describe(net, m):
    cost = "cross-entropy" if net.loss_name == "cross_entropy" else "MSE"
    return (
        f"{'-'.join(map(str, net.sizes))} network ({net.hidden.name} hidden, {net.output.name} output, "
        f"{cost}), m = {m}"
    )


@dataclass
class MistakeCheck:
    """The gradient check of a mistake and of its fix on one network."""

    mistake: Mistake
    network: str
    wrong: Comparison
    fixed: Comparison

    def rows(self):
        """Return (parameter, wrong, fixed) rows of relative errors, then the overall row."""

        def fmt(c, k):
            if k in c.shapes:
                shape = c.shapes[k]
                if k in c.errors:
                    return f"{c.errors[k]:.1e}, shape {shape}"
                return f"shape {shape}"
            return f"{c.errors[k]:.2e}" if k in c.errors else "—"

        keys = list(self.fixed.errors)
        rows = [(k, fmt(self.wrong, k), fmt(self.fixed, k)) for k in keys]
        overall = lambda c: c.failure or f"{c.overall:.2e} ({c.verdict})"
        rows.append(("overall", overall(self.wrong), overall(self.fixed)))
        return rows

    def __str__(self):
        lines = [
            f"{self.mistake.title}: gradient check on a {self.network}",
            f"{'parameter':>10}  {'the mistake':<28}  the fix",
        ]
        lines += [f"{p:>10}  {w:<28}  {f}" for p, w, f in self.rows()]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        head = (
            f"<p>Gradient check on a {html.escape(self.network)}: relative error of each gradient "
            f"against centered differences.</p>"
        )
        rows = "".join(
            f"<tr><td>{html.escape(p)}</td><td>{html.escape(w)}</td><td>{html.escape(f)}</td></tr>"
            for p, w, f in self.rows()
        )
        return (
            head
            + '<table class="bp-mistake-check"><thead><tr><th>parameter</th><th>the mistake</th>'
            f"<th>the fix</th></tr></thead><tbody>{rows}</tbody></table>"
        )


def check(mistake, sizes=None, m=None, seed=0, calls=None):
    """Gradient-check a mistake and its fix on its network (or on sizes, with m examples).

    A "stateful" mistake is called `calls` times (its own default) on the
    same batch, and the last call is checked.
    """
    mistake = get(mistake)
    net = mistake.network(sizes, seed)
    m = mistake.m if m is None else m
    calls = mistake.calls if calls is None else calls
    X, Y = mistake.data(net, m, seed)
    nWs, nbs = gradcheck.numerical_gradients(net, X, Y)
    return MistakeCheck(
        mistake,
        _describe(net, m),
        *(
            _compare(
                mistake.gradient_function(which, net),
                net,
                X,
                Y,
                nWs,
                nbs,
                calls,
            )
            for which in ("wrong", "fix")
        ),
    )


# -- when does a mistake hide? ----------------------------------------------------------

#: The three situations of `hiding_table`: (label, sizes, m).
SITUATIONS = (
    ("one example, layers 3-4-2", (3, 4, 2), 1),
    ("a batch of 6, layers 3-4-2", (3, 4, 2), 6),
    ("a batch of 6, square layers 3-3-3", _SQUARE, 6),
)

#: A network with a single output: its width-1 layer lets shapes broadcast.
SINGLE_OUTPUT = (3, 4, 1)


def hiding(mistake, seed=0):
    """Return {situation label: (status, text)} with status 'hidden', 'caught' or 'shape error'."""
    mistake = get(mistake)
    out = {}
    for label, sizes, m in SITUATIONS:
        wrong = check(mistake, sizes, m, seed).wrong
        if wrong.failure and wrong.failure.startswith("shape error"):
            out[label] = ("shape error", "shape error")
        elif wrong.failure:
            out[label] = ("caught", "caught (NaN)")
        elif wrong.overall < gradcheck.GOOD:
            out[label] = ("hidden", f"hidden ({wrong.overall:.0e})")
        else:
            out[label] = ("caught", f"caught ({wrong.overall:.2f})")
    return out


def update_outcomes(mistake, sizes=SINGLE_OUTPUT, m=6, seed=0):
    """Return {parameter: outcome} of the step p − η g for every gradient g shaped unlike p.

    The outcome is "raises" (NumPy refuses the shapes), "broadcasts" (the
    step runs and p keeps its shape, with the wrong numbers) or "grows to
    SHAPE" (the step runs and p changes shape). An empty dict means every
    gradient has its parameter's shape; None means the gradient code
    itself raised.
    """
    mistake = get(mistake)
    net = mistake.network(sizes, seed)
    X, Y = mistake.data(net, m, seed)
    grad = mistake.gradient_function("wrong", net)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            dWs, dbs = grad(net, X, Y)
    except ValueError:
        return None
    out = {}
    params = [*net.weights, *net.biases]
    for name, p, g in zip(_names(net), params, [*dWs, *dbs]):
        if np.shape(g) == p.shape:
            continue
        try:
            stepped = p - mistake.lr * g
        except ValueError:
            out[name] = "raises"
            continue
        out[name] = (
            "broadcasts"
            if stepped.shape == p.shape
            else f"grows to {stepped.shape}"
        )
    return out


def _outcome_text(outcomes):
    if outcomes is None:
        return "shape error"
    if not outcomes:
        return "shapes right"
    return "; ".join(f"{k}: {v}" for k, v in outcomes.items())


@dataclass
class Table:
    """A table that displays as HTML in Jupyter and in the book, and as aligned text elsewhere."""

    header: list
    rows: list
    caption: str = ""

    def __str__(self):
        cols = list(zip(self.header, *self.rows))
        widths = [max(len(str(x)) for x in col) for col in cols]
        line = lambda r: "  ".join(
            str(x).ljust(w) for x, w in zip(r, widths)
        ).rstrip()
        out = (
            ([self.caption] if self.caption else [])
            + [line(self.header)]
            + [line(r) for r in self.rows]
        )
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self):
        cap = (
            f"<caption>{html.escape(self.caption)}</caption>"
            if self.caption
            else ""
        )
        head = "".join(
            f"<th>{html.escape(str(h))}</th>" for h in self.header
        )
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(str(x))}</td>" for x in r)
            + "</tr>"
            for r in self.rows
        )
        return f'<table class="bp-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def hiding_table(seed=0):
    """Return a Table: is each mistake caught by a gradient check in each of the SITUATIONS, and what does its update do on a single-output net?"""
    rows = []
    for mistake in MISTAKES.values():
        found = hiding(mistake, seed)
        rows.append(
            [mistake.short]
            + [found[label][1] for label, _, _ in SITUATIONS]
            + [_outcome_text(update_outcomes(mistake, seed=seed))]
        )
    return Table(
        ["mistake"]
        + [label for label, _, _ in SITUATIONS]
        + ["the step p − η ∂C/∂p on 3-4-1"],
        rows,
        "Gradient check of each mistake (overall relative error): "
        "hidden below 1e-7, caught above 1e-4",
    )


def summary_table(checks):
    """Return a Table summing up the chapter from a dict {key: MistakeCheck}."""
    rows = []
    for result in checks.values():
        mk = result.mistake
        wrong = result.wrong.failure or f"{result.wrong.overall:.2g}"
        rows.append(
            [
                mk.title,
                mk.wrong_formula,
                mk.right_formula,
                f"{wrong} → {result.fixed.overall:.0e}",
                mk.symptom,
                mk.hides_when,
            ]
        )
    return Table(
        [
            "mistake",
            "wrong formula",
            "fix",
            "relative error, mistake → fix",
            "symptom",
            "hides when",
        ],
        rows,
    )


# -- the symptom: training with the wrong gradient ------------------------------------------


@dataclass
class Curves:
    """The cost per gradient-descent step with the wrong gradient and with the fix.

    diverged: the wrong run's cost became NaN or inf or grew 10⁴-fold;
    crashed: why the wrong run stopped with an error (a parameter changed
    shape, or NumPy refused the shapes), else None.
    """

    mistake: Mistake
    wrong: np.ndarray
    fixed: np.ndarray
    diverged: bool
    crashed: str | None = None


def teacher_data(mistake, n=32, seed=0):
    """Return X (n0, n) and targets Y made by a random 'teacher' network of the same shape."""
    mistake = get(mistake)
    teacher = MLP(
        list(mistake.sizes),
        hidden=mistake.hidden,
        output=mistake.output,
        loss=mistake.loss,
        seed=seed + 7,
    )
    rng = np.random.default_rng(seed + 300)
    teacher.weights = [2 * W for W in teacher.weights]
    teacher.biases = [
        rng.normal(0.0, 0.5, size=b.shape) for b in teacher.biases
    ]
    X = rng.normal(size=(mistake.sizes[0], n))
    out = teacher.forward(X)
    if mistake.loss == "cross_entropy":
        Y = np.zeros_like(out)
        Y[np.argmax(out, axis=0), np.arange(n)] = 1.0
        return X, Y
    return X, out


def _steps(mistake, which, net, X, Y, steps):
    """Yield the cost after each of `steps` gradient-descent steps of net."""
    start = net.loss(X, Y)
    if mistake.kind == "step":
        fn = mistake.fix if which == "fix" else mistake.wrong
        step = lambda: fn(net, X, Y, mistake.lr)  # steps net itself
    else:
        grad = mistake.gradient_function(which, net)

        def step():
            dWs, dbs = grad(net, X, Y)
            # p = p − η g, not p −= η g: NumPy's broadcasting, as in
            # hand-written code, decides what happens to a misshaped g.
            net.weights = [
                W - mistake.lr * dW for W, dW in zip(net.weights, dWs)
            ]
            net.biases = [
                b - mistake.lr * db for b, db in zip(net.biases, dbs)
            ]

    for _ in range(steps):
        step()
        loss = net._loss(net._forward(X), Y)  # raises on a wrong shape
        yield loss
        if not np.isfinite(loss) or loss > 1e4 * start:
            return


def train(mistake, steps=150, n=32, seed=0):
    """Return Curves: full-batch gradient descent with the mistake's wrong gradient and with its fix."""
    mistake = get(mistake)
    X, Y = teacher_data(mistake, n, seed)
    curves, diverged, crashed = {}, False, None
    for which in ("wrong", "fix"):
        net = mistake.network(seed=seed + 1)
        losses = [net.loss(X, Y)]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                for loss in _steps(mistake, which, net, X, Y, steps):
                    if not np.isfinite(loss) or loss > 1e4 * losses[0]:
                        diverged = diverged or which == "wrong"
                        break
                    losses.append(loss)
            except ValueError as err:
                if which == "fix":
                    raise
                crashed = f"step {len(losses)}: {str(err).splitlines()[0]}"
        curves[which] = np.array(losses)
    return Curves(
        mistake, curves["wrong"], curves["fix"], diverged, crashed
    )


#: How loud a mistake is in training, in the order `loudness` tests them.
LOUDNESS = {
    "loud": "the run diverges, crashes, or its cost rises",
    "visible": "the cost levels off at least 3 times above the fix's",
    "silent": "the cost ends within a factor 3 of the fix's",
}


def loudness(curves):
    """Return 'loud', 'visible' or 'silent' (see LOUDNESS) for the Curves of a training run."""
    wrong, fixed = curves.wrong, curves.fixed
    if curves.diverged or curves.crashed or wrong[-1] > wrong[0]:
        return "loud"
    if wrong[-1] > 3 * fixed[-1]:
        return "visible"
    return "silent"


def _draw_symptom(ax, curves, fontsize=8):
    """Draw one mistake's training curves, wrong against fixed, on ax."""
    ax.plot(curves.fixed, color="#1f77b4", label="fixed")
    ax.plot(curves.wrong, color="#d62728", linestyle="--", label="mistake")
    if curves.diverged or curves.crashed:
        ax.plot(
            len(curves.wrong) - 1,
            curves.wrong[-1],
            "x",
            color="#d62728",
            markersize=fontsize + 2,
        )
        ax.annotate(
            "diverged" if curves.diverged else "crashed",
            (len(curves.wrong) - 1, curves.wrong[-1]),
            textcoords="offset points",
            xytext=(4, -12),
            fontsize=fontsize - 1,
            color="#d62728",
        )
    ax.set_yscale("log")
    ax.set_title(textwrap.fill(curves.mistake.short, 34), fontsize=fontsize)
    ax.tick_params(labelsize=fontsize - 1)


def plot_symptoms(all_curves, ncols=3, fontsize=11):
    """Return a Figure with one panel per mistake: the cost during training, wrong against fixed."""
    import matplotlib.pyplot as plt

    rows = -(-len(all_curves) // ncols)
    fig, axes = plt.subplots(
        rows, ncols, figsize=(3.6 * ncols, 3.0 * rows), squeeze=False
    )
    for ax, curves in zip(axes.flat, all_curves):
        _draw_symptom(ax, curves, fontsize)
    for ax in axes.flat[len(all_curves) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("step", fontsize=fontsize - 1)
    for ax in axes[:, 0]:
        ax.set_ylabel("cost C", fontsize=fontsize - 1)
    axes.flat[0].legend(fontsize=fontsize - 1)
    fig.tight_layout()
    return fig


def _symptom_alt(curves):
    """Return the alt text of one symptom panel, from its numbers."""
    wrong, fixed = curves.wrong, curves.fixed
    if curves.crashed:
        end = f"stops with an error at step {len(wrong)}"
    elif curves.diverged:
        end = f"diverges at step {len(wrong)}"
    else:
        end = f"ends at {wrong[-1]:.2g}"
    return (
        f"{curves.mistake.short}: cost against training step on a "
        f"log scale. The fixed gradient (solid) falls from "
        f"{fixed[0]:.2g} to {fixed[-1]:.2g}; the mistake (dashed) {end}."
    )


@dataclass
class SymptomPanels:
    """Training curves, one small figure per mistake, that wrap: side by side on a wide screen, stacked on a phone."""

    all_curves: list
    fontsize: int = 12

    def figures(self):
        """Return one (Figure, alt text) per mistake."""
        import matplotlib.pyplot as plt

        out = []
        for curves in self.all_curves:
            fig, ax = plt.subplots(figsize=(3.4, 2.7))
            _draw_symptom(ax, curves, self.fontsize)
            ax.set_xlabel("step", fontsize=self.fontsize - 1)
            ax.set_ylabel("cost C", fontsize=self.fontsize - 1)
            ax.legend(fontsize=self.fontsize - 2)
            fig.tight_layout()
            out.append((fig, _symptom_alt(curves)))
        return out

    def _repr_html_(self):
        import base64
        import io

        import matplotlib.pyplot as plt

        items = []
        for fig, alt in self.figures():
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=100)
            plt.close(fig)
            data = base64.b64encode(buf.getvalue()).decode("ascii")
            items.append(
                '<img style="width: 340px; max-width: 100%; height: auto" '
                f'alt="{html.escape(alt)}" '
                f'src="data:image/png;base64,{data}">'
            )
        return (
            '<div class="bp-symptoms" style="display: flex; '
            'flex-wrap: wrap; gap: 8px">' + "".join(items) + "</div>"
        )

    def __repr__(self):
        return "\n".join(_symptom_alt(c) for c in self.all_curves)
