"""Bad files through the whole reader: refused with a one-line Chinese reason, quickly, never a traceback."""

import time
import zipfile
from pathlib import Path

import pytest

from metrics.reading.ingest import ingest_bytes, ingest_file
from metrics.reading.sniff import Limits

REFUSE = Path(__file__).resolve().parent / "fixtures" / "refuse"
LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"

CASES = [
    ("empty.xlsx", "empty-file", "空"),
    ("truncated.xlsx", "corrupt-file", "损坏"),
    ("truncated.xls", "corrupt-file", "损坏"),
    ("encrypted.xlsx", "encrypted", "密码"),
    ("encrypted.xls", "encrypted", "密码"),
    ("fake.xlsx", "not-a-spreadsheet", "PDF"),
    ("photo.xls", "not-a-spreadsheet", "图片"),
    ("word.docx", "not-a-spreadsheet", "Word"),
    ("html-as-xls.xls", "not-a-spreadsheet", "另存为"),
    ("garbage.csv", "not-a-spreadsheet", "二进制"),
    ("zip-bomb.xlsx", "zip-bomb", "压缩炸弹"),
]


@pytest.mark.parametrize("name,code,hint", CASES)
def test_refused_with_reason(name, code, hint):
    result = ingest_file(REFUSE / name)
    assert result.ok is False
    assert result.error_code == code
    assert hint in result.error
    assert "\n" not in result.error and "Traceback" not in result.error
    assert result.records == [] and result.totals() == {}


def test_zip_bomb_refused_in_well_under_a_second():
    started = time.perf_counter()
    result = ingest_file(REFUSE / "zip-bomb.xlsx")
    elapsed = time.perf_counter() - started
    print(f"zip-bomb refused in {elapsed * 1000:.1f} ms")
    assert result.error_code == "zip-bomb"
    assert elapsed < 3  # generous: shared CI machines; measured ~1 ms here


def test_headers_only_is_refused():
    result = ingest_file(LAYOUTS / "headers_only.xlsx")
    assert result.ok is False and result.error_code == "empty-table"
    assert "数据" in result.error


def test_over_size_limit_is_refused_before_reading():
    result = ingest_file(LAYOUTS / "city_summary.xlsx", limits=Limits(max_bytes=1000))
    assert result.ok is False and result.error_code == "file-too-large"
    assert "MB" in result.error


def test_workbook_without_a_table_is_refused(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "关于开展2024年“3·15”宣传活动的情况说明"
    sheet["A3"] = "我局高度重视,精心组织,取得良好效果。"
    path = tmp_path / "notes.xlsx"
    book.save(path)
    result = ingest_file(path)
    assert result.ok is False and result.error_code == "no-table"
    assert "表头" in result.error


def test_corrupt_member_inside_a_valid_zip_is_refused(tmp_path):
    good = (LAYOUTS / "city_summary.xlsx").read_bytes()
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as out, zipfile.ZipFile(LAYOUTS / "city_summary.xlsx") as src:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # XML cut off mid-way
            out.writestr(info, data)
    assert path.read_bytes() != good
    result = ingest_file(path)
    assert result.ok is False
    assert result.error and "Traceback" not in result.error


def test_bytes_named_wrongly_are_read_by_content():
    data = (LAYOUTS / "city_summary.xlsx").read_bytes()
    result = ingest_bytes(data, "renamed.csv")
    assert result.ok and result.totals()["materials"] == 16000
