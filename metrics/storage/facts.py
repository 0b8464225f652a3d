"""The in-memory analytical copy of the active records, shared by every page and every browser tab.

Loaded once per store version: integer columns straight from the narrow ``records`` table, text
from the small ``terms``/``regions`` tables turned into pandas categoricals. Filtering and
grouping a million records then costs milliseconds, off SQL's hot path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from metrics.core.record import measure_key
from metrics.storage.schema import regions, submissions, terms

# Text columns of the frame that come from ``terms``; each is a pandas categorical.
TERM_DIMENSIONS = ("metric", "unit", "agency", "sector", "theme", "activity", "sheet")
REGION_LEVELS = ("province", "city", "district")

_SELECT = (
    "SELECT r.id, r.submission_id, r.metric_id, r.value, COALESCE(r.unit_id, -1), COALESCE(r.agency_id, -1), "
    "COALESCE(r.sector_id, -1), COALESCE(r.region_id, -1), COALESCE(r.year, -1), r.date, "
    "COALESCE(r.theme_id, -1), COALESCE(r.activity_id, -1), COALESCE(r.sheet_id, -1), "
    "COALESCE(r.row, -1), COALESCE(r.col, -1) "
    "FROM records r JOIN submissions s ON s.id = r.submission_id WHERE s.status = 'active'"
)  # no ORDER BY: numpy sorts the ids faster than the database's temporary B-tree
_NAMES = (
    "id",
    "submission_id",
    "metric",
    "value",
    "unit",
    "agency",
    "sector",
    "region",
    "year",
    "date",
    "theme",
    "activity",
    "sheet",
    "row",
    "col",
)
# One row of _SELECT as numpy reads it: every row goes straight into this array, never into a list
# of a million tuples (half the time, a fraction of the memory).
_ROW = np.dtype([(name, object if name == "date" else np.float64 if name == "value" else np.int64) for name in _NAMES])


@dataclass(frozen=True)
class Facts:
    """Active records as one frame, plus when it was read.

    Columns: id, submission_id, file, metric, measure, value, unit, agency, sector, province, city,
    district, adcode, year (int, -1 unknown), date (ISO text or None), theme, activity, sheet, row, col.
    ``measure`` is the metric, except ``destroyed_qty:条`` per unit (never add 条 to 千克).
    """

    frame: pd.DataFrame
    version: int
    seconds: float

    def __len__(self) -> int:
        return len(self.frame)


def load_facts(engine: sa.Engine, version: int) -> Facts:
    """Read every active record into a Facts frame."""
    started = time.perf_counter()
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None  # None only once a connection is closed or detached
        cursor = driver.cursor()
        try:
            cursor.execute(_SELECT)
            table = np.fromiter(cursor, dtype=_ROW)
        finally:
            cursor.close()
        # Read after the records: terms, regions and file names are only ever added, never changed,
        # so every key a record holds is found even if a write committed in between.
        term_rows = conn.execute(sa.select(terms.c.id, terms.c.kind, terms.c.text)).all()
        region_rows = conn.execute(sa.select(regions)).all()
        files = conn.execute(sa.select(submissions.c.id, submissions.c.file_name)).all()
    ids = table["id"]
    if len(ids) and not (ids[1:] > ids[:-1]).all():  # usually already in order: records come per submission
        table = table[np.argsort(ids, kind="stable")]
    columns = {name: table[name] for name in _NAMES}
    texts_of: dict[str, dict[int, str]] = {kind: {} for kind in TERM_DIMENSIONS}
    for term_id, kind, text in term_rows:
        texts_of.setdefault(kind, {})[term_id] = text
    frame = pd.DataFrame({"id": columns["id"], "submission_id": columns["submission_id"]})
    frame["file"] = _categorical(columns["submission_id"], {r.id: r.file_name for r in files})
    for kind in TERM_DIMENSIONS:
        frame[kind] = _categorical(columns[kind], texts_of[kind])
    frame["measure"] = _measures(frame["metric"], frame["unit"])
    frame["value"] = columns["value"]
    for level in (*REGION_LEVELS, "adcode"):
        names = {r.id: getattr(r, level) or None for r in region_rows}
        frame[level] = _categorical(columns["region"], names)
    frame["year"] = columns["year"].astype(np.int32)
    frame["date"] = _text_categorical(columns["date"])
    frame["row"] = columns["row"].astype(np.int32)
    frame["col"] = columns["col"].astype(np.int32)
    order = [
        "id",
        "submission_id",
        "file",
        "agency",
        "sector",
        "province",
        "city",
        "district",
        "adcode",
        "year",
        "date",
        "theme",
        "activity",
        "metric",
        "measure",
        "value",
        "unit",
        "sheet",
        "row",
        "col",
    ]
    return Facts(frame[order], version, round(time.perf_counter() - started, 3))


def _categorical(ids: np.ndarray, texts: Mapping[int, str | None]) -> pd.Categorical:
    """Integer keys → a categorical of their texts (-1 or a missing text → NaN)."""
    names = sorted({t for t in texts.values() if t})
    position = {name: k for k, name in enumerate(names)}
    size = max([*texts, int(ids.max()) if len(ids) else 0]) + 2
    lookup = np.full(size, -1, dtype=np.int32)
    for key, text in texts.items():
        if text:
            lookup[key] = position[text]
    codes = lookup[np.where(ids < 0, size - 1, ids)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))


def _text_categorical(values: np.ndarray) -> pd.Categorical:
    """Repeated texts (None → NaN) as a categorical with sorted categories."""
    codes, uniques = pd.factorize(values)
    names = sorted(uniques.tolist())
    rank = {name: k for k, name in enumerate(names)}
    position = np.array([rank[u] for u in uniques.tolist()] or [-1], dtype=np.int32)
    return pd.Categorical.from_codes(np.where(codes < 0, -1, position[codes]), categories=pd.Index(names))


def _measures(metric: pd.Series, unit: pd.Series) -> pd.Categorical:
    """The metric id, or destroyed_qty:<unit> where units must not be added together."""
    metrics = list(metric.cat.categories)
    if "destroyed_qty" not in metrics:
        return metric.array
    codes = metric.cat.codes.to_numpy().astype(np.int32)
    quantity = codes == metrics.index("destroyed_qty")
    units = list(unit.cat.categories)
    # Worked on codes: one label per unit, never a million strings.
    labels = [*metrics, *(measure_key("destroyed_qty", u) for u in units), measure_key("destroyed_qty", None)]
    unit_codes = unit.cat.codes.to_numpy()[quantity]
    codes[quantity] = np.where(unit_codes < 0, len(labels) - 1, len(metrics) + unit_codes)
    used = sorted({labels[k] for k in np.unique(codes).tolist()})
    rank = {label: k for k, label in enumerate(used)}
    remap = np.array([rank.get(label, -1) for label in labels], dtype=np.int32)
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(used))


class FactsCache:
    """One Facts copy per process, reloaded when the store's version moves; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: Facts | None = None

    def get(self, engine: sa.Engine, version: int) -> Facts:
        facts = self._facts
        if facts is not None and facts.version == version:
            return facts
        with self._lock:
            if self._facts is None or self._facts.version != version:
                self._facts = load_facts(engine, version)
            return self._facts
