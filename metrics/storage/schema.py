"""The store's tables, declared once (SQLAlchemy Core, portable SQL for SQLite and PostgreSQL).

Records are narrow: repeated text (agency, metric, theme …) lives once in ``terms`` and ``regions``
and records point at it with integer keys, so a million records load into memory quickly.
"""

from __future__ import annotations

from typing import Literal, get_args

import sqlalchemy as sa

# A submission is active until a newer return of the same scope supersedes it or someone deletes it.
SubmissionStatus = Literal["active", "superseded", "deleted"]

SCHEMA_VERSION = 1

metadata = sa.MetaData()

# One row per setting; ``version`` goes up by one in every write, so readers know when to reload.
store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# The uploaded bytes, kept so an import can be replayed with other corrections.
originals = sa.Table(
    "originals",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), sa.ForeignKey("originals.sha256"), nullable=False, index=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("imported_at", sa.String(32), nullable=False),  # ISO 8601, UTC
    sa.Column("imported_by", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("changed_at", sa.String(32), nullable=True),
    sa.Column("replaced_by", sa.Integer, nullable=True),
    sa.Column("agency", sa.Text, nullable=True),  # the main agency, for lists
    sa.Column("years", sa.Text, nullable=True),  # comma-joined
    sa.Column("n_records", sa.Integer, nullable=False),
    sa.Column("n_errors", sa.Integer, nullable=False),
    sa.Column("n_warnings", sa.Integer, nullable=False),
    sa.Column("layouts", sa.Text, nullable=True),  # JSON: sheet → layout
    sa.Column("overrides", sa.Text, nullable=False, server_default="{}"),  # JSON, see Overrides
    sa.CheckConstraint(f"status IN {get_args(SubmissionStatus)!r}", name="submission_status"),
)

terms = sa.Table(
    "terms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.UniqueConstraint("kind", "text", name="term_kind_text"),
)

# '' stands for a missing level so the unique constraint works the same in SQLite and PostgreSQL.
regions = sa.Table(
    "regions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("province", sa.Text, nullable=False),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("district", sa.Text, nullable=False),
    sa.Column("adcode", sa.String(12), nullable=False),
    sa.UniqueConstraint("province", "city", "district", "adcode", name="region_names"),
)

# Term-keyed record columns, in the order they are written.
TERM_COLUMNS = {
    "metric_id": "metric",
    "unit_id": "unit",
    "agency_id": "agency",
    "sector_id": "sector",
    "theme_id": "theme",
    "activity_id": "activity",
    "sheet_id": "sheet",
}

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
    sa.Column("metric_id", sa.Integer, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=True),
    sa.Column("agency_id", sa.Integer, nullable=True),
    sa.Column("sector_id", sa.Integer, nullable=True),
    sa.Column("region_id", sa.Integer, nullable=True),
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("date", sa.String(10), nullable=True),
    sa.Column("theme_id", sa.Integer, nullable=True),
    sa.Column("activity_id", sa.Integer, nullable=True),
    sa.Column("approx", sa.String(10), nullable=True),
    sa.Column("raw", sa.Text, nullable=True),
    sa.Column("sheet_id", sa.Integer, nullable=True),
    sa.Column("row", sa.Integer, nullable=True),
    sa.Column("col", sa.Integer, nullable=True),
    sa.Index("records_agency_year", "agency_id", "year"),
)

issues = sa.Table(
    "issues",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("location", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
)

RECORD_INSERT_COLUMNS = (
    "submission_id",
    "metric_id",
    "value",
    "unit_id",
    "agency_id",
    "sector_id",
    "region_id",
    "year",
    "date",
    "theme_id",
    "activity_id",
    "approx",
    "raw",
    "sheet_id",
    "row",
    "col",
)

# ---- collection rounds (campaigns): added tables only, so an existing store gains them on start --------
# Dates are ISO 'YYYY-MM-DD' (Beijing calendar days, as written on a notice); times ISO 8601 UTC.
campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("theme", sa.Text, nullable=True),
    sa.Column("period_start", sa.String(10), nullable=True),
    sa.Column("period_end", sa.String(10), nullable=True),
    sa.Column("due_date", sa.String(10), nullable=False),
    sa.Column("grace_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("metrics", sa.Text, nullable=False, server_default=""),  # comma-joined catalog ids
    sa.Column("copied_from", sa.Integer, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("name", "year", name="campaign_name_year"),
    sa.CheckConstraint("grace_days >= 0", name="campaign_grace"),
)

roster_units = sa.Table(
    "roster_units",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("sector", sa.Text, nullable=True),
    sa.Column("adcode", sa.String(12), nullable=True),
    sa.Column("parent", sa.Text, nullable=True),
    sa.Column("contact", sa.Text, nullable=True),
    sa.Column("phone", sa.Text, nullable=True),
    sa.UniqueConstraint("campaign_id", "name", name="roster_unit_name"),
)

# A unit's status is its latest event; every step is kept with when, who and why.

unit_events = sa.Table(
    "unit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), nullable=False, index=True),
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("roster_units.id"), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # the status after this step
    sa.Column("version", sa.Integer, nullable=False),  # submissions so far (a resubmission is +1)
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("who", sa.Text, nullable=False, server_default=""),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=True),
    sa.CheckConstraint("action IN ('submit', 'return', 'approve', 'lock', 'unlock')", name="unit_event_action"),
)

# Reminders (催报) sent for a campaign: one row per unit per sending, so a unit's reminders can be counted.
reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), nullable=False, index=True),
    sa.Column("unit_id", sa.Integer, sa.ForeignKey("roster_units.id"), nullable=True),
    sa.Column("unit_name", sa.Text, nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("who", sa.Text, nullable=False, server_default=""),
    sa.CheckConstraint("channel IN ('xlsx', 'docx', 'sms')", name="reminder_channel"),
)

# ---- accounts and the audit log: added tables only, like the campaigns ---------------------------------
# A local account has a password hash (argon2id); an identity-provider account (OIDC) has none and is
# matched by its e-mail. ``regions`` are comma-joined adcodes (or 全国), ``units`` comma-joined names.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("display", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("regions", sa.Text, nullable=False, server_default=""),
    sa.Column("units", sa.Text, nullable=False, server_default=""),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.String(32), nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False, server_default=""),
    sa.Column("last_login", sa.String(32), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'reviewer', 'filler', 'viewer')", name="user_role"),
)

# Every login, upload, import, delete/restore, review step, export and account change: who, when, what, from where.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(32), nullable=False, index=True),  # ISO 8601 UTC
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False, server_default=""),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("ok", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("submission_ids", sa.Text, nullable=False, server_default=""),  # comma-joined
    sa.Column("target", sa.Text, nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False, server_default=""),  # IP address, or 命令行
)
