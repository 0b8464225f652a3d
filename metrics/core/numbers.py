"""Numbers as Chinese officials write them in cells and headers: 3万余份, 近7万元, １，２００, 百分之八十八."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from numbers import Real
from typing import Literal

import opencc

from metrics.core.record import Approx

Kind = Literal["number", "empty", "redacted", "percent", "invalid"]
KINDS: tuple[str, ...] = ("number", "empty", "redacted", "percent", "invalid")


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """What one cell says: a number (multiplier applied), a ratio, nothing, a hidden value, or not a number."""

    kind: Kind
    value: float | None
    approx: Approx | None
    unit: str | None
    raw: str


# Multipliers written in cells and in header units (单位:万元, 发放资料(万份)).
MULTIPLIERS: dict[str, float] = {
    "百": 1e2,
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

_CN_DIGIT_VALUE: dict[str, str] = {
    "零": "0",
    "〇": "0",
    "一": "1",
    "壹": "1",
    "二": "2",
    "贰": "2",
    "两": "2",
    "三": "3",
    "叁": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    "七": "7",
    "柒": "7",
    "八": "8",
    "捌": "8",
    "九": "9",
    "玖": "9",
}
_CN_DIGITS = "".join(_CN_DIGIT_VALUE)
_CN_UNIT_VALUE = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10**4, "亿": 10**8}
_CN_NUMERAL_CHARS = _CN_DIGITS + "".join(_CN_UNIT_VALUE)

# 千克 is a unit, not 千 × 克; 3百分点 is 3 percentage points, not 300 分点.
_QIAN = "千(?![克米瓦卡])"
_BAI = "百(?!分)"
_UNIT_WORDS = re.compile("千克|千米|千瓦|千卡|百分点|百分比")

_AT_LEAST: Approx = "at_least"
_NEARLY: Approx = "nearly"
_ABOUT: Approx = "about"
_PREFIXES: dict[str, Approx] = {
    "超过": _AT_LEAST,
    "不少于": _AT_LEAST,
    "不低于": _AT_LEAST,
    "至少": _AT_LEAST,
    "逾": _AT_LEAST,
    "超": _AT_LEAST,
    "上": _AT_LEAST,
    "将近": _NEARLY,
    "接近": _NEARLY,
    "不到": _NEARLY,
    "不足": _NEARLY,
    "近": _NEARLY,
    "大约": _ABOUT,
    "约计": _ABOUT,
    "约": _ABOUT,
}
_SUFFIXES: dict[str, Approx] = {"有余": _AT_LEAST, "余": _AT_LEAST, "多": _AT_LEAST}
_TAIL_WORDS: dict[str, Approx] = {"以上": _AT_LEAST, "左右": _ABOUT, "上下": _ABOUT}
_APPROX_RANK: dict[Approx, int] = {_AT_LEAST: 3, _NEARLY: 2, _ABOUT: 1}  # 约400余份 is "at least 400"

# A bare multiplier counts as one of it only with a qualifier: 近万份, 万余人, 上千, 百余万元.
_BARE: dict[str, int] = {"百": 100, "千": 1000, "万": 10**4, "亿": 10**8, "十万": 10**5, "百万": 10**6, "千万": 10**7}

_NO_VALUE = frozenset({"无", "不详", "暂无", "未统计", "未填", "不适用", "n/a", "na", "nan", "null", "none", "\\", "/"})
_DASHES = re.compile(r"[-—–―‐‑─/\\]+")
_MAX_NUMBER_LENGTH = 100  # longer text is prose, not a number


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))  # longest first: 将近 before 近


def _translation_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table.update(
        {
            ord(a): b
            for a, b in (
                ("\u3000", " "),
                ("\u00a0", " "),
                ("\u2007", " "),
                ("\u202f", " "),
                ("−", "-"),
                ("‐", "-"),
                ("‑", "-"),
                ("﹣", "-"),
                ("﹪", "%"),
                ("○", "〇"),
                ("萬", "万"),
                ("億", "亿"),
                ("餘", "余"),
                ("馀", "余"),
                ("參", "叁"),
                ("叄", "叁"),
                ("兩", "两"),
                ("貳", "贰"),
                ("陸", "陆"),
                ("約", "约"),
                ("點", "点"),
            )
        }
    )
    table.update({0x200B: None, 0xFEFF: None})
    return table


_TABLE = _translation_table()
_WHITESPACE = re.compile(r"\s+")
_SPACE_NOT_IN_NUMBER = re.compile(r"(?<![0-9]) | (?![0-9])")
_REDACTED = re.compile(r"_{2,}|(?<![A-Za-z])[xX]{2,}(?![A-Za-z])|×|\*{2,}")

_CORE = rf"(?:[0-9., ]|[{_CN_DIGITS}十拾佰仟万亿]|{_QIAN}|{_BAI}|点(?=[{_CN_DIGITS}]))+"
_MULT = rf"十万|{_BAI}万|{_QIAN}万|万|亿|{_BAI}|{_QIAN}"
_CELL = re.compile(
    rf"(?P<pre>(?:{_alternation(_PREFIXES)})*)(?P<sign>[+-]?)(?P<pct>百分之)?(?P<core>{_CORE})"
    rf"(?P<suffix>(?:{_alternation(_SUFFIXES)})?)(?P<mult>(?:{_MULT})?)(?P<rest>.*)",
    re.DOTALL,
)
_PREFIX_WORD = re.compile(_alternation(_PREFIXES))
_TAIL = re.compile(rf"(?:{_alternation(_TAIL_WORDS)})$")
_UNIT = re.compile(r"[A-Za-z\u3400-\u9fff]{1,6}")
_NOT_IN_UNIT = re.compile(rf"[{_CN_NUMERAL_CHARS}余多近约以左右上超逾点]")  # 份, never 份左 or 份近
_CN_ONLY = re.compile(rf"[{_CN_NUMERAL_CHARS}点]+")
_DIGIT_BY_DIGIT = re.compile(rf"[{_CN_DIGITS.replace('两', '')}]+|两")  # 两 is never a place in 二〇二四
_TOKEN = re.compile(
    r"(?P<arabic>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?"
    r"|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    rf"|(?P<cn>[{_CN_DIGITS}])(?:点(?P<frac>[{_CN_DIGITS.replace('两', '')}]+))?"
    rf"|(?P<unit>[十拾百佰千仟万亿])"
)
_GROUPED = re.compile(r"\s*-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?\s*")  # 1,234 · -12,345.5
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_HEADER_MULTIPLIERS = sorted(_BARE, key=len, reverse=True)
_HEADER_PREFIX = re.compile(r"^单位[:：]?")
_BRACKETS = re.compile(r"[()\[\]【】〔〕]")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    """Full-width to ASCII, traditional to simplified, odd spaces to plain ones."""
    text = text.translate(_TABLE)
    if text.isascii():
        return text
    try:
        return _converter().convert(text)
    except UnicodeError:  # lone surrogates from a broken file: keep the text as it is
        return text


def parse_number(cell: object) -> ParsedNumber:
    """Read one spreadsheet cell as a number, a ratio, no value, a redacted value, or not a number."""
    if type(cell) is float:  # calamine's numbers: the hot path
        parsed = _FLOAT_MEMO.get(cell)
        return parsed if parsed is not None else _from_float(cell)
    if type(cell) is str:
        try:
            value = float(cell)
        except ValueError:
            if _GROUPED.fullmatch(cell):
                value = float(cell.replace(",", ""))
                if value - value == 0.0:
                    return ParsedNumber("number", value + 0.0, None, None, cell)
            return _parse_text(cell)
        if value - value == 0.0 and "_" not in cell:
            return ParsedNumber("number", value + 0.0, None, None, cell)
        return _parse_text(cell)
    return _parse_other(cell)


# Returns repeat the same counts over and over; building a frozen dataclass costs more than a lookup.
# Bounded, and safe to share across threads because the values are immutable. -0.0 finds 0.0's entry.
_FLOAT_MEMO: dict[float, ParsedNumber] = {}
_FLOAT_MEMO_SIZE = 1 << 16


def _from_float(cell: float) -> ParsedNumber:
    if cell - cell != 0.0:
        return ParsedNumber("empty" if math.isnan(cell) else "invalid", None, None, None, str(cell))
    raw = str(cell)
    parsed = ParsedNumber("number", cell + 0.0, None, None, raw)
    if raw != "-0.0":
        if len(_FLOAT_MEMO) >= _FLOAT_MEMO_SIZE:
            _FLOAT_MEMO.clear()
        _FLOAT_MEMO[cell] = parsed
    return parsed


def _parse_other(cell: object) -> ParsedNumber:
    if cell is None:
        return ParsedNumber("empty", None, None, None, "")
    try:
        raw = str(cell)
    except ValueError:  # an int past str()'s 4300-digit limit
        return _invalid(f"<{type(cell).__name__}>")
    if isinstance(cell, (bool, date, datetime, time, timedelta)):
        return _invalid(raw)
    if isinstance(cell, str):  # a str subclass
        return parse_number(str(cell))
    if isinstance(cell, (Real, Decimal)):
        try:
            value = float(cell)
        except (OverflowError, ValueError):
            return _invalid(raw)
        if math.isnan(value):
            return ParsedNumber("empty", None, None, None, raw)
        if math.isinf(value):
            return _invalid(raw)
        return ParsedNumber("number", value + 0.0, None, None, raw)
    return _invalid(raw)


def _invalid(raw: str) -> ParsedNumber:
    return ParsedNumber("invalid", None, None, None, raw)


def _parse_text(raw: str) -> ParsedNumber:
    text = _WHITESPACE.sub(" ", _to_simplified(raw)).strip()
    if text[:1] in ("'", "‘", "’"):  # Excel's "store as text" prefix, typed by hand: '1,850
        text = text[1:].strip()
    accounting = _ACCOUNTING.fullmatch(text)
    if accounting:  # (120) is how Excel's accounting format writes -120
        inner = _parse_text(accounting.group(1))
        if inner.kind == "number" and inner.value is not None and inner.value > 0 and inner.unit is None:
            return ParsedNumber("number", -inner.value, inner.approx, None, raw)
        return _invalid(raw)
    compact = text.replace(" ", "")
    if not compact or compact.lower() in _NO_VALUE or _DASHES.fullmatch(compact):
        return ParsedNumber("empty", None, None, None, raw)
    if _REDACTED.search(compact):
        return ParsedNumber("redacted", None, None, None, raw)
    if len(compact) > _MAX_NUMBER_LENGTH:
        return _invalid(raw)
    match = _CELL.fullmatch(_SPACE_NOT_IN_NUMBER.sub("", text))
    if match is None:
        return _invalid(raw)
    return _from_match(match, raw)


_ACCOUNTING = re.compile(r"\(\s*([0-9][0-9,.]*)\s*\)")


def _from_match(match: re.Match[str], raw: str) -> ParsedNumber:
    qualifiers = [_PREFIXES[word] for word in _PREFIX_WORD.findall(match["pre"])]
    if match["suffix"]:
        qualifiers.append(_SUFFIXES[match["suffix"]])
    rest = match["rest"]
    while tail := _TAIL.search(rest):
        qualifiers.append(_TAIL_WORDS[tail.group()])
        rest = rest[: tail.start()]
    approx = max(qualifiers, key=_APPROX_RANK.__getitem__, default=None)

    core, mult = match["core"], match["mult"]
    symbol = rest if rest in ("%", "‰") else ""
    percent = bool(match["pct"] or symbol)
    scaled = mult or "万" in core or "亿" in core
    if percent and (scaled or (rest and not symbol) or (symbol and match["pct"])):
        return _invalid(raw)  # 3万%, 88%份, 百分之5%
    if core in _BARE and (match["pct"] or (approx and not symbol)):  # 百分之百, 近万份
        amount: Decimal | None = Decimal(_BARE[core])
    elif "上" in match["pre"]:  # 上 qualifies only a bare multiplier: 上万人
        return _invalid(raw)
    else:
        amount = _core_value(core)
    if amount is None:
        return _invalid(raw)
    if mult:
        amount *= _BARE[mult]
    if match["sign"] == "-":
        amount = -amount
    if percent:
        amount /= 1000 if symbol == "‰" else 100
        return _finite("percent", amount, approx, None, raw)
    if rest and not _unit_ok(rest):
        return _invalid(raw)
    return _finite("number", amount, approx, rest or None, raw)


def _finite(kind: Kind, amount: Decimal, approx: Approx | None, unit: str | None, raw: str) -> ParsedNumber:
    value = float(amount) + 0.0
    if math.isinf(value):
        return _invalid(raw)
    return ParsedNumber(kind, value, approx, unit, raw)


def _unit_ok(unit: str) -> bool:
    """A unit is a short word of letters or Han characters, no numerals or qualifiers (份, 人次, 千克, kg)."""
    return bool(_UNIT.fullmatch(unit)) and not _NOT_IN_UNIT.search(_UNIT_WORDS.sub("", unit))


def _core_value(text: str) -> Decimal | None:
    """Value of digits and numerals, mixed or not: 1,200 · 1.34万 · 一万二千 · 一百零五 · 二〇二四 · 1亿2000万."""
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    if _DIGIT_BY_DIGIT.fullmatch(text):  # read digit by digit: 二〇二四 → 2024, 零 → 0
        return Decimal("".join(_CN_DIGIT_VALUE[ch] for ch in text))
    total = section = Decimal(0)
    pending: Decimal | None = None
    pending_kind = ""
    last_small = last_big = last_unit = 0
    after_zero = False
    pos = 0
    while pos < len(text):
        token = _TOKEN.match(text, pos)
        if token is None:
            return None
        pos = token.end()
        if token["unit"]:
            unit = _CN_UNIT_VALUE[token["unit"]]
            if unit < 10**4:
                if last_small and unit >= last_small:
                    return None
                if pending is None:
                    if unit != 10:  # only 十 may stand alone: 十二, 一百十
                        return None
                    pending = Decimal(1)
                section += pending * unit
                last_small = unit
            else:
                if last_big and unit >= last_big:
                    return None
                if pending is None and section == 0:
                    return None
                if pending is not None and last_small > 10 and not after_zero:
                    return None  # 一千二万: 1200万 or 1002万? never a guess
                total += (section + (pending or 0)) * unit
                section, last_small, last_big = Decimal(0), 0, unit
            pending, last_unit, after_zero = None, unit, False
            continue
        if pending is not None:
            return None  # two numbers side by side: 1,2345 · 三五百
        if token["arabic"]:
            digits = token["arabic"].replace(",", "").replace(" ", "")
            pending, pending_kind = Decimal(digits), "one_digit" if len(digits) == 1 else "arabic"
        elif token["frac"]:  # 三点五
            fraction = "".join(_CN_DIGIT_VALUE[ch] for ch in token["frac"])
            pending, pending_kind = Decimal(f"{_CN_DIGIT_VALUE[token['cn']]}.{fraction}"), "arabic"
        elif _CN_DIGIT_VALUE[token["cn"]] == "0":
            after_zero = True  # 一百零五: the 零 marks an empty place
        else:
            pending, pending_kind = Decimal(_CN_DIGIT_VALUE[token["cn"]]), "cn"
    if pending is not None and last_unit:
        pending = _trailing(pending, pending_kind, last_unit, after_zero)
        if pending is None:
            return None
    return total + section + (pending or 0)


def _trailing(value: Decimal, kind: str, unit: int, after_zero: bool) -> Decimal | None:
    """A number after the last unit: 一万二 is 12000 (colloquial), 3万2000 is 32000, 3万2 is ambiguous."""
    if after_zero or unit == 10:
        return value if value < unit else None
    if kind == "cn":
        return value * (unit // 10)
    if kind == "one_digit" or value >= unit or value != value.to_integral_value():
        return None
    return value


def parse_chinese_numeral(text: str) -> float | None:
    """Value of a Chinese numeral (三千, 一万二, 一百零五, 二〇二四, 壹仟贰佰); None if the text is not one."""
    text = _WHITESPACE.sub("", _to_simplified(text))
    if not _CN_ONLY.fullmatch(text):
        return None
    value = _core_value(text)
    return None if value is None else float(value)


def multiplier_of(unit_text: str) -> tuple[float, str | None]:
    """Split a header unit into its multiplier and its unit: 万份 → (10000, 份), 千克 → (1, 千克)."""
    text = _BRACKETS.sub("", _WHITESPACE.sub("", _to_simplified(unit_text)))
    text = _HEADER_PREFIX.sub("", text)
    for word in _HEADER_MULTIPLIERS:
        if text.startswith(word) and not _UNIT_WORDS.match(text):
            return MULTIPLIERS[word], text[len(word) :] or None
    return 1.0, text or None
