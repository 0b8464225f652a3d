"""metrics.reading.sniff: the format comes from the bytes; bad files are refused fast with a Chinese reason."""

from __future__ import annotations

import codecs
import importlib.util
import io
import random
import re
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from metrics.reading.sniff import (
    FORMATS,
    REFUSAL_CODES,
    FileRefused,
    Limits,
    decode_text,
    describe_calamine_error,
    sniff,
)

REFUSE = Path(__file__).parent / "fixtures" / "refuse"
OK_TABLE = "单位,发放宣传资料(份)\n某某区消保委,1200\n"
ROWS = [["单位", "发放宣传资料(份)"], ["某某区消保委", 1200], ["某某区市场监管局", 860]]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _generator():
    spec = importlib.util.spec_from_file_location("make_refuse", REFUSE / "make_refuse.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_refuse"] = module
    spec.loader.exec_module(module)
    return module


def refused(data: bytes, name: str = "", limits: Limits | None = None) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        sniff(data, name=name, limits=limits or Limits())
    exc = info.value
    assert exc.code in REFUSAL_CODES
    assert str(exc) == exc.message and "\n" not in exc.message and CHINESE.search(exc.message)
    return exc


# --- writers for the accepted formats ------------------------------------------------------------


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "3·15活动"
    for row in ROWS:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsm_bytes() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("3·15活动")
    for r, row in enumerate(ROWS):
        ws.write_row(r, 0, row)
    wb.add_vba_project(io.BytesIO(b"\xd0\xcf\x11\xe0 not a real vba project"), is_stream=True)
    wb.close()
    return buf.getvalue()


def xls_bytes() -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("3·15活动")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ods_bytes() -> bytes:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="3·15活动")
    for row in ROWS:
        tr = TableRow()
        for value in row:
            if isinstance(value, str):
                cell = TableCell(valuetype="string")
            else:
                cell = TableCell(valuetype="float", value=value)
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


def rename_ole_stream(data: bytes, old: str, new: str) -> bytes:
    """Rename a directory entry in place (same tree, new name): a cheap way to fake other OLE files."""
    pos = data.find(old.encode("utf-16-le") + b"\x00\x00")
    assert pos > 0 and len(new) < 32
    entry = bytearray(data[pos : pos + 128])
    entry[:64] = (new.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00")
    entry[64:66] = (2 * len(new) + 2).to_bytes(2, "little")
    return data[:pos] + bytes(entry) + data[pos + 128 :]


# --- the committed fixtures ---------------------------------------------------------------------

FIXTURES = [  # file, format or refusal code, a hint the message must carry
    ("empty.xlsx", "empty-file", "0 字节"),
    ("truncated.xlsx", "corrupt-file", "损坏"),
    ("truncated.xls", "corrupt-file", "损坏"),
    ("encrypted.xlsx", "encrypted", "密码"),
    ("encrypted.xls", "encrypted", "密码"),
    ("fake.xlsx", "not-a-spreadsheet", "PDF"),
    ("photo.xls", "not-a-spreadsheet", "PNG 图片"),
    ("word.docx", "not-a-spreadsheet", "Word"),
    ("zip-bomb.xlsx", "zip-bomb", "压缩炸弹"),
    ("html-as-xls.xls", "not-a-spreadsheet", "另存为"),
    ("garbage.csv", "not-a-spreadsheet", "不是电子表格"),
    ("ok_gbk.csv", "csv", None),
    ("ok_utf8bom.csv", "csv", None),
]


@pytest.mark.parametrize(("file", "expected", "hint"), FIXTURES)
def test_fixture_is_sniffed_from_its_bytes(file: str, expected: str, hint: str | None) -> None:
    data = (REFUSE / file).read_bytes()
    assert len(data) < 2 * 1024 * 1024
    if expected in FORMATS:
        assert sniff(data, name=file) == expected
    else:
        exc = refused(data, name=file)
        assert (exc.code, hint in exc.message) == (expected, True), exc.message


def test_every_fixture_is_listed() -> None:
    on_disk = {p.name for p in REFUSE.iterdir() if p.suffix != ".py" and p.name != "__pycache__"}
    assert on_disk == {file for file, _, _ in FIXTURES}


def test_fixtures_are_what_the_generator_writes() -> None:
    pytest.importorskip("msoffcrypto")
    built = _generator().build(include_bomb=False)
    for file, data in built.items():
        assert (REFUSE / file).read_bytes() == data, f"{file}: run tests/fixtures/refuse/make_refuse.py"


def test_zip_bomb_fixture_is_a_real_bomb() -> None:
    data = (REFUSE / "zip-bomb.xlsx").read_bytes()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    biggest = max(infos, key=lambda info: info.file_size)
    assert biggest.file_size == 1200 * 1024 * 1024
    assert biggest.file_size / biggest.compress_size > 900
    assert {"[Content_Types].xml", "xl/workbook.xml"} <= {info.filename for info in infos}


def test_zip_bomb_is_refused_from_the_directory_alone() -> None:
    data = (REFUSE / "zip-bomb.xlsx").read_bytes()
    start = time.perf_counter()
    exc = refused(data, name="zip-bomb.xlsx")
    elapsed = time.perf_counter() - start
    print(f"\nzip bomb ({len(data) / 1e6:.1f} MB on disk, 1.2 GB inflated) refused in {elapsed * 1000:.2f} ms")
    assert exc.message == "文件解压后过大(约 1200 MB),疑似压缩炸弹,已拒收"
    assert elapsed < 3


@pytest.mark.parametrize("file", ["encrypted.xlsx", "encrypted.xls"])
def test_encrypted_fixtures_really_are_encrypted_returns(file: str) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto")
    office = msoffcrypto.OfficeFile(io.BytesIO((REFUSE / file).read_bytes()))
    assert office.is_encrypted()
    office.load_key(password="315")
    plain = io.BytesIO()
    office.decrypt(plain)
    assert sniff(plain.getvalue()) == file.rsplit(".", 1)[1]
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(plain.getvalue()))  # not `plain`: it
    rows = book.get_sheet_by_index(0).to_python()  # reads from the current position, here the end
    assert rows[2][:2] == ["某某区消保委", 1200]


def test_good_csv_fixtures_decode_to_the_same_table() -> None:
    for file in ("ok_gbk.csv", "ok_utf8bom.csv"):
        assert decode_text((REFUSE / file).read_bytes()) == OK_TABLE


# --- messages ------------------------------------------------------------------------------------


def test_messages_match_the_agreed_wording() -> None:
    assert refused(b"").message == "文件是空的(0 字节),请检查是否上传了正确的文件"
    assert refused(b"%PDF-1.4\n").message == ("这是 PDF 文件,不是电子表格;请上传 Excel/WPS 表格(.xlsx/.xls/.ods/.csv)")
    assert refused((REFUSE / "truncated.xlsx").read_bytes()).message == (
        "文件已损坏或不完整(可能下载/传输中断),请重新导出后上传"
    )
    assert refused((REFUSE / "encrypted.xlsx").read_bytes()).message == (
        "文件设置了打开密码(password-protected),请在 Excel/WPS 中取消密码后重新上传"
    )


def test_a_misleading_extension_is_named_in_the_message() -> None:
    assert "扩展名是 .xlsx" in refused(b"%PDF-1.7\n", name="3·15报表.xlsx").message
    assert "扩展名" not in refused(b"%PDF-1.7\n", name="scan.pdf").message


def test_file_refused_is_an_exception_with_code_and_message() -> None:
    exc = FileRefused("encrypted", "文件设置了打开密码")
    assert (exc.code, exc.message, str(exc)) == ("encrypted", "文件设置了打开密码", "文件设置了打开密码")
    assert isinstance(exc, Exception)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", code) for code in REFUSAL_CODES)


# --- renamed files: the bytes decide -------------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "fmt", "name"),
    [
        (xlsx_bytes, "xlsx", "报表.xls"),
        (xlsx_bytes, "xlsx", "报表.csv"),
        (xls_bytes, "xls", "报表.csv"),
        (xls_bytes, "xls", "报表.xlsx"),
        (xls_bytes, "xls", "报表.et"),
        (ods_bytes, "ods", "报表.xlsx"),
        (xlsm_bytes, "xlsm", "报表.xlsx"),
        (lambda: OK_TABLE.encode("gbk"), "csv", "报表.xlsx"),
    ],
)
def test_renamed_files_are_detected_from_bytes(writer, fmt: str, name: str) -> None:
    assert sniff(writer(), name=name) == fmt


@pytest.mark.parametrize(
    ("writer", "fmt"), [(xlsx_bytes, "xlsx"), (xlsm_bytes, "xlsm"), (xls_bytes, "xls"), (ods_bytes, "ods")]
)
def test_calamine_opens_every_accepted_workbook(writer, fmt: str) -> None:
    data = writer()
    assert sniff(data) == fmt
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[1] == ["某某区消保委", 1200] or rows[1] == ["某某区消保委", 1200.0]


# --- zip ---------------------------------------------------------------------------------------------


def test_macro_content_type_alone_makes_xlsm() -> None:
    members = {
        info.filename: zipfile.ZipFile(io.BytesIO(xlsx_bytes())).read(info)
        for info in zipfile.ZipFile(io.BytesIO(xlsx_bytes())).infolist()
    }
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
    )
    assert sniff(zip_of(members)) == "xlsm"


@pytest.mark.parametrize(
    ("members", "code", "hint"),
    [
        ({"ppt/presentation.xml": b"<p/>"}, "not-a-spreadsheet", "PowerPoint"),
        ({"xl/workbook.bin": b"\x00"}, "unsupported-format", ".xlsb"),
        ({"Index/Document.iwa": b"\x00"}, "unsupported-format", "Numbers"),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
            "not-a-spreadsheet",
            "OpenDocument",
        ),
        ({"a.xlsx": b"x", "b.xls": b"y", "readme.txt": b"z"}, "not-a-spreadsheet", "解压后逐个上传"),
    ],
)
def test_zip_that_is_not_a_workbook(members: dict[str, bytes], code: str, hint: str) -> None:
    exc = refused(zip_of(members))
    assert (exc.code, hint in exc.message) == (code, True), exc.message


def test_ods_without_mimetype_is_found_by_its_content() -> None:
    members = {"content.xml": b"<office:document-content><office:body><office:spreadsheet/>"}
    assert sniff(zip_of(members)) == "ods"


def test_zip_with_a_password_is_refused() -> None:
    data = bytearray(zip_of({"xl/workbook.xml": b"<w/>"}, zipfile.ZIP_STORED))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the 'encrypted' flag bit in both headers
        pos = data.find(sig)
        flag_at = pos + (6 if sig == b"PK\x03\x04" else 8)
        data[flag_at] |= 0x01
    assert refused(bytes(data)).code == "encrypted"


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated_zip_is_corrupt(cut: float) -> None:
    data = xlsx_bytes()
    assert refused(data[: int(len(data) * cut)]).code == "corrupt-file"


def test_inflation_limits() -> None:
    zeros = zip_of({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": bytes(2 * 1024 * 1024)})
    assert refused(zeros).code == "zip-bomb"  # one 2 MB member at ~1000:1
    plenty = Limits(max_ratio=10_000)
    assert sniff(zeros, limits=plenty) == "xlsx"
    assert refused(zeros, limits=Limits(max_ratio=10_000, max_inflated=1024 * 1024)).code == "zip-bomb"
    small = zip_of({"xl/workbook.xml": bytes(500_000)})  # high ratio, but under 1 MB: fine
    assert sniff(small) == "xlsx"


def test_overall_ratio_counts_many_small_members() -> None:
    members = {"xl/workbook.xml": b"<w/>"} | {f"xl/m{i}.xml": bytes(900_000) for i in range(4)}
    assert refused(zip_of(members)).code == "zip-bomb"


def test_too_many_members_is_refused_before_parsing_the_directory() -> None:
    data = zip_of({f"m{i}": b"" for i in range(60)}, zipfile.ZIP_STORED)
    exc = refused(data, limits=Limits(max_members=50))
    assert exc.code == "zip-bomb" and "60 个" in exc.message


# --- OLE2 ----------------------------------------------------------------------------------------


def test_xls_with_other_stream_names() -> None:
    assert sniff(rename_ole_stream(xls_bytes(), "Workbook", "Book")) == "xls"  # BIFF5 name
    assert "Word" in refused(rename_ole_stream(xls_bytes(), "Workbook", "WordDocument")).message
    assert "PowerPoint" in refused(rename_ole_stream(xls_bytes(), "Workbook", "PowerPoint Document")).message
    assert refused(rename_ole_stream(xls_bytes(), "Workbook", "Contents")).code == "not-a-spreadsheet"


def test_workbook_stream_must_start_with_bof() -> None:
    data = bytearray(xls_bytes())
    pos = data.find(b"\x09\x08\x10\x00")  # BOF, BIFF8, 16 bytes
    data[pos : pos + 2] = b"\x99\x99"
    assert refused(bytes(data)).code == "corrupt-file"


@pytest.mark.parametrize("cut", [100, 512, 0.5, 0.9])
def test_truncated_ole_is_corrupt(cut) -> None:
    data = xls_bytes()
    end = cut if isinstance(cut, int) else int(len(data) * cut)
    assert refused(data[:end]).code == "corrupt-file"


# --- other binaries and markup ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"Rar!\x1a\x07\x01\x00", "RAR"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "7z"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"\x7fELF\x02\x01\x01\x00", "程序"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "程序"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "照片"),
        (b"{\\rtf1\\ansi 3.15}", "RTF"),
    ],
)
def test_known_non_spreadsheets(data: bytes, kind: str) -> None:
    exc = refused(data + bytes(200), name="x.xlsx")
    assert (exc.code, kind in exc.message) == ("not-a-spreadsheet", True), exc.message


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        b"\r\n\t  <TABLE border=1><tr><td>\xe5\x8d\x95\xe4\xbd\x8d</td></tr></TABLE>",
        codecs.BOM_UTF8 + b"<!DOCTYPE html><html></html>",
        codecs.BOM_UTF16_LE + "<html><table></table></html>".encode("utf-16-le"),
        b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><table/></html>',
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
        b"MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related; boundary=x\r\n",
    ],
)
def test_markup_pretending_to_be_xls_gets_save_as_advice(data: bytes) -> None:
    exc = refused(data, name="导出.xls")
    assert exc.code == "not-a-spreadsheet" and "另存为" in exc.message


def test_excel_2003_xml_is_named() -> None:
    data = b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'
    assert "2003 XML" in refused(data).message


# --- text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        OK_TABLE,
        "单位\t发放宣传资料(份)\n某某区消保委\t1200\n",
        "单位，发放宣传资料(份)\n某某区消保委，1200\n",
        "单位;数量\n消保委;3\n",
        "发放宣传资料(份)\n1200\n860\n",  # a single column
        "1200",
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_tables_are_csv(text: str, encoding: str) -> None:
    assert sniff(text.encode(encoding), name="报表.txt") == "csv"


@pytest.mark.parametrize(
    "data", [b" \r\n\t ", codecs.BOM_UTF8 + b"\n\n", codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")]
)
def test_blank_text_is_empty(data: bytes) -> None:
    assert refused(data).code == "empty-file"


def test_all_zero_bytes_is_corrupt() -> None:
    assert refused(bytes(4096)).code == "corrupt-file"


def test_binary_without_nul_bytes_is_not_a_spreadsheet() -> None:
    noise = bytes(b for b in random.Random(7).randbytes(3000) if b)
    assert refused(noise).code == "not-a-spreadsheet"


def test_undecodable_text_names_the_line() -> None:
    data = "单位,数量\n消保委,3\n".encode() + b"\xff\xfe\xfd,4\n"
    exc = refused(data)
    assert exc.code == "bad-encoding" and "第 3 行" in exc.message and "UTF-8" in exc.message


# --- decode_text -----------------------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)  # the ideographs GBK covers
ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
TEXT = st.text(st.one_of(CJK, ASCII, st.sampled_from("\n\t，；（）")), max_size=200)
PHRASES = [
    "发放宣传资料(份)",
    "接受咨询(人次)",
    "某某区消保委",
    "挽回经济损失(万元)",
    "合计",
    "填报单位(盖章)",
    "受理投诉举报",
    "罚没款",
    "消费者权益日",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-32"])
def test_decode_text_round_trips_domain_text(encoding: str) -> None:
    text = "2024年“3·15”活动\n" + "\n".join(f"{p},1200" for p in PHRASES)
    assert decode_text(text.encode(encoding)) == text


@given(TEXT)
def test_decode_text_utf8_always(text: str) -> None:
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(text.encode("utf-8-sig")) == text
    assert decode_text(text.encode("utf-16")) == text
    assert decode_text(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == text


@given(TEXT)
def test_decode_text_gb18030_unless_the_bytes_are_also_utf8(text: str) -> None:
    data = text.encode("gb18030")
    try:
        as_utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        assert decode_text(data) == text
    else:
        assert decode_text(data) == as_utf8  # the rare accident: UTF-8 wins, as it must


@given(st.lists(st.sampled_from(PHRASES), min_size=1, max_size=8), st.sampled_from(["gbk", "gb18030"]))
def test_gbk_returns_are_never_mojibake(phrases: list[str], encoding: str) -> None:
    text = "\n".join(f"{p},{n}" for n, p in enumerate(phrases))
    assert decode_text(text.encode(encoding)) == text


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_decode_text_never_drops_bytes(data: bytes) -> None:
    try:
        text = decode_text(data)
    except FileRefused as exc:
        assert exc.code == "bad-encoding"
        return
    candidates = [
        codecs.BOM_UTF8 + text.encode("utf-8"),
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
        codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
        text.encode("utf-8"),
        text.encode("gb18030"),
        "\ufeff".encode("gb18030") + text.encode("gb18030"),
    ]
    assert data in candidates


# --- robustness and speed --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["xlsx", "xls", "encrypted.xlsx", "encrypted.xls", "word.docx"]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=12),
    st.one_of(st.none(), st.integers(1, 10**6)),
)
def test_damaged_files_only_ever_raise_file_refused(base: str, flips, cut) -> None:
    data = bytearray(_seed(base))
    for pos, value in flips:
        data[pos % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    try:
        assert sniff(bytes(data)) in FORMATS
    except FileRefused as exc:
        assert exc.code in REFUSAL_CODES


_SEEDS: dict[str, bytes] = {}


def _seed(base: str) -> bytes:
    if base not in _SEEDS:
        _SEEDS[base] = {"xlsx": xlsx_bytes, "xls": xls_bytes}.get(base, (REFUSE / base).read_bytes)()
    return _SEEDS[base]


def test_size_limit_is_checked_first() -> None:
    limits = Limits(max_bytes=1024 * 1024)
    exc = refused(b"%PDF" + bytes(1024 * 1024), limits=limits)
    assert exc.code == "file-too-large" and "上限 1 MB" in exc.message
    assert sniff(OK_TABLE.encode("utf-8"), limits=limits) == "csv"


def test_fifty_megabyte_files_are_judged_in_milliseconds() -> None:
    size = 50 * 1024 * 1024
    noise = random.Random(50).randbytes(size - 1000)
    stored = zip_of({"xl/workbook.xml": b"<workbook/>", "xl/media/big.bin": noise}, zipfile.ZIP_STORED)
    cases = {"pdf": b"%PDF-1.7\n" + bytes(size - 9), "xlsx": stored, "binary": noise, "too big": bytes(size + 1)}
    for label, data in cases.items():
        start = time.perf_counter()
        try:
            outcome = sniff(data)
        except FileRefused as exc:
            outcome = exc.code
        elapsed = time.perf_counter() - start
        print(f"\n50 MB {label}: {outcome} in {elapsed * 1000:.2f} ms")
        assert elapsed < 0.5, label
    assert sniff(stored) == "xlsx"


# --- what calamine raises, and how it is described -------------------------------------------------


def _calamine_error(data: bytes, suffix: str | None, tmp_path: Path) -> Exception:
    with pytest.raises(python_calamine.CalamineError) as info:
        if suffix is None:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        else:
            path = tmp_path / f"upload{suffix}"
            path.write_bytes(data)
            book = python_calamine.CalamineWorkbook.from_path(str(path))
        book.get_sheet_by_index(0).to_python()
    return info.value


@pytest.mark.parametrize(
    ("file", "suffix", "error", "text", "code"),
    [
        ("encrypted.xlsx", ".xlsx", python_calamine.PasswordError, "Workbook is password protected", "encrypted"),
        ("encrypted.xls", ".xls", python_calamine.PasswordError, "Workbook is password protected", "encrypted"),
        (
            "truncated.xlsx",
            ".xlsx",
            python_calamine.ZipError,
            "invalid Zip archive: Could not find EOCD",
            "corrupt-file",
        ),
        ("truncated.xls", ".xls", python_calamine.CalamineError, "Cfb error: Sector", "corrupt-file"),
        ("encrypted.xlsx", None, python_calamine.CalamineError, "Cannot detect file format", "corrupt-file"),
        ("truncated.xlsx", None, python_calamine.CalamineError, "Cannot detect file format", "corrupt-file"),
        ("truncated.xls", None, python_calamine.CalamineError, "Cannot detect file format", "corrupt-file"),
    ],
)
def test_what_calamine_raises_for_bad_files(file, suffix, error, text, code, tmp_path: Path) -> None:
    exc = _calamine_error((REFUSE / file).read_bytes(), suffix, tmp_path)
    assert type(exc) is error and text in str(exc)
    described = describe_calamine_error(exc)
    assert described.code == code and described.code in REFUSAL_CODES and CHINESE.search(described.message)


def test_calamine_errors_while_reading_a_sheet(tmp_path: Path) -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    members = {info.filename: source.read(info) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet][: len(members[sheet]) // 2]
    exc = _calamine_error(zip_of(members), None, tmp_path)
    assert type(exc) is python_calamine.XmlError
    assert describe_calamine_error(exc).code == "corrupt-file"

    garbled = bytearray(xls_bytes())
    garbled[1600:1700] = b"\xab" * 100
    exc = _calamine_error(bytes(garbled), ".xls", tmp_path)
    assert "End of stream" in str(exc) and describe_calamine_error(exc).code == "corrupt-file"

    with pytest.raises(python_calamine.WorksheetNotFound) as info:
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx_bytes())).get_sheet_by_name("汇总")
    described = describe_calamine_error(info.value)
    assert described.code == "sheet-not-found" and "汇总" in described.message


def test_unknown_calamine_error_is_still_a_chinese_refusal() -> None:
    described = describe_calamine_error(python_calamine.CalamineError("something new"))
    assert described.code == "unreadable-file" and "另存为" in described.message
