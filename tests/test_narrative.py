"""Numbers out of written summaries: the seed's traps, offsets, file types, and precision/recall on gold sets."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.narrative import extract, extract_file, split_reports

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "000_ee4710341e3169fb.txt"
GOLD = ROOT / "tests" / "fixtures" / "narrative"
NEED_SEED = pytest.mark.skipif(
    not SEED.exists(), reason="the seed document (../shared/seed) is not beside this checkout"
)


def pairs(text: str) -> list[tuple[str, float]]:
    return [(m.record.metric, m.record.value) for r in extract(text) for m in r.mentions]


@pytest.mark.parametrize(
    "text",
    [
        "整个宣传活动走进企业__家,发放宣传资料近__份、接受群众咨询__余次。",  # redacted
        "积极落实《老年人权益保障法》第三十八条防骗维权宣传教育。",  # an article number
        "召开常务委员会、五届五次全委会、相关部门协调会。",  # a session
        "加大12365产品质量举报投诉热线宣传。",  # a hotline
        "销毁物品涉及9大类30余种,集中销毁。",  # kinds
        "在活动现场设置两台笔记本电脑和流动宣传执法车。",  # equipment
        "组织十二个科室参加活动。",  # not a metric
        "20__年3月15日,在广场开展活动。",  # a redacted year and a date
    ],
)
def test_traps_give_no_record(text):
    assert pairs(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "全区共设立宣传咨询服务点45个。",  # sites, not events
        "围绕这一主题,我区将举办五项活动。",  # a plan, and programme lines
        "连续五年在全县小学发放《维权手册》,累计已发放手册20000多册。",  # a multi-year total
        "通过电视台揭露和批评侵害消费者权益案件36起。",  # cases the press exposed
        "在各集贸市场张贴警示标语40条。",  # slogans, not warnings
        "努力打造一个放心的消费环境,让每一位消费者满意。",  # an article
        "工作人员现场为群众更换表带8个。",  # a service that is no metric
        "向12名消费者发放赔偿金3.2万元。",  # people paid, not people reached
        "在人民广场举行主会场活动,市领导3人出席。",  # leaders attending
        "悬挂宣传横幅60余条,滚动播放宣传标语120条。",  # banners and slogans
        "发放环保购物袋500个。",  # promotional goods are not materials
        "通过微信公众号推送消费提示,阅读量达10万余次。",  # readers of a post
        "受理投诉较去年的250件增加50件(去年同期98件),同比增加50件。",  # comparisons and last year
        "人均挽回500元,单笔最高1.2万元,平均每件500元。",  # per head, the largest, averages
        "每场参与群众200人次,每人发放资料2份。",  # per event, per person
        "另有2件正在处理中。责令整改12户,发现问题12家,涉及15名消费者。",  # pending, ordered to fix, found, involved
        "发放资料1,20份,挽回经济损失1,2345元,发放1e20份,受理3~5件,3至5场活动。",  # malformed numbers, ranges
        "受理投诉同比增长15.2个百分点,受理投诉12.5件。",  # percentage points; a fractional count
        "受理投诉\t98件\t120件",  # a Word table row of two years side by side
        "协助消费者取回款项约新台币1,236万元。",  # not renminbi
        "市市场监管局据此立案查处违法案件23件,罚没款86.4万元。",  # another body acting on our data
        "从投诉对象看,涉及旅行社98件、住宿业63件、景区52件、其他73件。",  # a breakdown of a total
        "投诉集中在预付卡退费(21起)、家电安装(13起)。",  # the same
        "受理量较去年同期(120件)增加23件。",  # last year's figure in brackets
        "全市118个邮政营业网点统一张贴活动海报。",  # sites
    ],
)
def test_things_that_are_not_the_bodys_own_counted_work(text):
    assert pairs(text) == []


def test_after_qizhong_only_a_metric_named_anew_counts():
    text = "共开展外拓宣传活动126场,其中在7所学校开展进校园活动,1,600余名学生参加,接受咨询300人次。"
    assert pairs(text) == [("events", 126), ("consultations", 300)]


def test_a_subset_of_a_total_before_is_not_added():
    text = "一季度全市共查处违法案件96件,罚没款42.6万元,查办大要案件4件。"
    assert pairs(text) == [("cases", 96), ("fines", 426000)]


def test_lists_carry_their_metric_through_items():
    text = "现场免费检测血压计30台、眼镜18副、修理雨伞9把,电子秤21台,公开销毁假冒卷烟1200条,烟丝80千克,总价值约6万元。"
    assert pairs(text) == [
        ("tests", 30),
        ("tests", 18),
        ("tests", 21),
        ("destroyed_qty", 1200),
        ("destroyed_qty", 80),
        ("destroyed_value", 60000),
    ]
    quiet = "举办了系列宣传活动,在县电视台开通维权热线,先后接受记者采访6次。"
    assert pairs(quiet) == []


def test_files_that_are_not_summaries_are_refused_in_chinese():
    utf16 = "丽水市消费者协会受理投诉86件。".encode("utf-16")
    assert [(r["metric"], r["value"]) for r in extract_file(utf16, "记事本.txt")["records"]] == [
        ("complaints_received", 86)
    ]
    binary = extract_file(bytes(range(256)) * 4, "图片.txt")
    assert not binary["ok"] and "不是文本文件" in binary["error"]
    long = extract_file(("受理投诉86件。" * 40_000).encode(), "长.txt")
    assert not long["ok"] and "总结过长" in long["error"]
    assert extract("某县消费者协会成立于1985年。今年受理投诉12起。")[0].year is None


def test_region_from_the_agency_or_a_full_place_name_only():
    assert extract("我镇组织镇安全生产办公室、派出所联合检查,受理投诉3起。")[0].region is None
    assert extract("中牟县质监局“3·15”活动:受理投诉3起。")[0].region == "河南省 郑州市 中牟县"
    assert extract("今年在中牟县城区开展宣传,受理投诉3起。")[0].region == "河南省 郑州市 中牟县"


def test_sent_staff_quoted_names_and_more_words():
    text = (
        "选派业务骨干38人次参加全市“3·15”现场咨询活动,80余名“3·15”消费维权志愿者参加服务,"
        "本会招募的127名「精明消费大使」义工全日协助。发放风险提示卡4,200张,办结消费投诉举报2.24万件,"
        "检查网点37个。"
    )
    assert pairs(text) == [
        ("staff", 38),
        ("volunteers", 80),
        ("volunteers", 127),
        ("materials", 4200),
        ("complaints_resolved", 22400),
        ("inspections", 37),
    ]


def test_a_minguo_year_in_a_taiwan_report():
    assert extract("財團法人中華民國消費者文教基金會:113年1月至3月受理消費申訴2,846件。")[0].year == 2024
    assert extract("某县消协:113年前后无关。受理投诉3件。")[0].year is None


def test_the_title_year_wins_over_comparisons():
    text = (
        "绍兴市消费者权益保护委员会2025年“3·15”活动总结\n受理投诉312件,较2024年同期增长8%,2024年全年受理"
        "1180件,2024年以来累计办结2260件。"
    )
    (report,) = extract(text)
    assert report.year == 2025 and [(m.record.metric, m.record.value) for m in report.mentions] == [
        ("complaints_received", 312)
    ]


def test_common_report_phrasings():
    text = (
        "共出动执法人员1260人次,检查各类市场主体2860户次。发放宣传单、宣传册等资料5.6万份、环保购物袋500个。"
        "现场受理消费者投诉45件,当场调解32件。活动共吸引2000余名市民参与。"
        "- 接待咨询 560 人次\n监督抽检食品86批次,合格率98.8%。累计销毁假冒伪劣商品1.2吨,货值8.6万元。"
    )
    assert pairs(text) == [
        ("staff", 1260),
        ("inspections", 2860),
        ("materials", 56000),
        ("complaints_received", 45),
        ("complaints_resolved", 32),
        ("participants", 2000),
        ("consultations", 560),
        ("tests", 86),
        ("destroyed_qty", 1.2),
        ("destroyed_value", 86000),
    ]


def test_people_reached_without_a_metric_word():
    text = "举行签名活动.800多名学生在横幅上签名,两校师生900余人参加,30余名工作人员参加。"
    assert pairs(text) == [("participants", 800), ("participants", 900), ("staff", 30)]
    assert pairs("招募志愿者60名,120名志愿者参与服务。") == [("volunteers", 60), ("volunteers", 120)]


def test_sub_items_are_not_added_twice():
    text = "据统计,全市发放宣传资料12.5万份,其中市本级1.34万份,现场接受咨询549人次,受理投诉115起。"
    assert pairs(text) == [("materials", 125000), ("consultations", 549), ("complaints_received", 115)]


def test_approximations_multipliers_and_numerals():
    reports = extract("活动期间共散发宣传材料3万余份,集中销毁1530床价值近7万元的“黑心棉”,接待咨询一百二十人次。")
    found = {(m.record.metric, m.record.value, m.record.approx) for m in reports[0].mentions}
    assert found == {
        ("materials", 30000, "at_least"),
        ("destroyed_value", 70000, "nearly"),
        ("destroyed_qty", 1530, None),
        ("consultations", 120, None),
    }


def test_traditional_script_and_full_width_digits_keep_offsets():
    text = "本會共發放宣傳資料1,200份,舉辦講座１２場,受理投訴35件。"
    mentions = extract(text)[0].mentions
    assert [(m.record.metric, m.record.value) for m in mentions] == [
        ("materials", 1200),
        ("events", 12),
        ("complaints_received", 35),
    ]
    assert [text[m.start : m.end] for m in mentions] == ["1,200份", "１２場", "35件"]
    assert all(m.record.raw == text[m.start : m.end] and m.evidence in text for m in mentions)


@NEED_SEED
def test_the_seed_splits_into_its_fifteen_reports():
    text = SEED.read_text(encoding="utf-8")
    reports = split_reports(text)
    assert len(reports) == 15 and reports[0][0].endswith("(篇1)") and reports[-1][0].endswith("(篇15)")
    assert "84726" in text[reports[-1][1] : reports[-1][2]]  # noise stays inside the last report, unread
    assert not any(m.record.value == 84726 for r in extract(text) for m in r.mentions)


def test_docx_and_refusals():
    from docx import Document

    document = Document()
    document.add_paragraph("2024年,宁波市鄞州区消费者权益保护委员会开展“3·15”宣传活动。")
    document.add_paragraph("活动当天发放宣传资料2000余份,接受咨询300人次。")
    buffer = io.BytesIO()
    document.save(buffer)
    result = extract_file(buffer.getvalue(), "鄞州区总结.docx")
    assert result["ok"] and [(r["metric"], r["value"]) for r in result["records"]] == [
        ("materials", 2000),
        ("consultations", 300),
    ]
    record = result["records"][0]
    assert record["year"] == 2024 and record["agency"] == "宁波市鄞州区消费者权益保护委员会"
    assert record["district"] == "鄞州区" and record["evidence"] and record["end"] > record["start"]
    table = Document()
    table.add_paragraph("丽水市消费者协会2024年“3·15”活动总结")
    grid = table.add_table(rows=3, cols=2)
    for r, (label, value) in enumerate([("项目", "数量"), ("发放宣传资料", "3000份"), ("受理投诉", "86件")]):
        grid.cell(r, 0).text, grid.cell(r, 1).text = label, value
    table.add_paragraph("活动取得良好效果。")
    buffer = io.BytesIO()
    table.save(buffer)
    result = extract_file(buffer.getvalue(), "附表.docx")  # a table inside the Word file is read in its place
    assert [(r["metric"], r["value"], r["year"]) for r in result["records"]] == [
        ("materials", 3000, 2024),
        ("complaints_received", 86, 2024),
    ]
    refused = extract_file(b"%PDF-1.4", "总结.pdf")
    assert not refused["ok"] and "不支持" in refused["error"]
    broken = extract_file(b"PK\x03\x04 not a real docx", "坏.docx")
    assert not broken["ok"] and "无法读取" in broken["error"]


def test_cli_extract_json_shape_and_exit_codes(tmp_path, capsys):
    good = tmp_path / "总结.txt"
    good.write_text("某县消费者协会2023年共受理投诉88件,办结85件,为消费者挽回经济损失12.3万元。", encoding="utf-8")
    assert main(["extract", "--json", str(good)]) == 0
    payload = json.loads(capsys.readouterr().out)
    records = payload[0]["records"]
    assert [(r["metric"], r["value"]) for r in records] == [
        ("complaints_received", 88),
        ("complaints_resolved", 85),
        ("recovered_loss", 123000),
    ]
    assert {"evidence", "start", "end", "source", "raw"} <= set(records[0])
    assert set(payload[0]) >= {"file", "ok", "error", "records", "issues", "stats", "layouts", "reports"}
    assert payload[0]["stats"]["records"] == 3 and payload[0]["reports"][0]["agency"] == "某县消费者协会"
    assert main(["extract", str(good), str(tmp_path / "没有.txt")]) == 1
    assert "无法打开文件" in capsys.readouterr().out


def test_cli_extract_reads_pasted_text_from_stdin(monkeypatch, capsys):
    text = "丽水市消费者协会2024年共受理投诉86件,发放宣传资料1.2万份。"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
    assert main(["extract", "--json", "-"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert [(r["metric"], r["value"], r["year"]) for r in result["records"]] == [
        ("complaints_received", 86, 2024),
        ("materials", 12000, 2024),
    ]


# ---- precision and recall on hand-annotated gold sets ---------------------------------------------


def _score(found: Counter, gold: Counter) -> tuple[float, float]:
    hits = sum((found & gold).values())
    precision = hits / max(1, sum(found.values()))
    recall = hits / max(1, sum(gold.values()))
    return precision, recall


def _gold_pairs(reports: list[dict], key=lambda r: "") -> Counter:
    return Counter((key(r), m["metric"], round(float(m["value"]), 2)) for r in reports for m in r["mentions"])


def _found_pairs(text: str, key_of) -> Counter:
    return Counter((key_of(r), m.record.metric, round(m.record.value, 2)) for r in extract(text) for m in r.mentions)


@NEED_SEED
def test_precision_and_recall_on_the_seed():
    gold = json.loads((GOLD / "seed_gold.json").read_text(encoding="utf-8"))
    text = SEED.read_text(encoding="utf-8")
    found = _found_pairs(text, lambda r: "篇" + r.title.rsplit("篇", 1)[-1].rstrip(")"))
    precision, recall = _score(found, _gold_pairs(gold["reports"], lambda r: r["id"]))
    print(f"seed: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    agencies = [r.agency for r in extract(text)]
    assert agencies == [r["agency"] for r in gold["reports"]]


def _own_pairs(gold_file: str, folder: str) -> tuple[Counter, Counter, list[tuple]]:
    """Found and gold (file, report, metric, value), and (file, report, agency found, agency gold, year, gold year)."""
    from metrics.narrative import read_text

    gold = json.loads((GOLD / gold_file).read_text(encoding="utf-8"))
    found, expected, fields = Counter(), Counter(), []
    for name in sorted({r["file"] for r in gold["reports"]}):
        text = read_text((GOLD / folder / name).read_bytes(), name)
        reports = extract(text, file=name)
        wanted = [r for r in gold["reports"] if r["file"] == name]
        assert len(reports) == len(wanted), name
        for k, (report, want) in enumerate(zip(reports, wanted)):
            assert all(m["evidence"] in text for m in want["mentions"]), name  # the gold quotes the text
            found.update((name, k, m.record.metric, round(m.record.value, 2)) for m in report.mentions)
            expected.update((name, k, m["metric"], round(float(m["value"]), 2)) for m in want["mentions"])
            fields.append((name, k, report.agency, want["agency"], report.year, want["year"]))
            assert all(m.evidence in text and text[m.start : m.end] == m.record.raw for m in report.mentions)
    return found, expected, fields


@pytest.mark.parametrize(
    "gold_file, folder",
    [
        ("own_gold.json", "own"),
        ("heldout_gold.json", "heldout"),
        ("blind3_gold.json", "blind3"),
        ("blind4_gold.json", "blind4"),
        ("blind5_gold.json", "blind5"),
    ],
)
def test_precision_and_recall_on_our_own_summaries(gold_file, folder):
    """Two sets of ten summaries in other styles (own: bank, tobacco, enforcement, traditional script, insurer,
    county council, Chinese numerals, three reports in one .md, traps, mixed units; heldout: 12315, telecom,
    power supply, education, news release, label:value lists, joint enforcement, township, provincial totals,
    Macao traditional script; blind3: twelve in the register of published summaries — provincial prose,
    complaint statistics by category, bank week, insurance association, tobacco destruction, 12315 data
    release, county news, school, quick tests, six sub-units, Taiwan; blind4: county enforcement week, city
    council, city bank, insurer, post, mall, town office, customs, tourism, 12345 hotline, streets one after
    another, Hong Kong; blind5: district bureau, city association, provincial bank, insurer, tobacco,
    customs open day, subdistrict office, vocational college, county council, power supply, judicial office,
    Taichung), each written and annotated by a reviewer
    who had not read the extractor."""
    found, gold, fields = _own_pairs(gold_file, folder)
    precision, recall = _score(found, gold)
    print(f"{folder}: precision {precision:.3f}, recall {recall:.3f} over {sum(gold.values())} mentions")
    assert sum(gold.values()) >= 100
    # An agency found is the right one; one not found is left for the reviewer to type (never a wrong guess).
    assert [f for f in fields if f[2] is not None and f[3] is not None and f[2] != f[3]] == []
    assert sum(f[2] == f[3] for f in fields) >= 0.75 * len(fields)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, found - gold, gold - found)
    assert [f for f in fields if f[4] != f[5]] == []


# ---- issue 11 item 11: rewordings that gave wrong numbers, and agencies that were wrong, not blank -------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("办结消费者投诉举报2.24万件。", [("complaints_resolved", 22400)]),  # attributive words between verb and object
        ("工作人员即场解答1,480人次市民咨询。", [("consultations", 1480)]),  # people doing it do not govern
        ("投诉举报办结4,517件。", [("complaints_resolved", 4517)]),  # the object first: the verb after it governs
        ("本会共消费申诉案件受理2,846件。", [("complaints_received", 2846)]),
        ("受理量比去年同期(120件)多23件。", []),  # last year's figure and the difference
        ("受理投诉比去年少12件,办结率98%。", []),
        ("全市共查处违法案件96件,查办重特大案件4件。", [("cases", 96)]),  # a kind of case, part of the total
        ("查处涉烟重大案件3起。", []),  # never its own record, total stated or not
        ("发放宣传资料100万余份。", [("materials", 1_000_000)]),
        ("销毁假冒伪劣商品货值12万元。", [("destroyed_value", 120_000)]),
        ("销毁罚没的假冒商品,货值12万元。", [("destroyed_value", 120_000)]),  # 罚没 goods are no fine
        ("集中销毁一批假冒商品,涉及货值12万元。", [("destroyed_value", 120_000)]),
        ("集中销毁假冒商品,标值约20万元,罚没款3万元。", [("destroyed_value", 200_000), ("fines", 30_000)]),
        ("检查41家次企业,检查37个网点。", [("inspections", 41), ("inspections", 37)]),  # the verb's own object after
        ("1200名以上学生代表在横幅上签名。", [("participants", 1200)]),  # 以上 after the unit
        ("累计在线观看13,000人次。", [("participants", 13000)]),
        ("公开销毁卷烟21个品种规格2356.3条。", [("destroyed_qty", 2356.3)]),  # 条 counts goods, not kinds
        ("查办5件大要案件。", []),  # the kind of case written after the number
        ("活动期间,先后接受采访10多次。", []),  # 活动期间 is a time, it names no events for what follows
        ("全市共接待1,256.8万人次游客。", []),  # visitors served, not people reached
    ],
)
def test_rewordings_from_the_issue(text, expected):
    assert pairs(text) == expected


def test_a_qualifier_after_the_unit_is_kept():
    (mention,) = extract("现场接待咨询300人次以上。")[0].mentions
    assert (mention.record.value, mention.record.approx, mention.record.raw) == (300, "at_least", "300人次以上")


@pytest.mark.parametrize(
    "name, ok",
    [
        ("下称消委会", False),  # "hereinafter"
        ("情况报告区市场监管局", False),  # a title fragment glued to a name
        ("活动情况报告区市场监管局", False),
        ("关于开展宣传的市场监管局", False),
        ("区市场监管局", False),  # a level word alone is no place
        ("2024年消费者协会", False),
        ("杭州市消费者协会、下称消委会", False),  # every body of a joint name
        ("宁波市鄞州区消费者权益保护委员会", True),
        ("中国农业银行绍兴越城支行", True),  # a brand before the place
        ("国网芜湖供电公司", True),  # a known prefix
        ("中山海关", True),  # a short place name
        ("九江市工商行政管理局、九江市消费者权益保护委员会", True),
        ("新马集镇", True),
        ("宁波市老龄工作委员会", True),
    ],
)
def test_an_agency_name_is_well_formed(name, ok):
    from metrics.narrative import well_formed_agency

    assert well_formed_agency(name) is ok


@pytest.mark.parametrize(
    "text",
    [
        "2024年3·15活动情况报告区市场监管局\n今年受理投诉3件。",
        "关于开展3·15活动的情况报告区市场监管局受理投诉3件。",
    ],
)
def test_an_agency_that_is_not_well_formed_is_left_blank(text):
    (report,) = extract(text)
    assert report.agency is None and [(m.record.metric, m.record.value) for m in report.mentions] == [
        ("complaints_received", 3)
    ]


# ---- blind5: its errors as general rules, each in wording of our own -----------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # a sentence opening with a bare 其中 / 上述…中 breaks down totals the report already gave
        ("全区共受理投诉2,300件。其中,区消保委本级受理投诉410件。", [("complaints_received", 2300)]),
        ("共开展宣传活动500场。上述活动中,进农村120场,进校园95场。", [("events", 500)]),
        ("共开展宣传活动500场。在以上活动中,面向老年人开展专场活动80场。", [("events", 500)]),
        ("共开展宣传活动500场。其中,发放宣传资料2000份。", [("events", 500), ("materials", 2000)]),  # named anew
        # another body's figures quoted in the report
        ("某某市消费者协会2024年活动总结\n另据市市场监管局通报,全市查处违法案件80件,罚没款120万元。", []),
        ("某某市消费者协会2024年活动总结\n据统计,全市共受理投诉300件。", [("complaints_received", 300)]),
        (
            "某某市消费者协会2024年活动总结\n受理投诉300件,另据市市场监管局统计,查处案件9件。",
            [("complaints_received", 300)],
        ),
        # a year that dates a publication (2023年度十大案例) is no other period
        ("2024年活动总结\n我会发布2023年度十大典型案例,并发布消费警示3条。", [("warnings", 3)]),
        ("2024年活动总结\n回顾2023年,全市共受理投诉1.86万件。", []),
        # insurance claims are no cases handled
        ("公司处理理赔案件1,200件,赔付金额300万元。", []),
        ("查处保险理赔欺诈案件5起。", [("cases", 5)]),  # fraud cases about claims are cases
        # a count of bodies: 5个直属海关, 3家下属分局
        ("所属5个直属海关共开展活动20场。", [("events", 20)]),
        ("辖内3家县级分局开展宣传活动18场。", [("events", 18)]),
        ("检查6家银行网点。", [("inspections", 6)]),  # the bodies inspected
        # information items adopted or submitted upward are no media reports
        ("日报等刊发报道9篇,省厅网站采用信息3条。", [("media_reports", 9)]),
        ("向上级报送信息6条。", []),
        ("活动稿件被人民网采用报道5篇。", [("media_reports", 5)]),  # a story a news site ran
        # people received at the events the sentence just counted are people reached; visitors served are not
        ("开展开放日活动8场,接待市民约900人次。", [("events", 8), ("participants", 900)]),
        ("全市共接待1,256.8万人次游客。", []),
        ("开展活动8场,接待游客3000人次。", [("events", 8)]),
        # the people sent are named: 选派志愿者 are volunteers; 选派业务骨干 are staff
        ("选派青年志愿者60名参与宣传。", [("volunteers", 60)]),
        ("选派业务骨干38人次参加现场咨询。", [("staff", 38)]),
        # contest entrants are people reached
        ("参赛学生2,350人次。", [("participants", 2350)]),
        ("参赛学生900人次,评出一等奖10名、二等奖20名。", [("participants", 900)]),  # prize winners are no more people
        # suggestions accepted are no complaints
        ("另受理意见建议40件。", []),
        ("受理投诉及意见建议共40件。", [("complaints_received", 40)]),
        # 稽查 (Taiwan usage) is an inspection of businesses
        ("稽查商家75家次。", [("inspections", 75)]),
        ("稽查賣場等商家75家次。", [("inspections", 75)]),
    ],
)
def test_blind5_rules(text, expected):
    assert pairs(text) == expected
