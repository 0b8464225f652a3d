"""Login, roles and scopes in a real browser (Debian's Chromium through Playwright, a real `streamlit run app.py`,
a real SQLite file of its own, every request to another host aborted).

The issue's acceptance check: two reviewers, one of 深圳市 and one of 广州市, each sees and exports only their
own city, whatever the URL says, and cannot change the other's returns; the audit log holds what they did.
Then the identity-provider round trip, the refusal to serve without login on a wide address, and the idle
limit. Numbers on the page are compared with plain SQL on the store file (sums by adcode prefix).
"""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest

from metrics.access import accounts
from metrics.access.rules import Role, Scope
from metrics.core.fmt import format_metric
from metrics.storage.store import Store
from tests.oidc_support import (
    StreamlitServer,
    block_outside_requests,
    free_port,
    mock_provider,
    oidc_login,
    start_streamlit,
    stop_streamlit,
    streamlit_with_oidc,
)
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT, _download, no_exception, sidebar, tile

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - test_browser skips the module first
    pytest.skip("playwright missing", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = {"admin": "管理员口令-2026", "sz": "深圳审核-2026", "gz": "广州审核-2026"}
# Two cities of one province; two units each (districts), two years so the overview compares them.
CITIES = {
    "深圳市": ("4403", [("深圳市南山区市场监督管理局", 12, 3600, 410), ("深圳市福田区消费者委员会", 7, 2100, 260)]),
    "广州市": ("4401", [("广州市天河区市场监督管理局", 9, 5200, 330), ("广州市越秀区消费者委员会", 5, 1400, 120)]),
}
YEARS = (2023, 2024)


# ---- the store ------------------------------------------------------------------------------------------


def city_return(city: str, year: int, rows: list[tuple]) -> bytes:
    """One city's summary of its units' 3·15 work: a title row, a header, one row per unit."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"广东省{city}{year}年“3·15”国际消费者权益日活动情况统计表"])
    ws.append(["填报单位", "开展活动(场)", "发放宣传资料(份)", "接受咨询(人次)"])
    bump = year - YEARS[0]  # the later year a little more, so the two years differ
    for agency, events, materials, consultations in rows:
        ws.append([agency, events + bump, materials + 100 * bump, consultations + 10 * bump])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def file_name(city: str, year: int) -> str:
    return f"{city}{year}年3·15活动统计.xlsx"


def build_store(db: Path, *, returns: bool = True, users: bool = True, oidc_user: str | None = None) -> None:
    """Both cities' returns, a first 管理员, then a 审核员 for each city (and an identity-provider account)."""
    store = Store(f"sqlite:///{db}")
    try:
        if returns:
            for city, (_, rows) in CITIES.items():
                for year in YEARS:
                    _, outcome = store.import_bytes(city_return(city, year, rows), file_name(city, year), who="测试")
                    assert outcome.status == "imported", outcome.message
        if users:
            accounts.add_user(store, name="admin", role=Role.ADMIN, password=PASSWORD["admin"])
            accounts.add_user(
                store,
                name="sz",
                display="深圳审核员",
                role=Role.REVIEWER,
                scope=Scope.parse(["广东省深圳市"]),
                password=PASSWORD["sz"],
            )
            accounts.add_user(
                store,
                name="gz",
                display="广州审核员",
                role=Role.REVIEWER,
                scope=Scope.parse(["广东省广州市"]),
                password=PASSWORD["gz"],
            )
        if oidc_user:
            accounts.add_user(
                store,
                name=oidc_user,
                display="Alice",
                role=Role.VIEWER,
                scope=Scope.parse(["广东省深圳市"]),
                password=None,
            )
    finally:
        store.dispose()


def sql_sum(db: Path, metric: str, year: int, prefix: str) -> float:
    """A metric's total over active returns for one year, for places whose adcode starts with `prefix`."""
    with sqlite3.connect(db) as conn:
        return (
            conn.execute(
                "SELECT SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
                "JOIN terms m ON m.id = r.metric_id AND m.kind = 'metric' JOIN regions g ON g.id = r.region_id "
                "WHERE s.status = 'active' AND m.text = ? AND r.year = ? AND g.adcode LIKE ?",
                (metric, year, f"{prefix}%"),
            ).fetchone()[0]
            or 0.0
        )


def sql_state(db: Path) -> list[tuple]:
    """Every submission with its status and record count: what a write would change."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT s.id, s.file_name, s.status, (SELECT COUNT(*) FROM records r "
            "WHERE r.submission_id = s.id) FROM submissions s ORDER BY s.id"
        ).fetchall()


def sql_audit(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT who, action, ok, target, detail, source FROM audit_log ORDER BY id").fetchall()


# ---- the app and the browser ----------------------------------------------------------------------------


@contextmanager
def app(db: Path, tmp: Path, *, address: str = "127.0.0.1", env: dict | None = None) -> Iterator[StreamlitServer]:
    """`streamlit run app.py` from the worktree over `db`, with an empty secrets file (no [auth])."""
    secrets = tmp / "no-auth-secrets.toml"
    secrets.write_text("", encoding="utf-8")
    server = start_streamlit(
        ROOT / "app.py",
        port=free_port(),
        secrets_file=secrets,
        log=tmp / f"app-{db.stem}.log",
        cwd=ROOT,
        env={"OUTREACH_DB_URL": f"sqlite:///{db}", **(env or {})},
        extra_args=["--server.address", address],
    )
    try:
        yield server
    finally:
        stop_streamlit(server)


@pytest.fixture
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT)
        yield chromium
        chromium.close()


@pytest.fixture
def offline(browser):
    """A fresh browser context whose requests to any host but this machine are aborted; the aborted
    URLs are checked to be none at the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    blocked = block_outside_requests(context)
    yield context
    context.close()
    assert blocked == []


def main_area(page: Page):
    return page.get_by_test_id("stMain")


def login_form(page: Page):
    expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()
    return page.get_by_test_id("stForm")


def log_in(page: Page, name: str, password: str) -> None:
    form = login_form(page)
    try:
        form.get_by_label("用户名").fill(name, timeout=8000)
    except Exception:
        page.screenshot(path="/tmp/access_fail.png")
        raise
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录", exact=True).click()


def signed_in(page: Page, display: str) -> None:
    expect(sidebar(page).get_by_text(re.compile(f"当前账号:{display}"))).to_be_visible()


def go(page: Page, title: str) -> None:
    """Open a page through the sidebar navigation (the same browser session, no reload)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(main_area(page).get_by_role("heading", name=title, exact=True)).to_be_visible()


def open_list(page: Page, combobox):
    """Open a select box's list and return its options."""
    options = page.get_by_role("option")
    for _ in range(3):  # a click that lands during the page's last redraw may leave the list closed
        combobox.click()
        try:
            expect(options).not_to_have_count(0, timeout=3000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    return options


def overview_shows_only(page: Page, db: Path, city: str) -> None:
    """The overview's tiles are the city's own sums (SQL by adcode prefix), and the other city is nowhere."""
    prefix = CITIES[city][0]
    other = next(c for c in CITIES if c != city)
    main = main_area(page)
    expect(main.get_by_role("heading", name="总览", exact=True)).to_be_visible()
    expect(main.get_by_text(f"{YEARS[-1]} 年,与上一年相比")).to_be_visible()
    for metric, label, unit in (("materials", "发放宣传资料", "份"), ("events", "开展活动", "场")):
        mine = sql_sum(db, metric, YEARS[-1], prefix)
        assert mine > 0 and mine != sql_sum(db, metric, YEARS[-1], "44")  # the province's total differs
        expect(tile(page, label)).to_have_text(format_metric(mine, unit))
    expect(main).not_to_contain_text(other[:2])
    # The sidebar offers the city's province, and under it only the city itself.
    province = sidebar(page).get_by_role("combobox", name="省份")
    if province.input_value() != "广东省":
        expect(open_list(page, province)).to_have_text(["全部", "广东省"])
        page.get_by_role("option", name="广东省", exact=True).click()
        page.wait_for_url(lambda u: "province=" in u)
    expect(open_list(page, sidebar(page).get_by_role("combobox", name="城市"))).to_have_text(["全部", city])
    page.keyboard.press("Escape")
    expect(tile(page, "发放宣传资料")).to_have_text(format_metric(sql_sum(db, "materials", YEARS[-1], prefix), "份"))


def details_show_only(page: Page, city: str) -> None:
    other = next(c for c in CITIES if c != city)
    main = main_area(page)
    expect(main.get_by_role("heading", name="已上报的报表", exact=True)).to_be_visible()
    for year in YEARS:
        expect(
            main.get_by_text(file_name(city, year), exact=True).or_(
                main.locator('[role="gridcell"]').filter(has_text=file_name(city, year))
            )
        ).not_to_have_count(0)
    expect(main).not_to_contain_text(other[:2])
    picker = main.locator(".st-key-details_pick")
    options = open_list(page, picker.get_by_role("combobox"))
    expect(options).to_have_count(len(YEARS))
    assert not any(other[:2] in text for text in options.all_inner_texts())
    page.keyboard.press("Escape")


# ---- 1. the acceptance check ----------------------------------------------------------------------------


def test_two_city_reviewers_each_see_export_and_touch_only_their_own_city(tmp_path, offline):
    db = tmp_path / "cities.db"
    build_store(db)
    before = sql_state(db)
    assert len(before) == 4
    guangzhou_upload = tmp_path / "广州市2025年3·15活动统计.xlsx"
    guangzhou_upload.write_bytes(city_return("广州市", 2025, CITIES["广州市"][1]))

    with app(db, tmp_path) as server:
        url = f"http://127.0.0.1:{server.port}"
        page = offline.new_page()
        page.goto(url)
        expect(main_area(page).get_by_test_id("stMetric")).to_have_count(0)  # nothing before a login
        log_in(page, "sz", "not the password")
        expect(page.get_by_test_id("stAlertContentError")).to_have_text("用户名或密码不正确")
        log_in(page, "sz", PASSWORD["sz"])
        signed_in(page, "深圳审核员")
        overview_shows_only(page, db, "深圳市")

        go(page, "地区")
        expect(main_area(page).locator(".js-plotly-plot").first).to_be_attached()
        expect(main_area(page)).to_contain_text("深圳市")
        expect(main_area(page)).not_to_contain_text("广州")
        go(page, "明细")
        details_show_only(page, "深圳市")
        search = main_area(page).locator(".st-key-details_search input")
        search.fill("广州")
        search.press("Enter")
        expect(main_area(page).locator(".st-key-details_pick")).to_have_count(0)  # nothing found, nothing to pick

        go(page, "简报导出")
        name, data = _download(page, main_area(page).get_by_role("button", name="Excel 工作簿"))
        assert name.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = [
            str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
        ]
        assert any("深圳" in c for c in cells) and not any("广州" in c for c in cells)

        # Acting on 广州's data: its files are not listed to delete; its return cannot be uploaded.
        go(page, "数据上报")
        page.locator('.st-key-uploader input[type="file"]').set_input_files(guangzhou_upload)
        expect(main_area(page).get_by_test_id("stAlertContentError")).to_contain_text("不在账号“深圳审核员”的范围")
        assert sql_state(db) == before

        # A link edited by hand opens a new browser session: log in again; the link's 广州 is dropped.
        for link in (f"/?city={quote('广州市')}", f"/?province={quote('广东省')}&city={quote('广州市')}"):
            page.goto(url + link)
            log_in(page, "sz", PASSWORD["sz"])
            signed_in(page, "深圳审核员")
            expect(sidebar(page).get_by_test_id("stAlert").filter(has_text="广州市")).to_contain_text("已忽略")
            overview_shows_only(page, db, "深圳市")
            page.wait_for_url(lambda u: "city=" not in u)
        page.goto(f"{url}/details?province={quote('广东省')}&city={quote('广州市')}")
        log_in(page, "sz", PASSWORD["sz"])
        expect(main_area(page).get_by_role("heading", name="明细", exact=True)).to_be_visible()
        expect(sidebar(page).get_by_test_id("stAlert").filter(has_text="广州市")).to_contain_text("已忽略")
        details_show_only(page, "深圳市")
        no_exception(page)

        # The session lives in the browser tab: a reload asks for the password again.
        page.reload()
        login_form(page)
        expect(main_area(page).get_by_test_id("stMetric")).to_have_count(0)
        log_in(page, "gz", PASSWORD["gz"])  # the mirror: 广州's reviewer, on the page the tab was showing
        signed_in(page, "广州审核员")
        expect(main_area(page).get_by_role("heading", name="明细", exact=True)).to_be_visible()
        details_show_only(page, "广州市")
        go(page, "总览")
        overview_shows_only(page, db, "广州市")
        sidebar(page).get_by_role("button", name="退出登录").click()
        login_form(page)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        no_exception(page)

    assert sql_state(db) == before
    log = sql_audit(db)
    logins = [(who, ok, source) for who, action, ok, _, _, source in log if action == "login"]
    assert logins == [("sz", 0, "127.0.0.1")] + [("sz", 1, "127.0.0.1")] * 4 + [("gz", 1, "127.0.0.1")]
    exports = [(who, target, source) for who, action, ok, target, _, source in log if action == "export" and ok]
    assert len(exports) == 1 and exports[0][0] == "sz" and exports[0][1].endswith(".xlsx")
    assert exports[0][2] == "127.0.0.1"
    refused = [(who, target, source) for who, action, ok, target, _, source in log if action == "denied"]
    assert refused and all(r == ("sz", guangzhou_upload.name, "127.0.0.1") for r in refused)
    assert ("gz", "logout", 1) in [(who, action, ok) for who, action, ok, *_ in log]


# ---- 2. the identity provider ---------------------------------------------------------------------------


def test_identity_provider_login_sees_one_city_and_an_unknown_identity_is_refused(tmp_path, offline):
    db = tmp_path / "oidc.db"
    email = "alice@example.org"
    build_store(db, users=True, oidc_user=email)
    with (
        mock_provider() as provider,
        streamlit_with_oidc(
            ROOT / "app.py", provider, cwd=ROOT, workdir=tmp_path, env={"OUTREACH_DB_URL": f"sqlite:///{db}"}
        ) as server,
    ):
        page = offline.new_page()
        oidc_login(page, server.url, sub="alice", email=email, name="Alice Wang", button="使用统一身份认证登录")
        signed_in(page, "Alice")
        overview_shows_only(page, db, "深圳市")
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="数据上报", exact=True)).to_have_count(0)  # a 查看者 uploads nothing
        sidebar(page).get_by_role("button", name="退出登录").click()
        end = page.get_by_role("button", name="End session", exact=True)
        end.click()
        expect(page.get_by_role("button", name="使用统一身份认证登录")).to_be_visible()

        stranger = offline.new_page()
        oidc_login(
            stranger, server.url, sub="bob", email="bob@example.org", name="Bob Li", button="使用统一身份认证登录"
        )
        main = main_area(stranger)
        expect(main.get_by_test_id("stAlertContentError")).to_contain_text("bob@example.org")
        expect(main.get_by_test_id("stAlertContentError")).to_contain_text("尚未在本系统开通")
        expect(main.get_by_role("button", name="退出登录")).to_be_visible()
        expect(stranger.get_by_test_id("stMetric")).to_have_count(0)
        expect(stranger.get_by_test_id("stSidebarNav")).to_have_count(0)
        no_exception(stranger)

    log = sql_audit(db)
    assert [(who, action, ok, detail) for who, action, ok, _, detail, _ in log if action == "login"] == [
        (email, "login", 1, "统一身份认证"),
        ("bob@example.org", "login", 0, "统一身份认证账号未开通"),
    ]


# ---- 3. no login configured, wide address ---------------------------------------------------------------


def test_without_accounts_a_wide_address_is_refused_and_the_server_stops(tmp_path, offline):
    db = tmp_path / "open.db"
    build_store(db, users=False)
    with app(db, tmp_path, address="0.0.0.0") as server:
        page = offline.new_page()
        page.goto(f"http://127.0.0.1:{server.port}")
        alert = main_area(page).get_by_test_id("stAlertContentError")
        expect(alert).to_contain_text("拒绝启动")
        expect(alert).to_contain_text("0.0.0.0")
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        assert "深圳" not in main_area(page).inner_text()
        started = time.monotonic()
        try:
            code = server.process.wait(timeout=12)
        except subprocess.TimeoutExpired:
            pytest.fail("the server still runs 12 s after refusing to serve on 0.0.0.0")
        print(f"server exited with {code} after {time.monotonic() - started:.1f} s")

    build_store(db, returns=False, users=True)  # now with accounts: the same address serves the login form
    with app(db, tmp_path, address="0.0.0.0") as server:
        page = offline.new_page()
        # The fresh server's first request is a deep link: the login form lists no pages, and the login
        # lands on the linked page.
        page.goto(f"http://127.0.0.1:{server.port}/details")
        login_form(page)
        expect(page.get_by_text("拒绝启动")).to_have_count(0)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        log_in(page, "sz", PASSWORD["sz"])
        signed_in(page, "深圳审核员")
        expect(main_area(page).get_by_role("heading", name="明细", exact=True)).to_be_visible()
        assert server.process.poll() is None


# ---- 4. the idle limit ----------------------------------------------------------------------------------


def test_an_idle_session_is_sent_back_to_the_login_form(tmp_path, offline):
    db = tmp_path / "idle.db"
    build_store(db)
    with app(db, tmp_path, env={"OUTREACH_SESSION_IDLE_MINUTES": "0.05"}) as server:  # 3 s
        page = offline.new_page()
        page.goto(f"http://127.0.0.1:{server.port}")
        log_in(page, "gz", PASSWORD["gz"])
        signed_in(page, "广州审核员")
        go(page, "地区")  # used within the limit: still in
        time.sleep(4)  # the thing under test is wall-clock idleness
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="明细", exact=True).click()
        login_form(page)
        expect(main_area(page).get_by_test_id("stAlertContentWarning")).to_contain_text("未操作")
        expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
        log_in(page, "gz", PASSWORD["gz"])
        signed_in(page, "广州审核员")
    ends = [(who, detail) for who, action, _, _, detail, _ in sql_audit(db) if action == "logout"]
    assert ends == [("gz", "超过 0.05 分钟未操作,请重新登录")]
