"""The extractor's word lists (metrics/narrative/vocabulary.toml) stay honest: every list is used, every example
shows its list at work, a broken file is refused with a message naming the list, and the package keeps its layers."""

from __future__ import annotations

import ast
import importlib
import re
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

import metrics.narrative
from metrics.core.catalog import default_catalog
from metrics.narrative import extract, vocabulary
from metrics.narrative.vocabulary import VOCABULARY_PATH, VocabularyError, WordList, load_vocabulary

PACKAGE = Path(metrics.narrative.__file__).parent
# The modules in the order they may import one another: each only from those before it.
LAYERS = ("vocabulary", "files", "segmentation", "period", "agency", "vetoes", "mentions", "reports", "review")
BINDING = ("period", "agency", "vetoes", "mentions")  # the modules that bind lists when imported


def read(text: str) -> list:
    """Everything extract says of a text: per report its agency, year, theme, region and mentions with offsets."""
    return [
        (
            r.agency,
            r.year,
            r.theme,
            r.region,
            [(m.record.metric, m.record.value, m.record.approx, m.start, m.end) for m in r.mentions],
        )
        for r in extract(text)
    ]


@contextmanager
def extractor_with(lists: dict[str, WordList]):
    """The package as it would be with these lists (its binding modules imported again), restored afterwards."""
    saved = vocabulary.vocabulary, vocabulary._built_lists, vocabulary._built_rules
    vocabulary.vocabulary = lambda: lists
    vocabulary._built_lists, vocabulary._built_rules = {}, {}
    try:
        for name in BINDING:
            importlib.reload(importlib.import_module(f"metrics.narrative.{name}"))
        yield
    finally:
        vocabulary.vocabulary, vocabulary._built_lists, vocabulary._built_rules = saved
        for name in BINDING:
            importlib.reload(importlib.import_module(f"metrics.narrative.{name}"))
        importlib.reload(metrics.narrative)  # its names again those of the modules as they now are


def used_items(entry: WordList) -> list[str]:
    """The items of a list that its example uses: words written in it, patterns that match it."""
    return [item for item in entry.items if (re.search(item, entry.example) if entry.regex else item in entry.example)]


LISTS = vocabulary.vocabulary()


@pytest.mark.parametrize("key", list(LISTS))
def test_each_example_shows_its_list_at_work(key):
    """Taking out of the list the words its example uses changes what the extractor reads from the example: the
    example is one the list is for, and the list is what reads it so."""
    entry = LISTS[key]
    used = used_items(entry)
    assert used, f"[{key}]: the example uses none of the list's items"
    kept = tuple(item for item in entry.items if item not in used)
    without = replace(entry, items=kept) if kept else replace(entry, items=("(?!)",), regex=True)  # matches nothing
    before = read(entry.example)
    with extractor_with({**LISTS, key: without}):
        after = read(entry.example)
    assert after != before, f"[{key}]: without {used} the example reads the same: {before}"


def test_the_extractor_is_itself_again_after_a_changed_list():
    """The check above restores the package: the same compiled rules, the same readings."""
    text = LISTS["planned"].example
    before, rule = read(text), vocabulary.rule("{planned}")
    entry = LISTS["planned"]
    with extractor_with({**LISTS, "planned": replace(entry, items=("(?!)",), regex=True)}):
        assert read(text) != before
    assert read(text) == before
    assert vocabulary.rule("{planned}") is rule
    assert importlib.import_module("metrics.narrative.vetoes")._PLANNED is rule


def test_every_list_is_used_by_a_rule():
    """No list in the file that no rule reads (a typo in a key, a list left behind)."""
    used = set(vocabulary._built_lists)
    for template in vocabulary._built_rules:
        used.update(vocabulary.keys_of(template))
    used.update(f"self_names.{kind}" for kind in vocabulary.group("self_names"))  # read through word_list (endings)
    assert sorted(set(LISTS) - used) == []


def test_per_metric_lists_name_catalog_metrics():
    metrics = default_catalog().metrics
    for group in ("not_own", "kind_units"):
        assert [m for m in vocabulary.group(group) if m not in metrics] == []


def test_each_list_is_compiled_once():
    assert vocabulary.vocabulary() is vocabulary.vocabulary()
    assert vocabulary.rule("{agency_types}") is vocabulary.rule("{agency_types}")
    assert vocabulary.listed("people") is vocabulary.listed("people")


def test_words_are_tried_longest_first():
    """共计 before 共, 支公司 before 公司, however the file orders them."""
    assert vocabulary.rule("{number_prefixes}").match("共计3000份").group(0) == "共计"
    lists = {"x": WordList("x", ("公司", "支公司", "分"), False, "例")}
    assert vocabulary.listed("x", lists) == ("支公司", "公司", "分")
    assert vocabulary.rule("{x}$", lists).search("人保支公司").group(0) == "支公司"


def test_a_template_key_is_never_a_quantifier():
    lists = {"x": WordList("x", ("甲", "乙"), False, "例")}
    assert vocabulary.rule("[0-9]{2}{x}{1,2}", lists).pattern == "[0-9]{2}(?:甲|乙){1,2}"


# A broken file: each is refused with a message (Chinese) naming the list.
GOOD = 'version = 1\n[planned]\npatterns = ["将(?!近)", "计划"]\nexample = "计划举办讲座5场。"\n'


@pytest.mark.parametrize(
    "text, says",
    [
        (GOOD.replace("version = 1\n", ""), "version"),
        (GOOD + '[people]\nwords = "学生"\nexample = "例"\n', "[people]"),
        (GOOD + '[people]\nwords = []\nexample = "例"\n', "[people]"),
        (GOOD + '[people]\nwords = ["学生", ""]\nexample = "例"\n', "[people]"),
        (GOOD + '[people]\nwords = ["学生", 3]\nexample = "例"\n', "[people]"),
        (GOOD + '[people]\nwords = ["学生", "学生"]\nexample = "例"\n', "学生"),
        (GOOD + '[people]\nwords = ["学生"]\n', "example"),
        (GOOD + '[people]\nwords = ["学生"]\nexample = " "\n', "example"),
        (GOOD + '[people]\nwords = ["学生"]\npatterns = ["学生"]\nexample = "例"\n', "[people]"),
        (GOOD + '[people]\nexample = "例"\n', "[people]"),
        (GOOD + '[people]\nwords = ["学生"]\nexampel = "例"\n', "exampel"),
        (GOOD + '[compared]\npatterns = ["较(?:19|20"]\nexample = "例"\n', "[compared]"),
        ('version = 1\npeople = ["学生"]\n' + GOOD.removeprefix("version = 1\n"), "[people]"),
        (GOOD + "[not_own]\n", "[not_own]"),
        (GOOD + '[not_own.cases]\nwords = "曝光"\nexample = "例"\n', "[not_own.cases]"),
        (GOOD + '[People]\nwords = ["学生"]\nexample = "例"\n', "People"),
        (GOOD + "[people\n", "无法读取"),
    ],
)
def test_a_malformed_list_is_refused_naming_it(tmp_path, text, says):
    path = tmp_path / "vocabulary.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VocabularyError) as refused:
        load_vocabulary(path)
    assert says in str(refused.value)


def test_a_missing_list_is_named(tmp_path):
    path = tmp_path / "vocabulary.toml"
    path.write_text(GOOD, encoding="utf-8")
    lists = load_vocabulary(path)
    assert set(lists) == {"planned"} and lists["planned"].regex
    with pytest.raises(VocabularyError, match=r"\[people\]"):
        vocabulary.listed("people", lists)
    with pytest.raises(VocabularyError, match=r"\[people\]"):
        vocabulary.rule("{planned}|{people}", lists)
    with pytest.raises(VocabularyError, match=r"\[not_own\]"):
        vocabulary.group("not_own", lists)


def test_a_list_that_breaks_its_rule_is_named(tmp_path):
    """Each word fine alone, the rule not: 发布了 in a fixed-width look-behind."""
    path = tmp_path / "vocabulary.toml"
    path.write_text('version = 1\n[published]\nwords = ["发布", "发布了"]\nexample = "例"\n', encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"\[published\]"):
        vocabulary.rule(r"(?<={published})20", load_vocabulary(path))


def test_the_shipped_file_loads():
    assert load_vocabulary(VOCABULARY_PATH) == vocabulary.vocabulary()
    assert VOCABULARY_PATH == Path(metrics.narrative.__file__).parent / "vocabulary.toml"


def imports_within_package(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.module == "metrics.narrative" or node.level and not node.module:
                names.update(alias.name for alias in node.names)  # from metrics.narrative import x, from . import x
            elif (node.module or "").startswith("metrics.narrative."):
                names.add(node.module.removeprefix("metrics.narrative."))
            elif node.level:
                names.add(node.module.split(".")[0])  # from .x import y
        elif isinstance(node, ast.Import):
            names.update(
                a.name.removeprefix("metrics.narrative.") for a in node.names if a.name.startswith("metrics.narrative.")
            )
    return names


def test_modules_import_only_those_before_them():
    assert sorted(p.stem for p in PACKAGE.glob("*.py")) == sorted((*LAYERS, "__init__"))
    for k, name in enumerate(LAYERS):
        later = set(imports_within_package(PACKAGE / f"{name}.py")) - set(LAYERS[:k])
        assert later == set(), f"{name} imports {later}"


def test_the_layer_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from metrics.narrative.reports import extract\nfrom metrics.narrative import vocabulary\n", encoding="utf-8"
    )
    assert imports_within_package(bad) == {"reports", "vocabulary"}
