"""Tables written for people to open in Excel or WPS: CSV with a BOM, XLSX, neither able to run a formula.

A return's text is whatever a sub-unit typed. A cell like ``=HYPERLINK(...)`` or ``@SUM(...)`` in a
download would run when the head office opens it (CSV injection). Following OWASP: in CSV every text
cell that starts with ``= + - @``, a tab or a carriage return gets a leading ``'`` and text cells are
quoted; in XLSX text is always written as text, never as a formula or a link. Numbers stay numbers,
negative ones included, so the sheet still adds up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header


def neutralise(text: str) -> str:
    """The text as a spreadsheet shows it but cannot run: a leading ``'`` before a formula trigger."""
    return "'" + text if text.startswith(TRIGGERS) else text


def _text_column(column: pd.Series) -> pd.Series:
    """Strings neutralised; numbers, dates and blanks left as they are."""
    values = column.astype(object).to_numpy()
    out = np.empty(len(values), dtype=object)
    for k, value in enumerate(values):
        out[k] = neutralise(value) if isinstance(value, str) else value
    return pd.Series(out, index=column.index, name=column.name)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (headers too) are neutralised; numeric columns untouched."""
    out = frame.copy()
    for name in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[name]) or pd.api.types.is_datetime64_any_dtype(out[name])):
            out[name] = _text_column(out[name])
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM (Excel and WPS then read Chinese correctly), text quoted and neutralised."""
    buffer = io.StringIO()
    safe_frame(frame).to_csv(buffer, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, widths: Mapping[str, Sequence[int]] | None = None) -> bytes:
    """One sheet per frame; text written as text (never a formula or link), numbers as numbers."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        for name, frame in sheets.items():
            frame.head(XLSX_MAX_ROWS).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for k, width in enumerate((widths or {}).get(name, ())):
                sheet.set_column(k, k, width)
    return buffer.getvalue()
