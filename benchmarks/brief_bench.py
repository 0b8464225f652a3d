"""How fast a 12-chart briefing pack comes out of a million records (issue 4, item 6).

    python benchmarks/brief_bench.py [--rows 1000000] [--db sqlite:///path.db] [--repeat 3]

1. fills a fresh SQLite store with ``python -m metrics demo --rows N`` (skipped when --db already holds
   at least N active records) and loads the in-memory facts once, as the running app has them;
2. times the brief (12 charts: 3 metrics × sector, region, year, agency; KPIs; summary; agency table;
   the first 20,000 records with their cells as written) and each format written from it;
3. the obvious alternative for the numbers: the same 12 breakdowns as GROUP BY queries on SQLite;
4. server PNG rendering of the 12 charts through one browser (metrics.briefing.render) against
   ``fig.write_image`` per chart (a browser started per call), when Chromium is installed.

Target: PPTX and XLSX each ≤ 3 s from a million records. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard_bench import active_records, fill  # noqa: E402

MEASURES = ["events", "materials", "consultations"]
BREAKDOWNS = ["sector", "region", "year", "agency"]


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-render", action="store_true", help="skip the PNG rendering comparison")
    args = parser.parse_args()

    import sqlalchemy as sa

    from metrics.analysis.query import Filters
    from metrics.briefing.brief import build_brief
    from metrics.briefing.office import to_docx, to_pptx, to_xlsx
    from metrics.briefing.packs import to_html
    from metrics.storage.store import Store

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='brief_bench_')) / 'bench.db'}"
    if active_records(url) < args.rows:
        print(f"filling the store with {args.rows:,} demo records: {fill(url, args.rows):.1f} s")
    store = Store(url)
    started = time.perf_counter()
    frame = store.facts().frame
    print(f"records in memory: {len(frame):,} (loaded in {time.perf_counter() - started:.1f} s, once per app)")

    def brief():
        return build_brief(frame, Filters(), measures=MEASURES, breakdowns=BREAKDOWNS, texts=store.record_details)

    seconds, made = timed(brief, args.repeat)
    print(f"brief (12 charts, KPIs, summary, table, 20,000 records): {seconds:.2f} s, {len(made.charts)} charts")
    rows = [("brief", seconds)]
    for name, writer in (("PPTX", to_pptx), ("XLSX", to_xlsx), ("DOCX (no images)", to_docx), ("HTML", to_html)):
        write_seconds, data = timed(lambda writer=writer: writer(made), args.repeat)
        rows.append((name, write_seconds))
        print(
            f"{name:<17} write {write_seconds:.2f} s, brief + write {seconds + write_seconds:.2f} s, "
            f"{len(data) / 1e6:.1f} MB"
        )

    # The obvious alternative for the numbers: the breakdowns as SQL GROUP BY on the store.
    engine = sa.create_engine(url)
    queries = {"sector": "se.text", "region": "g.province", "year": "r.year", "agency": "ag.text"}
    sql = (
        "SELECT {key}, SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
        "JOIN terms m ON m.id = r.metric_id LEFT JOIN terms se ON se.id = r.sector_id "
        "LEFT JOIN terms ag ON ag.id = r.agency_id LEFT JOIN regions g ON g.id = r.region_id "
        "WHERE s.status = 'active' AND m.text = :metric GROUP BY {key}"
    )

    def sql_breakdowns():
        with engine.connect() as conn:
            for metric in MEASURES:
                for key in queries.values():
                    conn.execute(sa.text(sql.format(key=key)), {"metric": metric}).fetchall()

    sql_seconds, _ = timed(sql_breakdowns, 1)
    numbers_seconds, _ = timed(lambda: [c.values for c in brief().charts], 1)
    print(
        f"the 12 breakdowns as SQL GROUP BY: {sql_seconds:.2f} s "
        f"(the whole brief in memory: {numbers_seconds:.2f} s, {sql_seconds / numbers_seconds:.1f}× faster)"
    )
    engine.dispose()

    if not args.no_render:
        from metrics.briefing import render

        status = render.render_status()
        if not status.ok:
            print("PNG rendering skipped: " + ";".join(status.problems))
        else:
            figures = [c.figure() for c in made.charts]
            first, _ = timed(lambda: render.render_images(figures[:1], "png", scale=2), 1)
            shared, _ = timed(lambda: render.render_images(figures, "png", scale=2), 1)
            single, _ = timed(lambda: [f.to_image(format="png", scale=2) for f in figures[:3]], 1)
            per_chart = single / 3
            print(
                f"PNG, one shared browser: {shared:.2f} s for {len(figures)} charts ({shared / len(figures):.2f} s "
                f"each; first call incl. browser start {first:.2f} s)"
            )
            print(
                f"PNG, fig.to_image per chart: {per_chart:.2f} s each → {per_chart * len(figures):.1f} s for "
                f"{len(figures)} ({per_chart * len(figures) / shared:.1f}× slower)"
            )
    store.dispose()


if __name__ == "__main__":
    main()
