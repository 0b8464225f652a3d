"""Briefing packs reopened as a reader's software would, their numbers checked against plain SQL on the store.

The SQL below is written independently of metrics/storage/facts.py, query.py and brief.py: it joins the
narrow records table to its terms the long way and sums, as an auditor would.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from metrics.analysis.query import Filters
from metrics.briefing.brief import BREAKDOWNS, TOP, build_brief
from metrics.briefing.draft import draft_summary
from metrics.briefing.office import EAST_ASIAN_FONT, NUMBER_FORMAT, display_table, to_docx, to_pptx, to_xlsx
from metrics.briefing.packs import to_html
from metrics.cli import main
from metrics.core.fmt import format_metric
from metrics.storage.demo import generate_returns
from metrics.storage.store import Store
from tests.plotly_html import figures_in, title_of

MEASURES = ["events", "materials", "complaints_received"]
YEAR = 2024

_SUMS = """
SELECT {key} AS key, SUM(r.value) AS total
FROM records r
JOIN submissions s ON s.id = r.submission_id
JOIN terms m ON m.id = r.metric_id
LEFT JOIN terms se ON se.id = r.sector_id
LEFT JOIN terms ag ON ag.id = r.agency_id
LEFT JOIN regions g ON g.id = r.region_id
WHERE s.status = 'active' AND m.text = ? {where}
GROUP BY {key}
"""
_KEYS = {"sector": "se.text", "agency": "ag.text", "province": "g.province", "city": "g.city", "year": "r.year"}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("brief") / "store.db"
    store = Store(f"sqlite:///{path}")
    store.import_many(((r.result, r.data) for r in generate_returns(6000, seed=7)), who="test")
    store.dispose()
    return path


@pytest.fixture(scope="module")
def store(db):
    store = Store(f"sqlite:///{db}")
    yield store
    store.dispose()


def sql_sums(db: Path, metric: str, key: str, where: str = "", params: tuple = ()) -> dict:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(_SUMS.format(key=_KEYS[key], where=where), (metric, *params)).fetchall()
    return {("" if k is None else str(k)): v for k, v in rows}


def sql_agencies(db: Path, where: str = "", params: tuple = ()) -> set[int]:
    """Agencies with any active record in the scope."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT DISTINCT r.agency_id FROM records r JOIN submissions s ON s.id = r.submission_id "
            "LEFT JOIN regions g ON g.id = r.region_id WHERE s.status = 'active' "
            f"AND r.agency_id IS NOT NULL {where}",
            params,
        ).fetchall()
    return {a for (a,) in rows}


def province_of(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT g.province FROM records r JOIN regions g ON g.id = r.region_id "
            "GROUP BY g.province ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]


def expected_chart(sums: dict, top: int = TOP) -> tuple[list[float], float]:
    """The values a ranking shows (largest first) and its total."""
    values = sorted(sums.values(), reverse=True)
    return values, sum(values)


def check_ranking(categories: list[str], values: list[float], sums: dict) -> None:
    """Listed bars equal the SQL sums of their categories; a 其他 bar holds exactly the rest."""
    expected, total = expected_chart(sums)
    assert sum(values) == pytest.approx(total)
    named = [(c, v) for c, v in zip(categories, values) if not c.startswith("其他(")]
    for category, value in named:
        assert value == pytest.approx(sums[category]), category
    assert [v for _, v in named] == pytest.approx(expected[: len(named)])  # the largest, in order
    if len(named) < len(categories):
        assert len(categories) == TOP and categories[-1] == f"其他({len(sums) - (TOP - 1)}项)"


@pytest.fixture(scope="module")
def scope(db) -> Filters:
    return Filters(year=(YEAR,), province=province_of(db))


@pytest.fixture(scope="module")
def brief(store, scope):
    return build_brief(store.facts().frame, scope, measures=MEASURES, breakdowns=BREAKDOWNS, texts=store.record_details)


def scope_where(scope: Filters) -> tuple[str, tuple]:
    return "AND r.year = ? AND g.province = ?", (YEAR, scope.province)


def test_brief_charts_equal_sql(db, brief, scope):
    where, params = scope_where(scope)
    assert len(brief.charts) == len(MEASURES) * len(BREAKDOWNS)
    for data in brief.charts:
        key = data.breakdown
        if key in ("theme", "activity"):
            continue
        sums = sql_sums(db, data.measure.metric, key, where, params)
        if key == "year":  # the scope's history: every year of the province, not just the chosen one
            history = sql_sums(db, data.measure.metric, "year", "AND g.province = ?", (scope.province,))
            assert list(data.categories) == sorted(history) and str(YEAR) in data.categories
            assert list(data.values) == pytest.approx([history[y] for y in sorted(history)])
        else:
            check_ranking(list(data.categories), list(data.values), sums)


def test_pptx_native_editable_charts_equal_sql(db, brief, scope):
    deck = Presentation(io.BytesIO(to_pptx(brief)))
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000)  # 16:9, 13.333 × 7.5 in
    slides = list(deck.slides)
    charted = [shape for slide in slides for shape in slide.shapes if shape.has_chart]
    # title, summary, KPIs, the charts, the map (its own tests: test_briefing_maps.py), the agency table
    assert brief.map is not None
    assert len(charted) == len(brief.charts) and len(slides) == 3 + len(brief.charts) + 1 + 1
    where, params = scope_where(scope)
    for shape, data in zip(charted, brief.charts):
        chart = shape.chart
        expected_type = XL_CHART_TYPE.LINE_MARKERS if data.breakdown == "year" else XL_CHART_TYPE.BAR_CLUSTERED
        assert chart.chart_type == expected_type
        assert chart.part.chart_workbook.xlsx_part is not None  # data editable in PowerPoint / WPS
        categories = [str(c) for c in chart.plots[0].categories]
        values = list(chart.plots[0].series[0].values)
        assert categories == list(data.categories) and values == pytest.approx(list(data.values))
        if data.breakdown in _KEYS and data.breakdown != "year":
            check_ranking(categories, values, sql_sums(db, data.measure.metric, data.breakdown, where, params))
        assert chart.plots[0].data_labels.number_format == NUMBER_FORMAT
    # Chinese font named for East Asian text on every run of every slide.
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    runs = [r for slide in slides for r in slide.shapes._spTree.iter(f"{ns}rPr")]
    assert runs and all(
        r.find(f"{ns}ea") is not None and r.find(f"{ns}ea").get("typeface") == EAST_ASIAN_FONT for r in runs
    )
    texts = " ".join(s.text_frame.text for slide in slides for s in slide.shapes if s.has_text_frame)
    assert brief.title in texts and brief.summary in texts


def test_pptx_kpi_slide_and_table_slide(brief, db, scope):
    deck = Presentation(io.BytesIO(to_pptx(brief)))
    slides = list(deck.slides)
    kpi_text = " ".join(s.text_frame.text for s in slides[2].shapes if s.has_text_frame)
    where, params = scope_where(scope)
    for metric in MEASURES:
        total = sum(sql_sums(db, metric, "year", where, params).values())
        tile = next(k for k in brief.kpis if k.measure.metric == metric)
        assert tile.value == pytest.approx(total)
        assert format_metric(total, tile.measure.unit) in kpi_text
    table = next(s for s in slides[-1].shapes if s.has_table).table
    last = [table.cell(len(table.rows) - 1, c).text for c in range(len(table.columns))]
    assert last[0] == "合计"
    events = sum(sql_sums(db, "events", "year", where, params).values())
    assert last[1] == format_metric(events, "").rstrip()  # the table's unit is in its header


def _series_values(book, ref: str) -> list:
    sheet_name, cells = ref.rsplit("!", 1)
    sheet = book[sheet_name.strip("'")]
    rows = sheet[cells.replace("$", "")]
    if not isinstance(rows, tuple):  # a one-cell range comes back as the cell
        return [rows.value]
    return [row[0].value for row in rows]


def test_xlsx_native_charts_equal_sql(db, brief, scope):
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(brief)))
    assert book.sheetnames[0] == "概况" and book.sheetnames[-2:] == ["各单位", "明细"]
    where, params = scope_where(scope)
    found = 0
    for name in ("按系统", "按地区", "历年对比", "按单位"):
        sheet = book[name]
        charts = sheet._charts
        assert len(charts) == len(MEASURES)
        for chart, metric in zip(charts, MEASURES):
            series = chart.series[0]
            categories = [
                str(v) for v in _series_values(book, series.cat.strRef.f if series.cat.strRef else series.cat.numRef.f)
            ]
            values = _series_values(book, series.val.numRef.f)
            assert all(isinstance(v, (int, float)) for v in values)  # numbers, not text
            if name == "历年对比":
                history = sql_sums(db, metric, "year", "AND g.province = ?", (scope.province,))
                assert chart.tagname == "lineChart" and categories == sorted(history)
                assert values == pytest.approx([history[y] for y in sorted(history)])
            else:
                assert chart.tagname == "barChart" and chart.barDir == "bar"
                key = {"按系统": "sector", "按地区": "city", "按单位": "agency"}[name]
                check_ranking(categories, values, sql_sums(db, metric, key, where, params))
            found += 1
    assert found == 4 * len(MEASURES)
    records = book["明细"]
    assert records.max_row - 1 == min(brief.record_count, len(brief.records))
    header = [c.value for c in records[1]]
    assert header[-1] == "来源单元格" and "!" in records.cell(2, len(header)).value
    assert records.cell(2, header.index("年度") + 1).data_type == "n"  # years and values stay numbers
    assert records.cell(2, header.index("数值") + 1).data_type == "n"


def test_xlsx_strings_are_never_formulas(store):
    frame = store.facts().frame
    brief = build_brief(
        frame, Filters(), measures=["events"], breakdowns=["sector"], title='=HYPERLINK("x")', summary="+1 @SUM(A1)"
    )
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(brief)))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    formulas = [c for c in cells if c.data_type == "f"]
    assert all(c.value.startswith("=SUM(B") for c in formulas)  # only the totals the pack itself writes
    assert book["概况"]["A1"].value == '=HYPERLINK("x")' and book["概况"]["A1"].data_type == "s"


def test_docx_has_headings_summary_tables(brief):
    document = Document(io.BytesIO(to_docx(brief)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert brief.title in text and brief.summary in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["一、总体情况", "二、主要指标", "三、分项情况"] and headings[-1] == "五、各单位情况"
    assert "四、地区分布" in headings  # the map's chapter (test_briefing_maps.py) comes before the agencies
    assert len(document.tables) == 1 + len(brief.charts) + 1 + 1
    for table, data in zip(document.tables[1:], brief.charts):
        assert [r.cells[0].text for r in table.rows][1:-1] == list(data.categories)
        assert table.rows[-1].cells[1].text == format_metric(data.total, data.unit)
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"


def _png(width: int = 1600, height: int = 900) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_docx_is_an_a4_gongwen_with_font_fallbacks(brief):
    """A4 with GB/T 9704 margins; 方正小标宋简体 title, 黑体 / 楷体_GB2312 headings, 仿宋_GB2312 body, each with
    a fallback named in the font table for machines without it."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    document = Document(io.BytesIO(to_docx(brief, images=[_png()] * len(brief.charts))))
    section = document.sections[0]
    assert (round(section.page_width.cm, 2), round(section.page_height.cm, 2)) == (21.0, 29.7)  # not US Letter
    assert [
        round(m.cm, 2) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ] == [3.7, 3.5, 2.8, 2.6]
    text_width = section.page_width - section.left_margin - section.right_margin
    shapes = document.inline_shapes
    assert len(shapes) == len(brief.charts) and all(shape.width <= text_width for shape in shapes)
    fonts = {
        name: (document.styles[name].element.rPr.rFonts.get(f"{w}eastAsia"), document.styles[name].font.size.pt)
        for name in ("Title", "Heading 1", "Heading 2", "Normal")
    }
    assert fonts == {
        "Title": ("方正小标宋简体", 22),
        "Heading 1": ("黑体", 16),
        "Heading 2": ("楷体_GB2312", 16),
        "Normal": ("仿宋_GB2312", 16),
    }
    assert document.styles["Normal"].element.rPr.rFonts.get(f"{w}ascii") == "Times New Roman"
    table = next(rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.FONT_TABLE)
    declared = {
        node.get(f"{w}name"): node.find(f"{w}altName").get(f"{w}val")
        for node in etree.fromstring(table.blob).findall(f"{w}font")
        if node.find(f"{w}altName") is not None
    }
    assert declared == {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "方正小标宋简体": "宋体", "黑体": "SimHei"}
    title = next(p for p in document.paragraphs if p.style.name == "Title")
    assert title.text == brief.title and title.alignment == 1  # centred


def test_html_holds_every_chart_offline(brief):
    page = to_html(brief).decode("utf-8")
    assert page.count('class="plotly-graph-div"') == len(brief.charts) + 1  # and the map
    assert "<script src=" not in page and "<link" not in page  # nothing fetched: plotly.js is inline
    titles = [title_of(figure) for figure in figures_in(page).values()]
    assert titles == [data.title for data in brief.charts] + [brief.map_title]  # decoded: Chinese may be \uXXXX


def test_summary_numbers_equal_sql(db, store, scope):
    draft = draft_summary(store.facts().frame, scope)
    where, params = scope_where(scope)
    before = (YEAR - 1, scope.province)
    stated = {n.measure: n for n in draft.numbers}
    assert "events" in stated and "complaints_received" in stated
    for key, number in stated.items():
        assert number.text in draft.text
        metric, _, kind = key.partition("@")
        if metric == "resolution_rate":
            received = sum(sql_sums(db, "complaints_received", "year", where, params).values())
            resolved = sum(sql_sums(db, "complaints_resolved", "year", where, params).values())
            assert number.value == pytest.approx(resolved / received * 100)
            assert number.text == f"{resolved / received * 100:.1f}%"
            continue
        metric = metric.partition(":")[0]
        now = sum(sql_sums(db, metric, "year", where, params).values())
        if kind == "change":  # like-for-like: only the agencies that reported both years
            both = sql_agencies(db, where, params) & sql_agencies(db, where, before)
            same = f" AND r.agency_id IN ({','.join(map(str, both))})"
            now_same = sum(sql_sums(db, metric, "year", where + same, params).values())
            then_same = sum(sql_sums(db, metric, "year", where + same, before).values())
            assert number.value == pytest.approx((now_same - then_same) / then_same * 100)
        elif ":" not in key:
            assert number.value == pytest.approx(now)
            assert number.text == format_metric(now, number.text.lstrip("0123456789.万亿,")).replace(",", "")
    # No number in the paragraph that is not one of the traced numbers (years and 3·15 aside).
    body = draft.text.split("。", 1)[1]
    written = re.findall(r"\d+(?:\.\d+)?(?:万亿|万|亿)?", body)
    traced = " ".join(n.text for n in draft.numbers)
    assert written and all(w in traced for w in written)
    assert f"{YEAR}年“3·15”期间,{scope.province}" in draft.text


def test_display_table_keeps_the_total(brief):
    shown = display_table(brief.table, limit=5)
    assert shown.iloc[-1, 0] == "合计" and shown.iloc[-2, 0].startswith("其他(")
    body = brief.table.iloc[:-1, 1]
    assert shown.iloc[:-1, 1].sum() == pytest.approx(body.sum())


def test_cli_brief_writes_each_format(tmp_path, db, capsys):
    url = f"sqlite:///{db}"
    for ext in (".pptx", ".xlsx", ".docx", ".html"):
        out = tmp_path / f"简报{ext}"
        code = main(["brief", "--db", url, "--year", str(YEAR), "--out", str(out)])
        assert code == 0 and out.stat().st_size > 1000
    Presentation(str(tmp_path / "简报.pptx"))
    assert "张图表" in capsys.readouterr().out


def test_cli_brief_refuses_bad_scope_and_extension(tmp_path, db, capsys):
    url = f"sqlite:///{db}"
    assert main(["brief", "--db", url, "--out", str(tmp_path / "x.pdf")]) == 2
    assert "扩展名" in capsys.readouterr().err
    assert main(["brief", "--db", url, "--province", "火星省", "--out", str(tmp_path / "x.pptx")]) == 1
    assert "火星省" in capsys.readouterr().err and not (tmp_path / "x.pptx").exists()
    assert main(["brief", "--db", url, "--metric", "nonsense", "--out", str(tmp_path / "x.pptx")]) == 1
    assert "nonsense" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice 未安装:跳过 PPTX→PDF 转换检查")
def test_libreoffice_opens_pptx_with_chinese_text(tmp_path, brief):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils 未安装:无法读取 PDF 文字")
    path = tmp_path / "brief.pptx"
    path.write_bytes(to_pptx(brief))
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "brief.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = "".join(text.split())  # pdftotext spaces CJK from digits and splits lines: compare without blanks
    assert "主要指标" in flat and "总体情况" in flat
    assert "".join(brief.charts[0].title.split(" · ")[0].split()) in flat
    # The chart's 万 number format survives LibreOffice: a bar of 12,345 reads 1.2万, never 12!.3.
    assert "!" not in text
    big = [v for c in brief.charts for v in c.values if v >= 10_000]
    if big:
        assert "万" in text


def test_odd_names_neither_break_nor_inject_any_format(store):
    """A control character (XML forbids it) or markup in an agency name, a summary pasted from elsewhere."""
    frame = store.facts().frame.copy()
    names = list(frame["agency"].cat.categories)
    names[0] = "坏\x01名<script>alert(1)</script>=1+1"
    frame["agency"] = frame["agency"].cat.rename_categories(names)
    brief = build_brief(
        frame,
        Filters(agency=(names[0],)),
        measures=None,
        breakdowns=["agency"],
        summary="摘要\x0b<b>粗</b>",
        title="=标题\x02",
    )
    assert brief.charts and brief.charts[0].categories == ("坏名<script>alert(1)</script>=1+1",)
    deck = Presentation(io.BytesIO(to_pptx(brief)))
    assert any(
        "坏名<script>" in str(c)
        for s in deck.slides
        for sh in s.shapes
        if sh.has_chart
        for c in sh.chart.plots[0].categories
    )
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(brief)))
    assert book["概况"]["A1"].value == "=标题" and book["概况"]["A1"].data_type == "s"
    assert "摘要<b>粗</b>" in "\n".join(p.text for p in Document(io.BytesIO(to_docx(brief))).paragraphs)
    page = to_html(brief).decode("utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page and "<b>粗" not in page
