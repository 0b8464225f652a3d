"""Regressions found in review: each was a wrong total, a lost row or a misleading issue."""

import io

import openpyxl
import pytest
import xlsxwriter

from metrics.reading.ingest import Overrides, ingest_bytes
from tests.test_reader_details import xlsx_bytes

HEAD = [["2024年“3·15”活动统计表"]]


def read(rows, name="r.xlsx", **overrides):
    return ingest_bytes(xlsx_bytes(rows), name, overrides=Overrides(**overrides))


def codes(result):
    return {i.code for i in result.issues}


def test_a_phone_number_in_the_footer_is_not_a_count():
    rows = HEAD + [
        ["单位名称", "开展活动(场)", "发放宣传资料(份)"],
        ["甲区消保委", 1, 100],
        ["乙区消保委", 2, 200],
        [None, "联系电话:", 13812345678],
    ]
    result = read(rows)
    assert result.totals() == {"events": 3, "materials": 300}
    assert "not-a-number" not in codes(result)


def test_a_cell_naming_its_own_unit_is_not_scaled_by_the_header():
    rows = HEAD + [["单位名称", "发放宣传资料(万份)"], ["甲区消保委", 1.2], ["乙区消保委", "3000份"]]
    assert read(rows).totals() == {"materials": 15000}


@pytest.mark.parametrize("label", ["合计:", "总计：", "共计:", "合计数", "合计数量", "累计数", "合计(12家)"])
def test_total_rows_written_many_ways_are_not_added(label):
    rows = HEAD + [["单位名称", "开展活动(场)"], ["甲区消保委", 1], ["乙区消保委", 2], [label, 3]]
    result = read(rows)
    assert result.totals() == {"events": 3}
    assert "total-mismatch" not in codes(result)


def test_rows_of_two_units_typed_once_are_not_duplicates():
    rows = HEAD + [
        ["单位名称", "活动形式", "开展活动(场)"],
        ["甲区消保委", "进社区", 1],
        [None, "进校园", 2],
        ["乙区消保委", "进社区", 1],
        [None, "进校园", 2],
    ]
    result = read(rows)
    assert result.totals() == {"events": 6}
    assert "duplicate-row" not in codes(result)


def test_long_table_rows_differing_in_activity_are_kept():
    rows = HEAD + [
        ["填报单位", "年度", "活动形式", "指标", "数值"],
        ["甲消保委", 2024, "进社区", "开展活动(场)", 2],
        ["甲消保委", 2024, "进校园", "开展活动(场)", 2],
    ]
    assert read(rows).totals() == {"events": 4}


def test_a_data_row_with_blank_numbers_does_not_end_the_table():
    rows = HEAD + [
        ["单位名称", "活动形式", "开展活动(场)", "发放宣传资料(份)"],
        ["甲区消保委", "咨询活动", 1, 100],
        ["区市场监管局", "宣传活动", None, None],
        ["乙区消保委", "咨询活动", 2, 200],
    ]
    result = read(rows)
    assert result.totals() == {"events": 3, "materials": 300}


def test_a_header_repeated_on_every_page_is_skipped():
    rows = HEAD + [
        ["单位名称", "开展活动(场)"],
        ["甲区消保委", 1],
        ["单位名称", "开展活动(场)"],
        ["乙区消保委", 2],
        ["合计", 3],
    ]
    result = read(rows)
    assert result.totals() == {"events": 3}
    assert "total-mismatch" not in codes(result)


def test_a_table_of_subtotals_only_counts_the_subtotals():
    rows = HEAD + [["单位名称", "开展活动(场)"], ["城区小计", 5], ["农村小计", 3], ["合计", 8]]
    result = read(rows, agency="某县消保委")
    assert result.totals() == {"events": 8}
    assert "total-mismatch" not in codes(result)


def test_sheet_year_beats_the_file_name_year():
    book = openpyxl.Workbook()
    for title, value in (("2023年", 1), ("2024年", 5)):
        ws = book.create_sheet(title)
        ws.append(["单位名称", "开展活动(场)"])
        ws.append(["鄞州区消保委", value])
    del book["Sheet"]
    out = io.BytesIO()
    book.save(out)
    result = ingest_bytes(out.getvalue(), "鄞州区消保委2024.xlsx")
    assert sorted((r.year, r.value) for r in result.records) == [(2023, 1), (2024, 5)]


def test_a_topic_sheet_named_with_huizong_is_not_a_summary():
    book = openpyxl.Workbook()
    first = book.active
    first.title = "宣传活动汇总"
    first.append(["2024年统计"])
    first.append(["单位名称", "开展活动(场)"])
    first.append(["甲消保委", 5])
    second = book.create_sheet("执法检查")
    second.append(["2024年统计"])
    second.append(["单位名称", "检查经营主体(家次)"])
    second.append(["甲消保委", 7])
    out = io.BytesIO()
    book.save(out)
    result = ingest_bytes(out.getvalue(), "t.xlsx")
    assert result.totals() == {"events": 5, "inspections": 7}
    assert "total-mismatch" not in codes(result)


@pytest.mark.parametrize(
    "rows",
    [
        [["合计", 7], ["甲", 1], ["乙", 2], ["小计", 3], ["丙", 4], ["小计", 4]],
        [["小计", 3], ["甲", 1], ["乙", 2], ["小计", 4], ["丙", 4]],
    ],
)
def test_totals_above_their_rows_are_checked_against_the_right_rows(rows):
    result = read(HEAD + [["单位名称", "开展活动(场)"]] + [[f"{a}消保委" if len(a) == 1 else a, v] for a, v in rows])
    assert "total-mismatch" not in codes(result)
    assert result.totals() == {"events": 7}


def test_a_total_formula_without_value_is_not_a_mismatch():
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["2024年统计"])
    ws.write_row(1, 0, ["单位名称", "开展活动(场)"])
    ws.write_row(2, 0, ["甲消保委", 1])
    ws.write_row(3, 0, ["乙消保委", 2])
    ws.write(4, 0, "合计")
    ws.write_formula(4, 1, "=SUM(B3:B4)")
    book.close()
    result = ingest_bytes(out.getvalue(), "f.xlsx")
    assert result.totals() == {"events": 3}
    assert "total-mismatch" not in codes(result)


def test_a_year_in_the_footer_does_not_wipe_the_title_year():
    rows = [["2024年3·15活动统计表"], ["单位名称", "开展活动(场)"], ["甲消保委", 1], ["备注:与2023年相比增长10%"]]
    result = read(rows, name="报表.xlsx")
    assert {r.year for r in result.records} == {2024}
    assert "missing-year" not in codes(result)


def test_an_unknown_metric_in_an_override_is_reported_not_a_crash():
    rows = HEAD + [["单位名称", "开展活动(场)", "满意度"], ["甲消保委", 1, 90]]
    result = read(rows, columns={"C": "satisfaction"})
    assert result.ok and result.totals() == {"events": 1}
    assert "bad-override" in codes(result)


def test_a_year_override_wins_over_a_year_column():
    rows = [["单位名称", "年度", "开展活动(场)"], ["甲消保委", 2023, 1]]
    assert {r.year for r in read(rows, year=2024).records} == {2024}


def test_a_tick_box_is_not_a_count():
    rows = HEAD + [["单位名称", "开展活动(场)"], ["甲消保委", True], ["乙消保委", 2]]
    assert read(rows).totals() == {"events": 2}
