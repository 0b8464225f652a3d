"""Every page through AppTest on a real store, the numbers shown checked against plain SQL on that store.

The SQL here is written independently of metrics/storage/facts.py and metrics/analysis/query.py: it joins the narrow
records table to its terms the long way and sums, as an auditor would.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.core.fmt import format_metric
from metrics.reading.ingest import Overrides
from metrics.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"
FILES = (
    "city_summary.xlsx",
    "county_activities.xlsx",
    "gbk.csv",
    "legacy.xls",
    "vertical_form.xlsx",
    "years_across.xlsx",
    "stacked_tables.xlsx",
    "problems.xlsx",
    "sheet_per_agency.xlsx",
)

_SUMS = """
SELECT {key} AS key, SUM(r.value) AS total
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id
LEFT JOIN terms ag ON ag.id = r.agency_id
LEFT JOIN terms se ON se.id = r.sector_id
LEFT JOIN terms th ON th.id = r.theme_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND m.text = ? {where}
GROUP BY {key}
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "store.db"
    store = Store(f"sqlite:///{path}")
    for name in FILES:
        # problems.xlsx states no year: the upload page's correction gives it one.
        fix = Overrides(year=2023) if name == "problems.xlsx" else None
        _, outcome = store.import_bytes((LAYOUTS / name).read_bytes(), name, who="测试", overrides=fix)
        assert outcome.status == "imported", (name, outcome.message)
    store.dispose()
    return path


@pytest.fixture
def app(db, monkeypatch):
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{db}")
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def sql_sums(db: Path, metric: str, key: str = "'all'", where: str = "", params: tuple = ()) -> dict:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(_SUMS.format(key=key, where=where), (metric, *params)).fetchall()
    return {k: v for k, v in rows}


def figures(at: AppTest) -> dict[str, dict]:
    out = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def bar_values(spec: dict) -> dict[str, float]:
    bar = spec["data"][0]
    labels = [c[0] for c in bar["customdata"]]
    values = bar["x"] if bar.get("orientation") == "h" else bar["y"]
    return dict(zip(labels, values))


def latest_year(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT MAX(year) FROM records r JOIN submissions s ON s.id = r.submission_id WHERE s.status = 'active'"
        ).fetchone()[0]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def agencies_by_year(db: Path, where: str = "", params: tuple = ()) -> dict[int, set]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT r.year, r.agency_id FROM records r JOIN submissions s ON s.id = r.submission_id "
            "LEFT JOIN regions g ON g.id = r.region_id WHERE s.status = 'active' "
            f"AND r.year IS NOT NULL AND r.agency_id IS NOT NULL {where}",
            params,
        ).fetchall()
    out: dict[int, set] = {}
    for year, agency in rows:
        out.setdefault(year, set()).add(agency)
    return out


def shown_year(db: Path) -> int:
    """The latest year, unless fewer than half as many agencies reported it as the year before."""
    units = agencies_by_year(db)
    latest = max(units)
    return latest - 1 if 2 * len(units[latest]) < len(units.get(latest - 1, ())) else latest


def test_overview_tiles_equal_sql_for_the_shown_year_and_refuse_a_thin_comparison(app, db):
    at = app.run()
    no_exception(at)
    year = shown_year(db)
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles, "no KPI tiles"
    for label, metric, unit in (
        ("开展活动", "events", "场"),
        ("发放宣传资料", "materials", "份"),
        ("受理投诉举报", "complaints_received", "件"),
    ):
        now = sql_sums(db, metric, where="AND r.year = ?", params=(year,))
        assert tiles[label][0] == format_metric(now.get("all", 0), unit)
    # The fixture's returns for the year before come mostly from other units: no percent, a note instead.
    units = agencies_by_year(db)
    both = units[year] & units[year - 1]
    assert 2 * len(both) < len(units[year - 1])
    assert all(not m.delta for m in at.metric)
    assert f"仅{len(units[year - 1])}家中{len(both)}家报送,暂不比较" in [c.value for c in at.caption]


def test_overview_compares_the_units_that_reported_both_years(app, db):
    agencies = ("九江市市场监督管理局", "鼓楼区市场监管局")
    app.query_params["agency"] = ",".join(agencies)
    at = app.run()
    no_exception(at)
    where = "AND r.agency_id IN (SELECT id FROM terms WHERE text IN (?, ?))"
    units = agencies_by_year(db, where, agencies)
    latest = max(units)
    year = latest - 1 if 2 * len(units[latest]) < len(units.get(latest - 1, ())) else latest
    both = units[year] & units[year - 1]
    assert 2 * len(both) >= len(units[year - 1]) and both != units[year - 1]
    same = f"AND r.agency_id IN ({','.join(str(a) for a in both)})"
    now = sql_sums(db, "events", where=f"AND r.year = ? {same}", params=(year,))["all"]
    before = sql_sums(db, "events", where=f"AND r.year = ? {same}", params=(year - 1,))["all"]
    change = (now - before) / before * 100
    tile = next(m for m in at.metric if m.label == "开展活动")
    assert tile.delta == f"{'+' if change > 0 else '-'}{abs(change):.1f}%"
    captions = [c.value for c in at.caption]
    assert f"{len(units[year - 1])}家中{len(both)}家已报,同口径比较" in captions
    everyone = sql_sums(db, "events", where=f"AND r.year = ? {where}", params=(year - 1, *agencies))["all"]
    total = sql_sums(db, "events", where=f"AND r.year = ? {where}", params=(year, *agencies))["all"]
    all_change = (total - everyone) / everyone * 100
    assert f"{abs(all_change):.1f}%" != f"{abs(change):.1f}%"
    assert any(c.startswith("全部单位:") and c.endswith(f"{abs(all_change):.1f}%") for c in captions)


def test_overview_arrows_point_the_way_the_numbers_went(app, db):
    from streamlit.proto.Metric_pb2 import Metric

    app.query_params["agency"] = "九江市市场监督管理局"  # reported every year: its tiles compare
    at = app.run()
    changed = [m for m in at.metric if m.delta]
    assert changed, "no tile compares with the year before"
    for tile in changed:
        fell = tile.delta[0] in "-−"
        assert (tile.proto.direction == Metric.MetricDirection.DOWN) == fell, (tile.label, tile.delta)


def test_overview_charts_are_for_the_tiles_year_and_say_so(app, db):
    at = app.run()
    figs = figures(at)
    year = shown_year(db)
    sector = next(spec for title, spec in figs.items() if "按系统" in title)
    expected = sql_sums(db, "events", key="se.text", where="AND r.year = ?", params=(year,))
    assert bar_values(sector) == pytest.approx({k or "(未填写)": v for k, v in expected.items()})
    region = next(spec for title, spec in figs.items() if "按地区" in title)
    expected = sql_sums(db, "events", key="g.province", where="AND r.year = ?", params=(year,))
    assert bar_values(region) == pytest.approx({k or "(未填写)": v for k, v in expected.items()})
    assert "万" in "".join(region["layout"]["xaxis"].get("ticktext", [])) or max(expected.values()) < 10000
    titles = list(figs)
    assert f"{year}年 开展活动 按系统" in titles and f"{year}年 开展活动 按地区" in titles
    years = sorted(sql_sums(db, "events", key="r.year"))
    assert f"{years[0]}—{years[-1]}年 开展活动 按年度" in titles
    if year != max(agencies_by_year(db)):
        assert any(f"默认显示{year}年" in i.value for i in at.info)


def test_link_with_filters_reopens_the_view_and_bad_values_are_noted(app, db):
    year = latest_year(db)
    app.query_params["year"] = str(year)
    app.query_params["province"] = "浙江省"
    app.query_params["agency"] = "不存在的单位"
    at = app.run()
    no_exception(at)
    assert any("不存在的单位" in w.value for w in at.sidebar.warning)
    tiles = {m.label: m.value for m in at.metric}
    now = sql_sums(db, "events", where="AND r.year = ? AND g.province = ?", params=(year, "浙江省"))
    assert tiles["开展活动"] == format_metric(now["all"], "场")
    assert at.query_params["province"] == ["浙江省"] or at.query_params["province"] == "浙江省"


def test_garbage_in_the_link_never_crashes(app):
    for key, value in (("year", "二〇二四,;DROP"), ("city", "<script>"), ("metric", "nope"), ("lang", "xx")):
        app.query_params[key] = value
    at = app.run()
    no_exception(at)
    assert at.title[0].value == "总览"


def test_agency_ranking_equals_sql(app, db):
    at = app.run()
    at.switch_page("app_pages/agencies.py").run()
    no_exception(at)
    ranking = next(spec for title, spec in figures(at).items() if "单位排名" in title)
    expected = sorted(sql_sums(db, "events", key="ag.text").items(), key=lambda kv: -kv[1])[:20]
    assert bar_values(ranking) == pytest.approx(dict(expected))


def test_themes_page_counts_records_without_theme_as_unfilled(app, db):
    at = app.run()
    at.switch_page("app_pages/themes.py").run()
    no_exception(at)
    by_theme = next(spec for title, spec in figures(at).items() if "按主题" in title)
    expected = {k or "(未填写)": v for k, v in sql_sums(db, "events", key="th.text").items()}
    assert bar_values(by_theme) == pytest.approx(expected)


def test_regions_page_ranks_provinces_and_drills_down(app, db):
    at = app.run()
    at.switch_page("app_pages/regions.py").run()
    no_exception(at)
    ranked = next(spec for title, spec in figures(at).items() if "排名" in title)
    expected = {k or "(未填写)": v for k, v in sql_sums(db, "events", key="g.province").items()}
    assert bar_values(ranked) == pytest.approx(expected)
    tree = next(spec for title, spec in figures(at).items() if "地区分布" in title)["data"][0]
    roots = {lab: v for lab, v, parent in zip(tree["labels"], tree["values"], tree["parents"]) if not parent}
    assert roots == pytest.approx({k: v for k, v in expected.items() if k != "(未填写)"})
    # Choosing a province in the sidebar (on the overview) and moving to this page ranks its cities.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    province = at.selectbox(key="f_province")
    province.select_index(province.options.index("浙江省")).run()
    at.switch_page("app_pages/regions.py").run()
    no_exception(at)
    ranked = next(spec for title, spec in figures(at).items() if "排名" in title)
    expected = sql_sums(db, "events", key="g.city", where="AND g.province = ?", params=("浙江省",))
    assert bar_values(ranked) == pytest.approx({k or "(未填写)": v for k, v in expected.items()})


def test_trends_by_year_equal_sql(app, db):
    at = app.run()
    at.switch_page("app_pages/trends.py").run()
    no_exception(at)
    line = next(spec for title, spec in figures(at).items() if "历年" in title)["data"][0]
    got = {int(x): y for x, y in zip(line["x"], line["y"])}
    assert got == pytest.approx({int(k): v for k, v in sql_sums(db, "events", key="r.year").items()})


def test_quality_page_lists_every_open_issue(app, db):
    at = app.run()
    at.switch_page("app_pages/quality.py").run()
    no_exception(at)
    with sqlite3.connect(db) as conn:
        counts = dict(
            conn.execute(
                "SELECT level, COUNT(*) FROM issues i JOIN submissions s ON s.id = i.submission_id "
                "WHERE s.status = 'active' GROUP BY level"
            ).fetchall()
        )
    labels = [tab.label for tab in at.tabs]
    assert f"错误 ({counts.get('error', 0)})" in labels
    assert f"警告 ({counts.get('warning', 0)})" in labels


def test_details_page_counts_records_and_deletes_and_restores(app, db):
    at = app.run()
    at.switch_page("app_pages/details.py").run()
    no_exception(at)
    with sqlite3.connect(db) as conn:
        total = conn.execute(
            "SELECT COUNT(*) FROM records r JOIN submissions s ON s.id = r.submission_id WHERE s.status = 'active'"
        ).fetchone()[0]
    assert any(f"{total:,} 条记录" in c.value for c in at.caption)
    sources = at.dataframe[0].value["来源单元格"].tolist()
    assert all("!" in s for s in sources)
    picked = at.selectbox(key="details_pick").value
    at.button(key="details_delete").click().run()
    no_exception(at)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM submissions WHERE id = ?", (picked,)).fetchone()[0] == "deleted"
    at.selectbox(key="details_pick").set_value(picked).run()
    at.button(key="details_restore").click().run()
    no_exception(at)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM submissions WHERE id = ?", (picked,)).fetchone()[0] == "active"


def test_english_switch(app):
    app.query_params["lang"] = "en"
    at = app.run()
    no_exception(at)
    assert at.title[0].value == "Overview"


def test_upload_preview_correct_and_import(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'up.db'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    no_exception(at)
    data = (LAYOUTS / "county_activities.xlsx").read_bytes()
    at.file_uploader(key="uploader").upload(
        "county_activities.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ).run()
    no_exception(at)
    assert any("新报表" in i.value for i in at.info)
    at.button(key="upload_confirm").click().run()
    no_exception(at)
    store = Store(url)
    subs = store.submissions()
    assert [s["file_name"] for s in subs] == ["county_activities.xlsx"]
    assert store.facts().frame["value"].sum() == pytest.approx(
        sum(v for v in store.replay(subs[0]["id"]).totals().values())
    )
    # The file still in the uploader is recognised as the one just imported, not stored twice.
    assert any(f"已成功导入,保存为第 {subs[0]['id']} 号报表" in s.value for s in at.success)
    assert len(store.facts()) == subs[0]["n_records"]


def test_upload_correction_rereads_then_imports(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fix.db'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploader").upload(
        "problems.xlsx", (LAYOUTS / "problems.xlsx").read_bytes(), "application/octet-stream"
    ).run()
    no_exception(at)
    # No year anywhere in the file: the store refuses it, the page says what to do.
    assert any("找不到年度" in e.value for e in at.error)
    assert at.button(key="upload_confirm").disabled
    at.number_input[0].set_value(2023)
    at.button[0].click().run()  # the form's 重新读取 (the only form button)
    no_exception(at)
    assert any("新报表" in i.value for i in at.info)
    at.button(key="upload_confirm").click().run()
    no_exception(at)
    store = Store(url)
    [sub] = store.submissions()
    assert sub["years"] == "2023"
    assert json.loads(sub["overrides"]) == {"year": 2023}
    # The stored original replays to the same records with the stored correction.
    assert store.replay(sub["id"]).totals() == pytest.approx(
        dict(store.facts().frame.groupby("measure", observed=True)["value"].sum())
    )


def test_empty_store_offers_the_samples(tmp_path, monkeypatch):
    from metrics.storage.samples import sample_files

    if not sample_files():
        pytest.skip("data/samples/ holds no returns yet")
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    no_exception(at)
    assert not at.metric
    at.button(key="load_samples").click().run()
    no_exception(at)
    subs = Store(url).submissions()
    assert len(subs) == len(sample_files())
    assert at.metric, "the overview shows tiles once the samples are in"


def _return(materials: int) -> bytes:
    """A small county return of 鄞州区消保委 for 2024 whose 发放宣传资料 total is ``materials``."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["2024年“3·15”国际消费者权益日活动情况统计表"])
    sheet.append(["填报单位:宁波市鄞州区消保委"])
    sheet.append(["活动形式", "开展活动(场)", "发放宣传资料(份)"])
    sheet.append(["进社区", 3, materials - 100])
    sheet.append(["进校园", 2, 100])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_new_version_shows_its_differences_then_replaces_the_old(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'sup.db'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    store = Store(url)
    _, first = store.import_bytes(_return(1000), "鄞州区2024.xlsx")
    assert first.status == "imported"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploader").upload("鄞州区2024(更正).xlsx", _return(1600), "application/octet-stream").run()
    no_exception(at)
    assert any("将替换" in w.value and "鄞州区2024.xlsx" in w.value for w in at.warning)
    diff = next(d.value for d in at.dataframe if "原值" in d.value.columns)
    row = diff[diff["指标"] == "发放宣传资料"].iloc[0]
    assert (row["原值"], row["新值"], row["变化"]) == ("1,000份", "1,600份", "600份")
    at.button(key="upload_confirm").click().run()
    no_exception(at)
    statuses = {s["file_name"]: s["status"] for s in store.submissions()}
    assert statuses == {"鄞州区2024.xlsx": "superseded", "鄞州区2024(更正).xlsx": "active"}
    assert store.facts().frame.query("metric == 'materials'")["value"].sum() == 1600


SUMMARY = (
    "宁波市鄞州区消费者权益保护委员会“3·15”活动<b>总结</b><script>alert(1)</script>\n"
    "活动当天发放宣传资料2000余份,接受咨询300人次,受理投诉12起,办结11起。"
)


def _year_input(at: AppTest, report: int = 0):
    return next(
        w for w in at.number_input if w.key and w.key.startswith("summary_") and w.key.endswith(f"_{report}_year")
    )


def test_summary_tab_highlights_asks_for_the_year_then_imports(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'sum.db'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    at.text_area(key="summary_paste").input(SUMMARY).run()
    no_exception(at)
    (page,) = [h.proto.body for h in at.get("html")]
    assert page.count("<mark") == 4 and "&lt;script&gt;" in page and "<script>" not in page and "<b>" not in page
    assert ">2000余份</mark>" in page
    # The text names no year: the import waits for one, with a message saying where.
    assert any("缺少年度" in w.value for w in at.warning) and at.button(key="summary_confirm").disabled
    assert [w.value for w in at.text_input if w.key and w.key.endswith("_0_agency")] == [
        "宁波市鄞州区消费者权益保护委员会"
    ]
    _year_input(at).set_value(2025).run()
    assert any("新报表,4 条记录" in i.value for i in at.info)
    at.button(key="summary_confirm").click().run()
    no_exception(at)
    assert any("已导入 4 条记录" in s.value for s in at.success)
    store = Store(url)
    frame = store.facts().frame
    assert frame.groupby("metric", observed=True)["value"].sum().to_dict() == {
        "materials": 2000,
        "consultations": 300,
        "complaints_received": 12,
        "complaints_resolved": 11,
    }
    (sub,) = store.submissions()
    assert sub["file_name"].startswith("宁波市鄞州区消费者权益保护委员会-") and sub["file_name"].endswith(".txt")
    assert store.original(sub["id"])[1] == SUMMARY.encode("utf-8")
    assert set(frame["year"]) == {2025} and set(frame["district"].astype(str)) == {"鄞州区"}
    # The page now says the same review is already stored.
    assert at.button(key="summary_confirm").disabled
    # Another text: the earlier import's result is not shown against it.
    at.text_area(key="summary_paste").input("某县消费者协会2024年受理投诉3起。").run()
    assert not any("已导入 4 条记录" in s.value for s in at.success)


def test_summary_tab_reads_a_docx_and_refuses_a_broken_one(tmp_path, monkeypatch):
    import io

    from docx import Document

    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{tmp_path / 'docx.db'}")
    document = Document()
    document.add_paragraph("丽水市消费者协会2024年“3·15”活动总结")
    document.add_paragraph("共受理投诉86件,为消费者挽回经济损失21.4万元。")
    buffer = io.BytesIO()
    document.save(buffer)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="summary_file").upload("丽水.docx", buffer.getvalue(), "application/octet-stream").run()
    no_exception(at)
    assert any("新报表,2 条记录" in i.value for i in at.info)
    at.file_uploader(key="summary_file").upload("坏.docx", b"PK\x03\x04 broken", "application/octet-stream").run()
    no_exception(at)
    assert any("无法读取" in e.value and "坏.docx" in e.value for e in at.error)


def test_summary_review_table_edits_become_the_review():
    import pandas as pd

    from metrics.narrative import review as sr
    from ui.summary_tab import _review, highlighted

    fields = [sr.ReportFields(agency="某县消费者协会", year=2024)]
    rows = pd.DataFrame(
        {
            "accept": [True, False, True],
            "report": ["全文"] * 3,
            "metric": ["发放宣传资料", "接受咨询", "志愿者人数"],
            "value": [2100.0, 300.0, 25.0],
            "start": pd.array([10, 20, None], dtype="Int64"),
            "end": pd.array([16, 25, None], dtype="Int64"),
            "approx": ["at_least", None, None],
        }
    )
    review = _review(
        fields, rows, ["全文"], {"发放宣传资料": "materials", "接受咨询": "consultations", "志愿者人数": "volunteers"}
    )
    assert [(r.metric, r.value, r.accepted, r.start) for r in review.rows] == [
        ("materials", 2100, True, 10),
        ("consultations", 300, False, 20),
        ("volunteers", 25, True, None),
    ]
    text = "活动当天共发放宣传资料2000余份,接受咨询300人次。"
    marked = highlighted(text, review, {"materials": "发放宣传资料"})
    assert marked.count("<mark") == 2 and "line-through" in marked


def test_briefing_page_drafts_from_the_numbers_and_keeps_edits(app, db):
    at = app.run()
    at.switch_page("app_pages/briefing.py").run()
    no_exception(at)
    year = shown_year(db)
    summary = at.text_area(key="briefing_summary").value
    events = sql_sums(db, "events", where="AND r.year = ?", params=(year,))["all"]
    assert summary.startswith(f"{year}年“3·15”期间") and f"开展各类宣传活动{format_metric(events, '场')}" in summary
    assert at.multiselect(key="briefing_measures").value[:2] == ["events", "materials"]
    assert len(at.get("download_button")) >= 4  # PPTX, XLSX, DOCX, HTML (plus none from charts here)
    traced = at.dataframe[0].value
    assert format_metric(events, "场") in traced["摘要中的写法"].tolist()
    at.text_area(key="briefing_summary").input("领导审阅后改写的摘要。").run()
    at.multiselect(key="briefing_breakdowns").unselect("agency").run()
    no_exception(at)
    assert at.text_area(key="briefing_summary").value == "领导审阅后改写的摘要。"  # edits survive reruns
    assert any("共 9 张图表" in c.value for c in at.caption)
    at.button(key="briefing_redraft").click().run()
    assert at.text_area(key="briefing_summary").value == summary


def test_briefing_page_follows_the_sidebar_scope(app, db):
    with sqlite3.connect(db) as conn:
        province = conn.execute(
            "SELECT g.province FROM records r JOIN regions g ON g.id = r.region_id "
            "GROUP BY g.province ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]
    app.query_params["province"] = province
    at = app.run()
    at.switch_page("app_pages/briefing.py").run()
    no_exception(at)
    assert province in at.text_input(key="briefing_name").value
    assert province in at.text_area(key="briefing_summary").value


def test_briefing_page_map_toggle_is_on_by_default_and_says_why_to_turn_it_off(app, db):
    from metrics.analysis.maps import NOTE_ZH

    at = app.run()
    at.switch_page("app_pages/briefing.py").run()
    no_exception(at)
    toggle = at.toggle(key="briefing_maps")
    assert toggle.value is True and toggle.label == "加入地区分布地图"
    assert NOTE_ZH in toggle.help and "审图号" in toggle.help and "对外发布" in toggle.help
    with sqlite3.connect(db) as conn:  # the pack's year, mapped by province: do any of its records name one?
        placed = conn.execute(
            "SELECT COUNT(*) FROM records r JOIN regions g ON g.id = r.region_id WHERE r.year = ? AND g.province != ''",
            (shown_year(db),),
        ).fetchone()[0]
    assert placed > 0
    assert "地图:开展活动(场)(所选的第一个指标)按省份分布,与其余内容同一范围、同一年度。" in [
        c.value for c in at.caption
    ]
    toggle.set_value(False).run()
    no_exception(at)
    assert at.toggle(key="briefing_maps").value is False
    assert not any(c.value.startswith("地图:") for c in at.caption)
    assert len(at.get("download_button")) == 4  # the packs are still offered, without the map
    at.toggle(key="briefing_maps").set_value(True).run()
    assert any(c.value.startswith("地图:") for c in at.caption)
