"""Text normalisation shared by every reader: one spelling for the many ways a label is typed."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_BRACKETS = str.maketrans(
    {
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "［": "(",
        "］": ")",
        "[": "(",
        "]": ")",
        "｛": "(",
        "｝": ")",
        "{": "(",
        "}": ")",
        "〈": "(",
        "〉": ")",
        "<": "(",
        ">": ")",
    }
)
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "―": "-", "〜": "~", "～": "~"})


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional → simplified script (発/發 → 发); simplified text passes through unchanged."""
    return _T2S.convert(text)


@lru_cache(maxsize=65536)
def normalize_label(text: str) -> str:
    """A header/label as one canonical string: half-width, simplified, no spaces, round brackets."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub("", text).translate(_BRACKETS).translate(_DASHES)
    return to_simplified(text)


def cell_text(value: object) -> str:
    """A cell as text for label matching ('' for empty); numbers print without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()
