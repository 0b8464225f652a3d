"""What every page shares: the store, the language, the current filters and view, chart display."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from metrics.access import accounts
from metrics.access.rules import Action, Principal
from metrics.access.scoped import ScopedStore
from metrics.analysis import maps
from metrics.analysis.charts import chart_config, safe_filename
from metrics.analysis.query import Filters, Measure, apply_filters, measures_in, options
from metrics.briefing import render
from metrics.collection.campaigns import round_coverage
from metrics.core.fmt import blank_missing, format_metric
from metrics.core.labels import measure_label
from metrics.core.labels import t as _t
from metrics.reading.regions import Region
from metrics.storage.facts import Facts
from metrics.storage.samples import load_samples
from metrics.storage.store import Store, resolve_url
from ui import gate


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def raw_store() -> Store:
    """One store (engine pool and in-memory facts) per server process, shared by every tab and account."""
    return _store(resolve_url())


def principal() -> Principal:
    """The account this browser session acts for (app.py's gate ran first; a page alone asks it again)."""
    held = st.session_state.get("principal")
    return held["principal"] if held else gate.current(raw_store())


def get_store() -> ScopedStore:
    """The store as the session's account may see and change it: every read is limited to its scope and
    every write checked against its role (metrics/access/scoped.py), whatever the page asks."""
    return ScopedStore(raw_store(), principal(), source=gate.client_address())


def audited(make, target: str, *, action: str = "export", ids=()):
    """A download button's data, made when the button is pressed and written to the audit log (who, what,
    from where). The store handle is taken now: the data may be made outside this script run."""
    store = get_store()

    def run():
        data = make()
        accounts.audit(store, action, target=target, ids=ids)
        return data

    return run


def can(action: Action) -> bool:
    return principal().can(action)


def who_input(label_key: str, key: str) -> str:
    """Who acts, for the lists and logs: the signed-in account's name, or typed in the owner's single-user mode."""
    account = principal()
    if account.kind != "owner":
        return account.display
    return st.text_input(t(label_key), key=key)


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **values: object) -> str:
    return _t(key, lang(), **values)


def facts() -> Facts:
    return get_store().facts()


def filters() -> Filters:
    return st.session_state.get("filters", Filters())


def view() -> pd.DataFrame:
    """The records that pass the sidebar filters."""
    return apply_filters(facts().frame, filters())


def stop_if_empty(frame: pd.DataFrame) -> None:
    """An empty store offers the samples; an empty view asks to widen the filters. A view with numbers
    says how many of each collection round's expected units they cover."""
    if len(facts()):
        if frame.empty:
            st.info(t("common.no_match"))
            st.stop()
        say_coverage(frame)
        return
    st.info(t("common.empty") + " " + t("common.or_upload"))
    if st.button(t("common.load_samples"), type="primary", help=t("common.samples_help"), key="load_samples"):
        outcomes = load_samples(get_store(), who=t("common.samples_who"))
        st.success(t("common.samples_done", n=sum(o.status == "imported" for o in outcomes)))
        st.rerun()
    st.stop()


def say_coverage(frame: pd.DataFrame) -> None:
    """One line per collection round of the view's years: 应报 N 家, covered M (nothing without rounds)."""
    years = [int(y) for y in pd.unique(frame["year"]) if y >= 0]
    ids = pd.unique(frame["submission_id"])
    for found in round_coverage(get_store(), ids, years):
        st.caption(t("common.coverage", campaign=found.campaign.name, expected=found.expected, covered=found.covered))


def pick_measure(frame: pd.DataFrame, key: str) -> Measure:
    """A metric chooser limited to what the view holds; remembers the choice per page."""
    measures = measures_in(frame)
    keys = [m.key for m in measures]
    chosen = st.session_state.get(key)
    if chosen not in keys:
        st.session_state[key] = keys[0]
    names = {m.key: measure_label(m, lang()) for m in measures}
    picked = st.selectbox(t("common.measure"), keys, format_func=names.__getitem__, key=key)
    return next(m for m in measures if m.key == picked)


def show_chart(fig, name: str, *, key: str | None = None, select: bool = False):
    """Draw a figure with the app's modebar (PNG at 3×, a Chinese file name) and an export menu; returns the
    selection."""
    config = chart_config(name, lang())
    event = None
    if select and key:
        event = st.plotly_chart(fig, config=config, key=key, on_select="rerun", selection_mode="points", theme=None)
    else:
        st.plotly_chart(fig, config=config, key=key, theme=None)
    if key:
        export_menu(fig, name, key)
    return event


def export_menu(fig, name: str, key: str) -> None:
    """PNG and SVG drawn on the server (Chinese fonts, one shared browser) and an offline HTML file.

    The files are made only when a button is pressed; a server without Chromium or a Chinese font says
    so here instead of failing.
    """
    stem = safe_filename(name)
    status = render.render_status()
    size = {"width": 1200, "height": fig.layout.height or 675}  # a long ranking keeps its own height
    with st.popover(t("export.menu"), icon=":material/download:"):
        if not status.ok:
            st.caption(t("export.no_server", problems=";".join(status.problems)))
        for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
            st.download_button(
                t(f"export.{fmt}"),
                audited(lambda fmt=fmt: render.render_image(fig, fmt, **size), f"{stem}.{fmt}"),
                f"{stem}.{fmt}",
                mime,
                key=f"{key}_export_{fmt}",
                disabled=not status.ok,
                on_click="ignore",
            )
        st.download_button(
            t("export.html"),
            audited(lambda: render.figure_html(fig, title=name), f"{stem}.html"),
            f"{stem}.html",
            "text/html",
            key=f"{key}_export_html",
            on_click="ignore",
        )


def clicked(event, field: str = "customdata") -> str | None:
    """The category a click selected on a chart, if any."""
    if not event:
        return None
    points = event.get("selection", {}).get("points", []) if isinstance(event, dict) else event.selection.points
    for point in points:
        value = point.get(field)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            value = point.get("label") or point.get("y") or point.get("x")
        if value not in (None, ""):
            return str(value)
    return None


def filter_to(name: str, value: str) -> None:
    """Narrow a sidebar filter from a page (the sidebar applies it on the next run)."""
    st.session_state["pending_filter"] = (name, value)
    st.rerun()


def numbers_table(frame: pd.DataFrame, label: str, measure: Measure, label_name: str) -> None:
    """The numbers beside a chart, Chinese-formatted, with their total."""
    shown = pd.DataFrame(
        {
            label_name: frame[label].astype(str),
            t("common.value"): [format_metric(v, measure.unit, lang=lang()) for v in frame["value"]],
        }
    )
    total = pd.DataFrame(
        {
            label_name: [t("common.total")],
            t("common.value"): [format_metric(float(frame["value"].sum()), measure.unit, lang=lang())],
        }
    )
    show_table(pd.concat([shown, total], ignore_index=True))


def show_table(frame: pd.DataFrame, **options) -> None:
    """A read-only table, full width, no index, empty cells blank (a grid writes them as "None")."""
    st.dataframe(blank_missing(frame), hide_index=True, width="stretch", **options)


def choose_campaign(found: list, key: str):
    """A chooser of collection rounds, newest first; the choice is shared by the pages (session key campaign_id)."""
    if not found:
        return None
    ids = [c.id for c in found]
    if st.session_state.get(key) not in ids:
        remembered = st.session_state.get("campaign_id")
        st.session_state[key] = remembered if remembered in ids else ids[0]
    names = {c.id: f"{c.year} · {c.name}" for c in found}
    picked = st.selectbox(t("campaigns.pick"), ids, format_func=names.__getitem__, key=key)
    st.session_state["campaign_id"] = picked
    return next(c for c in found if c.id == picked)


def status_name(status) -> str:
    """A unit's status (campaigns.Status) in the UI's language."""
    return t(f"campaigns.status.{status.name.lower()}")


def flash(message: str) -> None:
    """The outcome of the last write, shown until the next one: a rerun (a file landing in an uploader)
    must not wipe it before it was read."""
    st.session_state["flash"] = message


def show_flash() -> None:
    if message := st.session_state.get("flash"):
        st.success(message)


# ---- maps -----------------------------------------------------------------------------------------------


def place_to(region: Region | None) -> None:
    """Set the sidebar's place filters to a region (None: the whole country); app.py applies them."""
    st.session_state["pending_filter"] = ("place", maps.place_filters(region))


def map_home() -> Region | None:
    """Where an account's maps start and their path begins: the region its scope lies in (深圳市 for a 深圳
    reviewer); None for 全国, for a scope naming units (they may sit anywhere) and with no login."""
    scope = principal().scope
    if scope.everywhere or scope.units or not scope.regions:
        return None
    return maps.home_place(scope.regions)


def map_path(region_map: maps.RegionMap, key: str, home: Region | None) -> None:
    """全国 › 广东省 › 深圳市: every step above the chosen place is a button that goes back up to it (an
    account held to a region starts the path there)."""
    steps: list[Region | None] = [None, *maps.trail(region_map.focus or region_map.parent)]
    if home in steps:
        steps = steps[steps.index(home) :]
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key=f"{key}_path"):
        st.caption(t("regions.map_path"), width="content")
        for i, region in enumerate(steps):
            if i:
                st.caption("›", width="content")
            name = region.name if region is not None else t("regions.map_country")
            if st.button(name, key=f"{key}_up_{i}", type="tertiary", disabled=i == len(steps) - 1):
                place_to(region)
                st.rerun()


def selectable(region: Region, frame: pd.DataFrame) -> bool:
    """Whether the sidebar can choose the region: it offers only places the records hold (a rate map also
    colours units that have expected units but no return yet)."""
    filters = maps.place_filters(region)
    choices = options(frame, Filters(province=filters["province"], city=filters["city"]))
    return all(not name or name in choices[level] for level, name in filters.items())


def _map_clicked(region_map: maps.RegionMap, key: str) -> None:
    """A click on a unit with numbers narrows the place filters to it (runs before the next script run)."""
    state = st.session_state.get(key) or {}
    for point in (state.get("selection") or {}).get("points", []):
        if (region := region_map.target(point)) is not None:
            if selectable(region, facts().frame):
                place_to(region)
            else:
                st.toast(t("regions.map_no_records", place=region.name))
            return


def show_map(region_map: maps.RegionMap, fig, name: str, key: str) -> None:
    """A map with its export menu; a click on a unit with numbers goes one level down (sidebar and URL follow).

    The widget key names the map's parent, so a map drawn again after going up starts with no stale selection."""
    key = f"{key}_{region_map.parent_adcode or 'cn'}"
    st.plotly_chart(
        fig,
        config=maps.map_config(name, lang()),
        key=key,
        on_select=functools.partial(_map_clicked, region_map, key),
        selection_mode="points",
        theme=None,
    )
    export_menu(fig, name, key)
    st.caption(t("regions.map_click"))


def _beside_map(rows: int) -> int | str:
    """A table beside a map is no taller than the map; a short one keeps its own height."""
    return 560 if rows > 15 else "auto"


def map_numbers(region_map: maps.RegionMap, measure: Measure) -> None:
    """The numbers beside a map: the view's total, what the map cannot place, then the units with numbers,
    largest first. The grey units are counted, not listed: for an account limited to one city a blank row
    for the next city would read as "reported nothing" when it is only outside the account's view."""
    valued = region_map.valued()
    level = t(f"common.{region_map.level}")
    value = t("common.value")
    rows = pd.DataFrame(
        {level: valued["name"], value: [format_metric(v, measure.unit, lang=lang()) for v in valued["value"]]}
    )
    # The list is long (34 provinces, 180 districts): its 合计 leads, in view without scrolling.
    extra = [{level: t("common.total"), value: format_metric(region_map.total, measure.unit, lang=lang())}]
    if region_map.left:
        extra.append(
            {level: t("regions.map_left_row"), value: format_metric(region_map.left, measure.unit, lang=lang())}
        )
    show_table(pd.concat([pd.DataFrame(extra), rows], ignore_index=True), height=_beside_map(len(rows) + len(extra)))
    if region_map.left:
        st.caption(t("regions.map_left", value=format_metric(region_map.left, measure.unit, lang=lang())))
    if region_map.grey:
        st.caption(t("regions.map_grey", n=region_map.grey, level=level))


def measure_map(frame: pd.DataFrame, measure: Measure, chosen: Filters, key: str, *, when: str = "") -> None:
    """A measure of the view on the map under the chosen place: path, map, and the numbers beside it."""
    home = map_home()
    try:
        # Shows after 0.5 s only: the first map of a level on a new machine prepares its boundaries (2–9 s).
        with st.spinner(t("regions.map_preparing")):
            region_map = maps.region_map(frame, measure.key, maps.at_home(chosen, home))
    except maps.UnknownPlace as exc:
        st.warning(t("regions.map_unknown_place", place=str(exc)))
        return
    map_path(region_map, key, home)
    if region_map.focus is not None:
        st.caption(
            t(
                "regions.map_focus",
                place=region_map.focus.name,
                parent=region_map.parent.name if region_map.parent else t("regions.map_country"),
            )
        )
    title = t(
        "regions.map_level", measure=f"{when} {measure.name(lang())}".strip(), level=t(f"common.{region_map.level}")
    )
    left, right = st.columns([3, 2])
    with left:
        show_map(region_map, region_map.figure(title=title, unit=measure.unit, lang=lang()), title, key)
    with right, st.container(key=f"{key}_numbers"):
        map_numbers(region_map, measure)


RATES = ("reporting_rate", "on_time_rate", "approval_rate")


def rate_map_block(rounds: list, chosen: Filters, key: str = "regions_rate") -> None:
    """A collection round's rate on the map under the chosen place, with 应报/已报 beside each unit."""
    from metrics.collection import completeness

    campaign = choose_campaign(rounds, f"{key}_pick")
    rate = st.radio(
        t("progress.rate"), RATES, horizontal=True, key=f"{key}_which", format_func=lambda k: t(f"progress.{k}")
    )
    report = completeness.build(get_store(), campaign.id)
    if not report.overall.expected:
        st.info(t("campaigns.no_roster"))
        return
    show_rate_map(campaign, report, rate, chosen, key)


def show_rate_map(campaign, report, rate: str, chosen: Filters, key: str) -> None:
    """A round's rate on the map under the chosen place, 应报/已报 and the rate beside each unit."""
    from metrics.collection.completeness import percent, rate_map

    home = map_home()
    try:
        with st.spinner(t("regions.map_preparing")):
            region_map, rates = rate_map(report, maps.at_home(chosen, home), rate)
    except maps.UnknownPlace as exc:
        st.warning(t("regions.map_unknown_place", place=str(exc)))
        return
    map_path(region_map, key, home)
    level = t(f"common.{region_map.level}")
    title = t(
        "regions.map_rate_title", campaign=f"{campaign.year} {campaign.name}", rate=t(f"progress.{rate}"), level=level
    )
    left, right = st.columns([3, 2])
    with left:
        show_map(region_map, region_map.figure(title=title, unit="%", lang=lang()), title, key)
    with right, st.container(key=f"{key}_numbers"):
        units = region_map.table()
        units = units[units["adcode"].isin(rates)]  # places with expected units only, as map_numbers
        counts = [rates[code] for code in units["adcode"]]
        show_table(
            pd.DataFrame(
                {
                    level: units["name"],
                    t("progress.expected"): [r.expected for r in counts],
                    t("progress.reported"): [r.reported for r in counts],
                    t(f"progress.{rate}"): [percent(getattr(r, rate)) for r in counts],
                }
            ),
            height=_beside_map(len(units)),
        )
        if region_map.left:
            st.caption(t("regions.map_rate_left", n=int(region_map.left)))
