"""The work of a training step, counted in multiply-adds (chapter 12).

A matrix product of a (p, q) matrix with a (q, r) matrix costs p·q·r
multiply-adds: each of its p·r entries is a sum of q products. Everything else
a pass does (adding b^l, applying σ or σ', the Hadamard product, summing the
columns of δ^l) touches each entry of an (n_l, m) array a few times, which is
smaller by a factor of the layer width; the counts here are the matrix
products only, the work that grows with the number of weights.

For an MLP with layer sizes [n_0, ..., n_L] and a batch of m examples:

    forward pass    z^l = W^l a^{l-1}              n_l n_{l-1} m   for l = 1..L
    backward pass   rule 4: δ^l (a^{l-1})ᵀ         n_l n_{l-1} m   for l = 1..L
                    rule 2: (W^l)ᵀ δ^l -> δ^{l-1}  n_l n_{l-1} m   for l = 2..L

Rule 2 is not needed at l = 1 (nothing is learned from ∂C/∂a^0 = ∂C/∂x), so
the backward pass costs 2F − n_1 n_0 m, where F is the forward count: about
twice the forward pass. Finite differences evaluate the cost twice per
parameter, 2P forward passes for P weights and biases.

Every function accepts the layer sizes or an `MLP` (whose `.sizes` it reads);
counts are Python ints, exact for any size.

For contrast the module also has forward mode (`directional_derivative`): one
sweep carries a tangent forward alongside the forward pass and yields one
directional derivative of C for F + B multiply-adds, where a forward and a
backward pass, for the same count, yield all P partial derivatives at once. And small helpers to time passes honestly.
"""

import contextlib
import statistics
import time
from dataclasses import dataclass

import numpy as np

from . import checks


def _sizes(net_or_sizes):
    sizes = getattr(net_or_sizes, "sizes", net_or_sizes)
    return checks.layer_sizes(sizes)


def _batch_size(m):
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(
            f"m (the batch size, examples per column) must be a positive integer; got {m!r}"
        )
    return int(m)


def matmul_multiply_adds(p, q, r):
    """Return p·q·r, the multiply-adds of a (p, q) @ (q, r) matrix product."""
    return int(p) * int(q) * int(r)


@dataclass(frozen=True)
class LayerCount:
    """Multiply-adds of the products with W^l (n_l, n_{l-1}) for a batch of m."""

    l: int
    n_out: int
    n_in: int
    m: int
    forward: int  # z^l = W^l a^{l-1}
    hidden_error: (
        int  # rule 2, (W^l)ᵀ δ^l, which gives δ^{l-1}; 0 for l = 1
    )
    weight_gradient: int  # rule 4, δ^l (a^{l-1})ᵀ

    @property
    def backward(self):
        """Return the multiply-adds of the backward pass spent on this layer."""
        return self.hidden_error + self.weight_gradient


def layer_counts(net_or_sizes, m):
    """Return one LayerCount per layer l = 1..L for a batch of m examples."""
    sizes, m = _sizes(net_or_sizes), _batch_size(m)
    rows = []
    for l in range(1, len(sizes)):
        n_out, n_in = sizes[l], sizes[l - 1]
        product = matmul_multiply_adds(
            n_out, n_in, m
        )  # (n_l, n_{l-1}) @ (n_{l-1}, m), and its two partners
        rows.append(
            LayerCount(
                l,
                n_out,
                n_in,
                m,
                forward=product,
                hidden_error=product if l > 1 else 0,
                weight_gradient=product,
            )
        )
    return rows


def n_params(net_or_sizes):
    """Return the number of weights and biases, Σ_l (n_l n_{l-1} + n_l)."""
    sizes = _sizes(net_or_sizes)
    return sum(
        sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes))
    )


def forward_multiply_adds(net_or_sizes, m):
    """Return Σ_l n_l n_{l-1} m, the multiply-adds of one forward pass over m examples."""
    return sum(row.forward for row in layer_counts(net_or_sizes, m))


def backward_multiply_adds(net_or_sizes, m):
    """Return the multiply-adds of one backward pass (rules 2 and 4) over m examples."""
    return sum(row.backward for row in layer_counts(net_or_sizes, m))


def forward_mode_multiply_adds(net_or_sizes, m):
    """Return the multiply-adds of one forward-mode sweep: F + B.

    The sweep is a forward pass (F) plus the tangent products V^l a^{l-1}
    at every layer and W^l ȧ^{l-1} above layer 1 (ȧ^0 = 0), which are as
    many as the backward pass's: one directional derivative costs what
    backpropagation pays for the whole gradient.
    """
    rows = layer_counts(net_or_sizes, m)
    tangent = sum(
        row.forward + (row.forward if row.l > 1 else 0) for row in rows
    )
    return sum(row.forward for row in rows) + tangent


def finite_difference_multiply_adds(net_or_sizes, m):
    """Return 2·P·F: two forward passes for each of the P parameters (centered differences)."""
    return (
        2 * n_params(net_or_sizes) * forward_multiply_adds(net_or_sizes, m)
    )


@dataclass(frozen=True)
class OperationCount:
    """The multiply-adds of a forward pass, a backward pass and finite differences."""

    sizes: tuple
    m: int
    layers: tuple

    @property
    def forward(self):
        """Return the forward pass's multiply-adds."""
        return sum(row.forward for row in self.layers)

    @property
    def backward(self):
        """Return the backward pass's multiply-adds."""
        return sum(row.backward for row in self.layers)

    @property
    def n_params(self):
        """Return P, the number of weights and biases."""
        return n_params(self.sizes)

    @property
    def finite_differences(self):
        """Return the multiply-adds of a centered-difference gradient, 2·P forward passes."""
        return 2 * self.n_params * self.forward

    @property
    def ratio(self):
        """Return backward / forward (just under 2)."""
        return self.backward / self.forward

    def rows(self):
        """Return the table as a list of dicts, one per layer and a total."""
        out = [
            {
                "layer": f"W^{r.l} ({r.n_out}, {r.n_in})",
                "forward": r.forward,
                "rule 2": r.hidden_error,
                "rule 4": r.weight_gradient,
                "backward": r.backward,
            }
            for r in self.layers
        ]
        out.append(
            {
                "layer": "total",
                "forward": self.forward,
                "rule 2": sum(r.hidden_error for r in self.layers),
                "rule 4": sum(r.weight_gradient for r in self.layers),
                "backward": self.backward,
            }
        )
        return out

    def __str__(self):
        head = f"{'layer':<20}{'forward':>13}{'rule 2':>13}{'rule 4':>13}{'backward':>13}"
        lines = [
            f"MLP {list(self.sizes)}, m = {self.m}: multiply-adds of the matrix products",
            head,
        ]
        for row in self.rows():
            lines.append(
                f"{row['layer']:<20}{row['forward']:>13,}{row['rule 2']:>13,}"
                f"{row['rule 4']:>13,}{row['backward']:>13,}"
            )
        lines.append(f"backward / forward = {self.ratio:.3f}")
        lines.append(
            f"finite differences = 2·P·forward = 2·{self.n_params:,}·{self.forward:,} "
            f"= {self.finite_differences:,}"
        )
        return "\n".join(lines)

    def _repr_html_(self):
        # HTML rather than Markdown: a Markdown table would need the GFM
        # extension, and the book renders Markdown outputs as CommonMark.
        num = ' style="text-align: right"'
        head = [
            "layer",
            "forward W<sup>l</sup> a<sup>l−1</sup>",
            "rule 2 (W<sup>l</sup>)<sup>T</sup> δ<sup>l</sup>",
            "rule 4 δ<sup>l</sup> (a<sup>l−1</sup>)<sup>T</sup>",
            "backward",
        ]
        body = []
        for row in self.rows():
            name = row["layer"]
            if name == "total":
                name = "<b>total</b>"
            else:
                l, shape = name.split(" ", 1)
                name = f"W<sup>{l[2:]}</sup> {shape}"
            values = [
                f"{row[k]:,}"
                for k in ("forward", "rule 2", "rule 4", "backward")
            ]
            body.append(
                "<tr><td>"
                + name
                + "</td>"
                + "".join(f"<td{num}>{v}</td>" for v in values)
                + "</tr>"
            )
        return (
            f"<p>Multiply-adds for MLP {list(self.sizes)} and a batch of m = {self.m}:</p>"
            f"<table><thead><tr><th>{head[0]}</th>{''.join(f'<th{num}>{h}</th>' for h in head[1:])}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<p>Backward / forward = {self.ratio:.3f}. Finite differences: 2 · P · forward = "
            f"2 · {self.n_params:,} · {self.forward:,} = {self.finite_differences:,} multiply-adds, "
            f"{self.finite_differences / (self.forward + self.backward):,.0f} times the forward and "
            f"backward passes together.</p>"
        )


def count(net_or_sizes, m):
    """Return the OperationCount of an MLP (or its sizes [n_0, ..., n_L]) for a batch of m."""
    sizes = _sizes(net_or_sizes)
    return OperationCount(
        tuple(sizes), _batch_size(m), tuple(layer_counts(sizes, m))
    )


# -- forward mode, for contrast ---------------------------------------------------


def directional_derivative(net, X, Y, dWs, dbs):
    """Forward mode: return dC/dt of C(θ + t·v) at t = 0, for a direction v = (dWs, dbs) shaped like the parameters.

    One sweep from the input to the cost carries ż^l = Ẇ^l a^{l-1} + W^l ȧ^{l-1} + ḃ^l and
    ȧ^l = σ'(z^l) ⊙ ż^l next to z^l and a^l: F + B multiply-adds (forward_mode_multiply_adds),
    what one backpropagation gradient costs, for one number. The full gradient this way
    takes P sweeps, one per parameter direction.
    """
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    if len(dWs) != net.L or len(dbs) != net.L:
        raise ValueError(
            f"the direction needs {net.L} weight and {net.L} bias arrays; got {len(dWs)} and {len(dbs)}"
        )
    for l in range(1, net.L + 1):
        for name, V, P in (
            (f"dWs[{l - 1}]", dWs[l - 1], net.weights[l - 1]),
            (f"dbs[{l - 1}]", dbs[l - 1], net.biases[l - 1]),
        ):
            if np.shape(V) != P.shape:
                raise ValueError(
                    f"{name} must have the shape of the parameter it moves, {P.shape}; got {np.shape(V)}"
                )
    m = X.shape[1]
    a, a_dot = X, None  # ȧ^0 = 0: the input does not move
    for l in range(1, net.L + 1):
        W, b, V, v = (
            net.weights[l - 1],
            net.biases[l - 1],
            dWs[l - 1],
            dbs[l - 1],
        )
        z = W @ a + b
        z_dot = V @ a + v if a_dot is None else V @ a + W @ a_dot + v
        act = net.activation(l)
        a = act.f(z)
        if l < net.L or net.loss_name != "cross_entropy":
            a_dot = act.prime(z) * z_dot
    if net.loss_name == "cross_entropy":
        return float(
            np.sum((a - Y) * z_dot) / m
        )  # ∂C_x/∂z^L = a^L − y for softmax with cross-entropy
    return float(
        np.sum((a - Y) * a_dot) / m
    )  # ∂C_x/∂a^L = a^L − y for the mean squared error


# -- measuring ---------------------------------------------------------------


@contextlib.contextmanager
def one_thread():
    """Within this block, run NumPy's BLAS on one thread (if threadpoolctl is installed).

    Timing on one core measures the arithmetic; on several, how a BLAS library
    spreads small products over threads decides, and on a busy machine that
    varies from run to run by factors of ten.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        yield
        return
    with threadpool_limits(limits=1):
        yield


def median_time(fn, repeat=21, number=1):
    """Return the median over `repeat` runs of the seconds one call of fn() takes (fn run `number` times per run)."""
    if repeat < 1 or number < 1:
        raise ValueError(
            f"repeat and number must be at least 1; got {repeat} and {number}"
        )
    fn()  # warm up: first-call costs (allocation, BLAS thread start) are not the pass
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def time_passes(net, X, Y, repeat=51, number=1):
    """Return (forward_seconds, backward_seconds): medians for one forward pass and one backward pass."""
    X = net.check_X(X)
    Y = net.check_Y(Y, X.shape[1])
    cache = net.forward(X, return_cache=True)
    forward = median_time(
        lambda: net.forward(X, return_cache=True), repeat, number
    )
    backward = median_time(lambda: net.backward(cache, Y), repeat, number)
    return forward, backward


def loglog_slope(x, y):
    """Return the slope k of the least-squares line log y = k log x + c (so y ∝ x^k)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(
            f"x and y must be 1-D of the same length ≥ 2; got shapes {x.shape} and {y.shape}"
        )
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("a log-log slope needs positive x and y")
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)
