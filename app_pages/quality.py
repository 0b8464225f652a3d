"""数据质量: everything a head office checks by hand, across all returns in view."""

import pandas as pd
import streamlit as st

from metrics.analysis.query import (
    apply_filters,
    measure_of,
    missing_returns,
    outliers,
    resolved_exceeding,
)
from metrics.core.fmt import format_cn
from ui.common import filters, get_store, lang, show_table, stop_if_empty, t, view

st.title(t("quality.title"))
store = get_store()
frame = view()
stop_if_empty(frame)

in_view = set(frame["submission_id"].unique().tolist())
issues = pd.DataFrame([i for i in store.issues() if i["submission_id"] in in_view])

st.subheader(t("quality.issues"))
levels = ("error", "warning", "info")
counts = {lvl: int((issues["level"] == lvl).sum()) if len(issues) else 0 for lvl in levels}
tabs = st.tabs([f"{t('quality.level.' + lvl)} ({counts[lvl]})" for lvl in levels])
for tab, level in zip(tabs, levels):
    with tab:
        rows = issues[issues["level"] == level] if len(issues) else issues
        if rows.empty:
            st.write(t("quality.none"))
        else:
            show_table(
                rows[["file_name", "location", "code", "value", "message"]].rename(
                    columns={
                        "file_name": t("common.file"),
                        "location": t("common.where"),
                        "code": t("common.code"),
                        "value": t("common.raw"),
                        "message": t("common.message"),
                    }
                )
            )

st.subheader(t("quality.resolved"))
bad = resolved_exceeding(frame)
if bad.empty:
    st.write(t("quality.none"))
else:
    show_table(
        bad.rename(
            columns={
                "agency": t("common.agency"),
                "year": t("common.year"),
                "file": t("common.file"),
                "received": t("quality.received"),
                "resolved": t("quality.resolved_n"),
            }
        )
    )

st.subheader(t("quality.totals"))
mismatches = issues[issues["code"] == "total-mismatch"] if len(issues) else issues
if mismatches.empty:
    st.write(t("quality.none"))
else:
    show_table(
        mismatches[["file_name", "location", "value", "message"]].rename(
            columns={
                "file_name": t("common.file"),
                "location": t("common.where"),
                "value": t("common.raw"),
                "message": t("common.message"),
            }
        )
    )

st.subheader(t("quality.outliers"))
far = outliers(frame)
if far.empty:
    st.write(t("quality.none"))
else:
    far["measure"] = [measure_of(m).name(lang()) for m in far["measure"]]
    far["value"] = [format_cn(v) for v in far["value"]]
    far["typical"] = [format_cn(v) for v in far["typical"]]
    far["ratio"] = [f"{r:.1f}×" if r >= 1 else f"1/{1 / r:.0f}" for r in far["ratio"]]
    show_table(
        far.rename(
            columns={
                "agency": t("common.agency"),
                "measure": t("common.measure"),
                "year": t("common.year"),
                "value": t("common.value"),
                "typical": t("quality.typical"),
                "ratio": t("quality.ratio"),
            }
        )
    )

st.subheader(t("quality.missing"))
years = sorted(filters().year) or sorted(int(y) for y in frame["year"].unique() if y >= 0)
base = store.facts().frame
if years:
    scope = apply_filters(base, filters().without("year", "agency"))
    gone = missing_returns(scope, years[-1])
    st.caption(f"{years[-1]}")
    st.write("、".join(gone) if gone else t("quality.none"))
