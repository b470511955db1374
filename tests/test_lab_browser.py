"""A real JupyterLab in headless Chromium: a chapter runs, an explorer lives.

Starts the very command `make lab` runs (tests/test_lab.py's running_lab:
a free local port and a token), opens chapter 10 as a notebook (jupytext,
the project's default viewer for Markdown), runs all its cells from the Run
menu, then moves controls of the training explorer with the keyboard and by
input events, and checks that the view's data-state is what the package
computes at the new controls (JupyterLab's numbers are Python's). Every
request to a host other than this machine is blocked and reported.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from backprop.explorers import training as T
from browser_support import compare_states, is_local_url, launch_chromium
from test_lab import ROOT, running_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHAPTER = "10_digits.md"  # the chapter cell: training_explorer.show(...)
EXPLORER = '[data-explorer="training"]'
RUN_TIMEOUT_MS = 300_000  # the whole chapter, on a busy machine


def _state(page):
    return json.loads(page.get_attribute(EXPLORER, "data-state"))


def _wait_for_new_state(page, old, timeout_s=60):
    """Return the explorer's data-state once it differs from old."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = page.get_attribute(EXPLORER, "data-state")
        if text != old:
            return json.loads(text)
        page.wait_for_timeout(50)
    pytest.fail(
        f"the explorer's data-state did not change in {timeout_s} s"
    )


def _expected(state):
    """Return the package's state at the controls shown (the chapter's config)."""
    controls = {k: state[k] for k in T.make_controls()}
    return T.state(T.make_config(seed=0), controls)


@pytest.fixture(scope="module")
def lab_page(tmp_path_factory, playwright_session):
    # JupyterLab saves what it runs (jupytext writes the .md back): serve a
    # copy of the chapters, never the book's own files.
    folder = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "chapters", folder / "chapters")
    # Its own workspaces, too: JupyterLab reopens the last session's tabs
    # from ~/.jupyter/lab/workspaces, which another run may have left.
    workspaces = f"--LabApp.workspaces_dir={folder / 'workspaces'}"
    browser = launch_chromium(playwright_session)
    with running_lab(folder, [workspaces]) as (base, token):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        outside, errors = [], []

        def route(r):
            if is_local_url(r.request.url):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/lab/tree/{CHAPTER}?token={token}")
        page.wait_for_selector(
            ".jp-NotebookPanel .jp-Cell", timeout=120_000
        )
        # JupyterLab may ask which kernel to start: the chapter's, Python 3.
        accept = page.locator(".jp-Dialog .jp-mod-accept")
        try:
            accept.wait_for(timeout=15_000)
            accept.click()
        except PlaywrightTimeout:
            pass
        page.wait_for_selector(
            ".jp-StatusBar-TextItem:has-text('Python 3 (ipykernel) | Idle')",
            timeout=120_000,
        )
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(
            ".lm-Menu-itemLabel", has_text="Run All Cells"
        ).first.click()
        page.wait_for_selector(
            f"{EXPLORER}.bp-live[data-state]", timeout=RUN_TIMEOUT_MS
        )
        yield page, outside, errors
        context.close()
    browser.close()


def test_the_chapter_runs_and_the_explorer_shows_the_packages_numbers(
    lab_page,
):
    page, outside, errors = lab_page
    state = _state(page)
    assert compare_states(state, _expected(state)) == []
    # It is the anywidget view, not the book's HTML: no stand-in model.
    assert page.evaluate(
        f"() => !document.querySelector('{EXPLORER}').bpModel"
    )
    # No news pop-up asking to fetch from the internet (lab/overrides.json).
    assert page.locator(".jp-toast-message", has_text="news").count() == 0
    assert outside == [] and errors == []


@pytest.mark.parametrize(
    "control, how",
    [("epochs", "keyboard"), ("lr", "input"), ("dataset", "select")],
)
def test_moving_a_control_recomputes_with_the_package(
    lab_page, control, how
):
    page, outside, errors = lab_page
    before = page.get_attribute(EXPLORER, "data-state")
    drawing = page.locator(f"{EXPLORER} path.bp-boundary").get_attribute(
        "d"
    )
    element = page.locator(f'{EXPLORER} [data-control="{control}"]')
    element.scroll_into_view_if_needed()
    if how == "keyboard":
        element.focus()
        element.press("ArrowLeft")
    elif how == "select":
        now = element.input_value()
        element.select_option("circles" if now == "moons" else "moons")
    else:
        element.evaluate(
            """(e) => { e.value = String(+e.value + 1);
                e.dispatchEvent(new Event("input", {bubbles: true})); }"""
        )
    state = _wait_for_new_state(page, before)
    assert state[control] != json.loads(before)[control]
    # The kernel answered: Python's state at the new controls, redrawn.
    assert compare_states(state, _expected(state)) == []
    page.wait_for_function(
        f"""(old) => document.querySelector('{EXPLORER} path.bp-boundary')
                     .getAttribute('d') !== old""",
        arg=drawing,
    )
    status = page.locator(f"{EXPLORER} .bp-status").text_content()
    assert status == state["status"]
    assert outside == [] and errors == []
