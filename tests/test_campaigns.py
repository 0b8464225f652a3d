"""Collection rounds: campaign, roster import, matching, status steps, completeness, the CLI.

The scenarios in ``SHARED`` work on the ``store_url`` fixture (a fresh SQLite file here);
tests/test_campaigns_pg.py runs them again on a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import openpyxl
import pytest
import sqlalchemy as sa

from metrics.cli import main
from metrics.collection import campaigns as cp
from metrics.collection import completeness
from metrics.collection.campaigns import CampaignError, Status
from metrics.core.fmt import BEIJING
from metrics.reading.sniff import FileRefused
from metrics.storage.schema import metadata, unit_events
from metrics.storage.store import Store

# 10 districts × 5 sectors = 50 units; unit i is in district i // 5 and sector i % 5.
DISTRICTS = (
    "宁波市海曙区",
    "宁波市鄞州区",
    "宁波市北仑区",
    "宁波市镇海区",
    "宁波市江北区",
    "杭州市西湖区",
    "杭州市上城区",
    "杭州市萧山区",
    "福州市鼓楼区",
    "福州市台江区",
)
SECTORS = (
    ("市场监管", "市场监督管理局"),
    ("消委会", "消费者权益保护委员会"),
    ("烟草", "烟草专卖局"),
    ("司法", "司法局"),
    ("公安", "公安分局"),
)
HEADER = ("联系电话", "单位名称", "地区", "系统", "上级单位", "联系人")  # not the usual order on purpose


@pytest.fixture
def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'campaigns.db'}"


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.dispose()


def xlsx(rows: list[tuple], *, title: str | None = "2025年3·15活动应报单位名单") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    if title:
        ws.append([title])
        ws.append([])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def roster_rows() -> list[tuple]:
    rows = []
    for i in range(50):
        place = DISTRICTS[i // 5]
        sector, body = SECTORS[i % 5]
        rows.append((f"1380000{i:04d}", f"{place}{body}", place, sector, f"{place[:3]}{body}", f"联系人{i}"))
    return rows


def at(day: str, time: str = "10:00") -> dt.datetime:
    """A Beijing wall-clock time."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BEIJING)


def new_campaign(store: Store, **kw) -> cp.Campaign:
    args = {
        "name": "2025年3·15活动情况报送",
        "year": 2025,
        "due": "2025-03-25",
        "grace_days": 2,
        "metrics": ["events", "materials"],
    } | kw
    return cp.create_campaign(store, **args)


def fifty(store: Store) -> tuple[cp.Campaign, list[cp.RosterUnit]]:
    campaign = new_campaign(store)
    done = cp.import_roster(store, campaign.id, xlsx([HEADER, *roster_rows()]), "名单.xlsx")
    assert (done.added, done.updated, done.issues) == (50, 0, ())
    return campaign, cp.roster(store, campaign.id)


# ---- the 50-unit round ---------------------------------------------------------------------------
def play_the_round(store: Store, campaign: cp.Campaign, units: list[cp.RosterUnit]) -> None:
    """Units 0–29 on time; 30–37 late; 38 at 23:59 on the last day (on time); 39 ten minutes later (late,
    though still the 27th in UTC); 40–49 never. Then reviews: 0–19 approved, 0–9 locked, 0 unlocked;
    20–24 sent back, 20–22 resubmitted after the deadline; 30–33 approved."""
    cid = campaign.id
    for i in range(30):
        cp.submit(store, cid, units[i].id, at=at("2025-03-20"), who="填报员")
    for i in range(30, 38):
        cp.submit(store, cid, units[i].id, at=at("2025-03-28", "09:00"))
    cp.submit(store, cid, units[38].id, at=at("2025-03-27", "23:59"))
    cp.submit(store, cid, units[39].id, at=at("2025-03-28", "00:10"))
    for i in [*range(20), *range(30, 34)]:
        cp.approve(store, cid, units[i].id, who="审核员", at=at("2025-03-29"))
    for i in range(10):
        cp.lock(store, cid, units[i].id, at=at("2025-03-30"))
    cp.unlock(store, cid, units[0].id, "发放宣传资料数填错一位", who="科长", at=at("2025-04-02"))
    for i in range(20, 25):
        cp.return_with_comment(store, cid, units[i].id, "合计与各行之和不符", who="审核员", at=at("2025-03-29"))
    for i in range(20, 23):
        cp.submit(store, cid, units[i].id, at=at("2025-04-01"))


def test_fifty_units_statuses_and_rates_match_the_hand_count(store):
    campaign, units = fifty(store)
    play_the_round(store, campaign, units)
    report = completeness.build(store, campaign.id, today=dt.date(2025, 4, 5))

    # Hand count: 已锁定 1–9; 已审核 10–19 and 30–33; 已报待审 0, 20–22, 25–29, 34–39; 退回 23, 24; 未报 40–49.
    assert report.overall.counts == {"未报": 10, "已报待审": 15, "退回": 2, "已审核": 14, "已锁定": 9}
    assert (report.overall.expected, report.overall.reported, report.overall.on_time, report.overall.late) == (
        50,
        40,
        31,
        9,
    )
    assert report.overall.reporting_rate == pytest.approx(40 / 50)
    assert report.overall.on_time_rate == pytest.approx(31 / 50)
    assert report.overall.approval_rate == pytest.approx(23 / 50)

    by_city = {r.group: (r.expected, r.reported, r.on_time) for r in report.by_city}
    assert by_city == {"浙江省 宁波市": (25, 25, 25), "浙江省 杭州市": (15, 15, 6), "福建省 福州市": (10, 0, 0)}
    by_province = {r.group: r.on_time_rate for r in report.by_province}
    assert by_province == {"浙江省": pytest.approx(31 / 40), "福建省": 0.0}
    by_district = {r.group: (r.reported, r.on_time, r.late) for r in report.by_district}
    assert by_district["浙江省 杭州市 萧山区"] == (5, 1, 4)  # units 35–39: only 38 in time
    assert by_district["浙江省 杭州市 上城区"] == (5, 0, 5)
    assert by_district["福建省 福州市 鼓楼区"] == (0, 0, 0)
    by_sector = {r.group: (r.reported, r.on_time) for r in report.by_sector}
    assert by_sector == {"市场监管": (8, 6), "消委会": (8, 6), "烟草": (8, 6), "司法": (8, 7), "公安": (8, 6)}


def test_unit_details_keep_versions_times_and_the_reviewers_words(store):
    campaign, units = fifty(store)
    play_the_round(store, campaign, units)
    states = {s.unit.id: s for s in cp.unit_statuses(store, campaign.id, today=dt.date(2025, 4, 5))}
    resubmitted = states[units[20].id]
    assert (resubmitted.status, resubmitted.version, resubmitted.late) == (Status.PENDING, 2, False)
    assert resubmitted.first_submitted_at == "2025-03-20T02:00:00+00:00"
    assert resubmitted.last_submitted_at == "2025-04-01T02:00:00+00:00"  # 10:00 Beijing
    sent_back = states[units[23].id]
    assert (sent_back.status, sent_back.comment, sent_back.changed_by) == (
        Status.RETURNED,
        "合计与各行之和不符",
        "审核员",
    )
    unlocked = states[units[0].id]
    assert (unlocked.status, unlocked.comment, unlocked.changed_by) == (
        Status.PENDING,
        "发放宣传资料数填错一位",
        "科长",
    )
    assert states[units[38].id].late is False and states[units[39].id].late is True
    silent = states[units[45].id]
    assert (silent.status, silent.late, silent.overdue) == (Status.NOT_REPORTED, None, True)
    assert cp.unit_status(store, campaign.id, units[45].id, today=dt.date(2025, 3, 27)).overdue is False
    assert cp.unit_status(store, campaign.id, units[45].id, today=dt.date(2025, 3, 28)).overdue is True


@pytest.mark.parametrize(
    ("steps", "action", "words"),
    [
        ((), "approve", "“{unit}”当前为“未报”,不能审核通过"),
        ((), "return", "不能退回"),
        (("submit",), "lock", "当前为“已报待审”,不能锁定"),
        (("submit", "approve"), "submit", "须先解锁并写明原因"),
        (("submit", "approve", "lock"), "submit", "须先解锁并写明原因"),
        (("submit", "approve", "lock"), "return", "当前为“已锁定”,不能退回"),
        (("submit", "return"), "approve", "等待单位重新报送"),
        (("submit",), "unlock", "当前为“已报待审”,不能解锁"),
    ],
)
def test_invalid_steps_are_refused_in_chinese_and_change_nothing(store, steps, action, words):
    campaign, units = fifty(store)
    unit = units[7]
    run = {
        "submit": lambda: cp.submit(store, campaign.id, unit.id),
        "approve": lambda: cp.approve(store, campaign.id, unit.id),
        "lock": lambda: cp.lock(store, campaign.id, unit.id),
        "return": lambda: cp.return_with_comment(store, campaign.id, unit.id, "请补充"),
        "unlock": lambda: cp.unlock(store, campaign.id, unit.id, "更正"),
    }
    for step in steps:
        run[step]()
    before = cp.unit_status(store, campaign.id, unit.id)
    with pytest.raises(CampaignError, match=words.format(unit=unit.name)):
        run[action]()
    assert cp.unit_status(store, campaign.id, unit.id) == before


def test_a_return_and_an_unlock_need_their_reason(store):
    campaign, units = fifty(store)
    cp.submit(store, campaign.id, units[0].id)
    with pytest.raises(CampaignError, match="请填写退回原因"):
        cp.return_with_comment(store, campaign.id, units[0].id, "  ")
    cp.approve(store, campaign.id, units[0].id)
    with pytest.raises(CampaignError, match="请填写解锁原因"):
        cp.unlock(store, campaign.id, units[0].id, "")
    with pytest.raises(CampaignError, match="没有第 999 号单位"):
        cp.submit(store, campaign.id, 999)
    assert cp.unit_status(store, campaign.id, units[0].id).status == Status.APPROVED


def test_concurrent_reviewers_only_one_approval_counts(store):
    campaign, units = fifty(store)
    cp.submit(store, campaign.id, units[0].id)
    results: list[str] = []

    def review() -> None:
        try:
            cp.approve(store, campaign.id, units[0].id)
            results.append("ok")
        except CampaignError:
            results.append("refused")

    threads = [threading.Thread(target=review) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["refused"] * 5
    with store.engine.connect() as conn:
        approvals = conn.execute(sa.select(sa.func.count()).where(unit_events.c.action == "approve")).scalar_one()
    assert approvals == 1


def test_concurrent_submissions_of_many_units_are_all_kept(store):
    campaign, units = fifty(store)

    def send(chunk: list[cp.RosterUnit]) -> None:
        for unit in chunk:
            cp.submit(store, campaign.id, unit.id, at=at("2025-03-21"))

    threads = [threading.Thread(target=send, args=(units[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    overall = completeness.build(store, campaign.id, today=dt.date(2025, 3, 22)).overall
    assert (overall.reported, overall.on_time, overall.counts["已报待审"]) == (50, 50, 50)


# ---- a return file arriving ------------------------------------------------------------------------
def unit_return(agency: str, events: int, *, place: str = "宁波市") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{place}2025年“3·15”消费者权益日活动统计表"])
    ws.append(["填报单位", "开展活动(场)", "发放宣传资料(份)"])
    ws.append([agency, events, events * 100])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_return_is_matched_stored_and_its_resubmission_supersedes_it(store):
    campaign, units = fifty(store)
    council = units[6]  # 宁波市鄞州区消费者权益保护委员会
    first = cp.submit_return(store, campaign.id, unit_return("鄞州区消保委", 12), "鄞州v1.xlsx", at=at("2025-03-20"))
    assert (first.status, first.unit, first.version) == ("submitted", council, 1)
    cp.return_with_comment(store, campaign.id, council.id, "活动场次偏少,请核实")
    second = cp.submit_return(store, campaign.id, unit_return("鄞州区消保委", 15), "鄞州v2.xlsx", at=at("2025-03-26"))
    assert (second.status, second.version) == ("submitted", 2)
    assert store.submission(first.submission_id)["status"] == "superseded"
    assert store.submission(second.submission_id)["replaced_by"] is None
    now = cp.unit_status(store, campaign.id, council.id)
    assert (now.status, now.submission_id, now.late) == (Status.PENDING, second.submission_id, False)
    events = store.facts().frame
    assert float(events[events["measure"] == "events"]["value"].sum()) == 15


def test_an_ambiguous_or_unknown_return_stores_nothing(store):
    campaign, units = fifty(store)
    (fuzhou,) = (u for u in units if u.name == "福州市鼓楼区市场监督管理局")
    cp.import_roster(
        store, campaign.id, xlsx([("单位名称", "地区"), ("南京市鼓楼区市场监督管理局", "南京市鼓楼区")]), "补充.xlsx"
    )
    version = store.version()
    vague = cp.submit_return(store, campaign.id, unit_return("鼓楼区市场监管局", 3, place=""), "鼓楼.xlsx")
    assert vague.status == "ambiguous"
    assert {u.name for u in vague.candidates} == {"福州市鼓楼区市场监督管理局", "南京市鼓楼区市场监督管理局"}
    stranger = cp.submit_return(store, campaign.id, unit_return("某县农业农村局", 3), "农业.xlsx")
    assert stranger.status == "unknown"
    assert store.version() == version and store.submissions() == []
    chosen = cp.submit_return(
        store, campaign.id, unit_return("鼓楼区市场监管局", 3, place=""), "鼓楼.xlsx", unit_id=fuzhou.id
    )
    assert (chosen.status, chosen.unit) == ("submitted", fuzhou)


def test_a_return_for_a_locked_unit_is_refused_and_not_stored(store):
    campaign, units = fifty(store)
    council = units[6]
    cp.submit_return(store, campaign.id, unit_return("鄞州区消保委", 12), "v1.xlsx")
    cp.approve(store, campaign.id, council.id)
    cp.lock(store, campaign.id, council.id)
    with pytest.raises(CampaignError, match="须先解锁"):
        cp.submit_return(store, campaign.id, unit_return("鄞州区消保委", 99), "v2.xlsx")
    assert [s["file_name"] for s in store.submissions()] == ["v1.xlsx"]


# ---- roster import -----------------------------------------------------------------------------------
def test_roster_bad_rows_give_one_issue_each_with_their_cell(store):
    campaign = new_campaign(store)
    rows = [
        ("单位名称", "地区", "系统", "联系人", "联系电话"),
        ("宁波市鄞州区市场监督管理局", "宁波市鄞州区", "市场监管", "张三", 13800001111),
        ("", "宁波市", "消委会", "李四", ""),  # row 5: no name
        ("火星市消保委", "火星市", "消委会", "", ""),  # row 6: unknown region
        ("宁波市鄞州区市场监督管理局", "鄞州区", "", "", ""),  # row 7: duplicate
        ("鼓楼区消保委", "鼓楼区", "消委会", "", ""),  # row 8: ambiguous region
        ("宁波市北仑区消保委", "330206", "消保委", "王五", ""),  # adcode written, sector synonym
        ("某行业协会", "", "文旅", "", ""),  # no region anywhere, unknown sector
        ("福州市鼓楼区消保委", "鼓楼区", "", "", ""),
    ]  # 鼓楼区 settled by the unit's name
    done = cp.import_roster(store, campaign.id, xlsx(rows), "名单.xlsx")
    assert [(i.code, i.where) for i in done.issues] == [
        ("roster-missing-name", "名单!A5"),
        ("roster-unknown-region", "名单!B6"),
        ("roster-duplicate-unit", "名单!A7"),
        ("roster-ambiguous-region", "名单!B8"),
        ("roster-no-region", "名单!A10"),
        ("roster-unknown-sector", "名单!C10"),
    ]
    assert "福州市 鼓楼区" in done.issues[3].message
    assert done.added == 4
    got = {u.name: (u.adcode, u.sector, u.contact, u.phone) for u in cp.roster(store, campaign.id)}
    assert got == {
        "宁波市鄞州区市场监督管理局": ("330212", "市场监管", "张三", "13800001111"),
        "宁波市北仑区消保委": ("330206", "消委会", "王五", None),
        "某行业协会": (None, "文旅", None, None),
        "福州市鼓楼区消保委": ("350102", "消委会", None, None),
    }


def test_roster_reimport_updates_and_unreadable_files_store_nothing(store):
    campaign = new_campaign(store)
    cp.import_roster(store, campaign.id, xlsx([("单位名称", "联系人"), ("宁波市鄞州区消保委", "张三")]), "a.xlsx")
    again = cp.import_roster(
        store,
        campaign.id,
        xlsx([("联系人", "单位名称"), ("李四", "宁波市鄞州区消保委"), ("王五", "宁波市海曙区消保委")]),
        "b.xlsx",
    )
    assert (again.added, again.updated) == (1, 1)
    assert {u.name: u.contact for u in cp.roster(store, campaign.id)} == {
        "宁波市鄞州区消保委": "李四",
        "宁波市海曙区消保委": "王五",
    }
    version = store.version()
    with pytest.raises(FileRefused) as refused:
        cp.import_roster(store, campaign.id, xlsx([("序号", "名称"), (1, "宁波市镇海区消保委")]), "c.xlsx")
    assert refused.value.code == "no-table" and "单位名称" in refused.value.message
    with pytest.raises(FileRefused):
        cp.import_roster(store, campaign.id, b"%PDF-1.4 not a list", "d.xlsx")
    assert store.version() == version and len(cp.roster(store, campaign.id)) == 2


def test_roster_reads_csv_in_gbk(store):
    campaign = new_campaign(store)
    data = "单位名称,地区,系统\n杭州市西湖区市场监督管理局,杭州市西湖区,市场监管\n".encode("gb18030")
    done = cp.import_roster(store, campaign.id, data, "名单.csv")
    assert (done.added, done.issues) == (1, ())
    assert cp.roster(store, campaign.id)[0].adcode == "330106"


# ---- matching --------------------------------------------------------------------------------------
ROSTER_NAMES = (
    ("杭州市市场监督管理局", "330100"),
    ("宁波市鄞州区消费者权益保护委员会", "330212"),
    ("福州市鼓楼区市场监管局", "350102"),
    ("南京市鼓楼区市场监管局", "320106"),
    ("宁波市消费者权益保护委员会", "330200"),
)


@pytest.mark.parametrize(
    ("written", "region", "status", "expected"),
    [
        ("杭州市市场监督管理局", None, "ok", "杭州市市场监督管理局"),
        ("杭州市市场监管局", None, "ok", "杭州市市场监督管理局"),
        ("杭州市场监管局", None, "ok", "杭州市市场监督管理局"),
        ("杭州市市场监督管理局(盖章)", None, "ok", "杭州市市场监督管理局"),
        ("鄞州区消保委", None, "ok", "宁波市鄞州区消费者权益保护委员会"),
        ("鄞州消保委", None, "ok", "宁波市鄞州区消费者权益保护委员会"),
        ("宁波市消保委", None, "ok", "宁波市消费者权益保护委员会"),
        ("鼓楼区市场监督管理局", None, "ambiguous", "福州市鼓楼区市场监管局|南京市鼓楼区市场监管局"),
        ("鼓楼区市场监督管理局", "福州市", "ok", "福州市鼓楼区市场监管局"),
        ("鼓楼区市场监督管理局", "320106", "ok", "南京市鼓楼区市场监管局"),
        ("杭州市消保委", None, "unknown", ""),
        ("宁波市烟草专卖局", None, "unknown", ""),
    ],
)
def test_match_unit(written, region, status, expected):
    units = [cp.RosterUnit(i, 1, name, None, adcode) for i, (name, adcode) in enumerate(ROSTER_NAMES, 1)]
    match = cp.match_unit(units, written, region=region)
    assert match.status == status
    assert "|".join(u.name for u in match.candidates) == expected


def test_match_never_guesses_between_two_units_with_the_same_short_form():
    units = [
        cp.RosterUnit(1, 1, "宁波市市场监督管理局", None, "330200"),
        cp.RosterUnit(2, 1, "宁波市市场监管局", None, "330200"),
    ]
    match = cp.match_unit(units, "宁波市市场监管局")
    assert match.status == "ok" and match.how == "exact" and match.unit.id == 2
    assert cp.match_unit(units, "宁波市场监督管理局").status == "ambiguous"


# ---- campaigns ---------------------------------------------------------------------------------------
def test_copy_from_last_year_takes_settings_and_roster_not_statuses(store):
    campaign, units = fifty(store)
    cp.submit(store, campaign.id, units[0].id)
    old = cp.create_campaign(
        store,
        name="2024年宣传周报送",
        year=2024,
        due="2024-03-22",
        grace_days=1,
        theme="自定主题",
        period=("2024-02-29", "2024-03-31"),
        metrics=["events"],
    )
    copy = cp.copy_campaign(store, campaign.id, year=2026, due="2026-03-25")
    assert (copy.name, copy.year, copy.grace_days, copy.metrics, copy.copied_from) == (
        "2026年3·15活动情况报送",
        2026,
        2,
        ("events", "materials"),
        campaign.id,
    )
    assert copy.theme is None  # 2025's national theme was used; 2026 has none on the list yet
    assert [u.name for u in cp.roster(store, copy.id)] == [u.name for u in units]
    assert completeness.build(store, copy.id).overall.reported == 0
    second = cp.copy_campaign(store, old.id, year=2025, due="2025-03-22")
    assert (second.theme, second.period_start, second.period_end) == (
        "自定主题",
        dt.date(2025, 2, 28),
        dt.date(2025, 3, 31),
    )
    with pytest.raises(CampaignError, match="已有 2026 年的报送任务"):
        cp.copy_campaign(store, campaign.id, year=2026, due="2026-03-25")


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"metrics": ["events", "活动"]}, "指标目录中没有这些指标:活动"),
        ({"due": "3月25日"}, "截止日期“3月25日”不是日期"),
        ({"grace_days": -1}, "宽限天数不能为负数"),
        ({"name": " "}, "请填写报送任务名称"),
        ({"period": ("2025-03-31", "2025-03-01")}, "早于开始日期"),
    ],
)
def test_bad_campaign_settings_are_refused(store, kw, words):
    with pytest.raises(CampaignError, match=words):
        new_campaign(store, **kw)
    assert cp.list_campaigns(store) == []


def test_an_existing_store_gains_the_campaign_tables_and_keeps_its_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old_tables = [t for name, t in metadata.tables.items() if name not in ("campaigns", "roster_units", "unit_events")]
    engine = sa.create_engine(url)
    metadata.create_all(engine, tables=old_tables)
    with engine.begin() as conn:
        conn.execute(
            metadata.tables["store_meta"].insert(), [{"key": "version", "value": 7}, {"key": "schema", "value": 1}]
        )
    engine.dispose()
    store = Store(url)
    try:
        assert store.version() == 7
        made = new_campaign(store)
        assert cp.get_campaign(store, made.id).due_date == dt.date(2025, 3, 25)
        assert store.version() == 8
    finally:
        store.dispose()


# ---- the command line --------------------------------------------------------------------------------
def test_cli_round_trip(store_url, tmp_path, capsys):
    assert (
        main(
            [
                "campaign",
                "create",
                "--db",
                store_url,
                "--name",
                "2025年3·15活动情况报送",
                "--year",
                "2025",
                "--due",
                "2025-03-25",
                "--grace",
                "2",
                "--metrics",
                "events,materials",
                "--json",
            ]
        )
        == 0
    )
    made = json.loads(capsys.readouterr().out)
    assert (made["id"], made["last_on_time_day"], made["metrics"], made["units"]) == (
        1,
        "2025-03-27",
        ["events", "materials"],
        0,
    )
    roster_file = tmp_path / "名单.xlsx"
    roster_file.write_bytes(xlsx([HEADER, *roster_rows(), ("13800009999", "", "宁波市", "", "", "")]))
    assert main(["campaign", "roster-import", "1", str(roster_file), "--db", store_url, "--json"]) == 1
    done = json.loads(capsys.readouterr().out)
    assert (done["added"], [(i["code"], i["where"]) for i in done["issues"]]) == (
        50,
        [("roster-missing-name", "名单!B54")],
    )

    store = Store(store_url)
    try:
        units = cp.roster(store, 1)
        for unit in units[:20]:
            cp.submit(store, 1, unit.id, at=at("2025-03-24"))
        for unit in units[20:25]:
            cp.submit(store, 1, unit.id, at=at("2025-03-30"))
    finally:
        store.dispose()
    assert main(["campaign", "status", "1", "--db", store_url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["overall"]["reported"], status["overall"]["on_time"], status["overall"]["late"]) == (25, 20, 5)
    assert status["overall"]["reporting_rate"] == 0.5 and status["overall"]["on_time_rate"] == 0.4
    assert len(status["units"]) == 50 and status["units"][0]["status"] == "已报待审"
    assert main(["campaign", "status", "1", "--db", store_url]) == 0
    text = capsys.readouterr().out
    assert "应报 50,已报 25(报送率 50.0%),按时 20(按时率 40.0%),迟报 5" in text
    assert f"  {units[20].name}  已报待审 迟报\n" in text and f"  {units[49].name}  未报 逾期\n" in text
    assert units[0].name not in text  # on time and waiting for review: nothing to chase

    assert (
        main(["campaign", "create", "--db", store_url, "--copy-from", "1", "--year", "2026", "--due", "2026-03-25"])
        == 0
    )
    assert "已创建第 2 号报送任务《2026年3·15活动情况报送》" in capsys.readouterr().out
    assert main(["campaign", "status", "9", "--db", store_url]) == 1
    assert "没有第 9 号报送任务" in capsys.readouterr().err
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"%PDF-1.4")
    assert main(["campaign", "roster-import", "1", str(bad), "--db", store_url]) == 1
    assert "拒收" in capsys.readouterr().err


SHARED = [
    name
    for name in dir()
    if name.startswith("test_")
    and name
    not in (
        "test_match_unit",
        "test_match_never_guesses_between_two_units_with_the_same_short_form",
        "test_an_existing_store_gains_the_campaign_tables_and_keeps_its_data",
        "test_roster_reads_csv_in_gbk",
        "test_bad_campaign_settings_are_refused",
        "test_invalid_steps_are_refused_in_chinese_and_change_nothing",
    )
]


def test_a_resubmission_naming_the_unit_differently_still_replaces_the_first(store):
    campaign, units = fifty(store)
    council = units[6]
    first = cp.submit_return(store, campaign.id, unit_return("鄞州区消保委", 12), "v1.xlsx")
    cp.return_with_comment(store, campaign.id, council.id, "请用全称")
    second = cp.submit_return(store, campaign.id, unit_return("宁波市鄞州区消费者权益保护委员会", 15), "v2.xlsx")
    assert (second.status, second.unit, second.version) == ("submitted", council, 2)
    old = store.submission(first.submission_id)
    assert (old["status"], old["replaced_by"]) == ("superseded", second.submission_id)
    frame = store.facts().frame
    assert float(frame[frame["measure"] == "events"]["value"].sum()) == 15


SHARED.append("test_a_resubmission_naming_the_unit_differently_still_replaces_the_first")
