"""Collection rounds (报送任务): a campaign, its roster of expected units, each unit's status, completeness.

Pure Python over the store (never streamlit). Every write is one transaction under the store's lock, so
two reviewers acting on the same unit at once are serialised and the second sees the first's step.
A unit's status is its latest event; every event is kept with when (UTC), who and why.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from metrics.access.rules import AccessDenied, Action, principal_of
from metrics.core.catalog import default_catalog
from metrics.core.fmt import BEIJING
from metrics.core.record import Issue
from metrics.reading.dimensions import NATIONAL_THEMES
from metrics.reading.regions import Gazetteer, default_gazetteer
from metrics.reading.roster import RosterUnit, read_roster
from metrics.reading.unit_match import UnitMatch, match_unit, short_form  # noqa: F401  (part of this module's API)
from metrics.storage import intake
from metrics.storage.schema import campaigns, records, roster_units, submissions, terms, unit_events
from metrics.storage.schema import issues as issue_rows

if TYPE_CHECKING:
    from metrics.access.scoped import StoreHandle


class Status(StrEnum):
    """A unit's status in a campaign, declared once; the value is what is stored and shown."""

    NOT_REPORTED = "未报"
    PENDING = "已报待审"
    RETURNED = "退回"
    APPROVED = "已审核"
    LOCKED = "已锁定"


# A unit's return arriving on the round's page, and an agency of a file imported elsewhere linked to a round.
ReturnStatus = Literal["submitted", "refused", "unknown", "ambiguous", "duplicate"]
LinkStatus = Literal["submitted", "refused", "unknown", "ambiguous"]

LATE = "迟报"  # a flag beside the status, computed from the first submission time, never stored

# action → (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[Status], Status]] = {
    "submit": (frozenset({Status.NOT_REPORTED, Status.PENDING, Status.RETURNED}), Status.PENDING),
    "return": (frozenset({Status.PENDING}), Status.RETURNED),
    "approve": (frozenset({Status.PENDING}), Status.APPROVED),
    "lock": (frozenset({Status.APPROVED}), Status.LOCKED),
    "unlock": (frozenset({Status.APPROVED, Status.LOCKED}), Status.PENDING),
}
ACTION_NAMES = {"submit": "报送", "return": "退回", "approve": "审核通过", "lock": "锁定", "unlock": "解锁"}


class CampaignError(ValueError):
    """A step the campaign does not allow, with a Chinese message a person can act on."""


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    name: str
    year: int
    due_date: dt.date
    grace_days: int = 0
    theme: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    metrics: tuple[str, ...] = ()
    copied_from: int | None = None
    created_at: str = ""
    created_by: str = ""

    @property
    def last_on_time_day(self) -> dt.date:
        """The last Beijing calendar day a return counts as on time: due date + grace days."""
        return self.due_date + dt.timedelta(days=self.grace_days)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("due_date", "period_start", "period_end"):
            out[key] = out[key].isoformat() if out[key] else None
        out["metrics"] = list(self.metrics)
        out["last_on_time_day"] = self.last_on_time_day.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class UnitStatus:
    """Where one unit stands: status, version, first/last submission (UTC), the 迟报 flag, the latest note."""

    unit: RosterUnit
    status: Status
    version: int = 0
    first_submitted_at: str | None = None
    last_submitted_at: str | None = None
    late: bool | None = None  # None while nothing was submitted
    overdue: bool = False  # not reported and the last on-time day has passed
    comment: str | None = None  # the reason while 退回, of the last 解锁, of a 强制通过
    submission_id: int | None = None
    changed_at: str | None = None
    changed_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            k: getattr(self, k)
            for k in (
                "status",
                "version",
                "first_submitted_at",
                "last_submitted_at",
                "late",
                "overdue",
                "comment",
                "submission_id",
                "changed_at",
                "changed_by",
            )
        }
        out["status"] = str(self.status)
        return {
            "unit": self.unit.name,
            "unit_id": self.unit.id,
            "sector": self.unit.sector,
            "adcode": self.unit.adcode,
            **out,
        }


# ---- campaigns ------------------------------------------------------------------------------------
def create_campaign(
    store: StoreHandle,
    *,
    name: str,
    year: int,
    due: dt.date | str,
    grace_days: int = 0,
    theme: str | None = None,
    period: tuple[dt.date | str, dt.date | str] | None = None,
    metrics: Iterable[str] = (),
    who: str = "",
    copied_from: int | None = None,
    units: Sequence[RosterUnit] = (),
) -> Campaign:
    """A new campaign (with ``units`` as its roster), in one transaction; the theme defaults to the national one."""
    principal_of(store).require(Action.ROUNDS)
    name = name.strip()
    if not name:
        raise CampaignError("请填写报送任务名称")
    if grace_days < 0:
        raise CampaignError(f"宽限天数不能为负数:{grace_days}")
    metric_ids = tuple(dict.fromkeys(m.strip() for m in metrics if m.strip()))
    unknown = [m for m in metric_ids if m not in default_catalog().metrics]
    if unknown:
        raise CampaignError(f"指标目录中没有这些指标:{'、'.join(unknown)};可用:{' '.join(default_catalog().ids)}")
    start, end = (_date(period[0], "活动开始日期"), _date(period[1], "活动结束日期")) if period else (None, None)
    if start and end and end < start:
        raise CampaignError(f"活动期间的结束日期 {end} 早于开始日期 {start}")
    row = {
        "name": name,
        "year": int(year),
        "theme": theme or NATIONAL_THEMES.get(int(year)),
        "period_start": start.isoformat() if start else None,
        "period_end": end.isoformat() if end else None,
        "due_date": _date(due, "截止日期").isoformat(),
        "grace_days": int(grace_days),
        "metrics": ",".join(metric_ids),
        "copied_from": copied_from,
        "created_at": intake.now(),
        "created_by": who,
    }
    with store.transaction() as conn:
        if conn.execute(
            sa.select(campaigns.c.id).where(campaigns.c.name == name, campaigns.c.year == int(year))
        ).first():
            raise CampaignError(f"已有 {year} 年的报送任务“{name}”")
        new_id = int(conn.execute(campaigns.insert().values(**row)).inserted_primary_key[0])
        if units:
            conn.execute(
                roster_units.insert(),
                [
                    {
                        "campaign_id": new_id,
                        "name": u.name,
                        "sector": u.sector,
                        "adcode": u.adcode,
                        "parent": u.parent,
                        "contact": u.contact,
                        "phone": u.phone,
                    }
                    for u in units
                ],
            )
    _audit(store, "round-create", target=f"{year} · {name}", detail=f"应报单位 {len(units)} 家")
    return get_campaign(store, new_id)


def copy_campaign(
    store: StoreHandle,
    source_id: int,
    *,
    year: int,
    due: dt.date | str,
    grace_days: int | None = None,
    name: str | None = None,
    who: str = "",
) -> Campaign:
    """Last year's campaign again for ``year``: metrics, grace, period (shifted by the years) and roster.

    Statuses are not copied. The name's year is replaced ('2024年…' → '2025年…'); a theme that was the
    national theme of the old year becomes the new year's.
    """
    source = get_campaign(store, source_id)
    shift = int(year) - source.year
    new_name = name or source.name.replace(str(source.year), str(year))
    theme = source.theme
    if theme is None or theme == NATIONAL_THEMES.get(source.year):
        theme = NATIONAL_THEMES.get(int(year))
    period = (
        (_shift_year(source.period_start, shift), _shift_year(source.period_end, shift))
        if source.period_start and source.period_end
        else None
    )
    return create_campaign(
        store,
        name=new_name,
        year=year,
        due=due,
        grace_days=source.grace_days if grace_days is None else grace_days,
        theme=theme,
        period=period,
        metrics=source.metrics,
        who=who,
        copied_from=source.id,
        units=roster(store, source.id),
    )


def get_campaign(store: StoreHandle, campaign_id: int) -> Campaign:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(campaigns).where(campaigns.c.id == int(campaign_id))).first()
    if row is None:
        raise CampaignError(f"没有第 {campaign_id} 号报送任务")
    return _campaign(row)


def list_campaigns(store: StoreHandle) -> list[Campaign]:
    """Newest year first."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(campaigns).order_by(campaigns.c.year.desc(), campaigns.c.id.desc())).all()
    return [_campaign(r) for r in rows]


def _campaign(row: sa.Row) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        year=row.year,
        due_date=dt.date.fromisoformat(row.due_date),
        grace_days=row.grace_days,
        theme=row.theme,
        period_start=dt.date.fromisoformat(row.period_start) if row.period_start else None,
        period_end=dt.date.fromisoformat(row.period_end) if row.period_end else None,
        metrics=tuple(m for m in (row.metrics or "").split(",") if m),
        copied_from=row.copied_from,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _date(value: dt.date | str, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CampaignError(f"{what}“{value}”不是日期,请写成 YYYY-MM-DD(如 2025-03-25)") from None


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


# ---- the roster -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RosterImport:
    added: int
    updated: int
    issues: tuple[Issue, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "issues": [i.to_dict() for i in self.issues]}


def import_roster(
    store: StoreHandle, campaign_id: int, data: bytes, name: str, *, gazetteer: Gazetteer | None = None
) -> RosterImport:
    """Read a roster list and store its good rows in one transaction; a unit already listed is updated.

    Raises FileRefused (nothing stored) when the file or its 单位名称 column cannot be read.
    """
    principal_of(store).require(Action.ROUNDS)
    get_campaign(store, campaign_id)
    read = read_roster(data, name, gazetteer=gazetteer)
    _require_units_in_scope(store, campaign_id, [(r.name, r.adcode) for r in read.rows], name)
    added = updated = 0
    with store.transaction() as conn:
        have = {
            r.name: r.id
            for r in conn.execute(
                sa.select(roster_units.c.name, roster_units.c.id).where(roster_units.c.campaign_id == campaign_id)
            )
        }
        for row in read.rows:
            values = {
                "sector": row.sector,
                "adcode": row.adcode,
                "parent": row.parent,
                "contact": row.contact,
                "phone": row.phone,
            }
            if row.name in have:
                conn.execute(roster_units.update().where(roster_units.c.id == have[row.name]).values(**values))
                updated += 1
            else:
                conn.execute(roster_units.insert().values(campaign_id=campaign_id, name=row.name, **values))
                added += 1
    _audit(store, "roster", target=name, detail=f"第 {campaign_id} 号任务:新增 {added} 家,更新 {updated} 家")
    return RosterImport(added, updated, read.issues)


_EDITABLE_FIELDS = ("sector", "adcode", "parent", "contact", "phone")


def edit_roster(
    store: StoreHandle, campaign_id: int, edits: dict[int, dict[str, str | None]], *, gazetteer: Gazetteer | None = None
) -> list[RosterUnit]:
    """Change units' 系统 / 行政区划代码 / 上级单位 / 联系人 / 联系电话 ({unit id: {field: value}}), all or nothing.

    A code not in the gazetteer or a unit not on this roster refuses every change, with the unit named.
    """
    principal_of(store).require(Action.ROUNDS)
    gaz = gazetteer or default_gazetteer()
    if not principal_of(store).sees_all:  # an administrator of a region edits its own units, and keeps them there
        for unit_id in edits:
            _require_unit(store, campaign_id, unit_id, Action.ROUNDS)
        with store.engine.connect() as conn:
            now = {u.id: u for u in _roster(conn, campaign_id, list(edits))}
        moved = [
            (now[i].name, str(f["adcode"]).strip() or None)
            for i, f in edits.items()
            if i in now and "adcode" in f and f["adcode"] is not None
        ]
        _require_units_in_scope(store, campaign_id, moved, f"第 {campaign_id} 号任务的名单")
    with store.transaction() as conn:
        names = dict(
            conn.execute(
                sa.select(roster_units.c.id, roster_units.c.name).where(roster_units.c.campaign_id == campaign_id)
            ).all()
        )
        for unit_id, fields in edits.items():
            if unit_id not in names:
                raise CampaignError(f"第 {campaign_id} 号报送任务的名单中没有第 {unit_id} 号单位")
            unknown = set(fields) - set(_EDITABLE_FIELDS)
            if unknown:
                raise CampaignError(f"“{names[unit_id]}”的{'、'.join(sorted(unknown))}不能在这里修改;请重新导入名单")
            values = {k: (str(v).strip() or None) if v is not None else None for k, v in fields.items()}
            code = values.get("adcode")
            if code is not None and gaz.by_adcode(code) is None:
                raise CampaignError(f"“{names[unit_id]}”的行政区划代码“{code}”不在区划表中,未保存任何修改")
            if values:
                conn.execute(roster_units.update().where(roster_units.c.id == unit_id).values(**values))
    _audit(store, "roster", target=f"第 {campaign_id} 号任务", detail=f"修改 {len(edits)} 家单位的信息")
    return roster(store, campaign_id)


def roster(store: StoreHandle, campaign_id: int) -> list[RosterUnit]:
    """The campaign's expected units the account's scope covers, in the order they were listed."""
    with store.engine.connect() as conn:
        return _in_scope(store, _roster(conn, int(campaign_id)))


def _in_scope(store: StoreHandle, units: list) -> list:
    """Units (or items with a ``.unit``) whose region or name the store handle's account covers."""
    scope = principal_of(store).scope
    if scope.everywhere:
        return units
    return [u for u in units if scope.covers(getattr(u, "unit", u).adcode, getattr(u, "unit", u).name)]


def _require_unit(store: StoreHandle, campaign_id: int, unit_id: int, action: Action) -> None:
    """The account may take this step for this unit (role and scope), else AccessDenied (logged)."""
    principal = principal_of(store)
    try:
        principal.require(action)
        if principal.sees_all:
            return
        with store.engine.connect() as conn:
            row = conn.execute(
                sa.select(roster_units.c.name, roster_units.c.adcode).where(
                    roster_units.c.id == unit_id, roster_units.c.campaign_id == campaign_id
                )
            ).first()
        if row is not None and not principal.scope.covers(row.adcode, row.name):
            raise AccessDenied(f"“{row.name}”不在账号“{principal.display}”的范围内")
    except AccessDenied as error:
        _audit(store, "denied", ok=False, target=f"第 {campaign_id} 号任务 单位 {unit_id}", detail=str(error))
        raise


def _require_units_in_scope(
    store: StoreHandle, campaign_id: int, units: list[tuple[str, str | None]], what: str
) -> None:
    """Every (name, adcode) lies in the account's scope, else AccessDenied (logged) naming those outside."""
    principal = principal_of(store)
    outside = [name for name, adcode in units if not principal.scope.covers(adcode, name)]
    if outside:
        error = AccessDenied(
            f"{what}:{'、'.join(outside[:5])}{f' 等 {len(outside)} 家' if len(outside) > 5 else ''}"
            f"不在账号“{principal.display}”的范围({principal.scope.describe()})内,未保存"
        )
        _audit(store, "denied", ok=False, target=f"第 {campaign_id} 号任务", detail=str(error))
        raise error


def _audit(store: StoreHandle, action: str, **fields) -> None:
    from metrics.access.accounts import audit  # accounts imports nothing of this module; kept lazy for the CLI's start

    audit(store, action, **fields)


def _roster(conn: sa.Connection, campaign_id: int, unit_ids: list[int] | None = None) -> list[RosterUnit]:
    query = sa.select(roster_units).where(roster_units.c.campaign_id == campaign_id).order_by(roster_units.c.id)
    if unit_ids is not None:
        query = query.where(roster_units.c.id.in_(unit_ids))
    return [
        RosterUnit(r.id, r.campaign_id, r.name, r.sector, r.adcode, r.parent, r.contact, r.phone)
        for r in conn.execute(query)
    ]


# ---- status steps -----------------------------------------------------------------------------------
def submit(
    store: StoreHandle,
    campaign_id: int,
    unit_id: int,
    *,
    submission_id: int | None = None,
    who: str = "",
    at: dt.datetime | None = None,
) -> UnitStatus:
    """A return arrived (again): 未报/退回/已报待审 → 已报待审, version + 1."""
    return _step(store, campaign_id, unit_id, "submit", who=who, at=at, submission_id=submission_id)


def return_with_comment(
    store: StoreHandle, campaign_id: int, unit_id: int, comment: str, *, who: str = "", at: dt.datetime | None = None
) -> UnitStatus:
    """Send a return back to its unit: 已报待审 → 退回, with the reviewer's reason (required)."""
    return _step(store, campaign_id, unit_id, "return", who=who, at=at, comment=_required(comment, "退回原因"))


FORCED = "强制通过"


def approve(
    store: StoreHandle,
    campaign_id: int,
    unit_id: int,
    *,
    who: str = "",
    at: dt.datetime | None = None,
    force_reason: str | None = None,
) -> UnitStatus:
    """已报待审 → 已审核. A return whose reading found errors is approved only with ``force_reason`` (强制通过),
    which the event keeps as its comment ('强制通过:…')."""
    _require_unit(store, campaign_id, unit_id, Action.REVIEW)
    with store.transaction() as conn:
        errors = _hard_errors(conn, campaign_id, unit_id)
        comment = None
        if force_reason is not None and force_reason.strip():
            comment = f"{FORCED}:{force_reason.strip()}"
        elif errors:
            first = errors[0]
            raise CampaignError(
                f"该单位的报表有 {len(errors)} 个错误(如 {first['location']}:{first['message']}),"
                f"不能审核通过;请退回修改,或选择{FORCED}并写明原因"
            )
        _record(conn, campaign_id, unit_id, "approve", who, at, comment, None)
    after = unit_status(store, campaign_id, unit_id)
    _audit(
        store,
        "force-approve" if comment else "approve",
        ids=[after.submission_id] if after.submission_id else [],
        target=f"第 {campaign_id} 号任务 {after.unit.name} · 单位 {unit_id}",
        detail=comment or "",
    )
    return after


def lock(
    store: StoreHandle, campaign_id: int, unit_id: int, *, who: str = "", at: dt.datetime | None = None
) -> UnitStatus:
    return _step(store, campaign_id, unit_id, "lock", who=who, at=at)


def unlock(
    store: StoreHandle, campaign_id: int, unit_id: int, reason: str, *, who: str = "", at: dt.datetime | None = None
) -> UnitStatus:
    """Reopen an approved or locked return for review (已报待审); the reason is required and kept."""
    return _step(store, campaign_id, unit_id, "unlock", who=who, at=at, comment=_required(reason, "解锁原因"))


def return_issues(store: StoreHandle, campaign_id: int, unit_id: int) -> list[dict]:
    """The problems the reader found in the unit's current return (its latest submission), errors first."""
    _require_unit(store, campaign_id, unit_id, Action.READ)
    with store.engine.connect() as conn:
        return _return_issues(conn, campaign_id, unit_id)


def _return_issues(conn: sa.Connection, campaign_id: int, unit_id: int) -> list[dict]:
    latest = conn.execute(
        sa.select(unit_events.c.submission_id)
        .where(
            unit_events.c.campaign_id == campaign_id, unit_events.c.unit_id == unit_id, unit_events.c.action == "submit"
        )
        .order_by(unit_events.c.id.desc())
        .limit(1)
    ).scalar()
    if latest is None:
        return []
    rows = conn.execute(
        sa.select(
            issue_rows.c.code, issue_rows.c.level, issue_rows.c.location, issue_rows.c.value, issue_rows.c.message
        )
        .where(issue_rows.c.submission_id == latest)
        .order_by(issue_rows.c.id)
    ).all()
    found = [dict(r._mapping) for r in rows] + _review_checks(conn, campaign_id, latest)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda i: order.get(i["level"], 3))


@dataclass(frozen=True, slots=True)
class UnitTemplate:
    file_name: str
    data: bytes
    left_out: tuple[str, ...]  # asked-for metrics a template cannot hold (destroyed_qty: one unit per column)


def unit_template(store: StoreHandle, campaign_id: int, unit_id: int, *, activities: int = 10) -> UnitTemplate:
    """The round's return template for one roster unit: its name and region filled in, the asked-for metrics
    as columns, a hidden marker so the filled-in file is read exactly (metrics/reading/templates.py)."""
    from metrics.reading.templates import build_template  # xlsxwriter only when a template is made

    campaign = get_campaign(store, campaign_id)
    unit = next((u for u in roster(store, campaign_id) if u.id == unit_id), None)
    if unit is None:
        raise CampaignError(f"第 {campaign_id} 号报送任务的名单中没有第 {unit_id} 号单位")
    asked = list(campaign.metrics) or ["events", "materials", "consultations"]
    kept = [m for m in asked if m != "destroyed_qty"]
    region = default_gazetteer().by_adcode(unit.adcode) if unit.adcode else None
    data = build_template(
        campaign=campaign.name,
        year=campaign.year,
        unit=unit.name,
        region=region.path.replace(" ", "") if region else None,
        metrics=kept,
        theme=campaign.theme,
        activities=activities,
    )
    return UnitTemplate(f"{campaign.year}年报表模板_{unit.name}.xlsx", data, tuple(m for m in asked if m not in kept))


def _left_empty(asked: Iterable[str], present: set[str]) -> list[str]:
    return [m for m in asked if m not in present]


def missing_metrics(store: StoreHandle, campaign_id: int) -> dict[int, list[str]]:
    """Unit id → the asked-for metric ids its return in force leaves empty (units that reported only)."""
    campaign = get_campaign(store, campaign_id)
    if not campaign.metrics:
        return {}
    latest = {s.unit.id: s.submission_id for s in unit_statuses(store, campaign_id) if s.submission_id is not None}
    if not latest:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(records.c.submission_id, terms.c.text)
            .distinct()
            .join(terms, terms.c.id == records.c.metric_id)
            .where(records.c.submission_id.in_(list(latest.values())))
        ).all()
    present: dict[int, set[str]] = {}
    for submission_id, metric in rows:
        present.setdefault(submission_id, set()).add(metric)
    out = {unit: _left_empty(campaign.metrics, present.get(sub, set())) for unit, sub in latest.items()}
    return {unit: empty for unit, empty in out.items() if empty}


# A change against the same unit's year before that a reviewer should look at: five times more or less, the
# larger side at least 100 (the 万 slip is a factor of 10,000; the 数据质量 page uses the same rule).
CHANGE_FACTOR, CHANGE_FLOOR = 5.0, 100.0


def _review_checks(conn: sa.Connection, campaign_id: int, submission_id: int) -> list[dict]:
    """What a reviewer checks beyond the reader's issues: asked-for metrics the return leaves empty
    (missing-metric) and totals far from the same agency's year before (big-change)."""
    asked = conn.execute(sa.select(campaigns.c.metrics).where(campaigns.c.id == campaign_id)).scalar()
    asked_ids = [m for m in (asked or "").split(",") if m]
    own = conn.execute(
        sa.select(terms.c.text, records.c.agency_id, records.c.year, sa.func.sum(records.c.value))
        .join(terms, terms.c.id == records.c.metric_id)
        .where(records.c.submission_id == submission_id)
        .group_by(terms.c.text, records.c.agency_id, records.c.year)
    ).all()
    catalog = default_catalog()
    out = []
    present = {row[0] for row in own}
    for metric in _left_empty(asked_ids, present):
        if metric in catalog.metrics:
            out.append(
                {
                    "code": "missing-metric",
                    "level": "warning",
                    "location": "",
                    "value": metric,
                    "message": f"报送任务要求填报“{catalog[metric].zh}”,这份报表没有该指标的数字;请核实是否漏填",
                }
            )
    now: dict[tuple[str, int, int], float] = {}
    for metric, agency_id, year, total in own:
        if agency_id is not None and year is not None:
            now[(metric, agency_id, year)] = now.get((metric, agency_id, year), 0.0) + float(total)
    for (metric, agency_id, year), total in sorted(now.items()):
        before = conn.execute(
            sa.select(sa.func.sum(records.c.value))
            .join(terms, terms.c.id == records.c.metric_id)
            .join(submissions, submissions.c.id == records.c.submission_id)
            .where(
                submissions.c.status == "active",
                terms.c.text == metric,
                records.c.agency_id == agency_id,
                records.c.year == year - 1,
            )
        ).scalar()
        if before is None or max(total, before) < CHANGE_FLOOR:
            continue
        if total >= CHANGE_FACTOR * before or before >= CHANGE_FACTOR * total:
            name = catalog[metric].zh if metric in catalog.metrics else metric
            out.append(
                {
                    "code": "big-change",
                    "level": "warning",
                    "location": "",
                    "value": f"{before:g}→{total:g}",
                    "message": f"“{name}”{year}年为 {total:,.0f},上年为 {before:,.0f},相差五倍以上;"
                    "请核实是否多写或少写了“万”、漏报或重复",
                }
            )
    return out


def _hard_errors(conn: sa.Connection, campaign_id: int, unit_id: int) -> list[dict]:
    return [i for i in _return_issues(conn, campaign_id, unit_id) if i["level"] == "error"]


def _required(text: str, what: str) -> str:
    if not text or not text.strip():
        raise CampaignError(f"请填写{what}")
    return text.strip()


def _step(
    store: StoreHandle,
    campaign_id: int,
    unit_id: int,
    action: str,
    *,
    who: str,
    at: dt.datetime | None,
    comment: str | None = None,
    submission_id: int | None = None,
) -> UnitStatus:
    _require_unit(store, campaign_id, unit_id, Action.UPLOAD if action == "submit" else Action.REVIEW)
    visible = getattr(store, "visible_submissions", lambda: None)()
    if submission_id is not None and visible is not None and int(submission_id) not in visible:
        # a unit's return must be one the account may see: no tying another place's file to one's own unit
        error = AccessDenied(
            f"第 {submission_id} 号报表不在账号“{principal_of(store).display}”的范围内,不能作为该单位的报表"
        )
        _audit(store, "denied", ok=False, target=f"第 {campaign_id} 号任务 单位 {unit_id}", detail=str(error))
        raise error
    with store.transaction() as conn:
        _record(conn, campaign_id, unit_id, action, who, at, comment, submission_id)
    after = unit_status(store, campaign_id, unit_id)
    held = submission_id or after.submission_id  # the return the step acted on
    _audit(
        store,
        action,
        ids=[held] if held else [],
        target=f"第 {campaign_id} 号任务 {after.unit.name} · 单位 {unit_id}",
        detail=comment or "",
    )
    return after


def _record(
    conn: sa.Connection,
    campaign_id: int,
    unit_id: int,
    action: str,
    who: str,
    at: dt.datetime | None,
    comment: str | None,
    submission_id: int | None,
) -> None:
    """Check the step against the unit's current status (read under the write lock) and store it."""
    unit = conn.execute(
        sa.select(roster_units.c.name).where(roster_units.c.id == unit_id, roster_units.c.campaign_id == campaign_id)
    ).first()
    if unit is None:
        raise CampaignError(f"第 {campaign_id} 号报送任务的名单中没有第 {unit_id} 号单位")
    last = conn.execute(
        sa.select(unit_events.c.status, unit_events.c.version)
        .where(unit_events.c.unit_id == unit_id)
        .order_by(unit_events.c.id.desc())
        .limit(1)
    ).first()
    status, version = (Status(last.status), last.version) if last else (Status.NOT_REPORTED, 0)
    allowed, after = TRANSITIONS[action]
    if status not in allowed:
        raise CampaignError(_refusal(unit.name, status, action))
    if action == "submit":
        version += 1
    conn.execute(
        unit_events.insert().values(
            campaign_id=campaign_id,
            unit_id=unit_id,
            action=action,
            status=str(after),
            version=version,
            at=_stamp(at),
            who=who,
            comment=comment,
            submission_id=submission_id,
        )
    )


def _refusal(unit: str, status: Status, action: str) -> str:
    text = f"“{unit}”当前为“{status}”,不能{ACTION_NAMES[action]}"
    if status in (Status.APPROVED, Status.LOCKED) and action in ("submit", "return"):
        return text + ";已审核的报表要修改,须先解锁并写明原因"
    if status == Status.NOT_REPORTED:
        return text + ";该单位还没有报送"
    if status == Status.RETURNED:
        return text + ";报表已退回,等待单位重新报送"
    return text


def _stamp(at: dt.datetime | None) -> str:
    if at is None:
        return intake.now()
    if at.tzinfo is None:
        raise CampaignError("时间须带时区(如北京时间 +08:00)")
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


def beijing_day(stamp: str) -> dt.date:
    """The Beijing calendar day of a stored UTC time: what 'on time' is judged on."""
    return dt.datetime.fromisoformat(stamp).astimezone(BEIJING).date()


# Every write bumps the store's version, so what is read from the rounds for each page run (the approved
# returns, the returns each roster unit has in force) is kept per version: one small query per run, not a fold.
_PER_VERSION: dict[tuple[str, str], tuple[int, Any]] = {}


def _per_version(store: StoreHandle, name: str, compute):
    key, version = (str(store.engine.url), name), store.version()
    kept = _PER_VERSION.get(key)
    if kept is None or kept[0] != version:
        kept = (version, compute(getattr(store, "raw", store)))  # shared by every account: never a scoped view
        _PER_VERSION[key] = kept
    return kept[1]


def approved_submissions(store: StoreHandle) -> frozenset[int]:
    """The returns in force of every unit whose round stands at 已审核 or 已锁定 (all campaigns): what a
    view limited to approved returns may count."""
    return _per_version(store, "approved", _approved_submissions)


def _approved_submissions(store: StoreHandle) -> frozenset[int]:
    query = sa.select(
        unit_events.c.campaign_id,
        unit_events.c.unit_id,
        unit_events.c.status,
        unit_events.c.submission_id,
        unit_events.c.action,
    ).order_by(unit_events.c.id)
    status: dict[tuple[int, int], str] = {}
    latest: dict[tuple[int, int], int] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            key = (row.campaign_id, row.unit_id)
            status[key] = row.status
            if row.action == "submit" and row.submission_id is not None:
                latest[key] = row.submission_id
    done = {str(Status.APPROVED), str(Status.LOCKED)}
    # A file of several units (a city's summary) counts only once every unit it stands for is approved:
    # one approved district must not let its neighbours' unchecked numbers in.
    verdict: dict[int, bool] = {}
    for key, submission_id in latest.items():
        verdict[submission_id] = verdict.get(submission_id, True) and status[key] in done
    return frozenset(sid for sid, ok in verdict.items() if ok)


@dataclass(frozen=True, slots=True)
class RoundCoverage:
    """How many of a round's expected units a set of numbers covers."""

    campaign: Campaign
    expected: int
    covered: int


def round_coverage(store: StoreHandle, submission_ids: Iterable[int], years: Iterable[int]) -> list[RoundCoverage]:
    """For each round of one of ``years``: its roster size and how many of its units have their return in
    force among ``submission_ids`` (the returns behind the numbers on screen)."""
    wanted = {int(y) for y in years}
    rounds = [(c, held) for c, held in _per_version(store, "in-force", _returns_in_force) if c.year in wanted]
    if not rounds:
        return []
    present = {int(i) for i in submission_ids}
    out = []
    for campaign, held in rounds:
        mine = _in_scope(store, list(held))  # the units the account covers are what it is expected to see
        out.append(
            RoundCoverage(
                campaign, len(mine), sum(s.submission_id is not None and s.submission_id in present for s in mine)
            )
        )
    return out


def _returns_in_force(store: StoreHandle) -> list[tuple[Campaign, tuple[UnitStatus, ...]]]:
    """Each round with every roster unit's status (its return in force, or None)."""
    return [(c, tuple(unit_statuses(store, c.id))) for c in list_campaigns(store)]


# ---- where every unit stands ------------------------------------------------------------------------
def unit_status(store: StoreHandle, campaign_id: int, unit_id: int, *, today: dt.date | None = None) -> UnitStatus:
    found = unit_statuses(store, campaign_id, today=today, unit_ids=[unit_id])
    if not found:
        raise CampaignError(f"第 {campaign_id} 号报送任务的名单中没有第 {unit_id} 号单位")
    return found[0]


def unit_statuses(
    store: StoreHandle, campaign_id: int, *, today: dt.date | None = None, unit_ids: Iterable[int] | None = None
) -> list[UnitStatus]:
    """Every roster unit (or those asked for) with its status, in roster order; ``today`` (Beijing) decides 逾期未报."""
    campaign = get_campaign(store, campaign_id)
    events_query = sa.select(unit_events).where(unit_events.c.campaign_id == campaign.id).order_by(unit_events.c.id)
    ids = None if unit_ids is None else [int(i) for i in unit_ids]
    if ids is not None:
        events_query = events_query.where(unit_events.c.unit_id.in_(ids))
    with store.engine.connect() as conn:  # one snapshot for the roster and its events
        units = _in_scope(store, _roster(conn, campaign.id, ids))
        events = conn.execute(events_query).all()
    by_unit: dict[int, list[sa.Row]] = {}
    for event in events:
        by_unit.setdefault(event.unit_id, []).append(event)
    today = today or dt.datetime.now(BEIJING).date()
    return [_fold(campaign, unit, by_unit.get(unit.id, []), today) for unit in units]


def _fold(campaign: Campaign, unit: RosterUnit, events: list[sa.Row], today: dt.date) -> UnitStatus:
    if not events:
        return UnitStatus(unit, Status.NOT_REPORTED, overdue=today > campaign.last_on_time_day)
    submits = [e for e in events if e.action == "submit"]
    last = events[-1]
    first_at = submits[0].at if submits else None
    # 迟报 is judged on the first submission: a return sent back and corrected was still reported on time.
    late = beijing_day(first_at) > campaign.last_on_time_day if first_at else None
    return UnitStatus(
        unit,
        Status(last.status),
        last.version,
        first_at,
        submits[-1].at if submits else None,
        late,
        False,
        last.comment if last.action in ("return", "unlock", "approve") else None,
        submits[-1].submission_id if submits else None,
        last.at,
        last.who,
    )


# ---- a unit's return arriving ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    """'submitted', or why not: 'refused' (unreadable), 'unknown' / 'ambiguous' (which unit?), 'duplicate'."""

    status: ReturnStatus
    message: str
    unit: RosterUnit | None = None
    candidates: tuple[RosterUnit, ...] = ()
    submission_id: int | None = None
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "unit": self.unit.name if self.unit else None,
            "candidates": [u.name for u in self.candidates],
            "submission_id": self.submission_id,
            "version": self.version,
        }


def submit_return(
    store: StoreHandle,
    campaign_id: int,
    data: bytes,
    name: str,
    *,
    who: str = "",
    at: dt.datetime | None = None,
    unit_id: int | None = None,
    gazetteer: Gazetteer | None = None,
) -> ReturnOutcome:
    """Read a unit's return, match its agency to the roster, store it and mark the unit 已报待审 — one transaction.

    A unit's second return supersedes its first through the store's usual agency-year rule (the old
    version stays, with its diff). Which unit is unclear → nothing stored; pass ``unit_id`` once a person chose.
    """
    from metrics.reading.ingest import Overrides, ingest_bytes  # the reader is needed only here

    principal_of(store).require(Action.UPLOAD)
    units = roster(store, campaign_id)
    result = ingest_bytes(data, name, overrides=Overrides())
    if not result.ok:
        return ReturnOutcome("refused", f"拒收:{result.error}")
    if unit_id is not None:
        unit = next((u for u in units if u.id == unit_id), None)
        if unit is None:
            raise CampaignError(f"第 {campaign_id} 号报送任务的名单中没有第 {unit_id} 号单位")
    else:
        agency, adcode = _main_agency(result)
        if agency is None:
            return ReturnOutcome("unknown", "报表中找不到填报单位,请在名单中选择是哪个单位报送的")
        match = match_unit(units, agency, region=adcode, gazetteer=gazetteer)
        if match.status == "ambiguous":
            names = "、".join(u.name for u in match.candidates)
            return ReturnOutcome("ambiguous", f"“{agency}”可能是名单中的 {names},请选择", None, match.candidates)
        if not match.ok or match.unit is None:
            return ReturnOutcome("unknown", f"名单中没有“{agency}”,请选择是哪个单位,或先把它加入名单")
        unit = match.unit

    def record(conn: sa.Connection, outcomes: list) -> None:
        if outcomes[0].status == "imported":
            new_id = outcomes[0].submission_id
            _record(conn, campaign_id, unit.id, "submit", who, at, None, new_id)
            _supersede_previous(conn, campaign_id, unit.id, new_id)

    (outcome,) = store.import_many([(result, data)], who=who, then=record)
    if outcome.status != "imported":
        return ReturnOutcome(outcome.status, outcome.message, unit, (), outcome.submission_id)
    now = unit_status(store, campaign_id, unit.id)
    return ReturnOutcome("submitted", outcome.message, unit, (), outcome.submission_id, now.version)


def _supersede_previous(conn: sa.Connection, campaign_id: int, unit_id: int, new_id: int) -> None:
    """The unit's earlier return steps back even when the new one names the unit differently (全称 vs 简称),
    which the store's agency-year rule cannot see: one unit, one counted return."""
    earlier = (
        conn.execute(
            sa.select(unit_events.c.submission_id).where(
                unit_events.c.campaign_id == campaign_id,
                unit_events.c.unit_id == unit_id,
                unit_events.c.action == "submit",
                unit_events.c.submission_id.is_not(None),
                unit_events.c.submission_id != new_id,
            )
        )
        .scalars()
        .all()
    )
    if earlier:
        conn.execute(
            submissions.update()
            .where(submissions.c.id.in_(earlier), submissions.c.status == "active")
            .values(status="superseded", replaced_by=new_id, changed_at=intake.now())
        )


@dataclass(frozen=True, slots=True)
class Link:
    """What became of one agency of a return imported outside a round's page."""

    campaign: Campaign
    agency: str
    status: LinkStatus
    unit: RosterUnit | None = None
    message: str = ""


def link_submission(
    store: StoreHandle, submission_id: int, *, who: str = "", at: dt.datetime | None = None
) -> list[Link]:
    """A return imported on 数据上报 or by the CLI counts for the rounds of its year: each of its agencies that a
    round's roster names unambiguously is marked 已报待审 with this return (a unit already approved or locked
    is left as it is, and said so); an unclear name is reported, never guessed."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(terms.c.text, records.c.year)
            .distinct()
            .join(terms, terms.c.id == records.c.agency_id)
            .where(records.c.submission_id == submission_id, records.c.year.is_not(None))
        ).all()
    by_year: dict[int, list[str]] = {}
    for agency, year in rows:
        by_year.setdefault(int(year), []).append(agency)
    links = []
    for campaign in list_campaigns(store):
        units = roster(store, campaign.id) if campaign.year in by_year else []
        for agency in sorted(by_year.get(campaign.year, [])) if units else ():
            found = match_unit(units, agency)
            if found.status != "ok":
                links.append(Link(campaign, agency, found.status))
                continue
            assert found.unit is not None  # an 'ok' match has its unit
            try:
                submit(store, campaign.id, found.unit.id, submission_id=submission_id, who=who, at=at)
            except CampaignError as exc:
                links.append(Link(campaign, agency, "refused", found.unit, str(exc)))
            else:
                links.append(Link(campaign, agency, "submitted", found.unit))
    return links


def _main_agency(result) -> tuple[str | None, str | None]:
    """The agency with the most records, and the adcode most of its records carry."""
    records = result.records
    agencies = Counter(r.agency for r in records if r.agency)
    if not agencies:
        return None, None
    agency = agencies.most_common(1)[0][0]
    codes = Counter(r.adcode for r in records if r.agency == agency and r.adcode)
    return agency, codes.most_common(1)[0][0] if codes else None
