"""The store: submissions, their records and issues, and the original files, in any SQLAlchemy database.

SQLite under ``data/`` by default (WAL, busy timeout); any SQLAlchemy URL (PostgreSQL) for a shared
deployment. Every write runs in one transaction that first bumps ``store_meta.version``: that row
lock serialises writers on every database, and readers reload their in-memory copy when it moves.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from metrics.facts import Facts, FactsCache
from metrics.ingest import Overrides, ingest_bytes
from metrics.record import FileResult, RecordBatch
from metrics.schema import (
    RECORD_INSERT_COLUMNS,
    SCHEMA_VERSION,
    TERM_COLUMNS,
    issues,
    metadata,
    originals,
    records,
    regions,
    store_meta,
    submissions,
    terms,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'outreach.db'}"
URL_VARIABLE = "OUTREACH_DB_URL"
_CHUNK = 500


def resolve_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """--db beats $OUTREACH_DB_URL beats the SQLite file under data/."""
    if explicit:
        return explicit
    env = os.environ if environ is None else environ
    return env.get(URL_VARIABLE) or DEFAULT_URL


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


class ImportRefused(ValueError):
    """The store will not take this file; the message says why and what to do, in Chinese."""


@dataclass
class Conflict:
    """An active submission sharing agency-year pairs with a new file."""

    submission_id: int
    file_name: str
    imported_at: str
    shared: int          # agency-year pairs in common
    total: int           # the old submission's agency-year pairs

    @property
    def covered(self) -> bool:
        """The new file reports everything the old one did: it replaces it."""
        return self.shared == self.total


@dataclass
class ImportPlan:
    """What confirming an upload would do, shown on the page before anything is written."""

    file: str
    status: str                    # "new" | "duplicate" | "replaces" | "refused"
    message: str
    duplicate_of: int | None = None
    replaces: list[Conflict] = field(default_factory=list)
    overlaps: list[Conflict] = field(default_factory=list)
    diff: list[dict] = field(default_factory=list)   # measure, old, new


@dataclass
class ImportOutcome:
    file: str
    status: str                    # "imported" | "duplicate" | "refused"
    message: str
    submission_id: int | None = None
    replaced: list[int] = field(default_factory=list)
    records: int = 0


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

    # ---- importing ----------------------------------------------------------------------------
    def plan(self, result: FileResult, data: bytes, overrides: Overrides | None = None) -> ImportPlan:
        """What importing this read would do (nothing is written)."""
        with self.engine.connect() as conn:
            return self._plan(conn, result, data, overrides_to_json(overrides))

    def import_result(self, result: FileResult, data: bytes, *, overrides: Overrides | None = None,
                      who: str = "", replace: bool = True) -> ImportOutcome:
        """Store one read file and its original in a single transaction; all or nothing.

        The same bytes with the same corrections again → "duplicate". Active submissions whose every
        agency-year the new file also reports are marked superseded (``replace=False`` keeps them).
        """
        settings = overrides_to_json(overrides)
        try:
            with self._write() as conn:
                plan = self._plan(conn, result, data, settings)
                if plan.status == "refused":
                    raise ImportRefused(plan.message)
                if plan.status == "duplicate":
                    conn.rollback()
                    return ImportOutcome(result.file, "duplicate", plan.message, plan.duplicate_of)
                new_id = self._insert(conn, result, data, settings, who)
                replaced = [c.submission_id for c in plan.replaces] if replace else []
                if replaced:
                    conn.execute(submissions.update().where(submissions.c.id.in_(replaced))
                                 .values(status="superseded", replaced_by=new_id, changed_at=_now()))
        except ImportRefused as exc:
            return ImportOutcome(result.file, "refused", str(exc))
        message = f"已导入 {len(result.batch)} 条记录"
        if replaced:
            message += f",替换了之前导入的 {len(replaced)} 份报表(旧版本可在“明细”页恢复)"
        return ImportOutcome(result.file, "imported", message, new_id, replaced, len(result.batch))

    def import_bytes(self, data: bytes, name: str, *, overrides: Overrides | None = None, who: str = "",
                     replace: bool = True) -> tuple[FileResult, ImportOutcome]:
        """Read with the same checks as ``ingest`` and store."""
        result = ingest_bytes(data, name, overrides=overrides or Overrides())
        return result, self.import_result(result, data, overrides=overrides, who=who, replace=replace)

    def _plan(self, conn: sa.Connection, result: FileResult, data: bytes, settings: str) -> ImportPlan:
        if not result.ok:
            return ImportPlan(result.file, "refused", f"拒收:{result.error}")
        refusal = _missing_dimensions(result)
        if refusal:
            return ImportPlan(result.file, "refused", refusal)
        digest = sha256_of(data)
        same = conn.execute(sa.select(submissions.c.id, submissions.c.overrides, submissions.c.status)
                            .where(submissions.c.sha256 == digest, submissions.c.status != "deleted")
                            .order_by(submissions.c.id)).all()
        for row in same:
            if row.overrides == settings:
                return ImportPlan(result.file, "duplicate", f"已导入:与第 {row.id} 号报表内容相同,未重复导入",
                                  duplicate_of=row.id)
        conflicts = self._conflicts(conn, _pairs(result.batch))
        # The same bytes read with other corrections replace their earlier reading whatever it held.
        earlier = {row.id for row in same if row.status == "active"}
        replaces = [c for c in conflicts if c.covered or c.submission_id in earlier]
        replaces += [self._conflict_for(conn, i) for i in sorted(earlier - {c.submission_id for c in conflicts})]
        overlaps = [c for c in conflicts if c not in replaces]
        diff = _diff(self._totals(conn, [c.submission_id for c in replaces]), result.totals()) if replaces else []
        if replaces:
            names = "、".join(f"《{c.file_name}》" for c in replaces)
            message = f"将替换之前导入的 {names}(同一单位、同一年度);旧版本保留,可恢复"
            status = "replaces"
        else:
            message, status = f"新报表,{len(result.batch)} 条记录", "new"
        if overlaps:
            names = "、".join(f"《{c.file_name}》({c.shared} 个单位·年度)" for c in overlaps)
            message += f"。注意:与 {names} 部分重复,两份都会计入,请确认没有重复上报"
        return ImportPlan(result.file, status, message, None, replaces, overlaps, diff)

    def _conflicts(self, conn: sa.Connection, pairs: set[tuple[str, int]]) -> list[Conflict]:
        if not pairs:
            return []
        agency = terms.alias("agency")
        names = sorted({a for a, _ in pairs})
        years = sorted({y for _, y in pairs})
        hits: Counter[int] = Counter()
        for chunk in _chunks(names):
            rows = conn.execute(
                sa.select(records.c.submission_id, agency.c.text, records.c.year).distinct()
                .join(agency, agency.c.id == records.c.agency_id)
                .join(submissions, submissions.c.id == records.c.submission_id)
                .where(submissions.c.status == "active", agency.c.text.in_(chunk), records.c.year.in_(years)))
            for row in rows:
                if (row.text, row.year) in pairs:
                    hits[row.submission_id] += 1
        return [self._conflict_for(conn, sub_id, shared) for sub_id, shared in sorted(hits.items())]

    def _conflict_for(self, conn: sa.Connection, sub_id: int, shared: int | None = None) -> Conflict:
        pairs = sa.select(records.c.agency_id, records.c.year).distinct().where(records.c.submission_id == sub_id)
        total = conn.execute(sa.select(sa.func.count()).select_from(pairs.subquery())).scalar_one()
        row = conn.execute(sa.select(submissions.c.file_name, submissions.c.imported_at)
                           .where(submissions.c.id == sub_id)).one()
        return Conflict(sub_id, row.file_name, row.imported_at, total if shared is None else shared, total)

    def _totals(self, conn: sa.Connection, sub_ids: list[int]) -> dict[str, float]:
        if not sub_ids:
            return {}
        metric, unit = terms.alias("metric"), terms.alias("unit")
        rows = conn.execute(
            sa.select(metric.c.text.label("metric"), unit.c.text.label("unit"), sa.func.sum(records.c.value))
            .join(metric, metric.c.id == records.c.metric_id)
            .outerjoin(unit, unit.c.id == records.c.unit_id)
            .where(records.c.submission_id.in_(sub_ids))
            .group_by(metric.c.text, unit.c.text))
        out: dict[str, float] = {}
        for name, unit_text, total in rows:
            key = f"destroyed_qty:{unit_text or ''}" if name == "destroyed_qty" else name
            out[key] = out.get(key, 0.0) + float(total)
        return out

    def _insert(self, conn: sa.Connection, result: FileResult, data: bytes, settings: str, who: str) -> int:
        digest = sha256_of(data)
        if conn.execute(sa.select(originals.c.sha256).where(originals.c.sha256 == digest)).first() is None:
            conn.execute(originals.insert().values(sha256=digest, size=len(data), data=data))
        batch = result.batch
        levels = Counter(i.level for i in result.issues)
        agencies = Counter(a for a in batch.column("agency").tolist() if a)
        years = sorted({int(y) for y in batch.column("year").tolist() if y is not None})
        sub_id = conn.execute(submissions.insert().values(
            file_name=result.file, sha256=digest, size=len(data), imported_at=_now(), imported_by=who,
            status="active", agency=agencies.most_common(1)[0][0] if agencies else None,
            years=",".join(map(str, years)), n_records=len(batch), n_errors=levels["error"],
            n_warnings=levels["warning"], layouts=json.dumps(result.layouts, ensure_ascii=False),
            overrides=settings)).inserted_primary_key[0]
        rows = _record_rows(conn, sub_id, batch)
        if rows:
            marks = ", ".join([_placeholder(self.engine.dialect)] * len(RECORD_INSERT_COLUMNS))
            quoted = ", ".join(self.engine.dialect.identifier_preparer.quote(c) for c in RECORD_INSERT_COLUMNS)
            conn.exec_driver_sql(f"INSERT INTO records ({quoted}) VALUES ({marks})", rows)
        if result.issues:
            conn.execute(issues.insert(), [
                {"submission_id": sub_id, "code": i.code, "level": i.level, "location": i.where,
                 "value": i.value, "message": i.message} for i in result.issues])
        return int(sub_id)

    # ---- the submissions list -----------------------------------------------------------------
    def submissions(self, *, statuses: Iterable[str] = ("active", "superseded", "deleted")) -> list[dict]:
        """Submissions, newest first, as plain dicts."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*[c for c in submissions.c])
                                .where(submissions.c.status.in_(list(statuses)))
                                .order_by(submissions.c.id.desc()))
            return [dict(row._mapping) for row in rows]

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

        Returns the ids that were superseded by the restore.
        """
        with self._write() as conn:
            row = conn.execute(sa.select(submissions.c.status, submissions.c.replaced_by)
                               .where(submissions.c.id == sub_id)).first()
            if row is None:
                raise KeyError(f"没有第 {sub_id} 号报表")
            stepped_back = []
            successor = row.replaced_by
            seen = set()
            while successor is not None and successor not in seen:  # follow the chain to the live version
                seen.add(successor)
                nxt = conn.execute(sa.select(submissions.c.status, submissions.c.replaced_by)
                                   .where(submissions.c.id == successor)).first()
                if nxt is None:
                    break
                if nxt.status == "active":
                    conn.execute(submissions.update().where(submissions.c.id == successor)
                                 .values(status="superseded", replaced_by=sub_id, changed_at=_now()))
                    stepped_back.append(successor)
                    break
                successor = nxt.replaced_by
            conn.execute(submissions.update().where(submissions.c.id == sub_id)
                         .values(status="active", replaced_by=None, changed_at=_now()))
            return stepped_back

    def _set_status(self, conn: sa.Connection, sub_id: int, status: str) -> None:
        done = conn.execute(submissions.update().where(submissions.c.id == sub_id)
                            .values(status=status, changed_at=_now())).rowcount
        if not done:
            raise KeyError(f"没有第 {sub_id} 号报表")

    def original(self, sub_id: int) -> tuple[str, bytes]:
        """The uploaded file exactly as received."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(submissions.c.file_name, originals.c.data)
                               .join(originals, originals.c.sha256 == submissions.c.sha256)
                               .where(submissions.c.id == sub_id)).first()
        if row is None:
            raise KeyError(f"没有第 {sub_id} 号报表")
        return row.file_name, bytes(row.data)

    def replay(self, sub_id: int, overrides: Overrides | None = None) -> FileResult:
        """Read a stored original again, with its stored corrections unless others are given."""
        name, data = self.original(sub_id)
        if overrides is None:
            overrides = overrides_from_json(self.submission(sub_id)["overrides"])
        return ingest_bytes(data, name, overrides=overrides)

    def issues(self, *, active_only: bool = True) -> list[dict]:
        """Issues of the submissions in view, with their file names."""
        query = (sa.select(issues.c.submission_id, submissions.c.file_name, issues.c.code, issues.c.level,
                           issues.c.location, issues.c.value, issues.c.message)
                 .join(submissions, submissions.c.id == issues.c.submission_id)
                 .order_by(issues.c.submission_id, issues.c.id))
        if active_only:
            query = query.where(submissions.c.status == "active")
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def record_details(self, record_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        """record id → (raw cell text, approx) for the rows a page shows."""
        ids = [int(i) for i in record_ids]
        out: dict[int, tuple[str | None, str | None]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                for row in conn.execute(sa.select(records.c.id, records.c.raw, records.c.approx)
                                        .where(records.c.id.in_(chunk))):
                    out[row.id] = (row.raw, row.approx)
        return out

    def dispose(self) -> None:
        self.engine.dispose()


class _WriteTransaction:
    """``with`` block: begin, bump the version (taking the write lock), commit or roll back."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __enter__(self) -> sa.Connection:
        self.conn = self.engine.connect()
        self.conn.execute(store_meta.update().where(store_meta.c.key == "version")
                          .values(value=store_meta.c.value + 1))
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


def _placeholder(dialect: sa.Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _missing_dimensions(result: FileResult) -> str | None:
    batch = result.batch
    if not len(batch):
        return "拒收:文件中没有读到任何数字记录"
    no_year = int(sum(y is None for y in batch.coded("year").decode()))
    no_agency = int(sum(not a for a in batch.coded("agency").decode()))
    parts = []
    if no_year:
        parts.append(f"{no_year} 条记录找不到年度(请在“更正”里填写年度,或在文件名/标题中写明)")
    if no_agency:
        parts.append(f"{no_agency} 条记录找不到填报单位(请在“更正”里填写单位)")
    return "拒收:" + ";".join(parts) if parts else None


def _pairs(batch: RecordBatch) -> set[tuple[str, int]]:
    return {(a, int(y)) for a, y in zip(batch.column("agency").tolist(), batch.column("year").tolist())
            if a and y is not None}


def _diff(old: dict[str, float], new: dict[str, float | int]) -> list[dict]:
    keys = sorted(set(old) | set(new))
    return [{"measure": k, "old": float(old.get(k, 0.0)), "new": float(new.get(k, 0.0))} for k in keys
            if abs(old.get(k, 0.0) - new.get(k, 0.0)) > 1e-9]


def _term_ids(conn: sa.Connection, kind: str, texts: list[str]) -> dict[str, int]:
    """Ids of these texts of one kind, adding the new ones."""
    found: dict[str, int] = {}
    for chunk in _chunks(texts):
        for row in conn.execute(sa.select(terms.c.id, terms.c.text)
                                .where(terms.c.kind == kind, terms.c.text.in_(chunk))):
            found[row.text] = row.id
    missing = [t for t in texts if t not in found]
    if missing:
        conn.execute(terms.insert(), [{"kind": kind, "text": t} for t in missing])
        for chunk in _chunks(missing):
            for row in conn.execute(sa.select(terms.c.id, terms.c.text)
                                    .where(terms.c.kind == kind, terms.c.text.in_(chunk))):
                found[row.text] = row.id
    return found


def _region_ids(conn: sa.Connection, keys: list[tuple[str, str, str, str]]) -> dict[tuple, int]:
    found: dict[tuple, int] = {}
    for province in sorted({k[0] for k in keys}):
        for row in conn.execute(sa.select(regions).where(regions.c.province == province)):
            found[(row.province, row.city, row.district, row.adcode)] = row.id
    missing = [k for k in keys if k not in found]
    if missing:
        conn.execute(regions.insert(), [dict(zip(("province", "city", "district", "adcode"), k)) for k in missing])
        return _region_ids(conn, keys)
    return found


def _coded_ids(conn: sa.Connection, batch: RecordBatch, column: str, kind: str) -> list[int | None]:
    coded = batch.coded(column)
    texts = [None if v is None else str(v) for v in coded.values.tolist()]
    ids = _term_ids(conn, kind, sorted({t for t in texts if t}))
    lookup = np.array([ids[t] if t else -1 for t in texts] or [-1], dtype=np.int64)
    out = lookup[coded.codes]
    return [None if v < 0 else v for v in out.tolist()]


def _record_rows(conn: sa.Connection, sub_id: int, batch: RecordBatch) -> list[tuple]:
    n = len(batch)
    if not n:
        return []
    cols: dict[str, list] = {"submission_id": [sub_id] * n}
    for column, kind in TERM_COLUMNS.items():
        cols[column] = _coded_ids(conn, batch, kind, kind)
    places = list(zip(*[[("" if v is None else str(v)) for v in batch.column(c).tolist()]
                        for c in ("province", "city", "district", "adcode")]))
    distinct = sorted(set(places))
    region_of = _region_ids(conn, [p for p in distinct if any(p)])
    cols["region_id"] = [region_of.get(p) if any(p) else None for p in places]
    cols["value"] = [float(v) for v in batch.column("value").tolist()]
    cols["year"] = [None if y is None else int(y) for y in batch.column("year").tolist()]
    cols["date"] = [None if d is None else str(d) for d in batch.column("date").tolist()]
    cols["approx"] = batch.column("approx").tolist()
    cols["raw"] = batch.raw_text()
    cols["row"] = [int(r) for r in batch.column("row").tolist()]
    cols["col"] = [int(c) for c in batch.column("col").tolist()]
    return list(zip(*[cols[c] for c in RECORD_INSERT_COLUMNS]))
