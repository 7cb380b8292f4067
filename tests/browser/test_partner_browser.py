"""In a real browser: a handler sends a collapsed caller's contact to the ambulance service from
the contact page's Partner agencies panel (with the keyboard: o, Enter); the panel shows the
message pending while the MAIT hub is down, delivered once it is back (without a reload), and
accepted once the ambulance service's acknowledgement arrives. The page passes axe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from controlroom.adapters.policy_file import load_policy
from controlroom.bootstrap import password_hasher
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Answer, Assess, Caller, Role, UpdateNarrative
from controlroom.domain.mait import MessageType
from controlroom.domain.triage import Channel
from controlroom.services import accounts
from controlroom.services import contacts as service
from controlroom.web.app import create_app
from tests.browser.conftest import ADMIN, served
from tests.browser.test_accessibility_browser import Audit
from tests.mait_receiver import SECRET, MaitHub, ack_document

pytestmark = pytest.mark.slow
PASSWORD = "a-long-enough-password"
COLLAPSE = "My husband has collapsed in the kitchen and he isn't breathing properly"


def expect(locator: Any) -> Any:
    """Playwright's waiting assertions."""
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.expect(locator)


@pytest.fixture(scope="module")
def hub() -> Iterator[MaitHub]:
    with MaitHub() as running:
        running.fail_next = 1_000_000  # the hub is down
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, hub: MaitHub) -> Iterator[Any]:
    """The application with the MAIT hub configured (quick retries), served by uvicorn."""
    folder: Path = tmp_path_factory.mktemp("partner-server")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'controlroom.db'}",
        demo=False,
        session_secret="browser-tests-" + "x" * 32,
        mait_url=hub.url,
        mait_secret=SECRET,
        outbox_max_attempts=100,
        outbox_backoff_seconds=0.5,
        outbox_backoff_max_seconds=1,
        outbox_poll_seconds=0.1,
    )
    app = create_app(settings)
    factory = app.state.uow_factory
    accounts.add_user(factory(), ADMIN, "hana", "call_handler", PASSWORD, hasher=password_hasher())
    app.state.hub_token = accounts.create_token(factory(), ADMIN, "mait-hub", "integration")[1]
    with served(app) as url:
        app.state.url = url
        yield app


def collapse_call(app: Any) -> str:
    policy = load_policy("dcp-p-042")
    handler, now = Principal("hana", Role.CALL_HANDLER), datetime.now(UTC)
    details = service.offer_contact(
        app.state.uow_factory,
        handler,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number="+447700900123", name="Ann Smith"),
        narrative="",
        now=now,
        policy=policy,
    )
    cid = details.contact.id
    for action in (Answer(), UpdateNarrative(COLLAPSE), Assess("immediate")):
        service.do_action(app.state.uow_factory, handler, cid, action, now, policy)
    return cid


def test_a_handler_sends_to_the_ambulance_service_and_sees_it_delivered_and_accepted(
    browser_page: Any, server: Any, hub: MaitHub
) -> None:
    page = browser_page
    contact = collapse_call(server)
    page.goto(server.state.url + "/console/login")
    page.fill("#username", "hana")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/console/login" not in url)
    # the first contact page may wait for triage's semantic layer to be built
    page.goto(f"{server.state.url}/console/handler/{contact}", timeout=60_000)

    panel = page.locator("#partners")
    ambulance = panel.locator("li.partner").first
    expect(ambulance).to_have_attribute("data-agency", "ambulance-999")
    expect(ambulance).to_contain_text("suggested by triage")
    audit = Audit(page)
    audit.check("contact page with the partner agencies panel")

    page.keyboard.press("o")  # goes to the suggested partner's Send button
    send = ambulance.get_by_role("button", name="Send to South Western Ambulance Service")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**done=sent_to_partner**")
    delivery = page.locator("#partners li[data-agency=ambulance-999] .delivery")
    expect(delivery).to_have_text("pending")
    expect(page.locator("#partners li[data-agency=ambulance-999]")).to_contain_text("no answer yet")

    hub.fail_next = 0  # the hub is back: the panel turns delivered without a reload
    expect(delivery).to_have_text("delivered", timeout=15_000)
    (key,) = hub.processed
    message = hub.messages[key]
    assert message.header.message_type is MessageType.CREATE
    assert message.header.recipient.id == "SWASFT" and not hub.refused

    answer = httpx.post(
        server.state.url + "/api/mait/acknowledgements",
        content=ack_document(
            message.header.message_id, "ACCEPTED", recipient_reference="SWAS-778812"
        ),
        headers={
            "Authorization": f"Bearer {server.state.hub_token}",
            "Content-Type": "application/xml",
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    ack = page.locator("#partners li[data-agency=ambulance-999] .ack")
    expect(ack).to_have_text("accepted", timeout=15_000)
    expect(page.locator("#partners")).to_contain_text("SWAS-778812")
    update = "Send update to South Western Ambulance Service"
    expect(ambulance.get_by_role("button", name=update)).to_be_visible()
    audit.check("the panel with a delivered, accepted message")
    audit.assert_clean()
