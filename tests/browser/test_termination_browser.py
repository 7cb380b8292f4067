"""Scenario 1 of issue #16 in a real browser: a 999 caller who says she is 12 and very upset,
asking when a shop closes. The handler answers 4.12.3 yes/no; termination is shown disabled
with its reason until a supervisor, who sees the request live with the answers, approves it.
And the controls offer nothing the procedure would refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_console_browser import offer, row, shot, submit

pytestmark = pytest.mark.slow


def expect(locator: Any) -> Any:
    """Playwright's waiting assertions (a locator, not evaluated strings: the console's CSP)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.expect(locator)


def test_a_child_on_a_999_line_is_not_cut_off_until_a_supervisor_approves(
    browser: Any, live_server: LiveServer
) -> None:
    handler_context = browser.new_context(viewport={"width": 1280, "height": 720})
    supervisor_context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        handler, supervisor = handler_context.new_page(), supervisor_context.new_page()
        for page in (handler, supervisor):
            page.set_default_timeout(10_000)
        sign_in(supervisor, live_server, "supervisor")
        assert "/console/supervisor" in supervisor.url
        supervisor.wait_for_selector("#approvals")
        supervisor.wait_for_timeout(500)  # the live feed is connected

        sign_in(handler, live_server, "handler")
        contact = offer(live_server, "+447700900930")
        handler.goto(f"{live_server.url}/console/handler/{contact}")
        submit(handler, "answer")
        handler.select_option("#f-assess-grade", "resolution_without_deployment")
        submit(handler, "assess")
        handler.select_option("#f-advise-to", "101")
        submit(handler, "advise")
        with handler.expect_navigation():
            handler.keyboard.press("w")
        assert handler.get_attribute("#contact-state", "data-state") == "warned"

        # 4.12.3 as explicit answers: the caller says she is 12 and is very upset.
        handler.check("#f-c-a-no")
        handler.fill("#f-c-a", "asks what time the shop closes; nothing reported")
        handler.check("#f-c-b-yes")
        handler.fill("#f-c-b", "very upset, crying")
        handler.check("#f-c-c-yes")
        handler.fill("#f-c-c", "(c) child aged 12")
        shot(handler, "considerations")
        submit(handler, "record_considerations")

        # Terminate is shown, disabled, with why and what to do instead.
        assert handler.locator('form[data-action="terminate"]').count() == 0
        blocked = handler.locator('li[data-blocked="terminate"]')
        assert blocked.locator("button").is_disabled()
        reason = blocked.inner_text()
        assert "supervisor's approval" in reason and "child aged 12" in reason
        assert "4.12.3(c)" in reason or "4.12.3(b)" in reason
        assert "Request a supervisor's approval" in reason
        assert "request_approval" in handler.inner_text("#termination") or (
            handler.get_attribute("#termination", "data-approval") == "needed"
        )

        handler.fill("#f-request-note", "she is at home alone")
        submit(handler, "request_approval")
        assert handler.get_attribute("#termination", "data-approval") == "pending"
        assert "Waiting for a supervisor" in handler.inner_text("#approval-pending")
        assert "Stay on the line" in handler.inner_text("#approval-pending")
        assert "checking with my supervisor" in handler.inner_text(".read-now")
        assert handler.locator('li[data-blocked="terminate"] button').is_disabled()
        shot(handler, "termination-pending")

        # The supervisor sees the request without reloading: the words, the answers, the why.
        request = supervisor.locator(f'#approvals [data-contact="{contact}"]')
        expect(request).to_be_visible(timeout=15_000)
        text = request.inner_text()
        assert "child aged 12" in text and "very upset" in text
        assert "she is at home alone" in text
        assert request.locator('dd[data-answer="yes"]').count() == 2
        shot(supervisor, "termination-approval")
        request.locator('form[data-action="approve_termination"] input[name=reason]').fill(
            "spoke to her mother on the other line; she is safe at home"
        )
        with supervisor.expect_navigation():
            request.locator('form[data-action="approve_termination"] button').click()
        assert supervisor.locator(f'#approvals [data-contact="{contact}"]').count() == 0

        # The handler's page says it changed; the approval names who and why.
        handler.wait_for_selector("#changed", state="visible", timeout=10_000)
        with handler.expect_navigation():
            handler.click("#changed a")
        approval = handler.inner_text("#approval-given")
        assert "supervisor" in approval and "she is safe at home" in approval
        handler.keyboard.press("t")  # lands on Terminate; Enter ends the call
        with handler.expect_navigation():
            handler.keyboard.press("Enter")
        assert handler.get_attribute("#contact-state", "data-state") == "terminated"
    finally:
        handler_context.close()
        supervisor_context.close()


def test_the_controls_offer_nothing_the_procedure_refuses(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    contact = offer(live_server, "+447700900931")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    page.wait_for_selector(f'.contact-head[data-contact="{contact}"]')
    submit(page, "answer")
    option = page.locator('#f-transfer option[value="101"]')
    assert option.is_disabled()  # never for a 999 call (4.12.4)
    assert "4.12.4" in option.inner_text()
    assert page.input_value("#f-transfer") != "101"

    page.fill("#f-narrative", "My neighbour's music is too loud")
    submit(page, "update_narrative")
    page.select_option("#f-assess-grade", "resolution_without_deployment")
    submit(page, "assess")
    # The advice follows triage's agency: "another agency", and the agency triage names.
    assert page.get_attribute(".route", "data-route") == "other_agency"
    assert page.input_value("#f-advise-to") == "agency"
    chosen = page.locator("#f-advise-agency option:checked").inner_text()
    assert chosen != "—" and chosen in page.inner_text(".route")
    submit(page, "advise")
    assert page.locator(row(contact)).count() == 1
    advice = page.inner_text(".timeline")
    assert "advise" in advice
    # Warned, not yet answered: terminate is there, disabled, saying what is missing.
    with page.expect_navigation():
        page.keyboard.press("w")
    blocked = page.locator('li[data-blocked="terminate"]')
    assert blocked.locator("button").is_disabled()
    assert "4.12.3" in blocked.inner_text()
