"""Choropleth maps of China that draw with no network: plotly geo subplots fed the shapes of metrics.analysis.geo.

Why ``go.Choropleth`` on a geo subplot and not ``go.Choroplethmap``: the map (MapLibre) variant needs
WebGL, exports SVG only as an embedded raster and, with any named style, fetches style/tiles/glyphs
from the internet. The geo variant is plain SVG drawn by d3 in a conic projection; the one thing it
may fetch is a world topojson for base layers (land, coastlines) from ``config.topojsonURL``
(default ``https://cdn.plot.ly/un/``). plotly.js asks for it when any base layer is shown or when the
FIRST trace of the subplot has a ``locationmode`` (a choropleth with GeoJSON gets 'geojson-id').
So every geo subplot here shows no base layer and starts with a lon/lat scattergeo trace (the sea
boundary, or the outline of the region drawn); the fetch is never started. Should a later plotly.js
start it anyway, ``map_config`` points ``topojsonURL`` at an empty topology served by the app
(``static/geo/world_110m.json``), and ``geo_assets_script`` pre-loads the same for standalone HTML.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from metrics.analysis import geo
from metrics.analysis.charts import FONT_FAMILY, apply_template, chart_config
from metrics.analysis.query import UNKNOWN, Filters, measure_totals
from metrics.core.fmt import format_metric, nice_ticks
from metrics.core.labels import t, unit_name
from metrics.reading.regions import Region, default_gazetteer

# The boundary data carries no 审图号 (map approval number): every map says it is schematic (the text lives
# with every other label; packs and page help quote it from here).
NOTE_ZH = t("map.note")
# plotly.js names the base-layer file <scope>_<resolution>m.json; both are pinned on every subplot.
TOPOJSON_NAME = "world_110m"
# Served by Streamlit's static serving (server.enableStaticServing) from ./static/geo/; relative, so it
# also works under a baseUrlPath, as long as pages are one path segment deep (they are).
TOPOJSON_URL = "app/static/geo/"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static" / "geo"

COLORSCALE = [[0.0, "#D4E4F4"], [0.25, "#A6C6E5"], [0.5, "#6E9DCC"], [0.75, "#3A6EA5"], [1.0, "#1B3A63"]]
# Units without a value: a neutral grey, unlike the palest blue of a zero.
NO_DATA_COLOR = "#E9EAEC"
BORDER_COLOR = "#FFFFFF"
OUTLINE_COLOR = "#5D6875"
SEA_LINE_COLOR = "#4A7FB5"
NOTE_COLOR = "#7D8793"
# The national map's own frame: the mainland, Hainan island and Taiwan; the 南海诸岛 go in the inset.
NATIONAL_LON = (73.0, 135.5)
NATIONAL_LAT = (17.5, 54.0)
SCS_LON = (106.5, 123.0)
SCS_LAT = (2.5, 24.5)
SCS_PARENTS = frozenset({"460000"})
SCS_DOMAIN = {"x": [0.83, 1.0], "y": [0.0, 0.38]}
_HOVER = "%{customdata[0]}<br>%{customdata[1]}<extra></extra>"
_BASE_OFF = {
    f"show{layer}": False
    for layer in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits", "frame")
}


def label(key: str, lang: str = "zh") -> str:
    return t(key, lang)


def topojson_stub() -> dict:
    """An empty world topology: plotly.js accepts it as the base-layer file and draws no base layer."""
    empty = {"type": "GeometryCollection", "geometries": []}
    layers = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    return {"type": "Topology", "arcs": [], "objects": {name: dict(empty) for name in layers}}


def write_static(folder: Path = STATIC_DIR) -> Path:
    """Write the stub served at TOPOJSON_URL (committed; a test checks it is current)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{TOPOJSON_NAME}.json"
    path.write_text(json.dumps(topojson_stub(), separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def geo_assets_script() -> str:
    """A <script> to put before plotly.js in a standalone HTML file: plotly.js then finds the base-layer
    file already loaded and never fetches it."""
    stub = json.dumps(topojson_stub(), separators=(",", ":"))
    return f'<script>window.PlotlyGeoAssets={{topojson:{{"{TOPOJSON_NAME}":{stub}}}}};</script>'


def map_config(filename: str, lang: str = "zh") -> dict:
    """chart_config plus the local base-layer address, for st.plotly_chart(config=...)."""
    return {**chart_config(filename, lang), "topojsonURL": TOPOJSON_URL}


def _values(values: pd.Series | Mapping[str, float] | pd.DataFrame) -> dict[str, float]:
    """adcode → value from a Series indexed by adcode, a mapping, or a frame with columns adcode, value."""
    if isinstance(values, pd.DataFrame):
        missing = {"adcode", "value"} - set(values.columns)
        if missing:
            raise KeyError(f"数据中没有这些列: {', '.join(sorted(missing))}")
        if values["adcode"].duplicated().any():
            raise ValueError("同一区划代码出现多次:请先按区划代码汇总")
        values = values.set_index("adcode")["value"]
    items = values.items()
    out = {}
    for code, value in items:
        number = pd.to_numeric(value)
        if pd.notna(number):
            out[str(code)] = float(number)
    return out


def units_table(
    values: pd.Series | Mapping[str, float] | pd.DataFrame, level: str, parent: str | None = None
) -> pd.DataFrame:
    """The numbers beside the map: every unit it draws (adcode, name, value), largest first, units
    without a value last (NaN), so the table and the map always list the same places."""
    found = _values(values)
    rows = [
        (f["id"], f["properties"]["name"], found.get(f["id"], np.nan))
        for f in geo.boundaries(level, parent)["features"]
        if f["properties"]["level"] or f["id"] in found
    ]
    frame = pd.DataFrame(rows, columns=["adcode", "name", "value"])
    return frame.sort_values(
        ["value", "adcode"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)


def point_adcode(point: Mapping) -> str | None:
    """The adcode of the unit a click selected (a point of st.plotly_chart's selection): its ``location``,
    else ``customdata[2]``; None for anything else (the sea line has neither)."""
    custom = point.get("customdata")
    code = point.get("location") or (custom[2] if isinstance(custom, (list, tuple)) and len(custom) > 2 else None)
    return code if isinstance(code, str) else None


def _bbox(features: list[dict]) -> tuple[float, float, float, float]:
    boxes = [f["bbox"] for f in features]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _projection(lon: tuple[float, float], lat: tuple[float, float]) -> dict:
    """An equal-area conic for the region: centred on it, standard parallels at 1/6 and 5/6 of its height."""
    span = lat[1] - lat[0]
    return {
        "type": "conic equal area",
        "rotation": {"lon": round((lon[0] + lon[1]) / 2, 3)},
        "parallels": [round(lat[0] + span / 6, 3), round(lat[1] - span / 6, 3)],
    }


def _outline_trace(
    geo_id: str, lines: list[np.ndarray], *, color: str, width: float, dash: str = "solid"
) -> go.Scattergeo:
    """Lines as one lon/lat scattergeo (NaN between parts); it has no locationmode (see module doc)."""
    gap = np.full((1, 2), np.nan)
    points = np.concatenate([part for line in lines for part in (line, gap)]) if lines else np.empty((0, 2))
    return go.Scattergeo(
        lon=points[:, 0],
        lat=points[:, 1],
        mode="lines",
        geo=geo_id,
        hoverinfo="skip",
        showlegend=False,
        line={"color": color, "width": width, "dash": dash},
    )


def _choropleth_traces(
    shapes: dict, found: dict[str, float], geo_id: str, unit: str, lang: str, *, border: dict | None = None
) -> list[go.Choropleth]:
    """A grey layer for units without a value, then the coloured units (coloraxis shared by subplots)."""
    border = border or {"color": BORDER_COLOR, "width": 0.6}
    features = shapes["features"]
    empty = [f for f in features if f["id"] not in found]
    valued = [f for f in features if f["id"] in found]
    traces = []
    if empty:
        traces.append(
            go.Choropleth(
                geojson={"type": "FeatureCollection", "features": empty},
                locations=[f["id"] for f in empty],
                z=[0] * len(empty),
                geo=geo_id,
                colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                showscale=False,
                marker_line=border,
                hovertemplate=_HOVER,
                customdata=[[f["properties"]["name"], label("map.no_value", lang), f["id"]] for f in empty],
            )
        )
    if valued:
        traces.append(
            go.Choropleth(
                geojson={"type": "FeatureCollection", "features": valued},
                locations=[f["id"] for f in valued],
                z=[found[f["id"]] for f in valued],
                geo=geo_id,
                coloraxis="coloraxis",
                marker_line=border,
                hovertemplate=_HOVER,
                customdata=[
                    [f["properties"]["name"], format_metric(found[f["id"]], unit, lang=lang), f["id"]] for f in valued
                ],
            )
        )
    return traces


def _in_box(features: list[dict], lon: tuple[float, float], lat: tuple[float, float]) -> list[dict]:
    return [
        f
        for f in features
        if f["bbox"][0] < lon[1] and f["bbox"][2] > lon[0] and f["bbox"][1] < lat[1] and f["bbox"][3] > lat[0]
    ]


def _coloraxis(found: dict[str, float], unit: str, lang: str) -> dict:
    low, high = min(found.values(), default=0.0), max(found.values(), default=0.0)
    ticks, texts = nice_ticks(low, high, lang=lang)
    low, high = min(low, 0.0), max(high, low + 1e-9)
    inside = [(v, s) for v, s in zip(ticks, texts, strict=True) if low <= v <= high] or list(zip(ticks, texts))
    return {
        "colorscale": COLORSCALE,
        "cmin": low,
        "cmax": high,
        "colorbar": {
            "title": {"text": t("chart.unit", lang, unit=unit_name(unit, lang)) if unit else "", "side": "top"},
            "tickmode": "array",
            "tickvals": [v for v, _ in inside],
            "ticktext": [s for _, s in inside],
            "thickness": 12,
            "len": 0.5,
            "x": 1.0,
            "xanchor": "right",
            "y": 1.0,
            "yanchor": "top",
        },
    }


def _add_scs_inset(fig: go.Figure, shapes: dict, found: dict[str, float], unit: str, lang: str) -> None:
    """The 南海诸岛 inset: a second geo subplot, bottom right, with the sea boundary and the units there."""
    inset = {"type": "FeatureCollection", "features": _in_box(shapes["features"], SCS_LON, SCS_LAT)}
    fig.add_trace(_outline_trace("geo2", geo.maritime_lines(), color=SEA_LINE_COLOR, width=1.0, dash="dash"))
    # A grey rim keeps reefs a few metres across visible as dots at the inset's scale.
    fig.add_traces(_choropleth_traces(inset, found, "geo2", unit, lang, border={"color": OUTLINE_COLOR, "width": 0.5}))
    fig.update_layout(
        geo2={
            **_BASE_OFF,
            "scope": "world",
            "resolution": 110,
            "domain": SCS_DOMAIN,
            "projection": _projection(SCS_LON, SCS_LAT),
            "fitbounds": False,
            "lonaxis": {"range": list(SCS_LON)},
            "lataxis": {"range": list(SCS_LAT)},
            "showframe": True,
            "framecolor": OUTLINE_COLOR,
            "framewidth": 0.8,
            "bgcolor": "white",
        }
    )
    fig.add_annotation(
        text=label("map.scs", lang),
        xref="paper",
        yref="paper",
        x=0.915,
        y=0.01,
        xanchor="center",
        yanchor="bottom",
        showarrow=False,
        font={"size": 10, "color": NOTE_COLOR},
        bgcolor="white",
    )


def choropleth(
    values: pd.Series | Mapping[str, float] | pd.DataFrame,
    level: str,
    parent: str | None = None,
    *,
    title: str,
    unit: str,
    lang: str = "zh",
    height: int = 560,
) -> go.Figure:
    """A map of ``level`` units under ``parent`` (None: the whole country) coloured by ``values``.

    ``values``: adcode → number (Series, mapping or a frame with adcode/value columns), each adcode one
    unit of the map; use ``geo.rollup`` to sum records into units first. Units without a value are grey.
    National maps and 海南省's carry the 南海诸岛 inset. Every map carries NOTE_ZH.
    Clicking a unit selects a point whose ``location`` (and customdata[2]) is its adcode (point_adcode).
    """
    shapes = geo.boundaries(level, parent)
    found = _values(values)
    drawn = {f["id"] for f in shapes["features"]}
    stray = sorted(set(found) - drawn)
    if stray:
        raise ValueError(f"这些区划代码不在这张地图上({level},上级 {parent or '全国'}):{'、'.join(stray[:10])}")
    national = parent in (None, geo.COUNTRY_ADCODE)
    fig = go.Figure()
    apply_template(fig)
    if national:
        lon, lat = NATIONAL_LON, NATIONAL_LAT
        fig.add_trace(_outline_trace("geo", geo.maritime_lines(), color=SEA_LINE_COLOR, width=1.2, dash="dash"))
    else:
        # 海南省's own map shows the island; 三沙市's reefs, 1,500 km south, go in the inset as on the national map.
        main = [f for f in shapes["features"] if parent not in SCS_PARENTS or f["bbox"][1] > NATIONAL_LAT[0]]
        box = _bbox(main) if main else (*NATIONAL_LON[:1], NATIONAL_LAT[0], NATIONAL_LON[1], NATIONAL_LAT[1])
        lon, lat = (box[0], box[2]), (box[1], box[3])
        fig.add_trace(_outline_trace("geo", geo.outline(level, parent), color=OUTLINE_COLOR, width=1.2))
    fig.add_traces(_choropleth_traces(shapes, found, "geo", unit, lang))
    if national or parent in SCS_PARENTS:
        _add_scs_inset(fig, shapes, found, unit, lang)
    # The title starts where the plot area and the note do (paper x=0), not at the image's very edge.
    fig.update_layout(
        title={"text": title, "x": 0, "xref": "paper", "xanchor": "left"},
        height=height,
        coloraxis=_coloraxis(found, unit, lang),
        geo={
            **_BASE_OFF,
            "scope": "world",
            "resolution": 110,
            "projection": _projection(lon, lat),
            "fitbounds": False,
            "lonaxis": {"range": list(lon)},
            "lataxis": {"range": list(lat)},
            "bgcolor": "white",
            "domain": {"x": [0.0, 0.86], "y": [0.04, 1.0]},
        },
        margin={"l": 16, "r": 10, "t": 56, "b": 10},
        dragmode=False,
        clickmode="event+select",
    )
    fig.add_annotation(
        text=label("map.note", lang),
        xref="paper",
        yref="paper",
        x=0.0,
        y=0.0,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": 11, "color": NOTE_COLOR, "family": FONT_FAMILY},
    )
    return fig


# ---- a view of the records on the map -----------------------------------------------------------


class UnknownPlace(ValueError):
    """The sidebar names a place the gazetteer does not hold: no map can be drawn for it."""


@functools.lru_cache(maxsize=1)
def _by_names() -> dict[tuple[str, str | None, str | None], Region]:
    return {(r.province, r.city, r.district): r for r in default_gazetteer().regions}


def place_of(filters: Filters) -> Region | None:
    """The region the sidebar's place filters select; None when no place is chosen.

    The records write a municipality's districts under it twice (北京市, 北京市, 朝阳区), so 北京市 chosen
    as city is the province itself."""
    if not filters.province:
        return None
    names = _by_names()
    found = names.get((filters.province, filters.city, filters.district))
    if found is None and filters.city == filters.province and not filters.district:
        found = names.get((filters.province, None, None))
    if found is None:
        place = " ".join(p for p in dict.fromkeys((filters.province, filters.city, filters.district)) if p)
        raise UnknownPlace(place)
    return found


def region_up(region: Region) -> Region | None:
    """The region one level up: a district's city (its province when the city has no row, as in 北京),
    a city's province; None above a province."""
    names = _by_names()
    if region.level == "province":
        return None
    if region.level == "district" and region.city and region.city != region.province:
        city = names.get((region.province, region.city, None))
        if city is not None:
            return city
    return names[(region.province, None, None)]


def trail(region: Region | None) -> list[Region]:
    """The regions from the province down to ``region`` (the breadcrumb under 全国)."""
    out: list[Region] = []
    while region is not None:
        out.append(region)
        region = region_up(region)
    return out[::-1]


def home_place(adcodes: Iterable[str]) -> Region | None:
    """The smallest region holding every one of ``adcodes`` (an account's scope): 440300 → 深圳市, 440300 and
    440100 → 广东省; None when they span provinces or one is not in the gazetteer."""
    gaz = default_gazetteer()
    trails = []
    for code in adcodes:
        region = gaz.by_adcode(code)
        if region is None:
            return None
        trails.append(trail(region))
    if not trails:
        return None
    home = None
    for step in zip(*trails):
        if any(r != step[0] for r in step):
            break
        home = step[0]
    return home


def at_home(filters: Filters, home: Region | None) -> Filters:
    """The filters a map draws: the chosen place, or ``home`` when nothing under it is chosen (an account held
    to 深圳市 sees 深圳's districts, not a map of China with one province coloured)."""
    if home is None:
        return filters
    place = place_of(filters)
    if place is None or place.contains(home):
        names = place_filters(home)
        return replace(filters, province=names["province"], city=names["city"], district=names["district"])
    return filters


def place_filters(region: Region | None) -> dict[str, str | None]:
    """The sidebar's place filters that select ``region`` (None: the whole country)."""
    if region is None:
        return {"province": None, "city": None, "district": None}
    return {"province": region.province, "city": region.city, "district": region.district}


@dataclass(frozen=True)
class RegionMap:
    """What a map of a view shows: the units of ``level`` under ``parent`` (None: the country) and their
    sums. ``focus`` is the chosen place when it has nothing under it (a district, 东莞市): the map is then
    that of the region it lies in. ``left`` is the part of ``total`` no unit takes (a higher unit's own
    figures, records without a region), so the numbers beside the map still add up to the view."""

    level: str
    parent: Region | None
    focus: Region | None
    values: dict[str, float]
    left: float
    total: float

    @property
    def parent_adcode(self) -> str | None:
        return self.parent.adcode if self.parent is not None else None

    def figure(self, *, title: str, unit: str, lang: str = "zh", height: int = 560) -> go.Figure:
        return choropleth(self.values, self.level, self.parent_adcode, title=title, unit=unit, lang=lang, height=height)

    def table(self) -> pd.DataFrame:
        """Every unit of the map (adcode, name, value), largest first, those without numbers last."""
        return units_table(self.values, self.level, self.parent_adcode)

    def valued(self) -> pd.DataFrame:
        """The units that have a number (adcode, name, value), largest first: what is listed beside the map."""
        units = self.table()
        return units[units["value"].notna()].reset_index(drop=True)

    @property
    def grey(self) -> int:
        """How many units of the map have no number (drawn grey; counted beside the map, never listed)."""
        return int(self.table()["value"].isna().sum())

    def target(self, point: Mapping) -> Region | None:
        """The region a click on the map leads to: a unit with numbers (the sidebar offers only places
        the view holds), not the place already chosen; None for anything else."""
        code = point_adcode(point)
        if code is None or code not in self.values:
            return None
        region = default_gazetteer().by_adcode(code)
        if region is None or (self.focus is not None and region.adcode == self.focus.adcode):
            return None
        return region


def map_place(place: Region | None) -> tuple[Region | None, Region | None]:
    """(the region whose map is drawn, the chosen place when it has nothing under it)."""
    parent, focus = place, None
    while parent is not None and geo.child_level(parent.adcode) is None:
        focus = focus or parent
        parent = region_up(parent)
    return parent, focus


def region_map(frame: pd.DataFrame, measure: str, filters: Filters) -> RegionMap:
    """One measure of a view (records already filtered) on the map one level under the chosen place.

    Raises UnknownPlace when the sidebar's place is not in the gazetteer."""
    parent, focus = map_place(place_of(filters))
    level = geo.child_level(parent.adcode if parent is not None else None)
    assert level is not None  # _map_place climbs until there is a level under the parent
    sums = measure_totals(frame, measure, "adcode")
    codes = [None if c == UNKNOWN else str(c) for c in sums["adcode"]]
    placed, left = geo.rollup(codes, sums["value"].tolist(), level, parent.adcode if parent is not None else None)
    return RegionMap(level, parent, focus, placed, float(sum(left.values())), float(sums["value"].sum()))
