"""Reminders (催报) for the units that have not reported: an XLSX list, a Word 催报通知 and one SMS per unit.

Pure: every function takes the round and the overdue units and returns bytes or text; which units are
overdue, and storing who sent what (a ``ReminderLog``), belong to the collection rounds (campaigns).
Text from a roster (a unit's name, a contact) is written as text everywhere: never a formula in Excel,
never a character XML forbids in Word or Excel, never a line break or a fake 【signature】 in an SMS.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import xlsxwriter
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.shared import RGBColor as DocxColor

from metrics.briefing.brief import xml_safe
from metrics.briefing.office import EAST_ASIAN_FONT, docx_table, gongwen_document
from metrics.core.safe_export import XLSX_OPTIONS

SMS_SEGMENT = 70  # characters in one SMS holding Chinese (UCS-2)
SMS_TWO_SEGMENTS = 134  # two segments of a long SMS (67 each, the rest is the joining header)
MAIN_RECIPIENTS = 10  # units named in the 主送 line; more are addressed as 各有关单位 (all are in the attachment)
DEFAULT_EXTENSION_DAYS = 3  # the notice's new due date when none is given and the round has no grace days
CHANNELS = ("xlsx", "docx", "sms")
COLUMNS = ("序号", "单位名称", "系统", "地区", "联系人", "联系电话", "状态", "逾期天数")
_WIDTHS = (6, 34, 12, 18, 10, 16, 8, 10)  # Excel column widths: a CJK character is about 2 units wide
_DOCX_WIDTHS = (1.0, 3.9, 1.9, 2.3, 1.5, 2.6, 1.1, 1.3)  # cm, 15.6 in all: the A4 公文 text width
_RED = (0xD0, 0x00, 0x00)  # 发文机关标志 and its rule are red in a 公文
_INDENT = Pt(32)  # two characters of 三号 (16 pt): the first line of a 公文 paragraph
# What the reminder asks, by status: (what the unit's return is, what to do by the new date).
_ASK = {"未报": ("尚未报送", "报送"), "退回": ("已退回修改", "修改后重新报送")}
_SPACE = re.compile(r"\s+")
_YEAR_PREFIX = re.compile(r"^\s*\d{4}\s*年(度)?")
_PREFIX_315 = re.compile(r"^[“\"'‘]?\s*(3|三)\s*[·.．・•、]?\s*(15|一五)\s*[”\"'’]?")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Overdue:
    """A unit to remind: its name and where it sits, whom to call, and where its return stands."""

    unit: str
    sector: str | None = None
    region: str | None = None
    contact: str | None = None
    phone: str | None = None
    status: str = "未报"  # 未报, 退回, … as the collection round names it
    late_days: int | None = None  # days past the last on-time day (due date + grace days)

    def __post_init__(self) -> None:
        if not _one_line(self.unit):
            raise ValueError(f"催报单位名称为空:{self.unit!r}")


@dataclass(frozen=True)
class Round:
    """The collection round a reminder is about, and who sends it."""

    name: str  # e.g. 国际消费者权益日活动情况; the year and “3·15” are added, as is 报表
    year: int
    due_date: dt.date
    office: str  # 发文单位, e.g. 宁波市消费者权益保护委员会
    contact: str  # e.g. 王某某 0574-87000000
    grace_days: int = 0
    id: int | str | None = None
    sms_signature: str | None = None  # the SMS 【签名】, e.g. 宁波市消保委; the office when not given
    how: str = "请按原通知要求的格式(Excel报表)报送。"

    @classmethod
    def of(cls, campaign, *, office: str, contact: str, **options) -> Round:
        """From a collection round (anything with id, name, year, due_date, grace_days) and its sender."""
        return cls(
            name=campaign.name,
            year=campaign.year,
            due_date=campaign.due_date,
            office=office,
            contact=contact,
            grace_days=campaign.grace_days,
            id=campaign.id,
            **options,
        )

    @property
    def subject(self) -> str:
        """The name without a leading year or “3·15” and without a trailing 报表/表 (the title adds them)."""
        name = _PREFIX_315.sub("", _YEAR_PREFIX.sub("", _one_line(self.name))).strip()
        for tail in ("报表", "表"):
            name = name.removesuffix(tail)
        return name

    @property
    def title(self) -> str:
        return f"{self.year}年“3·15”{self.subject}报表"


@dataclass(frozen=True)
class ReminderLog:
    """One reminder sent: who, when (UTC), for which round, to which units, by which channel."""

    who: str
    when: dt.datetime
    campaign_id: int | str | None
    units: tuple[str, ...]
    channel: str

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"催报方式只能是 {'/'.join(CHANNELS)}:{self.channel}")
        if self.when.tzinfo is None:
            raise ValueError("催报时间须带时区(UTC)")
        object.__setattr__(self, "when", self.when.astimezone(dt.UTC))
        object.__setattr__(self, "units", tuple(self.units))

    @classmethod
    def now(cls, who: str, campaign_id: int | str | None, units: Sequence[Overdue | str], channel: str) -> ReminderLog:
        names = tuple(u.unit if isinstance(u, Overdue) else u for u in units)
        return cls(who, dt.datetime.now(dt.UTC), campaign_id, names, channel)

    def to_dict(self) -> dict[str, object]:
        return {
            "who": self.who,
            "when": self.when.isoformat(),
            "campaign_id": self.campaign_id,
            "units": list(self.units),
            "channel": self.channel,
        }


@dataclass(frozen=True)
class SmsBatch:
    """The texts to send, (phone, text) per unit, and the units no SMS can reach, each with the reason."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[Overdue, str]] = field(default_factory=list)


def cn_date(day: dt.date) -> str:
    """2026-03-25 → 2026年3月25日 (a 公文's date, Arabic numerals as GB/T 9704-2012 writes it)."""
    return f"{day.year}年{day.month}月{day.day}日"


Row = tuple[int, str, str | None, str | None, str | None, str | None, str, int | None]


def rows(units: Sequence[Overdue]) -> list[Row]:
    """The table every format lists: one row per unit in the order given, text cleaned, — for unknown."""
    return [
        (
            k,
            _one_line(u.unit),
            _text(u.sector),
            _text(u.region),
            _text(u.contact),
            _text(u.phone),
            _one_line(u.status),
            u.late_days,
        )
        for k, u in enumerate(units, start=1)
    ]


def overdue_from(
    statuses: Sequence, campaign, *, today: dt.date, region_of: Callable[[str | None], str | None] = lambda adcode: None
) -> list[Overdue]:
    """The units to remind from a campaign's unit statuses: 未报 and 退回, in roster order.

    ``late_days`` counts Beijing days past the last on-time day (due date + grace days), None before it;
    ``region_of`` turns a unit's adcode into the place written in the list.
    """
    last_day = campaign.due_date + dt.timedelta(days=campaign.grace_days)
    late = (today - last_day).days
    return [
        Overdue(
            unit=s.unit.name,
            sector=s.unit.sector,
            region=region_of(s.unit.adcode),
            contact=s.unit.contact,
            phone=s.unit.phone,
            status=str(s.status),
            late_days=late if late > 0 else None,
        )
        for s in statuses
        if str(s.status) in _ASK
    ]


# ---- Excel ------------------------------------------------------------------------------------


def overdue_xlsx(campaign: Round, units: Sequence[Overdue], *, generated: dt.date | None = None) -> bytes:
    """Sheet 未报单位: a title row, the due date and the date made, then one row per unit; text stays text."""
    made = generated or dt.date.today()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**XLSX_OPTIONS, "in_memory": True})
    font = {"font_name": EAST_ASIAN_FONT, "font_size": 11}
    title = book.add_format({**font, "bold": True, "font_size": 14, "align": "center"})
    muted = book.add_format({**font, "font_color": "#7D8793"})
    head = book.add_format({**font, "bold": True, "bg_color": "#E8EEF5", "border": 1, "align": "center"})
    text = book.add_format({**font, "border": 1})
    number = book.add_format({**font, "border": 1, "num_format": "0"})
    sheet = book.add_worksheet("未报单位")
    for c, width in enumerate(_WIDTHS):
        sheet.set_column(c, c, width)
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, xml_safe(f"{campaign.title}未报单位名单"), title)
    sheet.write_string(
        1,
        0,
        xml_safe(
            f"截止日期:{cn_date(campaign.due_date)}(宽限{campaign.grace_days}天)  "
            f"生成日期:{cn_date(made)}  共{len(units)}家"
        ),
        muted,
    )
    for c, name in enumerate(COLUMNS):
        sheet.write_string(2, c, name, head)
    for r, row in enumerate(rows(units), start=3):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value, number)
            elif value is None:
                sheet.write_string(r, c, "—", text)
            else:
                sheet.write_string(r, c, value, text)  # a name starting with = stays text
    sheet.freeze_panes(3, 0)
    sheet.repeat_rows(2)
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    book.close()
    return buffer.getvalue()


# ---- Word ----------------------------------------------------------------------------------------


def notice_docx(campaign: Round, units: Sequence[Overdue], *, issued: dt.date, new_due: dt.date | None = None) -> bytes:
    """A 催报通知 laid out as a 公文: 发文机关标志, 标题, 主送, body, 附件 line, 落款, then the 附件 table.

    ``new_due`` (the date to report by) defaults to ``issued`` + the round's grace days, or + 3 days
    when it has none.
    """
    if not units:
        raise ValueError("没有需要催报的单位")
    new_due = new_due or issued + dt.timedelta(days=campaign.grace_days or DEFAULT_EXTENSION_DAYS)
    if new_due < issued:
        raise ValueError(f"新的报送期限 {cn_date(new_due)} 早于发文日期 {cn_date(issued)}")
    office, title = xml_safe(_one_line(campaign.office)), xml_safe(campaign.title)
    document = gongwen_document()

    masthead = document.add_paragraph(style="Title")
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = masthead.add_run(office)
    run.font.color.rgb = DocxColor(*_RED)
    _rule(masthead, "single")
    heading = document.add_paragraph(f"关于催报{title}的通知", style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _rule(heading, "nil")  # the template's Title style draws a line under it; a 公文 title has none

    names = [xml_safe(_one_line(u.unit)) for u in units]
    document.add_paragraph(("、".join(names) if 0 < len(names) <= MAIN_RECIPIENTS else "各有关单位") + ":")
    for text in _body(campaign, units, issued, new_due):
        document.add_paragraph(xml_safe(text)).paragraph_format.first_line_indent = _INDENT
    attachment = document.add_paragraph(f"附件:{title}未报单位名单")
    attachment.paragraph_format.first_line_indent = _INDENT
    attachment.paragraph_format.space_before = Pt(16)
    for line in (office, cn_date(issued)):
        signed = document.add_paragraph(line)
        signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signed.paragraph_format.right_indent = _INDENT  # 落款 and date sit in from the right margin

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("附件", style="Heading 1")
    heading = document.add_paragraph(f"{title}未报单位名单", style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _rule(heading, "nil")
    table = pd.DataFrame(
        [[xml_safe(v) if isinstance(v, str) else ("—" if v is None else str(v)) for v in row] for row in rows(units)],
        columns=list(COLUMNS),
    )
    grid = docx_table(document, table)
    grid.autofit = False
    for column, width in zip(grid.columns, _DOCX_WIDTHS):
        column.width = Cm(width)  # the grid LibreOffice and WPS read; Word reads the cells' widths
    for row in grid.rows:
        for cell, width in zip(row.cells, _DOCX_WIDTHS):
            cell.width = Cm(width)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _body(campaign: Round, units: Sequence[Overdue], issued: dt.date, new_due: dt.date) -> list[str]:
    counts = Counter(_one_line(u.status) for u in units)
    split = "、".join(f"{status}{n}家" for status, n in counts.items())
    returned = ";报表被退回的单位请按退回意见修改后重新报送" if "退回" in counts else ""
    return [
        f"{campaign.title}报送截止日期为{cn_date(campaign.due_date)}。截至{cn_date(issued)},"
        f"仍有{len(units)}家单位未完成报送(其中{split}),名单见附件。",
        f"请尚未完成报送的单位高度重视,于{cn_date(new_due)}前完成报送{returned}。"
        f"{_one_line(campaign.how)}逾期仍未报送的,将在汇总情况中予以说明。",
        f"联系人及电话:{_one_line(campaign.contact)}。",
    ]


def _rule(paragraph, kind: str) -> None:
    """A paragraph's bottom line: "single" is the red rule under the 发文机关标志, "nil" removes the style's."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.makeelement(qn("w:pBdr"), {})
    bottom = borders.makeelement(
        qn("w:bottom"),
        {qn("w:val"): kind, qn("w:sz"): "12", qn("w:space"): "6", qn("w:color"): "".join(f"{c:02X}" for c in _RED)},
    )
    borders.append(bottom)
    ppr.append(borders)


# ---- SMS --------------------------------------------------------------------------------------------


def sms_texts(campaign: Round, units: Sequence[Overdue], *, new_due: dt.date) -> SmsBatch:
    """One text per unit with a mobile number, ≤ 70 characters (one SMS) where possible, else ≤ 134.

    Units with no number or only a landline are returned in ``skipped`` with the reason, never dropped.
    """
    batch = SmsBatch()
    for u in units:
        phone, reason = mobile_number(u.phone)
        if phone is None:
            batch.skipped.append((u, reason))
        else:
            batch.messages.append((phone, sms_text(campaign, u, new_due=new_due)))
    return batch


def sms_text(campaign: Round, unit: Overdue, *, new_due: dt.date) -> str:
    """The most informative wording that fits one SMS, else two; an error when even the shortest does not."""
    signature = f"【{_sms_part(campaign.sms_signature or campaign.office)}】"
    state, act = _ASK.get(_one_line(unit.status), ("尚未完成报送", "报送"))
    ask = f"{state},请于{new_due.month}月{new_due.day}日前{act}。"
    full, short = f"{campaign.year}年“3·15”{_sms_part(campaign.subject)}报表", f"{campaign.year}年3·15活动报表"
    contact = f"咨询:{_sms_part(campaign.contact)}"
    name = f"{_sms_part(unit.unit)}:"
    wordings = [
        f"{signature}{name}您单位{full}{ask}{contact}",
        f"{signature}您单位{full}{ask}{contact}",
        f"{signature}您单位{short}{ask}{contact}",
        f"{signature}您单位{short}{ask}",
    ]
    for limit in (SMS_SEGMENT, SMS_TWO_SEGMENTS):
        for text in wordings:
            if sms_length(text) <= limit:
                return text
    raise ValueError(f"短信过长({sms_length(wordings[-1])}字),请缩短短信签名:{signature}")


def sms_length(text: str) -> int:
    """Characters as an SMS counts them (UCS-2: a character outside the BMP takes two)."""
    return len(text.encode("utf-16-le")) // 2


def mobile_number(phone: str | None) -> tuple[str | None, str]:
    """'138 1234 5678' / '+86-13812345678' → '13812345678'; otherwise None and why no SMS can go there."""
    if not phone or not phone.strip():
        return None, "无联系电话"
    digits = re.sub(r"[\s\-()()]", "", phone)
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    if _MOBILE.match(digits):
        return digits, ""
    return None, f"非手机号码,无法发送短信:{_one_line(phone)}"


def _one_line(text: str) -> str:
    """Text as one clean line: characters XML forbids dropped, line breaks and runs of spaces as one space."""
    return _SPACE.sub(" ", xml_safe(text)).strip()


def _sms_part(text: str) -> str:
    return _one_line(text).replace("【", "[").replace("】", "]")


def _text(value: str | None) -> str | None:
    """A cleaned optional field; blank is unknown (None)."""
    return (_one_line(value) or None) if value is not None else None
