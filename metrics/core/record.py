"""The tidy fact record and the problem record, declared once for the whole product."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

Approx = Literal["at_least", "nearly", "about"]
Level = Literal["error", "warning", "info"]

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
    "value",
    "unit",
    "approx",
    "raw",
    "source",
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
        return {
            "code": self.code,
            "level": self.level,
            "where": self.where,
            "value": self.value,
            "message": self.message,
        }


@dataclass(slots=True)
class Stats:
    sheets: int = 0
    rows: int = 0
    records: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def col_letter(col: int) -> str:
    """0 → 'A', 27 → 'AB'."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """Absolute 0-based (row, col) → 'C7'."""
    return f"{col_letter(col)}{row + 1}"


def object_array(values) -> np.ndarray:
    """A 1-d object array of arbitrary Python values (never a 2-d one, whatever the values are)."""
    values = list(values) if not isinstance(values, (list, tuple)) else values
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _none_if_nan(value: object) -> object:
    return None if value is None or (value.__class__ is float and value != value) else value


@dataclass(slots=True)
class Coded:
    """A column of repeated values kept as integer codes into its distinct values.

    Agency, metric, year … repeat across a million records; gathering and summing codes is an order
    of magnitude cheaper than moving Python objects. ``values`` may hold a value twice (after a
    concat); ``decode()`` gives the plain column.
    """

    codes: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def constant(cls, n: int, value: object) -> Coded:
        return cls(np.zeros(n, dtype=np.int32), object_array([value]))

    @classmethod
    def encode(cls, column) -> Coded:
        if isinstance(column, Coded):
            return column
        codes, uniques = pd.factorize(
            object_array(column) if not isinstance(column, np.ndarray) else column, use_na_sentinel=False
        )
        return cls(codes.astype(np.int32), object_array([_none_if_nan(u) for u in uniques]))

    def take(self, index: np.ndarray) -> Coded:
        return Coded(self.codes[index], self.values)

    def decode(self) -> np.ndarray:
        return self.values[self.codes]

    def map_values(self, func) -> Coded:
        """Apply ``func`` once per distinct value."""
        return Coded(self.codes, object_array([func(v) for v in self.values]))

    def where_value(self, test) -> np.ndarray:
        """Boolean mask of the records whose value passes ``test`` (judged once per distinct value)."""
        hits = [k for k, v in enumerate(self.values) if test(v)]
        if not hits:
            return np.zeros(len(self.codes), dtype=bool)
        return np.isin(self.codes, hits)


Column = np.ndarray | Coded

# Columns of a RecordBatch: the record fields with ``source`` kept as its parts (sheet, row, col),
# so a million records are built without formatting a million strings.
# ``cell_value`` is the number as the cell held it (before 万 scaling), NaN for text cells whose
# text is in ``raw``: ``raw`` is then made from it only when records are asked for.
BATCH_COLUMNS: tuple[str, ...] = tuple(f for f in RECORD_FIELDS if f != "source") + (
    "sheet",
    "row",
    "col",
    "cell_value",
)
_FLOAT_COLUMNS = ("value", "cell_value")
_INT_COLUMNS = ("row", "col")


class RecordBatch:
    """Records held as equal-length columns (numpy arrays or ``Coded``); rows are made only when asked for."""

    __slots__ = ("columns",)

    def __init__(self, columns: Mapping[str, Column]) -> None:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal length: {lengths}")
        n = lengths.pop() if lengths else 0
        self.columns: dict[str, Column] = {
            name: columns[name] if name in columns else _empty_column(name, n) for name in BATCH_COLUMNS
        }

    def __len__(self) -> int:
        return len(self.columns["value"])

    def column(self, name: str) -> np.ndarray:
        """A column as a plain numpy array."""
        col = self.columns[name]
        return col.decode() if isinstance(col, Coded) else col

    def coded(self, name: str) -> Coded:
        return Coded.encode(self.columns[name])

    @classmethod
    def empty(cls) -> RecordBatch:
        return cls({})

    @classmethod
    def concat(cls, batches: list[RecordBatch]) -> RecordBatch:
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty()
        if len(batches) == 1:
            return batches[0]
        return cls({name: _concat_columns([b.columns[name] for b in batches]) for name in BATCH_COLUMNS})

    def take(self, index: np.ndarray) -> RecordBatch:
        return RecordBatch(
            {name: col.take(index) if isinstance(col, Coded) else col[index] for name, col in self.columns.items()}
        )

    def source(self, file: str) -> list[str]:
        sheets, rows, cols = self.column("sheet"), self.column("row"), self.column("col")
        return [
            f"{file}/{s}!{cell_ref(int(r), int(c))}" if r >= 0 and c >= 0 else f"{file}/{s}"  # no cell: text
            for s, r, c in zip(sheets, rows, cols)
        ]

    def raw_text(self) -> list[str | None]:
        """The cell as written: its text, or its number printed the way Excel shows it."""
        out = []
        for raw, number in zip(self.column("raw").tolist(), self.column("cell_value").tolist()):
            if raw is None and number == number:  # not NaN
                raw = str(int(number)) if float(number).is_integer() else repr(number)
            out.append(raw)
        return out

    def to_records(self, file: str) -> list[Record]:
        names = [n for n in RECORD_FIELDS if n not in ("source", "raw")]
        lists: dict[str, list[Any]] = {n: [_plain(v) for v in self.column(n).tolist()] for n in names}
        lists["raw"] = self.raw_text()
        sources = self.source(file)
        return [Record(**{n: lists[n][i] for n in (*names, "raw")}, source=sources[i]) for i in range(len(self))]

    def to_frame(self, file: str) -> pd.DataFrame:
        frame = pd.DataFrame({n: self.column(n) for n in RECORD_FIELDS if n not in ("source", "raw")})
        frame["raw"] = self.raw_text()
        frame["source"] = self.source(file)
        return frame[list(RECORD_FIELDS)]

    def totals(self) -> dict[str, float | int]:
        """Sum per metric; destroyed_qty is summed per unit (``destroyed_qty:条``) since units differ."""
        if not len(self):
            return {}
        metric = self.coded("metric")
        values = self.column("value")
        sums: dict[str, float] = {}
        per_code = np.bincount(metric.codes, weights=values, minlength=len(metric.values))
        for k in np.unique(metric.codes).tolist():
            name = metric.values[k]
            if name != "destroyed_qty":
                sums[name] = sums.get(name, 0.0) + float(per_code[k])
        quantity = metric.where_value(lambda v: v == "destroyed_qty")
        if quantity.any():
            units = self.coded("unit").take(quantity)
            per_unit = np.bincount(units.codes, weights=values[quantity], minlength=len(units.values))
            for k in np.unique(units.codes).tolist():
                key = measure_key("destroyed_qty", units.values[k])
                sums[key] = sums.get(key, 0.0) + float(per_unit[k])
        return {key: _tidy_number(total) for key, total in sorted(sums.items())}


def measure_key(metric: str, unit: str | None) -> str:
    """What may be summed: the metric, or ``destroyed_qty:<unit>`` since 条 and 千克 never add up."""
    return f"{metric}:{unit or ''}" if metric == "destroyed_qty" else metric


def _plain(value: object) -> object:
    """numpy scalars → Python scalars for records and JSON."""
    return value.item() if hasattr(value, "item") else value


def _concat_columns(cols: list[Column]) -> Column:
    coded = [c for c in cols if isinstance(c, Coded)]
    if len(coded) == len(cols):
        offsets = np.cumsum([0] + [len(c.values) for c in coded[:-1]])
        return Coded(
            np.concatenate([c.codes + off for c, off in zip(coded, offsets)]), np.concatenate([c.values for c in coded])
        )
    return np.concatenate([c.decode() if isinstance(c, Coded) else c for c in cols])


def _empty_column(name: str, n: int) -> Column:
    if name in _FLOAT_COLUMNS:
        return np.full(n, np.nan)
    if name in _INT_COLUMNS:
        return np.zeros(n, dtype=np.int64)
    return Coded.constant(n, None)


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
