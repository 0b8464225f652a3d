"""How fast the 报送进度 page is for a national round: 3,000 expected units and 5 rounds in the store.

    python benchmarks/progress_bench.py [--units 3000] [--rounds 5] [--repeat 7]

1. fills a fresh SQLite store: ``--rounds`` rounds (one a year), each with a roster of ``--units`` units
   spread over the gazetteer's districts and five sectors, imported through ``campaigns.import_roster`` as
   a user would; then, per round, 85 % of the units submit (a tenth of them late), half are approved, a
   tenth sent back, a few locked — written as status events in one go (the setup is not what is timed);
2. times ``completeness.build`` for the newest round (statuses, rates by region level and sector);
3. drives the real app through AppTest: the 报送进度 page's first run, then re-runs (switching the rate
   shown, as a user does), each one full script run — what a browser waits for, minus the network.

Target: a re-run of the page ≤ 0.5 s. Figures are printed, never asserted (shared, noisy machines).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTORS = (
    ("市场监管", "市场监督管理局"),
    ("消委会", "消费者权益保护委员会"),
    ("烟草", "烟草专卖局"),
    ("银行", "农商银行支行"),
    ("司法", "司法局"),
)


def roster_file(units: int) -> bytes:
    """A roster of ``units`` units: one per (district, sector) pair, as many as needed."""
    import openpyxl

    from metrics.reading.regions import default_gazetteer

    districts = [r for r in default_gazetteer().regions if r.level == "district"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["单位名称", "系统", "地区", "联系人", "联系电话"])
    for i in range(units):
        region = districts[i // len(SECTORS) % len(districts)]
        sector, body = SECTORS[i % len(SECTORS)]
        sheet.append([f"{region.path.replace(' ', '')}{body}", sector, region.adcode, f"联系人{i}", f"139{i:08d}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fill(url: str, units: int, rounds: int) -> int:
    """The rounds and their status events; returns the newest round's id."""
    import sqlalchemy as sa

    from metrics.collection import campaigns as cp
    from metrics.storage.schema import unit_events
    from metrics.storage.store import Store

    store = Store(url)
    data = roster_file(units)
    rng = random.Random(315)
    newest = 0
    started = time.perf_counter()
    for year in range(2026 - rounds, 2026):
        rnd = cp.create_campaign(
            store,
            name=f"{year}年3·15活动情况报送",
            year=year,
            due=f"{year}-03-25",
            grace_days=2,
            metrics=["events", "materials"],
        )
        imported = cp.import_roster(store, rnd.id, data, "应报单位名单.xlsx")
        rows = []
        for unit in cp.roster(store, rnd.id):
            if rng.random() >= 0.85:
                continue
            day = 24 if rng.random() >= 0.1 else 29  # a tenth after the due date + 2 grace days
            at = dt.datetime(year, 3, day, 2, 0, tzinfo=dt.UTC).isoformat()
            steps = [("submit", "已报待审", 1)]
            draw = rng.random()
            if draw < 0.5:
                steps.append(("approve", "已审核", 1))
                if draw < 0.05:
                    steps.append(("lock", "已锁定", 1))
            elif draw < 0.6:
                steps.append(("return", "退回", 1))
            rows += [
                {
                    "campaign_id": rnd.id,
                    "unit_id": unit.id,
                    "action": a,
                    "status": s,
                    "version": v,
                    "at": at,
                    "who": "bench",
                    "comment": "请核实" if a == "return" else None,
                }
                for a, s, v in steps
            ]
        with store.transaction() as conn:
            conn.execute(sa.insert(unit_events), rows)
        newest = rnd.id
        print(
            f"round {year}: {len(cp.roster(store, rnd.id)):,} units ({len(imported.issues)} roster issues), "
            f"{len(rows):,} status steps"
        )
    print(f"store filled in {time.perf_counter() - started:.1f} s")
    store.dispose()
    return newest


def time_page(url: str, campaign_id: int, repeat: int) -> None:
    from streamlit.testing.v1 import AppTest

    from metrics.collection import completeness
    from metrics.storage.store import Store

    store = Store(url)
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = completeness.build(store, campaign_id)
        seconds.append(time.perf_counter() - started)
    store.dispose()
    print(f"completeness.build ({report.overall.expected:,} units): median {statistics.median(seconds):.3f} s")

    os.environ["OUTREACH_DB_URL"] = url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    started = time.perf_counter()
    at.switch_page("app_pages/progress.py").run()
    first = time.perf_counter() - started
    assert not at.exception, at.exception
    reruns = []
    for k in range(repeat):
        rate = ("on_time_rate", "approval_rate", "reporting_rate")[k % 3]
        started = time.perf_counter()
        at.radio(key="progress_rate").set_value(rate).run()
        reruns.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    print(
        f"报送进度 page: first run {first:.2f} s; re-runs median {statistics.median(reruns):.2f} s, "
        f"slowest {max(reruns):.2f} s (target ≤ 0.5); tiles {tiles}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'progress.db'}"
        newest = fill(url, args.units, args.rounds)
        time_page(url, newest, args.repeat)


if __name__ == "__main__":
    main()
