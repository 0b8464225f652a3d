"""The metric catalog: complete, valid, and mapping the headers people really write."""

import re
from pathlib import Path

import pytest

from metrics.core.catalog import CatalogError, default_catalog, load_catalog
from metrics.core.text import to_simplified

DOMAIN_IDS = [
    "events",
    "materials",
    "consultations",
    "participants",
    "staff",
    "complaints_received",
    "complaints_resolved",
    "recovered_loss",
    "inspections",
    "cases",
    "case_value",
    "fines",
    "destroyed_value",
    "destroyed_qty",
    "tests",
    "media_reports",
    "warnings",
    "volunteers",
]
CATALOG = default_catalog()


def test_catalog_holds_exactly_the_v1_ids_in_order():
    assert list(CATALOG.ids) == DOMAIN_IDS


@pytest.mark.parametrize("metric_id", DOMAIN_IDS)
def test_every_metric_is_named_in_both_languages_with_synonyms(metric_id):
    metric = CATALOG[metric_id]
    assert re.search(r"[\u4e00-\u9fff]", metric.zh)
    assert metric.en and metric.en.isascii()
    assert metric.synonyms and metric.traditional
    # every traditional synonym converts back to a listed simplified one
    assert [t for t in metric.traditional if to_simplified(t) not in metric.synonyms] == []


def test_money_is_in_yuan_and_only_destroyed_qty_keeps_its_unit():
    money = {m.id for m in CATALOG.metrics.values() if m.kind == "money"}
    assert money == {"recovered_loss", "case_value", "fines", "destroyed_value"}
    assert all(CATALOG[m].unit == "元" for m in money)
    assert [m.id for m in CATALOG.metrics.values() if m.kind == "quantity"] == ["destroyed_qty"]


@pytest.mark.parametrize(
    "label,parent,metric,unit,multiplier",
    [
        ("发放宣传资料(份)", "", "materials", "份", 1),
        ("发放\n宣传资料\n（万份）", "", "materials", "份", 10000),
        ("發放宣傳資料(萬份)", "", "materials", "份", 10000),
        ("接受咨询（人 次）", "", "consultations", "人次", 1),
        ("咨询活动(场)", "", "events", "场", 1),
        ("受理投诉(件)", "", "complaints_received", "件", 1),
        ("投诉办结(件)", "", "complaints_resolved", "件", 1),
        ("受理(起)", "投诉", "complaints_received", "起", 1),
        ("办结(起)", "投诉", "complaints_resolved", "起", 1),
        ("挽回经济损失(万元)", "", "recovered_loss", "元", 10000),
        ("涉案货值(亿元)", "", "case_value", "元", 100000000),
        ("罚没款(元)", "", "fines", "元", 1),
        ("销毁物品货值(万元)", "", "destroyed_value", "元", 10000),
        ("销毁卷烟(条)", "", "destroyed_qty", "条", 1),
        ("烟丝(千克)", "集中销毁", "destroyed_qty", "千克", 1),
        ("检查经营主体(户次)", "", "inspections", "户次", 1),
        ("出动执法人员(人次)", "", "staff", "人次", 1),
        ("免费检测(台)", "", "tests", "台", 1),
        ("媒体报道(篇)", "", "media_reports", "篇", 1),
        ("发布消费警示(条)", "", "warnings", "条", 1),
        ("志愿者(名)", "", "volunteers", "名", 1),
        ("参与人数", "", "participants", None, 1),
        ("查处违法案件(件)", "", "cases", "件", 1),
    ],
)
def test_headers_map_to_metrics(label, parent, metric, unit, multiplier):
    match = CATALOG.match_label(label, parent)
    assert match.metric is not None and match.metric.id == metric
    assert match.unit == unit
    assert match.multiplier == multiplier


@pytest.mark.parametrize("label", ["办结率(%)", "满意度评分", "同比增长", "排名"])
def test_ratios_and_scores_are_not_metrics(label):
    match = CATALOG.match_label(label)
    assert match.metric is None and match.ratio


def test_a_unit_of_the_wrong_kind_does_not_map():
    # 销毁(万元) is money, so it can only be destroyed_value, never a quantity
    assert CATALOG.match_label("销毁(万元)").metric.id == "destroyed_value"
    assert CATALOG.match_label("维修(件)").metric is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text,needle",
    [
        ("version = 1\n", "为空"),
        ('[[metric]]\nid = "a"\nzh = "甲"\nen = "A"\nunit = "件"\nkind = "count"\n', "synonyms"),
        ('[[metric]]\nid = "Bad-Id"\nzh = "甲"\nen = "A"\nunit = "件"\nkind = "count"\nsynonyms = ["甲"]\n', "小写"),
        ('[[metric]]\nid = "a"\nzh = "甲"\nen = "A"\nunit = "件"\nkind = "weird"\nsynonyms = ["甲"]\n', "kind"),
        ('[[metric]]\nid = "a"\nzh = "甲"\nen = "A"\nunit = "件"\nkind = "count"\nsynonyms = ["甲"]\n' * 2, "重复"),
        ("[[metric\n", "无法读取"),
    ],
)
def test_malformed_catalogs_are_refused_with_a_reason(tmp_path, text, needle):
    with pytest.raises(CatalogError, match=needle):
        load_catalog(write(tmp_path, text))


def test_a_user_can_extend_synonyms(tmp_path):
    text = Path(CATALOG_PATH := __import__("metrics.core.catalog", fromlist=["x"]).CATALOG_PATH).read_text("utf-8")
    text = text.replace('synonyms = ["志愿者", ', 'synonyms = ["青年突击队", "志愿者", ')
    extended = load_catalog(write(tmp_path, text))
    assert extended.match_label("青年突击队(人)").metric.id == "volunteers"
    assert CATALOG.match_label("青年突击队(人)").metric is None
    assert CATALOG_PATH.exists()
