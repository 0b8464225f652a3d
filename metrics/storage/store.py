"""The store: submissions, their records and issues, and the original files, in any SQLAlchemy database.

SQLite under ``data/`` by default (WAL, busy timeout); any SQLAlchemy URL (PostgreSQL) for a shared
deployment. Every write runs in one transaction that first bumps ``store_meta.version``: that row
lock serialises writers on every database, and readers reload their in-memory copy when it moves.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path

import sqlalchemy as sa

from metrics.core.record import FileResult, measure_key
from metrics.narrative import review as summary_review
from metrics.reading.ingest import Overrides, ingest_bytes
from metrics.storage import intake, writer
from metrics.storage.facts import Facts, FactsCache
from metrics.storage.intake import Conflict, ImportOutcome, ImportPlan, sha256_of
from metrics.storage.schema import (
    SCHEMA_VERSION,
    SubmissionStatus,
    issues,
    metadata,
    originals,
    records,
    store_meta,
    submissions,
    terms,
)

# What pages and the CLI use; the plan and outcome types live in metrics.storage.intake.
__all__ = [
    "DATA_DIR",
    "DEFAULT_URL",
    "URL_VARIABLE",
    "Conflict",
    "ImportOutcome",
    "ImportPlan",
    "Store",
    "overrides_from_json",
    "overrides_to_json",
    "resolve_url",
    "sha256_of",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'outreach.db'}"
URL_VARIABLE = "OUTREACH_DB_URL"
# A bulk import writes every this many files or records, so memory stays flat however many come.
_BULK_FILES, _BULK_RECORDS = 2_000, 200_000


def resolve_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """--db beats $OUTREACH_DB_URL beats the SQLite file under data/."""
    if explicit:
        return explicit
    env = os.environ if environ is None else environ
    return env.get(URL_VARIABLE) or DEFAULT_URL


def overrides_to_json(overrides: Overrides | None) -> str:
    """Stable JSON of the user's corrections ('{}' when none), part of what makes an import unique."""
    if overrides is None:
        return "{}"
    plain = {k: v for k, v in asdict(overrides).items() if v not in (None, {}, ())}
    if "columns" in plain:
        plain["columns"] = dict(sorted(dict(plain["columns"]).items()))
    if "header_rows" in plain:
        plain["header_rows"] = list(plain["header_rows"])
    return json.dumps(plain, ensure_ascii=False, sort_keys=True)


def overrides_from_json(text: str) -> Overrides:
    plain = json.loads(text or "{}")
    if "header_rows" in plain:
        plain["header_rows"] = tuple(plain["header_rows"])
    return Overrides(**plain)


class Store:
    """All reads and writes of submissions; pages and the CLI never touch SQL themselves."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or DEFAULT_URL
        self.engine = _make_engine(self.url)
        self._create()
        self._facts = FactsCache()

    def facts(self) -> Facts:
        """The active records in memory, reloaded only when the store has changed."""
        return self._facts.get(self.engine, self.version())

    # ---- set-up -------------------------------------------------------------------------------
    def _create(self) -> None:
        try:
            metadata.create_all(self.engine)
        except sa.exc.DatabaseError:  # another process created a table between the check and the CREATE
            metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            have = {row.key for row in conn.execute(sa.select(store_meta.c.key))}
            for key, value in (("version", 0), ("schema", SCHEMA_VERSION)):
                if key not in have:
                    try:
                        with conn.begin_nested():
                            conn.execute(store_meta.insert().values(key=key, value=value))
                    except sa.exc.IntegrityError:  # another process created it first
                        pass

    def version(self) -> int:
        """Goes up with every write; cheap enough to ask on every page run."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == "version")).scalar_one())

    def _write(self):
        """A write transaction that holds the store's write lock from its first statement."""
        return _WriteTransaction(self.engine)

    # ``with store.transaction() as conn``: one all-or-nothing write under the store's lock (campaigns).
    transaction = _write

    # ---- importing ----------------------------------------------------------------------------
    def plan(
        self, result: FileResult, data: bytes, overrides: Overrides | None = None, *, settings: str | None = None
    ) -> ImportPlan:
        """What importing this read would do (nothing is written)."""
        settings = overrides_to_json(overrides) if settings is None else settings
        with self.engine.connect() as conn:
            decision = intake.Planner(conn).decide(result, sha256_of(data), settings)
            old = [c.submission_id for c in decision.replaces]
            diff = _diff(self._totals(conn, old), result.totals()) if old else []
            return decision.plan(result.file, len(result.batch), diff)

    def import_result(
        self,
        result: FileResult,
        data: bytes,
        *,
        overrides: Overrides | None = None,
        who: str = "",
        replace: bool = True,
        settings: str | None = None,
    ) -> ImportOutcome:
        """Store one read file and its original in a single transaction; all or nothing.

        The same bytes with the same corrections again → "duplicate". Active submissions whose every
        agency-year the new file also reports are marked superseded (``replace=False`` keeps them).
        ``settings`` stands in for the overrides' JSON when the reading came another way (a reviewed summary).
        """
        (outcome,) = self.import_many(
            [(result, data)], overrides=overrides, who=who, replace=replace, settings=settings
        )
        return outcome

    def import_many(
        self,
        items: Iterable[tuple[FileResult, bytes]],
        *,
        overrides: Overrides | None = None,
        who: str = "",
        replace: bool = True,
        settings: str | None = None,
        then: Callable[[sa.Connection, list[ImportOutcome]], None] | None = None,
    ) -> list[ImportOutcome]:
        """Store many read files in one transaction (bulk loads, the demo); all of them or none.

        Each file is judged as ``import_result`` would, in order, so a later file may duplicate or
        replace an earlier one of the same batch. Nothing written (all duplicate or refused) leaves
        the version where it was. ``then`` runs inside the same transaction after the files are written
        (a campaign records the unit's submission there): if it raises, nothing is stored.
        """
        settings = overrides_to_json(overrides) if settings is None else settings
        outcomes: list[ImportOutcome] = []
        with self._write() as conn:
            planner, ids = intake.Planner(conn), writer.Ids()
            for chunk in _bulk_chunks(items):
                outcomes += self._import_chunk(conn, planner, ids, chunk, settings, who, replace)
            if then is not None:
                then(conn, outcomes)
            if not any(o.status == "imported" for o in outcomes):
                conn.rollback()
        return outcomes

    def import_bytes(
        self, data: bytes, name: str, *, overrides: Overrides | None = None, who: str = "", replace: bool = True
    ) -> tuple[FileResult, ImportOutcome]:
        """Read with the same checks as ``ingest`` and store."""
        result = ingest_bytes(data, name, overrides=overrides or Overrides())
        return result, self.import_result(result, data, overrides=overrides, who=who, replace=replace)

    def _import_chunk(
        self,
        conn: sa.Connection,
        planner: intake.Planner,
        ids: writer.Ids,
        chunk: list[tuple[FileResult, bytes]],
        settings: str,
        who: str,
        replace: bool,
    ) -> list[ImportOutcome]:
        digests = [sha256_of(data) for _, data in chunk]
        planner.prefetch(digests, {pair for result, _ in chunk if result.ok for pair in intake.pairs_of(result.batch)})
        decided: list[tuple[FileResult, intake.Decision, writer.Pending | None]] = []
        pending: list[writer.Pending] = []
        for (result, data), digest in zip(chunk, digests):
            decision = planner.decide(result, digest, settings)
            item = None
            if decision.status in ("new", "replaces"):
                replaced = [c.submission_id for c in decision.replaces] if replace else []
                item = writer.Pending(-1 - len(pending), result, data, digest, settings, who, intake.now(), replaced)
                planner.admit(item.key, decision, digest, settings, result.file, item.imported_at, replaced)
                pending.append(item)
            decided.append((result, decision, item))
        real = writer.write(conn, pending, ids)
        planner.rename(real)
        return [
            decision.renamed(real).outcome(
                result.file,
                real[item.key] if item else None,
                len(result.batch) if item else 0,
                [real.get(i, i) for i in item.replaced] if item else [],
            )
            for result, decision, item in decided
        ]

    def _totals(self, conn: sa.Connection, sub_ids: list[int]) -> dict[str, float]:
        if not sub_ids:
            return {}
        metric, unit = terms.alias("metric"), terms.alias("unit")
        rows = conn.execute(
            sa.select(metric.c.text.label("metric"), unit.c.text.label("unit"), sa.func.sum(records.c.value))
            .join(metric, metric.c.id == records.c.metric_id)
            .outerjoin(unit, unit.c.id == records.c.unit_id)
            .where(records.c.submission_id.in_(sub_ids))
            .group_by(metric.c.text, unit.c.text)
        )
        out: dict[str, float] = {}
        for name, unit_text, total in rows:
            key = measure_key(name, unit_text)
            out[key] = out.get(key, 0.0) + float(total)
        return out

    # ---- the submissions list -----------------------------------------------------------------
    def submissions(
        self,
        *,
        statuses: Iterable[str] = ("active", "superseded", "deleted"),
        search: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Submissions, newest first, as plain dicts; ``search`` matches file name or agency."""
        query = self._submissions_query(statuses, search).order_by(submissions.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def count_submissions(
        self, *, statuses: Iterable[str] = ("active", "superseded", "deleted"), search: str | None = None
    ) -> int:
        query = self._submissions_query(statuses, search).with_only_columns(sa.func.count())
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    @staticmethod
    def _submissions_query(statuses: Iterable[str], search: str | None) -> sa.Select:
        query = sa.select(*[c for c in submissions.c]).where(submissions.c.status.in_(list(statuses)))
        if search and search.strip():
            pattern = f"%{search.strip()}%"
            query = query.where(sa.or_(submissions.c.file_name.like(pattern), submissions.c.agency.like(pattern)))
        return query

    def submission(self, sub_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*[c for c in submissions.c]).where(submissions.c.id == sub_id)).first()
            return dict(row._mapping) if row else None

    def delete(self, sub_id: int) -> None:
        """Take a submission out of every view; its records and original stay, so it can be restored."""
        with self._write() as conn:
            self._set_status(conn, sub_id, "deleted")

    def restore(self, sub_id: int) -> list[int]:
        """Make a deleted or superseded submission active again; the version that replaced it steps back.

        So does any other active submission whose every agency-year this one reports (as on import),
        so a restore never makes the same unit's year count twice. Returns the ids that stepped back.
        """
        with self._write() as conn:
            row = conn.execute(
                sa.select(submissions.c.status, submissions.c.replaced_by).where(submissions.c.id == sub_id)
            ).first()
            if row is None:
                raise KeyError(f"没有第 {sub_id} 号报表")
            conflicts = intake.Planner(conn).conflicts(self._stored_pairs(conn, sub_id))
            stepped_back = {c.submission_id for c in conflicts if c.covered and c.submission_id != sub_id}
            live = self._live_successor(conn, row.replaced_by)
            if live is not None and live != sub_id:
                stepped_back.add(live)
            if stepped_back:
                conn.execute(
                    submissions.update()
                    .where(submissions.c.id.in_(sorted(stepped_back)))
                    .values(status="superseded", replaced_by=sub_id, changed_at=intake.now())
                )
            conn.execute(
                submissions.update()
                .where(submissions.c.id == sub_id)
                .values(status="active", replaced_by=None, changed_at=intake.now())
            )
            return sorted(stepped_back)

    def _live_successor(self, conn: sa.Connection, successor: int | None) -> int | None:
        """Follow ``replaced_by`` to the version in use now, if it is still active."""
        seen: set[int] = set()
        while successor is not None and successor not in seen:
            seen.add(successor)
            row = conn.execute(
                sa.select(submissions.c.status, submissions.c.replaced_by).where(submissions.c.id == successor)
            ).first()
            if row is None:
                return None
            if row.status == "active":
                return successor
            successor = row.replaced_by
        return None

    def _stored_pairs(self, conn: sa.Connection, sub_id: int) -> set[tuple[str, int]]:
        agency = terms.alias("agency")
        rows = conn.execute(
            sa.select(agency.c.text, records.c.year)
            .distinct()
            .join(agency, agency.c.id == records.c.agency_id)
            .where(records.c.submission_id == sub_id, records.c.year.is_not(None))
        )
        return {(text, int(year)) for text, year in rows}

    def _set_status(self, conn: sa.Connection, sub_id: int, status: SubmissionStatus) -> None:
        done = conn.execute(
            submissions.update().where(submissions.c.id == sub_id).values(status=status, changed_at=intake.now())
        ).rowcount
        if not done:
            raise KeyError(f"没有第 {sub_id} 号报表")

    def original(self, sub_id: int) -> tuple[str, bytes]:
        """The uploaded file exactly as received."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(submissions.c.file_name, originals.c.data)
                .join(originals, originals.c.sha256 == submissions.c.sha256)
                .where(submissions.c.id == sub_id)
            ).first()
        if row is None:
            raise KeyError(f"没有第 {sub_id} 号报表")
        return row.file_name, bytes(row.data)

    def replay(self, sub_id: int, overrides: Overrides | None = None) -> FileResult:
        """Read a stored original again, with its stored corrections unless others are given.

        A written summary comes back as it was reviewed (its settings hold the confirmed numbers).
        """
        name, data = self.original(sub_id)
        row = self.submission(sub_id)
        if row is None:
            raise KeyError(f"没有第 {sub_id} 号报表")
        stored = row["overrides"]
        if summary_review.is_review(stored):
            return summary_review.replay(data, name, stored)
        if overrides is None:
            overrides = overrides_from_json(stored)
        return ingest_bytes(data, name, overrides=overrides)

    def issues(self, *, active_only: bool = True) -> list[dict]:
        """Issues of the submissions in view, with their file names."""
        query = (
            sa.select(
                issues.c.submission_id,
                submissions.c.file_name,
                issues.c.code,
                issues.c.level,
                issues.c.location,
                issues.c.value,
                issues.c.message,
            )
            .join(submissions, submissions.c.id == issues.c.submission_id)
            .order_by(issues.c.submission_id, issues.c.id)
        )
        if active_only:
            query = query.where(submissions.c.status == "active")
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def record_texts(self) -> dict[int, tuple[str | None, str | None]]:
        """record id → (raw cell text, approx) for every active record (for downloads)."""
        query = (
            sa.select(records.c.id, records.c.raw, records.c.approx)
            .join(submissions, submissions.c.id == records.c.submission_id)
            .where(submissions.c.status == "active")
        )
        with self.engine.connect() as conn:
            return {row.id: (row.raw, row.approx) for row in conn.execute(query)}

    def record_details(self, record_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        """record id → (raw cell text, approx) for the rows a page shows."""
        ids = [int(i) for i in record_ids]
        out: dict[int, tuple[str | None, str | None]] = {}
        with self.engine.connect() as conn:
            for chunk in intake.chunks(ids):
                for row in conn.execute(
                    sa.select(records.c.id, records.c.raw, records.c.approx).where(records.c.id.in_(chunk))
                ):
                    out[row.id] = (row.raw, row.approx)
        return out

    def agencies_of(self, sub_ids: Iterable[int]) -> dict[int, list[str]]:
        """submission id → every agency its records name, the one with most records first (then by name)."""
        ids = [int(i) for i in sub_ids]
        counts: dict[int, list[tuple[int, str]]] = {}
        with self.engine.connect() as conn:
            for chunk in intake.chunks(ids):
                query = (
                    sa.select(records.c.submission_id, terms.c.text, sa.func.count().label("n"))
                    .join(terms, terms.c.id == records.c.agency_id)
                    .where(records.c.submission_id.in_(chunk))
                    .group_by(records.c.submission_id, terms.c.text)
                )
                for row in conn.execute(query):
                    counts.setdefault(row.submission_id, []).append((-row.n, row.text))
        return {sid: [name for _, name in sorted(pairs)] for sid, pairs in counts.items()}

    def dispose(self) -> None:
        self.engine.dispose()


class _WriteTransaction:
    """``with`` block: begin, bump the version (taking the write lock), commit or roll back."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __enter__(self) -> sa.Connection:
        self.conn = self.engine.connect()
        self.conn.execute(store_meta.update().where(store_meta.c.key == "version").values(value=store_meta.c.value + 1))
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and self.conn.in_transaction():
                self.conn.commit()
            elif self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()


def _make_engine(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        cursor = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


def _diff(old: dict[str, float], new: dict[str, float | int]) -> list[dict]:
    keys = sorted(set(old) | set(new))
    return [
        {"measure": k, "old": float(old.get(k, 0.0)), "new": float(new.get(k, 0.0))}
        for k in keys
        if not math.isclose(old.get(k, 0.0), new.get(k, 0.0), rel_tol=1e-9, abs_tol=1e-9)
    ]


def _bulk_chunks(items: Iterable[tuple[FileResult, bytes]]) -> Iterator[list[tuple[FileResult, bytes]]]:
    chunk: list[tuple[FileResult, bytes]] = []
    size = 0
    for result, data in items:
        chunk.append((result, data))
        size += len(result.batch)
        if len(chunk) >= _BULK_FILES or size >= _BULK_RECORDS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
