"""The OIDC test plumbing of tests/oidc_support.py proven on a throwaway Streamlit script, in Debian's
Chromium: log in as alice, out, in as bob, against the local mock provider, with no request leaving
the machine."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.oidc_support import block_outside_requests, mock_provider, oidc_login, oidc_logout, streamlit_with_oidc

CHROMIUM = Path("/usr/bin/chromium")
NEED_CHROMIUM = "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip(f"{NEED_CHROMIUM} and playwright (pip install -r requirements-dev.txt)", allow_module_level=True)
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip(NEED_CHROMIUM, allow_module_level=True)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 30_000  # ms
TOKEN_MAX_AGE = timedelta(minutes=10)

SCRIPT = """
import streamlit as st

if not st.user.is_logged_in:
    st.text("未登录")
    if st.button("登录"):
        st.login()
else:
    st.text(f"email={st.user.email}")
    st.text(f"name={st.user.name}")
    st.text(f"iat={st.user.get('iat')} exp={st.user.get('exp')}")
    st.text("claims=" + ",".join(sorted(st.user.to_dict())))
    if st.button("退出"):
        st.logout()
"""


def shown(page, key: str) -> str:
    """The value of the script's `key=value` line once it is on the page."""
    line = page.get_by_text(re.compile(f"^{key}="))
    expect(line).to_be_visible()
    return line.inner_text().split("=", 1)[1]


def test_login_logout_login_as_someone_else_offline(tmp_path):
    script = tmp_path / "login_app.py"
    script.write_text(SCRIPT, encoding="utf-8")
    with (
        mock_provider(token_max_age=TOKEN_MAX_AGE) as provider,
        streamlit_with_oidc(script, provider, workdir=tmp_path) as app,
        sync_playwright() as p,
    ):
        assert not (tmp_path / ".streamlit").exists()  # the secrets live in tmp_path/secrets.toml only
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(TIMEOUT)
        expect.set_options(timeout=TIMEOUT)
        blocked = block_outside_requests(context)
        visited: list[str] = []
        context.on("request", lambda request: visited.append(request.url))
        page = context.new_page()

        before = int(time.time())
        oidc_login(page, app.url, sub="alice", email="alice@example.org", name="Alice Wang")
        assert shown(page, "email") == "alice@example.org"
        assert shown(page, "name") == "Alice Wang"
        claims = shown(page, "claims").split(",")
        iat, exp = (int(value) for value in re.fullmatch(r"(\d+) exp=(\d+)", shown(page, "iat")).groups())
        print(f"st.user claims: {claims}; iat={iat} exp={exp}")
        assert before - 5 <= iat <= int(time.time()) + 5
        assert exp - iat == TOKEN_MAX_AGE.total_seconds()
        assert any(url.startswith(f"{provider}/oauth2/authorize") for url in visited)

        oidc_logout(page, app.url)
        expect(page.get_by_text("未登录", exact=True)).to_be_visible()
        expect(page.get_by_text("alice@example.org", exact=False)).to_have_count(0)

        oidc_login(page, app.url, sub="bob", email="bob@example.org", name="Bob Li")
        assert shown(page, "email") == "bob@example.org"
        assert shown(page, "name") == "Bob Li"

        assert blocked == []  # nothing asked another host: not Streamlit, not the provider's pages
        # The guard itself: a request to another host is caught and fails in the page.
        outcome = page.evaluate("fetch('https://example.org/probe').then(() => 'sent', () => 'failed')")
        assert (outcome, blocked) == ("failed", ["https://example.org/probe"])
        with pytest.raises(ValueError, match="localhost"):
            oidc_login(page, f"http://127.0.0.1:{app.port}", sub="carol", email="carol@example.org", name="C")
        browser.close()
