"""Numbers out of written summaries (活动总结): each metric mention a record, traced to its clause.

Correctness over recall: a number becomes a record only when a catalog synonym names its metric in the
same clause and its unit is one the metric accepts. Redacted numbers (``__份``), ``其中`` sub-items,
counts of kinds (``30余种``), ordinals and sessions (``第三十八条``, ``五届五次``), hotlines
(``12365``) and equipment (``两台笔记本电脑``) give nothing. Offsets refer to the text as given
(traditional script and full-width digits are normalised character for character).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from metrics.catalog import Catalog, MetricDef, default_catalog
from metrics.dimensions import infer_sector
from metrics.numbers import parse_number
from metrics.record import Record
from metrics.regions import Gazetteer, default_gazetteer
from metrics.text import to_simplified

# Units a destroyed quantity may be counted in (the catalog keeps that metric's unit as written).
QUANTITY_UNITS = ("千克", "公斤", "吨", "条", "床", "箱", "瓶", "盒", "袋", "件", "个", "台", "副", "套", "批", "桶",
                  "斤", "部", "双", "只", "张", "本")
# A measure word followed by one of these counts things that are not the metric: 12个单位, 3家企业.
_NOT_THE_OBJECT = ("单位", "企业", "家庭", "学校", "中学", "小学", "志愿者", "媒体", "商场", "超市", "网点", "社区",
                   "部门", "科室", "品种", "规格", "工地", "茶楼", "行业", "协会", "委员", "代表", "乡镇", "街道",
                   "县", "区", "市", "省", "所", "组", "名", "位", "栏目", "专栏", "版面", "展板", "横幅", "标语",
                   "阶段", "方面", "步骤", "环节", "重点", "主题", "疑难", "典型", "月", "多月", "小时", "工作日", "天",
                   "多天", "年", "多年", "周", "星期", "批次")
_CN_NUM = "零〇一二三四五六七八九十百千万亿两"
_NUMBER = re.compile(
    rf"(?P<pre>将近|接近|超过|不少于|大约|共计|累计|合计|近|约|逾|共|达)?"
    rf"(?P<num>\d+(?:[.,]\d+)*|[{_CN_NUM}]+)"
    rf"(?P<tail>(?:余|多)?(?:万|亿)?(?:余|多)?)"
)
_CLAUSE_END = re.compile("[;\uff1b:\uff1a\u3001]|(?<![0-9]),|,(?![0-9]{3}(?![0-9]))")  # 1,200 is one number; 、 lists
_SENTENCE_END = re.compile(r"[。!!??\n]|(?<![0-9])\.(?![0-9])")  # some summaries end sentences with "."
_REPORT_HEAD = re.compile(r"(?m)^(?:#+\s*)?.{0,40}?[((]?篇\s*([0-9一二三四五六七八九十]+)[))]?[^\n]{0,40}$")
_AGENCY = re.compile(
    r"[\u4e00-\u9fff]{1,14}(?:分行|支行|银行|消费者权益保护委员会|消费者委员会|消保委|消委会|消费者协会|消协|"
    r"市场监督管理局|市场监管局|工商行政管理局|工商局|质量技术监督局|质监局|检验检疫局|烟草专卖局|烟草公司|司法所|"
    r"分公司|保险公司|人民政府|管理所)"
)
_AGENCY_LEAD = re.compile(r"^.*(?:为了|为|由|据|根据|按照|关于|围绕|转发|在|以|和|与|及|、|的|是|了|联合|会同|组织|号召|同时|我|年|月|日)")
_YEAR = re.compile(r"(?<![0-9_])((?:19|20)\d{2})\s*年")
_THEME = re.compile(r"[“\"]([^”\"]{2,24})[”\"](?:为|的)?(?:活动)?(?:年)?主题|主题[为是::]\s*[“\"]([^”\"]{2,24})[”\"]")


@dataclass(slots=True)
class Mention:
    """One number the text states for a metric: the record and where it is written."""

    record: Record
    evidence: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {**self.record.to_dict(), "evidence": self.evidence, "start": self.start, "end": self.end}


@dataclass(slots=True)
class Report:
    title: str
    start: int
    end: int
    agency: str | None = None
    year: int | None = None
    theme: str | None = None
    mentions: list[Mention] = field(default_factory=list)


def normalise(text: str) -> str:
    """Simplified script and ASCII digits, character for character, so offsets stay valid."""
    out = to_simplified(text)
    if len(out) != len(text):  # a phrase conversion changed the length: convert one character at a time
        out = "".join(to_simplified(ch) if len(to_simplified(ch)) == 1 else ch for ch in text)
    return out.translate(_FULL_WIDTH)


_FULL_WIDTH = {code: chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)} | {0xFF0C: ",", 0xFF0E: "."}


def read_text(data: bytes, name: str) -> str:
    """A summary's text from .txt/.md (UTF-8, GB18030) or .docx bytes."""
    if name.lower().endswith(".docx"):
        from docx import Document

        document = Document(io.BytesIO(data))
        return "\n".join(p.text for p in document.paragraphs)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def split_reports(text: str) -> list[tuple[str, int, int]]:
    """(title, start, end) of every report: 篇1…篇N headings split a document; otherwise one report."""
    heads = list(_REPORT_HEAD.finditer(normalise(text)))
    if len(heads) < 2:
        return [("", 0, len(text))]
    return [(m.group(0).strip("# \n"), m.end(), heads[k + 1].start() if k + 1 < len(heads) else len(text))
            for k, m in enumerate(heads)]


@lru_cache(maxsize=4)
def _synonym_pattern(catalog: Catalog) -> tuple[re.Pattern[str], dict[str, MetricDef]]:
    words: dict[str, MetricDef] = {}
    for metric in catalog.metrics.values():
        for word in (*metric.synonyms, metric.zh):
            if len(word) >= 2:
                words.setdefault(to_simplified(word), metric)
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))), words


@lru_cache(maxsize=4)
def _unit_pattern(catalog: Catalog) -> re.Pattern[str]:
    units = {u for m in catalog.metrics.values() for u in (*m.units, m.unit) if u} | set(QUANTITY_UNITS)
    units.discard("万元")
    return re.compile("|".join(sorted(map(re.escape, units), key=len, reverse=True)))


def _segments(text: str, splitter: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    out, begin = [], start
    for m in splitter.finditer(text, start, end):
        if m.start() > begin:
            out.append((begin, m.start()))
        begin = m.end()
    if end > begin:
        out.append((begin, end))
    return out


def _accepts(metric: MetricDef, unit: str) -> bool:
    if metric.kind == "quantity":
        return unit in QUANTITY_UNITS
    if metric.is_money:
        return unit == "元"
    return metric.accepts_unit(unit)


def extract(text: str, *, catalog: Catalog | None = None, gazetteer: Gazetteer | None = None,
            file: str = "") -> list[Report]:
    """Every report in ``text`` with its agency, year, theme and metric mentions."""
    catalog = catalog or default_catalog()
    norm = normalise(text)
    reports = []
    for title, start, end in split_reports(text):
        report = Report(title, start, end)
        body = norm[start:end]
        report.agency = _agency(body)
        years = Counter(int(y) for y in _YEAR.findall(body))
        report.year = years.most_common(1)[0][0] if years else None
        theme = _THEME.search(body)
        named = (theme.group(1) or theme.group(2)) if theme else None
        report.theme = None if named is None or re.fullmatch(r"[0-9.·]*3\W?15[\W\w]{0,4}", named) else named
        place = _place(report.agency, body, gazetteer)
        for sentence in _segments(norm, _SENTENCE_END, start, end):
            report.mentions.extend(_sentence_mentions(text, norm, sentence, catalog))
        for mention in report.mentions:
            record = mention.record
            record.agency, record.year, record.theme = report.agency, report.year, report.theme
            record.sector = infer_sector(report.agency)
            record.province, record.city, record.district, record.adcode = place
            record.source = f"{file}:{mention.start}-{mention.end}" if file else f"{mention.start}-{mention.end}"
        reports.append(report)
    return reports


def _agency(body: str) -> str | None:
    for match in _AGENCY.finditer(body[:600]):
        name = _AGENCY_LEAD.sub("", match.group(0))
        if ("__" not in name and len(name) >= 4 and not name.startswith(("我", "本", "该", "各", "全", "中消协", "中国消费者协会"))
                and not name.startswith(("市", "省", "县", "区"))):
            return name
    return None


def _place(agency: str | None, body: str, gazetteer: Gazetteer | None) -> tuple:
    gazetteer = gazetteer or default_gazetteer()
    for text in (agency, body[:300]):
        if not text:
            continue
        match = gazetteer.find_in_text(text)
        if match.ok and match.region is not None:
            region = match.region
            return region.province, region.city or None, region.district or None, region.adcode
    return None, None, None, None


def _sentence_mentions(text: str, norm: str, sentence: tuple[int, int], catalog: Catalog) -> list[Mention]:
    synonyms, words = _synonym_pattern(catalog)
    units = _unit_pattern(catalog)
    out: list[Mention] = []
    inherited: MetricDef | None = None
    for c_start, c_end in _segments(norm, _CLAUSE_END, *sentence):
        clause = norm[c_start:c_end]
        if "其中" in clause:  # a sub-item of a total stated just before: never counted twice
            inherited = None
            continue
        carried, inherited = inherited, None
        names = [(m.start(), m.end(), words[m.group(0)]) for m in synonyms.finditer(clause)]
        for number in _NUMBER.finditer(clause):
            unit = units.match(clause, number.end())
            if unit is None or not _plausible(clause, number, unit.end()):
                continue
            metric = _metric_for(names, number.start(), unit.end(), unit.group(0))
            if metric is None and carried is not None and not names and len(clause) <= 14 \
                    and _accepts(carried, unit.group(0)):
                metric = carried  # 检测血压计46台,电子秤15台: a list continues the clause before
            if metric is None:
                continue
            written = number.group(0) + unit.group(0)
            parsed = parse_number(written)
            if parsed.kind != "number" or parsed.value is None or parsed.value <= 0:
                continue
            a, b = c_start + number.start(), c_start + unit.end()
            record = Record(metric=metric.id, value=parsed.value, unit=parsed.unit or unit.group(0),
                            approx=parsed.approx, raw=text[a:b])
            if metric.kind != "quantity":
                record.unit = metric.unit
            out.append(Mention(record, text[c_start:c_end].strip(), a, b))
            inherited = metric
    return out


def _plausible(clause: str, number: re.Match[str], unit_end: int) -> bool:
    """Not an ordinal, a session, a redacted or partly redacted figure, a hotline, or a count of other things."""
    before = clause[max(0, number.start() - 1):number.start()]
    after = clause[unit_end:unit_end + 3]
    if before in ("第", "_", "x", "X", "届", "年", "/", ".", "-") or after.startswith(("_", "届")):
        return False
    if number.group("pre") is None and before.isdigit():
        return False
    if clause[unit_end:unit_end + 1] in ("种", "类", "届", "期间"):
        return False
    return not any(clause.startswith(word, unit_end) for word in _NOT_THE_OBJECT)


def _metric_for(names: list[tuple[int, int, MetricDef]], start: int, end: int, unit: str) -> MetricDef | None:
    """The metric named nearest before the number (or right after it: 发放3000余份宣传材料) that takes its unit."""
    before = [(start - e, m) for s, e, m in names if e <= start and _accepts(m, unit)]
    if before:
        return min(before, key=lambda pair: pair[0])[1]
    after = [(s - end, m) for s, e, m in names if s >= end and s - end <= 6 and _accepts(m, unit)]
    return min(after, key=lambda pair: pair[0])[1] if after else None


SUMMARY_EXTENSIONS = (".txt", ".md", ".docx")


def extract_file(data: bytes, name: str, *, catalog: Catalog | None = None) -> dict:
    """One summary file as ``ingest --json`` shows a return; records also carry evidence and offsets."""
    if not name.lower().endswith(SUMMARY_EXTENSIONS):
        return {"file": name, "ok": False, "records": [], "issues": [], "reports": [],
                "error": f"不支持的文件类型:只能读取 {' '.join(SUMMARY_EXTENSIONS)} 格式的活动总结"}
    try:
        text = read_text(data, name)
    except Exception as exc:  # a broken .docx: say so, never a traceback
        return {"file": name, "ok": False, "records": [], "issues": [], "reports": [],
                "error": f"无法读取文件({type(exc).__name__}):请确认是完好的 Word 或文本文件"}
    reports = extract(text, catalog=catalog, file=name)
    records = [m.to_dict() for r in reports for m in r.mentions]
    return {"file": name, "ok": True, "error": None, "records": records, "issues": [],
            "reports": [{"title": r.title, "agency": r.agency, "year": r.year, "theme": r.theme,
                         "start": r.start, "end": r.end, "records": len(r.mentions)} for r in reports]}

