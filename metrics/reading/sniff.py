"""Decide what an uploaded file is from its bytes, and refuse a bad one early with a one-line Chinese reason.

The name a user gave the file is never trusted (renamed .xls/.xlsx/.csv files are common); it is
only quoted in messages. Everything here reads at most a few kilobytes of a binary file, so a
50 MB upload is judged in milliseconds; only text is decoded whole, since it is parsed anyway.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import NoReturn

import olefile
import python_calamine

MB = 1024 * 1024
FORMATS: tuple[str, ...] = ("xlsx", "xlsm", "xls", "ods", "csv")

# Every code sniff() and describe_calamine_error() can raise; the tests hold them to this list.
REFUSAL_CODES: dict[str, str] = {
    "empty-file": "0 字节或只有空白",
    "file-too-large": "超过上传大小上限",
    "zip-bomb": "解压后过大、压缩比异常或成员过多",
    "corrupt-file": "文件损坏或不完整",
    "encrypted": "设置了打开密码",
    "not-a-spreadsheet": "PDF、图片、Word、网页、压缩包等非表格文件",
    "unsupported-format": "是表格,但格式暂不支持(.xlsb、Numbers)",
    "bad-encoding": "文本编码无法识别",
    "sheet-not-found": "找不到指定的工作表",
    "unreadable-file": "表格库无法读取的其他情况",
}

UPLOAD_HINT = "请上传 Excel/WPS 表格(.xlsx/.xls/.ods/.csv)"
SAVE_AS_HINT = "请用 Excel/WPS 打开后“另存为” .xlsx 再上传"
UNZIP_HINT = "请解压后逐个上传表格文件"
_CORRUPT = "文件已损坏或不完整(可能下载/传输中断),请重新导出后上传"
_ENCRYPTED = "文件设置了打开密码(password-protected),请在 Excel/WPS 中取消密码后重新上传"
_SPREADSHEET_EXTS = {"xlsx", "xlsm", "xls", "et", "ods", "csv", "txt", "xlsb", "xltx"}


class FileRefused(Exception):
    """A file that cannot be read at all: a stable kebab-case code and a one-line Chinese message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"FileRefused({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * MB  # a file over this is refused before reading
    max_inflated: int = 300 * MB  # sum of uncompressed zip member sizes
    max_ratio: float = 200.0  # uncompressed/compressed, per member over 1 MB and overall
    max_members: int = 10_000


_RATIO_MIN_SIZE = 1 * MB  # small members compress far better than 200:1 without harm


def sniff(data: bytes, *, name: str = "", limits: Limits = Limits()) -> str:
    """Return 'xlsx' | 'xlsm' | 'xls' | 'ods' | 'csv' judged from the bytes, or raise FileRefused."""
    check_size(len(data), limits=limits)
    _check_not_empty(data)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(data, name, limits)
    if data.startswith(olefile.MAGIC):
        return _sniff_ole(data, name)
    _refuse_known_magic(data, name)
    _refuse_markup(data, name)
    return _sniff_text(data, name)


def check_size(size: int, *, limits: Limits = Limits()) -> None:
    """Refuse by size alone, so an uploader can stop before reading the whole file."""
    if size > limits.max_bytes:
        raise FileRefused(
            "file-too-large",
            f"文件过大(约 {_mb(size)} MB,上限 {_mb(limits.max_bytes)} MB),请删除无关工作表或拆分成几个文件后上传",
        )


def decode_text(data: bytes, *, name: str = "") -> str:
    """CSV/TXT bytes to str: a BOM decides; else strict UTF-8, then GB18030. Never guesses lossily."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return codecs.decode(memoryview(data)[len(bom) :], encoding)
            except UnicodeDecodeError as exc:
                _refuse_encoding(data, exc.start + len(bom), name)
    failures: list[UnicodeDecodeError] = []
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding).removeprefix("\ufeff")  # GB18030 can carry a BOM too
        except UnicodeDecodeError as exc:
            failures.append(exc)
    _refuse_encoding(data, max(exc.start for exc in failures), name)


def describe_calamine_error(exc: Exception) -> FileRefused:
    """Map what python-calamine raised while opening or reading a workbook to a Chinese refusal.

    From bytes (``from_filelike``) calamine tries every format in turn, so any failure to open
    reads 'Cannot detect file format'; the specific errors come from ``from_path`` or from reading
    a sheet. Use as ``raise describe_calamine_error(exc) from exc``.
    """
    text = str(exc)
    if isinstance(exc, python_calamine.PasswordError):
        return FileRefused("encrypted", _ENCRYPTED)
    if isinstance(exc, python_calamine.WorksheetNotFound):
        return FileRefused("sheet-not-found", f"文件中找不到工作表“{_one_line(text)}”,请确认上传的是最新版本的报表")
    if isinstance(exc, python_calamine.ZipError):
        return FileRefused("corrupt-file", _CORRUPT)
    if isinstance(exc, python_calamine.XmlError):
        return FileRefused("corrupt-file", f"文件内容已损坏(表格内部 XML 有错),{SAVE_AS_HINT}")
    if isinstance(exc, python_calamine.CalamineError):
        if "password" in text.lower():
            return FileRefused("encrypted", _ENCRYPTED)
        if any(hint in text for hint in _CORRUPT_HINTS):
            return FileRefused("corrupt-file", _CORRUPT)
    return FileRefused("unreadable-file", f"表格无法读取(文件可能已损坏或格式特殊),{SAVE_AS_HINT}")


# Substrings of calamine 0.9 messages that mean damaged bytes rather than an unusual workbook.
_CORRUPT_HINTS = (
    "Cannot detect file format",
    "Cfb error",
    "End of stream",
    "Zip error",
    "invalid Zip archive",
    "corrupt deflate",
    "File not found",
    "Invalid",
    "EOF",
)


# --- empty, size -------------------------------------------------------------------------------

_NOT_BLANK = re.compile(rb"[^\s]")
_NOT_NUL = re.compile(rb"[^\x00]")


def _check_not_empty(data: bytes) -> None:
    if not data:
        raise FileRefused("empty-file", "文件是空的(0 字节),请检查是否上传了正确的文件")
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if _NOT_BLANK.search(data, start) is None:
        raise FileRefused("empty-file", "文件是空的(只有空白字符),请检查是否上传了正确的文件")
    if data[0] == 0 and _NOT_NUL.search(data) is None:
        raise FileRefused("corrupt-file", "文件内容全是 0 字节(可能下载/传输中断),请重新导出后上传")


def _mb(size: int) -> str:
    mb = size / MB
    return f"{mb:.0f}" if mb >= 100 or mb == int(mb) else f"{mb:.1f}"


def _one_line(text: str, limit: int = 60) -> str:
    return " ".join(text.split())[:limit]


def _what(kind: str, name: str) -> str:
    """'这是 PDF 文件', noting a spreadsheet extension that the bytes contradict."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in _SPREADSHEET_EXTS and f".{ext}" not in kind:
        return f"这是{kind}(虽然扩展名是 .{ext})"
    return f"这是{kind}"


def _not_a_spreadsheet(kind: str, name: str, advice: str = UPLOAD_HINT) -> NoReturn:
    raise FileRefused("not-a-spreadsheet", f"{_what(kind, name)},不是电子表格;{advice}")


# --- zip: xlsx, xlsm, ods, and what is not ---------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")


def _sniff_zip(data: bytes, name: str, limits: Limits) -> str:
    _check_member_count(_declared_members(data), limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        struct.error,
        UnicodeDecodeError,
        NotImplementedError,
    ) as exc:
        raise FileRefused("corrupt-file", _CORRUPT) from exc
    check_inflation(infos, limits)
    if any(info.flag_bits & 0x1 for info in infos):
        raise FileRefused("encrypted", "压缩包设置了密码,请解压并取消密码后,逐个上传表格文件")
    names = {info.filename.lower(): info for info in infos}
    with archive:
        return _classify_zip(archive, names, name)


def _classify_zip(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], name: str) -> str:
    types = _read_member(archive, names.get("[content_types].xml"), 1 * MB).lower()
    if "word/document.xml" in names or "wordprocessingml" in types:
        _not_a_spreadsheet(" Word 文档", name, "请把表格复制到 Excel/WPS 表格中另存为 .xlsx 后上传")
    if any(key.startswith("ppt/") for key in names) or "presentationml" in types:
        _not_a_spreadsheet(" PowerPoint 演示文稿", name, "请把表格复制到 Excel/WPS 表格中另存为 .xlsx 后上传")
    if "xl/workbook.bin" in names or "sheet.binary" in types:
        raise FileRefused(
            "unsupported-format",
            f"{_what(' Excel 二进制工作簿(.xlsb)', name)},暂不支持;请在 Excel 中“另存为” .xlsx 后上传",
        )
    if "xl/workbook.xml" in names or "spreadsheetml" in types:
        return "xlsm" if "xl/vbaproject.bin" in names or "macroenabled" in types else "xlsx"
    mimetype = _read_member(archive, names.get("mimetype"), 200).strip()
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if not mimetype and "office:spreadsheet" in _read_member(archive, names.get("content.xml"), 64 * 1024):
        return "ods"
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        kind = mimetype.removeprefix("application/vnd.oasis.opendocument.").split("-")[0]
        _not_a_spreadsheet(f" OpenDocument 文件({kind})", name)
    if "index/document.iwa" in names:
        raise FileRefused(
            "unsupported-format",
            f"{_what('苹果 Numbers 表格', name)},暂不支持;请在 Numbers 中“导出为” Excel(.xlsx)后上传",
        )
    tables = sum(key.rsplit(".", 1)[-1] in _SPREADSHEET_EXTS for key in names if "." in key)
    inside = f"(内含 {tables} 个表格文件)" if tables else ""
    _not_a_spreadsheet(f"普通压缩包(zip){inside}", name, UNZIP_HINT)


def _declared_members(data: bytes) -> int:
    """Member count from the end-of-central-directory record, read before zipfile parses it all."""
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - _EOCD.size - 0xFFFF))
    if pos < 0 or pos + _EOCD.size > len(data):
        return 0  # zipfile will report the damage
    total = _EOCD.unpack_from(data, pos)[4]
    locator = pos - 20
    if total == 0xFFFF and locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 40 <= len(data) and data[record : record + 4] == b"PK\x06\x06":
            (total,) = struct.unpack_from("<Q", data, record + 32)
    return total


def _check_member_count(count: int, limits: Limits) -> None:
    if count > limits.max_members:
        raise FileRefused("zip-bomb", f"文件内含 {count} 个压缩成员(上限 {limits.max_members} 个),疑似压缩炸弹,已拒收")


def check_inflation(infos: list[zipfile.ZipInfo], limits: Limits = Limits()) -> None:
    """Refuse a zip whose members inflate too far (a zip bomb), from its directory alone."""
    _check_member_count(len(infos), limits)
    inflated = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    bomb = FileRefused("zip-bomb", f"文件解压后过大(约 {_mb(inflated)} MB),疑似压缩炸弹,已拒收")
    if inflated > limits.max_inflated:
        raise bomb
    for info in infos:
        if info.file_size > _RATIO_MIN_SIZE and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise bomb
    if inflated > _RATIO_MIN_SIZE and inflated > limits.max_ratio * max(packed, 1):
        raise bomb


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, limit: int) -> str:
    """The first ``limit`` bytes of a small member as text; '' when absent."""
    if info is None:
        return ""
    try:
        with archive.open(info) as member:
            head = member.read(limit)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        struct.error,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise FileRefused("corrupt-file", _CORRUPT) from exc
    return head.decode("utf-8", errors="replace")


# --- OLE2 compound files: xls (and WPS .et), encrypted OOXML, Word, … -----------------------

_BIFF_BOF = {0x0809, 0x0409, 0x0209, 0x0009}
_BIFF_FILEPASS = 0x002F
_BIFF_BOUNDSHEET = 0x0085


def _sniff_ole(data: bytes, name: str) -> str:
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {entry.name.lower(): entry for entry in ole.root.kids}
            if {"encryptioninfo", "encryptedpackage"} <= streams.keys():
                raise FileRefused("encrypted", _ENCRYPTED)
            book = streams.get("workbook") or streams.get("book")
            if book is not None:
                head = _stream_head(ole, data, book)
                _check_biff(head)
                return "xls"
    except (OSError, ValueError, IndexError, KeyError, struct.error) as exc:  # olefile on damaged input
        raise FileRefused("corrupt-file", _CORRUPT) from exc
    if "worddocument" in streams:
        _not_a_spreadsheet(" Word 文档(.doc)", name, "请把表格复制到 Excel/WPS 表格中另存为 .xlsx 后上传")
    if "powerpoint document" in streams:
        _not_a_spreadsheet(" PowerPoint 演示文稿(.ppt)", name)
    if "__properties_version1.0" in streams:
        _not_a_spreadsheet(" Outlook 邮件(.msg)", name, "请把邮件附件中的表格保存下来再上传")
    _not_a_spreadsheet(" Office 旧格式文件,但里面没有工作簿", name)


def _stream_head(ole: olefile.OleFileIO, data: bytes, entry: olefile.olefile.OleDirectoryEntry) -> bytes:
    """The first sector of a stream, read in place: olefile.openstream would copy all of it."""
    if entry.size < ole.minisectorcutoff:
        return ole.openstream(entry.name).read(1024)
    start = (entry.isectStart + 1) * ole.sectorsize
    sectors = -(-entry.size // ole.sectorsize)
    if start + ole.sectorsize > len(data) or len(data) < (sectors + 1) * ole.sectorsize:
        raise FileRefused("corrupt-file", _CORRUPT)
    return data[start : start + min(ole.sectorsize, entry.size)]


def _check_biff(head: bytes) -> None:
    """A workbook stream starts with BOF; FILEPASS right after it means a password to open."""
    pos = 0
    for index in range(16):
        if pos + 4 > len(head):
            return
        record, size = struct.unpack_from("<HH", head, pos)
        if index == 0 and record not in _BIFF_BOF:
            raise FileRefused("corrupt-file", _CORRUPT)
        if record == _BIFF_FILEPASS:
            raise FileRefused("encrypted", _ENCRYPTED)
        if record == _BIFF_BOUNDSHEET:
            return
        pos += 4 + size


# --- other binaries by magic number ----------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", " PDF 文件", UPLOAD_HINT),
    (b"\x89PNG\r\n\x1a\n", " PNG 图片", UPLOAD_HINT),
    (b"\xff\xd8\xff", " JPEG 图片", UPLOAD_HINT),
    (b"GIF87a", " GIF 图片", UPLOAD_HINT),
    (b"GIF89a", " GIF 图片", UPLOAD_HINT),
    (b"II*\x00", " TIFF 图片", UPLOAD_HINT),
    (b"MM\x00*", " TIFF 图片", UPLOAD_HINT),
    (b"Rar!\x1a\x07", " RAR 压缩包", UNZIP_HINT),
    (b"7z\xbc\xaf\x27\x1c", " 7z 压缩包", UNZIP_HINT),
    (b"\x1f\x8b", " gzip 压缩包", UNZIP_HINT),
    (b"\xfd7zXZ\x00", " xz 压缩包", UNZIP_HINT),
    (b"\x7fELF", "程序文件", UPLOAD_HINT),
    (b"{\\rtf", " RTF 文档", "请把表格复制到 Excel/WPS 表格中另存为 .xlsx 后上传"),
)


def _refuse_known_magic(data: bytes, name: str) -> None:
    for magic, kind, advice in _MAGIC:
        if data.startswith(magic):
            _not_a_spreadsheet(kind, name, advice)
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        _not_a_spreadsheet("程序文件(.exe)", name)
    if data[4:8] == b"ftyp":
        _not_a_spreadsheet("照片或视频文件", name)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        _not_a_spreadsheet(" WebP 图片", name)


# --- HTML / XML pretending to be .xls --------------------------------------------------------

_HTML_STARTS = ("<html", "<!doctype html", "<table", "<head", "<body", "<meta", "<style")


def _refuse_markup(data: bytes, name: str) -> None:
    head = _ascii_head(data[:4096]).lstrip().lower()
    if head.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in head or "excel.sheet" in head:
            _not_a_spreadsheet(" Excel 2003 XML 表格", name, SAVE_AS_HINT)
        if "<html" not in head:
            _not_a_spreadsheet(" XML 数据文件", name, SAVE_AS_HINT)
    if head.startswith(_HTML_STARTS) or (head.startswith(("<?xml", "<!--")) and "<html" in head):
        _not_a_spreadsheet("网页(HTML)格式的伪 .xls 文件", name, SAVE_AS_HINT)
    if head.startswith("mime-version:") and "multipart/related" in head:
        _not_a_spreadsheet("网页存档(MHT)格式的伪 .xls 文件", name, SAVE_AS_HINT)


def _ascii_head(head: bytes) -> str:
    """Enough of the start to read ASCII tags, whatever the text encoding."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            usable = len(head) - (len(head) - len(bom)) % (4 if "32" in encoding else 2)
            return head[len(bom) : usable].decode(encoding, errors="replace")
    return head.decode("latin-1")


# --- text (CSV/TXT) ------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (  # UTF-32 first: its LE BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PROBE = 64 * 1024
# C0 controls other than tab, LF, VT, FF, CR and the DOS end-of-file mark: never in a real table.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")


def _sniff_text(data: bytes, name: str) -> str:
    """Any strictly decodable text without binary control bytes is a (perhaps one-column) CSV."""
    has_bom = data.startswith(tuple(bom for bom, _ in _BOMS))
    if not has_bom and _is_binary(len(_CONTROL_BYTES.findall(data, 0, _PROBE)), min(len(data), _PROBE)):
        _binary_garbage(name)
    text = decode_text(data, name=name)
    if not text.strip():
        raise FileRefused("empty-file", "文件是空的(只有空白字符),请检查是否上传了正确的文件")
    if "\x00" in text or _is_binary(len(_CONTROL_CHARS.findall(text, 0, _PROBE)), min(len(text), _PROBE)):
        _binary_garbage(name)
    return "csv"


def _is_binary(controls: int, size: int) -> bool:
    return controls > max(2, size // 200)


def _binary_garbage(name: str) -> NoReturn:
    raise FileRefused(
        "not-a-spreadsheet", f"{_what('无法识别的二进制文件', name)},不是电子表格,也可能已损坏;{UPLOAD_HINT}"
    )


def _refuse_encoding(data: bytes, position: int, name: str) -> NoReturn:
    line = data.count(b"\n", 0, position) + 1
    raise FileRefused(
        "bad-encoding",
        f"文件编码无法识别(第 {line} 行有无法解码的字符),请在 Excel/WPS 中“另存为” CSV UTF-8 或 .xlsx 后重新上传",
    )
