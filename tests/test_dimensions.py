"""Agency, sector, year, date and theme from the words around a table."""

import datetime as dt

import pytest

from metrics.reading.dimensions import (
    Meta,
    agency_from_title,
    infer_sector,
    is_summary_sheet,
    looks_like_agency,
    to_iso_date,
    year_from_name,
    years_in,
)


@pytest.mark.parametrize(
    "agency,sector",
    [
        ("宁波市鄞州区消保委", "消委会"),
        ("九江市消费者权益保护委员会", "消委会"),
        ("__市消费者协会", "消委会"),
        ("中牟县质量技术监督局", "市场监管"),
        ("宁南县市场监督管理局", "市场监管"),
        ("察右前旗工商局", "市场监管"),
        ("华夏银行吉安分行", "银行"),
        ("工商银行宁波分行营业部", "银行"),
        ("天安财险漯河中心支公司", "保险"),
        ("涵江区烟草专卖局", "烟草"),
        ("莆田检验检疫局", "海关/检验检疫"),
        ("城南司法所", "司法"),
        ("马集镇人民政府", "乡镇街道"),
        ("城东街道办事处", "乡镇街道"),
        ("宁波市汽车流通行业协会", "行业协会"),
        ("浙加都商贸有限责任公司", "企业"),
        ("某某中心小学", "其他"),
    ],
)
def test_sector_is_inferred_from_the_name(agency, sector):
    assert infer_sector(agency) == sector


def test_no_name_no_sector():
    assert infer_sector(None) is None and infer_sector("") is None


@pytest.mark.parametrize(
    "title,agency",
    [
        ("2024年宁波市消保委“3·15”活动统计表", "宁波市消保委"),
        ("九江市市场监督管理局 3·15活动情况(2022—2024)", "九江市市场监督管理局"),
        ("2024年“3·15”国际消费者权益日活动情况统计表", None),
        ("__检验检疫局3·15活动统计", None),
        ("关于开展3·15活动的情况说明", None),
    ],
)
def test_agency_from_title(title, agency):
    assert agency_from_title(title) == agency


@pytest.mark.parametrize(
    "text,years",
    [
        ("2024年“3·15”活动统计表", [2024]),
        ("20__年“3.15”系列宣传活动", []),
        ("3·15活动情况(2022—2024)", []),
        ("二〇二四年", []),
    ],
)
def test_years_in_text(text, years):
    assert years_in(text) == years


@pytest.mark.parametrize(
    "name,year", [("鄞州区2024.xlsx", 2024), ("2023年汇总", 2023), ("汇总表", None), ("2023-2024对比", None)]
)
def test_year_from_a_name(name, year):
    assert year_from_name(name) == year


@pytest.mark.parametrize(
    "value,year,iso",
    [
        (dt.datetime(2024, 3, 15, 9, 30), None, "2024-03-15"),
        (dt.date(2023, 3, 14), None, "2023-03-14"),
        (45366.0, None, "2024-03-15"),  # an Excel serial without a date format
        ("3月15日", 2024, "2024-03-15"),
        ("2024年3月15日", None, "2024-03-15"),
        ("2024.3.15", None, "2024-03-15"),
        ("2024/3/12", None, "2024-03-12"),
        ("3月15日", None, None),  # no year known: not guessed
        (3.15, 2024, "2024-03-15"),  # typed as a number
        ("3月32日", 2024, None),
        ("全天", 2024, None),
    ],
)
def test_dates(value, year, iso):
    assert to_iso_date(value, year) == iso


def test_meta_lines_give_reporter_unit_year_and_theme():
    meta = Meta()
    meta.absorb(["2024年“3·15”国际消费者权益日活动情况统计表"], "S!A1")
    meta.absorb(["填报单位(盖章):宁波市消保委  填报日期:2024年3月20日"], "S!A2")
    meta.absorb(["单位:万元", "活动主题:激发消费活力"], "S!A3")
    assert meta.reporter == "宁波市消保委"
    assert meta.unit == "万元"
    assert meta.theme == "激发消费活力"
    assert meta.year() == (2024, [])


def test_reporter_in_the_next_cell_and_seal_removed():
    meta = Meta()
    meta.absorb(["填报单位:", "温岭市市场监督管理局(盖章)", "填报日期:", "2024-03-19"], "S!A3")
    assert meta.reporter == "温岭市市场监督管理局"


def test_title_year_wins_over_the_reporting_date():
    meta = Meta()
    meta.absorb(["2023年度“3·15”活动统计表"], "S!A1")
    meta.absorb(["填报日期:2024年1月5日"], "S!A2")
    assert meta.year() == (2023, [])


def test_two_years_in_the_titles_are_not_guessed():
    meta = Meta()
    meta.absorb(["2023年与2024年活动对比"], "S!A1")
    year, conflict = meta.year()
    assert year is None and conflict == [2023, 2024]


@pytest.mark.parametrize(
    "name,expected",
    [("鄞州区消保委", True), ("Sheet1", False), ("表1", False), ("宣传咨询", False), ("华夏银行吉安分行", True)],
)
def test_sheet_names_that_read_like_agencies(name, expected):
    assert looks_like_agency(name) is expected


@pytest.mark.parametrize("name,expected", [("汇总", True), ("全市汇总", True), ("汇总表", True), ("鄞州区", False)])
def test_summary_sheets(name, expected):
    assert is_summary_sheet(name) is expected


@pytest.mark.parametrize(
    "written,sector",
    [
        ("金融", "银行"),
        ("银行业", "银行"),
        ("银行业金融机构", "银行"),
        ("银行系统", "银行"),
        ("銀行業", "银行"),  # traditional script
        ("保险业", "保险"),
        ("市场监管系统", "市场监管"),
        ("市场监督管理局", "市场监管"),
        ("工商", "市场监管"),
        ("消协", "消委会"),
        ("烟草专卖", "烟草"),
        ("海关", "海关/检验检疫"),
        (" 乡镇 ", "乡镇街道"),
        ("银行", "银行"),  # a sector's own name
        ("其他", "其他"),
        ("教育", "教育"),  # not known: kept as written, never guessed
        ("", None),
        (None, None),
    ],
)
def test_canonical_sector(written, sector):
    from metrics.reading.dimensions import canonical_sector

    assert canonical_sector(written) == sector


def test_every_sector_synonym_is_unique_and_names_a_known_sector():
    from metrics.reading.dimensions import SECTOR_SYNONYMS, SECTORS

    assert set(SECTOR_SYNONYMS) <= set(SECTORS)
    names = [n for names in SECTOR_SYNONYMS.values() for n in names]
    assert len(names) == len(set(names)) and not set(names) & set(SECTORS)


def test_a_sector_column_is_read_through_the_synonyms():
    import io

    from openpyxl import Workbook

    from metrics.reading.ingest import ingest_bytes

    book = Workbook()
    sheet = book.active
    sheet.append(["2024年“3·15”活动情况统计表"])
    sheet.append(["单位", "行业", "开展活动(场)"])
    for agency, written, events in (
        ("甲农商行", "金融", 3),
        ("乙银行", "银行", 4),
        ("丙村镇银行", "银行业金融机构", 5),
        ("丁人寿", "保险业", 6),
        ("戊学校", "教育", 7),
    ):
        sheet.append([agency, written, events])
    buffer = io.BytesIO()
    book.save(buffer)
    frame = ingest_bytes(buffer.getvalue(), "行业.xlsx").frame()
    by_sector = frame.groupby("sector")["value"].sum().to_dict()
    assert by_sector == {"银行": 12, "保险": 6, "教育": 7}
