"""Return templates: built per campaign, filled as a user would, read back by their marker exactly."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from metrics.core.catalog import default_catalog
from metrics.core.labels import layout_name
from metrics.reading.ingest import Overrides, ingest_bytes, ingest_file
from metrics.reading.templates import MARKER_SHEET, TemplateError, build_template, header_label

UNIT = "宁波市鄞州区市场监督管理局"
ASK = ["events", "materials", "recovered_loss"]


def _template(**kw) -> bytes:
    args = dict(campaign="消费维权宣传周", year=2025, unit=UNIT, region="宁波市鄞州区", metrics=ASK, activities=5)
    return build_template(**(args | kw))


def _fill(data: bytes, cells: dict[str, object], *, marker_a1: str | None = None) -> bytes:
    """Type values into the data sheet as a user would (openpyxl saves as Excel does, minus recalculation)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["报表"]
    for ref, value in cells.items():
        sheet[ref] = value
    if marker_a1 is not None:
        book[MARKER_SHEET]["A1"] = marker_a1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _marker(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return json.loads(book[MARKER_SHEET]["A1"].value)


def _rows(result) -> list[tuple]:
    return sorted((r.source.rsplit("!", 1)[-1], r.activity, r.metric, r.value, r.unit) for r in result.records)


def _problems(result) -> list[tuple[str, str]]:
    return [(i.code, i.where) for i in result.issues if i.level in ("warning", "error")]


FILLED = {
    "A7": "进社区宣传",
    "B7": "2025-03-15",
    "C7": 2,
    "D7": "1,200",
    "E7": "3万",
    "A8": "集中咨询日",
    "C8": 1,
    "D8": 350,
    "E8": "—",
    "A9": "校园讲座",
    "B9": "3月12日",
    "C9": "1",
    "D9": "2千",
    "E9": 1250.5,
}


def test_the_template_lays_out_title_meta_header_and_marker():
    data = _template()
    marker = _marker(data)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["报表"]
    assert sheet["A1"].value == "2025年“3·15”国际消费者权益日消费维权宣传周报表"
    assert [sheet[f"A{i}"].value for i in (2, 3, 4)] == [f"填报单位:{UNIT}", "地区:宁波市鄞州区", "年度:2025"]
    assert [c.value for c in sheet[6]] == [
        "活动名称",
        "日期",
        "开展活动（场）",
        "发放宣传资料（份）",
        "挽回经济损失（元）",
    ]
    assert sheet["A13"].value == "填表人:" and sheet["C13"].value == "联系电话:"
    assert marker | {"labels": None} == {
        "template": "outreach-315",
        "version": 1,
        "campaign": "消费维权宣传周",
        "year": 2025,
        "unit": UNIT,
        "region": "宁波市鄞州区",
        "theme": None,
        "sheet": "报表",
        "metrics": [
            {"id": "events", "unit": "场"},
            {"id": "materials", "unit": "份"},
            {"id": "recovered_loss", "unit": "元"},
        ],
        "header_row": 6,
        "first_data_row": 7,
        "columns": {"C": "events", "D": "materials", "E": "recovered_loss"},
        "dims": {"A": "activity", "B": "date"},
        "labels": None,
    }
    assert marker["labels"]["D"] == header_label(default_catalog()["materials"]) == "发放宣传资料（份）"


def test_the_marker_sheet_is_very_hidden_and_the_data_sheet_active():
    data = _template()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book[MARKER_SHEET].sheet_state == "veryHidden"
    assert book["报表"].sheet_state == "visible" and book.active.title == "报表"
    workbook_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode()
    assert re.search(rf'name="{MARKER_SHEET}"[^>]*state="veryHidden"', workbook_xml)


def test_validation_whole_numbers_for_counts_decimals_for_money_in_the_sheet_xml():
    xml = zipfile.ZipFile(io.BytesIO(_template())).read("xl/worksheets/sheet1.xml").decode()
    rules = {
        m.group("ref"): (m.group("type"), m.group("op"), m.group("f"))
        for m in re.finditer(
            r'<dataValidation type="(?P<type>\w+)" operator="(?P<op>\w+)"[^>]*sqref="(?P<ref>[A-Z0-9:]+)">'
            r".*?<formula1>(?P<f>[^<]*)</formula1>",
            xml,
            re.S,
        )
    }
    assert rules == {
        "C7:C11": ("whole", "greaterThanOrEqual", "0"),
        "D7:D11": ("whole", "greaterThanOrEqual", "0"),
        "E7:E11": ("decimal", "greaterThanOrEqual", "0"),
    }


def test_only_the_data_cells_are_unlocked_on_a_protected_sheet():
    sheet = openpyxl.load_workbook(io.BytesIO(_template()))["报表"]
    assert sheet.protection.sheet is True
    assert all(sheet[ref].protection.locked for ref in ("A1", "A2", "A6", "C6", "E6"))
    assert not any(sheet[ref].protection.locked for ref in ("A7", "B7", "C7", "E11"))


def test_a_filled_template_is_read_by_its_marker_exactly():
    result = ingest_bytes(_fill(_template(), FILLED), "回执.xlsx")
    assert result.error is None
    assert result.layouts == {"报表": "template"}
    assert _rows(result) == [
        ("C7", "进社区宣传", "events", 2, "场"),
        ("C8", "集中咨询日", "events", 1, "场"),
        ("C9", "校园讲座", "events", 1, "场"),
        ("D7", "进社区宣传", "materials", 1200, "份"),
        ("D8", "集中咨询日", "materials", 350, "份"),
        ("D9", "校园讲座", "materials", 2000, "份"),
        ("E7", "进社区宣传", "recovered_loss", 30000, "元"),
        ("E9", "校园讲座", "recovered_loss", 1250.5, "元"),
    ]
    records = result.records
    assert {(r.agency, r.year, r.province, r.city, r.district, r.adcode) for r in records} == {
        (UNIT, 2025, "浙江省", "宁波市", "鄞州区", "330212")
    }
    assert {r.date for r in records if r.activity == "校园讲座"} == {"2025-03-12"}
    assert _problems(result) == []
    assert not [i for i in result.issues if i.code == "hidden-sheet"]  # the marker is not reported


def test_the_template_region_places_a_unit_whose_name_is_ambiguous():
    # '江北区' is in 宁波 and in 重庆; the unit's name says neither. The template's region decides.
    data = _fill(_template(unit="江北区消费者权益保护委员会", region="浙江省宁波市江北区"), FILLED)
    result = ingest_bytes(data, "回执.xlsx")
    assert {(r.agency, r.adcode) for r in result.records} == {("江北区消费者权益保护委员会", "330205")}
    assert _problems(result) == []


def test_a_marker_sheet_someone_unhid_is_still_the_marker_not_a_sheet_to_read():
    book = openpyxl.load_workbook(io.BytesIO(_fill(_template(), FILLED)))
    book[MARKER_SHEET].sheet_state = "visible"
    out = io.BytesIO()
    book.save(out)
    result = ingest_bytes(out.getvalue(), "回执.xlsx")
    assert result.layouts == {"报表": "template"} and len(result.records) == 8
    assert _problems(result) == []


def test_the_user_corrections_on_the_upload_page_still_win():
    result = ingest_bytes(
        _fill(_template(), FILLED), "回执.xlsx", overrides=Overrides(agency="鄞州区消保委", year=2024)
    )
    assert {(r.agency, r.year) for r in result.records} == {("鄞州区消保委", 2024)}
    assert result.layouts == {"报表": "template"}


def test_a_renamed_header_is_reported_at_its_cell_and_the_sheet_still_read():
    data = _fill(_template(), FILLED | {"D6": "发放资料(份)"})
    result = ingest_bytes(data, "回执.xlsx")
    changed = [i for i in result.issues if i.code == "template-changed"]
    assert [(i.level, i.where, i.value) for i in changed] == [("warning", "报表!D6", "发放资料(份)")]
    assert "发放宣传资料（份）" in changed[0].message
    assert result.layouts == {"报表": "wide"}
    assert {(r.metric, r.value) for r in result.records if r.source.endswith("!D8")} == {("materials", 350)}
    assert {r.agency for r in result.records} == {UNIT}


def test_moved_columns_are_reported_and_read_by_their_headers_not_the_marker():
    swapped = FILLED | {
        "C6": "发放宣传资料（份）",
        "D6": "开展活动（场）",
        "C8": 350,
        "D8": 1,
        "C7": "1,200",
        "D7": 2,
        "C9": "2千",
        "D9": "1",
    }
    result = ingest_bytes(_fill(_template(), swapped), "回执.xlsx")
    assert [(i.code, i.where) for i in result.issues if i.code == "template-changed"] == [
        ("template-changed", "报表!C6")
    ]
    by_row = {(r.source.rsplit("!", 1)[-1], r.metric): r.value for r in result.records}
    assert by_row[("C7", "materials")] == 1200 and by_row[("D8", "events")] == 1


def test_an_added_metric_column_is_reported_and_read_by_the_ordinary_reader():
    added = FILLED | {"F6": "接受咨询(人次)", "F7": 80, "F9": 45}
    result = ingest_bytes(_fill(_template(), added), "回执.xlsx")
    assert [(i.code, i.where, i.value) for i in result.issues if i.code == "template-changed"] == [
        ("template-changed", "报表!F6", "接受咨询(人次)")
    ]
    assert sorted(r.value for r in result.records if r.metric == "consultations") == [45, 80]
    assert sum(r.value for r in result.records if r.metric == "materials") == 3550


def test_numbers_beside_the_template_without_a_header_are_reported_not_dropped_silently():
    result = ingest_bytes(_fill(_template(), FILLED | {"F7": 80}), "回执.xlsx")
    assert result.layouts == {"报表": "template"}
    assert [(i.code, i.level, i.where) for i in result.issues if i.code == "unmapped-column"] == [
        ("unmapped-column", "warning", "报表!F6")
    ]
    assert len(result.records) == 8


def test_the_filled_footer_adds_nothing():
    footer = FILLED | {"B13": "张三", "D13": 13812345678, "E13": "0574-88888888"}
    result = ingest_bytes(_fill(_template(), footer), "回执.xlsx")
    assert len(result.records) == 8 and _problems(result) == []


def test_an_unfilled_template_is_refused_as_an_empty_table():
    for data in (_template(), _fill(_template(), {})):
        result = ingest_bytes(data, "空模板.xlsx")
        assert result.error_code == "empty-table", result.error
        assert "没有数据行" in result.error


def test_a_damaged_marker_is_reported_and_the_sheet_read_as_any_return():
    result = ingest_bytes(_fill(_template(), FILLED, marker_a1="{not json"), "回执.xlsx")
    assert [(i.code, i.level) for i in result.issues if i.code.startswith("template")] == [
        ("template-marker-invalid", "warning")
    ]
    assert result.layouts == {"报表": "wide"}
    assert {(r.metric, r.value) for r in result.records if r.source.endswith("!D7")} == {("materials", 1200)}


def test_a_marker_naming_a_metric_outside_the_catalog_is_not_trusted():
    marker = _marker(_template())
    marker["columns"]["C"] = "no_such_metric"
    result = ingest_bytes(_fill(_template(), FILLED, marker_a1=json.dumps(marker)), "回执.xlsx")
    assert [i.code for i in result.issues if i.code.startswith("template")] == ["template-marker-invalid"]
    assert "no_such_metric" in next(i.message for i in result.issues if i.code == "template-marker-invalid")


@pytest.mark.parametrize(
    "metrics, words",
    [
        (["destroyed_qty"], "计量单位"),
        (["no_such_metric"], "不在指标目录"),
        ([], "至少要有一个指标"),
    ],
)
def test_templates_that_cannot_be_built_say_why(metrics, words):
    with pytest.raises(TemplateError, match=words):
        _template(metrics=metrics)


def test_every_metric_with_one_unit_round_trips_through_a_template():
    catalog = default_catalog()
    ids = [m.id for m in catalog.metrics.values() if m.kind != "quantity"]
    data = _template(metrics=ids, activities=2)
    cells = {"A7": "集中宣传"} | {f"{chr(67 + k)}7": 10 + k for k in range(len(ids))}
    result = ingest_bytes(_fill(data, cells), "全部指标.xlsx")
    assert {r.metric: (r.value, r.unit) for r in result.records} == {
        metric_id: (10 + k, catalog[metric_id].unit) for k, metric_id in enumerate(ids)
    }


def test_the_template_layout_has_a_name_in_both_languages():
    assert layout_name("template") == "模板(本系统下发的报表模板,按模板标记读取)"
    assert layout_name("template", "en").startswith("template (")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice 未安装:跳过另存为 .xls/.ods 的检查")
@pytest.mark.parametrize("fmt", ["xls", "xlsx", "ods"])
def test_the_marker_survives_an_office_suite_saving_the_filled_template(tmp_path, fmt):
    source = tmp_path / "回执.xlsx"
    source.write_bytes(_fill(_template(), FILLED))
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            fmt,
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        timeout=180,
    )
    saved = tmp_path / "out" / f"回执.{fmt}"
    if not saved.exists():
        pytest.skip("LibreOffice Calc 未安装:无法另存")
    result = ingest_file(saved)
    assert result.layouts == {"报表": "template"}
    assert _rows(result) == _rows(ingest_bytes(source.read_bytes(), "回执.xlsx"))
    assert _problems(result) == []
