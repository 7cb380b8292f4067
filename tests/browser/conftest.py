"""Fixtures for the browser tests: the real application served by uvicorn on a free loopback
port (a temporary SQLite database with the demo data), and headless Chromium driven by
Playwright.

The browser is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it); Playwright's own
browser downloads are never used. Without it the tests are skipped with the reason, except
under CI (``CI`` set), where they fail.

The browser itself (``browser``, one per test process) is a fixture of the root conftest
(:mod:`tests.chromium`): other folders' tests use the same one, and Playwright starts once.

``live_server`` gives a :class:`LiveServer` (its ``url``, the ``app``, and ``token(role)`` for
the API); ``browser_page`` a fresh page at 1280x720 in its own browser context (cookies are not
shared between tests). ``sign_in(page, live_server, name)`` signs a demo user in.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.services import accounts
from controlroom.web.app import create_app

VIEWPORT = {"width": 1280, "height": 720}
ADMIN = Actor("cli:browser-tests", Role.ADMIN)


@dataclass
class LiveServer:
    """The application running on ``url``."""

    url: str
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str:
        """An API token for a new user of ``role`` (a system for ``integration``)."""
        if role not in self.tokens:
            factory = self.app.state.uow_factory
            name = f"browser-{role.replace('_', '-')}"
            if role != Role.INTEGRATION.value:
                accounts.add_user(factory(), ADMIN, name, role)
            self.tokens[role] = accounts.create_token(factory(), ADMIN, name, role)[1]
        return self.tokens[role]

    def api(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        """Call the HTTP API as ``role``."""
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kwargs)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a background thread on a free loopback port, for the
    ``with`` block: its address."""
    sock = _free_socket()
    host, port = sock.getsockname()
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the application did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real application with demo data, served by uvicorn in a background thread."""
    folder = tmp_path_factory.mktemp("live-server")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'controlroom.db'}",
        demo=True,
        session_secret="browser-tests-" + "x" * 32,
    )
    app = create_app(settings)
    with served(app) as url:
        yield LiveServer(url, app)


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    """A new page at 1280x720 in a context of its own."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Any, server: LiveServer, name: str) -> None:
    """Sign the demo user ``name`` in through the sign-in form."""
    page.goto(server.url + "/console/login")
    page.fill("#username", name)
    page.fill("#password", f"demo-{name}-password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/console/login" not in url)
