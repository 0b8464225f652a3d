"""仅已审核报表: the sidebar switch (and the briefing page's, on by default once a round exists) counts only the
returns of units whose round stands at 已审核 or 已锁定; every page says how many expected units it covers.

A real SQLite store: a round of three units, each sending a one-row return; one approved, one locked, one
sent back. The numbers shown are checked against plain SQL on the approved returns.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.analysis.query import Filters, apply_filters, filters_from_params
from metrics.collection import campaigns as cp
from metrics.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
UNITS = (
    ("宁波市海曙区市场监督管理局", "宁波市海曙区", 120),
    ("宁波市鄞州区市场监督管理局", "宁波市鄞州区", 300),
    ("宁波市北仑区市场监督管理局", "宁波市北仑区", 4000),
)


def book(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def a_return(unit: str, materials: int) -> bytes:
    return book(
        [
            ["2025年“3·15”活动情况统计表"],
            [f"填报单位:{unit}"],
            ["活动名称", "发放宣传资料(份)"],
            ["集中宣传", materials],
        ]
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("approved") / "store.db"
    store = Store(f"sqlite:///{path}")
    rnd = cp.create_campaign(store, name="2025年3·15活动情况报送", year=2025, due="2025-03-25", metrics=["materials"])
    cp.import_roster(store, rnd.id, book([["单位名称", "地区"], *[[u, p] for u, p, _ in UNITS]]), "名单.xlsx")
    units = {u.name: u for u in cp.roster(store, rnd.id)}
    for name, _, materials in UNITS:
        outcome = cp.submit_return(store, rnd.id, a_return(name, materials), f"{name}.xlsx")
        assert outcome.status == "submitted", outcome.message
    cp.approve(store, rnd.id, units[UNITS[0][0]].id)
    cp.approve(store, rnd.id, units[UNITS[1][0]].id)
    cp.lock(store, rnd.id, units[UNITS[1][0]].id)
    cp.return_with_comment(store, rnd.id, units[UNITS[2][0]].id, "数字有误,请核实")
    store.dispose()
    return path


def approved_sql(db: Path) -> tuple[set[int], float]:
    """Submissions whose unit's last step is approve/lock, and their materials, straight from SQL."""
    with sqlite3.connect(db) as conn:
        ids = {
            row[0]
            for row in conn.execute(
                "SELECT (SELECT e2.submission_id FROM unit_events e2 WHERE e2.campaign_id = e.campaign_id "
                "AND e2.unit_id = e.unit_id AND e2.action = 'submit' ORDER BY e2.id DESC LIMIT 1) "
                "FROM unit_events e WHERE e.id IN (SELECT MAX(id) FROM unit_events GROUP BY campaign_id, unit_id) "
                "AND e.status IN ('已审核', '已锁定')"
            )
        }
        marks = ",".join("?" * len(ids))
        total = conn.execute(
            f"SELECT SUM(r.value) FROM records r JOIN terms m ON m.id = r.metric_id "
            f"WHERE m.text = 'materials' AND r.submission_id IN ({marks})",
            tuple(ids),
        ).fetchone()[0]
    return ids, total


def test_approved_submissions_are_the_approved_and_locked_units_returns(db):
    store = Store(f"sqlite:///{db}")
    try:
        ids, total = approved_sql(db)
        assert len(ids) == 2 and total == 420
        assert cp.approved_submissions(store) == ids
        frame = store.facts().frame
        only = apply_filters(frame, Filters(approved=True, submissions=cp.approved_submissions(store)))
        assert float(only["value"].sum()) == 420 and float(frame["value"].sum()) == 4420
    finally:
        store.dispose()


def test_the_switch_travels_in_the_link():
    assert Filters(approved=True, submissions=frozenset({1})).to_params() == {"approved": "1"}
    import pandas as pd

    empty = pd.DataFrame({"year": pd.Series([], dtype=int)})
    assert filters_from_params({"approved": "1"}, empty)[0].approved is True
    assert filters_from_params({"approved": "yes"}, empty)[0].approved is False


@pytest.fixture
def app(db, monkeypatch):
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{db}")
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def tile(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_sidebar_switch_counts_only_approved_returns_and_pages_say_the_coverage(app, db):
    at = app.run()
    assert not at.exception
    assert tile(at, "发放宣传资料") == "4,420份"
    assert "报送任务“2025年3·15活动情况报送”:应报3家,本页数字涵盖其中3家" in [c.value for c in at.caption]
    at.sidebar.toggle(key="f_approved").set_value(True).run()
    assert not at.exception
    _, total = approved_sql(db)
    assert tile(at, "发放宣传资料") == f"{total:,.0f}份"
    assert "报送任务“2025年3·15活动情况报送”:应报3家,本页数字涵盖其中2家" in [c.value for c in at.caption]
    assert at.query_params["approved"] in ("1", ["1"])


def test_briefing_page_counts_approved_returns_by_default_once_a_round_exists(app, db):
    at = app.run()
    at.switch_page("app_pages/briefing.py").run()
    assert not at.exception
    switch = at.toggle(key="briefing_approved")
    assert switch.value is True
    assert "已审核报表 2 份" in [c.value for c in at.caption]
    assert "4,000" not in at.text_area(key="briefing_summary").value  # the sent-back unit's 4,000 is not in
    assert "420份" in at.text_area(key="briefing_summary").value
    switch.set_value(False).run()
    assert "4420份" in at.text_area(key="briefing_summary").value


def test_cli_brief_with_approved_counts_only_approved_returns(db, tmp_path):
    import openpyxl as xl

    from metrics.cli import main

    out = tmp_path / "简报.xlsx"
    assert main(["brief", "--db", f"sqlite:///{db}", "--approved", "--out", str(out)]) == 0
    kpis = xl.load_workbook(out)["概况"]
    cells = [c for row in kpis.iter_rows(values_only=True) for c in row if c is not None]
    assert any(str(c).replace(",", "") in ("420份", "420") for c in cells), cells
    assert not any(str(c).replace(",", "") in ("4420份", "4420") for c in cells)
