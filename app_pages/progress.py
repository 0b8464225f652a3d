"""报送进度: how far a collection round has got — rates overall, by region and by sector; whom to chase; 催报."""

import pandas as pd
import streamlit as st

from metrics.access.rules import Action
from metrics.analysis import charts
from metrics.collection import campaigns as cp
from metrics.collection import completeness
from metrics.collection.completeness import needs_attention, percent, region_rates
from metrics.collection.reminders import SUFFIXES, make_reminder, reminder_counts, reminder_history
from metrics.core.catalog import default_catalog
from metrics.core.fmt import beijing_time
from metrics.reading.regions import default_gazetteer
from ui.common import (
    can,
    choose_campaign,
    filters,
    get_store,
    lang,
    show_chart,
    show_rate_map,
    show_table,
    status_name,
    t,
    who_input,
)

RATES = ("reporting_rate", "on_time_rate", "approval_rate")

st.title(t("progress.title"))
store = get_store()
campaign = choose_campaign(cp.list_campaigns(store), "progress_pick")
if campaign is None:
    st.info(t("progress.none"))
    st.stop()
report = completeness.build(store, campaign.id)
overall = report.overall
if not overall.expected:
    st.info(t("campaigns.no_roster"))
    st.stop()
st.caption(
    t(
        "progress.covers",
        n=overall.expected,
        due=campaign.due_date.isoformat(),
        last=campaign.last_on_time_day.isoformat(),
    )
)

counts = {"reporting_rate": overall.reported, "on_time_rate": overall.on_time, "approval_rate": overall.approved}
for column, rate in zip(st.columns(len(RATES)), RATES):
    column.metric(
        t(f"progress.{rate}"),
        percent(getattr(overall, rate)),
        help=t("progress.of_expected", n=counts[rate], expected=overall.expected),
    )
st.caption(
    t("campaigns.sep").join(f"{status_name(s)} {overall.counts[str(s)]}" for s in cp.Status)
    + t("campaigns.sep")
    + t("progress.late_count", n=overall.late)
)


def rate_table(rates, group_label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            group_label: [r.group for r in rates],
            t("progress.expected"): [r.expected for r in rates],
            t("progress.reported"): [r.reported for r in rates],
            t("progress.on_time"): [r.on_time for r in rates],
            t("progress.late"): [r.late for r in rates],
            t("progress.approved"): [r.approved for r in rates],
            **{t(f"progress.{k}"): [percent(getattr(r, k)) for r in rates] for k in RATES},
        }
    )


def rate_chart(rates, group_label: str, rate: str, key: str) -> None:
    """A bar per group of the chosen rate (in %), the counts and every rate beside it."""
    frame = pd.DataFrame(
        {"group": [r.group for r in rates], "value": [round(getattr(r, rate) * 100, 1) for r in rates]}
    )
    title = t("progress.chart", rate=t(f"progress.{rate}"), by=group_label, name=campaign.name)
    left, right = st.columns([1, 1])
    with left:
        show_chart(charts.bar_rates(frame, "group", "value", title=title, lang=lang()), title, key=key)
    with right:
        show_table(rate_table(rates, group_label))


chosen = filters()
rate = st.radio(
    t("progress.rate"), RATES, horizontal=True, key="progress_rate", format_func=lambda k: t(f"progress.{k}")
)
level, by_region = region_rates(report, province=chosen.province, city=chosen.city, gazetteer=default_gazetteer())
st.subheader(t("progress.by_region", level=t(f"common.{level}")))
if chosen.province:
    st.caption(t("progress.within", place=" ".join(p for p in (chosen.province, chosen.city) if p)))
show_rate_map(campaign, report, rate, chosen, "progress_map")
if by_region:
    rate_chart(by_region, t(f"common.{level}"), rate, "progress_region")
else:
    st.info(t("progress.no_units_here"))
st.subheader(t("progress.by_sector"))
rate_chart(report.by_sector, t("common.sector"), rate, "progress_sector")

st.subheader(t("progress.attention"))
chase = needs_attention(report.units)
reminded = reminder_counts(store, campaign.id)
gaz = default_gazetteer()
if chase:
    show_table(
        pd.DataFrame(
            {
                t("common.agency"): [u.unit.name for u in chase],
                t("common.status"): [status_name(u.status) for u in chase],
                t("campaigns.late"): [t("campaigns.late_yes") if u.late else "" for u in chase],
                t("common.sector"): [u.unit.sector for u in chase],
                t("progress.region"): [
                    (region.path if u.unit.adcode and (region := gaz.by_adcode(u.unit.adcode)) else None) for u in chase
                ],
                t("progress.contact"): [u.unit.contact for u in chase],
                t("progress.phone"): [u.unit.phone for u in chase],
                t("campaigns.comment"): [u.comment for u in chase],
                t("progress.reminded"): [reminded.get(u.unit.id, 0) for u in chase],
            }
        )
    )
else:
    st.success(t("progress.all_done"))

empty = cp.missing_metrics(store, campaign.id)
if empty:
    st.subheader(t("progress.missing", n=len(empty)))
    names = {u.unit.id: u.unit.name for u in report.units}
    catalog = default_catalog()
    show_table(
        pd.DataFrame(
            {
                t("common.agency"): [names.get(unit, unit) for unit in empty],
                t("progress.missing_metrics"): [
                    "、".join(
                        (catalog[m].en if lang() == "en" else catalog[m].zh) if m in catalog.metrics else m for m in ms
                    )
                    for ms in empty.values()
                ],
            }
        )
    )


def remind_form() -> None:
    """催报 files for the units still missing (审核员 and 管理员)."""
    st.subheader(t("progress.remind"))
    st.caption(t("progress.remind_help"))
    left, middle, right = st.columns(3)
    office = left.text_input(t("progress.office"), key="progress_office")
    contact = middle.text_input(t("progress.office_contact"), key="progress_contact")
    with right:
        who = who_input("campaigns.who", "progress_who")
    suffix = st.radio(
        t("progress.format"),
        list(SUFFIXES),
        horizontal=True,
        key="progress_format",
        format_func=lambda s: t(f"progress.format.{s.lstrip('.')}"),
    )
    if st.button(t("progress.make"), type="primary", key="progress_make"):
        try:
            made = make_reminder(store, campaign.id, suffix, office=office, contact=contact, who=who)
        except (cp.CampaignError, ValueError) as exc:
            st.error(str(exc))
        else:
            st.session_state["progress_reminder"] = {
                "campaign": campaign.id,
                "data": made.data,
                "file_name": made.file_name,
                "mime": made.mime,
                "n": len(made.log.units),
                "skipped": [(u.unit, reason) for u, reason in made.skipped],
            }
    kept = st.session_state.get("progress_reminder")
    if kept and kept["campaign"] == campaign.id:
        st.success(t("progress.logged", n=kept["n"]))
        st.download_button(
            t("progress.download", file=kept["file_name"]),
            kept["data"],
            kept["file_name"],
            kept["mime"],
            key="progress_download",
            on_click="ignore",
        )
        if kept["skipped"]:
            st.warning(t("progress.skipped", n=len(kept["skipped"])))
            show_table(pd.DataFrame(kept["skipped"], columns=[t("common.agency"), t("progress.why")]))


if can(Action.REVIEW):
    remind_form()

# The log holds every account's reminders: keep those sent to units of this account's roster, counting only them.
mine = {u.unit.name for u in report.units}
history = [(h, sum(n in mine for n in h.units)) for h in reminder_history(store, campaign.id)]
history = [(h, n) for h, n in history if n]
if history:
    with st.expander(t("progress.history", n=len(history))):
        show_table(
            pd.DataFrame(
                {
                    t("progress.sent_at"): [beijing_time(h.when.isoformat()) for h, _ in history],
                    t("progress.format"): [t(f"progress.channel.{h.channel}") for h, _ in history],
                    t("progress.who"): [h.who for h, _ in history],
                    t("progress.units"): [n for _, n in history],
                }
            )
        )
