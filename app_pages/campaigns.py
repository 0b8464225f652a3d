"""报送任务: create or pick a collection round, its roster, each unit's status, and the review steps."""

import datetime as dt

import pandas as pd
import streamlit as st

from metrics.access.rules import Action
from metrics.analysis.charts import safe_filename
from metrics.collection import campaigns as cp
from metrics.core.catalog import default_catalog
from metrics.core.fmt import beijing_time
from metrics.core.safe_export import xlsx_bytes
from metrics.reading.roster import EDITABLE, roster_frame
from metrics.reading.sniff import FileRefused
from ui.common import (
    audited,
    can,
    choose_campaign,
    flash,
    get_store,
    lang,
    show_flash,
    show_table,
    status_name,
    t,
    who_input,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.title(t("campaigns.title"))
st.caption(t("campaigns.intro"))
store = get_store()
catalog = default_catalog()
who = who_input("campaigns.who", "campaign_who")
found = cp.list_campaigns(store)


def metric_name(metric_id: str) -> str:
    metric = catalog[metric_id]
    return metric.en if lang() == "en" else metric.zh


def new_round_form() -> None:
    """A new round, or last year's copied (管理员 only)."""
    with st.expander(t("campaigns.new"), expanded=not found):
        this_year = dt.date.today().year
        copy_from = st.selectbox(
            t("campaigns.copy_from"),
            [0, *[c.id for c in found]],
            key="campaign_copy_from",
            format_func=lambda i: (
                t("campaigns.copy_none") if not i else next(f"{c.year} {c.name}" for c in found if c.id == i)
            ),
        )
        name = st.text_input(t("campaigns.name"), key="campaign_new_name", help=t("campaigns.name_help"))
        left, middle, right = st.columns(3)
        year = left.number_input(
            t("common.year"), min_value=2000, max_value=2100, value=this_year, step=1, key="campaign_new_year"
        )
        due = middle.date_input(t("campaigns.due"), value=dt.date(this_year, 3, 25), key="campaign_new_due")
        grace = right.number_input(
            t("campaigns.grace"), min_value=0, max_value=60, value=0, step=1, key="campaign_new_grace"
        )
        asked = st.multiselect(
            t("campaigns.metrics"),
            list(catalog.ids),
            format_func=metric_name,
            key="campaign_new_metrics",
            disabled=bool(copy_from),
            help=t("campaigns.metrics_help"),
            placeholder=t("common.choose"),
        )
        if st.button(t("campaigns.create"), type="primary", key="campaign_create"):
            try:
                if copy_from:
                    made = cp.copy_campaign(
                        store,
                        copy_from,
                        year=int(year),
                        due=due,
                        grace_days=int(grace),
                        name=name.strip() or None,
                        who=who,
                    )
                else:
                    made = cp.create_campaign(
                        store, name=name, year=int(year), due=due, grace_days=int(grace), metrics=asked, who=who
                    )
            except cp.CampaignError as exc:
                st.error(str(exc))
            else:
                st.session_state["campaign_id"] = made.id
                st.session_state.pop("campaigns_pick", None)
                flash(t("campaigns.created", name=made.name, n=len(cp.roster(store, made.id))))
                st.rerun()


if can(Action.ROUNDS):
    new_round_form()
show_flash()
campaign = choose_campaign(cp.list_campaigns(store), "campaigns_pick")
if campaign is None:
    st.info(t("campaigns.none"))
    st.stop()
st.caption(
    t(
        "campaigns.settings",
        due=campaign.due_date.isoformat(),
        grace=campaign.grace_days,
        last=campaign.last_on_time_day.isoformat(),
        metrics=t("campaigns.sep").join(metric_name(m) for m in campaign.metrics) or t("campaigns.metrics_all"),
    )
)

# A radio, not st.tabs: the section stays chosen across the reruns every upload and step makes.
if st.session_state.get("campaign_section") not in ("status", "roster"):  # an empty roster opens on the roster
    st.session_state["campaign_section"] = "status" if cp.roster(store, campaign.id) else "roster"
section = st.radio(
    t("campaigns.section"),
    ["status", "roster"],
    horizontal=True,
    key="campaign_section",
    format_func=lambda k: t(f"campaigns.{k}"),
    label_visibility="collapsed",
)

if section == "roster":
    manage = can(Action.ROUNDS)
    if manage:
        upload = st.file_uploader(
            t("campaigns.roster_file"),
            type=["xlsx", "xls", "xlsm", "ods", "csv"],
            key="campaign_roster_file",
            help=t("campaigns.roster_help"),
        )
        if (
            st.button(t("campaigns.roster_import"), key="campaign_roster_import", disabled=upload is None)
            and upload is not None
        ):
            try:
                done = cp.import_roster(store, campaign.id, upload.getvalue(), upload.name)
            except FileRefused as exc:
                st.error(t("campaigns.refused", file=upload.name, reason=exc.message))
            else:
                st.session_state["campaign_roster_issues"] = [i.to_dict() for i in done.issues]
                flash(
                    t(
                        "campaigns.roster_done",
                        added=done.added,
                        updated=done.updated,
                        skipped=sum(i.level == "error" for i in done.issues),
                    )
                )
                st.rerun()
    issues = st.session_state.get("campaign_roster_issues")
    if issues:
        st.warning(t("campaigns.roster_issues", n=len(issues)))
        show_table(
            pd.DataFrame(
                [
                    {
                        t("common.where"): i["where"],
                        t("common.issue"): t(f"quality.level.{i['level']}"),
                        t("common.code"): i["code"],
                        t("common.raw"): i["value"],
                        t("common.message"): i["message"],
                    }
                    for i in issues
                ]
            )
        )
    units = cp.roster(store, campaign.id)
    table = roster_frame(units)
    st.subheader(t("campaigns.roster_count", n=len(units)))
    if units:
        if manage:
            st.caption(t("campaigns.roster_edit_help"))
        editor = f"campaign_roster_editor_{st.session_state.get('campaign_roster_saves', 0)}"  # new key: edits cleared
        st.data_editor(
            table,
            hide_index=True,
            width="stretch",
            num_rows="fixed",
            key=editor,
            disabled=[c for c in table.columns if c not in EDITABLE or not manage],
        )
        changed = st.session_state.get(editor, {}).get("edited_rows", {})
        if manage and st.button(t("campaigns.roster_save"), key="campaign_roster_save", disabled=not changed):
            edits = {
                units[int(row)].id: {EDITABLE[c]: v for c, v in fields.items() if c in EDITABLE}
                for row, fields in changed.items()
            }
            try:
                cp.edit_roster(store, campaign.id, edits)
            except cp.CampaignError as exc:
                st.error(str(exc))
            else:
                st.session_state["campaign_roster_saves"] = st.session_state.get("campaign_roster_saves", 0) + 1
                flash(t("campaigns.roster_saved", n=len(edits)))
                st.rerun()
        roster_name = safe_filename(t("campaigns.roster_file_name", name=campaign.name)) + ".xlsx"
        roster_sheet = t("campaigns.roster")
        st.download_button(
            t("campaigns.roster_download"),
            audited(lambda: xlsx_bytes({roster_sheet: table}), roster_name),
            roster_name,
            XLSX,
            key="campaign_roster_xlsx",
            on_click="ignore",
        )

else:
    statuses = cp.unit_statuses(store, campaign.id)
    if not statuses:
        st.info(t("campaigns.no_roster"))
        st.stop()
    show_table(
        pd.DataFrame(
            {
                t("common.agency"): [s.unit.name for s in statuses],
                t("common.status"): [status_name(s.status) for s in statuses],
                t("campaigns.late"): [t("campaigns.late_yes") if s.late else "" for s in statuses],
                t("campaigns.version"): [s.version or None for s in statuses],
                t("campaigns.changed_at"): [beijing_time(s.changed_at) if s.changed_at else None for s in statuses],
                t("campaigns.comment"): [s.comment for s in statuses],
            }
        )
    )

    by_id = {s.unit.id: s for s in statuses}
    if (chosen := st.session_state.pop("campaign_unit_next", None)) in by_id:  # the unit whose return just came
        st.session_state["campaign_unit"] = chosen
    unit_id = st.selectbox(
        t("campaigns.unit"), list(by_id), key="campaign_unit", format_func=lambda i: by_id[i].unit.name
    )  # not the status: a label must not change
    current = by_id[unit_id]
    template = cp.unit_template(store, campaign.id, unit_id)
    st.download_button(
        t("campaigns.template_download"),
        audited(lambda: template.data, template.file_name),
        template.file_name,
        XLSX,
        key="campaign_template",
        on_click="ignore",
        help=t("campaigns.template_help"),
    )
    if template.left_out:
        st.caption(t("campaigns.template_left_out", metrics="、".join(metric_name(m) for m in template.left_out)))

    if can(Action.UPLOAD):
        st.markdown(f"**{t('campaigns.upload')}**")
        sent = st.file_uploader(
            t("campaigns.return_file"), type=["xlsx", "xls", "xlsm", "ods", "csv"], key="campaign_return_file"
        )
        if sent is not None:
            st.caption(t("campaigns.return_ready", file=sent.name))
        if st.button(t("campaigns.upload"), key="campaign_upload", disabled=sent is None) and sent is not None:
            outcome = cp.submit_return(store, campaign.id, sent.getvalue(), sent.name, who=who)
            if outcome.status in ("ambiguous", "unknown"):
                st.session_state["campaign_pending"] = {
                    "data": sent.getvalue(),
                    "name": sent.name,
                    "message": outcome.message,
                    "candidates": [u.id for u in outcome.candidates] or list(by_id),
                }
            elif outcome.status == "submitted" and outcome.unit is not None:
                st.session_state.pop("campaign_pending", None)
                flash(t("campaigns.submitted", unit=outcome.unit.name, version=outcome.version))
                st.session_state["campaign_unit_next"] = outcome.unit.id
                st.rerun()
            else:
                st.error(outcome.message)
        pending = st.session_state.get("campaign_pending")
        if pending:
            st.warning(pending["message"])
            options = pending["candidates"]
            pick = st.selectbox(
                t("campaigns.pick_unit"),
                options,
                key="campaign_pending_unit",
                index=options.index(unit_id) if unit_id in options else 0,
                format_func=lambda i: by_id[i].unit.name,
            )
            if st.button(t("campaigns.submit_as"), key="campaign_submit_as"):
                outcome = cp.submit_return(store, campaign.id, pending["data"], pending["name"], who=who, unit_id=pick)
                st.session_state.pop("campaign_pending", None)
                if outcome.status == "submitted" and outcome.unit is not None:
                    flash(t("campaigns.submitted", unit=outcome.unit.name, version=outcome.version))
                    st.session_state["campaign_unit_next"] = outcome.unit.id
                    st.rerun()
                st.error(outcome.message)

    st.markdown(f"**{t('campaigns.review')}** · {current.unit.name} · {status_name(current.status)}")
    found_issues = cp.return_issues(store, campaign.id, unit_id)
    errors = [i for i in found_issues if i["level"] == "error"]
    if found_issues:
        show_table(
            pd.DataFrame(
                [
                    {
                        t("common.issue"): t(f"quality.level.{i['level']}"),
                        t("common.where"): i["location"],
                        t("common.raw"): i["value"],
                        t("common.message"): i["message"],
                    }
                    for i in found_issues
                ]
            )
        )
    if errors:
        st.error(t("campaigns.has_errors", n=len(errors)))
    if can(Action.REVIEW):
        comment = st.text_area(t("campaigns.reason"), key="campaign_reason", help=t("campaigns.reason_help"))
        force = st.checkbox(
            t("campaigns.force"), key="campaign_force", disabled=not errors, help=t("campaigns.force_help")
        )
        steps = {
            "return": lambda: cp.return_with_comment(store, campaign.id, unit_id, comment, who=who),
            "approve": lambda: cp.approve(
                store, campaign.id, unit_id, who=who, force_reason=comment if force else None
            ),
            "lock": lambda: cp.lock(store, campaign.id, unit_id, who=who),
            "unlock": lambda: cp.unlock(store, campaign.id, unit_id, comment, who=who),
        }
        for column, (action, step) in zip(st.columns(len(steps)), steps.items()):
            allowed = current.status in cp.TRANSITIONS[action][0]
            if column.button(t(f"campaigns.do.{action}"), key=f"campaign_do_{action}", disabled=not allowed):
                try:
                    after = step()
                except cp.CampaignError as exc:
                    st.error(str(exc))
                else:
                    flash(t("campaigns.stepped", unit=after.unit.name, status=status_name(after.status)))
                    st.rerun()
