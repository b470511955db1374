"""How fast is one training step of backprop.MLP? (chapter 12; not run by the tests)

For each network size this prints, for one SGD step on a batch of m examples
(forward pass, backward pass via net.gradients, parameter update):

  * the median time of the step, and of its forward and backward passes alone;
  * the backward / forward time ratio (the operation count says just under 2);
  * the achieved rate, multiply-adds of the step's matrix products per second,
    as a fraction of this machine's matrix-multiply rate, measured here with
    bare NumPy matmuls of exactly the step's shapes (same transposes, same
    float64);
  * where PyTorch is importable, the same step with torch on the CPU (float64
    like backprop, nn.Linear + autograd + optim.SGD) and the ratio
    backprop / PyTorch (below 1 means backprop is faster).

Run from the repository root:

    .venv/bin/python benchmarks/bench_training_step.py            # all sizes
    .venv/bin/python benchmarks/bench_training_step.py --quick    # fewer runs

PyTorch is not a requirement of the book. To include it, install the CPU
wheel anywhere on the path, for example into a private folder:

    .venv/bin/pip install --no-deps --target /tmp/torchlib torch
    PYTHONPATH=/tmp/torchlib .venv/bin/python benchmarks/bench_training_step.py
"""

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import backprop as bp
from backprop import flops

SIZES = [
    ((64, 32, 10), 32),
    ((784, 128, 10), 256),
    ((784, 512, 512, 10), 256),
]
LR = 0.1


STAT = (
    statistics.median
)  # --stat min: the fastest run, for a machine busy with other work


def median_seconds(fns, min_runs, min_seconds):
    """Medians (or STAT) of the seconds each of fns takes, timed in turn (round-robin) so load drifts hit all alike."""
    for _ in range(3):
        for fn in fns:
            fn()  # warm up
    samples, start = [[] for _ in fns], time.perf_counter()
    while (
        len(samples[0]) < min_runs
        or time.perf_counter() - start < min_seconds
    ):
        for fn, out in zip(fns, samples):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [STAT(s) for s in samples]


def batch(sizes, m, seed=0):
    """Inputs X (n0, m) and one-hot targets Y (nL, m)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sizes[0], m))
    Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
    return X, Y


def backprop_step(net, X, Y):
    """One SGD step of backprop.MLP."""

    def step():
        dWs, dbs = net.gradients(X, Y)
        for W, b, dW, db in zip(net.weights, net.biases, dWs, dbs):
            dW *= LR  # in place, like torch.optim.SGD: no temporary arrays
            db *= LR
            W -= dW
            b -= db

    return step


def bare_matmuls(sizes, m, seed=0):
    """The step's matrix products and nothing else: W a, Wᵀ δ (above layer 1), δ aᵀ."""
    rng = np.random.default_rng(seed)
    Ws = [
        rng.normal(size=(sizes[l], sizes[l - 1]))
        for l in range(1, len(sizes))
    ]
    As = [rng.normal(size=(n, m)) for n in sizes]
    Ds = [rng.normal(size=(n, m)) for n in sizes]
    outs_z = [np.empty((n, m)) for n in sizes]
    outs_dW = [np.empty_like(W) for W in Ws]

    def step():
        for l in range(1, len(sizes)):
            np.matmul(Ws[l - 1], As[l - 1], out=outs_z[l])  # forward
        for l in range(len(sizes) - 1, 0, -1):
            np.matmul(Ds[l], As[l - 1].T, out=outs_dW[l - 1])  # rule 4
            if l > 1:
                np.matmul(Ws[l - 1].T, Ds[l], out=outs_z[l - 1])  # rule 2

    return step


def torch_step(torch, sizes, m, dtype, seed=0):
    """The same SGD step in PyTorch (row convention: a batch is (m, n0)), or None."""
    torch.manual_seed(seed)
    layers = []
    for l in range(1, len(sizes)):
        layers.append(torch.nn.Linear(sizes[l - 1], sizes[l], dtype=dtype))
        if l < len(sizes) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    X, Y = batch(sizes, m, seed)
    Xt = torch.tensor(X.T.copy(), dtype=dtype)
    yt = torch.tensor(Y.argmax(axis=0))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()

    return step


def torch_times(i, min_runs, min_seconds, threads):
    """Time size SIZES[i] in PyTorch in a child process; return (t64, t32, version, threads) or None.

    A separate process keeps the two thread pools apart: on a small machine
    PyTorch's OpenMP threads, spinning after a step, would slow NumPy's BLAS
    threads down (and the other way round), and both numbers would be wrong.
    """
    cmd = [
        sys.executable,
        __file__,
        "--torch-child",
        str(i),
        "--runs",
        str(min_runs),
        "--seconds",
        str(min_seconds),
        "--stat",
        "min" if STAT is min else "median",
    ] + (["--threads", str(threads)] if threads else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)


def torch_child(i, min_runs, min_seconds, threads):
    """Print [t64, t32, version, threads] for size SIZES[i] as JSON; exit 1 without torch."""
    try:
        import torch
    except ImportError:
        sys.exit(1)
    if threads:
        torch.set_num_threads(threads)
    sizes, m = SIZES[i]
    t64, t32 = median_seconds(
        [
            torch_step(torch, sizes, m, torch.float64),
            torch_step(torch, sizes, m, torch.float32),
        ],
        min_runs,
        min_seconds,
    )
    print(
        json.dumps([t64, t32, torch.__version__, torch.get_num_threads()])
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer runs (about 20 s in all)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS / PyTorch threads (default: the libraries' own choice, all cores)",
    )
    parser.add_argument(
        "--stat",
        choices=["median", "min"],
        default="median",
        help="statistic over the runs (default median; min shows the undisturbed runs on a busy machine)",
    )
    parser.add_argument("--torch-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global STAT
    STAT = min if args.stat == "min" else statistics.median
    if args.torch_child is not None:
        return torch_child(
            args.torch_child, args.runs, args.seconds, args.threads
        )
    min_runs, min_seconds = (20, 0.5) if args.quick else (100, 3.0)

    limits = contextlib.nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=args.threads)

    with limits:
        rows = [
            measure(i, min_runs, min_seconds, args.threads)
            for i in range(len(SIZES))
        ]
    report(rows, args.threads, args.stat)


def measure(i, min_runs, min_seconds, threads):
    """Return the measurements of size SIZES[i].

    With --threads 1 and PyTorch importable, the PyTorch steps join the same
    round-robin (one thread each: no thread pools that could compete), so a
    busy machine slows both alike; otherwise PyTorch runs in a child process.
    """
    sizes, m = SIZES[i]
    count = flops.count(sizes, m)
    net = bp.MLP(
        list(sizes),
        hidden="relu",
        output="softmax",
        loss="cross_entropy",
        seed=0,
    )
    X, Y = batch(sizes, m)
    cache = net.forward(X, return_cache=True)
    fns = [
        backprop_step(net, X, Y),
        bare_matmuls(sizes, m),
        lambda: net.forward(X, return_cache=True),
        lambda: net.backward(cache, Y),
    ]
    torch = None
    if threads == 1:
        try:
            import torch
        except ImportError:
            pass
    if torch is not None:
        torch.set_num_threads(1)
        fns += [
            torch_step(torch, sizes, m, torch.float64),
            torch_step(torch, sizes, m, torch.float32),
        ]
    times = median_seconds(fns, min_runs, min_seconds)
    faults = page_faults(fns[0])
    t_step, t_mm, t_fwd, t_bwd = times[:4]
    if torch is not None:
        torch_row = [
            times[4],
            times[5],
            torch.__version__,
            torch.get_num_threads(),
        ]
    else:
        torch_row = torch_times(i, min_runs, min_seconds, threads)
    return dict(
        sizes=sizes,
        m=m,
        ma=count.forward + count.backward,
        step=t_step,
        matmul=t_mm,
        fwd=t_fwd,
        bwd=t_bwd,
        faults=faults,
        torch=torch_row,
        torch_here=torch is not None,
    )


def page_faults(fn, runs=20):
    """Minor page faults per call of fn: fresh memory the OS had to map (a cost outside the arithmetic)."""
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(runs):
        fn()
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    ) / runs


def report(rows, threads, stat):
    """Print the table."""
    torch = next((r["torch"] for r in rows if r["torch"]), None)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"numpy {np.__version__}, BLAS threads: {threads or 'default'}"
        + f"; malloc trim/mmap thresholds: {os.environ.get('MALLOC_TRIM_THRESHOLD_', 'default')}"
        f"/{os.environ.get('MALLOC_MMAP_THRESHOLD_', 'default')}"
        + (
            f"; torch {torch[2]} ({torch[3]} threads, "
            f"{'same round-robin' if rows[0].get('torch_here') else 'own process'})"
            if torch
            else "; torch not importable"
        )
    )
    print(
        f"times are the {stat} over many runs of one step; MA = multiply-adds of the matrix products (backprop.flops)\n"
    )
    header = (
        f"{'sizes':<20}{'m':>5}{'MA/step':>13}{'step':>11}{'fwd':>10}{'bwd':>10}{'bwd/fwd':>9}"
        f"{'matmul':>11}{'GMA/s':>7}{'of matmul':>10}{'faults':>8}"
    )
    if torch:
        header += f"{'torch64':>11}{'bp/torch':>9}{'torch32':>11}"
    print(header)
    print("-" * len(header))
    ms = lambda t: f"{t * 1e3:.3f} ms"
    for r in rows:
        rate, peak = r["ma"] / r["step"], r["ma"] / r["matmul"]
        line = (
            f"{str(r['sizes']):<20}{r['m']:>5}{r['ma']:>13,}{ms(r['step']):>11}{ms(r['fwd']):>10}"
            f"{ms(r['bwd']):>10}{r['bwd'] / r['fwd']:>9.2f}{ms(r['matmul']):>11}{rate / 1e9:>7.2f}"
            f"{rate / peak:>10.0%}{r['faults']:>8.0f}"
        )
        if r["torch"]:
            t64, t32 = r["torch"][:2]
            line += f"{ms(t64):>11}{r['step'] / t64:>9.2f}{ms(t32):>11}"
        print(line)
    print(
        "\ncolumns: step = forward + backward (net.gradients) + SGD update; fwd, bwd = the passes alone;"
        "\n  matmul = the step's bare NumPy matmuls (same shapes, float64); GMA/s = 1e9 multiply-adds/s"
        "\n  achieved by the step; of matmul = step rate / bare-matmul rate;"
        "\n  faults = minor page faults per backprop step (memory handed back to the OS and mapped again);"
        + (
            "\n  torch64, torch32 = the same step in PyTorch (autograd, float64 / float32);"
            "\n  bp/torch = backprop step time / torch64 step time (below 1: backprop faster)"
            if torch
            else ""
        )
    )


if __name__ == "__main__":
    main()
