"""The dashboard in a real browser: Debian's Chromium through Playwright, a real `streamlit run` server,
a real SQLite file.

Every number the page shows is checked against plain SQL on that file (records joined to their terms,
regions and active submissions the long way), written independently of metrics/storage/facts.py and
metrics/analysis/query.py. Every wait is for an element or a value, never a fixed sleep.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from metrics.core.fmt import format_metric
from metrics.reading.ingest import ingest_file
from metrics.storage.samples import sample_files
from metrics.storage.store import Store
from tests.plotly_html import figures_in, title_of

CHROMIUM = Path("/usr/bin/chromium")
NEED_CHROMIUM = "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip(f"{NEED_CHROMIUM} and playwright (pip install -r requirements-dev.txt)", allow_module_level=True)
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip(NEED_CHROMIUM, allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"
# Stored before the server starts; the latest year is 2024, so uploading county_activities.xlsx (2024,
# 河南省, not in the seed) moves the overview's tiles.
SEED = (
    "city_summary.xlsx",
    "gbk.csv",
    "long_table.csv",
    "legacy.xls",
    "years_across.xlsx",
    "merged_agency.xlsx",
    "stacked_tables.xlsx",
)
UPLOAD = LAYOUTS / "county_activities.xlsx"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 30_000  # ms: a cold server on a 2-core machine first shows an empty main area
CJK = re.compile(r"[\u4e00-\u9fff]")

_SUM = """
SELECT SUM(r.value)
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id AND m.kind = 'metric'
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND m.text = ? AND r.year = ? {where}
"""
_LATEST = """
SELECT MAX(r.year)
FROM records r
JOIN submissions s ON s.id = r.submission_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND r.year IS NOT NULL {where}
"""


def sql_sum(db: Path, metric: str, year: int, province: str | None = None) -> float:
    where, params = ("AND g.province = ?", (province,)) if province else ("", ())
    with sqlite3.connect(db) as conn:
        return conn.execute(_SUM.format(where=where), (metric, year, *params)).fetchone()[0] or 0.0


def sql_latest_year(db: Path, province: str | None = None) -> int:
    """The year the overview's tiles show with no year chosen: the latest complete one.

    The latest year of the view, unless fewer than half as many agencies reported it as the year before.
    """
    where, params = ("AND g.province = ?", (province,)) if province else ("", ())
    with sqlite3.connect(db) as conn:
        latest = conn.execute(_LATEST.format(where=where), params).fetchone()[0]
        units = dict(
            conn.execute(
                _LATEST.replace("MAX(r.year)", "r.year, COUNT(DISTINCT r.agency_id)").format(where=where)
                + " GROUP BY r.year",
                params,
            ).fetchall()
        )
    return latest - 1 if 2 * units.get(latest, 0) < units.get(latest - 1, 0) else latest


def sql_cities(db: Path, province: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT DISTINCT g.city FROM records r JOIN submissions s ON s.id = r.submission_id "
            "JOIN regions g ON g.id = r.region_id WHERE s.status = 'active' AND g.province = ? "
            "AND g.city != ''",
            (province,),
        ).fetchall()
    return {city for (city,) in rows}


# ---- a real server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(db: Path, log: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port over the SQLite file `db`; yields its base URL once
    /_stcore/health answers, and always ends its whole process group."""
    port = _free_port()
    env = {**os.environ, "OUTREACH_DB_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer in 30 s:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)  # polling the port, not waiting for the page
            yield url
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def seeded_store(path: Path, names: tuple[str, ...]) -> Path:
    store = Store(f"sqlite:///{path}")
    for name in names:
        _, outcome = store.import_bytes((LAYOUTS / name).read_bytes(), name, who="测试")
        assert outcome.status == "imported", (name, outcome.message)
    store.dispose()
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return seeded_store(tmp_path_factory.mktemp("browser") / "store.db", SEED)


@pytest.fixture(scope="module")
def server(db) -> Iterator[str]:
    with serve(db, db.with_name("server.log")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (a fresh Streamlit session each), closed after the test."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


# ---- what the page shows ----------------------------------------------------------------------


def sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def tile(page: Page, label: str):
    """The value of the KPI tile (st.metric) labelled exactly `label`."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue")


def kpi_year(page: Page) -> int:
    """The year the tiles show, from the caption "2024 年,与上一年相比"."""
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="与上一年相比")
    expect(caption).to_have_count(1)
    return int(re.search(r"(\d{4}) 年", caption.inner_text()).group(1))


def open_overview(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="总览", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric").first).to_be_visible()


def choose_province(page: Page, province: str) -> None:
    box = sidebar(page).get_by_test_id("stSelectbox").filter(has_text="省份")
    box.get_by_role("combobox").click()
    page.get_by_role("option", name=province, exact=True).click()
    page.wait_for_url(lambda u: "province=" in u)
    expect(box.get_by_role("combobox")).to_have_value(province)


def choose_year(page: Page, year: int) -> None:
    box = sidebar(page).get_by_test_id("stMultiSelect").filter(has_text="年度")
    box.click()
    page.get_by_role("option", name=str(year), exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(lambda u: f"year={year}" in u)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def cell(frame, text: str):
    """A cell of an st.dataframe holding exactly `text` (the grid is a canvas; its cells are mirrored
    in an accessible table)."""
    return frame.locator('[role="gridcell"]').filter(has_text=re.compile(f"^{re.escape(text)}$"))


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def plotly_chart(page: Page, title_part: str):
    """The drawn Plotly chart whose title contains `title_part` (its SVG is in the page)."""
    chart = page.locator(".js-plotly-plot").filter(has_text=title_part)
    # While a rerun draws, the last run's chart can still stand beside the new one (a page with a map takes
    # longer to finish): wait until one is left.
    expect(chart).to_have_count(1)
    expect(chart.locator("svg.main-svg").first).to_be_attached()
    return chart


# ---- the tests --------------------------------------------------------------------------------


def test_upload_through_the_page_moves_the_overview_by_the_files_total(server, db, page):
    open_overview(page, server)
    year = kpi_year(page)
    assert year == sql_latest_year(db)
    before = sql_sum(db, "materials", year)
    expect(tile(page, "发放宣传资料")).to_have_text(format_metric(before, "份"))

    # What the file adds to that year, read independently of the page and the store.
    records = ingest_file(UPLOAD).frame()
    added = float(records[(records["metric"] == "materials") & (records["year"] == year)]["value"].sum())
    assert added > 0 and format_metric(before + added, "份") != format_metric(before, "份")

    page.goto(f"{server}/upload")
    expect(page.get_by_role("heading", name="数据上报", exact=True)).to_be_visible()
    page.locator('.st-key-uploader input[type="file"]').set_input_files(UPLOAD)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("识别的版式")).to_be_visible()
    expect(main.get_by_text(re.compile(r"导入后:新报表"))).to_be_visible()
    expect(main.get_by_text("记录预览", exact=True)).to_be_visible()
    expect(main.get_by_text("发现的问题", exact=True)).to_be_visible()
    expect(main.get_by_role("tab", name=re.compile(r"^错误 \(\d+\)$"))).to_be_visible()
    preview = main.get_by_test_id("stDataFrame").first
    expect(cell(preview, "中牟县市场监督管理局").first).to_be_attached()
    confirm = main.get_by_role("button", name="确认导入")
    expect(confirm).to_be_enabled()
    confirm.click()

    expect(main.get_by_role("heading", name="导入结果")).to_be_visible()
    result = main.get_by_test_id("stDataFrame").last
    expect(cell(result, "已导入")).to_have_count(1)
    expect(cell(result, UPLOAD.name)).to_have_count(1)
    no_exception(page)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM submissions WHERE file_name = ?", (UPLOAD.name,)).fetchall() == [
            ("active",)
        ]
    assert sql_sum(db, "materials", year) == pytest.approx(before + added)

    open_overview(page, server)
    assert kpi_year(page) == year
    expect(tile(page, "发放宣传资料")).to_have_text(format_metric(before + added, "份"))


def test_a_pasted_summary_is_highlighted_reviewed_and_moves_the_overview(server, db, page):
    open_overview(page, server)
    year = kpi_year(page)
    before = sql_sum(db, "consultations", year)
    materials = sql_sum(db, "materials", year)
    text = (
        f"台州市黄岩区消费者权益保护委员会{year}年“3·15”活动总结\n"
        "活动当天发放宣传资料3600余份,接受群众咨询1280人次,受理投诉27起,办结25起。"
    )
    page.goto(f"{server}/upload")
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="从总结提取").click()
    area = main.locator(".st-key-summary_paste textarea")
    area.fill(text)
    area.press("Control+Enter")
    expect(main.get_by_text("共 1 篇报告,找到 4 个数字。")).to_be_visible()
    expect(main.locator("mark", has_text="1280人次")).to_be_visible()
    expect(main.get_by_text(re.compile(r"导入后:新报表,4 条记录"))).to_be_visible()
    # The reviewer unticks the first number (the materials): it is struck through and left out.
    grid = main.locator('[class*="st-key-summary_rows_"] [data-testid="stDataFrame"]')
    grid.scroll_into_view_if_needed()  # the mouse clicks at page coordinates: the grid must be on screen
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 69, box["y"] + 35 + 17)  # column 导入 (after the row marker), first row
    expect(main.get_by_text(re.compile(r"导入后:新报表,3 条记录"))).to_be_visible()
    expect(main.locator("mark", has_text="3600余份")).to_have_attribute("style", re.compile("line-through"))
    main.get_by_role("button", name="确认导入总结").click()
    expect(main.get_by_text(re.compile(r"已导入 3 条记录"))).to_be_visible()
    no_exception(page)
    assert sql_sum(db, "consultations", year) == pytest.approx(before + 1280)
    assert sql_sum(db, "materials", year) == pytest.approx(materials)
    open_overview(page, server)
    expect(tile(page, "接受咨询")).to_have_text(format_metric(before + 1280, "人次"))


def test_sidebar_province_filters_tiles_and_charts(server, db, page):
    province = "福建省"
    open_overview(page, server)
    choose_province(page, province)
    assert query_of(page.url)["province"] == [province]
    year = sql_latest_year(db, province)
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text="与上一年相比")).to_have_text(
        f"{year} 年,与上一年相比"
    )
    expect(tile(page, "发放宣传资料")).to_have_text(format_metric(sql_sum(db, "materials", year, province), "份"))
    expect(tile(page, "开展活动")).to_have_text(format_metric(sql_sum(db, "events", year, province), "场"))
    # The region chart now ranks the province's cities, drawn by Plotly with Chinese ticks.
    chart = plotly_chart(page, "按地区")
    cities = sql_cities(db, province)
    assert len(cities) >= 2
    for city in cities:
        expect(chart).to_contain_text(city)
    assert "浙江省" not in chart.text_content()
    expect(chart.locator("g.xtick text, g.ytick text").first).to_be_attached()
    expect(chart.locator("g.trace.bars path")).not_to_have_count(0)
    no_exception(page)


def test_copied_link_reopens_the_same_view_in_a_new_session(server, db, new_page):
    province, year = "浙江省", 2023
    first = new_page()
    open_overview(first, server)
    choose_province(first, province)
    choose_year(first, year)
    expected = format_metric(sql_sum(db, "materials", year, province), "份")
    expect(tile(first, "发放宣传资料")).to_have_text(expected)
    link = first.url
    assert query_of(link) == {"province": [province], "year": [str(year)]}

    second = new_page()  # a new browser context: nothing shared but the link
    second.goto(link)
    expect(second.get_by_role("heading", name="总览", exact=True)).to_be_visible()
    expect(sidebar(second).get_by_role("combobox", name="省份")).to_have_value(province)
    years = sidebar(second).get_by_test_id("stMultiSelect").filter(has_text="年度")
    expect(years).to_contain_text(str(year))
    expect(tile(second, "发放宣传资料")).to_have_text(expected)
    assert query_of(second.url) == query_of(link)
    no_exception(second)


def test_deep_link_is_the_first_request_of_a_fresh_server(db, page):
    """The first run of a new process, deep-linked to a page, goes through app.py (no pages/ folder makes
    Streamlit run the page alone): the page has the sidebar filters, set from the link, and the next choice
    sticks."""
    province = "贵州省"
    with serve(db, db.with_name("fresh.log")) as url:
        page.goto(f"{url}/regions?province={quote(province)}")
        expect(page.get_by_role("heading", name="地区", exact=True)).to_be_visible()
        expect(sidebar(page).get_by_role("combobox", name="省份")).to_have_value(province)
        chart = plotly_chart(page, "排名")
        for city in sql_cities(db, province):
            expect(chart).to_contain_text(city)
        assert query_of(page.url)["province"] == [province]
        # The first choice on the fresh server is kept (widget ids do not change under it).
        city = min(sql_cities(db, province))
        box = sidebar(page).get_by_test_id("stSelectbox").filter(has_text="城市")
        box.get_by_role("combobox").click()
        page.get_by_role("option", name=city, exact=True).click()
        page.wait_for_url(lambda u: "city=" in u)
        expect(box.get_by_role("combobox")).to_have_value(city)
        expect(page.get_by_role("heading", name="地区", exact=True)).to_be_visible()
        assert query_of(page.url) == {"province": [province], "city": [city]}
        no_exception(page)


def test_bad_link_values_are_noted_in_the_sidebar_never_an_error(server, db, page):
    page.goto(f"{server}/?year=abc&province={quote('火星')}")
    expect(page.get_by_role("heading", name="总览", exact=True)).to_be_visible()
    warnings = sidebar(page).get_by_test_id("stAlert")
    expect(warnings.filter(has_text="火星")).to_have_count(1)
    expect(warnings.filter(has_text="abc")).to_have_count(1)
    # The view falls back to everything: the tiles show the latest year over all the data.
    year = sql_latest_year(db)
    expect(tile(page, "开展活动")).to_have_text(format_metric(sql_sum(db, "events", year), "场"))
    expect(sidebar(page).get_by_role("combobox", name="省份")).to_have_value("全部")
    page.wait_for_url(lambda u: "province=" not in u and "year=" not in u)
    no_exception(page)


def test_chart_camera_saves_a_3x_png_with_a_chinese_name(server, page):
    open_overview(page, server)
    chart = plotly_chart(page, "按系统")
    options = chart.first.evaluate("gd => gd._context.toImageButtonOptions")
    assert options["format"] == "png" and options["scale"] >= 3
    assert CJK.search(options["filename"]), options
    everyone = page.locator(".js-plotly-plot").evaluate_all("gds => gds.map(gd => gd._context.toImageButtonOptions)")
    assert len(everyone) >= 3 and all(o["scale"] >= 3 and CJK.search(o["filename"]) for o in everyone)
    # The camera button really downloads that file, at 3× the drawn size.
    width, height = chart.first.evaluate("gd => [gd._fullLayout.width, gd._fullLayout.height]")
    chart.first.hover()
    with page.expect_download() as download:
        chart.first.locator('.modebar-btn[data-title="下载图片(PNG)"]').click()
    assert download.value.suggested_filename == f"{options['filename']}.png"
    data = Path(download.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (round(width * options["scale"]), round(height * options["scale"]))


def test_empty_store_loads_the_samples_from_the_button(tmp_path, page):
    samples = sample_files()
    if not samples:
        pytest.skip("data/samples/ holds no sample returns yet (they are being added)")
    db = tmp_path / "empty.db"
    Store(f"sqlite:///{db}").dispose()
    with serve(db, tmp_path / "samples.log") as url:
        page.goto(url)
        expect(page.get_by_role("heading", name="总览", exact=True)).to_be_visible()
        button = page.get_by_role("button", name="载入示例报表")
        expect(button).to_be_visible()
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        button.click()
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=60_000)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == len(samples)
        year = kpi_year(page)
        assert year == sql_latest_year(db)
        expect(tile(page, "开展活动")).to_have_text(format_metric(sql_sum(db, "events", year), "场"))
        no_exception(page)


def _download(page: Page, button) -> tuple[str, bytes]:
    with page.expect_download() as download:
        button.click()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_chart_export_menu_renders_png_and_svg_on_the_server(server, page):
    from metrics.briefing.render import render_status

    if not render_status().ok:
        pytest.skip("server-side rendering unavailable: " + ";".join(render_status().problems))
    open_overview(page, server)
    plotly_chart(page, "按系统")
    menu = page.get_by_test_id("stPopover").first
    menu.get_by_role("button").first.click()
    name, png = _download(page, page.get_by_role("button", name="PNG 图片(高清)"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and name.endswith(".png") and CJK.search(name), name
    assert struct.unpack(">II", png[16:24])[0] == 3600  # 1200 px at 3×, drawn by the server's Chromium
    name, svg = _download(page, page.get_by_role("button", name="SVG 矢量图"))
    assert name.endswith(".svg") and "按系统" in svg.decode("utf-8")  # Chinese kept as text
    name, html = _download(page, page.get_by_role("button", name="交互式网页(可离线打开)"))
    assert name.endswith(".html") and b"<script src=" not in html
    assert "按系统" in title_of(figures_in(html.decode("utf-8"))["chart-1"])  # decoded, whatever the JSON encoder


def test_briefing_page_downloads_an_editable_pptx_equal_to_sql(server, db, page):
    from pptx import Presentation

    page.goto(f"{server}/briefing")
    expect(page.get_by_role("heading", name="简报导出", exact=True)).to_be_visible()
    no_exception(page)
    name, data = _download(page, page.get_by_role("button", name="PowerPoint 演示文稿"))
    assert name.endswith(".pptx") and CJK.search(name), name
    deck = Presentation(io.BytesIO(data))
    charts = [s.chart for slide in deck.slides for s in slide.shapes if s.has_chart]
    assert len(charts) == 12  # 3 metrics × sector, region, year, agency
    first = charts[0]  # 开展活动 by sector over the whole store, in the pack's year (the latest complete one)
    with sqlite3.connect(db) as conn:
        expected = dict(
            conn.execute(
                "SELECT COALESCE(se.text, '(未填写)'), SUM(r.value) FROM records r "
                "JOIN submissions s ON s.id = r.submission_id "
                "JOIN terms m ON m.id = r.metric_id LEFT JOIN terms se ON se.id = r.sector_id "
                "WHERE s.status = 'active' AND m.text = 'events' AND r.year = ? GROUP BY 1",
                (sql_latest_year(db),),
            ).fetchall()
        )
    shown = dict(zip(first.plots[0].categories, first.plots[0].series[0].values))
    assert shown == pytest.approx(expected)


# Every page of the navigation and its title (the heading the page draws).
PAGES = {
    "": "总览",
    "upload": "数据上报",
    "campaigns": "报送任务",
    "progress": "报送进度",
    "agencies": "单位对比",
    "themes": "主题与活动",
    "regions": "地区",
    "trends": "趋势",
    "details": "明细",
    "quality": "数据质量",
    "briefing": "简报导出",
}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def test_every_page_works_offline_no_request_leaves_the_machine(server, page):
    """An office machine may have no internet: no page may ask another host for anything (the tab icon,
    fonts, scripts). data: and blob: URLs stay in the browser."""
    outside: list[str] = []

    def note(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and parts.hostname not in LOCAL_HOSTS:
            outside.append(request.url)

    page.on("request", note)
    for path, title in PAGES.items():
        page.goto(f"{server}/{path}")
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
        page.wait_for_load_state("networkidle")
        no_exception(page)
    assert outside == []
    # Chromium fetches the tab icon outside the page, unseen by page.on("request"): check where it points.
    # It is the app's own, not a material icon from a font host (":material/…:" as page_icon).
    icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert icon.startswith("data:image/svg+xml"), icon
