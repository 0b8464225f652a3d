"""Every record download, under every filter, row by row against plain SQL on the store.

明细 CSV and 明细 Excel (the 明细 page's buttons) and the 明细 sheet of a briefing workbook each list
the records of the view; each row's metric, unit, value and source cell must be the record's own. The
SQL is written independently of metrics/storage/facts.py and query.py (sqlite3 on the store file).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.analysis.query import Filters
from metrics.briefing.packs import make_pack
from metrics.core.catalog import default_catalog
from metrics.storage.samples import load_samples
from metrics.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent

_ROWS = """
SELECT m.text, u.text, r.value, s.file_name, sh.text, r.row, r.col
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id
LEFT JOIN terms u ON u.id = r.unit_id
LEFT JOIN terms sh ON sh.id = r.sheet_id
LEFT JOIN terms ag ON ag.id = r.agency_id
LEFT JOIN terms se ON se.id = r.sector_id
LEFT JOIN terms th ON th.id = r.theme_id
LEFT JOIN terms ac ON ac.id = r.activity_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' {where}
"""
# Each filter: its SQL column and how a value is picked (the one with most records that is not all of them).
_COLUMNS = {
    "year": "r.year",
    "province": "g.province",
    "city": "g.city",
    "district": "g.district",
    "sector": "se.text",
    "agency": "ag.text",
    "theme": "th.text",
    "activity": "ac.text",
    "metric": "m.text",
}
_FROM = "FROM" + _ROWS.split("FROM", 1)[1].split("WHERE", 1)[0]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("downloads") / "store.db"
    store = Store(f"sqlite:///{path}")
    outcomes = load_samples(store, who="测试")
    assert outcomes and all(o.status == "imported" for o in outcomes)
    store.dispose()
    return path


@pytest.fixture(scope="module")
def store(db):
    store = Store(f"sqlite:///{db}")
    yield store
    store.dispose()


def _letters(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def sql_rows(db: Path, conditions: dict[str, object]) -> Counter:
    """(指标, 计量单位, 数值, 来源单元格) of every active record matching ``conditions`` (column → value)."""
    where = "".join(f" AND {_COLUMNS[name]} = ?" for name in conditions)
    names = {m.id: m.zh for m in default_catalog().metrics.values()}
    with sqlite3.connect(db) as conn:
        rows = conn.execute(_ROWS.format(where=where), tuple(conditions.values())).fetchall()
    out = Counter()
    for metric, unit, value, file, sheet, row, col in rows:
        place = f"{file}/{sheet}" + (
            f"!{_letters(col)}{row + 1}" if row is not None and col is not None and row >= 0 and col >= 0 else ""
        )
        out[(names.get(metric, metric), unit or "", float(value), place)] += 1
    return out


def pick(db: Path, name: str) -> object:
    column = _COLUMNS[name]
    with sqlite3.connect(db) as conn:
        total = conn.execute(f"SELECT COUNT(*) {_FROM} WHERE s.status = 'active'").fetchone()[0]
        rows = conn.execute(
            f"SELECT {column}, COUNT(*) {_FROM} WHERE s.status = 'active' AND {column} IS NOT NULL AND {column} <> '' "
            f"GROUP BY {column} ORDER BY COUNT(*) DESC"
        ).fetchall()
    return next(v for v, n in rows if n < total)


def scope_of(db: Path, name: str) -> dict[str, object]:
    """The filter ``name`` set to a value that narrows the view, with the places above it (as the sidebar sets them)."""
    value = pick(db, name)
    places = ("province", "city", "district")
    if name not in places[1:]:
        return {name: value}
    above = places[: places.index(name)]
    with sqlite3.connect(db) as conn:
        found = conn.execute(f"SELECT {', '.join(above)} FROM regions WHERE {name} = ? LIMIT 1", (value,)).fetchone()
    return {**dict(zip(above, found)), name: value}


def table_rows(header: list[str], rows: list[list]) -> Counter:
    at = {h: header.index(h) for h in ("指标", "计量单位", "数值", "来源单元格")}
    out = Counter()
    for row in rows:
        value = row[at["数值"]]
        out[(row[at["指标"]] or "", row[at["计量单位"]] or "", float(value), row[at["来源单元格"]])] += 1
    return out


def xlsx_rows(data: bytes, sheet: str) -> Counter:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    return table_rows([str(h) for h in rows[0]], rows[1:])


def csv_rows(data: bytes) -> Counter:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return table_rows(rows[0], rows[1:])


FILTERS = tuple(_COLUMNS)


@pytest.mark.parametrize("name", FILTERS)
def test_details_downloads_list_each_record_as_stored(db, monkeypatch, name):
    scope = scope_of(db, name)
    expected = sql_rows(db, scope)
    assert expected
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{db}")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in scope.items():
        app.query_params[key] = str(value)
    at = app.run()
    at.switch_page("app_pages/details.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="details_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert csv_rows(at.session_state["details_csv"]) == expected
    assert xlsx_rows(at.session_state["details_xlsx"], "明细") == expected


@pytest.mark.parametrize("name", FILTERS)
def test_briefing_records_sheet_lists_each_record_as_stored(db, store, name):
    scope = scope_of(db, name)
    chosen = Filters(**{k: v if k in ("province", "city", "district") else (v,) for k, v in scope.items()})
    pack = make_pack(".xlsx", store.facts().frame, chosen, texts=store.record_details, images=False)
    conditions = dict(scope)
    if pack.brief.filters.year and name != "year":  # the pack states the year it covers
        assert len(pack.brief.filters.year) == 1
        conditions["year"] = pack.brief.filters.year[0]
    expected = sql_rows(db, conditions)
    assert expected and pack.brief.record_count == sum(expected.values())
    assert xlsx_rows(pack.data, "明细") == expected
