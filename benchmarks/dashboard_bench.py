"""How fast the dashboard is with a million records in the store (issue 3, item 9).

    python benchmarks/dashboard_bench.py [--rows 1000000] [--db sqlite:///path.db]

1. fills a fresh SQLite store with ``python -m metrics demo --rows N`` (skipped when --db already holds
   at least N active records);
2. in a fresh process, drives the real app with Streamlit's AppTest: the first page load (store opened,
   one million records read into memory, overview drawn), then filter changes and page switches, each
   timed as one full script run — what a browser waits for, minus the network;
3. the obvious alternative for a filter change: ask SQLite for the same grouped sums;
4. peak memory of the app process.

Targets: first load ≤ 5 s, every filter change ≤ 0.5 s, memory ≤ 1.5 GB. Figures are printed, never
asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def active_records(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT COUNT(*) FROM records r JOIN submissions s ON s.id = r.submission_id "
                    "WHERE s.status = 'active'"
                )
            ).scalar_one()
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


def fill(url: str, rows: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "metrics", "demo", "--rows", str(rows), "--db", url],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def drive_app(url: str) -> dict:
    """Runs in its own process: the app through AppTest, every run timed."""
    import resource

    from streamlit.testing.v1 import AppTest

    os.environ["OUTREACH_DB_URL"] = url
    timings: dict[str, float] = {}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)

    def timed(name: str, action) -> None:
        started = time.perf_counter()
        action()
        timings[name] = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{name}: {at.exception[0].value}")

    timed("first load: overview (store opened, records read into memory)", at.run)
    years = at.multiselect(key="f_year")
    timed("filter: latest year", lambda: years.select(years.options[0]).run())
    province = at.selectbox(key="f_province")
    timed("filter: a province", lambda: province.select_index(1).run())
    city = at.selectbox(key="f_city")
    timed("filter: a city in it", lambda: city.select_index(1).run())
    sector = at.multiselect(key="f_sector")
    timed("filter: a sector", lambda: sector.select(sector.options[0]).run())
    timed("filter: cleared", lambda: at.button[-1].click().run())
    measure = at.selectbox(key="overview_measure")
    timed("overview: another metric", lambda: measure.select_index(1).run())
    for page in ("agencies", "themes", "regions", "trends", "details", "quality", "upload"):
        timed(f"page: {page}", lambda page=page: at.switch_page(f"app_pages/{page}.py").run())
    at.switch_page("app_pages/overview.py").run()
    province = at.selectbox(key="f_province")
    timed("filter on a page: province again", lambda: province.select_index(2).run())
    from ui.common import get_store

    facts = get_store().facts()
    return {
        "timings": timings,
        "records": len(facts),
        "facts_seconds": facts.seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def alternative(url: str) -> dict:
    """A filter change answered by SQL on the store: one grouped sum per chart of the overview."""
    import sqlalchemy as sa

    from metrics.analysis.query import Filters, apply_filters, measure_totals
    from metrics.storage.store import Store

    engine = sa.create_engine(url)
    sql = sa.text(
        "SELECT se.text, SUM(r.value) FROM records r JOIN submissions s ON s.id = r.submission_id "
        "JOIN terms m ON m.id = r.metric_id LEFT JOIN terms se ON se.id = r.sector_id "
        "LEFT JOIN regions g ON g.id = r.region_id WHERE s.status = 'active' AND m.text = 'materials' "
        "AND g.province = :province GROUP BY se.text"
    )
    with engine.connect() as conn:
        province = conn.execute(sa.text("SELECT province FROM regions WHERE province <> '' LIMIT 1")).scalar_one()
        started = time.perf_counter()
        by_sql = dict(conn.execute(sql, {"province": province}).all())
        sql_seconds = time.perf_counter() - started
    engine.dispose()
    store = Store(url)
    frame = store.facts().frame
    started = time.perf_counter()
    ours = measure_totals(apply_filters(frame, Filters(province=province)), "materials", "sector")
    ours_seconds = time.perf_counter() - started
    same = all(
        abs(by_sql.get(k, 0) - v) < 1e-6 * max(1, abs(v))
        for k, v in zip(ours["sector"], ours["value"])
        if k != "(未填写)"
    )
    return {"sql": sql_seconds, "ours": ours_seconds, "same": same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLAlchemy URL; a temporary SQLite file by default")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        json.dump(drive_app(args.db), sys.stdout)
        return
    folder = None
    url = args.db
    if url is None:
        folder = tempfile.TemporaryDirectory()
        url = f"sqlite:///{folder.name}/bench.db"
    have = active_records(url)
    if have >= args.rows:
        print(f"store already holds {have:,} active records; not refilled")
    else:
        seconds = fill(url, args.rows - have)
        print(f"metrics demo --rows {args.rows - have:,}: {seconds:.1f} s")
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--db", url], cwd=ROOT, check=True, capture_output=True, text=True
    )
    report = json.loads(child.stdout)
    print(f"records in memory: {report['records']:,} (read from the store in {report['facts_seconds']:.2f} s)")
    timings = report["timings"]
    width = max(map(len, timings))
    for name, seconds in timings.items():
        print(f"  {name:<{width}}  {seconds:6.2f} s")
    changes = [s for n, s in timings.items() if not n.startswith("first")]
    first = next(iter(timings.values()))
    print(
        f"first load {first:.2f} s (target ≤ 5); re-runs: median {statistics.median(changes):.2f} s, "
        f"max {max(changes):.2f} s (target ≤ 0.5); peak memory {report['peak_mb']:.0f} MB (target ≤ 1536)"
    )
    alt = alternative(url)
    print(
        f"one grouped sum for a filter change: SQLite {alt['sql'] * 1000:.0f} ms vs in-memory "
        f"{alt['ours'] * 1000:.0f} ms = {alt['sql'] / alt['ours']:.0f}× faster (same numbers: {alt['same']})"
    )
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
