"""A summary's reports, each with its agency, year, theme, region and metric mentions as records."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from metrics.core.catalog import Catalog, MetricDef, default_catalog
from metrics.core.record import Stats
from metrics.narrative.agency import another_body_quoted, find_agency, report_place
from metrics.narrative.files import load_summary, refused
from metrics.narrative.mentions import Mention, sentence_mentions
from metrics.narrative.period import report_year
from metrics.narrative.segmentation import BULLET, normalise, sentences, split_reports
from metrics.reading.dimensions import infer_sector
from metrics.reading.regions import Gazetteer
from metrics.reading.sniff import FileRefused

LAYOUT = "活动总结(文字)"  # what ``layouts`` says of a summary, here and for a reviewed import
_THEME = re.compile(r"[“\"]([^”\"]{2,24})[”\"](?:为|的)?(?:活动)?(?:年)?主题|主题[为是::]\s*[“\"]([^”\"]{2,24})[”\"]")


@dataclass(slots=True)
class Report:
    title: str
    start: int
    end: int
    agency: str | None = None
    year: int | None = None
    theme: str | None = None
    region: str | None = None  # the place as a path ('浙江省 宁波市 鄞州区'), from the agency or the opening lines
    mentions: list[Mention] = field(default_factory=list)


def extract(
    text: str, *, catalog: Catalog | None = None, gazetteer: Gazetteer | None = None, file: str = ""
) -> list[Report]:
    """Every report in ``text`` with its agency, year, theme and metric mentions."""
    catalog = catalog or default_catalog()
    norm = normalise(text)
    reports = []
    for title, start, end in split_reports(text):
        report = Report(title, start, end)
        body = norm[start:end]
        headed = f"{normalise(title)}\n{body}" if title else body  # 篇2 丽水市消费者协会: the heading names it
        agency = find_agency(headed, gazetteer)
        if agency is not None and (at := headed.find(agency)) >= 0:  # as written: 消費者委員會 stays traditional
            agency = (f"{title}\n{text[start:end]}" if title else text[start:end])[at : at + len(agency)]
        report.agency = agency
        report.year = report_year(headed)
        report.theme = _theme(body)
        region = report_place(report.agency, headed, gazetteer)
        report.region = region.path if region is not None else None
        place = (
            (region.province, region.city or None, region.district or None, region.adcode) if region else (None,) * 4
        )
        heading: list[MetricDef] = []
        for sentence in sentences(norm, start, end):
            stated = {m.record.metric for m in report.mentions}
            found, named = sentence_mentions(text, norm, sentence, catalog, report.year, heading, stated)
            quoted = another_body_quoted(norm[sentence[0] : sentence[1]], report.agency)
            if quoted is not None:  # 另据市市场监管局通报,全市立案查处…: another body's figures from there on
                found = [m for m in found if m.start < sentence[0] + quoted]
            report.mentions.extend(found)
            if not BULLET.match(norm, *sentence):  # 六、免费检测 heads the lines "- 血压计 38 台" below it
                heading = named if named and not found else []
        for mention in report.mentions:
            record = mention.record
            record.agency, record.year, record.theme = report.agency, report.year, report.theme
            record.sector = infer_sector(report.agency)
            record.province, record.city, record.district, record.adcode = place
            record.source = f"{file}:{mention.start}-{mention.end}" if file else f"{mention.start}-{mention.end}"
        reports.append(report)
    return reports


def _theme(body: str) -> str | None:
    """The theme the text names in quotes (以“…”为主题, 主题为“…”); the day's own name (“3·15”) is none."""
    theme = _THEME.search(body)
    named = (theme.group(1) or theme.group(2)) if theme else None
    return None if named is None or _DAY.fullmatch(named) else named


_DAY = re.compile(r"[0-9.·]*3\W?15[\W\w]{0,4}")


def extract_file(data: bytes, name: str, *, catalog: Catalog | None = None) -> dict:
    """One summary file in the shape ``ingest --json`` gives a return (file, ok, error, records, issues, stats,
    layouts); records also carry evidence and offsets, and ``reports`` lists what each report is about."""
    started = time.perf_counter()
    try:
        text = load_summary(data, name)
    except FileRefused as exc:
        return refused(name, exc.message)
    reports = extract(text, catalog=catalog, file=name)
    records = [m.to_dict() for r in reports for m in r.mentions]
    stats = Stats(sheets=1, rows=len(reports), records=len(records), seconds=round(time.perf_counter() - started, 4))
    return {
        "file": name,
        "ok": True,
        "error": None,
        "records": records,
        "issues": [],
        "stats": stats.to_dict(),
        "layouts": {"正文": LAYOUT},
        "reports": [
            {
                "title": r.title,
                "agency": r.agency,
                "region": r.region,
                "year": r.year,
                "theme": r.theme,
                "start": r.start,
                "end": r.end,
                "records": len(r.mentions),
            }
            for r in reports
        ],
    }
