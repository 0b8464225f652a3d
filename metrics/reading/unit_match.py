"""Which roster unit a return's agency means, as written: exact, short/long forms, then place + the rest.

A wrong unit is worse than none: several candidates give 'ambiguous' with all of them, never a pick.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from metrics.reading.regions import Gazetteer, MatchStatus, Region, default_gazetteer, normalize_name
from metrics.reading.roster import RosterUnit

# Long forms → the short form people also write; applied to both sides before comparing.
_LONG_TO_SHORT: tuple[tuple[str, str], ...] = (
    ("市场监督管理局", "市场监管局"),
    ("市场监督管理所", "市场监管所"),
    ("市场监督管理", "市场监管"),
    ("市监局", "市场监管局"),
    ("消费者权益保护委员会", "消保委"),
    ("消费者委员会", "消委会"),
    ("消费者协会", "消协"),
    ("工商行政管理局", "工商局"),
    ("质量技术监督局", "质监局"),
    ("食品药品监督管理局", "食药监局"),
    ("出入境检验检疫局", "检验检疫局"),
    ("烟草专卖局", "烟草局"),
    ("人民政府", "政府"),
    ("街道办事处", "街道"),
    ("中心支公司", "中支"),
)
_BRACKETED = re.compile(r"[(\[【][^)\]】]*[)\]】]")


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """'ok' with the unit, 'ambiguous' with every candidate (the user picks), or 'unknown'."""

    status: MatchStatus
    unit: RosterUnit | None = None
    candidates: tuple[RosterUnit, ...] = ()
    how: str | None = None  # 'exact' | 'short-form' | 'region'

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def short_form(name: str) -> str:
    """A unit name compared the way people mean it: simplified, no spaces or (盖章), long words shortened."""
    text = normalize_name(unicodedata.normalize("NFKC", name))
    text = _BRACKETED.sub("", text)
    for long, short in _LONG_TO_SHORT:
        text = text.replace(long, short)
    return text


def match_unit(
    units: Sequence[RosterUnit], agency: str, *, region: str | Region | None = None, gazetteer: Gazetteer | None = None
) -> UnitMatch:
    """The roster unit a return's agency (as written) means: exact, then short/long forms, then place + body.

    ``region`` (a name, an adcode or a Region, e.g. from the return's 地区 column) narrows the candidates.
    Several left → 'ambiguous' with all of them; the code never picks one.
    """
    gaz = gazetteer or default_gazetteer()
    place = _as_region(region, gaz)
    pool = [u for u in units if _within(u, place, gaz)] if place else list(units)
    exact_key = normalize_name(unicodedata.normalize("NFKC", agency))
    for how, found in (
        ("exact", [u for u in pool if normalize_name(u.name) == exact_key]),
        ("short-form", [u for u in pool if short_form(u.name) == short_form(agency)]),
        ("region", _by_place_and_body(pool, agency, place, gaz)),
    ):
        if len(found) == 1:
            return UnitMatch("ok", found[0], tuple(found), how)
        if len(found) > 1:
            return UnitMatch("ambiguous", None, tuple(found), how)
    return UnitMatch("unknown")


def _as_region(region: str | Region | None, gaz: Gazetteer) -> Region | None:
    if region is None or isinstance(region, Region):
        return region
    text = region.strip()
    if not text:
        return None
    if text.isdigit():
        return gaz.by_adcode(text)
    match = gaz.resolve(text)
    if not match.ok:
        raise ValueError(f"地区“{region}”无法确定(找不到或有重名),请写所属城市或行政区划代码")
    return match.region


def _within(unit: RosterUnit, place: Region, gaz: Gazetteer) -> bool:
    """A unit with no region stays a candidate: the place cannot rule it out."""
    own = gaz.by_adcode(unit.adcode) if unit.adcode else None
    return own is None or own == place or place.contains(own)


def _split_place(name: str, gaz: Gazetteer, anchor: Region | None) -> tuple[frozenset[Region], str]:
    """'宁波市鄞州区消保委' → ({鄞州区}, '消保委'): the place(s) a name starts with and the rest in short form.

    A name shared by several places ('鼓楼区…') gives all of them: the roster may settle it, or it stays ambiguous.
    """
    match = gaz.find_in_text(name, context=[anchor] if anchor else [])
    text = short_form(name)
    if match.status == "unknown" or not match.matched:
        return frozenset(), text
    places = frozenset([match.region] if match.region is not None else match.candidates)  # set when ok
    span = short_form(match.matched)
    at = text.find(span)
    if at < 0:
        return places, text
    rest = text[at + len(span) :]
    if span.endswith("市") and rest.startswith("场"):  # '杭州市场监管局': the 市 belongs to 市场
        rest = "市" + rest
    return places, rest


def _by_place_and_body(
    pool: Sequence[RosterUnit], agency: str, place: Region | None, gaz: Gazetteer
) -> list[RosterUnit]:
    places, body = _split_place(agency, gaz, place)
    if place is not None:
        places = frozenset(p for p in places if p == place or place.contains(p)) or frozenset([place])
    if not body or not places:
        return []
    found = []
    for unit in pool:
        own = gaz.by_adcode(unit.adcode) if unit.adcode else None
        unit_places, unit_body = _split_place(unit.name, gaz, own)
        where = frozenset([own]) if own else unit_places
        if unit_body == body and where & places:
            found.append(unit)
    return found
