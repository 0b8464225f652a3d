"""A whole collection round in a real browser (Debian's Chromium, a real `streamlit run`, a real SQLite file):
create the round, import a roster, receive two returns, send one back, receive it again, approve it, read the
progress tiles, make a 催报通知 and find it logged. Every wait is for an element or a value."""

from __future__ import annotations

import datetime as dt
import io
import re
import sqlite3
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT, _download, no_exception, serve
from tests.test_campaigns import HEADER, roster_rows, unit_return, xlsx

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - test_browser skips the module first
    pytest.skip("playwright missing", allow_module_level=True)

NAME = "2026年3·15活动情况报送"


@pytest.fixture
def page(tmp_path):
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT)
        context = chromium.new_context(viewport={"width": 1400, "height": 1200}, locale="zh-CN", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        yield context.new_page()
        context.close()
        chromium.close()


def success(page: Page, text: str) -> None:
    try:
        expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible()
    except AssertionError:
        page.screenshot(path="/tmp/cpages_fail.png", full_page=True)
        raise


def field(page: Page, key: str):
    """The text box of the widget with this key (a label may also name its help button)."""
    return page.locator(f".st-key-{key} input")


def upload_return(page: Page, path: Path, unit: str, version: int = 1) -> None:
    page.locator('.st-key-campaign_return_file input[type="file"]').set_input_files(path)
    # the server has the file once its caption shows; a click before that could be lost in the rerun
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text=f"待报送:{path.name}")).to_be_visible()
    button = page.get_by_role("button", name="上传报表", exact=True)
    try:
        expect(button).to_be_enabled(timeout=8000)
    except AssertionError:
        page.screenshot(path="/tmp/cpages_fail.png", full_page=True)
        raise
    button.click()
    success(page, f"已收到“{unit}”的报表(第 {version} 次报送)")
    unit_is(page, unit, "已报待审")  # the rerun that follows has drawn the page


def unit_is(page: Page, unit: str, status: str) -> None:
    """The unit chosen and its status in the review heading: the page is drawn after the last step."""
    expect(page.locator(".st-key-campaign_unit").get_by_role("combobox")).to_have_value(unit)
    expect(page.get_by_test_id("stMain").get_by_text(f"审核 · {unit} · {status}")).to_be_visible()


def choose_unit(page: Page, unit: str, status: str) -> None:
    box = page.locator(".st-key-campaign_unit")
    box.get_by_role("combobox").click()
    page.get_by_role("option", name=unit, exact=True).click()
    unit_is(page, unit, status)


def test_a_round_by_clicks_in_a_browser(tmp_path, page):
    db = tmp_path / "round.db"
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(xlsx([HEADER, *roster_rows()[:6]]))
    names = [r[1] for r in roster_rows()[:6]]
    returns = {}
    for k, (name, events) in enumerate(((names[0], 5), (names[1], 7), (names[0], 6))):
        returns[k] = tmp_path / f"return{k}.xlsx"
        returns[k].write_bytes(unit_return(name, events))
    due = dt.date.today() + dt.timedelta(days=30)

    with serve(db, tmp_path / "server.log") as server:
        page.goto(f"{server}/campaigns")
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name="报送任务", exact=True)).to_be_visible()
        field(page, "campaign_who").fill("审核员甲")
        field(page, "campaign_new_name").fill(NAME)
        year = field(page, "campaign_new_year")
        year.fill(str(due.year))
        year.press("Enter")
        for part, value in (("year", f"{due.year}"), ("month", f"{due.month:02d}"), ("day", f"{due.day:02d}")):
            segment = main.locator(f'.st-key-campaign_new_due [data-type="{part}"]')  # a react-aria date field
            segment.click()
            page.keyboard.type(value)
        page.keyboard.press("Tab")
        main.get_by_role("button", name="创建任务").click()
        success(page, f"已创建报送任务《{NAME}》")
        expect(main.get_by_text(f"截止 {due.isoformat()},宽限 0 天")).to_be_visible()

        page.locator('.st-key-campaign_roster_file input[type="file"]').set_input_files(roster)
        main.get_by_role("button", name="导入名单").click()
        success(page, "名单已导入:新增 6 个单位")

        main.get_by_text("报送与审核", exact=True).click()
        upload_return(page, returns[0], names[0])
        upload_return(page, returns[1], names[1])
        choose_unit(page, names[0], "已报待审")
        page.locator(".st-key-campaign_reason textarea").fill("请加盖公章")
        main.get_by_role("button", name="退回", exact=True).click()
        success(page, f"“{names[0]}”现为“退回”")
        unit_is(page, names[0], "退回")
        upload_return(page, returns[2], names[0], 2)
        choose_unit(page, names[0], "已报待审")
        main.get_by_role("button", name="审核通过", exact=True).click()
        success(page, f"“{names[0]}”现为“已审核”")
        no_exception(page)

        page.goto(f"{server}/progress")
        expect(main.get_by_role("heading", name="报送进度", exact=True)).to_be_visible()
        for label, value in (("报送率", "33.3%"), ("按时率", "33.3%"), ("审核率", "16.7%")):
            box = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label))
            expect(box.get_by_test_id("stMetricValue")).to_have_text(value)
        field(page, "progress_office").fill("宁波市消费者权益保护委员会")
        field(page, "progress_contact").fill("王某某 0574-87000000")
        main.get_by_text("催报通知(Word)").click()
        main.get_by_role("button", name="生成并记录催报").click()
        success(page, "已记录催报:4 个单位。")
        name, data = _download(page, main.get_by_role("button", name=re.compile(r"^下载 .*\.docx$")))
        no_exception(page)

    import docx

    assert name.endswith(".docx") and "催报通知" in name
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "仍有4家单位未完成报送(其中未报4家)" in text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT channel, unit_name FROM reminders ORDER BY id").fetchall() == [
            ("docx", n) for n in names[2:]
        ]
        assert conn.execute("SELECT action, status, version, comment FROM unit_events ORDER BY id").fetchall() == [
            ("submit", "已报待审", 1, None),
            ("submit", "已报待审", 1, None),
            ("return", "退回", 1, "请加盖公章"),
            ("submit", "已报待审", 2, None),
            ("approve", "已审核", 2, None),
        ]
