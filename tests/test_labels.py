"""Every label the interface shows lives in metrics/labels.py, in both languages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from metrics.labels import LABELS, t

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
HAN = re.compile(r"[\u4e00-\u9fff]")


def string_constants(path: Path) -> list[tuple[int, str]]:
    """String literals in code (docstrings excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_pages_hold_no_chinese_text_of_their_own(path):
    offenders = [(line, text) for line, text in string_constants(path) if HAN.search(text)]
    assert offenders == [], "move these into metrics/labels.py"


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_every_label_a_page_asks_for_exists(path):
    text = path.read_text(encoding="utf-8")
    keys = set(re.findall(r"""\b(?:t|_t|label)\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
    assert keys, f"{path.name} uses no labels?"
    missing = sorted(k for k in keys if k not in LABELS and not k.endswith("."))
    assert missing == []
    for prefix in (k for k in keys if k.endswith(".")):  # t("quality.level." + level)
        assert any(k.startswith(prefix) for k in LABELS), prefix
    for prefix in re.findall(r"""\b(?:t|_t|label)\(\s*f["']([a-z_]+\.[a-z_.]*)\{""", text):
        assert any(k.startswith(prefix) for k in LABELS), prefix


@pytest.mark.parametrize("key", sorted(LABELS))
def test_both_languages_are_given_with_the_same_placeholders(key):
    zh, en = LABELS[key]
    assert zh and en
    assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", en))


def test_t_fills_placeholders_in_the_language_asked():
    assert t("upload.records", "zh", n=3) == "读取到 3 条记录"
    assert t("upload.records", "en", n=3) == "3 records read"
