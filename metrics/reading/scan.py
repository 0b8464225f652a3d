"""Walking a sheet top to bottom: titles and meta lines, each table's header, its data, totals and footer."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from metrics.core.catalog import Catalog
from metrics.core.numbers import parse_number
from metrics.core.text import cell_text, normalize_label
from metrics.reading.dimensions import Meta
from metrics.reading.tables import (
    HEADER_WINDOW,
    Column,
    Table,
    _is_value_cell,
    _visible_cols,
    after_break,
    build_columns,
    dimension_role,
    fill_merges,
    find_header_block,
    find_transposed,
    is_footer,
    is_header_row,
    is_heading,
    is_lone_metric_header,
    pad_rows,
    row_texts,
    total_label,
    transposed_columns,
    value_nonempty,
)
from metrics.reading.workbook import SheetGrid

_NUMERIC_ROLES = ("metric", "value", "year-value", "unmapped", "subitem", "ratio", "unit-value", "total-value")
_LABEL_ROLES = ("agency", "region", "seq", "activity", "indicator", "date", "year", "theme", "sector", "ignore", "unit")


def scan_sheet(
    grid: SheetGrid, catalog: Catalog, *, header_rows: tuple[int, ...] | None = None
) -> tuple[list[Table], Meta]:
    """Every table on a sheet, and the sheet-level meta (the lines above the first table).

    ``header_rows`` (1-based, as the user sees them) forces the first table's header block.
    """
    fill_merges(grid)
    pad_rows(grid)
    cols = _visible_cols(grid)
    sheet_meta = Meta()
    tables: list[Table] = []
    pos = 0
    n = len(grid.rows)
    forced = [r - 1 - grid.row0 for r in header_rows] if header_rows else None
    while pos < n:
        if forced is not None and not tables:
            block = [r for r in forced if 0 <= r < n] or None
        else:
            block = find_header_block(grid, pos, pos + HEADER_WINDOW, catalog, cols)
        flip = (
            None
            if forced is not None and not tables
            else find_transposed(grid, pos, block[-1] + 1 if block else min(n, pos + HEADER_WINDOW), catalog, cols)
        )
        if flip is not None:
            meta = sheet_meta if not tables else Meta()
            _absorb_rows(meta, grid, range(pos, flip[0]), cols)
            table = Table(
                grid=grid,
                header_rows=[flip[0]],
                columns=transposed_columns(grid, *flip, catalog),
                layout="units-across",
                meta=meta,
            )
            pos = _classify_rows(table, flip[0] + 1, catalog, cols)
            tables.append(table)
            continue
        if block is None:
            if not tables:
                _absorb_rows(sheet_meta, grid, range(pos, min(n, pos + HEADER_WINDOW)), cols)
            break
        gap = _side_by_side_gap(grid, block, cols, catalog) if forced is None or tables else None
        if gap is not None:
            # Tables beside each other: each side is read as a sheet of its own from its heading down.
            top = _heading_top(grid, pos, block[0], gap)
            _absorb_rows(sheet_meta if not tables else Meta(), grid, range(pos, top), cols)
            for lo, hi in ((0, gap), (gap + 1, grid.width)):
                side_tables, _ = scan_sheet(_side_grid(grid, top, lo, hi), catalog)
                tables.extend(side_tables)
            break
        meta = sheet_meta if not tables else Meta()
        _absorb_rows(meta, grid, range(pos, block[0]), cols)
        columns, layout = build_columns(grid, block, catalog, meta.unit or sheet_meta.unit)
        _label_from_words(grid, block, columns)
        table = Table(grid=grid, header_rows=block, columns=columns, layout=layout, meta=meta)
        pos = _classify_rows(table, block[-1] + 1, catalog, cols)
        tables.append(table)
    return tables, sheet_meta


def _side_by_side_gap(grid: SheetGrid, block: list[int], cols: list[int], catalog: Catalog) -> int | None:
    """A blank column splitting a header into two tables, each with its own label and metric columns
    ('单位 | 开展活动(场) | … |   | 单位 | 检查经营主体(家次) | …'), empty all the way down."""
    rows = grid.rows
    for g in cols[1:-1]:
        if any(value_nonempty(rows[i][g]) for i in block):
            continue
        left, right = [j for j in cols if j < g], [j for j in cols if j > g]
        if not (_own_table(grid, block, left, catalog) and _own_table(grid, block, right, catalog)):
            continue
        if all(not value_nonempty(row[g]) or _spans_both(row, cols) for row in rows[block[0] :]):
            return g
    return None


def _spans_both(row: list[object], cols: list[int]) -> bool:
    """A footer or a line merged across both tables ('填表人:… 联系电话:…'): not a sign of one table."""
    texts = row_texts(row, cols)
    return len(texts) == 1 or is_footer(texts)


def _own_table(grid: SheetGrid, block: list[int], cols: list[int], catalog: Catalog) -> bool:
    """Whether a side's header names a metric and has a label column: a known dimension (单位, 项目 …) or,
    first on its side, a column holding text below the header ('检查对象': 农贸市场, 商场超市 …)."""
    row = grid.rows[block[-1]]
    filled = [j for j in cols if value_nonempty(row[j])]
    labels = [normalize_label(cell_text(row[j])) for j in filled]
    roles = {dimension_role(label) for label in labels}
    labelled = bool(roles & {"agency", "region", "activity", "indicator", "unit", "date"}) or (
        bool(filled) and _holds_text(grid, block[-1] + 1, filled[0])
    )
    return labelled and any(catalog.match_label(label).metric is not None for label in labels)


def _label_from_words(grid: SheetGrid, block: list[int], columns: list[Column]) -> None:
    """A table whose first column is headed like a metric but lists words ('检查对象': 农贸市场, 商场超市 …,
    '检查' being a word of 检查经营主体) and that has no other label column: that column labels the rows,
    so its 合计/小计 are seen as totals rather than read as data."""
    if not columns or any(c.role in ("agency", "region", "activity", "indicator") for c in columns):
        return
    first = min(columns, key=lambda c: c.index)
    unit_written = re.search(r"[((\[【]", first.label) is not None  # '检查企业(家次)' is a metric, whatever follows
    if first.role == "metric" and not unit_written and _holds_text(grid, block[-1] + 1, first.index):
        first.role, first.metric, first.unit = "activity", None, None


def _holds_text(grid: SheetGrid, start: int, col: int) -> bool:
    """Most filled cells of ``col`` from ``start`` to the first blank row (at most 20) are words, not numbers."""
    cells = []
    for row in grid.rows[start : start + 20]:
        if not any(value_nonempty(v) for v in row):
            break
        if value_nonempty(row[col]):
            cells.append(row[col])
    words = sum(parse_number(cell).kind != "number" for cell in cells)
    return bool(cells) and 2 * words > len(cells)


def _heading_top(grid: SheetGrid, start: int, header: int, gap: int) -> int:
    """The first row of side-by-side tables: their header, or the headings just above it
    ('一、宣传活动 … 二、执法检查'), which hold text on both sides of the gap."""
    top = header
    while top - 1 >= start:
        row = grid.rows[top - 1]
        if not (any(value_nonempty(v) for v in row[:gap]) and any(value_nonempty(v) for v in row[gap + 1 :])):
            break
        if any(_META_WORDS.search(cell_text(v)) for v in row if value_nonempty(v)):
            break
        top -= 1
    return top


_META_WORDS = re.compile(r"(填报|报送|填表|统计|上报)(单位|日期|时间|人)|单位[::]|(19|20)\d{2}年")


def _side_grid(grid: SheetGrid, top: int, lo: int, hi: int) -> SheetGrid:
    """Local columns [lo, hi) of the rows from ``top`` down, as a grid placed where they are on the sheet."""
    r_abs, c_abs, c_end = grid.row0 + top, grid.col0 + lo, grid.col0 + hi - 1
    merges = [
        (max(r0, r_abs), max(c0, c_abs), r1, min(c1, c_end))
        for r0, c0, r1, c1 in grid.merges
        if r1 >= r_abs and c1 >= c_abs and c0 <= c_end
    ]
    return SheetGrid(
        name=grid.name,
        rows=[row[lo:hi] for row in grid.rows[top:]],
        row0=r_abs,
        col0=c_abs,
        merges=merges,
        hidden_cols=grid.hidden_cols,
        formulas_without_value=grid.formulas_without_value,
        hidden=grid.hidden,
    )


def _absorb_rows(meta: Meta, grid: SheetGrid, rows: range, cols: list[int]) -> None:
    for i in rows:
        texts = row_texts(grid.rows[i], cols)
        if texts:
            meta.absorb(texts, f"{grid.name}!A{i + grid.row0 + 1}")


def _classify_rows(table: Table, start: int, catalog: Catalog, cols: list[int]) -> int:
    """Sort the rows under a header into data, total, sub-item, group and footer rows.

    Works column by column so a 100,000-row return costs a few vector operations: rows holding a
    number are data unless a label cell says 合计/其中/填表人; only the other rows are looked at
    one by one. Returns the row where the next table's search starts.
    """
    rows = table.grid.rows
    n = len(rows)
    numeric = [c.index for c in table.columns if c.role in _NUMERIC_ROLES]
    # 合计/其中 are looked for in the label columns and the first column, never in remarks (备注:
    # '其中网络案件1起' is a note, not a sub-item row).
    labels = [c.index for c in table.columns if c.role in _LABEL_ROLES and c.role != "ignore"]
    if not labels:
        labels = [j for j in cols if j not in numeric][:2]
    if cols and cols[0] not in labels and cols[0] not in numeric:
        labels.insert(0, cols[0])
    region = rows[start:n]
    table.region_start = start
    table.matrix = _matrix(region, table.grid.width)
    table.floats = {j: to_floats(table.matrix[:, j]) for j in numeric}
    has_float = np.zeros(len(region), dtype=bool)
    for values in table.floats.values():
        has_float |= np.isfinite(values)
    _mark_formula_rows(table, start, numeric, has_float)
    hits = _label_hits(table.matrix, labels)
    _footer_hits(table.matrix, hits)
    header_lines = [[normalize_label(cell_text(rows[h][j])) for j in cols] for h in table.header_rows]
    data = has_float.copy()
    end = len(region)
    for pos in sorted(set(np.flatnonzero(~has_float).tolist()) | set(hits)):
        i = start + pos
        row = rows[i]
        hit = hits.get(pos)
        data[pos] = False
        if hit is not None and hit[0] == "footer":
            table.meta.absorb(row_texts(row, cols), table.where(i, 0), footer=True)
            continue
        if not has_float[pos]:
            texts = row_texts(row, cols)
            if not texts:
                continue
            if not any(_is_value_cell(row[j]) for j in numeric):
                if is_footer(texts):
                    table.meta.absorb(texts, table.where(i, 0), footer=True)
                    continue
                if [normalize_label(cell_text(row[j])) for j in cols] in header_lines:
                    continue  # the header repeated at the top of each printed page
                if _starts_new_table(table, i, numeric, cols, catalog) or (
                    is_heading(texts) and _header_follows(table, i, catalog, cols)
                ):
                    end = pos
                    break
                if hit is None or hit[0] != "total":
                    table.group_rows.append(i)
                    stale = _header_like_cell(table, i, numeric)
                    if stale is not None:
                        table.stale_headers.append((i, stale))
                    continue
        if hit is None:
            data[pos] = True
        elif hit[0] == "total":
            table.total_rows.append((i, hit[1], hit[2]))
        else:
            table.subitem_rows.append(i)
    data[end:] = False
    table.data_rows = (np.flatnonzero(data) + start).tolist()
    return start + end if end < len(region) else n


def _mark_formula_rows(table: Table, start: int, numeric: list[int], has_value: np.ndarray) -> None:
    """A formula saved without its result holds a number the file does not carry: its row is data
    (to be reported cell by cell), not a label row."""
    grid = table.grid
    if not grid.formulas_without_value:
        return
    wanted = set(numeric)
    for r, c in grid.formulas_without_value:
        pos = r - grid.row0 - start
        if 0 <= pos < len(has_value) and c - grid.col0 in wanted:
            has_value[pos] = True


def _starts_new_table(table: Table, i: int, numeric: list[int], cols: list[int], catalog: Catalog) -> bool:
    """A header row under a table starts another table only if it labels the number columns; a data
    row whose numbers are blank ('区市场监管局 | 宣传活动 | | ') does not. After a blank row or a
    heading, a header naming a single metric ('检测项目 | 检测数量(台/件)') starts one too."""
    rows = table.grid.rows
    row = rows[i]
    if not any(_has_text(row[j]) for j in numeric):
        return False
    if is_header_row(row, cols, catalog):
        return True
    return after_break(rows, i, cols) and is_lone_metric_header(rows, i, cols, catalog)


def _has_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _header_like_cell(table: Table, i: int, numeric: list[int]) -> int | None:
    """The first number column holding a label in a text-only row after a blank row or heading: a
    header the reader did not take as one, so the rows below are read under an older header."""
    rows = table.grid.rows
    row = rows[i]
    labels = [j for j in numeric if _has_text(row[j]) and parse_number(row[j]).kind == "invalid"]
    if not labels or len(row_texts(row, range(table.grid.width))) < 2:
        return None  # one text, even merged across: a group heading ('二、乡镇'), not a header
    return labels[0] if after_break(rows, i, list(range(table.grid.width))) else None


_FOOTER_ANYWHERE = re.compile(r"^(填表人|填报人|制表人|制表|审核人|负责人|联系人|联系电话|电话|手机|单位负责人|统计人)")
_FOOTER_TAIL = 30


def _footer_hits(matrix: np.ndarray, hits: dict[int, tuple[str, str, int]]) -> None:
    """Footer lines among the last rows, wherever their words stand ('(blank) | 联系电话: | 138…'):
    the phone number beside them is not a count."""
    first = max(0, len(matrix) - _FOOTER_TAIL)
    for pos in range(first, len(matrix)):
        if pos in hits:
            continue
        for j, value in enumerate(matrix[pos]):
            if value.__class__ is str and _FOOTER_ANYWHERE.match(normalize_label(value)):
                hits[pos] = ("footer", value, j)
                break


def _matrix(region: list[list[object]], width: int) -> np.ndarray:
    """The rows under a header as one 2-d object array (columns are then free views)."""
    matrix = np.empty((len(region), width), dtype=object)
    if region:
        matrix[:] = region
    return matrix


def to_floats(cells) -> np.ndarray:
    """Plain numbers of a column as floats, NaN elsewhere (text cells are parsed later, one by one)."""
    return pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)


def _label_hits(matrix: np.ndarray, labels: list[int]) -> dict[int, tuple[str, str, int]]:
    """Row position → ('total'|'subitem'|'footer', text, column), judged once per distinct label."""
    hits: dict[int, tuple[str, str, int]] = {}
    for j in labels:
        column = matrix[:, j].tolist()
        kinds = {v: kind for v in set(column) if v.__class__ is str and (kind := _label_kind(v)) is not None}
        if not kinds:
            continue
        for pos, value in enumerate(column):
            if value in kinds:
                kind = kinds[value]
                hits.setdefault(pos, (kind[0], kind[1], j))
    return hits


def _label_kind(value: object) -> tuple[str, str] | None:
    """('total', label) for 合计/小计, ('subitem', text) for 其中 rows, ('footer', text) for 填表人 lines."""
    if value.__class__ is not str or not value:
        return None
    label = total_label(value)
    if label:
        return ("total", label)
    head = value.lstrip()[:6]
    if head.startswith("其中") or head.startswith("其 中"):
        return ("subitem", value)
    if is_footer([value]) and len(value) > 2:
        return ("footer", value)
    return None


def _header_follows(table: Table, i: int, catalog: Catalog, cols: list[int]) -> bool:
    rows = table.grid.rows
    return any(
        is_header_row(rows[k], cols, catalog) or is_lone_metric_header(rows, k, cols, catalog)
        for k in range(i + 1, min(i + 4, len(rows)))
    )


__all__ = ["scan_sheet"]


def scan_fixed(grid: SheetGrid, catalog: Catalog, header_row: int, columns: list[Column]) -> tuple[list[Table], Meta]:
    """A sheet whose header row (0-based, in ``grid.rows``) and columns are known, as in a returned
    template: only the rows under the header are sorted (data, 合计, footer); nothing is guessed."""
    fill_merges(grid)
    pad_rows(grid)
    cols = _visible_cols(grid)
    meta = Meta()
    _absorb_rows(meta, grid, range(0, header_row), cols)
    table = Table(grid=grid, header_rows=[header_row], columns=columns, layout="wide", meta=meta)
    _classify_rows(table, header_row + 1, catalog, cols)
    return [table], meta
