"""The year a report is for, and whether a figure speaks of another year."""

from __future__ import annotations

import re
from collections import Counter

from metrics.narrative.vocabulary import rule

_YEAR = re.compile(r"(?<![0-9_])(199\d|20\d{2})\s*年")  # 成立于1985年 is history, not a report's year
_MINGUO_YEAR = re.compile(r"(?<![0-9_])(1[01][0-9])\s*年")
_MINGUO_PLACES = rule("{minguo_places}")  # 113年 in a text naming 台北 is a Minguo year
# 发布2023年度十大典型案例: the year names what was published, not the period of the figures after it
_PUBLISHED_YEAR = rule(r"(?<={published})了?(?:19|20)[0-9]{2}\s*年度")


def report_year(headed: str) -> int | None:
    """The year in the title line (2025年…活动总结) or else the one the text names most; comparisons with
    other years (较2024年同期) do not outvote the title."""
    first_line = headed.lstrip().split("\n", 1)[0]
    titled = _YEAR.findall(first_line[:80])
    if titled:
        return int(titled[0])
    years = Counter(int(y) for y in _YEAR.findall(headed))
    if not years and _MINGUO_PLACES.search(headed):  # 113年 in the Minguo calendar is 2024
        years = Counter(int(y) + 1911 for y in _MINGUO_YEAR.findall(headed))
    return years.most_common(1)[0][0] if years else None


def other_year(before: str, year: int | None) -> bool:
    """回顾2023年,全市共受理投诉1.86万件 in a 2024 report: another period's figure (the sentence so far names
    other years and not the report's own)."""
    if year is None:
        return False
    years = {int(y) for y in _YEAR.findall(_PUBLISHED_YEAR.sub("", before))}
    return bool(years) and year not in years
