"""Latency of one slider move of the nudge explorer (chapter 2).

One move = recompute the NudgeState (cost curve of 161 points, backprop
slope) and redraw the one figure into the Image widget's PNG, exactly what
the live widget does. Prints the median and spread of 50 moves of each
control, and the time to build the book's frames.

Run: .venv/bin/python benchmarks/bench_explorer_nudge.py
"""

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from backprop.explorers import nudge  # noqa: E402


def moves(explorer, control, values):
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
    explorer = nudge.NudgeExplorer(weight=(1, 2, 0))
    rng = np.random.default_rng(0)
    explorer.dw.value = 0.1  # warm-up: fonts, caches
    report("Δw slider move", moves(explorer, explorer.dw, np.round(rng.uniform(*nudge.DW_RANGE, 50), 2)))
    report("w₀ slider move", moves(explorer, explorer.w, np.round(rng.uniform(*nudge.W_RANGE, 50), 2)))
    choices = [value for _, value in nudge.weight_choices(explorer.net)]
    picks = [choices[i % len(choices)] for i in range(1, 51)]
    report("weight dropdown change", moves(explorer, explorer.weight, picks))
    t = time.perf_counter()
    compute = [nudge.nudge(explorer.net, explorer.X, explorer.Y, (1, 2, 0), dw) for dw in rng.uniform(-2, 2, 50)]
    print(f"{'pure nudge() alone':<24} mean   {1000 * (time.perf_counter() - t) / len(compute):6.1f} ms")
    t = time.perf_counter()
    html = explorer.book_view()
    print(f"{f'book frames ({len(nudge.BOOK_DWS)})':<24} total  {time.perf_counter() - t:6.2f} s, {len(html) / 1024:.0f} KiB of HTML")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
