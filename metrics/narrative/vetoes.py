"""Whether a number a metric word names counts as the body's own work this campaign.

Correctness over recall: ordinals, sessions, redacted figures, hotlines, counts of kinds or of other things,
plans, comparisons, other years, sub-items of a breakdown and figures of another body give nothing.
"""

from __future__ import annotations

import re

from metrics.core.catalog import MetricDef
from metrics.narrative.vocabulary import group, listed, rule

_NOT_THE_OBJECT = listed("not_the_object")  # 12个单位, 3家企业: a measure word counting other things
TOTAL_WORDS = listed("total_words")
_PLANNED = rule("{planned}")
COMPARED = rule("{compared}")
_FOREIGN = rule("{foreign_currency}")
_NOT_DONE = listed("not_done")
PEOPLE = listed("people")
_KIND_COUNTERS = listed("kind_counters")  # what kinds are counted in; 条, 千克 count goods
_AFTER_UNIT = rule("{after_unit}")
_BODY_AFTER = rule("[\u4e00-\u9fff]{0,4}?{body_after}")  # 6个隶属海关 counts bodies; not 场所 or 网点, inspected
_KINDS_BEFORE = rule("{kinds_before}(?:共|达|约)?$")  # 涉及卷烟品牌40余个
_VIEWS_BEFORE = rule("{views_before}(?:量|数|次数)?(?:超过|达到|达|逾|共|近|约)?$")
_NOT_OWN = {metric: rule(f"{{not_own.{metric}}}") for metric in group("not_own")}
_KIND_UNITS = {metric: listed(f"kind_units.{metric}") for metric in group("kind_units")}  # 七项活动: programme lines
_YEARS_LONG = rule("{years_long}")
_MANY_YEARS = rule("{many_years}")
_BREAKDOWN = rule("{breakdown}")  # 从商品和服务类别看,商品类投诉2274件: a share of the total
_SEVERE_CASES = rule("{severe_cases}{case_kinds}?案")


def plausible(clause: str, number: re.Match[str], unit_end: int, names: list, words: dict) -> bool:
    """Not an ordinal, a session, a redacted or partly redacted figure, a hotline, or a count of other things."""
    before = clause[max(0, number.start() - 1) : number.start()]
    if (
        number.group("num") in ("一", "每")
        or before in ("第", "_", "x", "X", "届", "年", "/", ".", "-", "每")
        or clause.startswith("届", unit_end)
    ):  # 一个、一场讲座: an article, not a count
        return False
    if number.group("pre") is None and before.isdigit():
        return False
    if clause[unit_end : unit_end + 1] in ("种", "类", "届") or clause.startswith("期间", unit_end):
        return False
    if before == "等" and clause.startswith("项", unit_end - 1):
        return False  # 甲醛等12项: the kinds of a list
    if _PLANNED.search(clause, 0, number.start()):
        return False  # 将举办三项活动: not yet done
    if clause.startswith("元", unit_end - 1) and _FOREIGN.search(clause, 0, number.start()):
        return False  # 新臺幣1,236萬元: not renminbi
    if COMPARED.search(clause, 0, number.start()) or clause.startswith(_NOT_DONE, unit_end):
        return False  # 同比增加50件, 去年同期98件, 人均500元, 每场200人次; 2件正在处理中
    if (
        number.group("pre") not in TOTAL_WORDS
        and clause[unit_end - 1 : unit_end] in _KIND_COUNTERS
        and _KINDS_BEFORE.search(clause, 0, number.start())
    ) or _VIEWS_BEFORE.search(clause, 0, number.start()):
        return False  # 品牌40余个 counts kinds (规格2356.3条 does not); 阅读量1.1万次 counts readers of a post
    unit_end += len(qualifier(clause, unit_end))  # 1200名以上学生: what follows the qualifier
    if any(s == unit_end for s, _, _ in names) or clause.startswith(PEOPLE, unit_end):
        return True  # 50名志愿者, 2000余名市民: the metric's own word or people follow
    thing = next((word for word in _NOT_THE_OBJECT if clause.startswith(word, unit_end)), None)
    if (
        thing is None
        and clause[unit_end - 1 : unit_end] in ("个", "家")
        and _BODY_AFTER.match(clause, unit_end)
        and not any(e <= number.start() and any(m.id == "inspections" for m in named) for _, e, named in names)
    ):
        return False  # 所属6个隶属海关, 3家县级分局: a count of bodies (检查6家银行网点: the bodies inspected)
    return thing is None or _verb_object(clause, number.start(), thing, names, words)


def qualifier(clause: str, unit_end: int) -> str:
    """以上 / 左右 written after the unit (1200名以上, 3万份左右): part of the number."""
    found = _AFTER_UNIT.match(clause, unit_end)
    return found.group(0) if found else ""


def _verb_object(clause: str, start: int, thing: str, names: list, words: dict) -> bool:
    """检查41家次企业: the word before the number and the thing after it make one catalog phrase (检查企业)."""
    before = [(s, e) for s, e, _ in names if e <= start]
    return bool(before) and clause[before[-1][0] : before[-1][1]] + thing in words


def glued(norm: str, at: int, sentence_start: int) -> bool:
    """1,20份 / 1e20份 / 3~5件 / 3至5场: the number is the tail of something else, not a count."""
    before = norm[max(sentence_start, at - 2) : at]
    return bool(before) and (
        before[-1].isdigit()
        or before[-1] in "eE~～至到-—−"
        or before[-1].isascii()
        and before[-1].isalpha()
        or (before[-1] == "," and before[:1].isdigit())
    )


def own_work(metric: MetricDef, clause: str, sentence: str, number: re.Match[str]) -> bool:
    """Whether the number is the body's own work this campaign, not exposed cases, kinds, or a multi-year total."""
    if unit_is_kind(metric, clause, number):
        return False
    veto = _NOT_OWN.get(metric.id)
    if veto is not None and veto.search(clause):
        return False
    if "累计" in clause and _YEARS_LONG.search(sentence):
        return False  # 连续三年…累计已发放30000多册
    if _MANY_YEARS.search(clause, 0, number.start()):
        return False  # 近三年来全市查获的1427起涉烟案件
    if _BREAKDOWN.search(sentence, 0, sentence.find(clause) + number.start() if clause in sentence else len(sentence)):
        return False  # 从类别看 / 依次是预付式消费(2814件): a breakdown of a total
    # 查办重特大案件4件, 大要案5件: a kind of case, a part of the cases total (stated or not), never its own record
    severe = _SEVERE_CASES.search(clause, max(0, number.start() - 12), number.start()) or _SEVERE_CASES.search(
        clause, number.end(), number.end() + 8
    )
    return not (metric.id == "cases" and severe)  # the word before the number or right after it: 查办5件大要案件


def unit_is_kind(metric: MetricDef, clause: str, number: re.Match[str]) -> bool:
    """七项活动 are programme lines, not events held."""
    unit_end = number.end()
    return any(clause.startswith(unit, unit_end) for unit in _KIND_UNITS.get(metric.id, ()))
