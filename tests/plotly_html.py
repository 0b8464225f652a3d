"""The figures inside an exported HTML page, read back as JSON.

Plotly writes each figure as `Plotly.newPlot("chart-1", [data], {layout}, {config})`; whether Chinese is
written as itself or as `\\uXXXX` depends on which JSON encoder is installed (orjson or the standard
library), so tests compare the decoded figure, never the escaped text.
"""

from __future__ import annotations

import json
import re

_CALL = re.compile(r'Plotly\.newPlot\(\s*"([^"]+)",\s*')


def figures_in(page: str) -> dict[str, dict]:
    """div id → {"data", "layout", "config"} for every Plotly.newPlot call in the page."""
    decoder = json.JSONDecoder()
    figures = {}
    for match in _CALL.finditer(page):
        position, parts = match.end(), []
        for _ in ("data", "layout", "config"):
            value, position = decoder.raw_decode(page, position)
            parts.append(value)
            position = re.compile(r"\s*,?\s*").match(page, position).end()
        figures[match.group(1)] = dict(zip(("data", "layout", "config"), parts, strict=True))
    return figures


def title_of(figure: dict) -> str:
    title = figure["layout"].get("title", {})
    return title.get("text", "") if isinstance(title, dict) else str(title)
