"""A small reverse-mode autograd engine over NumPy arrays (chapter 13).

Chapter 2 draws a layer as a graph of nodes, each passing back "local
gradient × upstream gradient", with gradients adding where paths merge.
This module runs that graph for any function built from its operations, in
the style of micrograd: every operation records its inputs and a closure
`_backward` beside its forward computation, and `Tensor.backward()` calls
the closures from the output down, in reverse topological order.

    x = Tensor(np.ones((3, 1)))
    C = (sigmoid(W @ x + b) - y).sum()
    C.backward()          # now W.grad, b.grad, x.grad: ∂C/∂W, ...

Chapter 13 shows that, on an MLP, these closures compute the four rules.
"""

import numpy as np

from .gradcheck import relative_error


def _as_data(data):
    """Return data as a float64 array, or raise TypeError if not numbers."""
    try:
        array = np.asarray(data)
    except ValueError as err:  # ragged nested lists
        raise TypeError(
            f"Tensor data must be numbers in a grid: {err}"
        ) from None
    if array.dtype.kind not in "biuf":  # bool, int, unsigned, float
        raise TypeError(
            "Tensor data must be real numbers (a number or an array of "
            f"them); got {type(data).__name__} of dtype {array.dtype}"
        )
    return array.astype(np.float64)


def _unbroadcast(grad, shape):
    """Sum grad back to the operand's shape (rule 3, chapter 5).

    NumPy broadcasting copies an operand along new leading axes and along
    axes of length 1; a copied value's gradient is the sum over its copies.
    """
    while grad.ndim > len(shape):  # leading axes that broadcasting added
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """A node of the graph: .data, and .grad after backward()."""

    __array_ufunc__ = None  # array ⊕ Tensor calls Tensor's __radd__ etc.

    def __init__(self, data, _parents=(), _op=""):
        """Wrap data (a number or array) as float64; _parents made it."""
        self.data = _as_data(data)
        self.grad = np.zeros_like(self.data)
        self._backward = lambda: None  # leaves pass nothing further back
        self._parents = _parents
        self._op = _op

    @property
    def shape(self):
        """Return the shape of .data."""
        return self.data.shape

    def __repr__(self):
        return f"Tensor(shape={self.shape}, op={self._op!r})"

    def __add__(self, other):
        """Return self + other, broadcast as NumPy does (chapter 5)."""
        other = _lift(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward():
            # local gradient 1 for both inputs; a broadcast bias (n, 1)
            # over (n, m) sums its m copies' gradients: rule 3
            self.grad += _unbroadcast(out.grad, self.shape)
            other.grad += _unbroadcast(out.grad, other.shape)

        out._backward = _backward
        return out

    def __mul__(self, other):
        """Return self ⊙ other, element-wise, broadcast (chapter 3)."""
        other = _lift(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def _backward():
            # each factor's local gradient is the other factor
            self.grad += _unbroadcast(other.data * out.grad, self.shape)
            other.grad += _unbroadcast(self.data * out.grad, other.shape)

        out._backward = _backward
        return out

    def __matmul__(self, other):
        """Return self @ other for (p, q) and (q, r) (chapters 4, 6)."""
        other = _lift(other)
        if self.data.ndim != 2 or other.data.ndim != 2:
            raise ValueError(
                "@ multiplies matrices (2-d); got shapes "
                f"{self.shape} and {other.shape}"
            )
        if self.shape[1] != other.shape[0]:
            raise ValueError(
                f"cannot multiply shapes {self.shape} @ {other.shape}: "
                f"{self.shape[1]} columns against {other.shape[0]} rows"
            )
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward():
            # z = W a: ∂C/∂W = δ aᵀ (rule 4), ∂C/∂a = Wᵀ δ (rule 2's Wᵀ)
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad

        out._backward = _backward
        return out

    @property
    def T(self):
        """Return the transpose; its gradient is the transposed gradient."""
        out = Tensor(self.data.T, (self,), "T")

        def _backward():
            self.grad += out.grad.T

        out._backward = _backward
        return out

    def sum(self, axis=None, keepdims=False):
        """Return the sum over axis (all entries if None), as np.sum."""
        out = Tensor(self.data.sum(axis, keepdims=keepdims), (self,), "sum")

        def _backward():
            # every entry reaches the sum with local gradient 1
            grad = out.grad
            if axis is not None and not keepdims:
                grad = np.expand_dims(grad, axis)
            self.grad += np.broadcast_to(grad, self.shape)

        out._backward = _backward
        return out

    def mean(self, axis=None, keepdims=False):
        """Return the mean over axis: the sum times 1/count (chapter 7)."""
        total = self.sum(axis, keepdims)
        return total * (total.data.size / self.data.size)

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_lift(other))

    def __rsub__(self, other):
        return _lift(other) + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    def __rmatmul__(self, other):
        return _lift(other) @ self

    def backward(self):
        """Set t.grad = ∂self/∂t for every t self depends on (chapter 2).

        Gradients start from zero on every call (PyTorch adds to them until
        they are reset: chapter 9, mistake 13).
        """
        if self.data.size != 1:
            raise ValueError(
                "backward() needs a scalar (a 0-d or size-1 tensor) to "
                f"differentiate; got shape {self.shape}: reduce it "
                "first, e.g. with .sum() or .mean()"
            )
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros_like(node.data)
        self.grad = np.ones_like(self.data)  # ∂C/∂C = 1
        for node in reversed(order):  # every user before what it uses
            node._backward()


def _lift(x):
    """Return x as a Tensor (a number or array becomes a constant)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def topological_order(root):
    """Return root and all it depends on, each after its parents.

    A depth-first search with an explicit stack, so deep graphs do not
    meet Python's recursion limit.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents)
    return order


def _elementwise(x, y, dy_dx, op):
    """Return the node y = f(x), local gradient dy_dx (chapters 3, 4)."""
    out = Tensor(y, (x,), op)

    def _backward():
        # ⊙ σ'(z): the Hadamard factor of rules 1 and 2
        x.grad += dy_dx * out.grad

    out._backward = _backward
    return out


def relu(x):
    """Return max(0, x) element-wise; slope 0 at the kink (chapter 1)."""
    return _elementwise(x, np.maximum(x.data, 0.0), x.data > 0, "relu")


def sigmoid(x):
    """Return σ(x) = 1 / (1 + e^{-x}) element-wise (chapter 1)."""
    s = np.exp(-np.logaddexp(0.0, -x.data))  # no overflow for any x
    return _elementwise(x, s, s * (1.0 - s), "sigmoid")


def tanh(x):
    """Return tanh(x) element-wise (chapter 1)."""
    t = np.tanh(x.data)
    return _elementwise(x, t, 1.0 - t**2, "tanh")


def exp(x):
    """Return e^x element-wise, its own derivative (chapter 3, softmax)."""
    e = np.exp(x.data)
    return _elementwise(x, e, e, "exp")


def log(x):
    """Return ln x element-wise for x > 0, derivative 1/x (chapter 3)."""
    if np.any(x.data <= 0):
        raise ValueError(
            f"log needs positive entries; got a minimum of {x.data.min()}"
        )
    return _elementwise(x, np.log(x.data), 1.0 / x.data, "log")


# -- the chapter's self-checking exercise: a new operation ----------------


def centred_differences(f, x, eps=1e-6):
    """Return ∂f/∂x by centred differences, for f(x) a number."""
    x = _as_data(x).copy()
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f(x)
        x[idx] = old - eps
        down = f(x)
        x[idx] = old  # restore exactly
        grad[idx] = (up - down) / (2 * eps)
    return grad


class OperationCheck:
    """The verdict of check_operation: .correct, and its lines as text."""

    def __init__(self, lines, correct):
        self.lines, self.correct = lines, correct

    def __repr__(self):
        verdict = "Correct." if self.correct else "Not yet correct."
        return "\n".join([*self.lines, verdict])


def check_operation(op, f, tol=1e-7):
    """Check op (Tensor -> Tensor) against f (array -> array).

    Three graphs: C = Σ r ⊙ op(x); op applied twice to one x (the two
    gradients must add); and x of shape (3, 1) broadcast over 4 columns
    before op. Correct if each forward pass matches f and each x.grad
    matches centred differences of f to a relative error below tol.
    """
    rng = np.random.default_rng(13)
    x0, r = rng.uniform(-2, 2, (3, 4)), rng.normal(size=(3, 4))
    graphs = {  # name: (x, the graph, how many times it applies op)
        "op(x)": (x0, lambda x: op(x), 1),
        "op(x) + op(x), x used twice": (x0, lambda x: op(x) + op(x), 2),
        "op(x + zeros (3, 4)), x broadcast": (
            x0[:, :1],
            lambda x: op(x + np.zeros((3, 4))),
            1,
        ),
    }
    lines, correct = [], True
    for name, (x_start, graph, k) in graphs.items():
        x = Tensor(x_start)
        try:
            out = graph(x)
            (out * r).sum().backward()
        except NotImplementedError:
            return OperationCheck(["op is not implemented yet"], False)

        def cost(v, k=k):
            return k * np.sum(f(v + np.zeros((3, 4))) * r)

        if not np.allclose(out.data, k * f(x_start + np.zeros((3, 4)))):
            error, verdict = np.inf, "WRONG forward pass"
        else:
            error = relative_error(
                x.grad, centred_differences(cost, x_start)
            )
            verdict = "correct" if error < tol else "WRONG gradient"
        correct &= bool(error < tol)
        lines.append(f"{name:<34} relative error {error:.1e}  {verdict}")
    return OperationCheck(lines, correct)
