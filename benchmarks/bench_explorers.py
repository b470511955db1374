"""Latency of every explorer control in the built book, in headless Chromium.

The explorers of the HTML book compute in the page (web/engine.js). This
opens each built chapter from file://, finds every explorer root
([data-explorer]) and every control inside it (input and select elements,
discovered generically, so every explorer of the book is measured), and
moves each control --moves times to values spread over its range (another
option for a select). One move is timed with performance.now() from just
before the dispatched input/change event until the explorer has redrawn
(its data-drawn count changed) and the browser has recomputed style and layout (`update`: the
engine's recomputation and the redraw of the SVG and the readouts), and
until the next animation frame starts (`frame`, which includes waiting for
it). The target is one frame at 60 Hz: p90 of `update` at most 16 ms; the
table gives p90 / 16 ms as a ratio. Page weights follow the table.

Run from the repository root after a book build, on an otherwise idle
machine (2 cores shared with a build change the numbers by large factors):

    .venv/bin/python benchmarks/bench_explorers.py
    .venv/bin/python benchmarks/bench_explorers.py --moves 20 --book _build/html
"""

import argparse
import statistics
from pathlib import Path

TARGET_MS = 16.0

# Moves one control of one root `n` times; returns [update ms, frame ms].
JS_MOVES = """
async ([root, index, n]) => {
  const c = root.querySelectorAll("input, select")[index];
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const out = [];
  for (let i = 0; i < n; i++) {
    await frame();
    const before = root.getAttribute("data-drawn");
    if (c.tagName === "SELECT") {
      c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
    } else if (c.type === "checkbox") {
      c.checked = !c.checked;
    } else {
      const lo = Number(c.min || 0), hi = Number(c.max || 100);
      const step = Number(c.step) || (hi - lo) / 100;
      const k = Math.round((hi - lo) / step);
      // Spread over the range, never the same position twice in a row.
      let pos = Math.round(((i * 0.618034) % 1) * k);
      if (lo + pos * step === Number(c.value)) pos = (pos + 1) % (k + 1);
      c.value = String(lo + pos * step);
    }
    const t0 = performance.now();
    c.dispatchEvent(new Event("input", { bubbles: true }));
    c.dispatchEvent(new Event("change", { bubbles: true }));
    while (root.getAttribute("data-drawn") === before) {
      if (performance.now() - t0 > 5000) break;
      await frame();
    }
    root.getBoundingClientRect(); // style and layout of the redraw
    const t1 = performance.now();
    await frame();
    out.push([t1 - t0, performance.now() - t0]);
  }
  return out;
}
"""

JS_CONTROLS = """
(root) => Array.from(root.querySelectorAll("input, select")).map((c) =>
  c.dataset.control || c.name || c.id)
"""


def quantile(values, q):
    """Return the q-quantile of values (linear interpolation)."""
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    pos = q * (len(values) - 1)
    i = int(pos)
    j = min(i + 1, len(values) - 1)
    return values[i] + (values[j] - values[i]) * (pos - i)


def launch(pw):
    """Launch Debian's Chromium, or Playwright's own if it is missing."""
    exe = Path("/usr/bin/chromium")
    kwargs = {"args": ["--no-sandbox", "--disable-gpu"], "headless": True}
    if exe.exists():
        kwargs["executable_path"] = str(exe)
    return pw.chromium.launch(**kwargs)


def measure(book, moves):
    """Return rows (page, explorer, control, update ms list, frame ms list)."""
    from playwright.sync_api import sync_playwright

    rows = []
    pages = sorted((book / "chapters").glob("*.html"))
    with sync_playwright() as pw:
        browser = launch(pw)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("file:", "data:", "blob:"))
                else r.abort()
            ),
        )
        for page in pages:
            if "data-explorer" not in page.read_text(encoding="utf-8"):
                continue
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_selector(".bp-live[data-explorer]")
            roots = tab.locator("[data-explorer]")
            for r in range(roots.count()):
                controls = roots.nth(r).evaluate(JS_CONTROLS)
                for i, key in enumerate(controls):
                    # A fresh page per control: every control is measured
                    # from the explorer's starting setting.
                    tab.goto(page.as_uri(), wait_until="load")
                    tab.wait_for_selector(".bp-live[data-explorer]")
                    root = tab.locator("[data-explorer]").nth(r)
                    root.scroll_into_view_if_needed()
                    name = root.get_attribute("data-explorer")
                    handle = root.element_handle()
                    tab.evaluate(JS_MOVES, [handle, i, 2])  # warm up
                    times = tab.evaluate(JS_MOVES, [handle, i, moves])
                    rows.append(
                        (
                            page.stem,
                            name,
                            key,
                            [t[0] for t in times],
                            [t[1] for t in times],
                        )
                    )
        browser.close()
    return rows


def main():
    """Print the latency table and the page weights."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--book", type=Path, default=Path("_build/html"))
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    if not (args.book / "index.html").is_file():
        raise SystemExit(f"no built book at {args.book}: build it first")
    rows = measure(args.book.resolve(), args.moves)
    print(
        f"Control move -> recomputed and redrawn, {args.moves} moves each, "
        "ms (headless Chromium, file://)"
    )
    header = (
        f"{'page':<20} {'explorer':<13} {'control':<11} "
        f"{'median':>7} {'p90':>7} {'p90/16ms':>8} {'frame p90':>9}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for page, name, key, update, frame in rows:
        p90 = quantile(update, 0.9)
        worst = max(worst, p90)
        print(
            f"{page[:20]:<20} {name:<13} {str(key)[:11]:<11} "
            f"{statistics.median(update):7.2f} {p90:7.2f} "
            f"{p90 / TARGET_MS:8.2f} {quantile(frame, 0.9):9.2f}"
        )
    if rows:
        print(
            f"worst p90: {worst:.2f} ms = {worst / TARGET_MS:.2f} x the "
            f"{TARGET_MS:.0f} ms target"
        )
    print("\nPage weights (bytes, du -b):")
    for page in sorted((args.book / "chapters").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        n = text.count("data-explorer=")
        mark = f"  {n} explorer(s)" if n else ""
        print(f"{page.stat().st_size:>9}  {page.name}{mark}")


if __name__ == "__main__":
    main()
