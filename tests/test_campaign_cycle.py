"""The collection cycle's additions: 强制通过 over a return's errors, the 催报 list from statuses, reminders logged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3

import docx
import openpyxl
import pytest

from metrics.collection import campaigns as cp
from metrics.collection.campaigns import CampaignError, Status
from metrics.collection.reminder_files import overdue_from
from metrics.collection.reminders import make_reminder, reminder_counts, reminder_history
from metrics.storage.store import Store
from tests.test_campaigns import HEADER, at, new_campaign, roster_rows, unit_return, xlsx


@pytest.fixture
def db(tmp_path):
    return tmp_path / "cycle.db"


@pytest.fixture
def store(db):
    s = Store(f"sqlite:///{db}")
    yield s
    s.dispose()


def ten(store: Store) -> tuple[cp.Campaign, list[cp.RosterUnit]]:
    campaign = new_campaign(store)
    rows = roster_rows()[:10]
    rows[3] = ("0574-87000000", *rows[3][1:])  # a landline: no SMS
    rows[4] = ("", *rows[4][1:])  # no phone at all
    cp.import_roster(store, campaign.id, xlsx([HEADER, *rows]), "名单.xlsx")
    return campaign, cp.roster(store, campaign.id)


def test_a_return_with_errors_is_approved_only_when_forced_with_a_reason(store):
    campaign, units = ten(store)
    council = units[1]  # 宁波市鄞州区消保委
    outcome = cp.submit_return(store, campaign.id, unit_return(council.name, -3), "负数.xlsx")
    assert (outcome.status, outcome.unit) == ("submitted", council)
    errors = [i for i in cp.return_issues(store, campaign.id, council.id) if i["level"] == "error"]
    assert [i["code"] for i in errors] == ["negative-value", "negative-value"]  # -3 场, -300 份
    with pytest.raises(CampaignError, match="有 2 个错误.*强制通过"):
        cp.approve(store, campaign.id, council.id)
    with pytest.raises(CampaignError, match="有 2 个错误"):
        cp.approve(store, campaign.id, council.id, force_reason="   ")
    assert cp.unit_status(store, campaign.id, council.id).status == Status.PENDING
    done = cp.approve(store, campaign.id, council.id, who="科长", force_reason="单位书面说明:负数为更正上期")
    assert (done.status, done.comment) == (Status.APPROVED, "强制通过:单位书面说明:负数为更正上期")


def test_a_clean_return_is_approved_without_a_reason(store):
    campaign, units = ten(store)
    cp.submit_return(store, campaign.id, unit_return(units[1].name, 3), "v1.xlsx")
    assert [i for i in cp.return_issues(store, campaign.id, units[1].id) if i["level"] == "error"] == []
    done = cp.approve(store, campaign.id, units[1].id)
    assert (done.status, done.comment) == (Status.APPROVED, None)


def test_overdue_from_lists_unreported_and_returned_units_with_days_late(store):
    campaign, units = ten(store)  # due 2025-03-25, grace 2: the 27th is the last on-time day
    cp.submit(store, campaign.id, units[0].id, at=at("2025-03-20"))
    cp.submit(store, campaign.id, units[1].id, at=at("2025-03-20"))
    cp.return_with_comment(store, campaign.id, units[1].id, "缺盖章")
    cp.submit(store, campaign.id, units[2].id, at=at("2025-03-28"))
    statuses = cp.unit_statuses(store, campaign.id)
    listed = overdue_from(statuses, campaign, today=dt.date(2025, 3, 30), region_of=lambda a: f"区划{a}")
    assert [(o.unit, o.status) for o in listed] == [(units[1].name, "退回")] + [(u.name, "未报") for u in units[3:]]
    assert {o.late_days for o in listed} == {3}
    assert listed[0].region == f"区划{units[1].adcode}" and listed[0].contact == units[1].contact
    on_time = overdue_from(statuses, campaign, today=dt.date(2025, 3, 27))
    assert {o.late_days for o in on_time} == {None}


def test_each_reminder_file_is_valid_and_logged_per_unit(store, db):
    campaign, units = ten(store)
    for unit in units[:5]:
        cp.submit(store, campaign.id, unit.id, at=at("2025-03-20"))
    cp.return_with_comment(store, campaign.id, units[3].id, "数字有误")
    cp.return_with_comment(store, campaign.id, units[4].id, "数字有误")
    expected = [units[3], units[4], *units[5:]]
    today = dt.date(2025, 3, 29)

    sheet = make_reminder(store, campaign.id, ".xlsx", who="甲", today=today)
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).active.iter_rows(min_row=4, values_only=True))
    assert [(r[1], r[6], r[7]) for r in rows] == [(u.name, "退回" if u in units[3:5] else "未报", 2) for u in expected]
    assert sheet.file_name.endswith(".xlsx") and sheet.log.units == tuple(u.name for u in expected)

    with pytest.raises(CampaignError, match="发文单位"):
        make_reminder(store, campaign.id, ".docx", today=today)
    notice = make_reminder(
        store,
        campaign.id,
        ".docx",
        office="宁波市消费者权益保护委员会",
        contact="王某某 0574-87000000",
        who="乙",
        today=today,
    )
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(notice.data)).paragraphs)
    assert "仍有7家单位未完成报送(其中退回2家、未报5家)" in text

    sms = make_reminder(
        store, campaign.id, ".csv", office="宁波市消费者权益保护委员会", contact="0574-87000000", who="丙", today=today
    )
    table = list(csv.reader(io.StringIO(sms.data.decode("utf-8-sig"))))
    sent = [r for r in table[1:] if r[2]]
    assert [r[0] for r in sent] == [u.name for u in units[5:]]  # units 3 and 4: landline / none
    assert [(r[0], r[3]) for r in table[1:] if not r[2]] == [
        (units[3].name, "非手机号码,无法发送短信:0574-87000000"),
        (units[4].name, "无联系电话"),
    ]
    assert [u.unit for u, _ in sms.skipped] == [units[3].name, units[4].name]

    history = reminder_history(store, campaign.id)
    assert [(h.channel, h.who, len(h.units)) for h in history] == [
        ("sms", "丙", 5),
        ("docx", "乙", 7),
        ("xlsx", "甲", 7),
    ]
    counts = reminder_counts(store, campaign.id)
    assert counts == {**{u.id: 2 for u in units[3:5]}, **{u.id: 3 for u in units[5:]}}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM reminders").fetchone()[0] == 7 + 7 + 5


def test_no_reminder_when_every_unit_reported(store):
    campaign, units = ten(store)
    for unit in units:
        cp.submit(store, campaign.id, unit.id)
    with pytest.raises(CampaignError, match="没有需要催报的单位"):
        make_reminder(store, campaign.id, ".xlsx")
    assert reminder_history(store, campaign.id) == []


def test_cli_remind_writes_each_file_and_logs_it(store, db, tmp_path, capsys):
    from metrics.cli import main

    campaign, units = ten(store)
    for unit in units[:6]:
        cp.submit(store, campaign.id, unit.id)
    url = f"sqlite:///{db}"
    out = tmp_path / "名单.xlsx"
    assert main(["campaign", "remind", str(campaign.id), "--out", str(out), "--who", "丁", "--db", url]) == 0
    rows = list(openpyxl.load_workbook(out).active.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == [u.name for u in units[6:]]
    capsys.readouterr()
    sms = tmp_path / "短信.txt"
    assert (
        main(
            [
                "campaign",
                "remind",
                str(campaign.id),
                "--out",
                str(sms),
                "--office",
                "宁波市消保委",
                "--contact",
                "0574-87000000",
                "--json",
                "--db",
                url,
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert (report["channel"], report["units"], report["skipped"]) == ("sms", [u.name for u in units[6:]], [])
    lines = sms.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[0] for line in lines] == [u.phone for u in units[6:]]
    assert all(line.split("\t")[1].startswith("【宁波市消保委】") for line in lines)
    # A notice without its sender is refused; a file that cannot be written is not logged.
    assert main(["campaign", "remind", str(campaign.id), "--out", str(tmp_path / "n.docx"), "--db", url]) == 1
    assert "发文单位" in capsys.readouterr().err
    assert main(["campaign", "remind", str(campaign.id), "--out", str(tmp_path / "none" / "n.xlsx"), "--db", url]) == 1
    assert [(h.channel, len(h.units)) for h in reminder_history(store, campaign.id)] == [("sms", 4), ("xlsx", 4)]


def test_roster_edits_are_saved_together_or_not_at_all(store):
    campaign, units = ten(store)
    before = cp.roster(store, campaign.id)
    with pytest.raises(CampaignError, match="行政区划代码“999999”不在区划表中"):
        cp.edit_roster(store, campaign.id, {units[0].id: {"phone": "13900000000"}, units[1].id: {"adcode": "999999"}})
    assert cp.roster(store, campaign.id) == before
    with pytest.raises(CampaignError, match="不能在这里修改"):
        cp.edit_roster(store, campaign.id, {units[0].id: {"name": "别的单位"}})
    after = cp.edit_roster(
        store,
        campaign.id,
        {units[0].id: {"phone": " 13900000000 ", "contact": ""}, units[1].id: {"adcode": "330212", "sector": "消委会"}},
    )
    assert (after[0].phone, after[0].contact, after[0].name) == ("13900000000", None, units[0].name)
    assert (after[1].adcode, after[1].sector) == ("330212", "消委会")
    assert after[2:] == before[2:]
