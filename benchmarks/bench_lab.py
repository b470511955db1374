"""Latency of every explorer control in a real JupyterLab, headless Chromium.

In JupyterLab an explorer's numbers come from the package: a control move
sends the new controls to the kernel, which computes the state with
`backprop` and sends it back, and the view redraws. Since web/lab.js the
view first redraws at once from the in-page engine (data-drawn counts the
redraws), and again with the kernel's state (data-state) when it answers:
`update` times the first, `kernel` the second (all the view had before).

This starts the command `make lab` runs (tests/test_lab.py's running_lab, on a free port, on a copy
of nothing but one small notebook per explorer: `show()` with its defaults),
runs each notebook, and moves every control of its explorer --moves times to
values spread over its range, timed as in bench_explorers.py (the same
JS_MOVES): from just before the input/change event until data-drawn has
changed and the browser has laid out the redraw (`update`), until the next
animation frame (`frame`) and until data-state has changed (`kernel`). The target is a median `update` of at most
30 ms for the main controls; the table gives median / 30 ms as a ratio.

For the training explorer a new data set, learning rate or batch size
retrains 60 epochs in Python (a new setting each move: the values spread
over the range rarely repeat, so the kernel's cache of runs seldom helps);
its main control, the one a reader drags, is epochs.

It first times the book's side of the training explorer: one retrain (60
epochs) in the page, by batch size, on the explorer's 150 points and on 200
(target: at most 100 ms).

Run from the repository root on an otherwise idle machine:

    .venv/bin/python benchmarks/bench_lab.py
    .venv/bin/python benchmarks/bench_lab.py --moves 10 --only training
    .venv/bin/python benchmarks/bench_lab.py --retrain-only
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
os.environ.setdefault("PYTHONPATH", str(ROOT / "src"))

from bench_explorers import JS_CONTROLS, JS_MOVES, quantile  # noqa: E402

TARGET_MS = 30.0

# JS_MOVES, timing two moments of each move: the view redrawn (data-drawn
# changed: web/lab.js draws from the in-page engine at once) and the
# kernel's state shown (data-state changed), which is all the view had
# before lab.js.
JS_LAB_MOVES = JS_MOVES.replace(
    'const before = root.getAttribute("data-drawn");',
    'const before = root.getAttribute("data-drawn");\n'
    '    const kernelBefore = root.getAttribute("data-state");',
).replace(
    "out.push([t1 - t0, performance.now() - t0]);",
    "const t2 = performance.now();\n"
    # A view-only control (data-view-only) changes no state: nothing to wait.
    '    while (!c.hasAttribute("data-view-only") &&\n'
    '           root.getAttribute("data-state") === kernelBefore) {\n'
    "      if (performance.now() - t0 > 5000) break;\n"
    "      await new Promise((r) => setTimeout(r, 1));\n"
    "    }\n"
    "    out.push([t1 - t0, t2 - t0, performance.now() - t0]);",
)


def _notebook(module):
    """Return a one-cell notebook (nbformat 4 JSON) showing module's explorer."""
    source = f"from backprop.explorers import {module}\n\n{module}.show()"
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _explorers(only):
    """Return {explorer name: module name} of every registered explorer."""
    from browser_support import engine_explorers

    found = {
        name: show.__module__.rsplit(".", 1)[1]
        for name, show in engine_explorers().items()
    }
    return {k: v for k, v in sorted(found.items()) if not only or k in only}


def _open_and_run(page, base, token, name):
    """Open notebook bench_<name>.ipynb, run it, return its explorer's root."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # A workspace of its own: only this notebook is open in the page.
    page.goto(
        f"{base}/lab/workspaces/bench-{name}/tree/bench_{name}.ipynb"
        f"?token={token}"
    )
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=10_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_selector(
        ".jp-StatusBar-TextItem:has-text('| Idle')", timeout=120_000
    )
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(
        ".lm-Menu-itemLabel", has_text="Run All Cells"
    ).first.click()
    root = page.locator(f'[data-explorer="{name}"].bp-live[data-state]')
    root.wait_for(timeout=120_000)
    return root


def measure(explorers, moves):
    """Return rows (explorer, control, update, frame, kernel ms lists)."""
    from playwright.sync_api import sync_playwright

    from browser_support import launch_chromium
    from test_lab import running_lab

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "chapters").mkdir()
        for name, module in explorers.items():
            path = folder / "chapters" / f"bench_{name}.ipynb"
            path.write_text(json.dumps(_notebook(module)), encoding="utf-8")
        extra = [f"--LabApp.workspaces_dir={folder / 'workspaces'}"]
        with (
            running_lab(folder, extra) as (base, token),
            sync_playwright() as pw,
        ):
            browser = launch_chromium(pw)
            for name in explorers:
                page = browser.new_page(
                    viewport={"width": 1280, "height": 900}
                )
                root = _open_and_run(page, base, token, name)
                root.scroll_into_view_if_needed()
                handle = root.element_handle()
                for i, key in enumerate(root.evaluate(JS_CONTROLS)):
                    page.evaluate(JS_LAB_MOVES, [handle, i, 2])  # warm up
                    times = page.evaluate(JS_LAB_MOVES, [handle, i, moves])
                    rows.append(
                        (
                            name,
                            key,
                            [t[0] for t in times],
                            [t[1] for t in times],
                            [t[2] for t in times],
                        )
                    )
                    print(".", end="", flush=True, file=sys.stderr)
                page.close()
            print(file=sys.stderr)
    return rows


JS_RETRAIN = """
([config, sizes, n]) => {
  const out = {};
  for (const b of sizes) {
    window.trainRun(config, "moons", 0.1, b); // warm up
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      window.trainRun(config, "moons", 0.1, b);
      t.push(performance.now() - t0);
    }
    out[b] = t;
  }
  return out;
}
"""


def retrain_times(m, n=10):
    """Return {batch size: ms list} of the page's 60-epoch retrain on m points."""
    from playwright.sync_api import sync_playwright

    from backprop.explorers import training
    from browser_support import launch_chromium

    config = training.make_config(m=m)
    ex = training.show()
    # The view's functions live in a module script: expose trainRun.
    html = ex.book_html().replace(
        'ui.boot("', 'window.trainRun = trainRun; ui.boot("', 1
    )
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        path = Path(tmp) / "training.html"
        path.write_text(
            f"<!doctype html><meta charset='utf-8'><body>{html}</body>",
            encoding="utf-8",
        )
        browser = launch_chromium(pw)
        page = browser.new_page()
        page.goto(path.as_uri())
        page.wait_for_selector(".bp-live[data-explorer]")
        sizes = [1, 8, 32, m]
        times = page.evaluate(JS_RETRAIN, [config, sizes, n])
        browser.close()
    return {int(k): v for k, v in times.items()}


def main():
    """Print the latency table of every explorer control in JupyterLab."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--only", nargs="*", help="explorer names")
    parser.add_argument(
        "--retrain-only",
        action="store_true",
        help="only the book's in-page retrain of the training explorer",
    )
    args = parser.parse_args()
    print(
        "Book, in the page: one retrain of the training explorer, 60 "
        "epochs at learning rate 0.1, ms (headless Chromium; target 100)"
    )
    print(
        f"{'points':>6} {'batch':>5} {'median':>7} {'p90':>7} {'med/100':>7}"
    )
    for m in (150, 200):
        for b, t in retrain_times(m).items():
            med = statistics.median(t)
            print(
                f"{m:>6} {b:>5} {med:7.1f} {quantile(t, 0.9):7.1f} "
                f"{med / 100:7.2f}"
            )
    if args.retrain_only:
        return
    print()
    rows = measure(_explorers(args.only), args.moves)
    print(
        f"JupyterLab: control move -> redrawn view (update, frame) and "
        f"-> the kernel's state shown (kernel), {args.moves} moves each, "
        "ms (headless Chromium)"
    )
    header = (
        f"{'explorer':<13} {'control':<11} {'median':>7} {'p90':>7} "
        f"{'med/30ms':>8} {'frame med':>9} {'kernel med':>10} "
        f"{'kernel p90':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, key, update, frame, kernel in rows:
        median = statistics.median(update)
        print(
            f"{name:<13} {str(key)[:11]:<11} {median:7.1f} "
            f"{quantile(update, 0.9):7.1f} {median / TARGET_MS:8.2f} "
            f"{statistics.median(frame):9.1f} "
            f"{statistics.median(kernel):10.1f} "
            f"{quantile(kernel, 0.9):10.1f}"
        )


if __name__ == "__main__":
    main()
