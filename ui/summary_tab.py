"""从总结提取: a written summary → highlighted numbers → reviewed rows → the same import as a table."""

from __future__ import annotations

import html
import re
from typing import Literal

import pandas as pd
import streamlit as st

from metrics.core.labels import t as label
from metrics.narrative import SUMMARY_EXTENSIONS
from metrics.narrative import review as sr
from metrics.reading.dimensions import SECTORS
from metrics.storage.store import sha256_of
from ui.common import lang, t

_MARK = "background:#ffe08a;border-radius:3px;padding:0 2px"
_REJECTED = "text-decoration:line-through;color:#888"
_ROW_COLUMNS = ("accept", "report", "metric", "value", "unit", "raw", "evidence", "start", "end", "approx")


def summary_tab(store, catalog, who: str, show_plan, remember_imported) -> None:
    st.caption(t("summary.intro"))
    st.caption(t("upload.box_hint"))
    upload = st.file_uploader(t("summary.file"), type=[e.lstrip(".") for e in SUMMARY_EXTENSIONS], key="summary_file")
    pasted = st.text_area(t("summary.paste"), key="summary_paste", height=140)
    if upload is not None:
        name, data = upload.name, upload.getvalue()
    elif pasted.strip():
        name, data = None, pasted.encode("utf-8")
    else:
        return
    digest = sha256_of(data)[:16]
    try:
        text, reports = _read(data, name or "x.txt")
    except sr.ReviewError as exc:
        st.error(f"{t('upload.refused')}:{exc}")
        return
    first = sr.first_review(reports)
    if name is None:  # a paste is stored under the name of who wrote it: 宁波市鄞州区消保委-1a2b3c4d.txt
        name = f"{_file_safe(first.reports[0].agency) or label('summary.pasted_name', 'zh')}-{digest[:8]}.txt"
    st.write(t("summary.found", reports=len(reports), n=len(first.rows)))

    names = {m.id: m.en if lang() == "en" else m.zh for m in catalog.metrics.values()}
    labels = [_report_label(r.title, k, len(reports)) for k, r in enumerate(reports)]
    st.markdown(f"**{t('summary.reports')}**")
    fields = [report_fields(k, label, f, digest) for k, (label, f) in enumerate(zip(labels, first.reports))]
    st.markdown(f"**{t('summary.rows')}**")
    evidence = [m.evidence for r in reports for m in r.mentions]  # the clause each number was read in
    rows = st.data_editor(
        _rows_frame(first, text, evidence, labels, names, catalog),
        key=f"summary_rows_{digest}",
        hide_index=True,
        width="stretch",
        num_rows="dynamic",
        disabled=["unit", "raw", "evidence"],
        column_order=_ROW_COLUMNS[:7],
        column_config={
            "accept": st.column_config.CheckboxColumn(t("summary.accept"), default=True),
            "report": st.column_config.SelectboxColumn(
                t("summary.report"), options=labels, default=labels[0], required=True
            ),
            "metric": st.column_config.SelectboxColumn(
                t("common.measure"), options=list(names.values()), required=True
            ),
            "value": st.column_config.NumberColumn(t("summary.value"), min_value=0),
            "unit": st.column_config.TextColumn(t("common.unit")),
            "raw": st.column_config.TextColumn(t("common.raw")),
            "evidence": st.column_config.TextColumn(t("summary.evidence"), width="large"),
        },
    )
    review = _review(fields, rows, labels, {v: k for k, v in names.items()})
    with st.expander(t("summary.text"), expanded=True), st.container(height=420 if len(text) > 1200 else "content"):
        st.html(highlighted(text, review, names))

    try:
        result = sr.review_result(name, text, review, catalog=catalog)
    except sr.ReviewError as exc:
        st.warning(f"{t('summary.problems')}:{exc}")
        result = None
    ready = False
    if result is not None:
        settings = review.to_json()
        plan = store.plan(result, data, settings=settings)
        show_plan(plan)
        ready = plan.status in ("new", "replaces")
    if st.button(t("summary.confirm"), type="primary", disabled=not ready, key="summary_confirm"):
        outcome = store.import_result(result, data, who=who, settings=settings)
        st.session_state["summary_outcome"] = (digest, outcome)
        remember_imported([outcome])
        st.rerun()
    show_outcome(digest)


@st.cache_data(max_entries=8, show_spinner=False)
def _read(data: bytes, name: str):
    return sr.read_summary(data, name)


def show_outcome(digest: str) -> None:
    """The result of importing this very text (another text's result is not shown)."""
    done, outcome = st.session_state.get("summary_outcome", (None, None))
    if outcome is None or done != digest:
        return
    style = st.success if outcome.status == "imported" else st.info if outcome.status == "duplicate" else st.error
    style(f"{outcome.file}:{t('upload.status.' + outcome.status)} · {outcome.message}")


def _file_safe(name: str | None) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "", name or "")[:40]


def _report_label(title: str, k: int, n: int) -> str:
    if n == 1:
        return t("summary.whole")
    return sr.numbered(title) or (f"{k + 1}. {title[:12]}" if title else f"{k + 1}.")


def report_fields(k: int, label: str, found: sr.ReportFields, digest: str) -> sr.ReportFields:
    """One line of inputs per report, filled with what the text says; blank means unknown."""
    shown: Literal["visible", "collapsed"] = "visible" if k == 0 else "collapsed"
    cells = st.columns((2, 4, 2, 3, 2, 3), vertical_alignment="bottom")
    cells[0].text(label)  # the document's own heading: shown as text, never as markdown
    key = f"summary_{digest}_{k}"
    agency = cells[1].text_input(t("upload.agency"), found.agency or "", key=f"{key}_agency", label_visibility=shown)
    sectors = ["", *SECTORS]
    sector = cells[2].selectbox(
        t("upload.sector"),
        sectors,
        index=sectors.index(found.sector or ""),
        key=f"{key}_sector",
        label_visibility=shown,
        format_func=lambda s: s or t("upload.auto"),
    )  # automatic: from the agency
    region = cells[3].text_input(t("upload.region"), found.region or "", key=f"{key}_region", label_visibility=shown)
    known = found.year if found.year is not None and 1990 <= found.year <= 2100 else None
    year = cells[4].number_input(
        t("upload.year"), 1990, 2100, known, step=1, key=f"{key}_year", label_visibility=shown, placeholder="—"
    )
    theme = cells[5].text_input(t("upload.theme"), found.theme or "", key=f"{key}_theme", label_visibility=shown)
    return sr.ReportFields(
        title=found.title,
        agency=agency.strip() or None,
        sector=sector or None,
        region=region.strip() or None,
        year=int(year) if year else None,
        theme=theme.strip() or None,
    )


def _rows_frame(
    review: sr.Review, text: str, evidence: list[str], labels: list[str], names: dict[str, str], catalog
) -> pd.DataFrame:
    rows = review.rows
    return pd.DataFrame(
        {
            "accept": [True] * len(rows),
            "report": [labels[r.report] for r in rows],
            "metric": [names[r.metric] for r in rows],
            "value": [r.value for r in rows],
            "unit": [catalog[r.metric].unit or "" for r in rows],
            "raw": [text[r.start : r.end] for r in rows],
            "evidence": evidence,
            "start": pd.array([r.start for r in rows], dtype="Int64"),
            "end": pd.array([r.end for r in rows], dtype="Int64"),
            "approx": [r.approx for r in rows],
        },
        columns=list(_ROW_COLUMNS),
    )


def _review(
    fields: list[sr.ReportFields], rows: pd.DataFrame, labels: list[str], metric_ids: dict[str, str]
) -> sr.Review:
    """The review as the inputs and the table now stand; an unknown metric stays as typed (and is refused)."""
    out = []
    for row in rows.to_dict("records"):
        label, start, end = row.get("report"), row.get("start"), row.get("end")
        value = row.get("value")
        out.append(
            sr.ReviewRow(
                report=labels.index(label) if label in labels else 0,
                metric=metric_ids.get(row.get("metric"), str(row.get("metric") or "")),
                value=float("nan") if value is None or pd.isna(value) else float(value),
                start=None if start is None or pd.isna(start) else int(start),
                end=None if end is None or pd.isna(end) else int(end),
                approx=row.get("approx") if isinstance(row.get("approx"), str) else None,
                accepted=bool(row.get("accept")) if row.get("accept") is not None else True,
                raw=row.get("raw") if isinstance(row.get("raw"), str) and row.get("start") is not None else None,
            )
        )
    return sr.Review(list(fields), out)


def highlighted(text: str, review: sr.Review, names: dict[str, str]) -> str:
    """The summary as HTML, every found number marked (accepted) or struck through (rejected); all text escaped."""
    spans = sorted((r.start, r.end, r) for r in review.rows if r.start is not None and r.end is not None)
    parts, at = [], 0
    for start, end, row in spans:
        if start < at:
            continue
        parts.append(html.escape(text[at:start]))
        tip = html.escape(f"{names.get(row.metric, row.metric)}: {row.value:g}", quote=True)
        style = _MARK if row.accepted else _REJECTED
        parts.append(f'<mark style="{style}" title="{tip}">{html.escape(text[start:end])}</mark>')
        at = end
    parts.append(html.escape(text[at:]))
    return f'<div style="white-space:pre-wrap;line-height:1.8">{"".join(parts)}</div>'
