"""Who sees and may do what, page by page: every account logs in through the real form and walks every page.

One store holds returns of 深圳市 and 广州市 units (one file mixes both cities), one of 浙江省 宁波市, and a
2025 collection round whose roster spans both cities. Five accounts (管理员 全国, 审核员 深圳市, 审核员 广州市,
填报员 of one 深圳 unit, 查看者 广州市) each see the navigation their role allows, numbers equal to plain SQL
over their scope only, and write controls only where the role may write. The SQL here joins the records
table to its terms and regions the long way; it shares nothing with metrics/access/rules.py or metrics/access/scoped.py.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from metrics.access import accounts
from metrics.access.rules import ALLOWED, Action, Role, Scope
from metrics.analysis import maps
from metrics.collection import campaigns as cp
from metrics.core.fmt import format_metric
from metrics.storage.store import Store
from tests.test_pages import ROOT, bar_values, figures, no_exception

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROUND = "2025年3·15活动情况报送"
PASSWORD = "Pw-3·15-matrix"

# Roster of the round: (name, sector, adcode). 深圳 440300 and 广州 440100.
ROSTER = (
    ("深圳市南山区市场监督管理局", "市场监管", "440305"),
    ("深圳市福田区消费者委员会", "消委会", "440304"),
    ("深圳市罗湖区市场监督管理局", "市场监管", "440303"),
    ("广州市天河区市场监督管理局", "市场监管", "440106"),
    ("广州市越秀区消费者委员会", "消委会", "440104"),
    ("广州市荔湾区市场监督管理局", "市场监管", "440103"),
)
FILLER_UNIT = ROSTER[0][0]


@dataclass(frozen=True)
class Who:
    name: str
    role: Role
    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        return Scope(self.regions, self.units, everywhere=not (self.regions or self.units))

    @property
    def display(self) -> str:
        return f"{self.name}显示名"

    def where(self, place: str = "g.adcode", unit: str = "ag.text") -> tuple[str, tuple]:
        """The scope as an SQL condition (never NULL) on a place's adcode and a unit's name; written here,
        not taken from metrics.access.rules: 440300 covers adcodes starting 4403, 440000 those starting 44."""
        if not (self.regions or self.units):
            return "1 = 1", ()
        parts, params = [], []
        for code in self.regions:
            prefix = code[:2] if code[2:] == "0000" else code[:4] if code[4:] == "00" else code
            parts.append(f"COALESCE({place} LIKE ?, 0)")
            params.append(prefix + "%")
        for name in self.units:
            parts.append(f"COALESCE({unit} = ?, 0)")
            params.append(name)
        return "(" + " OR ".join(parts) + ")", tuple(params)


ADMIN = Who("admin", Role.ADMIN)
REV_SZ = Who("rev_sz", Role.REVIEWER, ("440300",))
REV_GZ = Who("rev_gz", Role.REVIEWER, ("440100",))
FILLER = Who("filler_sz", Role.FILLER, (), (FILLER_UNIT,))
VIEWER = Who("viewer_gz", Role.VIEWER, ("440100",))
ACCOUNTS = (ADMIN, REV_SZ, REV_GZ, FILLER, VIEWER)


def unit_return(place: str, rows: list[tuple[str, float]], year: int = 2025) -> bytes:
    """A one-sheet return in the usual style: a title naming the place and year, one row per unit."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{place}{year}年“3·15”消费者权益日活动统计表"])
    ws.append(["填报单位", "开展活动(场)", "发放宣传资料(份)", "受理投诉举报(件)"])
    for agency, events in rows:
        ws.append([agency, events, events * 100 + 7, events * 3])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def roster_file() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "系统", "行政区划代码", "联系人", "联系电话"])
    for k, (name, sector, adcode) in enumerate(ROSTER):
        ws.append([name, sector, adcode, f"联系人{k}", f"1390000{k:04d}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build(path: Path) -> None:
    """The shared store, before any account exists (the owner's mode is a copy of it)."""
    store = Store(f"sqlite:///{path}")
    campaign = cp.create_campaign(store, name=ROUND, year=2025, due="2099-03-25", metrics=["events", "materials"])
    cp.import_roster(store, campaign.id, roster_file(), "名单.xlsx")
    units = {u.name: u for u in cp.roster(store, campaign.id)}
    assert [u.adcode for u in units.values()] == [r[2] for r in ROSTER]
    # Round returns: 南山 and 福田 (halves: fraction-in-count warnings) in 深圳, 天河 and 越秀 (halves too) in 广州.
    for place, agency, events in (
        ("深圳市", ROSTER[0][0], 12),
        ("深圳市", ROSTER[1][0], 3.5),
        ("广州市", ROSTER[3][0], 20),
        ("广州市", ROSTER[4][0], 9.5),
    ):
        out = cp.submit_return(store, campaign.id, unit_return(place, [(agency, events)]), f"{agency}.xlsx", who="测试")
        assert out.status == "submitted", out.message
    cp.approve(store, campaign.id, units[ROSTER[3][0]].id, who="测试")  # 天河 approved
    # Outside the round: a province's summary mixing both cities, 宁波 (another province), last year's returns.
    for data, name in (
        (
            unit_return("广东省", [("深圳市宝安区市场监督管理局", 8), ("广州市海珠区市场监督管理局", 15.5)]),
            "广东省汇总.xlsx",
        ),
        (unit_return("浙江省宁波市", [("宁波市海曙区市场监督管理局", 31)]), "宁波海曙.xlsx"),
        (unit_return("深圳市", [(ROSTER[0][0], 10.5)], 2024), "南山2024.xlsx"),
        (unit_return("广州市", [(ROSTER[3][0], 14)], 2024), "天河2024.xlsx"),
        (unit_return("浙江省宁波市", [("宁波市海曙区市场监督管理局", 4.5)], 2024), "海曙2024.xlsx"),
    ):
        _, out = store.import_bytes(data, name, who="测试")
        assert out.status == "imported", (name, out.message)
    store.dispose()


def add_accounts(path: Path) -> None:
    store = Store(f"sqlite:///{path}")
    for who in ACCOUNTS:
        accounts.add_user(
            store, name=who.name, role=who.role, display=f"{who.name}显示名", scope=who.scope, password=PASSWORD
        )
    store.dispose()


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("access")
    owner, shared = base / "owner.db", base / "shared.db"
    build(owner)
    shutil.copy(owner, shared)
    add_accounts(shared)
    return {"owner": owner, "shared": shared}


@pytest.fixture
def db(stores, monkeypatch) -> Path:
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{stores['shared']}")
    return stores["shared"]


@pytest.fixture
def fresh_db(stores, tmp_path, monkeypatch) -> Path:
    """A copy of the shared store for a test that writes."""
    path = tmp_path / "fresh.db"
    shutil.copy(stores["shared"], path)
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{path}")
    return path


# ---- logging in --------------------------------------------------------------------------------------------
def login(who: Who, *, query: dict | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    at = app.run()
    no_exception(at)
    assert [i.label for i in at.text_input] == ["用户名", "密码"]
    at.text_input(key="login_name").input(who.name)
    at.text_input(key="login_password").input(PASSWORD)
    next(b for b in at.button if b.label == "登录").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def nav_pages(at: AppTest) -> set[str]:
    """The page files st.navigation registered on the last run (what the sidebar's navigation lists)."""
    return {Path(str(info["script_path"])).name for info in at._registered_pages.values() if info.get("script_path")}


# ---- the truth, in plain SQL ---------------------------------------------------------------------------------
_RECORDS = """
SELECT {select}
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id
LEFT JOIN terms ag ON ag.id = r.agency_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND {scope} {extra}
{group}
"""


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def sums(db: Path, who: Who, metric: str, key: str | None = None, extra: str = "", params: tuple = ()) -> dict:
    """Active records' totals of one metric within the account's scope, by ``key`` (or one 'all')."""
    scope, scope_params = who.where()
    select = f"{key or chr(39) + 'all' + chr(39)} AS key, SUM(r.value)"
    rows = query(
        db,
        _RECORDS.format(
            select=select, scope=scope, extra=f"AND m.text = ? {extra}", group=f"GROUP BY {key}" if key else ""
        ),
        (*scope_params, metric, *params),
    )
    return {k: v for k, v in rows if v is not None}


def in_scope_count(db: Path, who: Who) -> int:
    scope, params = who.where()
    return query(db, _RECORDS.format(select="COUNT(*)", scope=scope, extra="", group=""), params)[0][0]


def shown_year(db: Path, who: Who) -> int:
    """The overview's year: the latest, unless fewer than half as many units reported it as the year before."""
    scope, params = who.where()
    rows = query(
        db,
        _RECORDS.format(
            select="DISTINCT r.year, r.agency_id",
            scope=scope,
            extra="AND r.year IS NOT NULL AND r.agency_id IS NOT NULL",
            group="",
        ),
        params,
    )
    units: dict[int, set] = {}
    for year, agency in rows:
        units.setdefault(year, set()).add(agency)
    latest = max(units)
    return latest - 1 if 2 * len(units[latest]) < len(units.get(latest - 1, ())) else latest


def visible_files(db: Path, who: Who) -> dict[int, str]:
    """Submissions (any status) whose every record is in scope: the files the account may see as files."""
    scope, params = who.where()
    rows = query(
        db,
        f"""
        SELECT s.id, s.file_name FROM submissions s
        WHERE EXISTS (SELECT 1 FROM records r WHERE r.submission_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM records r LEFT JOIN terms ag ON ag.id = r.agency_id
                          LEFT JOIN regions g ON g.id = r.region_id
                          WHERE r.submission_id = s.id AND NOT {scope})""",
        params,
    )
    return dict(rows)


def roster_in_scope(db: Path, who: Who) -> list[tuple[int, str]]:
    scope, params = who.where("u.adcode", "u.name")
    return query(db, f"SELECT u.id, u.name FROM roster_units u WHERE {scope} ORDER BY u.id", params)


def unit_history(db: Path, who: Who) -> dict[int, list[tuple[str, str, int | None]]]:
    """In-scope roster unit → its events (action, status, submission id) in order."""
    units = dict(roster_in_scope(db, who))
    out: dict[int, list] = {u: [] for u in units}
    for unit, action, status, sub in query(
        db, "SELECT unit_id, action, status, submission_id FROM unit_events ORDER BY id"
    ):
        if unit in out:
            out[unit].append((action, status, sub))
    return out


def forbidden(db: Path, who: Who) -> set[str]:
    """Names the account must never be shown: units, cities and files with nothing in its scope."""
    if not (who.regions or who.units):
        return set()
    scope, params = who.where()
    agencies = {
        a
        for (a,) in query(
            db,
            f"""
        SELECT DISTINCT ag.text FROM records r JOIN terms ag ON ag.id = r.agency_id
        LEFT JOIN regions g ON g.id = r.region_id GROUP BY ag.text HAVING MAX({scope}) = 0""",
            params,
        )
    }
    cities = {
        c
        for (c,) in query(
            db,
            f"""
        SELECT g.city FROM records r JOIN regions g ON g.id = r.region_id LEFT JOIN terms ag ON ag.id = r.agency_id
        GROUP BY g.city HAVING MAX({scope}) = 0""",
            params,
        )
        if c
    }
    files = {
        f
        for (f,) in query(
            db,
            f"""
        SELECT s.file_name FROM submissions s JOIN records r ON r.submission_id = s.id
        LEFT JOIN terms ag ON ag.id = r.agency_id LEFT JOIN regions g ON g.id = r.region_id
        GROUP BY s.id HAVING MAX({scope}) = 0""",
            params,
        )
    }
    inside = {n for _, n in roster_in_scope(db, who)}
    roster = {n for (n,) in query(db, "SELECT name FROM roster_units")} - inside
    found = agencies | cities | files | roster
    assert found, "the store must hold something outside every scoped account"
    return found


# ---- what a page shows -----------------------------------------------------------------------------------
def page_text(at) -> str:
    """Everything the run drew (an AppTest: main area and sidebar; or one block): texts, widget options,
    tables' cells, charts' data (a map's coloured units, not the grey places around them)."""
    from google.protobuf import text_format

    parts: list[str] = []

    def walk(node) -> None:
        children = getattr(node, "children", None)
        if children:
            for child in children.values():
                walk(child)
            return
        proto = getattr(node, "proto", None)
        if node.type == "arrow_data_frame":
            parts.append(node.value.to_csv())
        elif node.type == "plotly_chart":
            spec = json.loads(proto.spec)
            # A map's grey layer names the places around the view (public geography, no numbers): only
            # its coloured units are the view's data.
            spec["data"] = [t for t in spec["data"] if t.get("type") != "choropleth" or t.get("coloraxis")]
            parts.append(json.dumps(spec, ensure_ascii=False))
        elif proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))

    walk(at._tree if isinstance(at, AppTest) else at)
    return "\n".join(parts)


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def numbers(at: AppTest, label: str) -> dict[str, str]:
    """A numbers table beside a chart (label column → formatted value), without its 合计 row (the map's
    table, which leads with its 合计, is map_numbers)."""
    frame = next(
        d.value for d in at.dataframe if list(d.value.columns) == [label, "数值"] and d.value.iloc[0, 0] != "合计"
    )
    return {k: v for k, v in zip(frame[label], frame["数值"], strict=True) if k != "合计"}


def has_button(at: AppTest, key: str) -> bool:
    return any(b.key == key for b in at.button)


PAGES = (
    "overview",
    "upload",
    "campaigns",
    "progress",
    "agencies",
    "themes",
    "regions",
    "trends",
    "details",
    "quality",
    "briefing",
    "audit",
)
# What each role's navigation lists (the spec of issue 13, written out rather than derived from ALLOWED).
NAV = {
    Role.ADMIN: set(PAGES),
    Role.REVIEWER: set(PAGES) - {"audit"},
    Role.FILLER: set(PAGES) - {"audit"},
    Role.VIEWER: set(PAGES) - {"audit", "upload", "campaigns"},
}
UNITS = {"events": "场", "materials": "份", "complaints_received": "件"}
TILES = {"开展活动": "events", "发放宣传资料": "materials", "受理投诉举报": "complaints_received"}
TITLES = {
    "overview": "总览",
    "upload": "数据上报",
    "campaigns": "报送任务",
    "progress": "报送进度",
    "agencies": "单位对比",
    "themes": "主题与活动",
    "regions": "地区",
    "trends": "趋势",
    "details": "明细",
    "quality": "数据质量",
    "briefing": "简报导出",
    "audit": "操作日志",
}


def measure_of_page(at: AppTest, key: str) -> str:
    measure = at.selectbox(key=key).value
    assert measure in UNITS, measure
    return measure


def coverage(db: Path, who: Who) -> tuple[int, int]:
    """(in-scope roster units, those whose return in force is an active submission)."""
    active = {i for (i,) in query(db, "SELECT id FROM submissions WHERE status = 'active'")}
    history = unit_history(db, who)
    latest = {u: [sub for action, _, sub in events if action == "submit"][-1:] for u, events in history.items()}
    return len(history), sum(bool(subs) and subs[0] in active for subs in latest.values())


def check_overview(at: AppTest, db: Path, who: Who) -> None:
    year = shown_year(db, who)
    tiles = {m.label: m.value for m in at.metric}
    for label, metric in TILES.items():
        total = sums(db, who, metric, extra="AND r.year = ?", params=(year,)).get("all", 0)
        assert tiles[label] == format_metric(total, UNITS[metric]), label
    measure = measure_of_page(at, "overview_measure")
    region = next(spec for title, spec in figures(at).items() if "按地区" in title)
    expected = sums(db, who, measure, "g.province", "AND r.year = ?", (year,))
    assert bar_values(region) == pytest.approx({k or "(未填写)": v for k, v in expected.items()})
    expected_units, covered = coverage(db, who)
    assert f"报送任务“{ROUND}”:应报{expected_units}家,本页数字涵盖其中{covered}家" in [c.value for c in at.caption]


def check_agencies(at: AppTest, db: Path, who: Who) -> None:
    measure = measure_of_page(at, "agencies_measure")
    expected = sums(db, who, measure, "ag.text")
    assert numbers(at, "单位") == {k: format_metric(v, UNITS[measure]) for k, v in expected.items()}
    scope, params = who.where()
    units = {
        a for (a,) in query(db, _RECORDS.format(select="DISTINCT ag.text", scope=scope, extra="", group=""), params)
    }
    pivot = next(d.value for d in at.dataframe if "单位" in d.value.columns and len(d.value.columns) > 2)
    assert set(pivot["单位"]) - {"合计"} == units


def check_themes(at: AppTest, db: Path, who: Who) -> None:
    measure = measure_of_page(at, "themes_measure")
    frame = next(d.value for d in at.dataframe if list(d.value.columns) == ["主题", "数值"])
    total = dict(zip(frame["主题"], frame["数值"], strict=True))["合计"]
    assert total == format_metric(sums(db, who, measure)["all"], UNITS[measure])


def map_numbers(at: AppTest, label: str) -> tuple[str, dict[str, str]]:
    """The table beside the map: (its leading 合计, the units with numbers)."""
    frame = next(
        d.value for d in at.dataframe if list(d.value.columns) == [label, "数值"] and d.value.iloc[0, 0] == "合计"
    )
    return frame.iloc[0, 1], {k: v for k, v in zip(frame[label][1:], frame["数值"][1:], strict=True) if v}


def check_regions(at: AppTest, db: Path, who: Who) -> None:
    measure = measure_of_page(at, "regions_measure")
    expected = sums(db, who, measure, "g.province")
    assert numbers(at, "省份") == {k: format_metric(v, UNITS[measure]) for k, v in expected.items()}
    home = maps.home_place(who.regions) if who.regions and not who.units else None
    path = [b.label for b in at.button if b.key and b.key.startswith("regions_map_up_")]
    if home is None:
        total, on_map = map_numbers(at, "省份")
        assert total == format_metric(sum(expected.values()), UNITS[measure])
        assert on_map == {k: format_metric(v, UNITS[measure]) for k, v in expected.items() if k}
        assert path == ["全国"]
        return
    # An account held to a city: its map starts at the city's districts and its path at the city.
    assert home.level == "city"
    by_district = sums(db, who, measure, "g.district")
    total, on_map = map_numbers(at, "区县")
    assert total == format_metric(sum(by_district.values()), UNITS[measure])
    left = by_district.pop(None, 0)
    want = {k: format_metric(v, UNITS[measure]) for k, v in by_district.items()}
    if left:
        want["未落到图上"] = format_metric(left, UNITS[measure])
    assert on_map == want
    assert path == [home.name]


def check_trends(at: AppTest, db: Path, who: Who) -> None:
    measure = measure_of_page(at, "trends_measure")
    expected = sums(db, who, measure, "r.year")
    assert numbers(at, "年度") == {str(k): format_metric(v, UNITS[measure]) for k, v in expected.items()}


def check_details(at: AppTest, db: Path, who: Who) -> None:
    assert f"当前筛选:{in_scope_count(db, who):,} 条记录" in [c.value for c in at.caption]
    listing = table_with(at, "#")
    assert set(listing["#"]) == set(visible_files(db, who))
    correct = Action.CORRECT in ALLOWED[who.role]
    (status,) = query(db, "SELECT status FROM submissions WHERE id = ?", (at.selectbox(key="details_pick").value,))[0]
    assert at.button(key="details_delete").disabled is (not correct or status == "deleted")
    assert at.button(key="details_restore").disabled is (not correct or status == "active")


def check_quality(at: AppTest, db: Path, who: Who) -> None:
    files = visible_files(db, who)
    marks = ",".join("?" * len(files))
    found = dict(
        query(
            db,
            f"SELECT i.level, COUNT(*) FROM issues i JOIN submissions s ON s.id = i.submission_id "
            f"WHERE s.status = 'active' AND s.id IN ({marks}) GROUP BY i.level",
            tuple(files),
        )
    )
    assert [tab.label for tab in at.tabs][:3] == [
        f"{name} ({found.get(level, 0)})" for level, name in (("error", "错误"), ("warning", "警告"), ("info", "提示"))
    ]
    assert found, "every scope here holds a return with issues"
    shown = set().union(*(set(d.value["文件"]) for d in at.dataframe if "文件" in d.value.columns))
    active = {n for i, n in query(db, "SELECT id, file_name FROM submissions WHERE status = 'active'") if i in files}
    with_issues = {
        n
        for (n,) in query(db, "SELECT DISTINCT s.file_name FROM issues i JOIN submissions s ON s.id = i.submission_id")
    }
    assert shown == active & with_issues


def check_progress(at: AppTest, db: Path, who: Who) -> None:
    history = unit_history(db, who)
    expected = len(history)
    reported = sum(any(a == "submit" for a, _, _ in ev) for ev in history.values())
    approved = sum(bool(ev) and ev[-1][1] in ("已审核", "已锁定") for ev in history.values())

    def rate(n: int) -> str:
        return f"{100 * n / expected:.1f}%"

    # The round is due in 2099: every return so far is on time.
    assert {m.label: m.value for m in at.metric} == {
        "报送率": rate(reported),
        "按时率": rate(reported),
        "审核率": rate(approved),
    }
    assert at.caption[0].value.startswith(f"以下数字覆盖名单中的 {expected} 个应报单位")
    names = dict(roster_in_scope(db, who))
    waiting = [names[u] for u, ev in history.items() if not ev or ev[-1][1] in ("未报", "退回")]
    if waiting:
        assert table_with(at, "已催报次数")["单位"].tolist() == waiting
    by_sector = table_with(at, "系统")
    assert by_sector["应报"].sum() == expected and by_sector["已报"].sum() == reported
    assert has_button(at, "progress_make") is (Action.REVIEW in ALLOWED[who.role])


def check_campaigns(at: AppTest, db: Path, who: Who) -> None:
    names = roster_in_scope(db, who)
    history = unit_history(db, who)
    table = table_with(at, "最近操作(北京时间)")
    assert table["单位"].tolist() == [n for _, n in names]
    assert table["状态"].tolist() == [history[u][-1][1] if history[u] else "未报" for u, _ in names]
    assert at.selectbox(key="campaign_unit").options == [n for _, n in names]
    allowed = ALLOWED[who.role]
    assert has_button(at, "campaign_create") is (Action.ROUNDS in allowed)
    assert has_button(at, "campaign_upload") is (Action.UPLOAD in allowed)
    for step in ("return", "approve", "lock", "unlock"):
        assert has_button(at, f"campaign_do_{step}") is (Action.REVIEW in allowed), step
    at.radio(key="campaign_section").set_value("roster").run()
    no_exception(at)
    assert f"应报单位 {len(names)} 个" in [s.value for s in at.subheader]
    assert has_button(at, "campaign_roster_import") is (Action.ROUNDS in allowed)
    assert has_button(at, "campaign_roster_save") is (Action.ROUNDS in allowed)
    at.radio(key="campaign_section").set_value("status").run()


def check_upload(at: AppTest, db: Path, who: Who) -> None:
    assert at.get("file_uploader"), "no file box on 数据上报"


def approved_visible(db: Path, who: Who) -> set[int]:
    """Submissions in force of units whose last step is 已审核/已锁定, among the account's visible files."""
    out = set()
    for (unit,) in query(db, "SELECT id FROM roster_units"):
        events = query(
            db, "SELECT action, status, submission_id FROM unit_events WHERE unit_id = ? ORDER BY id", (unit,)
        )
        subs = [s for a, _, s in events if a == "submit"]
        if subs and events[-1][1] in ("已审核", "已锁定"):
            out.add(subs[-1])
    return out & set(visible_files(db, who))


def check_briefing(at: AppTest, db: Path, who: Who) -> None:
    assert f"已审核报表 {len(approved_visible(db, who))} 份" in [c.value for c in at.caption]


def check_audit(at: AppTest, db: Path, who: Who) -> None:
    users = [n for (n,) in query(db, "SELECT name FROM users ORDER BY id")]
    assert table_with(at, "用户名")["用户名"].tolist() == users
    assert f"共 {query(db, 'SELECT COUNT(*) FROM audit_log')[0][0]} 条" in [c.value for c in at.caption]


CHECKS = {
    "overview": check_overview,
    "agencies": check_agencies,
    "themes": check_themes,
    "regions": check_regions,
    "trends": check_trends,
    "details": check_details,
    "quality": check_quality,
    "progress": check_progress,
    "campaigns": check_campaigns,
    "upload": check_upload,
    "briefing": check_briefing,
    "audit": check_audit,
}


def check_page(at: AppTest, db: Path, who: Who, page: str) -> None:
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == TITLES[page]
    text = page_text(at)
    leaked = sorted(name for name in forbidden(db, who) if name in text)
    assert not leaked, f"{who.name} on {page} is shown {leaked}"
    check_sidebar(at, db, who)
    CHECKS[page](at, db, who)


def check_sidebar(at: AppTest, db: Path, who: Who) -> None:
    """The filters offer the scope's units, provinces and years only."""
    scope, params = who.where()
    for key, column in (("f_agency", "ag.text"), ("f_province", "g.province"), ("f_year", "r.year")):
        values = {
            str(v)
            for (v,) in query(db, _RECORDS.format(select=f"DISTINCT {column}", scope=scope, extra="", group=""), params)
            if v is not None
        }
        widget = at.multiselect(key=key) if key != "f_province" else at.selectbox(key=key)
        assert set(widget.options) - {"全部"} == values, key


# ---- the matrix ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sessions() -> dict[str, AppTest]:
    return {}


def signed_in(sessions: dict, who: Who) -> AppTest:
    """One logged-in browser session per account for the read-only matrix."""
    if who.name not in sessions:
        sessions[who.name] = login(who)
    return sessions[who.name]


@pytest.mark.parametrize("who", ACCOUNTS, ids=lambda w: w.name)
def test_navigation_lists_exactly_the_pages_of_the_role(db, sessions, who):
    at = signed_in(sessions, who)
    at.switch_page("app_pages/overview.py").run()
    no_exception(at)
    assert nav_pages(at) == {f"{p}.py" for p in NAV[who.role]}
    shown = [c.value for c in at.sidebar.caption]
    assert f"当前账号:{who.display}({who.role.zh} · {who.scope.describe()})" in shown


MATRIX = [(who, page) for who in ACCOUNTS for page in PAGES if page in NAV[who.role]]


@pytest.mark.parametrize(("who", "page"), MATRIX, ids=[f"{w.name}-{p}" for w, p in MATRIX])
def test_every_page_shows_only_the_accounts_scope(db, sessions, who, page):
    at = signed_in(sessions, who)
    at.switch_page(f"app_pages/{page}.py").run()
    check_page(at, db, who, page)


@pytest.mark.parametrize(
    ("who", "page"),
    [(w, p) for w in ACCOUNTS for p in PAGES if p not in NAV[w.role]],
    ids=lambda v: v.name if isinstance(v, Who) else v,
)
def test_a_page_outside_the_role_is_not_reachable_by_its_address(db, sessions, who, page):
    at = signed_in(sessions, who)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"app_pages/{page}.py")
    at._page_hash = calc_hash(page)  # the browser asks for /upload, /audit … by hand
    at.run()
    no_exception(at)
    assert TITLES[page] not in [x.value for x in at.title]
    assert not at.get("file_uploader") and not has_button(at, "campaign_create")
    assert not any("用户名" in d.value.columns for d in at.dataframe)


@pytest.mark.parametrize("page", PAGES)
def test_owner_mode_without_accounts_shows_everything(stores, monkeypatch, page):
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{stores['owner']}")
    owner = Who("本机用户", Role.ADMIN)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    no_exception(at)
    assert not at.text_input or [i.label for i in at.text_input] != ["用户名", "密码"]
    assert nav_pages(at) == {f"{p}.py" for p in PAGES}
    at.switch_page(f"app_pages/{page}.py").run()
    if page != "audit":
        check_page(at, stores["owner"], owner, page)
    else:  # no accounts: the log holds no logins, the page lists no users
        no_exception(at)
        assert at.title[0].value == TITLES[page]


@pytest.mark.parametrize("page", PAGES)
def test_a_logged_out_session_sees_only_the_login_form(db, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at._page_hash = calc_hash(page)  # a link straight to the page
    at.run()
    no_exception(at)
    assert [i.label for i in at.text_input] == ["用户名", "密码"]
    assert [b.label for b in at.button] == ["登录"]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart") and not at.get("file_uploader")
    assert not at.sidebar.children or not page_text(at.sidebar).strip()
    assert nav_pages(at) <= {"app.py"}  # no st.navigation ran: the main script alone
    everything = forbidden(db, REV_SZ) | forbidden(db, REV_GZ)
    text = page_text(at)
    assert not [n for n in everything if n in text]


def test_a_wrong_password_is_refused_and_shows_nothing(db):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at = app.run()
    at.text_input(key="login_name").input(REV_SZ.name)
    at.text_input(key="login_password").input(PASSWORD + "x")
    next(b for b in at.button if b.label == "登录").click().run()
    assert [e.value for e in at.error] == ["用户名或密码不正确"]
    assert not at.metric and nav_pages(at) <= {"app.py"}


def test_the_login_form_in_english(db):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["lang"] = "en"
    at = app.run()
    no_exception(at)
    assert [i.label for i in at.text_input] == ["User name", "Password"]
    assert [b.label for b in at.button] == ["Log in"]
    assert at.subheader[0].value == "Log in"


def test_a_link_naming_another_city_is_dropped_with_a_note(db):
    at = login(REV_SZ, query={"province": "广东省", "city": "广州市"})
    no_exception(at)
    assert any("广州市" in w.value and "已忽略" in w.value for w in at.sidebar.warning)
    tiles = {m.label: m.value for m in at.metric}
    year = shown_year(db, REV_SZ)
    assert tiles["开展活动"] == format_metric(
        sums(db, REV_SZ, "events", extra="AND r.year = ?", params=(year,))["all"], "场"
    )
    main = page_text(at.main)
    assert not [n for n in forbidden(db, REV_SZ) if n in main]
    # The same link opens 广州 for the administrator: the value names something real.
    admin = login(ADMIN, query={"province": "广东省", "city": "广州市"})
    assert not admin.sidebar.warning
    guangzhou = sums(db, ADMIN, "events", extra="AND r.year = ? AND g.city = ?", params=(year, "广州市"))["all"]
    assert {m.label: m.value for m in admin.metric}["开展活动"] == format_metric(guangzhou, "场")


def test_a_link_naming_another_citys_unit_is_dropped_with_a_note(db):
    agency = ROSTER[3][0]  # 广州市天河区市场监督管理局
    at = login(REV_SZ, query={"agency": agency})
    no_exception(at)
    assert any(agency in w.value and "已忽略" in w.value for w in at.sidebar.warning), [
        w.value for w in at.sidebar.warning
    ]
    assert at.multiselect(key="f_agency").value == []


# ---- pressing what is there --------------------------------------------------------------------------------
def audit_rows(db: Path, action: str) -> list[tuple]:
    return query(
        db, "SELECT who, role, ok, submission_ids, target FROM audit_log WHERE action = ? ORDER BY id", (action,)
    )


def unit_id(db: Path, name: str) -> int:
    return query(db, "SELECT id FROM roster_units WHERE name = ?", (name,))[0][0]


def review(at: AppTest, unit: int, step: str) -> None:
    at.switch_page("app_pages/campaigns.py").run()
    at.selectbox(key="campaign_unit").set_value(unit).run()
    at.button(key=f"campaign_do_{step}").click().run()
    no_exception(at)


def test_a_shenzhen_reviewer_approves_a_shenzhen_unit_and_the_log_says_who(fresh_db):
    nanshan = unit_id(fresh_db, ROSTER[0][0])
    at = login(REV_SZ)
    review(at, nanshan, "approve")
    assert not at.error, [e.value for e in at.error]
    assert f"“{ROSTER[0][0]}”现为“已审核”。" in [s.value for s in at.success]
    last = query(fresh_db, "SELECT unit_id, action, status, who FROM unit_events ORDER BY id DESC LIMIT 1")[0]
    assert last == (nanshan, "approve", "已审核", REV_SZ.display)
    who, role, ok, _, target = audit_rows(fresh_db, "approve")[-1]
    assert (who, role, ok) == (REV_SZ.name, "reviewer", 1) and target.endswith(f"单位 {nanshan}")
    check_page(at, fresh_db, REV_SZ, "campaigns")  # the table shows the new status, still 深圳 only


def test_the_approval_in_the_log_names_the_approved_return(fresh_db):
    nanshan = unit_id(fresh_db, ROSTER[0][0])
    (sub,) = [s for a, _, s in unit_history(fresh_db, REV_SZ)[nanshan] if a == "submit"][-1:]
    review(login(REV_SZ), nanshan, "approve")
    assert audit_rows(fresh_db, "approve")[-1][3] == str(sub)


def test_a_reviewer_deletes_and_restores_a_return_of_the_scope_only(fresh_db):
    at = login(REV_SZ)
    at.switch_page("app_pages/details.py").run()
    files = visible_files(fresh_db, REV_SZ)
    assert at.selectbox(key="details_pick").options and {
        int(o.split(" ")[0].lstrip("#")) for o in at.selectbox(key="details_pick").options
    } == set(files)
    target = next(i for i, name in files.items() if name == "南山2024.xlsx")
    at.selectbox(key="details_pick").set_value(target).run()
    before = sums(fresh_db, REV_SZ, "events")["all"]
    at.button(key="details_delete").click().run()
    no_exception(at)
    assert query(fresh_db, "SELECT status FROM submissions WHERE id = ?", (target,)) == [("deleted",)]
    assert audit_rows(fresh_db, "delete")[-1][:4] == (REV_SZ.name, "reviewer", 1, str(target))
    assert sums(fresh_db, REV_SZ, "events")["all"] == before - 10.5
    check_page(at, fresh_db, REV_SZ, "details")
    at.selectbox(key="details_pick").set_value(target).run()
    at.button(key="details_restore").click().run()
    assert query(fresh_db, "SELECT status FROM submissions WHERE id = ?", (target,)) == [("active",)]
    assert audit_rows(fresh_db, "restore")[-1][:3] == (REV_SZ.name, "reviewer", 1)


def test_a_guangzhou_reviewers_reminder_goes_to_guangzhou_units_only(fresh_db):
    at = login(REV_GZ)
    at.switch_page("app_pages/progress.py").run()
    at.text_input(key="progress_office").input("广州市消费者委员会")
    at.text_input(key="progress_contact").input("李某 020-80000000")
    at.radio(key="progress_format").set_value(".xlsx")
    at.button(key="progress_make").click().run()
    no_exception(at)
    history = unit_history(fresh_db, REV_GZ)
    names = dict(roster_in_scope(fresh_db, REV_GZ))
    waiting = [names[u] for u, ev in history.items() if not ev or ev[-1][1] in ("未报", "退回")]
    assert waiting and f"已记录催报:{len(waiting)} 个单位。" in [s.value for s in at.success]
    assert query(fresh_db, "SELECT unit_name, who FROM reminders ORDER BY id") == [(n, REV_GZ.display) for n in waiting]
    assert audit_rows(fresh_db, "reminder")[-1][:3] == (REV_GZ.name, "reviewer", 1)
    at.run()
    assert [e.label for e in at.expander if "催报" in e.label] == ["催报记录(1 次)"]
    sent = table_with(at, "经办人")
    assert (sent["经办人"].tolist(), sent["单位数"].tolist()) == ([REV_GZ.display], [len(waiting)])
    # 深圳's reviewer neither sees that reminder nor who sent it.
    other = login(REV_SZ)
    other.switch_page("app_pages/progress.py").run()
    check_page(other, fresh_db, REV_SZ, "progress")
    text = page_text(other)
    assert REV_GZ.display not in text and not [e for e in other.expander if "催报" in e.label]


def test_a_filler_sends_his_units_return_and_cannot_send_another_citys(fresh_db):
    at = login(FILLER)
    at.switch_page("app_pages/campaigns.py").run()
    assert at.selectbox(key="campaign_unit").options == [FILLER_UNIT]
    at.file_uploader(key="campaign_return_file").upload(
        "南山v2.xlsx", unit_return("深圳市", [(FILLER_UNIT, 13)]), XLSX
    ).run()
    at.button(key="campaign_upload").click().run()
    no_exception(at)
    assert f"已收到“{FILLER_UNIT}”的报表(第 2 次报送),状态为已报待审。" in [s.value for s in at.success]
    (new,) = query(fresh_db, "SELECT id FROM submissions WHERE file_name = '南山v2.xlsx'")[0]
    assert query(fresh_db, "SELECT action, who, submission_id FROM unit_events ORDER BY id DESC LIMIT 1") == [
        ("submit", FILLER.display, new)
    ]
    assert audit_rows(fresh_db, "import")[-1][:4] == (FILLER.name, "filler", 1, str(new))
    # 天河 (广州) is not his: the round does not know it for him, and naming his unit for it is refused.
    count = query(fresh_db, "SELECT COUNT(*) FROM submissions")[0][0]
    at.file_uploader(key="campaign_return_file").upload(
        "天河.xlsx", unit_return("广州市", [(ROSTER[3][0], 40)]), XLSX
    ).run()
    at.button(key="campaign_upload").click().run()
    no_exception(at)
    assert at.selectbox(key="campaign_pending_unit").options == [FILLER_UNIT]
    at.button(key="campaign_submit_as").click().run()
    no_exception(at)
    assert any("不在账号" in e.value for e in at.error), [e.value for e in at.error]
    assert query(fresh_db, "SELECT COUNT(*) FROM submissions")[0][0] == count
    assert audit_rows(fresh_db, "denied")[-1][:3] == (FILLER.name, "filler", 0)


def test_a_disabled_account_is_logged_out_at_its_next_click(fresh_db):
    at = login(REV_GZ)
    at.switch_page("app_pages/details.py").run()
    assert at.dataframe
    store = Store(f"sqlite:///{fresh_db}")
    accounts.change_user(store, REV_GZ.name, active=False)
    store.dispose()
    at.run()
    no_exception(at)
    assert [i.label for i in at.text_input] == ["用户名", "密码"]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    assert query(fresh_db, "SELECT who, action FROM audit_log ORDER BY id DESC LIMIT 1") == [(REV_GZ.name, "logout")]
    at.text_input(key="login_name").input(REV_GZ.name)
    at.text_input(key="login_password").input(PASSWORD)
    next(b for b in at.button if b.label == "登录").click().run()
    assert [e.value for e in at.error] == ["用户名或密码不正确"] and not at.metric


def test_on_the_upload_page_a_reviewer_imports_his_citys_return_and_not_another(fresh_db):
    at = login(REV_SZ)
    at.switch_page("app_pages/upload.py").run()
    count = query(fresh_db, "SELECT COUNT(*) FROM submissions")[0][0]
    at.file_uploader(key="uploader").upload("越秀补报.xlsx", unit_return("广州市", [(ROSTER[4][0], 6)]), XLSX).run()
    no_exception(at)
    assert any("不在账号" in e.value and ROSTER[4][0] in e.value for e in at.error), [e.value for e in at.error]
    assert query(fresh_db, "SELECT COUNT(*) FROM submissions")[0][0] == count
    assert audit_rows(fresh_db, "denied")[-1][:3] == (REV_SZ.name, "reviewer", 0)
    at = login(REV_SZ)
    at.switch_page("app_pages/upload.py").run()
    at.file_uploader(key="uploader").upload("罗湖.xlsx", unit_return("深圳市", [(ROSTER[2][0], 6)]), XLSX).run()
    at.button(key="upload_confirm").click().run()
    no_exception(at)
    (new,) = query(fresh_db, "SELECT id FROM submissions WHERE file_name = '罗湖.xlsx'")[0]
    assert audit_rows(fresh_db, "import")[-1][:4] == (REV_SZ.name, "reviewer", 1, str(new))
    luohu = unit_id(fresh_db, ROSTER[2][0])  # the round's 罗湖 now stands 已报待审 with this return
    assert query(fresh_db, "SELECT unit_id, action, submission_id FROM unit_events ORDER BY id DESC LIMIT 1") == [
        (luohu, "submit", new)
    ]


@pytest.fixture
def server_far_west(monkeypatch):
    """A server clock twelve hours behind UTC: its calendar day lags Beijing's for 20 hours of every 24."""
    monkeypatch.setenv("TZ", "Etc/GMT+12")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_audit_log_lists_todays_entries_whatever_the_servers_zone(db, server_far_west):
    at = login(ADMIN)
    at.switch_page("app_pages/audit.py").run()
    no_exception(at)
    today = query(db, "SELECT COUNT(*) FROM audit_log")[0][0]  # every entry was written minutes ago
    assert today and f"共 {today} 条" in [c.value for c in at.caption]


def test_a_changed_role_and_scope_apply_at_the_next_click(fresh_db):
    at = login(REV_SZ)
    assert nav_pages(at) == {f"{p}.py" for p in NAV[Role.REVIEWER]}
    store = Store(f"sqlite:///{fresh_db}")
    accounts.change_user(store, REV_SZ.name, role=Role.VIEWER, scope=VIEWER.scope)  # now 查看者 of 广州
    store.dispose()
    now = Who(REV_SZ.name, Role.VIEWER, VIEWER.regions)
    at.switch_page("app_pages/overview.py").run()
    assert nav_pages(at) == {f"{p}.py" for p in NAV[Role.VIEWER]}
    check_page(at, fresh_db, now, "overview")
    at.switch_page("app_pages/details.py").run()
    check_page(at, fresh_db, now, "details")


def test_logging_out_leaves_only_the_login_form(fresh_db):
    at = login(REV_GZ)
    assert at.metric
    at.sidebar.button(key="auth_logout").click().run()
    no_exception(at)
    assert [i.label for i in at.text_input] == ["用户名", "密码"]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")
    assert query(fresh_db, "SELECT who, action FROM audit_log ORDER BY id DESC LIMIT 1") == [(REV_GZ.name, "logout")]
    at._page_hash = calc_hash("details")
    at.run()
    assert not at.dataframe and [i.label for i in at.text_input] == ["用户名", "密码"]
