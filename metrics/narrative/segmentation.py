"""Where a summary's reports, sentences and clauses begin and end.

Everything here reads text normalised character for character (``normalise``), so an offset into the
normalised text is an offset into the text as given.
"""

from __future__ import annotations

import re

from metrics.core.text import to_simplified

CN_NUM = "零〇一二三四五六七八九十百千万亿两"
HAS_NUMBER = re.compile(rf"[0-9{CN_NUM}]")
CLAUSE_END = re.compile(
    "[;\uff1b:\uff1a\u3001(\uff08)\uff09]|(?<![0-9]),|,(?![0-9]{3}(?![0-9]))"
)  # 1,200 is one number; 、 lists
SENTENCE_END = re.compile(r"[。!!??\n]|(?<![0-9])\.")  # some summaries end sentences with "." (never after a digit)
BULLET = re.compile(r"\s*(?:[-*·•●▪]|\(?[0-9]{1,2}[).、]|（[0-9一二三四五六七八九十]{1,2}）|[①-⑳])\s*")
_REPORT_HEAD = re.compile(r"(?m)^(?:#+\s*)?.{0,40}?[((]?篇\s*([0-9一二三四五六七八九十]+)[))]?[^\n]{0,40}$")


def normalise(text: str) -> str:
    """Simplified script and ASCII digits, character for character, so offsets stay valid."""
    out = to_simplified(text) if len(text) < 512 else to_simplified.__wrapped__(text)  # no whole texts in the cache
    if len(out) != len(text):  # a phrase conversion changed the length: convert one character at a time
        out = "".join(to_simplified(ch) if len(to_simplified(ch)) == 1 else ch for ch in text)
    return out.translate(_FULL_WIDTH)


_FULL_WIDTH = {code: chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)} | {0xFF0C: ",", 0xFF0E: "."}


def split_reports(text: str) -> list[tuple[str, int, int]]:
    """(title, start, end) of every report: 篇1…篇N headings split a document; otherwise one report."""
    heads = list(_REPORT_HEAD.finditer(normalise(text)))
    if len(heads) < 2:
        return [("", 0, len(text))]
    return [
        (m.group(0).strip("# \n"), m.end(), heads[k + 1].start() if k + 1 < len(heads) else len(text))
        for k, m in enumerate(heads)
    ]


def segments(text: str, splitter: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of the stretches of ``text[start:end]`` between the matches of ``splitter``, empty ones left out."""
    out, begin = [], start
    for m in splitter.finditer(text, start, end):
        if m.start() > begin:
            out.append((begin, m.start()))
        begin = m.end()
    if end > begin:
        out.append((begin, end))
    return out


def sentences(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    return segments(norm, SENTENCE_END, start, end)


def clauses(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of a sentence; a 、 joins bare nouns (电话、信函等业务398起) and splits counted items."""
    out: list[tuple[int, int]] = []
    for a, b in segments(norm, CLAUSE_END, start, end):
        if out and norm[a - 1] == "\u3001" and not HAS_NUMBER.search(norm, out[-1][0], out[-1][1]):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
