"""Judging files before they go into the store: refused, duplicate, new, or replacing older returns.

``Planner`` decides against an in-memory index of the active submissions' agency-years, loaded only
for the pairs the files touch and kept current as files are let in, so a bulk import of thousands of
files asks the database a few questions per batch instead of several per file. ``metrics.storage.writer``
then inserts what was let in.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import sqlalchemy as sa

from metrics.core.record import FileResult, RecordBatch
from metrics.storage.schema import records, submissions, terms

# What confirming a file would do (the plan shown before writing) and what it did.
PlanStatus = Literal["new", "duplicate", "replaces", "refused"]
ImportStatus = Literal["imported", "duplicate", "refused"]

Pair = tuple[str, int]  # (agency, year)
_CHUNK = 500


@dataclass
class Conflict:
    """An active submission sharing agency-year pairs with a new file."""

    submission_id: int
    file_name: str
    imported_at: str
    shared: int  # agency-year pairs in common
    total: int  # the old submission's agency-year pairs

    @property
    def covered(self) -> bool:
        """The new file reports everything the old one did: it replaces it."""
        return self.shared == self.total


@dataclass
class ImportPlan:
    """What confirming an upload would do, shown on the page before anything is written."""

    file: str
    status: PlanStatus
    message: str
    duplicate_of: int | None = None
    replaces: list[Conflict] = field(default_factory=list)
    overlaps: list[Conflict] = field(default_factory=list)
    diff: list[dict] = field(default_factory=list)  # measure, old, new


@dataclass
class ImportOutcome:
    file: str
    status: ImportStatus
    message: str
    submission_id: int | None = None
    replaced: list[int] = field(default_factory=list)
    records: int = 0
    overlaps: list[Conflict] = field(default_factory=list)  # kept beside this one: check for double reporting


@dataclass
class Decision:
    """The planner's verdict on one file; ids may still be provisional (negative) inside a bulk import."""

    status: PlanStatus
    refusal: str | None = None
    duplicate_of: int | None = None
    duplicate_active: bool = True
    replaces: list[Conflict] = field(default_factory=list)
    overlaps: list[Conflict] = field(default_factory=list)
    pairs: frozenset[Pair] = frozenset()

    def plan(self, file: str, records: int, diff: list[dict] | None = None) -> ImportPlan:
        if self.status == "refused":
            return ImportPlan(file, "refused", self.refusal or "拒收")
        if self.status == "duplicate":
            return ImportPlan(file, "duplicate", self.duplicate_message(), duplicate_of=self.duplicate_of)
        if self.replaces:
            names = "、".join(f"《{c.file_name}》" for c in self.replaces)
            message = f"将替换之前导入的 {names}(同一单位、同一年度);旧版本保留,可恢复"
        else:
            message = f"新报表,{records} 条记录"
        if self.overlaps:
            names = "、".join(f"《{c.file_name}》({c.shared} 个单位·年度)" for c in self.overlaps)
            message += f"。注意:与 {names} 部分重复,两份都会计入,请确认没有重复上报"
        return ImportPlan(file, self.status, message, None, self.replaces, self.overlaps, diff or [])

    def duplicate_message(self) -> str:
        note = "" if self.duplicate_active else "(该报表已被新版本替换,如需改用它请在“明细”页恢复)"
        return f"已导入:与第 {self.duplicate_of} 号报表内容相同,未重复导入{note}"

    def outcome(self, file: str, sub_id: int | None, records: int, replaced: list[int]) -> ImportOutcome:
        if self.status == "refused":
            return ImportOutcome(file, "refused", self.refusal or "拒收")
        if self.status == "duplicate":
            return ImportOutcome(file, "duplicate", self.duplicate_message(), self.duplicate_of)
        message = f"已导入 {records} 条记录"
        if replaced:
            message += f",替换了之前导入的 {len(replaced)} 份报表(旧版本可在“明细”页恢复)"
        if self.overlaps:
            names = "、".join(f"《{c.file_name}》" for c in self.overlaps)
            message += f";注意:与 {names} 部分重复,两份都计入"
        return ImportOutcome(file, "imported", message, sub_id, replaced, records, self.overlaps)

    def renamed(self, ids: dict[int, int]) -> Decision:
        """The same verdict with provisional ids replaced by the ids the database gave."""

        def real(c: Conflict) -> Conflict:
            return replace(c, submission_id=ids.get(c.submission_id, c.submission_id))

        return replace(
            self,
            duplicate_of=ids.get(self.duplicate_of, self.duplicate_of) if self.duplicate_of else None,
            replaces=[real(c) for c in self.replaces],
            overlaps=[real(c) for c in self.overlaps],
        )


class Planner:
    """Judges files one after another against the active submissions, remembering those it let in.

    Inside a write transaction nobody else changes the store, so the index loaded here stays true as
    long as every file let in is reported through ``admit``.
    """

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self._pairs_of: dict[int, frozenset[Pair]] = {}  # active submission → its agency-years
        self._holders: dict[Pair, set[int]] = defaultdict(set)  # agency-year → active submissions
        self._loaded: set[Pair] = set()
        self._about: dict[int, tuple[str, str]] = {}  # id → (file name, imported at)
        self._gone: set[int] = set()  # made inactive by this planner
        self._readings: dict[str, dict[int, list[str]]] = {}  # sha256 → id → [settings, status]
        self._digest_of: dict[int, str] = {}

    # ---- deciding ---------------------------------------------------------------------------------
    def decide(self, result: FileResult, digest: str, settings: str) -> Decision:
        refusal = refusal_of(result)
        if refusal:
            return Decision("refused", refusal=refusal)
        readings = self._readings_of([digest])[digest]
        for sid in sorted(readings, key=_order):
            known, status = readings[sid]
            if known == settings:
                return Decision("duplicate", duplicate_of=sid, duplicate_active=status == "active")
        pairs = frozenset(pairs_of(result.batch))
        # The same bytes read with other corrections replace their earlier reading whatever it held.
        earlier = {sid for sid, (_, status) in readings.items() if status == "active"}
        self._load(pairs, earlier)
        conflicts = self.conflicts(pairs)
        replaces = [c for c in conflicts if c.covered or c.submission_id in earlier]
        hit = {c.submission_id for c in conflicts}
        replaces += [self._conflict(sid, len(self._pairs_of[sid])) for sid in sorted(earlier - hit, key=_order)]
        overlaps = [c for c in conflicts if c not in replaces]
        return Decision("replaces" if replaces else "new", replaces=replaces, overlaps=overlaps, pairs=pairs)

    def conflicts(self, pairs: Iterable[Pair]) -> list[Conflict]:
        """Active submissions sharing any of these agency-years."""
        pairs = frozenset(pairs)
        self._load(pairs, set())
        hits = Counter(sid for pair in pairs for sid in self._holders.get(pair, ()))
        return [self._conflict(sid, shared) for sid, shared in sorted(hits.items(), key=lambda kv: _order(kv[0]))]

    def prefetch(self, digests: Iterable[str], pairs: Iterable[Pair]) -> None:
        """Look up earlier readings and holders of agency-years for many files in a few queries (bulk)."""
        self._readings_of(list(digests))
        self._load(frozenset(pairs), set())

    # ---- remembering ------------------------------------------------------------------------------
    def admit(
        self, key: int, decision: Decision, digest: str, settings: str, file: str, imported_at: str, replaced: list[int]
    ) -> None:
        """A file let in under ``key`` (provisional until written); ``replaced`` stop being active."""
        for sid in replaced:
            self._retire(sid)
        self._pairs_of[key] = decision.pairs
        for pair in decision.pairs:
            self._holders[pair].add(key)
        self._about[key] = (file, imported_at)
        self._readings_of([digest])[digest][key] = [settings, "active"]
        self._digest_of[key] = digest

    def rename(self, ids: dict[int, int]) -> None:
        """Provisional keys → the ids the database gave them."""
        for old, new in ids.items():
            if old in self._pairs_of:
                pairs = self._pairs_of.pop(old)
                self._pairs_of[new] = pairs
                for pair in pairs:
                    holders = self._holders[pair]
                    holders.discard(old)
                    holders.add(new)
            if old in self._gone:
                self._gone.discard(old)
                self._gone.add(new)
            self._about[new] = self._about.pop(old)
            digest = self._digest_of.pop(old)
            self._digest_of[new] = digest
            self._readings[digest][new] = self._readings[digest].pop(old)

    def _retire(self, sid: int) -> None:
        for pair in self._pairs_of.pop(sid, frozenset()):
            self._holders[pair].discard(sid)
        self._gone.add(sid)
        if sid in self._digest_of:
            self._readings[self._digest_of[sid]][sid][1] = "superseded"

    # ---- loading ----------------------------------------------------------------------------------
    def _conflict(self, sid: int, shared: int) -> Conflict:
        file, imported_at = self._about[sid]
        return Conflict(sid, file, imported_at, shared, len(self._pairs_of[sid]))

    def _readings_of(self, digests: list[str]) -> dict[str, dict[int, list[str]]]:
        todo = sorted({d for d in digests if d not in self._readings})
        for digest in todo:
            self._readings[digest] = {}
        for chunk in chunks(todo):
            rows = self.conn.execute(
                sa.select(submissions.c.id, submissions.c.sha256, submissions.c.overrides, submissions.c.status).where(
                    submissions.c.sha256.in_(chunk), submissions.c.status != "deleted"
                )
            )
            for row in rows:
                status = "superseded" if row.id in self._gone else row.status
                self._readings[row.sha256][row.id] = [row.overrides, status]
                self._digest_of[row.id] = row.sha256
        return {d: self._readings[d] for d in digests}

    def _load(self, pairs: frozenset[Pair], ids: set[int]) -> None:
        """Index every active submission holding one of these pairs, and these ids, with all their pairs."""
        todo = pairs - self._loaded
        wanted = {sid for sid in ids if sid not in self._pairs_of and sid not in self._gone}
        if todo:
            self._loaded |= todo
            agency = terms.alias("agency")
            years = sorted({y for _, y in todo})
            for chunk in chunks(sorted({a for a, _ in todo})):
                rows = self.conn.execute(
                    sa.select(records.c.submission_id, agency.c.text, records.c.year)
                    .distinct()
                    .join(agency, agency.c.id == records.c.agency_id)
                    .join(submissions, submissions.c.id == records.c.submission_id)
                    .where(
                        submissions.c.status == "active",
                        agency.c.kind == "agency",
                        agency.c.text.in_(chunk),
                        records.c.year.in_(years),
                    )
                )
                wanted |= {
                    sid
                    for sid, text, year in rows
                    if (text, year) in todo and sid not in self._pairs_of and sid not in self._gone
                }
        if wanted:
            self._index(sorted(wanted))

    def _index(self, ids: list[int]) -> None:
        agency = terms.alias("agency")
        held: dict[int, set[Pair]] = {sid: set() for sid in ids}
        for chunk in chunks(ids):
            for sid, text, year in self.conn.execute(
                sa.select(records.c.submission_id, agency.c.text, records.c.year)
                .distinct()
                .join(agency, agency.c.id == records.c.agency_id)
                .where(records.c.submission_id.in_(chunk), records.c.year.is_not(None))
            ):
                held[sid].add((text, int(year)))
            for row in self.conn.execute(
                sa.select(submissions.c.id, submissions.c.file_name, submissions.c.imported_at).where(
                    submissions.c.id.in_(chunk)
                )
            ):
                self._about[row.id] = (row.file_name, row.imported_at)
        for sid, pairs in held.items():
            self._pairs_of[sid] = frozenset(pairs)
            for pair in pairs:
                self._holders[pair].add(sid)


# ---- small helpers ----------------------------------------------------------------------------------
def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def refusal_of(result: FileResult) -> str | None:
    """Why the store will not take this reading (None: it will)."""
    if not result.ok:
        return f"拒收:{result.error}"
    batch = result.batch
    if not len(batch):
        return "拒收:文件中没有读到任何数字记录"
    no_year = _count_missing(batch, "year")
    no_agency = _count_missing(batch, "agency")
    parts = []
    if no_year:
        parts.append(f"{no_year} 条记录找不到年度(请在“更正”里填写年度,或在文件名/标题中写明)")
    if no_agency:
        parts.append(f"{no_agency} 条记录找不到填报单位(请在“更正”里填写单位)")
    return "拒收:" + ";".join(parts) if parts else None


def _count_missing(batch: RecordBatch, column: str) -> int:
    coded = batch.coded(column)
    empty = [k for k, v in enumerate(coded.values.tolist()) if v is None or v == ""]
    return int(np.isin(coded.codes, empty).sum()) if empty else 0


def pairs_of(batch: RecordBatch) -> set[Pair]:
    """The (agency, year) pairs a file reports."""
    agency, year = batch.coded("agency"), batch.coded("year")
    combos = set(zip(agency.codes.tolist(), year.codes.tolist()))
    return {
        (agency.values[a], int(year.values[y])) for a, y in combos if agency.values[a] and year.values[y] is not None
    }


def _order(sid: int) -> tuple[bool, int]:
    """Stored submissions first (by id), then the files of this batch in the order they came."""
    return (sid < 0, abs(sid))


def chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    """Slices short enough for an IN (...) list on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
