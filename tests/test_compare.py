"""One scope per pack and like-for-like year-on-year figures, on the shipped samples, against sqlite3.

The samples hold 2023–2025 returns; 2025 has few returns so far. A pack with no year chosen must cover
the latest complete year in every part (title, summary, KPIs, charts, records), and a change must
compare only the units that reported both years — or say that too few have reported.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from pptx import Presentation

from metrics.analysis.query import Filters
from metrics.briefing.brief import build_brief
from metrics.briefing.draft import draft_summary
from metrics.briefing.office import to_docx, to_pptx, to_xlsx
from metrics.briefing.packs import to_html
from metrics.storage.samples import load_samples
from metrics.storage.store import Store

_SCOPE = """
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id
LEFT JOIN terms se ON se.id = r.sector_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' {where}
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compare") / "store.db"
    store = Store(f"sqlite:///{path}")
    assert all(o.status == "imported" for o in load_samples(store, who="测试"))
    store.dispose()
    return path


@pytest.fixture(scope="module")
def frame(db):
    store = Store(f"sqlite:///{db}")
    yield store.facts().frame
    store.dispose()


def units(db: Path, year: int, where: str = "", params: tuple = ()) -> set[int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            f"SELECT DISTINCT r.agency_id {_SCOPE.format(where=where)} AND r.year = ? AND r.agency_id IS NOT NULL",
            (*params, year),
        ).fetchall()
    return {a for (a,) in rows}


def total(db: Path, metric: str, year: int, where: str = "", params: tuple = (), agencies=None) -> float:
    extra = "" if agencies is None else f" AND r.agency_id IN ({','.join(map(str, agencies)) or 'NULL'})"
    with sqlite3.connect(db) as conn:
        value = conn.execute(
            f"SELECT SUM(r.value) {_SCOPE.format(where=where + extra)} AND m.text = ? AND r.year = ?",
            (*params, metric, year),
        ).fetchone()[0]
    return value or 0.0


def sector_sums(db: Path, metric: str, year: int, where: str = "", params: tuple = ()) -> dict[str, float]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            f"SELECT COALESCE(se.text, '(未填写)'), SUM(r.value) {_SCOPE.format(where=where)} "
            "AND m.text = ? AND r.year = ? GROUP BY 1",
            (*params, metric, year),
        ).fetchall()
    return dict(rows)


def latest_complete(db: Path, where: str = "", params: tuple = ()) -> tuple[int, int]:
    """(the year a pack covers, the latest year): the latest, unless under half of the year before's units."""
    with sqlite3.connect(db) as conn:
        latest = conn.execute(f"SELECT MAX(r.year) {_SCOPE.format(where=where)}", params).fetchone()[0]
    now, before = units(db, latest, where, params), units(db, latest - 1, where, params)
    return (latest - 1 if 2 * len(now) < len(before) else latest), latest


def test_an_unfiltered_pack_covers_the_latest_complete_year_in_every_part(db, frame):
    year, latest = latest_complete(db)
    assert year == latest - 1, "the samples' latest year should be incomplete"
    brief = build_brief(frame, Filters(), measures=["events", "materials"], breakdowns=["sector", "year", "agency"])
    assert brief.filters.year == (year,)
    assert brief.title.startswith(f"{year}年“3·15”") and brief.summary.startswith(f"{year}年“3·15”期间")
    assert (
        f"{latest}年目前仅{len(units(db, latest))}家单位报送,不足上年{len(units(db, latest - 1))}家的一半"
        in brief.scope
    )
    assert brief.kpi_caption.startswith(f"{year}年,与{year - 1}年")
    for data in brief.charts:
        if data.breakdown == "year":  # the history chart says its span
            assert data.title.startswith(f"{min(map(int, data.categories))}—{max(map(int, data.categories))}年 ")
            continue
        assert data.title.startswith(f"{year}年 {data.measure.name()} ")
        if data.breakdown == "sector":
            assert dict(zip(data.categories, data.values)) == pytest.approx(sector_sums(db, data.measure.metric, year))
    for tile in brief.kpis:
        assert tile.year == year and tile.value == pytest.approx(total(db, tile.measure.metric, year))
    with sqlite3.connect(db) as conn:
        records = conn.execute(f"SELECT COUNT(*) {_SCOPE.format(where='AND r.year = ?')}", (year,)).fetchone()[0]
    assert brief.record_count == records
    # Every format carries the year in its chart titles.
    deck = Presentation(io.BytesIO(to_pptx(brief)))
    texts = " ".join(s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame)
    assert f"{year}年 开展活动 按系统" in texts
    document = Document(io.BytesIO(to_docx(brief)))
    assert any(p.text.endswith(f"{year}年 开展活动 按系统") for p in document.paragraphs)


def test_a_province_pack_compares_like_for_like_and_says_its_coverage(db, frame):
    where, params = "AND g.province = ?", ("浙江省",)
    year, _ = latest_complete(db, where, params)
    now, before = units(db, year, where, params), units(db, year - 1, where, params)
    both = now & before
    assert 2 * len(both) >= len(before) and both != before, "浙江 should compare, with a unit missing"
    brief = build_brief(
        frame, Filters(province="浙江省"), measures=["materials", "complaints_received"], breakdowns=["sector"]
    )
    coverage = f"{len(before)}家中{len(both)}家已报,同口径比较"
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(brief)))
    rows = [[c.value for c in row] for row in book["概况"].iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "指标")
    header = rows[head]
    for row in rows[head + 1 : head + 1 + len(brief.kpis)]:
        metric = {"发放宣传资料": "materials", "受理投诉举报": "complaints_received"}[row[0]]
        same_now = total(db, metric, year, where, params, both)
        same_before = total(db, metric, year - 1, where, params, both)
        everyone = (total(db, metric, year, where, params), total(db, metric, year - 1, where, params))
        change = (same_now - same_before) / same_before * 100
        assert row[header.index("本期")] == pytest.approx(everyone[0])
        assert row[header.index("上年同期")] == pytest.approx(everyone[1])
        assert row[header.index("同比(同口径)")].lstrip("+−") == f"{abs(change):.1f}%"
        assert row[header.index("比较口径")] == coverage
        all_change = (everyone[0] - everyone[1]) / everyone[1] * 100
        assert row[header.index("全部单位同比")].lstrip("+−") == f"{abs(all_change):.1f}%"
        assert f"{abs(all_change):.1f}" != f"{abs(change):.1f}"
    assert f"上年报送的{len(before)}家单位中{len(both)}家已报,同比按这{len(both)}家同口径计算" in brief.summary
    assert coverage in " ".join(
        s.text_frame.text
        for slide in Presentation(io.BytesIO(to_pptx(brief))).slides
        for s in slide.shapes
        if s.has_text_frame
    )
    assert coverage in to_html(brief).decode("utf-8")
    assert any(
        coverage in cell.text
        for table in Document(io.BytesIO(to_docx(brief))).tables
        for row in table.rows
        for cell in row.cells
    )


def test_a_year_most_units_have_not_reported_gets_no_percent(db, frame):
    _, latest = latest_complete(db)
    before, both = units(db, latest - 1), units(db, latest) & units(db, latest - 1)
    assert 2 * len(both) < len(before)
    draft = draft_summary(frame, Filters(year=(latest,)))
    assert f"上年报送的{len(before)}家单位中仅{len(both)}家已报,暂不作同比比较" in draft.text
    assert "同比增长" not in draft.text and "同比下降" not in draft.text
    assert not [n for n in draft.numbers if n.measure.endswith("@change")]
    brief = build_brief(frame, Filters(year=(latest,)), measures=["events"], breakdowns=["sector"])
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(brief)))
    rows = [[c.value for c in row] for row in book["概况"].iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "指标")
    row = dict(zip(rows[head], rows[head + 1]))
    assert row["同比(同口径)"] == "暂不比较"
    assert row["比较口径"] == f"仅{len(before)}家中{len(both)}家报送,暂不比较"
