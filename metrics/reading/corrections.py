"""Helpers for reviewing an upload before it is stored: the columns read, and corrections from a form."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from metrics.core.catalog import Catalog, default_catalog
from metrics.core.record import FileResult, col_letter
from metrics.reading.ingest import Overrides

_WHERE_COLUMN = re.compile(r"!\$?([A-Z]{1,3})\$?\d+$")


@dataclass(frozen=True)
class ReadColumn:
    """A column the reader took numbers from, or one with numbers it could not map."""

    letter: str
    label: str  # header text when known (unmapped columns), else the metric's name
    metric: str | None  # metric id read from it; None when unmapped


def read_columns(result: FileResult, catalog: Catalog | None = None) -> list[ReadColumn]:
    """Columns by letter: what each was read as, then the unmapped ones the issues name."""
    catalog = catalog or default_catalog()
    seen: dict[str, Counter] = {}
    batch = result.batch
    if len(batch):
        for col, metric in zip(batch.column("col").tolist(), batch.column("metric").tolist()):
            seen.setdefault(col_letter(int(col)), Counter())[metric] += 1
    out = [ReadColumn(letter, catalog[m.most_common(1)[0][0]].zh, m.most_common(1)[0][0]) for letter, m in seen.items()]
    for issue in result.issues:
        if issue.code == "unmapped-column" and (match := _WHERE_COLUMN.search(issue.where)):
            letter = match.group(1)
            if letter not in seen and all(c.letter != letter for c in out):
                out.append(ReadColumn(letter, issue.value or "", None))
    return sorted(out, key=lambda c: (len(c.letter), c.letter))


def parse_header_rows(text: str) -> tuple[int, ...] | None:
    """'3,4' or '3-4' → (3, 4); '' → None; anything else raises ValueError with a Chinese message."""
    text = (text or "").strip().replace(",", ",").replace("、", ",").replace("~", "-").replace("—", "-")
    if not text:
        return None
    rows: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if re.fullmatch(r"\d+-\d+", part):
            start, end = map(int, part.split("-"))
            if not 1 <= start <= end <= start + 10:
                raise ValueError(f"表头行“{part}”不对:应为从小到大、不超过 10 行的行号范围")
            rows.extend(range(start, end + 1))
        elif part.isdigit() and int(part) >= 1:
            rows.append(int(part))
        else:
            raise ValueError(f"表头行“{part}”不是行号;请写成 3 或 3,4 或 3-4")
    return tuple(sorted(set(rows)))


def corrected(
    current: Overrides,
    *,
    agency: str = "",
    sector: str = "",
    region: str = "",
    year: int | None = None,
    theme: str = "",
    sheet: str = "",
    header_rows: str = "",
    columns: dict[str, str] | None = None,
) -> Overrides:
    """Overrides from the correction form: blank fields mean 'as read'."""
    return Overrides(
        sheet=sheet or None,
        header_rows=parse_header_rows(header_rows),
        columns=dict(columns or current.columns),
        agency=agency.strip() or None,
        sector=sector.strip() or None,
        region=region.strip() or None,
        year=year or None,
        theme=theme.strip() or None,
    )
