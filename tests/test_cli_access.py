"""The command line with accounts (issue 13): `user add|set|list`, `audit`, and every store command logging in
with --user and acting through a ScopedStore: a city's reviewer briefs, imports and chases only its city."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from metrics.access import accounts
from metrics.access.rules import Role
from metrics.cli import main
from metrics.storage.demo import generate_returns
from metrics.storage.samples import load_samples
from metrics.storage.store import Store

ADMIN_PASSWORD = "boss-pass-2025"
PASSWORDS = {"sz": "shenzhen-315", "gz": "guangzhou-315", "look": "viewer-2025", "ns": "nanshan-315"}

TITLE = "{city}{year}年“3·15”国际消费者权益日活动情况统计表"
HEADER = "单位名称,地区,开展活动(场),发放宣传资料(份),接受咨询(人次)"


def city_return(folder: Path, name: str, city: str, year: int, rows: list[tuple[str, str, int, int, int]]) -> Path:
    """A city's summary return as a UTF-8 CSV: one row per unit, a 合计 row that adds up."""
    total = [sum(r[k] for r in rows) for k in (2, 3, 4)]
    lines = [TITLE.format(city=city, year=year) + ",,,,", HEADER]
    lines += [",".join(str(v) for v in row) for row in rows]
    lines.append("合计,," + ",".join(str(v) for v in total))
    path = folder / name
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    return path


SZ_2024 = [
    ("南山区消委会", "南山区", 6, 3100, 210),
    ("福田区市场监督管理局", "福田区", 4, 2600, 150),
    ("宝安区消费者委员会", "宝安区", 9, 5400, 330),
    ("深圳市消费者委员会", "深圳市", 3, 12000, 800),
]
SZ_2023 = [("南山区消委会", "南山区", 5, 2800, 190), ("福田区市场监督管理局", "福田区", 4, 2300, 140)]
GZ_2024 = [
    ("天河区消委会", "天河区", 7, 4200, 260),
    ("越秀区市场监督管理局", "越秀区", 3, 1900, 120),
    ("番禺区消费者委员会", "番禺区", 5, 3300, 205),
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("OUTREACH_USER", "OUTREACH_PASSWORD", "OUTREACH_NEW_PASSWORD", "OUTREACH_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(accounts, "FAIL_DELAY", 0.0)  # the CLI passes it to login(), so failures are not slowed here


def cli(
    monkeypatch,
    capsys,
    *argv: str,
    user: str | None = None,
    password: str | None = None,
    new_password: str | None = None,
) -> tuple[int, str, str]:
    """Run ``python -m metrics ARGV`` in-process with the login given through the environment."""
    with monkeypatch.context() as env:
        for name, value in (
            ("OUTREACH_USER", user),
            ("OUTREACH_PASSWORD", password),
            ("OUTREACH_NEW_PASSWORD", new_password),
        ):
            if value is not None:
                env.setenv(name, value)
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sql(url: str, query: str, **params) -> list[tuple]:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query), params)]
    finally:
        store.dispose()


def count_submissions(url: str) -> int:
    return sql(url, "SELECT count(*) FROM submissions")[0][0]


def audit_rows(url: str) -> list[dict]:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM audit_log ORDER BY id"))]
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def filled_template(tmp_path_factory) -> Path:
    """A store built once: demo data from many provinces (Guangdong's 阳江市 among them), the shipped samples,
    Shenzhen's and Guangzhou's returns imported by the administrator, and one account per role."""
    folder = tmp_path_factory.mktemp("access")
    path = folder / "template.db"
    url = f"sqlite:///{path}"
    store = Store(url)
    store.import_many(((r.result, r.data) for r in generate_returns(3000, seed=315)), who="演示数据")
    load_samples(store)
    store.dispose()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("OUTREACH_USER", "OUTREACH_PASSWORD", "OUTREACH_NEW_PASSWORD", "OUTREACH_DB_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("OUTREACH_NEW_PASSWORD", ADMIN_PASSWORD)
        assert main(["user", "add", "boss", "--role", "管理员", "--display", "王局长", "--db", url]) == 0
        mp.setenv("OUTREACH_USER", "boss")
        mp.setenv("OUTREACH_PASSWORD", ADMIN_PASSWORD)
        files = [
            city_return(folder, "深圳市2023.csv", "深圳市", 2023, SZ_2023),
            city_return(folder, "深圳市2024.csv", "深圳市", 2024, SZ_2024),
            city_return(folder, "广州市2024.csv", "广州市", 2024, GZ_2024),
        ]
        assert main(["import", *map(str, files), "--db", url]) == 0
        for name, role, scope in (
            ("sz", "审核员", ["--region", "440300"]),
            ("gz", "reviewer", ["--region", "440100"]),
            ("look", "查看者", ["--region", "广东省深圳市"]),
            ("ns", "填报员", ["--unit", "南山区消委会"]),
        ):
            mp.setenv("OUTREACH_NEW_PASSWORD", PASSWORDS[name])
            assert main(["user", "add", name, "--role", role, *scope, "--display", f"{name}姓名", "--db", url]) == 0
    return path


@pytest.fixture
def filled(filled_template, tmp_path) -> str:
    """A private copy of the filled store (each test may change it)."""
    path = tmp_path / "store.db"
    shutil.copy(filled_template, path)
    return f"sqlite:///{path}"


# ---- accounts --------------------------------------------------------------------------------------------
def test_first_account_must_be_an_admin_and_needs_no_login(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, _, err = cli(
        monkeypatch,
        capsys,
        "user",
        "add",
        "li",
        "--role",
        "审核员",
        "--region",
        "440300",
        "--db",
        url,
        new_password="long-enough-1",
    )
    assert code == 1 and "第一个账号必须是管理员" in err
    code, _, err = cli(monkeypatch, capsys, "user", "add", "boss", "--role", "admin", "--db", url, new_password="short")
    assert code == 1 and "至少 8 位" in err
    assert sql(url, "SELECT count(*) FROM users") == [(0,)]

    code, out, _ = cli(
        monkeypatch,
        capsys,
        "user",
        "add",
        "boss",
        "--role",
        "管理员",
        "--display",
        "王局长",
        "--db",
        url,
        new_password=ADMIN_PASSWORD,
    )
    assert code == 0 and "已新增账号“boss”(王局长):管理员,范围 全国" in out
    store = Store(url)
    try:
        made = accounts.get_user(store, "boss")
        assert (made.role, made.scope.everywhere, made.local, made.created_by) == (Role.ADMIN, True, True, "本机用户")
        assert accounts.login(store, "boss", ADMIN_PASSWORD, delay=0).display == "王局长"
    finally:
        store.dispose()
    added = [r for r in audit_rows(url) if r["action"] == "user-add"]
    assert [(r["who"], r["target"], r["source"]) for r in added] == [("本机用户", "boss", "命令行")]

    # Login is on now: a command without --user is refused (exit 2), nothing is imported.
    sample = city_return(tmp_path, "深圳市2024.csv", "深圳市", 2024, SZ_2024)
    code, _, err = cli(monkeypatch, capsys, "import", str(sample), "--db", url)
    assert code == 2 and "本数据库已启用账号,请用 --user 指定账号" in err
    assert count_submissions(url) == 0
    # --user before or after the command, or OUTREACH_USER, all log in
    assert (
        cli(monkeypatch, capsys, "--user", "boss", "import", str(sample), "--db", url, password=ADMIN_PASSWORD)[0] == 0
    )
    assert count_submissions(url) == 1
    assert cli(monkeypatch, capsys, "campaign", "list", "--db", url, "--user", "boss", password=ADMIN_PASSWORD)[0] == 0
    assert cli(monkeypatch, capsys, "campaign", "list", "--db", url, user="boss", password=ADMIN_PASSWORD)[0] == 0
    logins = [(r["who"], r["ok"]) for r in audit_rows(url) if r["action"] == "login"]
    assert logins == [("boss", True)] * 4  # the direct login() above, then the three commands


def test_typed_password_asked_twice(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    typed = iter(["first-password", "other-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, _, err = cli(monkeypatch, capsys, "user", "add", "boss", "--role", "管理员", "--db", url)
    assert code == 1 and "两次输入的密码不一致" in err
    assert sql(url, "SELECT count(*) FROM users") == [(0,)]
    typed = iter(["same-password", "same-password", "same-password"])  # twice for the account, once to log in
    assert cli(monkeypatch, capsys, "user", "add", "boss", "--role", "管理员", "--db", url)[0] == 0
    assert cli(monkeypatch, capsys, "user", "list", "--db", url, "--user", "boss")[0] == 0


def test_second_account_needs_an_admin_login(monkeypatch, capsys, filled):
    before = sql(filled, "SELECT count(*) FROM users")[0][0]
    new = ("user", "add", "zhao", "--role", "查看者", "--region", "全国", "--db", filled)
    code, _, err = cli(monkeypatch, capsys, *new, new_password="zhao-password")
    assert code == 2 and "--user" in err
    code, _, err = cli(
        monkeypatch, capsys, *new, user="boss", password="not-the-password", new_password="zhao-password"
    )
    assert code == 3 and err.strip() == "用户名或密码不正确"
    code, _, err = cli(monkeypatch, capsys, *new, user="sz", password=PASSWORDS["sz"], new_password="zhao-password")
    assert code == 3 and "无权管理账号" in err and "Traceback" not in err
    assert sql(filled, "SELECT count(*) FROM users")[0][0] == before
    code, out, _ = cli(monkeypatch, capsys, *new, user="boss", password=ADMIN_PASSWORD, new_password="zhao-password")
    assert code == 0 and "查看者,范围 全国" in out
    made = sql(filled, "SELECT role, regions, created_by FROM users WHERE name = 'zhao'")
    assert made == [("viewer", "全国", "boss")]

    code, out, _ = cli(
        monkeypatch, capsys, "user", "list", "--json", "--db", filled, user="boss", password=ADMIN_PASSWORD
    )
    listed = {a["name"]: (a["role"], a["regions"], a["units"], a["login"]) for a in json.loads(out)}
    assert listed == {
        "boss": ("admin", "全国", "", "本地密码"),
        "sz": ("reviewer", "440300", "", "本地密码"),
        "gz": ("reviewer", "440100", "", "本地密码"),
        "look": ("viewer", "440300", "", "本地密码"),
        "ns": ("filler", "", "南山区消委会", "本地密码"),
        "zhao": ("viewer", "全国", "", "本地密码"),
    }
    assert cli(monkeypatch, capsys, "user", "list", "--db", filled, user="gz", password=PASSWORDS["gz"])[0] == 3


def test_oidc_account_has_no_password_and_cannot_log_in_here(monkeypatch, capsys, filled):
    code, out, _ = cli(
        monkeypatch,
        capsys,
        "user",
        "add",
        "li.ming@example.gov.cn",
        "--oidc",
        "--role",
        "审核员",
        "--region",
        "440300",
        "--db",
        filled,
        user="boss",
        password=ADMIN_PASSWORD,
    )
    assert code == 0 and "统一身份认证" in out
    assert sql(filled, "SELECT password_hash IS NULL FROM users WHERE name = 'li.ming@example.gov.cn'") == [(1,)]
    code, _, err = cli(
        monkeypatch,
        capsys,
        "campaign",
        "list",
        "--db",
        filled,
        user="li.ming@example.gov.cn",
        password="anything-at-all",
    )
    assert code == 3 and "用户名或密码不正确" in err


def test_user_set_changes_scope_role_and_disables(monkeypatch, capsys, filled):
    admin = {"user": "boss", "password": ADMIN_PASSWORD}
    code, out, _ = cli(
        monkeypatch, capsys, "user", "set", "sz", "--unit", "广州市消费者委员会", "--db", filled, **admin
    )
    assert code == 0  # --unit replaces the units only; the region stays
    assert sql(filled, "SELECT regions, units FROM users WHERE name = 'sz'") == [("440300", "广州市消费者委员会")]
    assert (
        cli(
            monkeypatch,
            capsys,
            "user",
            "set",
            "sz",
            "--region",
            "广州市",
            "--unit",
            "",
            "--role",
            "查看者",
            "--db",
            filled,
            **admin,
        )[0]
        == 0
    )
    assert sql(filled, "SELECT role, regions, units FROM users WHERE name = 'sz'") == [("viewer", "440100", "")]
    assert cli(monkeypatch, capsys, "user", "set", "sz", "--disable", "--db", filled, **admin)[0] == 0
    code, _, err = cli(monkeypatch, capsys, "campaign", "list", "--db", filled, user="sz", password=PASSWORDS["sz"])
    assert code == 3 and "用户名或密码不正确" in err
    code, _, err = cli(monkeypatch, capsys, "user", "set", "boss", "--disable", "--db", filled, **admin)
    assert code == 1 and "最后一个管理员" in err
    code, _, err = cli(monkeypatch, capsys, "user", "set", "nobody", "--enable", "--db", filled, **admin)
    assert code == 1 and "没有用户“nobody”" in err
    assert (
        cli(
            monkeypatch,
            capsys,
            "user",
            "set",
            "ns",
            "--password",
            "--db",
            filled,
            new_password="new-nanshan-1",
            **admin,
        )[0]
        == 0
    )
    assert cli(monkeypatch, capsys, "campaign", "list", "--db", filled, user="ns", password=PASSWORDS["ns"])[0] == 3
    assert cli(monkeypatch, capsys, "campaign", "list", "--db", filled, user="ns", password="new-nanshan-1")[0] == 0
    changes = [r["target"] for r in audit_rows(filled) if r["action"] == "user-change"]
    assert changes == ["sz", "sz", "sz", "ns"]


# ---- what each account sees ---------------------------------------------------------------------------------
def sheet(path: Path, name: str) -> pd.DataFrame:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [r for r in book[name].iter_rows(values_only=True) if any(v is not None for v in r)]
    return pd.DataFrame(rows[1:], columns=rows[0])


CITY_TOTALS = """
SELECT a.text, m.text, SUM(r.value), COUNT(*) FROM records r
JOIN submissions s ON s.id = r.submission_id JOIN regions g ON g.id = r.region_id
JOIN terms a ON a.id = r.agency_id JOIN terms m ON m.id = r.metric_id
WHERE s.status = 'active' AND g.adcode LIKE :prefix AND r.year = :year GROUP BY a.text, m.text
"""


@pytest.mark.parametrize(
    ("user", "prefix", "city", "other"), [("sz", "4403", "深圳市", "广州市"), ("gz", "4401", "广州市", "深圳市")]
)
def test_brief_holds_only_the_accounts_city(monkeypatch, capsys, filled, tmp_path, user, prefix, city, other):
    out = tmp_path / f"{user}.xlsx"
    code, printed, _ = cli(
        monkeypatch,
        capsys,
        "brief",
        "--year",
        "2024",
        "--out",
        str(out),
        "--db",
        filled,
        user=user,
        password=PASSWORDS[user],
    )
    assert code == 0 and f"范围:广东省 · {city} · 2024年" in printed
    expected = sql(filled, CITY_TOTALS, prefix=prefix + "%", year=2024)
    assert expected and len({a for a, *_ in expected}) >= 3
    details = sheet(out, "明细")
    assert set(details["城市"]) == {city} and set(details["省份"]) == {"广东省"}
    assert len(details) == sum(n for *_, n in expected)
    assert details["数值"].sum() == pytest.approx(sum(v for _, _, v, _ in expected))
    units = sheet(out, "各单位").set_index("单位")
    events = {a: v for a, m, v, _ in expected if m == "events"}
    assert units.drop(index="合计")["开展活动(场)"].to_dict() == events
    assert units.loc["合计", "开展活动(场)"] == sum(events.values())
    book = openpyxl.load_workbook(out, read_only=True)
    every_cell = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v)
    assert other not in every_cell and "阳江市" not in every_cell and "宁波" not in every_cell
    exports = [r for r in audit_rows(filled) if r["action"] == "export"]
    assert [(r["who"], r["target"], r["detail"].split(";")[0], r["source"]) for r in exports] == [
        (user, out.name, "xlsx", "命令行")
    ]


def test_admin_brief_still_sees_everything(monkeypatch, capsys, filled, tmp_path):
    out = tmp_path / "all.xlsx"
    assert (
        cli(
            monkeypatch,
            capsys,
            "brief",
            "--year",
            "2024",
            "--out",
            str(out),
            "--db",
            filled,
            user="boss",
            password=ADMIN_PASSWORD,
        )[0]
        == 0
    )
    cities = set(sheet(out, "明细")["城市"])
    assert {"深圳市", "广州市"} <= cities and len(cities) > 5


def test_import_of_another_citys_return_is_refused_and_stores_nothing(monkeypatch, capsys, filled, tmp_path):
    gz_2025 = city_return(tmp_path, "广州市2025.csv", "广州市", 2025, GZ_2024)
    mixed = tmp_path / "混合2025.csv"
    mixed.write_bytes(
        (
            "\ufeff" + TITLE.format(city="广东省", year=2025) + ",,,,\n" + HEADER + "\n"
            "南山区消委会,深圳市南山区,3,100,10\n天河区消委会,广州市天河区,4,200,20\n"
        ).encode()
    )
    before = count_submissions(filled)
    for path in (gz_2025, mixed):
        code, out, err = cli(
            monkeypatch, capsys, "import", str(path), "--db", filled, user="sz", password=PASSWORDS["sz"]
        )
        assert code == 3 and "不在账号“sz姓名”的范围" in err and "天河区消委会" in err and "已导入" not in out
        assert "Traceback" not in err
    assert count_submissions(filled) == before
    # the same reviewer's own city goes in, imported under the account's name whatever --who says
    sz_2025 = city_return(tmp_path, "深圳市2025.csv", "深圳市", 2025, SZ_2024)
    code, out, _ = cli(
        monkeypatch,
        capsys,
        "import",
        str(sz_2025),
        "--who",
        "别人",
        "--db",
        filled,
        user="sz",
        password=PASSWORDS["sz"],
    )
    assert code == 0 and "已导入 12 条记录" in out
    assert count_submissions(filled) == before + 1
    assert sql(filled, "SELECT imported_by FROM submissions ORDER BY id DESC LIMIT 1") == [("sz姓名",)]
    denied = [r for r in audit_rows(filled) if r["action"] == "denied"]
    assert [(r["who"], r["target"], r["source"], r["ok"]) for r in denied] == [
        ("sz", "广州市2025.csv", "命令行", False),
        ("sz", "混合2025.csv", "命令行", False),
    ]


def test_viewer_cannot_import_but_can_brief(monkeypatch, capsys, filled, tmp_path):
    sz_2025 = city_return(tmp_path, "深圳市2025.csv", "深圳市", 2025, SZ_2024)
    before = count_submissions(filled)
    code, out, err = cli(
        monkeypatch, capsys, "import", str(sz_2025), "--db", filled, user="look", password=PASSWORDS["look"]
    )
    assert code == 3 and "无权上传报表" in err and out == ""
    assert count_submissions(filled) == before
    code, _, err = cli(
        monkeypatch, capsys, "demo", "--rows", "50", "--db", filled, user="look", password=PASSWORDS["look"]
    )
    assert code == 3 and "无权上传报表" in err and count_submissions(filled) == before
    out_file = tmp_path / "look.xlsx"
    assert (
        cli(
            monkeypatch,
            capsys,
            "brief",
            "--year",
            "2024",
            "--out",
            str(out_file),
            "--db",
            filled,
            user="look",
            password=PASSWORDS["look"],
        )[0]
        == 0
    )
    assert set(sheet(out_file, "明细")["城市"]) == {"深圳市"}
    assert [(r["who"], r["action"]) for r in audit_rows(filled) if not r["ok"]] == [("look", "denied")] * 2


def test_filler_sees_and_imports_only_its_unit(monkeypatch, capsys, filled, tmp_path):
    out = tmp_path / "ns.xlsx"
    assert (
        cli(
            monkeypatch,
            capsys,
            "brief",
            "--out",
            str(out),
            "--year",
            "2023",
            "--year",
            "2024",
            "--db",
            filled,
            user="ns",
            password=PASSWORDS["ns"],
        )[0]
        == 0
    )
    details = sheet(out, "明细")
    assert set(details["单位"]) == {"南山区消委会"}
    expected = sql(
        filled,
        "SELECT SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
        "JOIN terms a ON a.id = r.agency_id WHERE s.status = 'active' AND a.text = '南山区消委会'",
    )
    assert details["数值"].sum() == pytest.approx(expected[0][0])
    before = count_submissions(filled)
    futian = city_return(tmp_path, "福田区2025.csv", "深圳市", 2025, [SZ_2024[1]])
    code, _, err = cli(monkeypatch, capsys, "import", str(futian), "--db", filled, user="ns", password=PASSWORDS["ns"])
    assert code == 3 and "福田区市场监督管理局" in err and count_submissions(filled) == before
    own = city_return(tmp_path, "南山区2025.csv", "深圳市", 2025, [SZ_2024[0]])
    assert cli(monkeypatch, capsys, "import", str(own), "--db", filled, user="ns", password=PASSWORDS["ns"])[0] == 0
    assert count_submissions(filled) == before + 1


ROSTER = [
    ("单位名称", "地区", "系统", "联系人", "联系电话"),
    ("南山区消委会", "深圳市南山区", "消委会", "陈某", "13800000001"),
    ("福田区市场监督管理局", "深圳市福田区", "市场监管", "林某", "13800000002"),
    ("天河区消委会", "广州市天河区", "消委会", "黄某", "13800000003"),
    ("越秀区市场监督管理局", "广州市越秀区", "市场监管", "何某", "13800000004"),
    ("番禺区消费者委员会", "广州市番禺区", "消委会", "梁某", "13800000005"),
]


def test_campaign_steps_list_only_units_in_scope(monkeypatch, capsys, filled, tmp_path):
    admin = {"user": "boss", "password": ADMIN_PASSWORD}
    roster = tmp_path / "名单.csv"
    roster.write_bytes(("\ufeff" + "\n".join(",".join(r) for r in ROSTER) + "\n").encode())
    create = (
        "campaign",
        "create",
        "--name",
        "2026年3·15活动情况报送",
        "--year",
        "2026",
        "--due",
        "2026-03-25",
        "--db",
        filled,
    )
    code, _, err = cli(monkeypatch, capsys, *create, user="sz", password=PASSWORDS["sz"])
    assert code == 3 and "无权创建报送任务" in err
    assert cli(monkeypatch, capsys, *create, "--who", "不是我", **admin)[0] == 0
    assert sql(filled, "SELECT created_by FROM campaigns") == [("王局长",)]
    assert cli(monkeypatch, capsys, "campaign", "roster-import", "1", str(roster), "--db", filled, **admin)[0] == 0

    code, out, _ = cli(
        monkeypatch, capsys, "campaign", "status", "1", "--json", "--db", filled, user="gz", password=PASSWORDS["gz"]
    )
    report = json.loads(out)
    assert code == 0 and [u["unit"] for u in report["units"]] == [r[0] for r in ROSTER[3:]]
    assert report["overall"]["expected"] == 3
    folder = tmp_path / "模板"
    code, out, _ = cli(
        monkeypatch,
        capsys,
        "campaign",
        "template",
        "1",
        "--out",
        str(folder),
        "--db",
        filled,
        user="sz",
        password=PASSWORDS["sz"],
    )
    assert (
        code == 0
        and sorted(p.name for p in folder.iterdir())
        == sorted(p.name for p in folder.iterdir() if "南山区" in p.name or "福田区" in p.name)
        and len(list(folder.iterdir())) == 2
    )
    code, _, err = cli(
        monkeypatch,
        capsys,
        "campaign",
        "template",
        "1",
        "--out",
        str(folder),
        "--unit",
        "天河区消委会",
        "--db",
        filled,
        user="sz",
        password=PASSWORDS["sz"],
    )
    assert code == 1 and "名单中没有这些单位:天河区消委会" in err
    remind = tmp_path / "催报.xlsx"
    assert (
        cli(
            monkeypatch,
            capsys,
            "campaign",
            "remind",
            "1",
            "--out",
            str(remind),
            "--db",
            filled,
            user="sz",
            password=PASSWORDS["sz"],
        )[0]
        == 0
    )
    book = openpyxl.load_workbook(remind, read_only=True)
    text = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "南山区消委会" in text and "福田区市场监督管理局" in text
    assert not any(name in text for name in ("天河区", "越秀区", "番禺区"))
    code, _, err = cli(
        monkeypatch,
        capsys,
        "campaign",
        "remind",
        "1",
        "--out",
        str(tmp_path / "n.xlsx"),
        "--db",
        filled,
        user="ns",
        password=PASSWORDS["ns"],
    )
    assert code == 3 and "无权审核、退回、锁定和催报" in err


# ---- logins and the audit log ---------------------------------------------------------------------------------
def test_wrong_passwords_exit_3_and_lock_the_account(monkeypatch, capsys, filled):
    args = ("campaign", "list", "--db", filled)
    for attempt in range(1, accounts.LOCK_AFTER):
        code, _, err = cli(monkeypatch, capsys, *args, user="gz", password=f"wrong-{attempt}")
        assert (code, err.strip()) == (3, "用户名或密码不正确")
        assert sql(filled, "SELECT failed_logins FROM users WHERE name = 'gz'") == [(attempt,)]
    code, _, err = cli(monkeypatch, capsys, *args, user="gz", password="wrong-again")
    assert code == 3 and f"连续 {accounts.LOCK_AFTER} 次输错密码,账号锁定" in err
    code, _, err = cli(monkeypatch, capsys, *args, user="gz", password=PASSWORDS["gz"])
    assert code == 3 and "账号已锁定至" in err and "Traceback" not in err
    code, out, _ = cli(monkeypatch, capsys, "user", "list", "--db", filled, user="boss", password=ADMIN_PASSWORD)
    assert "锁定至" in next(line for line in out.splitlines() if line.startswith("gz "))
    assert (
        cli(monkeypatch, capsys, "user", "set", "gz", "--unlock", "--db", filled, user="boss", password=ADMIN_PASSWORD)[
            0
        ]
        == 0
    )
    assert cli(monkeypatch, capsys, *args, user="gz", password=PASSWORDS["gz"])[0] == 0
    failed = [r["detail"] for r in audit_rows(filled) if r["action"] == "login" and not r["ok"]]
    assert failed[:4] == [f"密码错误(第 {n} 次)" for n in range(1, 5)] and "账号锁定" in failed[4]
    assert failed[5] == "账号锁定中"


def test_audit_export_holds_logins_imports_and_denials(monkeypatch, capsys, filled, tmp_path):
    sz_2025 = city_return(tmp_path, "深圳市2025.csv", "深圳市", 2025, SZ_2024)
    gz_2025 = city_return(tmp_path, "广州市2025.csv", "广州市", 2025, GZ_2024)
    cli(monkeypatch, capsys, "import", str(sz_2025), str(gz_2025), "--db", filled, user="sz", password=PASSWORDS["sz"])
    cli(monkeypatch, capsys, "campaign", "list", "--db", filled, user="sz", password="a-wrong-one")
    code, _, err = cli(monkeypatch, capsys, "audit", "--db", filled, user="sz", password=PASSWORDS["sz"])
    assert code == 3 and "无权查看操作日志" in err

    out = tmp_path / "操作日志.xlsx"
    code, printed, _ = cli(
        monkeypatch, capsys, "audit", "--out", str(out), "--db", filled, user="boss", password=ADMIN_PASSWORD
    )
    assert code == 0
    log = sheet(out, "操作日志")
    assert list(log.columns) == ["时间(北京时间)", "账号", "角色", "操作", "结果", "报表编号", "对象", "详情", "来源"]
    assert len(log) == len(audit_rows(filled)) - 1 and f"操作日志 {len(log)} 条" in printed  # all but its own export
    assert set(log["来源"]) == {"命令行"}
    sz = log[log["账号"] == "sz"]
    seen = list(zip(sz["操作"], sz["结果"], sz["对象"].fillna(""), strict=True))[::-1]  # oldest first
    assert seen == [
        ("登录", "成功", ""),
        ("导入报表", "成功", "深圳市2025.csv"),
        ("越权被拒", "失败", "广州市2025.csv"),
        ("登录", "失败", ""),
        ("登录", "成功", ""),
        ("越权被拒", "失败", "操作日志"),
    ]
    sz_import_id = sql(filled, "SELECT max(id) FROM submissions")[0][0]
    assert sz[sz["操作"] == "导入报表"]["报表编号"].astype(str).tolist() == [str(sz_import_id)]
    assert set(log[log["账号"] == "boss"]["角色"]) == {"管理员"}
    assert ("本机用户", "新增账号", "boss") in set(zip(log["账号"], log["操作"], log["对象"]))

    code, printed, _ = cli(
        monkeypatch,
        capsys,
        "audit",
        "--action",
        "越权被拒",
        "--who",
        "sz",
        "--json",
        "--db",
        filled,
        user="boss",
        password=ADMIN_PASSWORD,
    )
    rows = json.loads(printed)
    assert [(r["action"], r["action_zh"], r["target"], r["ok"]) for r in rows] == [
        ("denied", "越权被拒", "操作日志", False),
        ("denied", "越权被拒", "广州市2025.csv", False),
    ]
    tomorrow = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=1)).isoformat()
    code, printed, _ = cli(
        monkeypatch,
        capsys,
        "audit",
        "--since",
        tomorrow,
        "--json",
        "--db",
        filled,
        user="boss",
        password=ADMIN_PASSWORD,
    )
    assert code == 0 and json.loads(printed) == []
    csv_out = tmp_path / "log.csv"
    assert (
        cli(
            monkeypatch,
            capsys,
            "audit",
            "--text",
            "广州市2025",
            "--out",
            str(csv_out),
            "--db",
            filled,
            user="boss",
            password=ADMIN_PASSWORD,
        )[0]
        == 0
    )
    table = pd.read_csv(csv_out, encoding="utf-8-sig")
    assert table["操作"].tolist() == ["越权被拒"] and table["账号"].tolist() == ["sz"]
    exports = [r for r in audit_rows(filled) if r["action"] == "export"]
    assert [(r["who"], r["target"]) for r in exports] == [("boss", out.name), ("boss", csv_out.name)]


def test_without_accounts_the_machine_owner_acts_and_is_logged(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    sample = city_return(tmp_path, "广州市2024.csv", "广州市", 2024, GZ_2024)
    code, out, err = cli(monkeypatch, capsys, "import", str(sample), "--who", "张三", "--db", url, user="somebody")
    assert code == 0 and "已导入 9 条记录" in out and "尚未启用账号" in err
    assert sql(url, "SELECT imported_by FROM submissions") == [("张三",)]
    assert [(r["who"], r["role"], r["action"], r["source"]) for r in audit_rows(url)] == [
        ("本机用户", "admin", "import", "命令行")
    ]
    assert cli(monkeypatch, capsys, "audit", "--json", "--db", url)[0] == 0
