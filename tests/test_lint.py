"""Lint, format and type checks run with the tests, so CI fails on them like on a failing test.

ruff (lint + format, line length 120) and mypy read their settings from pyproject.toml; both are pinned in
requirements-dev.txt. Each check runs the tool as a subprocess over the whole project and shows its output
when it fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command", [("ruff", "check", "."), ("ruff", "format", "--check", ".")], ids=["ruff-check", "ruff-format"]
)
def test_ruff_is_clean(command):
    done = run(*command)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_is_clean():
    done = run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_lint_check_fails_on_a_bad_file(tmp_path):
    """The same command on a file with an unused import and an undefined name exits non-zero."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\nprint(undefined_name)\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "F401" in done.stdout and "F821" in done.stdout
