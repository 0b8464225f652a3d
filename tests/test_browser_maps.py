"""Maps in a real browser with the network cut off: drill from the country to a district and back up,
the numbers beside the map equal to SQL at every step, and the map exported as PNG by the server.

The store holds the sample returns (浙江 宁波's districts, 江西, 河南, 福建, 内蒙古). Every request that
does not go to the app's own server is refused and recorded; the test asserts there was none.
"""

from __future__ import annotations

import io
import re
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrics.core.fmt import format_metric
from metrics.storage.samples import load_samples
from metrics.storage.store import Store
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT, no_exception, query_of, serve

sync_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium", allow_module_level=True)
expect = sync_api.expect

# 开展活动 (events) over every year: the 地区 page's default measure for the samples.
_SUM = """
SELECT SUM(r.value)
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id AND m.kind = 'metric'
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND m.text = 'events' {where}
"""


def sql_events(db: Path, **place: str) -> float:
    where = "".join(f" AND g.{level} = ?" for level in place)
    with sqlite3.connect(db) as conn:
        return conn.execute(_SUM.format(where=where), tuple(place.values())).fetchone()[0] or 0.0


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("maps") / "store.db"
    store = Store(f"sqlite:///{path}")
    load_samples(store, who="测试")
    store.dispose()
    return path


@pytest.fixture(scope="module")
def server(db) -> Iterator[str]:
    with serve(db, db.with_name("server.log")) as url:
        yield url


@pytest.fixture
def offline(server) -> Iterator[tuple[sync_api.Page, list[str]]]:
    """A page on which every request that is not to the app's server is refused and recorded."""
    asked: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server):
            return request_route.continue_()
        asked.append(url)
        return request_route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        expect.set_options(timeout=TIMEOUT)
        page = context.new_page()
        page.route("**/*", route)
        try:
            yield page, asked
        finally:
            browser.close()


def the_map(page, level: str):
    """The drawn map whose title ends in 按<level>分布 (省份, 城市, 区县)."""
    chart = page.locator(".js-plotly-plot").filter(has_text=re.compile(f"按{level}分布"))
    expect(chart).to_have_count(1)
    expect(chart.locator("path.choroplethlocation").first).to_be_attached()
    return chart


def click_unit(page, chart, adcode: str) -> None:
    """Click the map where the unit ``adcode`` is drawn (a point of its shape that is on top there)."""
    chart.scroll_into_view_if_needed()
    # plotly.js finds the unit under the mouse itself (the geo subplot's background takes the events):
    # pick a screen point inside the unit's shape, found with the SVG's own fill test.
    point = chart.evaluate(
        """(gd, code) => {
        for (const path of gd.querySelectorAll('path.choroplethlocation')) {
            if (!path.__data__ || path.__data__.loc !== code) continue;
            const box = path.getBoundingClientRect(), toLocal = path.getScreenCTM().inverse();
            const svg = path.ownerSVGElement;
            for (let i = 1; i < 16; i++) for (let j = 1; j < 16; j++) {
                const x = box.left + box.width * i / 16, y = box.top + box.height * j / 16;
                const local = new DOMPoint(x, y).matrixTransform(toLocal);
                const p = svg.createSVGPoint(); p.x = local.x; p.y = local.y;
                if (path.isPointInFill(p)) return [x, y];
            }
        }
        return null;
    }""",
        adcode,
    )
    assert point is not None, f"{adcode} is not drawn on the map"
    page.mouse.click(*point)


def expect_total(page, value: float) -> None:
    """The 合计 row of the table beside the map (its first row) shows ``value`` (waits for the rerun)."""
    table = page.locator('[class*="st-key-regions_map_numbers"]').get_by_test_id("stDataFrame")
    row = table.locator('[role="row"]').filter(
        has=page.locator('[role="gridcell"]').filter(has_text=re.compile("^合计$"))
    )
    expect(row.locator('[role="gridcell"]').last).to_have_text(format_metric(value, "场"))


def path_buttons(page) -> list[str]:
    crumbs = page.locator('[class*="st-key-regions_map_path"]').get_by_role("button")
    return [b.inner_text() for b in crumbs.all()]


def test_drill_from_the_country_to_a_district_and_back_offline(server, db, offline):
    page, asked = offline
    page.goto(f"{server}/regions")
    expect(page.get_by_role("heading", name="地区", exact=True)).to_be_visible()
    country = the_map(page, "省份")
    expect(country.get_by_text("示意图,不作为权属依据")).to_be_visible()
    expect(country.get_by_text("南海诸岛")).to_be_visible()
    expect(page.get_by_text("合计").first).to_be_attached()
    expect_total(page, sql_events(db))

    click_unit(page, country, "330000")  # 浙江省
    page.wait_for_url(lambda u: query_of(u).get("province") == ["浙江省"])
    assert "city" not in query_of(page.url)
    cities = the_map(page, "城市")
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox").nth(1)).to_have_value("浙江省")
    expect_total(page, sql_events(db, province="浙江省"))
    assert path_buttons(page) == ["全国", "浙江省"]

    click_unit(page, cities, "330200")  # 宁波市
    page.wait_for_url(lambda u: query_of(u).get("city") == ["宁波市"])
    districts = the_map(page, "区县")
    expect_total(page, sql_events(db, province="浙江省", city="宁波市"))
    # 宁波's own office (no district) is in the total but on no district: the table says so.
    left = sql_events(db, province="浙江省", city="宁波市") - sum(
        sql_events(db, province="浙江省", city="宁波市", district=d)
        for d in ("海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "余姚市", "慈溪市", "宁海县", "象山县")
    )
    if left:
        expect(page.get_by_text(re.compile("不能落到这一级的地区上"))).to_be_visible()

    click_unit(page, districts, "330212")  # 鄞州区: nothing under it, the map stays on 宁波's districts
    page.wait_for_url(lambda u: query_of(u).get("district") == ["鄞州区"])
    the_map(page, "区县")
    expect(page.get_by_text(re.compile("已选到「鄞州区」"))).to_be_visible()
    expect_total(page, sql_events(db, province="浙江省", city="宁波市", district="鄞州区"))
    assert path_buttons(page) == ["全国", "浙江省", "宁波市", "鄞州区"]

    page.locator('[class*="st-key-regions_map_path"]').get_by_role("button", name="浙江省").click()
    page.wait_for_url(lambda u: query_of(u).get("province") == ["浙江省"] and "city" not in query_of(u))
    the_map(page, "城市")
    page.locator('[class*="st-key-regions_map_path"]').get_by_role("button", name="全国").click()
    page.wait_for_url(lambda u: "province" not in query_of(u))
    the_map(page, "省份")
    expect_total(page, sql_events(db))
    no_exception(page)
    assert asked == []


def test_the_map_exports_as_a_png_that_looks_right(server, db, offline):
    from PIL import Image

    from metrics.analysis.maps import COLORSCALE, NO_DATA_COLOR
    from metrics.briefing.render import render_status

    if not render_status().ok:
        pytest.skip("server-side rendering unavailable: " + ";".join(render_status().problems))
    page, asked = offline
    page.goto(f"{server}/regions?province=浙江省&city=宁波市")
    the_map(page, "区县")
    menu = page.locator('[class*="st-key-regions_map_330200"]').locator(
        "xpath=following::*[@data-testid='stPopover'][1]"
    )
    menu.get_by_role("button").first.click()
    with page.expect_download() as download:
        page.get_by_role("button", name="PNG 图片(高清)").click()
    name = download.value.suggested_filename
    png = Path(download.value.path()).read_bytes()
    assert name.endswith(".png") and "区县" in name, name
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (3600, 560 * 3)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}

    def near(hex_colour: str) -> bool:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return any(abs(r - c[0]) + abs(g - c[1]) + abs(b - c[2]) <= 6 for c in colours)

    # Districts with numbers in the scale's colours, the ones without in the no-data grey, and text.
    assert near(COLORSCALE[-1][1]) and near(NO_DATA_COLOR)
    dark = sum(n for n, c in image.getcolors(maxcolors=1 << 20) if sum(c) < 200)
    assert dark > 1000  # titles, the note and the colour bar's labels are drawn in dark ink
    no_exception(page)
    assert asked == []
