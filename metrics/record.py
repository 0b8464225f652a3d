"""The tidy fact record and the problem record, declared once for the whole product."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

Approx = Literal["at_least", "nearly", "about"]
Level = Literal["error", "warning", "info"]

APPROX_VALUES: tuple[str, ...] = ("at_least", "nearly", "about")
LEVELS: tuple[str, ...] = ("error", "warning", "info")


@dataclass(slots=True)
class Record:
    """One number a sub-unit reported: what, how much, who, where, when, and the cell it came from.

    Money is in 元; every other metric is in the catalog's canonical unit, except
    ``destroyed_qty`` whose unit is kept as written (条, 千克, 床 …).
    """

    metric: str
    value: float
    unit: str
    agency: str | None = None
    sector: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    adcode: str | None = None
    year: int | None = None
    date: str | None = None
    theme: str | None = None
    activity: str | None = None
    approx: Approx | None = None
    raw: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RECORD_FIELDS}


# The order of the contract (issue 2, item 2); JSON, CSV and the store follow it.
RECORD_FIELDS: tuple[str, ...] = (
    "agency", "sector", "province", "city", "district", "adcode", "year", "date",
    "theme", "activity", "metric", "value", "unit", "approx", "raw", "source",
)
assert set(RECORD_FIELDS) == {f.name for f in fields(Record)}


@dataclass(slots=True)
class Issue:
    """A problem found in a return: stable kebab-case code, level, position, offending value, Chinese advice."""

    code: str
    level: Level
    where: str
    message: str
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "level": self.level, "where": self.where,
                "value": self.value, "message": self.message}


@dataclass(slots=True)
class Stats:
    sheets: int = 0
    rows: int = 0
    records: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Columns of a RecordBatch: the record fields with ``source`` kept as its parts (sheet, row, col),
# so a million records are built without formatting a million strings.
# ``cell_value`` is the number as the cell held it (before 万 scaling), NaN for text cells whose
# text is in ``raw``: ``raw`` is then made from it only when records are asked for.
BATCH_COLUMNS: tuple[str, ...] = tuple(f for f in RECORD_FIELDS if f != "source") + ("sheet", "row", "col",
                                                                                       "cell_value")
_FLOAT_COLUMNS = ("value", "cell_value")
_INT_COLUMNS = ("row", "col")


class RecordBatch:
    """Records held as equal-length numpy columns; rows are made only when asked for."""

    __slots__ = ("columns",)

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal length: {lengths}")
        n = lengths.pop() if lengths else 0
        self.columns = {name: columns.get(name, _empty_column(name, n)) for name in BATCH_COLUMNS}

    def __len__(self) -> int:
        return len(self.columns["value"])

    @classmethod
    def empty(cls) -> "RecordBatch":
        return cls({})

    @classmethod
    def concat(cls, batches: list["RecordBatch"]) -> "RecordBatch":
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty()
        if len(batches) == 1:
            return batches[0]
        return cls({name: np.concatenate([b.columns[name] for b in batches]) for name in BATCH_COLUMNS})

    def take(self, index: np.ndarray) -> "RecordBatch":
        return RecordBatch({name: col[index] for name, col in self.columns.items()})

    def source(self, file: str) -> list[str]:
        from metrics.workbook import cell_ref

        sheets, rows, cols = self.columns["sheet"], self.columns["row"], self.columns["col"]
        return [f"{file}/{s}!{cell_ref(int(r), int(c))}" for s, r, c in zip(sheets, rows, cols)]

    def raw_text(self) -> list[str | None]:
        """The cell as written: its text, or its number printed the way Excel shows it."""
        out = []
        for raw, number in zip(self.columns["raw"].tolist(), self.columns["cell_value"].tolist()):
            if raw is None and number == number:  # not NaN
                raw = str(int(number)) if float(number).is_integer() else repr(number)
            out.append(raw)
        return out

    def to_records(self, file: str) -> list[Record]:
        names = [n for n in RECORD_FIELDS if n != "source"]
        lists = {n: self.columns[n].tolist() for n in names}
        lists["raw"] = self.raw_text()
        sources = self.source(file)
        return [Record(**{n: lists[n][i] for n in names}, source=sources[i]) for i in range(len(self))]

    def to_frame(self, file: str) -> pd.DataFrame:
        frame = pd.DataFrame({n: self.columns[n] for n in RECORD_FIELDS if n != "source"})
        frame["raw"] = self.raw_text()
        frame["source"] = self.source(file)
        return frame[list(RECORD_FIELDS)]

    def totals(self) -> dict[str, float | int]:
        """Sum per metric; destroyed_qty is summed per unit (``destroyed_qty:条``) since units differ."""
        if not len(self):
            return {}
        metric = self.columns["metric"].astype(object)
        keys = np.where(metric == "destroyed_qty",
                        np.char.add("destroyed_qty:", self.columns["unit"].astype(str)).astype(object), metric)
        sums = pd.Series(self.columns["value"]).groupby(keys).sum()
        return {str(k): _tidy_number(float(v)) for k, v in sorted(sums.items())}


def _empty_column(name: str, n: int) -> np.ndarray:
    if name in _FLOAT_COLUMNS:
        return np.full(n, np.nan)
    if name in _INT_COLUMNS:
        return np.zeros(n, dtype=np.int64)
    return np.empty(n, dtype=object)


@dataclass(slots=True)
class FileResult:
    """Everything reading one file produced: its records, its issues, or the reason it was refused."""

    file: str
    batch: RecordBatch = field(default_factory=RecordBatch.empty)
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None
    stats: Stats = field(default_factory=Stats)
    layouts: dict[str, str] = field(default_factory=dict)  # sheet name → detected layout(s)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def records(self) -> list[Record]:
        return self.batch.to_records(self.file)

    def frame(self) -> pd.DataFrame:
        return self.batch.to_frame(self.file)

    def totals(self) -> dict[str, float | int]:
        return self.batch.totals()

    def to_dict(self, *, summary: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "ok": self.ok, "error": self.error}
        if summary:
            out["totals"] = self.totals()
        else:
            out["records"] = [_jsonable(rec.to_dict()) for rec in self.records]
        out["issues"] = [issue.to_dict() for issue in self.issues]
        out["stats"] = self.stats.to_dict()
        out["layouts"] = dict(self.layouts)
        return out


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    value = row["value"]
    if isinstance(value, float) and value.is_integer():
        row["value"] = int(value)
    return row


def _tidy_number(value: float) -> float | int:
    """Sums of whole counts print as integers; float noise from 万-scaling is rounded away."""
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded
