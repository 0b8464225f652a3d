"""总览: the view's headline numbers against the year before, and where they came from."""

from dataclasses import replace

import streamlit as st

from metrics.analysis import charts
from metrics.analysis.query import UNKNOWN, apply_filters, kpis, measure_totals, next_level, report_year, view_years
from metrics.core.fmt import MINUS, comparison_texts, format_metric, years_text
from ui.common import (
    clicked,
    facts,
    filter_to,
    filters,
    lang,
    measure_map,
    numbers_table,
    pick_measure,
    show_chart,
    stop_if_empty,
    t,
    view,
)

st.title(t("overview.title"))
frame = view()
stop_if_empty(frame)
chosen = filters()


def _delta(change: str | None) -> str | None:
    """st.metric reads a fall from an ASCII '-' only; the typographic minus would draw a green ↑."""
    return change.replace(MINUS, "-") if change else change


everything = facts().frame
tiles = kpis(everything, chosen)
years = view_years(everything, chosen)
if tiles:
    year = tiles[0].year
    st.caption(t("overview.kpi_years") if len(chosen.year) > 1 else t("overview.kpi_year", year=year))
    if not chosen.year and (choice := report_year(frame)).skipped:
        st.info(
            t(
                "overview.year_skipped",
                latest=choice.latest,
                now=choice.units_latest,
                before=choice.units_before,
                year=choice.year,
            )
        )
    columns = st.columns(min(3, len(tiles)))
    for k, tile in enumerate(tiles):
        change, note, all_units = comparison_texts(tile, lang())
        with columns[k % len(columns)], st.container(border=True):
            st.metric(
                tile.measure.name(lang()),
                format_metric(tile.value, tile.measure.unit, lang=lang()),
                delta=_delta(change),
            )
            if note:
                st.caption(note)
                st.caption(all_units)

# The charts beside the tiles are for the tiles' year(s); the by-year chart spans every year of the view.
shown = frame if chosen.year or not years else apply_filters(everything, replace(chosen, year=tuple(years)))
when = years_text(years, lang())
measure = pick_measure(shown, "overview_measure")
name = measure.name(lang())
left, right = st.columns(2)
with left:
    by_sector = measure_totals(shown, measure.key, "sector")
    title = t("overview.chart_title", years=when, name=name, by=t("overview.by_sector"))
    event = show_chart(
        charts.bar_ranked(by_sector, "sector", "value", title=title, unit=measure.unit, lang=lang()),
        t("common.by_sector_file", name=name),
        key="overview_sector",
        select=True,
    )
    if (value := clicked(event)) and value in set(by_sector["sector"]):
        filter_to("sector", value)
    numbers_table(by_sector, "sector", measure, t("common.sector"))
with right:
    level = next_level(chosen)
    by_region = measure_totals(shown, measure.key, level)
    title = t("overview.chart_title", years=when, name=name, by=t("overview.by_region"))
    event = show_chart(
        charts.bar_ranked(by_region, level, "value", title=title, unit=measure.unit, lang=lang()),
        t("common.by_region_file", name=name),
        key="overview_region",
        select=True,
    )
    if (value := clicked(event)) and value in set(by_region[level]):
        filter_to(level, value)
    numbers_table(by_region, level, measure, t(f"common.{level}"))
st.caption(t("common.click_filter"))
measure_map(shown, measure, chosen, "overview_map", when=when)

by_year = measure_totals(frame, measure.key, "year").sort_values("year")
span = years_text([int(y) for y in by_year["year"] if y != UNKNOWN and int(y) >= 0], lang())
show_chart(
    charts.line_trend(
        by_year,
        "year",
        "value",
        unit=measure.unit,
        lang=lang(),
        title=t("overview.chart_title", years=span, name=name, by=t("overview.by_year")),
    ),
    t("common.by_year_file", name=name),
    key="overview_year",
)
numbers_table(by_year, "year", measure, t("common.year"))
