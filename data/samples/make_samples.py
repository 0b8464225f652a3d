"""Write the shipped sample returns: what a head office receives after 3·15, in the usual shapes.

Run from the repository root:  python data/samples/make_samples.py [output folder]
The files are committed next to this script; README.md lists each one with its totals counted by
hand. Agencies and many numbers come from the activity summaries in the project's seed text
(华夏银行吉安分行's 太平桥社区 and 小小银行家 events, 土默特左旗's 3000余份 and 5万余元 of destroyed
goods, 涵江's 2356.3条 of cigarettes and 1640千克 of cut tobacco, 宁波's 12.5万份 with 1.34万份 at
city level, 549人次, 115起 and 249件 of tests, 中牟县's free tests); the sub-units' splits are made up.
The output is byte-for-byte reproducible: zip timestamps and document dates are pinned.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
PINNED = dt.datetime(2025, 3, 25, 9, 0, 0)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BOLD = Font(bold=True)


def _book(sheet: str) -> tuple[openpyxl.Workbook, Worksheet]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    wb.properties.creator = "WPS 表格"
    wb.properties.created = wb.properties.modified = PINNED
    return wb, ws


def _pin_zip(data: bytes) -> bytes:
    """The same zip with fixed member times and document dates, so reruns give the same bytes."""
    stamp = PINNED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", body)
            member = zipfile.ZipInfo(info.filename, date_time=PINNED.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, body)
    return out.getvalue()


def _save(wb: openpyxl.Workbook, out: Path, name: str) -> None:
    buf = io.BytesIO()
    wb.save(buf)
    (out / name).write_bytes(_pin_zip(buf.getvalue()))


def _row(ws: Worksheet, row: int, values: tuple, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        if value is not None:
            cell = ws.cell(row=row, column=col, value=value)
            if bold:
                cell.font = BOLD


def _title(ws: Worksheet, text: str, span: str) -> None:
    first = span.split(":")[0]
    ws[first] = text
    ws[first].font = Font(bold=True, size=14)
    ws[first].alignment = CENTER
    ws.merge_cells(span)


# --------------------------------------------------------------------------- 1 吉安市 city summary


def jian_city_summary(out: Path) -> None:
    """One row per unit, a two-level merged header, a 合计 row, a footer; a bank among the councils."""
    wb, ws = _book("汇总表")
    _title(ws, "吉安市2024年“3·15”国际消费者权益日活动情况汇总表", "A1:I1")
    ws["A2"] = "填报单位(盖章):吉安市消费者权益保护委员会          填报日期:2024年3月22日"
    ws.merge_cells("A2:I2")
    for col, text in (("A", "序号"), ("B", "单位名称"), ("I", "备注")):
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    ws["C3"], ws["F3"] = "宣传咨询", "投诉处理"
    ws.merge_cells("C3:E3")
    ws.merge_cells("F3:H3")
    _row(
        ws,
        4,
        (
            None,
            None,
            "开展活动(场)",
            "发放宣传资料(份)",
            "接受咨询(人次)",
            "受理投诉(件)",
            "办结(件)",
            "挽回经济损失(元)",
        ),
        bold=True,
    )
    rows = [
        (1, "吉州区消费者权益保护委员会", 8, 2600, 185, 21, 20, 38500, "联合吉州区市场监管局"),
        (2, "青原区消费者权益保护委员会", 5, 1400, 96, 11, 11, 12800, None),
        (3, "吉安县消费者权益保护委员会", 6, 1800, 120, 14, 13, 21600, None),
        (4, "泰和县消费者权益保护委员会", 4, 1200, 88, 9, 8, 9700, None),
        (5, "井冈山市消费者权益保护委员会", 7, 2100, 156, 17, 16, 45200, "景区消费维权"),
        (6, "华夏银行吉安分行", 11, 2300, 380, 3, 3, "—", "金融知识进万家"),
    ]
    for i, values in enumerate(rows):
        _row(ws, 5 + i, values)
    _row(ws, 11, (None, "合计", 41, 11400, 1025, 75, 71, 127800, None), bold=True)
    ws["A13"] = "填表人:刘芳        审核人:曾志强        联系电话:0796-8223150"
    for row in ws.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.alignment = CENTER
    ws.column_dimensions["B"].width = 30
    _save(wb, out, "jian_city_summary_2024.xlsx")


# --------------------------------------------------------------------------- 2 华夏银行吉安分行 activities


def huaxia_jian_activities(out: Path) -> None:
    """A bank branch's return: one row per activity, the agency and its own theme in meta lines."""
    wb, ws = _book("Sheet1")
    _title(ws, "华夏银行吉安分行2023年“3·15”金融消费者权益保护教育宣传活动登记表", "A1:G1")
    ws["A2"] = "填报单位:华夏银行吉安分行"
    ws["E2"] = "填报时间:2023年3月20日"
    ws["A3"] = "活动主题:权利·责任·风险"
    _row(
        ws,
        4,
        ("序号", "日期", "活动形式", "开展活动(场)", "发放宣传资料(份)", "接受咨询(人次)", "参与人数(人次)"),
        bold=True,
    )
    rows = [
        (1, dt.date(2023, 3, 10), "进社区", 1, 300, 45, 80),
        (2, dt.date(2023, 3, 11), "小小银行家亲子活动", 1, 60, "—", 48),
        (3, dt.date(2023, 3, 13), "进校园", 1, 400, 35, 220),
        (4, dt.date(2023, 3, 15), "集中宣传咨询", 6, 1200, 260, 900),
    ]
    for i, values in enumerate(rows):
        _row(ws, 5 + i, values)
        ws.cell(row=5 + i, column=2).number_format = "yyyy-mm-dd"
    _row(ws, 9, (None, "合计", None, 9, 1960, 340, 1248), bold=True)
    ws["A11"] = "备注:3月10日营业部联合太平桥社区开展“金融知识进万家”;3月11日吉州支行举办“小小银行家”,到场24组家庭。"
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 20
    _save(wb, out, "huaxia_jian_activities_2023.xlsx")


# --------------------------------------------------------------------------- 3 土默特左旗 activities


def tumote_left_activities(out: Path) -> None:
    """A county bureau's return, one row per activity, numbers written the way people write them."""
    wb, ws = _book("Sheet1")
    _title(ws, "土默特左旗2024年“3·15”国际消费者权益日活动开展情况登记表", "A1:J1")
    ws["A2"] = "填报单位:土默特左旗市场监督管理局"
    ws["H2"] = "填报时间:2024年3月18日"
    _row(
        ws,
        3,
        (
            "序号",
            "日期",
            "活动形式",
            "开展活动(场)",
            "发放宣传资料(份)",
            "接受咨询(人次)",
            "受理投诉(件)",
            "发布消费警示(条)",
            "参与人数(人次)",
            "销毁物品货值(元)",
        ),
        bold=True,
    )
    rows = [
        (1, "3月12日", "进校园", 1, "1500余", None, None, None, "1200多", None),
        (2, "3月13日", "进社区", 1, "200余", None, None, 6, None, None),
        (3, "3月14日", "进农村", 1, "500多", "100余", None, None, None, None),
        (4, "3月15日", "集中宣传咨询", 1, "3000余", 500, 3, 12, None, None),
        (5, "3月15日", "集中销毁", 1, None, None, None, None, None, "5万余"),
    ]
    for i, values in enumerate(rows):
        _row(ws, 4 + i, values)
    _row(ws, 9, (None, "合计", None, 5, 5200, 600, 3, 18, 1200, 50000), bold=True)
    ws["A11"] = "填表人:消保科    联系电话:0471-8512315"
    ws.column_dimensions["C"].width = 14
    _save(wb, out, "tumote_left_activities_2024.xlsx")


# --------------------------------------------------------------------------- 4 涵江区烟草 vertical form


def hanjiang_tobacco_form(out: Path) -> None:
    """指标 | 数量 | 单位 form of a tobacco bureau: the quantities keep their own units (条, 千克)."""
    wb, ws = _book("Sheet1")
    _title(ws, "莆田市涵江区烟草专卖局2023年“3·15”活动情况统计表", "A1:E1")
    ws["A2"] = "填报单位:莆田市涵江区烟草专卖局      填报日期:2023年3月17日"
    ws.merge_cells("A2:E2")
    _row(ws, 3, ("序号", "指标", "数量", "单位", "备注"), bold=True)
    rows = [
        (1, "开展宣传咨询活动", 1, "场", "办公楼门口设法律宣传咨询点"),
        (2, "现场咨询", "300多", "人次", None),
        (3, "分发举报宣传单", "800多", "份", None),
        (4, "受理投诉", 2, "件", None),
        (5, "办结投诉", 2, "件", None),
        (6, "出动执法人员", 18, "人次", "联合公安、市场监管部门"),
        (7, "销毁卷烟", 2356.3, "条", "21个品种规格"),
        (8, "销毁烟丝", 1640, "千克", None),
    ]
    for i, values in enumerate(rows):
        _row(ws, 4 + i, values)
    ws["A13"] = "填表人:专卖科"
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["E"].width = 28
    _save(wb, out, "hanjiang_tobacco_form_2023.xlsx")


# --------------------------------------------------------------------------- 5 宁波 GBK CSV

NINGBO_2024 = [
    ("海曙区消保委", 9, 12000, 58, 14, 30, 22),
    ("江北区消保委", 6, 8000, 41, 9, 18, 15),
    ("北仑区消保委", 7, 9500, 45, 12, 25, 16),
    ("镇海区消保委", 5, 7000, 33, 8, 20, 12),
    ("鄞州区消保委", 12, 16000, 80, 19, 42, 28),
    ("奉化区消保委", 6, 8500, 39, 10, 21, 14),
    ("余姚市消保委", 10, 13000, 62, 13, 33, 20),
    ("慈溪市消保委", 11, 14500, 70, 15, 35, 21),
    ("宁海县消保委", 8, 10500, 48, 9, 14, 13),
    ("象山县消保委", 7, 9000, 43, 6, 11, 12),
]


def ningbo_districts_gbk(out: Path) -> None:
    """CSV saved from Excel in GBK: title, 填报单位 line, one row per district council, 全市合计."""
    lines = [
        ("宁波市2024年“3·15”消费维权宣传咨询活动情况统计表", "", "", "", "", "", ""),
        ("填报单位:宁波市消费者权益保护委员会", "", "", "", "填报日期:2024年3月21日", "", ""),
        (
            "单位名称",
            "开展活动(场)",
            "发放宣传资料(份)",
            "接受咨询(人次)",
            "受理投诉(件)",
            "免费检测(件)",
            "参加工作人员(人次)",
        ),
        *[tuple(str(v) for v in row) for row in NINGBO_2024],
        ("全市合计", "81", "108000", "519", "115", "249", "173"),
    ]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    (out / "ningbo_districts_2024_gbk.csv").write_bytes(buf.getvalue().encode("gbk"))


# --------------------------------------------------------------------------- 6 宁波 万份 / 万元


def ningbo_wanfen(out: Path) -> None:
    """Leaflets in 万份 and money in 万元 in the headers; the city council's own row among the districts."""
    wb, ws = _book("Sheet1")
    _title(ws, "2025年“3·15”国际消费者权益日宣传活动情况统计表", "A1:H1")
    ws["A2"] = "填报单位:宁波市消保委"
    ws["F2"] = "填报日期:2025年3月24日"
    _row(
        ws,
        3,
        (
            "单位名称",
            "发放宣传资料(万份)",
            "接受咨询(人次)",
            "受理投诉(件)",
            "办结(件)",
            "挽回经济损失(万元)",
            "发布消费警示(条)",
            "媒体报道(篇)",
        ),
        bold=True,
    )
    rows = [
        ("宁波市消保委", 1.34, 120, 32, 31, 18.6, 21, 50),
        ("海曙区消保委", 2.6, 96, 20, 20, 9.35, 9, 18),
        ("江北区消保委", 1.55, 64, 14, 13, 4.2, 6, 11),
        ("鄞州区消保委", 3.2, 135, 28, 27, 12.8, 10, 22),
        ("北仑区消保委", 2.05, 78, 19, 18, 6.45, 6, 12),
        ("镇海区消保委", 1.76, 56, 15, 15, 3.6, 5, 9),
    ]
    for i, values in enumerate(rows):
        _row(ws, 4 + i, values)
    _row(ws, 10, ("合计", 12.5, 549, 128, 124, 55, 57, 122), bold=True)
    ws["A12"] = "说明:宁波市消保委一行为市本级数据。"
    ws.column_dimensions["A"].width = 16
    _save(wb, out, "ningbo_wanfen_2025.xlsx")


# --------------------------------------------------------------------------- 7 九江 legacy .xls


def jiujiang_counties_xls(out: Path) -> None:
    """BIFF8 .xls as WPS saves it: a merged title, 罚没款 in 万元, a 合计 row."""
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("九江市")
    title = xlwt.easyxf("font: bold on, height 280; align: horiz center, vert center")
    head = xlwt.easyxf(
        "font: bold on; align: horiz center, vert center, wrap on; "
        "borders: left thin, right thin, top thin, bottom thin"
    )
    ws.write_merge(0, 0, 0, 7, "九江市2023年“3·15”国际消费者权益日活动情况统计表", title)
    ws.write_merge(1, 1, 0, 7, "填报单位:九江市市场监督管理局      填报日期:2023年3月23日")
    headers = (
        "单位名称",
        "开展活动(场)",
        "发放宣传资料(份)",
        "接受咨询(人次)",
        "检查经营主体(家次)",
        "查处案件(件)",
        "罚没款(万元)",
        "志愿者(名)",
    )
    for col, text in enumerate(headers):
        ws.write(2, col, text, head)
    rows = [
        ("浔阳区市场监督管理局", 5, 3200, 210, 160, 6, 3.5, 12),
        ("濂溪区市场监督管理局", 4, 2500, 150, 120, 4, 2.2, 8),
        ("柴桑区市场监督管理局", 3, 1800, 95, 90, 3, 1.6, 10),
        ("瑞昌市市场监督管理局", 4, 2300, 130, 135, 5, 2.8, 9),
        ("共青城市市场监督管理局", 3, 1500, 80, 70, 2, 0.9, 6),
        ("庐山市市场监督管理局", 4, 2100, 120, 110, 4, 2.5, 15),
        ("修水县市场监督管理局", 6, 3400, 190, 150, 7, 4.1, 20),
        ("合计", 29, 16800, 975, 835, 31, 17.6, 80),
    ]
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values):
            ws.write(r, c, value)
    ws.write(12, 0, "填表人:黄晓燕    审核人:邹建华")
    ws.col(0).width = 256 * 26
    buf = io.BytesIO()
    book.save(buf)
    (out / "jiujiang_counties_2023.xls").write_bytes(buf.getvalue())


# --------------------------------------------------------------------------- 8 中牟县 years across


def zhongmu_years(out: Path) -> None:
    """Indicators down the side, three years across the top: one bureau's trend since 2023."""
    wb, ws = _book("Sheet1")
    _title(ws, "中牟县市场监督管理局“3·15”活动情况对比表", "A1:D1")
    _row(ws, 2, ("指标", "2023年", "2024年", "2025年"), bold=True)
    rows = [
        ("开展活动(场)", 4, 5, 6),
        ("发放宣传材料(份)", 1500, 1800, 2100),
        ("接受咨询(人次)", 120, 150, 175),
        ("免费检测(件)", 96, 116, 130),
        ("出动人员(人次)", 26, 30, 34),
    ]
    for i, values in enumerate(rows):
        _row(ws, 3 + i, values)
    ws["A9"] = "备注:2024年免费检测含血压计46台、眼镜32副、换镜片11个、电子秤15台、台秤12台。"
    ws.column_dimensions["A"].width = 20
    _save(wb, out, "zhongmu_years_2023_2025.xlsx")


WRITERS = (
    jian_city_summary,
    huaxia_jian_activities,
    tumote_left_activities,
    hanjiang_tobacco_form,
    ningbo_districts_gbk,
    ningbo_wanfen,
    jiujiang_counties_xls,
    zhongmu_years,
)


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for write in WRITERS:
        write(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
