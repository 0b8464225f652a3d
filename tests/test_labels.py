"""Every label the interface shows lives in metrics/core/labels.py, in both languages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from metrics.core.labels import LABELS, t

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = [
    ROOT / "app.py",
    *sorted((ROOT / "app_pages").glob("*.py")),
    *sorted(p for p in (ROOT / "ui").glob("*.py") if p.name != "__init__.py"),
]
HAN = re.compile(r"[\u4e00-\u9fff]")


def string_constants(path: Path) -> list[tuple[int, str]]:
    """String literals in code (docstrings excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_pages_hold_no_chinese_text_of_their_own(path):
    offenders = [(line, text) for line, text in string_constants(path) if HAN.search(text)]
    assert offenders == [], "move these into metrics/core/labels.py"


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


def test_every_layout_the_reader_names_has_a_name_in_both_languages():
    from metrics.core.labels import layout_name

    source = (ROOT / "metrics" / "reading" / "tables.py").read_text(encoding="utf-8")
    codes = {
        code
        for line in re.findall(r"\blayout = (.+)", source)
        for code in re.findall(r"\"([a-z-]+)\"", re.sub(r"\(.*?\)", "", line))
    }  # not the conditions
    assert codes == {"wide", "long", "vertical", "years-across"}
    for code in codes:
        assert not re.search(r"[a-z]", layout_name(code, "zh")), code  # no internal name left in Chinese
        assert layout_name(code, "en") != code
    assert layout_name("wide,vertical") == "横表(每行一个单位或活动,指标分列)、竖表(指标 | 数量 | 单位)"
    assert layout_name("wide,wide") == layout_name("wide")
    assert layout_name("活动总结(文字)") == "活动总结(文字)"  # a summary's layout is already words
