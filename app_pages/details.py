"""明细: the filtered records with the cell each came from, downloads, and the submitted returns."""

import pandas as pd
import streamlit as st

from metrics.access.rules import Action
from metrics.analysis.query import records_table
from metrics.core.fmt import agency_list, beijing_time
from metrics.core.safe_export import csv_bytes, xlsx_bytes
from ui.common import audited, can, get_store, lang, show_table, stop_if_empty, t, view

SHOWN = 1000
LISTED = 200  # submissions listed at once; the search box finds the others
_COLUMN_KEYS = {
    "agency": "common.agency",
    "sector": "common.sector",
    "province": "common.province",
    "city": "common.city",
    "district": "common.district",
    "year": "common.year",
    "date": "common.date",
    "theme": "common.theme",
    "activity": "common.activity",
    "metric": "common.measure",
    "value": "common.value",
    "unit": "common.unit",
    "raw": "common.raw",
    "source": "common.source",
}

st.title(t("details.title"))
store = get_store()
frame = view()


def _headed(table: pd.DataFrame) -> pd.DataFrame:
    return table.rename(columns={k: t(v) for k, v in _COLUMN_KEYS.items()})


if len(frame):
    st.subheader(t("details.records", n=min(SHOWN, len(frame))))
    head = frame.head(SHOWN)
    show_table(
        _headed(records_table(head, store.record_details(head["id"]))),
        column_config={t("common.value"): st.column_config.NumberColumn(format="localized")},
    )
    st.caption(t("filters.records", n=f"{len(frame):,}"))
    if st.button(t("details.prepare"), key="details_prepare"):
        table = _headed(records_table(frame, store.record_texts()))
        st.session_state["details_csv"] = csv_bytes(table)
        st.session_state["details_xlsx"] = xlsx_bytes({t("details.sheet"): table})
    if "details_csv" in st.session_state:
        left, right = st.columns(2)
        csv, xlsx = st.session_state["details_csv"], st.session_state["details_xlsx"]
        left.download_button(
            t("details.download_csv"),
            audited(lambda: csv, t("details.file") + ".csv"),
            t("details.file") + ".csv",
            "text/csv",
            key="details_dl_csv",
        )
        right.download_button(
            t("details.download_xlsx"),
            audited(lambda: xlsx, t("details.file") + ".xlsx"),
            t("details.file") + ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="details_dl_xlsx",
        )
elif len(store.facts()):
    st.info(t("common.no_match"))  # the list of returns below stays reachable
else:
    stop_if_empty(frame)

st.subheader(t("details.submissions"))
search = st.text_input(t("details.search"), key="details_search")
subs = store.submissions(search=search, limit=LISTED)
total = store.count_submissions(search=search)
if total > len(subs):
    st.caption(t("details.listed", n=len(subs), total=f"{total:,}"))
if subs:
    agencies = store.agencies_of(s["id"] for s in subs)
    listing = pd.DataFrame(
        [
            {
                "#": s["id"],
                t("common.file"): s["file_name"],
                t("common.agency"): agency_list(agencies.get(s["id"]) or [s["agency"] or ""], lang()),
                t("common.year"): s["years"],
                t("common.records"): s["n_records"],
                t("quality.level.error"): s["n_errors"],
                t("quality.level.warning"): s["n_warnings"],
                t("common.imported_at"): beijing_time(s["imported_at"]),
                t("common.who"): s["imported_by"],
                t("common.status"): t(f"details.status.{s['status']}"),
            }
            for s in subs
        ]
    )
    show_table(listing)
    by_id = {s["id"]: s for s in subs}
    picked = st.selectbox(
        t("details.pick"),
        list(by_id),
        key="details_pick",
        format_func=lambda i: f"#{i} {by_id[i]['file_name']} · {t('details.status.' + by_id[i]['status'])}",
    )
    left, middle, right = st.columns(3)
    status = by_id[picked]["status"]
    correct = can(Action.CORRECT)
    if left.button(t("details.delete"), disabled=status == "deleted" or not correct, key="details_delete"):
        store.delete(picked)
        st.session_state.pop("details_csv", None)
        st.toast(t("details.deleted", id=picked))
        st.rerun()
    if middle.button(t("details.restore"), disabled=status == "active" or not correct, key="details_restore"):
        store.restore(picked)
        st.session_state.pop("details_csv", None)
        st.toast(t("details.restored", id=picked))
        st.rerun()
    name = by_id[picked]["file_name"]
    right.download_button(
        t("details.original"),
        audited(lambda: store.original(picked)[1], name, action="download-original", ids=[picked]),
        name,
        key="details_original",
        on_click="ignore",
    )
