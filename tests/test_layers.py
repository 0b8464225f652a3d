"""The layer rules: metrics/ is built in layers, each a subpackage that imports only from the layers under it;
the core never imports streamlit nor the UI (STYLE.md); ui/ helpers never import page scripts; no pages/ folder
sits beside app.py."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
METRICS = ROOT / "metrics"
# Bottom to top: a module may import from its own layer and the ones before it, never from one after it.
LAYERS = ("core", "reading", "narrative", "storage", "analysis", "briefing", "access", "collection")
# The command line sits on top of every layer.
TOP = {"cli", "__main__", "__init__"}


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every module a file imports (dotted, absolute) with its line, lazy and TYPE_CHECKING ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name, _ in imports_of(path)}


def layer_of(path: Path) -> str | None:
    """The layer a file of metrics/ belongs to; None for the command line on top."""
    parts = path.relative_to(METRICS).parts
    if len(parts) == 1:
        return None
    return parts[0]


def imported_layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "metrics" and parts[1] in LAYERS else None


def upward_imports(root: Path = METRICS) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        own = layer_of(path) if root == METRICS else path.relative_to(root).parts[0]
        if own is None:
            continue
        for module, line in imports_of(path):
            other = imported_layer(module)
            if other is not None and LAYERS.index(other) > LAYERS.index(own):
                bad.append(f"{path.relative_to(root)}:{line} imports {module} ({own} → {other})")
    return sorted(set(bad))


def test_every_module_of_metrics_sits_in_a_layer():
    loose = [p.name for p in METRICS.glob("*.py") if p.stem not in TOP]
    assert loose == []
    assert sorted(p.name for p in METRICS.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


def test_no_layer_imports_from_a_layer_above_it():
    assert upward_imports() == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    for layer in ("core", "analysis"):
        (tmp_path / layer).mkdir()
    (tmp_path / "core" / "low.py").write_text(
        "def f():\n    from metrics.analysis.query import Filters\n", encoding="utf-8"
    )
    (tmp_path / "analysis" / "high.py").write_text("from metrics.core import fmt\n", encoding="utf-8")
    assert upward_imports(tmp_path) == ["core/low.py:2 imports metrics.analysis.query (core → analysis)"]


def test_metrics_never_imports_streamlit():
    offenders = [p.name for p in METRICS.rglob("*.py") if "streamlit" in imported_roots(p)]
    assert offenders == []


def test_the_check_sees_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\n", encoding="utf-8")
    assert "streamlit" in imported_roots(bad)


def test_metrics_never_imports_the_ui_and_ui_never_imports_pages():
    assert [p.name for p in METRICS.rglob("*.py") if imported_roots(p) & {"ui", "app_pages"}] == []
    assert [p.name for p in (ROOT / "ui").rglob("*.py") if "app_pages" in imported_roots(p)] == []


def test_no_pages_folder_beside_the_entry_script():
    """Streamlit runs the files of a pages/ folder beside app.py as pages of their own until st.navigation has
    run once in the process (a deep link to a fresh server would skip app.py's gate and sidebar)."""
    assert not (ROOT / "pages").exists()


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_what_it_holds(layer):
    doc = ast.get_docstring(ast.parse((METRICS / layer / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 20
