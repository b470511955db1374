"""The two-command set-up: a second `make book` reinstalls nothing."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _dry_run(target):
    return subprocess.run(
        ["make", "-n", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_set_up_is_done_once():
    # `make test` runs this suite after the set-up, so the stamp is current:
    # the dry run of either target must contain no install step.
    for target in ("book", "test"):
        commands = _dry_run(target)
        assert (
            "pip install" not in commands
            and "venv" not in commands.replace(".venv/", "")
        )
        assert "jupyter-book build --all . -W -n --keep-going" in commands


def test_changed_requirements_trigger_one_install():
    # Pretend requirements.txt is newer than the stamp (-W: "what if modified").
    commands = subprocess.run(
        ["make", "-n", "-W", "requirements.txt", "book"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert commands.count("pip install --quiet -r requirements.txt") == 1
