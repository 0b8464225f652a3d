"""Who, when and what about: agency, sector, year, date and theme from the words around a table."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from metrics.core.text import normalize_label, to_simplified

# National annual themes of the China Consumers Association (DOMAIN.md).
NATIONAL_THEMES: dict[int, str] = {
    2011: "消费与民生",
    2014: "新消法 新权利 新责任",
    2015: "携手共治 畅享消费",
    2016: "新消费 我做主",
    2017: "网络诚信 消费无忧",
    2018: "品质消费 美好生活",
    2019: "信用让消费更放心",
    2020: "凝聚你我力量",
    2021: "守护安全 畅通消费",
    2022: "共促消费公平",
    2023: "提振消费信心",
    2024: "激发消费活力",
    2025: "共筑满意消费",
}

SECTORS: tuple[str, ...] = (
    "市场监管",
    "消委会",
    "银行",
    "保险",
    "烟草",
    "海关/检验检疫",
    "司法",
    "公安",
    "乡镇街道",
    "行业协会",
    "企业",
    "其他",
)

# What returns write in a 系统 / 行业 column for each sector, like the metric synonyms of catalog.toml. 金融 and
# 银行业金融机构 are banking here: the catalog has no separate finance sector, and insurers write 保险.
SECTOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "市场监管": (
        "市场监督管理",
        "市场监督管理局",
        "市场监管局",
        "市监",
        "市监局",
        "工商",
        "工商局",
        "质监",
        "质监局",
        "食药监",
        "食品药品监管",
    ),
    "消委会": ("消协", "消保委", "消费者协会", "消费者权益保护委员会", "消费者委员会", "消委"),
    "银行": ("金融", "银行业", "银行业金融机构", "金融机构", "银行机构", "银行业机构"),
    "保险": ("保险业", "保险机构", "保险公司", "保险业机构"),
    "烟草": ("烟草专卖", "烟草专卖局", "烟草局"),
    "海关/检验检疫": ("海关", "检验检疫", "出入境检验检疫", "海关检验检疫"),
    "司法": ("司法行政", "司法局", "法院", "检察院"),
    "公安": ("公安局", "公安机关"),
    "乡镇街道": ("乡镇", "街道", "乡镇政府", "街道办", "街道办事处", "乡镇街道办"),
    "行业协会": ("协会", "商会", "行业组织"),
    "企业": ("公司", "经营者", "商家", "经营单位"),
}
_SECTOR_OF: dict[str, str] = {name: sector for sector, names in SECTOR_SYNONYMS.items() for name in (sector, *names)}
_SECTOR_TAIL = re.compile(r"(系统|行业|部门|领域|单位)$")


@lru_cache(maxsize=1024)
def canonical_sector(text: str | None) -> str | None:
    """A written sector ('金融', '银行业', '市场监管系统') as one of SECTORS; text it does not know stays as written."""
    if text is None:
        return None
    name = to_simplified(unicodedata.normalize("NFKC", text)).strip()
    for candidate in (name, _SECTOR_TAIL.sub("", name)):
        if candidate in _SECTOR_OF:
            return _SECTOR_OF[candidate]
    return name or None


# Order matters: the first rule that matches names the sector (消费者协会 before 协会, 银保监 before 银行).
_SECTOR_RULES: tuple[tuple[str, str], ...] = (
    ("消委会", r"消委|消保委|消协|消费者协会|消费者权益保护委员会|消费者委员会|消费者权益委员会|消费维权"),
    ("烟草", r"烟草|专卖局"),
    ("海关/检验检疫", r"检验检疫|海关|出入境"),
    ("保险", r"保险|人寿|财险|寿险|人保|太保|平安产险|中支|银保监|金融监管"),
    ("银行", r"银行|信用社|农商行|农信|储蓄"),  # before 工商: 工商银行 is a bank
    ("市场监管", r"市场监督|市场监管|市监|工商|质监|质量技术监督|质量监督|食药监|食品药品|药监|知识产权局|标准化|计量"),
    ("银行", r"分行|支行|人行|金融"),
    ("司法", r"司法|法院|法庭|检察|律师|公证|仲裁"),
    ("公安", r"公安|派出所|警"),
    ("乡镇街道", r"人民政府|镇政府|乡政府|街道|办事处|镇$|乡$|社区|居委会|村委会"),
    ("行业协会", r"协会|商会|联合会|学会"),
    ("企业", r"公司|集团|超市|商场|商城|酒店|门店|店$|厂$|有限"),
)
_SECTOR_PATTERNS = tuple((name, re.compile(pattern)) for name, pattern in _SECTOR_RULES)

_AGENCY_SUFFIX = (
    r"(?:市场监督管理局|市场监管局|监督管理局|管理局|专卖局|检验检疫局|局|分局|消费者权益保护委员会|消费者委员会|"
    r"消费者协会|消委会|消保委|消协|委员会|协会|分行|支行|银行|营业部|分公司|公司|中心支公司|中支|司法所|所|站|"
    r"人民政府|政府|办事处|街道|中心|院|大队|支队)"
)
_AGENCY_IN_TITLE = re.compile(r"^([^“”\"《》()（）:,，。、\s]{2,30}?" + _AGENCY_SUFFIX + r")")
_AGENCY_WORD = re.compile(_AGENCY_SUFFIX + r"|消委|消保|工商|质监|市监|烟草|银行|保险|镇$|乡$")
_GENERIC_SHEET = re.compile(r"^(sheet|工作表|表|附表|附件|统计表|汇总表|数据|明细|data|page)\s*\d*$", re.I)

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_YEAR_BARE = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_REPORTER = re.compile(r"(?:填报|报送|填表|上报|统计)单位(?:\(盖章\)|\(公章\)|\(章\))?\s*[:]\s*(.*)")
_REPORTER_END = re.compile(r"\s{2,}|\s(?=\S+[:])|(?:填报|报送|统计|上报)?(?:日期|时间)|联系人|填表人|电话|年度|单位[:]")
_UNIT_META = re.compile(r"(?<![填报送表计])(?:计量)?单位\s*[:]\s*([^\s,;]{1,6})")
_THEME_META = re.compile(r"(?:活动)?主题\s*[:]\s*[“\"]?([^”\"\n]{2,30})")
_REPORT_DATE = re.compile(
    r"(?:填报|报送|填表|统计)(?:日期|时间)\s*[:]\s*((?:19|20)\d{2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})"
)
_MONTH_DAY = re.compile(r"^(?:((?:19|20)\d{2})\s*[年.\-/])?\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")
_SEAL = re.compile(r"[((](盖章|公章|章|签章|印章)[))]$")
_SUMMARY_SHEET = re.compile(r"^(全?[市省县区旗州盟]|.{0,8}[市省县区旗州盟]|全系统|全行)?(汇总|汇总表|合计|总计|总表)$")


def meta_text(text: str) -> str:
    """Meta/title text normalised but with spaces kept (they separate fields on one line)."""
    return to_simplified(unicodedata.normalize("NFKC", text)).replace("\u3000", "  ").strip()


@lru_cache(maxsize=4096)
def infer_sector(agency: str | None) -> str | None:
    """The sector (系统) an agency belongs to, from its name; '其他' when no rule fits, None for no name."""
    if not agency:
        return None
    name = to_simplified(agency)
    for sector, pattern in _SECTOR_PATTERNS:
        if pattern.search(name):
            return sector
    return "其他"


def looks_like_agency(text: str) -> bool:
    """Whether a sheet/file name reads like a reporting unit rather than a topic or 'Sheet1'."""
    name = normalize_label(text)
    return bool(name) and not _GENERIC_SHEET.match(name) and len(name) <= 40 and bool(_AGENCY_WORD.search(name))


def agency_from_title(title: str) -> str | None:
    """'2024年宁波市消保委“3·15”活动统计表' → '宁波市消保委'; None when the title names no agency."""
    text = _YEAR.sub("", meta_text(title)).lstrip("度 ")
    text = re.sub(r"^[\s“”\"]+", "", text)
    found = _AGENCY_IN_TITLE.match(text.replace(" ", ""))
    if not found:
        return None
    agency = found.group(1)
    return None if "__" in agency or "x" in agency.lower() and "xx" in agency.lower() else agency


def years_in(text: str) -> list[int]:
    """Years written as '2024年' in a text ('20__年' is redacted and gives none)."""
    return [int(y) for y in _YEAR.findall(meta_text(text))]


def year_from_name(name: str) -> int | None:
    """A year in a file or sheet name, such as '鄞州区2024.xlsx' or '2024年汇总'."""
    found = sorted(set(int(y) for y in _YEAR_BARE.findall(name)))
    return found[0] if len(found) == 1 else None


def to_iso_date(value: object, year: int | None) -> str | None:
    """A date cell as 'YYYY-MM-DD': real dates, Excel serials, '3月15日' (with the table's year)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and 20000 < value < 80000:
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).isoformat()
    if isinstance(value, float) and 1 <= value < 13 and not value.is_integer() and year is not None:
        month, day = repr(value).split(".")  # 3.15 typed as a number: 15 March
        try:
            return dt.date(year, int(month), int(day)).isoformat()
        except ValueError:
            return None
    if isinstance(value, str):
        found = _MONTH_DAY.match(meta_text(value))
        if found:
            y = int(found.group(1)) if found.group(1) else year
            if y is None:
                return None
            try:
                return dt.date(y, int(found.group(2)), int(found.group(3))).isoformat()
            except ValueError:
                return None
    return None


def is_summary_sheet(name: str) -> bool:
    return bool(_SUMMARY_SHEET.match(normalize_label(name)))


@dataclass(slots=True)
class Meta:
    """What the lines around a table say: title(s), reporting unit, unit of amounts, year, theme."""

    titles: list[str] = field(default_factory=list)
    reporter: str | None = None
    reporter_where: str | None = None
    unit: str | None = None
    years: list[int] = field(default_factory=list)
    report_year: int | None = None
    theme: str | None = None

    def absorb(self, texts: list[str], where: str, *, footer: bool = False) -> None:
        """Read one row's text cells (title, meta line or footer; a footer's years are not the return's:
        '备注:与2023年相比增长10%')."""
        line = "  ".join(meta_text(t) for t in texts if t)
        if not line:
            return
        reporter = _REPORTER.search(line)
        if reporter and self.reporter is None:
            value = _REPORTER_END.split(reporter.group(1).strip(), maxsplit=1)[0].strip(" :")
            if not value:  # '填报单位:' in one cell, the name in the next
                rest = [meta_text(t) for t in texts if t]
                idx = next((i for i, t in enumerate(rest) if _REPORTER.search(t)), None)
                value = rest[idx + 1] if idx is not None and idx + 1 < len(rest) else ""
                value = _REPORTER_END.split(value, maxsplit=1)[0].strip()
            value = _SEAL.sub("", value.replace(" ", ""))
            if value and "__" not in value:
                self.reporter, self.reporter_where = value, where
        unit = _UNIT_META.search(line)
        if unit and self.unit is None:
            self.unit = unit.group(1)
        theme = _THEME_META.search(line)
        if theme and self.theme is None:
            self.theme = theme.group(1).strip()
        report_date = _REPORT_DATE.search(line)
        if report_date:
            self.report_year = int(report_date.group(1))
            line = line.replace(report_date.group(0), "")
        if footer:
            return
        self.years.extend(y for y in years_in(line) if y not in self.years)
        if not reporter and not unit and not report_date:
            self.titles.append(line)

    def year(self) -> tuple[int | None, list[int]]:
        """The one year the meta lines give, else (None, the conflicting years)."""
        if len(self.years) == 1:
            return self.years[0], []
        if not self.years and self.report_year:
            return self.report_year, []
        return None, list(self.years)

    def agency(self) -> str | None:
        if self.reporter:
            return self.reporter
        for title in self.titles:
            agency = agency_from_title(title)
            if agency:
                return agency
        return None
