"""Reminders (催报) for a campaign: which units to remind, the file for a channel, and the log of who sent what.

The page and the CLI both call ``make_reminder``, so a file made anywhere is logged the same way: one
``reminders`` row per unit reminded (a unit's reminders can be counted), grouped back into ``ReminderLog``s.
A reminder is logged when its file is made: the server cannot know whether the browser saved it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from metrics.access.accounts import audit
from metrics.access.rules import Action, principal_of
from metrics.analysis.charts import safe_filename
from metrics.collection.campaigns import Campaign, CampaignError, get_campaign, roster, unit_statuses
from metrics.collection.reminder_files import (
    DEFAULT_EXTENSION_DAYS,
    Overdue,
    ReminderLog,
    Round,
    mobile_number,
    notice_docx,
    overdue_from,
    overdue_xlsx,
    sms_texts,
)
from metrics.core.fmt import BEIJING
from metrics.core.safe_export import csv_bytes
from metrics.reading.regions import Gazetteer, default_gazetteer
from metrics.storage.schema import reminders

if TYPE_CHECKING:
    from metrics.access.scoped import StoreHandle

# file suffix → channel; an SMS batch is written as a CSV table or as plain text lines
SUFFIXES = {".xlsx": "xlsx", ".docx": "docx", ".csv": "sms", ".txt": "sms"}
MIMES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
_NAMES = {".xlsx": "催报名单", ".docx": "催报通知", ".csv": "催报短信", ".txt": "催报短信"}
SMS_COLUMNS = ("单位名称", "手机号码", "短信内容", "未发送原因")


@dataclass(frozen=True)
class ReminderFile:
    """A reminder made: the file, its name and type, the log stored, the units no SMS could reach."""

    data: bytes
    file_name: str
    mime: str
    log: ReminderLog
    skipped: tuple[tuple[Overdue, str], ...] = ()
    units: tuple[tuple[int, str], ...] = ()  # (roster id, name) of the units reminded

    def record(self, store: StoreHandle) -> ReminderLog:
        """Log this reminder (when it was made with ``record=False``, e.g. once its file is written)."""
        campaign_id = self.log.campaign_id
        assert campaign_id is not None  # make_reminder logs the campaign's id
        return log_reminder(store, int(campaign_id), self.units, self.log.channel, who=self.log.who, at=self.log.when)


def overdue_units(
    store: StoreHandle, campaign_id: int, *, today: dt.date | None = None, gazetteer: Gazetteer | None = None
) -> tuple[Campaign, list[tuple[int, Overdue]]]:
    """The campaign and its 未报 / 退回 units (roster id, Overdue), in roster order."""
    gaz = gazetteer or default_gazetteer()
    today = today or dt.datetime.now(BEIJING).date()
    campaign = get_campaign(store, campaign_id)
    statuses = unit_statuses(store, campaign_id, today=today)

    def region_of(adcode: str | None) -> str | None:
        region = gaz.by_adcode(adcode) if adcode else None
        return region.path if region else None

    overdue = overdue_from(statuses, campaign, today=today, region_of=region_of)
    ids = [s.unit.id for s in statuses if str(s.status) in ("未报", "退回")]
    return campaign, list(zip(ids, overdue, strict=True))


def make_reminder(
    store: StoreHandle,
    campaign_id: int,
    suffix: str,
    *,
    office: str = "",
    contact: str = "",
    who: str = "",
    today: dt.date | None = None,
    gazetteer: Gazetteer | None = None,
    record: bool = True,
) -> ReminderFile:
    """The 催报名单 (.xlsx), 催报通知 (.docx) or SMS texts (.csv/.txt) for the campaign's 未报/退回 units.

    Logged at once unless ``record=False`` (then call ``.record(store)`` once the file is safely written).
    """
    principal_of(store).require(Action.REVIEW)
    suffix = suffix.lower()
    if suffix not in SUFFIXES:
        raise CampaignError(f"催报文件只能是 {'、'.join(SUFFIXES)}:{suffix}")
    channel = SUFFIXES[suffix]
    today = today or dt.datetime.now(BEIJING).date()
    campaign, found = overdue_units(store, campaign_id, today=today, gazetteer=gazetteer)
    if not found:
        raise CampaignError("没有需要催报的单位:名单中的单位都已报送且没有被退回")
    if channel != "xlsx" and not (office.strip() and contact.strip()):
        raise CampaignError("催报通知和短信须写明发文单位和联系人及电话")
    sender = Round.of(campaign, office=office.strip() or "—", contact=contact.strip() or "—")
    units = [u for _, u in found]
    new_due = today + dt.timedelta(days=campaign.grace_days or DEFAULT_EXTENSION_DAYS)
    skipped: tuple[tuple[Overdue, str], ...] = ()
    reminded = found
    if channel == "xlsx":
        data = overdue_xlsx(sender, units, generated=today)
    elif channel == "docx":
        data = notice_docx(sender, units, issued=today, new_due=new_due)
    else:
        batch = sms_texts(sender, units, new_due=new_due)
        skipped = tuple(batch.skipped)
        reminded = [(i, u) for i, u in found if mobile_number(u.phone)[0]]
        data = _sms_file(suffix, [u for _, u in reminded], batch.messages, skipped)
    if not reminded:
        raise CampaignError("没有一个单位有手机号码,无法发送短信;请改用催报通知或名单")
    sent_to = tuple((i, u.unit) for i, u in reminded)
    if record:
        log = log_reminder(store, campaign.id, sent_to, channel, who=who)
    else:
        log = ReminderLog(who, dt.datetime.now(dt.UTC), campaign.id, tuple(n for _, n in sent_to), channel)
    name = safe_filename(f"{campaign.name}_{_NAMES[suffix]}_{today:%Y%m%d}") + suffix
    return ReminderFile(data, name, MIMES[suffix], log, skipped, sent_to)


def _sms_file(
    suffix: str, units: Sequence[Overdue], messages: Sequence[tuple[str, str]], skipped: Sequence[tuple[Overdue, str]]
) -> bytes:
    """One row (or line) per text, then the units no SMS can reach with the reason."""
    if suffix == ".csv":
        rows = [(u.unit, phone, text, "") for u, (phone, text) in zip(units, messages, strict=True)]
        rows += [(u.unit, u.phone or "", "", reason) for u, reason in skipped]
        return csv_bytes(pd.DataFrame(rows, columns=list(SMS_COLUMNS)))
    lines = [f"{phone}\t{text}" for phone, text in messages]
    if skipped:
        lines += ["", f"未能发送短信的单位({len(skipped)}家):"]
        lines += [f"{u.unit}\t{reason}" for u, reason in skipped]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def log_reminder(
    store: StoreHandle,
    campaign_id: int,
    units: Sequence[tuple[int | None, str]],
    channel: str,
    *,
    who: str = "",
    at: dt.datetime | None = None,
) -> ReminderLog:
    """Store one reminder sent to ``units`` (roster id, name) by ``channel``, in one transaction."""
    principal_of(store).require(Action.REVIEW)
    when = at or dt.datetime.now(dt.UTC)
    log = ReminderLog(who, when, campaign_id, tuple(name for _, name in units), channel)  # checks channel and time
    stamp = log.when.isoformat(timespec="seconds")
    get_campaign(store, campaign_id)
    with store.transaction() as conn:
        conn.execute(
            reminders.insert(),
            [
                {
                    "campaign_id": campaign_id,
                    "unit_id": unit_id,
                    "unit_name": name,
                    "channel": channel,
                    "at": stamp,
                    "who": who,
                }
                for unit_id, name in units
            ],
        )
    audit(store, "reminder", target=f"第 {campaign_id} 号任务", detail=f"{channel}:{len(units)} 家")
    return log


def _rows_in_scope(store: StoreHandle, campaign_id: int, rows: Sequence[sa.Row]) -> Sequence[sa.Row]:
    """The reminder rows of units the account's scope covers (its roster), or of units it names."""
    scope = principal_of(store).scope
    if scope.everywhere:
        return rows
    mine = {u.id for u in roster(store, campaign_id)}
    return [r for r in rows if r.unit_id in mine or (r.unit_id is None and scope.covers_unit(r.unit_name))]


def reminder_history(store: StoreHandle, campaign_id: int) -> list[ReminderLog]:
    """Every reminder sent for the campaign (to units in the account's scope), newest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(reminders).where(reminders.c.campaign_id == campaign_id).order_by(reminders.c.id)
        ).all()
    rows = _rows_in_scope(store, campaign_id, rows)
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for row in rows:
        grouped.setdefault((row.at, row.channel, row.who), []).append(row.unit_name)
    logs = [
        ReminderLog(who, dt.datetime.fromisoformat(at), campaign_id, tuple(names), channel)
        for (at, channel, who), names in grouped.items()
    ]
    return logs[::-1]


def reminder_counts(store: StoreHandle, campaign_id: int) -> dict[int, int]:
    """How many reminders each roster unit (in the account's scope) has been sent."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(reminders.c.unit_id, sa.func.count())
            .where(reminders.c.campaign_id == campaign_id, reminders.c.unit_id.is_not(None))
            .group_by(reminders.c.unit_id)
        ).all()
    if not principal_of(store).scope.everywhere:
        mine = {u.id for u in roster(store, campaign_id)}
        rows = [r for r in rows if r.unit_id in mine]
    return {unit_id: n for unit_id, n in rows}
