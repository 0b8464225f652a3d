"""Writing files the planner let in: originals, submissions, records and issues in a few statements.

Term and region ids are looked up once per batch (``Ids``), record columns are built from the
batches' integer codes, and records go in as slabs of plain tuples through the driver.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np
import sqlalchemy as sa

from metrics.core.record import Coded, FileResult, RecordBatch, object_array
from metrics.storage.intake import chunks
from metrics.storage.schema import (
    RECORD_INSERT_COLUMNS,
    TERM_COLUMNS,
    issues,
    originals,
    regions,
    submissions,
    terms,
)

REGION_COLUMNS = ("province", "city", "district", "adcode")
_SLAB = 50_000  # records per INSERT batch


@dataclass
class Pending:
    """A file let in, waiting to be written."""

    key: int  # provisional id (negative)
    result: FileResult
    data: bytes
    digest: str
    settings: str
    who: str
    imported_at: str
    replaced: list[int]  # ids, some possibly provisional


def write(conn: sa.Connection, pending: list[Pending], ids: Ids) -> dict[int, int]:
    """Insert these files (originals, submissions, records, issues) and retire what they replace.

    Returns provisional key → submission id.
    """
    if not pending:
        return {}
    _write_originals(conn, pending)
    rows = [_submission_row(p) for p in pending]
    new_ids = (
        conn.execute(submissions.insert().returning(submissions.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    real = {p.key: int(i) for p, i in zip(pending, new_ids)}
    record_rows = _record_rows(conn, [(real[p.key], p.result.batch) for p in pending], ids)
    marks = ", ".join([_placeholder(conn.dialect)] * len(RECORD_INSERT_COLUMNS))
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in RECORD_INSERT_COLUMNS)
    while slab := list(islice(record_rows, _SLAB)):  # never a million tuples at once
        conn.exec_driver_sql(f"INSERT INTO records ({quoted}) VALUES ({marks})", slab)
    issue_rows = [
        {
            "submission_id": real[p.key],
            "code": i.code,
            "level": i.level,
            "location": i.where,
            "value": i.value,
            "message": i.message,
        }
        for p in pending
        for i in p.result.issues
    ]
    if issue_rows:
        conn.execute(issues.insert(), issue_rows)
    for p in pending:
        if p.replaced:
            conn.execute(
                submissions.update()
                .where(submissions.c.id.in_([real.get(i, i) for i in p.replaced]))
                .values(status="superseded", replaced_by=real[p.key], changed_at=p.imported_at)
            )
    return real


def _write_originals(conn: sa.Connection, pending: list[Pending]) -> None:
    data_of = {p.digest: p.data for p in pending}
    have: set[str] = set()
    for chunk in chunks(sorted(data_of)):
        have.update(conn.execute(sa.select(originals.c.sha256).where(originals.c.sha256.in_(chunk))).scalars())
    missing = [{"sha256": d, "size": len(data), "data": data} for d, data in data_of.items() if d not in have]
    if missing:
        conn.execute(originals.insert(), missing)


def _submission_row(p: Pending) -> dict:
    batch = p.result.batch
    levels = Counter(i.level for i in p.result.issues)
    agency = batch.coded("agency")
    counts = np.bincount(agency.codes, minlength=len(agency.values)) if len(agency) else np.zeros(0, dtype=int)
    per_agency: Counter[str] = Counter()
    for k, n in enumerate(counts.tolist()):
        if n and agency.values[k]:
            per_agency[agency.values[k]] += n
    year = batch.coded("year")
    years = sorted({int(year.values[k]) for k in np.unique(year.codes).tolist() if year.values[k] is not None})
    return {
        "file_name": p.result.file,
        "sha256": p.digest,
        "size": len(p.data),
        "imported_at": p.imported_at,
        "imported_by": p.who,
        "status": "active",
        "agency": per_agency.most_common(1)[0][0] if per_agency else None,
        "years": ",".join(map(str, years)),
        "n_records": len(batch),
        "n_errors": levels["error"],
        "n_warnings": levels["warning"],
        "layouts": json.dumps(p.result.layouts, ensure_ascii=False),
        "overrides": p.settings,
    }


class Ids:
    """Term and region ids already looked up in this write transaction (a bulk import asks once)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, str], int] = {}
        self.regions: dict[tuple[str, ...], int] = {}

    def terms_of(self, conn: sa.Connection, kind: str, texts: list[str]) -> dict[str, int]:
        """Ids of these texts of one kind, adding the new ones."""
        missing = sorted({t for t in texts if (kind, t) not in self.terms})
        if missing:
            found = _select_terms(conn, kind, missing)
            new = [t for t in missing if t not in found]
            if new:
                conn.execute(terms.insert(), [{"kind": kind, "text": t} for t in new])
                found.update(_select_terms(conn, kind, new))
            self.terms.update(((kind, t), i) for t, i in found.items())
        return {t: self.terms[(kind, t)] for t in texts}

    def regions_of(self, conn: sa.Connection, keys: list[tuple[str, ...]]) -> dict[tuple, int]:
        missing = sorted({k for k in keys if k not in self.regions})
        if missing:
            found = _select_regions(conn, missing)
            new = [k for k in missing if k not in found]
            if new:
                conn.execute(regions.insert(), [dict(zip(REGION_COLUMNS, k)) for k in new])
                found.update(_select_regions(conn, new))
            self.regions.update(found)
        return {k: self.regions[k] for k in keys}


def _select_terms(conn: sa.Connection, kind: str, texts: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(texts):
        for row in conn.execute(
            sa.select(terms.c.id, terms.c.text).where(terms.c.kind == kind, terms.c.text.in_(chunk))
        ):
            found[row.text] = row.id
    return found


def _select_regions(conn: sa.Connection, keys: list[tuple[str, ...]]) -> dict[tuple, int]:
    wanted = set(keys)
    found: dict[tuple, int] = {}
    for chunk in chunks(sorted({k[0] for k in keys})):
        for row in conn.execute(sa.select(regions).where(regions.c.province.in_(chunk))):
            key = (row.province, row.city, row.district, row.adcode)
            if key in wanted:
                found[key] = row.id
    return found


def _record_rows(conn: sa.Connection, batches: list[tuple[int, RecordBatch]], ids: Ids) -> Iterator[tuple]:
    """Rows for the records table, for many files at once: one id lookup per kind, vectorised keys."""
    batches = [(sid, b) for sid, b in batches if len(b)]
    if not batches:
        return iter(())
    parts = [b for _, b in batches]
    cols: dict[str, list] = {"submission_id": np.repeat([sid for sid, _ in batches], [len(b) for b in parts]).tolist()}
    for column, kind in TERM_COLUMNS.items():
        cols[column] = _term_column(conn, _gather(parts, kind), kind, ids)
    cols["region_id"] = _region_column(conn, [_gather(parts, c) for c in REGION_COLUMNS], ids)
    cols["year"] = _decoded(_gather(parts, "year"), lambda y: None if y is None else int(y))
    cols["date"] = _decoded(_gather(parts, "date"), lambda d: None if d is None else str(d))
    cols["approx"] = _decoded(_gather(parts, "approx"), lambda a: a)
    cols["raw"] = [text for b in parts for text in b.raw_text()]
    for name, dtype in (("value", np.float64), ("row", np.int64), ("col", np.int64)):
        cols[name] = np.concatenate([np.asarray(b.column(name), dtype=dtype) for b in parts]).tolist()
    return zip(*[cols[c] for c in RECORD_INSERT_COLUMNS])


def _gather(parts: list[RecordBatch], name: str) -> Coded:
    """One column of many batches as one Coded column, without decoding coded parts."""
    cols = [b.columns[name] for b in parts]
    coded = [c for c in cols if isinstance(c, Coded)]
    if len(coded) < len(cols):
        return Coded.encode(np.concatenate([c.decode() if isinstance(c, Coded) else c for c in cols]))
    offsets = np.cumsum([0] + [len(c.values) for c in coded[:-1]])
    shift = np.repeat(offsets, [len(c.codes) for c in coded])
    return Coded(np.concatenate([c.codes for c in coded]) + shift, np.concatenate([c.values for c in coded]))


def _decoded(coded: Coded, convert) -> list:
    """The plain column, each distinct value converted once."""
    return object_array([convert(v) for v in coded.values.tolist()])[coded.codes].tolist()


def _term_column(conn: sa.Connection, coded: Coded, kind: str, ids: Ids) -> list[int | None]:
    texts = [None if v is None else str(v) for v in coded.values.tolist()]
    known = ids.terms_of(conn, kind, [t for t in texts if t])
    lookup = np.array([known[t] if t else -1 for t in texts] or [-1], dtype=np.int64)
    return _none_below_zero(lookup[coded.codes])


def _region_column(conn: sa.Connection, coded: list[Coded], ids: Ids) -> list[int | None]:
    keys, inverse = np.unique(np.stack([c.codes for c in coded], axis=1), axis=0, return_inverse=True)
    places = [
        tuple("" if c.values[k] is None else str(c.values[k]) for c, k in zip(coded, row)) for row in keys.tolist()
    ]
    known = ids.regions_of(conn, [p for p in places if any(p)])
    lookup = np.array([known[p] if any(p) else -1 for p in places], dtype=np.int64)
    return _none_below_zero(lookup[inverse.reshape(-1)])


def _none_below_zero(values: np.ndarray) -> list[int | None]:
    if (values < 0).any():
        return [None if v < 0 else v for v in values.tolist()]
    return values.tolist()


def _placeholder(dialect: sa.Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"
