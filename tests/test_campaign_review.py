"""What a reviewer sees beside the reader's issues: asked-for metrics left empty and totals far from the unit's
year before (the 万 slip). Both warnings: they inform the review, they do not block approval."""

from __future__ import annotations

import io

import openpyxl
import pytest

from metrics import campaigns as cp
from metrics.store import Store

UNIT = "宁波市海曙区市场监督管理局"


def book(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def a_return(year: int, events: int, materials: int) -> bytes:
    return book([[f"{year}年“3·15”活动情况统计表"], [f"填报单位:{UNIT}"],
                 ["活动名称", "开展活动(场)", "发放宣传资料(份)"], ["集中宣传", events, materials]])


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'review.db'}")
    yield s
    s.dispose()


def round_with(store: Store, materials_now: int) -> tuple[cp.Campaign, int]:
    _, outcome = store.import_bytes(a_return(2024, 3, 300), "去年.xlsx", who="测试")
    assert outcome.status == "imported"
    rnd = cp.create_campaign(store, name="2025年3·15活动情况报送", year=2025, due="2025-03-25",
                             metrics=["events", "materials", "consultations"])
    cp.import_roster(store, rnd.id, book([["单位名称", "地区"], [UNIT, "宁波市海曙区"]]), "名单.xlsx")
    submitted = cp.submit_return(store, rnd.id, a_return(2025, 4, materials_now), "今年.xlsx")
    assert submitted.status == "submitted", submitted.message
    return rnd, cp.roster(store, rnd.id)[0].id


def test_a_wan_slip_and_an_empty_asked_metric_are_shown_to_the_reviewer(store):
    rnd, unit = round_with(store, 3_000_000)  # 300 份 last year; 300万 typed for 300
    found = {i["code"]: i for i in cp.return_issues(store, rnd.id, unit)}
    assert found["big-change"]["value"] == "300→3e+06" and "上年为 300" in found["big-change"]["message"]
    assert found["missing-metric"]["value"] == "consultations" and "接受咨询" in found["missing-metric"]["message"]
    assert cp.missing_metrics(store, rnd.id) == {unit: ["consultations"]}
    assert cp.approve(store, rnd.id, unit).status == cp.Status.APPROVED  # warnings do not block approval


def test_an_ordinary_change_is_not_flagged(store):
    rnd, unit = round_with(store, 600)  # twice last year: nothing to look at
    assert "big-change" not in {i["code"] for i in cp.return_issues(store, rnd.id, unit)}
