"""Collecting the problems found in a file, with a cap so a million bad cells stay readable."""

from __future__ import annotations

from collections import Counter

from metrics.core.record import Issue, Level

# Every issue code the reader can give, with its level and what it means (the README lists these).
ISSUE_CODES: dict[str, tuple[Level, str]] = {
    "not-a-number": ("error", "指标单元格里是文字或百分比,不是数量"),
    "negative-value": ("error", "数量或金额为负数"),
    "fraction-in-count": ("warning", "计数类指标出现小数"),
    "resolved-exceeds-received": ("warning", "办结数多于受理数"),
    "total-mismatch": ("error", "合计/小计行与各行之和不符"),
    "unmapped-column": ("warning", "有数字的列对应不到任何指标"),
    "unmapped-indicator": ("warning", "竖表中的指标名称对应不到任何指标"),
    "unknown-region": ("warning", "无法从单位名称或地区列确定所属地区"),
    "ambiguous-region": ("warning", "地名在多个地方重名,无法确定"),
    "missing-year": ("error", "找不到年度"),
    "missing-agency": ("error", "找不到填报单位"),
    "formula-no-value": ("error", "公式单元格没有保存计算结果"),
    "duplicate-row": ("warning", "与前面某行完全相同,只计一次"),
    "redacted-value": ("warning", "数字被隐去或待填(__)"),
    "missing-unit": ("warning", "销毁物品数量没有计量单位"),
    "text-column": ("warning", "指标列里几乎都是文字"),
    "subitem-column": ("info", "“其中”列不重复计入"),
    "total-only": ("info", "表中只有合计行,按合计行读取"),
    "hidden-sheet": ("info", "隐藏的工作表未读取"),
    "hidden-column": ("info", "隐藏列未读取"),
    "summary-sheet": ("info", "汇总表只用于核对,不重复计入"),
    "no-table": ("warning", "工作表中没有找到数据表"),
    "empty-table": ("error", "只有表头,没有数据行"),
    "bad-override": ("error", "上传页指定的指标不在指标目录中"),
    "header-not-nearest": ("warning", "数字上方最近的一行像表头却未识别,数字按更上方的表头读取"),
    "subitem-group": ("warning", "“其中”下的分列是前一列的一部分,不重复计入"),
    "transposed-table": ("info", "指标在行、单位在列的表,按列读取各单位"),
    "orientation-guessed": ("warning", "表的方向(指标在行还是在列)是推断的"),
    # the roster of expected units (metrics/reading/roster.py)
    "roster-missing-name": ("error", "名单中的一行没有单位名称"),
    "roster-duplicate-unit": ("error", "名单中单位重复"),
    "roster-unknown-region": ("error", "名单中的地区在区划表中找不到"),
    "roster-ambiguous-region": ("error", "名单中的地区有多处重名"),
    "roster-no-region": ("warning", "名单中的单位没有地区,名称中也看不出"),
    "roster-unknown-sector": ("warning", "名单中的系统不在系统列表中"),
    # a reviewer's checks of a unit's return in a collection round (metrics/collection/campaigns.py)
    "missing-metric": ("warning", "报送任务要求的指标没有填报"),
    "big-change": ("warning", "与本单位上年相比相差五倍以上"),
    "template-changed": ("warning", "报表模板的表头被改动,按普通报表识别"),
    "template-marker-invalid": ("warning", "报表模板标记无法使用,按普通报表识别"),
}

MAX_PER_CODE = 50


class IssueSink:
    """Issues in the order found; past MAX_PER_CODE of one code only a count is kept."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.counts: Counter[str] = Counter()

    def add(self, code: str, level: Level, where: str, message: str, value: object = None) -> None:
        if code not in ISSUE_CODES:
            raise KeyError(f"undocumented issue code {code!r}")
        self.counts[code] += 1
        if self.counts[code] <= MAX_PER_CODE:
            self.issues.append(Issue(code, level, where, message, None if value is None else str(value)))

    def finish(self) -> list[Issue]:
        """The issues, plus one line per code that was cut short."""
        out = list(self.issues)
        for code, count in self.counts.items():
            if count > MAX_PER_CODE:
                level = ISSUE_CODES[code][0]
                out.append(
                    Issue(
                        code,
                        level,
                        "(多处)",
                        f"同类问题共 {count} 处,仅列出前 {MAX_PER_CODE} 处:{ISSUE_CODES[code][1]}",
                        str(count),
                    )
                )
        return out
