"""Scenario 3 of issue #16 in a real browser: an emergencySMS conversation is a thread the
handler sees grow live, replies to from the keyboard, and follows to delivery.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` the page is saved there as ``console-sms.png``.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")
NUMBER = "+447700900931"
FIRST = "I am deaf. My ex keeps sending me messages on facebook, can I report it"
LATER = "he is trying the back door now, 14 Fore Street"
REPLY = "Police are on the way. Can you lock yourself in a room?"
CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}$")


def event(server: LiveServer, **body: Any) -> dict[str, Any]:
    """Telephony sends one event through the intake; its answer."""
    body = {"id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat()} | body
    answer = server.api("POST", "/api/telephony/events", "integration", json=body)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def sms(server: LiveServer, text: str) -> str:
    """The caller texts 999; the contact the message belongs to."""
    answer = event(
        server, type="sms.received", channel="emergency_sms", text=text, **{"from": NUMBER}
    )
    return str(answer["contact_id"])


def test_an_emergency_sms_is_a_conversation_the_handler_sees_live_and_answers(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    contact = sms(live_server, FIRST)
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    page.keyboard.press("a")  # answer, from the keyboard
    page.wait_for_selector('#contact-state[data-state="answered"]')
    first = page.locator(".sms-msg.inbound")
    assert first.count() == 1 and FIRST in first.inner_text()
    assert "emergency" not in page.inner_text(".route").replace("non emergency", "")
    page.wait_for_timeout(500)  # the live feed is connected

    assert sms(live_server, LATER) == contact  # a later message joins the conversation
    later = page.locator(".sms-msg.inbound", has_text="back door now")
    later.wait_for(timeout=10_000)  # appears without reloading
    assert CLOCK.match(later.locator("time").inner_text())
    raised = page.locator("#sms-raised")
    assert "Triage raised to emergency" in raised.inner_text()  # the handler sees the raise

    page.keyboard.press("r")  # to the reply box, from the keyboard
    page.keyboard.type(REPLY)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    sent = page.locator(".sms-msg.outbound", has_text=REPLY)
    assert sent.get_attribute("data-status") == "queued"
    assert "queued" in sent.locator(".sms-status").inner_text()
    assert "emergency" in page.inner_text(".route").lower()  # the triage panel, raised

    answer = live_server.api("GET", "/api/telephony/commands", "integration")
    mine = [c for c in answer.json()["commands"] if c["contact_id"] == contact]
    assert [(c["type"], c["to"], c["text"]) for c in mine] == [("sms.send", NUMBER, REPLY)]
    page.wait_for_timeout(500)  # the live feed is connected again after the reload
    event(live_server, type="sms.status", command_id=mine[0]["id"], status="delivered")
    page.locator('.sms-msg.outbound[data-status="delivered"]').wait_for(timeout=10_000)
    assert "delivered at" in sent.locator(".sms-status").inner_text()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / "console-sms.png"), full_page=True)
