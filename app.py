"""3·15 outreach dashboard — entry point: page set-up, the shared sidebar filters, navigation.

The filters live here so they keep their values across pages, and they are mirrored in the URL's
query string so a copied link reopens the same view.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from metrics.access.rules import AccessDenied, Action
from metrics.analysis.query import (
    LIST_FILTERS,
    PLACE_FILTERS,
    Filters,
    filters_from_params,
    measure_of,
    options,
)
from metrics.collection.campaigns import approved_submissions
from metrics.core.labels import LABELS
from metrics.core.labels import t as _t
from ui import gate
from ui.common import facts, get_store, raw_store

# The tab icon is a local SVG (sent inline as a data: URL). A ":material/…:" page_icon, or a page's own
# material icon when no page_icon is set, makes the browser fetch the icon from fonts.gstatic.com; the
# material icons of the navigation are drawn with the font bundled in Streamlit and fetch nothing.
ICON = Path(__file__).resolve().parent / "static" / "icon.svg"
st.set_page_config(page_title=_t("app.title"), page_icon=str(ICON), layout="wide")

_KEYS = {name: f"f_{name}" for name in (*LIST_FILTERS, *PLACE_FILTERS, "approved")}


def _read_link(frame) -> None:
    """First run of a browser session: filters and language from the URL, bad values noted and dropped."""
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    st.session_state["lang"] = "en" if (params.get("lang") or [""])[0] == "en" else "zh"
    chosen, notes = filters_from_params(params, frame)
    for name in LIST_FILTERS:
        st.session_state[_KEYS[name]] = list(getattr(chosen, name))
    for name in PLACE_FILTERS:
        st.session_state[_KEYS[name]] = getattr(chosen, name) or ""
    st.session_state[_KEYS["approved"]] = chosen.approved
    st.session_state["link_notes"] = notes
    st.session_state["link_read"] = True


def _reseed(saved: Filters) -> None:
    """Widget values are dropped when a run ends without drawing them (a page run on its own);
    the last filters, kept under a plain key, put them back."""
    for name in LIST_FILTERS:
        st.session_state.setdefault(_KEYS[name], list(getattr(saved, name)))
    for name in PLACE_FILTERS:
        st.session_state.setdefault(_KEYS[name], getattr(saved, name) or "")
    st.session_state.setdefault(_KEYS["approved"], saved.approved)


def _apply_pending() -> None:
    """A click on a chart asked to narrow a filter (widgets cannot be changed after they are drawn)."""
    pending = st.session_state.pop("pending_filter", None)
    if not pending:
        return
    name, value = pending
    if name == "place":  # a click on a map or its path: the whole place at once ({province, city, district})
        for level in PLACE_FILTERS:
            st.session_state[_KEYS[level]] = value.get(level) or ""
    elif name in PLACE_FILTERS:
        st.session_state[_KEYS[name]] = value
        for lower in PLACE_FILTERS[PLACE_FILTERS.index(name) + 1 :]:
            st.session_state[_KEYS[lower]] = ""
    elif name in LIST_FILTERS:
        st.session_state[_KEYS[name]] = [value]


def _clear_lower(level: str) -> None:
    for lower in PLACE_FILTERS[PLACE_FILTERS.index(level) + 1 :]:
        st.session_state[_KEYS[lower]] = ""


def _clear_all() -> None:
    for name in LIST_FILTERS:
        st.session_state[_KEYS[name]] = []
    for name in PLACE_FILTERS:
        st.session_state[_KEYS[name]] = ""
    st.session_state[_KEYS["approved"]] = False


def _sidebar(frame, lang: str) -> Filters:
    def label(key: str) -> str:
        return _t(key, lang)

    st.sidebar.header(label("filters.title"))
    current = Filters(
        year=tuple(st.session_state.get(_KEYS["year"], [])),
        province=st.session_state.get(_KEYS["province"]) or None,
        city=st.session_state.get(_KEYS["city"]) or None,
    )
    choices = options(frame, current)
    names = {
        "year": "filters.year",
        "sector": "filters.sector",
        "agency": "filters.agency",
        "theme": "filters.theme",
        "activity": "filters.activity",
    }
    _keep_known("year", choices["year"])
    st.sidebar.multiselect(label(names["year"]), choices["year"], key=_KEYS["year"], placeholder=label("filters.all"))
    for level in PLACE_FILTERS:
        available = choices[level]
        if st.session_state.get(_KEYS[level]) not in ("", *available):
            st.session_state[_KEYS[level]] = ""
        if level != "province" and not available:
            continue
        st.sidebar.selectbox(
            label(f"filters.{level}"),
            ["", *available],
            key=_KEYS[level],
            format_func=lambda v: v or label("filters.all"),
            on_change=_clear_lower,
            args=(level,),
        )
    for name in ("sector", "agency", "theme", "activity"):
        _keep_known(name, choices[name])
        st.sidebar.multiselect(label(names[name]), choices[name], key=_KEYS[name], placeholder=label("filters.all"))
    _keep_known("metric", choices["metric"])
    st.sidebar.multiselect(
        label("filters.metric"),
        choices["metric"],
        key=_KEYS["metric"],
        format_func=lambda k: measure_of(k).name(lang),
        placeholder=label("filters.all"),
    )
    approved = st.sidebar.toggle(label("filters.approved"), key=_KEYS["approved"], help=label("filters.approved_help"))
    st.sidebar.button(label("filters.clear"), on_click=_clear_all)
    return Filters(
        approved=approved,
        submissions=approved_submissions(get_store()) if approved else None,
        year=tuple(st.session_state[_KEYS["year"]]),
        province=st.session_state.get(_KEYS["province"]) or None,
        city=st.session_state.get(_KEYS["city"]) or None,
        district=st.session_state.get(_KEYS["district"]) or None,
        **{n: tuple(st.session_state[_KEYS[n]]) for n in ("sector", "agency", "theme", "activity", "metric")},
    )


def _keep_known(name: str, available: list) -> None:
    """Drop selected values the data no longer holds (after a delete), so the widget never errors."""
    selected = st.session_state.get(_KEYS[name], [])
    kept = [v for v in selected if v in available]
    if kept != selected:
        st.session_state[_KEYS[name]] = kept


def main() -> None:
    if not st.session_state.get("link_read"):  # the login form speaks the link's language too
        st.session_state["lang"] = "en" if st.query_params.get("lang") == "en" else "zh"
    account = gate.current(raw_store())  # the login form (or a refusal) stops the run here
    frame = facts().frame
    if not st.session_state.get("link_read"):
        _read_link(frame)
    _reseed(st.session_state.get("filters", Filters()))
    _apply_pending()
    lang_choice = st.sidebar.radio(
        _t("app.lang", "zh"),
        list(LABELS["app.lang_names"]),
        horizontal=True,
        index=1 if st.session_state.get("lang") == "en" else 0,
    )
    lang = "en" if lang_choice == LABELS["app.lang_names"][1] else "zh"
    st.session_state["lang"] = lang
    gate.sidebar_account(raw_store(), account)
    for note in st.session_state.get("link_notes", []):
        st.sidebar.warning(note)
    chosen = _sidebar(frame, lang)
    st.session_state["filters"] = chosen
    params = chosen.to_params()
    if lang == "en":
        params["lang"] = "en"
    if dict(st.query_params.to_dict()) != params:
        st.query_params.from_dict(params)
    st.sidebar.caption(_t("filters.link", lang))

    pages = [
        st.Page(
            "app_pages/overview.py",
            title=_t("nav.overview", lang),
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
        ),
        *(
            [
                st.Page(
                    "app_pages/upload.py",
                    title=_t("nav.upload", lang),
                    icon=":material/upload_file:",
                    url_path="upload",
                )
            ]
            if account.can(Action.UPLOAD)
            else []
        ),
        *(
            [
                st.Page(
                    "app_pages/campaigns.py",
                    title=_t("nav.campaigns", lang),
                    icon=":material/assignment:",
                    url_path="campaigns",
                )
            ]
            if account.can(Action.UPLOAD) or account.can(Action.REVIEW)
            else []
        ),
        st.Page(
            "app_pages/progress.py", title=_t("nav.progress", lang), icon=":material/donut_large:", url_path="progress"
        ),
        st.Page(
            "app_pages/agencies.py", title=_t("nav.agencies", lang), icon=":material/apartment:", url_path="agencies"
        ),
        st.Page("app_pages/themes.py", title=_t("nav.themes", lang), icon=":material/campaign:", url_path="themes"),
        st.Page("app_pages/regions.py", title=_t("nav.regions", lang), icon=":material/map:", url_path="regions"),
        st.Page("app_pages/trends.py", title=_t("nav.trends", lang), icon=":material/trending_up:", url_path="trends"),
        st.Page(
            "app_pages/details.py", title=_t("nav.details", lang), icon=":material/table_rows:", url_path="details"
        ),
        st.Page(
            "app_pages/quality.py", title=_t("nav.quality", lang), icon=":material/fact_check:", url_path="quality"
        ),
        st.Page(
            "app_pages/briefing.py", title=_t("nav.briefing", lang), icon=":material/slideshow:", url_path="briefing"
        ),
        *(
            [st.Page("app_pages/audit.py", title=_t("nav.audit", lang), icon=":material/policy:", url_path="audit")]
            if account.can(Action.AUDIT)
            else []
        ),
    ]
    try:
        st.navigation(pages).run()
    except AccessDenied as refused:  # the data layer said no (a page, a link or a button reached past the role)
        gate.denied(refused)


main()
