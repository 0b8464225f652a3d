"""Reader details built in small files: hidden columns per format, formulas, CSV shapes, overrides."""

import io
import zipfile

import openpyxl
import pytest
import xlsxwriter
import xlwt

from metrics.reading.ingest import Overrides, ingest_bytes, ingest_file
from metrics.reading.workbook import read_grids


def xlsx_bytes(rows, *, hidden=(), merges=(), sheet="Sheet1") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for letter in hidden:
        ws.column_dimensions[letter].hidden = True
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TABLE = [
    ["2024年“3·15”活动统计表"],
    ["填报单位:宁波市消保委"],
    ["单位名称", "发放宣传资料(份)", "接受咨询(人次)", "往年资料(份)"],
    ["鄞州区消保委", 1200, 80, 999],
    ["海曙区消保委", 800, 60, 999],
]


def test_hidden_xlsx_column_is_ignored():
    result = ingest_bytes(xlsx_bytes(TABLE, hidden=["D"]), "h.xlsx")
    assert result.totals() == {"consultations": 140, "materials": 2000}
    assert "hidden-column" in {i.code for i in result.issues}


def test_without_hiding_the_extra_column_is_read():
    result = ingest_bytes(xlsx_bytes(TABLE), "h.xlsx")
    assert result.totals() == {"consultations": 140, "materials": 4000 - 2000 + 1998 + 0}


def test_hidden_xls_column_is_ignored(tmp_path):
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate(TABLE):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.col(3).hidden = True
    path = tmp_path / "h.xls"
    book.save(str(path))
    result = ingest_file(path)
    assert result.totals() == {"consultations": 140, "materials": 2000}


def test_hidden_ods_column_is_ignored():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    table.addElement(TableColumn(visibility="collapse"))
    for row in TABLE:
        tr = TableRow()
        for value in row:
            if isinstance(value, str):
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
            else:
                cell = TableCell(valuetype="float", value=value)
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    result = ingest_bytes(out.getvalue(), "h.ods")
    assert result.ok, result.error
    assert result.totals() == {"consultations": 140, "materials": 2000}


def test_formula_without_cached_value_is_an_error_not_zero():
    book = openpyxl.Workbook()
    ws = book.active
    for row in TABLE[:3]:
        ws.append(row[:3])
    ws.append(["鄞州区消保委", 1200, "=20*4"])  # openpyxl writes no cached value
    ws.append(["海曙区消保委", 800, 60])
    out = io.BytesIO()
    book.save(out)
    result = ingest_bytes(out.getvalue(), "f.xlsx")
    assert result.totals() == {"consultations": 60, "materials": 2000}
    (issue,) = [i for i in result.issues if i.code == "formula-no-value"]
    assert issue.level == "error" and issue.where == "Sheet!C4"


def test_xlsxwriter_placeholder_zero_is_not_taken_as_a_value():
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    ws = book.add_worksheet()
    for r, row in enumerate(TABLE[:3]):
        ws.write_row(r, 0, row[:3])
    ws.write_row(3, 0, ["鄞州区消保委", 1200])
    ws.write_formula(3, 2, "=20*4")  # cached value 0, recalculation asked on open
    ws.write_row(4, 0, ["海曙区消保委", 800])
    ws.write_formula(4, 2, "=30*2", None, 60)  # a real cached value
    book.close()
    result = ingest_bytes(out.getvalue(), "f.xlsx")
    assert result.totals() == {"consultations": 60, "materials": 2000}
    assert [i.where for i in result.issues if i.code == "formula-no-value"] == ["Sheet1!C4"]


@pytest.mark.parametrize(
    "encoding,sep",
    [("utf-8", ","), ("utf-8-sig", ","), ("gb18030", ","), ("gbk", "\t"), ("utf-16", "\t"), ("utf-8", ";")],
)
def test_csv_encodings_and_separators(encoding, sep):
    text = "\n".join(
        sep.join(str(v) for v in row)
        for row in [
            ["2024年统计"],
            ["单位名称", "发放宣传资料(份)", "接受咨询(人次)"],
            ["鄞州区消保委", "1200", "80"],
            ["海曙区消保委", "800", "60"],
            ["合计", "2000", "140"],
        ]
    )
    result = ingest_bytes(text.encode(encoding), "c.csv")
    assert result.ok, result.error
    assert result.totals() == {"consultations": 140, "materials": 2000}
    assert {r.agency for r in result.records} == {"鄞州区消保委", "海曙区消保委"}
    assert not [i for i in result.issues if i.level == "error"]


def test_merged_agency_cell_applies_to_the_rows_it_spans():
    rows = [
        ["2024年活动明细"],
        ["单位", "活动形式", "开展活动(场)", "发放宣传资料(份)"],
        ["奉化区消保委", "进社区", 2, 300],
        [None, "进校园", 1, 200],
        ["余姚市消保委", "进农村", 3, 500],
    ]
    result = ingest_bytes(xlsx_bytes(rows, merges=["A3:A4"]), "m.xlsx")
    by_agency = {}
    for rec in result.records:
        by_agency.setdefault(rec.agency, 0)
        by_agency[rec.agency] += rec.value if rec.metric == "materials" else 0
    assert by_agency == {"奉化区消保委": 500, "余姚市消保委": 500}
    assert {r.activity for r in result.records} == {"进社区", "进校园", "进农村"}


class TestOverrides:
    rows = [
        ["活动统计"],
        ["名称", "宣传资料(份)", "满意度评分", "咨询(人次)"],
        ["甲单位", 100, 95, 10],
        ["乙单位", 200, 90, 20],
    ]

    def read(self, **kwargs):
        return ingest_bytes(xlsx_bytes(self.rows), "o.xlsx", overrides=Overrides(**kwargs))

    def test_without_overrides_year_is_missing_and_score_unmapped(self):
        result = self.read()
        codes = {i.code for i in result.issues}
        assert "missing-year" in codes
        assert result.totals() == {"consultations": 30, "materials": 300}

    def test_year_agency_region_sector_theme(self):
        result = self.read(year=2024, region="鄞州区", sector="消委会", theme="自定主题")
        recs = result.records
        assert {r.year for r in recs} == {2024}
        assert {r.adcode for r in recs} == {"330212"}
        assert {r.sector for r in recs} == {"消委会"}
        assert {r.theme for r in recs} == {"自定主题"}
        assert "missing-year" not in {i.code for i in result.issues}

    def test_column_mapping_by_letter_and_label(self):
        result = self.read(year=2024, columns={"C": "participants", "咨询(人次)": ""})
        assert result.totals() == {"materials": 300, "participants": 185}

    def test_agency_override_for_a_table_without_one(self):
        rows = [["指标", "数量", "单位"], ["发放宣传资料", 3, "万份"], ["接受咨询", 500, "人次"]]
        result = ingest_bytes(xlsx_bytes(rows), "v.xlsx", overrides=Overrides(agency="涵江区烟草专卖局", year=2024))
        assert {r.agency for r in result.records} == {"涵江区烟草专卖局"}
        assert {r.sector for r in result.records} == {"烟草"}
        assert result.totals() == {"consultations": 500, "materials": 30000}

    def test_header_rows_and_sheet(self):
        data = xlsx_bytes([["说明文字"], ["x"], ["单位名称", "发放宣传资料(份)"], ["甲消保委", 5]], sheet="数据")
        result = ingest_bytes(data, "s.xlsx", overrides=Overrides(sheet="数据", header_rows=(3,), year=2024))
        assert result.totals() == {"materials": 5}
        other = ingest_bytes(data, "s.xlsx", overrides=Overrides(sheet="没有这个表"))
        assert other.ok is False or other.totals() == {}


def test_read_grids_keeps_absolute_positions():
    rows = [[None, None, None], [None, None, "单位名称"]]
    (grid,) = read_grids(xlsx_bytes(rows), "xlsx")
    assert (grid.row0, grid.col0) == (1, 2)


def test_zip_directory_lies_are_refused_or_read_never_crash(tmp_path):
    data = bytearray(xlsx_bytes(TABLE))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        assert "xl/workbook.xml" in zf.namelist()
    data[len(data) // 2 : len(data) // 2 + 40] = b"\x00" * 40
    result = ingest_bytes(bytes(data), "d.xlsx")
    assert result.ok is False or result.totals()


def test_unlabelled_name_column_and_a_single_metric_column():
    rows = [["2024年统计"], [None, "开展活动(场)"], ["鄞州区消保委", 3], ["海曙区消保委", 2]]
    result = ingest_bytes(xlsx_bytes(rows), "u.xlsx")
    assert result.totals() == {"events": 5}
    assert {r.agency for r in result.records} == {"鄞州区消保委", "海曙区消保委"}


def test_a_title_merged_over_part_of_the_width_is_not_a_header():
    rows = [
        ["2024年度报表", None, None],
        ["单位名称", "开展活动(场)", None],
        ["鄞州区消保委", 3, None],
        ["填表人:张三", None, "联系电话:0574-87654321"],
    ]
    result = ingest_bytes(xlsx_bytes(rows, merges=["A1:B1"]), "t.xlsx")
    assert result.totals() == {"events": 3}
    assert {r.year for r in result.records} == {2024}
