"""A brief written as PowerPoint, Excel and Word files a leader's office can open and keep editing.

Charts are native chart objects (python-pptx and xlsxwriter), not pictures: their numbers can be
edited in PowerPoint, WPS or Excel. Every text run names 微软雅黑 for East Asian text with the GB2312
character set, so PowerPoint, WPS and LibreOffice substitute an installed Chinese font (e.g. Noto
Sans CJK) where 微软雅黑 is missing instead of drawing boxes. Numbers in charts use an Excel number
format that shows 万 and 亿, and stay plain numbers underneath.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import xlsxwriter
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.shared import RGBColor as DocxColor
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches
from pptx.util import Pt as PptPt

from metrics.briefing.brief import (
    DIMENSION_NAMES,
    MAP_LEFT,
    MAP_ROWS,
    MAP_SECTION,
    Brief,
    ChartData,
    map_notes,
    map_rows,
)
from metrics.core.fmt import MINUS, change_text, comparison_texts, format_cn, format_metric
from metrics.core.safe_export import XLSX_OPTIONS

LATIN_FONT = "Microsoft YaHei"
EAST_ASIAN_FONT = "微软雅黑"
GB2312_CHARSET = "-122"  # tells the reader to substitute any installed Chinese font when 微软雅黑 is missing
# 123456 → 12.3万, 123456789 → 1.23亿, smaller numbers as they are. Excel, WPS and LibreOffice read it.
NUMBER_FORMAT = '[>=100000000]0\\.00,,"亿";[>=10000]0\\.0,"万";General'
TABLE_ROWS = 12  # agencies listed on a slide or page; the rest as one 其他 row
_BLUE = (0x3A, 0x6E, 0xA5)
_TEXT = (0x1F, 0x29, 0x33)
_MUTED = (0x7D, 0x87, 0x93)
_UP, _DOWN = (0xC4, 0x57, 0x5A), (0x5B, 0x9E, 0x72)  # red up, green down, as Chinese readers expect

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


KPI_COLUMNS = ("指标", "计量单位", "本期", "上年同期", "同比(同口径)", "比较口径", "全部单位同比")


def kpi_rows(brief: Brief) -> list[dict[str, object]]:
    """The KPI table as every format shows it (本期 and 上年同期 are numbers, over all units).

    同比(同口径) compares only the units that reported both years; 比较口径 says how many those are (or
    why there is no comparison); 全部单位同比 is the plain change of the totals, kept for reference.
    """
    rows: list[dict[str, object]] = []
    for tile in brief.kpis:
        change, note, _ = comparison_texts(tile)
        rows.append(
            dict(
                zip(
                    KPI_COLUMNS,
                    (
                        tile.measure.name(),
                        tile.measure.unit,
                        tile.value,
                        tile.previous,
                        change or ("暂不比较" if note else "—"),
                        note or "上年无数据",
                        change_text(tile.value, tile.previous) or "—",
                    ),
                )
            )
        )
    return rows


def display_table(table: pd.DataFrame, limit: int = TABLE_ROWS) -> pd.DataFrame:
    """The agency table cut for a slide or page: the first ``limit`` agencies, 其他(N家), 合计."""
    if table.empty or len(table) - 1 <= limit + 1:
        return table
    body, total = table.iloc[:-1], table.iloc[[-1]]
    rest = body.iloc[limit:]
    other = rest.iloc[:, 1:].sum(min_count=1).to_frame().T
    other.insert(0, table.columns[0], f"其他({len(rest)}家)")
    return pd.concat([body.iloc[:limit], other, total], ignore_index=True)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, (int, float)):
        return format_cn(value)
    return str(value)


# ---- PowerPoint -------------------------------------------------------------------------------


def _east_asian(rpr: etree._Element) -> None:
    """Name 微软雅黑 for East Asian text in a run's properties (the latin font is set by python-pptx)."""
    ns = "http://schemas.openxmlformats.org/drawingml/2006/main"
    for tag in ("ea", "cs"):
        node = rpr.find(f"{{{ns}}}{tag}")
        if node is None:
            node = etree.SubElement(rpr, f"{{{ns}}}{tag}")
            latin = rpr.find(f"{{{ns}}}latin")
            anchor = rpr.find(f"{{{ns}}}ea") if tag == "cs" else latin
            if anchor is not None:
                anchor.addnext(node)
        node.set("typeface", EAST_ASIAN_FONT)
        node.set("charset", GB2312_CHARSET)


def _font(font, size: float | None = None, *, bold: bool = False, color: tuple[int, int, int] = _TEXT) -> None:
    font.name = LATIN_FONT
    _east_asian(font._rPr)  # python-pptx has no API for the East Asian typeface
    if size:
        font.size = PptPt(size)
    font.bold = bold
    font.color.rgb = RGBColor(*color)


def _text(
    slide,
    text: str,
    left: float,
    top: float,
    width: float,
    height: float,
    *,
    size: float = 14,
    bold: bool = False,
    color: tuple[int, int, int] = _TEXT,
    align=PP_ALIGN.LEFT,
):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for k, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        _font(run.font, size, bold=bold, color=color)
    return box


def _slide_title(slide, text: str, note: str = "") -> None:
    _text(slide, text, 0.6, 0.35, 12.1, 0.7, size=26, bold=True)
    if note:
        _text(slide, note, 0.6, 1.0, 12.1, 0.4, size=12, color=_MUTED)


def _pptx_chart(slide, data: ChartData) -> None:
    chart_data = CategoryChartData(number_format=NUMBER_FORMAT)
    chart_data.categories = list(data.categories)
    series_name = f"{data.measure.name()}({data.unit})" if data.unit else data.measure.name()
    chart_data.add_series(series_name, list(data.values), number_format=NUMBER_FORMAT)
    kind = XL_CHART_TYPE.LINE_MARKERS if data.kind == "line" else XL_CHART_TYPE.BAR_CLUSTERED
    frame = slide.shapes.add_chart(kind, Inches(0.6), Inches(1.45), Inches(12.1), Inches(5.45), chart_data)
    chart = frame.chart
    _font(chart.font, 12)
    chart.has_legend = False
    chart.has_title = False  # the slide's title names the chart
    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = NUMBER_FORMAT
    labels.number_format_is_linked = False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END if data.kind == "bar" else XL_LABEL_POSITION.ABOVE
    _font(labels.font, 11)
    value_axis = chart.value_axis
    value_axis.tick_labels.number_format = NUMBER_FORMAT
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE6, 0xE9, 0xEE)
    if data.unit:
        value_axis.has_title = True
        value_axis.axis_title.text_frame.text = f"单位:{data.unit}"
        _font(value_axis.axis_title.text_frame.paragraphs[0].runs[0].font, 11, color=_MUTED)
    if data.kind == "bar":
        chart.category_axis.reverse_order = True  # largest on top, as the dashboard ranks
        plot.gap_width = 60
        plot.series[0].format.fill.solid()
        plot.series[0].format.fill.fore_color.rgb = RGBColor(*_BLUE)
    else:
        plot.series[0].format.line.color.rgb = RGBColor(*_BLUE)
        plot.series[0].smooth = False


def _kpi_tile(
    slide,
    left: float,
    top: float,
    width: float,
    height: float,
    name: str,
    value: str,
    change: str | None,
    note: str = "",
) -> None:
    tile = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
    tile.adjustments[0] = 0.08
    tile.fill.solid()
    tile.fill.fore_color.rgb = RGBColor(0xF4, 0xF6, 0xF9)
    tile.line.color.rgb = RGBColor(0xC5, 0xCB, 0xD3)
    frame = tile.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    lines = [(name, 14, False, _MUTED), (value, 28, True, _TEXT)]
    if change:
        arrow = "↑" if change.startswith("+") else "↓" if change.startswith(MINUS) else "→"
        color = _UP if arrow == "↑" else _DOWN if arrow == "↓" else _MUTED
        lines.append((f"同比 {arrow} {change.lstrip('+').removeprefix(MINUS)}", 13, False, color))
    lines += [(part, 10, False, _MUTED) for part in note.split("\n") if part]
    for k, (text, size, bold, color) in enumerate(lines):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.alignment = PP_ALIGN.CENTER
        run = paragraph.add_run()
        run.text = text
        _font(run.font, size, bold=bold, color=color)


def _tile_comparison(tile) -> tuple[str | None, str]:
    """The like-for-like change and, below it, how many units it covers and the all-units change."""
    change, note, all_units = comparison_texts(tile)
    return change, f"{note}\n{all_units}" if note else ""


def _pptx_table(slide, table: pd.DataFrame) -> None:
    shown = display_table(table)
    rows, cols = len(shown) + 1, len(shown.columns)
    height = min(5.6, 0.36 * rows)
    shape = slide.shapes.add_table(rows, cols, Inches(0.6), Inches(1.45), Inches(12.1), Inches(height))
    grid = shape.table
    grid.columns[0].width = Inches(3.4)
    for c in range(1, cols):
        grid.columns[c].width = Emu(int(Inches(8.7) / max(1, cols - 1)))
    for c, name in enumerate(shown.columns):
        _fill_cell(grid.cell(0, c), str(name), bold=True, align=PP_ALIGN.CENTER, size=11)
    for r, row in enumerate(shown.itertuples(index=False), start=1):
        last = r == rows - 1
        for c, value in enumerate(row):
            _fill_cell(
                grid.cell(r, c),
                _cell_text(value),
                bold=last,
                align=PP_ALIGN.LEFT if c == 0 else PP_ALIGN.RIGHT,
                size=11,
            )


def _fill_cell(cell, text: str, *, bold: bool, align, size: float) -> None:
    cell.text = ""
    paragraph = cell.text_frame.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run()
    run.text = text
    _font(run.font, size, bold=bold)
    cell.margin_top = cell.margin_bottom = Inches(0.03)


def _pptx_map_table(slide, shown: pd.DataFrame, left: float, top: float, width: float) -> None:
    """The numbers beside the map: 合计 (bold) first, then the units, compact enough for 20 rows."""
    rows, cols = len(shown) + 1, len(shown.columns)
    shape = slide.shapes.add_table(rows, cols, Inches(left), Inches(top), Inches(width), Inches(0.25 * rows))
    grid = shape.table
    grid.columns[0].width = Inches(width * 0.55)
    grid.columns[1].width = Inches(width * 0.45)
    for r in range(rows):
        grid.rows[r].height = Inches(0.25)
    for c, name in enumerate(shown.columns):
        _fill_cell(grid.cell(0, c), str(name), bold=True, align=PP_ALIGN.CENTER, size=10)
    for r, row in enumerate(shown.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            _fill_cell(
                grid.cell(r, c), str(value), bold=r == 1, align=PP_ALIGN.LEFT if c == 0 else PP_ALIGN.RIGHT, size=10
            )


def _pptx_map_slide(deck, brief: Brief, image: bytes | None) -> None:
    """The map as a picture (when the server could draw it) with its numbers beside it and its notes below."""
    assert brief.map is not None and brief.map_measure is not None
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _slide_title(
        slide, brief.map_title, f"合计 {format_metric(brief.map.total, brief.map_measure.unit)} · {brief.scope}"
    )
    shown = map_rows(brief, limit=MAP_ROWS)
    notes = "\n".join(map_notes(brief))
    if image:
        slide.shapes.add_picture(io.BytesIO(image), Inches(0.4), Inches(1.45), width=Inches(8.4))
        _pptx_map_table(slide, shown, 8.95, 1.45, 3.95)
        _text(slide, notes, 0.6, 6.2, 8.2, 1.0, size=11, color=_MUTED)
    else:
        _pptx_map_table(slide, shown, 0.6, 1.45, 6.0)
        _text(slide, notes, 7.0, 1.45, 5.7, 2.0, size=12, color=_MUTED)


def to_pptx(brief: Brief, map_image: bytes | None = None) -> bytes:
    """16:9 slides: title, summary, KPIs, one native chart per breakdown, the map (``map_image``, a PNG, with
    the numbers beside it; the numbers alone without it), the agency table."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(12_192_000), Emu(6_858_000)  # 16:9, as PowerPoint's own
    blank = deck.slide_layouts[6]

    slide = deck.slides.add_slide(blank)
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(2.3), deck.slide_width, Inches(0.08))
    band.fill.solid()
    band.fill.fore_color.rgb = RGBColor(*_BLUE)
    band.line.fill.background()
    _text(slide, brief.title, 0.8, 2.6, 11.7, 1.4, size=34, bold=True)
    _text(slide, brief.scope, 0.8, 4.1, 11.7, 0.6, size=16, color=_MUTED)
    _text(
        slide,
        f"{brief.made:%Y年%-m月%-d日} · 数据:{brief.record_count:,} 条记录",
        0.8,
        4.7,
        11.7,
        0.5,
        size=14,
        color=_MUTED,
    )

    slide = deck.slides.add_slide(blank)
    _slide_title(slide, "总体情况", brief.scope)
    _text(slide, brief.summary, 0.8, 1.6, 11.7, 5.4, size=18)

    if brief.kpis:
        slide = deck.slides.add_slide(blank)
        _slide_title(slide, "主要指标", brief.kpi_caption)
        per_row = 4 if len(brief.kpis) > 6 else 3
        width, height, gap = (12.1 - (per_row - 1) * 0.3) / per_row, 1.75, 0.3
        for k, tile in enumerate(brief.kpis[:12]):
            row, col = divmod(k, per_row)
            _kpi_tile(
                slide,
                0.6 + col * (width + gap),
                1.6 + row * (height + gap),
                width,
                height,
                tile.measure.name(),
                format_metric(tile.value, tile.measure.unit),
                *_tile_comparison(tile),
            )

    for data in brief.charts:
        slide = deck.slides.add_slide(blank)
        _slide_title(slide, data.title, f"合计 {format_metric(data.total, data.unit)} · {brief.scope}")
        _pptx_chart(slide, data)

    if brief.map is not None:
        _pptx_map_slide(deck, brief, map_image)

    if not brief.table.empty:
        slide = deck.slides.add_slide(blank)
        _slide_title(slide, "各单位情况", brief.scope)
        _pptx_table(slide, brief.table)

    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# ---- Excel ------------------------------------------------------------------------------------


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in "[]:*?/\\")[:28] or "Sheet"
    candidate, k = base, 2
    while candidate in used:
        candidate, k = f"{base}{k}", k + 1
    used.add(candidate)
    return candidate


def to_xlsx(brief: Brief) -> bytes:
    """概况 (summary, KPIs), one sheet per breakdown (tables with native charts), 各单位, 明细 (source cells)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**XLSX_OPTIONS, "in_memory": True})
    font = {"font_name": EAST_ASIAN_FONT, "font_size": 11}
    fmt = {
        "title": book.add_format({**font, "bold": True, "font_size": 16}),
        "muted": book.add_format({**font, "font_color": "#7D8793"}),
        "wrap": book.add_format({**font, "text_wrap": True, "valign": "top"}),
        "head": book.add_format({**font, "bold": True, "bg_color": "#E8EEF5", "border": 1, "text_wrap": True}),
        "text": book.add_format({**font, "border": 1}),
        "number": book.add_format({**font, "border": 1, "num_format": "#,##0.##;-#,##0.##;0"}),
        "total": book.add_format({**font, "border": 1, "bold": True}),
        "total_number": book.add_format({**font, "border": 1, "bold": True, "num_format": "#,##0.##;-#,##0.##;0"}),
        "plain": book.add_format(font),
    }
    used: set[str] = set()

    sheet = book.add_worksheet(_sheet_name("概况", used))
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 6, 16)
    sheet.set_column(5, 5, 34)  # 比较口径
    sheet.write_string(0, 0, brief.title, fmt["title"])
    sheet.write_string(1, 0, brief.scope, fmt["muted"])
    sheet.write_string(2, 0, f"生成时间 {brief.made:%Y-%m-%d %H:%M} · 记录 {brief.record_count} 条", fmt["muted"])
    sheet.write_string(4, 0, "总体情况", fmt["head"])
    sheet.merge_range(5, 0, 11, 4, brief.summary, fmt["wrap"])
    row = 13
    if brief.kpis:
        sheet.write_string(row, 0, f"主要指标({brief.kpi_caption})", fmt["head"])
        row += 1
        for c, name in enumerate(KPI_COLUMNS):
            sheet.write_string(row, c, name, fmt["head"])
        for item in kpi_rows(brief):
            row += 1
            for c, name in enumerate(KPI_COLUMNS):
                value = item[name]
                if name in ("本期", "上年同期") and isinstance(value, int | float):
                    sheet.write_number(row, c, float(value), fmt["number"])
                else:
                    sheet.write_string(row, c, "—" if value is None else str(value), fmt["text"])
        row += 2
    if brief.record_count > len(brief.records):
        sheet.write_string(
            row,
            0,
            f"“明细”表列出前 {len(brief.records)} 条记录(共 {brief.record_count} 条);完整明细请在看板“明细”页下载。",
            fmt["muted"],
        )

    by_breakdown: dict[str, list[ChartData]] = {}
    for data in brief.charts:
        by_breakdown.setdefault(data.section, []).append(data)
    for name, blocks in by_breakdown.items():
        sheet = book.add_worksheet(_sheet_name(name, used))
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 1, 16)
        sheet_name = sheet.get_name()
        row = 0
        for data in blocks:
            sheet.write_string(row, 0, data.label, fmt["head"])
            series = f"{data.measure.name()}({data.unit})" if data.unit else data.measure.name()
            sheet.write_string(row, 1, series, fmt["head"])
            first = row + 1
            for k, (label, value) in enumerate(zip(data.categories, data.values)):
                sheet.write_string(first + k, 0, label, fmt["text"])
                sheet.write_number(first + k, 1, value, fmt["number"])
            last = first + len(data.categories) - 1
            sheet.write_string(last + 1, 0, "合计", fmt["total"])
            sheet.write_formula(last + 1, 1, f"=SUM(B{first + 1}:B{last + 1})", fmt["total_number"], data.total)
            chart = book.add_chart({"type": "line" if data.kind == "line" else "bar"})
            chart.add_series(
                {
                    "name": series,
                    "categories": [sheet_name, first, 0, last, 0],
                    "values": [sheet_name, first, 1, last, 1],
                    "data_labels": {"value": True, "num_format": NUMBER_FORMAT, "font": {"name": EAST_ASIAN_FONT}},
                    "marker": {"type": "circle"} if data.kind == "line" else None,
                    "fill": {"color": "#3A6EA5"},
                    "line": {"color": "#3A6EA5"},
                }
            )
            chart.set_title({"name": data.title, "name_font": {"name": EAST_ASIAN_FONT, "size": 13}})
            chart.set_legend({"none": True})
            value_axis = {
                "num_format": NUMBER_FORMAT,
                "num_font": {"name": EAST_ASIAN_FONT},
                "major_gridlines": {"visible": True, "line": {"color": "#E6E9EE"}},
                "name": f"单位:{data.unit}" if data.unit else None,
                "name_font": {"name": EAST_ASIAN_FONT, "size": 10},
            }
            category_axis: dict[str, object] = {"num_font": {"name": EAST_ASIAN_FONT}}
            if data.kind == "bar":
                category_axis["reverse"] = True  # largest on top
                chart.set_x_axis(value_axis)
                chart.set_y_axis(category_axis)
            else:
                chart.set_x_axis(category_axis)
                chart.set_y_axis(value_axis)
            chart.set_size({"width": 640, "height": max(300, 60 + 26 * len(data.categories))})
            sheet.insert_chart(row, 3, chart)
            row = max(last + 4, row + 3 + (max(300, 60 + 26 * len(data.categories)) // 20))

    if brief.map is not None:
        _xlsx_map_sheet(book.add_worksheet(_sheet_name(MAP_SECTION, used)), brief, fmt)

    if not brief.table.empty:
        sheet = book.add_worksheet(_sheet_name("各单位", used))
        _write_frame(sheet, brief.table, fmt, total_last=True)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, len(brief.table.columns), 16)

    sheet = book.add_worksheet(_sheet_name("明细", used))
    records = brief.records.rename(columns=_RECORD_HEADERS)
    _write_frame(sheet, records, fmt, plain=True)
    sheet.set_column(0, len(records.columns), 14)
    sheet.set_column(0, 0, 28)
    sheet.set_column(len(records.columns) - 1, len(records.columns) - 1, 36)
    book.close()
    return buffer.getvalue()


def _xlsx_map_sheet(sheet, brief: Brief, fmt: dict) -> None:
    """地区分布: the map's units with numbers (largest first), 未落到图上 when part of the total is on no unit,
    a 合计 that is a SUM formula over them, the 区划代码 of each unit, and the map's notes."""
    assert brief.map is not None and brief.map_measure is not None
    measure, level = brief.map_measure, DIMENSION_NAMES[brief.map.level]
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 2, 12)
    sheet.write_string(0, 0, brief.map_title, fmt["title"])
    sheet.write_string(1, 0, brief.scope, fmt["muted"])
    header = 3
    sheet.write_string(header, 0, level, fmt["head"])
    sheet.write_string(header, 1, f"{measure.name()}({measure.unit})" if measure.unit else measure.name(), fmt["head"])
    sheet.write_string(header, 2, "区划代码", fmt["head"])
    row = header
    for unit in brief.map.valued().itertuples(index=False):
        row += 1
        sheet.write_string(row, 0, unit.name, fmt["text"])
        sheet.write_number(row, 1, float(unit.value), fmt["number"])
        sheet.write_string(row, 2, unit.adcode, fmt["text"])
    if brief.map.left:
        row += 1
        sheet.write_string(row, 0, MAP_LEFT, fmt["text"])
        sheet.write_number(row, 1, brief.map.left, fmt["number"])
        sheet.write_blank(row, 2, None, fmt["text"])
    sheet.write_string(row + 1, 0, "合计", fmt["total"])
    sheet.write_formula(row + 1, 1, f"=SUM(B{header + 2}:B{row + 1})", fmt["total_number"], brief.map.total)
    sheet.write_blank(row + 1, 2, None, fmt["total"])
    for k, note in enumerate(map_notes(brief)):
        sheet.write_string(row + 3 + k, 0, note, fmt["muted"])
    sheet.freeze_panes(header + 1, 0)


_RECORD_HEADERS = {
    "agency": "单位",
    "sector": "系统",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "year": "年度",
    "date": "日期",
    "theme": "主题",
    "activity": "活动形式",
    "metric": "指标",
    "value": "数值",
    "unit": "计量单位",
    "raw": "原文",
    "source": "来源单元格",
}


def _write_frame(sheet, frame: pd.DataFrame, fmt: dict, *, total_last: bool = False, plain: bool = False) -> None:
    """Header and rows; text always as text (never a formula), numbers as numbers, blanks blank.

    ``plain`` writes rows without cell formats, a row at a time: the records sheet's 20,000 rows
    take half the time.
    """
    for c, name in enumerate(frame.columns):
        sheet.write_string(0, c, str(name), fmt["head"])
    clean = frame.astype(object).where(frame.notna(), None)
    if plain:  # straight to write_string / write_number: the records sheet's 280,000 cells in about a second
        write_string, write_number = sheet.write_string, sheet.write_number
        for r, row in enumerate(clean.itertuples(index=False, name=None), start=1):
            for c, value in enumerate(row):
                if value.__class__ is str:
                    write_string(r, c, value)
                elif value is not None:
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        write_number(r, c, value)
                    else:
                        write_string(r, c, str(value))
        return
    last = len(frame)
    for r, row in enumerate(clean.itertuples(index=False, name=None), start=1):
        bold = total_last and r == last
        for c, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, c, None, fmt["total" if bold else "text"])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, c, float(value), fmt["total_number" if bold else "number"])
            else:
                sheet.write_string(r, c, str(value), fmt["total" if bold else "text"])


# ---- Word -------------------------------------------------------------------------------------

# A Word briefing is laid out as a 公文 (GB/T 9704): A4, 3.7 / 3.5 / 2.8 / 2.6 cm margins, the title in 方正小标宋简体
# 二号 (22 pt), first-level headings in 黑体, second-level in 楷体_GB2312, the body in 仿宋_GB2312 三号 (16 pt),
# Latin letters and digits in Times New Roman.
DOCX_FONTS: dict[str, tuple[str, float]] = {  # style → (East Asian font, size in pt)
    "Title": ("方正小标宋简体", 22),
    "Heading 1": ("黑体", 16),
    "Heading 2": ("楷体_GB2312", 16),
    "Normal": ("仿宋_GB2312", 16),
    "Table Grid": ("仿宋_GB2312", 10),
}
# What Word and WPS use where the named font is not installed (w:altName in the font table): 仿宋_GB2312 and
# 楷体_GB2312 come with old Windows and government machines; 仿宋, 楷体, 宋体 and 黑体 with every Windows.
DOCX_FALLBACKS: dict[str, str] = {
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
    "方正小标宋简体": "宋体",
    "黑体": "SimHei",
}
DOCX_LATIN_FONT = "Times New Roman"
A4 = (Cm(21.0), Cm(29.7))
DOCX_MARGINS = {"top_margin": Cm(3.7), "bottom_margin": Cm(3.5), "left_margin": Cm(2.8), "right_margin": Cm(2.6)}


def _docx_fonts(document) -> None:
    for name, (east_asian, size) in DOCX_FONTS.items():
        style = document.styles[name]
        style.font.name = DOCX_LATIN_FONT
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, fonts)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attr), DOCX_LATIN_FONT)
        fonts.set(qn("w:eastAsia"), east_asian)
        if name != "Normal" and name != "Table Grid":
            style.font.color.rgb = DocxColor(*_TEXT)
            style.font.bold = False  # 公文 headings take their weight from the font, not from bold
    _docx_font_table(document)


def _docx_font_table(document) -> None:
    """Declare the 公文 fonts in the font table, each with the font to use where it is missing."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.FONT_TABLE)
    table = etree.fromstring(part.blob)
    known = {node.get(qn("w:name")) for node in table.findall(qn("w:font"))}
    for name, fallback in DOCX_FALLBACKS.items():
        if name in known:
            continue
        font = etree.SubElement(table, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): fallback})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})  # GB2312
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "modern" if "仿宋" in name or "楷体" in name else "auto"})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def docx_table(document, frame: pd.DataFrame, *, total_last: bool = False, total_first: bool = False):
    """A 10 pt grid table of the frame, header bold; numbers written the Chinese way, blanks as —; the 合计
    row (last or first) bold."""
    table = document.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, name in enumerate(frame.columns):
        table.rows[0].cells[c].text = str(name)
        for run in table.rows[0].cells[c].paragraphs[0].runs:
            run.bold = True
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        cells = table.add_row().cells
        for c, value in enumerate(row):
            cells[c].text = _cell_text(value)
            if (total_last and r == len(frame)) or (total_first and r == 1):
                for run in cells[c].paragraphs[0].runs:
                    run.bold = True
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(10)
    return table


def gongwen_document():
    """An empty Word document laid out as a 公文: A4, GB/T 9704 margins, the 公文 fonts with their fallbacks."""
    document = Document()
    _docx_fonts(document)
    section = document.sections[0]
    section.page_width, section.page_height = A4
    for side, size in DOCX_MARGINS.items():
        setattr(section, side, size)
    return document


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (headings of a Chinese document, up to 99)."""
    tens, ones = divmod(n, 10)
    if n < 10:
        return _DIGITS[n]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def to_docx(brief: Brief, images: Sequence[bytes | None] | None = None, map_image: bytes | None = None) -> bytes:
    """A Word briefing: title, scope, 总体情况 (the summary), 主要指标, each chart (image if rendered) and table,
    地区分布 (the map's image if rendered, its numbers and notes), 各单位情况."""
    document = gongwen_document()
    section = document.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    document.add_heading(brief.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(f"{brief.scope}\n{brief.made:%Y年%-m月%-d日}")
    chapter = 0

    def heading(text: str) -> None:
        nonlocal chapter
        document.add_heading(f"{cn_number(chapter + 1)}、{text}", level=1)
        chapter += 1

    heading("总体情况")
    for paragraph in brief.summary.split("\n"):
        if paragraph.strip():
            document.add_paragraph(paragraph.strip()).paragraph_format.first_line_indent = Pt(24)
    if brief.kpis:
        heading("主要指标")
        if brief.kpi_caption:
            document.add_paragraph(brief.kpi_caption)
        rows = [
            {
                **item,
                "本期": format_metric(item["本期"], str(item["计量单位"])),
                "上年同期": format_metric(item["上年同期"], str(item["计量单位"])),
            }
            for item in kpi_rows(brief)
        ]
        docx_table(document, pd.DataFrame(rows).drop(columns=["计量单位"]))
    if brief.charts:
        heading("分项情况")
        for k, data in enumerate(brief.charts):
            document.add_heading(f"({cn_number(k + 1)}){data.title}", level=2)
            image = images[k] if images and k < len(images) else None
            if image:
                document.add_picture(io.BytesIO(image), width=width)
            shown = pd.DataFrame(
                {
                    data.label: list(data.categories) + ["合计"],
                    f"{data.measure.name()}({data.unit})" if data.unit else data.measure.name(): [
                        format_metric(v, data.unit) for v in (*data.values, data.total)
                    ],
                }
            )
            docx_table(document, shown, total_last=True)
    if brief.map is not None:
        heading(MAP_SECTION)
        title = document.add_paragraph(brief.map_title)
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.keep_with_next = True  # not alone at the foot of a page, the map overleaf
        if map_image:
            document.add_picture(io.BytesIO(map_image), width=width)
        for note in map_notes(brief):  # small print under the map, as on the page
            note_run = document.add_paragraph().add_run(note)
            note_run.font.size = Pt(12)
            note_run.font.color.rgb = DocxColor(*_MUTED)
        docx_table(document, map_rows(brief), total_first=True)
    if not brief.table.empty:
        heading("各单位情况")
        docx_table(document, display_table(brief.table), total_last=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
