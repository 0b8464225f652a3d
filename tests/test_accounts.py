"""Accounts (issue 13): who may add and change accounts, logins and the lock-out, identity-provider logins,
session limits, and the audit log a store handle writes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from metrics.access import accounts
from metrics.access.accounts import LoginFailed, SessionLimits
from metrics.access.rules import AccessDenied, Principal, Role, Scope
from metrics.access.scoped import ScopedStore
from metrics.collection import campaigns as cp
from metrics.collection.campaigns import RosterUnit
from metrics.storage.store import Store
from tests.test_access import NANSHAN, TIANHE, return_file

PASSWORD = "春风十里不如你2025"


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'accounts.db'}")
    yield s
    s.dispose()


def as_account(store: Store, name: str, *, source: str = "") -> ScopedStore:
    return ScopedStore(store, accounts.login(store, name, PASSWORD, delay=0), source=source)


def with_admin(store: Store) -> ScopedStore:
    accounts.add_user(store, name="root", role="管理员", password=PASSWORD)
    return as_account(store, "root")


def user_row(store: Store, name: str) -> sa.Row:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM users WHERE name = :n"), {"n": name}).one()


def audit_log(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM audit_log ORDER BY id"))]


# ---- adding and changing accounts -----------------------------------------------------------------
def test_the_first_account_must_be_an_administrator(store):
    assert not accounts.has_accounts(store)
    with pytest.raises(ValueError, match="第一个账号必须是管理员"):
        accounts.add_user(store, name="li", role="审核员", scope=Scope(("440300",)), password=PASSWORD)
    assert not accounts.has_accounts(store)
    admin = accounts.add_user(store, name=" root ", role="管理员", password=PASSWORD)
    assert (admin.name, admin.role, admin.scope, admin.local, admin.created_by) == (
        "root",
        Role.ADMIN,
        Scope(everywhere=True),
        True,
        "本机用户",
    )
    assert accounts.has_accounts(store)
    assert user_row(store, "root").password_hash.startswith("$argon2id$")


def test_then_only_administrators_add_accounts(store):
    admin = with_admin(store)
    reviewer = accounts.add_user(admin, name="li", role=Role.REVIEWER, scope=Scope.parse(["深圳市"]), password=PASSWORD)
    assert (reviewer.scope.regions, reviewer.created_by) == (("440300",), "root")
    li = as_account(store, "li")
    with pytest.raises(AccessDenied, match="无权管理账号"):
        accounts.add_user(li, name="wang", role="查看者", scope=Scope(("440300",)), password=PASSWORD)
    with pytest.raises(AccessDenied):
        accounts.change_user(li, "li", scope=Scope(everywhere=True))
    with pytest.raises(AccessDenied):
        accounts.list_users(li)
    assert [a.name for a in accounts.list_users(admin)] == ["root", "li"]
    assert accounts.get_user(store, "li").scope == Scope(("440300",))


def test_an_administrator_of_a_region_cannot_hand_out_more_than_it_holds(store):
    root = with_admin(store)
    accounts.add_user(root, name="sz-admin", role="管理员", scope=Scope(("440300",)), password=PASSWORD)
    sz_admin = as_account(store, "sz-admin")
    for scope in (Scope(everywhere=True), Scope(("440000",)), Scope(("440100",)), Scope(units=(TIANHE,))):
        with pytest.raises(AccessDenied, match="范围"):
            accounts.add_user(sz_admin, name="x", role="审核员", scope=scope, password=PASSWORD)
    with pytest.raises(AccessDenied):
        accounts.change_user(sz_admin, "sz-admin", scope=Scope(everywhere=True))
    with pytest.raises(AccessDenied):
        accounts.change_user(sz_admin, "root", active=False)
    assert accounts.get_user(store, "x") is None
    made = accounts.add_user(sz_admin, name="ns", role="填报员", scope=Scope(units=(NANSHAN,)), password=PASSWORD)
    assert made.scope.units == (NANSHAN,)
    assert accounts.add_user(sz_admin, name="ft", role="查看者", scope=Scope(("440304",)), password=PASSWORD)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "root", "role": "查看者", "scope": Scope(("440300",))}, "已存在"),
        ({"name": "tian", "role": "填报员", "scope": Scope(("440300",))}, "填报员必须指定所属单位"),
        ({"name": "tian", "role": "审核员"}, "审核员必须有范围"),
        ({"name": "tian", "role": "查看者", "scope": Scope(("440300",)), "password": "1234567"}, "密码至少 8 位"),
        ({"name": "  ", "role": "查看者", "scope": Scope(("440300",))}, "用户名不能为空"),
        ({"name": "tian", "role": "科长", "scope": Scope(("440300",))}, "没有“科长”这个角色"),
    ],
)
def test_refused_accounts(store, kwargs, message):
    admin = with_admin(store)
    before = len(accounts.list_users(admin))
    with pytest.raises(ValueError, match=message):
        accounts.add_user(admin, **({"password": PASSWORD} | kwargs))
    assert len(accounts.list_users(admin)) == before


def test_the_last_administrator_cannot_be_disabled_or_demoted(store):
    admin = with_admin(store)
    with pytest.raises(ValueError, match="最后一个管理员"):
        accounts.change_user(admin, "root", active=False)
    with pytest.raises(ValueError, match="最后一个管理员"):
        accounts.change_user(admin, "root", role="审核员")
    assert user_row(store, "root").role == "admin" and user_row(store, "root").active
    accounts.add_user(admin, name="second", role="管理员", password=PASSWORD)
    assert accounts.change_user(admin, "root", role="审核员").role is Role.REVIEWER
    with pytest.raises(ValueError, match="最后一个管理员"):
        accounts.change_user(admin, "second", active=False)


def test_a_disabled_administrator_does_not_count_as_another(store):
    admin = with_admin(store)
    accounts.add_user(admin, name="second", role="管理员", password=PASSWORD)
    accounts.change_user(admin, "second", active=False)
    with pytest.raises(ValueError, match="最后一个管理员"):
        accounts.change_user(admin, "root", active=False)


# ---- logging in -----------------------------------------------------------------------------------
def test_login_success_and_failure_are_audited(store):
    with_admin(store)
    principal = accounts.login(store, "root", PASSWORD, source="10.0.0.2", delay=0)
    assert (principal.name, principal.role, principal.kind, principal.sees_all) == ("root", Role.ADMIN, "local", True)
    for name, password in (("root", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(LoginFailed, match="用户名或密码不正确"):
            accounts.login(store, name, password, source="10.0.0.3", delay=0)
    logins = [(r["who"], r["role"], bool(r["ok"]), r["source"]) for r in audit_log(store) if r["action"] == "login"]
    assert logins == [
        ("root", "admin", True, ""),
        ("root", "admin", True, "10.0.0.2"),
        ("root", "", False, "10.0.0.3"),
        ("nobody", "", False, "10.0.0.3"),
    ]
    assert user_row(store, "root").failed_logins == 1
    assert user_row(store, "root").last_login is not None


def test_five_failures_lock_the_account_until_unlocked(store):
    admin = with_admin(store)
    for attempt in range(1, 5):
        with pytest.raises(LoginFailed, match="用户名或密码不正确"):
            accounts.login(store, "root", f"guess{attempt}", delay=0)
        assert user_row(store, "root").failed_logins == attempt
    with pytest.raises(LoginFailed, match="连续 5 次输错密码,账号锁定 15 分钟"):
        accounts.login(store, "root", "guess5", delay=0)
    locked = dt.datetime.fromisoformat(user_row(store, "root").locked_until)
    assert dt.timedelta(minutes=14) < locked - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)
    with pytest.raises(LoginFailed, match="已锁定至"):
        accounts.login(store, "root", PASSWORD, delay=0)  # even the right password
    assert accounts.change_user(admin, "root", unlock=True).locked_until is None
    assert accounts.login(store, "root", PASSWORD, delay=0).name == "root"
    assert user_row(store, "root").failed_logins == 0


def test_failed_logins_at_once_are_all_counted(store):
    """Concurrent wrong passwords must not overwrite each other's count (a lock-out an attacker can outrun)."""
    with_admin(store)
    barrier = threading.Barrier(5)

    def guess(i: int) -> None:
        barrier.wait()
        try:
            accounts.login(store, "root", f"wrong{i}", delay=0)
        except LoginFailed:
            pass

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pytest.raises(LoginFailed, match="锁定"):
        accounts.login(store, "root", PASSWORD, delay=0)


def test_an_expired_lock_lets_the_right_password_in(store):
    with_admin(store)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET locked_until = :t WHERE name = 'root'"), {"t": past})
    assert accounts.login(store, "root", PASSWORD, delay=0).name == "root"
    assert user_row(store, "root").locked_until is None


def test_a_failed_login_waits(store, monkeypatch):
    with_admin(store)
    slept = []
    monkeypatch.setattr(accounts.time, "sleep", slept.append)
    with pytest.raises(LoginFailed):
        accounts.login(store, "root", "wrong password")
    with pytest.raises(LoginFailed):
        accounts.login(store, "ghost", "wrong password")
    assert slept == [accounts.FAIL_DELAY, accounts.FAIL_DELAY] and accounts.FAIL_DELAY >= 1


def test_a_disabled_account_cannot_log_in(store):
    admin = with_admin(store)
    accounts.add_user(admin, name="li", role="查看者", scope=Scope(("440300",)), password=PASSWORD)
    accounts.change_user(admin, "li", active=False)
    with pytest.raises(LoginFailed, match="用户名或密码不正确"):
        accounts.login(store, "li", PASSWORD, delay=0)
    accounts.change_user(admin, "li", active=True)
    assert accounts.login(store, "li", PASSWORD, delay=0).scope == Scope(("440300",))


def test_identity_login_by_email_case_insensitive(store):
    admin = with_admin(store)
    accounts.add_user(admin, name="Zhang.San@Example.cn", display="张三", role="审核员", scope=Scope(("440300",)))
    principal = accounts.identity_login(store, {"email": "zhang.san@EXAMPLE.cn", "sub": "x1"}, source="10.0.0.4")
    assert (principal.name, principal.display, principal.kind, principal.scope) == (
        "Zhang.San@Example.cn",
        "张三",
        "oidc",
        Scope(("440300",)),
    )
    with pytest.raises(LoginFailed, match="尚未在本系统开通"):
        accounts.identity_login(store, {"email": "li.si@example.cn"})
    with pytest.raises(LoginFailed):
        accounts.identity_login(store, {})
    with pytest.raises(LoginFailed):  # a local account is not reachable through the identity provider
        accounts.identity_login(store, {"email": "root"})
    accounts.change_user(admin, "Zhang.San@Example.cn", active=False)
    with pytest.raises(LoginFailed):
        accounts.identity_login(store, {"email": "zhang.san@example.cn"})
    rows = [(r["who"], bool(r["ok"]), r["detail"]) for r in audit_log(store) if r["action"] == "login"]
    assert rows[1] == ("Zhang.San@Example.cn", True, "统一身份认证")
    assert rows[2][:2] == ("li.si@example.cn", False)


def test_identity_login_by_subject_and_never_by_an_unverified_email(store):
    admin = with_admin(store)
    accounts.add_user(admin, name="Ab12CD", role="查看者", scope=Scope(("440300",)))
    assert accounts.identity_login(store, {"sub": "Ab12CD"}).name == "Ab12CD"
    accounts.add_user(admin, name="wang@example.cn", role="查看者", scope=Scope(("440300",)))
    with pytest.raises(LoginFailed):
        accounts.identity_login(store, {"email": "wang@example.cn", "email_verified": False, "sub": "zz"})
    assert (
        accounts.identity_login(store, {"email": "wang@example.cn", "email_verified": True}).name == "wang@example.cn"
    )


def test_a_local_password_cannot_log_in_an_identity_account(store):
    admin = with_admin(store)
    accounts.add_user(admin, name="zhao@example.cn", role="查看者", scope=Scope(("440300",)))
    with pytest.raises(LoginFailed):
        accounts.login(store, "zhao@example.cn", "", delay=0)


# ---- sessions -------------------------------------------------------------------------------------
def test_session_limits():
    limits = SessionLimits(idle_minutes=30, max_hours=8)
    start = 1_000_000.0
    assert limits.expired(start, start + 29 * 60, now=start + 29 * 60 + 59) is None
    assert "30 分钟未操作" in limits.expired(start, start, now=start + 30 * 60 + 1)
    assert limits.expired(start, start + 7.9 * 3600, now=start + 7.95 * 3600) is None
    assert "超过 8 小时" in limits.expired(start, start + 8 * 3600, now=start + 8 * 3600 + 1)
    env = SessionLimits.from_env({"OUTREACH_SESSION_IDLE_MINUTES": "5", "OUTREACH_SESSION_MAX_HOURS": "1.5"})
    assert (env.idle_minutes, env.max_hours) == (5, 1.5)
    assert SessionLimits.from_env({}) == SessionLimits()


# ---- the audit log --------------------------------------------------------------------------------
def test_audit_rows_for_import_delete_restore_approve_and_denied(store):
    admin = with_admin(store)
    accounts.add_user(admin, name="sz", role="审核员", scope=Scope(("440300",)), password=PASSWORD)
    accounts.add_user(admin, name="gz", role="审核员", scope=Scope(("440100",)), password=PASSWORD)
    campaign = cp.create_campaign(
        admin,
        name="2025年报送",
        year=2025,
        due="2025-03-25",
        units=[RosterUnit(0, 0, NANSHAN, "市场监管", "440305"), RosterUnit(0, 0, TIANHE, "消委会", "440106")],
    )
    sz = as_account(store, "sz", source="10.8.0.1")
    gz = as_account(store, "gz", source="10.8.0.2")
    _, imported = sz.import_bytes(return_file([(NANSHAN, 12)]), "南山.xlsx")
    sub = imported.submission_id
    sz.delete(sub)
    sz.restore(sub)
    unit = cp.roster(sz, campaign.id)[0]
    cp.submit(sz, campaign.id, unit.id, submission_id=sub)
    cp.approve(sz, campaign.id, unit.id)
    with pytest.raises(AccessDenied):
        gz.delete(sub)
    with pytest.raises(AccessDenied):
        cp.unlock(gz, campaign.id, unit.id, "重看")
    rows = accounts.search_audit(admin, limit=None)
    mine = rows[rows["source"].isin(["10.8.0.1", "10.8.0.2"])].iloc[::-1]
    got = [(r.who, r.role, r.action, bool(r.ok), r.submission_ids, r.source) for r in mine.itertuples()]
    assert got == [
        ("sz", "reviewer", "import", True, str(sub), "10.8.0.1"),
        ("sz", "reviewer", "delete", True, str(sub), "10.8.0.1"),
        ("sz", "reviewer", "restore", True, str(sub), "10.8.0.1"),
        ("sz", "reviewer", "submit", True, str(sub), "10.8.0.1"),
        ("sz", "reviewer", "approve", True, str(sub), "10.8.0.1"),  # names the approved return
        ("gz", "reviewer", "denied", False, "", "10.8.0.2"),
        ("gz", "reviewer", "denied", False, "", "10.8.0.2"),
    ]
    assert "不在账号" in mine.iloc[-2]["detail"] and mine.iloc[-2]["target"] == f"报表 {sub}"
    logins = accounts.search_audit(admin, action="login")
    assert list(logins["who"])[:3] == ["gz", "sz", "root"]
    assert len(accounts.search_audit(admin, who="gz", action="denied")) == 2
    assert len(accounts.search_audit(admin, text=str(sub))) >= 4
    today = dt.datetime.now(dt.UTC).date()
    assert len(
        accounts.search_audit(admin, since=today - dt.timedelta(days=1), until=today + dt.timedelta(days=1))
    ) == len(rows)
    assert accounts.search_audit(admin, until=today - dt.timedelta(days=2)).empty
    with pytest.raises(AccessDenied):
        accounts.search_audit(sz)


def test_account_and_audit_writes_do_not_move_the_store_version(store):
    admin = with_admin(store)
    version = store.version()
    accounts.add_user(admin, name="li", role="查看者", scope=Scope(("440300",)), password=PASSWORD)
    accounts.change_user(admin, "li", display="李四")
    with pytest.raises(LoginFailed):
        accounts.login(store, "li", "nope nope", delay=0)
    accounts.login(store, "li", PASSWORD, delay=0)
    assert store.version() == version


def test_account_to_dict_never_holds_the_hash(store):
    admin = with_admin(store)
    account = accounts.add_user(
        admin, name="li", role="查看者", scope=Scope(("440300",), ("消委会",)), password=PASSWORD
    )
    out = account.to_dict()
    assert (out["regions"], out["units"], out["role_zh"], out["login"]) == ("440300", "消委会", "查看者", "本地密码")
    assert "argon2" not in repr(out) and "password" not in " ".join(out)


def test_principal_label():
    p = Principal("li", "李四", Role.VIEWER, Scope(("440300",)))
    assert p.label() == "李四(查看者 · 广东省 深圳市)"
