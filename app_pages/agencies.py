"""单位对比: which agencies did the most, per metric, and every agency's numbers side by side."""

import streamlit as st

from metrics.analysis import charts
from metrics.analysis.query import measure_totals, pivot
from metrics.core.fmt import cn_numbers
from ui.common import (
    clicked,
    filter_to,
    lang,
    numbers_table,
    pick_measure,
    show_chart,
    show_table,
    stop_if_empty,
    t,
    view,
)

st.title(t("agencies.title"))
frame = view()
stop_if_empty(frame)

measure = pick_measure(frame, "agencies_measure")
top = st.slider(t("agencies.top"), 5, 50, 20, step=5, key="agencies_top")
ranked = measure_totals(frame, measure.key, "agency")
left, right = st.columns([3, 2])
with left:
    title = t("agencies.ranking", measure=measure.name(lang()))
    event = show_chart(
        charts.bar_ranked(ranked, "agency", "value", title=title, unit=measure.unit, lang=lang(), top=top),
        title,
        key="agencies_rank",
        select=True,
    )
    if (value := clicked(event)) and value in set(ranked["agency"]):
        filter_to("agency", value)
    st.caption(t("common.click_filter"))
with right:
    numbers_table(ranked, "agency", measure, t("common.agency"))

st.subheader(t("agencies.table"))
table = pivot(frame, "agency", lang=lang(), unknown=True)
show_table(cn_numbers(table).rename(columns={"agency": t("common.agency")}))
