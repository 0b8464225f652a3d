"""总览: the view's headline numbers against the year before, and where they came from."""

import streamlit as st

from metrics import charts
from metrics.fmt import MINUS, change_text, format_metric
from metrics.query import kpis, measure_totals, next_level
from pages.common import (
    clicked,
    facts,
    filter_to,
    filters,
    lang,
    numbers_table,
    pick_measure,
    show_chart,
    stop_if_empty,
    t,
    through_app,
    view,
)

through_app()

st.title(t("overview.title"))
frame = view()
stop_if_empty(frame)
chosen = filters()

def _delta(change: str | None) -> str | None:
    """st.metric reads a fall from an ASCII '-' only; the typographic minus would draw a green ↑."""
    return change.replace(MINUS, "-") if change else change


tiles = kpis(facts().frame, chosen)
if tiles:
    year = tiles[0].year
    st.caption(t("overview.kpi_years") if len(chosen.year) > 1 else t("overview.kpi_year", year=year))
    columns = st.columns(min(3, len(tiles)))
    for k, tile in enumerate(tiles):
        with columns[k % len(columns)]:
            st.metric(tile.measure.name(lang()), format_metric(tile.value, tile.measure.unit),
                      delta=_delta(change_text(tile.value, tile.previous)), border=True)

measure = pick_measure(frame, "overview_measure")
name = measure.name(lang())
left, right = st.columns(2)
with left:
    by_sector = measure_totals(frame, measure.key, "sector")
    event = show_chart(charts.bar_ranked(by_sector, "sector", "value", title=f"{name} · {t('overview.by_sector')}",
                                         unit=measure.unit, lang=lang()),
                       t("common.by_sector_file", name=name), key="overview_sector", select=True)
    if (value := clicked(event)) and value in set(by_sector["sector"]):
        filter_to("sector", value)
    numbers_table(by_sector, "sector", measure, t("common.sector"))
with right:
    level = next_level(chosen)
    by_region = measure_totals(frame, measure.key, level)
    event = show_chart(charts.bar_ranked(by_region, level, "value", title=f"{name} · {t('overview.by_region')}",
                                         unit=measure.unit, lang=lang()),
                       t("common.by_region_file", name=name), key="overview_region", select=True)
    if (value := clicked(event)) and value in set(by_region[level]):
        filter_to(level, value)
    numbers_table(by_region, level, measure, t(f"common.{level}"))
st.caption(t("common.click_filter"))

by_year = measure_totals(frame, measure.key, "year").sort_values("year")
show_chart(charts.line_trend(by_year, "year", "value", title=f"{name} · {t('overview.by_year')}", unit=measure.unit, lang=lang()),
           t("common.by_year_file", name=name), key="overview_year")
numbers_table(by_year, "year", measure, t("common.year"))
