"""Who wrote a report: the reporting body as the text names it, its place, and another body the text quotes.

A name is taken only when it is well formed (a place or known prefix, then a known agency-type ending);
otherwise the agency is left blank for the reviewer, never guessed.
"""

from __future__ import annotations

import re
from collections import Counter

from metrics.narrative.vocabulary import group, listed, rule, word_list
from metrics.reading.dimensions import infer_sector
from metrics.reading.regions import Gazetteer, Region, default_gazetteer

_AGENCY = rule("{agency_types}")
_AGENCY_NEEDS_PLACE = listed("agency_types_needing_place")  # these only after a place: 平江县教育局
_AGENCY_END = rule("(?:{agency_types}|[镇乡])$")
_NAMED_BODY = rule("{agency_types}$")
# How a report speaks of itself (我公司), and the endings its own name may then have (not 保险行业协会).
_SELF_TYPES = tuple(
    (word, word_list(f"self_names.{kind}").endings)
    for kind in group("self_names")
    for word in listed(f"self_names.{kind}")
)
_SELF_LEVEL = tuple((word, level) for level in group("self_level") for word in listed(f"self_level.{level}"))
_AGENCY_LEAD = rule("^.*{agency_lead}")  # the text before a name up to its last such word is not the name
_REFERRED = rule(r"{referred_to}[^\n]{0,4}$")
_BYLINE = rule(r"{byline}[::]?[^\n]*$")
_OWN_PLAN = rule("{own_plan_titles}")
_RULE_TITLE = rule("{rule_titles}")
_CONTINUED = listed("agency_continued")
_NOT_IN_NAME = rule("{not_in_name}")
_KNOWN_PREFIXES = listed("known_name_prefixes")
_ISSUER_AFTER = listed("issuer_after")
_GENERIC_LEAD = listed("generic_lead")
_GENERIC_INSIDE = listed("generic_inside")
_GENERIC_PREFIX = listed("generic_prefix")
_PLACE_SUFFIXES = listed("place_suffixes")
_QUOTED = rule(r"(?:^|(?<=[,;]))\s*{quote_openers}?据([\u4e00-\u9fff]{2,20}?){quoting_verbs}")
_LEAD = re.compile(r"[\u4e00-\u9fff]{0,24}$")
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff()()·]+")
_TOWN = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,4}[镇乡])(?=[0-9“\"]|人民政府|党委)")


def find_agency(body: str, gazetteer: Gazetteer | None = None) -> str | None:
    """The reporting body as the text names it: the first full name (place or brand + type), joint names kept
    together (九江市工商行政管理局、九江市消费者权益保护委员会); redacted or generic names (__市, 我局, 各级消保委)
    are no name. When the text speaks of itself as 我市/我县, a name at that level wins."""
    gazetteer = gazetteer or default_gazetteer()
    names: list[tuple[int, int, str, int]] = []  # start, end, name, rank
    said: Counter[str] = Counter()
    for word, lvl in _SELF_LEVEL:
        said[lvl] += body.count(word) * (3 if word.startswith("我") else 1)
    level = said.most_common(1)[0][0] if sum(said.values()) else None
    own_types = next((types for word, types in _SELF_TYPES if body.count(word) >= 2), ())
    for match in _AGENCY.finditer(body):
        run = _LEAD.search(body, max(0, match.start() - 24), match.start())  # always matches, maybe empty
        lead = run.group(0) if run else ""
        prefix = _AGENCY_LEAD.sub("", lead)
        place = gazetteer.find_in_text(prefix)
        if match.group(0) in _AGENCY_NEEDS_PLACE and not place.ok:
            anchored = gazetteer.find_in_text(lead)  # 桂林市文化广电和旅游局: 和 belongs to the name
            if anchored.ok and anchored.matched and anchored.matched in lead:
                prefix, place = lead[lead.rfind(anchored.matched) :], anchored
        if _REFERRED.search(body[max(0, match.start() - len(prefix) - 6) : match.start() - len(prefix)]) or (
            body.startswith(_ISSUER_AFTER, match.end()) and "\n" in body[: match.start()].lstrip()
        ):
            continue  # 个案已转介香港海关; 荆州市邮政管理局关于…的通知: another body, not the one reporting
        if (
            len(prefix) < 2
            or body[match.start() - len(prefix) - 1 : match.start() - len(prefix)] == "_"
            or prefix.startswith(_GENERIC_LEAD)
            or prefix in _GENERIC_PREFIX
            or any(w in prefix for w in _GENERIC_INSIDE)
            or body[match.end() : match.end() + 1] in _CONTINUED  # 银行业, 人民政府网
            or _BYLINE.search(body[max(0, match.start() - 30) : match.start()])
        ):
            continue
        opened = body.rfind("《", 0, match.start())
        if opened > body.rfind("》", 0, match.start()):  # inside a document's title: its own plan, not a rule
            title = body[opened : body.find("》", match.end()) if "》" in body[match.end() :] else len(body)]
            if not _OWN_PLAN.search(title) or _RULE_TITLE.search(title):
                continue
        start = match.start() - len(prefix)
        if names and start <= names[-1][0] < match.end():  # 华夏银行 then 华夏银行吉安分行: the longer name
            names.pop()
        if names and names[-1][1] + 1 == start and body[start - 1] in "\u3001 \u3000":  # 甲局、乙局 / 甲局 乙局
            names[-1] = (names[-1][0], match.end(), names[-1][2] + "\u3001" + prefix + match.group(0), names[-1][3])
            continue
        region = place.region if place.ok else None
        if region is None and match.group(0) in _AGENCY_NEEDS_PLACE:
            continue
        rank = 0 if region is not None and (level is None or region.level == level) else 1 if region else 2
        if match.group(0) in _AGENCY_NEEDS_PLACE:
            rank += 2  # a school or an association named in a council's report took part; it did not report
        if "\n" not in body[:start].lstrip():  # named in the title line: the report's own body
            rank = -1
        if own_types and not (prefix + match.group(0)).endswith(own_types):
            continue
        names.append((start, match.end(), prefix + match.group(0), rank))
    for town in _TOWN.finditer(body):
        if "我" + town.group(1)[-1] in body:  # 我镇 … 新马集镇3.15活动领导组
            names.append((town.start(1), town.end(1), town.group(1), 1))
    if not names:
        return None
    chosen = min(names, key=lambda n: (n[3], n[0]))[2]
    # 湖州市消保委 in the title, 湖州市消费者权益保护委员会 in the text: the full name of the same body
    fuller = [
        n[2]
        for n in names
        if len(n[2]) > len(chosen)
        and "\u3001" not in n[2]
        and (n[2][:2] == chosen[:2] or (n[2][-6:] == chosen[-6:] and chosen not in n[2]))
        and infer_sector(n[2]) == infer_sector(chosen)
    ]
    chosen = max(fuller, key=len) if fuller and "\u3001" not in chosen else chosen
    return chosen if well_formed_agency(chosen, gazetteer) else None  # blank, never a wrong name


def well_formed_agency(name: str, gazetteer: Gazetteer | None = None) -> bool:
    """Whether every body of a (joint, 、-separated) name is a well-formed agency name: a place (from the
    gazetteer, anywhere before the type: 中国农业银行绍兴越城支行), a known prefix (中国, 国网, 财团法人…) or a
    short place name of two to four characters (中山海关, 汤溪市场监管所), then optional qualifiers, then a known
    agency-type ending (局, 消委会, 分行…, or 镇/乡 for a town) — and no verb or function word anywhere before the
    ending (下称, 报告, 情况, 关于, 开展…), no digit, no level word standing alone as the place (区市场监管局)."""
    gazetteer = gazetteer or default_gazetteer()
    for part in name.split("\u3001"):
        ending = _AGENCY_END.search(part)
        if ending is None:
            return False
        prefix = part[: ending.start()]
        if (
            len(prefix) < 2
            or _NOT_IN_NAME.search(prefix)
            or not _NAME_CHARS.fullmatch(prefix)
            or prefix.startswith(_GENERIC_LEAD)
            or prefix in _GENERIC_PREFIX
        ):
            return False
        place = gazetteer.find_in_text(part)
        if not (place.ok or prefix.startswith(_KNOWN_PREFIXES) or len(prefix) <= 4):
            return False
    return True


def report_place(agency: str | None, body: str, gazetteer: Gazetteer | None) -> Region | None:
    """The agency's place; else one the opening lines name in full (中牟县, not 镇安 in 镇安全生产办公室)."""
    gazetteer = gazetteer or default_gazetteer()
    if agency:
        match = gazetteer.find_in_text(agency)
        if match.ok and match.region is not None:
            return match.region
    match = gazetteer.find_in_text(body[:300])
    if match.ok and match.region is not None and (match.matched or "").endswith(_PLACE_SUFFIXES):
        return match.region
    return None


def another_body_quoted(sentence: str, agency: str | None) -> int | None:
    """Where a clause opening with 据<a body>通报/统计/公布 starts quoting that body's figures; None when there is
    none or the body is of the report's own sector (据区市场监管局统计 in a bureau's report). 据统计 names no body."""
    for quoted in _QUOTED.finditer(sentence):
        body = quoted.group(1)
        if (
            _NAMED_BODY.search(body)
            and not body.startswith(("我", "本"))
            and (agency is None or infer_sector(body) != infer_sector(agency))
        ):
            return quoted.start()
    return None
