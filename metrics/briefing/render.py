"""Charts as files: PNG/SVG/PDF drawn by one long-lived Chromium (kaleido), and offline interactive HTML pages."""

from __future__ import annotations

import asyncio
import atexit
import functools
import html
import importlib.metadata
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from metrics.analysis import maps
from metrics.analysis.charts import FONT_FAMILY, chart_config

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
BROWSER_ENV = "BROWSER_PATH"  # the override choreographer, kaleido's browser driver, honours before anything else
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_BROWSER_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/google-chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
_START_TIMEOUT = 60.0  # seconds for Chromium to start and load plotly.js
_FIGURE_TIMEOUT = 60.0  # seconds for one figure once the browser is up
_CLOSE_TIMEOUT = 15.0
# Where kaleido's plotly.js finds the world topojson a geo subplot may ask for: the app's empty stub, read
# from disk (kaleido's page is a file: URL and its Chromium may read files), never plotly's CDN.
TOPOJSON_DIR = maps.STATIC_DIR
_log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True)
class RenderStatus:
    """What server-side image export needs, as found on this machine."""

    browser: str | None  # the Chromium/Chrome kaleido is started with
    cjk_fonts: tuple[str, ...]  # font families covering Chinese (fc-list :lang=zh)
    kaleido: str | None  # installed kaleido version
    fc_list: bool = True  # False when the fonts could not be listed at all
    bad_browser_env: str | None = None  # BROWSER_PATH when it names no runnable browser

    @property
    def problems(self) -> list[str]:
        """What is missing and what to install, in sentences an office user can pass on to the administrator."""
        found: list[str] = []
        if self.kaleido is None:
            found.append("服务器上没有安装 kaleido,无法在服务器端生成图片;请管理员安装:pip install kaleido==1.5.0")
        if self.bad_browser_env:
            found.append(
                f"环境变量 {BROWSER_ENV} 指向的 {self.bad_browser_env} 不是可运行的浏览器,"
                f"无法在服务器端生成图片;请管理员改正或删除 {BROWSER_ENV},并安装:apt-get install chromium"
            )
        elif self.browser is None:
            found.append(
                "服务器上没有找到 Chromium 浏览器,无法在服务器端生成图片;请管理员安装:apt-get install chromium"
            )
        if not self.fc_list:
            found.append(
                "无法检查服务器上的中文字体(没有 fc-list 命令),图片中的中文可能显示成方框;"
                "请管理员安装:apt-get install fontconfig fonts-noto-cjk"
            )
        elif not self.cjk_fonts:
            found.append("服务器上没有中文字体,图片中的中文会显示成方框;请管理员安装:apt-get install fonts-noto-cjk")
        return found

    @property
    def ok(self) -> bool:
        """True when a browser, kaleido and at least one Chinese font are there."""
        return not self.problems


class RenderUnavailable(RuntimeError):
    """Images cannot be made on the server; the message (Chinese) says why and what to do."""


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _find_browser() -> tuple[str | None, str | None]:
    """(browser, bad override): BROWSER_PATH wins as in choreographer, then PATH, then the usual install paths."""
    override = os.environ.get(BROWSER_ENV)
    if override:
        return (override, None) if _runnable(override) else (None, override)
    for name in _BROWSER_NAMES:
        if found := shutil.which(name):
            return found, None
    return next((p for p in _BROWSER_PATHS if _runnable(p)), None), None


def _find_cjk_fonts() -> tuple[str, ...] | None:
    """Families fontconfig says cover Chinese (Chromium draws with what fontconfig finds); None when it cannot say."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    # A line lists one family under all its names ("文泉驿正黑,WenQuanYi Zen Hei"); the first is enough.
    families = {line.split(",")[0].strip() for line in done.stdout.splitlines()}
    return tuple(sorted(f for f in families if f))


def _kaleido_version() -> str | None:
    try:
        return importlib.metadata.version("kaleido")
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def render_status() -> RenderStatus:
    """Look once per process for the browser, kaleido and Chinese fonts; `render_status.cache_clear()` looks again."""
    browser, bad_env = _find_browser()
    fonts = _find_cjk_fonts()
    return RenderStatus(
        browser=browser,
        cjk_fonts=fonts or (),
        kaleido=_kaleido_version(),
        fc_list=fonts is not None,
        bad_browser_env=bad_env,
    )


class _Browser:
    """One kaleido (one Chromium, one tab) driven from its own event-loop thread; callers must hold `_lock`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido-browser", daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._run(self._open(path), _START_TIMEOUT)
        except BaseException:
            self._stop_loop()
            raise

    @staticmethod
    async def _open(path: str) -> Any:
        import kaleido  # imported late: it is optional, and the HTML half of this module does not need it

        # mathjax=False: kaleido would otherwise load MathJax from a CDN, and the server is offline.
        k = kaleido.Kaleido(path=path, n=1, timeout=_FIGURE_TIMEOUT, mathjax=False)
        await k.open()
        return k

    @property
    def pid(self) -> int:
        return self._kaleido.subprocess.pid

    def alive(self) -> bool:
        return self._kaleido.subprocess.poll() is None

    def render(self, specs: list[dict], opts: dict[str, Any]) -> list[bytes]:
        """Each figure dict drawn in turn (one tab, so in turn is as fast as at once)."""
        topojson = topojson_url()

        async def draw() -> list[bytes]:
            return [await self._kaleido.calc_fig(spec, opts=dict(opts), topojson=topojson) for spec in specs]

        return self._run(draw(), _START_TIMEOUT + _FIGURE_TIMEOUT * len(specs))

    def close(self) -> None:
        try:
            self._run(self._kaleido.close(), _CLOSE_TIMEOUT)
        except Exception:  # noqa: BLE001 - closing is best effort; the process may be gone already
            _log.warning("关闭 kaleido 浏览器时出错", exc_info=True)
        finally:
            self._stop_loop()

    def _run(self, coro: Coroutine[Any, Any, _T], timeout: float) -> _T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_CLOSE_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()


def topojson_url() -> str:
    """TOPOJSON_DIR as the folder URL plotly.js's ``topojsonURL`` takes (it appends world_110m.json)."""
    return TOPOJSON_DIR.resolve().as_uri() + "/"


_lock = threading.Lock()  # Streamlit runs each session in a thread; one of them at a time drives the browser
_browser: _Browser | None = None


def _ready_browser(path: str) -> _Browser:
    """The shared browser: started on first use, started again when it died or another path is asked for."""
    global _browser
    if _browser is not None and (_browser.path != path or not _browser.alive()):
        _drop_browser()
    if _browser is None:
        _browser = _Browser(path)
    return _browser


def _drop_browser() -> None:
    global _browser
    if _browser is not None:
        _browser.close()
        _browser = None


def stop_browser() -> None:
    """Close the shared browser (also done at interpreter exit); the next render starts a new one."""
    if _lock.acquire(timeout=_CLOSE_TIMEOUT + _START_TIMEOUT):
        try:
            _drop_browser()
        finally:
            _lock.release()


atexit.register(stop_browser)


def render_images(
    figures: Sequence[go.Figure], fmt: str = "png", *, width: int = 1200, height: int = 675, scale: float = 3
) -> list[bytes]:
    """Every figure as PNG, SVG or PDF bytes (`width` x `height` layout pixels, times `scale`), one browser for all."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"不支持的图片格式 {fmt!r},可选:{'、'.join(FORMATS)}")
    specs = [fig.to_dict() for fig in figures]  # copied here: the browser's thread never touches the figures
    if not specs:
        return []
    status = render_status()
    if not status.ok:
        raise RenderUnavailable("\n".join(status.problems))
    assert status.browser is not None  # ok implies it
    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    with _lock:
        try:
            browser = _ready_browser(status.browser)
        except Exception as exc:  # kaleido and choreographer raise many unrelated types
            raise RenderUnavailable(
                f"无法启动浏览器 {status.browser},暂时不能在服务器端生成图片;"
                f"请管理员检查该浏览器能否正常运行。(原因:{type(exc).__name__}: {exc})"
            ) from exc
        try:
            return browser.render(specs, opts)
        except Exception as exc:
            _drop_browser()  # a hung or half-dead browser is not reused; the next call starts a fresh one
            raise RenderUnavailable(
                f"生成图片失败,请稍后重试;如果反复出现,请联系管理员。(原因:{type(exc).__name__}: {exc})"
            ) from exc


def render_image(fig: go.Figure, fmt: str = "png", **kw: Any) -> bytes:
    """One figure as PNG, SVG or PDF bytes; keywords as for render_images."""
    return render_images([fig], fmt, **kw)[0]


@dataclass(frozen=True)
class Heading:
    """A section heading on a packed page."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """Plain text; line breaks are kept."""

    text: str


@dataclass(frozen=True, eq=False)
class Table:
    """A captioned table of a DataFrame's columns and cells (the index is not shown: reset_index() to keep it)."""

    caption: str
    frame: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Chart:
    """An interactive Plotly figure."""

    figure: go.Figure


HtmlBlock = Heading | Paragraph | Table | Chart

_CSS = f"""
body {{ margin: 0; background: #F5F7FA; color: #1F2933; font-family: {FONT_FAMILY}; line-height: 1.6; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: #FFFFFF; }}
h1 {{ font-size: 26px; margin: 8px 0 16px; }}
h2 {{ font-size: 20px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 2px solid #3A6EA5; }}
p {{ margin: 8px 0; }}
.chart {{ margin: 16px 0 24px; }}
.table-wrap {{ overflow-x: auto; margin: 16px 0 24px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
caption {{ text-align: left; font-weight: bold; padding: 4px 0 8px; }}
th, td {{ border: 1px solid #E6E9EE; padding: 6px 10px; text-align: left; }}
th {{ background: #F0F3F7; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
@media print {{ body {{ background: #FFFFFF; }} main {{ padding: 0; }} }}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, *, plotlyjs: bool) -> bytes:
    """A whole UTF-8 page; plotly.js goes in once, inline, so the file opens offline. Before it, the empty world
    topojson a map's geo subplot may ask for: plotly.js then finds it loaded and never fetches it from its CDN."""
    script = (
        f'{maps.geo_assets_script()}\n<script type="text/javascript">{get_plotlyjs()}</script>\n' if plotlyjs else ""
    )
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_esc(title)}</title>\n'
        f"<style>{_CSS}</style>\n{script}</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    ).encode()


_GEO_TRACES = frozenset({"choropleth", "scattergeo"})


def _chart_div(fig: go.Figure, number: int, name: str) -> str:
    """The figure as a div with id chart-<number>, drawing itself with the page's plotly.js."""
    # plotly.js 4 shows a "Share chart" button by default that uploads the figure to Plotly Cloud: never here.
    config = {**chart_config(fig.layout.title.text or name), "responsive": True, "showSendToCloud": False}
    if any(trace.type in _GEO_TRACES for trace in fig.data):
        # Pre-loaded by the page (see _page); should plotly.js look anyway, it looks beside the file, not online.
        config["topojsonURL"] = "./"
    div = pio.to_html(
        fig, include_plotlyjs=False, full_html=False, div_id=f"chart-{number}", config=config, default_height="480px"
    )
    return f'<div class="chart">{div}</div>'


def _cell_text(value: object) -> str:
    """A cell as shown: blanks empty, whole floats without ".0", midnight timestamps as dates."""
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M:%S")
    return str(value)


_NUM_TD = '<td class="num">'


def _table_html(table: Table) -> str:
    frame = table.frame
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns
    ]
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"{_NUM_TD if num else '<td>'}{_esc(_cell_text(v))}</td>" for v, num in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    return (
        f'<div class="table-wrap"><table>\n<caption>{_esc(table.caption)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table></div>"
    )


def _paragraph_html(text: str) -> str:
    return "<p>" + "<br>".join(_esc(line) for line in text.splitlines()) + "</p>"


def figure_html(fig: go.Figure, *, title: str) -> bytes:
    """One interactive chart as a self-contained HTML file (plotly.js inline, no CDN), titled `title`."""
    return _page(title, _chart_div(fig, 1, title), plotlyjs=True)


def pack_html(title: str, blocks: Sequence[HtmlBlock]) -> bytes:
    """One offline page of headings, paragraphs, tables and charts, plotly.js embedded once for all charts."""
    parts = [f"<h1>{_esc(title)}</h1>"]
    charts = 0
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h2>{_esc(block.text)}</h2>")
        elif isinstance(block, Paragraph):
            parts.append(_paragraph_html(block.text))
        elif isinstance(block, Table):
            parts.append(_table_html(block))
        elif isinstance(block, Chart):
            charts += 1
            parts.append(_chart_div(block.figure, charts, f"{title}-图{charts}"))
        else:
            raise TypeError(f"不认识的页面内容:{type(block).__name__}")
    return _page(title, "\n".join(parts), plotlyjs=charts > 0)
