"""Latency of one slider move in the weights-and-biases explorer (chapters 5 and 6).

A move is what a reader's drag triggers in the kernel: set the slider's value,
which recomputes the state (forward pass, the four rules, the cost) and
redraws the one figure into the widget's PNG. The figure printed is the median
of 50 moves, split into its two parts. Run from the repository root:

    .venv/bin/python benchmarks/bench_explorer_weights.py
"""

import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from backprop.explorers import weights as wx  # noqa: E402

MOVES = 50


def median_ms(samples):
    return 1e3 * statistics.median(samples)


def main():
    view = wx.explore()
    box, ex = view.widget, view.widget.explorer
    values = np.linspace(*wx.VALUE_RANGE, MOVES)
    rng = np.random.default_rng(0)
    rng.shuffle(values)

    total, compute, draw = [], [], []
    for v in values:
        start = time.perf_counter()
        box.slider.value = float(v)  # the whole observer chain: recompute + redraw + PNG
        total.append(time.perf_counter() - start)
    for v in values:
        start = time.perf_counter()
        s = wx.state(ex.net, ex.X, ex.Y, ex.param, float(v))
        middle = time.perf_counter()
        ex.view.update(s).png()
        end = time.perf_counter()
        compute.append(middle - start)
        draw.append(end - middle)

    start = time.perf_counter()
    box.selector.value = wx.bias(1, 2)
    select = time.perf_counter() - start
    start = time.perf_counter()
    html = view.frames_html()
    book = time.perf_counter() - start

    print(f"weights explorer, {'-'.join(map(str, ex.net.sizes))} network, m = {ex.X.shape[1]}")
    print(f"one slider move (median of {MOVES}): {median_ms(total):.1f} ms")
    print(f"  recompute state:            {median_ms(compute):.2f} ms")
    print(f"  redraw figure + PNG:        {median_ms(draw):.1f} ms")
    print(f"select another parameter:     {1e3 * select:.0f} ms")
    print(f"book view (frames, once):     {1e3 * book:.0f} ms, {len(html) / 1024:.0f} KiB of HTML")


if __name__ == "__main__":
    main()
