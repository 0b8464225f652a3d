"""A store handle that acts for one account: it reads and writes only what the account's role and scope allow.

Pages and the CLI get this handle instead of the raw ``Store`` once login is on. It answers the same
calls, so campaign, briefing and page code run unchanged, and refuses with ``AccessDenied`` (logged in
the audit log) instead of showing or changing what lies outside the account:

* records: only those whose place is under the scope's regions or whose agency is one of its units;
* a submission (its file, issues, original, delete/restore): only if every one of its records is in
  scope, or it holds no records and the account imported it;
* imports: only files whose every record is in scope, by roles that may upload.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import TypeAlias

import numpy as np
import pandas as pd
import sqlalchemy as sa

from metrics.access import accounts
from metrics.access.rules import AccessDenied, Action, Principal, Scope, record_mask
from metrics.core.record import FileResult
from metrics.storage import intake
from metrics.storage.facts import Facts
from metrics.storage.schema import records, regions, submissions, terms
from metrics.storage.store import Store

_SCOPES_KEPT = 16  # distinct scopes remembered per store version (one per account signed in, roughly)


class _Views:
    """What the scoped handles of one raw store worked out for its current version: the records each scope
    covers and the submissions each account sees. Hung on the store itself, so it dies with it (an id() of
    a dead store reused by a new one can never hand over its records) and is dropped when the version moves
    (no stale copies of a million-record frame kept)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: int | None = None
        self.kept: dict[tuple, object] = {}

    def get(self, version: int, key: tuple, make):
        with self.lock:
            if self.version != version:
                self.version, self.kept = version, {}
            if key in self.kept:
                return self.kept[key]
        value = make()
        with self.lock:
            if self.version == version:
                if len(self.kept) >= _SCOPES_KEPT:
                    self.kept.pop(next(iter(self.kept)))
                self.kept[key] = value
        return value


_views: weakref.WeakKeyDictionary[Store, _Views] = weakref.WeakKeyDictionary()
_views_lock = threading.Lock()


def _views_of(store: Store) -> _Views:
    with _views_lock:
        views = _views.get(store)
        if views is None:
            views = _views[store] = _Views()
        return views


class ScopedStore:
    """``Store``'s reads and writes for one account (see the module's docstring)."""

    def __init__(self, store: Store, principal: Principal, *, source: str = "") -> None:
        self.raw = store
        self.principal = principal
        self.source = source  # where the account acts from: an IP address, or 命令行

    # Plumbing (engine, url, version, transactions) is the raw store's.
    def __getattr__(self, name: str):
        return getattr(self.raw, name)

    @property
    def scope(self) -> Scope:
        return self.principal.scope

    # ---- reading ------------------------------------------------------------------------------------------
    def facts(self) -> Facts:
        self.principal.require(Action.READ)
        everything = self.raw.facts()
        if self.scope.everywhere:
            return everything

        def make() -> Facts:
            frame = everything.frame
            kept = frame[record_mask(frame, self.scope)].reset_index(drop=True)
            # Category lists name every agency, place and file of the store: keep only those in scope, so no
            # chooser, link check or export can see another region's names.
            for column in kept.columns:
                if isinstance(kept[column].dtype, pd.CategoricalDtype):
                    kept[column] = kept[column].cat.remove_unused_categories()
            return Facts(kept, everything.version, everything.seconds)

        return _views_of(self.raw).get(everything.version, ("facts", self.scope), make)

    def visible_submissions(self) -> frozenset[int] | None:
        """Ids of the submissions (any status) this account may see as files; None = all of them."""
        if self.scope.everywhere:
            return None
        everything = self.raw.facts()
        return _views_of(self.raw).get(
            everything.version,
            ("visible", self.scope, self.principal.display),
            lambda: self._compute_visible(everything),
        )

    def _compute_visible(self, everything: Facts) -> frozenset[int]:
        """Active submissions from the records in memory; the others (superseded, deleted) from the database."""
        frame = everything.frame
        sub_ids = frame["submission_id"].to_numpy()
        mask = record_mask(frame, self.scope)
        top = int(sub_ids.max()) + 1 if len(sub_ids) else 0
        having = np.bincount(sub_ids, minlength=top) > 0
        outside = np.bincount(sub_ids[~mask], minlength=top) > 0
        visible = {int(i) for i in np.flatnonzero(having & ~outside)}
        active_with_records = {int(i) for i in np.flatnonzero(having)}

        place_ok: dict[int, bool] = {}
        agency_ok: dict[int, bool] = {}
        with self.raw.engine.connect() as conn:
            others = list(conn.execute(sa.select(submissions.c.id).where(submissions.c.status != "active")).scalars())
            owned = list(
                conn.execute(
                    sa.select(submissions.c.id).where(submissions.c.imported_by == self.principal.display)
                ).scalars()
            )
            pairs: list[sa.Row] = []
            for chunk in intake.chunks(others):
                pairs += conn.execute(
                    sa.select(records.c.submission_id, records.c.agency_id, records.c.region_id)
                    .where(records.c.submission_id.in_(chunk))
                    .distinct()
                ).all()
            if pairs:
                for rid, adcode in conn.execute(sa.select(regions.c.id, regions.c.adcode)):
                    place_ok[rid] = self.scope.covers_place(adcode)
                for tid, text in conn.execute(sa.select(terms.c.id, terms.c.text).where(terms.c.kind == "agency")):
                    agency_ok[tid] = self.scope.covers_unit(text)
        outside_ids: set[int] = set()
        having_ids = set(active_with_records)
        for sub_id, agency_id, region_id in pairs:
            having_ids.add(sub_id)
            if not (place_ok.get(region_id, False) or agency_ok.get(agency_id, False)):
                outside_ids.add(sub_id)
        visible |= {sid for sid in having_ids - active_with_records if sid not in outside_ids}
        # A file without records (nothing readable in it) is shown to whoever imported it.
        mine = {sid for sid in owned if sid not in having_ids}
        return frozenset(visible | mine)

    def _sees(self, sub_id: int) -> bool:
        visible = self.visible_submissions()
        return visible is None or int(sub_id) in visible

    def _require_sees(self, sub_id: int, what: str) -> None:
        if not self._sees(sub_id):
            error = AccessDenied(f"第 {sub_id} 号报表不在账号“{self.principal.display}”的范围内,不能{what}")
            accounts.denied(self, error, target=f"报表 {sub_id}")
            raise error

    def submissions(
        self,
        *,
        statuses: Iterable[str] = ("active", "superseded", "deleted"),
        search: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        self.principal.require(Action.READ)
        visible = self.visible_submissions()  # once, not once per file
        if visible is None:
            return self.raw.submissions(statuses=statuses, search=search, limit=limit)
        ids = [i for i in self._listed_ids(statuses, search) if i in visible]
        ids = ids[:limit] if limit is not None else ids
        rows: list[dict] = []
        with self.raw.engine.connect() as conn:  # whole rows for the files shown only
            for chunk in intake.chunks(ids):
                rows += [
                    dict(r._mapping)
                    for r in conn.execute(sa.select(*[c for c in submissions.c]).where(submissions.c.id.in_(chunk)))
                ]
        return sorted(rows, key=lambda r: -r["id"])

    def _listed_ids(self, statuses: Iterable[str], search: str | None) -> list[int]:
        """Ids of the raw store's listing (newest first), without the rows."""
        query = (
            Store._submissions_query(statuses, search)
            .with_only_columns(submissions.c.id)
            .order_by(submissions.c.id.desc())
        )
        with self.raw.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def count_submissions(
        self, *, statuses: Iterable[str] = ("active", "superseded", "deleted"), search: str | None = None
    ) -> int:
        self.principal.require(Action.READ)
        visible = self.visible_submissions()
        if visible is None:
            return self.raw.count_submissions(statuses=statuses, search=search)
        return sum(i in visible for i in self._listed_ids(statuses, search))

    def submission(self, sub_id: int) -> dict | None:
        return self.raw.submission(sub_id) if self._sees(sub_id) else None

    def original(self, sub_id: int) -> tuple[str, bytes]:
        self.principal.require(Action.READ)
        self._require_sees(sub_id, "下载原件")
        return self.raw.original(sub_id)

    def replay(self, sub_id: int, overrides=None) -> FileResult:
        self._require_sees(sub_id, "重新读取")
        return self.raw.replay(sub_id, overrides)

    def issues(self, *, active_only: bool = True) -> list[dict]:
        self.principal.require(Action.READ)
        return [i for i in self.raw.issues(active_only=active_only) if self._sees(i["submission_id"])]

    def record_texts(self) -> dict[int, tuple[str | None, str | None]]:
        texts = self.raw.record_texts()
        if self.scope.everywhere:
            return texts
        ids = set(self.facts().frame["id"].tolist())
        return {k: v for k, v in texts.items() if k in ids}

    def record_details(self, record_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        wanted = [int(i) for i in record_ids]
        if not self.scope.everywhere:
            allowed = set(self.facts().frame["id"].tolist())
            wanted = [i for i in wanted if i in allowed]
        return self.raw.record_details(wanted)

    def agencies_of(self, sub_ids: Iterable[int]) -> dict[int, list[str]]:
        return self.raw.agencies_of([i for i in sub_ids if self._sees(i)])

    # ---- writing ------------------------------------------------------------------------------------------
    def check_upload(self, result: FileResult) -> None:
        """Refuse a read file if the account may not upload, or names any place or unit outside its scope."""
        try:
            self.principal.require(Action.UPLOAD)
        except AccessDenied as error:
            accounts.denied(self, error, target=result.file)
            raise
        if self.scope.everywhere or not len(result.batch):
            return
        batch = result.batch
        agencies, codes = batch.column("agency"), batch.column("adcode")
        outside = sorted(
            {
                str(a or codes[i] or "(未写单位)")
                for i, a in enumerate(agencies.tolist())
                if not self.scope.covers(codes[i], a)
            }
        )
        if outside:
            shown = "、".join(outside[:5]) + (f" 等 {len(outside)} 个" if len(outside) > 5 else "")
            refusal = AccessDenied(
                f"{result.file}:{shown} 不在账号“{self.principal.display}”的范围"
                f"({self.scope.describe()})内,未导入;请只上传本范围单位的报表,或请管理员调整范围"
            )
            accounts.denied(self, refusal, target=result.file)
            raise refusal

    def plan(self, result: FileResult, data: bytes, overrides=None, *, settings: str | None = None):
        self.check_upload(result)
        plan = self.raw.plan(result, data, overrides, settings=settings)
        self._refuse_foreign([c.submission_id for c in plan.replaces], result.file, "替换")
        return plan

    def _refuse_foreign(self, ids: Iterable[int], file: str, what: str, visible: frozenset[int] | None = None) -> None:
        """A write in scope must not retire a return outside it: the store replaces by agency name and year,
        and two places' units may be written alike (市场监督管理局 with the place in a 地区 column)."""
        visible = self.visible_submissions() if visible is None else visible
        foreign = sorted({int(i) for i in ids if int(i) > 0} - set(visible or ())) if visible is not None else []
        if foreign:
            error = AccessDenied(
                f"{file}:会{what}不在账号“{self.principal.display}”范围内的第 "
                f"{'、'.join(map(str, foreign))} 号报表(单位名称和年份相同),未执行;"
                "请在单位名称中写明地区,或请范围更大的账号处理"
            )
            accounts.denied(self, error, target=file)
            raise error

    def import_result(self, result: FileResult, data: bytes, **options):
        (outcome,) = self.import_many([(result, data)], **options)
        return outcome

    def import_many(self, items, **options):
        items = list(items)
        for result, _ in items:
            self.check_upload(result)
        options.setdefault("who", self.principal.display)
        if not options["who"] or self.principal.kind != "owner":
            options["who"] = self.principal.display
        visible = self.visible_submissions()
        if visible is not None and options.get("replace", True):
            then, foreign = options.get("then"), []

            def guard(conn, outcomes) -> None:  # inside the import's transaction: raising stores nothing
                new = {o.submission_id for o in outcomes if o.status == "imported"}
                foreign.extend(
                    i
                    for o in outcomes
                    if o.status == "imported"
                    for i in o.replaced
                    if i not in visible and i not in new
                )
                if foreign:
                    raise _Foreign
                if then is not None:
                    then(conn, outcomes)

            options["then"] = guard
            try:
                outcomes = self.raw.import_many(items, **options)
            except _Foreign:
                self._refuse_foreign(foreign, "、".join(r.file for r, _ in items)[:200], "替换", visible)
                raise
        else:
            outcomes = self.raw.import_many(items, **options)
        ids = [o.submission_id for o in outcomes if o.submission_id is not None and o.status == "imported"]
        if ids:
            accounts.audit(
                self,
                "import",
                ids=ids,
                target="、".join(r.file for r, _ in items)[:500],
                detail=f"{sum(o.status == 'imported' for o in outcomes)} 个文件导入",
            )
        return outcomes

    def import_bytes(self, data: bytes, name: str, *, overrides=None, who: str = "", replace: bool = True):
        from metrics.reading.ingest import Overrides, ingest_bytes

        result = ingest_bytes(data, name, overrides=overrides or Overrides())
        return result, self.import_result(result, data, overrides=overrides, who=who, replace=replace)

    def _require_correct(self, sub_id: int, what: str) -> None:
        try:
            self.principal.require(Action.CORRECT)
        except AccessDenied as error:
            accounts.denied(self, error, target=f"报表 {sub_id}")
            raise
        self._require_sees(sub_id, what)

    def delete(self, sub_id: int) -> None:
        self._require_correct(sub_id, "删除")
        self.raw.delete(sub_id)
        accounts.audit(self, "delete", ids=[sub_id], target=(self.raw.submission(sub_id) or {}).get("file_name", ""))

    def restore(self, sub_id: int) -> list[int]:
        self._require_correct(sub_id, "恢复")
        if not self.scope.everywhere:
            file = (self.raw.submission(sub_id) or {}).get("file_name", f"第 {sub_id} 号报表")
            self._refuse_foreign(self._would_step_back(sub_id), file, "替下")
        stepped = self.raw.restore(sub_id)
        accounts.audit(
            self,
            "restore",
            ids=[sub_id, *stepped],
            target=(self.raw.submission(sub_id) or {}).get("file_name", ""),
            detail=f"被替下:{stepped}" if stepped else "",
        )
        return stepped

    def _would_step_back(self, sub_id: int) -> set[int]:
        """The submissions ``Store.restore`` would make step back (the same rule, read without writing)."""
        raw = self.raw
        with raw.engine.connect() as conn:
            row = conn.execute(sa.select(submissions.c.replaced_by).where(submissions.c.id == sub_id)).first()
            if row is None:
                return set()
            conflicts = intake.Planner(conn).conflicts(raw._stored_pairs(conn, sub_id))
            out = {c.submission_id for c in conflicts if c.covered and c.submission_id != sub_id}
            live = raw._live_successor(conn, row.replaced_by)
        if live is not None and live != sub_id:
            out.add(live)
        return out


class _Foreign(Exception):
    """Raised inside an import's transaction to roll it back (see ``ScopedStore.import_many``)."""


# What the core's round functions and the pages are given: the raw store (no login configured: the machine's
# owner) or one account's scoped handle, which answers the same calls.
StoreHandle: TypeAlias = Store | ScopedStore
