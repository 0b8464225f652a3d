"""A written summary, reviewed, into the store: the same submission path as a table's.

The reviewer sees what the extractor found (``narrative.extract``), accepts or rejects each number,
edits its metric or value, and sets each report's agency, region and year. The review itself is what
gets stored beside the original file (as the submission's settings, JSON): replaying a submission
rebuilds exactly the records that were confirmed, whatever a later extractor would find. The same file
with the same review again is "已导入"; a changed review is a new reading of the same file.

A record's source is ``file/篇3·第120–126字``: the report and the character offsets of the number in the
text as uploaded (rows and columns are -1, which pages read as "no cell").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from metrics.core.catalog import Catalog, default_catalog
from metrics.core.numbers import parse_number
from metrics.core.record import Coded, Column, FileResult, RecordBatch, Stats, object_array
from metrics.narrative.files import load_summary, read_text
from metrics.narrative.mentions import QUANTITY_UNITS
from metrics.narrative.reports import LAYOUT, Report, extract
from metrics.reading.dimensions import infer_sector
from metrics.reading.regions import Gazetteer, Region, default_gazetteer
from metrics.reading.sniff import FileRefused

FORMAT = "narrative-review/1"


class ReviewError(ValueError):
    """The review cannot be imported; the message (Chinese) names the row or report and what to do."""


@dataclass(slots=True)
class ReportFields:
    """What a report is about; blank means unknown (agency and year must be known to import)."""

    title: str = ""
    agency: str | None = None
    sector: str | None = None
    region: str | None = None
    year: int | None = None
    theme: str | None = None


@dataclass(slots=True)
class ReviewRow:
    """One number as the reviewer left it. ``start``/``end`` are None for a number the reviewer added."""

    report: int
    metric: str
    value: float
    start: int | None = None
    end: int | None = None
    approx: str | None = None
    accepted: bool = True
    raw: str | None = None  # text[start:end] when reviewed: a replay checks the text still says it


@dataclass(slots=True)
class Review:
    reports: list[ReportFields] = field(default_factory=list)
    rows: list[ReviewRow] = field(default_factory=list)

    def to_json(self) -> str:
        """Stable JSON of what will be imported (rejected rows left out): the submission's settings."""
        rows = sorted(
            (asdict(r) for r in self.rows if r.accepted),
            key=lambda r: (r["report"], r["start"] is None, r["start"] or 0, r["metric"], r["value"]),
        )
        for row in rows:
            row.pop("accepted")
            if float(row["value"]).is_integer():
                row["value"] = int(row["value"])
        return json.dumps(
            {"format": FORMAT, "reports": [asdict(r) for r in self.reports], "rows": rows},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Review:
        plain = json.loads(text)
        if plain.get("format") != FORMAT:
            raise ReviewError("这不是活动总结的审核记录")
        return cls([ReportFields(**r) for r in plain["reports"]], [ReviewRow(**r) for r in plain["rows"]])


def is_review(settings: str | None) -> bool:
    return settings is not None and f'"format": "{FORMAT}"' in settings


def first_review(reports: list[Report]) -> Review:
    """Everything the extractor found, accepted, with each report's fields as the text says them."""
    fields_ = [
        ReportFields(
            title=r.title,
            agency=r.agency,
            sector=None,  # None: from the agency, as corrected
            region=r.region,
            year=r.year,
            theme=r.theme,
        )
        for r in reports
    ]
    rows = [
        ReviewRow(k, m.record.metric, float(m.record.value), m.start, m.end, m.record.approx, raw=m.record.raw)
        for k, r in enumerate(reports)
        for m in r.mentions
    ]
    return Review(fields_, rows)


def check(review: Review, text: str, catalog: Catalog | None = None, gazetteer: Gazetteer | None = None) -> list[str]:
    """Everything that stops an import, each said in Chinese with the row or report and what to do."""
    catalog = catalog or default_catalog()
    gazetteer = gazetteer or default_gazetteer()
    problems: list[str] = []
    used = {r.report for r in review.rows if r.accepted}
    if not used:
        problems.append("没有要导入的数字:请至少接受一行,或在表格末尾补录一行")
    for k, report in enumerate(review.reports):
        if k not in used:
            continue
        name = _report_name(report, k, len(review.reports))
        if not (report.agency or "").strip():
            problems.append(f"{name}:缺少填报单位,请在“单位”里填写")
        if report.year is None:
            problems.append(f"{name}:缺少年度,请在“年度”里填写(如 2025)")
        elif not 1990 <= int(report.year) <= 2100:
            problems.append(f"{name}:年度 {report.year} 不合理,请填写四位年份")
        if report.region and _resolve(gazetteer, report.region) is None:
            problems.append(f"{name}:找不到地区“{report.region}”,请写全称(如 宁波市鄞州区)或留空")
    spans: set[tuple[int, int]] = set()
    for n, row in enumerate(review.rows, start=1):
        if not row.accepted:
            continue
        where = f"第 {n} 行"
        metric = catalog.metrics.get(row.metric)
        if metric is None:
            problems.append(f"{where}:没有“{row.metric}”这个指标,请从列表中选择")
            continue
        if row.report not in range(len(review.reports)):
            problems.append(f"{where}:所属报告不存在")
        if row.value is None or not math.isfinite(float(row.value)) or float(row.value) < 0:
            problems.append(f"{where}:数值“{row.value}”无效,请填写不小于 0 的数字")
        if row.start is not None:
            if row.end is None or not 0 <= row.start < row.end <= len(text):
                problems.append(f"{where}:原文位置超出全文,请拒绝此行后补录")
                continue
            said = text[row.start : row.end]
            if row.raw is not None and said != row.raw:
                problems.append(f"{where}:原文此处已不是“{row.raw}”(文件内容变了),请重新提取")
                continue
            if (row.start, row.end) in spans:
                problems.append(f"{where}:与上面一行是原文中的同一个数字,请只保留一行")
                continue
            spans.add((row.start, row.end))
            parsed = parse_number(said)
            if parsed.kind != "number":
                problems.append(f"{where}:原文“{said}”不是一个数字,请拒绝此行后补录")
                continue
            if metric.kind == "quantity" and (parsed.unit or "") not in QUANTITY_UNITS:
                problems.append(f"{where}:“{metric.zh}”要按件、条、千克等计量,原文“{said}”不是数量,请改选指标")
                continue
            written = parsed.unit
            if (
                written
                and metric.kind != "quantity"
                and not metric.accepts_unit(written)
                and not (metric.is_money and written == "元")
            ):
                problems.append(
                    f"{where}:原文“{text[row.start : row.end]}”的单位“{written}”不是“{metric.zh}”的单位"
                    f"({metric.unit}),请改选指标或拒绝此行"
                )
        elif metric.kind == "quantity":
            problems.append(f"{where}:补录的“{metric.zh}”需要计量单位,请在原文中选取这个数字(接受原文行)")
    return problems


def review_result(
    name: str, text: str, review: Review, *, catalog: Catalog | None = None, gazetteer: Gazetteer | None = None
) -> FileResult:
    """The accepted rows as a read file, ready for ``Store.plan`` / ``Store.import_result``.

    Raises ``ReviewError`` with every problem when the review cannot be imported.
    """
    catalog = catalog or default_catalog()
    gazetteer = gazetteer or default_gazetteer()
    problems = check(review, text, catalog, gazetteer)
    if problems:
        raise ReviewError(";".join(problems))
    rows = [r for r in review.rows if r.accepted]
    places = [_resolve(gazetteer, f.region) if f.region else None for f in review.reports]
    cols: dict[str, list] = {
        c: []
        for c in (
            "agency",
            "sector",
            "province",
            "city",
            "district",
            "adcode",
            "year",
            "theme",
            "metric",
            "value",
            "unit",
            "approx",
            "raw",
            "sheet",
        )
    }
    for row in rows:
        report, place = review.reports[row.report], places[row.report]
        metric = catalog[row.metric]
        raw = text[row.start : row.end] if row.start is not None else None
        # check() above refused a report without an agency or a year.
        assert report.agency is not None and report.year is not None
        agency = report.agency.strip()
        cols["agency"].append(agency)
        cols["sector"].append(report.sector or infer_sector(agency))
        for column in ("province", "city", "district", "adcode"):
            value = getattr(place, column) if place is not None else None
            cols[column].append(value or None)
        cols["year"].append(int(report.year))
        cols["theme"].append(report.theme or None)
        cols["metric"].append(metric.id)
        cols["value"].append(float(row.value))
        cols["unit"].append((parse_number(raw).unit or "") if metric.kind == "quantity" else metric.unit)
        cols["approx"].append(row.approx if raw is not None else None)
        cols["raw"].append(raw if raw is not None else _plain(row.value))
        where = report.title.strip() or (f"篇{row.report + 1}" if len(review.reports) > 1 else "正文")
        cols["sheet"].append(f"{where}·第{row.start + 1}–{row.end}字" if row.start is not None else f"{where}·补录")
    n = len(rows)
    columns: dict[str, Column] = {c: Coded.encode(object_array(v)) for c, v in cols.items() if c != "value"}
    columns["value"] = np.asarray(cols["value"], dtype=np.float64)
    columns["row"] = np.full(n, -1, dtype=np.int64)
    columns["col"] = np.full(n, -1, dtype=np.int64)
    columns["cell_value"] = np.full(n, np.nan)
    stats = Stats(sheets=1, rows=len({r.report for r in rows}), records=n)
    return FileResult(name, RecordBatch(columns), stats=stats, layouts={"正文": LAYOUT})


def numbered(title: str) -> str | None:
    """'篇3' from a report heading such as '开展消费者权益保护培训总结(篇3)'."""
    found = re.search(r"篇\s*[0-9一二三四五六七八九十]+", title)
    return found.group(0) if found else None


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _report_name(report: ReportFields, k: int, n: int) -> str:
    return report.title.strip() or (f"第 {k + 1} 篇" if n > 1 else "全文")


def _resolve(gazetteer: Gazetteer, text: str) -> Region | None:
    match = gazetteer.resolve(text.strip())
    return match.region if match.status == "ok" else None


def read_summary(data: bytes, name: str, catalog: Catalog | None = None) -> tuple[str, list[Report]]:
    """The text and its reports; raises ReviewError (Chinese) for a file that cannot be read."""
    try:
        text = load_summary(data, name)
    except FileRefused as exc:
        raise ReviewError(f"{name}:{exc.message}") from exc
    if not text.strip():
        raise ReviewError(f"{name}:文件里没有文字")
    return text, extract(text, catalog=catalog, file=name)


def replay(data: bytes, name: str, settings: str, catalog: Catalog | None = None) -> FileResult:
    """A stored summary submission read again: its original text and its stored review."""
    text = read_text(data, name)
    return review_result(name, text, Review.from_json(settings), catalog=catalog)
