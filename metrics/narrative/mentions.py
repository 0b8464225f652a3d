"""The metric mentions of a sentence: each number a catalog word names in its clause, with a unit the metric takes.

A word names the metric nearest before the number (or right after it: 发放3000余份宣传材料); the items of a
counted list carry the list's metric; people, events and materials are recognised by their unit and verb
when no word names them. ``vetoes`` decides whether a number so named counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from metrics.core.catalog import Catalog, MetricDef
from metrics.core.numbers import parse_number
from metrics.core.record import Record
from metrics.core.text import to_simplified
from metrics.narrative.period import other_year
from metrics.narrative.segmentation import BULLET, CN_NUM, HAS_NUMBER, clauses
from metrics.narrative.vetoes import COMPARED, PEOPLE, TOTAL_WORDS, glued, own_work, plausible, qualifier
from metrics.narrative.vocabulary import listed, rule

# Units a destroyed quantity may be counted in (the catalog keeps that metric's unit as written).
QUANTITY_UNITS = listed("quantity_units")
_NUMBER = rule(
    "(?P<pre>{number_prefixes})?"
    rf"(?P<num>\d+(?:[.,]\d+)*|[{CN_NUM}]+)"
    r"(?P<tail>(?:余|多)?(?:万|亿)?(?:余|多)?)"
)
_NAMES_SOMETHING_ELSE = listed("names_something_else")  # 警示标语 are slogans; 活动期间 a time, not events
_VERB = rule("{handling_verbs}")  # 换镜片11个 is no test
_SITE_BEFORE = rule("{site_before}(?:共|达)?$")  # 设立宣传咨询服务点91个 are sites
_WATCHED = rule(
    r"{watched}[\u4e00-\u9fff]{0,4}?(?:人数|人次)?(?:共|达|超过|逾|近|约)?"
    r"[0-9.,一二三四五六七八九十百千万两余多]+(?:人次|人)$"
)
_TAKE_PART = rule(".{0,2}{take_part}")
_STAFF = rule("{staff}")
_SERVED = rule("{served}")  # 接待1,256.8万人次游客: visitors served, not people reached
_RECEIVED_PUBLIC = rule(
    r"接待{received_public}[\u4e00-\u9fff]{0,6}?"
    r"(?:共|达|约|近|逾|超过)?[0-9.,一二三四五六七八九十百千万两余多]+(?:人次|人)$"
)
_RECEIVER = rule("{receiver}")  # 向12名消费者发放赔偿金: people paid, not reached
_PART = rule("{part_of}")
_HELD = rule("{held}")
_SENT = rule("{sent}")
_HANDED_OUT = rule("{handed_out}")
_DELTA_BEFORE = rule("{delta_before}了?(?:共|达|近|约)?$")
_COMPARED_WITH = rule("[比较]{compared_with}")
_VALUE_BEFORE = rule("{value_before}(?:金额)?(?:共计|合计|约|达|近|逾|超过|共)?$")
_GOODS_DESTROYED = listed("goods_destroyed")
_GOODS_ACT = rule("{goods_destroyed}|{goods_in_cases}")
_GOODS_AFTER = rule("的?[\u4e00-\u9fff]{0,4}?{goods_after}")
# What may stand between a verb and its object (办结消费者投诉举报): who the object belongs to, what kind it is.
_ATTRIBUTIVE = rule("{attributive}*")
_OBJECT_NOUN = rule("(?:消费者?)?{object_nouns}")
_PEOPLE_METRICS = ("staff", "volunteers", "participants")
_GAP = re.compile(r"[“「『\"《][^”」』\"》]{0,16}[”」』\"》]")  # a quoted name between a number and its word


@dataclass(slots=True)
class Mention:
    """One number the text states for a metric: the record and where it is written."""

    record: Record
    evidence: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {**self.record.to_dict(), "evidence": self.evidence, "start": self.start, "end": self.end}


@lru_cache(maxsize=4)
def synonym_pattern(catalog: Catalog) -> tuple[re.Pattern[str], dict[str, tuple[MetricDef, ...]]]:
    """One pattern for every synonym, longest first; a word may name several metrics (销毁: value and quantity)."""
    words: dict[str, tuple[MetricDef, ...]] = {}
    for metric in catalog.metrics.values():
        for word in (*metric.synonyms, metric.zh):
            word = to_simplified(word)
            if len(word) >= 2 and metric not in words.get(word, ()):
                words[word] = (*words.get(word, ()), metric)
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))), words


@lru_cache(maxsize=4)
def unit_pattern(catalog: Catalog) -> re.Pattern[str]:
    units = {u for m in catalog.metrics.values() for u in (*m.units, m.unit) if u} | set(QUANTITY_UNITS)
    units.discard("万元")
    return re.compile("|".join(sorted(map(re.escape, units), key=len, reverse=True)))


def _accepts(metric: MetricDef, unit: str) -> bool:
    if metric.kind == "quantity":
        return unit in QUANTITY_UNITS
    if metric.is_money:
        return unit == "元"
    return metric.accepts_unit(unit)


def sentence_mentions(
    text: str,
    norm: str,
    sentence: tuple[int, int],
    catalog: Catalog,
    year: int | None = None,
    heading: list[MetricDef] | None = None,
    stated: set[str] | frozenset[str] = frozenset(),
) -> tuple[list[Mention], list[MetricDef]]:
    """The mentions of one sentence, and the metrics it names (a heading passes them to its list items);
    ``stated``: the metrics the report gave before it (what a sentence opening with 其中, breaks down)."""
    synonyms, words = synonym_pattern(catalog)
    units = unit_pattern(catalog)
    whole = norm[sentence[0] : sentence[1]]
    out: list[Mention] = []
    named_here: list[MetricDef] = []
    # What the clause before named or counted: 检测血压计46台、眼镜32副; a heading's metrics for its list item.
    carried: list[MetricDef] = list(heading or ()) if BULLET.match(whole) else []
    parts_of: set[str] = set()  # after 其中: the metrics whose sub-items follow (其中投诉3915件、举报947件)
    for c_start, c_end in clauses(norm, *sentence):
        clause = norm[c_start:c_end]
        part = _PART.search(clause)
        names = [
            (m.start(), m.end(), named)
            for m in synonyms.finditer(clause)
            if not clause.startswith(_NAMES_SOMETHING_ELSE, m.end()) and (named := _named_by(clause, m, words))
        ]
        if part is not None and not part.group(0).startswith(("含", "包括")):  # 其中: its siblings follow
            parts_of |= {m.record.metric for m in out[-1:]} | {m.id for _, _, named in names for m in named}
            if not out and not clause[part.end() :].strip():  # 其中,/上述活动中, opening a sentence: the totals before
                parts_of |= set(stated)
        heir = carried
        if names:
            carried = [metric for word in names_words(clause, synonyms, words) for metric in word]
            named_here += carried
        else:  # an item of a counted list passes the list's metric on (换镜片11个,电子秤15台); other text ends it
            counted = re.search(r"\d", clause) or (units.search(clause) and HAS_NUMBER.search(clause))
            carried = list(heir) if counted else []
        for number in _NUMBER.finditer(clause):
            if part is not None and number.start() > part.start():
                continue
            unit = units.match(clause, _after_space(clause, number.end()))
            if unit is None or not plausible(clause, number, unit.end(), names, words):
                continue
            metric = _metric_for(clause, names, number.start(), unit.end(), unit.group(0))
            if (
                unit.group(0) in ("人", "人次", "名")
                and _SENT.search(clause, 0, number.start())
                and not (
                    metric is not None and metric.id == "volunteers" and any(e == number.start() for _, e, _ in names)
                )
            ):
                metric = catalog.metrics.get("staff") or metric  # 选派业务骨干38人次: sent out, whatever follows;
                # 选派学生志愿者120名: the people sent are named volunteers
            if metric is None and not names and len(clause) <= 14 and not _VERB.search(clause, 0, number.start()):
                metric = next((m for m in reversed(heir) if _accepts(m, unit.group(0))), None)
            if metric is None and not parts_of:  # after 其中 only a metric named anew counts (不是 1,600余名学生参加)
                metric = _by_unit(catalog, clause, unit.group(0)) or _people(
                    catalog,
                    clause,
                    unit.group(0),
                    unit.end() + len(qualifier(clause, unit.end())),
                    at_events=any(m.record.metric == "events" for m in out),
                )
            if metric is not None and metric.id != "inspections" and _SITE_BEFORE.search(clause, 0, number.start()):
                continue  # 设立宣传咨询服务点91个 are sites; 检查网点37个 are inspections
            if "据此" in norm[sentence[0] : c_start + number.start()]:
                continue  # 市市场监管局据此立案查处…: another body acting on the hotline's data
            if (
                c_start > sentence[0]
                and norm[c_start - 1] in "(\uff08"
                and COMPARED.search(norm, max(sentence[0], c_start - 14), c_start)
            ):
                continue  # 较去年同期(120件): last year's figure in brackets
            if _DELTA_BEFORE.search(clause, 0, number.start()) and _COMPARED_WITH.search(
                norm, sentence[0], c_start + number.start()
            ):
                continue  # 比去年同期(120件)多23件: the difference, not a count
            if unit.group(0) == "元" and _VALUE_BEFORE.search(clause, 0, number.start()):
                metric = _goods_valued(catalog, norm[sentence[0] : c_start + number.start()]) or metric
            if (
                metric is None
                or metric.id in parts_of
                or not own_work(metric, clause, whole, number)
                or other_year(norm[sentence[0] : c_start + number.start()], year)
                or glued(norm, c_start + number.start(), sentence[0])
            ):
                continue
            first = number.start() if number.group("pre") not in TOTAL_WORDS else number.start("num")
            last = unit.end() + len(qualifier(clause, unit.end()))
            parsed = parse_number(clause[first:last])  # 共计2356.3条 → 2356.3条; 近7万元 stays
            if (
                parsed.kind != "number"
                or parsed.value is None
                or parsed.value < 0
                or (parsed.value == 0 and not number.group("num").isdigit())
                or (metric.kind == "count" and not float(parsed.value).is_integer())
            ):
                continue  # 立案查处:0 件 is a real zero; 12.5件 is no count
            a, b = c_start + first, c_start + last
            record = Record(
                metric=metric.id,
                value=parsed.value,
                unit=parsed.unit or unit.group(0),
                approx=parsed.approx,
                raw=text[a:b],
            )
            if metric.kind != "quantity":
                record.unit = metric.unit
            out.append(Mention(record, text[c_start:c_end].strip(), a, b))
            carried.append(metric)
    if "\t" in whole and len(out) > 1:
        return [], named_here  # a table row of several values (years or units side by side): which one is meant?
    return out, named_here


def _named_by(clause: str, word: re.Match[str], words: dict) -> tuple[MetricDef, ...]:
    """The metrics a synonym names, with those of its shorter forms (销毁假冒伪劣: the value too); 罚没 followed
    by goods (罚没物品, 罚没的假冒商品) names the goods, not the money."""
    text = word.group(0)
    named = tuple(dict.fromkeys(m for k in range(len(text), 1, -1) if text[:k] in words for m in words[text[:k]]))
    if _GOODS_AFTER.match(clause, word.end()):
        named = tuple(m for m in named if m.id != "fines")
    return named


def _goods_valued(catalog: Catalog, before: str) -> MetricDef | None:
    """货值/标值/价值 X元: the value of the goods the sentence speaks of, destroyed (销毁) or in cases (涉案)."""
    found = [m.group(0) for m in _GOODS_ACT.finditer(before)]
    if not found:
        return None
    return catalog.metrics.get("destroyed_value" if found[-1] in _GOODS_DESTROYED else "case_value")


def _after_space(clause: str, at: int) -> int:
    """接待咨询 560 人次: one space between a number and its unit is still its unit."""
    return at + 1 if clause[at : at + 1] in (" ", "\u3000") else at


def names_words(clause: str, synonyms: re.Pattern[str], words: dict) -> list[tuple[MetricDef, ...]]:
    """The metrics a clause names, with those of each word's shorter forms (销毁物品 → 销毁: value too)."""
    out: list[tuple[MetricDef, ...]] = []
    for m in synonyms.finditer(clause):
        word = m.group(0)
        out.extend(words[word[:k]] for k in range(len(word), 1, -1) if word[:k] in words)
    return out


def _metric_for(
    clause: str, names: list[tuple[int, int, tuple[MetricDef, ...]]], start: int, end: int, unit: str
) -> MetricDef | None:
    """The metric named nearest before the number (or right after it: 发放3000余份宣传材料) that takes its unit.

    A verb governs the object noun written right after it: 办结(消费者)投诉举报4517件 are complaints resolved."""
    taking = [
        (s, e, next(m for m in named if _accepts(m, unit)))
        for s, e, named in names
        if any(_accepts(m, unit) for m in named)
    ]
    before = [(s, e, m) for s, e, m in taking if e <= start]
    if before:
        s, e, metric = before[-1]
        if len(before) > 1:  # 办结(消费者)投诉举报: a verb governs the object noun after it (one step only)
            _, e2, m2 = before[-2]
            if (
                s >= e2
                and _ATTRIBUTIVE.fullmatch(clause, e2, s)
                and _OBJECT_NOUN.fullmatch(clause, s, e)
                and m2.id not in _PEOPLE_METRICS
            ):
                metric = m2  # not 投诉举报办结 (the verb is nearest), not 工作人员即场解答 (people are no verb)
        return metric
    # 80余名“3·15”消费维权志愿者: words in quotes do not count towards the distance
    after = [(len(_GAP.sub("", clause[end:s])), m) for s, e, m in taking if s >= end]
    after = [(d, m) for d, m in after if d <= 8]
    return min(after, key=lambda pair: pair[0])[1] if after else None


def _people(catalog: Catalog, clause: str, unit: str, unit_end: int, at_events: bool = False) -> MetricDef | None:
    """1200多名学生代表签名, 师生1200余人参加: people reached, when no metric word names them; also the public
    received at the events the sentence has just counted (开展开放日活动12场,接待市民及学生约1,400人次)."""
    metric = catalog.metrics.get("participants")
    if metric is None or not metric.accepts_unit(unit) or _STAFF.search(clause) or _RECEIVER.search(clause):
        return None
    if _SERVED.search(clause, 0, unit_end):
        return metric if at_events and _RECEIVED_PUBLIC.search(clause, 0, unit_end) else None
    tail = clause[unit_end : unit_end + 8]
    if tail.startswith(PEOPLE) or _TAKE_PART.match(tail):
        return metric
    return metric if _WATCHED.search(clause, 0, unit_end) and unit in ("人次", "人") else None


def _by_unit(catalog: Catalog, clause: str, unit: str) -> MetricDef | None:
    """A unit that says the metric when no word does: 线上直播2场 held, 编印《指南》近两万份 handed out,
    选派业务骨干38人次 sent out."""
    if unit in ("人", "人次", "名") and _SENT.search(clause):
        return catalog.metrics.get("staff")
    if unit in ("场", "场次", "期") and _HELD.search(clause):
        return catalog.metrics.get("events")
    if unit in ("份", "册") and _HANDED_OUT.search(clause):
        return catalog.metrics.get("materials")
    return None
