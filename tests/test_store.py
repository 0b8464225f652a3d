"""The store: import, duplicates, superseding, delete/restore, rollback, threads, originals, facts.

Every scenario in ``SHARED`` works on the ``store_url`` fixture: a fresh SQLite file here;
tests/test_store_pg.py runs the same scenarios against a real PostgreSQL.
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from metrics.core.record import FileResult
from metrics.reading.ingest import Overrides, ingest_bytes
from metrics.storage import writer
from metrics.storage.schema import metadata
from metrics.storage.store import DEFAULT_URL, URL_VARIABLE, Conflict, Store, resolve_url

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"


# ---- helpers --------------------------------------------------------------------------------------
def make_return(rows: list[tuple], *, year: int | None = 2024, place: str = "宁波市") -> bytes:
    """A small return: title with place and year, 填报单位 | 开展活动 | 发放宣传资料 | 接受咨询, one row per unit."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总表"
    ws.append([f"{place}{year or ''}{'年' if year else ''}“3·15”消费者权益日活动统计表"])
    ws.append(["填报单位", "开展活动(场)", "发放宣传资料(份)", "接受咨询(人次)"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read(data: bytes, name: str, overrides: Overrides | None = None) -> FileResult:
    result = ingest_bytes(data, name, overrides=overrides or Overrides())
    assert result.ok, result.error
    return result


def fixture(name: str) -> tuple[FileResult, bytes]:
    data = (LAYOUTS / name).read_bytes()
    return read(data, name), data


def totals(store: Store) -> dict[str, float]:
    frame = store.facts().frame
    return {k: float(v) for k, v in frame.groupby("measure", observed=True)["value"].sum().items()}


def assert_totals(actual: dict[str, float], expected: dict[str, float | int]) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-9), key


def counts(store: Store) -> dict[str, int]:
    """Rows in every table (store_meta aside)."""
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
            if t.name != "store_meta"
        }


def status(store: Store, sub_id: int) -> str:
    return store.submission(sub_id)["status"]


YINZHOU_V1 = [("鄞州区消保委", 12, 3000, 150)]
YINZHOU_V2 = [("鄞州区消保委", 15, 3000, 180)]


# ---- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.dispose()


# ---- shared scenarios (also run on PostgreSQL) ----------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "city_summary.xlsx",
        "enforcement_tobacco.xlsx",
        "formulas.xlsx",
        "messy_cells.xlsx",
        "years_across.xlsx",
        "long_table.csv",
    ],
)
def test_import_stores_records_issues_and_submission(store, name):
    result, data = fixture(name)
    assert store.plan(result, data).status == "new"
    outcome = store.import_result(result, data, who="张三")
    assert outcome.status == "imported" and outcome.records == len(result.batch) > 0
    sub = store.submission(outcome.submission_id)
    assert (sub["file_name"], sub["size"], sub["status"], sub["imported_by"], sub["n_records"]) == (
        name,
        len(data),
        "active",
        "张三",
        len(result.batch),
    )
    assert sub["n_errors"] == sum(i.level == "error" for i in result.issues)
    assert sub["years"] == ",".join(str(y) for y in sorted({r.year for r in result.records}))
    facts = store.facts()
    assert len(facts) == len(result.batch)
    assert_totals(totals(store), result.totals())
    stored = [(i["code"], i["level"], i["location"], i["value"], i["message"]) for i in store.issues()]
    assert stored == [(i.code, i.level, i.where, i.value, i.message) for i in result.issues]
    # dimensions come back as the reader gave them
    expected = sorted((r.agency, r.year, r.metric, r.adcode or None, r.value) for r in result.records)
    frame = facts.frame
    got = sorted(
        zip(
            frame["agency"],
            frame["year"].tolist(),
            frame["metric"],
            [a if isinstance(a, str) else None for a in frame["adcode"]],
            frame["value"],
        )
    )
    assert got == expected
    details = store.record_details(frame["id"].tolist())
    assert sorted(raw for raw, _ in details.values()) == sorted(result.batch.raw_text())


def test_problems_are_stored_with_their_file(store):
    data = (LAYOUTS / "problems.xlsx").read_bytes()
    assert store.import_result(read(data, "problems.xlsx"), data).status == "refused"  # no year anywhere
    fixed = Overrides(year=2024)
    result = read(data, "problems.xlsx", fixed)
    assert len({i.code for i in result.issues if i.level == "error"}) >= 2
    sub_id = store.import_result(result, data, overrides=fixed).submission_id
    assert {i["submission_id"] for i in store.issues()} == {sub_id}
    assert {i["file_name"] for i in store.issues()} == {"problems.xlsx"}
    store.delete(sub_id)
    assert store.issues() == []
    assert len(store.issues(active_only=False)) == len(result.issues)


def test_same_bytes_again_is_a_duplicate(store):
    result, data = fixture("city_summary.xlsx")
    first = store.import_result(result, data)
    before, version = counts(store), store.version()
    plan = store.plan(read(data, "again.xlsx"), data)
    assert (plan.status, plan.duplicate_of) == ("duplicate", first.submission_id)
    again = store.import_result(read(data, "again.xlsx"), data)
    assert again.status == "duplicate" and again.message.startswith("已导入")
    assert again.submission_id == first.submission_id
    assert counts(store) == before and before["records"] == 36
    assert store.version() == version
    assert len(store.facts()) == 36


def test_same_bytes_with_other_overrides_replace_the_earlier_reading(store):
    result, data = fixture("city_summary.xlsx")
    first = store.import_result(result, data).submission_id
    fixed = Overrides(year=2023, theme="守护消费者权益")
    reread = read(data, "city_summary.xlsx", fixed)
    plan = store.plan(reread, data, fixed)
    assert plan.status == "replaces" and [c.submission_id for c in plan.replaces] == [first]
    assert plan.diff == []  # same numbers, other year and theme
    outcome = store.import_result(reread, data, overrides=fixed)
    assert outcome.status == "imported" and outcome.replaced == [first]
    assert status(store, first) == "superseded"
    frame = store.facts().frame
    assert len(frame) == 36 and set(frame["year"]) == {2023} and set(frame["theme"]) == {"守护消费者权益"}
    assert counts(store)["originals"] == 1  # the bytes are kept once
    # the same bytes with the same corrections once more: nothing new
    assert store.import_result(reread, data, overrides=fixed).status == "duplicate"


def test_a_new_return_for_the_same_agency_and_year_supersedes(store):
    old_data, new_data = make_return(YINZHOU_V1), make_return(YINZHOU_V2)
    old = store.import_result(read(old_data, "鄞州v1.xlsx"), old_data).submission_id
    new_result = read(new_data, "鄞州v2.xlsx")
    plan = store.plan(new_result, new_data)
    assert plan.status == "replaces" and plan.overlaps == []
    assert [(c.submission_id, c.shared, c.total) for c in plan.replaces] == [(old, 1, 1)]
    assert plan.diff == [
        {"measure": "consultations", "old": 150.0, "new": 180.0},
        {"measure": "events", "old": 12.0, "new": 15.0},
    ]
    assert "鄞州v1.xlsx" in plan.message
    outcome = store.import_result(new_result, new_data)
    new = outcome.submission_id
    assert outcome.replaced == [old] and "替换" in outcome.message
    assert (status(store, old), store.submission(old)["replaced_by"]) == ("superseded", new)
    assert_totals(totals(store), {"events": 15, "materials": 3000, "consultations": 180})
    # the old version comes back and the new one steps back
    assert store.restore(old) == [new]
    assert (status(store, old), status(store, new)) == ("active", "superseded")
    assert store.submission(new)["replaced_by"] == old
    assert_totals(totals(store), {"events": 12, "materials": 3000, "consultations": 150})
    assert store.restore(new) == [old]
    assert_totals(totals(store), {"events": 15, "materials": 3000, "consultations": 180})


def test_another_year_of_the_same_agency_is_new(store):
    data_2024, data_2023 = make_return(YINZHOU_V1), make_return(YINZHOU_V2, year=2023)
    store.import_result(read(data_2024, "2024.xlsx"), data_2024)
    plan = store.plan(read(data_2023, "2023.xlsx"), data_2023)
    assert (plan.status, plan.replaces, plan.overlaps, plan.diff) == ("new", [], [], [])
    store.import_result(read(data_2023, "2023.xlsx"), data_2023)
    assert len(store.submissions(statuses=("active",))) == 2
    assert totals(store)["events"] == 27


def test_delete_and_restore(store):
    a_data = make_return(YINZHOU_V1)
    b_data = make_return([("海曙区消保委", 9, 2800, 120)])
    a = store.import_result(read(a_data, "a.xlsx"), a_data).submission_id
    b = store.import_result(read(b_data, "b.xlsx"), b_data).submission_id
    version = store.version()
    store.delete(a)
    assert store.version() == version + 1
    assert (status(store, a), status(store, b)) == ("deleted", "active")
    assert set(store.facts().frame["agency"]) == {"海曙区消保委"}
    assert [s["id"] for s in store.submissions(statuses=("deleted",))] == [a]
    assert store.restore(a) == []
    assert set(store.facts().frame["agency"]) == {"鄞州区消保委", "海曙区消保委"}
    assert counts(store)["records"] == 6  # nothing was copied or lost on the way
    with pytest.raises(KeyError):
        store.delete(999)
    with pytest.raises(KeyError):
        store.restore(999)
    assert store.version() == version + 2


def test_restoring_a_deleted_return_steps_back_its_later_replacement(store):
    """Delete v1, import v2 (nothing to replace), restore v1: v1 and v2 must not both count."""
    v1_data, v2_data = make_return(YINZHOU_V1), make_return(YINZHOU_V2)
    v1 = store.import_result(read(v1_data, "v1.xlsx"), v1_data).submission_id
    store.delete(v1)
    outcome = store.import_result(read(v2_data, "v2.xlsx"), v2_data)
    assert outcome.replaced == []
    assert store.restore(v1) == [outcome.submission_id]
    assert_totals(totals(store), {"events": 12, "materials": 3000, "consultations": 150})


def test_partial_overlap_keeps_both_and_says_so(store):
    city_result, city_data = fixture("city_summary.xlsx")
    city = store.import_result(city_result, city_data).submission_id
    district_data = make_return([("鄞州区消保委", 12, 3200, 156)])
    district_result = read(district_data, "鄞州区.xlsx")
    plan = store.plan(district_result, district_data)
    assert plan.status == "new" and plan.replaces == [] and plan.diff == []
    assert plan.overlaps == [Conflict(city, "city_summary.xlsx", plan.overlaps[0].imported_at, 1, 6)]
    assert "部分重复" in plan.message and "city_summary.xlsx" in plan.message
    outcome = store.import_result(district_result, district_data)
    assert outcome.status == "imported" and outcome.replaced == []
    assert (status(store, city), status(store, outcome.submission_id)) == ("active", "active")
    assert len(store.facts()) == 36 + 3


def test_a_summary_covering_an_earlier_district_return_replaces_it(store):
    """The rule behind superseding: every agency-year of the old return is in the new one."""
    district_data = make_return([("鄞州区消保委", 12, 3200, 156)])
    district = store.import_result(read(district_data, "鄞州区.xlsx"), district_data).submission_id
    city_result, city_data = fixture("city_summary.xlsx")
    plan = store.plan(city_result, city_data)
    assert plan.status == "replaces" and [(c.submission_id, c.shared, c.total) for c in plan.replaces] == [
        (district, 1, 1)
    ]
    assert store.import_result(city_result, city_data).replaced == [district]
    assert len(store.facts()) == 36


def test_a_failure_half_way_leaves_no_trace(store):
    base_result, base_data = fixture("city_summary.xlsx")
    store.import_result(base_result, base_data)
    before, version, facts = counts(store), store.version(), store.facts()
    seen: list[str] = []

    def fail_on_issues(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split("(")[0].strip())
        if statement.startswith("INSERT INTO issues"):
            raise RuntimeError("disk full")

    result, data = fixture("formulas.xlsx")
    assert result.issues
    sa.event.listen(store.engine, "before_cursor_execute", fail_on_issues)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            store.import_result(result, data)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", fail_on_issues)
    assert "INSERT INTO records" in seen and "INSERT INTO originals" in seen  # it did fail half-way
    assert counts(store) == before
    assert store.version() == version
    assert store.facts() is facts
    # and the file imports cleanly afterwards
    assert store.import_result(result, data).status == "imported"
    assert counts(store)["submissions"] == 2


def test_refused_files_write_nothing(store):
    missing_year = make_return(YINZHOU_V1, year=None)
    no_agency = openpyxl.Workbook()
    no_agency.active.append(["2024年3·15活动统计表"])
    no_agency.active.append(["开展活动(场)", "发放宣传资料(份)"])
    no_agency.active.append([3, 40])
    buf = io.BytesIO()
    no_agency.save(buf)
    cases = [
        (ingest_bytes(b"", "empty.xlsx"), b"", "拒收"),
        (read(missing_year, "统计.xlsx"), missing_year, "年度"),
        (read(buf.getvalue(), "统计.xlsx"), buf.getvalue(), "填报单位"),
    ]
    before, version = counts(store), store.version()
    for result, data, reason in cases:
        plan = store.plan(result, data)
        assert plan.status == "refused" and reason in plan.message, plan.message
        outcome = store.import_result(result, data)
        assert outcome.status == "refused" and reason in outcome.message
        assert outcome.submission_id is None
    assert counts(store) == before and before["originals"] == 0
    assert store.version() == version


def _slow_insert(monkeypatch) -> None:
    """Hold every import's write transaction open a little, so two threads really collide."""
    real = writer.write

    def slow(*args, **kwargs):
        written = real(*args, **kwargs)
        time.sleep(0.3)
        return written

    monkeypatch.setattr(writer, "write", slow)


def _in_threads(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(k, job):
        barrier.wait()
        try:
            results[k] = job()
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below, with its message)
            results[k] = exc

    threads = [threading.Thread(target=run, args=(k, job)) for k, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_threads_import_different_files(store_url, monkeypatch):
    _slow_insert(monkeypatch)
    first, second = Store(store_url), Store(store_url)  # two processes' worth of connections
    a_data, b_data = make_return(YINZHOU_V1), make_return([("海曙区消保委", 9, 2800, 120)])
    a, b = read(a_data, "a.xlsx"), read(b_data, "b.xlsx")
    started = time.perf_counter()
    outcomes = _in_threads([lambda: first.import_result(a, a_data), lambda: second.import_result(b, b_data)])
    assert [getattr(o, "status", o) for o in outcomes] == ["imported", "imported"]
    assert time.perf_counter() - started >= 0.6  # the writers took turns
    assert counts(first)["records"] == 6 and first.version() == 2
    assert set(second.facts().frame["agency"]) == {"鄞州区消保委", "海曙区消保委"}
    first.dispose()
    second.dispose()


def test_two_threads_import_the_same_file(store_url, monkeypatch):
    _slow_insert(monkeypatch)
    first, second = Store(store_url), Store(store_url)
    result, data = fixture("city_summary.xlsx")
    outcomes = _in_threads([lambda: first.import_result(result, data), lambda: second.import_result(result, data)])
    assert sorted(getattr(o, "status", o) for o in outcomes) == ["duplicate", "imported"]
    assert counts(first)["submissions"] == 1 and counts(first)["records"] == 36
    first.dispose()
    second.dispose()


def test_original_bytes_and_replay(store):
    result, data = fixture("years_across.xlsx")
    fixed = Overrides(agency="某某区消费者权益保护委员会")
    sub_id = store.import_result(read(data, "years_across.xlsx", fixed), data, overrides=fixed).submission_id
    assert store.original(sub_id) == ("years_across.xlsx", data)
    replayed = store.replay(sub_id)  # with the stored corrections
    assert {r.agency for r in replayed.records} == {"某某区消费者权益保护委员会"}
    assert replayed.totals() == result.totals()
    plain = store.replay(sub_id, Overrides())
    assert {r.agency for r in plain.records} == {r.agency for r in result.records}
    with pytest.raises(KeyError):
        store.original(999)


def test_facts_reload_after_a_write_and_only_then(store_url):
    store, other = Store(store_url), Store(store_url)
    empty = store.facts()
    assert len(empty) == 0 and list(empty.frame.columns)[:3] == ["id", "submission_id", "file"]
    assert store.facts() is empty
    result, data = fixture("city_summary.xlsx")
    store.import_result(result, data)
    loaded = store.facts()
    assert loaded is not empty and len(loaded) == 36 and loaded.version == store.version()
    assert loaded.frame["id"].is_monotonic_increasing and loaded.frame["id"].is_unique
    assert store.facts() is loaded
    store.import_result(result, data)  # duplicate: nothing written
    store.import_result(ingest_bytes(b"", "empty.xlsx"), b"")  # refused: nothing written
    assert store.facts() is loaded
    district = make_return([("海曙区消保委", 9, 2800, 120)])
    other.import_result(read(district, "b.xlsx"), district)  # another process writes
    assert len(store.facts()) == 39
    store.dispose()
    other.dispose()


@pytest.mark.parametrize("files_per_write", [1, 2, 2000])
def test_import_many_in_one_transaction(store, monkeypatch, files_per_write):
    """Small write batches make later files meet earlier ones already written (ids no longer provisional)."""
    monkeypatch.setattr("metrics.storage.store._BULK_FILES", files_per_write)
    v1, v2 = make_return(YINZHOU_V1), make_return(YINZHOU_V2)
    city_result, city_data = fixture("city_summary.xlsx")
    version = store.version()
    outcomes = store.import_many(
        [
            (read(v1, "v1.xlsx"), v1),
            (city_result, city_data),  # covers v1's only agency-year: replaces it
            (read(v2, "v2.xlsx"), v2),  # partial overlap with the summary
            (read(v1, "v1.xlsx"), v1),  # same bytes as the first
            (ingest_bytes(b"", "empty.xlsx"), b""),
        ],
        who="演示",
    )
    assert [o.status for o in outcomes] == ["imported", "imported", "imported", "duplicate", "refused"]
    assert outcomes[1].replaced == [outcomes[0].submission_id]
    assert outcomes[3].submission_id == outcomes[0].submission_id and "已被新版本替换" in outcomes[3].message
    assert [(c.submission_id, c.shared, c.total) for c in outcomes[2].overlaps] == [(outcomes[1].submission_id, 1, 6)]
    assert store.submission(outcomes[0].submission_id)["replaced_by"] == outcomes[1].submission_id
    assert store.version() == version + 1
    assert len(store.facts()) == 36 + 3
    assert {s["imported_by"] for s in store.submissions()} == {"演示"}
    assert counts(store)["originals"] == 3


@pytest.mark.parametrize("files_per_write", [1, 2000])
def test_import_many_chain_of_versions(store, monkeypatch, files_per_write):
    monkeypatch.setattr("metrics.storage.store._BULK_FILES", files_per_write)
    versions = [make_return([("鄞州区消保委", events, 3000, 150)]) for events in (10, 11, 12)]
    first = store.import_result(read(versions[0], "v0.xlsx"), versions[0]).submission_id
    outcomes = store.import_many([(read(data, f"v{k}.xlsx"), data) for k, data in enumerate(versions)])
    assert [o.status for o in outcomes] == ["duplicate", "imported", "imported"]
    v1, v2 = outcomes[1].submission_id, outcomes[2].submission_id
    assert (outcomes[1].replaced, outcomes[2].replaced) == ([first], [v1])
    assert [(status(store, i), store.submission(i)["replaced_by"]) for i in (first, v1, v2)] == [
        ("superseded", v1),
        ("superseded", v2),
        ("active", None),
    ]
    assert totals(store)["events"] == 12
    assert store.restore(first) == [v2]
    assert totals(store)["events"] == 10


def test_import_many_is_all_or_nothing(store):
    a, b = make_return(YINZHOU_V1), make_return([("海曙区消保委", 9, 2800, 120)])
    before, version = counts(store), store.version()

    def items():
        yield read(a, "a.xlsx"), a
        yield read(b, "b.xlsx"), b
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError):
        store.import_many(items())
    assert counts(store) == before and store.version() == version
    assert [o.status for o in store.import_many([(read(a, "a.xlsx"), a)] * 2)] == ["imported", "duplicate"]


SHARED = [name for name in dir() if name.startswith("test_")]


# ---- SQLite only ---------------------------------------------------------------------------------
def test_url_resolution_and_default_file(tmp_path):
    explicit = f"sqlite:///{tmp_path / 'cli.db'}"
    env_url = f"sqlite:///{tmp_path / 'env' / 'nested' / 'outreach.db'}"
    assert resolve_url(explicit, {URL_VARIABLE: env_url}) == explicit
    assert resolve_url(None, {URL_VARIABLE: env_url}) == env_url
    assert resolve_url(None, {}) == DEFAULT_URL
    assert DEFAULT_URL.endswith("/data/outreach.db")
    store = Store(resolve_url(None, {URL_VARIABLE: env_url}))  # folders are created on first run
    assert (tmp_path / "env" / "nested" / "outreach.db").is_file()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert store.version() == 0
    store.dispose()
    again = Store(env_url)  # opening an existing store keeps it
    assert again.version() == 0 and counts(again)["submissions"] == 0
    again.dispose()
