"""Latency of one slider move of the output-error explorer (chapter 3).

One move = recompute the OutputErrorState at the new (z, y) (a y move also
recomputes the four curves of 401 points), update the figure's artists and
render the one figure to the Image widget's PNG, plus the text readout:
exactly what the live widget does. Prints the median and spread of 50 moves of
each slider, the pure function alone, and the time and size of the book's
precomputed frames.

Run: .venv/bin/python benchmarks/bench_explorer_output_error.py
"""

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from backprop.explorers import output_error as oe  # noqa: E402


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
    print(f"{name:<24} median {statistics.median(ms):6.1f} ms   "
          f"p10 {ms[len(ms) // 10]:6.1f} ms   p90 {ms[9 * len(ms) // 10]:6.1f} ms   "
          f"(CPU median {1000 * statistics.median(cpu):5.1f} ms, n = {len(ms)})")


def main():
    explorer = oe.OutputErrorExplorer(z=-4.0, y=1.0)
    rng = np.random.default_rng(0)
    explorer.z.value = -3.9  # warm-up: fonts, caches
    zs = np.round(rng.uniform(*oe.Z_RANGE, 50), 1)
    zs[zs == explorer.z.value] += 0.1           # every assignment must be a real move
    report("z slider move", moves(explorer.z, zs))
    ys = np.round(rng.uniform(*oe.Y_RANGE, 50), 2)
    ys[ys == explorer.y.value] = 0.5 if explorer.y.value != 0.5 else 0.55
    report("y slider move", moves(explorer.y, ys))
    t = time.perf_counter()
    for z in zs:
        oe.output_errors(z, 1.0)
    print(f"{'pure output_errors()':<24} mean   {1e6 * (time.perf_counter() - t) / len(zs):6.1f} µs")
    t = time.perf_counter()
    html = explorer.book_view()
    print(f"{f'book frames ({len(oe.BOOK_ZS)})':<24} total  {time.perf_counter() - t:6.2f} s, "
          f"{len(html) / 1024:.0f} KiB of HTML")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
