"""Return templates (报表模板): an .xlsx to send out per campaign, recognised exactly when it comes back.

A template carries a very hidden sheet holding a JSON marker (unit, region, year, header row and
which column is which metric). The reader (``metrics/reading/ingest.py``) reads a returned template by that
marker instead of guessing; when the user has changed the header it says so and reads the sheet
like any other return.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from metrics.core.catalog import Catalog, MetricDef, default_catalog
from metrics.core.issues import IssueSink
from metrics.core.record import col_letter
from metrics.core.text import cell_text, normalize_label
from metrics.reading.tables import Column
from metrics.reading.workbook import SheetGrid

MARKER_SHEET = "_outreach315"
MARKER_KIND = "outreach-315"
MARKER_VERSION = 1
DATA_SHEET = "报表"
_DIMS = (("activity", "活动名称"), ("date", "日期"))


class TemplateError(ValueError):
    """A template cannot be built as asked (unknown metric, a metric without one unit); message in Chinese."""


@dataclass(frozen=True)
class TemplateMarker:
    """A returned template's marker, checked against the catalog (rows are 1-based, as users see them)."""

    campaign: str
    year: int
    unit: str
    region: str | None
    theme: str | None
    sheet: str
    header_row: int
    first_data_row: int
    metrics: dict[str, str]  # column letter → metric id
    labels: dict[str, str]  # column letter → header text as written
    dims: dict[str, str]  # column letter → activity / date


def header_label(metric: MetricDef) -> str:
    """A metric column's header: the catalog's Chinese name and canonical unit ('发放宣传资料（份）')."""
    return f"{metric.zh}（{metric.unit}）"


def build_template(
    *,
    campaign: str,
    year: int,
    unit: str,
    region: str | None,
    metrics: Sequence[str],
    theme: str | None = None,
    activities: int = 10,
    catalog: Catalog | None = None,
) -> bytes:
    """An .xlsx return template for one unit: a row per activity, a column per asked-for metric."""
    import xlsxwriter  # here, not at the top: the reader imports this module and never writes

    catalog = catalog or default_catalog()
    chosen = _chosen_metrics(metrics, catalog)
    if not unit.strip():
        raise TemplateError("模板需要填报单位")
    if activities < 1:
        raise TemplateError("模板至少要有 1 行活动")
    width = len(_DIMS) + len(chosen)
    meta_lines = [
        f"填报单位:{unit}",
        *([f"地区:{region}"] if region else []),
        f"年度:{year}",
        *([f"活动主题:{theme}"] if theme else []),
    ]
    header = 1 + len(meta_lines) + 1  # 0-based: title, meta lines, a blank row
    first, last = header + 1, header + activities
    labels = {col_letter(j): name for j, (_, name) in enumerate(_DIMS)}
    labels |= {col_letter(len(_DIMS) + k): header_label(m) for k, m in enumerate(chosen)}
    marker = {
        "template": MARKER_KIND,
        "version": MARKER_VERSION,
        "campaign": campaign,
        "year": year,
        "unit": unit,
        "region": region,
        "theme": theme,
        "sheet": DATA_SHEET,
        "metrics": [{"id": m.id, "unit": m.unit} for m in chosen],
        "header_row": header + 1,
        "first_data_row": first + 1,
        "columns": {col_letter(len(_DIMS) + k): m.id for k, m in enumerate(chosen)},
        "dims": {col_letter(j): role for j, (role, _) in enumerate(_DIMS)},
        "labels": labels,
    }
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    fmt = _formats(book)
    sheet = book.add_worksheet(DATA_SHEET)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, width - 1, 16)
    sheet.merge_range(0, 0, 0, width - 1, f"{year}年“3·15”国际消费者权益日{campaign}报表", fmt["title"])
    sheet.set_row(0, 30)
    for i, line in enumerate(meta_lines, start=1):
        sheet.merge_range(i, 0, i, width - 1, line, fmt["meta"])
    for j, text in enumerate(labels.values()):
        sheet.write_string(header, j, text, fmt["header"])
    sheet.set_row(header, 36)
    for i in range(first, last + 1):
        sheet.write_blank(i, 0, None, fmt["text"])
        sheet.write_blank(i, 1, None, fmt["date"])
        for k, m in enumerate(chosen):
            sheet.write_blank(i, len(_DIMS) + k, None, fmt["money" if m.is_money else "count"])
    for k, m in enumerate(chosen):
        sheet.data_validation(first, len(_DIMS) + k, last, len(_DIMS) + k, _validation(m))
    sheet.write_string(last + 2, 0, "填表人:", fmt["meta"])
    sheet.write_string(last + 2, 2, "联系电话:", fmt["meta"])
    # Only the data cells are unlocked; no password: the protection guards against slips, not people.
    sheet.protect("", {"format_columns": True, "format_rows": True, "insert_rows": True})
    sheet.freeze_panes(first, 0)
    hidden = book.add_worksheet(MARKER_SHEET)
    hidden.write_string(0, 0, json.dumps(marker, ensure_ascii=False))
    hidden.write_string(1, 0, "本工作表由 3·15 数据看板生成,用于识别报表模板,请勿修改")
    hidden.very_hidden()
    sheet.activate()
    book.close()
    return buffer.getvalue()


def save_template(path: str | Path, **kwargs) -> Path:
    """Write ``build_template(**kwargs)`` to ``path`` (the entry point until the CLI/page wiring lands)."""
    out = Path(path)
    out.write_bytes(build_template(**kwargs))
    return out


def _chosen_metrics(ids: Sequence[str], catalog: Catalog) -> list[MetricDef]:
    chosen: list[MetricDef] = []
    for metric_id in dict.fromkeys(i.strip() for i in ids if i.strip()):
        if metric_id not in catalog.metrics:
            raise TemplateError(f"指标“{metric_id}”不在指标目录中")
        metric = catalog[metric_id]
        if metric.kind == "quantity":
            # Goods are destroyed in 条, 千克, 床 …: one column cannot hold them in one unit.
            raise TemplateError(
                f"“{metric.zh}”按物品各有计量单位,不能放在模板的一列里;请另附物品清单(物品 | 数量 | 计量单位)"
            )
        chosen.append(metric)
    if not chosen:
        raise TemplateError("模板至少要有一个指标")
    return chosen


def _formats(book) -> dict:
    border = {"border": 1, "font_name": "宋体", "font_size": 11}
    return {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "meta": book.add_format({"font_size": 11}),
        "header": book.add_format(
            border | {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#DDEBF7"}
        ),
        "text": book.add_format(border | {"locked": False}),
        "date": book.add_format(border | {"locked": False, "num_format": "yyyy-mm-dd"}),
        "count": book.add_format(border | {"locked": False, "num_format": "0"}),
        "money": book.add_format(border | {"locked": False, "num_format": "0.00"}),
    }


def _validation(metric: MetricDef) -> dict:
    kind, what = ("decimal", "不小于 0 的数") if metric.is_money else ("integer", "不小于 0 的整数")
    return {
        "validate": kind,
        "criteria": ">=",
        "value": 0,
        "ignore_blank": True,
        "input_title": metric.zh[:32],
        "input_message": f"单位:{metric.unit}",
        "error_title": "请填写数字",
        "error_message": f"“{metric.zh}”请填写{what},单位为{metric.unit}",
    }


# ---- recognising a returned template -------------------------------------------------------------


def find_marker(grids: list[SheetGrid], catalog: Catalog, sink: IssueSink) -> TemplateMarker | None:
    """The marker of a returned template, or None (no marker, or one that cannot be trusted: a warning)."""
    grid = next((g for g in grids if g.name == MARKER_SHEET), None)
    if grid is None:
        return None
    try:
        raw = json.loads(cell_text(grid.rows[0][0]) if grid.rows and grid.rows[0] else "")
        marker = _to_marker(raw, catalog)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        sink.add(
            "template-marker-invalid",
            "warning",
            f"{MARKER_SHEET}!A1",
            f"文件带有报表模板标记,但标记无法使用({exc});已按普通报表识别",
            value=MARKER_SHEET,
        )
        return None
    if not any(g.name == marker.sheet for g in grids):
        sink.add(
            "template-marker-invalid",
            "warning",
            f"{MARKER_SHEET}!A1",
            f"报表模板的工作表“{marker.sheet}”已不存在(可能被改名);已按普通报表识别",
            value=marker.sheet,
        )
        return None
    return marker


def _to_marker(raw: dict, catalog: Catalog) -> TemplateMarker:
    if raw.get("template") != MARKER_KIND or raw.get("version") != MARKER_VERSION:
        raise ValueError(f"不认识的模板标记 {raw.get('template')!r} 版本 {raw.get('version')!r}")
    columns = {str(k): str(v) for k, v in raw["columns"].items()}
    unknown = [v for v in columns.values() if v not in catalog.metrics]
    if unknown:
        raise ValueError(f"指标 {','.join(unknown)} 不在指标目录中")
    labels = {str(k): str(v) for k, v in raw["labels"].items()}
    dims = {str(k): str(v) for k, v in raw.get("dims", {}).items()}
    for letter in (*columns, *dims):
        _col_index(letter)
        if letter not in labels:
            raise ValueError(f"列 {letter} 没有表头文字")
    if any(role not in ("activity", "date") for role in dims.values()):
        raise ValueError("说明列只能是活动名称或日期")
    year, header, first = int(raw["year"]), int(raw["header_row"]), int(raw["first_data_row"])
    if not (header >= 1 and first > header and columns and str(raw["unit"]).strip()):
        raise ValueError("表头行、数据行或填报单位不完整")
    return TemplateMarker(
        campaign=str(raw.get("campaign") or ""),
        year=year,
        unit=str(raw["unit"]),
        region=raw.get("region") or None,
        theme=raw.get("theme") or None,
        sheet=str(raw["sheet"]),
        header_row=header,
        first_data_row=first,
        metrics=columns,
        labels=labels,
        dims=dims,
    )


def template_columns(grid: SheetGrid, marker: TemplateMarker, catalog: Catalog, sink: IssueSink) -> list[Column] | None:
    """The sheet's columns as the marker declares them, or None after a warning when the header
    cells no longer say what the template wrote (a column moved, renamed or inserted)."""
    row = marker.header_row - 1 - grid.row0
    for letter, label in marker.labels.items():
        col = _col_index(letter) - grid.col0
        found = grid.rows[row][col] if 0 <= row < len(grid.rows) and 0 <= col < len(grid.rows[row]) else None
        if normalize_label(cell_text(found)) != normalize_label(label):
            sink.add(
                "template-changed",
                "warning",
                f"{grid.name}!{letter}{marker.header_row}",
                f"报表模板的表头被改动:{letter}{marker.header_row} 原为“{label}”,现为“{cell_text(found)}”;"
                "已按普通报表识别各列,请核对读取结果",
                value=cell_text(found),
            )
            return None
    columns = [Column(_col_index(k) - grid.col0, marker.labels[k], role) for k, role in marker.dims.items()]
    for letter, metric_id in marker.metrics.items():
        metric = catalog[metric_id]
        columns.append(
            Column(_col_index(letter) - grid.col0, marker.labels[letter], "metric", metric=metric, unit=metric.unit)
        )
    known = {c.index for c in columns}
    header = grid.rows[row]
    for j in range(grid.width):
        if j in known:
            continue
        letter = col_letter(j + grid.col0)
        text = cell_text(header[j]) if j < len(header) else ""
        if text:
            sink.add(
                "template-changed",
                "warning",
                f"{grid.name}!{letter}{marker.header_row}",
                f"报表模板新增了一列“{text}”({letter}{marker.header_row});已按普通报表识别各列,请核对读取结果",
                value=text,
            )
            return None
        # A column the template does not have: numbers typed there are reported, never dropped silently.
        columns.append(Column(j, f"{letter}列(无表头)", "unmapped"))
    return sorted(columns, key=lambda c: c.index)


def _col_index(letters: str) -> int:
    value = 0
    if not letters:
        raise ValueError("列号为空")
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"列号 {letters!r} 无效")
        value = value * 26 + ord(ch) - 64
    return value - 1


__all__ = [
    "MARKER_SHEET",
    "TemplateError",
    "TemplateMarker",
    "build_template",
    "find_marker",
    "header_label",
    "save_template",
    "template_columns",
]
