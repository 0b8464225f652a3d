"""Issue 11 (items 2–5): layouts the reader used to read wrong without a word.

The fixture files and their hand-worked totals are in fixtures/layouts (make_layouts.py, expected.py;
tests/test_layouts.py checks totals, agencies, regions and cell sources). Here: the issues each
layout must give, with their cells, and variants built in memory.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from metrics.reading.ingest import Overrides, ingest_bytes, ingest_file

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"


def xlsx(rows, merges=()) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Sheet1"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def issues(result, code):
    return [i for i in result.issues if i.code == code]


def by_agency(result) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for rec in result.records:
        out.setdefault(rec.agency, {}).setdefault(rec.metric, 0)
        out[rec.agency][rec.metric] += rec.value
    return out


# --------------------------------------------------------------------------- item 2: stacked tables


def test_second_stacked_table_uses_its_own_header():
    result = ingest_file(LAYOUTS / "stacked_own_header.xlsx")
    assert result.totals() == {"materials": 1800, "consultations": 225, "tests": 105}
    tests = sorted(r.source.split("!")[1] for r in result.records if r.metric == "tests")
    assert tests == ["B12", "B13", "B14"]
    assert not issues(result, "header-not-nearest")


HEADING_THEN_UNKNOWN = [
    ["2024年“3·15”活动情况统计表"],
    ["填报单位:宜良县市场监督管理局"],
    ["一、宣传咨询活动"],
    ["活动形式", "发放宣传材料(份)", "接受咨询(人次)"],
    ["集中宣传咨询", 1000, 120],
    ["进社区", 500, 60],
    [],
    ["二、其他服务"],
    ["服务事项", "次数"],  # names no metric: cannot be taken as a header
    ["上门服务", 7],
    ["入户走访", 9],
]


def test_unrecognised_header_between_tables_is_a_warning_at_its_cell():
    result = ingest_bytes(xlsx(HEADING_THEN_UNKNOWN), "t.xlsx")
    found = issues(result, "header-not-nearest")
    assert [(i.level, i.where, i.value) for i in found] == [("warning", "Sheet1!B9", "次数")]
    assert "2 行" in found[0].message
    assert result.totals()["consultations"] == 180


# --------------------------------------------------------------------------- item 3a: transposed


def test_transposed_columns_are_units_and_the_total_column_is_compared():
    result = ingest_file(LAYOUTS / "transposed_units.xlsx")
    got = by_agency(result)
    assert got["城关镇"] == {
        "events": 2,
        "materials": 1200,
        "consultations": 150,
        "complaints_received": 12,
        "complaints_resolved": 11,
    }
    assert got["城区市场监管所"]["materials"] == 1500
    assert not any(r.source.split("!")[1].startswith("E") for r in result.records)
    sectors = {r.agency: r.sector for r in result.records}
    assert sectors == {"城关镇": "乡镇街道", "东关街道": "乡镇街道", "城区市场监管所": "市场监管"}
    assert [i.where for i in issues(result, "transposed-table")] == ["Sheet1!A3"]


TRANSPOSED_BAD_TOTAL = [
    ["2024年“3·15”活动情况统计表"],
    ["填报单位:桐庐县市场监督管理局"],
    ["指标", "城关镇", "东关街道", "合计"],
    ["发放宣传资料(份)", 1200, 800, 2100],
    ["接受咨询(人次)", 150, 90, 240],
]


def test_transposed_total_column_that_differs_is_an_error():
    result = ingest_bytes(xlsx(TRANSPOSED_BAD_TOTAL), "t.xlsx")
    assert result.totals() == {"materials": 2000, "consultations": 240}
    bad = issues(result, "total-mismatch")
    assert [(i.where, i.level) for i in bad] == [("Sheet1!D4", "error")]


TRANSPOSED_NO_CORNER = [
    ["2024年“3·15”活动情况统计表"],
    ["填报单位:桐庐县市场监督管理局"],
    [None, "城关镇", "东关街道", "合计"],
    ["发放宣传资料(份)", 1200, 800, 2000],
    ["接受咨询(人次)", 150, 90, 240],
    ["受理投诉(件)", 4, 3, 7],
]


def test_transposed_without_corner_label_is_read_and_says_it_guessed():
    result = ingest_bytes(xlsx(TRANSPOSED_NO_CORNER), "t.xlsx")
    assert by_agency(result) == {
        "城关镇": {"materials": 1200, "consultations": 150, "complaints_received": 4},
        "东关街道": {"materials": 800, "consultations": 90, "complaints_received": 3},
    }
    guessed = issues(result, "orientation-guessed")
    assert [(i.level, i.where) for i in guessed] == [("warning", "Sheet1!A3")]


# --------------------------------------------------------------------------- item 3b: side by side


def test_side_by_side_tables_keep_the_row_beside_a_subtotal():
    result = ingest_file(LAYOUTS / "side_by_side.xlsx")
    got = by_agency(result)
    assert got["京山市局"] == {"inspections": 30, "cases": 2, "fines": 5000}
    assert result.totals()["inspections"] == 125 and result.totals()["events"] == 5
    assert not issues(result, "total-mismatch")


SIDE_BY_SIDE_BAD_SUBTOTAL = [
    ["2024年“3·15”宣传及执法检查情况统计表"],
    ["填报单位:荆门市市场监督管理局"],
    ["一、宣传活动", None, None, None, "二、执法检查"],
    ["单位", "发放宣传资料(份)", "接受咨询(人次)", None, "单位", "检查经营主体(家次)", "查处案件(件)"],
    ["东宝分局", 800, 60, None, "东宝分局", 40, 3],
    ["小计", 900, 60, None, "掇刀分局", 55, 4],
    [None, None, None, None, "小计", 95, 7],
]


def test_side_by_side_left_subtotal_is_compared_not_added():
    result = ingest_bytes(xlsx(SIDE_BY_SIDE_BAD_SUBTOTAL), "t.xlsx")
    assert result.totals() == {"materials": 800, "consultations": 60, "inspections": 95, "cases": 7}
    assert [i.where for i in issues(result, "total-mismatch")] == ["Sheet1!B6"]


# --------------------------------------------------------------------------- item 3c: 其中 as a parent


def test_columns_under_qizhong_are_parts_and_each_is_a_warning():
    result = ingest_file(LAYOUTS / "subitem_group_header.xlsx")
    assert result.totals() == {"complaints_received": 200, "complaints_resolved": 187, "cases": 28}
    found = issues(result, "subitem-group")
    assert sorted((i.where, i.level) for i in found) == [
        ("Sheet1!C5", "warning"),
        ("Sheet1!D5", "warning"),
        ("Sheet1!G5", "warning"),
    ]
    assert "受理投诉" in next(i.message for i in found if i.where == "Sheet1!C5")
    assert "立案" in next(i.message for i in found if i.where == "Sheet1!G5")


# --------------------------------------------------------------------------- item 3d: towns in a CSV


def test_town_rows_of_a_semicolon_gb18030_csv_are_units():
    result = ingest_file(LAYOUTS / "towns_semicolon.csv")
    got = by_agency(result)
    assert set(got) == {"城南街道办事处", "旧县街道办事处", "分水镇人民政府", "百江镇人民政府"}
    assert got["分水镇人民政府"] == {"events": 2, "materials": 1000, "consultations": 75}
    assert {r.sector for r in result.records} == {"乡镇街道"}


# --------------------------------------------------------------------------- item 5: uncached formulas


@pytest.mark.parametrize("name", ["bad_uncached_formulas.xlsx", "bad_uncached_formulas_blank.xlsx"])
def test_formulas_without_values_are_refused_for_that_reason(name):
    result = ingest_file(LAYOUTS / name)
    assert result.ok is False
    assert result.error_code == "formula-no-value"
    assert "在 Excel/WPS 中打开并保存后再上传" in result.error
    assert "B4" in result.error and "只有表头" not in result.error
    cells = sorted(i.where for i in issues(result, "formula-no-value"))
    assert {"Sheet1!B4", "Sheet1!B5", "Sheet1!C4"} <= set(cells)  # data cells (and the 合计 row's, if any)
    assert result.records == []


def test_semicolon_csv_whose_remarks_hold_many_chinese_commas():
    lines = [
        "填报单位:桐庐县市场监督管理局;;",
        "乡镇(街道);发放宣传资料(份);备注",
        "城南街道办事处;1500;进社区，进校园，进市场，进企业，进农村",
        "分水镇人民政府;1000;集市宣传，现场咨询，发放倡议书，检测服务，志愿服务",
        "百江镇人民政府;400;宣传，咨询，检测，回访，走访",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    result = ingest_bytes(data, "towns.csv")
    assert by_agency(result) == {
        "城南街道办事处": {"materials": 1500},
        "分水镇人民政府": {"materials": 1000},
        "百江镇人民政府": {"materials": 400},
    }


TRANSPOSED_WITH_UNITS = [
    ["2024年“3·15”活动统计表"],
    ["填报单位:桐庐县市场监督管理局"],
    ["指标名称", "计量单位", "城关镇", "东关街道", "合计"],
    ["发放宣传资料", "万份", 1.2, 0.8, 2],
    ["接受咨询", "人次", 150, 90, 240],
    ["挽回经济损失", "万元", 3.5, 1, 4.5],
    ["其中:网购", "万元", 1, 0.5, 1.5],
]


def test_transposed_with_a_unit_column_scales_values_and_the_total_column():
    result = ingest_bytes(xlsx(TRANSPOSED_WITH_UNITS), "t.xlsx")
    assert by_agency(result) == {
        "城关镇": {"materials": 12000, "consultations": 150, "recovered_loss": 35000},
        "东关街道": {"materials": 8000, "consultations": 90, "recovered_loss": 10000},
    }
    assert not issues(result, "total-mismatch")


STACKED_NO_UNIT = [
    ["2024年“3·15”活动情况统计表"],
    ["填报单位:宜良县市场监督管理局"],
    ["活动形式", "发放宣传材料(份)", "接受咨询(人次)"],
    ["集中宣传咨询", 1000, 120],
    [],
    ["仪器名称", "检测数量"],  # one metric, no unit, after a blank row: its own table
    ["血压计", 45],
    ["眼镜", 38],
]


def test_one_metric_header_without_unit_after_a_blank_row_starts_a_table():
    result = ingest_bytes(xlsx(STACKED_NO_UNIT), "t.xlsx")
    assert result.totals() == {"materials": 1000, "consultations": 120, "tests": 83}


SIDE_BY_SIDE_MERGED_FOOTER = [
    ["2024年“3·15”宣传及执法检查情况统计表"],
    ["填报单位:荆门市市场监督管理局"],
    ["单位", "发放宣传资料(份)", "接受咨询(人次)", None, "单位", "检查经营主体(家次)", "查处案件(件)"],
    ["东宝分局", 800, 60, None, "东宝分局", 40, 3],
    ["小计", 800, 60, None, "掇刀分局", 55, 4],
    [],
    ["填表人:郑伟    审核人:王强    联系电话:0724-2345678"],
]


def test_side_by_side_with_a_footer_merged_across_both():
    result = ingest_bytes(xlsx(SIDE_BY_SIDE_MERGED_FOOTER, merges=["A7:G7"]), "t.xlsx")
    assert by_agency(result) == {
        "东宝分局": {"materials": 800, "consultations": 60, "inspections": 40, "cases": 3},
        "掇刀分局": {"inspections": 55, "cases": 4},
    }
    assert not issues(result, "total-mismatch")


TRANSPOSED_WITH_REMARKS = [
    ["2024年“3·15”活动情况统计表"],
    ["填报单位:桐庐县市场监督管理局"],
    ["序号", "项目", "城关镇", "东关街道", "合计", "备注"],
    [1, "发放宣传资料(份)", 1200, 800, 2000, "含倡议书"],
    [2, "接受咨询(人次)", 150, 90, 240, None],
]


def test_transposed_with_seq_and_remarks_columns():
    result = ingest_bytes(xlsx(TRANSPOSED_WITH_REMARKS), "t.xlsx")
    assert by_agency(result) == {
        "城关镇": {"materials": 1200, "consultations": 150},
        "东关街道": {"materials": 800, "consultations": 90},
    }


GROUP_HEADINGS_MERGED = [
    ["2024年“3·15”活动情况统计表"],
    ["填报单位:宜良县市场监督管理局"],
    ["单位", "开展活动(场)", "发放宣传资料(份)"],
    ["一、城区"],
    ["匡远街道", 1, 100],
    [],
    ["二、乡镇"],
    ["狗街镇", 2, 200],
]


def test_merged_group_heading_after_a_blank_row_is_not_a_header_warning():
    result = ingest_bytes(xlsx(GROUP_HEADINGS_MERGED, merges=["A4:C4", "A7:C7"]), "t.xlsx")
    assert result.totals() == {"events": 3, "materials": 300}
    assert not issues(result, "header-not-nearest")


# --------------------------------------------------------------------------- found by the blind5 returns


def test_side_by_side_where_the_right_label_column_is_headed_like_a_metric():
    # '检查对象' holds kinds of business (农贸市场 …) though '检查' is a word of 检查经营主体: it labels the rows,
    # so the right table's 合计 is compared, never added, and the row beside the left 小计 is counted.
    rows = [
        ["2023年“3·15”活动情况统计表"],
        ["填报单位:昆山市市场监督管理局"],
        ["一、宣传活动", None, None, None, "二、执法检查"],
        ["活动名称", "开展活动(场)", "发放宣传资料(份)", None, "检查对象", "检查经营主体(家次)"],
        ["进社区", 2, 900, None, "农贸市场", 40],
        ["小计", 2, 900, None, "商场超市", 25],
        [None, None, None, None, "合计", 65],
    ]
    result = ingest_bytes(xlsx(rows, merges=("A3:C3", "E3:F3")), "side.xlsx")
    assert result.totals() == {"events": 2, "materials": 900, "inspections": 65}
    assert not issues(result, "total-mismatch") and not issues(result, "text-column")


def test_a_total_row_of_formulas_without_results_says_it_could_not_be_checked():
    book = __import__("xlsxwriter")
    out = io.BytesIO()
    wb = book.Workbook(out)
    ws = wb.add_worksheet("汇总")
    for r, row in enumerate(
        [
            ["2025年“3·15”活动情况统计表"],
            ["填报单位:兰州市市场监督管理局"],
            ["单位", "开展活动(场)"],
            ["城关区市场监管局", 6],
            ["七里河区市场监管局", 4],
        ]
    ):
        ws.write_row(r, 0, row)
    ws.write(5, 0, "合计")
    ws.write_formula(5, 1, "=SUM(B4:B5)")  # no result saved: a script's placeholder 0, recalculated on open
    wb.close()
    result = ingest_bytes(out.getvalue(), "lanzhou.xlsx")
    assert result.ok and result.totals() == {"events": 10}
    found = issues(result, "formula-no-value")
    assert [(i.where, i.level) for i in found] == [("汇总!B6", "warning")]
    assert not issues(result, "total-mismatch")


@pytest.mark.parametrize("choice", ["", "materials"])
def test_an_override_of_a_transposed_tables_label_column_leaves_the_other_sheets_read(choice):
    """The upload page may set the 指标 column of a table turned on its side to 'ignore' or to a metric: that
    table then has no label column. The reader used to crash on it (an internal error, nothing imported);
    now that table gives no numbers and the file's other sheets are read as without the override."""
    book = openpyxl.Workbook()
    book.active.title = "乡镇"
    for row in TRANSPOSED_BAD_TOTAL:
        book.active.append(row)
    office = book.create_sheet("局机关")
    for row in [
        ["2024年“3·15”活动情况统计表"],
        ["填报单位:桐庐县市场监督管理局"],
        ["单位", "发放宣传资料(份)", "接受咨询(人次)"],
        ["桐庐县市场监督管理局", 300, 40],
    ]:
        office.append(row)
    out = io.BytesIO()
    book.save(out)
    result = ingest_bytes(out.getvalue(), "t.xlsx", overrides=Overrides(columns={"指标": choice}))
    assert result.ok and result.error_code is None
    assert result.totals() == {"materials": 300, "consultations": 40}
    assert {r.source.split("!")[0] for r in result.records} == {"t.xlsx/局机关"}
    plain = ingest_bytes(out.getvalue(), "t.xlsx")  # without the override the transposed sheet counts too
    assert plain.totals() == {"materials": 2300, "consultations": 280}
