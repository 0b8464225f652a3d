"""Turning a found table into records: numbers parsed and scaled, rows given their agency, year and date."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics.catalog import Catalog, MetricDef
from metrics.dimensions import to_iso_date
from metrics.issues import IssueSink
from metrics.numbers import ParsedNumber, parse_number
from metrics.record import RecordBatch
from metrics.tables import Column, Table, year_header
from metrics.text import cell_text, normalize_label
from metrics.workbook import cell_ref

_SCALE_CHARS = frozenset("万萬亿億千百")
_DIM_FIELDS = ("agency", "region_text", "year", "date", "activity", "theme", "sector")


@dataclass(slots=True)
class Parsed:
    """One column of cells parsed: values (NaN = no value), and per-cell detail for text cells only."""

    values: np.ndarray
    approx: np.ndarray
    raw: np.ndarray
    units: dict[int, str] = field(default_factory=dict)      # position → unit written in the cell
    own_scale: np.ndarray | None = None                       # True where the cell carried its own 万/亿
    invalid: list[tuple[int, ParsedNumber]] = field(default_factory=list)
    redacted: list[int] = field(default_factory=list)


def parse_cells(cells: list[object]) -> Parsed:
    """Parse a column; floats take a vectorised path, only text cells go through the full parser."""
    n = len(cells)
    values = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)
    approx = np.full(n, None, dtype=object)
    raw = np.full(n, None, dtype=object)
    out = Parsed(values, approx, raw)
    bad = np.flatnonzero(~np.isfinite(values))
    for pos in bad.tolist():
        cell = cells[pos]
        if cell == "" or cell is None:
            continue
        parsed = parse_number(cell)
        raw[pos] = parsed.raw
        if parsed.kind == "number":
            values[pos] = parsed.value
            approx[pos] = parsed.approx
            if parsed.unit:
                out.units[pos] = parsed.unit
            if any(ch in _SCALE_CHARS for ch in parsed.raw):
                if out.own_scale is None:
                    out.own_scale = np.zeros(n, dtype=bool)
                out.own_scale[pos] = True
        else:
            values[pos] = np.nan
            if parsed.kind == "redacted":
                out.redacted.append(pos)
            elif parsed.kind != "empty":
                out.invalid.append((pos, parsed))
    # bools come through to_numeric as 0/1: a tick box is not a count
    for pos in np.flatnonzero(np.isfinite(values)).tolist() if n < 2000 else ():
        if isinstance(cells[pos], bool):
            values[pos] = np.nan
    return out


def scaled(parsed: Parsed, multiplier: float) -> np.ndarray:
    """Apply a header's 万/亿 to cells that did not write their own; round away binary noise."""
    if multiplier == 1.0:
        return parsed.values
    factor = np.full(len(parsed.values), multiplier)
    if parsed.own_scale is not None:
        factor[parsed.own_scale] = 1.0
    return np.round(parsed.values * factor, 6)


@dataclass(slots=True)
class TableDefaults:
    agency: str | None
    year: int | None
    theme: str | None
    region_text: str | None = None
    sector: str | None = None


class BatchBuilder:
    """Collects record columns piece by piece and makes one RecordBatch."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **columns: np.ndarray) -> None:
        for name, col in columns.items():
            self.parts.setdefault(name, []).append(col)

    def build(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(cols) if len(cols) > 1 else cols[0] for name, cols in self.parts.items()}


def extract_table(table: Table, defaults: TableDefaults, catalog: Catalog, sink: IssueSink) -> dict[str, np.ndarray]:
    """Columns of records (plus ``region_text``) for one table; problems go to ``sink``."""
    if not table.data_rows and table.total_rows:
        sink.add("total-only", "info", table.where(table.total_rows[0][0], table.total_rows[0][2]),
                 "表中只有合计行,没有分项数据;已按合计行读取", value=table.total_rows[0][1])
        table.data_rows = [r for r, _, _ in table.total_rows]
        table.total_rows = []
    if table.layout == "wide":
        return _extract_wide(table, defaults, catalog, sink)
    return _extract_rowwise(table, defaults, catalog, sink)


# ---- wide tables: one row per agency or activity, one column per metric -------------------------

def _row_dims(table: Table, defaults: TableDefaults, rows: list[int]) -> dict[str, np.ndarray]:
    """Per data row: agency, region text, year, date, activity, theme, sector."""
    grid = table.grid
    n = len(rows)

    def column_text(role: str) -> list[str] | None:
        cols = table.by_role(role)
        if not cols:
            return None
        out = []
        for i in rows:
            parts = [normalize_label(cell_text(grid.rows[i][c.index])) for c in cols]
            out.append("".join(p for p in parts if p))
        return out

    agency = column_text("agency")
    region = column_text("region")
    dims: dict[str, np.ndarray] = {}
    if agency is None and region is not None and defaults.agency is None:
        agency = region  # a summary by district: each row is that district's return
    dims["agency"] = _with_default(agency, defaults.agency, n)
    dims["region_text"] = _with_default(region, defaults.region_text, n)
    years = _year_column(table, rows)
    dims["year"] = _with_default(years, defaults.year, n)
    date_col = table.first("date")
    if date_col is not None:
        dates = [to_iso_date(grid.rows[i][date_col.index], y) for i, y in zip(rows, dims["year"])]
        dims["date"] = np.array(dates, dtype=object)
        missing_year = [k for k, y in enumerate(dims["year"]) if y is None and dates[k]]
        for k in missing_year:
            dims["year"][k] = int(dates[k][:4])
    else:
        dims["date"] = np.full(n, None, dtype=object)
    dims["activity"] = _with_default(column_text("activity"), None, n)
    dims["theme"] = _with_default(column_text("theme"), defaults.theme, n)
    dims["sector"] = _with_default(column_text("sector"), defaults.sector, n)
    return dims


def _with_default(values: list[str] | None, default: object, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=object)
    return np.array([v if v not in ("", None) else default for v in values], dtype=object)


def _year_column(table: Table, rows: list[int]) -> list[int | None] | None:
    col = table.first("year")
    if col is None:
        return None
    return [year_header(table.grid.rows[i][col.index]) for i in rows]


def _extract_wide(table: Table, defaults: TableDefaults, catalog: Catalog, sink: IssueSink) -> dict[str, np.ndarray]:
    grid = table.grid
    rows = table.data_rows
    n = len(rows)
    builder = BatchBuilder()
    if not n:
        return {}
    dims = _row_dims(table, defaults, rows)
    keep = _dedupe(table, rows, sink)
    row_abs = np.asarray(rows, dtype=np.int64) + grid.row0
    pos_of_row = {r: k for k, r in enumerate(rows)}
    column_values: dict[int, np.ndarray] = {}
    for col in table.columns:
        if col.role in ("unmapped", "ratio") and col.label:
            _report_unmapped(table, col, rows, sink)
        if col.role == "subitem":
            sink.add("subitem-column", "info", table.where(table.header_rows[-1], col.index),
                     f"“{col.label}”是其中项,已包含在上一列中,不重复计入", value=col.label)
        if col.role != "metric" or col.metric is None:
            continue
        cells = [grid.rows[i][col.index] for i in rows]
        parsed = parse_cells(cells)
        if _mostly_text(parsed, cells):
            sink.add("text-column", "warning", table.where(table.header_rows[-1], col.index),
                     f"“{col.label}”列大多是文字而不是数字,未作为指标读取;如确是指标,请改为数字后重新上传",
                     value=col.label)
            continue
        values = scaled(parsed, col.multiplier)
        _report_cells(table, col, rows, parsed, sink)
        _drop_formulas(table, col, pos_of_row, values, sink)
        column_values[col.index] = values
        units = _units_for(col, parsed, n, table, rows, sink)
        _check_values(table, col.metric, col, rows, values, sink)
        mask = np.isfinite(values) & keep
        idx = np.flatnonzero(mask)
        builder.add(
            metric=np.full(len(idx), col.metric.id, dtype=object), value=values[idx], unit=units[idx],
            approx=parsed.approx[idx], raw=parsed.raw[idx], row=row_abs[idx],
            cell_value=np.where(parsed.raw[idx] == None, parsed.values[idx], np.nan),  # noqa: E711
            col=np.full(len(idx), col.index + grid.col0, dtype=np.int64),
            **{name: dims[name][idx] for name in _DIM_FIELDS},
        )
    _check_resolved(table, rows, column_values, sink)
    _check_totals(table, rows, keep, column_values, sink)
    return builder.build() if builder.parts else {}


def _mostly_text(parsed: Parsed, cells: list[object]) -> bool:
    numbers = int(np.isfinite(parsed.values).sum())
    return len(parsed.invalid) > 0 and numbers == 0 and len(parsed.invalid) >= 2


def _units_for(col: Column, parsed: Parsed, n: int, table: Table, rows: list[int], sink: IssueSink) -> np.ndarray:
    metric = col.metric
    assert metric is not None
    if metric.kind != "quantity":
        return np.full(n, metric.unit, dtype=object)
    units = np.full(n, col.unit or "", dtype=object)
    for pos, unit in parsed.units.items():
        units[pos] = unit
    if not col.unit and len(parsed.units) < int(np.isfinite(parsed.values).sum()):
        sink.add("missing-unit", "warning", table.where(table.header_rows[-1], col.index),
                 f"“{col.label}”没有写计量单位(条/千克/件…),不同单位的数量不能相加;请在表头注明单位",
                 value=col.label)
    return units


def _report_unmapped(table: Table, col: Column, rows: list[int], sink: IssueSink) -> None:
    sample = [table.grid.rows[i][col.index] for i in rows[:200]]
    if any(v.__class__ is float or (isinstance(v, str) and parse_number(v).kind == "number") for v in sample):
        where = table.where(table.header_rows[-1], col.index)
        if col.role == "ratio":
            sink.add("unmapped-column", "info", where,
                     f"“{col.label}”是比率/评分,不是可相加的数量,未计入", value=col.label)
            return
        hint = f"(可能是:{'、'.join(col.candidates)})" if col.candidates else ""
        sink.add("unmapped-column", "warning", where,
                 f"“{col.label}”列有数字,但对应不到任何指标{hint};请在上传页指定它对应的指标,或忽略该列",
                 value=col.label)


def _report_cells(table: Table, col: Column, rows: list[int], parsed: Parsed, sink: IssueSink) -> None:
    for pos, number in parsed.invalid:
        kind = "百分比" if number.kind == "percent" else "文字"
        sink.add("not-a-number", "error", table.where(rows[pos], col.index),
                 f"“{col.label}”应填数字,这里是{kind}“{number.raw}”,未计入;请改为数字",
                 value=number.raw)
    for pos in parsed.redacted:
        sink.add("redacted-value", "warning", table.where(rows[pos], col.index),
                 f"“{parsed.raw[pos]}”是待填/隐去的数字,未计入;请补上实际数字", value=parsed.raw[pos])


def _drop_formulas(table: Table, col: Column, pos_of_row: dict[int, int], values: np.ndarray,
                   sink: IssueSink) -> None:
    grid = table.grid
    for r, c in sorted(grid.formulas_without_value):
        if c - grid.col0 != col.index:
            continue
        pos = pos_of_row.get(r - grid.row0)
        if pos is None:
            continue
        values[pos] = np.nan
        sink.add("formula-no-value", "error", table.where(r - grid.row0, col.index),
                 "单元格是公式,但文件里没有保存计算结果,未计入;请在 Excel/WPS 中打开、保存后重新上传",
                 value=None)


def _check_values(table: Table, metric: MetricDef, col: Column, rows: list[int], values: np.ndarray,
                  sink: IssueSink) -> None:
    finite = np.isfinite(values)
    for pos in np.flatnonzero(finite & (values < 0)).tolist():
        sink.add("negative-value", "error", table.where(rows[pos], col.index),
                 f"“{col.label}”是负数 {values[pos]:g};数量和金额不能为负,请核实", value=f"{values[pos]:g}")
    if metric.kind == "count":
        frac = finite & (np.abs(values - np.round(values)) > 1e-9)
        for pos in np.flatnonzero(frac).tolist():
            sink.add("fraction-in-count", "warning", table.where(rows[pos], col.index),
                     f"“{col.label}”是计数,应为整数,这里是 {values[pos]:g};请核实", value=f"{values[pos]:g}")


def _dedupe(table: Table, rows: list[int], sink: IssueSink) -> np.ndarray:
    """False for a row identical to an earlier one (counted once, reported)."""
    keep = np.ones(len(rows), dtype=bool)
    seen: dict[tuple, int] = {}
    skip = {c.index for c in table.columns if c.role in ("seq", "hidden")}
    cols = [j for j in range(table.grid.width) if j not in skip]
    for pos, i in enumerate(rows):
        row = table.grid.rows[i]
        key = tuple(row[j] for j in cols)
        first = seen.setdefault(key, i)
        if first != i:
            keep[pos] = False
            sink.add("duplicate-row", "warning", table.where(i, 0),
                     f"第 {i + table.grid.row0 + 1} 行与第 {first + table.grid.row0 + 1} 行完全相同,只计一次;"
                     "如确是两条不同的记录,请在表中区分后重新上传", value=None)
    return keep


def _check_resolved(table: Table, rows: list[int], values: dict[int, np.ndarray], sink: IssueSink) -> None:
    received = next((c for c in table.columns if c.metric is not None and c.metric.id == "complaints_received"
                     and c.index in values), None)
    resolved = next((c for c in table.columns if c.metric is not None and c.metric.id == "complaints_resolved"
                     and c.index in values), None)
    if received is None or resolved is None:
        return
    a, b = values[received.index], values[resolved.index]
    for pos in np.flatnonzero(np.isfinite(a) & np.isfinite(b) & (b > a)).tolist():
        sink.add("resolved-exceeds-received", "warning", table.where(rows[pos], resolved.index),
                 f"办结 {b[pos]:g} 件多于受理 {a[pos]:g} 件;请核实是否填反或含往年结转",
                 value=f"{b[pos]:g}>{a[pos]:g}")


def _check_totals(table: Table, rows: list[int], keep: np.ndarray, values: dict[int, np.ndarray],
                  sink: IssueSink) -> None:
    """Each 合计/小计 row against the sum of the rows it covers; never added itself."""
    if not table.total_rows or not values:
        return
    row_arr = np.asarray(rows)
    total_at = [r for r, _, _ in table.total_rows]
    seg_start = -1      # rows after this one belong to the current 小计 segment
    grand_start = -1    # rows after this one belong to the current 合计
    for r, label, _ in table.total_rows:
        is_sub = "小计" in label
        lo = seg_start if is_sub else grand_start
        in_seg = (row_arr > lo) & (row_arr < r) & keep
        if not in_seg.any():  # a 合计 row written above its rows covers those below, up to the next total
            hi = min((t for t in total_at if t > r), default=len(table.grid.rows))
            in_seg = (row_arr > r) & (row_arr < hi) & keep
        for col in table.columns:
            if col.index not in values or col.metric is None:
                continue
            parsed = parse_number(table.grid.rows[r][col.index])
            if parsed.kind != "number" or parsed.value is None:
                continue
            own = any(ch in _SCALE_CHARS for ch in parsed.raw)
            reported = parsed.value * (1.0 if own else col.multiplier)
            computed = float(np.nansum(values[col.index][in_seg]))
            if not _close(reported, computed, col.multiplier) and parsed.approx is None:
                sink.add("total-mismatch", "error", table.where(r, col.index),
                         f"“{label}”行的“{col.label}”为 {_fmt(reported)},但各行相加为 {_fmt(computed)}"
                         f"(相差 {_fmt(reported - computed)});合计行不计入,已按各行数字汇总,请核实",
                         value=f"{_fmt(reported)}≠{_fmt(computed)}")
        if is_sub:
            seg_start = r
        else:
            grand_start = r
            seg_start = r


def _close(a: float, b: float, multiplier: float) -> bool:
    tolerance = max(1e-6, 0.5 * multiplier * 1e-2 if multiplier > 1 else 1e-6)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=tolerance)


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# ---- row-wise tables: vertical forms, tidy long tables, years across the top ------------------

def _extract_rowwise(table: Table, defaults: TableDefaults, catalog: Catalog, sink: IssueSink) -> dict[str, np.ndarray]:
    grid = table.grid
    indicator = table.first("indicator")
    unit_col = table.first("unit")
    value_cols = (table.by_role("year-value") if table.layout == "years-across" else table.by_role("value"))
    if indicator is None or not value_cols:
        return {}
    rows = table.data_rows
    dims = _row_dims(table, defaults, rows)
    out: dict[str, list] = {name: [] for name in (*_DIM_FIELDS, "metric", "value", "unit", "approx", "raw", "row",
                                                  "col", "cell_value")}
    seen: dict[tuple, int] = {}
    for pos, i in enumerate(rows):
        row = grid.rows[i]
        label = cell_text(row[indicator.index])
        unit_text = normalize_label(cell_text(row[unit_col.index])) if unit_col is not None else ""
        match = catalog.match_label(f"{label}({unit_text})" if unit_text else label)
        if match.metric is None:
            if not match.ratio and any(_has_number(row[c.index]) for c in value_cols):
                sink.add("unmapped-indicator", "warning", table.where(i, indicator.index),
                         f"指标“{label}”对应不到任何指标,未计入;请在上传页指定它对应的指标", value=label)
            continue
        metric = match.metric
        for col in value_cols:
            parsed = parse_cells([row[col.index]])
            if parsed.invalid:
                sink.add("not-a-number", "error", table.where(i, col.index),
                         f"“{label}”应填数字,这里是“{parsed.invalid[0][1].raw}”,未计入;请改为数字",
                         value=parsed.invalid[0][1].raw)
            if parsed.redacted:
                sink.add("redacted-value", "warning", table.where(i, col.index),
                         f"“{label}”的数字是待填/隐去的,未计入;请补上实际数字", value=str(parsed.raw[0]))
            if (i + grid.row0, col.index + grid.col0) in grid.formulas_without_value:
                sink.add("formula-no-value", "error", table.where(i, col.index),
                         "单元格是公式,但文件里没有保存计算结果,未计入;请在 Excel/WPS 中打开、保存后重新上传")
                continue
            value = float(scaled(parsed, match.multiplier)[0])
            if not math.isfinite(value):
                continue
            year = col.year if col.year is not None else dims["year"][pos]
            key = (label, year, dims["agency"][pos], value)
            if key in seen:
                sink.add("duplicate-row", "warning", table.where(i, indicator.index),
                         f"第 {i + grid.row0 + 1} 行与第 {seen[key] + grid.row0 + 1} 行重复,只计一次", value=label)
                continue
            seen[key] = i
            unit = metric.unit if metric.kind != "quantity" else (parsed.units.get(0) or match.unit or "")
            _check_values(table, metric, Column(col.index, label, "metric", metric), [i],
                          np.array([value]), sink)
            for name in _DIM_FIELDS:
                out[name].append(year if name == "year" else dims[name][pos])
            out["metric"].append(metric.id)
            out["value"].append(value)
            out["unit"].append(unit)
            out["approx"].append(parsed.approx[0])
            out["raw"].append(parsed.raw[0])
            out["cell_value"].append(parsed.values[0] if parsed.raw[0] is None else np.nan)
            out["row"].append(i + grid.row0)
            out["col"].append(col.index + grid.col0)
    if not out["value"]:
        return {}
    _check_resolved_rowwise(table, out, sink)
    arrays = {name: np.array(vals, dtype=object) for name, vals in out.items()}
    arrays["value"] = np.array(out["value"], dtype=float)
    arrays["cell_value"] = np.array(out["cell_value"], dtype=float)
    arrays["row"] = np.array(out["row"], dtype=np.int64)
    arrays["col"] = np.array(out["col"], dtype=np.int64)
    return arrays


def _has_number(value: object) -> bool:
    return value.__class__ is float or (isinstance(value, str) and parse_number(value).kind == "number")


def _check_resolved_rowwise(table: Table, out: dict[str, list], sink: IssueSink) -> None:
    sums: dict[tuple, dict[str, float]] = {}
    where: dict[tuple, tuple[int, int]] = {}
    for k, metric in enumerate(out["metric"]):
        if metric not in ("complaints_received", "complaints_resolved"):
            continue
        key = (out["agency"][k], out["year"][k], out["date"][k], out["activity"][k])
        sums.setdefault(key, {}).setdefault(metric, 0.0)
        sums[key][metric] += out["value"][k]
        if metric == "complaints_resolved":
            where[key] = (out["row"][k], out["col"][k])
    for key, pair in sums.items():
        a, b = pair.get("complaints_received"), pair.get("complaints_resolved")
        if a is not None and b is not None and b > a:
            r, c = where[key]
            sink.add("resolved-exceeds-received", "warning", f"{table.grid.name}!{cell_ref(r, c)}",
                     f"办结 {b:g} 件多于受理 {a:g} 件;请核实", value=f"{b:g}>{a:g}")
