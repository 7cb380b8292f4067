"""Issue #17, items 2 and 3, in a real browser: a whole inappropriate 999 call taken with the
keyboard alone (no clicks) and timed, and a queue that stays readable — "Mine" by default, the
room's view on ``m``, and a wrap-up after a call ends before it leaves the list.

The flow's time is printed (``-s`` shows it) and recorded as the test's ``keyboard_flow_seconds``
property; docs/console.md states it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_console_browser import offer, row

pytestmark = pytest.mark.slow
#: A keyboard-only call must not take longer than this in the test (it takes a few seconds).
FLOW_LIMIT_SECONDS = 60.0


def expect(locator: Any) -> Any:
    """Playwright's waiting assertions (a locator: the console's CSP forbids evaluated strings)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.expect(locator)


def press(page: Any, key: str) -> None:
    """Press ``key`` and wait for the page the action leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def focused(page: Any) -> dict[str, str]:
    """What has the focus: its tag, id, type and the action of its form."""
    return dict(
        page.evaluate(
            "() => { const e = document.activeElement; return {tag: e.tagName, id: e.id,"
            " type: e.type || '', form: (e.form && e.form.dataset.action) || '',"
            " row: (e.closest('.qrow') && e.closest('.qrow').dataset.id) || ''}; }"
        )
    )


def state(page: Any) -> str:
    return str(page.get_attribute("#contact-state", "data-state"))


def test_a_whole_inappropriate_999_call_with_the_keyboard_only(
    browser_page: Any, live_server: LiveServer, record_property: Any
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.wait_for_selector("#queue-waiting")
    page.wait_for_timeout(500)  # the live feed is connected
    contact = offer(live_server, "+447700900970")
    following = offer(live_server, "+447700900971")  # the next caller, waiting
    page.wait_for_selector(row(following), timeout=10_000)

    started = time.monotonic()
    # Take: j moves through the queue to the call, Enter opens it, a answers it.
    for _ in range(60):
        page.keyboard.press("j")
        if focused(page)["row"] == contact:
            break
    assert focused(page)["row"] == contact
    press(page, "Enter")
    press(page, "a")
    assert state(page) == "answered"

    # The caller's words: l lands in the box, Enter saves them.
    page.keyboard.press("l")
    assert focused(page)["id"] == "f-narrative"
    page.keyboard.type("My neighbour's music is too loud, I can't sleep")
    press(page, "Enter")
    assert page.get_attribute(".route", "data-route") == "other_agency"

    # Grade: g lands on the grade (triage's already chosen); Enter in the drop-down records it.
    page.keyboard.press("g")
    assert focused(page) | {"row": ""} == {
        "tag": "SELECT",
        "id": "f-assess-grade",
        "type": "select-one",
        "form": "assess",
        "row": "",
    }
    press(page, "Enter")
    assert state(page) == "assessed"

    # The §4.11.1 questions: q, then n (no) for each; the page comes back on the next one.
    page.keyboard.press("q")
    asked = page.locator("#questions .question").count()
    assert asked == 4
    for _ in range(asked):
        assert focused(page)["form"] == "record_answers"
        press(page, "n")
    assert page.locator('#questions .question[data-answer="no"]').count() == asked

    # Advise: v lands on where to go instead; Enter advises.
    page.keyboard.press("v")
    assert focused(page)["id"] == "f-advise-to"
    press(page, "Enter")
    assert state(page) == "advised"
    assert "read-now" in page.inner_html(".contact")

    # Warn: one key.
    press(page, "w")
    assert state(page) == "warned"

    # 4.12.3: c lands on (a); the arrow answers "no" (nothing is flagged), Tab to its note;
    # the same for (b) and (c); Enter in the last note records them.
    page.keyboard.press("c")
    assert focused(page)["id"] == "f-c-a-yes"
    for letter, note in (
        ("a", "a noise complaint; nothing in progress"),
        ("b", "caller calm and clear"),
        ("c", "adult; no vulnerability apparent"),
    ):
        page.keyboard.press("ArrowRight")
        assert focused(page)["id"] == f"f-c-{letter}-no"
        page.keyboard.press("Tab")
        assert focused(page)["id"] == f"f-c-{letter}"
        page.keyboard.type(note)
        if letter != "c":
            page.keyboard.press("Tab")
    press(page, "Enter")
    assert page.locator("#refusal").count() == 0
    assert page.get_attribute("#termination", "data-approval") == "not-needed"

    # Terminate: t lands on the button (never one key), Enter ends the call.
    page.keyboard.press("t")
    assert focused(page)["form"] == "terminate"
    assert state(page) == "warned"
    press(page, "Enter")
    assert state(page) == "terminated"

    # Wrap up: the contact stays in Mine, marked, until d finishes it; then it leaves.
    wrap = page.locator(f"#queue-working {row(contact)}.wrapup")
    expect(wrap).to_be_visible()
    assert "wrap-up" in wrap.inner_text()
    page.keyboard.press("d")
    expect(page.locator(row(contact))).to_have_count(0)

    # Next: j goes to the top of the queue, Enter opens the next caller.
    page.keyboard.press("j")
    assert focused(page)["row"]
    press(page, "Enter")
    assert state(page) == "offered"
    seconds = time.monotonic() - started
    record_property("keyboard_flow_seconds", round(seconds, 1))
    print(f"\nkeyboard-only inappropriate 999 call, take to next: {seconds:.1f} s")
    assert seconds < FLOW_LIMIT_SECONDS
    # The wrap-up finished stays finished on this browser (it is not back after a reload).
    page.reload()
    assert page.locator(row(contact)).count() == 0


def test_being_worked_shows_mine_and_the_room_is_one_key_away(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.wait_for_selector("#queue-working")
    page.wait_for_timeout(500)  # the live feed is connected
    # A colleague (another call handler, through the API) takes a call; its caller hangs up.
    theirs = offer(live_server, "+447700900972", call_id="PBX-kb-theirs")
    answer = live_server.api(
        "POST", f"/api/contacts/{theirs}/actions", "call_handler", json={"action": "answer"}
    )
    assert answer.status_code == 200, answer.text
    offer(live_server, "+447700900972", kind="call.ended", call_id="PBX-kb-theirs")

    queue = page.locator("#queue")
    assert queue.get_attribute("data-view") == "mine"
    assert page.text_content("#queue-view-name") == "mine"
    theirs_row = page.locator(f"#queue-working {row(theirs)}")
    expect(theirs_row).to_have_count(1)  # arrived live ...
    assert not theirs_row.is_visible()  # ... but it is not mine
    mine_count = int(page.inner_text("#count-working"))

    page.keyboard.press("m")  # the whole room
    assert queue.get_attribute("data-view") == "room"
    assert page.text_content("#queue-view-name") == "whole room"
    assert page.get_attribute("#queue-view", "aria-pressed") == "false"
    expect(theirs_row).to_be_visible()
    assert "hung up" in theirs_row.inner_text()
    assert int(page.inner_text("#count-working")) > mine_count

    page.reload()  # remembered for the browser session
    assert page.get_attribute("#queue", "data-view") == "room"
    expect(page.locator(f"#queue-working {row(theirs)}")).to_be_visible()
    page.keyboard.press("m")
    expect(page.locator(f"#queue-working {row(theirs)}")).to_be_hidden()
    assert int(page.inner_text("#count-working")) == mine_count
