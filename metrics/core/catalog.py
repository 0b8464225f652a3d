"""The metric catalog: loaded from ``catalog.toml``, validated, and used to name columns."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from metrics.core.text import normalize_label

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
KINDS = ("count", "money", "quantity")

# Labels of ratios, rankings and scores: numbers, but never an outreach metric to add up.
_NOT_A_METRIC = re.compile(r"揭露|曝光|率|比例|占比|同比|环比|增长|增幅|排名|名次|得分|评分|满意度|序号|编号|电话|邮编")
_UNIT_IN_BRACKETS = re.compile(r"\(([^()]*)\)$")
_UNIT_PREFIX = re.compile(r"^(单位|计量单位)[::]?")
_TRAILING_UNIT = re.compile(
    r"(十万|百万|千万|万|亿|千)?(人次|家次|户次|场次|份|场|件|起|元|篇|条|名|册|张|千克|床|台)$"
)


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the metric and the field."""


@dataclass(frozen=True, slots=True)
class MetricDef:
    id: str
    zh: str
    en: str
    unit: str
    kind: str
    units: tuple[str, ...]
    synonyms: tuple[str, ...]
    traditional: tuple[str, ...]

    @property
    def is_money(self) -> bool:
        return self.kind == "money"

    def accepts_unit(self, unit: str | None) -> bool:
        """Whether a value written in ``unit`` (multiplier already removed) is this metric's unit."""
        if not unit:
            return True
        if self.kind == "quantity":
            return unit != "元"
        return unit == self.unit or unit in self.units


@dataclass(frozen=True, slots=True)
class LabelMatch:
    """What a header label means: a metric (or None), the unit and multiplier it declares."""

    metric: MetricDef | None
    unit: str | None
    multiplier: float
    candidates: tuple[str, ...] = ()  # ids that tied when ambiguous
    ratio: bool = False  # a rate/score column: numbers that are not metrics


class Catalog:
    """All metric definitions, with the synonym index used to map headers and phrases."""

    def __init__(self, metrics: list[MetricDef], version: int) -> None:
        self.version = version
        self.metrics: dict[str, MetricDef] = {m.id: m for m in metrics}
        self._synonyms: list[tuple[str, MetricDef]] = sorted(
            ((syn, m) for m in metrics for syn in m.synonyms),
            key=lambda pair: -len(pair[0]),
        )

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.metrics)

    def __getitem__(self, metric_id: str) -> MetricDef:
        return self.metrics[metric_id]

    def match_label(self, label: str, parent: str = "") -> LabelMatch:
        """Map a header label (and the merged header above it) to a metric, its unit and multiplier."""
        return _match_label_cached(self, normalize_label(label), normalize_label(parent))

    def find_metric(self, text: str, unit: str | None = None) -> tuple[MetricDef | None, tuple[str, ...]]:
        """The metric whose longest synonym occurs in ``text`` and which accepts ``unit``.

        Returns (metric, ()) when one is best, (None, tied ids) when two metrics tie, (None, ()) when none.
        """
        best_len = 0
        best: list[MetricDef] = []
        for syn, metric in self._synonyms:
            if len(syn) < best_len:
                break
            if syn in text and metric.accepts_unit(unit) and metric not in best:
                best_len = len(syn)
                best.append(metric)
        if len(best) == 1:
            return best[0], ()
        if len(best) > 1 and unit is None:
            # Without a unit the canonical-unit reading wins over a money/quantity reading of 销毁.
            counts = [m for m in best if m.kind != "quantity"]
            if len(counts) == 1:
                return counts[0], ()
        return None, tuple(m.id for m in best)


@lru_cache(maxsize=8192)
def _match_label_cached(catalog: Catalog, label: str, parent: str) -> LabelMatch:
    from metrics.core.numbers import multiplier_of

    text, unit_text = split_unit(label)
    if not unit_text and parent:
        _, unit_text = split_unit(parent)
    multiplier, unit = multiplier_of(unit_text) if unit_text else (1.0, None)
    if unit == "%" or _NOT_A_METRIC.search(text):
        return LabelMatch(None, unit, multiplier, ratio=True)
    if text.lower() in catalog.metrics:  # a catalog id, as exported by another system: 'materials'
        return LabelMatch(catalog.metrics[text.lower()], unit, multiplier)
    metric, tied = catalog.find_metric(text, unit)
    if not unit_text:  # '发放宣传资料万份': a unit written without brackets
        trailing = _TRAILING_UNIT.search(text)
        if trailing and trailing.start() > 0:
            t_multiplier, t_unit = multiplier_of(trailing.group(0))
            t_metric, _ = catalog.find_metric(text[: trailing.start()], t_unit)
            if t_metric is not None and (metric is None or t_metric is metric):
                return LabelMatch(t_metric, t_unit, t_multiplier)
    if metric is None and parent:
        parent_text, _ = split_unit(parent)
        metric, tied_parent = catalog.find_metric(parent_text + text, unit)
        tied = tied or tied_parent
    return LabelMatch(metric, unit, multiplier, candidates=tied)


def split_unit(label: str) -> tuple[str, str]:
    """'发放宣传资料(万份)' → ('发放宣传资料', '万份'); '(单位:万元)' → ('', '万元')."""
    found = _UNIT_IN_BRACKETS.search(label)
    if not found:
        return label, ""
    unit = _UNIT_PREFIX.sub("", found.group(1))
    return label[: found.start()], unit


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Read and validate a catalog file; raises CatalogError naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"指标目录文件无法读取:{path}:{exc}") from exc
    metrics = [_metric_from_dict(entry, i) for i, entry in enumerate(data.get("metric", []))]
    ids = [m.id for m in metrics]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise CatalogError(f"指标 id 重复:{', '.join(sorted(duplicates))}")
    if not metrics:
        raise CatalogError("指标目录为空")
    return Catalog(metrics, int(data.get("version", 1)))


def _metric_from_dict(entry: dict, index: int) -> MetricDef:
    metric_id = entry.get("id", f"#{index + 1}")
    for key in ("id", "zh", "en", "unit", "kind", "synonyms"):
        if key not in entry:
            raise CatalogError(f"指标 {metric_id} 缺少字段 {key}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", entry["id"]):
        raise CatalogError(f"指标 id 只能用小写字母、数字和下划线:{entry['id']}")
    if entry["kind"] not in KINDS:
        raise CatalogError(f"指标 {metric_id} 的 kind 必须是 {KINDS} 之一,而不是 {entry['kind']}")
    synonyms = tuple(normalize_label(s) for s in entry["synonyms"])
    if not synonyms or not all(synonyms):
        raise CatalogError(f"指标 {metric_id} 至少需要一个非空同义词")
    return MetricDef(
        id=entry["id"],
        zh=entry["zh"],
        en=entry["en"],
        unit=entry["unit"],
        kind=entry["kind"],
        units=tuple(entry.get("units", ())),
        synonyms=synonyms,
        traditional=tuple(entry.get("traditional", ())),
    )


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()
