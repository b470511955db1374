"""Shared pytest configuration for the book's tests."""

import os

import pytest
from hypothesis import settings

# ---------------------------------------------------------------------------
# Property tests: in CI, Hypothesis draws the same examples every run, so a
# red build points at the code, never at the luck of the draw; locally it
# explores new examples each time.
# ---------------------------------------------------------------------------
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# ---------------------------------------------------------------------------
# Browser tests (tests/test_browser.py, helpers in tests/browser_support.py):
# print what they found that does not fail a test (moderate and minor axe
# findings, sideways scrolling, where the screenshots went) at the end of
# the run, and keep a copy next to the screenshots.
# ---------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    import sys

    support = sys.modules.get("browser_support")
    if support is None or not any(support.SUMMARY.values()):
        return
    lines = []
    for title, items in support.SUMMARY.items():
        if title == "screenshots":
            if items:
                folder = support.screenshot_dir(support.book_html_dir())
                lines.append(
                    f"screenshots: {len(items)} written to {folder}"
                )
            continue
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in sorted(set(items)))
    terminalreporter.write_sep("=", "browser findings (not failures)")
    for line in lines:
        terminalreporter.write_line(line)
    out = support.screenshot_dir(support.book_html_dir())
    if out.is_dir():
        (out / "browser-findings.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def playwright_session():
    """One Playwright for the whole run (a second sync one cannot start)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
