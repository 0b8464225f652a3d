"""Chinese number display: format_cn, format_metric, nice_ticks, change_text."""

import itertools
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from metrics.core.fmt import change_text, format_cn, format_metric, nice_ticks, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (-0.001, "0"),
        (7, "7"),
        (1234, "1,234"),
        (12.5, "12.5"),
        (12.05, "12.05"),
        (0.1 + 0.2, "0.3"),
        (2.675, "2.68"),  # half away from zero on the written decimal, not the binary float
        (-2.675, "-2.68"),
        (9999, "9,999"),
        (9999.5, "9,999.5"),
        (9999.994, "9,999.99"),
        (9999.996, "1万"),  # rounding that reaches 1万 moves to 万
        (10000, "1万"),
        (12500, "1.25万"),
        (12345, "1.23万"),
        (12355, "1.24万"),
        (30000, "3万"),
        (123456, "12.35万"),
        (12345678, "1,234.57万"),
        (99999999, "1亿"),
        (1e8, "1亿"),
        (3.2e8, "3.2亿"),
        (123456789, "1.23亿"),
        (1.3e12, "1.3万亿"),
        (-1234, "-1,234"),
        (-12500, "-1.25万"),
        (-3.2e8, "-3.2亿"),
        (1e15, "1,000万亿"),
        (None, "—"),
        (float("nan"), "—"),
        (float("inf"), "—"),
        (pd.NA, "—"),
        (np.nan, "—"),
        (np.int64(30000), "3万"),
        (np.float64(1234.5), "1,234.5"),
        (Decimal("12500.00"), "1.25万"),
    ],
)
def test_format_cn(value, expected):
    assert format_cn(value) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (9999.5, 0, "1万"),
        (9999.4, 0, "9,999"),
        (12.345, 1, "12.3"),
        (12.35, 1, "12.4"),
        (12345, 0, "1万"),
        (15000, 0, "2万"),
        (0.00012, 4, "0.0001"),
        (1234.5678, 3, "1,234.568"),
    ],
)
def test_format_cn_digits(value, digits, expected):
    assert format_cn(value, digits=digits) == expected


@pytest.mark.parametrize("value", [1e20, 123456789012345678, 1e-7, 5e-324, 2**70])
def test_format_cn_never_scientific_nor_si(value):
    text = format_cn(value)
    assert "e" not in text.lower() and "k" not in text.lower()


def test_format_cn_rejects_text_and_negative_digits():
    with pytest.raises(TypeError):
        format_cn("1234")
    with pytest.raises(ValueError):
        format_cn(1, digits=-1)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (12345, "元", "1.23万元"),
        (1234, "元", "1,234元"),
        (10000, "元", "1万元"),
        (9999.5, "元", "9,999.5元"),
        (3.2e8, "元", "3.2亿元"),
        (-12345, "元", "-1.23万元"),
        (12000, "人次", "1.2万人次"),
        (35, "场", "35场"),
        (0, "件", "0件"),
        (None, "元", "—"),
        (float("nan"), "份", "—"),
        (1.2, "万元", "1.2万元"),
        (12000, "万元", "1.2亿元"),  # a value already in 万元 is scaled, never "1.2万万元"
        (3, "万份", "3万份"),
        (35, "", "35"),
        (35, " 场 ", "35场"),
    ],
)
def test_format_metric(value, unit, expected):
    assert format_metric(value, unit) == expected


@pytest.mark.parametrize(
    ("vmin", "vmax", "values", "labels"),
    [
        (0, 30000, [0, 10000, 20000, 30000], ["0", "1万", "2万", "3万"]),
        (0, 15000, [0, 5000, 10000, 15000], ["0", "5,000", "1万", "1.5万"]),
        (2000, 15000, [0, 5000, 10000, 15000], ["0", "5,000", "1万", "1.5万"]),
        (0, 7, [0, 2, 4, 6, 8], ["0", "2", "4", "6", "8"]),
        (0, 1e8, [0, 2e7, 4e7, 6e7, 8e7, 1e8], ["0", "2,000万", "4,000万", "6,000万", "8,000万", "1亿"]),
        (0, 99999999, [0, 2e7, 4e7, 6e7, 8e7, 1e8], ["0", "2,000万", "4,000万", "6,000万", "8,000万", "1亿"]),
        (0, 1.3e9, [0, 5e8, 1e9, 1.5e9], ["0", "5亿", "10亿", "15亿"]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1], ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        (0, 0.001, [0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001], ["0", "0.0002", "0.0004", "0.0006", "0.0008", "0.001"]),
        (-5000, 10000, [-5000, 0, 5000, 10000], ["-5,000", "0", "5,000", "1万"]),
        (-3, -1, [-3, -2, -1, 0], ["-3", "-2", "-1", "0"]),
        (10000, 0, [0, 2000, 4000, 6000, 8000, 10000], ["0", "2,000", "4,000", "6,000", "8,000", "1万"]),
    ],
)
def test_nice_ticks(vmin, vmax, values, labels):
    ticks, text = nice_ticks(vmin, vmax)
    assert ticks == pytest.approx(values, abs=0, rel=1e-12)
    assert text == labels


@pytest.mark.parametrize(
    ("vmin", "vmax"),
    [
        (0, 30000),
        (0, 1),
        (-7, 3),
        (0, 123456789),
        (0, 0.3),
        (5, 5),
        (0, 9999.5),
        (-1e9, 0),
        (0, 37),
    ],
)
def test_nice_ticks_cover_the_range_on_a_1_2_5_step(vmin, vmax):
    ticks, labels = nice_ticks(vmin, vmax)
    assert ticks[0] <= min(0, vmin) and ticks[-1] >= vmax
    assert len(ticks) == len(labels) and 2 <= len(ticks) <= 7
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 5)
    assert all(math.isclose(b - a, step) for a, b in itertools.pairwise(ticks))
    assert not any("k" in label or "e" in label for label in labels)


@pytest.mark.parametrize(("vmin", "vmax"), [(float("nan"), 1), (0, float("nan")), (None, 5), (0, float("inf"))])
def test_nice_ticks_without_a_range(vmin, vmax):
    assert nice_ticks(vmin, vmax) == ([], [])


def test_nice_ticks_count_follows_n():
    assert nice_ticks(0, 100, n=2)[0] == [0, 50, 100]
    assert nice_ticks(0, 100, n=10)[0] == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    with pytest.raises(ValueError):
        nice_ticks(0, 100, n=0)


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (112.3, 100, "+12.3%"),
        (95, 100, "−5.0%"),
        (100, 100, "0.0%"),
        (100.04, 100, "0.0%"),
        (100.05, 100, "+0.1%"),
        (99.95, 100, "−0.1%"),
        (0, 100, "−100.0%"),
        (2500, 100, "+2,400.0%"),
        (3, -2, "+250.0%"),  # growth from a negative base is measured on its size
        (1, 0, None),
        (1, None, None),
        (None, 1, None),
        (float("nan"), 1, None),
        (1, float("nan"), None),
    ],
)
def test_change_text(current, previous, expected):
    assert change_text(current, previous) == expected


def test_to_decimal_keeps_the_written_decimal():
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(True) == Decimal(1)
    assert to_decimal(pd.NaT) is None


def test_blank_missing_leaves_no_none_or_nan_cell():
    from metrics.core.fmt import blank_missing

    frame = pd.DataFrame(
        {
            "单位": ["甲", None, "丙"],
            "日期": pd.to_datetime(["2024-03-15", None, "2024-03-14"]),
            "数值": [1.0, np.nan, 2.5],
            "件": [3, 4, 5],
            "分类": pd.Categorical(["a", None, "a"]),
        }
    )
    shown = blank_missing(frame)
    assert shown["单位"].tolist() == ["甲", "", "丙"]
    assert shown["日期"].tolist()[1] == "" and shown["日期"].tolist()[0] == pd.Timestamp("2024-03-15")
    assert shown["数值"].tolist() == ["1", "", "2.5"]
    assert shown["分类"].tolist() == ["a", "", "a"]
    assert shown["件"].tolist() == [3, 4, 5] and pd.api.types.is_integer_dtype(shown["件"])  # complete: still numbers
    assert frame["单位"].isna().sum() == 1  # the input is not changed


def test_cn_numbers_formats_every_numeric_column_the_chinese_way():
    from metrics.core.fmt import cn_numbers

    frame = pd.DataFrame(
        {
            "单位": ["甲", "乙", "合计"],
            "发放宣传资料(份)": [123456.0, np.nan, 123456.0],
            "开展活动(场)": [12.0, 3.0, 15.0],
        }
    )
    shown = cn_numbers(frame)
    assert shown["发放宣传资料(份)"].tolist() == ["12.35万", "", "12.35万"]
    assert shown["开展活动(场)"].tolist() == ["12", "3", "15"] and shown["单位"].tolist() == ["甲", "乙", "合计"]


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2025-03-15T02:30:00+00:00", "2025-03-15 10:30:00"),
        ("2025-03-14T20:05:09+00:00", "2025-03-15 04:05:09"),  # past midnight in Beijing: the next day
        ("2025-03-15T10:30:00+08:00", "2025-03-15 10:30:00"),
        ("2025-03-15T02:30:00", "2025-03-15 10:30:00"),  # no offset: stored as UTC
        ("2024-12-31T23:59:59+00:00", "2025-01-01 07:59:59"),
    ],
)
def test_beijing_time(stamp, shown):
    from metrics.core.fmt import beijing_time

    assert beijing_time(stamp) == shown


def test_agency_list_counts_and_names_the_first():
    from metrics.core.fmt import agency_list

    assert agency_list(["宁波市消保委"]) == "宁波市消保委"
    assert agency_list([]) == ""
    assert agency_list(["甲", "乙"]) == "2家:甲、乙"
    assert agency_list(["甲", "乙", "丙", "丁", "戊"]) == "5家:甲、乙、丙…"
    assert agency_list(["A", "B", "C", "D"], "en") == "4 agencies: A, B, C…"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (1234, "1,234"),
        (123456, "123,456"),
        (12.5, "12.5"),
        (-2.675, "-2.68"),
        (999_999.996, "1 million"),  # rounding up to a million moves to million
        (1_234_567, "1.23 million"),
        (2.5e9, "2.5 billion"),
        (3e12, "3 trillion"),
        (None, "—"),
    ],
)
def test_format_en(value, expected):
    from metrics.core.fmt import format_en

    assert format_en(value) == expected


def test_format_metric_in_english_names_the_unit_in_english():
    assert format_metric(35, "场", lang="en") == "35 sessions"
    assert format_metric(1.2e6, "人次", lang="en") == "1.2 million person-times"
    assert format_metric(12345, "元", lang="en") == "12,345 CNY"
    assert format_metric(3, "万元", lang="en") == "30,000 CNY"  # 万元 scaled first, as in Chinese
    assert format_metric(5, "床", lang="en") == "5 quilts"
    assert format_metric(5, "", lang="en") == "5"
    assert format_metric(5, "匹", lang="en") == "5 匹"  # a unit without an English name stays as written
    assert format_metric(35, "场") == "35场"


def test_nice_ticks_in_english_have_no_chinese_suffix():
    values, labels = nice_ticks(0, 30000, lang="en")
    assert values == nice_ticks(0, 30000)[0]
    assert labels == ["0", "10,000", "20,000", "30,000"]


def test_cn_numbers_writes_every_cell_as_format_cn_does():
    """The column fast path (whole numbers under 1万, the rest once per distinct value) changes no cell."""
    import numpy as np
    import pandas as pd

    from metrics.core.fmt import cn_numbers

    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.integers(-20_000, 20_000, 2_000).astype(float),
            rng.random(200) * 1e9,
            [np.nan, 0.0, -0.0, 9_999.0, 9_999.996, 10_000.0, 0.5, -12_345.5, 1e13],
        ]
    )
    frame = pd.DataFrame({"agency": ["甲"] * len(values), "value": values})
    shown = cn_numbers(frame)
    assert shown["value"].tolist() == ["" if np.isnan(v) else format_cn(v) for v in values]
    assert shown["agency"].tolist() == frame["agency"].tolist()
