"""Conventions that matter are enforced: every issue and refusal code is documented in the README."""

from pathlib import Path

import pytest

from metrics.core.issues import ISSUE_CODES
from metrics.reading.sniff import REFUSAL_CODES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(ISSUE_CODES))
def test_issue_code_is_documented(code):
    assert code in README
    level, meaning = ISSUE_CODES[code]
    assert level in ("error", "warning", "info") and meaning


@pytest.mark.parametrize("code", sorted(set(REFUSAL_CODES) | {"empty-table", "no-table"}))
def test_refusal_code_is_documented(code):
    assert code in README


def test_readme_has_exactly_the_two_quick_start_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in quick.splitlines() if line.startswith(("pip ", "python ", "streamlit "))]
    assert commands == [
        "pip install -r requirements.txt && streamlit run app.py",
        "pip install -r requirements-dev.txt && python -m pytest",
    ]
    assert "python3 -m venv .venv && . .venv/bin/activate" in quick and "Python ≥ 3.11" in quick
    assert "http://localhost:8501" in quick
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npip install -r requirements-dev.txt && python -m pytest\n" in ci
    # CI runs it in a virtual environment made new for the run: an undeclared package fails there.
    before = ci.split("\npip install -r requirements-dev.txt", 1)[0]
    assert 'python3 -m venv "$VENV_DIR/venv"' in before and '. "$VENV_DIR/venv/bin/activate"' in before
    assert 'VENV_DIR="$(mktemp -d)"' in before
