"""What a reviewer sees beside the reader's issues: asked-for metrics left empty and totals far from the unit's
year before (the 万 slip). Both warnings: they inform the review, they do not block approval."""

from __future__ import annotations

import io

import openpyxl
import pytest

from metrics.collection import campaigns as cp
from metrics.storage.store import Store

UNIT = "宁波市海曙区市场监督管理局"


def book(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def a_return(year: int, events: int, materials: int) -> bytes:
    return book(
        [
            [f"{year}年“3·15”活动情况统计表"],
            [f"填报单位:{UNIT}"],
            ["活动名称", "开展活动(场)", "发放宣传资料(份)"],
            ["集中宣传", events, materials],
        ]
    )


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'review.db'}")
    yield s
    s.dispose()


def round_with(store: Store, materials_now: int) -> tuple[cp.Campaign, int]:
    _, outcome = store.import_bytes(a_return(2024, 3, 300), "去年.xlsx", who="测试")
    assert outcome.status == "imported"
    rnd = cp.create_campaign(
        store,
        name="2025年3·15活动情况报送",
        year=2025,
        due="2025-03-25",
        metrics=["events", "materials", "consultations"],
    )
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


def test_a_units_template_from_the_round_reads_back_exactly(store, tmp_path):
    from metrics.cli import main
    from metrics.reading.ingest import ingest_bytes

    rnd, unit = round_with(store, 600)
    made = cp.unit_template(store, rnd.id, unit)
    assert made.file_name == f"2025年报表模板_{UNIT}.xlsx" and made.left_out == ()
    book_ = openpyxl.load_workbook(io.BytesIO(made.data))
    sheet = book_["报表"]
    header = next(r for r in range(1, 12) if sheet.cell(r, 1).value == "活动名称")
    assert [sheet.cell(header, c).value for c in range(3, 6)] == [
        "开展活动（场）",
        "发放宣传资料（份）",
        "接受咨询（人次）",
    ]
    sheet.cell(header + 1, 1, "进社区")
    sheet.cell(header + 1, 3, 2)
    sheet.cell(header + 1, 5, 180)
    out = io.BytesIO()
    book_.save(out)
    result = ingest_bytes(out.getvalue(), made.file_name)
    assert result.ok and result.totals() == {"events": 2, "consultations": 180}
    assert {r.agency for r in result.records} == {UNIT} and {r.year for r in result.records} == {2025}
    assert main(["campaign", "template", str(rnd.id), "--db", str(store.engine.url), "--out", str(tmp_path / "t")]) == 0
    assert [p.name for p in (tmp_path / "t").iterdir()] == [made.file_name]


def test_progress_page_lists_the_metrics_left_empty_and_the_campaigns_page_offers_the_template(store, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    round_with(store, 600)
    monkeypatch.setenv("OUTREACH_DB_URL", str(store.engine.url))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90).run()
    at.switch_page("app_pages/progress.py").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "未填的指标" in d.value.columns)
    assert table.values.tolist() == [[UNIT, "接受咨询"]]
    at.switch_page("app_pages/campaigns.py").run()
    at.radio(key="campaign_section").set_value("status").run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "下载该单位的报表模板" in labels, labels


def test_a_return_imported_on_the_upload_page_or_cli_counts_for_the_round(store, tmp_path):
    """数据上报 / `metrics import` of a round's year: each agency the roster names unambiguously is 已报待审."""
    from metrics.cli import main

    rnd = cp.create_campaign(store, name="2025年3·15活动情况报送", year=2025, due="2025-03-25", metrics=["events"])
    cp.import_roster(
        store,
        rnd.id,
        book([["单位名称", "地区"], [UNIT, "宁波市海曙区"], ["宁波市鄞州区消费者权益保护委员会", "宁波市鄞州区"]]),
        "名单.xlsx",
    )
    path = tmp_path / "海曙.xlsx"
    path.write_bytes(a_return(2025, 4, 600))
    assert main(["import", str(path), "--db", str(store.engine.url)]) == 0
    status = {s.unit.name: s for s in cp.unit_statuses(store, rnd.id)}
    assert status[UNIT].status == cp.Status.PENDING and status[UNIT].submission_id is not None
    assert status["宁波市鄞州区消费者权益保护委员会"].status == cp.Status.NOT_REPORTED
    _, outcome = store.import_bytes(a_return(2024, 1, 10), "去年.xlsx", who="测试")  # another year: no round
    assert cp.link_submission(store, outcome.submission_id) == []


def test_the_upload_page_says_which_round_a_return_counted_for(store, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    rnd = cp.create_campaign(store, name="2025年3·15活动情况报送", year=2025, due="2025-03-25", metrics=["events"])
    cp.import_roster(store, rnd.id, book([["单位名称", "地区"], [UNIT, "宁波市海曙区"]]), "名单.xlsx")
    monkeypatch.setenv("OUTREACH_DB_URL", str(store.engine.url))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90).run()
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploader").upload(
        "海曙.xlsx", a_return(2025, 4, 600), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ).run()
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert f"已计入报送任务《2025年3·15活动情况报送》:{UNIT} 已报待审" in [c.value for c in at.caption]
    assert cp.unit_statuses(store, rnd.id)[0].status == cp.Status.PENDING


def test_a_file_of_several_units_counts_as_approved_only_once_all_its_units_are(store):
    rnd = cp.create_campaign(store, name="2025年3·15活动情况报送", year=2025, due="2025-03-25", metrics=["events"])
    other = "宁波市鄞州区市场监督管理局"
    cp.import_roster(
        store, rnd.id, book([["单位名称", "地区"], [UNIT, "宁波市海曙区"], [other, "宁波市鄞州区"]]), "名单.xlsx"
    )
    both = book([["2025年“3·15”活动情况统计表"], ["单位", "开展活动(场)"], [UNIT, 4], [other, 9]])
    _, outcome = store.import_bytes(both, "全市.xlsx", who="测试")
    assert [link.status for link in cp.link_submission(store, outcome.submission_id)] == ["submitted", "submitted"]
    units = {u.name: u.id for u in cp.roster(store, rnd.id)}
    cp.approve(store, rnd.id, units[UNIT])
    assert cp.approved_submissions(store) == frozenset()  # 鄞州 not yet checked: the file stays out
    cp.approve(store, rnd.id, units[other])
    assert cp.approved_submissions(store) == {outcome.submission_id}
