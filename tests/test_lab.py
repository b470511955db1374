"""`make lab`: JupyterLab opens a chapter's .md as a notebook on double-click.

Starts the very command `make lab` runs (read from `make -n lab`) on a free
local port, then asks the server what a double-click would use for Markdown
files and whether a chapter loads as a notebook.
"""

import contextlib
import json
import shlex
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lab_command():
    dry = subprocess.run(
        ["make", "-s", "-n", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [
        line
        for line in dry.stdout.splitlines()
        if " lab " in f" {line} " and "jupyter" in line
    ]
    assert lines, (
        f"`make -n lab` printed no jupyter lab command:\n{dry.stdout}"
    )
    return shlex.split(lines[-1])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@contextlib.contextmanager
def running_lab(cwd=ROOT, extra=()):
    """Run `make lab`'s command on a free local port; yield (base URL, token).

    The command serves `chapters` under cwd: a test that runs and saves
    notebooks passes a folder holding a copy, so the book's sources are
    never rewritten; extra are more options for the server. The server's kernels inherit this process's
    environment (PYTHONPATH included), so they import the backprop under
    test.
    """
    port, token = _free_port(), "book-test"
    command = _lab_command()
    # The Makefile names its programs relative to the repository (.venv/bin).
    if not Path(command[0]).is_absolute():
        command[0] = str(ROOT / command[0])
    command += [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        *extra,
    ]
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                pytest.fail(
                    f"jupyter lab exited with {proc.returncode}: "
                    f"{proc.stderr.read()[-2000:]}"
                )
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within 60 s")
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def lab_server():
    with running_lab() as server:
        yield server


def test_markdown_and_myst_open_as_notebooks_by_default(lab_server):
    base, token = lab_server
    plugin = _get(
        f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin?token={token}"
    )
    viewers = plugin["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("markdown") == "Jupytext Notebook"
    assert viewers.get("myst") == "Jupytext Notebook"


def test_a_chapter_loads_as_a_notebook_with_its_code_cells(lab_server):
    base, token = lab_server
    model = _get(
        f"{base}/api/contents/03_output_error.md?type=notebook&token={token}"
    )
    cells = model["content"]["cells"]
    assert model["type"] == "notebook"
    assert any(
        c["cell_type"] == "code" and "import backprop as bp" in c["source"]
        for c in cells
    )


def test_jupyter_news_is_off(lab_server):
    # The news pop-up asks on first start whether to fetch news from the
    # internet; the project's settings (lab/overrides.json) answer never.
    base, token = lab_server
    plugin = _get(
        f"{base}/lab/api/settings/@jupyterlab/apputils-extension:"
        f"notification?token={token}"
    )
    props = plugin["schema"]["properties"]
    assert props["fetchNews"]["default"] == "false"
    assert props["checkForUpdates"]["default"] is False


# -- numbers in the prose: {eval}, which JupyterLab renders too (issue 15) -----

#: Every chapter quotes its numbers with {eval} roles (none glues).
EVAL_CHAPTERS = sorted(p.name for p in (ROOT / "chapters").glob("*.md"))


@pytest.mark.parametrize("chapter", EVAL_CHAPTERS)
def test_a_converted_chapter_has_no_glue_left(chapter):
    text = (ROOT / "chapters" / chapter).read_text()
    assert "{glue" not in text
    assert "myst_nb import glue" not in text
    assert "{eval}`" in text


@pytest.mark.parametrize("chapter", EVAL_CHAPTERS)
def test_every_eval_name_is_bound_in_a_cell_above_it(chapter):
    # An inline {eval} reads the kernel where it stands: a name bound only
    # further down (glue allowed that) would fail the build and Lab.
    import re

    text = (ROOT / "chapters" / chapter).read_text()
    # MyST-NB's inline execution skips a cell tagged remove-cell: a name
    # bound only there is unbound when the page is built.
    cells = [
        (m.start(), m.group(1))
        for m in re.finditer(
            r"```\{code-cell\}[^\n]*\n(.*?)\n```", text, re.S
        )
        if not re.match(
            r"(:tags:|---\n(?:.*\n)*?tags:).*remove-cell", m.group(1)
        )
    ]
    names = re.finditer(r"\{eval\}`([A-Za-z_]\w*)`", text)
    unbound = []
    for m in names:
        above = "\n".join(src for start, src in cells if start < m.start())
        if not re.search(rf"^\s*{m.group(1)}\s*=", above, re.M):
            unbound.append(m.group(1))
    assert unbound == []


@pytest.mark.parametrize("chapter", EVAL_CHAPTERS)
def test_a_converted_chapter_executes_inline(chapter):
    # {eval} needs a live kernel while the page is read: MyST-NB's inline
    # mode, set in the chapter (or for the whole book in _config.yml).
    text = (ROOT / "chapters" / chapter).read_text()
    config = (ROOT / "_config.yml").read_text()
    front = text.split("\n---\n", 1)[0]
    assert (
        "execution_mode: inline" in front
        or "execute_notebooks: inline" in config
    )
