"""`make lab`: JupyterLab opens a chapter's .md as a notebook on double-click.

Starts the very command `make lab` runs (read from `make -n lab`) on a free
local port, then asks the server what a double-click would use for Markdown
files and whether a chapter loads as a notebook.
"""

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


@pytest.fixture(scope="module")
def lab_server():
    port, token = _free_port(), "book-test"
    command = _lab_command() + [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
    ]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                pytest.fail(
                    f"jupyter lab exited with {proc.returncode}: {proc.stderr.read()[-2000:]}"
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
        proc.wait(timeout=20)


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
