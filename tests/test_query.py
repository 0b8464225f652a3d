"""The dashboard's questions on a small hand-made facts frame, with hand-worked answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.analysis.query import (
    UNKNOWN,
    Filters,
    apply_filters,
    filters_from_params,
    kpis,
    measure_totals,
    missing_returns,
    options,
    outliers,
    pivot,
    report_year,
    resolved_exceeding,
)

ROWS = [
    # agency, sector, province, city, district, year, theme, activity, metric, value
    ("鄞州区消保委", "消委会", "浙江省", "宁波市", "鄞州区", 2023, "提振消费信心", "进社区", "materials", 1000),
    ("鄞州区消保委", "消委会", "浙江省", "宁波市", "鄞州区", 2024, "激发消费活力", "进社区", "materials", 1500),
    ("鄞州区消保委", "消委会", "浙江省", "宁波市", "鄞州区", 2024, "激发消费活力", None, "events", 4),
    ("海曙区市场监管局", "市场监管", "浙江省", "宁波市", "海曙区", 2024, None, "执法检查", "materials", 500),
    ("海曙区市场监管局", "市场监管", "浙江省", "宁波市", "海曙区", 2023, None, "执法检查", "materials", 300),
    ("鼓楼区消委会", "消委会", "福建省", "福州市", "鼓楼区", 2023, None, None, "materials", 200),
    ("鼓楼区消委会", "消委会", "福建省", "福州市", "鼓楼区", 2024, None, None, "complaints_received", 10),
    ("鼓楼区消委会", "消委会", "福建省", "福州市", "鼓楼区", 2024, None, None, "complaints_resolved", 12),
    ("无地区单位", "其他", None, None, None, 2024, None, None, "materials", 50),
]


@pytest.fixture
def frame() -> pd.DataFrame:
    cols = list(zip(*ROWS))
    names = ["agency", "sector", "province", "city", "district", "year", "theme", "activity", "metric", "value"]
    data = dict(zip(names, cols))
    out = pd.DataFrame({k: pd.Categorical(list(v)) for k, v in data.items() if k not in ("year", "value")})
    out["measure"] = out["metric"]
    out["year"] = np.array(data["year"], dtype=np.int32)
    out["value"] = np.array(data["value"], dtype=float)
    out["file"] = pd.Categorical(["f.xlsx"] * len(ROWS))
    return out


def test_filters_round_trip_through_the_url(frame):
    chosen = Filters(year=(2024,), province="浙江省", city="宁波市", sector=("消委会",), metric=("materials",))
    params = chosen.to_params()
    assert params == {"year": "2024", "sector": "消委会", "metric": "materials", "province": "浙江省", "city": "宁波市"}
    again, notes = filters_from_params(params, frame)
    assert again == chosen and notes == []


@pytest.mark.parametrize(
    "params, kept, note",
    [
        ({"year": "2024,abc"}, Filters(year=(2024,)), "abc"),
        ({"province": "火星"}, Filters(), "火星"),
        ({"province": "浙江省", "city": "福州市"}, Filters(province="浙江省"), "福州市"),  # not inside 浙江省
        ({"metric": "nope,events"}, Filters(metric=("events",)), "nope"),
        ({"agency": ["鄞州区消保委", "x"]}, Filters(agency=("鄞州区消保委",)), "x"),
    ],
)
def test_bad_link_values_are_dropped_with_a_note(frame, params, kept, note):
    got, notes = filters_from_params(params, frame)
    assert got == kept
    assert any(note in n for n in notes)


def test_filter_and_cascading_options(frame):
    view = apply_filters(frame, Filters(province="浙江省", year=(2024,)))
    assert view["value"].sum() == 1500 + 4 + 500
    opts = options(frame, Filters(province="浙江省"))
    assert opts["province"] == ["浙江省", "福建省"]
    assert opts["city"] == ["宁波市"]
    assert opts["district"] == []  # no city chosen yet
    assert options(frame, Filters(province="浙江省", city="宁波市"))["district"] == ["海曙区", "鄞州区"]


def test_missing_dimension_is_counted_as_unfilled_so_parts_add_up(frame):
    by_theme = measure_totals(frame, "materials", "theme")
    assert dict(zip(by_theme["theme"], by_theme["value"])) == {
        UNKNOWN: 500 + 300 + 200 + 50,
        "激发消费活力": 1500,
        "提振消费信心": 1000,
    }
    assert by_theme["value"].sum() == frame[frame["metric"] == "materials"]["value"].sum()


def test_kpis_show_the_latest_year_against_the_one_before(frame):
    tiles = {k.measure.key: k for k in kpis(frame, Filters())}
    assert tiles["materials"].year == 2024
    assert tiles["materials"].value == 1500 + 500 + 50
    assert tiles["materials"].previous == 1000 + 300 + 200
    scoped = {k.measure.key: k for k in kpis(frame, Filters(province="福建省"))}
    assert scoped["complaints_received"].value == 10 and scoped["complaints_received"].previous is None


def test_pivot_leaves_unreported_metrics_blank_and_adds_a_total_row(frame):
    table = pivot(frame, "agency")
    assert table.iloc[-1]["agency"] == "合计"
    row = table[table["agency"] == "海曙区市场监管局"].iloc[0]
    assert np.isnan(row["开展活动(场)"])
    assert table.iloc[-1]["发放宣传资料(份)"] == 1000 + 1500 + 500 + 300 + 200 + 50


def test_resolved_more_than_received_is_listed(frame):
    bad = resolved_exceeding(frame)
    assert bad.to_dict("records") == [
        {"agency": "鼓楼区消委会", "year": 2024, "file": "f.xlsx", "received": 10.0, "resolved": 12.0}
    ]


def test_outliers_catch_a_wan_slip_and_leave_growth_alone():
    years = [2021, 2022, 2023, 2024, 2021, 2022, 2023]
    frame = pd.DataFrame(
        {
            "agency": pd.Categorical(["甲"] * 4 + ["乙"] * 3),
            "measure": pd.Categorical(["materials"] * 7),
            "year": np.array(years, dtype=np.int32),
            "value": [1000, 1300, 1200, 12_000_000, 100, 150, 300],
        }
    )
    found = outliers(frame)
    assert found[["agency", "year"]].values.tolist() == [["甲", 2024]]
    assert found["ratio"].iloc[0] == pytest.approx(12_000_000 / 1200)  # median of 1000, 1300, 1200


def test_missing_returns_lists_last_years_reporters_absent_now(frame):
    assert missing_returns(frame, 2024) == []
    assert missing_returns(frame[frame["year"] != 2024], 2024) == ["海曙区市场监管局", "鄞州区消保委", "鼓楼区消委会"]


def test_small_counts_swinging_are_not_outliers():
    frame = pd.DataFrame(
        {
            "agency": pd.Categorical(["丙"] * 4),
            "measure": pd.Categorical(["complaints_received"] * 4),
            "year": np.array([2021, 2022, 2023, 2024], dtype=np.int32),
            "value": [1, 22, 20, 25],
        }
    )
    assert outliers(frame).empty
    assert len(outliers(frame, floor=10)) == 1  # the year with 1 against a median of 22


def test_kpis_compare_like_for_like_the_units_that_reported_both_years(frame):
    tiles = {k.measure.key: k for k in kpis(frame, Filters())}
    materials = tiles["materials"]
    # 2024: 鄞州, 海曙, 鼓楼, 无地区单位 reported; 2023: 鄞州, 海曙, 鼓楼. 无地区单位 is left out of the change.
    assert (materials.coverage.before, materials.coverage.now, materials.coverage.both) == (3, 4, 3)
    assert materials.same_now == 1500 + 500 and materials.same_before == 1000 + 300 + 200
    assert materials.change == pytest.approx((2000 - 1500) / 1500 * 100)
    assert (materials.value, materials.previous) == (2050, 1500)  # all units, for 全部单位同比


def test_kpis_refuse_a_change_when_under_half_of_last_years_units_reported(frame):
    # Only 鄞州 of last year's three reported 2024 in this cut: 1 of 3 is under half.
    cut = frame[(frame["agency"] == "鄞州区消保委").to_numpy() | (frame["year"] == 2023).to_numpy()]
    tile = next(k for k in kpis(cut, Filters(year=(2024,))) if k.measure.key == "materials")
    assert (tile.coverage.before, tile.coverage.both) == (3, 1)
    assert not tile.comparable and tile.change is None
    assert (tile.value, tile.previous) == (1500, 1500)


def test_report_year_steps_back_while_the_latest_year_is_incomplete(frame):
    assert report_year(frame).year == 2024  # 4 units in 2024, 3 in 2023
    extra = pd.DataFrame({"agency": pd.Categorical(["鄞州区消保委"]), "year": np.array([2025], dtype=np.int32)})
    thin = pd.concat([frame[["agency", "year"]], extra], ignore_index=True)
    thin["agency"] = thin["agency"].astype("category")
    choice = report_year(thin)  # 1 unit in 2025 against 4 in 2024
    assert (choice.year, choice.latest, choice.units_latest, choice.units_before) == (2024, 2025, 1, 4)
    assert choice.skipped
