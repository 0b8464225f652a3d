"""操作日志 (管理员): search every login, import, delete/restore, review step, export and account change; export it."""

import datetime as dt

import pandas as pd
import streamlit as st

from metrics.access import accounts
from metrics.access.rules import Action, Role
from metrics.core.fmt import BEIJING, beijing_time
from metrics.core.safe_export import csv_bytes, xlsx_bytes
from ui.common import audited, can, get_store, lang, show_table, t

st.title(t("nav.audit"))
if not can(Action.AUDIT):
    st.info(t("auth.no_role"))
    st.stop()
store = get_store()

left, middle, right = st.columns(3)
who = left.text_input(t("audit.who"), key="audit_who")
actions = ["", *accounts.AUDIT_ACTIONS]
action = middle.selectbox(
    t("audit.action"),
    actions,
    key="audit_action",
    format_func=lambda a: t("audit.any") if not a else accounts.AUDIT_ACTIONS[a],
)
text = right.text_input(t("audit.text"), key="audit_text")
left, right = st.columns(2)
today = dt.datetime.now(BEIJING).date()  # the log is searched by Beijing days, whatever the server's zone
since = left.date_input(t("audit.since"), value=today - dt.timedelta(days=30), key="audit_since")
until = right.date_input(t("audit.until"), value=today, key="audit_until")

found = accounts.search_audit(store, who=who or None, action=action or None, since=since, until=until, text=text)
shown = pd.DataFrame(
    {
        t("audit.col.at"): [beijing_time(a) for a in found["at"]],
        t("audit.col.who"): found["who"],
        t("audit.col.role"): [
            Role(r).zh if r in Role._value2member_map_ and lang() == "zh" else r for r in found["role"]
        ],
        t("audit.col.action"): [accounts.AUDIT_ACTIONS.get(a, a) if lang() == "zh" else a for a in found["action"]],
        t("audit.col.ok"): [t("audit.ok") if ok else t("audit.refused") for ok in found["ok"]],
        t("audit.col.ids"): found["submission_ids"],
        t("audit.col.target"): found["target"],
        t("audit.col.detail"): found["detail"],
        t("audit.col.source"): found["source"],
    }
)
st.caption(t("audit.count", n=len(shown)))
show_table(shown)
stem = f"{t('nav.audit')}_{since:%Y%m%d}-{until:%Y%m%d}"
left, right = st.columns(2)
left.download_button(
    t("audit.export_xlsx"),
    audited(lambda: xlsx_bytes({t("nav.audit"): shown}), f"{stem}.xlsx"),
    f"{stem}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="audit_xlsx",
    on_click="ignore",
)
right.download_button(
    t("audit.export_csv"),
    audited(lambda: csv_bytes(shown), f"{stem}.csv"),
    f"{stem}.csv",
    "text/csv",
    key="audit_csv",
    on_click="ignore",
)

st.subheader(t("audit.users"))
st.caption(t("audit.users_help"))
users = [u.to_dict() for u in accounts.list_users(store)]
if users:
    show_table(
        pd.DataFrame(
            {
                t("audit.col.name"): [u["name"] for u in users],
                t("audit.col.display"): [u["display"] for u in users],
                t("audit.col.role"): [u["role_zh"] if lang() == "zh" else u["role"] for u in users],
                t("audit.col.scope"): [u["scope"] for u in users],
                t("audit.col.login"): [u["login"] for u in users],
                t("audit.col.active"): [u["active"] for u in users],
                t("audit.col.last_login"): [beijing_time(u["last_login"]) if u["last_login"] else None for u in users],
            }
        )
    )
