"""Access control (issue 13): scopes, the role × scope matrix over one store of several cities' returns, the
campaign steps per role, the server's bind refusal.

Every expectation about records is checked against a direct SQL query on the same SQLite file (by adcode
prefix / agency text), never against the code under test.
"""

from __future__ import annotations

import datetime as dt
import gc
import io

import openpyxl
import pytest
import sqlalchemy as sa

from metrics.access.rules import (
    ALLOWED,
    OWNER,
    AccessDenied,
    Action,
    Principal,
    Role,
    Scope,
    adcode_prefix,
    bind_refusal,
    is_loopback,
    record_mask,
)
from metrics.access.scoped import ScopedStore
from metrics.collection import campaigns as cp
from metrics.collection import completeness
from metrics.collection.campaigns import CampaignError, RosterUnit, Status
from metrics.collection.reminders import make_reminder, reminder_counts, reminder_history
from metrics.core.fmt import BEIJING
from metrics.reading.ingest import Overrides, ingest_bytes
from metrics.storage.store import Store


# ---- returns --------------------------------------------------------------------------------------
def return_file(rows: list[tuple[str, int]], *, year: int = 2025) -> bytes:
    """A return with one line per unit: 填报单位, 开展活动(场), 发放宣传资料(份) = 100 × 活动."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{year}年“3·15”消费者权益日活动统计表"])
    ws.append(["填报单位", "开展活动(场)", "发放宣传资料(份)"])
    for agency, events in rows:
        ws.append([agency, events, events * 100])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


NANSHAN = "深圳市南山区市场监督管理局"  # 440305
FUTIAN = "深圳市福田区消费者委员会"  # 440304
TIANHE = "广州市天河区消费者委员会"  # 440106
YUEXIU = "广州市越秀区市场监督管理局"  # 440104
CHAOYANG = "北京市朝阳区市场监督管理局"  # 110105

# file name → (rows, year); imported in this order. Then tianhe_2023_v1 is superseded by v2, nanshan_2023 deleted.
FILES: dict[str, tuple[list[tuple[str, int]], int]] = {
    "nanshan.xlsx": ([(NANSHAN, 12)], 2025),
    "futian.xlsx": ([(FUTIAN, 5)], 2025),
    "tianhe.xlsx": ([(TIANHE, 7)], 2025),
    "yuexiu.xlsx": ([(YUEXIU, 8)], 2025),
    "chaoyang.xlsx": ([(CHAOYANG, 6)], 2025),
    "gd_mixed.xlsx": ([(NANSHAN, 1), ("广州市天河区市场监督管理局", 2)], 2024),  # two cities in one file
    "sz_summary.xlsx": ([("深圳市福田区市场监管局", 3), ("深圳市南山区消委会", 4)], 2024),
    "no_place.xlsx": ([("市场监督管理局", 9)], 2025),  # no place known
    "tianhe_2023_v1.xlsx": ([(TIANHE, 10)], 2023),
    "tianhe_2023_v2.xlsx": ([(TIANHE, 11)], 2023),
    "nanshan_2023.xlsx": ([(NANSHAN, 13)], 2023),
}


def fill(store: Store) -> dict[str, int]:
    """Import FILES through the raw store; file name → submission id."""
    ids = {}
    for name, (rows, year) in FILES.items():
        _, outcome = store.import_bytes(return_file(rows, year=year), name, who="种子")
        assert outcome.status == "imported", (name, outcome.message)
        ids[name] = outcome.submission_id
    assert store.submission(ids["tianhe_2023_v1.xlsx"])["status"] == "superseded"
    store.delete(ids["nanshan_2023.xlsx"])
    return ids


@pytest.fixture
def filled(tmp_path) -> tuple[Store, dict[str, int]]:
    store = Store(f"sqlite:///{tmp_path / 'access.db'}")
    ids = fill(store)
    yield store, ids
    store.dispose()


def principal(name: str, role: Role, scope: Scope) -> Principal:
    return Principal(name, f"{name}显示名", role, scope)


ADMIN = principal("admin", Role.ADMIN, Scope(everywhere=True))
SZ_REVIEWER = principal("sz", Role.REVIEWER, Scope(("440300",)))
GZ_REVIEWER = principal("gz", Role.REVIEWER, Scope(("440100",)))
GD_REVIEWER = principal("gd", Role.REVIEWER, Scope(("440000",)))
NANSHAN_FILLER = principal("ns", Role.FILLER, Scope(units=("深圳市南山区市场监管局",)))  # short form of NANSHAN
SZ_VIEWER = principal("szv", Role.VIEWER, Scope(("440300",)))
BJ_VIEWER = principal("bjv", Role.VIEWER, Scope(("110000",)))
NOBODY = principal("none", Role.VIEWER, Scope())

# principal → (adcode prefixes, agency texts) for the SQL check, and the files it may see (any status).
MATRIX = [
    (ADMIN, None, None, set(FILES)),
    (SZ_REVIEWER, ["4403"], [], {"nanshan.xlsx", "futian.xlsx", "sz_summary.xlsx", "nanshan_2023.xlsx"}),
    (GZ_REVIEWER, ["4401"], [], {"tianhe.xlsx", "yuexiu.xlsx", "tianhe_2023_v1.xlsx", "tianhe_2023_v2.xlsx"}),
    (GD_REVIEWER, ["44"], [], set(FILES) - {"chaoyang.xlsx", "no_place.xlsx"}),
    (NANSHAN_FILLER, [], [NANSHAN], {"nanshan.xlsx", "nanshan_2023.xlsx"}),
    (SZ_VIEWER, ["4403"], [], {"nanshan.xlsx", "futian.xlsx", "sz_summary.xlsx", "nanshan_2023.xlsx"}),
    (BJ_VIEWER, ["11"], [], {"chaoyang.xlsx"}),
    (NOBODY, [], [], set()),
]
MATRIX_IDS = [p.name for p, *_ in MATRIX]


def sql_records(store: Store, prefixes: list[str] | None, agencies: list[str] | None) -> dict[int, float]:
    """Active record id → value whose region's adcode starts with a prefix or whose agency is listed (None: all)."""
    query = (
        "SELECT r.id, r.value FROM records r JOIN submissions s ON s.id = r.submission_id "
        "LEFT JOIN regions g ON g.id = r.region_id LEFT JOIN terms t ON t.id = r.agency_id "
        "WHERE s.status = 'active'"
    )
    params: dict[str, str] = {}
    if prefixes is not None:
        tests = [f"g.adcode LIKE :p{i}" for i in range(len(prefixes))] + [
            f"t.text = :a{i}" for i in range(len(agencies or []))
        ]
        params = {f"p{i}": p + "%" for i, p in enumerate(prefixes)} | {f"a{i}": a for i, a in enumerate(agencies or [])}
        query += " AND (" + (" OR ".join(tests) or "0") + ")"
    with store.engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(sa.text(query), params)}


def table_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in (
                "submissions",
                "records",
                "originals",
                "issues",
                "unit_events",
                "roster_units",
                "campaigns",
                "reminders",
            )
        }
        counts["statuses"] = tuple(conn.execute(sa.text("SELECT id, status, replaced_by FROM submissions ORDER BY id")))
    return counts


def audit_rows(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM audit_log ORDER BY id"))]


# ---- Scope ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("440000", "44"),
        ("440300", "4403"),
        ("440305", "440305"),
        ("110000", "11"),
        ("110105", "110105"),
        ("441900", "4419"),
    ],
)
def test_adcode_prefix(code, prefix):
    assert adcode_prefix(code) == prefix


@pytest.mark.parametrize(
    ("regions", "inside", "outside"),
    [
        (("440000",), ["440000", "440300", "440305", "440106", "441900"], ["110105", "450100", "340400", None, ""]),
        (("440300",), ["440300", "440305", "440304"], ["440000", "440106", "440100", "110105", None]),
        (("440305",), ["440305"], ["440300", "440304", "440000", "440306"]),
        (("110000",), ["110000", "110105", "110101"], ["120000", "120101", "440305"]),
    ],
)
def test_scope_covers_places_by_adcode_prefix(regions, inside, outside):
    scope = Scope(regions)
    assert [c for c in inside if scope.covers_place(c)] == inside
    assert [c for c in outside if scope.covers_place(c)] == []


def test_everywhere_covers_all_even_records_of_no_place_and_empty_scope_covers_nothing():
    everywhere, empty = Scope(everywhere=True), Scope()
    for adcode, agency in [("440305", NANSHAN), (None, None), ("", "市场监督管理局"), ("110105", None)]:
        assert everywhere.covers(adcode, agency) is True
        assert empty.covers(adcode, agency) is False
    assert empty.empty and not everywhere.empty


def test_units_match_in_short_and_long_forms_and_only_those_units():
    scope = Scope(units=("深圳市南山区市场监管局", "广州市天河区消费者委员会"))
    assert scope.covers_unit("深圳市南山区市场监督管理局")
    assert scope.covers_unit("深圳市南山区市场监管局")
    assert scope.covers_unit(" 深圳市南山区 市场监督管理局(盖章)")
    assert scope.covers_unit("广州市天河区消委会")  # 消委会 is 消费者委员会's short form
    assert scope.covers_unit("广州市天河区消保委") is False  # 消费者权益保护委员会 is another body
    assert scope.covers_unit("广州市天河区消费者委员会")
    assert scope.covers_unit("深圳市福田区市场监督管理局") is False
    assert scope.covers_unit("市场监督管理局") is False
    assert scope.covers_unit(None) is False and scope.covers_unit("") is False
    # a unit-only scope covers no place
    assert scope.covers("440305", "深圳市南山区消委会") is False


def test_blank_regions_never_open_the_scope():
    """A stray blank in the stored text must not become the prefix '' that every adcode starts with."""
    for scope in (Scope.from_text(" ", ""), Scope.from_text(" ,", " "), Scope((" ",), ("  ",))):
        assert scope.covers("440305", NANSHAN) is False, scope
        assert scope.covers_place("110105") is False


def test_scope_parse_place_names_codes_and_everywhere():
    scope = Scope.parse(["深圳市", "广东省广州市", "110000", " ", "深圳市"], ["深圳市南山区市场监管局", ""])
    assert scope.regions == ("440300", "440100", "110000")
    assert scope.units == ("深圳市南山区市场监管局",)
    assert not scope.everywhere
    assert Scope.parse(["全国"]).everywhere
    assert Scope.parse(["北京市朝阳区"]).regions == ("110105",)


@pytest.mark.parametrize("name", ["鼓楼区", "朝阳区", "南山区"])
def test_scope_parse_refuses_an_ambiguous_place_in_chinese(name):
    with pytest.raises(ValueError, match=f"地区“{name}”无法确定.*广东省深圳市"):
        Scope.parse([name])


@pytest.mark.parametrize("code", ["999999", "440399", "123456"])
def test_scope_parse_refuses_an_adcode_not_in_the_gazetteer(code):
    with pytest.raises(ValueError, match=code):
        Scope.parse([code])


def test_scope_parse_refuses_a_unit_name_with_the_separator():
    with pytest.raises(ValueError, match="逗号"):
        Scope.parse([], ["南山区市场监管局,福田区市场监管局"])


@pytest.mark.parametrize(
    "scope",
    [
        Scope(everywhere=True),
        Scope(),
        Scope(("440300", "110000")),
        Scope(units=("深圳市南山区市场监管局", "消委会")),
        Scope(("440100",), ("深圳市南山区市场监督管理局",)),
        Scope(("440300",), (), True),
    ],
)
def test_scope_text_round_trip(scope):
    regions, units = scope.to_text()
    back = Scope.from_text(regions, units)
    assert back == scope
    assert back.covers("440305", None) == scope.covers("440305", None)
    assert back.covers("440106", "深圳市南山区市场监督管理局") == scope.covers("440106", "深圳市南山区市场监督管理局")


def test_describe_names_places_and_units():
    assert Scope(("440300",), ("消委会",)).describe() == "广东省 深圳市、消委会"
    assert Scope(everywhere=True).describe() == "全国"
    assert "看不到" in Scope().describe()


def test_role_parse_and_the_allowed_table():
    assert [Role.parse(t) for t in ("管理员", "审核员", "填报员", "查看者", "ADMIN", " viewer ")] == [
        Role.ADMIN,
        Role.REVIEWER,
        Role.FILLER,
        Role.VIEWER,
        Role.ADMIN,
        Role.VIEWER,
    ]
    with pytest.raises(ValueError, match="没有“科长”这个角色"):
        Role.parse("科长")
    assert ALLOWED[Role.VIEWER] == {Action.READ}
    assert ALLOWED[Role.FILLER] == {Action.READ, Action.UPLOAD}
    assert Action.USERS not in ALLOWED[Role.REVIEWER] and Action.ROUNDS not in ALLOWED[Role.REVIEWER]
    with pytest.raises(AccessDenied, match="查看者.*无权上传报表"):
        SZ_VIEWER.require(Action.UPLOAD)


# ---- record_mask on a real frame ------------------------------------------------------------------
@pytest.mark.parametrize(("who", "prefixes", "agencies", "files"), MATRIX, ids=MATRIX_IDS)
def test_record_mask_keeps_exactly_the_records_sql_finds(filled, who, prefixes, agencies, files):
    store, _ = filled
    frame = store.facts().frame
    mask = record_mask(frame, who.scope)
    expected = sql_records(store, prefixes, agencies)
    assert sorted(frame["id"][mask].tolist()) == sorted(expected)
    # the same on a frame without categoricals
    plain = frame.astype({"adcode": object, "agency": object})
    assert (record_mask(plain, who.scope) == mask).all()


# ---- the matrix: reading --------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "prefixes", "agencies", "files"), MATRIX, ids=MATRIX_IDS)
def test_scoped_reads_hold_exactly_what_the_scope_covers(filled, who, prefixes, agencies, files):
    store, ids = filled
    view = ScopedStore(store, who, source="10.1.2.3")
    expected = sql_records(store, prefixes, agencies)
    facts = view.facts().frame
    assert sorted(facts["id"].tolist()) == sorted(expected)
    assert float(facts["value"].sum()) == pytest.approx(sum(expected.values()))

    names = {v: k for k, v in ids.items()}
    shown = {names[s["id"]] for s in view.submissions()}
    assert shown == files
    active = {n for n in files if store.submission(ids[n])["status"] == "active"}
    assert {names[s["id"]] for s in view.submissions(statuses=("active",))} == active
    assert view.count_submissions() == len(files)
    assert view.count_submissions(statuses=("active",)) == len(active)
    assert len(view.submissions(limit=2)) == min(2, len(files))
    assert [s["id"] for s in view.submissions()] == sorted((ids[n] for n in files), reverse=True)  # newest first
    assert {names[s["id"]] for s in view.submissions(search="nanshan")} == {n for n in files if "nanshan" in n}
    assert view.count_submissions(search="tianhe") == len({n for n in files if "tianhe" in n})

    for name, sub_id in ids.items():
        if name in files:
            assert view.original(sub_id)[0] == name
            assert view.submission(sub_id)["file_name"] == name
        else:
            with pytest.raises(AccessDenied, match=f"第 {sub_id} 号报表不在"):
                view.original(sub_id)
            assert view.submission(sub_id) is None
    assert {names[i["submission_id"]] for i in view.issues(active_only=False)} <= files
    assert set(view.agencies_of(ids.values())) == {ids[n] for n in files}

    every = store.facts().frame["id"].tolist()
    assert set(view.record_details(every)) == set(expected)
    assert set(view.record_texts()) == set(expected)


def test_issues_of_an_out_of_scope_file_stay_hidden(filled):
    store, ids = filled
    everyone = store.issues()
    with_issue = {i["submission_id"] for i in everyone}
    assert ids["no_place.xlsx"] in with_issue  # unknown-region
    for who in (SZ_REVIEWER, GZ_REVIEWER, GD_REVIEWER, NANSHAN_FILLER, BJ_VIEWER, NOBODY):
        assert ids["no_place.xlsx"] not in {i["submission_id"] for i in ScopedStore(store, who).issues()}
    assert ScopedStore(store, ADMIN).issues() == everyone


def test_a_submission_without_records_is_visible_only_to_its_importer(filled):
    store, ids = filled
    with store.engine.begin() as conn:  # a file whose records were lost: only who imported it sees it
        conn.execute(sa.text("DELETE FROM records WHERE submission_id = :i"), {"i": ids["futian.xlsx"]})
        conn.execute(
            sa.text("UPDATE submissions SET imported_by = :w WHERE id = :i"),
            {"w": SZ_REVIEWER.display, "i": ids["futian.xlsx"]},
        )
        conn.execute(sa.text("UPDATE store_meta SET value = value + 1 WHERE key = 'version'"))
    assert ScopedStore(store, SZ_REVIEWER).submission(ids["futian.xlsx"]) is not None
    assert ScopedStore(store, SZ_VIEWER).submission(ids["futian.xlsx"]) is None
    assert ScopedStore(store, GZ_REVIEWER).submission(ids["futian.xlsx"]) is None


def test_scoped_views_never_pollute_the_shared_facts(filled):
    store, _ = filled
    sz = ScopedStore(store, SZ_REVIEWER).facts()
    gz = ScopedStore(store, GZ_REVIEWER).facts()
    everything = store.facts()
    assert len(everything.frame) == len(sql_records(store, None, None))
    assert set(sz.frame["id"]).isdisjoint(set(gz.frame["id"]))
    assert set(ScopedStore(store, SZ_VIEWER).facts().frame["id"]) == set(sz.frame["id"])
    again = ScopedStore(store, SZ_REVIEWER).facts()
    assert again.frame["id"].tolist() == sz.frame["id"].tolist()


def test_a_new_store_at_a_reused_address_gets_its_own_scoped_view(tmp_path):
    """The scoped caches must not hand one store's records to another that happens to get the same id()."""
    first = Store(f"sqlite:///{tmp_path / 'a.db'}")
    first.import_bytes(return_file([(TIANHE, 7)]), "a1.xlsx")
    first.import_bytes(return_file([(NANSHAN, 12)]), "a2.xlsx")
    assert float(ScopedStore(first, SZ_REVIEWER).facts().frame["value"].sum()) == 1212
    assert ScopedStore(first, SZ_REVIEWER).visible_submissions() == {2}
    old_id, old_version = id(first), first.version()
    first.dispose()
    del first
    gc.collect()
    kept = []
    for _ in range(100_000):  # allocate bare stores until one lands where the first one was
        second = Store.__new__(Store)
        if id(second) == old_id:
            break
        kept.append(second)
    else:
        pytest.skip("no store landed at the old address")
    kept.clear()
    second.__init__(f"sqlite:///{tmp_path / 'b.db'}")
    second.import_bytes(return_file([(FUTIAN, 5)]), "b1.xlsx")
    second.import_bytes(return_file([(TIANHE, 7)]), "b2.xlsx")
    assert second.version() == old_version  # same id(), same version: only the store tells them apart
    view = ScopedStore(second, SZ_REVIEWER)
    assert float(view.facts().frame["value"].sum()) == 505
    assert view.visible_submissions() == {1}
    assert [s["file_name"] for s in view.submissions()] == ["b1.xlsx"]
    second.dispose()


# ---- the matrix: writing --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "file", "allowed"),
    [
        (ADMIN, "tianhe.xlsx", True),
        (ADMIN, "no_place.xlsx", True),
        (SZ_REVIEWER, "nanshan.xlsx", True),
        (SZ_REVIEWER, "tianhe.xlsx", False),
        (SZ_REVIEWER, "gd_mixed.xlsx", False),
        (GZ_REVIEWER, "tianhe.xlsx", True),
        (GZ_REVIEWER, "nanshan.xlsx", False),
        (GD_REVIEWER, "gd_mixed.xlsx", True),
        (GD_REVIEWER, "chaoyang.xlsx", False),
        (NANSHAN_FILLER, "nanshan.xlsx", False),
        (SZ_VIEWER, "nanshan.xlsx", False),
        (NOBODY, "nanshan.xlsx", False),
    ],
)
def test_delete_and_restore_per_role_and_scope(filled, who, file, allowed):
    store, ids = filled
    sub_id = ids[file]
    view = ScopedStore(store, who, source="10.0.0.9")
    before, version = table_counts(store), store.version()
    if allowed:
        view.delete(sub_id)
        assert store.submission(sub_id)["status"] == "deleted"
        assert view.restore(sub_id) == []
        assert store.submission(sub_id)["status"] == "active"
        rows = [r for r in audit_rows(store) if r["action"] in ("delete", "restore")]
        assert [(r["action"], r["who"], r["role"], r["submission_ids"], r["source"], r["target"]) for r in rows] == [
            ("delete", who.name, who.role.value, str(sub_id), "10.0.0.9", file),
            ("restore", who.name, who.role.value, str(sub_id), "10.0.0.9", file),
        ]
        return
    for step in (view.delete, view.restore):
        with pytest.raises(AccessDenied):
            step(sub_id)
    assert table_counts(store) == before
    assert store.version() == version
    denied = [r for r in audit_rows(store) if r["action"] == "denied"]
    assert len(denied) == 2 and all(r["who"] == who.name and not r["ok"] and r["source"] == "10.0.0.9" for r in denied)


def test_restore_of_a_deleted_file_in_scope_is_allowed(filled):
    store, ids = filled
    view = ScopedStore(store, SZ_REVIEWER)
    assert view.restore(ids["nanshan_2023.xlsx"]) == []
    assert store.submission(ids["nanshan_2023.xlsx"])["status"] == "active"
    with pytest.raises(AccessDenied):
        view.restore(ids["tianhe_2023_v1.xlsx"])
    assert store.submission(ids["tianhe_2023_v1.xlsx"])["status"] == "superseded"


@pytest.mark.parametrize(
    ("who", "rows", "allowed"),
    [
        (ADMIN, [(YUEXIU, 1)], True),
        (SZ_REVIEWER, [("深圳市罗湖区市场监督管理局", 4)], True),
        (SZ_REVIEWER, [("深圳市罗湖区市场监督管理局", 4), ("广州市海珠区市场监督管理局", 1)], False),
        (SZ_REVIEWER, [("市场监督管理局", 4)], False),  # no place: not provably in scope
        (GZ_REVIEWER, [("深圳市罗湖区市场监督管理局", 4)], False),
        (NANSHAN_FILLER, [("深圳市南山区市场监管局", 14)], True),
        (NANSHAN_FILLER, [("深圳市福田区市场监督管理局", 14)], False),
        (SZ_VIEWER, [("深圳市罗湖区市场监督管理局", 4)], False),
        (NOBODY, [(YUEXIU, 1)], False),
    ],
)
def test_import_per_role_and_scope_writes_nothing_when_refused(filled, who, rows, allowed):
    store, _ = filled
    view = ScopedStore(store, who, source="10.0.0.7")
    before, version = table_counts(store), store.version()
    data = return_file(rows, year=2022)
    if allowed:
        seen = len(view.facts())
        result, outcome = view.import_bytes(data, "new.xlsx")
        assert len(view.facts()) == seen + 2 * len(rows)  # the scoped copy follows the store's version
        assert who.sees_all or outcome.submission_id in view.visible_submissions()
        assert outcome.status == "imported"
        assert store.submission(outcome.submission_id)["imported_by"] == who.display
        after = table_counts(store)
        assert after["submissions"] == before["submissions"] + 1
        assert after["records"] == before["records"] + 2 * len(rows)
        (row,) = [r for r in audit_rows(store) if r["action"] == "import"]
        assert (row["who"], row["role"], row["submission_ids"], row["source"]) == (
            who.name,
            who.role.value,
            str(outcome.submission_id),
            "10.0.0.7",
        )
        return
    result = ingest_bytes(data, "new.xlsx", overrides=Overrides())
    for attempt in (
        lambda: view.import_bytes(data, "new.xlsx"),
        lambda: view.import_result(result, data),
        lambda: view.import_many([(result, data)]),
        lambda: view.plan(result, data),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    assert table_counts(store) == before
    assert store.version() == version
    assert {r["action"] for r in audit_rows(store)} == {"denied"}


def place_column_file(place: str, events: int, *, year: int = 2021) -> bytes:
    """A return naming its unit without the place (市场监督管理局) and the place in a 地区 column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{year}年“3·15”消费者权益日活动统计表"])
    ws.append(["地区", "填报单位", "开展活动(场)"])
    ws.append([place, "市场监督管理局", events])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_upload_in_scope_may_not_supersede_a_return_outside_it(filled):
    """The store replaces by (agency text, year): a file the reviewer may upload must not retire another
    city's return that carries the same agency text."""
    store, _ = filled
    gz, sz = ScopedStore(store, GZ_REVIEWER), ScopedStore(store, SZ_REVIEWER)
    _, first = gz.import_bytes(place_column_file("广州市天河区", 5), "gz_2021.xlsx")
    assert first.status == "imported"
    before, version = table_counts(store), store.version()
    data = place_column_file("深圳市南山区", 6)
    result = ingest_bytes(data, "sz_2021.xlsx", overrides=Overrides())
    assert (result.records[0].agency, result.records[0].adcode) == ("市场监督管理局", "440305")
    assert store.plan(result, data).status == "replaces"  # what the raw store would do
    with pytest.raises(AccessDenied, match=f"第 {first.submission_id} 号报表"):
        sz.plan(result, data)
    with pytest.raises(AccessDenied, match=f"第 {first.submission_id} 号报表"):
        sz.import_result(result, data)
    assert table_counts(store) == before and store.version() == version
    assert store.submission(first.submission_id)["status"] == "active"
    assert [r["action"] for r in audit_rows(store)][-2:] == ["denied", "denied"]
    # kept beside it (replace=False) is no write outside the scope
    outcome = sz.import_result(result, data, replace=False)
    assert outcome.status == "imported" and outcome.replaced == []
    assert store.submission(first.submission_id)["status"] == "active"


def test_a_restore_in_scope_may_not_step_back_a_return_outside_it(filled):
    store, _ = filled
    _, sz_file = store.import_bytes(place_column_file("深圳市南山区", 6), "sz_2021.xlsx")
    _, gz_file = store.import_bytes(place_column_file("广州市天河区", 5), "gz_2021.xlsx")
    assert store.submission(sz_file.submission_id)["status"] == "superseded"  # the raw store's rule
    sz = ScopedStore(store, SZ_REVIEWER)
    assert sz.submission(sz_file.submission_id) is not None
    before = table_counts(store)
    with pytest.raises(AccessDenied, match=f"第 {gz_file.submission_id} 号报表"):
        sz.restore(sz_file.submission_id)
    assert table_counts(store) == before
    assert ScopedStore(store, ADMIN).restore(sz_file.submission_id) == [gz_file.submission_id]


def test_plan_is_allowed_in_scope(filled):
    store, _ = filled
    data = return_file([("深圳市罗湖区市场监督管理局", 4)])
    result = ingest_bytes(data, "luohu.xlsx", overrides=Overrides())
    plan = ScopedStore(store, SZ_REVIEWER).plan(result, data)
    assert (plan.status, plan.replaces) == ("new", [])


# ---- campaigns ------------------------------------------------------------------------------------
ROSTER = [
    (NANSHAN, "市场监管", "440305"),
    (FUTIAN, "消委会", "440304"),
    (TIANHE, "消委会", "440106"),
    (CHAOYANG, "市场监管", "110105"),
    ("深圳市罗湖区市场监督管理局", "市场监管", "440303"),
]


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=BEIJING)


@pytest.fixture
def round_store(tmp_path):
    """A 2025 round of five units (three in 深圳, one in 广州, one in 北京), all but 罗湖 reported."""
    store = Store(f"sqlite:///{tmp_path / 'round.db'}")
    campaign = cp.create_campaign(
        store,
        name="2025年3·15活动情况报送",
        year=2025,
        due="2025-03-25",
        metrics=["events", "materials"],
        units=[RosterUnit(0, 0, n, s, a) for n, s, a in ROSTER],
    )
    units = {u.name: u for u in cp.roster(store, campaign.id)}
    for name, events in ((NANSHAN, 12), (FUTIAN, 5), (TIANHE, 7), (CHAOYANG, 6)):
        outcome = cp.submit_return(
            store, campaign.id, return_file([(name, events)]), f"{name}.xlsx", at=at("2025-03-20")
        )
        assert outcome.status == "submitted", outcome.message
    yield store, campaign, units
    store.dispose()


def test_roster_statuses_and_completeness_count_only_units_in_scope(round_store):
    store, campaign, units = round_store
    seen = {
        who.name: [u.name for u in cp.roster(ScopedStore(store, who), campaign.id)]
        for who in (ADMIN, SZ_REVIEWER, GZ_REVIEWER, NANSHAN_FILLER, BJ_VIEWER, NOBODY)
    }
    assert seen == {
        "admin": [r[0] for r in ROSTER],
        "sz": [NANSHAN, FUTIAN, "深圳市罗湖区市场监督管理局"],
        "gz": [TIANHE],
        "ns": [NANSHAN],
        "bjv": [CHAOYANG],
        "none": [],
    }
    sz = ScopedStore(store, SZ_REVIEWER)
    report = completeness.build(sz, campaign.id, today=dt.date(2025, 4, 1))
    assert (report.overall.expected, report.overall.reported) == (3, 2)
    assert {u.unit.name for u in report.units} == set(seen["sz"])
    full = completeness.build(store, campaign.id, today=dt.date(2025, 4, 1))
    assert (full.overall.expected, full.overall.reported) == (5, 4)
    assert [s.unit.name for s in cp.unit_statuses(ScopedStore(store, GZ_REVIEWER), campaign.id)] == [TIANHE]
    with pytest.raises(CampaignError):
        cp.unit_status(ScopedStore(store, GZ_REVIEWER), campaign.id, units[NANSHAN].id)


def test_round_coverage_is_scoped_and_never_pollutes_the_shared_cache(round_store):
    store, campaign, units = round_store
    cp._PER_VERSION.clear()
    all_ids = [s["id"] for s in store.submissions(statuses=("active",))]
    sz = ScopedStore(store, SZ_REVIEWER)
    (scoped,) = cp.round_coverage(sz, all_ids, [2025])  # the scoped call runs first
    assert (scoped.expected, scoped.covered) == (3, 2)
    (owner,) = cp.round_coverage(store, all_ids, [2025])
    assert (owner.expected, owner.covered) == (5, 4)
    (gz,) = cp.round_coverage(ScopedStore(store, GZ_REVIEWER), all_ids, [2025])
    assert (gz.expected, gz.covered) == (1, 1)
    cp._PER_VERSION.clear()
    (fresh,) = cp.round_coverage(Store(store.url), all_ids, [2025])
    assert (fresh.expected, fresh.covered) == (owner.expected, owner.covered)

    cp._PER_VERSION.clear()
    cp.approve(sz, campaign.id, units[NANSHAN].id)
    assert cp.approved_submissions(sz) == cp.approved_submissions(store)
    nanshan_sub = cp.unit_status(store, campaign.id, units[NANSHAN].id).submission_id
    assert cp.approved_submissions(store) == {nanshan_sub}


@pytest.mark.parametrize(
    ("who", "unit", "allowed"),
    [
        (ADMIN, TIANHE, True),
        (SZ_REVIEWER, NANSHAN, True),
        (SZ_REVIEWER, TIANHE, False),
        (GZ_REVIEWER, NANSHAN, False),
        (GZ_REVIEWER, TIANHE, True),
        (NANSHAN_FILLER, NANSHAN, False),
        (SZ_VIEWER, NANSHAN, False),
    ],
)
def test_review_steps_per_role_and_scope(round_store, who, unit, allowed):
    store, campaign, units = round_store
    view = ScopedStore(store, who, source="10.9.9.9")
    uid = units[unit].id
    before = table_counts(store)
    if allowed:
        assert cp.return_with_comment(view, campaign.id, uid, "请核实").status == Status.RETURNED
        assert cp.submit(store, campaign.id, uid).status == Status.PENDING
        assert cp.approve(view, campaign.id, uid).status == Status.APPROVED
        assert cp.lock(view, campaign.id, uid).status == Status.LOCKED
        assert cp.unlock(view, campaign.id, uid, "数字有误").status == Status.PENDING
        assert isinstance(cp.return_issues(view, campaign.id, uid), list)
        rows = [
            (r["action"], r["who"], r["source"])
            for r in audit_rows(store)
            if r["action"] in ("return", "approve", "lock", "unlock")
        ]
        assert rows == [(a, who.name, "10.9.9.9") for a in ("return", "approve", "lock", "unlock")]
        return
    for step in (
        lambda: cp.approve(view, campaign.id, uid),
        lambda: cp.lock(view, campaign.id, uid),
        lambda: cp.unlock(view, campaign.id, uid, "x"),
        lambda: cp.return_with_comment(view, campaign.id, uid, "x"),
    ):
        with pytest.raises(AccessDenied):
            step()
    assert table_counts(store) == before
    denied = [r for r in audit_rows(store) if r["action"] == "denied"]
    assert len(denied) == 4 and {r["who"] for r in denied} == {who.name}


def test_return_issues_out_of_scope_are_refused(round_store):
    store, campaign, units = round_store
    with pytest.raises(AccessDenied):
        cp.return_issues(ScopedStore(store, GZ_REVIEWER), campaign.id, units[NANSHAN].id)
    assert cp.return_issues(ScopedStore(store, SZ_VIEWER), campaign.id, units[NANSHAN].id) == []


def test_submit_return_per_role(round_store):
    store, campaign, units = round_store
    filler = ScopedStore(store, NANSHAN_FILLER)
    before = table_counts(store)
    # the filler's own unit, written in the short form
    done = cp.submit_return(filler, campaign.id, return_file([("深圳市南山区市场监管局", 13)]), "南山v2.xlsx")
    assert (done.status, done.unit.name, done.version) == ("submitted", NANSHAN, 2)
    assert store.submission(done.submission_id)["imported_by"] == NANSHAN_FILLER.display
    assert table_counts(store)["submissions"] == before["submissions"] + 1
    # another unit's return: not on the filler's roster, nothing stored
    before = table_counts(store)
    other = cp.submit_return(filler, campaign.id, return_file([(FUTIAN, 3)]), "福田.xlsx")
    assert other.status == "unknown"
    with pytest.raises(CampaignError):
        cp.submit_return(filler, campaign.id, return_file([(FUTIAN, 3)]), "福田.xlsx", unit_id=units[FUTIAN].id)
    # the filler's unit chosen by hand but a file of another unit: refused by the upload check
    with pytest.raises(AccessDenied):
        cp.submit_return(filler, campaign.id, return_file([(FUTIAN, 3)]), "福田.xlsx", unit_id=units[NANSHAN].id)
    with pytest.raises(AccessDenied):
        cp.submit_return(ScopedStore(store, SZ_VIEWER), campaign.id, return_file([(NANSHAN, 3)]), "v.xlsx")
    assert table_counts(store) == before


def test_a_filler_cannot_tie_another_citys_return_to_its_unit(round_store):
    store, campaign, units = round_store
    tianhe_sub = cp.unit_status(store, campaign.id, units[TIANHE].id).submission_id
    filler = ScopedStore(store, NANSHAN_FILLER)
    before = table_counts(store)
    with pytest.raises(AccessDenied):
        cp.submit(filler, campaign.id, units[NANSHAN].id, submission_id=tianhe_sub)
    assert table_counts(store) == before


@pytest.mark.parametrize("who", [SZ_REVIEWER, NANSHAN_FILLER, SZ_VIEWER])
def test_rounds_and_rosters_are_for_administrators(round_store, who):
    store, campaign, _ = round_store
    view = ScopedStore(store, who)
    before = table_counts(store)
    roster_file = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["单位名称", "地区"])
    wb.active.append(["深圳市宝安区市场监督管理局", "深圳市宝安区"])
    wb.save(roster_file)
    with pytest.raises(AccessDenied, match="创建报送任务"):
        cp.create_campaign(view, name="2026年报送", year=2026, due="2026-03-25")
    with pytest.raises(AccessDenied):
        cp.import_roster(view, campaign.id, roster_file.getvalue(), "名单.xlsx")
    with pytest.raises(AccessDenied):
        cp.copy_campaign(view, campaign.id, year=2026, due="2026-03-25")
    assert table_counts(store) == before
    admin = ScopedStore(store, ADMIN)
    assert cp.import_roster(admin, campaign.id, roster_file.getvalue(), "名单.xlsx").added == 1


def test_an_administrator_of_a_region_keeps_the_roster_inside_it(round_store):
    store, campaign, units = round_store
    sz_admin = ScopedStore(store, principal("sz-admin", Role.ADMIN, Scope(("440300",))))
    before = table_counts(store)

    def roster_xlsx(*rows: tuple[str, str]) -> bytes:
        wb = openpyxl.Workbook()
        wb.active.append(["单位名称", "地区"])
        for row in rows:
            wb.active.append(list(row))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    mixed = roster_xlsx(("深圳市宝安区市场监督管理局", "深圳市宝安区"), ("广州市海珠区市场监督管理局", "广州市海珠区"))
    with pytest.raises(AccessDenied, match="广州市海珠区市场监督管理局不在"):
        cp.import_roster(sz_admin, campaign.id, mixed, "名单.xlsx")
    with pytest.raises(AccessDenied):
        cp.edit_roster(sz_admin, campaign.id, {units[TIANHE].id: {"contact": "王五"}})
    with pytest.raises(AccessDenied, match="不在"):
        cp.edit_roster(sz_admin, campaign.id, {units[NANSHAN].id: {"adcode": "440106"}})
    assert table_counts(store) == before
    assert (
        cp.import_roster(
            sz_admin, campaign.id, roster_xlsx(("深圳市宝安区市场监督管理局", "深圳市宝安区")), "名单.xlsx"
        ).added
        == 1
    )
    edited = cp.edit_roster(sz_admin, campaign.id, {units[NANSHAN].id: {"contact": "王五", "adcode": "440305"}})
    assert [u.contact for u in edited if u.name == NANSHAN] == ["王五"]
    assert cp.edit_roster(store, campaign.id, {units[NANSHAN].id: {"adcode": "440106"}})  # 全国 may move it


def test_reminders_per_role_and_only_for_units_in_scope(round_store):
    store, campaign, units = round_store
    today = dt.date(2025, 4, 1)
    sz = ScopedStore(store, SZ_REVIEWER)
    made = make_reminder(sz, campaign.id, ".xlsx", today=today)
    assert [name for _, name in made.units] == ["深圳市罗湖区市场监督管理局"]
    # the round's other overdue unit, seen by 全国 only
    cp.return_with_comment(store, campaign.id, units[TIANHE].id, "请补充")
    gz = ScopedStore(store, GZ_REVIEWER)
    assert [name for _, name in make_reminder(gz, campaign.id, ".xlsx", today=today).units] == [TIANHE]
    before = table_counts(store)
    for who in (NANSHAN_FILLER, SZ_VIEWER):
        with pytest.raises(AccessDenied):
            make_reminder(ScopedStore(store, who), campaign.id, ".xlsx", today=today)
    with pytest.raises(AccessDenied):
        made.record(ScopedStore(store, SZ_VIEWER))
    assert table_counts(store) == before
    # each account's history and counts name only its own units
    assert [log.units for log in reminder_history(gz, campaign.id)] == [(TIANHE,)]
    assert [log.units for log in reminder_history(sz, campaign.id)] == [("深圳市罗湖区市场监督管理局",)]
    assert reminder_counts(gz, campaign.id) == {units[TIANHE].id: 1}
    assert reminder_counts(store, campaign.id) == {units[TIANHE].id: 1, units["深圳市罗湖区市场监督管理局"].id: 1}


# ---- where the server listens ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        (" 127.0.0.2 ", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
        ("::ffff:127.0.0.1", True),
    ],
)
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("address", ["0.0.0.0", "", None, "::", "10.0.0.5"])
def test_without_login_a_public_bind_is_refused(address):
    refusal = bind_refusal(address, None, login_configured=False)
    assert refusal is not None and "未配置登录" in refusal and "127.0.0.1" in refusal
    assert bind_refusal(address, "10.0.0.8", login_configured=True) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1"])
def test_without_login_loopback_serves_this_machine_only(address):
    assert bind_refusal(address, None, login_configured=False) is None
    assert bind_refusal(address, "127.0.0.1", login_configured=False) is None
    assert bind_refusal(address, "::1", login_configured=False) is None
    refusal = bind_refusal(address, "192.168.1.20", login_configured=False)
    assert refusal is not None and "192.168.1.20" in refusal
    assert bind_refusal(address, "192.168.1.20", login_configured=True) is None


def test_the_owner_may_do_everything():
    assert all(OWNER.can(a) for a in Action)
    assert OWNER.sees_all and OWNER.kind == "owner"
