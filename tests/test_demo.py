"""Demo returns: exact size, determinism, realistic shape, and the reader reads each one as promised."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from metrics.core.record import RecordBatch
from metrics.reading.dimensions import NATIONAL_THEMES
from metrics.reading.ingest import ingest_bytes
from metrics.storage.demo import ACTIVITIES, DEMO_PROVINCES, DemoReturn, generate_returns


@cache
def _returns(rows: int, seed: int = 315) -> tuple[DemoReturn, ...]:
    return tuple(generate_returns(rows, seed=seed))


@cache
def _frame(rows: int) -> pd.DataFrame:
    """All records of a demo set as one frame, with the file each came from."""
    returns = _returns(rows)
    batch = RecordBatch.concat([r.result.batch for r in returns])
    frame = pd.DataFrame(
        {
            name: batch.column(name)
            for name in (
                "agency",
                "sector",
                "province",
                "adcode",
                "year",
                "date",
                "theme",
                "activity",
                "metric",
                "value",
                "unit",
                "row",
            )
        }
    )
    frame["file"] = np.repeat([r.name for r in returns], [len(r.result.batch) for r in returns])
    return frame


@pytest.mark.parametrize("rows", [0, 1, 2, 7, 100, 999, 5000, 23_457])
def test_exact_row_count(rows: int) -> None:
    returns = _returns(rows)
    assert sum(len(r.result.batch) for r in returns) == rows
    assert all(len(r.result.batch) > 0 for r in returns)
    assert all(r.result.stats.records == len(r.result.batch) for r in returns)


def test_negative_rows_refused() -> None:
    with pytest.raises(ValueError, match="不能为负数"):
        list(generate_returns(-1))


def test_deterministic_for_a_seed() -> None:
    first, again = list(generate_returns(3000)), list(generate_returns(3000))
    assert [r.name for r in first] == [r.name for r in again]
    assert [r.data for r in first] == [r.data for r in again]
    for a, b in zip(first, again):
        pd.testing.assert_frame_equal(a.result.frame(), b.result.frame())
    other = list(generate_returns(3000, seed=316))
    assert [r.data for r in other] != [r.data for r in first]


def test_a_larger_set_begins_with_the_smaller_one() -> None:
    """Only the trimmed last return differs: benchmarks at 10k and 1M rows share their first files."""
    small, large = _returns(5000), _returns(23_457)
    assert [r.data for r in small[:-1]] == [r.data for r in large[: len(small) - 1]]


def _sample(returns: tuple[DemoReturn, ...], k: int = 20) -> list[DemoReturn]:
    picks = np.linspace(0, len(returns) - 1, k).round().astype(int).tolist()
    return [returns[i] for i in sorted(set(picks))]


@pytest.mark.parametrize("rows", [1, 7, 23_457])
def test_reader_gives_the_promised_reading(rows: int) -> None:
    """Every column the reader produces is known to the generator, so whole frames are compared:
    agency, sector, region, year, date, theme, activity, metric, value, unit, raw text and source cell."""
    sample = _sample(_returns(rows))
    assert sample[-1] is _returns(rows)[-1]  # the trimmed return is always checked
    for demo in sample:
        got = ingest_bytes(demo.data, demo.name)
        assert got.ok, got.error
        assert got.issues == [], (demo.name, got.issues)
        assert got.totals() == demo.result.totals()
        pd.testing.assert_frame_equal(got.frame(), demo.result.frame(), obj=demo.name)
        assert got.layouts == demo.result.layouts
        assert (got.stats.sheets, got.stats.rows, got.stats.records) == (
            demo.result.stats.sheets,
            demo.result.stats.rows,
            demo.result.stats.records,
        )


def test_each_record_names_its_csv_cell() -> None:
    demo = _returns(5000)[3]
    lines = demo.data.decode("utf-8-sig").splitlines()
    assert demo.data.startswith(b"\xef\xbb\xbf")
    for record in demo.result.records:
        sheet, cell = record.source.split("/", 1)[1].split("!")
        assert sheet == demo.name.removesuffix(".csv")
        col, row = ord(cell[0]) - 65, int(cell[1:]) - 1
        assert lines[row].split(",")[col] == record.raw


def test_resolved_never_exceeds_received() -> None:
    frame = _frame(23_457)
    complaints = frame[frame.metric.isin(["complaints_received", "complaints_resolved"])]
    table = complaints.pivot_table(index=["file", "row"], columns="metric", values="value", aggfunc="sum")
    assert len(table) > 100
    assert (table.complaints_resolved <= table.complaints_received).all()


def test_spread_over_places_sectors_activities_and_march() -> None:
    frame = _frame(23_457)
    assert frame.province.nunique() >= 15
    assert set(frame.province) <= set(DEMO_PROVINCES)
    assert frame.adcode.nunique() >= 150
    assert {"市场监管", "消委会", "银行", "保险", "烟草"} <= set(frame.sector)
    assert set(frame.activity) == set(ACTIVITIES)
    dates = pd.to_datetime(frame.date)
    assert (dates.dt.month == 3).all() and (dates.dt.year == frame.year).all()
    assert set(dates.dt.day) == set(range(1, 32))
    themes = frame[frame.sector != "银行"].groupby("year").theme.unique()
    assert {year: list(t) for year, t in themes.items()} == {y: [NATIONAL_THEMES[y]] for y in range(2021, 2026)}
    assert set(frame[frame.sector == "银行"].theme) == {"权利·责任·风险"}


def test_magnitudes_are_realistic() -> None:
    frame = _frame(23_457)
    per_row = frame.groupby("metric").value
    assert 300 <= per_row.median()["materials"] <= 5000
    assert per_row.max()["recovered_loss"] >= 1_000_000
    assert per_row.max()["events"] <= 60
    assert (frame.value >= 0).all() and (frame.value == frame.value.round()).all()
    assert set(frame[frame.metric == "destroyed_qty"].unit) == {"条", "千克"}


def test_growth_and_gaps_over_the_years() -> None:
    frame = _frame(23_457)
    materials = frame[frame.metric == "materials"].groupby("year").value.sum()
    assert materials[2025] > 1.15 * materials[2021]
    years_per_agency = frame.groupby("agency").year.unique()
    gaps = [a for a, ys in years_per_agency.items() if len(ys) < 5 and max(ys) == 2025]
    assert len(gaps) >= 3  # a few units joined late or skipped a year


def test_other_years() -> None:
    returns = list(generate_returns(2000, years=(2024, 2019)))
    for demo in returns:
        year = int(demo.result.batch.column("year")[0])
        assert year in (2019, 2024) and str(year) in demo.name
        assert set(demo.result.batch.column("theme")) <= {NATIONAL_THEMES[year], "权利·责任·风险"}
    assert {int(r.result.batch.column("year")[0]) for r in returns} == {2019, 2024}
