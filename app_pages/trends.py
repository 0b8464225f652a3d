"""趋势: how the numbers moved over the years, and day by day inside the campaign."""

import streamlit as st

from metrics.analysis import charts
from metrics.analysis.query import measure_totals
from ui.common import (
    lang,
    numbers_table,
    pick_measure,
    show_chart,
    stop_if_empty,
    t,
    view,
)

st.title(t("trends.title"))
frame = view()
stop_if_empty(frame)

measure = pick_measure(frame, "trends_measure")
name = measure.name(lang())
split = st.radio(
    t("trends.split"),
    ["", "sector", "province"],
    horizontal=True,
    key="trends_split",
    format_func=lambda k: t(f"common.{k}") if k else t("trends.none"),
)
by = ["year", split] if split else ["year"]
yearly = measure_totals(frame, measure.key, by).sort_values(by)
title = t("trends.by_year", measure=name)
show_chart(
    charts.line_trend(yearly, "year", "value", split or None, title=title, unit=measure.unit, lang=lang()),
    title,
    key="trends_year",
)
numbers_table(measure_totals(frame, measure.key, "year").sort_values("year"), "year", measure, t("common.year"))

dated = frame[frame["date"].notna()]
daily = measure_totals(dated, measure.key, "date").sort_values("date")
title = t("trends.by_date", measure=name)
if daily.empty:
    st.subheader(title)
    st.info(t("trends.no_dates"))
else:  # the chart's own title is the heading: not written twice
    show_chart(
        charts.line_trend(daily, "date", "value", title=title, unit=measure.unit, lang=lang()), title, key="trends_date"
    )
