"""The security headers in a real browser: the API documentation renders from the service's
own assets, and the console and public pages work, with no Content-Security-Policy violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in


@pytest.fixture
def violations(browser_page: Any) -> Iterator[list[str]]:
    """Content-Security-Policy violations (and requests blocked or failed) the page reports."""
    found: list[str] = []
    browser_page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    browser_page.on(
        "requestfailed",
        lambda request: (
            None
            if "ERR_ABORTED" in (request.failure or "")  # a live stream closed by navigating on
            else found.append(f"failed: {request.url} ({request.failure})")
        ),
    )
    yield found


def test_the_api_documentation_renders_without_a_cdn(
    browser_page: Any, live_server: LiveServer, violations: list[str]
) -> None:
    page = browser_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag")  # the operations, from /openapi.json
    assert "controlroom" in page.inner_text(".swagger-ui .info")
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert violations == []


def test_the_console_works_under_its_policy(
    browser_page: Any, live_server: LiveServer, violations: list[str]
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.click(".qrow a:has-text('Sam Hill')")  # the demo's burglary, located by AML
    page.wait_for_selector(".leaflet-interactive")  # Leaflet drew the fix on the map
    assert violations == []


def test_the_supervisor_view_works_under_its_policy(
    browser_page: Any, live_server: LiveServer, violations: list[str]
) -> None:
    page = browser_page
    sign_in(page, live_server, "supervisor")
    page.wait_for_selector(".chart svg")
    assert page.locator(".chart svg").count() == 4
    page.wait_for_timeout(500)  # the live updates connect
    assert violations == []


def test_the_public_pages_work_under_their_policy(
    browser_page: Any, live_server: LiveServer, violations: list[str]
) -> None:
    page = browser_page
    page.goto(live_server.url + "/public/chat")
    page.goto(live_server.url + "/")
    page.click("text=Public pages")
    page.wait_for_selector("h1")
    assert violations == []
