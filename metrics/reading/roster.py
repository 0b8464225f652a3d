"""Reading a roster of expected units (应报单位名单) from an Excel/WPS/CSV list.

Columns are found by their header (单位名称 / 系统 / 地区 / 上级单位 / 联系人 / 联系电话, in any order, with the
usual variants); every bad row gives one Issue naming its cell and is left out, the good rows are kept. A
file that cannot be read at all raises FileRefused, so nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from metrics.core.issues import IssueSink
from metrics.core.record import Issue, cell_ref
from metrics.core.text import cell_text, normalize_label
from metrics.reading.dimensions import SECTORS, canonical_sector, infer_sector
from metrics.reading.regions import Gazetteer, Region, default_gazetteer
from metrics.reading.sniff import FileRefused, sniff
from metrics.reading.workbook import SheetGrid, read_grids


@dataclass(frozen=True, slots=True)
class RosterUnit:
    """One expected unit of a collection round, as stored."""

    id: int
    campaign_id: int
    name: str
    sector: str | None = None
    adcode: str | None = None
    parent: str | None = None
    contact: str | None = None
    phone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# field → header texts (normalised) that name it; the first match in a header row wins.
ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位名称", "应报单位", "报送单位", "填报单位", "单位全称", "单位"),
    "sector": ("系统", "行业", "系统/行业", "行业/系统", "单位类型", "类型", "所属系统"),
    "region": ("地区", "所属地区", "行政区划", "区划", "地区代码", "行政区划代码"),
    "parent": ("上级单位", "上级", "主管单位", "上级主管单位"),
    "contact": ("联系人", "联系人姓名"),
    "phone": ("联系电话", "电话", "手机", "联系方式"),
}
_HEADER_SEARCH_ROWS = 15
_ADCODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One expected unit as read from the list; ``where`` is the cell of its name."""

    name: str
    sector: str | None
    adcode: str | None
    parent: str | None
    contact: str | None
    phone: str | None
    where: str


@dataclass(frozen=True, slots=True)
class RosterRead:
    rows: tuple[RosterRow, ...]
    issues: tuple[Issue, ...]


def read_roster(data: bytes, name: str, *, gazetteer: Gazetteer | None = None) -> RosterRead:
    """The good rows and one issue per bad row; FileRefused when the file or its 单位名称 column cannot be found."""
    grids = [g for g in read_grids(data, sniff(data, name=name), name=name) if not g.hidden]
    for grid in grids:
        found = _find_header(grid)
        if found is not None:
            return _read_rows(grid, *found, gazetteer or default_gazetteer())
    raise FileRefused(
        "no-table",
        f"“{name}”中找不到名单表头:需要一行写有“单位名称”的表头"
        "(其余列可有 系统、地区、上级单位、联系人、联系电话,顺序不限)",
    )


def _find_header(grid: SheetGrid) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(grid.rows[:_HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for c, value in enumerate(row):
            label = normalize_label(cell_text(value))
            for field, names in ROSTER_COLUMNS.items():
                if field not in columns and label in names:
                    columns[field] = c
                    break
        if "name" in columns:
            return r, columns
    return None


def _read_rows(grid: SheetGrid, header: int, columns: dict[str, int], gazetteer: Gazetteer) -> RosterRead:
    sink = IssueSink()
    rows: list[RosterRow] = []
    seen: dict[str, str] = {}

    def where(r: int, field: str) -> str:
        return f"{grid.name}!{cell_ref(grid.row0 + r, grid.col0 + columns[field])}"

    for r in range(header + 1, len(grid.rows)):
        values = {field: _text(grid.rows[r], c) for field, c in columns.items()}
        if not any(values.values()):
            continue
        name = normalize_label(values["name"])
        if not name:
            sink.add("roster-missing-name", "error", where(r, "name"), "这一行没有单位名称,未导入;请补上单位名称", "")
            continue
        if name in seen:
            sink.add(
                "roster-duplicate-unit",
                "error",
                where(r, "name"),
                f"“{name}”在名单中重复(首次出现在 {seen[name]}),这一行未导入",
                name,
            )
            continue
        region, problem = _region(values.get("region", ""), name, gazetteer)
        if problem is not None:
            code, message = problem
            sink.add(code, "error", where(r, "region"), message, values["region"])
            continue
        if not values.get("region") and region is None:
            sink.add(
                "roster-no-region",
                "warning",
                where(r, "name"),
                f"“{name}”没有填地区,单位名称中也看不出所属地区;按地区统计时列为“未填地区”",
                name,
            )
        sector = _sector(values.get("sector", ""), name)
        if values.get("sector") and sector not in SECTORS:
            sink.add(
                "roster-unknown-sector",
                "warning",
                where(r, "sector"),
                f"系统“{values['sector']}”不在系统列表中({'、'.join(SECTORS)}),按所写保留",
                values["sector"],
            )
        seen[name] = where(r, "name")
        rows.append(
            RosterRow(
                name,
                sector,
                region.adcode if region else None,
                normalize_label(values.get("parent", "")) or None,
                values.get("contact") or None,
                values.get("phone") or None,
                where(r, "name"),
            )
        )
    return RosterRead(tuple(rows), tuple(sink.finish()))


# The downloaded roster's columns: headers read_roster finds again; the adcode first so 地区 reads back exactly.
EXPORT_COLUMNS = ("单位名称", "系统", "行政区划代码", "地区", "上级单位", "联系人", "联系电话")
# The columns a person may edit in place, and the unit field each holds (names and places come from a re-import).
EDITABLE = {"系统": "sector", "行政区划代码": "adcode", "上级单位": "parent", "联系人": "contact", "联系电话": "phone"}


def roster_frame(units: Sequence, gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    """The roster as a table to show and download (RosterUnit-like rows); importing it again changes nothing."""
    gaz = gazetteer or default_gazetteer()

    def place(adcode: str | None) -> str | None:
        region = gaz.by_adcode(adcode) if adcode else None
        return region.path if region else None

    return pd.DataFrame(
        [(u.name, u.sector, u.adcode, place(u.adcode), u.parent, u.contact, u.phone) for u in units],
        columns=list(EXPORT_COLUMNS),
    )


def _text(row: list[object], col: int) -> str:
    return cell_text(row[col]) if col < len(row) else ""


def _region(written: str, name: str, gazetteer: Gazetteer) -> tuple[Region | None, tuple[str, str] | None]:
    """The unit's region from its 地区 cell (a name or a 6-digit code), else from its name."""
    if not written:
        match = gazetteer.find_in_text(name)
        return (match.region if match.ok else None), None
    if _ADCODE.match(written):
        region = gazetteer.by_adcode(written)
        if region is None:
            return None, ("roster-unknown-region", f"行政区划代码“{written}”不在区划表中,这一行未导入")
        return region, None
    match = gazetteer.resolve(written, context=[name])
    if match.status == "ambiguous":
        places = "、".join(c.path for c in match.candidates[:6])
        return None, (
            "roster-ambiguous-region",
            f"地区“{written}”有多处重名({places}),这一行未导入;请写上所属城市(如“福州市鼓楼区”)或行政区划代码",
        )
    if not match.ok:
        return None, (
            "roster-unknown-region",
            f"地区“{written}”在区划表中找不到,这一行未导入;请写正式名称或行政区划代码",
        )
    return match.region, None


def _sector(written: str, name: str) -> str | None:
    if written:
        return canonical_sector(written)
    return infer_sector(name)
