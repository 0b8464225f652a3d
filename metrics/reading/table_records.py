"""Turning a found table into records: numbers parsed and scaled, rows given their agency, year and date."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.core.catalog import Catalog
from metrics.core.issues import IssueSink
from metrics.core.numbers import multiplier_of, parse_number
from metrics.core.record import Coded, object_array
from metrics.core.text import cell_text, normalize_label
from metrics.reading import checks
from metrics.reading.cells import Parsed, parse_cells, scaled
from metrics.reading.dimensions import canonical_sector, to_iso_date
from metrics.reading.tables import Column, Table, year_header

_DIM_FIELDS = ("agency", "region_text", "year", "date", "activity", "theme", "sector")
_REGION_FIELDS = ("province", "city", "district", "adcode")
Enrich = Callable[[dict[str, np.ndarray]], None]


@dataclass(slots=True)
class TableDefaults:
    agency: str | None
    year: int | None
    theme: str | None
    region_text: str | None = None
    sector: str | None = None
    forced: frozenset[str] = frozenset()  # fields the user set: they win over the table's own columns


def extract_table(
    table: Table, defaults: TableDefaults, catalog: Catalog, sink: IssueSink, enrich: Enrich
) -> dict[str, np.ndarray]:
    """Columns of records (plus ``region_text``) for one table; problems go to ``sink``.

    ``enrich`` adds region, sector and theme to a dict of dimension arrays (with ``row``/``col`` for
    positions); it runs on per-row dimensions of wide tables, before they are spread over records.
    """
    if not table.data_rows and table.total_rows:
        sink.add(
            "total-only",
            "info",
            table.where(table.total_rows[0][0], table.total_rows[0][2]),
            "表中只有合计行,没有分项数据;已按合计行读取",
            value=table.total_rows[0][1],
        )
        subs = [t for t in table.total_rows if "小计" in t[1]]
        used = subs or table.total_rows[-1:]  # 小计 rows are the parts; a lone 合计 is the whole
        table.data_rows = [r for r, _, _ in used]
        table.total_rows = [t for t in table.total_rows if t not in used]
    _report_stale_headers(table, sink)
    if table.layout == "wide":
        return _extract_wide(table, defaults, catalog, sink, enrich)
    arrays = _extract_rowwise(table, defaults, catalog, sink)
    if arrays:
        enrich(arrays)
    return arrays


def _report_stale_headers(table: Table, sink: IssueSink) -> None:
    """A header-like row the reader could not take as a header: the numbers under it are read with
    the header further up, which may be the wrong one; say so at the cell."""
    for i, j in table.stale_headers:
        below = [r for r in table.data_rows if r > i]
        if not below:
            continue
        nxt = next((r for r, _ in table.stale_headers if r > i), None)
        count = len([r for r in below if nxt is None or r < nxt])
        if not count:
            continue
        header = "/".join(dict.fromkeys(c.label for c in table.columns if c.role == "metric" and c.label))
        sink.add(
            "header-not-nearest",
            "warning",
            table.where(i, j),
            f"第 {i + table.grid.row0 + 1} 行“{cell_text(table.grid.rows[i][j])}”像是表头,但未能识别;"
            f"其下 {count} 行仍按上方表头({header})读取,可能不对;请核实,或把它做成单独的表/在上传页指定表头行",
            value=cell_text(table.grid.rows[i][j]),
        )


# ---- wide tables: one row per agency or activity, one column per metric -------------------------


def _row_dims(table: Table, defaults: TableDefaults, rows: list[int]) -> dict[str, Coded]:
    """Per data row: agency, region text, year, date, activity, theme, sector (each distinct cell read once)."""
    n = len(rows)

    def column_text(role: str) -> Coded | None:
        cols = table.by_role(role)
        if not cols:
            return None
        texts = [_per_distinct(table.column(c.index, rows), lambda v: normalize_label(cell_text(v))) for c in cols]
        if len(texts) == 1:
            return texts[0]
        joined = ["".join(p or "" for p in parts) for parts in zip(*(t.decode().tolist() for t in texts))]
        return Coded.encode(object_array(joined))

    agency = _fill_down(column_text("agency"))
    region = _fill_down(column_text("region")) or _group_places(table, rows)
    dims: dict[str, Coded] = {}
    if agency is None and region is not None and (defaults.agency is None or _names_bodies(region)):
        # a summary by district: each row is that district's return; a column of town governments
        # ('分水镇人民政府') names the reporting units even under a 填报单位 line (the collecting office)
        agency = region
    dims["agency"] = _with_default(agency, defaults.agency, n)
    dims["region_text"] = _with_default(region, defaults.region_text, n)
    year_col = table.first("year")
    years = _per_distinct(table.column(year_col.index, rows), year_header) if year_col else None
    dims["year"] = _with_default(years, defaults.year, n)
    date_col = table.first("date")
    if date_col is not None:
        dates = _per_distinct(table.column(date_col.index, rows), lambda c: to_iso_date(c, defaults.year))
        dims["date"] = dates
        if None in dims["year"].values.tolist():  # a year from the date where nothing else gives one
            year_of_date = dates.map_values(lambda d: int(d[:4]) if d else None).decode()
            years_now = dims["year"].decode()
            dims["year"] = Coded.encode(
                object_array([y if y is not None else d for y, d in zip(years_now.tolist(), year_of_date.tolist())])
            )
    else:
        dims["date"] = Coded.constant(n, None)
    dims["activity"] = _with_default(column_text("activity"), None, n)
    dims["theme"] = _with_default(column_text("theme"), defaults.theme, n)
    sectors = column_text("sector")
    dims["sector"] = _with_default(sectors.map_values(canonical_sector) if sectors else None, defaults.sector, n)
    for name in defaults.forced:
        dims[name] = Coded.constant(n, getattr(defaults, name))
    return dims


_BODY = re.compile(r"(人民政府|政府|办事处|管委会|委员会|居委会|村委会|局|所|站|中心|协会|消委会|消协|消保委)$")


def _names_bodies(column: Coded) -> bool:
    """Whether most names in a place column are bodies ('城南街道办事处'), not bare places ('城南街道')."""
    names = [v for v in column.values.tolist() if isinstance(v, str) and v]
    return bool(names) and sum(bool(_BODY.search(v)) for v in names) * 2 > len(names)


_GROUP_LABEL = re.compile(r"^(.{2,12}?)(小计|合计)")


def _group_places(table: Table, rows: list[int]) -> Coded | None:
    """'柯城区小计' over or under its rows: the place it names is where those rows are."""
    groups = [
        (r, m.group(1)) for r, label, _ in table.total_rows if (m := _GROUP_LABEL.match(label)) and "小计" in label
    ]
    if not groups or not rows:
        return None
    above = groups[0][0] < rows[0]
    places: list[str | None] = []
    for r in rows:
        if above:
            place = next((name for t, name in reversed(groups) if t < r), None)
        else:
            place = next((name for t, name in groups if t > r), None)
        places.append(place)
    if all(p is None for p in places):
        return None
    return Coded.encode(object_array(places))


def _fill_down(column: Coded | None) -> Coded | None:
    """A unit's name typed once with the cells below left blank: the blank rows are that unit's."""
    if column is None or not any(v in ("", None) for v in column.values.tolist()):
        return column
    filled = pd.Series(column.decode()).replace("", None).ffill()
    return Coded.encode(object_array(filled.tolist()))


def _per_distinct(cells: np.ndarray, convert) -> Coded:
    """``convert`` applied once per distinct cell value."""
    return Coded.encode(cells).map_values(lambda v: None if v is None else convert(v))


def _with_default(values: Coded | None, default: object, n: int) -> Coded:
    """Empty cells ('' or none) take the table's default (from the meta lines, the sheet name …)."""
    if values is None:
        return Coded.constant(n, default)
    return values.map_values(lambda v: default if v in ("", None) else v)


def _extract_wide(
    table: Table, defaults: TableDefaults, catalog: Catalog, sink: IssueSink, enrich: Enrich
) -> dict[str, np.ndarray]:
    grid = table.grid
    rows = table.data_rows
    n = len(rows)
    if not n:
        return {}
    dims = _row_dims(table, defaults, rows)
    keep = checks.dedupe(table, rows, sink, owner=dims["agency"].codes)
    pos_of_row = {r: k for k, r in enumerate(rows)} if grid.formulas_without_value else {}
    column_values: dict[int, np.ndarray] = {}
    pieces: list[_Piece] = []
    item = _item_column(table, rows)
    for col in table.columns:
        if item is not None and col is item[0]:
            continue  # the goods' names: the 数量 column carries their metric
        if item is not None and col is item[1]:
            _item_piece(table, item, rows, keep, pos_of_row, pieces, column_values, sink)
            continue
        if col.role in ("unmapped", "ratio", "value") and col.label:
            checks.report_unmapped(table, col, rows, sink)
        if col.role == "subitem" and col.part_of is not None:
            owner = next((c.label for c in table.columns if c.index == col.part_of), None)
            of = f"“{owner}”的一部分" if owner else "其中项"
            sink.add(
                "subitem-group",
                "warning",
                table.where(table.header_rows[-1], col.index),
                f"“{col.label}”列在“其中”之下,按{of}读取,不重复计入;如它不是其中项,请在上传页指定该列对应的指标",
                value=col.label,
            )
        elif col.role == "subitem":
            sink.add(
                "subitem-column",
                "info",
                table.where(table.header_rows[-1], col.index),
                f"“{col.label}”是其中项,已包含在上一列中,不重复计入",
                value=col.label,
            )
        if col.role != "metric" or col.metric is None:
            continue
        cells = table.column(col.index, rows)
        parsed = parse_cells(cells, table.column_floats(col.index, rows))
        if _mostly_text(parsed):
            sink.add(
                "text-column",
                "warning",
                table.where(table.header_rows[-1], col.index),
                f"“{col.label}”列大多是文字而不是数字,未作为指标读取;如确是指标,请改为数字后重新上传",
                value=col.label,
            )
            continue
        values = scaled(parsed, col.multiplier)
        checks.report_cells(table, col, rows, parsed, sink)
        checks.drop_formulas(table, col, pos_of_row, values, sink)
        column_values[col.index] = values
        units = _units_for(col, parsed, n, table, rows, sink)
        checks.check_values(table, col.metric, col, rows, values, sink)
        idx = np.flatnonzero(np.isfinite(values) & keep)
        pieces.append((col, idx, values, parsed, units))
    checks.check_resolved(table, rows, column_values, sink)
    checks.check_totals(table, rows, keep, column_values, sink)
    if not pieces:
        return {}
    row_abs = np.asarray(rows, dtype=np.int64) + grid.row0
    label_col = next((c.index for c in table.columns if c.role == "agency"), pieces[0][0].index)
    dims_and_where: dict = dict(dims, row=row_abs, col=np.full(n, label_col + grid.col0, dtype=np.int64))
    enrich(dims_and_where)
    return _assemble(pieces, dims_and_where, row_abs, grid.col0)


# A metric column's records: (the column, positions of its kept rows, its values, its cells, its unit or units)
_Piece = tuple[Column, np.ndarray, np.ndarray, Parsed, np.ndarray | str]


def _assemble(pieces: list[_Piece], dims: dict, row_abs: np.ndarray, col0: int) -> dict:
    """Record columns from per-metric-column pieces: row dimensions are gathered once, as codes."""
    if not pieces:
        return {}
    counts = [len(idx) for _, idx, _, _, _ in pieces]
    pos = np.concatenate([idx for _, idx, _, _, _ in pieces])
    total = len(pos)
    taken: dict[int, np.ndarray] = {}  # several dimensions share one code array: gather it once
    zeros = np.zeros(total, dtype=np.int32)  # shared by every one-valued dimension (never written to)

    def take(coded: Coded) -> Coded:
        if len(coded.values) == 1:
            return Coded(zeros, coded.values)
        if id(coded.codes) not in taken:
            taken[id(coded.codes)] = coded.codes[pos]
        return Coded(taken[id(coded.codes)], coded.values)

    out: dict = {name: take(dims[name]) for name in (*_DIM_FIELDS, *_REGION_FIELDS) if name in dims}
    piece_codes = np.repeat(np.arange(len(pieces), dtype=np.int32), counts)
    metric_ids = []
    for col, *_ in pieces:
        assert col.metric is not None  # pieces are made of metric columns only
        metric_ids.append(col.metric.id)
    out["metric"] = Coded(piece_codes, object_array(metric_ids))
    out["col"] = np.repeat(np.array([c.index + col0 for c, *_ in pieces], dtype=np.int64), counts)
    out["row"] = row_abs[pos]
    out["value"] = np.concatenate([values[idx] for _, idx, values, _, _ in pieces])
    if all(isinstance(units, str) for *_, units in pieces):
        out["unit"] = Coded(piece_codes, object_array([units for *_, units in pieces]))
    else:
        out["unit"] = Coded.encode(
            np.concatenate(
                [
                    np.repeat(object_array([units]), len(idx)) if isinstance(units, str) else units[idx]
                    for _, idx, _, _, units in pieces
                ]
            )
        )
    out["cell_value"] = np.concatenate([parsed.values[idx] for _, idx, _, parsed, _ in pieces])
    if all(parsed.raw is None for _, _, _, parsed, _ in pieces):
        out["approx"] = out["raw"] = Coded.constant(total, None)
        return out
    out["approx"] = np.empty(total, dtype=object)
    out["raw"] = np.empty(total, dtype=object)
    offset = 0
    for (_, idx, _, parsed, _), count in zip(pieces, counts):
        approx, raw = parsed.text_detail(idx)
        if raw is not None:
            out["approx"][offset : offset + count] = approx
            out["raw"][offset : offset + count] = raw
            out["cell_value"][offset : offset + count][raw != None] = np.nan  # noqa: E711
        offset += count
    return out


def _item_column(table: Table, rows: list[int]) -> tuple[Column, Column, Column | None] | None:
    """(item, quantity, unit) columns of a list of goods: '销毁物品 | 数量 | 计量单位'.

    The item column's header names the metric (销毁物品 → destroyed_qty) but holds names, not numbers.
    """
    value = table.first("value")
    if value is None:
        return None
    for col in table.columns:
        if col.role == "metric" and col.metric is not None:
            parsed = parse_cells(table.column(col.index, rows), table.column_floats(col.index, rows))
            if _mostly_text(parsed):
                return col, value, table.first("unit")
    return None


def _item_piece(
    table: Table,
    item: tuple[Column, Column, Column | None],
    rows: list[int],
    keep: np.ndarray,
    pos_of_row: dict[int, int],
    pieces: list[_Piece],
    column_values: dict[int, np.ndarray],
    sink: IssueSink,
) -> None:
    """Records from the quantity column of a goods list, each in the unit written beside it."""
    item_col, value_col, unit_col = item
    metric = item_col.metric
    assert metric is not None
    parsed = parse_cells(table.column(value_col.index, rows), table.column_floats(value_col.index, rows))
    unit_texts = (
        _per_distinct(table.column(unit_col.index, rows), lambda v: normalize_label(cell_text(v)))
        if unit_col is not None
        else Coded.constant(len(rows), "")
    )
    scale = unit_texts.map_values(lambda u: multiplier_of(u)[0] if u else 1.0).decode().astype(float)
    named = unit_texts.map_values(lambda u: (multiplier_of(u)[1] or "") if u else "").decode()
    values = parsed.values.copy()
    if parsed.own_scale is not None:
        scale[parsed.own_scale] = 1.0
    values = np.round(values * scale, 6)
    column = Column(value_col.index, f"{item_col.label}/{value_col.label}", "metric", metric=metric)
    checks.report_cells(table, column, rows, parsed, sink)
    checks.drop_formulas(table, column, pos_of_row, values, sink)
    column_values[value_col.index] = values
    units: np.ndarray | str
    if metric.kind == "quantity":
        units = object_array([parsed.units.get(k) or named[k] for k in range(len(rows))])
        if any(u == "" for u, v in zip(units.tolist(), values.tolist()) if v == v):
            sink.add(
                "missing-unit",
                "warning",
                table.where(table.header_rows[-1], value_col.index),
                f"“{column.label}”有的数量没有计量单位,不同单位的数量不能相加;请补上单位",
                value=column.label,
            )
        checks.check_values(table, metric, column, rows, values, sink)
    else:
        units = metric.unit
        checks.check_values(table, metric, column, rows, values, sink)
    pieces.append((column, np.flatnonzero(np.isfinite(values) & keep), values, parsed, units))


def _mostly_text(parsed: Parsed) -> bool:
    numbers = int(np.isfinite(parsed.values).sum())
    return len(parsed.invalid) > 0 and numbers == 0 and len(parsed.invalid) >= 2


def _units_for(col: Column, parsed: Parsed, n: int, table: Table, rows: list[int], sink: IssueSink) -> np.ndarray | str:
    """The unit of each value: one string for the whole column, or per cell for destroyed goods."""
    metric = col.metric
    assert metric is not None
    if metric.kind != "quantity":
        return metric.unit
    if not parsed.units:
        units: np.ndarray | str = col.unit or ""
    else:
        units = np.repeat(object_array([col.unit or ""]), n)
        for pos, unit in parsed.units.items():
            units[pos] = unit
    if not col.unit and len(parsed.units) < int(np.isfinite(parsed.values).sum()):
        sink.add(
            "missing-unit",
            "warning",
            table.where(table.header_rows[-1], col.index),
            f"“{col.label}”没有写计量单位(条/千克/件…),不同单位的数量不能相加;请在表头注明单位",
            value=col.label,
        )
    return units


def _extract_rowwise(table: Table, defaults: TableDefaults, catalog: Catalog, sink: IssueSink) -> dict[str, np.ndarray]:
    grid = table.grid
    indicator = table.first("indicator")
    unit_col = table.first("unit")
    across = table.layout == "units-across"
    value_cols = (
        table.by_role("year-value")
        if table.layout == "years-across"
        else table.by_role("unit-value")
        if across
        else table.by_role("value")
    )
    if across and indicator is not None:
        _report_orientation(table, indicator, sink)
    if indicator is None or not value_cols:
        return {}
    rows = table.data_rows
    dims = {name: coded.decode() for name, coded in _row_dims(table, defaults, rows).items()}
    out: dict[str, list] = {
        name: [] for name in (*_DIM_FIELDS, "metric", "value", "unit", "approx", "raw", "row", "col", "cell_value")
    }
    seen: dict[tuple, int] = {}
    row_sum: dict[int, tuple[float, float]] = {}  # units-across: (sum over the unit columns, multiplier) per row
    seq_cols = {c.index for c in table.columns if c.role in ("seq", "hidden")}
    for pos, i in enumerate(rows):
        row = grid.rows[i]
        label = cell_text(row[indicator.index])
        unit_text = normalize_label(cell_text(row[unit_col.index])) if unit_col is not None else ""
        match = catalog.match_label(f"{label}({unit_text})" if unit_text else label)
        if match.metric is None:
            if not match.ratio and any(_has_number(row[c.index]) for c in value_cols):
                sink.add(
                    "unmapped-indicator",
                    "warning",
                    table.where(i, indicator.index),
                    f"指标“{label}”对应不到任何指标,未计入;请在上传页指定它对应的指标",
                    value=label,
                )
            continue
        metric = match.metric
        for col in value_cols:
            parsed = parse_cells([row[col.index]])
            approx0, raw0 = parsed.text_detail(np.array([0]))
            approx0 = approx0[0] if approx0 is not None else None
            raw0 = raw0[0] if raw0 is not None else None
            if parsed.invalid:
                sink.add(
                    "not-a-number",
                    "error",
                    table.where(i, col.index),
                    f"“{label}”应填数字,这里是“{parsed.invalid[0][1].raw}”,未计入;请改为数字",
                    value=parsed.invalid[0][1].raw,
                )
            if parsed.redacted:
                sink.add(
                    "redacted-value",
                    "warning",
                    table.where(i, col.index),
                    f"“{label}”的数字是待填/隐去的,未计入;请补上实际数字",
                    value=str(raw0),
                )
            if (i + grid.row0, col.index + grid.col0) in grid.formulas_without_value:
                sink.add(
                    "formula-no-value",
                    "error",
                    table.where(i, col.index),
                    "单元格是公式,但文件里没有保存计算结果,未计入;请在 Excel/WPS 中打开并保存后再上传",
                )
                continue
            value = float(scaled(parsed, match.multiplier)[0])
            if not math.isfinite(value):
                continue
            year = col.year if col.year is not None else dims["year"][pos]
            if col.year_offset is not None and year is not None:
                year = int(year) + col.year_offset
            # the same whole row again (序号 aside), for the same unit: a copied line
            key = (tuple(v for j, v in enumerate(row) if j not in seq_cols), col.index, dims["agency"][pos])
            if key in seen:
                sink.add(
                    "duplicate-row",
                    "warning",
                    table.where(i, indicator.index),
                    f"第 {i + grid.row0 + 1} 行与第 {seen[key] + grid.row0 + 1} 行重复,只计一次",
                    value=label,
                )
                continue
            seen[key] = i
            if across:
                row_sum[pos] = (row_sum.get(pos, (0.0, match.multiplier))[0] + value, match.multiplier)
            unit = metric.unit if metric.kind != "quantity" else (parsed.units.get(0) or match.unit or "")
            checks.check_values(table, metric, Column(col.index, label, "metric", metric), [i], np.array([value]), sink)
            for name in _DIM_FIELDS:
                out[name].append(year if name == "year" else dims[name][pos])
            if across and "agency" not in defaults.forced:
                out["agency"][-1] = normalize_label(col.label)  # each column is a unit's return
            out["metric"].append(metric.id)
            out["value"].append(value)
            out["unit"].append(unit)
            out["approx"].append(approx0)
            out["raw"].append(raw0)
            out["cell_value"].append(parsed.values[0] if raw0 is None else np.nan)
            out["row"].append(i + grid.row0)
            out["col"].append(col.index + grid.col0)
    if across:
        checks.check_total_columns(table, indicator, rows, row_sum, sink)
    if not out["value"]:
        return {}
    checks.check_resolved_rowwise(table, out, sink)
    arrays: dict = {
        name: Coded.encode(object_array(out[name])) for name in (*_DIM_FIELDS, "metric", "unit", "approx", "raw")
    }
    arrays["value"] = np.array(out["value"], dtype=float)
    arrays["cell_value"] = np.array(out["cell_value"], dtype=float)
    arrays["row"] = np.array(out["row"], dtype=np.int64)
    arrays["col"] = np.array(out["col"], dtype=np.int64)
    return arrays


_CORNER = re.compile(r"指标|项目|内容|类别")


def _report_orientation(table: Table, indicator: Column, sink: IssueSink) -> None:
    """Metrics down the side, units across: said as info when the corner cell names the metric
    column ('项目', '指标'), as a warning when only the cells' contents told the reader."""
    header = table.header_rows[-1]
    corner = normalize_label(cell_text(table.grid.rows[header][indicator.index]))
    units = "、".join(normalize_label(c.label) for c in table.by_role("unit-value")[:6])
    where = table.where(header, indicator.index)
    if _CORNER.search(corner):
        sink.add(
            "transposed-table",
            "info",
            where,
            f"此表指标在行、单位在列,已按列读取各单位({units});合计列只用来核对",
            value=corner,
        )
    else:
        sink.add(
            "orientation-guessed",
            "warning",
            where,
            f"此表左上角没有写“项目/指标”,读取程序根据内容推断为指标在行、单位在列,按列读取各单位"
            f"({units});如不对,请在左上角注明“项目”后重新上传",
            value=corner or None,
        )


def _has_number(value: object) -> bool:
    return value.__class__ is float or (isinstance(value, str) and parse_number(value).kind == "number")
