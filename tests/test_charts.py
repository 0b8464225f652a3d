"""Figure builders: Chinese ticks and hover text, the outreach template, sums kept, blank levels drawn."""

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from metrics.analysis.charts import (
    FONT_FAMILY,
    MISSING_LABEL,
    TEMPLATE_NAME,
    apply_template,
    bar_ranked,
    chart_config,
    empty_figure,
    line_trend,
    pie_share,
    safe_filename,
    sunburst,
    treemap,
)

EXPECTED_FONT = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif'


@pytest.fixture
def returns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agency": ["宁波市消保委", "杭州市市场监管局", "温州烟草", "宁波市消保委", None],
            "year": [2023, 2024, 2024, 2024, 2023],
            "sector": ["消委会", "市场监管", "烟草", "消委会", "消委会"],
            "value": [10000, 30000, 5000, 2500, 7],
        }
    )


@pytest.fixture
def regions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "province": ["浙江省", "浙江省", "浙江省", None, "福建省", "江苏省"],
            "city": ["宁波市", "宁波市", "杭州市", None, "福州市", "南京市"],
            "district": ["鄞州区", None, "", None, "鼓楼区", "鼓楼区"],
            "value": [12000, 20000, 30000, 4000, 50000, 800],
        }
    )


def as_json(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def value_axis(fig: go.Figure, name: str) -> dict:
    return as_json(fig)["layout"][name]


def assert_outreach_look(fig: go.Figure) -> None:
    layout = as_json(fig)["layout"]
    assert layout["font"]["family"] == EXPECTED_FONT
    assert layout["template"]["layout"]["font"]["family"] == EXPECTED_FONT
    assert layout["template"]["layout"]["colorway"] == list(pio.templates[TEMPLATE_NAME].layout.colorway)
    assert layout["separators"] == ".,"


def assert_no_si_suffix(fig: go.Figure) -> None:
    text = json.dumps([t.get("customdata") for t in as_json(fig)["data"]], ensure_ascii=False)
    for axis in ("xaxis", "yaxis"):
        text += json.dumps(as_json(fig)["layout"].get(axis, {}).get("ticktext", []), ensure_ascii=False)
    assert "k" not in text.lower()


def test_template_is_registered_with_the_font():
    template = pio.templates[TEMPLATE_NAME]
    assert FONT_FAMILY == EXPECTED_FONT
    assert template.layout.font.family == EXPECTED_FONT
    assert template.layout.paper_bgcolor == "white" and template.layout.plot_bgcolor == "white"
    assert template.layout.legend.orientation == "h" and template.layout.legend.y > 1
    assert template.layout.margin.l <= 20 and template.layout.margin.r <= 20
    assert len(template.layout.colorway) >= 8


def test_apply_template_sets_the_look_on_any_figure():
    fig = apply_template(go.Figure(go.Bar(x=["a"], y=[1])))
    assert_outreach_look(fig)


def test_bar_ranked(returns):
    fig = bar_ranked(returns, "agency", "value", title="受众排名", unit="人次")
    assert_outreach_look(fig)
    (bar,) = as_json(fig)["data"]
    assert bar["orientation"] == "h"
    assert bar["y"] == ["杭州市市场监管局", "宁波市消保委", "温州烟草", MISSING_LABEL]
    assert bar["x"] == [30000, 12500, 5000, 7]
    assert sum(bar["x"]) == returns["value"].sum()
    assert value_axis(fig, "yaxis")["autorange"] == "reversed"  # largest at the top
    axis = value_axis(fig, "xaxis")
    assert axis["tickvals"] == [0, 10000, 20000, 30000]
    assert axis["ticktext"] == ["0", "1万", "2万", "3万"]
    assert bar["customdata"][0] == ["杭州市市场监管局", "3万人次"]
    assert bar["customdata"][1] == ["宁波市消保委", "1.25万人次"]
    assert "%{customdata[1]}" in bar["hovertemplate"] and "%{customdata[0]}" in bar["hovertemplate"]
    assert bar["text"][2] == "5,000人次"
    assert as_json(fig)["layout"]["title"]["text"] == "受众排名"
    assert_no_si_suffix(fig)


def test_bar_ranked_keeps_the_top_and_says_so(returns):
    fig = bar_ranked(returns, "agency", "value", title="排名", unit="人次", top=2, horizontal=False)
    (bar,) = as_json(fig)["data"]
    assert bar["x"] == ["杭州市市场监管局", "宁波市消保委"] and bar["y"] == [30000, 12500]
    assert as_json(fig)["layout"]["title"]["text"] == "排名(前2名)"
    assert value_axis(fig, "yaxis")["ticktext"][-1] == "3万"


@pytest.mark.parametrize(
    "build",
    [
        lambda df: bar_ranked(df, "agency", "value", title="t", unit="人"),
        lambda df: line_trend(df, "year", "value", title="t", unit="人"),
        lambda df: pie_share(df, "sector", "value", title="t", unit="人"),
        lambda df: treemap(df, ["sector", "agency"], "value", title="t", unit="人"),
        lambda df: sunburst(df, ["sector", "agency"], "value", title="t", unit="人"),
    ],
)
def test_builders_draw_an_empty_figure_without_values(returns, build):
    fig = build(returns.assign(value=float("nan")))
    layout = as_json(fig)["layout"]
    assert as_json(fig)["data"] == []
    assert layout["annotations"][0]["text"] == "暂无数据"
    assert layout["font"]["family"] == EXPECTED_FONT


def test_builders_name_a_missing_column(returns):
    with pytest.raises(KeyError, match="amount"):
        bar_ranked(returns, "agency", "amount", title="t", unit="元")


def test_empty_figure():
    fig = empty_figure("没有符合条件的数据")
    layout = as_json(fig)["layout"]
    assert layout["annotations"][0]["text"] == "没有符合条件的数据"
    assert layout["xaxis"]["visible"] is False
    assert_outreach_look(fig)


def test_chart_config():
    config = chart_config('2024年"3·15"活动/受众:排名?')
    assert config["displaylogo"] is False
    assert config["toImageButtonOptions"] == {"format": "png", "scale": 3, "filename": "2024年3·15活动受众排名"}
    assert config["locale"] == "zh-CN"
    assert config["locales"]["zh-CN"]["dictionary"]["Download plot as a PNG"] == "下载图片(PNG)"
    assert "http" not in json.dumps(config)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("受众排名", "受众排名"),
        ("a<b>c|d*e", "abcde"),
        ("  报表\t2024 ", "报表 2024"),
        ("图表.png", "图表"),
        ("...", "图表"),
        ("", "图表"),
        ("CON", "CON_"),
        ("C:\\data\\x.png", "Cdatax"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_line_trend_by_date_breaks_the_line_between_campaigns():
    from metrics.analysis.charts import GAP_DAYS

    days = ["2023-03-10", "2023-03-15", "2023-03-20", "2024-03-12", "2024-03-15"]
    dated = pd.DataFrame({"day": days, "value": [5, 8, 3, 6, 9]})
    (line,) = as_json(line_trend(dated, "day", "value", title="按日", unit="场"))["data"]
    assert line["y"] == [5, 8, 3, None, 6, 9]  # one gap: March 2023 → March 2024, not the 5-day steps
    gap = pd.Timestamp(line["x"][3])
    assert pd.Timestamp("2023-03-20") < gap < pd.Timestamp("2024-03-12")
    assert line["connectgaps"] is False
    assert [c[0] for c in line["customdata"] if c] == days  # hover of the real points unchanged
    # Days exactly GAP_DAYS apart stay joined.
    near = pd.DataFrame(
        {"day": ["2024-03-01", str((pd.Timestamp("2024-03-01") + pd.Timedelta(days=GAP_DAYS)).date())], "value": [1, 2]}
    )
    (line,) = as_json(line_trend(near, "day", "value", title="按日", unit="场"))["data"]
    assert line["y"] == [1, 2]


def test_pie_share_legend_sits_below_the_donut_clear_of_the_title():
    many = pd.DataFrame({"activity": [f"活动形式{i}" for i in range(12)], "value": range(1, 13)})
    layout = as_json(pie_share(many, "activity", "value", title="开展活动 按活动形式", unit="场"))["layout"]
    legend = layout["legend"]
    # The title is above the plot area (y > 1 in paper units); the legend hangs from its bottom edge down.
    assert legend["yanchor"] == "top" and legend["y"] <= 0
    assert legend["orientation"] == "h" and legend["xanchor"] == "center"


def test_charts_in_english_write_units_axis_titles_and_totals_in_english(returns):
    import re

    cjk = re.compile(r"[\u4e00-\u9fff]")
    bar = as_json(bar_ranked(returns, "agency", "value", title="Events", unit="场", top=2, lang="en"))
    assert bar["layout"]["xaxis"]["title"]["text"] == "Unit: sessions"
    assert bar["layout"]["title"]["text"] == "Events (top 2)"
    assert bar["data"][0]["customdata"][0] == ["杭州市市场监管局", "30,000 sessions"]  # data stays as written
    assert not any(cjk.search(label) for label in bar["layout"]["xaxis"]["ticktext"])
    pie = as_json(pie_share(returns, "sector", "value", title="Share", unit="份", lang="en"))
    assert pie["layout"]["annotations"][0]["text"] == "Total<br>47,507 copies"
    dated = returns.assign(day=["2024-03-15", "2024-03-01", "2024-03-15", "2024-03-05", "2024-03-01"])
    line = as_json(line_trend(dated, "day", "value", title="Daily", unit="人次", lang="en"))
    assert not any(cjk.search(stop["value"]) for stop in line["layout"]["xaxis"]["tickformatstops"])
    assert line["layout"]["yaxis"]["title"]["text"] == "Unit: person-times"
    assert as_json(empty_figure("No data"))["layout"]["annotations"][0]["text"] == "No data"
    assert "locale" not in chart_config("x", "en") and chart_config("x")["locale"] == "zh-CN"
    # Chinese stays the default.
    zh = as_json(bar_ranked(returns, "agency", "value", title="开展活动", unit="场", top=2))
    assert zh["layout"]["xaxis"]["title"]["text"] == "单位:场" and zh["layout"]["title"]["text"] == "开展活动(前2名)"


def test_rate_bars_run_from_0_to_100_percent_whatever_the_largest():
    from metrics.analysis.charts import bar_rates

    fig = bar_rates(pd.DataFrame({"g": ["甲", "乙"], "v": [20.0, 12.5]}), "g", "v", title="报送率")
    assert list(fig.data[0].x) == [20.0, 12.5]
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > 100
    assert list(fig.layout.xaxis.ticktext) == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert [c[1] for c in fig.data[0].customdata] == ["20%", "12.5%"]
