"""Issue #16, scenario 4, in a real browser: the nuisance ladder respects the people on it.

A number flagged both faulty-device (high confidence) and vulnerable person (mental health)
opens a case through the console. The warning letter is shown disabled, with the rule and what
is missing; a supervisor's override with a reason enables it, and the reason appears on the
letter. Once the letter is recorded, the PECS request is disabled again: it needs calls after
the letter and the policy's minimum time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from controlroom.domain.contacts import ActionKind, Contact, FlagVulnerability, Role
from controlroom.domain.contacts.values import Actor
from controlroom.domain.policy import VulnerabilityFlag
from tests.adapters.db.test_nuisance_repositories import EMERGENCY, call
from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.slow
NUMBER = "+447700900444"
OVERRIDE = "Care team confirm the calls are hers and a letter from us is part of her plan"
SUPERVISING = Actor("duty-sergeant", Role.SUPERVISOR)


def seed_flagged_number(server: LiveServer) -> None:
    """Six silent calls every 20 minutes (a faulty device, regular: high confidence) and two
    calls a handler marked with a mental-health concern (a vulnerable person)."""
    app = server.app
    policy = app.state.policy
    now = datetime.now(UTC)
    contacts: list[Contact] = [
        call(policy, f"C-ladder-{n}", now - timedelta(minutes=20 * n), number=NUMBER)
        for n in range(6, 0, -1)
    ]
    for n in (1, 2):
        marked = call(
            policy,
            f"C-ladder-v{n}",
            now - timedelta(days=n),
            EMERGENCY,
            number=NUMBER,
            kinds=(ActionKind.ANSWER,),
        )
        flag = FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH, note="talks of self-harm")
        marked.apply(
            flag, actor=SUPERVISING, now=now - timedelta(days=n, minutes=-1), policy=policy
        )
        contacts.append(marked)
    with app.state.uow_factory() as uow:
        for contact in contacts:
            uow.contacts.add(contact)
        uow.commit()


def submit(page: Any, selector: str) -> None:
    """Press a button and wait for the page that follows."""
    with page.expect_navigation():
        page.click(selector)


def test_the_ladder_refuses_a_letter_for_a_flagged_number_until_a_supervisor_overrides(
    browser: Any, live_server: LiveServer
) -> None:
    seed_flagged_number(live_server)
    handler_context = browser.new_context(viewport={"width": 1280, "height": 900})
    supervisor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        handler, supervisor = handler_context.new_page(), supervisor_context.new_page()
        sign_in(handler, live_server, "handler")

        # the handler opens a case for the number from the console
        submit(handler, "nav a[href='/console/cases']")
        handler.fill("#case-number", NUMBER)
        handler.fill("#case-reason", "silent calls every 20 minutes")
        submit(handler, "button[type=submit].primary")
        case_url = handler.url
        assert "/console/cases/N-" in case_url
        safeguard = handler.inner_text("#safeguard")
        assert "faulty device (high confidence)" in safeguard
        assert "vulnerable person (mental health)" in safeguard

        # advice is allowed; the warning letter is offered disabled, saying why
        handler.fill("#text-advice", "advised on the last call")
        submit(handler, "#do-advice")
        assert handler.is_disabled("#do-warning_letter")
        why = handler.inner_text("#why-warning_letter")
        assert "Warning letter is refused" in why
        assert "vulnerable person (mental health) and faulty device (high confidence)" in why
        assert "nuisance.safeguards.blocking_flags" in why
        assert "override" in why
        assert handler.inner_text("#override-note").startswith("Only a supervisor")
        assert handler.locator("#override-form").count() == 0

        # the supervisor records an override with a reason
        sign_in(supervisor, live_server, "supervisor")
        supervisor.goto(case_url)
        supervisor.fill("#override-reason", OVERRIDE)
        submit(supervisor, "#override-form button")
        assert OVERRIDE in supervisor.inner_text("#flags")
        assert supervisor.locator("#safeguard").count() == 0

        # now the handler may propose the letter, and the supervisor approves it
        handler.goto(case_url)
        assert handler.is_enabled("#do-warning_letter")
        handler.fill("#text-warning_letter", "calls continue after advice")
        submit(handler, "#do-warning_letter")
        assert "waiting for a supervisor" in handler.inner_text("#pending")
        supervisor.goto(case_url)
        supervisor.fill("#approve-note", "agreed, with the care team")
        submit(supervisor, "#pending button.primary")

        # the letter shows the supervisor's override and its reason
        handler.goto(case_url)
        handler.click("#doc-warning_letter")
        handler.wait_for_load_state()
        letter = handler.inner_text("body")
        assert "Supervisor's override" in letter
        assert "Supervisor supervisor recorded an override" in letter
        assert OVERRIDE in letter

        # recorded: the PECS request is refused until there is new evidence
        handler.goto(case_url)
        handler.fill("#record-note", "letter posted")
        submit(handler, "#pending button.primary")
        assert handler.is_disabled("#do-pecs_request")
        why = handler.inner_text("#why-pecs_request")
        assert "needs new evidence since Warning letter was recorded" in why
        assert "1 more call from the caller after it (0 of 1)" in why
        assert "at least 168 hours after it" in why

        # a stale form posted anyway is refused, and the page says which rule
        handler.evaluate(
            "() => { for (const el of document.querySelectorAll('#step-pecs_request [disabled]'))"
            " el.removeAttribute('disabled'); }"
        )
        handler.fill("#text-pecs_request", "calls continue")
        submit(handler, "#do-pecs_request")
        error = handler.inner_text("#case-error")
        assert "needs new evidence" in error and "4.12.6" in error
        assert handler.inner_text("#case-state") == "open"
    finally:
        handler_context.close()
        supervisor_context.close()
