"""Reading one return end to end: bytes → sheets → tables → checked, tidy records (nothing is stored)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from metrics.core.catalog import Catalog, default_catalog
from metrics.core.issues import IssueSink
from metrics.core.record import (
    BATCH_COLUMNS,
    Coded,
    Column,
    FileResult,
    RecordBatch,
    cell_ref,
    col_letter,
    object_array,
)
from metrics.core.text import normalize_label
from metrics.reading.dimensions import (
    NATIONAL_THEMES,
    Meta,
    infer_sector,
    is_summary_sheet,
    looks_like_agency,
    year_from_name,
)
from metrics.reading.regions import Gazetteer, Region, default_gazetteer
from metrics.reading.scan import scan_fixed, scan_sheet
from metrics.reading.sniff import FileRefused, Limits, sniff
from metrics.reading.table_records import TableDefaults, extract_table
from metrics.reading.tables import Table
from metrics.reading.templates import MARKER_SHEET, TemplateMarker, find_marker, template_columns
from metrics.reading.workbook import SheetGrid, read_grids


@dataclass(frozen=True)
class Overrides:
    """What the user corrects on the upload page; every field is optional.

    ``columns`` maps a column letter ('C') or a header label ('满意度评分') to a metric id, or to ''
    to ignore the column. ``header_rows`` are 1-based sheet row numbers of the header block.
    """

    sheet: str | None = None
    header_rows: tuple[int, ...] | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    agency: str | None = None
    sector: str | None = None
    region: str | None = None
    year: int | None = None
    theme: str | None = None


def ingest_file(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    overrides: Overrides = Overrides(),
    limits: Limits = Limits(),
    catalog: Catalog | None = None,
    gazetteer: Gazetteer | None = None,
) -> FileResult:
    """Read and check one file from disk; never raises for a bad file (the result says why)."""
    display = name or Path(path).name
    try:
        size = os.path.getsize(path)
        if size > limits.max_bytes:
            raise FileRefused(
                "file-too-large",
                f"文件 {size / 1048576:.1f} MB,超过上限 {limits.max_bytes / 1048576:.0f} MB;请拆分后上传",
            )
        data = Path(path).read_bytes()
    except FileRefused as exc:
        return FileResult(display, error=exc.message, error_code=exc.code)
    except OSError as exc:
        return FileResult(display, error=f"无法打开文件:{exc.strerror or exc}", error_code="unreadable")
    return ingest_bytes(data, display, overrides=overrides, limits=limits, catalog=catalog, gazetteer=gazetteer)


def ingest_bytes(
    data: bytes,
    name: str,
    *,
    overrides: Overrides = Overrides(),
    limits: Limits = Limits(),
    catalog: Catalog | None = None,
    gazetteer: Gazetteer | None = None,
) -> FileResult:
    """Read and check one file's bytes (an upload); never raises for a bad file."""
    started = time.perf_counter()
    # The gazetteer's first load (~0.1 s) overlaps with reading the workbook.
    loader = None if gazetteer is not None else _start(default_gazetteer)
    try:
        result = _ingest(
            data,
            name,
            overrides,
            limits,
            catalog or default_catalog(),
            gazetteer or cast(Gazetteer, _LazyGazetteer(loader)),
        )  # answers Gazetteer's calls
    except FileRefused as exc:
        result = FileResult(name, error=exc.message, error_code=exc.code)
    except Exception as exc:  # a reader bug must not take the other files of an upload down with it
        result = FileResult(
            name,
            error=f"读取时出现内部错误({type(exc).__name__}: {exc}),文件未导入;请把文件发给维护人员",
            error_code="internal-error",
        )
    result.stats.seconds = round(time.perf_counter() - started, 4)
    return result


def _ingest(
    data: bytes, name: str, overrides: Overrides, limits: Limits, catalog: Catalog, gazetteer: Gazetteer
) -> FileResult:
    fmt = sniff(data, name=name, limits=limits)
    grids = read_grids(data, fmt, name=name)
    sink = IssueSink()
    result = FileResult(name)
    reader = _FileReader(name, overrides, catalog, gazetteer, sink)
    per_sheet: list[tuple[SheetGrid, dict[str, Column], bool]] = []
    headers_only = False
    scanned = []
    marker = find_marker(grids, catalog, sink)
    for grid in grids:
        if overrides.sheet is not None and grid.name != overrides.sheet:
            continue
        if grid.name == MARKER_SHEET:
            continue  # a return template's marker (very hidden unless someone unhid it), read above
        if grid.hidden:
            sink.add("hidden-sheet", "info", grid.name, f"工作表“{grid.name}”是隐藏的,未读取", value=grid.name)
            continue
        if marker is not None and (fixed := _scan_template(grid, marker, overrides, catalog, sink)) is not None:
            reader.templates[grid.name] = marker
            scanned.append((grid, *fixed))
            continue
        scanned.append((grid, *scan_sheet(grid, catalog, header_rows=overrides.header_rows)))
    # Every sheet's title and 填报单位 help place the others ('西湖区' on a sheet of a 南昌市 workbook).
    reader.workbook_context = [t for _, _, meta in scanned for t in (meta.reporter, *meta.titles[:2]) if t]
    for grid, tables, sheet_meta in scanned:
        result.stats.sheets += 1
        arrays = reader.read_sheet(grid, tables, sheet_meta)
        if tables:
            result.layouts[grid.name] = (
                "template" if grid.name in reader.templates else ",".join(t.layout for t in tables)
            )
            result.stats.rows += sum(len(t.data_rows) for t in tables)
            headers_only = headers_only or all(not t.data_rows and not t.total_rows for t in tables)
        per_sheet.append((grid, arrays, is_summary_sheet(grid.name)))
    batch = _combine_sheets(per_sheet, sink)
    if not len(batch) and sink.counts["formula-no-value"]:
        return _refuse_uncached(result, sink)
    if not len(batch):
        if headers_only:
            raise FileRefused("empty-table", "表格只有表头,没有数据行;请填好数据后重新上传")
        if not result.layouts:
            raise FileRefused(
                "no-table",
                "没有找到可识别的统计表:表头应写明指标名称和单位,"
                "如“发放宣传资料(份)”“接受咨询(人次)”;请检查是否上传了正确的文件",
            )
    result.batch = batch
    result.issues = sink.finish()
    result.stats.records = len(batch)
    return result


def _scan_template(
    grid: SheetGrid, marker: TemplateMarker | None, overrides: Overrides, catalog: Catalog, sink: IssueSink
) -> tuple[list[Table], Meta] | None:
    """A returned template's data sheet read by its marker (None: not one, or its header was changed)."""
    if marker is None or grid.name != marker.sheet or overrides.header_rows or overrides.columns:
        return None
    columns = template_columns(grid, marker, catalog, sink)
    if columns is None:
        return None
    return scan_fixed(grid, catalog, marker.header_row - 1 - grid.row0, columns)


def _refuse_uncached(result: FileResult, sink: IssueSink) -> FileResult:
    """Nothing readable because every number is a formula saved without its result (a script wrote
    the file): refused for that reason, with the cells, not as an empty table."""
    cells = [i.where for i in sink.issues if i.code == "formula-no-value"]
    count = sink.counts["formula-no-value"]
    shown = "、".join(cells[:6]) + (" 等" if count > 6 else "")
    result.error = (
        f"表中的数字是公式,但文件里没有保存计算结果(共 {count} 处:{shown}),无法读取;请在 Excel/WPS 中打开并保存后再上传"
    )
    result.error_code = "formula-no-value"
    result.issues = sink.finish()
    return result


def _combine_sheets(per_sheet: list[tuple[SheetGrid, dict[str, Column], bool]], sink: IssueSink) -> RecordBatch:
    """One batch for the file; a 汇总 sheet beside per-unit sheets is only compared, never added."""
    details = [(g, RecordBatch(a) if a else RecordBatch.empty(), s) for g, a, s in per_sheet]
    parts = [b for _, b, s in details if not s and len(b)]
    summaries = [(g, b) for g, b, s in details if s and len(b)]
    if not parts:
        return RecordBatch.concat([b for _, b in summaries])
    detail = RecordBatch.concat(parts)
    for grid, summary in summaries:
        sink.add(
            "summary-sheet",
            "info",
            grid.name,
            f"工作表“{grid.name}”是汇总表,只用来核对各分表之和,不重复计入",
            value=grid.name,
        )
        mine, theirs = summary.totals(), detail.totals()
        for metric, reported in mine.items():
            computed = theirs.get(metric, 0)
            if abs(reported - computed) > 1e-6 * max(1.0, abs(reported)):
                sink.add(
                    "total-mismatch",
                    "error",
                    grid.name,
                    f"汇总表“{grid.name}”的 {metric} 为 {reported:g},各分表相加为 {computed:g};请核实",
                    value=f"{reported:g}≠{computed:g}",
                )
    return detail


class _FileReader:
    """State shared by the sheets of one file: its name, the user's overrides, lookups, issues."""

    def __init__(
        self, name: str, overrides: Overrides, catalog: Catalog, gazetteer: Gazetteer, sink: IssueSink
    ) -> None:
        self.name, self.overrides, self.catalog, self.gazetteer, self.sink = name, overrides, catalog, gazetteer, sink
        stem = Path(name).stem
        self.file_year = year_from_name(stem)
        self.file_agency = stem if looks_like_agency(stem) else None
        self.workbook_context: list[str] = []
        self.templates: dict[str, TemplateMarker] = {}  # sheet name → the marker it is read by

    def read_sheet(self, grid: SheetGrid, tables: list[Table], sheet_meta: Meta) -> dict[str, Column]:
        """Records of one scanned sheet (empty when it has no table)."""
        if not tables:
            if any(any(v not in ("", None) for v in row) for row in grid.rows):
                self.sink.add(
                    "no-table",
                    "warning",
                    grid.name,
                    f"工作表“{grid.name}”中没有找到带指标表头的数据表,未读取",
                    value=grid.name,
                )
            return {}
        if grid.hidden_cols:
            letters = ",".join(col_letter(c) for c in sorted(grid.hidden_cols)[:10])
            self.sink.add("hidden-column", "info", grid.name, f"隐藏列 {letters} 未读取", value=letters)
        parts = []
        for table in tables:
            self._apply_column_overrides(table)
            meta = _merged_meta(table.meta, sheet_meta)
            defaults = self._defaults(grid, meta)
            arrays = extract_table(
                table, defaults, self.catalog, self.sink, enrich=partial(self._enrich, grid=grid, meta=meta)
            )
            if arrays:
                parts.append(
                    RecordBatch(
                        {k: v for k, v in arrays.items() if k in BATCH_COLUMNS}
                        | {"sheet": Coded.constant(len(arrays["value"]), grid.name)}
                    )
                )
        batch = RecordBatch.concat(parts)
        return batch.columns if len(batch) else {}

    def _apply_column_overrides(self, table: Table) -> None:
        if not self.overrides.columns:
            return
        wanted = {normalize_label(k): v for k, v in self.overrides.columns.items()}
        for col in table.columns:
            key = col_letter(col.index + table.grid.col0)
            choice = wanted.get(key, wanted.get(normalize_label(col.label)))
            if choice is None:
                continue
            if choice == "":
                col.role, col.metric = "ignore", None
            elif choice not in self.catalog.metrics:
                self.sink.add(
                    "bad-override",
                    "error",
                    table.where(table.header_rows[-1], col.index),
                    f"指定的指标“{choice}”不在指标目录中,该设置未生效;请从指标目录中选择",
                    value=choice,
                )
            else:
                col.role, col.metric = "metric", self.catalog[choice]

    def _place_named(self, sheet_name: str) -> str | None:
        """A sheet named only by its county ('歙县') is that county's return, as rows named by district are."""
        name = normalize_label(sheet_name)
        if is_summary_sheet(name) or not 2 <= len(name) <= 12:
            return None
        match = self.gazetteer.resolve(name)
        return name if match.status == "ok" and match.matched and normalize_label(match.matched) == name else None

    def _defaults(self, grid: SheetGrid, meta: Meta) -> TableDefaults:
        o = self.overrides
        marker = self.templates.get(grid.name)
        if marker is not None:  # the template says who, where and when; the user's corrections still win
            return TableDefaults(
                agency=o.agency or marker.unit,
                year=o.year or marker.year,
                theme=o.theme or marker.theme,
                region_text=o.region or marker.region,
                sector=o.sector,
                forced=frozenset(
                    (
                        "agency",
                        "year",
                        *(("theme",) if o.theme or marker.theme else ()),
                        *(("sector",) if o.sector else ()),
                    )
                ),
            )
        year, _conflict = meta.year()
        agency = (
            o.agency
            or meta.reporter
            or (grid.name if looks_like_agency(grid.name) else None)
            or meta.agency()
            or self._place_named(grid.name)
            or self.file_agency
        )
        return TableDefaults(
            agency=agency,
            year=o.year or year or year_from_name(grid.name) or self.file_year,
            theme=o.theme or meta.theme,
            region_text=o.region,
            sector=o.sector,
            forced=frozenset(name for name in ("agency", "year", "theme", "sector") if getattr(o, name) is not None),
        )

    def _enrich(self, arrays: dict, grid: SheetGrid, meta: Meta) -> None:
        """Region, sector and theme, worked out once per distinct agency/region text/year.

        ``arrays`` holds ``Coded`` dimension columns plus ``row``/``col`` (positions for messages).
        """
        own = [t for t in (meta.reporter, *meta.titles, grid.name) if t]
        context = own + [t for t in self.workbook_context if t not in own] + [self.name]
        home = self._home_region(own, context)
        home_sector = infer_sector(meta.reporter) if meta.reporter else None
        codes, firsts, keys = _distinct_pairs(arrays["agency"], arrays["region_text"])
        regions = [self._region_for(key, context, home, arrays, first, grid) for key, first in zip(keys, firsts)]
        for name in ("province", "city", "district", "adcode"):
            arrays[name] = Coded(codes, object_array([getattr(r, name) if r is not None else None for r in regions]))
        sector: Coded = arrays["sector"]
        if None in sector.values.tolist():
            guesses = Coded(codes, object_array([_sector_guess(agency, home_sector) for agency, _ in keys]))
            given = sector.decode()
            arrays["sector"] = Coded.encode(np.where(pd.isna(given), guesses.decode(), given))
        theme: Coded = arrays["theme"]
        if None in theme.values.tolist():
            national = arrays["year"].map_values(lambda y: NATIONAL_THEMES.get(int(y)) if y is not None else None)
            if theme.values.tolist() == [None]:
                arrays["theme"] = national
            else:
                given = theme.decode()
                arrays["theme"] = Coded.encode(np.where(pd.isna(given), national.decode(), given))
        self._report_missing(arrays, grid)

    def _home_region(self, own: list[str], context: list[str]) -> Region | None:
        """Where the sheet's own title/填报单位 place it (other sheets only help to disambiguate)."""
        if self.overrides.region:
            match = self.gazetteer.resolve(self.overrides.region)
            return match.region if match.status == "ok" else None
        for text in own:
            match = self.gazetteer.find_in_text(text, context=context)
            if match.status == "ok":
                return match.region
        return None

    def _region_for(
        self,
        key: tuple[object, object],
        context: list[str],
        home: Region | None,
        arrays: dict[str, np.ndarray],
        k: int,
        grid: SheetGrid,
    ) -> Region | None:
        agency, region_text = key
        where = f"{grid.name}!{cell_ref(int(arrays['row'][k]), int(arrays['col'][k]))}"
        ctx = context + ([home] if home is not None else [])
        if self.overrides.region and home is not None:
            return home
        tried = []
        if region_text:
            tried.append(self.gazetteer.resolve(str(region_text), context=[str(agency or "")] + ctx))
        if agency and not (tried and tried[0].status == "ok"):
            tried.append(self.gazetteer.find_in_text(str(agency), context=ctx))
        ok = next((m for m in tried if m.status == "ok"), None)
        if ok is not None:
            return ok.region
        match = next((m for m in tried if m.status == "ambiguous"), None)
        if match is not None:
            names = "、".join(r.path for r in match.candidates[:5])
            self.sink.add(
                "ambiguous-region",
                "warning",
                where,
                f"“{region_text or agency}”中的地名“{match.matched}”有多处重名({names}),"
                "未确定地区;请在表中写明所属市,或在上传页指定地区",
                value=region_text or agency,
            )
            return None
        if home is not None:
            return home
        self.sink.add(
            "unknown-region",
            "warning",
            where,
            f"无法从“{region_text or agency or '(无单位)'}”确定所属地区;请写明省/市/区县全称,或在上传页指定地区",
            value=region_text or agency,
        )
        return None

    def _report_missing(self, arrays: dict, grid: SheetGrid) -> None:
        for field_name, code, advice in (
            ("year", "missing-year", "标题、填报日期、年度列和文件名里都没有年份;请在上传页指定年度"),
            (
                "agency",
                "missing-agency",
                "没有填报单位(表内单位列、“填报单位:”行、工作表名或标题均未写明);请在上传页指定填报单位",
            ),
        ):
            missing = np.flatnonzero(arrays[field_name].where_value(lambda v: v is None))
            if len(missing):
                k = int(missing[0])
                self.sink.add(
                    code,
                    "error",
                    f"{grid.name}!{cell_ref(int(arrays['row'][k]), int(arrays['col'][k]))}",
                    f"{len(missing)} 条数据{advice}",
                    value=None,
                )


def _start(func) -> threading.Thread:
    thread = threading.Thread(target=func, daemon=True)
    thread.start()
    return thread


class _LazyGazetteer:
    """The default gazetteer, waited for only when a region is first looked up."""

    def __init__(self, loader: threading.Thread | None) -> None:
        self._loader = loader

    def __getattr__(self, name: str):
        if self._loader is not None:
            self._loader.join()
        return getattr(default_gazetteer(), name)


def _distinct_pairs(agency: Coded, region_text: Coded) -> tuple[np.ndarray, list[int], list[tuple]]:
    """Codes per row for each distinct (agency, region text), the first row of each, and the pairs."""
    combined = agency.codes.astype(np.int64) * (len(region_text.values) + 1) + region_text.codes
    codes, _ = pd.factorize(combined)
    firsts = np.unique(codes, return_index=True)[1].tolist()
    keys = [(agency.values[agency.codes[k]], region_text.values[region_text.codes[k]]) for k in firsts]
    return codes.astype(np.int32), firsts, keys


def _sector_guess(agency: object, home_sector: str | None) -> str | None:
    guess = infer_sector(agency if isinstance(agency, str) else None)
    if guess in (None, "其他") and home_sector not in (None, "其他"):
        return home_sector
    return guess


def _merged_meta(table_meta: Meta, sheet_meta: Meta) -> Meta:
    """A table's own meta lines, falling back to the sheet's for what they do not say."""
    if table_meta is sheet_meta:
        return sheet_meta
    merged = Meta(
        titles=table_meta.titles + sheet_meta.titles,
        reporter=table_meta.reporter or sheet_meta.reporter,
        reporter_where=table_meta.reporter_where or sheet_meta.reporter_where,
        unit=table_meta.unit or sheet_meta.unit,
        years=table_meta.years or sheet_meta.years,
        report_year=table_meta.report_year or sheet_meta.report_year,
        theme=table_meta.theme or sheet_meta.theme,
    )
    return merged


__all__ = ["Overrides", "ingest_file", "ingest_bytes"]
