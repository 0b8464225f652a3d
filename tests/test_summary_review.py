"""Reviewed summaries into the store: the numbers confirmed are the numbers stored, and replay gives them back."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from metrics.narrative import review as sr
from metrics.storage.store import Store

TEXT = (
    "宁波市鄞州区消费者权益保护委员会2025年“3·15”活动总结\n"
    "活动当天发放宣传资料2000余份,接受咨询300人次,受理投诉12起,办结11起,现场检测电子秤15台。"
)
MULTI = (
    "篇1 温州市鹿城区市场监督管理局\n2024年3月,共检查经营主体320家次,立案查处违法案件9件,罚没款6.5万元。\n"
    "篇2 丽水市消费者协会\n2024年受理投诉86件,为消费者挽回经济损失21.4万元,发放宣传资料1.2万份。\n"
)


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.dispose()


def reviewed(text: str, name: str = "总结.txt") -> tuple[sr.Review, list]:
    text_read, reports = sr.read_summary(text.encode("utf-8"), name)
    assert text_read == text
    return sr.first_review(reports), reports


def stored_sums(store: Store) -> dict[str, float]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT m.text, SUM(r.value) FROM records r JOIN terms m ON m.id = r.metric_id "
                "JOIN submissions s ON s.id = r.submission_id WHERE s.status = 'active' GROUP BY m.text"
            )
        )
        return {metric: total for metric, total in rows}


def test_first_review_holds_what_the_text_says():
    review, _ = reviewed(TEXT)
    (report,) = review.reports
    assert (report.agency, report.year, report.sector, report.region) == (
        "宁波市鄞州区消费者权益保护委员会",
        2025,
        None,
        "浙江省 宁波市 鄞州区",
    )  # sector: from the agency
    assert set(sr.review_result("总结.txt", TEXT, review).frame()["sector"]) == {"消委会"}
    review.reports[0].agency = "宁波银行鄞州支行"  # a corrected agency brings its own sector
    assert set(sr.review_result("总结.txt", TEXT, review).frame()["sector"]) == {"银行"}
    assert [(r.metric, r.value, TEXT[r.start : r.end]) for r in review.rows] == [
        ("materials", 2000, "2000余份"),
        ("consultations", 300, "300人次"),
        ("complaints_received", 12, "12起"),
        ("complaints_resolved", 11, "11起"),
        ("tests", 15, "15台"),
    ]


def test_import_stores_the_confirmed_numbers_and_replay_gives_them_back(store):
    review, _ = reviewed(TEXT)
    review.rows[4].accepted = False  # the reviewer leaves the scales out
    review.rows[1].value = 320  # and corrects a number
    review.rows.append(sr.ReviewRow(0, "volunteers", 25))  # and adds one the extractor missed
    data = TEXT.encode("utf-8")
    result = sr.review_result("总结.txt", TEXT, review)
    outcome = store.import_result(result, data, settings=review.to_json())
    assert outcome.status == "imported" and outcome.records == 5
    assert stored_sums(store) == {
        "materials": 2000,
        "consultations": 320,
        "complaints_received": 12,
        "complaints_resolved": 11,
        "volunteers": 25,
    }
    replayed = store.replay(outcome.submission_id)
    assert replayed.totals() == result.totals()
    sources = [r.source for r in replayed.records]
    assert sources[0] == "总结.txt/正文·第43–48字" and sources[-1] == "总结.txt/正文·补录"
    assert [r.raw for r in replayed.records][:2] == ["2000余份", "300人次"]
    assert store.original(outcome.submission_id) == ("总结.txt", data)
    # The same text and review again is recognised; a changed review is a new reading of the same file.
    assert store.import_result(result, data, settings=review.to_json()).status == "duplicate"
    review.rows[0].value = 2100
    again = store.import_result(sr.review_result("总结.txt", TEXT, review), data, settings=review.to_json())
    assert again.status == "imported" and again.replaced == [outcome.submission_id]
    assert stored_sums(store)["materials"] == 2100


def test_each_report_of_a_document_is_its_own_agency(store):
    review, reports = reviewed(MULTI, "两篇.md")
    assert [r.agency for r in review.reports] == ["温州市鹿城区市场监督管理局", "丽水市消费者协会"]
    assert [r.year for r in review.reports] == [2024, 2024]
    result = sr.review_result("两篇.md", MULTI, review)
    frame = result.frame()
    by_agency = frame.groupby("agency")["metric"].apply(list).to_dict()
    assert by_agency == {
        "温州市鹿城区市场监督管理局": ["inspections", "cases", "fines"],
        "丽水市消费者协会": ["complaints_received", "recovered_loss", "materials"],
    }
    assert set(frame.loc[frame["agency"] == "丽水市消费者协会", "city"]) == {"丽水市"}
    assert frame["value"].tolist() == [320, 9, 65000, 86, 214000, 12000]
    assert store.import_result(result, MULTI.encode(), settings=review.to_json()).records == 6


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: setattr(r.reports[0], "agency", None), "缺少填报单位"),
        (lambda r: setattr(r.reports[0], "year", None), "缺少年度"),
        (lambda r: setattr(r.reports[0], "year", 25), "年度 25 不合理"),
        (lambda r: setattr(r.reports[0], "region", "火星市"), "找不到地区“火星市”"),
        (lambda r: setattr(r.rows[0], "metric", "recovered_loss"), "第 1 行:原文“2000余份”的单位“份”不是"),
        (lambda r: setattr(r.rows[1], "value", -3), "第 2 行:数值“-3”无效"),
        (lambda r: setattr(r.rows[1], "value", math.nan), "第 2 行:数值“nan”无效"),
        (lambda r: setattr(r.rows[2], "metric", "no_such_metric"), "第 3 行:没有“no_such_metric”这个指标"),
        (lambda r: [setattr(row, "accepted", False) for row in r.rows], "没有要导入的数字"),
        (
            lambda r: r.rows.append(sr.ReviewRow(0, "materials", 2000, r.rows[0].start, r.rows[0].end, raw="2000余份")),
            "第 6 行:与上面一行是原文中的同一个数字",
        ),
        (lambda r: setattr(r.rows[0], "raw", "3000余份"), "第 1 行:原文此处已不是“3000余份”"),
        (lambda r: r.rows.append(sr.ReviewRow(0, "materials", 5, 0, 3)), "第 6 行:原文“宁波市”不是一个数字"),
        (lambda r: setattr(r.rows[1], "metric", "destroyed_qty"), "第 2 行:“销毁物品数量”要按件、条、千克等计量"),
    ],
)
def test_a_review_that_cannot_be_imported_says_why_and_writes_nothing(store, change, message):
    review, _ = reviewed(TEXT)
    change(review)
    with pytest.raises(sr.ReviewError, match=message):
        sr.review_result("总结.txt", TEXT, review)
    assert store.version() == 0 or store.submissions() == []


def test_unreadable_and_empty_files_are_refused_in_chinese():
    with pytest.raises(sr.ReviewError, match="无法读取"):
        sr.read_summary(b"PK\x03\x04 broken", "坏.docx")
    with pytest.raises(sr.ReviewError, match="只能读取"):
        sr.read_summary(b"%PDF", "总结.pdf")
    with pytest.raises(sr.ReviewError, match="没有文字"):
        sr.read_summary(b" \n", "空.txt")


def test_traditional_script_offsets_point_into_the_text_as_uploaded(store):
    text = "杭州市消費者權益保護委員會2025年報告:發放宣傳資料1,500份,受理申訴42件。"
    review, _ = reviewed(text)
    assert [text[r.start : r.end] for r in review.rows] == ["1,500份", "42件"]
    assert review.reports[0].agency == "杭州市消費者權益保護委員會" and review.reports[0].region == "浙江省 杭州市"
    result = sr.review_result("繁體.txt", text, review)
    assert [r.raw for r in result.records] == ["1,500份", "42件"]
