"""Completeness of a campaign (报送进度): per-unit status and the rates by region level and by sector.

Rates are shares of the expected units (应报单位): reporting rate = reported / expected, on-time rate =
reported on time / expected (及时率 as statistics offices define it), approval rate = approved / expected.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from metrics.analysis import geo
from metrics.analysis.maps import RegionMap, map_place, place_of
from metrics.analysis.query import Filters
from metrics.collection.campaigns import Campaign, Status, UnitStatus, get_campaign, unit_statuses
from metrics.reading.regions import Gazetteer, Region, default_gazetteer

if TYPE_CHECKING:
    from metrics.access.scoped import StoreHandle


@dataclass(frozen=True, slots=True)
class Rate:
    """One group's counts; rates are shares of the expected units (应报), None for an empty group."""

    group: str
    expected: int = 0
    reported: int = 0  # anything but 未报 (a returned report was reported)
    on_time: int = 0
    late: int = 0
    approved: int = 0  # 已审核 or 已锁定
    counts: dict[str, int] = field(default_factory=dict)  # per status

    @property
    def reporting_rate(self) -> float | None:
        return self.reported / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.expected if self.expected else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "expected": self.expected,
            "reported": self.reported,
            "on_time": self.on_time,
            "late": self.late,
            "approved": self.approved,
            "counts": dict(self.counts),
            "reporting_rate": self.reporting_rate,
            "on_time_rate": self.on_time_rate,
            "approval_rate": self.approval_rate,
        }


@dataclass(frozen=True, slots=True)
class Completeness:
    campaign: Campaign
    units: tuple[UnitStatus, ...]
    overall: Rate
    by_province: tuple[Rate, ...]
    by_city: tuple[Rate, ...]
    by_district: tuple[Rate, ...]
    by_sector: tuple[Rate, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.to_dict(),
            "overall": self.overall.to_dict(),
            **{
                f"by_{k}": [r.to_dict() for r in getattr(self, f"by_{k}")]
                for k in ("province", "city", "district", "sector")
            },
            "units": [u.to_dict() for u in self.units],
        }


NO_REGION = "未填地区"
NO_SECTOR = "未填系统"


def build(
    store: StoreHandle, campaign_id: int, *, today: dt.date | None = None, gazetteer: Gazetteer | None = None
) -> Completeness:
    """Per-unit status and the reporting / on-time / approval rates overall, by region level and by sector."""
    gaz = gazetteer or default_gazetteer()
    units = tuple(unit_statuses(store, campaign_id, today=today))
    regions = {u.unit.id: gaz.by_adcode(u.unit.adcode) if u.unit.adcode else None for u in units}

    def grouped(key) -> tuple[Rate, ...]:
        groups: dict[str, list[UnitStatus]] = {}
        for u in units:
            groups.setdefault(key(u), []).append(u)
        return tuple(_rate(name, members) for name, members in sorted(groups.items()))

    return Completeness(
        get_campaign(store, campaign_id),
        units,
        _rate("全部", units),
        grouped(lambda u: _region_group(regions[u.unit.id], "province")),
        grouped(lambda u: _region_group(regions[u.unit.id], "city")),
        grouped(lambda u: _region_group(regions[u.unit.id], "district")),
        grouped(lambda u: u.unit.sector or NO_SECTOR),
    )


def _region_group(region: Region | None, level: str) -> str:
    """The group a unit counts in at this level; a unit above it counts as its own 本级 ('浙江省 本级')."""
    if region is None:
        return NO_REGION
    parts = (region.province, region.city, region.district)[: _DEPTHS[level]]
    named = [p for p in parts if p]
    return _path(named) + " 本级" if parts[-1] is None else _path(named)


_DEPTHS = {"province": 1, "city": 2, "district": 3}


def _path(parts: Iterable[str]) -> str:
    """'北京市 北京市 朝阳区' is written '北京市 朝阳区', as Region.path does."""
    out: list[str] = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return " ".join(out)


def _rate(group: str, members: Iterable[UnitStatus]) -> Rate:
    members = list(members)
    counts = Counter(str(u.status) for u in members)
    return Rate(
        group,
        expected=len(members),
        reported=sum(u.status != Status.NOT_REPORTED for u in members),
        on_time=sum(u.late is False for u in members),
        late=sum(u.late is True for u in members),
        approved=sum(u.status in (Status.APPROVED, Status.LOCKED) for u in members),
        counts={str(s): counts.get(str(s), 0) for s in Status},
    )


def region_rates(
    report: Completeness, *, province: str | None = None, city: str | None = None, gazetteer: Gazetteer | None = None
) -> tuple[str, tuple[Rate, ...]]:
    """The rates one level below the chosen place (provinces; a province's cities; a city's districts).

    Only units inside the place count; a unit with no region counts only when no place is chosen.
    """
    gaz = gazetteer or default_gazetteer()
    level = "district" if city else "city" if province else "province"
    groups: dict[str, list[UnitStatus]] = {}
    for unit in report.units:
        region = gaz.by_adcode(unit.unit.adcode) if unit.unit.adcode else None
        if province and (region is None or region.province != province):
            continue
        if city and (region is None or region.city != city):
            continue
        groups.setdefault(_region_group(region, level), []).append(unit)
    return level, tuple(_rate(name, members) for name, members in sorted(groups.items()))


def needs_attention(units: Iterable[UnitStatus]) -> list[UnitStatus]:
    """The units a head office chases: 未报, 退回, or reported late (迟报), in roster order."""
    return [u for u in units if u.status in (Status.NOT_REPORTED, Status.RETURNED) or u.late]


def percent(rate: float | None) -> str:
    """A rate as people write it: '66.7%'; '—' when there is no unit to count."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def rate_map(report: Completeness, filters: Filters, rate: str) -> tuple[RegionMap, dict[str, Rate]]:
    """A rate (``reporting_rate``, ``on_time_rate`` or ``approval_rate``, in %) of the expected units on
    the map one level under the chosen place, with each unit's counts.

    ``left`` is the number of expected units inside the place that no unit of the map takes (a higher
    unit's own office; with no place chosen, units without a region); ``total`` the units inside."""
    parent, focus = map_place(place_of(filters))
    level = geo.child_level(parent.adcode if parent is not None else None)
    assert level is not None
    units = report.units
    gaz = default_gazetteer()
    regions = [gaz.by_adcode(u.unit.adcode) if u.unit.adcode else None for u in units]
    inside = [
        u
        for u, r in zip(units, regions, strict=True)
        if parent is None or (r is not None and (r == parent or parent.contains(r)))
    ]
    places = geo.place_units([u.unit.adcode for u in inside], level, parent.adcode if parent is not None else None)
    groups: dict[str, list[UnitStatus]] = {}
    for unit, place in zip(inside, places, strict=True):
        if place is not None:
            groups.setdefault(place, []).append(unit)
    rates = {code: _rate(code, members) for code, members in groups.items()}
    values = {code: round(getattr(r, rate) * 100, 1) for code, r in rates.items() if getattr(r, rate) is not None}
    left = sum(p is None for p in places)
    return RegionMap(level, parent, focus, values, float(left), float(len(inside))), rates
