"""Every layout fixture is read to the totals worked out by hand in fixtures/layouts/expected.py.

The fixtures are written by fixtures/layouts/make_layouts.py (deterministic, committed).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"


def _load_expected():
    spec = importlib.util.spec_from_file_location("layouts_expected", LAYOUTS / "expected.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPECTED, module.REFUSED


EXPECTED, REFUSED = _load_expected()
FILES = sorted(EXPECTED)

# 'file.xlsx:Sheet1!C7' (the brief) or 'file.xlsx/Sheet1!C7'; a CSV may name a sheet or not.
SOURCE_RE = re.compile(r"^(?P<file>[^:/!]+)[:/](?:(?P<sheet>.+)!)?(?P<col>[A-Z]{1,3})(?P<row>[1-9][0-9]*)$")


def ingest_file(path):
    # imported here so the fixture sanity checks run even before the reader exists
    from metrics.reading.ingest import ingest_file as _ingest

    return _ingest(path)


@cache
def _read(name: str):
    return ingest_file(LAYOUTS / name)


def _none(value):
    """None for a missing value, whether the reader left None or a float NaN in a column."""
    return None if value is None or (isinstance(value, float) and value != value) else value


def _key(rec) -> str:
    return f"{rec.metric}:{rec.unit}" if rec.metric == "destroyed_qty" else rec.metric


def _sums(records) -> dict[str, float]:
    out: dict[str, float] = {}
    for rec in records:
        out[_key(rec)] = out.get(_key(rec), 0.0) + rec.value
    return out


def _assert_sums(actual: dict, expected: dict, what: str) -> None:
    assert set(actual) == set(expected), f"{what}: metrics differ: got {sorted(actual)}, want {sorted(expected)}"
    for metric, value in expected.items():
        assert actual[metric] == pytest.approx(value, rel=1e-9, abs=1e-9), f"{what}: {metric}"


# --------------------------------------------------------------------------- sanity of the fixture set


def test_every_fixture_exists_and_is_listed():
    written = {p.name for p in LAYOUTS.iterdir() if p.suffix in {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}}
    assert written == set(EXPECTED) | set(REFUSED)
    assert len(written) >= 18


def test_expected_is_self_consistent():
    """The per-agency figures typed by hand add up to the file totals typed by hand."""
    for name, exp in EXPECTED.items():
        summed: dict[str, float] = {}
        for metrics in exp["by_agency"].values():
            for metric, value in metrics.items():
                summed[metric] = summed.get(metric, 0) + value
        _assert_sums(summed, exp["totals"], f"{name} by_agency")
        if "by_year" in exp:
            summed = {}
            for metrics in exp["by_year"].values():
                for metric, value in metrics.items():
                    summed[metric] = summed.get(metric, 0) + value
            _assert_sums(summed, exp["totals"], f"{name} by_year")
        assert set(exp["regions"]) <= set(exp["by_agency"]), name


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("name", FILES)
def test_reads(name):
    result = _read(name)
    assert result.ok, result.error
    assert result.records, "no records"


@pytest.mark.parametrize("name", FILES)
def test_totals(name):
    result = _read(name)
    _assert_sums(dict(result.totals()), EXPECTED[name]["totals"], name)


@pytest.mark.parametrize("name", FILES)
def test_by_agency(name):
    result = _read(name)
    expected = EXPECTED[name]["by_agency"]
    agencies = {rec.agency for rec in result.records}
    assert agencies == set(expected)
    for agency, metrics in expected.items():
        _assert_sums(_sums(r for r in result.records if r.agency == agency), metrics, f"{name} {agency}")


@pytest.mark.parametrize("name", [n for n in FILES if "by_year" in EXPECTED[n]])
def test_by_year(name):
    result = _read(name)
    for year, metrics in EXPECTED[name]["by_year"].items():
        _assert_sums(_sums(r for r in result.records if r.year == year), metrics, f"{name} {year}")


@pytest.mark.parametrize("name", FILES)
def test_years(name):
    result = _read(name)
    expected = EXPECTED[name]["years"]
    assert sorted({_none(r.year) for r in result.records} - {None}) == expected
    if expected:
        assert all(_none(r.year) is not None for r in result.records)


@pytest.mark.parametrize("name", FILES)
def test_regions(name):
    result = _read(name)
    exp = EXPECTED[name]
    for agency, adcode in exp["regions"].items():
        codes = {_none(r.adcode) for r in result.records if r.agency == agency}
        assert codes == {adcode}, f"{agency}: {codes}"
    for agency in exp.get("unresolved", []):
        codes = {_none(r.adcode) for r in result.records if r.agency == agency}
        assert codes == {None}, f"{agency} must not be guessed: {codes}"


@pytest.mark.parametrize("name", FILES)
def test_approx(name):
    result = _read(name)
    got = {(r.agency, _key(r), r.approx) for r in result.records if _none(r.approx) is not None}
    assert got == set(EXPECTED[name].get("approx", []))


@pytest.mark.parametrize("name", FILES)
def test_issues(name):
    result = _read(name)
    exp = EXPECTED[name]
    codes = {issue.code for issue in result.issues}
    missing = set(exp["issues"]) - codes
    assert not missing, f"issues not reported: {sorted(missing)}; got {sorted(codes)}"
    forbidden = set(exp["no_issues"]) & codes
    assert not forbidden, f"issues wrongly reported: {[i for i in result.issues if i.code in forbidden]}"
    if not exp["issues"]:
        errors = [i for i in result.issues if i.level == "error"]
        assert not errors, f"clean file gave error-level issues: {errors}"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name):
    result = ingest_file(LAYOUTS / name)
    assert result.ok is False
    assert REFUSED[name] in (result.error or "")
    assert not result.records


# --------------------------------------------------------------------------- provenance


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _as_number(text: str) -> float | None:
    try:
        return float(_norm(text).replace(",", ""))
    except ValueError:
        return None


def _col_index(col: str) -> int:
    index = 0
    for ch in col:
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1


@cache
def _grid(name: str, sheet: str | None) -> list[list]:
    path = LAYOUTS / name
    if path.suffix == ".csv":
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        delimiter = max((",", ";", "\t"), key=text.count)
        return [row for row in csv.reader(text.splitlines(), delimiter=delimiter)]
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    assert sheet in book.sheet_names, f"no sheet {sheet!r} in {name}: {book.sheet_names}"
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def _cell_matches(cell, raw: str) -> bool:
    if cell is None or cell == "":
        return False
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        # a number cell: raw is that number, possibly followed by the unit found elsewhere ('0.38万份')
        m = re.match(r"^[-+]?[\d,]*\.?\d+", _norm(raw))
        if not m or re.search(r"\d", _norm(raw)[m.end() :]):
            return False
        number = _as_number(m.group(0))
        return number is not None and number == pytest.approx(float(cell), rel=1e-9, abs=1e-9)
    text, want = _norm(cell), _norm(raw)
    if text == want:
        return True
    # the reader may append the unit it found elsewhere (单位 column, header): '0.38万份'
    return want.startswith(text) and not re.search(r"\d", want[len(text) :])


@pytest.mark.parametrize("name", FILES)
def test_sources_point_at_the_cells(name):
    result = _read(name)
    ignored = EXPECTED[name].get("ignored", [])
    for rec in result.records:
        assert rec.source, rec
        m = SOURCE_RE.match(rec.source)
        assert m, f"bad source {rec.source!r}"
        assert m["file"] == name, rec.source
        sheet = m["sheet"]
        if sheet is not None and sheet.startswith("'") and sheet.endswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        if not name.endswith(".csv"):
            assert sheet, f"sheet missing in {rec.source!r}"
        where = f"{sheet}!{m['col']}{m['row']}"
        for prefix in ignored:
            assert not where.startswith(prefix), f"read from an ignored cell: {rec.source}"
        grid = _grid(name, sheet)
        row, col = int(m["row"]) - 1, _col_index(m["col"])
        assert row < len(grid) and col < len(grid[row]), f"{rec.source} outside the sheet"
        assert rec.raw is not None, rec
        assert _cell_matches(grid[row][col], rec.raw), f"{rec.source}: cell {grid[row][col]!r} vs raw {rec.raw!r}"
