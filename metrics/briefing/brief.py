"""What a briefing pack says, worked out once from the facts and then written as PPTX, XLSX, DOCX or HTML.

A brief covers one scope (the dashboard's filters, and one year when none is chosen: see ``pack_scope``),
a few measures and a few breakdowns; every chart
in it is one measure summed by one breakdown, computed by the same query functions the dashboard
pages use, so a pack's numbers are the dashboard's numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from metrics.analysis import charts
from metrics.analysis.maps import NOTE_ZH, RegionMap, UnknownPlace, region_map
from metrics.analysis.query import (
    KEY_MEASURES,
    PLACE_FILTERS,
    UNKNOWN,
    Filters,
    Kpi,
    Measure,
    apply_filters,
    kpis,
    measure_of,
    measure_totals,
    measures_in,
    next_level,
    pivot,
    records_table,
    report_year,
    view_years,
)
from metrics.briefing.draft import Draft, draft_summary, scope_text
from metrics.core.catalog import Catalog, default_catalog
from metrics.core.fmt import format_metric, years_text
from metrics.core.labels import t

# Breakdowns a brief can chart, in the order a pack shows them; "region" is one level below the scope.
BREAKDOWNS = ("sector", "region", "year", "agency", "theme", "activity")
BREAKDOWN_NAMES = {
    "sector": "按系统",
    "region": "按地区",
    "year": "历年对比",
    "agency": "按单位",
    "theme": "按主题",
    "activity": "按活动形式",
}
DIMENSION_NAMES = {
    "sector": "系统",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "year": "年度",
    "agency": "单位",
    "theme": "主题",
    "activity": "活动形式",
}
DEFAULT_BREAKDOWNS = ("sector", "region", "year", "agency")
DEFAULT_MEASURE_COUNT = 3
TOP = 12  # bars per chart: the largest 11 and one 其他 bar holding the rest, so the bars add up to the total
RECORD_LIMIT = 20_000  # records listed in a pack's data sheet; the 明细 page downloads them all
NO_YEAR = "未注明年度"
# Characters XML 1.0 forbids: PowerPoint, Word and Excel files cannot hold them (a pasted summary or a
# cell copied from another system may carry one); they are dropped from everything a brief says.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _xml_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.rename(columns=lambda c: xml_safe(str(c)))
    for name in out.columns:
        if not pd.api.types.is_numeric_dtype(out[name]):
            out[name] = [xml_safe(v) if isinstance(v, str) else v for v in out[name]]
    return out


@dataclass(frozen=True)
class ChartData:
    """One measure summed by one breakdown: the categories and values every format draws."""

    measure: Measure
    breakdown: str  # "sector", "year", "agency", … or the region level ("province", "city", "district")
    title: str
    categories: tuple[str, ...]
    values: tuple[float, ...]

    @property
    def kind(self) -> str:
        """ "line" over years, "bar" (a ranking, largest first) for everything else."""
        return "line" if self.breakdown == "year" else "bar"

    @property
    def unit(self) -> str:
        return self.measure.unit

    @property
    def total(self) -> float:
        return float(sum(self.values))

    @property
    def section(self) -> str:
        """The breakdown's name (按系统, 按地区, 历年对比 …): a workbook's sheet of these charts."""
        if self.breakdown in PLACE_FILTERS:
            return BREAKDOWN_NAMES["region"]
        return BREAKDOWN_NAMES.get(self.breakdown, self.breakdown)

    @property
    def label(self) -> str:
        return DIMENSION_NAMES.get(self.breakdown, self.breakdown)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"label": list(self.categories), "value": list(self.values)})

    def figure(self) -> go.Figure:
        """The dashboard's Plotly figure of these numbers (for images and the HTML page)."""
        if self.kind == "line":
            return charts.line_trend(self.frame(), "label", "value", title=self.title, unit=self.unit)
        return charts.bar_ranked(
            self.frame(), "label", "value", title=self.title, unit=self.unit, top=len(self.categories) + 1
        )


@dataclass(frozen=True)
class Brief:
    title: str
    scope: str  # 浙江省杭州市 · 2023—2024年 …
    filters: Filters
    kpis: tuple[Kpi, ...]
    kpi_caption: str
    charts: tuple[ChartData, ...]
    table: pd.DataFrame  # agency × measure, 合计 last
    summary: str
    draft: Draft
    records: pd.DataFrame  # records_table of the first RECORD_LIMIT records of the scope
    record_count: int
    made: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    map: RegionMap | None = None  # the first chosen measure one level under the scope's place
    map_measure: Measure | None = None
    map_title: str = ""

    @property
    def file_stem(self) -> str:
        return charts.safe_filename(self.title)


def default_measures(
    frame: pd.DataFrame, catalog: Catalog | None = None, count: int = DEFAULT_MEASURE_COUNT
) -> list[str]:
    """The headline measures present in the view (活动, 资料, 咨询 … in catalog priority)."""
    present = measures_in(frame, catalog)
    keyed = sorted((m for m in present if m.metric in KEY_MEASURES), key=lambda m: KEY_MEASURES.index(m.metric))
    return [m.key for m in (keyed or present)[:count]]


def pack_scope(frame: pd.DataFrame, filters: Filters) -> tuple[Filters, str]:
    """The one scope a pack covers, and a note when its year was not the latest.

    With no year chosen a pack covers one year, the latest complete one (``query.report_year``): the
    latest year in scope, unless fewer than half as many units have reported it as the year before,
    then the year before, and the note says so. Chosen years are kept as they are.
    """
    if filters.year:
        return filters, ""
    choice = report_year(apply_filters(frame, filters))
    if choice.year is None:
        return filters, ""
    note = ""
    if choice.skipped:
        note = (
            f"{choice.latest}年目前仅{choice.units_latest}家单位报送,不足上年{choice.units_before}家的一半,"
            f"本简报采用{choice.year}年数据"
        )
    return replace(filters, year=(choice.year,)), note


def default_title(frame: pd.DataFrame, filters: Filters) -> str:
    when = years_text(view_years(frame, filters))
    where = scope_text(filters)
    return f"{when}{'' if where == '各地' else where}“3·15”消费者权益保护宣传活动情况"


def scope_line(frame: pd.DataFrame, filters: Filters, note: str = "") -> str:
    """The scope in one line for a subtitle: places, sectors, agencies, years, what else is filtered."""
    parts = [p for p in (filters.province, filters.city, filters.district) if p] or ["全部地区"]
    if filters.sector:
        parts.append("、".join(filters.sector))
    if filters.agency:
        parts.append("、".join(filters.agency) if len(filters.agency) <= 3 else f"{len(filters.agency)}家单位")
    years = view_years(frame, filters)
    if years:
        parts.append(years_text(years) + (f"({note})" if note else ""))
    for name, zh in (("theme", "主题"), ("activity", "活动形式"), ("metric", "指标")):
        values = getattr(filters, name)
        if values:
            parts.append(f"{zh}:{'、'.join(values)}")
    return " · ".join(parts)


def view_years_text(view: pd.DataFrame) -> str:
    """The years the records of a view cover, as a title names them (2024年, 2021—2024年)."""
    return years_text(sorted(int(y) for y in np.unique(view["year"].to_numpy()) if y >= 0))


def chart_data(view: pd.DataFrame, measure: Measure, breakdown: str, filters: Filters, *, top: int = TOP) -> ChartData:
    """One chart's numbers; a ranking longer than ``top`` keeps ``top - 1`` bars and sums the rest as 其他."""
    dimension = next_level(filters) if breakdown == "region" else breakdown
    totals = measure_totals(view, measure.key, dimension)
    name = BREAKDOWN_NAMES.get(breakdown, dimension)
    if dimension == "year":
        totals = totals.sort_values("year", kind="stable")
        labels = [NO_YEAR if y == UNKNOWN or int(y) < 0 else str(int(y)) for y in totals["year"]]
        span = years_text([int(y) for y in totals["year"] if y != UNKNOWN and int(y) >= 0])
        title = f"{span} {measure.name()} {name}".strip()
        return ChartData(measure, "year", title, tuple(labels), tuple(float(v) for v in totals["value"]))
    # Every chart names its years, so one lifted out of the pack still says what it covers.
    title = f"{view_years_text(view)} {measure.name()} {name}".strip()
    labels = [xml_safe(str(v)) for v in totals[dimension]]
    values = [float(v) for v in totals["value"]]
    if len(labels) > top:
        rest = len(labels) - (top - 1)
        labels = labels[: top - 1] + [f"其他({rest}项)"]
        values = values[: top - 1] + [float(sum(values[top - 1 :]))]
    return ChartData(measure, dimension, title, tuple(labels), tuple(values))


def agency_table(view: pd.DataFrame, measures: Sequence[Measure]) -> pd.DataFrame:
    """Agency × chosen measures with a 合计 row (blank where an agency did not report a metric)."""
    wanted = [m.key for m in measures]
    rows = view[view["measure"].isin(wanted).to_numpy()]
    table = pivot(rows, "agency")
    return table.rename(columns={"agency": "单位"})


def kpi_caption_text(tiles: Sequence[Kpi], filters: Filters) -> str:
    """ "2024年,与2023年同口径比较(上年10家中8家已报)": the KPIs' years and how they compare."""
    if not tiles or tiles[0].year is None:
        return ""
    years = sorted(filters.year) or [tiles[0].year]
    before = [y - 1 for y in years]
    text = f"{years_text(years)},与{years_text(before)}相比"
    coverage = tiles[0].coverage
    if coverage is None or coverage.before == 0:
        return text + "(上年无数据)"
    if coverage.comparable:
        return (
            f"{years_text(years)},与{years_text(before)}同口径比较(只计两年均报送的单位:上年"
            f"{coverage.before}家中{coverage.both}家已报);“全部单位”列含只报送一年的单位"
        )
    return text + f"(上年{coverage.before}家中仅{coverage.both}家已报,暂不比较)"


# ---- the map ------------------------------------------------------------------------------------

MAP_SECTION = "地区分布"
MAP_LEFT = t("regions.map_left_row")  # 未落到图上: the part of the total no unit of the map takes
MAP_ROWS = 18  # units listed beside the map on a slide; the rest as one 其他 row


def pack_map(view: pd.DataFrame, measure: Measure, filters: Filters) -> RegionMap | None:
    """``measure`` over the pack's view on the map one level under the scope's place; None when no unit
    of that map gets a number (nothing in the view can be placed) or the place is not in the gazetteer."""
    try:
        found = region_map(view, measure.key, filters)
    except UnknownPlace:
        return None
    return found if found.values else None


def map_rows(brief: Brief, limit: int | None = None) -> pd.DataFrame:
    """The numbers beside the map as the slides, Word and HTML show them, each with its unit: 合计 first,
    未落到图上 when part of the total is on no unit, then every unit with a number, largest first (beyond
    ``limit`` units, the first ``limit - 1`` and one 其他(N个城市) row holding the rest)."""
    if brief.map is None or brief.map_measure is None:
        return pd.DataFrame()
    unit, level = brief.map_measure.unit, DIMENSION_NAMES[brief.map.level]
    units = brief.map.valued()
    names, values = units["name"].tolist(), units["value"].tolist()
    if limit is not None and len(names) > limit:
        rest = len(names) - (limit - 1)
        names = names[: limit - 1] + [f"其他({rest}个{level})"]
        values = values[: limit - 1] + [float(sum(values[limit - 1 :]))]
    head = [(t("common.total"), brief.map.total)]
    if brief.map.left:
        head.append((MAP_LEFT, brief.map.left))
    rows = head + list(zip(names, values))
    return pd.DataFrame(
        {level: [n for n, _ in rows], brief.map_measure.name(): [format_metric(v, unit) for _, v in rows]}
    )


def map_notes(brief: Brief) -> list[str]:
    """What the reader of the map must know: it is schematic (the boundaries have no 审图号), the chosen
    place has nothing under it, part of the total is on no unit, how many units are grey."""
    if brief.map is None or brief.map_measure is None:
        return []
    found, level = brief.map, DIMENSION_NAMES[brief.map.level]
    notes = [NOTE_ZH]
    if found.focus is not None:
        notes.append(
            t(
                "regions.map_focus",
                place=found.focus.name,
                parent=found.parent.name if found.parent else t("regions.map_country"),
            )
        )
    if found.left:
        notes.append(t("regions.map_left", value=format_metric(found.left, brief.map_measure.unit)))
    if found.grey:
        notes.append(t("regions.map_grey", n=found.grey, level=level))
    return notes


def build_brief(
    frame: pd.DataFrame,
    filters: Filters,
    *,
    measures: Iterable[str] | None = None,
    breakdowns: Iterable[str] = DEFAULT_BREAKDOWNS,
    title: str | None = None,
    summary: str | None = None,
    texts: Callable[[Iterable[int]], Mapping[int, tuple[str | None, str | None]]] | None = None,
    record_limit: int = RECORD_LIMIT,
    catalog: Catalog | None = None,
    maps: bool = True,
) -> Brief:
    """The brief of ``filters``' view of ``frame`` (all active facts).

    ``texts`` maps record ids to the cell text as written (``Store.record_details``) for the data
    sheet; ``summary`` replaces the generated draft when the user has edited it; ``maps=False`` leaves
    the map out (the boundaries have no 审图号: packs meant for publication should not carry it).
    """
    catalog = catalog or default_catalog()
    filters, note = pack_scope(frame, filters)
    view = apply_filters(frame, filters)
    keys = list(measures) if measures is not None else default_measures(view, catalog)
    present = {m.key for m in measures_in(view, catalog)}
    chosen = [measure_of(k, catalog) for k in keys if k in present]
    tiles = kpis(frame, filters, catalog, keys=[m.key for m in chosen]) if chosen else []
    kpi_caption = kpi_caption_text(tiles, filters)
    wanted = [b for b in BREAKDOWNS if b in set(breakdowns)]
    # The year chart shows the scope's history (all years, other filters kept): one chosen year alone
    # would be a single point, and a briefing compares with earlier years.
    history = apply_filters(frame, filters.without("year")) if "year" in wanted else view
    figures = tuple(chart_data(history if b == "year" else view, m, b, filters) for m in chosen for b in wanted)
    draft = draft_summary(frame, filters, catalog=catalog)
    head = view.head(record_limit)
    records = records_table(head, texts(head["id"]) if texts else None, catalog)
    found = pack_map(view, chosen[0], filters) if maps and chosen else None
    map_title = (
        f"{view_years_text(view)} {chosen[0].name()} 按{DIMENSION_NAMES[found.level]}分布".strip()
        if found is not None
        else ""
    )
    return Brief(
        title=xml_safe(title or default_title(frame, filters)),
        scope=xml_safe(scope_line(frame, filters, note)),
        filters=filters,
        kpis=tuple(tiles),
        kpi_caption=kpi_caption,
        charts=figures,
        table=_xml_safe_frame(agency_table(view, chosen)) if chosen else pd.DataFrame(),
        summary=xml_safe(draft.text if summary is None else summary),
        draft=draft,
        records=_xml_safe_frame(records),
        record_count=len(view),
        map=found,
        map_measure=chosen[0] if found is not None else None,
        map_title=map_title,
    )
