"""The layer rule: the core under metrics/ never imports streamlit (STYLE.md)."""

import ast
from pathlib import Path

METRICS = Path(__file__).resolve().parent.parent / "metrics"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_metrics_never_imports_streamlit():
    offenders = [p.name for p in METRICS.rglob("*.py") if "streamlit" in imported_modules(p)]
    assert offenders == []


def test_the_check_sees_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\n", encoding="utf-8")
    assert "streamlit" in imported_modules(bad)
