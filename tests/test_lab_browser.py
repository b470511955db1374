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
    assert status == (
        f"epoch {state['epoch']}: training loss {state['C']:.4f}, "
        f"accuracy {100 * state['accuracy']:.1f}%"
    ) or status.startswith(f"diverged in epoch {state['diverged_at']}:")
    assert outside == [] and errors == []


# -- every chapter in the Lab `make lab` starts (issue 15) ----------------------
#
# One Lab session, one workspace per chapter: open it, Run All, then read
# what the reader sees. BP_LAB_CHAPTERS (names, comma-separated) narrows the
# run when working on one chapter; `make test` runs them all.

import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import urllib.request  # noqa: E402

from browser_support import compare_states as _compare  # noqa: E402

ALL_CHAPTERS = sorted(p.name for p in (ROOT / "chapters").glob("*.md"))
CHAPTERS = [
    c
    for c in ALL_CHAPTERS
    if not os.environ.get("BP_LAB_CHAPTERS")
    or c in os.environ["BP_LAB_CHAPTERS"].split(",")
]
#: What a Markdown cell shows when MyST is not rendered.
MYST_SOURCE = [
    ":::{",
    "```{",
    "{glue",
    "{eval}",
    "{ref}",
    "{doc}",
    ":class:",
]


def _run_chapter(page, base, token, chapter):
    """Open chapter in a workspace of its own, run all cells, wait till idle."""
    stem = chapter.removesuffix(".md")
    page.goto(
        f"{base}/lab/workspaces/ch-{stem}/tree/{chapter}?token={token}"
    )
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=10_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    idle = ".jp-StatusBar-TextItem:has-text('| Idle')"
    page.wait_for_selector(idle, timeout=120_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(
        ".lm-Menu-itemLabel", has_text="Run All Cells"
    ).first.click()
    # Busy, then idle again with no cell left waiting ([*]).
    page.wait_for_timeout(1000)
    page.wait_for_function(
        """() => {
          const s = document.querySelector('.jp-StatusBar-TextItem');
          const busy = [...document.querySelectorAll('.jp-InputPrompt')]
            .some((p) => p.textContent.includes('*'));
          return !busy && [...document.querySelectorAll(
            '.jp-StatusBar-TextItem')].some((t) => /\\| Idle/.test(
            t.textContent));
        }""",
        timeout=RUN_TIMEOUT_MS,
    )


def _stop_kernels(base, token):
    sessions = _get_json(f"{base}/api/sessions?token={token}")
    for s in sessions:
        req = urllib.request.Request(
            f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE"
        )
        urllib.request.urlopen(req, timeout=10).close()


def _get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def chapters_in_lab(tmp_path_factory, playwright_session):
    """Yield {chapter: report} of every chapter run in one Lab session."""
    folder = tmp_path_factory.mktemp("lab-all")
    shutil.copytree(ROOT / "chapters", folder / "chapters")
    workspaces = f"--LabApp.workspaces_dir={folder / 'workspaces'}"
    browser = launch_chromium(playwright_session)
    reports = {}
    with running_lab(folder, [workspaces]) as (base, token):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        errors = []
        page.on(
            "pageerror", lambda e: errors.append(f"{e}\n{e.stack or ''}")
        )
        for chapter in CHAPTERS:
            _run_chapter(page, base, token, chapter)
            reports[chapter] = _read_chapter(page)
            # Saved as a reader would (jupytext writes the .md back).
            page.locator(".jp-NotebookPanel .jp-Cell").first.click()
            page.keyboard.press("Control+s")
            page.wait_for_timeout(2000)
            reports[chapter]["saved"] = (
                folder / "chapters" / chapter
            ).read_text()
            reports[chapter]["errors"] = list(errors)
            errors.clear()
            _stop_kernels(base, token)
        context.close()
    browser.close()
    return reports


def _read_chapter(page):
    """Return what the reader sees: Markdown text, outputs, solutions, keys."""
    report = page.evaluate(
        """() => {
          const md = [...document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell')];
          // jupyterlab-myst renders into its own element (.myst),
          // JupyterLab's own renderer into .jp-RenderedMarkdown.
          const text = md.map((c) => {
            const out = c.querySelector('.myst, .jp-RenderedMarkdown');
            return out ? out.textContent : '(not rendered) ' + c.textContent;
          });
          const details = [...document.querySelectorAll(
            '.jp-MarkdownCell details')];
          return {
            markdown: text,
            expression_errors: document.querySelectorAll(
              '.myst-RenderedExpressionError, [data-mime-type=\
"application/vnd.jupyter.stderr"]').length,
            cell_errors: document.querySelectorAll(
              '.jp-OutputArea-output[data-mime-type=\
"application/vnd.jupyter.stderr"]').length,
            solutions: details.map((d) => ({
              open: d.open, text: d.innerText.slice(0, 60)})),
          };
        }"""
    )
    report["solution_opens"] = _solution_opens_on_click(page)
    report["keys"] = _keys_move_every_control(page)
    report["local_first"] = _local_first_equals_package(page)
    return report


def _solution_opens_on_click(page):
    """Click the first solution's summary; return whether it opened."""
    from playwright.sync_api import Error as PlaywrightError

    first = page.locator(".jp-MarkdownCell details").first
    if first.count() == 0:
        return None
    # Keep to one solution: JupyterLab attaches cells as the page scrolls
    # to the click, so `.first` may be another (closed) one afterwards.
    # React may draw the cell again between the steps: then mark anew.
    mark = "(d) => d.setAttribute('data-bp-clicked', '')"
    marked = page.locator(".jp-MarkdownCell details[data-bp-clicked]")
    problem = "no attempt"
    for _ in range(5):
        try:
            if marked.count() == 0:
                first.evaluate(mark)
            marked.locator("summary").first.click(timeout=10_000)
            page.wait_for_timeout(300)
            return marked.evaluate("(d) => d.open", timeout=10_000)
        except PlaywrightError as e:
            problem = str(e).splitlines()[0]
            page.wait_for_timeout(500)
    return f"not clicked: {problem}"


def _active_cell(page):
    return page.evaluate(
        """() => [...document.querySelectorAll(
          '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')]
          .findIndex((c) => c.classList.contains('jp-mod-active'))"""
    )


def _keys_move_every_control(page):
    """Return the failures of the keys on every slider and number field.

    A slider moves with the arrow keys, Home and End; a number field steps
    with ArrowUp/ArrowDown (Home, End and ArrowLeft/Right move its caret).
    No key may reach the notebook: the active cell stays the same.
    """
    failures = []
    controls = page.locator(
        ".bp-explorer.bp-live input[type=range], "
        ".bp-explorer.bp-live input[type=number]"
    )
    for i in range(controls.count()):
        c = controls.nth(i)
        name = c.get_attribute("data-control") or f"#{i}"
        c.scroll_into_view_if_needed()
        c.focus()
        cell = _active_cell(page)
        if c.get_attribute("type") == "number":
            # A field at its max steps down, else up (and then back).
            before = c.input_value()
            top = c.get_attribute("max")
            at_top = bool(before and top) and float(before) >= float(top)
            key, back = (
                ("ArrowDown", "ArrowUp")
                if at_top
                else ("ArrowUp", "ArrowDown")
            )
            c.press(key)
            moved = c.input_value()
            c.press(back)
            for k in ("Home", "End", "ArrowLeft", "ArrowRight"):
                c.press(k)
            # A field with step="any" has no step for the arrows to take:
            # only the notebook is checked.
            if moved == before and c.get_attribute("step") != "any":
                failures.append(f"{name}: {key} did not step it")
        else:
            lo = float(c.get_attribute("min"))
            hi = float(c.get_attribute("max"))
            for key, want in (("Home", lo), ("End", hi)):
                c.press(key)
                got = float(c.input_value())
                if abs(got - want) > 1e-9 * max(1, abs(want)):
                    failures.append(f"{name}: {key} gave {got}, not {want}")
            c.press("ArrowLeft")
            if not float(c.input_value()) < hi:
                failures.append(
                    f"{name}: ArrowLeft did not move it from {hi}"
                )
            c.press("ArrowRight")
            if float(c.input_value()) != hi:
                failures.append(f"{name}: ArrowRight did not move it back")
        if _active_cell(page) != cell:
            failures.append(f"{name}: the keys moved the active cell")
    return failures


def _local_first_equals_package(page, moves=2, seed=0):
    """Return the differences of the page's drawing from the kernel's state."""
    rng = random.Random(seed)
    problems = []
    roots = page.locator(".bp-explorer.bp-live[data-explorer]")
    for r in range(roots.count()):
        root = roots.nth(r)
        name = root.get_attribute("data-explorer")
        sliders = root.locator("input[type=range]")
        for _ in range(moves if sliders.count() else 0):
            s = sliders.nth(rng.randrange(sliders.count()))
            s.evaluate(
                """(e, u) => { const lo = +e.min, hi = +e.max,
                    st = +e.step || (hi - lo) / 100;
                    e.value = String(lo + Math.round(u * (hi - lo) / st) * st);
                    e.dispatchEvent(new Event('input', {bubbles: true})); }""",
                rng.random(),
            )
            local = root.get_attribute("data-page-state")
            if local is None:
                problems.append(f"{name}: no state drawn by the page")
                continue
            # The kernel may still be answering older moves (the keys'
            # test above makes many): wait for its answer to these
            # controls, as lab.js draws it (the same test as lab.js's).
            try:
                page.wait_for_function(
                    """(el) => {
                      const s = JSON.parse(el.getAttribute('data-state'));
                      const c = JSON.parse(
                        el.getAttribute('data-page-controls'));
                      return Object.entries(c).every(([k, v]) =>
                        !(k in s) || JSON.stringify(s[k]) ===
                          JSON.stringify(v));
                    }""",
                    arg=root.element_handle(),
                    timeout=60_000,
                )
            except PlaywrightTimeout:
                problems.append(
                    f"{name}: the kernel's state never answered the "
                    "controls of the page's drawing"
                )
                continue
            diff = _compare(
                json.loads(local),
                json.loads(root.get_attribute("data-state")),
            )
            problems += [f"{name}: {d}" for d in diff]
    return problems


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_in_lab_reads_like_the_book(chapters_in_lab, chapter):
    report = chapters_in_lab[chapter]
    shown = "\n".join(report["markdown"])
    assert report["markdown"], "no Markdown cell rendered"
    assert "(not rendered)" not in shown
    source = [s for s in MYST_SOURCE if s in shown]
    assert source == [], f"MyST source shown: {source}"
    assert report["expression_errors"] == 0
    assert report["errors"] == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_are_folded_until_clicked(chapters_in_lab, chapter):
    report = chapters_in_lab[chapter]
    text = (ROOT / "chapters" / chapter).read_text()
    if ":class: dropdown" not in text:
        pytest.skip("no solution in this chapter")
    assert report["solutions"], "no dropdown rendered"
    assert not any(s["open"] for s in report["solutions"])
    assert report["solution_opens"] is True


def test_eval_numbers_show_as_numbers(chapters_in_lab):
    if "01_notation_forward.md" not in chapters_in_lab:
        pytest.skip("chapter 1 not in this run")
    shown = "\n".join(chapters_in_lab["01_notation_forward.md"]["markdown"])
    assert re.search(r"For \d+ of the 40 examples", shown)
    if "02_chain_rule.md" in chapters_in_lab:
        # A float with a format spec (".6f"), beside the count above.
        shown = "\n".join(chapters_in_lab["02_chain_rule.md"]["markdown"])
        assert re.search(r"their ratio is\s+\d\.\d{6}\s+at", shown)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_keys_move_every_slider_and_not_the_notebook(
    chapters_in_lab, chapter
):
    assert chapters_in_lab[chapter]["keys"] == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_drawing_at_once_equals_the_package(chapters_in_lab, chapter):
    assert chapters_in_lab[chapter]["local_first"] == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_saved_chapter_keeps_its_source_clean(chapters_in_lab, chapter):
    # jupyterlab-myst keeps the {eval} results in the cells' metadata;
    # `make lab` tells jupytext to leave them out of the .md.
    saved = chapters_in_lab[chapter]["saved"]
    source = (ROOT / "chapters" / chapter).read_text()
    assert "user_expressions" not in saved
    assert saved.count("{eval}`") == source.count("{eval}`")
