"""How fast is one training step of backprop.MLP? (chapter 12; not run by the tests)

For each network size and each number of BLAS threads (1 and 2 by default)
this prints, for one SGD step on a batch of m examples (forward pass,
backward pass via net.gradients, parameter update):

  * the median time of the step, and of its forward and backward passes
    alone (as net.gradients runs them, into Buffers like training.train);
  * the backward / forward time ratio (the operation count says just under 2);
  * the achieved rate, multiply-adds of the step's matrix products per second,
    as a fraction of this machine's matrix-multiply rate, measured here with
    bare NumPy matmuls of exactly the step's shapes (same transposes, same
    float64);
  * minor page faults per step: memory the operating system had to map;
  * where PyTorch is importable, the same step with torch on the CPU (float64
    like backprop, nn.Linear + autograd + optim.SGD), its page faults, and
    the ratio backprop / PyTorch (below 1 means backprop is faster).

PyTorch runs in a child process (its OpenMP threads and NumPy's BLAS
threads must not compete for the cores), and the two sides take turns:
rounds of a block of backprop runs, then a block of PyTorch runs, so that a
change in the machine's load hits both alike. Run from the repository root:

    .venv/bin/python benchmarks/bench_training_step.py            # 1, 2 threads
    .venv/bin/python benchmarks/bench_training_step.py --quick    # fewer rounds
    .venv/bin/python benchmarks/bench_training_step.py --threads 2

PyTorch is not a requirement of the book. To include it, install the CPU
wheel into a folder of its own and put that folder on the path:

    .venv/bin/pip install --target /tmp/torchlib torch
    PYTHONPATH=src:/tmp/torchlib .venv/bin/python \\
        benchmarks/bench_training_step.py
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import backprop as bp
from backprop import flops

SIZES = [
    ((64, 32, 10), 32),
    ((784, 128, 10), 256),
    ((784, 512, 512, 10), 256),
]
LR = 0.1


def batch(sizes, m, seed=0):
    """Inputs X (n0, m) and one-hot targets Y (nL, m)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sizes[0], m))
    Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
    return X, Y


def run_block(fns, seconds, samples):
    """Run fns in turn (round-robin) for about `seconds`; append each run's seconds to samples[i].

    The first 0.1 s (at least two turns) is warm-up and not recorded: the
    other process's idle threads may still spin for that long (OpenBLAS
    waits about 0.1 s before it sleeps), and the caches refill.
    """
    start, turn = time.perf_counter(), 0
    warm = start + 0.1
    while turn < 5 or time.perf_counter() - start < seconds + 0.1:
        record = turn >= 2 and time.perf_counter() > warm
        for fn, out in zip(fns, samples):
            t0 = time.perf_counter()
            fn()
            if record:
                out.append(time.perf_counter() - t0)
        turn += 1


def page_faults(fn, runs=20):
    """Minor page faults per call of fn: fresh memory the OS had to map (and zero)."""
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(runs):
        fn()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    return (after - before) / runs


# -- backprop -------------------------------------------------------------


def backprop_fns(sizes, m):
    """The step, the bare matmuls, and the step's forward and backward passes."""
    net = bp.MLP(
        list(sizes),
        hidden="relu",
        output="softmax",
        loss="cross_entropy",
        seed=0,
    )
    X, Y = batch(sizes, m)
    # The arrays the step writes into, as training.train passes them.
    buffers = bp.network.Buffers(net.sizes, m)

    def step():
        dWs, dbs = net.gradients(X, Y, buffers)
        for W, b, dW, db in zip(net.weights, net.biases, dWs, dbs):
            dW *= LR  # in place, like torch.optim.SGD: no temporary arrays
            db *= LR
            W -= dW
            b -= db

    # The two passes as net.gradients runs them, into buffers of their
    # own, timed apart (_forward is the private pass that takes them).
    apart = bp.network.Buffers(net.sizes, m)
    cache = net._forward(X, apart)

    def forward():
        net._forward(X, apart)

    def backward():
        net.backward(cache, Y, apart)

    return [step, bare_matmuls(sizes, m), forward, backward]


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


# -- PyTorch, in a child process ------------------------------------------


def torch_step(torch, sizes, m, dtype, seed=0):
    """The same SGD step in PyTorch (row convention: a batch is (m, n0))."""
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


def torch_child():
    """Serve the parent: one JSON command per line in, one JSON answer out."""
    try:
        import torch
    except ImportError:
        print(json.dumps(None), flush=True)
        return
    print(json.dumps(torch.__version__), flush=True)
    fns = samples = None
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["do"] == "setup":
            torch.set_num_threads(cmd["threads"])
            sizes, m = SIZES[cmd["size"]]
            fns = [
                torch_step(torch, sizes, m, torch.float64),
                torch_step(torch, sizes, m, torch.float32),
            ]
            samples = [[], []]
            answer = torch.get_num_threads()
        elif cmd["do"] == "block":
            run_block(fns, cmd["seconds"], samples)
            answer = None
        else:  # "finish"
            answer = [samples, page_faults(fns[0])]
        print(json.dumps(answer), flush=True)


class TorchChild:
    """A child process that runs PyTorch steps when asked (None if no torch)."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--torch-child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.version = self.ask(None)

    def ask(self, cmd):
        if cmd is not None:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# -- the measurement --------------------------------------------------------


def measure(i, threads, child, rounds, seconds, stat):
    """Return the measurements of size SIZES[i] with `threads` BLAS threads."""
    sizes, m = SIZES[i]
    count = flops.count(sizes, m)
    with threadpool_limits(limits=threads, user_api="blas"):
        fns = backprop_fns(sizes, m)
        samples = [[] for _ in fns]
        torch_threads = None
        if child:
            torch_threads = child.ask(
                {"do": "setup", "threads": threads, "size": i}
            )
        for _ in range(rounds):  # the two sides take turns
            run_block(fns, seconds, samples)
            if child:
                child.ask({"do": "block", "seconds": seconds})
        faults = page_faults(fns[0])
    t_step, t_mm, t_fwd, t_bwd = (stat(s) for s in samples)
    row = dict(
        sizes=sizes,
        m=m,
        threads=threads,
        ma=count.forward + count.backward,
        step=t_step,
        matmul=t_mm,
        fwd=t_fwd,
        bwd=t_bwd,
        faults=faults,
        torch=None,
    )
    if child:
        (s64, s32), torch_faults = child.ask({"do": "finish"})
        row["torch"] = dict(
            t64=stat(s64),
            t32=stat(s32),
            faults=torch_faults,
            threads=torch_threads,
        )
    return row


def report(rows, version, stat_name):
    """Print the table."""
    torch = any(r["torch"] for r in rows)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"numpy {np.__version__}; "
        + (f"torch {version} (own process)" if torch else "no torch")
        + "; malloc trim/mmap thresholds: "
        f"{os.environ.get('MALLOC_TRIM_THRESHOLD_', 'default')}/"
        f"{os.environ.get('MALLOC_MMAP_THRESHOLD_', 'default')}"
    )
    print(
        f"{stat_name} over the runs; MA = multiply-adds of the matrix "
        "products (backprop.flops)\n"
    )
    head = (
        f"{'sizes, m':<24}{'thr':>4}{'step':>9}{'torch64':>9}"
        f"{'bp/torch':>9}{'matmul':>9}{'of mm':>7}{'faults':>8}"
        f"{'torch':>7}{'bwd/fwd':>8}{'torch32':>9}"
    )
    if not torch:
        head = head[:60] + head[67:75]
    print(head)
    print("-" * len(head))
    ms = lambda t: f"{t * 1e3:.3f}"  # noqa: E731
    for r in rows:
        peak = r["ma"] / r["matmul"]
        rate = r["ma"] / r["step"]
        name = f"{r['sizes']}, {r['m']}"
        t = r["torch"]
        line = (
            f"{name:<24}{r['threads']:>4}{ms(r['step']):>9}"
            + (
                f"{ms(t['t64']):>9}{r['step'] / t['t64']:>9.2f}"
                if t
                else ""
            )
            + f"{ms(r['matmul']):>9}{rate / peak:>7.0%}{r['faults']:>8.0f}"
            + (f"{t['faults']:>7.0f}" if t else "")
            + f"{r['bwd'] / r['fwd']:>8.2f}"
            + (f"{ms(t['t32']):>9}" if t else "")
        )
        print(line)
    print(
        "\nstep = forward + backward (net.gradients) + SGD update, in ms;"
        "\n  thr = BLAS threads (and PyTorch threads);"
        "\n  matmul = the step's bare NumPy matmuls (same shapes), in ms;"
        "\n  of mm = the step's multiply-add rate / the bare matmuls' rate;"
        "\n  faults = minor page faults per step (backprop, then torch);"
        "\n  bwd/fwd = backward / forward pass time, as gradients runs them"
        + (
            "\n  torch64, torch32 = the same step in PyTorch (float64, "
            "float32), in ms;"
            "\n  bp/torch = step / torch64 (below 1: backprop is faster)"
            if torch
            else ""
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds (about 15 s)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, 2],
        help="BLAS and PyTorch thread counts to measure (default: 1 2)",
    )
    parser.add_argument(
        "--stat",
        choices=["median", "min"],
        default="median",
        help="statistic over the runs (min: the undisturbed runs)",
    )
    parser.add_argument(
        "--torch-child", action="store_true", help="internal"
    )
    args = parser.parse_args()
    if args.torch_child:
        return torch_child()
    stat = min if args.stat == "min" else statistics.median
    rounds, seconds = (3, 0.1) if args.quick else (8, 0.3)
    child = TorchChild()
    version = child.version
    if version is None:
        child.close()
        child = None
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    try:
        rows = [
            measure(i, threads, child, rounds, seconds, stat)
            for threads in args.threads
            for i in range(len(SIZES))
        ]
    finally:
        if child:
            child.close()
    print(f"load average after:  {os.getloadavg()[0]:.2f}")
    report(rows, version, args.stat)


if __name__ == "__main__":
    main()
