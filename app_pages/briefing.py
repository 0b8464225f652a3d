"""简报导出: the current view as a briefing pack — PPTX, XLSX, DOCX or an offline HTML page."""

import threading
from dataclasses import replace

import pandas as pd
import streamlit as st

from metrics.analysis.charts import safe_filename
from metrics.analysis.maps import NOTE_ZH
from metrics.analysis.query import Filters, apply_filters, measure_of, measures_in
from metrics.briefing import render
from metrics.briefing.brief import (
    BREAKDOWNS,
    DEFAULT_BREAKDOWNS,
    DIMENSION_NAMES,
    RECORD_LIMIT,
    build_brief,
    default_measures,
    default_title,
    pack_map,
    pack_scope,
    scope_line,
)
from metrics.briefing.draft import draft_summary
from metrics.briefing.packs import MIMES, write_pack
from metrics.collection.campaigns import approved_submissions, list_campaigns
from ui.common import audited, facts, filters, get_store, lang, stop_if_empty, t, view

PACK_WAIT = 120.0  # seconds a click's rerun waits for its file: a Word pack of many charts and a map, slow server

st.title(t("briefing.title"))
stop_if_empty(view())
store = get_store()
everything = facts().frame


def _base() -> Filters:
    """The sidebar's filters, limited to approved returns while the page's switch is on. The switch is
    shown (and on by default) once a collection round exists: a pack for leaders counts checked returns."""
    base = filters()
    if not st.session_state.get("briefing_approved"):
        return base
    return replace(base, approved=True, submissions=approved_submissions(get_store()))


if list_campaigns(store):
    st.session_state.setdefault("briefing_approved", True)
    st.toggle(t("briefing.approved"), key="briefing_approved")
    if st.session_state["briefing_approved"]:
        # The store's approved returns are every account's: count only the files this account may see.
        approved, visible = approved_submissions(store), store.visible_submissions()
        st.caption(t("briefing.approved_count", n=len(approved if visible is None else approved & visible)))
else:
    st.session_state["briefing_approved"] = False
# A pack covers one scope: with no year chosen, the latest complete year (the note says when it is not
# the latest); the page shows, drafts and exports that same scope.
chosen, year_note = pack_scope(everything, _base())
frame = apply_filters(everything, chosen)

# A new scope (filters or data) starts a new draft; an edit of the title or summary survives reruns.
signature = (chosen, store.version())
if st.session_state.get("briefing_signature") != signature:
    st.session_state["briefing_signature"] = signature
    st.session_state["briefing_name"] = default_title(everything, chosen)
    st.session_state["briefing_summary"] = draft_summary(everything, chosen).text
    keys = [m.key for m in measures_in(frame)]
    kept = [k for k in st.session_state.get("briefing_measures", []) if k in keys]
    st.session_state["briefing_measures"] = kept or default_measures(frame)

st.caption(t("briefing.scope", scope=scope_line(everything, chosen, year_note)))
present = measures_in(frame)
names = {m.key: f"{m.name(lang())}({m.unit})" if m.unit else m.name(lang()) for m in present}
picked = st.multiselect(
    t("briefing.measures"),
    list(names),
    format_func=names.__getitem__,
    key="briefing_measures",
    placeholder=t("common.choose"),
)
breakdowns = st.multiselect(
    t("briefing.charts"),
    list(BREAKDOWNS),
    default=list(DEFAULT_BREAKDOWNS),
    format_func=lambda b: t(f"briefing.by.{b}"),
    key="briefing_breakdowns",
    placeholder=t("common.choose"),
)
st.caption(t("briefing.n_charts", n=len(picked) * len(breakdowns)))
# The boundaries have no 审图号: a pack meant for publication leaves the map out.
st.session_state.setdefault("briefing_maps", True)
with_map = st.toggle(t("briefing.maps"), key="briefing_maps", help=t("briefing.maps_help", note=NOTE_ZH))
if with_map and picked:
    first = measure_of(picked[0])
    found = pack_map(frame, first, chosen)
    if found is None:
        st.caption(t("briefing.no_map"))
    else:
        st.caption(t("briefing.map_of", measure=names[first.key], level=DIMENSION_NAMES[found.level]))
title = st.text_input(t("briefing.name"), key="briefing_name")


def _redraft() -> None:
    current = facts().frame
    st.session_state["briefing_summary"] = draft_summary(current, pack_scope(current, _base())[0]).text


summary = st.text_area(t("briefing.summary"), key="briefing_summary", height=180)
st.button(t("briefing.redraft"), on_click=_redraft, key="briefing_redraft")
draft = draft_summary(everything, chosen)
with st.expander(t("briefing.numbers")):
    rows = []
    for number in draft.numbers:
        key, _, kind = number.measure.partition("@")
        if key == "resolution_rate":
            meaning = t("briefing.rate")
        else:
            meaning = measure_of(key).name(lang())
            if kind == "change":
                meaning = t("briefing.change", name=meaning)
        rows.append(
            {
                t("briefing.number_text"): number.text,
                t("briefing.number_measure"): meaning,
                t("briefing.number_exact"): round(number.value, 6),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

if not picked:
    st.warning(t("briefing.pick_something"))
    st.stop()

status = render.render_status()
if not status.ok:
    st.warning(
        t("briefing.no_images", problems=";".join(status.problems))
        + ("\n\n" + t("briefing.no_map_images") if with_map else "")
    )
if len(frame) > RECORD_LIMIT:
    st.caption(t("briefing.records_cap", n=f"{RECORD_LIMIT:,}", total=f"{len(frame):,}"))

# Files are made when a button is pressed (Streamlit calls these on another thread), never on every rerun.
settings = {
    "measures": list(picked),
    "breakdowns": list(breakdowns),
    "title": title.strip() or None,
    "summary": summary,
    "maps": with_map,
}
# What each pack made for these settings says to its reader (e.g. why it has no pictures): the maker
# writes it here, the rerun the click starts shows it.
made: dict = st.session_state.setdefault("briefing_made", {})
made_for = repr((chosen, store.version(), settings))


def _maker(fmt: str, done: threading.Event):
    def make() -> bytes:
        try:
            brief = build_brief(
                everything,
                chosen,
                texts=store.record_details,
                measures=picked,
                breakdowns=breakdowns,
                title=title.strip() or None,
                summary=summary,
                maps=with_map,
            )
            pack = write_pack(fmt, brief)
            made[fmt] = (made_for, pack.file_name, pack.notes)
            return pack.data
        finally:
            done.set()

    return make


def _wait(done: threading.Event) -> None:
    """The click's rerun waits for the file (made on another thread) so that it can show the file's notes."""
    done.wait(PACK_WAIT)


stem = safe_filename(title.strip() or default_title(everything, chosen))
st.subheader(t("briefing.download"))
for when, file_name, notes in made.values():
    if when == made_for and notes:
        st.info(t("briefing.pack_notes", file=file_name) + "\n\n" + "\n\n".join(notes))
columns = st.columns(4)
for column, fmt in zip(columns, (".pptx", ".xlsx", ".docx", ".html")):
    done = threading.Event()
    column.download_button(
        t(f"briefing.{fmt[1:]}"),
        audited(_maker(fmt, done), f"{stem}{fmt}"),
        f"{stem}{fmt}",
        MIMES[fmt],
        key=f"briefing_{fmt[1:]}",
        icon=":material/download:",
        on_click=_wait,
        args=(done,),
        width="stretch",
    )
st.caption(t("briefing.formats"))
