"""Test plumbing for OpenID Connect logins against a local mock identity provider, fully offline.

The provider is oidc-provider-mock (Flask, Authlib) served from a thread of the test process on a free
127.0.0.1 port. It accepts any client id and secret (no registration) and any redirect URI; its
authorization page asks only for a subject (`sub`), so the other claims of a user (email, name) are
stored beforehand through its `PUT /users/<sub>` endpoint, which `oidc_login` does for you.

The app runs as `streamlit run <script>` in a subprocess whose `[auth]` secrets live in a temporary
secrets.toml handed over by `--secrets.files`, so nothing is written into a repository's .streamlit/
(and the repository's own secrets.toml, if any, is not read).

Hosts matter: the browser must open the app at http://localhost:<port>, the origin of redirect_uri.
Streamlit keeps the login state in a cookie of the host that started the login and checks the origin
of the websocket against redirect_uri, so an app opened at 127.0.0.1 never sees the user logged in.
The provider itself is addressed as 127.0.0.1 (no IPv6/IPv4 guessing for "localhost" on the server side).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
CLIENT_ID = "outreach-dashboard-test"
# Matches the mock's <link rel="stylesheet" href="https://cdn.jsdelivr.net/...pico.min.css">.
_OUTSIDE_LINK = re.compile(rb"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>", re.IGNORECASE)


# Local requests never go through a proxy some environment variable may name.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the identity provider --------------------------------------------------------------------


def _offline_pages(response):
    """Drop the mock's stylesheet link to cdn.jsdelivr.net so its pages ask no other host for anything."""
    if response.mimetype == "text/html" and not response.direct_passthrough:
        response.set_data(_OUTSIDE_LINK.sub(b"", response.get_data()))
    return response


@contextmanager
def mock_provider(*, token_max_age: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """Serve oidc-provider-mock on a free 127.0.0.1 port from a thread; yield its base URL, stop after.

    Its issuer is that base URL; `token_max_age` sets the ID and access tokens' lifetime (`exp - iat`).
    """
    from oidc_provider_mock import app as provider_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request is noise
            pass

    flask_app = provider_app(access_token_max_age=token_max_age)
    flask_app.after_request(_offline_pages)
    server = make_server("127.0.0.1", 0, flask_app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="oidc-provider-mock"
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def set_identity(provider_url: str, sub: str, claims: Mapping[str, object]) -> None:
    """Store the claims the provider will put in the ID token of `sub` (without this: email = sub)."""
    request = urllib.request.Request(
        f"{provider_url}/users/{quote(sub, safe='')}",
        data=json.dumps(dict(claims)).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with _DIRECT.open(request, timeout=10) as response:
        if response.status != 204:
            raise RuntimeError(f"mock provider refused the user {sub!r}: HTTP {response.status}")


def auth_secrets(
    provider_url: str,
    app_port: int,
    *,
    client_id: str = CLIENT_ID,
    client_secret: str | None = None,
    cookie_secret: str | None = None,
) -> str:
    """The `[auth]` section of a secrets.toml for an app on `app_port` logging in at `provider_url`."""
    values = {
        "redirect_uri": f"http://localhost:{app_port}/oauth2callback",
        "cookie_secret": cookie_secret or secrets.token_urlsafe(32),
        "client_id": client_id,
        "client_secret": client_secret or secrets.token_urlsafe(24),
        "server_metadata_url": f"{provider_url}/.well-known/openid-configuration",
    }
    return "[auth]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


# ---- the app ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamlitServer:
    """A running `streamlit run`; open `url` (http://localhost:<port>) in the browser, not 127.0.0.1."""

    url: str
    port: int
    process: subprocess.Popen
    log: Path
    secrets_file: Path


def start_streamlit(
    script: Path,
    *,
    port: int,
    secrets_file: Path,
    log: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 30,
) -> StreamlitServer:
    """`streamlit run script` headless on 127.0.0.1:`port` with only `secrets_file` as its secrets;
    returns once /_stcore/health answers (its own process group, output in `log`)."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--secrets.files",
        str(secrets_file),
        *extra_args,
    ]
    # The server fetches the provider's metadata, keys and tokens with httpx, which honours *_PROXY.
    no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1,localhost"]))
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_PROXY": no_proxy, "no_proxy": no_proxy, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd or script.parent,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = StreamlitServer(f"http://localhost:{port}", port, process, log, secrets_file)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with _DIRECT.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_streamlit(server)
            raise RuntimeError(f"streamlit did not answer in {timeout} s:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)  # polling the port, not waiting for a page


def stop_streamlit(server: StreamlitServer) -> None:
    """End the server's whole process group: SIGTERM, then SIGKILL after 10 s."""
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


@contextmanager
def streamlit_with_oidc(
    script: Path,
    provider_url: str,
    *,
    cwd: Path | None = None,
    extra_secrets: str = "",
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    workdir: Path | None = None,
) -> Iterator[StreamlitServer]:
    """Run `script` on a free port with `auth_secrets` for `provider_url` (plus `extra_secrets` TOML)
    in a secrets.toml of `workdir` (a fresh temporary folder by default); stop it after."""
    with tempfile.TemporaryDirectory(prefix="oidc-app-") as scratch:
        folder = workdir or Path(scratch)
        port = free_port()
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(auth_secrets(provider_url, port) + extra_secrets, encoding="utf-8")
        server = start_streamlit(
            script,
            port=port,
            secrets_file=secrets_file,
            log=folder / "streamlit.log",
            cwd=cwd,
            env=env,
            extra_args=extra_args,
        )
        try:
            yield server
        finally:
            stop_streamlit(server)


# ---- the browser ------------------------------------------------------------------------------


def block_outside_requests(target: BrowserContext | Page) -> list[str]:
    """Abort every request of `target` to a host other than localhost/127.0.0.1 (data: and blob: pass);
    returns the list the aborted URLs are appended to."""
    blocked: list[str] = []

    def handle(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    target.route("**/*", handle)
    return blocked


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _on_origin(origin: str):
    return lambda url: _origin(url) == origin


def _wait_for_app(page: Page, app_url: str, timeout: float) -> None:
    page.wait_for_url(_on_origin(_origin(app_url)), timeout=timeout)
    page.get_by_test_id("stApp").wait_for(timeout=timeout)


def oidc_login(
    page: Page,
    app_url: str,
    *,
    sub: str,
    email: str,
    name: str,
    button: str = "登录",
    claims: Mapping[str, object] | None = None,
    goto: bool = True,
    timeout: float = 30_000,
) -> None:
    """Log in through the app's own button: click `button` (the one calling st.login()), store
    email/name (and `claims`) for `sub` at the provider, submit its authorization form with `sub`,
    and wait until the browser is back on the app.

    `app_url` must be on http://localhost:<port>, the origin of redirect_uri (see the module's
    docstring). A refused or stale callback also lands on the app, logged out: assert afterwards on
    what a logged-in user sees."""
    if urlsplit(app_url).hostname != "localhost":
        raise ValueError(f"open the app at http://localhost:<port>, the origin of redirect_uri, not {app_url}")
    if goto:
        page.goto(app_url)
    page.get_by_role("button", name=button, exact=True).click(timeout=timeout)
    sub_field = page.locator("input[name='sub']")
    sub_field.wait_for(timeout=timeout)  # the provider's authorization form
    set_identity(_origin(page.url), sub, {"email": email, "name": name, **(claims or {})})
    sub_field.fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click(timeout=timeout)
    _wait_for_app(page, app_url, timeout)


def oidc_logout(page: Page, app_url: str, *, button: str = "退出", timeout: float = 30_000) -> None:
    """Click `button` (the one calling st.logout()); the mock then shows its end-session page, whose
    'End session' button sends the browser back to the app; wait until it is there."""
    page.get_by_role("button", name=button, exact=True).click(timeout=timeout)
    end = page.get_by_role("button", name="End session", exact=True)
    end.wait_for(timeout=timeout)
    end.click(timeout=timeout)
    _wait_for_app(page, app_url, timeout)
