"""`make book` re-executes only what changed, and never leaves stale output.

The Makefile passes --all (every page re-read, so re-executed) unless the
last successful build was made with the same src/, pins and configuration
(a hash in _build/.built-with); otherwise Sphinx re-reads only the pages
whose source changed. The first tests run `make book` in a copy of the
repository with a stand-in jupyter-book that records its arguments; the
last one edits (touches) one chapter of the built book and checks, from
Sphinx's log, that the real build re-read that chapter alone.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
exit "$(cat "$(dirname "$0")/exit-code" 2>/dev/null || echo 0)"
"""


@pytest.fixture
def copy(tmp_path):
    """Return a copy of the tracked files with a stand-in .venv/bin."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    for name in ("src/backprop/text.py",):  # new files not yet tracked
        if (ROOT / name).is_file() and not (tmp_path / name).exists():
            shutil.copy2(ROOT / name, tmp_path / name)
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").symlink_to(sys.executable)
    (bin_ / "jupyter-book").write_text(FAKE)
    (bin_ / "jupyter-book").chmod(0o755)
    # requirements installed: the stamp is newer than its prerequisites.
    (tmp_path / ".venv" / ".requirements-installed").touch()
    return tmp_path


def build(repo, fail=False):
    """Run `make book` with the stand-in; return its arguments and the exit code."""
    bin_ = repo / ".venv" / "bin"
    (bin_ / "exit-code").write_text("1" if fail else "0")
    (bin_ / "calls").unlink(missing_ok=True)
    done = subprocess.run(
        ["make", "-s", "book"], cwd=repo, capture_output=True, text=True
    )
    calls = (bin_ / "calls").read_text().splitlines()
    assert len(calls) == 1, calls
    return calls[0].split(), done.returncode


def test_first_build_reads_everything_then_only_changes(copy):
    assert "--all" in build(copy)[0]  # no stamp yet
    assert "--all" not in build(copy)[0]  # nothing changed
    chapter = copy / "chapters" / "01_notation_forward.md"
    chapter.write_text(chapter.read_text() + "\nOne more line.\n")
    args, code = build(copy)
    assert code == 0 and "--all" not in args  # Sphinx re-reads the chapter
    assert args[-4:] == [".", "-W", "-n", "--keep-going"]


@pytest.mark.parametrize(
    "edit",
    [
        "src/backprop/rules.py",
        "src/backprop/explorers/web/engine.js",
        "requirements.txt",
        "_config.yml",
    ],
)
def test_a_change_outside_the_chapters_rereads_every_page(copy, edit):
    build(copy)
    assert "--all" not in build(copy)[0]
    path = copy / edit
    path.write_text(path.read_text() + "\n")
    assert "--all" in build(copy)[0]
    assert "--all" not in build(copy)[0]  # and then no more


def test_a_new_file_in_src_rereads_every_page(copy):
    build(copy)
    (copy / "src" / "backprop" / "extra.py").write_text("X = 1\n")
    assert "--all" in build(copy)[0]


def test_a_failed_build_is_followed_by_a_full_one(copy):
    build(copy)
    args, code = build(copy, fail=True)
    assert code != 0 and "--all" not in args
    # A warning of a page that is not re-read would go unseen: re-read all.
    assert "--all" in build(copy)[0]


@pytest.mark.slow
def test_an_edited_chapter_is_executed_alone():
    """The real build: touch one chapter of the built book, rebuild."""
    stamp = ROOT / "_build" / ".built-with"
    if not stamp.exists():
        pytest.fail(
            "no successful `make book` before this test: run make test"
        )
    chapter = ROOT / "chapters" / "01_notation_forward.md"
    os.utime(chapter)  # edited, as far as Sphinx can tell
    done = subprocess.run(
        ["make", "book"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)  # Sphinx's colours
    assert "0 added, 1 changed, 0 removed" in log
    read = [
        line.split("]")[-1].strip()
        for line in log.splitlines()
        if "reading sources..." in line and "]" in line
    ]
    assert read and all(r.endswith("01_notation_forward") for r in read)
