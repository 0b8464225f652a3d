"""地区: where the outreach happened, down the province → city → district hierarchy."""

import streamlit as st

from metrics.analysis import charts
from metrics.analysis.query import UNKNOWN, measure_totals, next_level
from metrics.collection.campaigns import list_campaigns
from ui.common import (
    clicked,
    filter_to,
    filters,
    get_store,
    lang,
    measure_map,
    numbers_table,
    pick_measure,
    rate_map_block,
    show_chart,
    stop_if_empty,
    t,
    view,
)

st.title(t("regions.title"))
frame = view()
stop_if_empty(frame)
chosen = filters()

measure = pick_measure(frame, "regions_measure")
name = measure.name(lang())
rounds = list_campaigns(get_store())
shows = (
    st.radio(
        t("regions.map_show"),
        ["metric", "rate"],
        horizontal=True,
        key="regions_map_show",
        format_func=lambda k: t(f"regions.map_{k}"),
    )
    if rounds
    else "metric"
)
if shows == "rate":
    rate_map_block(rounds, chosen)
else:
    measure_map(frame, measure, chosen, "regions_map")

levels = ["province", "city", "district"]
placed = measure_totals(frame, measure.key, levels)
unplaced = placed[placed["province"] == UNKNOWN]["value"].sum()
placed = placed[placed["province"] != UNKNOWN]
for level in levels[1:]:
    placed.loc[placed[level] == UNKNOWN, level] = None

if (placed["value"] < 0).any():
    # A place's sum below zero (a 冲减 return forced through review) has no area: the ranking shows it.
    st.info(t("regions.negative", measure=name))
else:
    kind = st.radio(
        t("regions.chart"),
        ["treemap", "sunburst"],
        horizontal=True,
        key="regions_kind",
        format_func=lambda k: t(f"regions.{k}"),
    )
    title = t("regions.hierarchy", measure=name)
    builder = charts.treemap if kind == "treemap" else charts.sunburst
    show_chart(builder(placed, levels, "value", title=title, unit=measure.unit, lang=lang()), title, key="regions_tree")
if unplaced:
    st.caption(t("regions.unplaced", n=int((frame["province"].isna() & (frame["measure"] == measure.key)).sum())))

level = next_level(chosen)
ranked = measure_totals(frame, measure.key, level)
left, right = st.columns([3, 2])
with left:
    title = t("regions.ranked", measure=name, level=t(f"common.{level}"))
    event = show_chart(
        charts.bar_ranked(ranked, level, "value", title=title, unit=measure.unit, lang=lang()),
        title,
        key="regions_rank",
        select=True,
    )
    if (value := clicked(event)) and value in set(ranked[level]) and value != UNKNOWN:
        filter_to(level, value)
    st.caption(t("common.click_filter"))
with right:
    numbers_table(ranked, level, measure, t(f"common.{level}"))
