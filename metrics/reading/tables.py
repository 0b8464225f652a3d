"""Finding the tables on a sheet: header blocks, what each column means, data/total/footer rows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from metrics.core.catalog import Catalog, MetricDef, split_unit
from metrics.core.numbers import multiplier_of, parse_number
from metrics.core.record import cell_ref, object_array
from metrics.core.text import cell_text, normalize_label
from metrics.reading.dimensions import Meta
from metrics.reading.workbook import SheetGrid

HEADER_WINDOW = 120  # rows searched for the first header; later tables are found while scanning

_DIMENSIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern))
    for role, pattern in (
        ("seq", r"序号|编号|序|No\.?|NO\.?|行次"),
        (
            "ignore",
            r"备注|说明|(活动)?地点|活动场所|联系人|联系电话|电话|填表人|负责人|审核人|附件|来源|经办人|地址|具体内容|活动简介|简要情况|情况说明",
        ),
        ("unit", r"(计量)?单位"),  # re-read as agency when the table has no indicator column
        (
            "agency",
            r"(填报|报送|上报|责任|承办|组织|主办|参与|牵头|基层)?单位(名称)?|机构(名称)?|部门(名称)?|网点(名称)?|"
            r"名称|分支机构|各单位|单位/部门|部门/单位|所属单位|支行|分行|填报单位\(盖章\)|"
            # '区消委会', '县(市)区消协', '各支行': a column of reporting units named by their kind
            r".{0,8}(消委会|消协|消保委|市场监管局|市场监督管理局|监管局|分局|支行|分行|营业部|中支|支公司|"
            r"司法所|工商所|市场监管所|烟草专卖局|专卖局|检验检疫局)(名称)?",
        ),
        (
            "region",
            r"(所在|所属)?(地区|区域|地市|城市|省份|省|市|县|区|县区|区县|县市区|县\(市、?区\)|县\(市区\)|"
            r"市\(州\)|市州|辖区|行政区划|乡镇|街道|乡镇\(街道\)|区\(县\)|区县\(市\))(名称)?",
        ),
        ("year", r"(统计)?(年度|年份|年)"),
        ("date", r"(活动)?(日期|时间)|开展时间|举办时间|活动开展时间|日期\(月日\)"),
        ("activity", r"活动(形式|名称|类型|类别|内容|项目|方式|主题名称)|形式|开展形式|宣传形式|活动"),
        ("theme", r"(活动)?主题"),
        ("sector", r"(所属)?(系统|行业|行业类别|单位类型|机构类型|单位性质|所属系统)"),
        (
            "indicator",
            r"(统计)?(指标|项目|指标名称|项目名称|统计指标|统计项目|工作内容|内容|工作项目|类别)|"
            r"指标(代码|编码|编号|ID|id|Id)",
        ),
        ("value", r"数量|数值|数据|完成数|完成情况|工作量|统计数|实际完成|数目"),
    )
)
_YEAR_HEADER = re.compile(r"((?:19|20)\d{2})(年度?)?(数据|数)?")
_FOOTER = re.compile(
    r"^(填表人|填报人|制表人|制表|审核人|审核|负责人|联系人|联系电话|电话|备注|注[:\d一1]|说明|"
    r"填报说明|单位负责人|统计人|报送日期|填报日期|填表日期|领导签字|签字)"
)
_TOTAL = re.compile(
    r"^(.{0,10})(合计|总计|小计|共计|总合计|累计|总数|汇总)(数|数量|值)?[::]?(\(.{0,12}\))?$|"
    r"^(全市|全省|全县|全区|全旗|全州|全盟|全系统|全行|全辖|全局)[::]?$"
)
_SUBITEM = re.compile(r"^其中")
_TITLE_WORDS = re.compile(r"(19|20)\d{2}年|表$|表\(|情况|统计|总结|汇总|一览|3·15|3\.15|315")
_META_LINE = re.compile(r"(填报|报送|填表|统计|上报)(单位|日期|时间|人)|^单位[::]|[::]$|[::].*[::]")
_HEADING = re.compile(r"^([一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)|\d+[、.])")


@dataclass(slots=True)
class Column:
    index: int  # local column index in the grid rows
    label: str  # the header words top-down, joined with '/'
    role: str  # metric, agency, region, year, date, activity, theme, sector,
    # indicator, value, unit, year-value, seq, ignore, ratio, subitem,
    # unmapped, hidden, text
    metric: MetricDef | None = None
    unit: str | None = None
    multiplier: float = 1.0
    year: int | None = None
    year_offset: int | None = None  # 本年 → 0, 上年 → -1: relative to the table's year
    candidates: tuple[str, ...] = ()
    part_of: int | None = None  # a column under a 其中 heading: the column it is a part of (-1: none found)


@dataclass(slots=True)
class Table:
    grid: SheetGrid
    header_rows: list[int]
    columns: list[Column]
    layout: str  # wide, vertical, long, years-across
    data_rows: list[int] = field(default_factory=list)
    total_rows: list[tuple[int, str, int]] = field(default_factory=list)  # (row, label, label col)
    subitem_rows: list[int] = field(default_factory=list)
    group_rows: list[int] = field(default_factory=list)
    stale_headers: list[tuple[int, int]] = field(default_factory=list)  # (row, col) of header-like rows read through
    meta: Meta = field(default_factory=Meta)
    # The rows under the header as a 2-d object array: matrix[k, j] is grid row region_start + k.
    region_start: int = 0
    matrix: np.ndarray | None = None
    floats: dict[int, np.ndarray] = field(default_factory=dict)
    _index: tuple[int, int, np.ndarray | None] | None = None

    def column(self, j: int, rows: list[int]) -> np.ndarray:
        """The cells of column ``j`` in the given grid rows (read-only), as an object array."""
        if self.matrix is None:
            return object_array([self.grid.rows[i][j] for i in rows])
        idx = self._region_index(rows)
        return self.matrix[:, j] if idx is None else self.matrix[idx, j]

    def row_lists(self, rows: list[int]) -> list[list[object]]:
        return [self.grid.rows[i] for i in rows]

    def column_floats(self, j: int, rows: list[int]) -> np.ndarray | None:
        if j not in self.floats or self.matrix is None:
            return None
        idx = self._region_index(rows)
        return self.floats[j] if idx is None else self.floats[j][idx]

    def _region_index(self, rows: list[int]) -> np.ndarray | None:
        """Positions of ``rows`` in the region; None when they are the whole region in order."""
        key = (id(rows), len(rows))
        if self._index is None or self._index[:2] != key:
            n = len(self.matrix) if self.matrix is not None else 0
            whole = len(rows) == n and (
                n == 0 or (rows[0] == self.region_start and rows[-1] == self.region_start + n - 1)
            )
            idx = None if whole else np.asarray(rows, dtype=np.int64) - self.region_start
            self._index = (key[0], key[1], idx)
        return self._index[2]

    def by_role(self, role: str) -> list[Column]:
        return [c for c in self.columns if c.role == role]

    def first(self, role: str) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)

    def where(self, row: int, col: int) -> str:
        return f"{self.grid.name}!{cell_ref(row + self.grid.row0, col + self.grid.col0)}"


# Units that may stand alone in a header row of their own, under the labels: '(场)', '万份', '人 次'.
_UNIT_WORDS = frozenset(
    "场 次 场次 期 批 份 张 册 本 套 件 个 袋 人 人次 名 位 起 宗 条 笔 单 例 家 家次 户 户次 "
    "篇 台 项 副 元 千克 公斤 克 吨 斤 床 支 箱 瓶 盒 包 米 辆 处 所 % ‰".split()
)


def bare_unit(text: str) -> str | None:
    """'(万份)', '万份', '（人 次）', '单位:万元' → that unit text; None for anything else."""
    label = normalize_label(text)
    if label.startswith("(") and label.endswith(")"):
        label = label[1:-1]
    label = re.sub(r"^(计量)?单位[::]?", "", label)
    if not label or len(label) > 4:
        return None
    multiplier, unit = multiplier_of(label)
    if unit in _UNIT_WORDS or (unit is None and multiplier != 1.0):
        return label
    return None


_RELATIVE_YEARS = {
    "本年": 0,
    "今年": 0,
    "本年度": 0,
    "本期": 0,
    "本年数": 0,
    "上年": -1,
    "去年": -1,
    "上年度": -1,
    "上年同期": -1,
    "去年同期": -1,
    "同期": -1,
    "上年数": -1,
}


def dimension_role(label: str) -> str | None:
    """The dimension a header names ('单位名称' → agency), or None for a metric/unknown header."""
    if not label:
        return None
    if label.isascii():
        return _ENGLISH.get(label.lower().replace(" ", "_"))
    for role, pattern in _DIMENSIONS:
        if pattern.fullmatch(label):
            return role
    return None


# Headers of system exports (the CLI's own JSON field names among them).
_ENGLISH = {
    "agency": "agency",
    "unit_name": "agency",
    "organization": "agency",
    "org": "agency",
    "department": "agency",
    "reporter": "agency",
    "region": "region",
    "province": "region",
    "city": "region",
    "district": "region",
    "year": "year",
    "date": "date",
    "activity": "activity",
    "theme": "theme",
    "sector": "sector",
    "metric": "indicator",
    "indicator": "indicator",
    "item": "indicator",
    "metric_id": "indicator",
    "value": "value",
    "amount": "value",
    "count": "value",
    "quantity": "value",
    "unit": "unit",
    "no": "seq",
    "no.": "seq",
    "seq": "seq",
    "id": "seq",
    "remark": "ignore",
    "remarks": "ignore",
    "note": "ignore",
    "notes": "ignore",
    "source": "ignore",
    "raw": "ignore",
    "approx": "ignore",
}


def year_header(value: object) -> int | None:
    """2022, '2022', '2022年', '2022年度' as a column header → 2022."""
    if isinstance(value, float) and value.is_integer() and 1990 <= value <= 2100:
        return int(value)
    if isinstance(value, str):
        found = _YEAR_HEADER.fullmatch(normalize_label(value))
        if found:
            return int(found.group(1))
    return None


def fill_merges(grid: SheetGrid) -> None:
    """Give every cell of a merged range the text of its top-left cell (headers, merged agency cells).

    Numbers are left only in the top-left cell: a merged number is one value, not one per row.
    """
    rows, r_off, c_off = grid.rows, grid.row0, grid.col0
    for r0, c0, r1, c1 in grid.merges:
        lr0, lc0 = r0 - r_off, c0 - c_off
        if not (0 <= lr0 < len(rows)) or lc0 < 0 or lc0 >= len(rows[lr0]):
            continue
        value = rows[lr0][lc0]
        if not isinstance(value, str) or not value.strip():
            continue
        for r in range(max(lr0, 0), min(r1 - r_off + 1, len(rows))):
            row = rows[r]
            for c in range(max(lc0, 0), min(c1 - c_off + 1, len(row))):
                if row[c] == "" or row[c] is None:
                    row[c] = value


def pad_rows(grid: SheetGrid) -> None:
    width = grid.width
    for row in grid.rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))


def _visible_cols(grid: SheetGrid) -> list[int]:
    hidden = {c - grid.col0 for c in grid.hidden_cols}
    return [j for j in range(grid.width) if j not in hidden]


def _is_number_cell(value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(value.strip()) and parse_number(value).kind in ("number", "percent")


def _is_value_cell(value: object) -> bool:
    """A number, or a redacted one ('__80余'): the row is data, and its blank must be reported."""
    return _is_number_cell(value) or (isinstance(value, str) and parse_number(value).kind == "redacted")


def header_score(row: list[object], cols: list[int], catalog: Catalog) -> tuple[int, int, int]:
    """(distinct labels naming a metric or dimension, year headers, number cells) of one row."""
    labels: set[str] = set()
    score = years = numbers = 0
    for j in cols:
        value = row[j]
        if value == "" or value is None:
            continue
        if year_header(value) is not None:
            years += 1
            continue
        if _is_number_cell(value):
            numbers += 1
            continue
        label = normalize_label(cell_text(value))
        if label in labels or len(label) > 40:
            continue
        labels.add(label)
        text, _ = split_unit(label)
        if dimension_role(label) or dimension_role(text):
            score += 1
        else:
            match = match_header(catalog, label)
            if match.metric is not None or match.ratio:
                score += 1
    return score, years, numbers


def is_header_row(row: list[object], cols: list[int], catalog: Catalog) -> bool:
    score, years, numbers = header_score(row, cols, catalog)
    if numbers:
        return False
    return score >= 2 or (score >= 1 and years >= 2)


def row_texts(row: list[object], cols: Iterable[int]) -> list[str]:
    """The distinct non-empty texts of a row, left to right."""
    seen: list[str] = []
    for j in cols:
        text = cell_text(row[j])
        if text and text not in seen:
            seen.append(text)
    return seen


def find_header_block(grid: SheetGrid, start: int, stop: int, catalog: Catalog, cols: list[int]) -> list[int] | None:
    """Rows of the first header block in [start, stop): the header row, rows merged above it, child rows."""
    rows = grid.rows
    stop = min(stop, len(rows))
    found = next((i for i in range(start, stop) if is_header_row(rows[i], cols, catalog)), None)
    if found is None:  # a lone metric column over numbers: '开展活动(场)' with an unlabelled name column
        found = next((i for i in range(start, stop) if is_lone_metric_header(rows, i, cols, catalog)), None)
    for i in [found] if found is not None else []:
        block = [i]
        # Parent rows above whose merges reach down into the header row (two- or three-level headers).
        top = i
        while top - 1 >= start and _merged_into(grid, top - 1, top, cols):
            top -= 1
            block.insert(0, top)
        # Child rows below: text only, mostly header words or repeats of the cell above.
        nxt = i + 1
        while nxt < len(rows) and _is_child_header(rows[nxt], rows[nxt - 1], cols, catalog):
            block.append(nxt)
            nxt += 1
        return block
    return None


def is_lone_metric_header(rows: list[list[object]], i: int, cols: list[int], catalog: Catalog) -> bool:
    """A row with one metric label that states its unit (or stands after a blank row or a heading,
    where a table begins), and a number right under that label."""
    score, years, numbers = header_score(rows[i], cols, catalog)
    if score != 1 or numbers or i + 1 >= len(rows):
        return False
    unit_needed = i > 0 and not after_break(rows, i, cols)
    for j in cols:
        label = normalize_label(cell_text(rows[i][j]))
        if not label or (unit_needed and not split_unit(label)[1]):
            continue
        if match_header(catalog, label).metric is not None:
            below = next((r[j] for r in rows[i + 1 : i + 4] if value_nonempty(r[j])), None)
            return below is not None and _is_number_cell(below)
    return False


def after_break(rows: list[list[object]], i: int, cols: list[int]) -> bool:
    """Whether the row above is blank or a heading ('二、免费检测服务'): where a new table may begin."""
    texts = row_texts(rows[i - 1], cols) if i > 0 else []
    return not texts or is_heading(texts)


def _merged_into(grid: SheetGrid, upper: int, lower: int, cols: list[int]) -> bool:
    """Whether a row is the parent of a header row: a merge spans both rows, or it spans columns under it."""
    texts = row_texts(grid.rows[upper], cols)
    if not texts or any(_META_LINE.search(normalize_label(t)) for t in texts):
        return False
    if len(texts) == 1 and _is_title(grid, upper, lower, cols, texts[0]):
        return False
    r_up, r_low = upper + grid.row0, lower + grid.row0
    width = len(cols)
    for r0, c0, r1, c1 in grid.merges:
        if r0 <= r_up and r1 >= r_low:
            return True
        if r0 == r_up and r1 == r_up and 1 <= c1 - c0 < width - 1:
            return True
    return False


def _is_title(grid: SheetGrid, upper: int, lower: int, cols: list[int], text: str) -> bool:
    """A lone text above a header is its title, not a parent label, when it reads like one
    ('…统计表', a year) or sits over the table's label column ('单位名称')."""
    label = normalize_label(text)
    if _TITLE_WORDS.search(label):
        return True
    first = next((j for j in cols if value_nonempty(grid.rows[upper][j])), None)
    if first is None or first != cols[0]:
        return False
    below = normalize_label(cell_text(grid.rows[lower][first]))
    return dimension_role(below) is not None


def _is_child_header(row: list[object], above: list[object], cols: list[int], catalog: Catalog) -> bool:
    texts = 0
    header_like = 0
    for j in cols:
        value = row[j]
        if value == "" or value is None:
            continue
        if value.__class__ is float or (_is_number_cell(value) and year_header(value) is None):
            return False  # a number under a header is data, even one that looks like a year (1990 场)
        texts += 1
        label = normalize_label(cell_text(value))
        if (
            value == above[j]
            or dimension_role(label)
            or dimension_role(split_unit(label)[0])
            or year_header(value) is not None
            or _SUBITEM.match(label)
            or bare_unit(label)
        ):
            header_like += 1
            continue
        match = match_header(catalog, label)
        if match.metric is not None or match.ratio:
            header_like += 1
    return (
        texts > 0
        and header_like * 2 >= texts
        and header_like > 0
        and any(value != above[j] for j in cols if value_nonempty(value := row[j]))
    )


def value_nonempty(value: object) -> bool:
    return not (value == "" or value is None)


def build_columns(
    grid: SheetGrid, block: list[int], catalog: Catalog, meta_unit: str | None
) -> tuple[list[Column], str]:
    """What each column of a header block means, and the table's layout."""
    hidden = {c - grid.col0 for c in grid.hidden_cols}
    columns: list[Column] = []
    for j in range(grid.width):
        parts: list[str] = []
        for i in block:
            text = cell_text(grid.rows[i][j])
            if text and bare_unit(text) and not text.strip().startswith(("(", "(")):
                text = f"({text.strip()})"  # a unit row under the labels: '万份' reads as '(万份)'
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        label = "/".join(parts)
        if j in hidden:
            columns.append(Column(j, label, "hidden"))
            continue
        columns.append(_column_from_parts(j, parts, catalog, columns))
    roles = {c.role for c in columns}
    if "indicator" in roles and "year-value" in roles:
        layout = "years-across"
    elif "indicator" in roles and ("value" in roles or "metric" not in roles):
        layout = "long" if ("agency" in roles or "year" in roles) else "vertical"
        if "value" not in roles:  # 指标 | 2024 … without a value column: take the first unmapped numeric column
            for col in columns:
                if col.role in ("unmapped",):
                    col.role = "value"
                    break
    else:
        layout = "wide"
    if layout == "wide" and not any(c.role in ("agency", "region", "activity", "indicator") for c in columns):
        unnamed = next((c for c in columns if c.role == "unmapped" and not c.label), None)
        if unnamed is not None and _holds_names(grid, block, unnamed.index):
            unnamed.role = "agency"  # the names of the reporting units, under an empty header cell
    for col in columns:
        if col.role == "unit" and not _holds_units(grid, block, col.index):
            col.role = "agency" if not any(c.role == "agency" for c in columns) else "ignore"
        elif col.role == "unit" and "indicator" not in roles and "value" not in roles:
            col.role = "ignore"
        if col.role == "year-value" and layout != "years-across":
            col.role = "unmapped"
        if col.role == "metric" and col.unit is None and meta_unit:
            multiplier, unit = multiplier_of(meta_unit)
            if (
                col.metric is not None
                and unit is not None
                and col.metric.accepts_unit(unit)
                and (col.metric.is_money == (unit == "元"))
            ):
                col.multiplier, col.unit = multiplier, unit
    return columns, layout


def _holds_units(grid: SheetGrid, block: list[int], j: int) -> bool:
    """Whether the column under a '单位' header holds units (份, 万元) rather than agency names."""
    below = [cell_text(row[j]) for row in grid.rows[block[-1] + 1 : block[-1] + 31]]
    below = [t for t in below if t]
    return bool(below) and sum(bool(bare_unit(t)) for t in below) * 2 >= len(below)


def _holds_names(grid: SheetGrid, block: list[int], j: int) -> bool:
    """Whether the column under an empty header holds text names rather than numbers."""
    below = [row[j] for row in grid.rows[block[-1] + 1 : block[-1] + 31] if value_nonempty(row[j])]
    return bool(below) and sum(isinstance(v, str) and not _is_number_cell(v) for v in below) * 2 > len(below)


def _column_from_parts(j: int, parts: list[str], catalog: Catalog, previous: list[Column]) -> Column:
    label = "/".join(parts)
    if not parts:
        return Column(j, label, "unmapped")
    normalized = [normalize_label(p) for p in parts]
    leaf = normalized[-1]
    year = year_header(parts[-1])
    if year is not None:
        return Column(j, label, "year-value", year=year)
    offset = _RELATIVE_YEARS.get(normalize_label(parts[-1]))
    if offset is not None:
        return Column(j, label, "year-value", year_offset=offset)
    for text in (leaf, split_unit(leaf)[0], *reversed(normalized[:-1])):
        role = dimension_role(text)
        if role == "value" and len(normalized) > 1:
            # '宣传资料' over '数量(份)': the parent names the metric, the leaf only says "how many"
            leaf_unit = split_unit(leaf)[1]
            parent_text = "".join(split_unit(p)[0] for p in normalized[:-1])
            parent_match = catalog.match_label(parent_text + (f"({leaf_unit})" if leaf_unit else ""))
            if parent_match.metric is not None:
                return Column(
                    j,
                    label,
                    "metric",
                    metric=parent_match.metric,
                    unit=parent_match.unit,
                    multiplier=parent_match.multiplier,
                )
        if role:
            return Column(j, label, role)
    if any(_SUBITEM.match(p) for p in normalized[:-1]) and not _SUBITEM.match(leaf):
        # '受理投诉 | 其中 (merged over) 网购 | 食品': the parts of the column before the 其中
        owner = next((c for c in reversed(previous) if c.role == "metric" and c.part_of is None), None)
        return Column(j, label, "subitem", metric=owner.metric if owner else None, part_of=owner.index if owner else -1)
    parent = "".join(split_unit(p)[0] for p in normalized[:-1])
    subitem = bool(_SUBITEM.match(leaf))
    leaf_text = _SUBITEM.sub("", leaf).lstrip(":")
    if _NAMES_THINGS.search(leaf_text) and not split_unit(leaf_text)[1]:
        return Column(j, label, "text")  # '检测项目', '销毁物品名称': the names of things, not a count
    match = match_header(catalog, leaf_text, parent)
    if match.ratio:
        return Column(j, label, "ratio", unit=match.unit)
    if match.metric is None:
        if subitem:
            return Column(j, label, "subitem")
        return Column(j, label, "unmapped", unit=match.unit, multiplier=match.multiplier, candidates=match.candidates)
    if subitem:
        before = next((c for c in reversed(previous) if c.role in ("metric", "subitem")), None)
        if before is None or before.metric is match.metric:
            return Column(j, label, "subitem", metric=match.metric)
    unit = match.unit if match.unit is not None else None
    return Column(j, label, "metric", metric=match.metric, unit=unit, multiplier=match.multiplier)


_NAMES_THINGS = re.compile(r"(项目|名称|品名|品种|种类|类别)$")


def match_header(catalog: Catalog, label: str, parent: str = ""):
    """``catalog.match_label``, also for a unit written as alternatives: '检测数量(台/件)' is tests when
    every alternative that names a unit of a metric names the same one."""
    match = catalog.match_label(label, parent)
    if match.metric is not None or match.ratio:
        return match
    text, unit = split_unit(normalize_label(label))
    parts = [u for u in re.split(r"[/、,]", unit) if u] if unit else []
    if len(parts) < 2:
        return match
    found = [(m, m.metric) for u in parts if (m := catalog.match_label(f"{text}({u})", parent)).metric is not None]
    if found and len({metric.id for _, metric in found}) == 1:
        return next((m for m, metric in found if m.unit == metric.unit), found[0][0])
    return match


# ---- tables turned on their side: metrics down the side, one column per unit -------------------


def find_transposed(
    grid: SheetGrid, start: int, stop: int, catalog: Catalog, cols: list[int]
) -> tuple[int, int] | None:
    """(header row, label column) of a table whose rows are metrics and whose columns are units
    ('项目 | 城关镇 | 东关街道 | 合计' over '发放宣传资料(份) | 1200 | 800 | 2000'), or None."""
    rows = grid.rows
    for i in range(start, min(stop, len(rows) - 1)):
        label_col = _metric_label_col(rows[i + 1], cols, catalog)
        if label_col is None:
            continue
        head = rows[i]
        names = [j for j in cols if j > label_col and value_nonempty(head[j])]
        kinds = [_name_header_kind(head[j], catalog) for j in names]
        names = [j for j, k in zip(names, kinds) if k != "ignore"]
        kinds = [k for k in kinds if k != "ignore"]
        if not names or None in kinds or "name" not in kinds:
            continue
        value_cols = [j for j, k in zip(names, kinds) if k == "name"]
        hits = sum(
            1 for row in rows[i + 1 : i + 31] if _metric_label_col(row, [label_col, *value_cols], catalog) == label_col
        )
        if hits >= 2 or (hits == 1 and len(rows) - i <= 3):
            return i, label_col
    return None


def _metric_label_col(row: list[object], cols: list[int], catalog: Catalog) -> int | None:
    """The first column holding a metric's name with a number somewhere to its right."""
    for k, j in enumerate(cols):
        value = row[j]
        if value.__class__ is not str or not value.strip() or _is_number_cell(value):
            continue
        if match_header(catalog, normalize_label(value)).metric is None:
            return None
        return j if any(_is_number_cell(row[c]) for c in cols[k + 1 :]) else None
    return None


def _name_header_kind(value: object, catalog: Catalog) -> str | None:
    """'name' for a unit's name over a column ('城关镇', '城区市场监管所'), 'total' for 合计, 'unit'
    for a 单位 column; None for anything a header of metrics or years would hold."""
    if value.__class__ is not str or _is_number_cell(value) or year_header(value) is not None:
        return None
    label = normalize_label(value)
    if total_label(label):
        return "total"
    role = dimension_role(label)
    if role in ("unit", "ignore"):
        return role  # a 单位 column (份, 人次); 备注 / 说明
    if label in _RELATIVE_YEARS or role not in (None, "agency", "region"):
        return None
    match = match_header(catalog, label)
    return None if match.metric is not None or match.ratio or bare_unit(label) else "name"


def transposed_columns(grid: SheetGrid, header: int, label_col: int, catalog: Catalog) -> list[Column]:
    hidden = {c - grid.col0 for c in grid.hidden_cols}
    columns = []
    for j in range(grid.width):
        label = cell_text(grid.rows[header][j])
        if j in hidden:
            columns.append(Column(j, label, "hidden"))
        elif j == label_col:
            columns.append(Column(j, label, "indicator"))
        elif j < label_col or not label:
            columns.append(Column(j, label, "ignore" if j < label_col else "unmapped"))
        else:
            kind = _name_header_kind(grid.rows[header][j], catalog)
            role = {"name": "unit-value", "total": "total-value", "unit": "unit", "ignore": "ignore"}.get(
                kind or "", "unmapped"
            )
            if role == "unit" and not _holds_units(grid, [header], j):
                role = "ignore"
            columns.append(Column(j, label, role))
    return columns


def is_footer(texts: list[str]) -> bool:
    return bool(texts) and bool(_FOOTER.match(normalize_label(texts[0])))


def total_label(value: object) -> str | None:
    """'合计', '全市合计', '小 计' → the label; None for an ordinary row label."""
    if not isinstance(value, str) or not value:
        return None
    if not any(ch in value for ch in "计計总總全"):
        return None
    label = normalize_label(value)
    return label if _TOTAL.match(label) else None


def is_heading(texts: list[str]) -> bool:
    return len(texts) == 1 and bool(_HEADING.match(normalize_label(texts[0])))
