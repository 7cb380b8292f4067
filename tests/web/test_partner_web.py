"""Partner agencies over HTTP: the MAIT hub's acknowledgements (good ACK, rejection with its
reason, an unknown message, bad XML, the wrong sender, no token), and the contact page's
"Partner agencies" panel: Send, its delivery state, the partner's answer, Send update; with
MAIT not configured the control is disabled and says why."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Answer, Assess, Caller, Role, UpdateNarrative
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.partner_handoff import send_to_partner
from controlroom.web.app import create_app
from tests.mait_receiver import SECRET, ack_document
from tests.web.conftest import bearer
from tests.web.console_support import USERS, add_users, csrf_of, sign_in

HANDLER = Principal("hana", Role.CALL_HANDLER)
COLLAPSE = "My husband has collapsed in the kitchen and he isn't breathing properly"
ACKS = "/api/mait/acknowledgements"


def mait_app(database_url: str, policy: Policy, *, configured: bool = True) -> FastAPI:
    more = {"mait_url": "http://127.0.0.1:9/mait", "mait_secret": SECRET} if configured else {}
    settings = Settings(policy="dcp-p-042", database_url=database_url, demo=False, **more)  # type: ignore[arg-type]
    app = create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )
    app.state.delivery_worker = None  # the hub is not running: nothing is delivered here
    return app


def collapse_call(app: FastAPI, policy: Policy) -> str:
    now = datetime.now(UTC)
    details = service.offer_contact(
        app.state.uow_factory,
        HANDLER,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number="+447700900123", name="Ann Smith"),
        narrative="",
        now=now,
        policy=policy,
    )
    cid = details.contact.id
    for action in (Answer(), UpdateNarrative(COLLAPSE), Assess("immediate")):
        service.do_action(app.state.uow_factory, HANDLER, cid, action, now, policy)
    return cid


ack_xml = ack_document


@pytest.fixture
def app(database_url: str, policy: Policy) -> FastAPI:
    return mait_app(database_url, policy)


@pytest.fixture
def hub(app: FastAPI, token_for: object) -> Iterator[TestClient]:
    headers = bearer(token_for("integration")) | {"Content-Type": "application/xml"}  # type: ignore[operator]
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        yield client


def test_acknowledgements_are_recorded_and_bad_ones_refused_clearly(
    app: FastAPI, policy: Policy, hub: TestClient, anonymous: TestClient
) -> None:
    cid = collapse_call(app, policy)
    now = datetime.now(UTC)
    sent = send_to_partner(app.state.uow_factory, HANDLER, cid, "ambulance-999", now, policy)

    good = ack_xml(sent.message_id, "ACCEPTED", recipient_reference="SWAS-778812")
    answer = hub.post(ACKS, content=good)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["recipient_reference"], body["contact_id"]) == (
        "ACCEPTED",
        "SWAS-778812",
        cid,
    )
    assert hub.post(ACKS, content=good).status_code == 200, "the same ACK again: recorded once"

    rejected = ack_xml(sent.message_id, "REJECTED", reason="Outside our area")
    answer = hub.post(ACKS, content=rejected)
    assert answer.status_code == 201 and answer.json()["reason"] == "Outside our area"

    unknown = hub.post(ACKS, content=ack_xml("never-sent-1234", "ACCEPTED"))
    assert unknown.status_code == 404 and "no MAIT message" in unknown.json()["error"]["message"]

    bad = hub.post(ACKS, content=b"<MAITMessage><Header>")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_mait_message"

    wrong = hub.post(ACKS, content=ack_xml(sent.message_id, "ACCEPTED", sender="DSFRS"))
    assert wrong.status_code == 409
    assert "DSFRS" in wrong.json()["error"]["message"]

    assert anonymous.post(ACKS, content=good).status_code == 401


def test_a_handler_token_may_not_acknowledge(
    app: FastAPI, client: TestClient, policy: Policy
) -> None:
    answer = client.post(ACKS, content=b"<x/>", headers={"Content-Type": "application/xml"})
    assert answer.status_code == 403 and "partner:acknowledge" in answer.text


def console(app: FastAPI, role: str = "call_handler") -> TestClient:
    if not getattr(app.state, "test_users", False):
        add_users(app)
        app.state.test_users = True
    client = TestClient(app, raise_server_exceptions=False)
    assert sign_in(client, USERS[role]).status_code == 303
    return client


def test_the_panel_sends_shows_delivery_and_answers_and_offers_an_update(
    app: FastAPI, policy: Policy, hub: TestClient
) -> None:
    cid = collapse_call(app, policy)
    browser = console(app)
    page = browser.get(f"/console/handler/{cid}").text
    assert 'id="partners"' in page and "South Western Ambulance Service" in page
    first = page.index('data-agency="', page.index('id="partners"'))
    assert page[first:].startswith('data-agency="ambulance-999"'), "triage's partner comes first"
    assert "suggested by triage" in page
    csrf = csrf_of(browser, f"/console/handler/{cid}")
    sent = browser.post(
        f"/console/contacts/{cid}/partners",
        data={"csrf": csrf, "agency": "ambulance-999"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "done=sent_to_partner" in sent.headers["location"]
    fragment = browser.get(f"/console/contacts/{cid}/partners").text
    assert 'data-state="pending"' in fragment and "no answer yet" in fragment
    assert "Send update" in fragment
    message_id = re.search(r'data-message="([^"]+)"', fragment)
    assert message_id is not None
    hub.post(ACKS, content=ack_xml(message_id.group(1), "ACCEPTED", recipient_reference="S-1"))
    fragment = browser.get(f"/console/contacts/{cid}/partners").text
    assert 'data-status="accepted"' in fragment and "S-1" in fragment

    again = browser.post(
        f"/console/contacts/{cid}/partners",
        data={"csrf": csrf, "agency": "ambulance-999"},
        follow_redirects=False,
    )
    assert again.status_code == 409 and "send an update instead" in again.text.lower()
    update = browser.post(
        f"/console/contacts/{cid}/partners",
        data={"csrf": csrf, "agency": "ambulance-999", "update": "1"},
        follow_redirects=False,
    )
    assert update.status_code == 303
    fragment = browser.get(f"/console/contacts/{cid}/partners").text
    assert fragment.count("<tr data-message=") == 2 and ">UPDATE<" in fragment
    outbox = console(app, "supervisor").get("/console/outbox").text
    assert "MAIT to Ambulance service (999)" in outbox and "(partner:ambulance-999)" in outbox


def test_without_mait_configured_the_send_control_is_disabled_with_the_reason(
    database_url: str, policy: Policy
) -> None:
    app = mait_app(database_url, policy, configured=False)
    cid = collapse_call(app, policy)
    browser = console(app)
    page = browser.get(f"/console/handler/{cid}").text
    assert "Nothing can be sent by MAIT" in page and "CONTROLROOM_MAIT_URL" in page
    assert re.search(r'<button type="submit" disabled aria-describedby="partners-why">Send', page)
    csrf = csrf_of(browser, f"/console/handler/{cid}")
    refused = browser.post(
        f"/console/contacts/{cid}/partners",
        data={"csrf": csrf, "agency": "ambulance-999"},
        follow_redirects=False,
    )
    assert refused.status_code == 503 and "CONTROLROOM_MAIT_URL" in refused.text


@pytest.mark.parametrize(
    ("more", "said"),
    [
        ({"mait_url": "http://hub.example.gov.uk/mait", "mait_secret": SECRET}, "https://"),
        ({"mait_url": "https://hub.example.gov.uk/mait"}, "secret"),
    ],
)
def test_a_mait_hub_that_cannot_work_stops_the_app_from_starting(
    database_url: str, policy: Policy, more: dict[str, str], said: str
) -> None:
    settings = Settings(policy="dcp-p-042", database_url=database_url, demo=False, **more)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        create_app(settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False))
    assert refused.value.field == "CONTROLROOM_MAIT_URL" and said in str(refused.value.as_dict())


def test_an_auditor_sees_the_panel_but_cannot_send(app: FastAPI, policy: Policy) -> None:
    cid = collapse_call(app, policy)
    auditor = console(app, "auditor")
    page = auditor.get(f"/console/handler/{cid}").text
    assert 'id="partners"' in page and "South Western Ambulance Service" in page
    assert '/partners" class="partner-send"' not in page and ">Send<" not in page
    csrf = csrf_of(auditor, f"/console/handler/{cid}")
    refused = auditor.post(
        f"/console/contacts/{cid}/partners",
        data={"csrf": csrf, "agency": "ambulance-999"},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and "contact:act" in refused.text
