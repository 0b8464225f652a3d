"""The extractor's word lists, from ``metrics/narrative/vocabulary.toml``: read once, checked, compiled once.

Every list there is domain vocabulary with an example sentence it is for: ``words`` (taken literally) or, for
the few lists that need it, ``patterns`` (regular-expression fragments, kept in the order written). The
modules of this package bind what they use when they are imported: ``listed(key)`` gives a list as a tuple,
longest word first; ``rule(template)`` compiles a pattern in which every ``{key}`` stands for that list as
one alternation (``rule("{planned}")``, ``rule("{kinds_before}(?:共|达|约)?$")``). A list inside a group is
named with a dot: ``not_own.cases``. A missing or malformed list stops the import with a message naming it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VOCABULARY_PATH = Path(__file__).with_name("vocabulary.toml")
VERSION = 1
# A key in a template: lower-case letters and underscores, so a quantifier such as {0,4} is never one.
_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")
_KEY = re.compile(r"[a-z_]+")
_FIELDS = {"words", "patterns", "example", "endings"}


class VocabularyError(ValueError):
    """vocabulary.toml cannot be used; the message (Chinese) names the list and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class WordList:
    key: str
    items: tuple[str, ...]
    regex: bool  # items are pattern fragments, not literal words
    example: str
    endings: tuple[str, ...] = ()  # self_names only: the endings the report's own name then has

    def alternation(self) -> str:
        """The list as one group: literal words escaped, longest first (so 共计 is tried before 共); patterns as
        written."""
        items = self.items if self.regex else tuple(re.escape(w) for w in longest_first(self.items))
        return "(?:" + "|".join(items) + ")"


def longest_first(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(items, key=len, reverse=True))


def load_vocabulary(path: Path = VOCABULARY_PATH) -> dict[str, WordList]:
    """Every list of the file by key (``planned``, ``not_own.cases``), checked; raises VocabularyError naming the
    list."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VocabularyError(f"词表文件无法读取:{path}:{exc}") from exc
    if data.pop("version", None) != VERSION:
        raise VocabularyError(f"词表文件 {path.name} 须写明 version = {VERSION}")
    lists: dict[str, WordList] = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            raise VocabularyError(
                f"词表 [{key}] 应是一个表(含 words 或 patterns 与 example),而不是 {type(value).__name__}"
            )
        if _FIELDS & value.keys():
            lists[_checked_key(key)] = _word_list(key, value)
            continue
        if not value:
            raise VocabularyError(f"词表组 [{key}] 是空的")
        for sub, entry in value.items():
            name = f"{_checked_key(key)}.{_checked_key(sub, key)}"
            if not isinstance(entry, dict):
                raise VocabularyError(f"词表 [{name}] 应是一个表(含 words 或 patterns 与 example)")
            lists[name] = _word_list(name, entry)
    return lists


def _checked_key(key: str, group: str | None = None) -> str:
    if not _KEY.fullmatch(key):
        where = f"词表组 [{group}] 中的" if group else "词表"
        raise VocabularyError(f"{where}名称 {key!r} 只能用小写字母和下划线")
    return key


def _word_list(key: str, entry: dict) -> WordList:
    unknown = entry.keys() - _FIELDS
    if unknown:
        raise VocabularyError(
            f"词表 [{key}] 有未知字段:{', '.join(sorted(unknown))}(可用:{'、'.join(sorted(_FIELDS))})"
        )
    if ("words" in entry) == ("patterns" in entry):
        raise VocabularyError(f"词表 [{key}] 须有 words 或 patterns 之一(不能都有,也不能都没有)")
    field = "words" if "words" in entry else "patterns"
    items = _strings(key, field, entry[field])
    for item in items if field == "patterns" else ():
        try:
            re.compile(item)
        except re.error as exc:
            raise VocabularyError(f"词表 [{key}] 的正则片段 {item!r} 无效:{exc}") from exc
    example = entry.get("example")
    if not isinstance(example, str) or not example.strip():
        raise VocabularyError(f"词表 [{key}] 缺少 example(一句用到这个词表的例句)")
    endings = _strings(key, "endings", entry["endings"]) if "endings" in entry else ()
    return WordList(key, items, field == "patterns", example, endings)


def _strings(key: str, field: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise VocabularyError(f"词表 [{key}] 的 {field} 应是非空的字符串列表")
    if not all(isinstance(item, str) and item for item in value):
        raise VocabularyError(f"词表 [{key}] 的 {field} 只能是非空字符串:{value!r}")
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        raise VocabularyError(f"词表 [{key}] 的 {field} 有重复:{', '.join(repeated)}")
    return tuple(value)


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, WordList]:
    """vocabulary.toml, read and checked once per process."""
    return load_vocabulary()


def word_list(key: str, lists: dict[str, WordList] | None = None) -> WordList:
    lists = vocabulary() if lists is None else lists
    try:
        return lists[key]
    except KeyError:
        raise VocabularyError(f"词表文件 {VOCABULARY_PATH.name} 缺少词表 [{key}]") from None


def group(key: str, lists: dict[str, WordList] | None = None) -> tuple[str, ...]:
    """The names of the lists in a group, in file order (``group("not_own")`` → ``("cases", "fines", …)``)."""
    lists = vocabulary() if lists is None else lists
    names = tuple(name.split(".", 1)[1] for name in lists if name.startswith(key + "."))
    if not names:
        raise VocabularyError(f"词表文件 {VOCABULARY_PATH.name} 缺少词表组 [{key}]")
    return names


# What has been built from the file, so that each list is compiled once however often it is asked for.
_built_lists: dict[str, tuple[str, ...]] = {}
_built_rules: dict[str, re.Pattern[str]] = {}


def listed(key: str, lists: dict[str, WordList] | None = None) -> tuple[str, ...]:
    """A list's words, longest first (startswith/next over them prefers 支公司 to 公司)."""
    if lists is not None:
        return longest_first(word_list(key, lists).items)
    if key not in _built_lists:
        _built_lists[key] = longest_first(word_list(key).items)
    return _built_lists[key]


def rule(template: str, lists: dict[str, WordList] | None = None) -> re.Pattern[str]:
    """``template`` compiled with every ``{key}`` replaced by that list's alternation."""
    if lists is None and template in _built_rules:
        return _built_rules[template]
    source = _PLACEHOLDER.sub(lambda m: word_list(m.group(1), lists).alternation(), template)
    try:
        compiled = re.compile(source)
    except re.error as exc:
        keys = ", ".join(f"[{k}]" for k in _PLACEHOLDER.findall(template))
        raise VocabularyError(f"词表 {keys} 放进规则 {template!r} 后无法编译:{exc}") from exc
    if lists is None:
        _built_rules[template] = compiled
    return compiled


def keys_of(template: str) -> list[str]:
    """The lists a rule template uses."""
    return _PLACEHOLDER.findall(template)
