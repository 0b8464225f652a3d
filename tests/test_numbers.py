"""Numbers as people write them in returns: see DOMAIN.md, "Numbers as people write them"."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.core.numbers import (
    KINDS,
    MULTIPLIERS,
    ParsedNumber,
    multiplier_of,
    parse_chinese_numeral,
    parse_number,
)

A, N, AB = "at_least", "nearly", "about"

# (cell, kind, value, approx, unit)
CASES: list[tuple[object, str, float | None, str | None, str | None]] = [
    # numeric cells
    (3.0, "number", 3.0, None, None),
    (0.0, "number", 0.0, None, None),
    (-2.5, "number", -2.5, None, None),
    (7, "number", 7.0, None, None),
    (float("nan"), "empty", None, None, None),
    (float("inf"), "invalid", None, None, None),
    (None, "empty", None, None, None),
    (True, "invalid", None, None, None),
    (False, "invalid", None, None, None),
    (datetime(2024, 3, 15), "invalid", None, None, None),
    (date(2024, 3, 15), "invalid", None, None, None),
    (Decimal("1.5"), "number", 1.5, None, None),
    # plain text numbers
    ("123", "number", 123.0, None, None),
    ("1.5", "number", 1.5, None, None),
    (" 12 ", "number", 12.0, None, None),
    ("\u00a012\n", "number", 12.0, None, None),
    ("0", "number", 0.0, None, None),
    ("０", "number", 0.0, None, None),
    ("0.0", "number", 0.0, None, None),
    ("１２３", "number", 123.0, None, None),
    ("１，２００", "number", 1200.0, None, None),
    ("1,200", "number", 1200.0, None, None),
    ("1，200", "number", 1200.0, None, None),
    ("12,345.5", "number", 12345.5, None, None),
    ("1,234,567", "number", 1234567.0, None, None),
    ("1 200", "number", 1200.0, None, None),
    ("1\u3000200", "number", 1200.0, None, None),
    ("2356.3条", "number", 2356.3, None, "条"),
    # no value
    ("", "empty", None, None, None),
    ("   ", "empty", None, None, None),
    ("\n", "empty", None, None, None),
    ("—", "empty", None, None, None),
    ("——", "empty", None, None, None),
    ("–", "empty", None, None, None),
    ("-", "empty", None, None, None),
    ("--", "empty", None, None, None),
    ("/", "empty", None, None, None),
    ("／", "empty", None, None, None),
    ("\\", "empty", None, None, None),
    ("无", "empty", None, None, None),
    ("無", "empty", None, None, None),
    ("不详", "empty", None, None, None),
    ("暂无", "empty", None, None, None),
    ("未统计", "empty", None, None, None),
    ("N/A", "empty", None, None, None),
    ("n/a", "empty", None, None, None),
    ("nan", "empty", None, None, None),
    # redacted: never a guess
    ("__", "redacted", None, None, None),
    ("＿＿", "redacted", None, None, None),
    ("20__", "redacted", None, None, None),
    ("近__份", "redacted", None, None, None),
    ("__余", "redacted", None, None, None),
    ("__80余人", "redacted", None, None, None),
    ("20__余份", "redacted", None, None, None),
    ("xx", "redacted", None, None, None),
    ("XX份", "redacted", None, None, None),
    ("20XX", "redacted", None, None, None),
    ("×", "redacted", None, None, None),
    ("××万元", "redacted", None, None, None),
    # multipliers in the cell
    ("3万余", "number", 30000.0, A, None),
    ("3万余份", "number", 30000.0, A, "份"),
    ("1.34万份", "number", 13400.0, None, "份"),
    ("12.5万", "number", 125000.0, None, None),
    ("12.5万份", "number", 125000.0, None, "份"),
    ("2亿", "number", 2e8, None, None),
    ("1.2万元", "number", 12000.0, None, "元"),
    ("511.5万元", "number", 5115000.0, None, "元"),
    ("3千", "number", 3000.0, None, None),
    ("3千万", "number", 3e7, None, None),
    ("2百万元", "number", 2e6, None, "元"),
    ("1亿2000万", "number", 1.2e8, None, None),
    ("3万2千", "number", 32000.0, None, None),
    ("3万2000", "number", 32000.0, None, None),
    ("10万余条", "number", 100000.0, A, "条"),
    ("300余万元", "number", 3e6, A, "元"),
    ("十余万", "number", 100000.0, A, None),
    ("3千多万", "number", 3e7, A, None),
    # a bare multiplier stands for one of it only when qualified
    ("近万份", "number", 10000.0, N, "份"),
    ("万余人", "number", 10000.0, A, "人"),
    ("上万人", "number", 10000.0, A, "人"),
    ("百余万元", "number", 1e6, A, "元"),
    ("万", "invalid", None, None, None),
    ("数万", "invalid", None, None, None),
    # Chinese numerals
    ("三千余", "number", 3000.0, A, None),
    ("两千", "number", 2000.0, None, None),
    ("十二", "number", 12.0, None, None),
    ("十二个", "number", 12.0, None, "个"),
    ("一万二千", "number", 12000.0, None, None),
    ("一万二", "number", 12000.0, None, None),
    ("一百零五", "number", 105.0, None, None),
    ("二〇二四年", "number", 2024.0, None, "年"),
    ("零", "number", 0.0, None, None),
    ("两台", "number", 2.0, None, "台"),
    ("壹仟贰佰元", "number", 1200.0, None, "元"),
    ("三点五万", "number", 35000.0, None, None),
    # qualifiers
    ("100余份", "number", 100.0, A, "份"),
    ("1800多份", "number", 1800.0, A, "份"),
    ("30000多册", "number", 30000.0, A, "册"),
    ("80多期", "number", 80.0, A, "期"),
    ("150多人次", "number", 150.0, A, "人次"),
    ("300多", "number", 300.0, A, None),
    ("30余种", "number", 30.0, A, "种"),
    ("100以上", "number", 100.0, A, None),
    ("100人以上", "number", 100.0, A, "人"),
    ("逾千人", "number", 1000.0, A, "人"),
    ("超过500人", "number", 500.0, A, "人"),
    ("不少于20场", "number", 20.0, A, "场"),
    ("近7万元", "number", 70000.0, N, "元"),
    ("将近300人", "number", 300.0, N, "人"),
    ("接近2000份", "number", 2000.0, N, "份"),
    ("不到50人", "number", 50.0, N, "人"),
    ("约400份", "number", 400.0, AB, "份"),
    ("约400余份", "number", 400.0, A, "份"),
    ("400份左右", "number", 400.0, AB, "份"),
    ("大约3万人次", "number", 30000.0, AB, "人次"),
    ("约计1200元", "number", 1200.0, AB, "元"),
    # percentages are ratios
    ("88%", "percent", 0.88, None, None),
    ("88％", "percent", 0.88, None, None),
    ("88.5%", "percent", 0.885, None, None),
    ("百分之八十八", "percent", 0.88, None, None),
    ("百分之百", "percent", 1.0, None, None),
    ("约90%", "percent", 0.9, AB, None),
    ("95%以上", "percent", 0.95, A, None),
    ("5‰", "percent", 0.005, None, None),
    ("88%份", "invalid", None, None, None),
    ("3万%", "invalid", None, None, None),
    ("近万%", "invalid", None, None, None),
    ("百分之5%", "invalid", None, None, None),
    # negatives keep their sign; accounting brackets are ambiguous
    ("-5", "number", -5.0, None, None),
    ("－5", "number", -5.0, None, None),
    ("−5", "number", -5.0, None, None),
    ("-1,200", "number", -1200.0, None, None),
    ("(5)", "number", -5.0, None, None),  # Excel's accounting format for -5
    ("（5）", "number", -5.0, None, None),
    ("(5份)", "invalid", None, None, None),
    ("(含5份)", "invalid", None, None, None),
    # not numbers
    ("见附件", "invalid", None, None, None),
    ("abc", "invalid", None, None, None),
    ("300-400", "invalid", None, None, None),
    ("300~400份", "invalid", None, None, None),
    ("1.2.3", "invalid", None, None, None),
    ("三百到四百", "invalid", None, None, None),
    ("第三十八条", "invalid", None, None, None),
    ("12 34", "invalid", None, None, None),
    ("1,2345", "invalid", None, None, None),
    ("3万2", "invalid", None, None, None),
    ("3千2万", "invalid", None, None, None),
    ("三百四千", "invalid", None, None, None),
    ("半", "invalid", None, None, None),
    ("inf", "invalid", None, None, None),
    ("1_000", "invalid", None, None, None),
    ("100份（含电子版）", "invalid", None, None, None),
    ("100人参加了本次活动", "invalid", None, None, None),
    ("100份近", "invalid", None, None, None),
    ("100左", "invalid", None, None, None),
    # units after the number; 千克 is a unit, not 千 × 克
    ("46台", "number", 46.0, None, "台"),
    ("1640千克", "number", 1640.0, None, "千克"),
    ("3万千克", "number", 30000.0, None, "千克"),
    ("5千米", "number", 5.0, None, "千米"),
    ("1530床", "number", 1530.0, None, "床"),
    ("5件", "number", 5.0, None, "件"),
    ("1730家次", "number", 1730.0, None, "家次"),
    ("12kg", "number", 12.0, None, "kg"),
    ("2024年", "number", 2024.0, None, "年"),
    ("3个百分点", "number", 3.0, None, "个百分点"),
    # traditional script
    ("3萬餘份", "number", 30000.0, A, "份"),
    ("近7萬元", "number", 70000.0, N, "元"),
    ("約2億元", "number", 2e8, AB, "元"),
    ("46臺", "number", 46.0, None, "台"),
    ("2356.3條", "number", 2356.3, None, "条"),
    ("1.2億", "number", 1.2e8, None, None),
]


@pytest.mark.parametrize(("cell", "kind", "value", "approx", "unit"), CASES, ids=[repr(c[0]) for c in CASES])
def test_parse_number(cell: object, kind: str, value: float | None, approx: str | None, unit: str | None) -> None:
    parsed = parse_number(cell)
    assert (parsed.kind, parsed.value, parsed.approx, parsed.unit) == (kind, value, approx, unit)


@pytest.mark.parametrize(
    ("cell", "raw"),
    [(None, ""), (3.0, "3.0"), (7, "7"), (" 3万余份 ", " 3万余份 "), ("1,234", "1,234"), (True, "True")],
)
def test_raw_is_the_cell_as_text(cell: object, raw: str) -> None:
    assert parse_number(cell).raw == raw


def test_scaled_values_are_exact() -> None:
    assert parse_number("1.34万份").value == 13400.0
    assert parse_number("0.07万").value == 700.0
    assert parse_number("1.1亿").value == 110_000_000.0


def test_repeated_floats_give_equal_results() -> None:
    first, second = parse_number(2.5), parse_number(2.5)
    assert first == second == ParsedNumber("number", 2.5, None, None, "2.5")
    assert parse_number(-0.0).value == 0.0


def test_parsed_number_is_frozen() -> None:
    parsed = parse_number("3万余份")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.value = 1.0  # type: ignore[misc]


def test_numpy_scalars_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    assert parse_number(np.float64(3.5)).value == 3.5
    assert parse_number(np.int64(5)).value == 5.0
    assert parse_number(np.float64("nan")).kind == "empty"


def test_huge_int_is_invalid() -> None:
    assert parse_number(10**400).kind == "invalid"
    assert parse_number("9" * 400).kind == "invalid"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三千", 3000),
        ("两千", 2000),
        ("十二", 12),
        ("十", 10),
        ("二十", 20),
        ("一十二", 12),
        ("一百一十", 110),
        ("一百十", 110),
        ("一千零一十", 1010),
        ("一万二千", 12000),
        ("一万二", 12000),
        ("一百二", 120),
        ("三千五", 3500),
        ("一百零五", 105),
        ("一万零五", 10005),
        ("十万", 100000),
        ("一亿二千万", 120_000_000),
        ("二〇二四", 2024),
        ("二○二四", 2024),
        ("一二三", 123),
        ("零", 0),
        ("两", 2),
        ("二两", None),
        ("〇", 0),
        ("壹仟贰佰", 1200),
        ("贰拾", 20),
        ("萬", None),
        ("两萬", 20000),
        ("二十三点五", 23.5),
        ("半", None),
        ("", None),
        ("abc", None),
        ("3千", None),
        ("三百四千", None),
        ("十十", None),
        ("万万", None),
        ("一千二万", None),
        ("三五百", None),
        (" 三 千 ", 3000),
    ],
)
def test_parse_chinese_numeral(text: str, value: float | None) -> None:
    assert parse_chinese_numeral(text) == value


@pytest.mark.parametrize(
    ("unit_text", "expected"),
    [
        ("万份", (1e4, "份")),
        ("万元", (1e4, "元")),
        ("亿元", (1e8, "元")),
        ("千元", (1e3, "元")),
        ("份", (1.0, "份")),
        ("万", (1e4, None)),
        ("人 次", (1.0, "人次")),
        ("萬元", (1e4, "元")),
        ("元", (1.0, "元")),
        ("万人次", (1e4, "人次")),
        ("十万元", (1e5, "元")),
        ("百万元", (1e6, "元")),
        ("千万元", (1e7, "元")),
        ("千克", (1.0, "千克")),
        ("千米", (1.0, "千米")),
        ("（万份）", (1e4, "份")),
        ("单位:万元", (1e4, "元")),
        ("单位：万元", (1e4, "元")),
        ("百分比", (1.0, "百分比")),
        ("", (1.0, None)),
        ("億元", (1e8, "元")),
        ("\n万\n份", (1e4, "份")),
    ],
)
def test_multiplier_of(unit_text: str, expected: tuple[float, str | None]) -> None:
    assert multiplier_of(unit_text) == expected


def test_multipliers_table() -> None:
    assert MULTIPLIERS == {
        "百": 100.0,
        "千": 1e3,
        "万": 1e4,
        "十万": 1e5,
        "百万": 1e6,
        "千万": 1e7,
        "亿": 1e8,
        "萬": 1e4,
        "十萬": 1e5,
        "百萬": 1e6,
        "千萬": 1e7,
        "億": 1e8,
    }
    assert "十" not in MULTIPLIERS


# --- properties -------------------------------------------------------------------------------


def to_full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


_DIGITS = "零一二三四五六七八九"


def _section_to_chinese(n: int) -> str:
    """0 < n < 10000 in standard form, with 零 for each run of empty places inside."""
    out, zero = "", False
    for place, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            zero = zero or bool(out)
            continue
        if zero:
            out, zero = out + "零", False
        out += _DIGITS[digit] + name
    return out


def to_chinese(n: int) -> str:
    """1 ≤ n ≤ 99999 in standard form: 10 → 十, 105 → 一百零五, 12000 → 一万二千, 10010 → 一万零一十."""
    high, low = divmod(n, 10_000)
    text = _section_to_chinese(low) if not high else _section_to_chinese(high) + "万"
    if high and low:
        text += ("零" if low < 1000 else "") + _section_to_chinese(low)
    return text[1:] if text.startswith("一十") else text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1010, "一千零一十"),
        (12000, "一万二千"),
        (10010, "一万零一十"),
        (10100, "一万零一百"),
        (99999, "九万九千九百九十九"),
    ],
)
def test_to_chinese_helper(n: int, text: str) -> None:
    assert to_chinese(n) == text


@given(st.integers(min_value=0, max_value=10**15))
def test_integers_in_every_spelling(n: int) -> None:
    for cell in (str(n), f"{n:,}", float(n), to_full_width(str(n)), to_full_width(f"{n:,}"), f"{n:,}份"):
        parsed = parse_number(cell)
        assert parsed.kind == "number", cell
        assert parsed.value == n, cell


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([("万", 10**4), ("亿", 10**8), ("萬", 10**4), ("億", 10**8)]),
)
def test_decimal_times_multiplier_is_exact(d: Decimal, multiplier: tuple[str, int]) -> None:
    word, factor = multiplier
    parsed = parse_number(f"{d}{word}")
    assert parsed.kind == "number"
    assert parsed.value == float(d * factor)


_TRICKY = "0123456789.,-_ %％()万亿千百十余多近约上以左右零一二两三四五六七八九份元克米xX×—/无萬餘"


@settings(max_examples=400)
@given(st.one_of(st.text(), st.text(alphabet=_TRICKY, max_size=10)))
def test_any_text_is_parsed_without_raising(text: str) -> None:
    parsed = parse_number(text)
    assert parsed.kind in KINDS
    assert parsed.raw == text
    if parsed.kind in ("number", "percent"):
        assert parsed.value is not None and math.isfinite(parsed.value)
    else:
        assert parsed.value is None and parsed.approx is None and parsed.unit is None


@settings(max_examples=500)
@given(st.integers(min_value=1, max_value=99_999))
def test_chinese_numerals_round_trip(n: int) -> None:
    assert parse_chinese_numeral(to_chinese(n)) == n
    assert parse_number(to_chinese(n) + "份").value == n
