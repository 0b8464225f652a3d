"""数据上报: upload returns, see what was read and what is wrong, correct it, then import."""

import pandas as pd
import streamlit as st

from metrics.access.rules import Action
from metrics.analysis.query import measure_of
from metrics.collection.campaigns import link_submission
from metrics.core.catalog import default_catalog
from metrics.core.fmt import format_metric
from metrics.core.issues import ISSUE_CODES
from metrics.core.labels import layout_name
from metrics.reading.corrections import corrected, read_columns
from metrics.reading.dimensions import NATIONAL_THEMES
from metrics.reading.dimensions import SECTORS as DIMENSION_SECTORS
from metrics.reading.ingest import Overrides, ingest_bytes
from metrics.storage.store import overrides_to_json, sha256_of
from ui.common import can, get_store, lang, show_table, t, who_input
from ui.summary_tab import summary_tab

SECTORS = ("", *DIMENSION_SECTORS)
PREVIEW_ROWS = 200

st.title(t("upload.title"))
st.caption(t("upload.intro"))
store = get_store()
catalog = default_catalog()
reads: dict = st.session_state.setdefault("upload_reads", {})
fixes: dict = st.session_state.setdefault("upload_fixes", {})

if not can(Action.UPLOAD):
    st.info(t("auth.no_role"))
    st.stop()
who = who_input("upload.who", "upload_who")


def read(name: str, data: bytes, digest: str):
    """The file read with its corrections; kept per (bytes, corrections) so reruns do not re-read."""
    overrides = fixes.get(digest, Overrides())
    key = (digest, name, overrides_to_json(overrides))
    if key not in reads:
        reads[key] = ingest_bytes(data, name, overrides=overrides)
    return reads[key], overrides


_PREVIEW_COLUMNS = {
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


def metric_name(metric) -> str:
    """A catalog metric's name in the UI's language."""
    return metric.en if lang() == "en" else metric.zh


def preview_table(result) -> pd.DataFrame:
    """The first records as people read them: metric names, headers in the UI's language."""
    frame = result.frame().head(PREVIEW_ROWS)
    frame["metric"] = [metric_name(catalog[m]) for m in frame["metric"]]
    frame["source"] = [s.split("/", 1)[-1] for s in frame["source"]]
    return frame[list(_PREVIEW_COLUMNS)].rename(columns={k: t(v) for k, v in _PREVIEW_COLUMNS.items()})


def show_issues(result) -> None:
    levels = ("error", "warning", "info")
    grouped = {lvl: [i for i in result.issues if i.level == lvl] for lvl in levels}
    tabs = st.tabs([f"{t('quality.level.' + lvl)} ({len(grouped[lvl])})" for lvl in levels])
    for tab, level in zip(tabs, levels):
        with tab:
            if not grouped[level]:
                st.write(t("quality.none"))
                continue
            show_table(
                pd.DataFrame(
                    [
                        {
                            t("common.where"): i.where,
                            t("common.issue"): ISSUE_CODES[i.code][1] if i.code in ISSUE_CODES else i.code,
                            t("common.raw"): i.value,
                            t("common.message"): i.message,
                        }
                        for i in grouped[level]
                    ]
                )
            )


def correction_form(result, overrides: Overrides, digest: str, sheets: list[str]) -> None:
    """Fields left blank keep what the reader found; submitting re-reads the file at once."""
    metric_names = {metric_name(m): m.id for m in catalog.metrics.values()}
    frame = result.frame() if len(result.batch) else pd.DataFrame()
    found = {
        name: (
            frame[name].dropna().astype(str).value_counts().index[0]
            if not frame.empty and frame[name].notna().any()
            else ""
        )
        for name in ("agency", "sector", "year", "theme")
    }
    with st.form(f"fix_{digest}"):
        st.caption(t("upload.fix_help"))
        a, b, c = st.columns(3)
        agency = a.text_input(t("upload.agency"), overrides.agency or "", placeholder=found["agency"])
        sector = b.selectbox(
            t("upload.sector"),
            SECTORS,
            index=SECTORS.index(overrides.sector) if overrides.sector in SECTORS else 0,
            format_func=lambda s: s or t("upload.auto"),
        )
        region = c.text_input(t("upload.region"), overrides.region or "")
        d, e, f = st.columns(3)
        year = d.number_input(
            t("upload.year"),
            min_value=1990,
            max_value=2100,
            step=1,
            value=overrides.year,
            placeholder=str(found["year"] or t("upload.auto")),
        )
        themes = ["", *sorted(set(NATIONAL_THEMES.values()))]
        theme = e.selectbox(
            t("upload.theme"),
            themes,
            index=themes.index(overrides.theme) if overrides.theme in themes else 0,
            format_func=lambda s: s or t("upload.auto"),
            accept_new_options=True,
        )
        sheet_choices = ["", *sheets]
        sheet = f.selectbox(
            t("upload.sheet"),
            sheet_choices,
            index=sheet_choices.index(overrides.sheet) if overrides.sheet in sheet_choices else 0,
            format_func=lambda s: s or t("upload.auto"),
        )
        header_rows = st.text_input(t("upload.header_rows"), ",".join(map(str, overrides.header_rows or ())))
        columns = read_columns(result)
        edited = None
        if columns:
            st.caption(t("upload.columns"))
            choices = [t("upload.auto"), t("upload.ignore"), *metric_names]
            current = {
                letter: (t("upload.ignore") if m == "" else metric_name(catalog[m]))
                for letter, m in overrides.columns.items()
                if m == "" or m in catalog.metrics
            }
            table = pd.DataFrame(
                {
                    t("upload.column"): [c.letter for c in columns],
                    t("upload.read_as"): [
                        c.label if c.metric is None else metric_name(catalog[c.metric]) for c in columns
                    ],
                    t("upload.set_to"): [current.get(c.letter, t("upload.auto")) for c in columns],
                }
            )
            edited = st.data_editor(
                table,
                hide_index=True,
                disabled=list(table.columns[:2]),
                width="stretch",
                column_config={table.columns[2]: st.column_config.SelectboxColumn(options=choices, required=True)},
            )
        if st.form_submit_button(t("upload.reread")):
            mapping = dict(overrides.columns)
            if edited is not None:
                for letter, choice in zip(edited.iloc[:, 0], edited.iloc[:, 2]):
                    if choice == t("upload.ignore"):
                        mapping[letter] = ""
                    elif choice in metric_names:
                        mapping[letter] = metric_names[choice]
                    else:
                        mapping.pop(letter, None)
            try:
                fixes[digest] = corrected(
                    overrides,
                    agency=agency,
                    sector=sector,
                    region=region,
                    year=int(year) if year else None,
                    theme=theme or "",
                    sheet=sheet,
                    header_rows=header_rows,
                    columns=mapping,
                )
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.rerun()


def show_plan(plan) -> None:
    if plan.status == "duplicate" and plan.duplicate_of in st.session_state.get("imported_ids", ()):
        # Imported a moment ago in this session: say so, not "already imported" as if it were refused.
        st.success(t("upload.imported_now", id=plan.duplicate_of))
        return
    style = {"new": st.info, "replaces": st.warning, "duplicate": st.success, "refused": st.error}[plan.status]
    style(plan.message if plan.status == "refused" else f"{t('upload.plan')}:{plan.message}")
    if plan.diff:
        st.caption(t("upload.diff"))
        rows = []
        for row in plan.diff:
            measure = measure_of(row["measure"], catalog)
            rows.append(
                {
                    t("common.measure"): measure.name(lang()),
                    t("upload.old"): format_metric(row["old"], measure.unit, lang=lang()),
                    t("upload.new"): format_metric(row["new"], measure.unit, lang=lang()),
                    t("upload.change"): format_metric(row["new"] - row["old"], measure.unit, lang=lang()),
                }
            )
        show_table(pd.DataFrame(rows))


def remember_imported(outcomes) -> None:
    """The returns this session imported, so the next run says 已成功导入 rather than 已导入 (a re-upload)."""
    ids = st.session_state.setdefault("imported_ids", set())
    ids.update(o.submission_id for o in outcomes if o.status == "imported")


def tables() -> None:
    """Returns (xlsx, xls, ods, csv): read, show, correct, then import."""
    st.caption(t("upload.box_hint"))
    files = st.file_uploader(t("upload.files"), accept_multiple_files=True, key="uploader")
    if not files:
        return

    ready = []
    for upload in files:
        data = upload.getvalue()
        digest = sha256_of(data)
        result, overrides = read(upload.name, data, digest)
        with st.expander(upload.name, expanded=len(files) <= 3 or not result.ok, icon=":material/description:"):
            if not result.ok:
                st.error(f"{t('upload.refused')}:{result.error}")
                continue
            layouts = ";".join(f"{sheet}:{layout_name(layout, lang())}" for sheet, layout in result.layouts.items())
            st.write(f"**{t('upload.layout')}**:{layouts} · {t('upload.records', n=result.stats.records)}")
            plan = store.plan(result, data, overrides)
            show_plan(plan)
            if plan.status in ("new", "replaces"):
                ready.append((upload.name, data, result, overrides))
            st.caption(t("upload.preview"))
            show_table(preview_table(result))
            st.caption(t("upload.issues"))
            show_issues(result)
            with st.container(border=True):
                st.markdown(f"**{t('upload.fix')}**")
                correction_form(result, overrides, digest, list(result.layouts))

    if st.button(t("upload.confirm"), type="primary", disabled=not ready, key="upload_confirm"):
        outcomes = [
            store.import_result(result, data, overrides=overrides, who=who) for _, data, result, overrides in ready
        ]
        st.session_state["upload_outcomes"] = outcomes
        # A return of a round's year counts for its roster units (已报待审), as if sent on 报送任务.
        st.session_state["upload_links"] = [
            link
            for o in outcomes
            if o.status == "imported"
            for link in link_submission(store, o.submission_id, who=who)
        ]
        remember_imported(outcomes)
        st.rerun()
    if not ready and "upload_outcomes" not in st.session_state:
        st.caption(t("upload.nothing"))

    if shown := st.session_state.get("upload_outcomes"):
        st.subheader(t("upload.result"))
        show_table(
            pd.DataFrame(
                [
                    {
                        t("common.file"): o.file,
                        t("common.status"): t(f"upload.status.{o.status}"),
                        t("common.records"): o.records,
                        t("common.message"): o.message,
                    }
                    for o in shown
                ]
            )
        )
        for link in st.session_state.get("upload_links", []):
            if link.status == "submitted":
                st.caption(t("upload.linked", campaign=link.campaign.name, unit=link.unit.name))
            elif link.status == "refused":
                st.warning(link.message)
            else:
                st.warning(t("upload.link_unclear", campaign=link.campaign.name, agency=link.agency))


tab_tables, tab_summary = st.tabs([t("upload.tab_tables"), t("upload.tab_summary")])
with tab_tables:
    tables()
with tab_summary:
    summary_tab(store, catalog, who, show_plan, remember_imported)
