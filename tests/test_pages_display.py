"""What people see on the pages (issue 11 item 10): blank cells, Chinese numbers, Chinese names, messages.

Through AppTest on the same store as tests/test_pages.py; the values are checked against the store.
"""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
from streamlit.testing.v1 import AppTest

from metrics.storage.store import Store
from tests.test_pages import LAYOUTS, ROOT, app, db, no_exception  # noqa: F401 (fixtures)


def _has_missing(frame: pd.DataFrame) -> bool:
    return bool(frame.isna().any().any()) or any((frame[c].astype(str) == "None").any() for c in frame.columns)


def test_no_table_shows_none_for_an_empty_cell(app, db):
    at = app.run()
    for page in ("app_pages/details.py", "app_pages/agencies.py", "app_pages/themes.py", "app_pages/quality.py"):
        at.switch_page(page).run()
        no_exception(at)
        assert at.dataframe, page
        for table in at.dataframe:
            assert not _has_missing(table.value), (page, table.value.head())
    # The records do have empty cells (a return naming no district, no date): they are shown blank.
    at.switch_page("app_pages/details.py").run()
    records = at.dataframe[0].value
    assert (records["区县"] == "").any() and (records["日期"] == "").any()


def test_agency_table_writes_numbers_the_chinese_way(app, db):
    from metrics.core.fmt import format_cn

    at = app.run()
    at.switch_page("app_pages/agencies.py").run()
    no_exception(at)
    table = at.dataframe[-1].value  # the agency × metric table, after the ranking's numbers
    column = "发放宣传资料(份)"
    with sqlite3.connect(db) as conn:
        rows = dict(
            conn.execute(
                "SELECT ag.text, SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
                "JOIN terms m ON m.id = r.metric_id JOIN terms ag ON ag.id = r.agency_id "
                "WHERE s.status = 'active' AND m.text = 'materials' GROUP BY ag.text"
            ).fetchall()
        )
    shown = dict(zip(table["单位"], table[column]))
    big = max(rows, key=rows.get)
    assert rows[big] >= 10_000 and shown[big] == format_cn(rows[big]) and "万" in shown[big]
    assert shown["合计"] == format_cn(sum(rows.values()))
    assert all(shown[a] == "" for a in shown if a not in rows and a != "合计")  # no value is blank, not 0


def test_upload_page_names_the_layout_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{tmp_path / 'layout.db'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploader").upload(
        "vertical_form.xlsx", (LAYOUTS / "vertical_form.xlsx").read_bytes(), "application/octet-stream"
    ).run()
    no_exception(at)
    line = next(m.value for m in at.markdown if "识别的版式" in m.value)
    assert "竖表(指标 | 数量 | 单位)" in line and "vertical" not in line


def test_after_importing_the_page_says_imported_and_a_reupload_says_already_imported(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'again.db'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    data = (LAYOUTS / "county_activities.xlsx").read_bytes()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploader").upload("county_activities.xlsx", data, "application/octet-stream").run()
    at.button(key="upload_confirm").click().run()
    no_exception(at)
    [sub] = Store(url).submissions()
    said = [s.value for s in at.success]
    assert f"已成功导入,保存为第 {sub['id']} 号报表。" in said
    assert not any("内容相同" in s for s in said)  # not the re-upload wording, which reads like a refusal
    # The same bytes uploaded again in a new session: that is the re-upload, and says so.
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    again.switch_page("app_pages/upload.py").run()
    again.file_uploader(key="uploader").upload("county_activities.xlsx", data, "application/octet-stream").run()
    no_exception(again)
    assert any(f"与第 {sub['id']} 号报表内容相同" in s.value for s in again.success)
    assert again.button(key="upload_confirm").disabled


def test_the_upload_boxes_english_words_are_explained_in_chinese(tmp_path, monkeypatch):
    """Streamlit fixes the box's words (Drag and drop files here, Upload, Limit 50MB per file) in English."""
    import tomllib

    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{tmp_path / 'box.db'}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/upload.py").run()
    no_exception(at)
    hints = [c.value for c in at.caption if "拖放文件到此处" in c.value]
    assert len(hints) == 2  # above the returns' box and above the summaries' box
    limit = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert f"Limit {limit}MB per file = 每个文件不超过 {limit}MB" in hints[0]


def test_submissions_list_shows_the_import_time_in_beijing_time(app, db):
    from datetime import UTC, datetime, timedelta

    at = app.run()
    at.switch_page("app_pages/details.py").run()
    no_exception(at)
    listing = at.dataframe[-1].value
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT id, imported_at FROM submissions").fetchall())
    for sid, shown in zip(listing["#"], listing["导入时间(北京时间)"]):
        utc = datetime.fromisoformat(stored[sid]).astimezone(UTC)
        assert shown == (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def test_submissions_list_counts_and_names_every_agency_of_a_return(app, db):
    at = app.run()
    at.switch_page("app_pages/details.py").run()
    no_exception(at)
    listing = at.dataframe[-1].value
    with sqlite3.connect(db) as conn:
        named = conn.execute(
            "SELECT r.submission_id, ag.text, COUNT(*) FROM records r JOIN terms ag ON ag.id = r.agency_id "
            "GROUP BY r.submission_id, ag.text ORDER BY r.submission_id, COUNT(*) DESC, ag.text"
        ).fetchall()
    by_sub: dict[int, list[str]] = {}
    for sid, name, _ in named:
        by_sub.setdefault(sid, []).append(name)
    many = {sid: names for sid, names in by_sub.items() if len(names) > 3}
    assert many, "the seed holds a return of several agencies (city_summary.xlsx)"
    shown = dict(zip(listing["#"], listing["单位"]))
    for sid, names in by_sub.items():
        expected = (
            names[0] if len(names) == 1 else f"{len(names)}家:" + "、".join(names[:3]) + ("…" if len(names) > 3 else "")
        )
        assert shown[sid] == expected


def test_trends_daily_chart_has_one_heading_and_breaks_between_campaigns(app, db):
    at = app.run()
    at.switch_page("app_pages/trends.py").run()
    no_exception(at)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    daily = [
        c
        for c in charts
        if c["layout"]["title"]["text"].startswith("开展活动") and c["layout"]["xaxis"].get("type") == "date"
    ]
    assert len(daily) == 1
    heading = daily[0]["layout"]["title"]["text"]
    written = [h.value for h in at.subheader] + [c["layout"]["title"]["text"] for c in charts]
    assert written.count(heading) == 1, written
    with sqlite3.connect(db) as conn:
        dates = sorted(
            d
            for (d,) in conn.execute(
                "SELECT DISTINCT r.date FROM records r JOIN submissions s ON s.id = r.submission_id JOIN terms m "
                "ON m.id = r.metric_id WHERE s.status = 'active' AND m.text = 'events' AND r.date IS NOT NULL"
            )
        )
    days = pd.to_datetime(pd.Series(dates))
    gaps = int((days.diff().dt.days > 7).sum())
    line = daily[0]["data"][0]
    assert line["y"].count(None) == gaps and len(line["y"]) == len(dates) + gaps


def test_themes_donut_total_equals_the_activity_tables_total(app, db):
    at = app.run()
    at.switch_page("app_pages/themes.py").run()
    no_exception(at)
    donut = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["data"][0].get("type") == "pie"
    )
    hole = donut["layout"]["annotations"][0]["text"]
    with sqlite3.connect(db) as conn:
        events = conn.execute(
            "SELECT SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
            "JOIN terms m ON m.id = r.metric_id WHERE s.status = 'active' "
            "AND m.text = 'events'"
        ).fetchone()[0]
    from metrics.core.fmt import format_cn, format_metric

    assert hole == f"合计<br>{format_metric(events, '场')}"
    table = at.dataframe[-1].value  # activity × metric
    total = table[table["活动形式"] == "合计"].iloc[0]
    assert total["开展活动(场)"] == format_cn(events)
    assert "(未填写)" in set(table["活动形式"])  # records without a form of activity are counted, as in the donut


def test_english_mode_writes_units_axis_titles_and_choosers_in_english(app, db):
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    app.query_params["lang"] = "en"
    at = app.run()
    at.switch_page("app_pages/agencies.py").run()
    no_exception(at)
    chooser = at.selectbox(key="agencies_measure")
    assert chooser.options and not any(cjk.search(o) for o in chooser.options), chooser.options
    assert "Events held (sessions)" in chooser.options
    ranking = next(json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    assert ranking["layout"]["xaxis"]["title"]["text"] == "Unit: sessions"
    assert not any(cjk.search(label) for label in ranking["layout"]["xaxis"]["ticktext"])
    assert all(row[1].endswith(" sessions") for row in ranking["data"][0]["customdata"])
    numbers = at.dataframe[0].value
    with sqlite3.connect(db) as conn:
        events = conn.execute(
            "SELECT SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
            "JOIN terms m ON m.id = r.metric_id WHERE s.status = 'active' "
            "AND m.text = 'events'"
        ).fetchone()[0]
    from metrics.core.fmt import format_metric

    assert numbers.iloc[-1].tolist() == ["Total", format_metric(events, "场", lang="en")]
    at.switch_page("app_pages/themes.py").run()
    donut = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["data"][0].get("type") == "pie"
    )
    assert donut["layout"]["annotations"][0]["text"].startswith("Total<br>")


def test_english_mode_writes_the_overview_tiles_units_in_english(app):
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    app.query_params["lang"] = "en"
    at = app.run()
    no_exception(at)
    assert at.metric, "the overview shows its tiles"
    for tile in at.metric:
        assert not cjk.search(tile.value), tile.value  # "132 sessions", never "132场"
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any(" by sector, " in title for title in titles), titles
