"""The app's one Plotly look ("outreach") and figure builders that label values in 万/亿, never "30k"."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BaseTraceType

from metrics.core.fmt import format_metric, nice_ticks
from metrics.core.labels import t, unit_name

TEMPLATE_NAME = "outreach"
FONT_FAMILY = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif'
SEPARATORS = ".,"
MISSING_LABEL = "未注明"
# Dates further apart than this are not joined by the daily line (a few quiet days inside one campaign are).
GAP_DAYS = 7
COLORWAY: tuple[str, ...] = (
    "#3A6EA5",
    "#E08A3C",
    "#5B9E72",
    "#C4575A",
    "#8A6BB0",
    "#4AA3B5",
    "#A88B5B",
    "#D284A8",
    "#7D8793",
    "#B4B446",
)
_TEXT = "#1F2933"
_GRID = "#E6E9EE"
_LINE = "#C5CBD3"
# Hover and on-bar text come from customdata: [0] category label, [1] formatted value, [2] series / level, [3] path.
_HOVER = "%{customdata[0]}<br>%{customdata[1]}<extra></extra>"
_HOVER_SERIES = "%{customdata[2]}<br>%{customdata[0]}:%{customdata[1]}<extra></extra>"
_HOVER_NODE = "%{customdata[3]}<br>%{customdata[1]}<extra></extra>"
_DATE_TICKS = (
    ((None, 86_400_000), "%-m月%-d日 %H:%M"),
    ((86_400_000, "M1"), "%-m月%-d日"),
    (("M1", "M12"), "%Y年%-m月"),
    (("M12", None), "%Y年"),
)
_DATE_TICKS_EN = (
    ((None, 86_400_000), "%b %-d %H:%M"),
    ((86_400_000, "M1"), "%b %-d"),
    (("M1", "M12"), "%b %Y"),
    (("M12", None), "%Y"),
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$")
_ILLEGAL_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED_FILENAMES = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}

# Plotly's own zh-CN strings are a separate script; carrying them in the config keeps the app offline.
ZH_CN_LOCALE: dict[str, dict] = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "框选",
        "Lasso Select": "套索选择",
        "Pan": "平移",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "Reset": "重置",
        "Reset axes": "重置坐标轴",
        "Reset view": "重置视图",
        "Reset views": "重置视图",
        "Toggle Spike Lines": "显示/隐藏辅助线",
        "Show closest data on hover": "悬停显示最近的数据",
        "Compare data on hover": "悬停比较数据",
        "Toggle show closest data on hover": "切换悬停显示方式",
        "Download plot": "下载图片",
        "Download plot as a PNG": "下载图片(PNG)",
        "Image download succeeded": "图片已下载",
        "Preparing image - this may take a few seconds": "正在生成图片,请稍候",
        "Sorry, there was a problem downloading your image!": "抱歉,图片下载失败!",
        "Double-click to zoom back out": "双击恢复原始大小",
        "Double-click on legend to isolate one trace": "双击图例只看这一项",
        "Produced with Plotly.js": "由 Plotly.js 生成",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "periods": ["上午", "下午"],
        "dateTime": "%Y年%-m月%-d日 %X",
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": ["¥", ""],
        "year": "%Y年",
        "month": "%Y年%-m月",
        "dayMonth": "%-m月%-d日",
        "dayMonthYear": "%Y年%-m月%-d日",
    },
}


def _build_template() -> go.layout.Template:
    """White page, light grid, CJK fonts, legend on top, small margins."""
    axis = {
        "gridcolor": _GRID,
        "linecolor": _LINE,
        "zerolinecolor": _LINE,
        "automargin": True,
        "ticks": "",
        "title": {"standoff": 8},
    }
    colors = list(COLORWAY)
    return go.layout.Template(
        layout={
            "font": {"family": FONT_FAMILY, "size": 13, "color": _TEXT},
            "title": {"x": 0, "xanchor": "left", "font": {"size": 16}},
            "colorway": colors,
            "piecolorway": colors,
            "treemapcolorway": colors,
            "sunburstcolorway": colors,
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "xaxis": axis,
            "yaxis": axis,
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
            "margin": {"l": 10, "r": 10, "t": 72, "b": 10},
            "hoverlabel": {"font": {"family": FONT_FAMILY}},
            "uniformtext": {"mode": "hide", "minsize": 10},
            "separators": SEPARATORS,
        }
    )


pio.templates[TEMPLATE_NAME] = _build_template()


def apply_template(fig: go.Figure) -> go.Figure:
    """Give a figure the outreach look; the font is also set on the figure so a host theme cannot drop it."""
    fig.update_layout(template=pio.templates[TEMPLATE_NAME], separators=SEPARATORS, font_family=FONT_FAMILY)
    return fig


def _figure(traces: Sequence[BaseTraceType], title: str) -> go.Figure:
    """A templated figure holding `traces`, titled."""
    fig = go.Figure(data=list(traces))
    apply_template(fig)
    fig.update_layout(title_text=title)
    return fig


def empty_figure(message: str, *, title: str = "") -> go.Figure:
    """A blank, templated figure that says why there is nothing to draw."""
    fig = _figure([], title)
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 15, "color": "#7D8793"}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _label(value: object) -> str | None:
    """A category label as text; None when the cell holds nothing (None, NaN, blank)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year read as 2024.0 is labelled 2024
    text = str(value).strip()
    return text or None


def _require(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise a KeyError naming the columns the frame lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"数据中没有这些列: {', '.join(missing)}")


def _sum_by(df: pd.DataFrame, keys: Sequence[str], value: str) -> pd.DataFrame:
    """Sum `value` per key combination, in first-appearance order (numbers and dates sorted); blank values dropped."""
    _require(df, [*keys, value])
    data = df[[*keys, value]].copy()
    data[value] = pd.to_numeric(data[value])
    data = data.dropna(subset=[value])
    ordered = [
        k for k in keys if pd.api.types.is_numeric_dtype(data[k]) or pd.api.types.is_datetime64_any_dtype(data[k])
    ]
    if ordered:
        data = data.sort_values(ordered, kind="stable")
    for key in keys:
        if pd.api.types.is_datetime64_any_dtype(data[key]):
            data = data.dropna(subset=[key])
        else:
            data[key] = [_label(v) or MISSING_LABEL for v in data[key]]
    return data.groupby(list(keys), sort=False, as_index=False)[value].sum()


def _unit_title(unit: str, lang: str = "zh") -> str:
    """The value axis title: the unit, so ticks read "1万" + "单位:人次" ("Unit: person-times" in English)."""
    return t("chart.unit", lang, unit=unit_name(unit, lang)) if unit else ""


def _value_axis(
    fig: go.Figure, axis: str, values: Sequence[float], unit: str, *, room: bool = False, lang: str = "zh"
) -> None:
    """Put Chinese tick labels from nice_ticks on the value axis; `room` leaves space for text outside bars."""
    ticks, labels = nice_ticks(min(values), max(values), lang=lang)
    low, high = ticks[0], ticks[-1]
    if room:
        pad = (high - low) * 0.12
        high += pad if max(values) > 0 else 0
        low -= pad if min(values) < 0 else 0
    fig.update_layout(
        {
            f"{axis}axis": {
                "tickmode": "array",
                "tickvals": ticks,
                "ticktext": labels,
                "range": [low, high],
                "title": {"text": _unit_title(unit, lang)},
            }
        }
    )


def _no_data(data: pd.DataFrame, title: str, lang: str = "zh") -> go.Figure | None:
    """The empty figure when nothing is left to draw, else None."""
    return empty_figure(t("chart.no_data", lang), title=title) if data.empty else None


def bar_ranked(
    df: pd.DataFrame,
    label: str,
    value: str,
    *,
    title: str,
    unit: str,
    top: int = 20,
    horizontal: bool = True,
    lang: str = "zh",
) -> go.Figure:
    """Totals per label, largest first (at the top when horizontal), at most `top` bars."""
    data = _sum_by(df, [label], value).sort_values(value, ascending=False, kind="stable")
    if (empty := _no_data(data, title, lang)) is not None:
        return empty
    if len(data) > top:
        data, title = data.head(top), t("chart.top", lang, title=title, n=top)
    labels, values = data[label].tolist(), data[value].tolist()
    shown = [format_metric(v, unit, lang=lang) for v in values]
    bar = go.Bar(
        x=values if horizontal else labels,
        y=labels if horizontal else values,
        orientation="h" if horizontal else "v",
        customdata=[[lab, s] for lab, s in zip(labels, shown)],
        text=shown,
        textposition="outside",
        cliponaxis=False,
        hovertemplate=_HOVER,
        marker_color=COLORWAY[0],
    )
    fig = _figure([bar], title)
    category = {"type": "category", "autorange": "reversed" if horizontal else True}
    fig.update_layout({"yaxis" if horizontal else "xaxis": category, "showlegend": False})
    if horizontal:  # bars keep their thickness: a 3-bar ranking is short, a 20-bar one tall
        fig.update_layout(height=max(220, min(720, 110 + 30 * len(labels))))
    _value_axis(fig, "x" if horizontal else "y", values, unit, room=True, lang=lang)
    return fig


def bar_rates(df: pd.DataFrame, label: str, value: str, *, title: str, top: int = 40, lang: str = "zh") -> go.Figure:
    """Rates in percent per label, largest first, on a 0–100% axis whatever the largest: 20% looks like 20%."""
    fig = bar_ranked(df, label, value, title=title, unit="%", top=top, lang=lang)
    if not df.empty:
        ticks = [0, 20, 40, 60, 80, 100]
        fig.update_layout(
            xaxis={
                "tickmode": "array",
                "tickvals": ticks,
                "ticktext": [f"{v}%" for v in ticks],
                "range": [0, 112],
                "title": {"text": ""},
            }
        )
    return fig


def _is_date_axis(column: pd.Series) -> bool:
    """True for datetimes and ISO date strings; years as numbers stay categories."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    texts = [v for v in column.dropna() if isinstance(v, str) and v.strip()]
    return bool(texts) and len(texts) == column.dropna().size and all(_ISO_DATE.match(text.strip()) for text in texts)


def line_trend(
    df: pd.DataFrame, x: str, value: str, color: str | None = None, *, title: str, unit: str, lang: str = "zh"
) -> go.Figure:
    """Totals over years (categorical ticks, no "2,024") or ISO dates, one line per `color`."""
    _require(df, [x, value] + ([color] if color else []))
    frame = df.copy()
    dates = _is_date_axis(frame[x])
    if dates:
        frame[x] = pd.to_datetime(frame[x].map(lambda v: v.strip() if isinstance(v, str) else v), format="ISO8601")
    data = _sum_by(frame, [x] + ([color] if color else []), value)
    if (empty := _no_data(data, title, lang)) is not None:
        return empty
    groups = data.groupby(color, sort=False) if color else [("", data)]
    traces = []
    for series, part in groups:
        xs, ys = part[x].tolist(), part[value].tolist()
        names = [day.strftime("%Y-%m-%d") for day in xs] if dates else xs
        points = [[n, format_metric(v, unit, lang=lang), series] for n, v in zip(names, ys)]
        if dates:
            xs, ys, points = _break_at_gaps(xs, ys, points)
        traces.append(
            go.Scatter(
                name=str(series),
                x=xs,
                y=ys,
                mode="lines+markers",
                connectgaps=False,
                customdata=points,
                hovertemplate=_HOVER_SERIES if color else _HOVER,
                cliponaxis=False,
            )
        )
    fig = _figure(traces, title)
    if dates:
        stops = [{"dtickrange": list(r), "value": f} for r, f in (_DATE_TICKS_EN if lang == "en" else _DATE_TICKS)]
        fig.update_layout(xaxis={"type": "date", "tickformatstops": stops})
    else:
        order = list(dict.fromkeys(data[x]))
        fig.update_layout(xaxis={"type": "category", "categoryorder": "array", "categoryarray": order})
    fig.update_layout(showlegend=bool(color))
    _value_axis(fig, "y", data[value].tolist(), unit, lang=lang)
    return fig


def _break_at_gaps(xs: list, ys: list, points: list) -> tuple[list, list, list]:
    """A blank point between two dates more than GAP_DAYS apart, so the line stops there: a line drawn
    from one campaign to the next would claim activity on the months in between."""
    out_x, out_y, out_points = xs[:1], ys[:1], points[:1]
    for before, day, value, point in zip(xs, xs[1:], ys[1:], points[1:]):
        if (day - before).days > GAP_DAYS:
            out_x.append(before + (day - before) / 2)
            out_y.append(None)
            out_points.append(None)
        out_x.append(day)
        out_y.append(value)
        out_points.append(point)
    return out_x, out_y, out_points


def _node_id(parts: Sequence[str]) -> str:
    """A unique id for a path; "/" inside a name is made full-width so ids stay unambiguous."""
    return "/".join(p.replace("/", "／") for p in parts)


def _hierarchy(df: pd.DataFrame, path: Sequence[str], value: str) -> dict[tuple[str, ...], float]:
    """Subtree totals per path prefix; trailing blank levels are cut, inner blanks become 未注明."""
    if not path:
        raise ValueError("path 至少需要一列")
    _require(df, [*path, value])
    values = pd.to_numeric(df[value])
    if (values < 0).any():
        raise ValueError(f"{value} 含负值,无法画成面积图")
    totals: dict[tuple[str, ...], float] = {}
    for levels, amount in zip(df[list(path)].itertuples(index=False, name=None), values):
        if pd.isna(amount):
            continue
        parts = [_label(v) for v in levels]
        while parts and parts[-1] is None:
            parts.pop()
        named = tuple(p or MISSING_LABEL for p in parts) or (MISSING_LABEL,)
        for depth in range(1, len(named) + 1):
            totals[named[:depth]] = totals.get(named[:depth], 0.0) + float(amount)
    return totals


def _area_trace(
    kind: type[BaseTraceType], df: pd.DataFrame, path: list[str], value: str, unit: str, lang: str = "zh"
) -> BaseTraceType:
    """A treemap or sunburst trace built from explicit ids and parents, so blank levels never reach Plotly."""
    totals = _hierarchy(df, path, value)
    keys = list(totals)
    shown = [format_metric(totals[k], unit, lang=lang) for k in keys]
    return kind(
        ids=[_node_id(k) for k in keys],
        parents=[_node_id(k[:-1]) for k in keys],
        labels=[k[-1] for k in keys],
        values=[totals[k] for k in keys],
        branchvalues="total",
        customdata=[[k[-1], s, path[len(k) - 1], " / ".join(k)] for k, s in zip(keys, shown)],
        texttemplate="%{label}<br>%{customdata[1]}",
        hovertemplate=_HOVER_NODE,
    )


def treemap(df: pd.DataFrame, path: list[str], value: str, *, title: str, unit: str, lang: str = "zh") -> go.Figure:
    """Nested rectangles along `path` (e.g. 省 → 市 → 区); blank lower levels are allowed."""
    trace = _area_trace(go.Treemap, df, path, value, unit, lang)
    if not len(trace.ids):
        return empty_figure(t("chart.no_data", lang), title=title)
    return _figure([trace], title)


def sunburst(df: pd.DataFrame, path: list[str], value: str, *, title: str, unit: str, lang: str = "zh") -> go.Figure:
    """Nested rings along `path`; blank lower levels are allowed."""
    trace = _area_trace(go.Sunburst, df, path, value, unit, lang)
    if not len(trace.ids):
        return empty_figure(t("chart.no_data", lang), title=title)
    return _figure([trace], title)


def pie_share(df: pd.DataFrame, label: str, value: str, *, title: str, unit: str, lang: str = "zh") -> go.Figure:
    """A donut of shares per label, the total written in the hole."""
    data = _sum_by(df, [label], value).sort_values(value, ascending=False, kind="stable")
    if (empty := _no_data(data, title, lang)) is not None:
        return empty
    if (data[value] < 0).any():
        raise ValueError(f"{value} 含负值,无法画成占比图")
    labels, values = data[label].tolist(), data[value].tolist()
    shown = [format_metric(v, unit, lang=lang) for v in values]
    pie = go.Pie(
        labels=labels,
        values=values,
        hole=0.55,
        sort=False,
        direction="clockwise",
        customdata=[[lab, s] for lab, s in zip(labels, shown)],
        textposition="inside",
        texttemplate="%{label}<br>%{percent}",
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}(%{percent})<extra></extra>",
    )
    fig = _figure([pie], title)
    fig.add_annotation(
        text=f"{t('chart.total', lang)}<br>{format_metric(sum(values), unit, lang=lang)}",
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15},
    )
    # The template's legend sits above the plot, where a donut's many labels wrap over the title: below it.
    fig.update_layout(
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.02, "yanchor": "top"}, margin={"b": 10}
    )
    return fig


def safe_filename(name: str) -> str:
    """A file name with characters illegal on Windows/macOS/Linux removed; Chinese is kept."""
    text = _ILLEGAL_FILENAME.sub("", re.sub(r"\s+", " ", name or "")).strip().strip(".").strip()
    if text.lower().endswith(".png"):
        text = text[:-4].rstrip(" .")
    text = text[:120].rstrip(" .")
    if text.split(".")[0].upper() in _RESERVED_FILENAMES:
        text = f"{text}_"
    return text or "图表"


def chart_config(filename: str, lang: str = "zh") -> dict:
    """Plotly config for st.plotly_chart: no logo, 3× PNG download under `filename`, menus and dates in `lang`."""
    config = {
        "displaylogo": False,
        "showSendToCloud": False,  # plotly.js's "share" button would upload the figure to Plotly's cloud
        "toImageButtonOptions": {"format": "png", "scale": 3, "filename": safe_filename(filename)},
    }
    if lang != "en":  # plotly.js speaks English by itself
        config.update({"locale": "zh-CN", "locales": {"zh-CN": ZH_CN_LOCALE}})
    return config
