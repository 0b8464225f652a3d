"""Downloads cannot run a formula when opened in Excel or WPS, and numbers stay numbers (property tests)."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.core.safe_export import TRIGGERS, csv_bytes, neutralise, xlsx_bytes

# Text as sub-units type it: anything printable, often starting with a trigger character.
_XML_SAFE = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
texts = st.one_of(
    st.text(_XML_SAFE, max_size=20),
    st.builds(lambda t, rest: t + rest, st.sampled_from(TRIGGERS), st.text(_XML_SAFE, max_size=20)),
    st.sampled_from(
        [
            "=1+1",
            '=HYPERLINK("http://x","点我")',
            "@SUM(A1:A9)",
            "+86 571",
            "-2+3",
            "=cmd|' /C calc'!A0",
            "\t=1",
            "\r=1",
            "杭州市消保委",
        ]
    ),
)
numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(float),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
)
frames = st.lists(st.tuples(texts, numbers), min_size=1, max_size=12).map(
    lambda rows: pd.DataFrame({"单位": [r[0] for r in rows], "数值": [r[1] for r in rows]})
)


def _unescape(text: str) -> str:
    """OOXML writes control characters as _x000D_; Excel reads them back, openpyxl leaves them."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel and WPS need to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@settings(max_examples=150, deadline=None)
@given(frames)
def test_csv_text_never_starts_a_formula_and_numbers_stay_numbers(frame):
    rows = _csv_rows(csv_bytes(frame))
    assert rows[0] == ["单位", "数值"] and len(rows) == len(frame) + 1
    for (text, number), (cell, shown) in zip(frame.itertuples(index=False), rows[1:]):
        assert not cell.startswith(TRIGGERS)
        assert cell == (f"'{text}" if text.startswith(TRIGGERS) else text)  # nothing else changed
        assert float(shown) == number and not shown.startswith("'")  # −5 is still a number


@settings(max_examples=60, deadline=None)
@given(frames)
def test_xlsx_text_is_text_and_numbers_are_numbers(frame):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"明细": frame})))
    sheet = book["明细"]
    assert [c.value for c in sheet[1]] == ["单位", "数值"]
    for r, (text, number) in enumerate(frame.itertuples(index=False), start=2):
        cell, value = sheet.cell(r, 1), sheet.cell(r, 2)
        assert cell.data_type != "f" and value.data_type == "n"
        assert _unescape(cell.value or "") == text  # written as typed, never evaluated
        assert value.value == pytest.approx(number, rel=1e-15, abs=1e-300)  # Excel keeps 15–16 digits


def test_csv_quotes_text_and_keeps_negatives_plain():
    frame = pd.DataFrame({"单位": ["=1+1", "-3", "杭州"], "数值": [-5.0, 12.5, 0.0]})
    text = csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines() == ['"单位","数值"', '"\'=1+1",-5.0', '"\'-3",12.5', '"杭州",0.0']


def test_neutralise_leaves_ordinary_text():
    assert neutralise("杭州市") == "杭州市" and neutralise("=A1") == "'=A1" and neutralise("") == ""
