"""A briefing pack in the format a file name asks for: .pptx, .xlsx, .docx or .html.

The page and ``python -m metrics brief`` both come through here, so a pack downloaded from the
dashboard and one made on the command line are the same file for the same scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from metrics.analysis.query import Filters
from metrics.briefing import render
from metrics.briefing.brief import DEFAULT_BREAKDOWNS, MAP_SECTION, Brief, build_brief, map_notes, map_rows
from metrics.briefing.office import DOCX_MIME, PPTX_MIME, XLSX_MIME, display_table, kpi_rows, to_docx, to_pptx, to_xlsx
from metrics.core.fmt import format_metric

MIMES = {".pptx": PPTX_MIME, ".xlsx": XLSX_MIME, ".docx": DOCX_MIME, ".html": "text/html"}
DOCX_IMAGE = {"width": 1000, "height": 560, "scale": 2}


@dataclass(frozen=True)
class Pack:
    data: bytes
    file_name: str
    mime: str
    brief: Brief
    notes: tuple[str, ...] = ()  # what the reader should know, e.g. why a Word file has no chart images


def pack_images(brief: Brief, *, charts: bool, with_map: bool) -> tuple[list[bytes | None], bytes | None, list[str]]:
    """PNGs of the charts and of the map (those asked for that the brief has), drawn through one browser:
    (chart images, map image, notes); where the server cannot draw, none and the notes say why."""
    figures = [c.figure() for c in brief.charts] if charts else []
    count = len(figures)
    if with_map and brief.map is not None and brief.map_measure is not None:
        figures.append(brief.map.figure(title=brief.map_title, unit=brief.map_measure.unit))
    if not figures:
        return [], None, []
    try:
        drawn = render.render_images(figures, "png", **DOCX_IMAGE)
    except render.RenderUnavailable as exc:
        notes = [f"Word 简报中未插入图表图片:{exc}(图表的数字表格仍在)"] if count else []
        if len(figures) > count:
            notes.append(f"简报中未插入地图图片:{exc}(地区分布的数字表格和说明仍在)")
        return [None] * count, None, notes
    return list(drawn[:count]), drawn[count] if len(figures) > count else None, []


def _map_html(brief: Brief) -> list[render.HtmlBlock]:
    """地区分布: the interactive map (it fetches nothing: see maps), its numbers and its notes."""
    if brief.map is None or brief.map_measure is None:
        return []
    return [
        render.Heading(MAP_SECTION),
        render.Chart(brief.map.figure(title=brief.map_title, unit=brief.map_measure.unit)),
        render.Table(brief.map_title, map_rows(brief)),
        render.Paragraph("\n".join(map_notes(brief))),
    ]


def to_html(brief: Brief) -> bytes:
    """One offline page: title, scope, summary, KPIs, every chart (interactive), the map and the agency table."""
    blocks: list[render.HtmlBlock] = [
        render.Paragraph(f"{brief.scope} · {brief.made:%Y年%-m月%-d日}"),
        render.Heading("总体情况"),
        render.Paragraph(brief.summary),
    ]
    if brief.kpis:
        rows = [
            {
                **item,
                "本期": format_metric(item["本期"], str(item["计量单位"])),
                "上年同期": format_metric(item["上年同期"], str(item["计量单位"])),
            }
            for item in kpi_rows(brief)
        ]
        blocks += [
            render.Heading("主要指标"),
            render.Table(brief.kpi_caption, pd.DataFrame(rows).drop(columns=["计量单位"])),
        ]
    if brief.charts:
        blocks.append(render.Heading("分项情况"))
        blocks += [render.Chart(c.figure()) for c in brief.charts]
    blocks += _map_html(brief)
    if not brief.table.empty:
        blocks += [render.Heading("各单位情况"), render.Table("", display_table(brief.table, limit=len(brief.table)))]
    return render.pack_html(brief.title, blocks)


def write_pack(fmt: str, brief: Brief, *, images: bool = True) -> Pack:
    """``brief`` as ``fmt`` (".pptx", ".xlsx", ".docx", ".html"); ``images`` renders the charts into Word and
    the map into PowerPoint and Word on the server (without it they carry the numbers only)."""
    fmt = fmt.lower() if fmt.startswith(".") else f".{fmt.lower()}"
    notes: list[str] = []
    if fmt == ".pptx":
        _, picture, notes = pack_images(brief, charts=False, with_map=True) if images else ([], None, [])
        data = to_pptx(brief, picture)
    elif fmt == ".xlsx":
        data = to_xlsx(brief)
    elif fmt == ".docx":
        pictures, picture, notes = pack_images(brief, charts=True, with_map=True) if images else ([], None, [])
        data = to_docx(brief, pictures, picture)
    elif fmt == ".html":
        data = to_html(brief)
    else:
        raise ValueError(f"不支持的简报格式:{fmt}(可选 .pptx .xlsx .docx .html)")
    return Pack(data, f"{brief.file_stem}{fmt}", MIMES[fmt], brief, tuple(notes))


def make_pack(
    fmt: str,
    frame: pd.DataFrame,
    filters: Filters,
    *,
    measures: Iterable[str] | None = None,
    breakdowns: Iterable[str] = DEFAULT_BREAKDOWNS,
    title: str | None = None,
    summary: str | None = None,
    texts: Callable[[Iterable[int]], Mapping[int, tuple[str | None, str | None]]] | None = None,
    images: bool = True,
    maps: bool = True,
) -> Pack:
    brief = build_brief(
        frame, filters, measures=measures, breakdowns=breakdowns, title=title, summary=summary, texts=texts, maps=maps
    )
    return write_pack(fmt, brief, images=images)
