"""The in-memory analytical copy of the active records, shared by every page and every browser tab.

Loaded once per store version: integer columns straight from the narrow ``records`` table, text
from the small ``terms``/``regions`` tables turned into pandas categoricals. Filtering and
grouping a million records then costs milliseconds, off SQL's hot path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from metrics.schema import regions, submissions, terms

# Text columns of the frame that come from ``terms``; each is a pandas categorical.
TERM_DIMENSIONS = ("metric", "unit", "agency", "sector", "theme", "activity", "sheet")
REGION_LEVELS = ("province", "city", "district")

_SELECT = (
    "SELECT r.id, r.submission_id, r.metric_id, r.value, COALESCE(r.unit_id, -1), COALESCE(r.agency_id, -1), "
    "COALESCE(r.sector_id, -1), COALESCE(r.region_id, -1), COALESCE(r.year, -1), r.date, "
    "COALESCE(r.theme_id, -1), COALESCE(r.activity_id, -1), COALESCE(r.sheet_id, -1), "
    "COALESCE(r.row, -1), COALESCE(r.col, -1) "
    "FROM records r JOIN submissions s ON s.id = r.submission_id WHERE s.status = 'active' ORDER BY r.id"
)
_NAMES = ("id", "submission_id", "metric", "value", "unit", "agency", "sector", "region", "year", "date",
          "theme", "activity", "sheet", "row", "col")


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
        term_rows = conn.execute(sa.select(terms.c.id, terms.c.kind, terms.c.text)).all()
        region_rows = conn.execute(sa.select(regions)).all()
        files = conn.execute(sa.select(submissions.c.id, submissions.c.file_name)).all()
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(_SELECT)
            rows = cursor.fetchall()
        finally:
            cursor.close()
    columns = _columns(rows)
    frame = pd.DataFrame({"id": columns["id"], "submission_id": columns["submission_id"]})
    frame["file"] = _categorical(columns["submission_id"], {r.id: r.file_name for r in files})
    for kind in TERM_DIMENSIONS:
        texts = {r.id: r.text for r in term_rows if r.kind == kind}
        frame[kind] = _categorical(columns[kind], texts)
    frame["measure"] = _measures(frame["metric"], frame["unit"])
    frame["value"] = columns["value"]
    for level in (*REGION_LEVELS, "adcode"):
        names = {r.id: getattr(r, level) or None for r in region_rows}
        frame[level] = _categorical(columns["region"], names)
    frame["year"] = columns["year"].astype(np.int32)
    frame["date"] = pd.Categorical(columns["date"])
    frame["row"] = columns["row"].astype(np.int32)
    frame["col"] = columns["col"].astype(np.int32)
    order = ["id", "submission_id", "file", "agency", "sector", "province", "city", "district", "adcode", "year",
             "date", "theme", "activity", "metric", "measure", "value", "unit", "sheet", "row", "col"]
    return Facts(frame[order], version, round(time.perf_counter() - started, 3))


def _columns(rows: list[tuple]) -> dict[str, np.ndarray]:
    if not rows:
        return {name: np.empty(0, dtype=object if name == "date" else float if name == "value" else np.int64)
                for name in _NAMES}
    transposed = list(zip(*rows))
    out = {}
    for name, values in zip(_NAMES, transposed):
        if name == "date":
            out[name] = np.array(values, dtype=object)
        elif name == "value":
            out[name] = np.array(values, dtype=np.float64)
        else:
            out[name] = np.array(values, dtype=np.int64)
    return out


def _categorical(ids: np.ndarray, texts: dict[int, str | None]) -> pd.Categorical:
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


def _measures(metric: pd.Series, unit: pd.Series) -> pd.Categorical:
    """The metric id, or destroyed_qty:<unit> where units must not be added together."""
    quantity = (metric == "destroyed_qty").to_numpy()
    if not quantity.any():
        return metric.array
    labels = metric.astype(object).to_numpy(copy=True)
    units = unit.astype(object).to_numpy()
    labels[quantity] = ["destroyed_qty:" + (u if isinstance(u, str) else "") for u in units[quantity]]
    return pd.Categorical(labels)


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
