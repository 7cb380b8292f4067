"""The §4.11.1 questions in a real browser, by keyboard only: a contact triage cannot read is
answered question by question, becomes an emergency on the handler's word, and keeps it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_console_browser import offer, shot

pytestmark = pytest.mark.slow
UNREADABLE = "Hello, I'm calling about Gary, something has happened"


def _unreadable_call(server: LiveServer) -> str:
    contact = offer(server, "+447700900951")
    for body in ({"action": "answer"}, {"action": "update_narrative", "text": UNREADABLE}):
        answer = server.api("POST", f"/api/contacts/{contact}/actions", "call_handler", json=body)
        assert answer.status_code == 200, answer.text
    return contact


def _focused_question(page: Any) -> str | None:
    found: str | None = page.evaluate(
        "(() => { const q = document.activeElement.closest('.question');"
        " return q ? q.dataset.question : null; })()"
    )
    return found


def _press(page: Any, key: str) -> None:
    """Press ``key`` and wait for the page the answer comes back on."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_selector("#questions")


def _pressed(page: Any) -> dict[str, str]:
    """Each question's pressed answer, as the buttons say (aria-pressed)."""
    found: dict[str, str] = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.question')].map(q => [q.dataset"
        ".question, (q.querySelector('button[aria-pressed=\"true\"]') || {}).value || '']))"
    )
    return found


def test_the_questions_answered_by_keyboard_make_it_an_emergency_and_stay(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    contact = _unreadable_call(live_server)
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    assert page.get_attribute(".route", "data-route") == "police_non_emergency"
    assert "Needs assessment" in page.inner_text(".triage")
    keys = page.inner_text("#questions-keys")
    assert all(key in keys for key in ("q", "y", "n", "u"))

    page.keyboard.press("q")  # to the questions
    assert _focused_question(page) == "danger"
    _press(page, "n")  # no one in danger or injured: on to the next question
    assert _focused_question(page) == "now"
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    _press(page, "u")  # not known whether it is happening now
    assert _focused_question(page) == "offender"
    _press(page, "n")  # "n" answers here; it does not open the note
    assert _focused_question(page) == "weapon"
    _press(page, "y")  # a weapon

    assert page.get_attribute(".route", "data-route") == "emergency"
    triage = page.inner_text(".triage")
    assert "handler: weapon seen — yes" in triage
    status = page.locator("#answers-status")
    assert status.get_attribute("role") == "status"
    page.wait_for_function(
        "document.getElementById('answers-status').textContent.includes('weapon seen — yes')"
    )
    assert "Triage now suggests emergency" in status.inner_text()
    assert page.locator("#f-note").evaluate("el => el !== document.activeElement")
    shot(page, "questions")

    page.keyboard.press("ArrowUp")  # back to the offender, then Enter on "Yes"
    assert _focused_question(page) == "offender"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.value") == "yes"
    _press(page, "Enter")
    assert "handler: offender there or nearby — yes" in page.inner_text(".triage")

    page.reload()
    assert page.get_attribute(".route", "data-route") == "emergency"
    assert _pressed(page) == {"danger": "no", "now": "unknown", "offender": "yes", "weapon": "yes"}
    assert "handler: weapon seen — yes" in page.inner_text(".triage")
