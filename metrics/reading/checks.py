"""The checks a head office does by hand: bad cells, negatives, fractions, 办结 > 受理, totals, duplicates."""

from __future__ import annotations

import math
import operator

import numpy as np
import pandas as pd

from metrics.core.catalog import MetricDef
from metrics.core.issues import IssueSink
from metrics.core.numbers import parse_number
from metrics.core.record import cell_ref
from metrics.reading.cells import SCALE_CHARS, Parsed
from metrics.reading.tables import Column, Table


def report_unmapped(table: Table, col: Column, rows: list[int], sink: IssueSink) -> None:
    sample = [table.grid.rows[i][col.index] for i in rows[:200]]
    if any(v.__class__ is float or (isinstance(v, str) and parse_number(v).kind == "number") for v in sample):
        where = table.where(table.header_rows[-1], col.index)
        if col.role == "ratio":
            sink.add(
                "unmapped-column", "info", where, f"“{col.label}”是比率/评分,不是可相加的数量,未计入", value=col.label
            )
            return
        hint = f"(可能是:{'、'.join(col.candidates)})" if col.candidates else ""
        sink.add(
            "unmapped-column",
            "warning",
            where,
            f"“{col.label}”列有数字,但对应不到任何指标{hint};请在上传页指定它对应的指标,或忽略该列",
            value=col.label,
        )


def report_cells(table: Table, col: Column, rows: list[int], parsed: Parsed, sink: IssueSink) -> None:
    for pos, number in parsed.invalid:
        kind = "百分比" if number.kind == "percent" else "文字"
        sink.add(
            "not-a-number",
            "error",
            table.where(rows[pos], col.index),
            f"“{col.label}”应填数字,这里是{kind}“{number.raw}”,未计入;请改为数字",
            value=number.raw,
        )
    for pos in parsed.redacted:
        assert parsed.raw is not None  # a redacted cell is text, and the text is kept
        sink.add(
            "redacted-value",
            "warning",
            table.where(rows[pos], col.index),
            f"“{parsed.raw[pos]}”是待填/隐去的数字,未计入;请补上实际数字",
            value=parsed.raw[pos],
        )


def drop_formulas(table: Table, col: Column, pos_of_row: dict[int, int], values: np.ndarray, sink: IssueSink) -> None:
    grid = table.grid
    for r, c in sorted(grid.formulas_without_value):
        if c - grid.col0 != col.index:
            continue
        pos = pos_of_row.get(r - grid.row0)
        if pos is None:
            continue
        values[pos] = np.nan
        sink.add(
            "formula-no-value",
            "error",
            table.where(r - grid.row0, col.index),
            "单元格是公式,但文件里没有保存计算结果,未计入;请在 Excel/WPS 中打开并保存后再上传",
            value=None,
        )


def check_values(
    table: Table, metric: MetricDef, col: Column, rows: list[int], values: np.ndarray, sink: IssueSink
) -> None:
    finite = np.isfinite(values)
    for pos in np.flatnonzero(finite & (values < 0)).tolist():
        sink.add(
            "negative-value",
            "error",
            table.where(rows[pos], col.index),
            f"“{col.label}”是负数 {values[pos]:g};数量和金额不能为负,请核实",
            value=f"{values[pos]:g}",
        )
    if metric.kind == "count":
        frac = finite & (np.abs(values - np.round(values)) > 1e-9)
        for pos in np.flatnonzero(frac).tolist():
            sink.add(
                "fraction-in-count",
                "warning",
                table.where(rows[pos], col.index),
                f"“{col.label}”是计数,应为整数,这里是 {values[pos]:g};请核实",
                value=f"{values[pos]:g}",
            )


def dedupe(table: Table, rows: list[int], sink: IssueSink, owner: np.ndarray | None = None) -> np.ndarray:
    """False for a row identical to an earlier one (ignoring 序号) of the same unit: counted once, reported.

    ``owner`` is each row's agency code after blanks were filled down (two units' identical
    '(blank) | 进校园 | 2' rows are not duplicates). Rows are hashed in C; only rows whose hash
    repeats are compared.
    """
    keep = np.ones(len(rows), dtype=bool)
    skip = {c.index for c in table.columns if c.role in ("seq", "hidden")}
    columns = [j for j in range(table.grid.width) if j not in skip]
    if not columns:
        return keep
    key_of = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    row_lists = table.row_lists(rows)
    hashes = np.fromiter(map(hash, map(key_of, row_lists)), dtype=np.int64, count=len(rows))
    repeated = pd.Series(hashes).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return keep
    seen: dict[tuple, int] = {}
    for pos in np.flatnonzero(repeated).tolist():
        key = (key_of(row_lists[pos]), None if owner is None else owner[pos])
        first = seen.setdefault(key, pos)
        if first != pos:
            keep[pos] = False
            i, k = rows[pos], rows[first]
            sink.add(
                "duplicate-row",
                "warning",
                table.where(i, 0),
                f"第 {i + table.grid.row0 + 1} 行与第 {k + table.grid.row0 + 1} 行完全相同,只计一次;"
                "如确是两条不同的记录,请在表中区分后重新上传",
                value=None,
            )
    return keep


def check_resolved(table: Table, rows: list[int], values: dict[int, np.ndarray], sink: IssueSink) -> None:
    received = next(
        (
            c
            for c in table.columns
            if c.metric is not None and c.metric.id == "complaints_received" and c.index in values
        ),
        None,
    )
    resolved = next(
        (
            c
            for c in table.columns
            if c.metric is not None and c.metric.id == "complaints_resolved" and c.index in values
        ),
        None,
    )
    if received is None or resolved is None:
        return
    a, b = values[received.index], values[resolved.index]
    for pos in np.flatnonzero(np.isfinite(a) & np.isfinite(b) & (b > a)).tolist():
        sink.add(
            "resolved-exceeds-received",
            "warning",
            table.where(rows[pos], resolved.index),
            f"办结 {b[pos]:g} 件多于受理 {a[pos]:g} 件;请核实是否填反或含往年结转",
            value=f"{b[pos]:g}>{a[pos]:g}",
        )


def check_totals(
    table: Table, rows: list[int], keep: np.ndarray, values: dict[int, np.ndarray], sink: IssueSink
) -> None:
    """Each 合计/小计 row against the sum of the rows it covers; never added itself."""
    if not table.total_rows or not values:
        return
    row_arr = np.asarray(rows)
    end = len(table.grid.rows)
    subs = [r for r, label, _ in table.total_rows if "小计" in label]
    grands = [r for r, label, _ in table.total_rows if "小计" not in label]
    every = sorted(subs + grands)
    formulas = {(r - table.grid.row0, c - table.grid.col0) for r, c in table.grid.formulas_without_value}
    for r, label, _ in table.total_rows:
        # A 小计 covers its group (between neighbouring totals); a 合计 all rows between grand totals.
        # Either may be written above the rows it covers instead of below.
        bounds = every if "小计" in label else grands
        lo = max((t for t in bounds if t < r), default=-1)
        hi = min((t for t in bounds if t > r), default=end)
        kind = subs if "小计" in label else grands
        above = bool(len(row_arr)) and kind[0] < row_arr.min()  # this table writes totals above their rows
        in_seg = ((row_arr > r) & (row_arr < hi) if above else (row_arr > lo) & (row_arr < r)) & keep
        for col in table.columns:
            if col.index not in values or col.metric is None:
                continue
            if (r, col.index) in formulas:
                # The rows are counted; only the check is lost. A warning: no number of the file is missing.
                sink.add(
                    "formula-no-value",
                    "warning",
                    table.where(r, col.index),
                    f"“{label}”行的“{col.label}”是公式,但文件里没有保存计算结果,无法核对合计;各行数字已计入;"
                    "请在 Excel/WPS 中打开并保存后再上传",
                    value=None,
                )
                continue
            parsed = parse_number(table.grid.rows[r][col.index])
            if parsed.kind != "number" or parsed.value is None:
                continue
            own = any(ch in SCALE_CHARS for ch in parsed.raw) or parsed.unit is not None
            reported = parsed.value * (1.0 if own else col.multiplier)
            computed = float(np.nansum(values[col.index][in_seg]))
            if not _close(reported, computed, col.multiplier) and parsed.approx is None:
                sink.add(
                    "total-mismatch",
                    "error",
                    table.where(r, col.index),
                    f"“{label}”行的“{col.label}”为 {_fmt(reported)},但各行相加为 {_fmt(computed)}"
                    f"(相差 {_fmt(reported - computed)});合计行不计入,已按各行数字汇总,请核实",
                    value=f"{_fmt(reported)}≠{_fmt(computed)}",
                )


def check_total_columns(
    table: Table, indicator: Column, rows: list[int], row_sum: dict[int, tuple[float, float]], sink: IssueSink
) -> None:
    """A 合计 column of a table turned on its side against the sum of its row's unit columns
    (``row_sum``: position → (sum, the row's multiplier, as for 万份))."""
    for col in table.by_role("total-value"):
        for pos, i in enumerate(rows):
            parsed = parse_number(table.grid.rows[i][col.index])
            if pos not in row_sum or parsed.kind != "number" or parsed.value is None or parsed.approx is not None:
                continue
            computed, multiplier = row_sum[pos]
            own = any(ch in SCALE_CHARS for ch in parsed.raw) or parsed.unit is not None
            reported = parsed.value * (1.0 if own else multiplier)
            if not _close(reported, computed, multiplier):
                label = table.grid.rows[i][indicator.index]
                sink.add(
                    "total-mismatch",
                    "error",
                    table.where(i, col.index),
                    f"“{label}”的“{col.label}”为 {_fmt(reported)},但各单位相加为 {_fmt(computed)}"
                    f"(相差 {_fmt(reported - computed)});合计列不计入,已按各单位数字汇总,请核实",
                    value=f"{_fmt(reported)}≠{_fmt(computed)}",
                )


def _close(a: float, b: float, multiplier: float) -> bool:
    tolerance = max(1e-6, 0.5 * multiplier * 1e-2 if multiplier > 1 else 1e-6)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=tolerance)


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# ---- row-wise tables: vertical forms, tidy long tables, years across the top ------------------
def check_resolved_rowwise(table: Table, out: dict[str, list], sink: IssueSink) -> None:
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
            sink.add(
                "resolved-exceeds-received",
                "warning",
                f"{table.grid.name}!{cell_ref(r, c)}",
                f"办结 {b:g} 件多于受理 {a:g} 件;请核实",
                value=f"{b:g}>{a:g}",
            )
