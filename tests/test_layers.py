"""The layer rules: the core under metrics/ never imports streamlit nor the UI (STYLE.md); ui/ helpers never
import page scripts; no pages/ folder sits beside app.py."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METRICS = ROOT / "metrics"


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


def test_metrics_never_imports_the_ui_and_ui_never_imports_pages():
    assert [p.name for p in METRICS.rglob("*.py") if imported_modules(p) & {"ui", "app_pages"}] == []
    assert [p.name for p in (ROOT / "ui").rglob("*.py") if "app_pages" in imported_modules(p)] == []


def test_no_pages_folder_beside_the_entry_script():
    """Streamlit runs the files of a pages/ folder beside app.py as pages of their own until st.navigation has
    run once in the process (a deep link to a fresh server would skip app.py's gate and sidebar)."""
    assert not (ROOT / "pages").exists()
