"""Who may do what: four roles, each held within a scope (a region by adcode prefix and/or named units).

The rules live here once; the scoped store (``metrics.access.scoped``), the campaign functions, the pages and
the CLI all ask ``Principal.can`` / ``require`` and ``Scope.covers``. A user without a scope sees
nothing (fail closed): only an explicit 全国 scope covers everything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import numpy as np
import pandas as pd

from metrics.reading.regions import Gazetteer, default_gazetteer
from metrics.reading.unit_match import short_form

# A unit name's short form, remembered: a scope is judged against every agency of a million-record frame.
_short_form = lru_cache(maxsize=1 << 16)(short_form)


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    FILLER = "filler"
    VIEWER = "viewer"

    @property
    def zh(self) -> str:
        return ROLE_NAMES[self]

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from its Chinese or English name (管理员 / admin …)."""
        wanted = text.strip().lower()
        for role in cls:
            if wanted in (role.value, ROLE_NAMES[role]):
                return role
        raise ValueError(f"没有“{text}”这个角色;可选:" + "、".join(f"{ROLE_NAMES[r]}({r.value})" for r in cls))


ROLE_NAMES = {Role.ADMIN: "管理员", Role.REVIEWER: "审核员", Role.FILLER: "填报员", Role.VIEWER: "查看者"}


class Action(StrEnum):
    READ = "read"  # pages, downloads, briefing packs: only what the scope covers
    UPLOAD = "upload"  # import a return or summary whose every record the scope covers
    CORRECT = "correct"  # delete / restore a submission, re-read it with corrections
    REVIEW = "review"  # 退回 / 审核通过 / 强制通过 / 锁定 / 解锁 / 催报, for units in scope
    ROUNDS = "rounds"  # create or copy a collection round, import or edit its roster
    USERS = "users"  # add, change or disable accounts
    AUDIT = "audit"  # read and export the audit log


ACTION_NAMES = {
    Action.READ: "查看数据",
    Action.UPLOAD: "上传报表",
    Action.CORRECT: "删除、恢复或更正报表",
    Action.REVIEW: "审核、退回、锁定和催报",
    Action.ROUNDS: "创建报送任务和应报单位名单",
    Action.USERS: "管理账号",
    Action.AUDIT: "查看操作日志",
}

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.REVIEWER: frozenset({Action.READ, Action.UPLOAD, Action.CORRECT, Action.REVIEW}),
    Role.FILLER: frozenset({Action.READ, Action.UPLOAD}),
    Role.VIEWER: frozenset({Action.READ}),
}

EVERYWHERE = "全国"


class AccessDenied(PermissionError):
    """An action or a piece of data outside what the account may do or see; the message is for the user."""


def adcode_prefix(adcode: str) -> str:
    """The part of an adcode its region's places share: 440000 → 44, 440300 → 4403, 440305 → 440305."""
    code = adcode.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


@dataclass(frozen=True)
class Scope:
    """What an account covers: every place under ``regions`` (adcodes) and every unit in ``units``.

    Both may be given (a city's districts plus a few named provincial units). Nothing given covers
    nothing; ``everywhere`` (全国) covers all, records of no known place included.
    """

    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    everywhere: bool = False
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _forms: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Fail closed: a blank or non-numeric region must not become the prefix '' every adcode starts with.
        prefixes = (adcode_prefix(code) for code in self.regions)
        object.__setattr__(self, "_prefixes", tuple(p for p in prefixes if p.isdigit()))
        object.__setattr__(self, "_forms", frozenset(short_form(u) for u in self.units if u.strip()))

    @classmethod
    def parse(
        cls, regions: Iterable[str] = (), units: Iterable[str] = (), *, gazetteer: Gazetteer | None = None
    ) -> Scope:
        """A scope from what an administrator types: adcodes or place names (深圳市, 广东省深圳市), 全国, unit names."""
        codes: list[str] = []
        everywhere = False
        for text in (r.strip() for r in regions):
            if not text:
                continue
            if text in (EVERYWHERE, "*", "all"):
                everywhere = True
            elif text.isdigit() and len(text) == 6:
                if (gazetteer or default_gazetteer()).by_adcode(text) is None:
                    raise ValueError(f"行政区划代码“{text}”不在区划表中;请核对,或写地区全称(如 广东省深圳市)")
                codes.append(text)
            else:
                found = (gazetteer or default_gazetteer()).resolve(text)
                if not found.ok or found.region is None:
                    raise ValueError(
                        f"地区“{text}”无法确定(找到 {len(found.candidates)} 个可能的地区);"
                        "请写全称(如 广东省深圳市)或六位行政区划代码"
                    )
                codes.append(found.region.adcode)
        names = tuple(dict.fromkeys(u.strip() for u in units if u.strip()))
        for name in names:
            if "," in name:  # the stored form joins units with commas (to_text)
                raise ValueError(f"单位名称“{name}”中有英文逗号;每个单位单独填写,名称中请用中文逗号")
        return cls(tuple(dict.fromkeys(codes)), names, everywhere)

    @property
    def empty(self) -> bool:
        return not (self.everywhere or self.regions or self.units)

    def covers_place(self, adcode: str | None) -> bool:
        if self.everywhere:
            return True
        return bool(adcode) and any(str(adcode).startswith(p) for p in self._prefixes)

    def covers_unit(self, name: str | None) -> bool:
        return self.everywhere or (bool(name) and bool(self._forms) and _short_form(str(name)) in self._forms)

    def covers(self, adcode: str | None, agency: str | None) -> bool:
        """A record (or roster unit) is in scope if its place is under a region or its unit is named."""
        return self.covers_place(adcode) or self.covers_unit(agency)

    def describe(self, gazetteer: Gazetteer | None = None) -> str:
        if self.everywhere:
            return EVERYWHERE
        gaz = gazetteer or default_gazetteer()
        parts = []
        for code in self.regions:
            region = gaz.by_adcode(code)
            parts.append(region.path if region else code)
        parts += self.units
        return "、".join(parts) or "无(看不到任何数据)"

    def to_text(self) -> tuple[str, str]:
        """(regions, units) as stored: comma-joined; 全国 kept as a word."""
        regions = ([EVERYWHERE] if self.everywhere else []) + list(self.regions)
        return ",".join(regions), ",".join(self.units)

    @classmethod
    def from_text(cls, regions: str | None, units: str | None) -> Scope:
        codes = [r.strip() for r in (regions or "").split(",") if r.strip()]
        return cls(
            tuple(c for c in codes if c != EVERYWHERE),
            tuple(u.strip() for u in (units or "").split(",") if u.strip()),
            EVERYWHERE in codes,
        )

    def within(self, other: Scope, gazetteer: Gazetteer | None = None) -> bool:
        """Whether everything this scope covers is covered by ``other`` (what an administrator of ``other``
        may hand out): each region under one of its regions, each unit named by it or placed inside it."""
        if other.everywhere:
            return True
        if self.everywhere:
            return False
        if not all(any(p.startswith(q) for q in other._prefixes) for p in self._prefixes):
            return False
        gaz = gazetteer or default_gazetteer()
        for unit in self.units:
            if other.covers_unit(unit):
                continue
            place = gaz.find_in_text(unit)
            if not (place.ok and place.region is not None and other.covers_place(place.region.adcode)):
                return False
        return True


@dataclass(frozen=True)
class Principal:
    """The account a page run or a CLI call acts for."""

    name: str  # login name (or the identity provider's e-mail)
    display: str
    role: Role
    scope: Scope
    kind: str = "local"  # local | oidc | owner (no login configured, this machine only)

    def can(self, action: Action) -> bool:
        return action in ALLOWED[self.role]

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise AccessDenied(f"账号“{self.display}”({self.role.zh})无权{ACTION_NAMES[action]}")

    @property
    def sees_all(self) -> bool:
        return self.scope.everywhere

    def label(self) -> str:
        return f"{self.display}({self.role.zh} · {self.scope.describe()})"


# No login configured: whoever sits at this machine (the server answers 127.0.0.1 only) may do everything.
OWNER = Principal("本机用户", "本机用户", Role.ADMIN, Scope(everywhere=True), kind="owner")


def principal_of(store: object) -> Principal:
    """The account a store handle acts for: a scoped store's, or the machine's owner for the raw store."""
    return getattr(store, "principal", OWNER)


# ---- records in a frame --------------------------------------------------------------------------------
def record_mask(frame: pd.DataFrame, scope: Scope) -> np.ndarray:
    """Which rows of a Facts frame the scope covers; judged once per distinct place and agency."""
    if scope.everywhere:
        return np.ones(len(frame), dtype=bool)
    mask = np.zeros(len(frame), dtype=bool)
    tests: list[tuple[str, Callable[[str | None], bool]]] = [("adcode", scope.covers_place)] if scope._prefixes else []
    tests += [("agency", scope.covers_unit)] if scope._forms else []
    for column, test in tests:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            ok = np.array([bool(test(v)) for v in values.cat.categories] + [False], dtype=bool)
            codes = values.cat.codes.to_numpy()
            mask |= ok[np.where(codes < 0, len(ok) - 1, codes)]
        else:
            mask |= np.array([bool(test(v)) for v in values], dtype=bool)
    return mask


# ---- where the server listens ----------------------------------------------------------------------------
def is_loopback(address: str | None) -> bool:
    """127.0.0.1, ::1 and localhost; an empty address means every interface (not loopback)."""
    if not address:
        return False
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1, as a dual-stack socket reports an IPv4 client
    return (mapped or ip).is_loopback


def bind_refusal(address: str | None, client: str | None, *, login_configured: bool) -> str | None:
    """Why the app must not serve, or None: without login it answers this machine only."""
    if login_configured:
        return None
    if not is_loopback(address):
        shown = address or "0.0.0.0(所有网卡)"
        return (
            f"未配置登录,拒绝在 {shown} 上提供服务:任何能访问这个地址的人都能查看、上传和删除数据。"
            "请先用 python -m metrics user add 创建管理员账号,或在 .streamlit/secrets.toml 中配置 [auth] "
            "统一身份认证;或只在本机使用:streamlit run app.py --server.address 127.0.0.1"
        )
    if client and not is_loopback(client):
        return (
            f"未配置登录,只接受本机访问;来自 {client} 的访问被拒绝。"
            "请管理员创建账号(python -m metrics user add)后再从其他电脑访问。"
        )
    return None
