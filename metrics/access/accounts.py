"""Accounts (local passwords hashed with argon2id, or identity-provider e-mails), logins, and the audit log.

Account and audit writes do not move the store's version: a login must not make every page reload its
numbers. Failed logins are slowed (a second each) and five in a row lock the account for 15 minutes.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from metrics.access.rules import OWNER, AccessDenied, Action, Principal, Role, Scope, principal_of
from metrics.storage.schema import audit_log, users

LOCK_AFTER = 5  # failed logins in a row
LOCK_MINUTES = 15
FAIL_DELAY = 1.0  # seconds every failed login waits
MIN_PASSWORD = 8

_HASHER = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class LoginFailed(Exception):
    """A refused login; the message is for the user (it never says whether the name exists)."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    display: str
    role: Role
    scope: Scope
    active: bool
    local: bool  # has a password (else it logs in through the identity provider)
    failed_logins: int
    locked_until: str | None
    last_login: str | None
    created_at: str
    created_by: str

    def principal(self, kind: str) -> Principal:
        return Principal(self.name, self.display, self.role, self.scope, kind)

    def to_dict(self) -> dict:
        regions, units = self.scope.to_text()
        return {
            "name": self.name,
            "display": self.display,
            "role": self.role.value,
            "role_zh": self.role.zh,
            "regions": regions,
            "units": units,
            "scope": self.scope.describe(),
            "active": self.active,
            "login": "本地密码" if self.local else "统一身份认证",
            "locked_until": self.locked_until,
            "last_login": self.last_login,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(at: dt.datetime | None = None) -> str:
    return (at or _now()).isoformat(timespec="seconds")


def _account(row: sa.Row) -> Account:
    return Account(
        row.id,
        row.name,
        row.display,
        Role(row.role),
        Scope.from_text(row.regions, row.units),
        bool(row.active),
        row.password_hash is not None,
        row.failed_logins,
        row.locked_until,
        row.last_login,
        row.created_at,
        row.created_by,
    )


# ---- accounts ---------------------------------------------------------------------------------------------
def has_accounts(store) -> bool:
    """Whether login is on: any active account in the store."""
    with store.engine.connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.active == sa.true()).limit(1)).first() is not None


def list_users(store) -> list[Account]:
    principal_of(store).require(Action.USERS)
    with store.engine.connect() as conn:
        return [_account(r) for r in conn.execute(sa.select(users).order_by(users.c.id))]


def get_user(store, name: str) -> Account | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name.strip())).first()
    return _account(row) if row else None


def _check_account(role: Role, scope: Scope, password: str | None) -> None:
    if role is not Role.ADMIN and scope.empty:
        raise ValueError(f"{role.zh}必须有范围:--region(地区名或六位代码,或 全国)和/或 --unit(单位名称)")
    if role is Role.FILLER and not scope.units:
        raise ValueError("填报员必须指定所属单位(--unit 单位名称),只能看到和上传本单位的报表")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 位")


def _require_within(by: Principal, scope: Scope, name: str) -> None:
    """An administrator of a region hands out no more than it holds (and touches no account beyond it)."""
    if not scope.within(by.scope):
        raise AccessDenied(
            f"账号“{name}”的范围({scope.describe()})超出了管理员“{by.display}”的范围({by.scope.describe()}),不能设置"
        )


def add_user(
    store,
    *,
    name: str,
    role: Role | str,
    display: str | None = None,
    scope: Scope | None = None,
    password: str | None = None,
    source: str = "",
) -> Account:
    """Create an account. The first account of a store must be a 管理员 and needs no login to create;
    after that only a 管理员 may add accounts. ``password=None`` makes an identity-provider account."""
    role = role if isinstance(role, Role) else Role.parse(role)
    scope = scope or (Scope(everywhere=True) if role is Role.ADMIN else Scope())
    name = name.strip()
    if not name:
        raise ValueError("用户名不能为空")
    by = principal_of(store)
    first = not has_accounts(store)
    if first and role is not Role.ADMIN:
        raise ValueError("第一个账号必须是管理员(--role 管理员)")
    if not first:
        by.require(Action.USERS)
        _require_within(by, scope, name)
    _check_account(role, scope, password)
    regions, units = scope.to_text()
    values = {
        "name": name,
        "display": (display or name).strip(),
        "role": role.value,
        "regions": regions,
        "units": units,
        "password_hash": _HASHER.hash(password) if password is not None else None,
        "created_at": _stamp(),
        "created_by": by.name,
    }
    try:
        with store.engine.begin() as conn:
            conn.execute(users.insert().values(**values))
    except sa.exc.IntegrityError:
        raise ValueError(f"用户名“{name}”已存在;修改请用 python -m metrics user set") from None
    account = get_user(store, name)
    assert account is not None  # inserted just now; accounts are never deleted
    audit(store, "user-add", target=name, detail=f"{role.zh};范围:{scope.describe()}", source=source)
    return account


def change_user(
    store,
    name: str,
    *,
    role: Role | str | None = None,
    display: str | None = None,
    scope: Scope | None = None,
    password: str | None = None,
    active: bool | None = None,
    unlock: bool = False,
    source: str = "",
) -> Account:
    """Change an account (管理员 only). Disabling the last active 管理员 is refused."""
    by = principal_of(store)
    by.require(Action.USERS)
    old = get_user(store, name)
    if old is None:
        raise ValueError(f"没有用户“{name}”")
    new_role = old.role if role is None else role if isinstance(role, Role) else Role.parse(role)
    new_scope = scope if scope is not None else old.scope
    _require_within(by, old.scope, old.name)
    _require_within(by, new_scope, old.name)
    _check_account(new_role, new_scope, password)
    values: dict = {"role": new_role.value}
    regions, units = new_scope.to_text()
    values.update(regions=regions, units=units)
    if display is not None:
        values["display"] = display.strip() or old.display
    if password is not None:
        values["password_hash"] = _HASHER.hash(password)
    if active is not None:
        values["active"] = active
    if unlock:
        values.update(failed_logins=0, locked_until=None)
    with store.engine.begin() as conn:
        if old.role is Role.ADMIN and (new_role is not Role.ADMIN or active is False):
            admins = conn.execute(
                sa.select(sa.func.count())
                .select_from(users)
                .where(users.c.role == Role.ADMIN.value, users.c.active == sa.true(), users.c.name != old.name)
            ).scalar_one()
            if not admins:
                raise ValueError("不能停用或降级最后一个管理员")
        conn.execute(users.update().where(users.c.id == old.id).values(**values))
    changed = [k for k in ("role", "display", "password_hash", "active") if k in values and k != "role"]
    detail = f"{new_role.zh};范围:{new_scope.describe()}" + ("".join(f";{k}" for k in changed) if changed else "")
    audit(store, "user-change", target=name, detail=detail.replace("password_hash", "重设密码"), source=source)
    account = get_user(store, name)
    assert account is not None  # it existed above; accounts are never deleted
    return account


# ---- logging in -------------------------------------------------------------------------------------------
def login(store, name: str, password: str, *, source: str = "", delay: float = FAIL_DELAY) -> Principal:
    """The account's principal, or LoginFailed (slowed; locks the account after LOCK_AFTER failures in a row)."""
    name = name.strip()
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    now = _now()
    if row is None or row.password_hash is None or not row.active:
        _verify(_DUMMY_HASH, password)
        audit(store, "login", ok=False, who=name or "?", detail="用户名不存在、已停用或不是本地账号", source=source)
        time.sleep(delay)
        raise LoginFailed("用户名或密码不正确")
    if row.locked_until and dt.datetime.fromisoformat(row.locked_until) > now:
        audit(store, "login", ok=False, who=name, detail="账号锁定中", source=source)
        until = dt.datetime.fromisoformat(row.locked_until).astimezone(dt.timezone(dt.timedelta(hours=8)))
        raise LoginFailed(f"连续输错密码,账号已锁定至 {until:%H:%M}(北京时间);请稍后再试或请管理员解锁")
    if not _verify(row.password_hash, password):
        # Counted in the database, not from the row read above: wrong passwords sent at once all count.
        with store.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == row.id).values(failed_logins=users.c.failed_logins + 1))
            failed = conn.execute(sa.select(users.c.failed_logins).where(users.c.id == row.id)).scalar_one()
            locked = failed >= LOCK_AFTER
            if locked:
                conn.execute(
                    users.update()
                    .where(users.c.id == row.id)
                    .values(failed_logins=0, locked_until=_stamp(now + dt.timedelta(minutes=LOCK_MINUTES)))
                )
        audit(
            store,
            "login",
            ok=False,
            who=name,
            detail=f"密码错误(第 {failed} 次)" + (",账号锁定" if locked else ""),
            source=source,
        )
        time.sleep(delay)
        if locked:
            raise LoginFailed(f"连续 {LOCK_AFTER} 次输错密码,账号锁定 {LOCK_MINUTES} 分钟")
        raise LoginFailed("用户名或密码不正确")
    values = {"failed_logins": 0, "locked_until": None, "last_login": _stamp(now)}
    if _HASHER.check_needs_rehash(row.password_hash):
        values["password_hash"] = _HASHER.hash(password)
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == row.id).values(**values))
    principal = _account(row).principal("local")
    audit(store, "login", who=principal, source=source)
    return principal


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def identity_login(store, claims: dict, *, source: str = "") -> Principal:
    """The account an identity provider's user (by e-mail, else subject) is registered as; LoginFailed if none."""
    email = str(claims.get("email") or "").strip().lower()
    if str(claims.get("email_verified", True)).strip().lower() in ("false", "0", "no"):
        email = ""  # an address the provider has not checked could be anyone's: match by subject only
    subject = str(claims.get("sub") or "").strip()
    tests = ([sa.func.lower(users.c.name) == email] if email else []) + ([users.c.name == subject] if subject else [])
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(users).where(sa.or_(*tests)).order_by(users.c.id)).all() if tests else []
    row = next((r for r in rows if r.active and r.password_hash is None), None)
    if row is None:
        audit(store, "login", ok=False, who=email or subject or "?", detail="统一身份认证账号未开通", source=source)
        raise LoginFailed(f"{email or subject} 已通过统一身份认证,但尚未在本系统开通;请联系管理员开通账号和范围")
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == row.id).values(last_login=_stamp()))
    principal = _account(row).principal("oidc")
    audit(store, "login", who=principal, detail="统一身份认证", source=source)
    return principal


# ---- sessions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionLimits:
    """A login lasts ``idle_minutes`` without use and ``max_hours`` at most (OUTREACH_SESSION_IDLE_MINUTES /
    OUTREACH_SESSION_MAX_HOURS)."""

    idle_minutes: float = 30
    max_hours: float = 8

    @classmethod
    def from_env(cls, environ=None) -> SessionLimits:
        env = os.environ if environ is None else environ
        return cls(
            float(env.get("OUTREACH_SESSION_IDLE_MINUTES", cls.idle_minutes)),
            float(env.get("OUTREACH_SESSION_MAX_HOURS", cls.max_hours)),
        )

    def expired(self, started: float, last_seen: float, now: float | None = None) -> str | None:
        """Why a session (times in epoch seconds) is over, or None."""
        now = time.time() if now is None else now
        if now - started > self.max_hours * 3600:
            return f"登录已超过 {self.max_hours:g} 小时,请重新登录"
        if now - last_seen > self.idle_minutes * 60:
            return f"超过 {self.idle_minutes:g} 分钟未操作,请重新登录"
        return None


# ---- the audit log ----------------------------------------------------------------------------------------
AUDIT_ACTIONS = {
    "login": "登录",
    "logout": "退出",
    "import": "导入报表",
    "delete": "删除报表",
    "restore": "恢复报表",
    "submit": "单位报送",
    "approve": "审核通过",
    "force-approve": "强制通过",
    "return": "退回",
    "lock": "锁定",
    "unlock": "解锁",
    "export": "导出",
    "download-original": "下载原件",
    "reminder": "催报",
    "round-create": "创建报送任务",
    "roster": "应报单位名单",
    "user-add": "新增账号",
    "user-change": "修改账号",
    "denied": "越权被拒",
}


def audit(
    store,
    action: str,
    *,
    who: Principal | str | None = None,
    ok: bool = True,
    ids: Iterable[int] = (),
    target: str = "",
    detail: str = "",
    source: str | None = None,
) -> None:
    """One line of the audit log; ``who`` defaults to the store handle's account, ``source`` to its address."""
    actor = who if who is not None else principal_of(store)
    name, role = (actor.name, actor.role.value) if isinstance(actor, Principal) else (str(actor), "")
    where = source if source else getattr(store, "source", "")
    with store.engine.begin() as conn:
        conn.execute(
            audit_log.insert().values(
                at=_stamp(),
                who=name,
                role=role,
                action=action,
                ok=ok,
                submission_ids=",".join(str(int(i)) for i in ids),
                target=target[:500],
                detail=detail[:2000],
                source=where or "",
            )
        )


def search_audit(
    store,
    *,
    who: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    text: str | None = None,
    limit: int | None = 5000,
) -> pd.DataFrame:
    """The audit log, newest first, as a frame (管理员 only). Dates are Beijing calendar days."""
    principal_of(store).require(Action.AUDIT)
    query = sa.select(audit_log).order_by(audit_log.c.id.desc())
    if who:
        query = query.where(audit_log.c.who.like(f"%{who.strip()}%"))
    if action:
        query = query.where(audit_log.c.action == action)
    beijing = dt.timezone(dt.timedelta(hours=8))
    if since:
        start = dt.datetime.combine(since, dt.time(), beijing).astimezone(dt.UTC)
        query = query.where(audit_log.c.at >= _stamp(start))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), beijing).astimezone(dt.UTC)
        query = query.where(audit_log.c.at < _stamp(end))
    if text and text.strip():
        pattern = f"%{text.strip()}%"
        query = query.where(
            sa.or_(
                audit_log.c.target.like(pattern),
                audit_log.c.detail.like(pattern),
                audit_log.c.submission_ids.like(pattern),
                audit_log.c.source.like(pattern),
            )
        )
    if limit:
        query = query.limit(limit)
    with store.engine.connect() as conn:
        frame = pd.DataFrame([dict(r._mapping) for r in conn.execute(query)], columns=[c.name for c in audit_log.c])
    return frame


def denied(store, error: AccessDenied, *, target: str = "") -> None:
    """Log a refused attempt (the caller still raises or shows the refusal)."""
    audit(store, "denied", ok=False, target=target, detail=str(error))


__all__ = [
    "OWNER",
    "Account",
    "LoginFailed",
    "SessionLimits",
    "add_user",
    "audit",
    "change_user",
    "get_user",
    "has_accounts",
    "identity_login",
    "list_users",
    "login",
    "search_audit",
]
