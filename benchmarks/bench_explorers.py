"""Latency of the interactive explorers: one table row per explorer.

A move sets a control's value from Python, exactly as a reader's drag does in
the kernel: the observer recomputes the state and redraws the one figure into
the widget's PNG. For each explorer the table gives the median and the 90th
percentile of --moves moves of its main slider (the one the book's frames
follow) and of each other control, the pure function alone (what a main-slider
move computes; for the training explorer, one 60-epoch run, what a learning-rate
or batch-size move computes), the time to precompute the book's frames and the
size of their HTML. The pure function is measured in the same run, so the
latency reads as a ratio to it on a busy machine.

Run from the repository root, on an otherwise idle machine:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_explorers.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_explorers.py nudge weights --moves 20
"""

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from backprop.explorers import (  # noqa: E402
    hidden_error,
    nudge,
    output_error,
    training,
    weights,
)


def walk(pick, start, n):
    """Return n values from pick(), each different from the one before (the first from start)."""
    values, previous = [], start
    while len(values) < n:
        value = pick()
        if value != previous:
            values.append(value)
            previous = value
    return values


def time_moves(control, values):
    """Return the wall-clock and CPU seconds of each assignment control.value = v (the observer redraws)."""
    wall, cpu = [], []
    for value in values:
        start, start_cpu = time.perf_counter(), time.process_time()
        control.value = value
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def time_calls(call, args):
    """Return the median seconds of call(a) over the arguments."""
    times = []
    for a in args:
        start = time.perf_counter()
        call(a)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def p90(times):
    """Return the 90th percentile (nearest rank) of the times."""
    return sorted(times)[int(np.ceil(0.9 * len(times))) - 1]


# -- the explorers: the DualView, its controls (main slider first), the pure function ---------


def nudge_case(rng, n):
    ex = nudge.NudgeExplorer(weight=(1, 2, 0))
    choices = [value for _, value in nudge.weight_choices(ex.net)]
    controls = [
        (
            "Δw",
            ex.dw,
            lambda: round(float(rng.uniform(*nudge.DW_RANGE)), 2),
        ),
        ("w₀", ex.w, lambda: round(float(rng.uniform(*nudge.W_RANGE)), 2)),
        ("weight", ex.weight, lambda: choices[rng.integers(len(choices))]),
    ]
    w0 = ex.w.value
    dws = walk(controls[0][2], None, n)
    return (
        ex.dual_view(),
        controls,
        lambda dw: nudge.nudge(ex.net, ex.X, ex.Y, (1, 2, 0), dw, w=w0),
        dws,
    )


def output_error_case(rng, n):
    ex = output_error.OutputErrorExplorer(z=-4.0, y=1.0)
    controls = [
        (
            "z",
            ex.z,
            lambda: round(float(rng.uniform(*output_error.Z_RANGE)), 1),
        ),
        (
            "y",
            ex.y,
            lambda: round(float(rng.uniform(*output_error.Y_RANGE)), 2),
        ),
    ]
    return (
        ex.dual_view(),
        controls,
        lambda z: output_error.output_errors(z, 1.0),
        walk(controls[0][2], None, n),
    )


def hidden_error_case(rng, n):
    he = hidden_error
    ex = he.HiddenErrorExplorer("tanh", depth=15, scale=1.0)
    low, high = np.log2(he.SCALE_RANGE)
    controls = [
        ("scale g", ex.scale, lambda: float(2.0 ** rng.uniform(low, high))),
        (
            "depth",
            ex.depth,
            lambda: int(
                rng.integers(he.DEPTH_RANGE[0], he.DEPTH_RANGE[1] + 1)
            ),
        ),
        (
            "activation",
            ex.activation,
            lambda: he.ACTIVATIONS[rng.integers(len(he.ACTIVATIONS))],
        ),
    ]
    return (
        ex.dual_view(),
        controls,
        lambda g: he.all_states(15, g),
        walk(controls[0][2], None, n),
    )


def weights_case(rng, n):
    view = weights.show()
    box, ex = view.widget, view.widget.explorer
    params = weights.parameters(ex.net)
    controls = [
        (
            "value",
            box.slider,
            lambda: round(float(rng.uniform(*weights.VALUE_RANGE)), 2),
        ),
        (
            "parameter",
            box.selector,
            lambda: params[rng.integers(len(params))],
        ),
    ]
    param = ex.param
    return (
        view,
        controls,
        lambda v: weights.state(ex.net, ex.X, ex.Y, param, v),
        walk(controls[0][2], None, n),
    )


def training_case(rng, n):
    view = training.show()
    c = view.widget.controls
    low, high = np.log10(training.LR_RANGE)
    controls = [
        (
            "epochs",
            c["epochs"],
            lambda: int(rng.integers(0, training.EPOCHS_MAX + 1)),
        ),
        (
            "lr",
            c["lr"],
            lambda: float(10 ** rng.uniform(-2, 0)),
        ),  # a range that trains without diverging
        (
            "batch",
            c["batch_size"],
            lambda: int(rng.choice([4, 8, 16, 32, 64])),
        ),
        (
            "data set",
            c["dataset"],
            lambda: training.DATASETS[rng.integers(len(training.DATASETS))],
        ),
    ]
    lrs = [
        float(10 ** rng.uniform(-2, 0)) for _ in range(max(3, n // 10))
    ]  # 60 epochs each: a few suffice
    return view, controls, lambda lr: training.toy_run(lr=lr), lrs


CASES = {
    "nudge": nudge_case,
    "output_error": output_error_case,
    "hidden_error": hidden_error_case,
    "weights": weights_case,
    "training": training_case,
}


# -- the table ----------------------------------------------------------------------------------


def measure(name, n):
    """Return the table cells of one explorer."""
    rng = np.random.default_rng(0)
    view, controls, pure, pure_args = CASES[name](rng, n)
    cells = {}
    for label, control, pick in controls:
        control.value = walk(pick, control.value, 1)[
            0
        ]  # warm-up: fonts, caches
        wall, cpu = time_moves(control, walk(pick, control.value, n))
        cells[label] = (
            1e3 * statistics.median(wall),
            1e3 * p90(wall),
            1e3 * statistics.median(cpu),
        )
    pure_ms = 1e3 * time_calls(pure, pure_args)
    start = time.perf_counter()
    html = view.frames_html()
    return (
        controls[0][0],
        cells,
        pure_ms,
        time.perf_counter() - start,
        len(html.encode()) / 1024,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "explorers",
        nargs="*",
        metavar="EXPLORER",
        help=f"any of {', '.join(CASES)} (default: all)",
    )
    parser.add_argument(
        "--moves",
        type=int,
        default=50,
        help="moves per control (default 50)",
    )
    args = parser.parse_args()
    names = args.explorers or list(CASES)
    if set(names) - set(CASES):
        parser.error(
            f"unknown explorer(s) {sorted(set(names) - set(CASES))}; choose from {list(CASES)}"
        )
    print(
        f"{args.moves} moves per control; times in ms (median / 90th percentile, wall clock); "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}\n"
    )
    print(
        "| explorer | main slider | median | p90 | CPU | pure fn | ×pure | other controls (median / p90) "
        "| book frames | frames HTML |"
    )
    print(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
    )
    for name in names:
        main_label, cells, pure_ms, book_s, kib = measure(name, args.moves)
        median, high, cpu = cells.pop(main_label)
        others = ", ".join(
            f"{label} {m:.1f} / {h:.1f}"
            for label, (m, h, _) in cells.items()
        )
        print(
            f"| {name} | {main_label} | {median:.1f} | {high:.1f} | {cpu:.1f} | {pure_ms:.3g} "
            f"| {median / pure_ms:.3g} | {others} | {book_s:.2f} s | {kib:.0f} KiB |",
            flush=True,
        )
    print(
        f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
