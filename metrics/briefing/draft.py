"""A first draft of the briefing paragraph, written from the numbers by templates (no model, no network).

It reads like the summaries sub-units send in — "2024年“3·15”期间,杭州市共12家单位报送报表。各单位共开展
活动35场,发放宣传资料3.35万份,同比增长12.5%;受理投诉举报104件,办结98件,办结率94.2%……" — and
every number in it is one of ``Draft.numbers``, each the total of a measure over the brief's scope, so
a reader (and a test) can trace it to the data. Year-on-year changes are like-for-like (同口径): only the
units that reported both years count, and the first sentence says how many those are; when fewer than
half of last year's units have reported, the paragraph says so and states no change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from metrics.analysis.query import Filters, Kpi, apply_filters, kpis, view_years
from metrics.core.catalog import Catalog, default_catalog
from metrics.core.fmt import MINUS, change_text, format_metric, years_text

# How each metric reads in a sentence, grouped as a summary groups them: outreach, complaints, enforcement.
_PHRASES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("events", "开展各类宣传活动"),
        ("materials", "发放宣传资料"),
        ("consultations", "接受群众咨询"),
        ("participants", "覆盖群众"),
        ("staff", "出动工作人员"),
        ("tests", "提供免费检测"),
        ("media_reports", "刊发媒体报道"),
    ),
    (
        ("complaints_received", "受理投诉举报"),
        ("complaints_resolved", "办结"),
        ("recovered_loss", "为消费者挽回经济损失"),
    ),
    (
        ("inspections", "检查经营主体"),
        ("cases", "查处案件"),
        ("case_value", "涉案货值"),
        ("fines", "罚没款"),
        ("destroyed_value", "销毁假冒伪劣商品货值"),
        ("destroyed_qty", "销毁物品"),
    ),
)
_OPENERS = ("各单位共", "", "")


@dataclass(frozen=True)
class DraftNumber:
    """One number the draft states: what it is, its exact value, and how it was written."""

    measure: str  # a measure key, or "resolution_rate" (办结 ÷ 受理, in %)
    value: float
    text: str


@dataclass(frozen=True)
class Draft:
    text: str
    numbers: tuple[DraftNumber, ...]


def _plain(text: str) -> str:
    """Numbers in running Chinese text carry no thousands separators: 1234件, 3.35万份."""
    return text.replace(",", "")


def scope_text(filters: Filters) -> str:
    """Where and who the brief covers, as a summary names it: 浙江省杭州市市场监管系统 / 全部单位."""
    place = "".join(p for p in (filters.province, filters.city, filters.district) if p)
    sectors = "、".join(filters.sector)
    agencies = "、".join(filters.agency)
    if agencies:
        return f"{place}{agencies}" if place and not agencies.startswith(place) else agencies
    if sectors:
        return f"{place}{sectors}系统"
    return place or "各地"


def _change(kpi: Kpi, numbers: list[DraftNumber]) -> str:
    """ ",同比增长12.5%" over the units that reported both years (同口径); recorded in ``numbers`` (in %)."""
    change = change_text(kpi.same_now, kpi.same_before) if kpi.comparable else None
    if change is None or kpi.change is None:
        return ""
    shown = _plain(change.lstrip("+").removeprefix(MINUS))
    numbers.append(DraftNumber(f"{kpi.measure.key}@change", kpi.change, shown))
    if change == "0.0%":
        return ",与上年持平"
    return f",同比增长{shown}" if change.startswith("+") else f",同比下降{shown}"


def coverage_clause(kpi: Kpi) -> str:
    """How the year-on-year figures compare, for the paragraph's first sentence ("" with no earlier year)."""
    coverage = kpi.coverage
    if coverage is None or coverage.before == 0:
        return ""
    if coverage.comparable:
        return f";上年报送的{coverage.before}家单位中{coverage.both}家已报,同比按这{coverage.both}家同口径计算"
    return f";上年报送的{coverage.before}家单位中仅{coverage.both}家已报,暂不作同比比较"


def draft_summary(frame: pd.DataFrame, filters: Filters, *, catalog: Catalog | None = None) -> Draft:
    """The paragraph for the view ``filters`` selects from ``frame`` (all active facts)."""
    catalog = catalog or default_catalog()
    tiles = kpis(frame, filters, catalog, keys=catalog.ids)
    if not tiles:
        return Draft("当前范围内没有数据。", ())
    years = view_years(frame, filters)
    view = apply_filters(frame, filters if filters.year or not years else replace(filters, year=tuple(years)))
    agencies = int(np.count_nonzero(np.bincount(view["agency"].cat.codes.to_numpy() + 1)[1:]))
    returns = int(view["submission_id"].nunique())
    numbers: list[DraftNumber] = []
    head = f"{years_text(years)}“3·15”期间,{scope_text(filters)}"
    head += f"共汇总报表{returns}份" + (f",涉及填报单位{agencies}家" if agencies else "")
    head += coverage_clause(tiles[0]) + "。"
    by_metric: dict[str, list[Kpi]] = {}
    for tile in tiles:
        by_metric.setdefault(tile.measure.metric, []).append(tile)
    sentences = []
    for opener, group in zip(_OPENERS, _PHRASES):
        parts = []
        for metric, phrase in group:
            shown_tiles = [k for k in by_metric.get(metric, []) if k.value != 0 or k.previous]
            if metric == "destroyed_qty" and shown_tiles:  # one thing destroyed, counted in several units
                texts = []
                for tile in shown_tiles:
                    texts.append(_plain(format_metric(tile.value, tile.measure.unit)))
                    numbers.append(DraftNumber(tile.measure.key, tile.value, texts[-1]))
                parts.append(phrase + "、".join(texts))
                continue
            for tile in shown_tiles:
                shown = _plain(format_metric(tile.value, tile.measure.unit))
                numbers.append(DraftNumber(tile.measure.key, tile.value, shown))
                part = f"{phrase}{shown}" + _change(tile, numbers)
                if metric == "complaints_resolved":
                    received = next((k.value for k in by_metric.get("complaints_received", [])), 0.0)
                    if received > 0:
                        rate = tile.value / received * 100
                        rate_text = f"{rate:.1f}%"
                        numbers.append(DraftNumber("resolution_rate", rate, rate_text))
                        part += f",办结率{rate_text}"
                parts.append(part)
        if parts:
            sentences.append(opener + ";".join(parts))
    body = ";".join(sentences) + "。" if sentences else ""
    return Draft(head + body, tuple(numbers))
