"""Server-side images through one real Chromium, the checks that say what is missing, and offline HTML pages."""

import io
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image

from metrics.analysis.charts import apply_template, bar_ranked
from metrics.briefing import render
from metrics.briefing.render import (
    Chart,
    Heading,
    Paragraph,
    RenderUnavailable,
    Table,
    figure_html,
    pack_html,
    render_status,
)
from tests.plotly_html import figures_in, title_of

XSS = "<script>alert(1)</script>"
PLOTLYJS_BANNER = "* plotly.js v"  # the licence header, once per copy of the library


def titled(title: str, size: int = 16) -> go.Figure:
    fig = apply_template(go.Figure(go.Bar(x=["宁波", "杭州"], y=[3, 5])))
    fig.update_layout(title={"text": title, "font": {"size": size}})
    return fig


def title_only(title: str) -> go.Figure:
    """Nothing drawn but a big title, so dark pixels come from its glyphs alone."""
    fig = apply_template(go.Figure())
    fig.update_layout(title={"text": title, "font": {"size": 64}}, margin={"t": 120, "l": 10, "r": 10, "b": 10})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def dark_pixels(png: bytes) -> list[bool]:
    return [p < 128 for p in Image.open(io.BytesIO(png)).convert("L").get_flattened_data()]


@pytest.fixture
def fresh_status(monkeypatch):
    """render_status() looks again under the test's environment, and again after it."""
    monkeypatch.delenv(render.BROWSER_ENV, raising=False)
    render_status.cache_clear()
    yield monkeypatch
    render_status.cache_clear()


@pytest.fixture(scope="module")
def browser():
    """The shared browser for this file; skipped where there is none, closed afterwards."""
    render_status.cache_clear()
    status = render_status()
    if status.browser is None or status.kaleido is None:
        pytest.skip("没有 Chromium 或 kaleido,跳过服务器端出图测试:" + ";".join(status.problems))
    yield status
    render.stop_browser()


# --- what the machine has ---------------------------------------------------------------------------------------


def test_cjk_font_installed():
    """Fails, never skips, without a Chinese font: Chinese would silently become boxes in every image."""
    if shutil.which("fc-list") is None:
        pytest.skip("没有 fc-list 命令,无法检查中文字体")
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True).stdout
    assert listed.strip(), "服务器上没有中文字体,图片中的中文会显示成方框;请安装 fonts-noto-cjk"


def test_status_finds_debian_chromium_and_fonts(fresh_status):
    if not os.access("/usr/bin/chromium", os.X_OK):
        pytest.skip("这台机器没有 /usr/bin/chromium")
    status = render_status()
    assert os.path.realpath(status.browser) == os.path.realpath("/usr/bin/chromium")
    assert any("CJK" in f or "Hei" in f for f in status.cjk_fonts)
    assert status.ok and status.problems == []
    assert render_status() is status  # cached


def test_status_honours_browser_path(fresh_status, tmp_path):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    fresh_status.setenv(render.BROWSER_ENV, str(fake))
    assert render_status().browser == str(fake)


def test_problems_when_browser_and_fc_list_are_missing(fresh_status, tmp_path):
    fresh_status.setenv("PATH", str(tmp_path))  # no chromium, no fc-list
    fresh_status.setattr(render, "_BROWSER_PATHS", ())
    status = render_status()
    assert status.browser is None and not status.fc_list and not status.ok
    text = "\n".join(status.problems)
    assert "没有找到 Chromium 浏览器" in text and "apt-get install chromium" in text
    assert "fonts-noto-cjk" in text and "fontconfig" in text


def test_problems_when_no_font_covers_chinese(fresh_status, tmp_path):
    """A real fc-list over an empty font directory, as on a server without fonts-noto-cjk."""
    if shutil.which("fc-list") is None:
        pytest.skip("没有 fc-list 命令")
    (tmp_path / "fonts").mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?>\n<fontconfig><dir>{tmp_path / "fonts"}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    fresh_status.setenv("FONTCONFIG_FILE", str(conf))
    status = render_status()
    assert status.fc_list and status.cjk_fonts == () and not status.ok
    assert status.problems == [
        ("服务器上没有中文字体,图片中的中文会显示成方框;请管理员安装:apt-get install fonts-noto-cjk")
    ]


def test_bad_browser_path_is_named(fresh_status, tmp_path):
    fresh_status.setenv(render.BROWSER_ENV, str(tmp_path / "nowhere" / "chrome"))
    status = render_status()
    assert status.browser is None and not status.ok
    assert "BROWSER_PATH" in status.problems[0] and "nowhere" in status.problems[0]


def test_render_refuses_in_chinese_without_a_browser(fresh_status, tmp_path):
    fresh_status.setenv("PATH", str(tmp_path))
    fresh_status.setattr(render, "_BROWSER_PATHS", ())
    with pytest.raises(RenderUnavailable, match="没有找到 Chromium 浏览器"):
        render.render_images([titled("消费者权益")])


def test_unknown_format_is_a_value_error():
    with pytest.raises(ValueError, match="不支持的图片格式"):
        render.render_images([titled("x")], "bmp")


def test_no_figures_need_no_browser():
    assert render.render_images([]) == []


# --- images from the real browser -------------------------------------------------------------------------------


def test_three_pngs_at_scale(browser):
    ranked = bar_ranked(
        pd.DataFrame({"机构": ["甲", "乙"], "人次": [30000, 12000]}), "机构", "人次", title="宣传人次", unit="人次"
    )
    figs = [titled("第一张"), ranked, titled("第三张")]
    pngs = render.render_images(figs, width=400, height=300, scale=2)
    assert len(pngs) == 3
    for png in pngs:
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert Image.open(io.BytesIO(png)).size == (800, 600)
    assert len(set(pngs)) == 3


def test_default_size_is_1200_by_675_at_3x(browser):
    png = render.render_image(titled("默认尺寸"))
    assert Image.open(io.BytesIO(png)).size == (3600, 2025)


def test_svg_keeps_chinese_as_text(browser):
    svg = render.render_image(titled("消费者权益保护"), "svg").decode("utf-8")
    assert svg.lstrip().startswith("<svg") and "消费者权益保护" in svg


def test_pdf(browser):
    assert render.render_image(titled("消费者权益"), "pdf").startswith(b"%PDF-")


def test_chinese_glyphs_are_drawn_not_boxes(browser):
    """Without a CJK font Chromium draws the same box for every character: both titles came out identical
    (1120 dark pixels each) when tried with an empty FONTCONFIG_FILE; with Noto CJK they differ by thousands."""
    words, boxes = render.render_images(
        [title_only("消费者权益"), title_only("口口口口口")], width=600, height=160, scale=1
    )
    dark_words, dark_boxes = dark_pixels(words), dark_pixels(boxes)
    assert sum(dark_words) > 3000
    assert sum(a != b for a, b in zip(dark_words, dark_boxes, strict=True)) > 1000


def test_threads_share_one_browser(browser):
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = render.render_image(titled(f"线程{i}"), "svg")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert all(f"线程{i}" in results[i].decode() for i in range(4))


def test_a_dead_browser_is_restarted(browser):
    render.render_image(titled("启动"), "svg")
    old = render._browser.pid
    os.killpg(old, signal.SIGKILL)  # choreographer starts Chromium in its own session: the group is ours
    deadline = time.monotonic() + 10
    while render._browser.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "重启之后" in render.render_image(titled("重启之后"), "svg").decode()
    assert render._browser.pid != old


# --- offline HTML ---------------------------------------------------------------------------------------------


def script_sources(page: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc\s*=", page, flags=re.IGNORECASE)


def test_figure_html_is_self_contained():
    page = figure_html(titled("各地宣传人次"), title="宣传人次").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    assert "<title>宣传人次</title>" in page
    assert script_sources(page) == [] and "cdn.plot.ly/plotly" not in page
    assert page.count(PLOTLYJS_BANNER) == 1 and 'id="chart-1"' in page
    # The figure as plotly.js gets it, decoded: Chinese may be written as \uXXXX (no orjson) or as itself.
    figure = figures_in(page)["chart-1"]
    assert title_of(figure) == "各地宣传人次" and figure["data"][0]["x"] == ["宁波", "杭州"]
    config = figure["config"]
    assert config["displaylogo"] is False and config["toImageButtonOptions"]["scale"] == 3
    assert config["toImageButtonOptions"]["format"] == "png"
    assert config["showSendToCloud"] is False  # plotly.js 4 would offer to upload the chart to Plotly Cloud


def test_pack_html_embeds_plotlyjs_once_and_escapes_text():
    frame = pd.DataFrame({"机构": [XSS, "宁波市消保委"], "人次": [12345, 2.5], "备注": [None, "a&b"]})
    blocks = [Heading(XSS), Paragraph(f"第一行{XSS}\n第二行"), Table(f"明细{XSS}", frame)]
    blocks += [Chart(titled(f"图{i}")) for i in range(1, 5)]
    page = pack_html(f"报告{XSS}", blocks).decode("utf-8")
    assert page.count(PLOTLYJS_BANNER) == 1 and script_sources(page) == []
    assert [f"chart-{i}" for i in range(1, 5)] == re.findall(r'<div id="(chart-\d+)"', page)
    assert {k: title_of(f) for k, f in figures_in(page).items()} == {f"chart-{i}": f"图{i}" for i in range(1, 5)}
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert XSS not in page and page.count(escaped) == 6  # title, h1, h2, p, caption, cell
    assert "<title>报告&lt;script&gt;" in page and "第一行" in page and "<br>第二行" in page
    assert f"<td>{escaped}</td>" in page
    assert '<td class="num">12345</td>' in page and '<td class="num">2.5</td>' in page and "<td>a&amp;b</td>" in page
    assert "<td></td>" in page  # a blank cell is empty, not "None"
    assert "Noto Sans CJK SC" in page and "max-width: 1100px" in page


def test_pack_html_without_charts_skips_plotlyjs():
    page = pack_html("说明", [Paragraph("只有文字")]).decode("utf-8")
    assert PLOTLYJS_BANNER not in page and len(page) < 10_000


def test_pack_html_rejects_unknown_blocks():
    with pytest.raises(TypeError, match="不认识"):
        pack_html("x", ["不是块"])  # type: ignore[list-item]
