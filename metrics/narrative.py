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
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from metrics.catalog import Catalog, MetricDef, default_catalog
from metrics.dimensions import infer_sector
from metrics.numbers import parse_number
from metrics.record import Record, Stats
from metrics.regions import Gazetteer, Region, default_gazetteer
from metrics.sniff import FileRefused, check_inflation, check_size, decode_text
from metrics.text import to_simplified

# Units a destroyed quantity may be counted in (the catalog keeps that metric's unit as written).
QUANTITY_UNITS = ("千克", "公斤", "吨", "条", "床", "箱", "瓶", "盒", "袋", "件", "个", "台", "副", "套", "批", "桶",
                  "斤", "部", "双", "只", "张", "本", "支", "包", "克", "升", "卷", "米")
# A measure word followed by one of these counts things that are not the metric: 12个单位, 3家企业.
_NOT_THE_OBJECT = ("单位", "企业", "支公司", "分公司", "公司", "分行", "支行", "门店", "营业厅", "营业所", "景区", "酒店", "家庭", "学校", "中学", "小学", "志愿者", "媒体", "商场", "超市", "网点", "社区",
                   "部门", "科室", "品种", "规格", "工地", "茶楼", "行业", "协会", "委员", "代表", "乡镇", "街道",
                   "县", "区", "市", "省", "所", "组", "名", "位", "栏目", "专栏", "版面", "展板", "横幅", "标语",
                   "阶段", "方面", "步骤", "环节", "重点", "主题", "疑难", "典型", "月", "多月", "小时", "工作日", "天",
                   "多天", "年", "多年", "周", "星期", "批次")
_CN_NUM = "零〇一二三四五六七八九十百千万亿两"
_NUMBER = re.compile(
    rf"(?P<pre>将近|接近|超过|不少于|大约|共计|累计|合计|合共|近|约|逾|共|达)?"
    rf"(?P<num>\d+(?:[.,]\d+)*|[{_CN_NUM}]+)"
    rf"(?P<tail>(?:余|多)?(?:万|亿)?(?:余|多)?)"
)
_CLAUSE_END = re.compile("[;\uff1b:\uff1a\u3001(\uff08)\uff09]|(?<![0-9]),|,(?![0-9]{3}(?![0-9]))")  # 1,200 is one number; 、 lists
_SENTENCE_END = re.compile(r"[。!!??\n]|(?<![0-9])\.")  # some summaries end sentences with "." (never after a digit)
_REPORT_HEAD = re.compile(r"(?m)^(?:#+\s*)?.{0,40}?[((]?篇\s*([0-9一二三四五六七八九十]+)[))]?[^\n]{0,40}$")
_AGENCY = re.compile(
    r"(?:分行|支行|银行|消费者权益保护委员会|消费者保护委员会|保护消费者权益委员会|消费者委员会|消保委|消委会|消费者协会|消协|"
    r"市场监督管理局|市场监管局|工商行政管理局|工商局|质量技术监督局|质监局|检验检疫局|烟草专卖局|烟草公司|司法所|"
    r"分公司|支公司|保险公司|人民政府|管理所|市场监管所|监管局|管理局|司法局|海关|街道办事处|分局|"
    r"公安局|教育局|商务局|供电公司|电力公司|通信公司|行业协会|基金会|"
    r"局|公司|委员会|协会|学校|中学|小学|学院)"  # these last only after a place: 平江县教育局, 国网芜湖供电公司
)
_AGENCY_NEEDS_PLACE = ("局", "公司", "委员会", "协会", "学校", "中学", "小学", "学院", "行业协会")
# How a report speaks of itself, and the endings its own name may then have (我公司: not 保险行业协会).
_SELF_TYPES = (("我公司", ("公司",)), ("我司", ("公司",)), ("我行", ("行",)), ("我局", ("局",)),
               ("本会", ("会", "委")), ("我会", ("会", "委")))
_AGENCY_LEAD = re.compile(r"^.*(?:为了|为|由|据|根据|按照|关于|围绕|转发|在|以|和|与|及|、|的|是|了|联合|会同|组织|号召|同时|我|年|月|日|"
                          r"利用|通过|依托|深入|走进|进入|到|向|对|给|经|将|把|被|请|邀请|协助|配合|从|自|获悉|记者|下称|简称|"
                          r"转介|移交|移送|转交|交由)")
_MINGUO_YEAR = re.compile(r"(?<![0-9_])(1[01][0-9])\s*年")
_YEAR = re.compile(r"(?<![0-9_])(199\d|20\d{2})\s*年")  # 成立于1985年 is history, not a report's year
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
    region: str | None = None  # the place as a path ('浙江省 宁波市 鄞州区'), from the agency or the opening lines
    mentions: list[Mention] = field(default_factory=list)


def normalise(text: str) -> str:
    """Simplified script and ASCII digits, character for character, so offsets stay valid."""
    out = to_simplified(text) if len(text) < 512 else to_simplified.__wrapped__(text)  # no whole texts in the cache
    if len(out) != len(text):  # a phrase conversion changed the length: convert one character at a time
        out = "".join(to_simplified(ch) if len(to_simplified(ch)) == 1 else ch for ch in text)
    return out.translate(_FULL_WIDTH)


_FULL_WIDTH = {code: chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)} | {0xFF0C: ",", 0xFF0E: "."}


MAX_TEXT = 300_000          # characters: the seed's fifteen reports are 19,000
MAX_DOCUMENT_XML = 10 << 20  # bytes of word/document.xml; a 100-page briefing is 1–3 MB


def read_text(data: bytes, name: str) -> str:
    """A summary's text from .txt/.md bytes (a BOM decides, else UTF-8, else GB18030) or .docx bytes.

    Raises ``FileRefused`` (message in Chinese) for what is not a summary: too large, a zip bomb, binary
    bytes, text in no Chinese encoding, more than ``MAX_TEXT`` characters.
    """
    check_size(len(data))
    if name.lower().endswith(".docx"):
        text = _docx_text(data)
    else:
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRefused("bad-encoding", "这不是文本文件(含二进制内容),请上传 txt、md 或 docx 格式的活动总结")
        text = decode_text(data, name=name)
    if len(text) > MAX_TEXT:
        raise FileRefused("file-too-large", f"总结过长(约 {len(text) // 10000} 万字,上限 {MAX_TEXT // 10000} 万字),"
                                            "请按单位拆分成几个文件后上传")
    return text


def _docx_text(data: bytes) -> str:
    """Paragraphs and tables in document order. A label-and-value row reads as one line
    (发放宣传资料;3000份); a row of several values (years, units side by side) is kept between tabs, which
    the extractor reads only when the row holds a single number."""
    import zipfile

    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise FileRefused("corrupt-file", "无法读取这个 Word 文件(文件已损坏或不是 docx),请在 Word 中另存为 docx 后重试") from exc
    check_inflation(infos)
    body = next((i for i in infos if i.filename == "word/document.xml"), None)
    if body is None or body.file_size > MAX_DOCUMENT_XML:
        raise FileRefused("corrupt-file" if body is None else "file-too-large",
                          "这不是 Word 文档(缺少正文)" if body is None else "Word 文档正文过大,请按单位拆分后上传")
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            lines.append(Paragraph(block, document).text)
        elif block.tag.endswith("}tbl"):
            for row in Table(block, document).rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell comes back once per grid column it spans
                        continue
                    seen.add(id(cell._tc))
                    text = " ".join(cell.text.split())
                    if text:
                        cells.append(text)
                lines.append(";".join(cells) if len(cells) <= 2 else "\t".join(cells))
    return "\n".join(lines)


def split_reports(text: str) -> list[tuple[str, int, int]]:
    """(title, start, end) of every report: 篇1…篇N headings split a document; otherwise one report."""
    heads = list(_REPORT_HEAD.finditer(normalise(text)))
    if len(heads) < 2:
        return [("", 0, len(text))]
    return [(m.group(0).strip("# \n"), m.end(), heads[k + 1].start() if k + 1 < len(heads) else len(text))
            for k, m in enumerate(heads)]


@lru_cache(maxsize=4)
def _synonym_pattern(catalog: Catalog) -> tuple[re.Pattern[str], dict[str, tuple[MetricDef, ...]]]:
    """One pattern for every synonym, longest first; a word may name several metrics (销毁: value and quantity)."""
    words: dict[str, tuple[MetricDef, ...]] = {}
    for metric in catalog.metrics.values():
        for word in (*metric.synonyms, metric.zh):
            word = to_simplified(word)
            if len(word) >= 2 and metric not in words.get(word, ()):
                words[word] = (*words.get(word, ()), metric)
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
        headed = f"{normalise(title)}\n{body}" if title else body  # 篇2 丽水市消费者协会: the heading names it
        agency = _agency(headed, gazetteer)
        if agency is not None and (at := headed.find(agency)) >= 0:  # as written: 消費者委員會 stays traditional
            agency = (f"{title}\n{text[start:end]}" if title else text[start:end])[at:at + len(agency)]
        report.agency = agency
        report.year = _report_year(headed)
        theme = _THEME.search(body)
        named = (theme.group(1) or theme.group(2)) if theme else None
        report.theme = None if named is None or re.fullmatch(r"[0-9.·]*3\W?15[\W\w]{0,4}", named) else named
        region = _place(report.agency, headed, gazetteer)
        report.region = region.path if region is not None else None
        place = (region.province, region.city or None, region.district or None, region.adcode) if region else (None,) * 4
        heading: list[MetricDef] = []
        for sentence in _segments(norm, _SENTENCE_END, start, end):
            stated = {m.record.metric for m in report.mentions}
            found, named = _sentence_mentions(text, norm, sentence, catalog, report.year, heading, stated)
            quoted = _another_body_quoted(norm[sentence[0]:sentence[1]], report.agency)
            if quoted is not None:  # 另据市市场监管局通报,全市立案查处…: another body's figures from there on
                found = [m for m in found if m.start < sentence[0] + quoted]
            report.mentions.extend(found)
            if not _BULLET.match(norm, *sentence):  # 六、免费检测 heads the lines "- 血压计 38 台" below it
                heading = named if named and not found else []
        for mention in report.mentions:
            record = mention.record
            record.agency, record.year, record.theme = report.agency, report.year, report.theme
            record.sector = infer_sector(report.agency)
            record.province, record.city, record.district, record.adcode = place
            record.source = f"{file}:{mention.start}-{mention.end}" if file else f"{mention.start}-{mention.end}"
        reports.append(report)
    return reports


def _another_body_quoted(sentence: str, agency: str | None) -> int | None:
    """Where a clause opening with 据<a body>通报/统计/公布 starts quoting that body's figures; None when there is
    none or the body is of the report's own sector (据区市场监管局统计 in a bureau's report). 据统计 names no body."""
    for quoted in _QUOTED.finditer(sentence):
        body = quoted.group(1)
        if re.search(f"(?:{_AGENCY.pattern})$", body) and not body.startswith(("我", "本")) \
                and (agency is None or infer_sector(body) != infer_sector(agency)):
            return quoted.start()
    return None


_QUOTED = re.compile(r"(?:^|(?<=[,;]))\s*(?:另|此外|同时)?据([\u4e00-\u9fff]{2,20}?)(?:通报|统计|公布|介绍|提供|发布|反馈|数据|消息)")


def _report_year(headed: str) -> int | None:
    """The year in the title line (2025年…活动总结) or else the one the text names most; comparisons with
    other years (较2024年同期) do not outvote the title."""
    first_line = headed.lstrip().split("\n", 1)[0]
    titled = _YEAR.findall(first_line[:80])
    if titled:
        return int(titled[0])
    years = Counter(int(y) for y in _YEAR.findall(headed))
    if not years and re.search("民国|台湾|台北|高雄|台中|台南", headed):  # 113年 in the Minguo calendar is 2024
        years = Counter(int(y) + 1911 for y in _MINGUO_YEAR.findall(headed))
    return years.most_common(1)[0][0] if years else None


def _agency(body: str, gazetteer: Gazetteer | None = None) -> str | None:
    """The reporting body as the text names it: the first full name (place or brand + type), joint names kept
    together (九江市工商行政管理局、九江市消费者权益保护委员会); redacted or generic names (__市, 我局, 各级消保委)
    are no name. When the text speaks of itself as 我市/我县, a name at that level wins."""
    gazetteer = gazetteer or default_gazetteer()
    names: list[tuple[int, int, str, int]] = []  # start, end, name, rank
    said = Counter()
    for word, lvl in _SELF_LEVEL:
        said[lvl] += body.count(word) * (3 if word.startswith("我") else 1)
    level = said.most_common(1)[0][0] if sum(said.values()) else None
    own_types = next((types for word, types in _SELF_TYPES if body.count(word) >= 2), ())
    for match in _AGENCY.finditer(body):
        lead = re.search(r"[\u4e00-\u9fff]{0,24}$", body[max(0, match.start() - 24):match.start()]).group(0)
        prefix = _AGENCY_LEAD.sub("", lead)
        place = gazetteer.find_in_text(prefix)
        if match.group(0) in _AGENCY_NEEDS_PLACE and not place.ok:
            anchored = gazetteer.find_in_text(lead)  # 桂林市文化广电和旅游局: 和 belongs to the name
            if anchored.ok and anchored.matched and anchored.matched in lead:
                prefix, place = lead[lead.rfind(anchored.matched):], anchored
        if re.search(r"(?:转介|移交|移送|转交|交由|报请)[^\n]{0,4}$", body[max(0, match.start() - len(prefix) - 6):
                                                                      match.start() - len(prefix)]) \
                or (body.startswith(_ISSUER_AFTER, match.end()) and "\n" in body[:match.start()].lstrip()):
            continue  # 个案已转介香港海关; 荆州市邮政管理局关于…的通知: another body, not the one reporting
        if (len(prefix) < 2 or body[match.start() - len(prefix) - 1:match.start() - len(prefix)] == "_"
                or prefix.startswith(_GENERIC_LEAD) or prefix in _GENERIC_PREFIX or any(w in prefix for w in _GENERIC_INSIDE)
                or body[match.end():match.end() + 1] in ("业", "卡", "系", "界", "网")  # 银行业, 人民政府网
                or re.search(r"(?:来源|稿源|转载|编辑|作者)[::]?[^\n]*$", body[max(0, match.start() - 30):match.start()])):
            continue
        opened = body.rfind("《", 0, match.start())
        if opened > body.rfind("》", 0, match.start()):  # inside a document's title: its own plan, not a rule
            title = body[opened:body.find("》", match.end()) if "》" in body[match.end():] else len(body)]
            if not re.search("方案|计划|安排|总结", title) or re.search("办法|条例|规定|通知|意见|法$", title):
                continue
        start = match.start() - len(prefix)
        if names and start <= names[-1][0] < match.end():  # 华夏银行 then 华夏银行吉安分行: the longer name
            names.pop()
        if names and names[-1][1] + 1 == start and body[start - 1] in "\u3001 \u3000":  # 甲局、乙局 / 甲局 乙局
            names[-1] = (names[-1][0], match.end(), names[-1][2] + "\u3001" + prefix + match.group(0), names[-1][3])
            continue
        region = place.region if place.ok else None
        if region is None and match.group(0) in _AGENCY_NEEDS_PLACE:
            continue
        rank = 0 if region is not None and (level is None or region.level == level) else 1 if region else 2
        if match.group(0) in _AGENCY_NEEDS_PLACE:
            rank += 2  # a school or an association named in a council's report took part; it did not report
        if "\n" not in body[:start].lstrip():  # named in the title line: the report's own body
            rank = -1
        if own_types and not (prefix + match.group(0)).endswith(own_types):
            continue
        names.append((start, match.end(), prefix + match.group(0), rank))
    for town in re.finditer(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,4}[镇乡])(?=[0-9“\"]|人民政府|党委)", body):
        if "我" + town.group(1)[-1] in body:  # 我镇 … 新马集镇3.15活动领导组
            names.append((town.start(1), town.end(1), town.group(1), 1))
    if not names:
        return None
    chosen = min(names, key=lambda n: (n[3], n[0]))[2]
    # 湖州市消保委 in the title, 湖州市消费者权益保护委员会 in the text: the full name of the same body
    fuller = [n[2] for n in names if len(n[2]) > len(chosen) and "\u3001" not in n[2]
              and (n[2][:2] == chosen[:2] or (n[2][-6:] == chosen[-6:] and chosen not in n[2]))
              and infer_sector(n[2]) == infer_sector(chosen)]
    chosen = max(fuller, key=len) if fuller and "\u3001" not in chosen else chosen
    return chosen if well_formed_agency(chosen, gazetteer) else None  # blank, never a wrong name


def well_formed_agency(name: str, gazetteer: Gazetteer | None = None) -> bool:
    """Whether every body of a (joint, 、-separated) name is a well-formed agency name: a place (from the
    gazetteer, anywhere before the type: 中国农业银行绍兴越城支行), a known prefix (中国, 国网, 财团法人…) or a
    short place name of two to four characters (中山海关, 汤溪市场监管所), then optional qualifiers, then a known
    agency-type ending (局, 消委会, 分行…, or 镇/乡 for a town) — and no verb or function word anywhere before the
    ending (下称, 报告, 情况, 关于, 开展…), no digit, no level word standing alone as the place (区市场监管局)."""
    gazetteer = gazetteer or default_gazetteer()
    for part in name.split("\u3001"):
        ending = _AGENCY_END.search(part)
        if ending is None:
            return False
        prefix = part[:ending.start()]
        if len(prefix) < 2 or _NOT_IN_NAME.search(prefix) or not re.fullmatch(r"[\u4e00-\u9fff()()·]+", prefix) \
                or prefix.startswith(_GENERIC_LEAD) or prefix in _GENERIC_PREFIX:
            return False
        place = gazetteer.find_in_text(part)
        if not (place.ok or prefix.startswith(_KNOWN_PREFIXES) or len(prefix) <= 4):
            return False
    return True


_AGENCY_END = re.compile(f"(?:{_AGENCY.pattern}|[镇乡])$")
# Words that never stand inside an agency's name: a reference (下称, 简称), a title (情况报告, 关于…), an act.
_NOT_IN_NAME = re.compile("下称|简称|以下|称|报告|情况|关于|开展|活动|总结|通知|举办|召开|印发|发布|期间|今年|我们|"
                          "本次|此次|通过|参加|参与|进行|为了|根据|按照")  # not 工作/联合: 老龄工作委员会 is a name
_KNOWN_PREFIXES = ("中国", "中华", "国网", "国家电网", "财团法人", "社团法人", "香港", "澳门", "台湾", "全国")
_ISSUER_AFTER = ("关于", "统一部署", "的部署", "的要求", "要求", "印发")
_SELF_LEVEL = (("我省", "province"), ("全省", "province"), ("我市", "city"), ("全市", "city"), ("我县", "district"),
               ("我区", "district"), ("全县", "district"), ("全区", "district"))
_GENERIC_LEAD = ("我", "本", "该", "各", "全", "使", "相关", "有关", "中消协", "中国消费者协会", "社区", "市", "省", "县", "区", "今年",
                 "上级", "下级", "一是", "二是", "三是")
_GENERIC_INSIDE = ("该", "本", "我", "各", "社区", "辖内", "网点", "下属", "宣传", "网上")
_GENERIC_PREFIX = ("各级", "各地", "本级", "辖内", "辖区", "当地", "基层", "人行", "人民", "中国")


def _place(agency: str | None, body: str, gazetteer: Gazetteer | None) -> Region | None:
    """The agency's place; else one the opening lines name in full (中牟县, not 镇安 in 镇安全生产办公室)."""
    gazetteer = gazetteer or default_gazetteer()
    if agency:
        match = gazetteer.find_in_text(agency)
        if match.ok and match.region is not None:
            return match.region
    match = gazetteer.find_in_text(body[:300])
    if match.ok and match.region is not None and (match.matched or "").endswith(_PLACE_SUFFIXES):
        return match.region
    return None


_PLACE_SUFFIXES = ("省", "市", "县", "区", "州", "旗", "盟", "自治区")


def _sentence_mentions(text: str, norm: str, sentence: tuple[int, int], catalog: Catalog,
                       year: int | None = None, heading: list[MetricDef] | None = None,
                       stated: set[str] | frozenset[str] = frozenset()) -> tuple[list[Mention], list[MetricDef]]:
    """The mentions of one sentence, and the metrics it names (a heading passes them to its list items);
    ``stated``: the metrics the report gave before it (what a sentence opening with 其中, breaks down)."""
    synonyms, words = _synonym_pattern(catalog)
    units = _unit_pattern(catalog)
    whole = norm[sentence[0]:sentence[1]]
    out: list[Mention] = []
    named_here: list[MetricDef] = []
    # What the clause before named or counted: 检测血压计46台、眼镜32副; a heading's metrics for its list item.
    carried: list[MetricDef] = list(heading or ()) if _BULLET.match(whole) else []
    parts_of: set[str] = set()  # after 其中: the metrics whose sub-items follow (其中投诉3915件、举报947件)
    for c_start, c_end in _clauses(norm, *sentence):
        clause = norm[c_start:c_end]
        part = _PART.search(clause)
        names = [(m.start(), m.end(), named) for m in synonyms.finditer(clause)
                 if not clause.startswith(_NAMES_SOMETHING_ELSE, m.end())
                 and (named := _named_by(clause, m, words))]
        if part is not None and not part.group(0).startswith(("含", "包括")):  # 其中: its siblings follow
            parts_of |= {m.record.metric for m in out[-1:]} | {m.id for _, _, named in names for m in named}
            if not out and not clause[part.end():].strip():  # 其中,/上述活动中, opening a sentence: the totals before
                parts_of |= set(stated)
        heir = carried
        if names:
            carried = [metric for word in names_words(clause, synonyms, words) for metric in word]
            named_here += carried
        else:  # an item of a counted list passes the list's metric on (换镜片11个,电子秤15台); other text ends it
            counted = re.search(r"\d", clause) or (units.search(clause) and _HAS_NUMBER.search(clause))
            carried = list(heir) if counted else []
        for number in _NUMBER.finditer(clause):
            if part is not None and number.start() > part.start():
                continue
            unit = units.match(clause, _after_space(clause, number.end()))
            if unit is None or not _plausible(clause, number, unit.end(), names, words):
                continue
            metric = _metric_for(clause, names, number.start(), unit.end(), unit.group(0))
            if unit.group(0) in ("人", "人次", "名") and _SENT.search(clause, 0, number.start()) \
                    and not (metric is not None and metric.id == "volunteers"
                             and any(e == number.start() for _, e, _ in names)):
                metric = catalog.metrics.get("staff") or metric  # 选派业务骨干38人次: sent out, whatever follows;
                # 选派学生志愿者120名: the people sent are named volunteers
            if metric is None and not names and len(clause) <= 14 and not _VERB.search(clause, 0, number.start()):
                metric = next((m for m in reversed(heir) if _accepts(m, unit.group(0))), None)
            if metric is None and not parts_of:  # after 其中 only a metric named anew counts (不是 1,600余名学生参加)
                metric = _by_unit(catalog, clause, unit.group(0)) or _people(
                    catalog, clause, unit.group(0), unit.end() + len(_qualifier(clause, unit.end())),
                    at_events=any(m.record.metric == "events" for m in out))
            if metric is not None and metric.id != "inspections" and _SITE_BEFORE.search(clause, 0, number.start()):
                continue  # 设立宣传咨询服务点91个 are sites; 检查网点37个 are inspections
            if "据此" in norm[sentence[0]:c_start + number.start()]:
                continue  # 市市场监管局据此立案查处…: another body acting on the hotline's data
            if c_start > sentence[0] and norm[c_start - 1] in "(\uff08" \
                    and _COMPARED.search(norm, max(sentence[0], c_start - 14), c_start):
                continue  # 较去年同期(120件): last year's figure in brackets
            if _DELTA_BEFORE.search(clause, 0, number.start()) \
                    and _COMPARED_WITH.search(norm, sentence[0], c_start + number.start()):
                continue  # 比去年同期(120件)多23件: the difference, not a count
            if unit.group(0) == "元" and _VALUE_BEFORE.search(clause, 0, number.start()):
                metric = _goods_valued(catalog, norm[sentence[0]:c_start + number.start()]) or metric
            if metric is None or metric.id in parts_of or not _own_work(metric, clause, whole, number) \
                    or _other_year(norm[sentence[0]:c_start + number.start()], year) \
                    or _glued(norm, c_start + number.start(), sentence[0]):
                continue
            first = number.start() if number.group("pre") not in _TOTAL_WORDS else number.start("num")
            last = unit.end() + len(_qualifier(clause, unit.end()))
            parsed = parse_number(clause[first:last])  # 共计2356.3条 → 2356.3条; 近7万元 stays
            if parsed.kind != "number" or parsed.value is None or parsed.value < 0 \
                    or (parsed.value == 0 and not number.group("num").isdigit()) \
                    or (metric.kind == "count" and not float(parsed.value).is_integer()):
                continue  # 立案查处:0 件 is a real zero; 12.5件 is no count
            a, b = c_start + first, c_start + last
            record = Record(metric=metric.id, value=parsed.value, unit=parsed.unit or unit.group(0),
                            approx=parsed.approx, raw=text[a:b])
            if metric.kind != "quantity":
                record.unit = metric.unit
            out.append(Mention(record, text[c_start:c_end].strip(), a, b))
            carried.append(metric)
    if "\t" in whole and len(out) > 1:
        return [], named_here  # a table row of several values (years or units side by side): which one is meant?
    return out, named_here


def _named_by(clause: str, word: re.Match[str], words: dict) -> tuple[MetricDef, ...]:
    """The metrics a synonym names, with those of its shorter forms (销毁假冒伪劣: the value too); 罚没 followed
    by goods (罚没物品, 罚没的假冒商品) names the goods, not the money."""
    text = word.group(0)
    named = tuple(dict.fromkeys(m for k in range(len(text), 1, -1) if text[:k] in words for m in words[text[:k]]))
    if _GOODS_AFTER.match(clause, word.end()):
        named = tuple(m for m in named if m.id != "fines")
    return named


def _goods_valued(catalog: Catalog, before: str) -> MetricDef | None:
    """货值/标值/价值 X元: the value of the goods the sentence speaks of, destroyed (销毁) or in cases (涉案)."""
    found = [m.group(0) for m in _GOODS_ACT.finditer(before)]
    if not found:
        return None
    return catalog.metrics.get("destroyed_value" if found[-1] == "销毁" else "case_value")


def _after_space(clause: str, at: int) -> int:
    """接待咨询 560 人次: one space between a number and its unit is still its unit."""
    return at + 1 if clause[at:at + 1] in (" ", "\u3000") else at


def names_words(clause: str, synonyms: re.Pattern[str], words: dict) -> list[tuple[MetricDef, ...]]:
    """The metrics a clause names, with those of each word's shorter forms (销毁物品 → 销毁: value too)."""
    out = []
    for m in synonyms.finditer(clause):
        word = m.group(0)
        out.extend(words[word[:k]] for k in range(len(word), 1, -1) if word[:k] in words)
    return out


def _clauses(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of a sentence; a 、 joins bare nouns (电话、信函等业务398起) and splits counted items."""
    out: list[tuple[int, int]] = []
    for a, b in _segments(norm, _CLAUSE_END, start, end):
        if out and norm[a - 1] == "\u3001" and not _HAS_NUMBER.search(norm, out[-1][0], out[-1][1]):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _plausible(clause: str, number: re.Match[str], unit_end: int, names: list, words: dict) -> bool:
    """Not an ordinal, a session, a redacted or partly redacted figure, a hotline, or a count of other things."""
    before = clause[max(0, number.start() - 1):number.start()]
    if number.group("num") in ("一", "每") or before in ("第", "_", "x", "X", "届", "年", "/", ".", "-", "每") \
            or clause.startswith("届", unit_end):  # 一个、一场讲座: an article, not a count
        return False
    if number.group("pre") is None and before.isdigit():
        return False
    if clause[unit_end:unit_end + 1] in ("种", "类", "届") or clause.startswith("期间", unit_end):
        return False
    if before == "等" and clause.startswith("项", unit_end - 1):
        return False  # 甲醛等12项: the kinds of a list
    if _PLANNED.search(clause, 0, number.start()):
        return False  # 将举办三项活动: not yet done
    if clause.startswith("元", unit_end - 1) and _FOREIGN.search(clause, 0, number.start()):
        return False  # 新臺幣1,236萬元: not renminbi
    if _COMPARED.search(clause, 0, number.start()) or clause.startswith(_NOT_DONE, unit_end):
        return False  # 同比增加50件, 去年同期98件, 人均500元, 每场200人次; 2件正在处理中
    if (number.group("pre") not in _TOTAL_WORDS and clause[unit_end - 1:unit_end] in _KIND_COUNTERS
            and _KINDS_BEFORE.search(clause, 0, number.start())) or _VIEWS_BEFORE.search(clause, 0, number.start()):
        return False  # 品牌40余个 counts kinds (规格2356.3条 does not); 阅读量1.1万次 counts readers of a post
    unit_end += len(_qualifier(clause, unit_end))  # 1200名以上学生: what follows the qualifier
    if any(s == unit_end for s, _, _ in names) or clause.startswith(_PEOPLE, unit_end):
        return True  # 50名志愿者, 2000余名市民: the metric's own word or people follow
    thing = next((word for word in _NOT_THE_OBJECT if clause.startswith(word, unit_end)), None)
    if thing is None and clause[unit_end - 1:unit_end] in ("个", "家") and _BODY_AFTER.match(clause, unit_end) \
            and not any(e <= number.start() and any(m.id == "inspections" for m in named) for _, e, named in names):
        return False  # 所属6个隶属海关, 3家县级分局: a count of bodies (检查6家银行网点: the bodies inspected)
    return thing is None or _verb_object(clause, number.start(), thing, names, words)


def _qualifier(clause: str, unit_end: int) -> str:
    """以上 / 左右 written after the unit (1200名以上, 3万份左右): part of the number."""
    found = _AFTER_UNIT.match(clause, unit_end)
    return found.group(0) if found else ""


def _verb_object(clause: str, start: int, thing: str, names: list, words: dict) -> bool:
    """检查41家次企业: the word before the number and the thing after it make one catalog phrase (检查企业)."""
    before = [(s, e) for s, e, _ in names if e <= start]
    return bool(before) and clause[before[-1][0]:before[-1][1]] + thing in words


def _metric_for(clause: str, names: list[tuple[int, int, tuple[MetricDef, ...]]], start: int, end: int,
                unit: str) -> MetricDef | None:
    """The metric named nearest before the number (or right after it: 发放3000余份宣传材料) that takes its unit.

    A verb governs the object noun written right after it: 办结(消费者)投诉举报4517件 are complaints resolved."""
    taking = [(s, e, next(m for m in named if _accepts(m, unit))) for s, e, named in names
              if any(_accepts(m, unit) for m in named)]
    before = [(s, e, m) for s, e, m in taking if e <= start]
    if before:
        s, e, metric = before[-1]
        if len(before) > 1:  # 办结(消费者)投诉举报: a verb governs the object noun after it (one step only)
            _, e2, m2 = before[-2]
            if s >= e2 and _ATTRIBUTIVE.fullmatch(clause, e2, s) and _OBJECT_NOUN.fullmatch(clause, s, e) \
                    and m2.id not in _PEOPLE_METRICS:
                metric = m2  # not 投诉举报办结 (the verb is nearest), not 工作人员即场解答 (people are no verb)
        return metric
    # 80余名“3·15”消费维权志愿者: words in quotes do not count towards the distance
    after = [(len(_GAP.sub("", clause[end:s])), m) for s, e, m in taking if s >= end]
    after = [(d, m) for d, m in after if d <= 8]
    return min(after, key=lambda pair: pair[0])[1] if after else None


# What may stand between a verb and its object (办结消费者投诉举报): who the object belongs to, what kind it is.
_ATTRIBUTIVE = re.compile("(?:消费者|消费|群众|市民|客户|用户|居民|各类|各种|相关|有效)*")
_PEOPLE_METRICS = ("staff", "volunteers", "participants")
_OBJECT_NOUN = re.compile("(?:消费者?)?(?:投诉举报|投诉|举报|申诉|案件|纠纷|诉求)")
_GAP = re.compile(r"[“「『\"《][^”」』\"》]{0,16}[”」』\"》]")  # a quoted name between a number and its word


def _people(catalog: Catalog, clause: str, unit: str, unit_end: int, at_events: bool = False) -> MetricDef | None:
    """1200多名学生代表签名, 师生1200余人参加: people reached, when no metric word names them; also the public
    received at the events the sentence has just counted (开展开放日活动12场,接待市民及学生约1,400人次)."""
    metric = catalog.metrics.get("participants")
    if metric is None or not metric.accepts_unit(unit) or _STAFF.search(clause) or _RECEIVER.search(clause):
        return None
    if _SERVED.search(clause, 0, unit_end):
        return metric if at_events and _RECEIVED_PUBLIC.search(clause, 0, unit_end) else None
    tail = clause[unit_end:unit_end + 8]
    if tail.startswith(_PEOPLE) or _TAKE_PART.match(tail):
        return metric
    return metric if _WATCHED.search(clause, 0, unit_end) and unit in ("人次", "人") else None


def _by_unit(catalog: Catalog, clause: str, unit: str) -> MetricDef | None:
    """A unit that says the metric when no word does: 线上直播2场 held, 编印《指南》近两万份 handed out,
    选派业务骨干38人次 sent out."""
    if unit in ("人", "人次", "名") and _SENT.search(clause):
        return catalog.metrics.get("staff")
    if unit in ("场", "场次", "期") and _HELD.search(clause):
        return catalog.metrics.get("events")
    if unit in ("份", "册") and _HANDED_OUT.search(clause):
        return catalog.metrics.get("materials")
    return None


def _glued(norm: str, at: int, sentence_start: int) -> bool:
    """1,20份 / 1e20份 / 3~5件 / 3至5场: the number is the tail of something else, not a count."""
    before = norm[max(sentence_start, at - 2):at]
    return bool(before) and (before[-1].isdigit() or before[-1] in "eE~～至到-—−" or before[-1].isascii()
                             and before[-1].isalpha() or (before[-1] == "," and before[:1].isdigit()))


def _other_year(before: str, year: int | None) -> bool:
    """回顾2023年,全市共受理投诉1.86万件 in a 2024 report: another period's figure (the sentence so far names
    other years and not the report's own)."""
    if year is None:
        return False
    years = {int(y) for y in _YEAR.findall(_PUBLISHED_YEAR.sub("", before))}
    return bool(years) and year not in years


# 发布2023年度十大典型案例: the year names what was published, not the period of the figures after it
_PUBLISHED_YEAR = re.compile(r"(?<=发布|公布|评选|评出|推出|揭晓|发出)了?(?:19|20)[0-9]{2}\s*年度")


def _own_work(metric: MetricDef, clause: str, sentence: str, number: re.Match[str]) -> bool:
    """Whether the number is the body's own work this campaign, not exposed cases, kinds, or a multi-year total."""
    if unit_is_kind(metric, clause, number):
        return False
    veto = _NOT_OWN.get(metric.id)
    if veto is not None and veto.search(clause):
        return False
    if "累计" in clause and _YEARS_LONG.search(sentence):
        return False  # 连续三年…累计已发放30000多册
    if _MANY_YEARS.search(clause, 0, number.start()):
        return False  # 近三年来全市查获的1427起涉烟案件
    if _BREAKDOWN.search(sentence, 0, sentence.find(clause) + number.start() if clause in sentence else len(sentence)):
        return False  # 从类别看 / 依次是预付式消费(2814件): a breakdown of a total
    # 查办重特大案件4件, 大要案5件: a kind of case, a part of the cases total (stated or not), never its own record
    severe = _SEVERE_CASES.search(clause, max(0, number.start() - 12), number.start()) \
        or _SEVERE_CASES.search(clause, number.end(), number.end() + 8)
    return not (metric.id == "cases" and severe)  # the word before the number or right after it: 查办5件大要案件


def unit_is_kind(metric: MetricDef, clause: str, number: re.Match[str]) -> bool:
    """七项活动 are programme lines, not events held."""
    unit_end = number.end()
    return any(clause.startswith(unit, unit_end) for unit in _KIND_UNITS.get(metric.id, ()))


# Words that follow a metric's word and make it something else: 警示标语 are slogans, not warnings.
_NAMES_SOMETHING_ELSE = ("标语", "横幅", "条幅", "展板", "牌", "栏", "墙", "语", "车", "室", "站", "仪", "箱", "设备",
                         "期间", "当天", "当日", "现场", "中")  # 活动期间, 检查中发现, 检测中心: a time, a place, a body
_TOTAL_WORDS = ("共计", "累计", "合计", "合共", "共", "达")
_HAS_NUMBER = re.compile(rf"[0-9{_CN_NUM}]")
_VERB = re.compile("[换修送赠退赔设建组举签挂贴播拍印悬派收罚查处聘评结堵截拦测量整责]")  # 换镜片11个 is no test
_SITE_BEFORE = re.compile(r"(?:服务|咨询|宣传|维权|投诉|检测)?(?:点|站|台|(?<![查惩办调])处|摊位|展位|窗口|网点)(?:共|达)?$")
_PLANNED = re.compile("将(?!近)|拟|计划|准备|预计|力争|争取|目标")
_COMPARED = re.compile("同比|环比|较上年|较去年|较同期|比去年|比上年|比同期|较(?:19|20)[0-9]{2}年|去年|上年|上一年|同期|"
                       "人均|平均|户均|场均|每[场人次件户家个天日期位名]|最高|最低|单笔|单次|涉及(?!货值|标值)|"
                       "增加|减少|增长|下降|上升|提高|降低|增幅|降幅")
_FOREIGN = re.compile("新台币|台币|港币|港元|澳门币|澳门元|美元|欧元|日元|英镑")
_NOT_DONE = ("正在", "尚在", "待", "未", "百分点")
_PEOPLE = ("学生", "师生", "群众", "消费者", "市民", "居民", "村民", "老人", "老年人", "职工", "青少年", "儿童", "家长",
           "游客", "农民", "客户", "储户", "投保人", "旅客", "妇女", "听众", "观众")
_WATCHED = re.compile(r"(?:观看|收看|参与|参加|参赛|受教育|受益|惠及|覆盖)[\u4e00-\u9fff]{0,4}?(?:人数|人次)?(?:共|达|超过|逾|近|约)?"
                      r"[0-9.,一二三四五六七八九十百千万两余多]+(?:人次|人)$")
_TAKE_PART = re.compile(".{0,2}(?:参加|参与|签名|观看|出席|到场|聆听|受益|受教育|入场|进场)")
_STAFF = re.compile("工作人员|执法人员|干部|志愿者|职员|员工|领导|嘉宾|负责人")
_SERVED = re.compile("接待|接送|运送|入住|客流")  # 接待1,256.8万人次游客: visitors served, not people reached
_RECEIVED_PUBLIC = re.compile(r"接待(?:市民|群众|居民|学生|师生|村民|老年人|青少年|家长|消费者)[\u4e00-\u9fff]{0,6}?"
                              r"(?:共|达|约|近|逾|超过)?[0-9.,一二三四五六七八九十百千万两余多]+(?:人次|人)$")
_RECEIVER = re.compile("向|给|赔偿|退还|补偿")  # 向12名消费者发放赔偿金: people paid, not reached
_GIFTS = re.compile("购物袋|环保袋|手提袋|纪念品|礼品|雨伞|围裙|扇子|纸巾|水杯|毛巾|口罩|钥匙扣")
_SHOWN = re.compile("展出|展示|展览|图片")  # goods exhibited, not destroyed
_NOT_OWN = {"cases": re.compile("揭露|曝光|批评|点评|通报|移送|据此|理赔案|赔案"),  # exposed, transferred, another body's,
            # an insurer's claims (理赔案件) are its business, not cases handled
            "fines": re.compile("据此"),
            # 各类诉求 are requests of every kind; 受理意见建议 are suggestions, unless complaints are named too
            "complaints_received": re.compile("诉求(?!.*投诉)|^(?!.*(?:投诉|举报|申诉)).*(?:意见|建议)"),
            "destroyed_qty": _SHOWN,
            "destroyed_value": _SHOWN,
            "tests": re.compile("不合格|合格|阳性|超标|比较试验|比较实验"),  # a part of what was tested; a council's
            "volunteers": re.compile("队伍|累计|现有|注册"),  # comparative testing is no free test; a roster
            # information submitted upward and adopted (采用信息2条) is no press; a story a paper ran (采用报道) is
            "media_reports": re.compile("(?:采用|采纳|报送|上报)[^,;]{0,4}信息|信息[^,;]{0,6}(?:采用|采纳|报送|上报)"),
            "participants": re.compile(r"等奖|获奖|奖(?:共|达)?[0-9一二三四五六七八九十两]"),  # prize winners
            "materials": _GIFTS}  # 环保购物袋500个 are promotional goods
_KIND_UNITS = {"events": ("项",)}  # 七项活动: programme lines
_YEARS_LONG = re.compile(r"连续[0-9一二三四五六七八九十两]+年|多年|历年|以来|至今|近年来|近几年")
_MANY_YEARS = re.compile(r"近[0-9一二三四五六七八九十两几]+年|多年来|历年|连续[0-9一二三四五六七八九十两]+年|成立以来|建会以来|至今")
_BREAKDOWN = re.compile(r"从[^,;。]{1,14}看|按[^,;。]{0,10}(?:分|划分|统计)|集中在|主要集中|集中于"
                        r"|依次是|依次为|排名前|居前")  # 从商品和服务类别看,商品类投诉2274件: a share of the total
_PART = re.compile("其中|其余|剩余|尚有|尚未|^含|^包括|^在?(?:上述|以上|前述|这些)[\u4e00-\u9fff]{0,8}中$")
_BULLET = re.compile(r"\s*(?:[-*·•●▪]|\(?[0-9]{1,2}[).、]|（[0-9一二三四五六七八九十]{1,2}）|[①-⑳])\s*")
_KIND_COUNTERS = ("个", "种", "类", "款", "项", "家")  # what kinds are counted in; 条, 千克 count goods
_AFTER_UNIT = re.compile("以上|左右")
_BODY_AFTER = re.compile("[\u4e00-\u9fff]{0,4}?(?:海关|分局|分行|支行|银行|分公司|支公司|局|消委会|消保委|消协|协会|委员会|司法所|"
                         "监管所)")  # the bodies 6个隶属海关 counts; not 场所 or 网点, which are inspected
_KINDS_BEFORE = re.compile("(?:品牌|品种|种类|类别|规格|款式|型号)(?:共|达|约)?$")  # 涉及卷烟品牌40余个
_VIEWS_BEFORE = re.compile("(?:阅读|浏览|点击|播放|转发|点赞|访问)(?:量|数|次数)?(?:超过|达到|达|逾|共|近|约)?$")
_HELD = re.compile("开展|举办|组织|举行|召开")
_SENT = re.compile("出动|选派|派出|抽调|安排.{0,4}(?:人员|干部|骨干|员工)")
_HANDED_OUT = re.compile("编印|印发|印制|发放|派发|散发|分发|赠送|送出")
_DELTA_BEFORE = re.compile("(?:多|少|增加|减少|增长|下降|上升|提高|降低|增|减)了?(?:共|达|近|约)?$")
_COMPARED_WITH = re.compile("[比较](?:去年|上年|上一年|前年|往年|同期|上月|上季度|(?:19|20)[0-9]{2}年)")
_VALUE_BEFORE = re.compile("(?:货值|标值|价值|总价值|总值)(?:金额)?(?:共计|合计|约|达|近|逾|超过|共)?$")
_GOODS_ACT = re.compile("销毁|涉案|案值")
_GOODS_AFTER = re.compile("的?[\u4e00-\u9fff]{0,4}?(?:物品|商品|货物|财物|产品|卷烟|食品|药品)")
_SEVERE_CASES = re.compile("(?:重特大|特别重大|特大|重大|较大|大要|要|典型)(?:违法|涉烟|经济|刑事|侵权)?案")


SUMMARY_EXTENSIONS = (".txt", ".md", ".docx")


LAYOUT = "活动总结(文字)"  # what ``layouts`` says of a summary, here and for a reviewed import


def load_summary(data: bytes, name: str) -> str:
    """A summary file's text; ``FileRefused`` (Chinese) for another file type or one that cannot be read."""
    if not name.lower().endswith(SUMMARY_EXTENSIONS):
        raise FileRefused("not-a-spreadsheet",
                          f"不支持的文件类型:只能读取 {' '.join(SUMMARY_EXTENSIONS)} 格式的活动总结")
    try:
        return read_text(data, name)
    except FileRefused:
        raise
    except Exception as exc:  # a broken .docx says so, never a traceback
        raise FileRefused("corrupt-file", f"无法读取文件({type(exc).__name__}):请确认是完好的 Word 或文本文件") from exc


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
    return {"file": name, "ok": True, "error": None, "records": records, "issues": [], "stats": stats.to_dict(),
            "layouts": {"正文": LAYOUT},
            "reports": [{"title": r.title, "agency": r.agency, "region": r.region, "year": r.year, "theme": r.theme,
                         "start": r.start, "end": r.end, "records": len(r.mentions)} for r in reports]}


def refused(name: str, error: str) -> dict:
    """A file that gives nothing, in ``extract_file``'s shape, with the reason in Chinese."""
    return {"file": name, "ok": False, "error": error, "records": [], "issues": [], "stats": Stats().to_dict(),
            "layouts": {}, "reports": []}
