"""The region map in briefing packs: in every format, equal to plain SQL on the store, left out on request.

The SQL below sums the records by the place names the store keeps (regions.province / regions.city /
regions.district), joined the long way; the map's units are named back through the gazetteer. Neither goes
through metrics.analysis.geo's rollup or metrics.analysis.query, which the packs use.
"""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from metrics.analysis.maps import NOTE_ZH, TOPOJSON_NAME, topojson_stub
from metrics.analysis.query import Filters
from metrics.briefing import render
from metrics.briefing.brief import BREAKDOWNS, TOP, build_brief
from metrics.briefing.office import to_docx, to_pptx, to_xlsx
from metrics.briefing.packs import to_html, write_pack
from metrics.cli import main
from metrics.core.fmt import format_metric
from metrics.reading.regions import default_gazetteer
from metrics.storage.demo import generate_returns
from metrics.storage.samples import load_samples
from metrics.storage.store import Store
from tests.plotly_html import figures_in

GAZ = default_gazetteer()
YEAR = 2024
NINGBO_YEAR = 2025  # the samples' year in which 宁波's own office reported
MEASURE, UNIT = "events", "场"

_SUMS = """
SELECT {key}, SUM(r.value)
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND m.text = ? AND r.year = ? {where}
GROUP BY {key}
"""


def sql_by_place(db: Path, metric: str, year: int, level: str, **place: str) -> tuple[dict[str, float], float]:
    """(sum per place name of ``level`` inside ``place``, the sum of the records inside ``place`` naming none)."""
    where = "".join(f" AND g.{k} = ?" for k in place)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(_SUMS.format(key=f"g.{level}", where=where), (metric, year, *place.values())).fetchall()
    named = {name: value for name, value in rows if name}
    return named, sum(value for name, value in rows if not name)


def sql_total(db: Path, metric: str, year: int, **place: str) -> float:
    named, rest = sql_by_place(db, metric, year, "province", **place)
    return sum(named.values()) + rest


def by_name(values: dict[str, float]) -> dict[str, float]:
    """The map's values (adcode → value) by the unit's name in the gazetteer."""
    return {GAZ.by_adcode(code).name: value for code, value in values.items()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Store]:
    path = tmp_path_factory.mktemp("briefmaps") / "demo.db"
    store = Store(f"sqlite:///{path}")
    store.import_many(((r.result, r.data) for r in generate_returns(6000, seed=7)), who="test")
    yield path, store
    store.dispose()


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> tuple[Path, Store]:
    """The shipped sample returns: 宁波's districts and 宁波's own office (a city's figures on no district)."""
    path = tmp_path_factory.mktemp("briefmaps") / "samples.db"
    store = Store(f"sqlite:///{path}")
    load_samples(store, who="测试")
    yield path, store
    store.dispose()


@pytest.fixture(scope="module")
def national(demo):
    _, store = demo
    return build_brief(
        store.facts().frame, Filters(year=(YEAR,)), measures=[MEASURE, "materials"], breakdowns=BREAKDOWNS
    )


@pytest.fixture(scope="module")
def province(demo) -> str:
    path, _ = demo
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT g.province FROM records r JOIN regions g ON g.id = r.region_id "
            "GROUP BY g.province ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]


@pytest.fixture(scope="module")
def provincial(demo, province):
    _, store = demo
    return build_brief(store.facts().frame, Filters(year=(YEAR,), province=province), measures=[MEASURE])


@pytest.fixture(scope="module")
def ningbo(samples):
    """宁波市's districts, part of whose total (the city's own office) is on no district."""
    _, store = samples
    return build_brief(
        store.facts().frame,
        Filters(year=(NINGBO_YEAR,), province="浙江省", city="宁波市"),
        measures=["materials", MEASURE],
    )


def png(width: int = 2000, height: int = 1120) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def need_images() -> None:
    if not render.render_status().ok:
        pytest.skip("服务器端不能出图:" + ";".join(render.render_status().problems))


# ---- the numbers -------------------------------------------------------------------------------------------


def test_national_map_is_each_provinces_sql_sum_and_the_packs_own_region_chart(demo, national):
    path, _ = demo
    found = national.map
    assert found is not None and found.level == "province" and found.parent is None
    expected, rest = sql_by_place(path, MEASURE, YEAR, "province")
    assert by_name(found.values) == pytest.approx(expected) and len(expected) > TOP
    assert found.left == pytest.approx(rest) and found.total == pytest.approx(sql_total(path, MEASURE, YEAR))
    assert national.map_measure.key == MEASURE  # the first metric chosen
    assert national.map_title == f"{YEAR}年 开展活动 按省份分布"
    # The pack's own 按地区 chart of the same metric: every named bar is the map's number for that province.
    (chart,) = [c for c in national.charts if c.breakdown == "province" and c.measure.key == MEASURE]
    named = {c: v for c, v in zip(chart.categories, chart.values) if not c.startswith("其他(")}
    assert named and all(by_name(found.values)[name] == pytest.approx(value) for name, value in named.items())
    assert chart.total == pytest.approx(found.total)
    kpi = next(k for k in national.kpis if k.measure.key == MEASURE)
    assert kpi.value == pytest.approx(found.total)


def test_a_province_scope_maps_its_cities(demo, province, provincial):
    path, _ = demo
    found = provincial.map
    assert found.level == "city" and found.parent.name == province
    expected, rest = sql_by_place(path, MEASURE, YEAR, "city", province=province)
    assert by_name(found.values) == pytest.approx(expected)
    assert found.left == pytest.approx(rest)
    assert all(GAZ.by_adcode(code).province == province for code in found.values)
    assert provincial.map_title.endswith("开展活动 按城市分布")


def test_a_city_scope_maps_its_districts_and_keeps_what_no_district_takes(samples, ningbo):
    path, _ = samples
    found = ningbo.map
    assert found.level == "district" and ningbo.map_measure.key == "materials"
    expected, rest = sql_by_place(path, "materials", NINGBO_YEAR, "district", province="浙江省", city="宁波市")
    assert by_name(found.values) == pytest.approx(expected) and rest > 0  # 宁波's own office
    assert found.left == pytest.approx(rest)
    assert found.total == pytest.approx(sql_total(path, "materials", NINGBO_YEAR, province="浙江省", city="宁波市"))


def test_with_no_year_chosen_the_map_is_of_the_packs_year(demo):
    path, store = demo
    brief = build_brief(store.facts().frame, Filters(), measures=[MEASURE])
    (year,) = brief.filters.year
    expected, _ = sql_by_place(path, MEASURE, year, "province")
    assert by_name(brief.map.values) == pytest.approx(expected)
    assert brief.map_title.startswith(f"{year}年 ")


def test_no_map_when_asked_none_or_nothing_placeable(demo, samples):
    _, store = demo
    frame = store.facts().frame
    off = build_brief(frame, Filters(year=(YEAR,)), measures=[MEASURE], maps=False)
    assert off.map is None and off.map_measure is None and off.map_title == ""
    assert build_brief(frame, Filters(year=(YEAR,)), measures=[]).map is None  # no metric chosen
    # Records whose place the map cannot take (no region at all): nothing to colour, no map.
    placeless = frame.copy()
    placeless["adcode"] = placeless["adcode"].cat.set_categories([])
    assert build_brief(placeless, Filters(year=(YEAR,)), measures=[MEASURE]).map is None


# ---- PowerPoint ----------------------------------------------------------------------------------------------


def map_slide(deck: Presentation):
    (slide,) = [
        s for s in deck.slides if any(shape.has_text_frame and NOTE_ZH in shape.text_frame.text for shape in s.shapes)
    ]
    return slide


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def check_numbers(
    rows: list[list[str]], db: Path, metric: str, level: str, unit: str, year: int = YEAR, **place: str
) -> None:
    """合计 first (SQL total), 未落到图上 when some of it is on no unit, then every unit with its SQL sum."""
    expected, rest = sql_by_place(db, metric, year, level, **place)
    assert rows[1] == ["合计", format_metric(sum(expected.values()) + rest, unit)]
    body = rows[2:]
    if rest:
        assert body[0] == ["未落到图上", format_metric(rest, unit)]
        body = body[1:]
    other = [r for r in body if r[0].startswith("其他(")]
    listed = [r for r in body if not r[0].startswith("其他(")]
    assert all(value == format_metric(expected[name], unit) for name, value in listed)
    assert len(listed) + (int(re.search(r"\d+", other[0][0]).group()) if other else 0) == len(expected)


def test_pptx_map_slide_has_the_picture_the_numbers_and_the_note(demo, national):
    path, _ = demo
    deck = Presentation(io.BytesIO(to_pptx(national, png())))
    slide = map_slide(deck)
    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    (table,) = [s.table for s in slide.shapes if s.has_table]
    (frame,) = [s for s in slide.shapes if s.has_table]
    assert len(pictures) == 1 and pictures[0].left + pictures[0].width <= frame.left  # the numbers beside it
    assert frame.left + frame.width <= deck.slide_width
    assert table_rows(table)[0] == ["省份", "开展活动"]
    check_numbers(table_rows(table), path, MEASURE, "province", UNIT)
    texts = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert national.map_title in texts and NOTE_ZH in texts
    assert "图中灰色的" in texts  # provinces without returns are counted, not listed
    slides = list(deck.slides)
    assert slides.index(slide) == len(slides) - 2  # after the charts, before the agency table


def test_pptx_map_slide_lists_what_no_unit_takes(samples, ningbo):
    path, _ = samples
    slide = map_slide(Presentation(io.BytesIO(to_pptx(ningbo))))
    (table,) = [s.table for s in slide.shapes if s.has_table]
    check_numbers(table_rows(table), path, "materials", "district", "份", NINGBO_YEAR, province="浙江省", city="宁波市")
    assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]  # no image given


def test_pptx_without_server_images_keeps_the_table_and_says_why(national, monkeypatch):
    def unavailable(*_args, **_kw):
        raise render.RenderUnavailable("服务器上没有找到 Chromium 浏览器")

    monkeypatch.setattr(render, "render_images", unavailable)
    pack = write_pack(".pptx", national)
    slide = map_slide(Presentation(io.BytesIO(pack.data)))
    assert any(s.has_table for s in slide.shapes)
    assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pack.notes) == 1 and "未插入地图图片" in pack.notes[0] and "Chromium" in pack.notes[0]
    docx = write_pack(".docx", national)
    assert len(docx.notes) == 2 and "图表图片" in docx.notes[0] and "地图图片" in docx.notes[1]


def inked_columns(image: Image.Image, top: int, bottom: int) -> list[int]:
    """The x of every column of the image's left half with ink (not white) between rows ``top`` and ``bottom``."""
    band = image.crop((0, top, image.width // 2, bottom)).convert("L")
    pixels = band.load()
    return [x for x in range(band.width) if any(pixels[x, y] < 200 for y in range(band.height))]


def test_pptx_and_docx_through_the_server_renderer(national):
    """The real path: kaleido draws the map; the title starts at the plot's left margin, as the note does."""
    need_images()
    pack = write_pack(".pptx", national)
    assert pack.notes == ()
    slide = map_slide(Presentation(io.BytesIO(pack.data)))
    (picture,) = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    image = Image.open(io.BytesIO(picture.image.blob))
    assert image.size == (2000, 1120)  # 1000 × 560 at scale 2
    title = inked_columns(image, 0, 100)
    note = inked_columns(image, image.height - 50, image.height)
    assert title and note and 16 * 2 - 4 <= title[0] <= 16 * 2 + 12  # not against the edge: the 16 px margin
    assert abs(title[0] - note[0]) <= 8  # the title and the note start at the same place
    document = Document(io.BytesIO(write_pack(".docx", national).data))
    assert len(document.inline_shapes) == len(national.charts) + 1


# ---- Word ------------------------------------------------------------------------------------------------------


def test_docx_map_chapter(demo, national):
    path, _ = demo
    document = Document(io.BytesIO(to_docx(national, [png()] * len(national.charts), png())))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、总体情况", "二、主要指标", "三、分项情况", "四、地区分布", "五、各单位情况"]
    body = document.element.body
    order = [child for child in body.iterchildren()]
    chapter = next(i for i, c in enumerate(order) if c.xpath("string(.)") == "四、地区分布")
    following = next(i for i, c in enumerate(order) if c.xpath("string(.)") == "五、各单位情况")
    inside = order[chapter:following]
    assert sum(len(c.xpath(".//pic:pic")) for c in inside) == 1  # the map's picture
    texts = [c.xpath("string(.)") for c in inside]
    assert NOTE_ZH in texts and national.map_title in texts
    tables = [c for c in inside if c.tag.endswith("}tbl")]
    assert len(tables) == 1
    (table,) = [t for t in document.tables if t._tbl is tables[0]]
    assert table_rows(table)[0] == ["省份", "开展活动"]
    check_numbers(table_rows(table), path, MEASURE, "province", UNIT)
    assert len(document.inline_shapes) == len(national.charts) + 1


# ---- HTML --------------------------------------------------------------------------------------------------------

_PLOTLYJS = re.compile(r'<script type="text/javascript">/\*\*\s*\n\* plotly\.js v.*?</script>', re.S)


def test_html_has_the_interactive_map_offline(demo, national):
    path, _ = demo
    page = to_html(national).decode("utf-8")
    figures = figures_in(page)
    maps = [f for f in figures.values() if any(t["type"] == "choropleth" for t in f["data"])]
    assert len(maps) == 1
    (figure,) = maps
    shown = {
        code: z
        for t in figure["data"]
        if t["type"] == "choropleth" and t.get("coloraxis")
        for code, z in zip(t["locations"], t["z"])
    }
    expected, _ = sql_by_place(path, MEASURE, YEAR, "province")
    assert by_name(shown) == pytest.approx(expected)
    assert not figure["config"]["topojsonURL"].startswith("http")
    # The empty world topology is loaded before plotly.js, so plotly.js never asks its CDN for it.
    assets = page.index("window.PlotlyGeoAssets")
    library = _PLOTLYJS.search(page)
    assert library and assets < library.start() and f'"{TOPOJSON_NAME}":' in page[assets : library.start()]
    assert "cdn.plot.ly" not in _PLOTLYJS.sub("", page)  # only plotly.js's own default, never used
    assert NOTE_ZH in page and "<h2>地区分布</h2>" in page
    assert f"<td>合计</td><td>{format_metric(sum(expected.values()), UNIT)}</td>" in page


# ---- Excel ---------------------------------------------------------------------------------------------------


def evaluate_sum(sheet, formula: str) -> float:
    """=SUM(B5:B22) worked out from the cells it names."""
    match = re.fullmatch(r"=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)", formula)
    assert match, formula
    column, first, _, last = match.groups()
    return sum(sheet[f"{column}{row}"].value or 0 for row in range(int(first), int(last) + 1))


@pytest.mark.parametrize("case", ["national", "ningbo"])
def test_xlsx_sheet_with_a_sum_formula_equal_to_sql(case, demo, samples, national, ningbo):
    brief, (path, _), metric, year, level, place = {
        "national": (national, demo, MEASURE, YEAR, "province", {}),
        "ningbo": (ningbo, samples, "materials", NINGBO_YEAR, "district", {"province": "浙江省", "city": "宁波市"}),
    }[case]
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(brief)))
    assert book.sheetnames[-3:] == ["地区分布", "各单位", "明细"]
    sheet = book["地区分布"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0] in ("省份", "城市", "区县"))
    total = next(i for i, r in enumerate(rows) if r[0] == "合计")
    expected, rest = sql_by_place(path, metric, year, level, **place)
    assert rest > 0 or case == "national"
    units = {r[0]: r[1] for r in rows[header + 1 : total] if r[0] != "未落到图上"}
    assert units == pytest.approx(expected)
    assert all(GAZ.by_adcode(r[2]).name == r[0] for r in rows[header + 1 : total] if r[0] != "未落到图上")
    cell = sheet.cell(total + 1, 2)
    assert cell.data_type == "f" and cell.value.startswith("=SUM(B")
    assert evaluate_sum(sheet, cell.value) == pytest.approx(sum(expected.values()) + rest)
    assert ([r[1] for r in rows if r[0] == "未落到图上"] or [0]) == [pytest.approx(rest)]
    assert NOTE_ZH in [r[0] for r in rows[total + 1 :]]


# ---- left out -----------------------------------------------------------------------------------------------


def test_maps_false_leaves_the_map_out_of_every_format(demo):
    _, store = demo
    brief = build_brief(store.facts().frame, Filters(year=(YEAR,)), measures=[MEASURE], maps=False)
    deck = Presentation(io.BytesIO(to_pptx(brief, png())))
    assert not any(s.has_text_frame and NOTE_ZH in s.text_frame.text for slide in deck.slides for s in slide.shapes)
    document = Document(io.BytesIO(to_docx(brief)))
    assert "四、地区分布" not in [p.text for p in document.paragraphs]
    assert "四、各单位情况" in [p.text for p in document.paragraphs]
    assert "地区分布" not in openpyxl.load_workbook(io.BytesIO(to_xlsx(brief))).sheetnames
    page = to_html(brief).decode("utf-8")
    assert NOTE_ZH not in page and not any(
        t["type"] == "choropleth" for f in figures_in(page).values() for t in f["data"]
    )


def test_cli_no_map(tmp_path, demo, capsys):
    path, _ = demo
    url = f"sqlite:///{path}"
    for flag in ([], ["--no-map"]):
        for ext in (".pptx", ".xlsx", ".docx", ".html"):
            out = tmp_path / f"简报{'-'.join(flag)}{ext}"
            assert main(["brief", "--db", url, "--year", str(YEAR), "--out", str(out), *flag]) == 0
        said = capsys.readouterr().out
        assert ("1 张地图" in said) == (not flag)
        stem = tmp_path / f"简报{'-'.join(flag)}"
        book = openpyxl.load_workbook(stem.with_suffix(".xlsx"))
        assert ("地区分布" in book.sheetnames) == (not flag)
        headings = [p.text for p in Document(str(stem.with_suffix(".docx"))).paragraphs]
        assert ("四、地区分布" in headings) == (not flag)
        assert (NOTE_ZH in stem.with_suffix(".html").read_text(encoding="utf-8")) == (not flag)
        deck = Presentation(str(stem.with_suffix(".pptx")))
        noted = any(s.has_text_frame and NOTE_ZH in s.text_frame.text for slide in deck.slides for s in slide.shapes)
        assert noted == (not flag)
    sheet = openpyxl.load_workbook(tmp_path / "简报.xlsx")["地区分布"]  # the default pack maps 开展活动
    total = next(row for row in sheet.iter_rows() if row[0].value == "合计")[1]
    assert evaluate_sum(sheet, total.value) == pytest.approx(sql_total(path, MEASURE, YEAR))


# ---- kaleido reads the world topojson from disk ----------------------------------------------------------------


def test_kaleido_takes_the_world_topojson_from_the_local_folder(tmp_path, monkeypatch):
    """A geo subplot with land shown makes plotly.js load the world topojson. Given a folder holding one whose
    'land' is a square in the open Pacific, the image shows that square: the file came from disk, not the CDN
    (whose land has nothing there)."""
    import plotly.graph_objects as go

    need_images()
    topology = topojson_stub()
    topology["arcs"] = [[[-170, -20], [-140, -20], [-140, 10], [-170, 10], [-170, -20]]]
    topology["objects"]["land"] = {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[0]]}]}
    (tmp_path / f"{TOPOJSON_NAME}.json").write_text(__import__("json").dumps(topology), encoding="utf-8")
    render.stop_browser()  # plotly.js keeps a loaded topojson for the life of the page
    monkeypatch.setattr(render, "TOPOJSON_DIR", tmp_path)
    fig = go.Figure(go.Scattergeo(lon=[-155], lat=[-5], mode="markers", marker={"color": "blue"}))
    fig.update_geos(
        showland=True,
        landcolor="rgb(255,0,0)",
        showcoastlines=False,
        showcountries=False,
        showframe=False,
        showocean=False,
        showlakes=False,
        projection_type="equirectangular",
        lonaxis_range=[-180, -130],
        lataxis_range=[-30, 20],
    )

    def red_share() -> float:
        try:
            png = render.render_image(fig, "png", width=400, height=300, scale=1)
        finally:
            render.stop_browser()
        image = Image.open(io.BytesIO(png)).convert("RGB")
        return sum(1 for r, g, b in image.get_flattened_data() if r > 200 and g < 80 and b < 80) / (400 * 300)

    assert red_share() > 0.05
    monkeypatch.undo()  # the app's own file: an empty topology, no land drawn, and still no fetch
    assert red_share() == 0


# ---- in a real browser --------------------------------------------------------------------------------------


@pytest.fixture
def offline_page():
    """A Chromium page that may read files and nothing else: every other request is refused and recorded."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT

    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium")
    asked: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            return request_route.continue_()
        asked.append(url)
        return request_route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        page.set_default_timeout(TIMEOUT)
        page.route("**/*", route)
        try:
            yield page, asked
        finally:
            browser.close()


def test_html_pack_draws_its_map_offline_and_asks_nothing(tmp_path, national, offline_page):
    import plotly.graph_objects as go

    page, asked = offline_page
    path = tmp_path / "简报.html"
    path.write_bytes(to_html(national))
    page.goto(path.as_uri())
    drawn = page.locator("path.choroplethlocation")
    drawn.first.wait_for(state="attached")
    assert drawn.count() >= len(national.map.table())  # every province (and the inset's)
    assert page.get_by_text(NOTE_ZH).first.is_visible()
    # A geo subplot that does ask for the world topojson (land shown) finds the pre-loaded one.
    fig = go.Figure(go.Scattergeo(lon=[120], lat=[30], mode="markers"))
    fig.update_geos(showland=True)
    other = tmp_path / "land.html"
    other.write_bytes(render.figure_html(fig, title="land"))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(other.as_uri())
    page.locator(".geolayer").first.wait_for(state="attached")
    page.locator(".scattergeo .point").first.wait_for(state="attached")
    assert asked == [] and errors == []


def test_the_page_shows_a_packs_notes_after_making_it(demo, tmp_path, monkeypatch):
    """The server cannot draw (BROWSER_PATH names no browser): the PowerPoint pack comes without its map picture,
    and the page, once the file is made, says so and why."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT, no_exception, serve

    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium")
    path, _ = demo
    monkeypatch.setenv(render.BROWSER_ENV, str(tmp_path / "no-such-browser"))
    with serve(path, tmp_path / "server.log") as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
            page.set_default_timeout(TIMEOUT)
            sync_api.expect.set_options(timeout=TIMEOUT)
            page.goto(f"{url}/briefing")
            sync_api.expect(page.get_by_role("heading", name="简报导出", exact=True)).to_be_visible()
            notes = page.get_by_test_id("stAlert").filter(has_text="刚生成的")
            sync_api.expect(notes).to_have_count(0)
            with page.expect_download() as download:
                page.get_by_role("button", name="PowerPoint 演示文稿").click()
            data = Path(download.value.path()).read_bytes()
            slide = map_slide(Presentation(io.BytesIO(data)))
            assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
            sync_api.expect(notes).to_have_count(1)
            sync_api.expect(notes).to_contain_text("未插入地图图片")
            sync_api.expect(notes).to_contain_text("no-such-browser")
            no_exception(page)
        finally:
            browser.close()
