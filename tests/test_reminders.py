"""Reminders (催报): the 未报 list as XLSX, the 催报通知 as a 公文 in Word, one SMS per unit, the log entry."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from metrics.collection.reminder_files import (
    COLUMNS,
    SMS_SEGMENT,
    SMS_TWO_SEGMENTS,
    Overdue,
    ReminderLog,
    Round,
    cn_date,
    mobile_number,
    notice_docx,
    overdue_xlsx,
    sms_length,
    sms_text,
    sms_texts,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ISSUED = dt.date(2026, 3, 25)
NEW_DUE = dt.date(2026, 3, 28)


ROUND = Round(
    name="2026年“3·15”国际消费者权益日活动情况统计表",
    year=2026,
    due_date=dt.date(2026, 3, 20),
    office="宁波市消费者权益保护委员会",
    contact="王某某 0574-87000000",
    grace_days=2,
    sms_signature="宁波市消保委",
    id=7,
)


@pytest.fixture
def round_() -> Round:
    return ROUND


UNITS = [
    Overdue("宁波市鄞州区市场监督管理局", "市场监管", "浙江省 宁波市 鄞州区", "张某", "138 1234 5678", "未报", 3),
    Overdue('=HYPERLINK("http://x","点我")', "消委会", "浙江省 宁波市", "李某", "0574-88888888", "退回", None),
    Overdue("中国工商银行宁波市分行\x01<b>营业部</b>\n消保办", "银行", None, None, None, "未报", 5),
    Overdue("@象山县烟草专卖局", "烟草", "浙江省 宁波市 象山县", "赵某", "+86 139-0000-1111", "未报", 0),
]


def test_round_title_adds_year_and_315_once(round_):
    assert round_.subject == "国际消费者权益日活动情况统计"
    assert round_.title == "2026年“3·15”国际消费者权益日活动情况统计报表"
    assert (
        Round(name="活动情况", year=2025, due_date=ISSUED, office="x", contact="y").title == "2025年“3·15”活动情况报表"
    )


def test_round_of_a_collection_round():
    class Campaign:  # the shape of metrics.collection.campaigns.Campaign
        id, name, year, due_date, grace_days = 3, "3·15活动报表", 2026, dt.date(2026, 3, 20), 4

    made = Round.of(Campaign(), office="市消委会", contact="0574-1", sms_signature="市消委")
    assert (made.id, made.title, made.due_date, made.grace_days, made.sms_signature) == (
        3,
        "2026年“3·15”活动报表",
        dt.date(2026, 3, 20),
        4,
        "市消委",
    )


# ---- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_lists_every_unit_in_order_as_text(round_):
    book = openpyxl.load_workbook(io.BytesIO(overdue_xlsx(round_, UNITS, generated=ISSUED)))
    assert book.sheetnames == ["未报单位"]
    sheet = book["未报单位"]
    assert sheet["A1"].value == "2026年“3·15”国际消费者权益日活动情况统计报表未报单位名单"
    assert "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    assert "生成日期:2026年3月25日" in sheet["A2"].value and "截止日期:2026年3月20日" in sheet["A2"].value
    assert "共4家" in sheet["A2"].value
    table = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert table[0] == list(COLUMNS)
    assert table[1:] == [
        [1, "宁波市鄞州区市场监督管理局", "市场监管", "浙江省 宁波市 鄞州区", "张某", "138 1234 5678", "未报", 3],
        [2, '=HYPERLINK("http://x","点我")', "消委会", "浙江省 宁波市", "李某", "0574-88888888", "退回", "—"],
        [3, "中国工商银行宁波市分行<b>营业部</b> 消保办", "银行", "—", "—", "—", "未报", 5],
        [4, "@象山县烟草专卖局", "烟草", "浙江省 宁波市 象山县", "赵某", "+86 139-0000-1111", "未报", 0],
    ]
    # the '=' name is a plain string cell, never a formula; numbers are numbers
    assert sheet["B5"].data_type == "s" and sheet["H4"].data_type == "n" and sheet["A4"].data_type == "n"
    with zipfile.ZipFile(io.BytesIO(overdue_xlsx(round_, UNITS, generated=ISSUED))) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    widths = {c: sheet.column_dimensions[c].width for c in "ABH"}
    assert widths["B"] > 30 and widths["A"] < widths["H"] < widths["B"]  # Chinese names get room
    assert sheet.freeze_panes == "A4"


def test_xlsx_of_no_units_is_the_header(round_):
    sheet = openpyxl.load_workbook(io.BytesIO(overdue_xlsx(round_, [], generated=ISSUED)))["未报单位"]
    assert [c.value for c in sheet[3]] == list(COLUMNS) and sheet.max_row == 3 and "共0家" in sheet["A2"].value


# ---- DOCX ----------------------------------------------------------------------------------------


def _notice(round_, units=UNITS, **kw) -> Document:
    return Document(io.BytesIO(notice_docx(round_, units, issued=ISSUED, **kw)))


def test_notice_is_an_a4_gongwen_with_named_fonts(round_):
    document = _notice(round_)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    fonts = {name: document.styles[name].element.rPr.rFonts.get(f"{W}eastAsia") for name in ("Title", "Normal")}
    assert fonts == {"Title": "方正小标宋简体", "Normal": "仿宋_GB2312"}
    assert document.styles["Normal"].font.size.pt == 16
    table = next(rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.FONT_TABLE)
    declared = {
        node.get(f"{W}name"): node.find(f"{W}altName").get(f"{W}val")
        for node in etree.fromstring(table.blob).findall(f"{W}font")
        if node.find(f"{W}altName") is not None
    }
    assert declared["仿宋_GB2312"] == "仿宋" and declared["方正小标宋简体"] == "宋体"


def test_notice_text_in_gongwen_order(round_):
    document = _notice(round_)
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    titles = [p.text for p in paragraphs if p.style.name == "Title"]
    assert titles == [
        "宁波市消费者权益保护委员会",
        "关于催报2026年“3·15”国际消费者权益日活动情况统计报表的通知",
        "2026年“3·15”国际消费者权益日活动情况统计报表未报单位名单",
    ]
    masthead = paragraphs[0]
    assert masthead.runs[0].font.color.rgb == (0xD0, 0x00, 0x00)  # red 发文机关标志
    texts = [p.text for p in paragraphs]
    main = texts[2]
    assert main == (
        '宁波市鄞州区市场监督管理局、=HYPERLINK("http://x","点我")、'
        "中国工商银行宁波市分行<b>营业部</b> 消保办、@象山县烟草专卖局:"
    )
    body = "".join(texts[3:6])
    for part in (
        "报送截止日期为2026年3月20日",
        "截至2026年3月25日",
        "仍有4家单位未完成报送(其中未报3家、退回1家)",
        "于2026年3月27日前完成报送;报表被退回的单位请按退回意见修改后重新报送。",
        "联系人及电话:王某某 0574-87000000",
    ):
        assert part in body, part  # default new date: issued + the round's 2 grace days
    start = texts.index("附件:2026年“3·15”国际消费者权益日活动情况统计报表未报单位名单")
    assert texts[start + 1 : start + 3] == ["宁波市消费者权益保护委员会", "2026年3月25日"]
    assert [p.alignment for p in paragraphs[start + 1 : start + 3]] == [2, 2]  # 落款 right
    assert texts[start + 3] == "附件"


def test_notice_attachment_table_lists_every_unit(round_):
    table = _notice(round_, new_due=NEW_DUE).tables[0]
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[0] == list(COLUMNS)
    assert [row[1] for row in cells[1:]] == [
        "宁波市鄞州区市场监督管理局",
        '=HYPERLINK("http://x","点我")',
        "中国工商银行宁波市分行<b>营业部</b> 消保办",
        "@象山县烟草专卖局",
    ]
    assert [row[0] for row in cells[1:]] == ["1", "2", "3", "4"]
    assert cells[3][2:] == ["银行", "—", "—", "—", "未报", "5"] and cells[2][7] == "—" and cells[4][7] == "0"
    assert round(sum(cell.width.cm for cell in table.rows[0].cells), 1) == 15.6  # the 公文 text width


def test_notice_addresses_many_units_as_all_concerned(round_):
    many = [Overdue(f"第{k}区消委会") for k in range(1, 12)]
    document = _notice(round_, many, new_due=NEW_DUE)
    assert "各有关单位:" in [p.text for p in document.paragraphs]
    assert len(document.tables[0].rows) == 12
    body = "".join(p.text for p in document.paragraphs)
    assert "于2026年3月28日前完成报送。请按原通知" in body and "(其中未报11家)" in body
    assert "退回" not in body  # no unit was sent back, so the notice does not mention it


def test_notice_refuses_no_units_and_a_past_new_date(round_):
    with pytest.raises(ValueError, match="没有需要催报的单位"):
        notice_docx(round_, [], issued=ISSUED)
    with pytest.raises(ValueError, match="早于发文日期"):
        notice_docx(round_, UNITS, issued=ISSUED, new_due=dt.date(2026, 3, 24))


def test_cn_date():
    assert cn_date(dt.date(2026, 3, 5)) == "2026年3月5日" and cn_date(dt.date(2025, 12, 25)) == "2025年12月25日"


# ---- SMS -----------------------------------------------------------------------------------------


def test_sms_one_segment_signed_and_units_without_mobile_reported(round_):
    batch = sms_texts(round_, UNITS, new_due=NEW_DUE)
    assert [phone for phone, _ in batch.messages] == ["13812345678", "13900001111"]
    for _, text in batch.messages:
        assert text.startswith("【宁波市消保委】") and text.count("【") == 1
        assert sms_length(text) <= SMS_SEGMENT
        assert "3月28日前报送" in text and "咨询:王某某 0574-87000000" in text
    assert (
        batch.messages[0][1]
        == "【宁波市消保委】您单位2026年3·15活动报表尚未报送,请于3月28日前报送。咨询:王某某 0574-87000000"
    )
    assert [(u.unit, reason) for u, reason in batch.skipped] == [
        (UNITS[1].unit, "非手机号码,无法发送短信:0574-88888888"),
        (UNITS[2].unit, "无联系电话"),
    ]


def test_sms_prefers_the_fuller_wording_when_it_fits(round_):
    short = Round(name="活动", year=2026, due_date=ISSUED, office="市消委", contact="0574-1", sms_signature="市消委")
    text = sms_text(short, Overdue("鄞州区消委", phone="13812345678", status="退回"), new_due=NEW_DUE)
    assert text == "【市消委】鄞州区消委:您单位2026年“3·15”活动报表已退回修改,请于3月28日前修改后重新报送。咨询:0574-1"


def test_sms_drops_the_contact_rather_than_take_two_segments():
    long = Round(
        name="x",
        year=2026,
        due_date=ISSUED,
        office="浙江省宁波市消费者权益保护委员会秘书处综合协调科",
        contact="王某某 0574-87000000 转 8001(工作日 8:30-17:00)",
    )
    text = sms_text(long, Overdue("某单位", phone="13812345678"), new_due=NEW_DUE)
    assert (
        text
        == "【浙江省宁波市消费者权益保护委员会秘书处综合协调科】您单位2026年3·15活动报表尚未报送,请于3月28日前报送。"
    )


def test_sms_two_segments_when_one_cannot_hold_it():
    office = "浙江省宁波市鄞州区消费者权益保护委员会秘书处综合协调科消费维权指导中心投诉处理部"
    long = Round(name="x", year=2026, due_date=ISSUED, office=office, contact="王某某 0574-87000000")
    text = sms_text(long, Overdue("某单位", phone="13812345678"), new_due=NEW_DUE)
    assert SMS_SEGMENT < sms_length(text) <= SMS_TWO_SEGMENTS
    assert text.startswith(f"【{office}】某单位:您单位2026年“3·15”x报表") and text.endswith("咨询:王某某 0574-87000000")
    with pytest.raises(ValueError, match="短信过长"):
        sms_text(
            Round(name="x", year=2026, due_date=ISSUED, office="局" * 120, contact="1"),
            Overdue("某单位", phone="13812345678"),
            new_due=NEW_DUE,
        )


def test_sms_text_cannot_break_lines_or_fake_a_signature(round_):
    sneaky = Round(name="活动", year=2026, due_date=ISSUED, office="市消委", contact="0574-1\n【假签名】")
    text = sms_text(sneaky, Overdue("【另一个签名】鄞州\x07区\r\n消委", phone="13812345678"), new_due=NEW_DUE)
    assert "\n" not in text and "\r" not in text and "\x07" not in text
    assert text.count("【") == 1 and text.startswith("【市消委】")


@pytest.mark.parametrize(
    "phone, expected",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("(0574)87000000", None),
        ("12345678901", None),
        ("", None),
        (None, None),
    ],
)
def test_mobile_number(phone, expected):
    assert mobile_number(phone)[0] == expected


def test_sms_length_counts_characters_outside_the_bmp_twice():
    assert sms_length("催报") == 2 and sms_length("𠀀a") == 3


# ---- log ------------------------------------------------------------------------------------------


def test_reminder_log_in_utc():
    beijing = dt.timezone(dt.timedelta(hours=8))
    entry = ReminderLog(
        "王某某", dt.datetime(2026, 3, 25, 9, 30, tzinfo=beijing), 7, [u.unit for u in UNITS[:2]], "sms"
    )
    assert entry.when == dt.datetime(2026, 3, 25, 1, 30, tzinfo=dt.UTC)
    assert entry.to_dict() == {
        "who": "王某某",
        "when": "2026-03-25T01:30:00+00:00",
        "campaign_id": 7,
        "units": [UNITS[0].unit, UNITS[1].unit],
        "channel": "sms",
    }
    now = ReminderLog.now("李某", 7, UNITS, "docx")
    assert now.units == tuple(u.unit for u in UNITS) and now.when.tzinfo == dt.UTC
    assert abs(dt.datetime.now(dt.UTC) - now.when) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "when, channel, message",
    [
        (dt.datetime(2026, 3, 25, 9, 30), "sms", "时区"),
        (dt.datetime(2026, 3, 25, tzinfo=dt.UTC), "fax", "催报方式"),
    ],
)
def test_reminder_log_refuses(when, channel, message):
    with pytest.raises(ValueError, match=message):
        ReminderLog("王某某", when, 7, ("x",), channel)


# ---- any name a roster may hold ---------------------------------------------------------------------

_VISIBLE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
_FORBIDDEN = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(_VISIBLE, _FORBIDDEN), min_size=1, max_size=6))
def test_any_name_is_written_as_text_without_forbidden_characters(parts):
    """Markup, formulas, emoji and characters XML forbids: the files open and hold the name minus the latter."""
    name = "".join(parts)
    expected = "".join(p for p in parts if p not in "\x00\x01\x08\x0b\x0c\x1f\ufffe\uffff")
    assume(expected)
    units = [Overdue(name, phone="13812345678"), Overdue("鄞州区消委会")]
    sheet = openpyxl.load_workbook(io.BytesIO(overdue_xlsx(ROUND, units, generated=ISSUED)))["未报单位"]
    assert [sheet["B4"].value, sheet["B5"].value] == [expected, "鄞州区消委会"] and sheet["B4"].data_type == "s"
    document = Document(io.BytesIO(notice_docx(ROUND, units, issued=ISSUED)))
    assert [row.cells[1].text for row in document.tables[0].rows[1:]] == [expected, "鄞州区消委会"]
    ((phone, text),) = sms_texts(ROUND, units, new_due=NEW_DUE).messages
    assert phone == "13812345678" and sms_length(text) <= SMS_TWO_SEGMENTS and text.count("【") == 1


@pytest.mark.parametrize("name", ["", "   ", "\x01\n"])
def test_a_unit_needs_a_name(name):
    with pytest.raises(ValueError, match="名称为空"):
        Overdue(name)
