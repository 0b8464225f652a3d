"""Perturbation tests: every hand-annotated gold sentence, reworded by rule, gives the same (metric, value) pairs.

The gold sets (tests/fixtures/narrative/*_gold.json, and the seed's when ../shared/seed is beside the
checkout) quote, for each mention, the words of the text that state it (``evidence``). A sentence is used
when the extractor, given it alone, already gives exactly its gold pairs (a sentence whose reading
depends on the text around it — a heading, a 其中 before it — cannot be judged alone). Each such sentence is
then reworded by the rules below, deterministically; every rewording must give the gold pairs again.

Rules (each applied on its own):
  synonym    a word swapped for another of its ``[[interchangeable]]`` group in catalog.toml
  approx     余 ↔ 多 ↔ X份以上, 100万余份 ↔ 100余万份; 约 put before a number written plain
  order      verb + object + number (发放宣传资料3000份) ↔ verb + number + object (发放3000份宣传资料),
             object + verb + number (宣传资料发放3000份); 共 added before the number, or removed
  wan        12000 ↔ 1.2万, 1200 ↔ 1,200
  fullwidth  ASCII digits written full-width (１２００)
  trad       the sentence in traditional script (OpenCC s2t)
  combined   each word-order variant with the first 万, approximation and synonym variant, in traditional
             script with full-width digits
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import opencc
import pytest

from metrics.core.catalog import CATALOG_PATH, default_catalog
from metrics.core.numbers import parse_number
from metrics.narrative import extract
from metrics.narrative.mentions import unit_pattern

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "narrative"
SEED = ROOT.parent / "shared" / "seed" / "000_ee4710341e3169fb.txt"
SETS = ("seed", "own", "heldout", "blind3", "blind4", "blind5")
RULES = ("synonym", "approx", "order", "wan", "fullwidth", "trad", "numerals", "units", "context", "combined")

_S2T = opencc.OpenCC("s2t")
_VERBS = (
    "发放",
    "派发",
    "散发",
    "分发",
    "编印",
    "印发",
    "接受",
    "解答",
    "接待",
    "受理",
    "办结",
    "检查",
    "查处",
    "查办",
    "出动",
    "开展",
    "举办",
    "组织",
    "销毁",
    "检测",
    "检定",
    "快检",
    "抽检",
    "招募",
    "发布",
    "挽回",
    "调解",
    "立案",
)


def pairs(text: str) -> Counter:
    return Counter((m.record.metric, round(m.record.value, 2)) for r in extract(text) for m in r.mentions)


def gold_sentences(name: str) -> list[tuple[str, Counter]]:
    """(evidence, its gold pairs) of one gold set, in file order; [] for the seed when it is not here."""
    if name == "seed" and not SEED.exists():
        return []
    gold = json.loads((GOLD / f"{name}_gold.json").read_text(encoding="utf-8"))
    by_evidence: dict[tuple[str, str], Counter] = {}
    for report in gold["reports"]:
        for mention in report["mentions"]:
            key = (report.get("file", report.get("id", "")), mention["evidence"])
            by_evidence.setdefault(key, Counter())[(mention["metric"], round(float(mention["value"]), 2))] += 1
    return [(evidence, want) for (_, evidence), want in by_evidence.items()]


def left_out_sentences(name: str) -> list[str]:
    """The set's ``ambiguous`` clauses — numbers its annotator decided are no mention (a 其中 sub-item, last
    year's figure, sites, a plan…) — that share no words with a mention's evidence."""
    if name == "seed" and not SEED.exists():
        return []
    gold = json.loads((GOLD / f"{name}_gold.json").read_text(encoding="utf-8"))
    evidence = [m["evidence"] for r in gold["reports"] for m in r["mentions"]]
    return list(
        dict.fromkeys(
            a["evidence"]
            for a in gold.get("ambiguous", [])
            if not any(a["evidence"] in e or e in a["evidence"] for e in evidence)
        )
    )


def _all_values(text: str) -> set[float]:
    found = (parse_number(m.group("num") + (m.group("mul") or "") + m.group("unit")) for m in _number().finditer(text))
    return {round(p.value, 2) for p in found if p.value is not None}


@lru_cache(maxsize=1)
def _groups() -> list[list[str]]:
    data = tomllib.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return [group["words"] for group in data.get("interchangeable", [])]


@lru_cache(maxsize=1)
def _number() -> re.Pattern[str]:
    units = unit_pattern(default_catalog()).pattern + "|元"
    return re.compile(
        rf"(?P<pre>约|近|共计|共|累计|达|逾)?(?<![\d.,])(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)"
        rf"(?P<q1>余|多)?(?P<mul>万|亿)?(?P<q2>余|多)?(?P<unit>{units})(?P<q3>以上)?"
    )


def _numbers(text: str, values: set[float]) -> list[re.Match[str]]:
    """The numbers of ``text`` that state one of the gold values (a year or a date is left alone)."""
    out = []
    for m in _number().finditer(text):
        parsed = parse_number(m.group("num") + (m.group("mul") or "") + m.group("unit"))
        if parsed.value is not None and round(parsed.value, 2) in values:
            out.append(m)
    return out


def _swap(text: str, m: re.Match[str], new: str) -> str:
    return text[: m.start()] + new + text[m.end() :]


def synonym(text: str, values: set[float]) -> list[str]:
    out = []
    for group in _groups():
        found = re.search("|".join(map(re.escape, sorted(group, key=len, reverse=True))), text)
        if found:
            out += [text[: found.start()] + word + text[found.end() :] for word in group if word != found.group(0)]
    return out


def approx(text: str, values: set[float]) -> list[str]:
    out = []
    for m in _numbers(text, values):
        pre, num, mul, unit = m.group("pre") or "", m.group("num"), m.group("mul") or "", m.group("unit")
        q = m.group("q1") or m.group("q2")
        where = "q1" if m.group("q1") else "q2"
        if q:
            other = "多" if q == "余" else "余"
            out.append(
                _swap(
                    text,
                    m,
                    pre + num + (other if where == "q1" else "") + mul + (other if where == "q2" else "") + unit,
                )
            )
            if mul:  # 100万余份 ↔ 100余万份
                out.append(
                    _swap(text, m, pre + num + (q if where == "q2" else "") + mul + (q if where == "q1" else "") + unit)
                )
            out.append(_swap(text, m, pre + num + mul + unit + "以上"))
        elif m.group("q3"):
            out.append(_swap(text, m, pre + num + mul + "余" + unit))
        elif not pre:
            out.append(_swap(text, m, "约" + num + mul + unit))
    return out


_OBJECT = r"(?![数量率])(?![^较比]*[较比])[\u4e00-\u9fff“”《》]{2,12}"  # a thing, not 立案数较去年同期增加


def order(text: str, values: set[float]) -> list[str]:
    out = []
    verbs = "|".join(_VERBS)
    for m in _numbers(text, values):
        token = m.group(0)[len(m.group("pre") or "") :]
        head, tail = text[: m.start()], text[m.end() :]
        before = re.search(rf"^.*({verbs})({_OBJECT})$", head)  # the verb nearest the number
        if before and not re.match(r"[\u4e00-\u9fff]", tail):
            out.append(
                head[: before.start(2)] + token + before.group(2) + tail
            )  # 发放宣传资料3000份 → 发放3000份宣传资料
        after = re.match(rf"{_OBJECT}$", tail)
        if after and re.search(rf"({verbs})$", head):
            out.append(head + tail + token)  # 发放3000份宣传资料 → 发放宣传资料3000份
        if before and not re.match(r"[\u4e00-\u9fff]", tail) and len(before.group(2)) <= 8:
            start = before.start(1)  # 发放宣传资料3000份 → 宣传资料发放3000份 (the object first)
            out.append(head[:start] + before.group(2) + before.group(1) + (m.group("pre") or "") + token + tail)
        if m.group("pre") in ("共", "共计"):
            out.append(head + token + tail)
        elif not m.group("pre") and not head.endswith(("近", "约", "逾", "达", "超过")):
            out.append(head + "共" + token + tail)
    return out


def wan(text: str, values: set[float]) -> list[str]:
    out = []
    for m in _numbers(text, values):
        pre, num, mul, unit = m.group("pre") or "", m.group("num"), m.group("mul") or "", m.group("unit")
        q1, q2, q3 = m.group("q1") or "", m.group("q2") or "", m.group("q3") or ""
        value = float(num.replace(",", ""))
        digits = round(value * 10000)
        if mul == "万" and not q1 and abs(value * 10000 - digits) < 1e-6:
            out.append(_swap(text, m, f"{pre}{digits}{q2}{unit}{q3}"))
            out.append(_swap(text, m, f"{pre}{digits:,}{q2}{unit}{q3}"))
        elif not mul and value >= 10000 and value % 100 == 0:
            out.append(_swap(text, m, f"{pre}{value / 10000:g}万{q1}{unit}{q3}"))
        if not mul and "," in num:
            out.append(_swap(text, m, f"{pre}{num.replace(',', '')}{q1}{unit}{q3}"))
        elif not mul and "." not in num and value >= 1000:
            out.append(_swap(text, m, f"{pre}{int(value):,}{q1}{unit}{q3}"))
    return out


def fullwidth(text: str, values: set[float]) -> list[str]:
    wide = text.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    return [wide] if wide != text else []


def trad(text: str, values: set[float]) -> list[str]:
    converted = _S2T.convert(text)
    return [converted] if converted != text else []


_DIGITS = "零一二三四五六七八九"


def to_chinese(value: int) -> str | None:
    """12 → 十二, 45 → 四十五, 3000 → 三千, 20000 → 两万; None for numbers people rarely write in words."""
    if 0 < value < 10:
        return _DIGITS[value]
    if 10 <= value < 100:
        tens, ones = divmod(value, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    for size, word in ((10000, "万"), (1000, "千"), (100, "百")):
        if value % size == 0 and value // size < 10:
            return ("两" if value // size == 2 else _DIGITS[value // size]) + word
    return None


def numerals(text: str, values: set[float]) -> list[str]:
    """A whole number written in Chinese numerals (十二场, 三千余份)."""
    out = []
    for m in _numbers(text, values):
        value = float(m.group("num").replace(",", "")) * (10000 if m.group("mul") == "万" else 1)
        words = to_chinese(int(value)) if value.is_integer() and m.group("mul") != "亿" else None
        if words:
            q = m.group("q1") or m.group("q2") or ""
            out.append(_swap(text, m, (m.group("pre") or "") + words + q + m.group("unit") + (m.group("q3") or "")))
    return out


_SAME_UNITS = (("件", "起", "宗"), ("人次", "人"))


def units(text: str, values: set[float]) -> list[str]:
    """A count word swapped for another the sentence's metrics all accept: 件 ↔ 起 ↔ 宗 for complaints and
    cases, 人次 ↔ 人 for staff (not 检测182件 → 182起: tests are not counted in 起)."""
    catalog = default_catalog()
    metrics = [catalog.metrics[metric] for metric, _ in pairs(text)]
    out = []
    for m in _numbers(text, values):
        group = next((g for g in _SAME_UNITS if m.group("unit") in g), ())
        out += [
            text[: m.start("unit")] + other + text[m.end("unit") :]
            for other in group
            if other != m.group("unit")
            and metrics
            and all(d.kind != "quantity" and d.accepts_unit(other) for d in metrics)
        ]
    return out


def context(text: str, values: set[float]) -> list[str]:
    """The sentence inside a longer one: a time phrase before it, a result after it."""
    return ["活动期间," + text, text + ",取得了良好的社会效果"]


def combined(text: str, values: set[float]) -> list[str]:
    """Several rules at once: each word-order variant, then 万 forms, approximations and a synonym, in
    traditional script with full-width digits."""
    out = []
    for variant in order(text, values):
        for step in (wan, approx, synonym):
            variant = next(iter(step(variant, values)), variant)
        out.append(_S2T.convert(variant).translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}))
    return out


REWORD = {
    "synonym": synonym,
    "approx": approx,
    "order": order,
    "wan": wan,
    "fullwidth": fullwidth,
    "trad": trad,
    "numerals": numerals,
    "units": units,
    "context": context,
    "combined": combined,
}


def perturbations(name: str, rule: str) -> tuple[list[tuple[str, str, Counter]], int]:
    """(original, rewording, gold pairs) for every usable sentence of a set under one rule; and how many
    sentences were left out because alone they do not give their gold pairs."""
    out, skipped = [], 0
    for evidence, want in gold_sentences(name):
        if pairs(evidence) != want:
            skipped += 1
            continue
        values = {value for _, value in want}
        for variant in dict.fromkeys(REWORD[rule](evidence, values)):
            if variant != evidence:
                out.append((evidence, variant, want))
    return out, skipped


def left_out_failures(name: str, rule: str) -> tuple[list[tuple[str, str, dict]], int]:
    """Rewordings of the left-out clauses (those that alone give nothing) that now give something."""
    bad, total = [], 0
    for sentence in left_out_sentences(name):
        if pairs(sentence):
            continue
        for variant in dict.fromkeys(REWORD[rule](sentence, _all_values(sentence))):
            if variant != sentence:
                total += 1
                if got := pairs(variant):
                    bad.append((sentence, variant, dict(got)))
    return bad, total


def failures(name: str, rule: str) -> tuple[list[tuple[str, str, dict, dict]], int]:
    cases, _ = perturbations(name, rule)
    bad = [(orig, variant, dict(want), dict(got)) for orig, variant, want in cases if (got := pairs(variant)) != want]
    return bad, len(cases)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("name", SETS)
def test_rewordings_give_the_same_pairs(name, rule):
    if name == "seed" and not SEED.exists():
        pytest.skip("the seed document (../shared/seed) is not beside this checkout")
    bad, total = failures(name, rule)
    print(f"{name}/{rule}: {total - len(bad)}/{total} pass")
    assert total > 0 or rule in ("wan",)
    assert bad == [], f"{len(bad)}/{total} rewordings differ: {bad[:5]}"


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("name", SETS)
def test_rewordings_of_left_out_numbers_still_give_nothing(name, rule):
    """Precision under rewording: 其中 sub-items, last year's figures, sites, plans stay out however written."""
    if name == "seed" and not SEED.exists():
        pytest.skip("the seed document (../shared/seed) is not beside this checkout")
    bad, total = left_out_failures(name, rule)
    print(f"{name}/{rule} left out: {total - len(bad)}/{total} still nothing")
    assert bad == [], f"{len(bad)}/{total} rewordings give numbers: {bad[:5]}"


def test_the_generator_rewords_as_the_rules_say():
    """The generator itself: each rule on one sentence, so a rule that silently makes nothing fails here."""
    assert synonym("现场发放宣传资料3000余份", {3000}) == [
        "现场派发宣传资料3000余份",
        "现场散发宣传资料3000余份",
        "现场分发宣传资料3000余份",
        "现场发放宣传材料3000余份",
    ]
    assert approx("发放宣传资料3000余份", {3000}) == ["发放宣传资料3000多份", "发放宣传资料3000份以上"]
    assert approx("受理投诉45件", {45}) == ["受理投诉约45件"]
    assert approx("发放资料100万余份", {1_000_000}) == ["发放资料100万多份", "发放资料100余万份", "发放资料100万份以上"]
    assert order("发放宣传资料3000份", {3000}) == ["发放3000份宣传资料", "宣传资料发放3000份", "发放宣传资料共3000份"]
    assert order("发放3000份宣传资料", {3000}) == ["发放宣传资料3000份", "发放共3000份宣传资料"]
    assert wan("发放资料12000份", {12000}) == ["发放资料1.2万份", "发放资料12,000份"]
    assert wan("办结2.24万件", {22400}) == ["办结22400件", "办结22,400件"]
    assert fullwidth("受理投诉45件", {45}) == ["受理投诉４５件"]
    assert trad("发放宣传资料", set()) == ["發放宣傳資料"]


def tally() -> dict[str, tuple[int, int, int, int, int]]:
    """Per gold set, over all rules: rewordings of mentions giving the same pairs, rewordings, gold sentences not
    readable alone; rewordings of left-out clauses still giving nothing, such rewordings. For the benchmark."""
    out = {}
    for name in SETS:
        if not gold_sentences(name):
            continue
        passed = total = quiet = negatives = 0
        for rule in RULES:
            bad, n = failures(name, rule)
            passed, total = passed + n - len(bad), total + n
            bad, n = left_out_failures(name, rule)
            quiet, negatives = quiet + n - len(bad), negatives + n
        out[name] = (passed, total, perturbations(name, RULES[0])[1], quiet, negatives)
    return out
