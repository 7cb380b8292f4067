"""The console in a real browser: calls arriving live, the inappropriate-999 procedure, an
emergency to a graded incident, and the supervisor's figures changing.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` each page is saved there as ``console-*.png`` (the
README's pictures come from ``CONTROLROOM_SCREENSHOTS=docs/img``).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    """Save a screenshot of the page when asked to."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"))


def offer(
    server: LiveServer, number: str, channel: str = "999", kind: str = "call.offered", **more: Any
) -> str:
    """Telephony reports a call (offered, unless ``kind`` says otherwise); its contact id."""
    event = {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "call_id": more.pop("call_id", f"PBX-{uuid.uuid4().hex[:8]}"),
        "channel": channel,
        "caller": {"number": number},
        **more,
    }
    answer = server.api("POST", "/api/telephony/events", "integration", json=event)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["contact_id"])


def row(contact_id: str) -> str:
    return f'.qrow[data-id="{contact_id}"]'


def submit(page: Any, action: str) -> None:
    """Press the submit button of the action's form and wait for the page that follows."""
    with page.expect_navigation():
        page.click(f'form[data-action="{action}"] button[type=submit]')


def test_sign_in_page_and_a_wrong_password(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    page.goto(live_server.url + "/console")
    assert "/console/login" in page.url
    shot(page, "login")
    page.fill("#username", "handler")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "The name or password is wrong" in page.inner_text(".alert")


def test_a_call_arrives_live_and_is_taken_through_the_inappropriate_999_procedure(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.wait_for_selector("#queue-waiting")
    page.wait_for_timeout(500)  # the live feed is connected
    contact = offer(live_server, "+447700900901")
    page.wait_for_selector(row(contact), timeout=10_000)  # arrives without reloading
    assert page.locator(f"#queue-waiting {row(contact)}").count() == 1
    with page.expect_navigation():  # to its page, loaded: its keys work once its scripts ran
        page.click(f"{row(contact)} a")
    page.wait_for_selector(f'.contact-head[data-contact="{contact}"]')
    page.keyboard.press("a")  # answer, from the keyboard
    page.wait_for_selector('#contact-state[data-state="answered"]')
    page.fill("#f-narrative", "My neighbour's music is too loud")
    submit(page, "update_narrative")
    assert page.locator(".narrative mark").count() >= 1
    page.select_option("#f-assess-grade", "resolution_without_deployment")
    submit(page, "assess")
    assert page.locator('#f-transfer option[value="101"]').is_disabled()  # 4.12.4
    assert "4.12.4" in page.inner_text('#f-transfer option[value="101"]')
    shot(page, "refused-transfer")
    for letter, note in (
        ("a", "a noise complaint; nothing in progress"),
        ("b", "caller calm and clear"),
        ("c", "adult; no vulnerability apparent"),
    ):
        page.check(f"#f-c-{letter}-no")
        page.fill(f"#f-c-{letter}", note)
    submit(page, "record_considerations")
    page.select_option("#f-advise-to", "101")
    submit(page, "advise")
    assert "The correct number to ring is 101" in page.inner_text(".read-now")
    with page.expect_navigation():
        page.keyboard.press("w")
    assert "intention to terminate" in page.inner_text(".read-now")
    page.keyboard.press("t")  # lands on Terminate; Enter ends the call
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute("#contact-state", "data-state") == "terminated"
    shot(page, "terminated")
    # The handler's wrap-up: the row stays, marked, until they finish it (d).
    page.wait_for_selector(f"#queue-working {row(contact)}.wrapup", timeout=10_000)
    page.keyboard.press("d")
    page.wait_for_selector(row(contact), state="detached", timeout=10_000)


def test_an_emergency_call_to_a_graded_incident(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    contact = offer(live_server, "+447700900902")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    submit(page, "answer")
    page.fill("#f-narrative", "Someone is breaking into my house right now, he has a knife")
    submit(page, "update_narrative")
    assert "emergency" in page.inner_text(".route").lower()
    assert "breaking into" in page.inner_text(".narrative mark >> nth=0")
    submit(page, "assess")  # triage's grade: no reason needed
    page.select_option("#f-incident-grade", "immediate")
    submit(page, "log_incident")
    assert page.get_attribute("#contact-state", "data-state") == "incident_logged"
    assert page.locator(f"#queue-working {row(contact)}").count() == 1


def test_keyboard_only_queue_navigation(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.closest('.qrow').dataset.id")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute(".contact-head", "data-contact") == focused
    page.keyboard.press("?")
    assert page.is_visible("#help")


def test_the_handler_view_of_a_located_call(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.click(".qrow a:has-text('Sam Hill')")  # the demo's burglary, located by AML
    page.wait_for_selector(".leaflet-interactive")  # the fix drawn on the map
    assert "Offline basemap" in page.inner_text(".map-panel")  # no tile server configured
    shot(page, "handler")


def test_the_supervisor_figures_change_live(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    sign_in(page, live_server, "supervisor")
    assert "/console/supervisor" in page.url
    before = int(page.inner_text("#fig-offered"))
    waiting = int(page.inner_text("#fig-waiting"))
    page.wait_for_timeout(500)
    offer(live_server, "+447700900903")
    # a locator, not wait_for_function: the console's policy forbids evaluating strings
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect(page.locator("#fig-offered")).to_have_text(str(before + 1), timeout=15_000)
    assert int(page.inner_text("#fig-waiting")) == waiting + 1
    assert page.locator(".chart svg").count() == 4
    assert "deliberate misuse" in page.inner_text("#flagged")  # the demo's hoax caller
    assert "Waiting for a supervisor" in page.inner_text("#cases")
    shot(page, "supervisor")


def test_the_console_at_4k(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 3840, "height": 2160})
    try:
        page = context.new_page()
        sign_in(page, live_server, "handler")
        page.click(".qrow a >> nth=0")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 3840  # nothing spills sideways
        font = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert font >= 20  # text grows with the screen
        shot(page, "handler-4k")
    finally:
        context.close()


def test_nothing_moves_when_calls_arrive_and_nothing_spills_at_1280(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.click(".qrow a >> nth=0")
    page.wait_for_timeout(500)
    before = page.locator(".contact-body").bounding_box()
    scroll = page.evaluate("document.querySelector('.contact').scrollTop")
    made = [offer(live_server, f"+44770090091{n}") for n in range(3)]
    for contact in made:
        page.wait_for_selector(row(contact), timeout=10_000)
    assert page.locator(".contact-body").bounding_box() == before
    assert page.evaluate("document.querySelector('.contact').scrollTop") == scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.goto(live_server.url + "/console/supervisor")  # a handler may not: still no spill
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_the_open_contact_says_when_telephony_changes_it(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    contact = offer(live_server, "+447700900920", call_id="PBX-changes")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    page.wait_for_timeout(700)
    assert page.is_hidden("#changed")
    offer(live_server, "+447700900920", kind="call.ended", call_id="PBX-changes")
    page.wait_for_selector("#changed", state="visible", timeout=10_000)
    with page.expect_navigation():
        page.click("#changed a")
    assert page.get_attribute("#contact-state", "data-state") == "abandoned"


def test_an_unreachable_tile_server_is_said_plainly(
    browser_page: Any, live_server: LiveServer
) -> None:
    settings = live_server.app.state.settings
    settings.tile_url = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens there
    try:
        page = browser_page
        sign_in(page, live_server, "handler")
        page.click(".qrow a:has-text('Sam Hill')")
        page.wait_for_selector("text=The map tile server cannot be reached", timeout=10_000)
        assert "Offline basemap: coastline" not in page.inner_text(".map-panel")
        page.wait_for_selector(".leaflet-interactive")  # the evidence is still drawn
    finally:
        settings.tile_url = None
