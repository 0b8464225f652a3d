"""One column of cells as numbers: plain floats vectorised, text cells through the full parser."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics.core.numbers import ParsedNumber, parse_number

SCALE_CHARS = frozenset("万萬亿億千百")


@dataclass(slots=True)
class Parsed:
    """One column of cells parsed: values (NaN = no value), and per-cell detail for text cells only."""

    values: np.ndarray
    approx: np.ndarray | None = None  # made only when a text cell occurs
    raw: np.ndarray | None = None
    units: dict[int, str] = field(default_factory=dict)  # position → unit written in the cell
    own_scale: np.ndarray | None = None  # True where the cell carried its own 万/亿
    invalid: list[tuple[int, ParsedNumber]] = field(default_factory=list)
    redacted: list[int] = field(default_factory=list)

    def text_detail(self, idx: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        if self.raw is None or self.approx is None:  # made together: both or neither
            return None, None
        return self.approx[idx], self.raw[idx]


def parse_cells(cells: np.ndarray | list[object], fast: np.ndarray | None = None) -> Parsed:
    """Parse a column; plain numbers take a vectorised path, only text cells go through the full parser.

    ``fast`` is the column already converted with ``to_floats`` (NaN where not a plain number).
    """
    n = len(cells)
    if fast is None:
        fast = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=float)
    values = np.array(fast, dtype=float, copy=True)
    out = Parsed(values)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("floating", "integer", "mixed-integer-float", "empty"):
        # numbers stored as text ('3.20', '0.00') went through the fast path: keep what was written
        finite = np.flatnonzero(np.isfinite(values)).tolist()
        for k in (k for k in finite if cells[k].__class__ is bool):  # a tick box is not a count
            values[k] = np.nan
            out.invalid.append((k, parse_number(cells[k])))
        texts = [k for k in finite if cells[k].__class__ is str]
        if texts:
            out.approx, out.raw = np.empty(n, dtype=object), np.empty(n, dtype=object)
            for k in texts:
                out.raw[k] = cells[k]
    for pos in np.flatnonzero(~np.isfinite(values)).tolist():
        cell = cells[pos]
        if cell == "" or cell is None:
            continue
        parsed = parse_number(cell)
        if out.raw is None or out.approx is None:
            out.approx, out.raw = np.empty(n, dtype=object), np.empty(n, dtype=object)
        out.raw[pos] = parsed.raw
        if parsed.kind == "number":
            values[pos] = parsed.value
            out.approx[pos] = parsed.approx
            if parsed.unit:
                out.units[pos] = parsed.unit
            # '1.2万' or '3000份' under a (万份) header: the cell says its own scale
            if parsed.unit or any(ch in SCALE_CHARS for ch in parsed.raw):
                if out.own_scale is None:
                    out.own_scale = np.zeros(n, dtype=bool)
                out.own_scale[pos] = True
        else:
            values[pos] = np.nan
            if parsed.kind == "redacted":
                out.redacted.append(pos)
            elif parsed.kind != "empty":
                out.invalid.append((pos, parsed))
    return out


def scaled(parsed: Parsed, multiplier: float) -> np.ndarray:
    """Apply a header's 万/亿 to cells that did not write their own; round away binary noise."""
    if multiplier == 1.0:
        return parsed.values
    factor = np.full(len(parsed.values), multiplier)
    if parsed.own_scale is not None:
        factor[parsed.own_scale] = 1.0
    return np.round(parsed.values * factor, 6)
