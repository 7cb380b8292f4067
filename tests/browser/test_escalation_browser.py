"""Escalated written contacts in a real browser (issue #16, scenario 2): a member of the public
sends an online report or a live chat message that triage reads as an emergency; a signed-in
handler's Waiting list has it at the top marked EMERGENCY with its channel within 2 s, with the
alarm shown and its tone requested; a supervisor sees it with its age and, once it has waited
past the policy's re-alert time (shortened here), is alerted again; taking it ends the alarm.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` the pages are saved there as ``escalation-*.png``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from controlroom.domain.policy import DigitalEscalation
from tests.browser.conftest import VIEWPORT, LiveServer, sign_in

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")
REALERT_SECONDS = 4
REPORT = "A man has just broken into my neighbour's house and he has a knife, he is inside now"
CHAT = "There is a man with a knife outside my door threatening to stab me right now"


def shot(page: Any, name: str) -> None:
    """Save a screenshot of the page when asked to."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"escalation-{name}.png"))


@pytest.fixture
def site(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server taking forms at once, its policy re-alerting after a few seconds."""
    state = live_server.app.state
    state.public.guard.min_age = 0
    policy = state.policy
    state.policy = replace(policy, digital_escalation=DigitalEscalation(REALERT_SECONDS))
    try:
        yield live_server
    finally:
        state.policy = policy


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    """Another page, in a browser context of its own (another person's screen)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def third_page(browser: Any) -> Iterator[Any]:
    """A third person's screen."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def cues(page: Any, kind: str) -> list[str]:
    """The contact ids the page has requested the alarm tone of ``kind`` for."""
    found = page.evaluate("(window.__alarmCues || []).map(c => c.kind + ' ' + c.id)")
    return [item.split(" ", 1)[1] for item in found if item.startswith(kind + " ")]


def first_waiting(page: Any) -> Any:
    return page.locator("#queue-waiting > li").first


def send_report(page: Any, site: LiveServer) -> str:
    """A member of the public reports online what triage reads as an emergency; the words
    the receipt page shows them."""
    page.goto(site.url + "/public/report")
    with page.expect_navigation():
        page.click("text=Report a crime that has already happened")
    page.fill("#f-description", REPORT)
    page.check("input[name='attribute[CRIME_TYPE]'][value=theft]")
    page.fill("#f-attribute\\[WHEN\\]", "2026-11-30T18:30")
    page.fill("#f-address_string", "12 Fore Street, Exeter EX4 3PQ")
    with page.expect_navigation():
        page.click("button:has-text('Send report')")
    return str(page.inner_text("main"))


def test_an_escalated_online_report_is_an_alarm_until_taken(
    browser_page: Any, second_page: Any, third_page: Any, site: LiveServer
) -> None:
    handler, supervisor, public = browser_page, second_page, third_page
    sign_in(handler, site, "handler")
    handler.goto(site.url + "/console/handler")
    sign_in(supervisor, site, "supervisor")
    supervisor.goto(site.url + "/console/supervisor")
    assert handler.is_hidden("#alarm") and supervisor.is_hidden("#alarm")
    handler.wait_for_function("window.consoleLive !== undefined")

    told = send_report(public, site)
    sent = time.monotonic()
    assert "at the top of every call handler's list" in told and "call 999" in told

    # Within 2 s: at the top of the Waiting list, marked EMERGENCY with its channel.
    top = first_waiting(handler)
    top.locator(".badge.emergency").wait_for(timeout=2_000)
    assert time.monotonic() - sent < 2.0
    assert "escalated" in (top.get_attribute("class") or "")
    assert top.locator(".badge.ch").inner_text().lower() == "online report"
    contact_id = str(top.get_attribute("data-id"))
    handler.wait_for_selector("#alarm:not([hidden])", timeout=1_000)
    item = handler.locator(f'#alarm .alarm-item[data-id="{contact_id}"]')
    assert "online report" in item.inner_text().lower()
    handler.wait_for_function(
        "id => window.__alarmCues.some(c => c.kind === 'new' && c.id === id)", arg=contact_id
    )
    assert handler.title().startswith("EMERGENCY (1)")
    shot(handler, "handler")

    # The supervisor sees it with its age, then (untaken) an alert again.
    on_supervisor = supervisor.locator(f'#alarm .alarm-item[data-id="{contact_id}"]')
    on_supervisor.wait_for(timeout=2_000)
    assert contact_id in cues(supervisor, "new")
    supervisor.wait_for_function(
        "id => /^0:0[1-9]$/.test(document.querySelector("
        '`#alarm .alarm-item[data-id="${id}"] .age .clock`).textContent)',
        arg=contact_id,
    )
    assert contact_id not in cues(supervisor, "realert")
    on_supervisor.locator(".realert").wait_for(timeout=(REALERT_SECONDS + 3) * 1000)
    assert "supervisors alerted again" in on_supervisor.inner_text()
    assert cues(supervisor, "realert") == [contact_id]
    assert "overdue" in (supervisor.get_attribute("#alarm", "class") or "")
    shot(supervisor, "supervisor")

    # Taking it (answering) ends the alarm on every screen.
    with handler.expect_navigation():
        item.locator("a").click()
    with handler.expect_navigation():
        handler.click('form[data-action="answer"] button[type=submit]')
    handler.wait_for_selector("#alarm", state="hidden", timeout=2_000)
    supervisor.wait_for_selector("#alarm", state="hidden", timeout=3_000)
    assert handler.locator(f'#queue-waiting .qrow[data-id="{contact_id}"]').count() == 0
    assert not handler.title().startswith("EMERGENCY")


def test_an_escalated_live_chat_leads_the_waiting_list(
    browser_page: Any, second_page: Any, site: LiveServer
) -> None:
    handler, visitor = browser_page, second_page
    sign_in(handler, site, "handler")
    handler.goto(site.url + "/console/handler")
    handler.wait_for_function("window.consoleLive !== undefined")

    visitor.goto(site.url + "/public/chat")
    visitor.fill("#f-first", CHAT)
    visitor.click("#start button")
    visitor.wait_for_selector("#alert999:not([hidden])")
    sent = time.monotonic()
    assert visitor.is_visible("text=at the top of every call handler's list")

    top = first_waiting(handler)
    top.locator(".badge.emergency").wait_for(timeout=2_000)
    assert time.monotonic() - sent < 2.0
    assert top.locator(".badge.ch").inner_text().lower() == "live chat"
    contact_id = str(top.get_attribute("data-id"))
    handler.wait_for_selector(f'#alarm .alarm-item[data-id="{contact_id}"]', timeout=1_000)
    assert contact_id in cues(handler, "new")
    # A handler is no supervisor: the re-alert is theirs, not the handler's.
    handler.wait_for_selector(
        f'#alarm .alarm-item[data-id="{contact_id}"] .realert:not([hidden])',
        timeout=(REALERT_SECONDS + 3) * 1000,
    )
    assert contact_id not in cues(handler, "realert")
