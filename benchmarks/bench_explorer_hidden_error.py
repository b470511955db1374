"""Latency of one control move of the hidden-error explorer (chapter 4).

One move of the depth or scale slider = rebuild the three deep random networks
(sigmoid, tanh, ReLU; 64 units a layer, a batch of 32), run their forward and
backward passes, update the figure's artists and render the one figure to the
Image widget's PNG, plus the text readout: exactly what the live widget does.
A dropdown change only redraws (the states of all three activations are
already computed). Prints the median and spread of 50 moves of each control,
the pure function alone, and the time and size of the book's precomputed frames.

Run: .venv/bin/python benchmarks/bench_explorer_hidden_error.py
"""

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from backprop.explorers import hidden_error as he  # noqa: E402


def moves(control, values):
    """Return (wall, cpu) seconds of each assignment control.value = v (the observer redraws)."""
    wall, cpu = [], []
    for v in values:
        t, c = time.perf_counter(), time.process_time()
        control.value = v
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def report(name, times):
    wall, cpu = times
    ms = sorted(1000 * t for t in wall)
    print(f"{name:<26} median {statistics.median(ms):6.1f} ms   "
          f"p10 {ms[len(ms) // 10]:6.1f} ms   p90 {ms[9 * len(ms) // 10]:6.1f} ms   "
          f"(CPU median {1000 * statistics.median(cpu):5.1f} ms, n = {len(ms)})")


def main():
    explorer = he.HiddenErrorExplorer("tanh", depth=15, scale=1.0)
    rng = np.random.default_rng(0)
    explorer.scale.value = 1.1  # warm-up: fonts, caches
    scales = 2.0 ** rng.uniform(-2, 2, 50)        # log-uniform over [1/4, 4], never exactly repeated
    report("scale slider move", moves(explorer.scale, scales))
    depths = [d if d != 15 else 14 for d in rng.integers(he.DEPTH_RANGE[0], he.DEPTH_RANGE[1] + 1, 50)]
    depths = [d if d != prev else (d % he.DEPTH_RANGE[1]) + 2 for prev, d in zip([explorer.depth.value] + depths, depths)]
    report("depth slider move", moves(explorer.depth, depths))
    picks = [he.ACTIVATIONS[i % 3] for i in range(1, 51)]
    report("activation dropdown change", moves(explorer.activation, picks))
    t = time.perf_counter()
    for g in scales:
        he.all_states(15, g)
    print(f"{'pure all_states() (3 nets)':<26} mean   {1000 * (time.perf_counter() - t) / len(scales):6.1f} ms")
    t = time.perf_counter()
    html = explorer.book_view()
    print(f"{f'book frames ({len(he.BOOK_SCALES)})':<26} total  {time.perf_counter() - t:6.2f} s, "
          f"{len(html) / 1024:.0f} KiB of HTML")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
