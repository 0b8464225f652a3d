"""How long server-side PNG export takes: plotly's `fig.write_image` per chart vs `render_images` (one browser).

    python benchmarks/render_bench.py [--charts 12]

Draws N app-style ranked bar charts (metrics.analysis.charts.bar_ranked on synthetic returns) at the export size
(1200x675, 3x) two ways:

a. `fig.write_image(path)` for each chart: what plotly does by default, a new Chromium per call;
b. `metrics.briefing.render.render_images(figures)`: one Chromium for all, started by the call ("cold"), then the same
   batch again on the already running browser ("warm"), as every export after the first in an app process.

Figures are printed, never asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parent.parent

WIDTH, HEIGHT, SCALE = 1200, 675, 3
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"]


def charts(n: int) -> list[go.Figure]:
    from metrics.analysis.charts import bar_ranked

    rng = random.Random(315)
    figures = []
    for i in range(n):
        frame = pd.DataFrame({"地区": CITIES, "人次": [rng.randint(1_000, 400_000) for _ in CITIES]})
        figures.append(bar_ranked(frame, "地区", "人次", title=f"各地宣传人次({i + 1})", unit="人次"))
    return figures


def timed(label: str, n: int, run) -> float:
    started = time.perf_counter()
    run()
    took = time.perf_counter() - started
    print(f"{label:<44} {took:7.2f} s total  {took / n:6.2f} s per chart")
    return took


def main() -> None:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere
    from metrics.briefing.render import render_images, render_status, stop_browser

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=12, help="number of charts (default 12)")
    n = parser.parse_args().charts
    status = render_status()
    if not status.ok:
        sys.exit("\n".join(status.problems))
    figures = charts(n)
    print(f"{n} charts, {WIDTH}x{HEIGHT} at {SCALE}x, browser {status.browser}")
    with tempfile.TemporaryDirectory() as tmp:

        def per_call() -> None:
            for i, fig in enumerate(figures):
                fig.write_image(Path(tmp) / f"{i}.png", width=WIDTH, height=HEIGHT, scale=SCALE)

        a = timed("a. fig.write_image per chart", n, per_call)
    shared = {"width": WIDTH, "height": HEIGHT, "scale": SCALE}
    b_cold = timed("b. render_images, browser started by the call", n, lambda: render_images(figures, **shared))
    b_warm = timed("b. render_images, browser already running", n, lambda: render_images(figures, **shared))
    stop_browser()
    print(f"ratio a / b: {a / b_cold:.1f}x with the browser start, {a / b_warm:.1f}x once it runs")


if __name__ == "__main__":
    main()
