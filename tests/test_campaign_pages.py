"""报送任务 and 报送进度 through AppTest on a real SQLite store: a whole collection round by clicks.

The statuses and rates the pages show are checked against the store read with plain SQL and hand counts.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.collection import campaigns as cp
from metrics.storage.store import Store
from tests.test_campaigns import HEADER, roster_rows, unit_return, xlsx
from tests.test_pages import ROOT, bar_values, figures, no_exception

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME = "2025年3·15活动情况报送"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "round.db"
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{path}")
    return path


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.switch_page(page).run()
    no_exception(at)
    return at


def roster_file() -> bytes:
    rows = roster_rows()[:6]
    rows.append(("13800009999", "", "宁波市", "消委会", "", "无名"))  # no name: left out, one issue
    return xlsx([HEADER, *rows])


def create_round(at: AppTest) -> None:
    at.text_input(key="campaign_who").input("审核员甲")
    at.text_input(key="campaign_new_name").input(NAME)
    at.number_input(key="campaign_new_year").set_value(2025)
    at.date_input(key="campaign_new_due").set_value(dt.date(2025, 3, 25))
    at.number_input(key="campaign_new_grace").set_value(2)
    at.multiselect(key="campaign_new_metrics").set_value(["events", "materials"])
    at.button(key="campaign_create").click().run()
    no_exception(at)


def upload_return(at: AppTest, data: bytes, name: str) -> None:
    at.file_uploader(key="campaign_return_file").upload(name, data, XLSX).run()
    at.button(key="campaign_upload").click().run()
    no_exception(at)


def step(at: AppTest, unit_id: int, action: str, reason: str = "", force: bool = False) -> None:
    at.selectbox(key="campaign_unit").set_value(unit_id).run()
    at.text_area(key="campaign_reason").input(reason)
    if force:
        at.checkbox(key="campaign_force").check()
    at.button(key=f"campaign_do_{action}").click().run()
    no_exception(at)


def events(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT r.name, e.action, e.status, e.version, e.who, e.comment FROM unit_events e "
            "JOIN roster_units r ON r.id = e.unit_id ORDER BY e.id"
        ).fetchall()


def run_round(db) -> tuple[AppTest, list[cp.RosterUnit]]:
    """Create, import the roster, two returns, send one back, resubmit, approve; a return with errors forced."""
    at = open_page("app_pages/campaigns.py")
    create_round(at)
    assert [s.value for s in at.success] == [f"已创建报送任务《{NAME}》,名单中有 0 个单位。"]
    at.file_uploader(key="campaign_roster_file").upload("名单.xlsx", roster_file(), XLSX).run()
    at.button(key="campaign_roster_import").click().run()
    no_exception(at)
    assert "名单已导入:新增 6 个单位,更新 0 个,1 行未导入。" in [s.value for s in at.success]
    issues = at.dataframe[0].value
    assert issues.iloc[0].tolist()[:3] == ["名单!B10", "错误", "roster-missing-name"]
    store = Store(f"sqlite:///{db}")
    (campaign,) = cp.list_campaigns(store)
    assert (campaign.name, campaign.year, campaign.due_date, campaign.grace_days, campaign.metrics) == (
        NAME,
        2025,
        dt.date(2025, 3, 25),
        2,
        ("events", "materials"),
    )
    units = cp.roster(store, campaign.id)
    assert [u.name for u in units] == [r[1] for r in roster_rows()[:6]]
    shown = at.dataframe[1].value
    assert shown["单位名称"].tolist() == [u.name for u in units] and shown["联系电话"].tolist()[0] == "13800000000"

    first, second, third = units[0], units[1], units[2]
    at.radio(key="campaign_section").set_value("status").run()
    upload_return(at, unit_return(first.name, 5), "a.xlsx")
    assert f"已收到“{first.name}”的报表(第 1 次报送),状态为已报待审。" in [s.value for s in at.success]
    upload_return(at, unit_return(second.name, 7), "b.xlsx")
    step(at, first.id, "return")  # no reason: refused, nothing written
    assert any("请填写退回原因" in e.value for e in at.error)
    step(at, first.id, "return", "请加盖公章")
    upload_return(at, unit_return(first.name, 6), "a2.xlsx")
    step(at, first.id, "approve")
    upload_return(at, unit_return(third.name, -2), "c.xlsx")  # a negative count: the reader's error
    step(at, third.id, "approve")
    assert any("有 2 个错误" in e.value for e in at.error)
    step(at, third.id, "approve", "单位来函说明为冲减上期", force=True)
    store.dispose()
    return at, units


def test_a_round_through_the_campaigns_page(db):
    at, units = run_round(db)
    first, second, third = units[0], units[1], units[2]
    assert events(db) == [
        (first.name, "submit", "已报待审", 1, "审核员甲", None),
        (second.name, "submit", "已报待审", 1, "审核员甲", None),
        (first.name, "return", "退回", 1, "审核员甲", "请加盖公章"),
        (first.name, "submit", "已报待审", 2, "审核员甲", None),
        (first.name, "approve", "已审核", 2, "审核员甲", None),
        (third.name, "submit", "已报待审", 1, "审核员甲", None),
        (third.name, "approve", "已审核", 1, "审核员甲", "强制通过:单位来函说明为冲减上期"),
    ]
    table = next(d.value for d in at.dataframe if "最近操作(北京时间)" in d.value.columns)
    assert table["状态"].tolist() == ["已审核", "已报待审", "已审核", "未报", "未报", "未报"]
    with sqlite3.connect(db) as conn:  # the resubmission superseded the first return: one counted per unit
        active = conn.execute("SELECT file_name FROM submissions WHERE status = 'active' ORDER BY id").fetchall()
    assert active == [("b.xlsx",), ("a2.xlsx",), ("c.xlsx",)]


def test_the_roster_downloads_as_a_workbook_that_imports_back_unchanged(db):
    store = Store(f"sqlite:///{db}")
    campaign = cp.create_campaign(store, name=NAME, year=2025, due="2025-03-25")
    cp.import_roster(store, campaign.id, roster_file(), "名单.xlsx")
    at = open_page("app_pages/campaigns.py")
    at.radio(key="campaign_section").set_value("roster").run()
    assert [b for b in at.get("download_button") if "campaign_roster_xlsx" in b.proto.id]
    from metrics.core.safe_export import xlsx_bytes
    from metrics.reading.roster import roster_frame

    def rows() -> list[tuple]:
        return [(u.name, u.sector, u.adcode, u.parent, u.contact, u.phone) for u in cp.roster(store, campaign.id)]

    before = rows()
    assert len(before) == 6 and all(r[2] for r in before)
    data = xlsx_bytes({"应报单位名单": roster_frame(cp.roster(store, campaign.id))})
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == ["单位名称", "系统", "行政区划代码", "地区", "上级单位", "联系人", "联系电话"]
    assert sheet["D2"].value == "浙江省 宁波市 海曙区"  # DISTRICTS[0], written 宁波市海曙区 in the list
    again = cp.import_roster(store, campaign.id, data, "名单.xlsx")
    assert (again.added, again.updated, again.issues) == (0, 6, ())
    assert rows() == before
    store.dispose()


def test_progress_page_rates_lists_and_reminders_match_hand_counts(db):
    at, units = run_round(db)
    store = Store(f"sqlite:///{db}")
    (campaign,) = cp.list_campaigns(store)
    # Page steps ran today, long after the due date (2025-03-25 + 2): those returns are late. Two more steps:
    cp.submit(
        store, campaign.id, units[3].id, at=dt.datetime(2025, 3, 20, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    )
    cp.return_with_comment(store, campaign.id, units[1].id, "数字有误", who="审核员甲")
    store.dispose()
    # By hand: 0 已审核 (late), 1 退回 (late), 2 已审核 forced (late), 3 已报待审 (on time), 4 and 5 未报.
    at.switch_page("app_pages/progress.py").run()
    no_exception(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles == {"报送率": "66.7%", "按时率": "16.7%", "审核率": "33.3%"}
    assert "以下数字覆盖名单中的 6 个应报单位" in at.caption[0].value

    sectors = [r[3] for r in roster_rows()[:6]]
    reported, on_time, approved = {0, 1, 2, 3}, {3}, {0, 2}
    by_sector = next(d.value for d in at.dataframe if "系统" in d.value.columns)
    for sector in set(sectors):
        mine = [i for i, s in enumerate(sectors) if s == sector]
        row = by_sector[by_sector["系统"] == sector].iloc[0]
        assert (row["应报"], row["已报"], row["按时"], row["已审核"]) == (
            len(mine),
            len(set(mine) & reported),
            len(set(mine) & on_time),
            len(set(mine) & approved),
        ), sector
    figs = figures(at)
    bars = bar_values(next(spec for title, spec in figs.items() if title.endswith("报送率 按系统")))
    assert bars == {
        s: round(100 * len({i for i, x in enumerate(sectors) if x == s} & reported) / sectors.count(s), 1)
        for s in set(sectors)
    }
    region = bar_values(next(spec for title, spec in figs.items() if title.endswith("报送率 按省份")))
    assert region == {"浙江省": round(100 * 4 / 6, 1)}

    chase = next(d.value for d in at.dataframe if "已催报次数" in d.value.columns)
    assert chase["单位"].tolist() == [units[i].name for i in (0, 1, 2, 4, 5)]  # 0 and 2 were late
    assert chase["状态"].tolist() == ["已审核", "退回", "已审核", "未报", "未报"]
    assert chase["联系电话"].tolist()[-1] == roster_rows()[5][0]

    at.text_input(key="progress_office").input("宁波市消费者权益保护委员会")
    at.text_input(key="progress_contact").input("王某某 0574-87000000")
    at.text_input(key="progress_who").input("科员乙")
    made = {}
    for suffix in (".xlsx", ".docx", ".txt"):
        at.radio(key="progress_format").set_value(suffix)
        at.button(key="progress_make").click().run()
        no_exception(at)
        assert "已记录催报:3 个单位。" in [s.value for s in at.success]
        made[suffix] = at.session_state["progress_reminder"]["data"]
    chased = [units[i].name for i in (1, 4, 5)]
    rows = list(openpyxl.load_workbook(io.BytesIO(made[".xlsx"])).active.iter_rows(min_row=4, values_only=True))
    assert [(r[1], r[6]) for r in rows] == list(zip(chased, ["退回", "未报", "未报"], strict=True))
    import docx

    notice = "\n".join(p.text for p in docx.Document(io.BytesIO(made[".docx"])).paragraphs)
    assert "、".join(chased) + ":" in notice
    lines = made[".txt"].decode("utf-8").splitlines()
    assert [line.split("\t")[0] for line in lines] == [roster_rows()[i][0] for i in (1, 4, 5)]
    with sqlite3.connect(db) as conn:
        logged = conn.execute("SELECT channel, unit_name, who FROM reminders ORDER BY id").fetchall()
    assert logged == [(c, n, "科员乙") for c in ("xlsx", "docx", "sms") for n in chased]
    at.run()
    chase = next(d.value for d in at.dataframe if "已催报次数" in d.value.columns)
    assert chase["已催报次数"].tolist() == [0, 3, 0, 3, 3]


def test_progress_follows_the_sidebar_place(db):
    store = Store(f"sqlite:///{db}")
    campaign = cp.create_campaign(store, name=NAME, year=2025, due="2025-03-25")
    cp.import_roster(store, campaign.id, xlsx([HEADER, *roster_rows()[:6]]), "名单.xlsx")
    units = cp.roster(store, campaign.id)
    cp.submit_return(store, campaign.id, unit_return(units[5].name, 4), "e.xlsx")  # 鄞州区: gives the sidebar 浙江省
    store.dispose()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["province"] = "浙江省"
    app.query_params["city"] = "宁波市"
    at = app.run()
    at.switch_page("app_pages/progress.py").run()
    no_exception(at)
    on_map, ranked = [d.value for d in at.dataframe if "区县" in d.value.columns]
    assert dict(zip(ranked["区县"], zip(ranked["应报"], ranked["已报"], strict=True), strict=True)) == {
        "浙江省 宁波市 海曙区": (5, 0),
        "浙江省 宁波市 鄞州区": (1, 1),
    }
    # The map of 宁波's districts beside it counts the same units.
    assert dict(zip(on_map["区县"], zip(on_map["应报"], on_map["已报"], strict=True), strict=True)) == {
        "海曙区": (5, 0),
        "鄞州区": (1, 1),
    }


def test_an_ambiguous_return_waits_for_the_unit_to_be_picked(db):
    store = Store(f"sqlite:///{db}")
    campaign = cp.create_campaign(store, name=NAME, year=2025, due="2025-03-25")
    cp.import_roster(
        store,
        campaign.id,
        xlsx(
            [
                ("单位名称", "地区"),
                ("福州市鼓楼区市场监督管理局", "福州市鼓楼区"),
                ("南京市鼓楼区市场监督管理局", "南京市鼓楼区"),
            ]
        ),
        "名单.xlsx",
    )
    fuzhou, nanjing = cp.roster(store, campaign.id)
    at = open_page("app_pages/campaigns.py")
    upload_return(at, unit_return("鼓楼区市场监管局", 3, place=""), "鼓楼.xlsx")
    assert any("可能是名单中的" in w.value for w in at.warning)
    assert store.submissions() == [] and cp.unit_status(store, campaign.id, nanjing.id).status == cp.Status.NOT_REPORTED
    at.selectbox(key="campaign_pending_unit").set_value(nanjing.id)
    at.button(key="campaign_submit_as").click().run()
    no_exception(at)
    assert f"已收到“{nanjing.name}”的报表(第 1 次报送),状态为已报待审。" in [s.value for s in at.success]
    assert [cp.unit_status(store, campaign.id, u.id).status for u in (fuzhou, nanjing)] == [
        cp.Status.NOT_REPORTED,
        cp.Status.PENDING,
    ]
    assert [s["file_name"] for s in store.submissions()] == ["鼓楼.xlsx"]
    store.dispose()


@pytest.mark.parametrize("page", ["app_pages/campaigns.py", "app_pages/progress.py"])
def test_both_pages_in_english(db, page):
    store = Store(f"sqlite:///{db}")
    campaign = cp.create_campaign(store, name=NAME, year=2025, due="2025-03-25")
    cp.import_roster(store, campaign.id, xlsx([HEADER, *roster_rows()[:3]]), "名单.xlsx")
    cp.submit(store, campaign.id, cp.roster(store, campaign.id)[0].id)
    store.dispose()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["lang"] = "en"
    at = app.run()
    at.switch_page(page).run()
    no_exception(at)
    assert at.title[0].value in ("Collection rounds", "Reporting progress")
    if page.endswith("progress.py"):
        assert {m.label: m.value for m in at.metric} == {
            "Reporting rate": "33.3%",
            "On-time rate": "0.0%",
            "Approval rate": "0.0%",
        }
