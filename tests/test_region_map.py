"""What the maps show: a view's numbers under the chosen place, a round's rates, and the pages that draw them.

Expected sums are made from the records' own place names (province/city/district columns) or with SQL,
never through metrics.analysis.geo's unit lookup that the code under test uses.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics.analysis import maps
from metrics.analysis.query import Filters, apply_filters
from metrics.collection import campaigns as cp
from metrics.collection import completeness
from metrics.collection.completeness import rate_map
from metrics.core.fmt import format_metric
from metrics.reading.regions import default_gazetteer
from metrics.storage.samples import load_samples
from metrics.storage.store import Store
from tests.test_campaigns import HEADER, roster_rows, unit_return, xlsx
from tests.test_pages import ROOT, figures, no_exception, shown_year, sql_sums

GAZ = default_gazetteer()


def code_of(province: str, city: str | None = None, district: str | None = None) -> str:
    return next(r.adcode for r in GAZ.regions if (r.province, r.city, r.district) == (province, city, district))


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    path = tmp_path_factory.mktemp("maps") / "samples.db"
    store = Store(f"sqlite:///{path}")
    load_samples(store, who="测试")
    frame = store.facts().frame
    store.dispose()
    return path, frame


def by_names(frame: pd.DataFrame, measure: str, level: str, **place: str) -> dict[str, float]:
    """Sums per place name of ``level`` among the records inside ``place`` that name one."""
    rows = frame[(frame["measure"] == measure) & frame[level].notna()]
    for column, name in place.items():
        rows = rows[rows[column] == name]
    return rows.groupby(level, observed=True)["value"].sum().to_dict()


def test_national_map_is_every_province_sum_and_the_rest_adds_up(samples):
    _, frame = samples
    found = maps.region_map(frame, "events", Filters())
    assert (found.level, found.parent, found.focus) == ("province", None, None)
    expected = {code_of(name): value for name, value in by_names(frame, "events", "province").items()}
    assert found.values == pytest.approx(expected)
    assert found.total == pytest.approx(frame.loc[frame["measure"] == "events", "value"].sum())
    assert sum(found.values.values()) + found.left == pytest.approx(found.total)


def test_a_province_shows_its_cities_and_its_own_figures_are_left_aside(samples):
    _, frame = samples
    chosen = Filters(province="浙江省")
    found = maps.region_map(apply_filters(frame, chosen), "consultations", chosen)
    assert (found.level, found.parent.adcode) == ("city", "330000")
    expected = {
        code_of("浙江省", name): v for name, v in by_names(frame, "consultations", "city", province="浙江省").items()
    }
    assert found.values == pytest.approx(expected)
    rows = frame[(frame["measure"] == "consultations") & (frame["province"] == "浙江省")]
    assert found.left == pytest.approx(rows.loc[rows["city"].isna(), "value"].sum())
    assert found.total == pytest.approx(rows["value"].sum())


def test_a_city_shows_its_districts_and_a_district_stays_on_its_citys_map(samples):
    _, frame = samples
    city = Filters(province="浙江省", city="宁波市")
    found = maps.region_map(apply_filters(frame, city), "events", city)
    assert (found.level, found.parent.adcode, found.focus) == ("district", "330200", None)
    expected = {
        code_of("浙江省", "宁波市", d): v
        for d, v in by_names(frame, "events", "district", province="浙江省", city="宁波市").items()
    }
    assert found.values == pytest.approx(expected) and len(expected) == 10
    own = frame[(frame["measure"] == "events") & (frame["city"] == "宁波市") & frame["district"].isna()]
    assert found.left == pytest.approx(own["value"].sum())
    table = found.table()
    assert set(table["adcode"]) == {f["id"] for f in maps.geo.boundaries("district", "330200")["features"]}
    assert table["value"].dropna().tolist() == sorted(expected.values(), reverse=True)

    district = Filters(province="浙江省", city="宁波市", district="鄞州区")
    found = maps.region_map(apply_filters(frame, district), "events", district)
    assert (found.level, found.parent.adcode, found.focus.adcode) == ("district", "330200", "330212")
    assert found.values == pytest.approx({"330212": expected["330212"]})
    assert found.target({"location": "330212"}) is None  # the chosen place itself: nowhere further to go


def test_a_click_on_a_place_without_records_is_refused_by_the_page(samples):
    """A rate map colours 杭州 (expected units, no return yet), but the sidebar offers only places the
    records hold: the page says so instead of setting a filter the sidebar would drop."""
    from ui.common import selectable

    _, frame = samples
    assert selectable(GAZ.by_adcode(code_of("浙江省", "宁波市")), frame)
    assert selectable(GAZ.by_adcode(code_of("浙江省", "宁波市", "鄞州区")), frame)
    assert selectable(GAZ.by_adcode(code_of("浙江省")), frame)
    assert not selectable(GAZ.by_adcode(code_of("浙江省", "杭州市")), frame)
    assert not selectable(GAZ.by_adcode(code_of("广东省")), frame)


def test_clicks_lead_only_to_units_with_numbers(samples):
    _, frame = samples
    found = maps.region_map(frame, "events", Filters())
    zhejiang = found.target({"location": "330000", "customdata": ["浙江省", "81场", "330000"]})
    assert zhejiang is not None and maps.place_filters(zhejiang) == {
        "province": "浙江省",
        "city": None,
        "district": None,
    }
    assert found.target({"customdata": ["浙江省", "81场", "330000"]}) == zhejiang  # no location: customdata
    assert found.target({"location": "440000"}) is None  # 广东: no numbers, the sidebar could not select it
    assert found.target({"lon": 120.0, "lat": 30.0}) is None  # the sea line


MUNICIPAL = [  # (measure, value, adcode): 北京's districts, 北京's own office, 东莞 (a city with no districts)
    ("events", 3.0, "110105"),
    ("events", 4.0, "110108"),
    ("events", 5.0, "110000"),
    ("events", 7.0, "441900"),
    ("events", 2.0, "440305"),
    ("events", 1.0, None),
    ("materials", 99.0, "110105"),
]


def synthetic(rows=MUNICIPAL) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure": pd.Categorical([r[0] for r in rows]),
            "value": [r[1] for r in rows],
            "adcode": pd.Categorical([r[2] for r in rows]),
        }
    )


def test_a_municipality_draws_its_districts_and_a_city_without_districts_its_province():
    frame = synthetic()
    in_beijing = synthetic([r for r in MUNICIPAL if r[2] and r[2].startswith("11")])  # the view the sidebar gives
    beijing = maps.region_map(in_beijing, "events", Filters(province="北京市"))
    assert (beijing.level, beijing.parent.adcode) == ("district", "110000")
    assert beijing.values == {"110105": 3.0, "110108": 4.0} and beijing.left == 5.0 and beijing.total == 12.0
    # The records write 北京's districts under 北京市 twice; 北京市 chosen as the city is the province.
    same = maps.region_map(frame, "events", Filters(province="北京市", city="北京市"))
    assert (same.level, same.parent.adcode, same.values) == ("district", "110000", beijing.values)
    chaoyang = maps.region_map(frame, "events", Filters(province="北京市", city="北京市", district="朝阳区"))
    assert (chaoyang.parent.adcode, chaoyang.focus.adcode) == ("110000", "110105")
    assert [r.name for r in maps.trail(chaoyang.focus)] == ["北京市", "朝阳区"]

    dongguan = maps.region_map(frame, "events", Filters(province="广东省", city="东莞市"))
    assert (dongguan.level, dongguan.parent.adcode, dongguan.focus.adcode) == ("city", "440000", "441900")
    assert dongguan.values == {"441900": 7.0, "440300": 2.0}

    country = maps.region_map(frame, "events", Filters())
    assert country.values == {"110000": 12.0, "440000": 9.0} and country.left == 1.0  # the record with no place


def test_an_unknown_place_is_refused_by_name():
    with pytest.raises(maps.UnknownPlace, match="火星省"):
        maps.region_map(synthetic(), "events", Filters(province="火星省"))


def test_an_empty_view_draws_a_grey_map_and_no_numbers():
    found = maps.region_map(synthetic([("materials", 1.0, "110105")]), "events", Filters())
    assert found.values == {} and found.total == 0.0 and found.left == 0.0
    fig = found.figure(title="t", unit="场")
    assert [t.type for t in fig.data if t.type == "choropleth"] == ["choropleth", "choropleth"]  # main map + inset
    assert found.table()["value"].isna().all()


# ---- a round's rates on the map ------------------------------------------------------------------


@pytest.fixture
def round_store(tmp_path):
    path = tmp_path / "round.db"
    store = Store(f"sqlite:///{path}")
    campaign = cp.create_campaign(store, name="2025年3·15活动情况报送", year=2025, due="2025-03-25")
    cp.import_roster(store, campaign.id, xlsx([HEADER, *roster_rows()]), "名单.xlsx")
    units = {u.name: u for u in cp.roster(store, campaign.id)}
    reported = ["宁波市海曙区市场监督管理局", "宁波市海曙区消费者权益保护委员会", "宁波市鄞州区烟草专卖局"]
    for i, name in enumerate(reported):
        outcome = cp.submit_return(store, campaign.id, unit_return(name, 3 + i), f"{i}.xlsx")
        assert outcome.status == "submitted", outcome
    outcome = cp.submit_return(store, campaign.id, unit_return("福州市鼓楼区司法局", 2, place="福州市"), "f.xlsx")
    assert outcome.status == "submitted", outcome
    yield store, campaign, units, path
    store.dispose()


def sql_counts(path, like: str) -> tuple[int, int]:
    """(expected, reported) of the roster units whose name starts with ``like``, counted in SQL."""
    with sqlite3.connect(path) as conn:
        expected = conn.execute("SELECT COUNT(*) FROM roster_units WHERE name LIKE ?", (f"{like}%",)).fetchone()[0]
        reported = conn.execute(
            "SELECT COUNT(DISTINCT r.id) FROM roster_units r JOIN unit_events e ON e.unit_id = r.id "
            "WHERE r.name LIKE ? AND e.action = 'submit'",
            (f"{like}%",),
        ).fetchone()[0]
    return expected, reported


def test_rate_map_counts_each_units_roster(round_store):
    store, campaign, _, path = round_store
    report = completeness.build(store, campaign.id)
    country, rates = rate_map(report, Filters(), "reporting_rate")
    assert country.level == "province" and country.total == 50 and country.left == 0
    zj_expected = sum(sql_counts(path, p)[0] for p in ("宁波市", "杭州市"))
    zj_reported = sum(sql_counts(path, p)[1] for p in ("宁波市", "杭州市"))
    assert (rates["330000"].expected, rates["330000"].reported) == (zj_expected, zj_reported) == (40, 3)
    assert (rates["350000"].expected, rates["350000"].reported) == sql_counts(path, "福州市") == (10, 1)
    assert country.values == {"330000": 7.5, "350000": 10.0}

    ningbo, rates = rate_map(report, Filters(province="浙江省", city="宁波市"), "reporting_rate")
    assert ningbo.level == "district" and ningbo.total == 25
    assert {GAZ.by_adcode(c).district: (r.expected, r.reported) for c, r in rates.items()} == {
        d: sql_counts(path, f"宁波市{d}") for d in ("海曙区", "鄞州区", "北仑区", "镇海区", "江北区")
    }
    assert ningbo.values["330203"] == 40.0 and ningbo.values["330212"] == 20.0 and ningbo.values["330206"] == 0.0


# ---- the pages -----------------------------------------------------------------------------------


def sql_events(db, **place) -> float:
    where = "".join(f" AND g.{k} = ?" for k in place)
    with sqlite3.connect(db) as conn:
        return (
            conn.execute(
                "SELECT SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id JOIN terms m ON "
                "m.id = r.metric_id AND m.kind = 'metric' LEFT JOIN regions g ON g.id = r.region_id "
                f"WHERE s.status = 'active' AND m.text = 'events' {where}",
                tuple(place.values()),
            ).fetchone()[0]
            or 0.0
        )


def open_regions(db_path, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{db_path}")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    at = app.run()
    at.switch_page("app_pages/regions.py").run()
    no_exception(at)
    return at


def map_spec(at: AppTest, level: str) -> dict:
    (spec,) = [s for title, s in figures(at).items() if title.endswith(f"按{level}分布")]
    return spec


def map_table(at: AppTest, level: str) -> pd.DataFrame:
    """The table beside the map: its first row is the total."""
    return next(
        d.value for d in at.dataframe if d.value.columns[0] == level and d.value.iloc[0, 0] in ("合计", "Total")
    )


def test_regions_page_map_and_numbers_equal_sql(samples, monkeypatch):
    db, _ = samples
    at = open_regions(db, monkeypatch, province="浙江省")
    spec = map_spec(at, "城市")
    valued = [t for t in spec["data"] if t["type"] == "choropleth" and t.get("coloraxis")]
    assert [(loc, z) for t in valued for loc, z in zip(t["locations"], t["z"])] == [
        ("330200", sql_events(db, province="浙江省", city="宁波市"))
    ]
    table = map_table(at, "城市")
    assert table.iloc[0].tolist() == ["合计", f"{sql_events(db, province='浙江省'):,.0f}场"]
    assert table["城市"].tolist() == ["合计", "宁波市"]  # the grey cities are counted, not listed
    assert "图中灰色的 10 个城市没有数字。" in [c.value for c in at.caption]
    assert "示意图,不作为权属依据" in [a["text"] for a in spec["layout"]["annotations"]]
    assert [b.label for b in at.button if b.key and b.key.startswith("regions_map_up_")] == ["全国", "浙江省"]


def test_the_path_goes_back_up_and_the_url_follows(samples, monkeypatch):
    db, _ = samples
    at = open_regions(db, monkeypatch, province="浙江省", city="宁波市", district="鄞州区")
    assert "已选到「鄞州区」" in " ".join(c.value for c in at.caption)
    assert [b.label for b in at.button if b.key and b.key.startswith("regions_map_up_")] == [
        "全国",
        "浙江省",
        "宁波市",
        "鄞州区",
    ]
    at.button(key="regions_map_up_2").click().run()  # 宁波市
    no_exception(at)
    assert at.query_params.get("city") == "宁波市" and "district" not in at.query_params
    map_spec(at, "区县")
    at.button(key="regions_map_up_0").click().run()  # 全国
    no_exception(at)
    assert "province" not in at.query_params
    table = map_table(at, "省份")
    assert table.iloc[0].tolist() == ["合计", f"{sql_events(db):,.0f}场"]


def test_regions_page_shows_a_rounds_reporting_rate_on_the_map(round_store, monkeypatch):
    _, _, _, path = round_store
    at = open_regions(path, monkeypatch, province="浙江省")
    at.radio(key="regions_map_show").set_value("rate").run()
    no_exception(at)
    (title,) = [t for t in figures(at) if "报送率" in t]
    assert title.endswith("按城市分布")
    table = next(d.value for d in at.dataframe if "报送率" in d.value.columns)
    rows = {r["城市"]: (r["应报"], r["已报"], r["报送率"]) for _, r in table.iterrows()}
    assert rows == {"宁波市": (25, 3, "12.0%"), "杭州市": (15, 0, "0.0%")}  # cities with expected units only


def test_overview_has_the_map_and_english_labels(samples, monkeypatch):
    db, _ = samples
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{db}")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["lang"] = "en"
    at = app.run()
    no_exception(at)
    (spec,) = [s for title, s in figures(at).items() if "by Province" in title]
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert any("schematic map" in n for n in notes) and "South China Sea Islands" in notes
    table = map_table(at, "Province")
    year = shown_year(db)  # the overview's map is of the tiles' year, as its other charts
    total = sql_sums(db, "events", where="AND r.year = ?", params=(year,))["all"]
    assert table.iloc[0].tolist() == ["Total", format_metric(total, "场", lang="en")]
    assert str(year) in next(t for t in figures(at) if "by Province" in t)


def test_a_negative_place_total_gets_a_note_not_a_crash(tmp_path, monkeypatch):
    """A 冲减 return (negative, kept after review) has no area in a treemap: the page says so; map and
    ranking still show every place, the negative one included."""
    path = tmp_path / "neg.db"
    store = Store(f"sqlite:///{path}")
    for name, events in (("宁波市鄞州区消费者权益保护委员会", -5), ("宁波市海曙区消费者权益保护委员会", 3)):
        _, outcome = store.import_bytes(unit_return(name, events), f"{name}.xlsx", who="测试")
        assert outcome.status == "imported"
    store.dispose()
    at = open_regions(path, monkeypatch, province="浙江省", city="宁波市")
    assert any("合计为负数" in i.value for i in at.info)
    table = map_table(at, "区县")
    assert table.values.tolist() == [["合计", "-2场"], ["海曙区", "3场"], ["鄞州区", "-5场"]]


def test_an_accounts_home_is_the_smallest_region_holding_its_scope():
    gaz = default_gazetteer()
    shenzhen, guangzhou = gaz.by_adcode("440300"), gaz.by_adcode("440100")
    assert maps.home_place(["440300"]) == shenzhen
    assert maps.home_place(["440300", "440305"]) == shenzhen  # a city and one of its districts
    assert maps.home_place(["440300", "440100"]) == gaz.by_adcode("440000")
    assert maps.home_place(["440300", "330200"]) is None  # two provinces: the whole country
    assert maps.home_place([]) is None
    assert maps.home_place(["999999"]) is None
    assert guangzhou is not None and guangzhou.name == "广州市"


def test_a_map_starts_at_home_unless_a_place_inside_it_is_chosen():
    shenzhen = default_gazetteer().by_adcode("440300")
    assert shenzhen is not None
    assert maps.at_home(Filters(year=(2025,)), shenzhen) == Filters(year=(2025,), province="广东省", city="深圳市")
    assert maps.at_home(Filters(province="广东省"), shenzhen) == Filters(province="广东省", city="深圳市")
    inside = Filters(province="广东省", city="深圳市", district="南山区")
    assert maps.at_home(inside, shenzhen) == inside
    assert maps.at_home(Filters(), None) == Filters()
