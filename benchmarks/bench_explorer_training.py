"""Latency of the training explorer: one slider move = recompute + redraw + new PNG in the widget.

Run from the repository root:  .venv/bin/python benchmarks/bench_explorer_training.py

Moves each slider of the live widget 50 times from Python, as a reader's drag
would, and prints the median and 90th percentile time per move. The epochs
slider only looks along a run already trained; the learning-rate and
batch-size sliders retrain 60 epochs (their sliders update on release). Also
times the book view (all frames precomputed).
"""

import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from backprop.explorers import training as T  # noqa: E402

N = 50


def time_moves(slider, values):
    """Return the seconds taken by each assignment slider.value = v (the observers run synchronously)."""
    times = []
    for v in values:
        start = time.perf_counter()
        slider.value = v
        times.append(time.perf_counter() - start)
    return times


def report(name, times):
    times = sorted(times)
    p90 = times[int(0.9 * (len(times) - 1))]
    print(f"{name:<34} median {1e3 * statistics.median(times):7.1f} ms   90th percentile {1e3 * p90:7.1f} ms   (n = {len(times)})")


def main():
    view = T.explore()
    controls = view.widget.controls
    rng = np.random.default_rng(0)

    epochs = [int(e) for e in rng.integers(0, T.EPOCHS_MAX + 1, size=N)]
    epochs = [e if e != controls["epochs"].value else (e + 1) % (T.EPOCHS_MAX + 1) for e in epochs]
    report("epochs slider (look-up + redraw)", time_moves(controls["epochs"], epochs))

    lrs = [float(v) for v in 10 ** rng.uniform(-2, 0, size=N)]
    report("learning-rate slider (retrain)", time_moves(controls["lr"], lrs))

    controls["lr"].value = 0.1
    batches = [int(b) for b in rng.choice([4, 8, 16, 32, 64], size=N)]
    batches = [b if i == 0 or b != batches[i - 1] else b * 2 for i, b in enumerate(batches)]
    report("batch-size slider (retrain, b 4-128)", time_moves(controls["batch_size"], batches))

    start = time.perf_counter()
    html = T.explore().frames_html()
    print(f"book view: {html.count('data:image/png') - 1} frames ({len(html) / 1024:.0f} KB of HTML) "
          f"in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
