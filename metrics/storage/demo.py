"""Realistic synthetic 3·15 returns for demos and benchmarks, each with the reading it must give.

Every return is one sub-unit's CSV (UTF-8 with BOM: title, 填报单位 line, one row per activity,
sometimes a 合计 row and a footer) together with the ``FileResult`` the reader would produce for
it, built directly as a ``RecordBatch`` so a million records take seconds, not minutes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from metrics.core.record import Coded, FileResult, RecordBatch, Stats, object_array
from metrics.reading.dimensions import NATIONAL_THEMES, infer_sector
from metrics.reading.regions import Region, default_gazetteer, short_name

DEMO_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)

# Mainland provinces the demo agencies are spread over (20 of them, north to south-west).
DEMO_PROVINCES: tuple[str, ...] = (
    "北京市",
    "天津市",
    "河北省",
    "山西省",
    "内蒙古自治区",
    "辽宁省",
    "上海市",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "重庆市",
    "四川省",
    "贵州省",
)

ACTIVITIES: tuple[str, ...] = ("集中宣传咨询", "进社区", "进校园", "进农村", "执法检查", "集中销毁", "新闻发布会")


@dataclass(frozen=True, slots=True)
class _Column:
    """One metric column of a demo return: its header, the record's metric and unit, a typical value."""

    key: str
    metric: str
    header: str
    unit: str
    median: float  # per activity row of a district-level unit
    sigma: float
    money: bool = False
    reach: float = 1.0  # how the value grows with the unit's size (a city holds more events, not 10× more)


_COLUMNS: tuple[_Column, ...] = (
    _Column("events", "events", "开展活动(场)", "场", 1.6, 0.45, reach=0.4),
    _Column("materials", "materials", "发放宣传资料(份)", "份", 900, 0.6),
    _Column("consultations", "consultations", "接受咨询(人次)", "人次", 85, 0.6),
    _Column("participants", "participants", "参与人数(人次)", "人次", 420, 0.7),
    _Column("staff", "staff", "出动人员(人次)", "人次", 12, 0.5, reach=0.6),
    _Column("received", "complaints_received", "受理投诉(件)", "件", 9, 0.8),
    _Column("resolved", "complaints_resolved", "办结投诉(件)", "件", 0, 0),  # drawn from 受理
    _Column("recovered", "recovered_loss", "挽回经济损失(元)", "元", 36000, 1.1, money=True),
    _Column("inspections", "inspections", "检查经营主体(家次)", "家次", 130, 0.7),
    _Column("cases", "cases", "查处案件(件)", "件", 6, 0.8, reach=0.8),
    _Column("case_value", "case_value", "涉案货值(元)", "元", 160000, 1.0, money=True),
    _Column("fines", "fines", "罚没款(元)", "元", 60000, 1.0, money=True),
    _Column("destroyed_value", "destroyed_value", "销毁物品货值(元)", "元", 52000, 1.0, money=True),
    _Column("cigarettes", "destroyed_qty", "销毁卷烟(条)", "条", 900, 0.8),
    _Column("cut_tobacco", "destroyed_qty", "销毁烟丝(千克)", "千克", 320, 0.8),
    _Column("fake_goods", "destroyed_qty", "销毁假冒伪劣商品(千克)", "千克", 450, 0.8),
    _Column("tests", "tests", "免费检测(件)", "件", 55, 0.7),
    _Column("media", "media_reports", "媒体报道(篇)", "篇", 4, 0.6, reach=0.5),
    _Column("warnings", "warnings", "发布消费警示(条)", "条", 5, 0.6, reach=0.5),
    _Column("volunteers", "volunteers", "志愿者(人)", "人", 14, 0.6, reach=0.6),
)

# Which columns an activity row fills in.
_ACTIVITY_COLUMNS: dict[str, frozenset[str]] = {
    "集中宣传咨询": frozenset(
        {
            "events",
            "materials",
            "consultations",
            "participants",
            "staff",
            "received",
            "resolved",
            "recovered",
            "tests",
            "volunteers",
        }
    ),
    "进社区": frozenset({"events", "materials", "consultations", "participants", "staff", "volunteers"}),
    "进校园": frozenset({"events", "materials", "consultations", "participants", "staff"}),
    "进农村": frozenset({"events", "materials", "consultations", "participants", "staff"}),
    "执法检查": frozenset({"staff", "inspections", "cases", "case_value", "fines"}),
    "集中销毁": frozenset({"staff", "destroyed_value", "cigarettes", "cut_tobacco", "fake_goods"}),
    "新闻发布会": frozenset({"events", "media", "warnings"}),
}
# Per sector: the activities it runs (集中宣传咨询 always first) and the columns its return has.
_OUTREACH = frozenset({"events", "materials", "consultations", "participants", "staff", "received", "resolved"})
_SECTORS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "市场监管": (ACTIVITIES, frozenset(c.key for c in _COLUMNS) - {"cigarettes", "cut_tobacco"}),
    "消委会": (
        ("集中宣传咨询", "进社区", "进校园", "进农村", "新闻发布会"),
        _OUTREACH | {"recovered", "tests", "media", "warnings", "volunteers"},
    ),
    "银行": (("集中宣传咨询", "进社区", "进校园", "进农村"), _OUTREACH),
    "保险": (("集中宣传咨询", "进社区", "进校园", "进农村"), _OUTREACH | {"recovered"}),
    "司法": (("集中宣传咨询", "进社区", "进校园", "进农村"), _OUTREACH - {"received", "resolved"}),
    "烟草": (
        ("集中宣传咨询", "进社区", "执法检查", "集中销毁"),
        _OUTREACH | {"inspections", "cases", "case_value", "fines", "destroyed_value", "cigarettes", "cut_tobacco"},
    ),
}
_LEVEL_SCALE = {"district": 1.0, "city": 2.6, "province": 6.0}
_BANKS = ("中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "中国邮政储蓄银行", "华夏银行")
_INSURERS = ("人保财险", "平安产险", "太平洋财险", "中国人寿")
_COUNCIL_NAME = {
    "浙江省": "消保委",
    "江西省": "消费者权益保护委员会",
    "四川省": "消费者权益保护委员会",
    "广东省": "消费者委员会",
    "福建省": "消费者委员会",
}
_SECTOR_THEME = {"银行": "权利·责任·风险"}
_DATE_STYLES = ("{y}-{m:02d}-{d:02d}", "{m}月{d}日", "{y}年{m}月{d}日", "{y}/{m}/{d}")
_CLERKS = ("综合科", "办公室", "消保科", "法规科", "宣传科")


@dataclass
class DemoReturn:
    """One sub-unit's return for one year: the file's bytes and the reading the reader must give."""

    name: str
    data: bytes
    result: FileResult


@dataclass(frozen=True, slots=True)
class _Agency:
    """A reporting unit as it signs its returns, its sector and where it is."""

    name: str
    sector: str
    region: Region


def capacity(*, seed: int = 315, years: tuple[int, ...] = DEMO_YEARS) -> int:
    """How many records ``generate_returns`` can make for this seed and these years (asked before writing)."""
    rng = np.random.default_rng(seed)
    years = tuple(sorted(set(years)))
    return sum(
        int(np.count_nonzero(~np.isnan(draft.values)))
        for agency in _agencies(rng)
        for _, draft in _agency_years(agency, years, rng)
    )


def generate_returns(rows: int, *, seed: int = 315, years: tuple[int, ...] = DEMO_YEARS) -> Iterator[DemoReturn]:
    """Yield demo returns holding exactly ``rows`` records in all (the last one trimmed); deterministic.

    Units come in a shuffled order, each with all its years; a larger ``rows`` begins with the returns
    of a smaller one. About 1.4 million records exist for five years (fewer for fewer years); asking
    for more raises ``ValueError`` once they are used up.
    """
    if rows < 0:
        raise ValueError(f"rows 不能为负数:{rows}")
    if not years:
        raise ValueError("years 不能为空")
    years = tuple(sorted(set(years)))
    rng = np.random.default_rng(seed)
    left = rows
    for agency in _agencies(rng):
        for year, draft in _agency_years(agency, years, rng):
            if left <= 0:
                return
            values = draft.values
            count = int(np.count_nonzero(~np.isnan(values)))
            if count > left:
                values, count = _trim(values, left), left
            left -= count
            yield _build(agency, year, draft, values)
    if left > 0:
        raise ValueError(f"演示数据最多能生成的记录数不足 {rows} 条;请减少 rows 或增加 years")


# ---- agencies -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _candidates() -> tuple[_Agency, ...]:
    """Every agency the demo may use, in a fixed order (each checked when first drawn)."""
    gazetteer = default_gazetteer()
    wanted = set(DEMO_PROVINCES)
    regions = sorted(
        (r for r in gazetteer.regions if r.province in wanted),
        key=lambda r: (DEMO_PROVINCES.index(r.province), r.adcode),
    )
    out: list[_Agency] = []
    for region in regions:
        out.extend(_Agency(name, sector, region) for sector, name in _names_for(region))
    return tuple(out)


def _names_for(region: Region) -> list[tuple[str, str]]:
    """(sector, agency name) of the units a region has, named the way they sign their returns."""
    council = _COUNCIL_NAME.get(region.province, "消费者协会")
    if region.level == "province":
        return [("市场监管", f"{region.province}市场监督管理局"), ("消委会", f"{region.province}{council}")]
    city = region.city or region.province
    city_short = short_name(city) or city
    if region.level == "city":
        return [
            ("市场监管", f"{city}市场监督管理局"),
            ("消委会", f"{city}{council}"),
            ("烟草", f"{city}烟草专卖局"),
            ("银行", f"华夏银行{city_short}分行"),
            ("保险", f"人保财险{city_short}中心支公司"),
        ]
    district = region.district or ""
    place = district if city == district else f"{city}{district}"
    short = short_name(district) if len(district) <= 3 else None  # 科尔沁左翼中旗 stays whole
    spot = f"{city_short}{short or district}"
    k = int(region.adcode)
    return [
        ("市场监管", f"{place}市场监督管理局"),
        ("消委会", f"{place}{council}"),
        ("烟草", f"{place}烟草专卖局"),
        ("司法", f"{place}司法局"),
        ("银行", f"{_BANKS[k % 5]}{spot}支行"),
        ("银行", f"{_BANKS[(k % 5 + 1 + k // 7 % 4) % 5]}{spot}支行"),
        ("保险", f"{_INSURERS[k % 4]}{spot}支公司"),
    ]


@cache
def _usable(agency: _Agency) -> bool:
    """Whether the reader places the name where it is and gives it its sector (no ambiguous names)."""
    if infer_sector(agency.name) != agency.sector:
        return False
    match = default_gazetteer().find_in_text(agency.name)
    return match.status == "ok" and match.region == agency.region


def _agencies(rng: np.random.Generator) -> Iterator[_Agency]:
    pool = _candidates()
    for k in rng.permutation(len(pool)).tolist():
        if _usable(pool[k]):
            yield pool[k]


# ---- one return's numbers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """What a sector's returns look like, as arrays ready for drawing numbers."""

    activities: tuple[str, ...]
    columns: tuple[_Column, ...]
    medians: np.ndarray
    sigmas: np.ndarray
    money: np.ndarray
    reach: np.ndarray
    mask: np.ndarray  # activities × columns: which cells an activity row fills in
    boost: np.ndarray  # per activity: the 3·15 square event is the big one
    repeatable: np.ndarray  # indices of activities a unit may hold twice (two communities, two schools)
    activity_values: np.ndarray  # the same as object arrays, for the records' codes
    metric_values: np.ndarray
    unit_values: np.ndarray


@cache
def _profile(sector: str) -> _Profile:
    activities, allowed = _SECTORS[sector]
    columns = tuple(c for c in _COLUMNS if c.key in allowed)
    mask = np.array([[c.key in _ACTIVITY_COLUMNS[a] for c in columns] for a in activities])
    return _Profile(
        activities,
        columns,
        np.array([c.median for c in columns]),
        np.array([c.sigma for c in columns]),
        np.array([c.money for c in columns]),
        np.array([c.reach for c in columns]),
        mask,
        np.array([2.2 if a == "集中宣传咨询" else 1.0 for a in activities]),
        np.array([k for k, a in enumerate(activities) if a in ("进社区", "进校园", "进农村")], dtype=int),
        object_array(list(activities)),
        object_array([c.metric for c in columns]),
        object_array([c.unit for c in columns]),
    )


@dataclass(slots=True)
class _Draft:
    """The cells of one return before it is written: activities, days and a value matrix (NaN = blank)."""

    profile: _Profile
    acts: np.ndarray  # index into profile.activities, per row
    days: np.ndarray  # day of March, per row (all different)
    values: np.ndarray  # rows × profile.columns
    date_style: int
    numbered: bool
    total_row: bool
    footer: bool


def _agency_years(agency: _Agency, years: tuple[int, ...], rng: np.random.Generator) -> list[tuple[int, _Draft]]:
    """The returns of one unit over the years: a steady size, a yearly growth, a year or two missing."""
    scale = _LEVEL_SCALE[agency.region.level] * float(rng.lognormal(0.0, 0.45))
    growth = 1.0 + float(rng.normal(0.07, 0.06))
    late, gap, style, numbered, footer, total = rng.random(6).tolist()
    # one unit in eight joins later, one in ten misses a year: the completeness check has work to do
    start = years[0] if late > 0.12 or len(years) < 2 else years[1 + int(late * 100) % (len(years) - 1)]
    skipped = years[int(gap * 1000) % len(years)] if gap < 0.1 and len(years) > 2 else None
    active = [y for y in years if y >= start and y != skipped]
    if not active:
        return []
    sizes = scale * growth ** (np.array(active) - years[0])
    profile = _profile(agency.sector)
    # a unit's habits: which activities it holds most years, which columns run high or low for it
    habits = np.where(rng.random(len(profile.activities) - 1) < 0.6, 0.85, 0.12)
    leaning = np.exp(rng.standard_normal(len(profile.columns)) * profile.sigmas * 0.8)
    drafts = _draw(profile, sizes, habits, leaning, rng)
    date_style, numbered, footer = int(style * len(_DATE_STYLES)), numbered < 0.4, footer < 0.5
    return [(year, _Draft(*draft, date_style, numbered, total < 0.5, footer)) for year, draft in zip(active, drafts)]


def _draw(
    profile: _Profile, sizes: np.ndarray, habits: np.ndarray, leaning: np.ndarray, rng: np.random.Generator
) -> list[tuple[_Profile, np.ndarray, np.ndarray, np.ndarray]]:
    """Activities, days and values of one unit's returns, all its years drawn at once."""
    n_years, n_other, m = len(sizes), len(profile.activities) - 1, len(profile.columns)
    others = rng.random((n_years, n_other)) < habits
    others[np.arange(n_years), rng.integers(0, n_other, n_years)] = True  # at least one besides the square
    again = rng.random((n_years, len(profile.repeatable))) < 0.3
    chosen = np.concatenate((np.ones((n_years, 1), dtype=bool), others, again), axis=1)
    template = np.concatenate(([0], np.arange(1, n_other + 1), profile.repeatable))
    counts = chosen.sum(axis=1)
    year_of_row = np.repeat(np.arange(n_years), counts)
    acts = np.broadcast_to(template, chosen.shape)[chosen]
    # distinct days per return, never the 15th, which the square event takes in most years
    days = np.argsort(rng.random((n_years, 30)), axis=1)[:, : chosen.shape[1]] + 1
    days = days[np.arange(chosen.shape[1]) < counts[:, None]]
    days += days >= 15
    firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    days[firsts[rng.random(n_years) < 0.85]] = 15
    order = np.lexsort((days, year_of_row))
    acts, days, year_of_row = acts[order], days[order], year_of_row[order]
    n = len(acts)
    reach = (sizes[year_of_row] * profile.boost[acts])[:, None] ** profile.reach
    raw = profile.medians * leaning * reach * np.exp(rng.standard_normal((n, m)) * profile.sigmas * 0.5)
    values = np.where(profile.money, np.round(raw, -1), np.maximum(np.round(raw), 1.0))
    filled = profile.mask[acts] & (rng.random((n, m)) > 0.08)
    keys = [c.key for c in profile.columns]
    if "received" in keys:
        got, done = keys.index("received"), keys.index("resolved")
        values[:, got] = np.round(values[:, got] * rng.uniform(0.2, 1.0, n))  # quiet days give 0 件
        values[:, done] = np.floor(values[:, got] * rng.uniform(0.78, 1.0, n))  # never more than 受理
        filled[:, done] = filled[:, got]
    if "events" in keys:
        filled[:, keys.index("events")] |= filled.any(axis=1)
    values[~filled] = np.nan
    ends = np.cumsum(counts).tolist()
    return [(profile, acts[a:b], days[a:b], values[a:b]) for a, b in zip([0] + ends[:-1], ends)]


def _trim(values: np.ndarray, keep: int) -> np.ndarray:
    """Blank every cell after the first ``keep`` in the reader's order (column by column, top down)."""
    flat = values.T.copy().ravel()
    present = np.flatnonzero(~np.isnan(flat))
    flat[present[keep:]] = np.nan
    return flat.reshape(values.shape[1], values.shape[0]).T


# ---- writing the file and its reading -------------------------------------------------------------


def _build(agency: _Agency, year: int, draft: _Draft, values: np.ndarray) -> DemoReturn:
    """The CSV of one return and its reading; columns and rows left empty (after trimming) are dropped."""
    blank = np.isnan(values)
    used_rows, used_cols = ~blank.all(axis=1), ~blank.all(axis=0)
    acts, days = draft.acts[used_rows], draft.days[used_rows]
    values = values[used_rows][:, used_cols]
    col_ids = np.flatnonzero(used_cols)
    present = ~np.isnan(values)
    name = f"{agency.name}{year}.csv"
    theme = _SECTOR_THEME.get(agency.sector)
    data, first_row, first_col = _csv_bytes(agency.name, year, theme, draft, acts, days, col_ids, values, present)
    batch = _batch(
        agency,
        year,
        theme or NATIONAL_THEMES.get(year),
        name[:-4],
        draft.profile,
        acts,
        days,
        col_ids,
        values,
        present,
        first_row,
        first_col,
    )
    result = FileResult(
        name, batch=batch, stats=Stats(sheets=1, rows=len(acts), records=len(batch)), layouts={name[:-4]: "wide"}
    )
    return DemoReturn(name, data, result)


def _csv_bytes(
    agency: str,
    year: int,
    theme: str | None,
    draft: _Draft,
    acts: np.ndarray,
    days: np.ndarray,
    col_ids: np.ndarray,
    values: np.ndarray,
    present: np.ndarray,
) -> tuple[bytes, int, int]:
    """The file as a sub-unit saves it from Excel, and where its first number sits (row, column)."""
    whole = np.where(present, values, 0.0).astype(np.int64).tolist()
    cells = [[str(v) if p else "" for v, p in zip(row, keep)] for row, keep in zip(whole, present.tolist())]
    profile = draft.profile
    lines: list[list[str]] = [
        [f"{year}年“3·15”国际消费者权益日活动情况登记表"],
        [f"填报单位:{agency}", "", "", f"填报日期:{year}年3月{20 + year % 7}日"],
    ]
    if theme:
        lines.append([f"活动主题:{theme}"])
    lead = ["序号"] if draft.numbered else []
    lines.append(lead + ["活动形式", "日期"] + [profile.columns[j].header for j in col_ids.tolist()])
    first_row = len(lines)
    style = _DATE_STYLES[draft.date_style]
    for i, (act, day) in enumerate(zip(acts.tolist(), days.tolist())):
        seq = [str(i + 1)] if draft.numbered else []
        lines.append(seq + [profile.activities[act], style.format(y=year, m=3, d=day)] + cells[i])
    if draft.total_row and len(acts) > 1:
        sums = [str(v) for v in np.nansum(values, axis=0).astype(np.int64).tolist()]
        lines.append(([""] if draft.numbered else []) + ["合计", ""] + sums)
    if draft.footer:
        lines.append([f"填表人:{_CLERKS[year % 5]}", "", f"联系电话:0{571 + len(agency)}-8{year % 1000:03d}0315"])
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    return buf.getvalue().encode("utf-8-sig"), first_row, len(lead) + 2


def _batch(
    agency: _Agency,
    year: int,
    theme: str | None,
    sheet: str,
    profile: _Profile,
    acts: np.ndarray,
    days: np.ndarray,
    col_ids: np.ndarray,
    values: np.ndarray,
    present: np.ndarray,
    row0: int,
    col0: int,
) -> RecordBatch:
    """The records in the reader's order: column by column, top down; dimensions as codes.

    Codes point into value arrays shared by many batches (a unit's names, a sector's metrics, a
    year's March dates); ``Coded`` columns are never written to in place.
    """
    col_idx, row_idx = np.nonzero(present.T)
    value = values.T[present.T]
    zeros = np.zeros(len(value), dtype=np.int32)
    fixed = _fixed(agency)
    by_col = col_ids[col_idx].astype(np.int32)
    columns: dict[str, Coded | np.ndarray] = {key: Coded(zeros, arr) for key, arr in fixed.items()}
    columns |= {
        "year": Coded(zeros, _single(year)),
        "theme": Coded(zeros, _single(theme)),
        "sheet": Coded(zeros, _single(sheet)),
        "date": Coded((days[row_idx] - 1).astype(np.int32), _march(year)),
        "activity": Coded(acts[row_idx].astype(np.int32), profile.activity_values),
        "metric": Coded(by_col, profile.metric_values),
        "unit": Coded(by_col, profile.unit_values),
        "value": value,
        "raw": object_array([str(v) for v in value.astype(np.int64).tolist()]),
        "row": row_idx + row0,
        "col": col_idx + col0,
        "cell_value": np.full(len(value), np.nan),
    }
    return RecordBatch(columns)


def _single(item: object) -> np.ndarray:
    return object_array([item])


@lru_cache(maxsize=4096)
def _fixed(agency: _Agency) -> dict[str, np.ndarray]:
    """The one-value arrays of what never changes for a unit."""
    region = agency.region
    return {
        "agency": _single(agency.name),
        "sector": _single(agency.sector),
        "province": _single(region.province),
        "city": _single(region.city),
        "district": _single(region.district),
        "adcode": _single(region.adcode),
        "approx": _single(None),
    }


@lru_cache(maxsize=64)
def _march(year: int) -> np.ndarray:
    return object_array([f"{year}-03-{d:02d}" for d in range(1, 32)])


__all__ = ["ACTIVITIES", "DEMO_PROVINCES", "DEMO_YEARS", "DemoReturn", "generate_returns"]
