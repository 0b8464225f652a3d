"""Numbers shown the Chinese way: 1,234 / 1.25万 / 3.2亿 / 1.3万亿, tick labels on 1-2-5 steps, changes in %."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from numbers import Integral, Real

import numpy as np
import pandas as pd

from metrics.core.labels import t

MISSING = "—"
MINUS = "−"  # U+2212, the typographic minus used in change_text
_SCALES: tuple[tuple[int, str], ...] = ((0, ""), (4, "万"), (8, "亿"), (12, "万亿"))
_UNIT_MULTIPLIERS: dict[str, int] = {"万": 4, "萬": 4, "亿": 8, "億": 8}
_NICE_STEPS: tuple[int, ...] = (1, 2, 5, 10)


def to_decimal(value: object) -> Decimal | None:
    """An exact decimal for a number (float via its shortest repr); None for None/NaN/NA/±inf."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Integral):
        return Decimal(int(value))
    if isinstance(value, Real):
        number = float(value)
        # repr gives the shortest decimal that round-trips, so 2.675 rounds to 2.68 as a person expects.
        return Decimal(repr(number)) if math.isfinite(number) else None
    raise TypeError(f"不是数值: {value!r}")


def _round(number: Decimal, digits: int) -> Decimal:
    """Round half away from zero to `digits` decimals, never giving -0."""
    with localcontext() as ctx:
        ctx.prec = max(60, number.adjusted() + digits + 5)
        rounded = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def _render(rounded: Decimal) -> str:
    """Thousands separators, trailing decimal zeros trimmed, never scientific notation."""
    text = f"{rounded:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_cn(value: object, *, digits: int = 2) -> str:
    """1,234 / 12.5 under 1万; 1.25万 under 1亿; 3.2亿 under 1万亿; 1.3万亿 above; "—" for no value."""
    if digits < 0:
        raise ValueError(f"digits 不能为负: {digits}")
    number = to_decimal(value)
    if number is None:
        return MISSING
    index = 0
    for i, (exponent, _) in enumerate(_SCALES):
        if abs(number) >= Decimal(1).scaleb(exponent):
            index = i
    while True:
        exponent, suffix = _SCALES[index]
        rounded = _round(number.scaleb(-exponent), digits)
        # 9999.996 rounds to 10,000: show it as 1万, not "10,000".
        if abs(rounded) >= 10_000 and index + 1 < len(_SCALES):
            index += 1
            continue
        return _render(rounded) + suffix


_EN_SCALES: tuple[tuple[int, str], ...] = ((0, ""), (6, " million"), (9, " billion"), (12, " trillion"))


def format_en(value: object, *, digits: int = 2) -> str:
    """The English way: 1,234 / 123,456 under a million; 1.25 million, 3.2 billion above; "—" for no value."""
    number = to_decimal(value)
    if number is None:
        return MISSING
    index = max(i for i, (exponent, _) in enumerate(_EN_SCALES) if i == 0 or abs(number) >= Decimal(1).scaleb(exponent))
    while True:
        exponent, suffix = _EN_SCALES[index]
        rounded = _round(number.scaleb(-exponent), digits)
        if index + 1 < len(_EN_SCALES) and abs(rounded) >= Decimal(1).scaleb(_EN_SCALES[index + 1][0] - exponent):
            index += 1
            continue
        return _render(rounded) + suffix


def format_metric(value: object, unit: str, *, digits: int = 2, lang: str = "zh") -> str:
    """A value with its unit: "1.23万元", "1,234元", "1.2万人次", "35场"; a unit like 万元 is scaled first.

    ``lang="en"``: "12,300 CNY", "1.2 million person-times", "35 sessions" (units from labels.UNIT_NAMES_EN).
    """
    unit = (unit or "").strip()
    number = to_decimal(value)
    if number is None:
        return MISSING
    multiplier = _UNIT_MULTIPLIERS.get(unit[:1])
    if multiplier is not None and len(unit) > 1:
        number, unit = number.scaleb(multiplier), unit[1:]
    if lang == "en":
        from metrics.core.labels import unit_name

        return format_en(number, digits=digits) + (f" {unit_name(unit, 'en')}" if unit else "")
    return format_cn(number, digits=digits) + unit


def _nice_step(span: Decimal, n: int) -> Decimal:
    """The smallest 1/2/5 × 10^k step that covers `span` in at most `n` intervals."""
    raw = span / n
    exponent = raw.adjusted()
    mantissa = raw.scaleb(-exponent)
    factor = next(step for step in _NICE_STEPS if step >= mantissa)
    return Decimal(factor).scaleb(exponent)


def nice_ticks(vmin: float, vmax: float, n: int = 5, *, lang: str = "zh") -> tuple[list[float], list[str]]:
    """Tick values on a 1/2/5 step covering [min(0, vmin), vmax], labelled 0, 5,000, 1万, 1.5万 … 1亿
    (in English 0, 5,000, 10,000 … 1.5 million)."""
    if n < 1:
        raise ValueError(f"n 至少为 1: {n}")
    low_value, high_value = to_decimal(vmin), to_decimal(vmax)
    if low_value is None or high_value is None:
        return [], []
    low = min(Decimal(0), low_value, high_value)
    high = max(Decimal(0), low_value, high_value)
    if low == high:
        high = Decimal(1)  # all zero: a 0…1 axis keeps bars on the floor rather than centred on -1…1
    with localcontext() as ctx:
        ctx.prec = 60
        step = _nice_step(high - low, n)
        first = int((low / step).to_integral_value(rounding=ROUND_FLOOR))
        last = int((high / step).to_integral_value(rounding=ROUND_CEILING))
        ticks = [step * k for k in range(first, last + 1)]
    digits = max(0, 12 - step.adjusted())  # enough decimals for the step in any unit up to 万亿
    label = format_en if lang == "en" else format_cn
    return [float(tick) for tick in ticks], [label(tick, digits=digits) for tick in ticks]


def change_text(current: object, previous: object) -> str | None:
    """Relative change as "+12.3%" or "−5.0%"; None when there is nothing to compare with."""
    now, before = to_decimal(current), to_decimal(previous)
    if now is None or before is None or before == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        percent = _round((now - before) / abs(before) * 100, 1)
    if percent == 0:
        return "0.0%"
    sign = "+" if percent > 0 else MINUS
    return f"{sign}{abs(percent):,.1f}%"


def years_text(years: Sequence[int], lang: str = "zh") -> str:
    """2024年 / 2021—2025年 / 2021、2023年 (2024, 2021–2025 in English); "" for none."""
    years = sorted(years)
    if not years:
        return ""
    if len(years) == 1:
        return t("common.year_one", lang, year=years[0])
    if years == list(range(years[0], years[-1] + 1)):
        return t("common.year_span", lang, first=years[0], last=years[-1])
    return t("common.year_list", lang, years=("、" if lang != "en" else ", ").join(str(y) for y in years))


def comparison_texts(kpi, lang: str = "zh") -> tuple[str | None, str, str]:
    """A KPI's comparison as shown: (like-for-like change or None, coverage note, all-units line).

    ``kpi`` is a ``metrics.analysis.query.Kpi``; the note is "" when there is no earlier period to compare with.
    """
    coverage = kpi.coverage
    if coverage is None or coverage.before == 0:
        return None, "", ""
    change = change_text(kpi.same_now, kpi.same_before) if kpi.comparable else None
    note = t(
        "compare.same" if coverage.comparable else "compare.too_few", lang, before=coverage.before, both=coverage.both
    )
    everything = change_text(kpi.value, kpi.previous)
    all_line = t("compare.all", lang, change=everything) if everything else t("compare.all_none", lang)
    return change, note, all_line


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and bool(pd.isna(value)))


def _plain(value: object) -> str:
    """A number as written in a cell: whole floats without ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for display with every empty cell blank: a grid shows None/NaN as the word "None".

    Text columns get "" for a missing cell; a numeric column holding a gap becomes text (whole numbers
    without ".0"), since a number column can only show a gap as None. Complete numeric columns stay numbers.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not series.isna().any():
            continue
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = ["" if _missing(v) else _plain(v) for v in series]
        else:
            out[column] = [v if not _missing(v) else "" for v in series.astype(object)]
    return out


def cn_numbers(frame: pd.DataFrame, *, digits: int = 2) -> pd.DataFrame:
    """Every numeric column written the Chinese way (1,234 / 1.25万 / 3.2亿), a missing value blank.

    For tables whose headers carry the unit (``发放宣传资料(份)``), such as the agency × metric table.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = _cn_column(series.to_numpy(dtype=float, na_value=np.nan), digits)
    return out


def _cn_column(values: np.ndarray, digits: int) -> list[str]:
    """format_cn over a column, once per distinct value (an agency table's counts repeat: 9,600 agencies ×
    18 metrics is 170,000 cells but a few thousand values); whole numbers under 1万 formatted directly."""
    text = np.full(len(values), "", dtype=object)
    finite = np.isfinite(values)
    if finite.any():
        distinct, where = np.unique(values[finite], return_inverse=True)
        shown = np.array(
            [
                f"{int(v):,}" if abs(v) < 10_000 and v == int(v) else format_cn(float(v), digits=digits)
                for v in distinct.tolist()
            ],
            dtype=object,
        )
        text[finite] = shown[where]
    return text.tolist()


# Beijing time has had no daylight saving since 1991: a fixed UTC+8 needs no time-zone database (an office
# Windows machine has none without the tzdata package).
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")


def beijing_time(stamp: str) -> str:
    """A stored ISO 8601 time (UTC; a stamp without an offset is taken as UTC) as "YYYY-MM-DD HH:MM:SS" in Beijing."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def agency_list(names: list[str], lang: str = "zh", *, shown: int = 3) -> str:
    """The agencies of one return: a single name as it is; several as "12家:甲、乙、丙…" (how many, then the first)."""
    from metrics.core.labels import t

    if len(names) <= 1:
        return names[0] if names else ""
    head = ("、" if lang != "en" else ", ").join(names[:shown]) + ("…" if len(names) > shown else "")
    return t("details.agencies", lang, n=len(names), names=head)
