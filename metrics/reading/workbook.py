"""Reading a spreadsheet's bytes into plain grids of cells, with merges, hidden columns and formulas known."""

from __future__ import annotations

import csv
import io
import re
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import cast

import olefile
import python_calamine

from metrics.reading.sniff import FileRefused, decode_text, describe_calamine_error

Merge = tuple[int, int, int, int]  # r0, c0, r1, c1 — absolute, 0-based, inclusive


@dataclass(slots=True)
class SheetGrid:
    """One sheet as rows of cell values; ``row0``/``col0`` give the absolute position of ``rows[0][0]``."""

    name: str
    rows: list[list[object]]
    row0: int = 0
    col0: int = 0
    merges: list[Merge] = field(default_factory=list)
    hidden_cols: set[int] = field(default_factory=set)  # absolute column indices
    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)  # absolute (row, col)
    hidden: bool = False
    _width: int = -1

    @property
    def width(self) -> int:
        """Columns in the widest row (cached: rows are padded to it before tables are read)."""
        if self._width < 0:
            self._width = max(map(len, self.rows), default=0)
        return self._width


def read_grids(data: bytes, fmt: str, *, name: str = "") -> list[SheetGrid]:
    """All sheets of a file whose format ``sniff`` decided; raises FileRefused when it cannot be read."""
    if fmt == "csv":
        return [_read_csv(data, name)]
    details: dict[str, tuple[set[int], set[tuple[int, int]]]] = {}
    # The sheet XML scan (hidden columns, formulas) runs beside calamine, which releases the GIL.
    scanner = (
        threading.Thread(target=_xlsx_details, args=(data, details), daemon=True) if fmt in ("xlsx", "xlsm") else None
    )
    if scanner is not None:
        scanner.start()
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = [
            _read_sheet(book, meta)
            for meta in book.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
    except FileRefused:
        raise
    except Exception as exc:  # calamine raises its own classes and plain ValueErrors
        raise describe_calamine_error(exc) from exc
    finally:
        if scanner is not None:
            scanner.join()
    for grid in grids:
        if grid.name in details:
            grid.hidden_cols, grid.formulas_without_value = details[grid.name]
    if fmt in ("xls", "ods"):
        hidden = _xls_hidden_columns(data) if fmt == "xls" else _ods_hidden_columns(data)
        for grid in grids:
            grid.hidden_cols = hidden.get(grid.name, set())
    return grids


def _read_sheet(book: python_calamine.CalamineWorkbook, meta) -> SheetGrid:
    sheet = book.get_sheet_by_name(meta.name)
    # Widened to object: merges and padding later write None and text into the rows.
    rows = cast(list[list[object]], sheet.to_python(skip_empty_area=True))
    start = sheet.start or (0, 0)
    merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
    return SheetGrid(
        name=meta.name,
        rows=rows,
        row0=start[0],
        col0=start[1],
        merges=merges,
        hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible,
    )


def _read_csv(data: bytes, name: str) -> SheetGrid:
    text = decode_text(data, name=name)
    delimiter = _delimiter(text[:20000])
    rows: list[list[object]] = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    stem = re.sub(r"\.[^.]*$", "", name.rsplit("/", 1)[-1]) or "csv"
    return SheetGrid(name=stem, rows=rows)


def _delimiter(sample: str) -> str:
    """The separator that splits the sample's lines most evenly (a ';' file whose remarks hold many
    '，' is still a ';' file); the most frequent one when none is even."""
    lines = [line for line in sample.splitlines()[:200] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (",", "\t", ";", "，", "|"):
        counts = [line.count(delimiter) for line in lines]
        if not any(counts):
            continue
        common = max(set(c for c in counts if c), key=counts.count)
        score = (counts.count(common), sample.count(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


# ---- xlsx details calamine does not expose: hidden columns, formulas, sheet XML paths --------

_SHEET_ENTRY = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]+)"', re.S)
_SHEET_ENTRY_ALT = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"[^>]*?\bname="([^"]*)"', re.S)
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"', re.S)
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"', re.S)
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)/?>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CHUNK = 1 << 20


def _xlsx_details(data: bytes, out: dict[str, tuple[set[int], set[tuple[int, int]]]]) -> None:
    """Sheet name → (hidden columns, formula cells without a cached value). A damaged part is skipped:
    calamine, reading the same bytes, reports the damage."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            full_calc = "xl/workbook.xml" in names and b"fullCalcOnLoad" in zf.read("xl/workbook.xml")
            for sheet_name, path in _sheet_paths(zf).items():
                if path in names:
                    out[sheet_name] = _scan_sheet_xml(zf, path, full_calc)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError, zlib.error):
        return


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → member path, from workbook.xml and its relationships."""
    try:
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {rid: target for rid, target in _REL.findall(rels)}
    targets.update({rid: target for target, rid in _REL_ALT.findall(rels)})
    entries = {rid: sheet_name for sheet_name, rid in _SHEET_ENTRY.findall(workbook)}
    entries.update({rid: sheet_name for rid, sheet_name in _SHEET_ENTRY_ALT.findall(workbook)})
    paths = {}
    for rid, sheet_name in entries.items():
        target = targets.get(rid)
        if target is None:
            continue
        target_s = target.decode("utf-8")
        member = target_s.lstrip("/") if target_s.startswith("/") else "xl/" + target_s
        paths[_xml_unescape(sheet_name.decode("utf-8"))] = member
    return paths


def _xml_unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _scan_sheet_xml(zf: zipfile.ZipFile, path: str, full_calc: bool) -> tuple[set[int], set[tuple[int, int]]]:
    """Hidden columns from <cols>; formula cells whose cached value is missing (or a script's placeholder 0).

    The sheet XML is streamed once to look for a ``<f`` tag; only a sheet with formulas is parsed for them.
    """
    head = b""
    has_formula = False
    tail = b""
    with zf.open(path) as fh:
        while chunk := fh.read(_CHUNK):
            if len(head) < 65536:
                head += chunk[: 65536 - len(head)]
            window = tail + chunk
            if b"<f>" in window or b"<f " in window or b":f>" in window or b":f " in window:
                has_formula = True
                break
            tail = chunk[-8:]
    hidden: set[int] = set()
    cols_end = head.find(b"</cols>")
    if cols_end > 0:
        for attrs in _COL.findall(head[:cols_end]):
            values = dict(_ATTR.findall(attrs))
            if values.get(b"hidden") in (b"1", b"true"):
                lo, hi = int(values.get(b"min", b"1")), int(values.get(b"max", b"1"))
                hidden.update(range(lo - 1, min(hi, lo + 16383)))
    missing: set[tuple[int, int]] = set()
    if has_formula:
        for ref, cached in _formula_cells(zf.read(path)):
            # Scripts (xlsxwriter) write 0 as a placeholder and ask Excel to recalculate on open.
            if cached == b"" or (full_calc and cached == b"0"):
                found = _REF.search(ref)
                if found:
                    missing.add((int(found.group(2)) - 1, _col_index(found.group(1).decode())))
    return hidden, missing


def _formula_cells(xml: bytes):
    """(cell start tag, cached value) of every cell holding a formula."""
    pos = xml.find(b"<f")
    while pos != -1:
        if xml[pos + 2 : pos + 3] in (b">", b" ", b"/"):
            start = xml.rfind(b"<c ", 0, pos)
            end = xml.find(b"</c>", pos)
            if start == -1 or end == -1:
                return
            cell = xml[start:end]
            value = _VALUE.search(cell)
            yield cell[: cell.find(b">") + 1], (value.group(1) if value else b"")
            pos = xml.find(b"<f", end)
        else:
            pos = xml.find(b"<f", pos + 2)


# ---- hidden columns of legacy .xls (BIFF8 COLINFO records) and .ods (table:visibility) ---------

_BOF, _EOF, _BOUNDSHEET, _COLINFO = 0x0809, 0x000A, 0x0085, 0x007D


def _xls_hidden_columns(data: bytes) -> dict[str, set[int]]:
    """Sheet name → hidden column indices, from the COLINFO records of each sheet's substream."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            name = "Workbook" if ole.exists("Workbook") else "Book"
            stream = ole.openstream(name).read()
    except (OSError, ValueError, struct.error):
        return {}
    sheet_at: dict[int, str] = {}
    hidden: dict[str, set[int]] = {}
    current: str | None = None
    pos = 0
    while pos + 4 <= len(stream):
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if rtype == _BOUNDSHEET and len(body) >= 8:
            offset = struct.unpack_from("<I", body, 0)[0]
            sheet_at[offset] = _biff_string(body[6:])
        elif rtype == _BOF:
            current = sheet_at.get(pos)
        elif rtype == _EOF:
            current = None
        elif rtype == _COLINFO and current is not None and len(body) >= 10:
            first, last, _, _, options = struct.unpack_from("<HHHHH", body, 0)
            if options & 1:
                hidden.setdefault(current, set()).update(range(first, min(last, first + 1024) + 1))
        pos += 4 + length
    return hidden


def _biff_string(body: bytes) -> str:
    """A BIFF8 short string: length byte, flags byte (bit 0: UTF-16), characters."""
    if len(body) < 2:
        return ""
    count, flags = body[0], body[1]
    if flags & 1:
        return body[2 : 2 + 2 * count].decode("utf-16-le", errors="replace")
    return body[2 : 2 + count].decode("latin-1")


_ODS_TABLE = re.compile(rb'<table:table\b[^>]*?table:name="([^"]*)"')
_ODS_COLUMN = re.compile(rb"<table:table-column\b([^>]*)/?>")
_ODS_ROW = re.compile(rb"<table:table-row\b")
_ODS_ATTR = re.compile(rb'([\w-]+)="([^"]*)"')


def _ods_hidden_columns(data: bytes) -> dict[str, set[int]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            content = zf.read("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error):
        return {}
    hidden: dict[str, set[int]] = {}
    tables = list(_ODS_TABLE.finditer(content))
    for k, table in enumerate(tables):
        end = tables[k + 1].start() if k + 1 < len(tables) else len(content)
        first_row = _ODS_ROW.search(content, table.end(), end)
        head = content[table.end() : first_row.start() if first_row else end]
        col = 0
        for attrs in _ODS_COLUMN.findall(head):
            values = dict(_ODS_ATTR.findall(attrs.replace(b"table:", b"")))
            repeat = min(int(values.get(b"number-columns-repeated", b"1")), 1024)
            if values.get(b"visibility") in (b"collapse", b"filter"):
                hidden.setdefault(_xml_unescape(table.group(1).decode("utf-8")), set()).update(range(col, col + repeat))
            col += repeat
    return hidden


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1
