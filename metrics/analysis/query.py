"""The dashboard's questions asked of the in-memory facts: filters, totals, KPIs, and the data checks.

Pure pandas on categorical columns; every page calls these and shows what they return.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from metrics.core.catalog import Catalog, default_catalog
from metrics.core.labels import unit_name
from metrics.core.record import cell_ref

# URL query keys, in the order they are written into a link.
LIST_FILTERS = ("year", "sector", "agency", "theme", "activity", "metric")
PLACE_FILTERS = ("province", "city", "district")

UNKNOWN = "(未填写)"

# Tiles on the overview, in this order, when no metric filter narrows them.
KEY_MEASURES = (
    "events",
    "materials",
    "consultations",
    "participants",
    "complaints_received",
    "complaints_resolved",
    "recovered_loss",
    "inspections",
    "cases",
    "fines",
)


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects; empty means everything."""

    year: tuple[int, ...] = ()
    province: str | None = None
    city: str | None = None
    district: str | None = None
    sector: tuple[str, ...] = ()
    agency: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    activity: tuple[str, ...] = ()
    metric: tuple[str, ...] = ()
    # 仅已审核: only these returns (submission ids) count; None = every active return. ``approved`` is what
    # the URL keeps (approved=1); the ids are looked up from the store's rounds on each run.
    approved: bool = False
    submissions: frozenset[int] | None = None

    def to_params(self) -> dict[str, str]:
        """Plain strings for the URL: lists comma-joined, empty filters left out."""
        out: dict[str, str] = {"approved": "1"} if self.approved else {}
        for name in LIST_FILTERS:
            values = getattr(self, name)
            if values:
                out[name] = ",".join(str(v) for v in values)
        for name in PLACE_FILTERS:
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out

    def without(self, *names: str) -> Filters:
        empty = Filters()
        return replace(self, **{n: getattr(empty, n) for n in names})

    @property
    def is_empty(self) -> bool:
        return self == Filters()


def filters_from_params(
    params: Mapping[str, str | list[str]], frame: pd.DataFrame, catalog: Catalog | None = None
) -> tuple[Filters, list[str]]:
    """Filters from a link's query string; values that are unknown or malformed are dropped with a note."""
    catalog = catalog or default_catalog()
    notes: list[str] = []
    chosen: dict[str, Any] = {}  # Filters' fields, each of its own type
    for name in LIST_FILTERS:
        raw = _param(params, name)
        if raw is None:
            continue
        known = _known_values(frame, name, catalog)
        good: list[object] = []
        bad: list[object] = []
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            value: object = part
            if name == "year":
                value = int(part) if part.isdigit() else None
            (good if value is not None and value in known else bad).append(value if value is not None else part)
        if bad:
            notes.append(f"链接中的{_ZH_NAMES[name]}“{'、'.join(map(str, bad))}”在数据中不存在,已忽略")
        chosen[name] = tuple(dict.fromkeys(good))
    parent_mask = np.ones(len(frame), dtype=bool)
    for name in PLACE_FILTERS:
        raw = _param(params, name)
        if raw is None:
            continue
        raw = raw.strip()
        if raw and (frame[name][parent_mask] == raw).any():
            chosen[name] = raw
            parent_mask &= (frame[name] == raw).to_numpy()
        else:
            notes.append(f"链接中的{_ZH_NAMES[name]}“{raw}”不存在或不属于上级地区,已忽略")
            break
    if (_param(params, "approved") or "").strip() == "1":
        chosen["approved"] = True
    return Filters(**chosen), notes


_ZH_NAMES = {
    "year": "年度",
    "sector": "系统",
    "agency": "单位",
    "theme": "主题",
    "activity": "活动形式",
    "metric": "指标",
    "province": "省份",
    "city": "城市",
    "district": "区县",
}


def _param(params: Mapping[str, str | list[str]], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):
        value = ",".join(value)
    return value if isinstance(value, str) else None


def _known_values(frame: pd.DataFrame, name: str, catalog: Catalog) -> set:
    if name == "year":
        return set(int(y) for y in np.unique(frame["year"].to_numpy()) if y >= 0)
    if name == "metric":
        return set(catalog.ids)
    return set(frame[name].cat.categories)


def filter_mask(frame: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Rows that pass every filter (a boolean array)."""
    mask = np.ones(len(frame), dtype=bool)
    if filters.year:
        mask &= np.isin(frame["year"].to_numpy(), np.asarray(filters.year, dtype=np.int32))
    for name in PLACE_FILTERS:
        value = getattr(filters, name)
        if value:
            mask &= _codes_in(frame[name], (value,))
    for name in ("sector", "agency", "theme", "activity", "metric"):
        values = getattr(filters, name)
        if values:
            mask &= _codes_in(frame[name], values)
    if filters.submissions is not None:
        mask &= np.isin(frame["submission_id"].to_numpy(), np.fromiter(filters.submissions, dtype=np.int64))
    return mask


def apply_filters(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    if filters.is_empty:
        return frame
    return frame[filter_mask(frame, filters)]


def _codes_in(column: pd.Series, values: Iterable[str]) -> np.ndarray:
    """Membership on the categorical codes: a few integer compares per row, whatever the texts."""
    categories = column.cat.categories
    wanted = [categories.get_loc(v) for v in values if v in categories]
    codes = column.cat.codes.to_numpy()
    if not wanted:
        return np.zeros(len(codes), dtype=bool)
    if len(wanted) == 1:
        return codes == wanted[0]
    return np.isin(codes, wanted)


def options(frame: pd.DataFrame, filters: Filters) -> dict[str, list]:
    """Choices for each sidebar filter: places cascade (cities of the chosen province …)."""
    out: dict[str, list] = {
        "year": sorted((int(y) for y in np.unique(frame["year"].to_numpy()) if y >= 0), reverse=True)
    }
    mask = np.ones(len(frame), dtype=bool)
    for name in PLACE_FILTERS:
        out[name] = _present(frame[name], mask)
        value = getattr(filters, name)
        if not value:
            for rest in PLACE_FILTERS[PLACE_FILTERS.index(name) + 1 :]:
                out[rest] = []
            break
        mask &= _codes_in(frame[name], (value,))
    for name in ("sector", "agency", "theme", "activity"):
        out[name] = _present(frame[name], np.ones(len(frame), dtype=bool))
    out["metric"] = _present(frame["metric"], np.ones(len(frame), dtype=bool))
    return out


def next_level(filters: Filters) -> str:
    """The place level one below the chosen one: provinces, the cities of a province, a city's districts."""
    return "district" if filters.city else "city" if filters.province else "province"


def _present(column: pd.Series, mask: np.ndarray) -> list[str]:
    codes = column.cat.codes.to_numpy()
    if not mask.all():
        codes = codes[mask]
    used = np.unique(codes[codes >= 0])
    return sorted(column.cat.categories[used].tolist())


# ---- what a number means ----------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """A summable series: a metric, or destroyed_qty in one unit."""

    key: str
    metric: str
    zh: str
    en: str
    unit: str

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def measure_of(key: str, catalog: Catalog | None = None) -> Measure:
    catalog = catalog or default_catalog()
    metric_id, _, unit = key.partition(":")
    metric = catalog[metric_id]
    if metric_id == "destroyed_qty":
        return Measure(
            key,
            metric_id,
            f"{metric.zh}({unit or '无单位'})",
            f"{metric.en} ({unit_name(unit, 'en') or 'no unit'})",
            unit,
        )
    return Measure(key, metric_id, metric.zh, metric.en, metric.unit)


def measures_in(frame: pd.DataFrame, catalog: Catalog | None = None) -> list[Measure]:
    """Measures present in the frame, in catalog order."""
    catalog = catalog or default_catalog()
    present = set(_present(frame["measure"], np.ones(len(frame), dtype=bool)))
    order = {m: k for k, m in enumerate(catalog.ids)}
    keys = sorted(present, key=lambda k: (order.get(k.partition(":")[0], 99), k))
    return [measure_of(k, catalog) for k in keys]


# ---- totals -----------------------------------------------------------------------------------


def totals(frame: pd.DataFrame, by: Iterable[str] = ()) -> pd.DataFrame:
    """Sum of value per measure and the given dimensions (rows with a missing dimension left out)."""
    keys = ["measure", *by]
    if frame.empty:
        return pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys}, "value": pd.Series(dtype=float)})
    grouped = frame.groupby(keys, observed=True, sort=False)["value"].sum().reset_index()
    for key in keys:
        if isinstance(grouped[key].dtype, pd.CategoricalDtype):
            grouped[key] = grouped[key].astype(object)
    return grouped.sort_values(keys).reset_index(drop=True)


def measure_totals(frame: pd.DataFrame, measure: str, by: str | list[str]) -> pd.DataFrame:
    """One measure summed by one or more dimensions, largest first."""
    by = [by] if isinstance(by, str) else list(by)
    rows = frame[_codes_in(frame["measure"], (measure,))]
    if rows.empty:
        return pd.DataFrame({**{b: pd.Series(dtype=object) for b in by}, "value": pd.Series(dtype=float)})
    # Records without the dimension stay in, as 未填写, so the parts add up to the whole.
    out = rows.groupby(by, observed=True, sort=False, dropna=False)["value"].sum().reset_index()
    for key in by:
        out[key] = out[key].astype(object).where(out[key].notna(), UNKNOWN)
    return out.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)


def pivot(
    frame: pd.DataFrame, row: str, catalog: Catalog | None = None, lang: str = "zh", *, unknown: bool = False
) -> pd.DataFrame:
    """``row`` × measure table of sums, columns named for people, with a 合计 row at the bottom.

    ``unknown=True`` keeps records without ``row`` as one (未填写) row, so 合计 is the whole view (as the
    charts beside the table count it); otherwise they are left out.
    """
    if unknown and frame[row].isna().any():
        column = frame[row]
        if isinstance(column.dtype, pd.CategoricalDtype):  # codes only: a million rows stay cheap
            if UNKNOWN not in column.cat.categories:
                column = column.cat.add_categories([UNKNOWN])
            column = column.fillna(UNKNOWN)
        else:
            column = column.astype(object).where(column.notna(), UNKNOWN)
        frame = frame.assign(**{row: column})
    table = totals(frame, [row])
    if table.empty:
        return pd.DataFrame()
    # A unit that did not report a metric shows a blank, not 0 ("no value is not zero").
    wide = table.pivot_table(index=row, columns="measure", values="value", aggfunc="sum")
    ordered = [m for m in measures_in(frame, catalog) if m.key in wide.columns]
    wide = wide[[m.key for m in ordered]]
    wide = wide.sort_values(wide.columns[0], ascending=False, kind="stable", na_position="last")
    wide.loc["合计" if lang != "en" else "Total"] = wide.sum(min_count=1)
    wide.columns = [f"{m.name(lang)}({m.unit})" if m.unit else m.name(lang) for m in ordered]
    wide.index.name = row
    return wide.reset_index()


@dataclass(frozen=True)
class Coverage:
    """Which units (agencies) a year-on-year comparison can use: those that reported both periods.

    A unit reports a period when it has any record in the scope in one of the period's years.
    """

    before: int  # units that reported the earlier period
    now: int  # units that reported the current period
    both: int  # units that reported both

    @property
    def comparable(self) -> bool:
        """At least half of last period's units have reported: a like-for-like change means something."""
        return self.before > 0 and 2 * self.both >= self.before


@dataclass(frozen=True)
class Kpi:
    """A measure's total in the current period, and the comparison with the period one year earlier.

    ``value`` and ``previous`` are totals over all units; ``same_now`` and ``same_before`` are over the
    units that reported both periods (同口径), the base of the change shown by default.
    """

    measure: Measure
    value: float
    previous: float | None
    year: int | None
    same_now: float | None = None
    same_before: float | None = None
    coverage: Coverage | None = None

    @property
    def comparable(self) -> bool:
        return (
            self.coverage is not None
            and self.coverage.comparable
            and self.same_now is not None
            and self.same_before is not None
            and self.same_before != 0
        )

    @property
    def change(self) -> float | None:
        """The like-for-like change in % (None when not comparable)."""
        if not self.comparable or self.same_now is None or self.same_before is None:
            return None
        return (self.same_now - self.same_before) / abs(self.same_before) * 100


@dataclass(frozen=True)
class YearChoice:
    """The year a view shows when no year is chosen: the latest complete one.

    The latest year in scope, unless fewer than half as many units reported it as the year before (the
    returns are still coming in); then the year before.
    """

    year: int | None
    latest: int | None
    units_latest: int
    units_before: int

    @property
    def skipped(self) -> bool:
        return self.year != self.latest


def _units(frame: pd.DataFrame, mask: np.ndarray | None = None) -> np.ndarray:
    """Agency codes with any record (where ``mask``), records without an agency left out."""
    codes = frame["agency"].cat.codes.to_numpy()
    if mask is not None:
        codes = codes[mask]
    return np.unique(codes[codes >= 0])


def report_year(frame: pd.DataFrame) -> YearChoice:
    """The latest complete year of ``frame`` (already filtered to the scope, all years)."""
    years_column = frame["year"].to_numpy()
    years = [int(y) for y in np.unique(years_column) if y >= 0]
    if not years:
        return YearChoice(None, None, 0, 0)
    latest = years[-1]
    now = len(_units(frame, years_column == latest))
    before = len(_units(frame, years_column == latest - 1))
    chosen = latest - 1 if before and 2 * now < before else latest
    return YearChoice(chosen, latest, now, before)


def view_years(frame: pd.DataFrame, filters: Filters) -> list[int]:
    """The years a view covers: those chosen, else the latest complete year of the scope."""
    if filters.year:
        return sorted(filters.year)
    year = report_year(apply_filters(frame, filters)).year
    return [] if year is None else [year]


def kpis(
    frame: pd.DataFrame, filters: Filters, catalog: Catalog | None = None, keys: Iterable[str] | None = None
) -> list[Kpi]:
    """Totals of the selected view, each with the same view one year earlier.

    With no year chosen the tiles show the latest complete year (``report_year``), as a leader reads
    them: this year against last. Several chosen years compare with the same years shifted one back
    and report the latest through ``year``. The change is like-for-like: only units that reported in
    both periods count (``Kpi.same_now`` / ``same_before`` and ``Kpi.coverage``).
    """
    catalog = catalog or default_catalog()
    base = apply_filters(frame, filters.without("year"))
    years = sorted(filters.year) or ([] if (choice := report_year(base)).year is None else [choice.year])
    current_year = years[-1] if years else None
    base_years = base["year"].to_numpy()
    view = base[np.isin(base_years, years)] if years else base
    measures = measures_in(view, catalog)
    if keys is not None:
        wanted = list(keys)
        measures = [m for m in measures if m.key in wanted or m.metric in wanted]
    elif not filters.metric:
        key_set = [m for m in measures if m.metric in KEY_MEASURES]
        measures = sorted(key_set, key=lambda m: KEY_MEASURES.index(m.metric)) or measures
    now_by = _sums(view)
    previous_by: dict[str, float] = {}
    same_now: dict[str, float] = {}
    same_before: dict[str, float] = {}
    coverage = None
    if current_year is not None:
        # The same view shifted one year back: 2024 against 2023, 2023–2024 against 2022–2023.
        before = base[np.isin(base_years, [y - 1 for y in years])]
        previous_by = _sums(before)
        units_now, units_before = _units(view), _units(before)
        both = np.intersect1d(units_now, units_before, assume_unique=True)
        coverage = Coverage(len(units_before), len(units_now), len(both))
        if len(both):
            same_now = _sums(view[np.isin(view["agency"].cat.codes.to_numpy(), both)])
            same_before = _sums(before[np.isin(before["agency"].cat.codes.to_numpy(), both)])
    return [
        Kpi(
            m,
            float(now_by.get(m.key, 0.0)),
            previous_by.get(m.key),
            current_year,
            same_now.get(m.key, 0.0) if coverage and coverage.both else None,
            same_before.get(m.key),
            coverage,
        )
        for m in measures
    ]


def _sums(frame: pd.DataFrame) -> dict[str, float]:
    table = totals(frame, ())
    return dict(zip(table["measure"], table["value"].astype(float)))


# ---- checks across submissions ----------------------------------------------------------------


def resolved_exceeding(frame: pd.DataFrame) -> pd.DataFrame:
    """Agency-years whose 办结 is more than their 受理."""
    cases = frame[_codes_in(frame["metric"], ("complaints_received", "complaints_resolved"))]
    if cases.empty:
        return _empty(["agency", "year", "file", "received", "resolved"])
    table = cases.pivot_table(
        index=["agency", "year", "file"], columns="metric", values="value", aggfunc="sum", observed=True, fill_value=0
    )
    for col in ("complaints_received", "complaints_resolved"):
        if col not in table.columns:
            table[col] = 0.0
    bad = table[table["complaints_resolved"] > table["complaints_received"] + 1e-9]
    out = bad.reset_index().rename(columns={"complaints_received": "received", "complaints_resolved": "resolved"})
    return _plain(out[["agency", "year", "file", "received", "resolved"]])


def outliers(frame: pd.DataFrame, *, factor: float = 5.0, floor: float = 100.0) -> pd.DataFrame:
    """An agency's yearly total far from its other years (≥ factor × or ≤ 1/factor of their median).

    A 万 slip is a factor of 10,000; ordinary growth rarely passes 5×. Needs two other years to judge;
    small counts swing (1 complaint, then 22) so the larger of value and median must reach ``floor``.
    Worked on an agency-metric × year matrix, one column at a time, so a million records take
    milliseconds.
    """
    columns = ["agency", "measure", "year", "value", "typical", "ratio"]
    dated = frame[
        (frame["year"].to_numpy() >= 0)
        & (frame["agency"].cat.codes.to_numpy() >= 0)
        & (frame["measure"].cat.codes.to_numpy() >= 0)
    ]
    if dated.empty:
        return _empty(columns)
    # Sums per agency × measure × year by bincount on the category codes: a dense matrix is small
    # (thousands of agencies × ~20 measures × a few years) and far cheaper than a three-key groupby.
    agencies, measures = dated["agency"].cat.categories, dated["measure"].cat.categories
    years, year_index = np.unique(dated["year"].to_numpy(), return_inverse=True)
    cell = (
        dated["agency"].cat.codes.to_numpy().astype(np.int64) * len(measures) + dated["measure"].cat.codes.to_numpy()
    ) * len(years) + year_index
    size = len(agencies) * len(measures) * len(years)
    sums = np.bincount(cell, weights=dated["value"].to_numpy(), minlength=size).reshape(-1, len(years))
    seen = np.bincount(cell, minlength=size).reshape(-1, len(years)) > 0
    keep = seen.sum(axis=1) >= 3
    if not keep.any():
        return _empty(columns)
    rows = np.flatnonzero(keep)
    wide = pd.DataFrame(
        np.where(seen[rows], sums[rows], np.nan),
        columns=years,
        index=pd.MultiIndex.from_arrays([agencies[rows // len(measures)], measures[rows % len(measures)]]),
    )
    values = wide.to_numpy(dtype=float)
    parts = []
    for j, year in enumerate(wide.columns):
        others = np.delete(values, j, axis=1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            typical = np.nanmedian(others, axis=1)
            ratio = values[:, j] / typical
        flagged = (
            (values[:, j] > 0)
            & (typical > 0)
            & ((ratio >= factor) | (ratio <= 1 / factor))
            & (np.maximum(values[:, j], typical) >= floor)
        )
        if flagged.any():
            keys = wide.index[flagged]
            parts.append(
                pd.DataFrame(
                    {
                        "agency": keys.get_level_values(0).astype(object),
                        "measure": keys.get_level_values(1).astype(object),
                        "year": int(year),
                        "value": values[flagged, j],
                        "typical": typical[flagged],
                        "ratio": ratio[flagged],
                    }
                )
            )
    if not parts:
        return _empty(columns)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("ratio", key=lambda r: -np.abs(np.log(r)), kind="stable").reset_index(drop=True)


def missing_returns(frame: pd.DataFrame, year: int) -> list[str]:
    """Agencies that reported the year before ``year`` but not ``year`` (completeness)."""
    years = frame["year"].to_numpy()
    before = set(_present(frame["agency"], years == year - 1))
    now = set(_present(frame["agency"], years == year))
    return sorted(before - now)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(object)
    return frame.reset_index(drop=True)


# ---- the records themselves -------------------------------------------------------------------

RECORD_TABLE_COLUMNS = (
    "agency",
    "sector",
    "province",
    "city",
    "district",
    "year",
    "date",
    "theme",
    "activity",
    "metric",
    "value",
    "unit",
    "raw",
    "source",
)


def records_table(
    frame: pd.DataFrame,
    texts: Mapping[int, tuple[str | None, str | None]] | None = None,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Records as people read them: metric names, the cell as written and where it is (file/sheet!C7)."""
    catalog = catalog or default_catalog()
    out = pd.DataFrame(
        {
            name: frame[name].astype(object).to_numpy()
            for name in ("agency", "sector", "province", "city", "district", "date", "theme", "activity", "unit")
        }
    )
    out["year"] = frame["year"].to_numpy()
    # Positional (to_numpy): a filtered frame keeps its own index labels, which would not line up with ``out``'s.
    out["metric"] = (
        frame["metric"].astype(object).map(lambda m: catalog[m].zh if m in catalog.metrics else m).to_numpy()
    )
    out["value"] = frame["value"].to_numpy()
    ids = frame["id"].to_numpy().tolist()
    texts = texts or {}
    out["raw"] = [texts.get(i, (None, None))[0] for i in ids]
    out["source"] = [
        f"{f}/{s}!{cell_ref(r, c)}" if r >= 0 and c >= 0 else f"{f}/{s}"
        for f, s, r, c in zip(
            frame["file"].astype(object).tolist(),
            frame["sheet"].astype(object).tolist(),
            frame["row"].tolist(),
            frame["col"].tolist(),
        )
    ]
    out = out[list(RECORD_TABLE_COLUMNS)]
    return out.where(out.notna(), None)
