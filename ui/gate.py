"""The door every run passes first: which account this browser session acts for (or a login form, or a refusal).

Three modes, decided by the store and the secrets:
* no account and no ``[auth]`` in secrets: the machine's owner, allowed only on 127.0.0.1 (else refused);
* local accounts (``python -m metrics user add``): a user-name and password form;
* ``[auth]`` in ``.streamlit/secrets.toml``: Streamlit's OpenID Connect login (``st.login``); the provider's
  e-mail must be registered as an account, which gives the role and scope.
A login lasts for the browser session (a reload asks again for a local account), with idle and absolute limits.
"""

from __future__ import annotations

import sys
import threading
import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from metrics.access import accounts
from metrics.access.rules import OWNER, AccessDenied, Principal, bind_refusal, is_loopback
from metrics.core.labels import t as _t
from metrics.storage.store import Store

_KEY = "principal"


def _lang() -> str:
    return st.session_state.get("lang", "zh")


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def client_address() -> str:
    """The browser's IP address for the audit log; "" when no browser is behind this run (a test harness)."""
    try:
        address = st.context.ip_address
    except Exception:  # no browser behind this run (a test harness)
        return ""
    if isinstance(address, str):
        return address
    # st.context.ip_address hides 127.0.0.1 and ::1 (None, as for no browser at all); the log must still
    # say the session came from this machine, so read the connection's own address.
    try:
        from streamlit.runtime.context import _get_client_context

        context = _get_client_context()
        remote = context.remote_ip if context is not None else None
    except Exception:  # Streamlit moved it, or no browser: the address stays unknown, never guessed
        return ""
    return remote if isinstance(remote, str) else ""


def _oidc_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # st.user needs [auth]; without it there is no identity-provider session
        return False


def current(store: Store) -> Principal:
    """The session's account; draws the login form (or the refusal) and stops the run when there is none."""
    oidc = oidc_configured()
    local = accounts.has_accounts(store)
    if not oidc and not local:
        _refuse_if_exposed()
        return OWNER
    limits = accounts.SessionLimits.from_env()
    held = st.session_state.get(_KEY)
    now = time.time()
    if held is not None:
        reason = limits.expired(held["started"], held["seen"], now)
        if reason is None:
            fresh = _still_valid(store, held["principal"])
            if fresh is not None:
                held.update(principal=fresh, seen=now)
                return fresh
            reason = _t("auth.no_role", _lang())
        _end(store, held["principal"], reason)
    if oidc and _oidc_logged_in():
        claims = st.user.to_dict()
        issued = claims.get("iat")
        if isinstance(issued, (int, float)) and now - issued > limits.max_hours * 3600:
            st.logout()
            st.stop()
        try:
            principal = accounts.identity_login(store, claims, source=client_address())
        except accounts.LoginFailed as failed:
            st.error(str(failed))
            if st.button(_t("auth.logout", _lang()), key="auth_logout_unknown"):
                st.logout()
            st.stop()
        st.session_state[_KEY] = {"principal": principal, "started": now, "seen": now}
        return principal
    _hold_page()
    _login_form(store, oidc=oidc, local=local)
    st.stop()


def _nothing() -> None:
    """The stand-in page of a run that shows the login form or a refusal (the gate draws those itself)."""


def _hold_page() -> None:
    """Keep the page the link asked for (/details?…) across the login, and show no navigation meanwhile.

    A run that stops before app.py's st.navigation would leave the browser on the main page, so the login's
    rerun opened 总览 instead of the deep-linked page. A hidden navigation holding one page with the asked-for URL
    path keeps that path (Streamlit names a page by the hash of its URL path), and app.py's navigation finds it
    after login.
    """
    ctx = get_script_run_ctx()
    if ctx is None:  # no script run behind this call (a test harness)
        return
    pages = ctx.pages_manager
    asked = pages.intended_page_name or ""
    if asked:
        st.session_state["auth_page"] = asked
    path = st.session_state.get("auth_page") or "login"
    title = _t("auth.title", _lang())
    if pages.intended_page_name:
        # The browser asked for this path by name: it must be listed as itself (a default page's path is
        # "/"), else the browser says "Page not found" over the login form.
        held = (
            [
                st.Page(_nothing, title=title, url_path="login", default=True),
                st.Page(_nothing, title=title, url_path=path),
            ]
            if path != "login"
            else [st.Page(_nothing, title=title, url_path=path, default=True)]
        )
    else:  # a rerun names the page by hash only: the held page is the default
        held = [st.Page(_nothing, title=title, url_path=path, default=True)]
    st.navigation(held, position="hidden")


def _still_valid(store: Store, principal: Principal) -> Principal | None:
    """The account as it stands now (an administrator's change applies at the next click); None if disabled."""
    account = accounts.get_user(store, principal.name)
    if account is None or not account.active:
        return None
    return account.principal(principal.kind)


def _end(store: Store, principal: Principal, reason: str) -> None:
    accounts.audit(store, "logout", who=principal, detail=reason, source=client_address())
    st.session_state.pop(_KEY, None)
    st.session_state["auth_notice"] = reason
    if principal.kind == "oidc":  # else the provider's cookie would sign the session straight back in
        st.logout()
        st.stop()


def logout(store: Store) -> None:
    held = st.session_state.pop(_KEY, None)
    if held:
        accounts.audit(store, "logout", who=held["principal"], source=client_address())
    if held and held["principal"].kind == "oidc":
        st.logout()  # the browser is sent to the provider's logout; a rerun here could overtake that redirect
        st.stop()
    st.rerun()


def _login_form(store: Store, *, oidc: bool, local: bool) -> None:
    lang = _lang()
    st.title(_t("app.title", lang))
    st.subheader(_t("auth.title", lang))
    if notice := st.session_state.pop("auth_notice", None):
        st.warning(notice)
    st.caption(_t("auth.intro", lang))
    if oidc:
        if st.button(_t("auth.oidc", lang), type="primary", key="auth_oidc"):
            st.login()
        if local:
            st.caption(_t("auth.or", lang))
    if local:
        with st.form("login_form", clear_on_submit=True):  # the password does not stay in the session
            name = st.text_input(_t("auth.user", lang), key="login_name")
            password = st.text_input(_t("auth.password", lang), type="password", key="login_password")
            sent = st.form_submit_button(_t("auth.submit", lang), type="secondary" if oidc else "primary")
        if sent:
            if not name.strip() or not password:
                st.error(_t("auth.missing", lang))
                return
            try:
                principal = accounts.login(store, name, password, source=client_address())
            except accounts.LoginFailed as failed:
                st.error(str(failed))
                return
            now = time.time()
            st.session_state[_KEY] = {"principal": principal, "started": now, "seen": now}
            st.rerun()


def sidebar_account(store: Store, principal: Principal) -> None:
    """Who is signed in, and the way out (nothing in the owner's single-user mode)."""
    if principal.kind == "owner":
        return
    st.sidebar.caption(_t("auth.signed_in", _lang(), who=principal.label()))
    if st.sidebar.button(_t("auth.logout", _lang()), key="auth_logout"):
        logout(store)


_stopping = threading.Event()


def _refuse_if_exposed() -> None:
    """Without login the app serves this machine only; bound wider, it says why and the server stops."""
    address = st.get_option("server.address")
    refusal = bind_refusal(address, client_address(), login_configured=False)
    if refusal is None:
        return
    _hold_page()
    st.error(f"**{_t('auth.refused_title', _lang())}**:{refusal}")
    print(f"{_t('app.title', 'zh')}:{_t('auth.refused_title', 'zh')}:{refusal}", file=sys.stderr, flush=True)
    if st.runtime.exists() and not is_loopback(address) and not _stopping.is_set():
        _stopping.set()
        threading.Timer(2.0, _stop_server).start()  # the message reaches the browser first
    st.stop()


def _stop_server() -> None:
    """End the server process. Runtime.stop() alone says "Stopping..." but leaves the web server (uvicorn)
    serving; SIGTERM goes through Streamlit's own shutdown, as Ctrl+C would."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGTERM)


def denied(error: AccessDenied) -> None:
    st.error(_t("auth.denied", _lang(), reason=str(error)))
