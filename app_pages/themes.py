"""主题与活动: what the outreach was about and what form it took."""

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

st.title(t("themes.title"))
frame = view()
stop_if_empty(frame)

measure = pick_measure(frame, "themes_measure")
name = measure.name(lang())
left, right = st.columns(2)
with left:
    by_theme = measure_totals(frame, measure.key, "theme")
    title = t("themes.by_theme", measure=name)
    event = show_chart(
        charts.bar_ranked(by_theme, "theme", "value", title=title, unit=measure.unit, lang=lang()),
        title,
        key="themes_theme",
        select=True,
    )
    if (value := clicked(event)) and value in set(frame["theme"].cat.categories):
        filter_to("theme", value)
    numbers_table(by_theme, "theme", measure, t("common.theme"))
with right:
    by_activity = measure_totals(frame, measure.key, "activity")
    title = t("themes.by_activity", measure=name)
    event = show_chart(
        charts.pie_share(by_activity, "activity", "value", title=title, unit=measure.unit, lang=lang()),
        title,
        key="themes_activity",
        select=True,
    )
    if (value := clicked(event)) and value in set(frame["activity"].cat.categories):
        filter_to("activity", value)
    numbers_table(by_activity, "activity", measure, t("common.activity"))
st.caption(t("common.click_filter"))

st.subheader(t("themes.table"))
table = pivot(frame, "activity", lang=lang(), unknown=True)
show_table(cn_numbers(table).rename(columns={"activity": t("common.activity")}))
