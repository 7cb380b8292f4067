"""The outbox over HTTP: the delivery worker runs with the app and hands a logged incident to
C&C without the handler waiting; supervisors list messages and retry parked ones (API and
console); /readyz names overdue messages; bad input gets a clear answer."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Role
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.web.app import create_app
from tests.cc_receiver import SECRET, Receiver
from tests.outbox_support import logged_incident, parked_message
from tests.web.conftest import ADMIN, bearer
from tests.web.console_support import USERS, add_users, csrf_of, sign_in

HANDLER = Principal("hana", Role.CALL_HANDLER)
SERIAL = itertools.count(1)


def cc_app(database_url: str, policy: Policy, url: str, **more: object) -> FastAPI:
    settings = Settings(
        policy="dcp-p-042",
        database_url=database_url,
        demo=False,
        cc_url=url,
        cc_secret=SECRET,
        outbox_poll_seconds=0.05,
        **more,  # type: ignore[arg-type]
    )
    return create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )


def log_incident(app: FastAPI, policy: Policy) -> str:
    return logged_incident(app.state.uow_factory, policy, HANDLER, "+447700900113")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def test_the_worker_started_with_the_app_delivers_a_logged_incident(
    database_url: str, policy: Policy, receiver: Receiver
) -> None:
    app = cc_app(database_url, policy, receiver.url)
    add_users(app)
    with TestClient(app) as client:
        cid = log_incident(app, policy)
        assert receiver.wait_for(1), "the incident reached C&C"
        sign_in(client, USERS["supervisor"])
        listed = client.get("/api/outbox", headers=bearer(token(app, "supervisor")))
    (key,) = receiver.processed
    assert receiver.documents[key]["contact_id"] == cid
    assert receiver.documents[key]["event"] == "incident.logged"
    body = listed.json()
    assert listed.status_code == 200 and body["counts"]["delivered"] == 1
    assert body["items"][0]["idempotency_key"] == key and "body" not in body["items"][0]


def token(app: FastAPI, role: str) -> str:
    """An API token of a new user of ``role``."""
    name = f"{role}-api-{next(SERIAL)}"
    accounts.add_user(app.state.uow_factory(), ADMIN, name, role)
    return accounts.create_token(app.state.uow_factory(), ADMIN, name, role)[1]


def test_without_cc_nothing_is_enqueued_and_the_page_says_so(
    app: FastAPI, anonymous: TestClient, policy: Policy
) -> None:
    log_incident(app, policy)
    add_users(app)
    listed = anonymous.get("/api/outbox", headers=bearer(token(app, "supervisor")))
    assert listed.json()["items"] == [] and set(listed.json()["counts"].values()) == {0}
    sign_in(anonymous, USERS["supervisor"])
    page = anonymous.get("/console/outbox")
    assert page.status_code == 200 and "No command-and-control endpoint is configured" in page.text


def test_a_supervisor_retries_a_parked_message_through_the_api(
    app: FastAPI, anonymous: TestClient
) -> None:
    parked = parked_message(app.state.uow_factory, datetime.now(UTC))
    supervisor = bearer(token(app, "supervisor"))
    listed = anonymous.get("/api/outbox?state=parked", headers=supervisor).json()
    assert [(m["id"], m["state"], m["last_error"]) for m in listed["items"]] == [
        (parked, "parked", "the receiver answered HTTP 503")
    ]
    retried = anonymous.post(f"/api/outbox/{parked}/retry", headers=supervisor)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    again = anonymous.post(f"/api/outbox/{parked}/retry", headers=supervisor)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    assert "only parked messages" in again.json()["error"]["hint"]
    missing = anonymous.post("/api/outbox/99999999/retry", headers=supervisor)
    assert missing.status_code == 404
    audit = anonymous.get(
        f"/api/audit?subject=outbox:{parked}", headers=bearer(token(app, "auditor"))
    )
    assert [e["tag"] for e in audit.json()["entries"]] == ["outbox:message:retry"]


def test_an_unknown_state_is_refused_with_the_states_to_use(
    app: FastAPI, anonymous: TestClient
) -> None:
    answer = anonymous.get("/api/outbox?state=lost", headers=bearer(token(app, "supervisor")))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] == "state" and "parked" in error["hint"]


def test_a_supervisor_sees_a_parked_message_and_retries_it_in_the_console(
    app: FastAPI, anonymous: TestClient
) -> None:
    parked = parked_message(app.state.uow_factory, datetime.now(UTC))
    add_users(app)
    sign_in(anonymous, USERS["supervisor"])
    page = anonymous.get("/console/outbox?state=parked")
    assert page.status_code == 200
    assert f'id="outbox-{parked}" data-state="parked"' in page.text
    assert "the receiver answered HTTP 503" in page.text
    assert f'action="/console/outbox/{parked}/retry"' in page.text
    csrf = csrf_of(anonymous, "/console/outbox")
    done = anonymous.post(
        f"/console/outbox/{parked}/retry", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    after = anonymous.get(done.headers["location"])
    assert f"Message {parked} will be sent again" in after.text
    assert f'id="outbox-{parked}" data-state="pending"' in after.text
    refused = anonymous.post(f"/console/outbox/{parked}/retry", data={"csrf": csrf})
    assert refused.status_code == 409 and "cannot retry" in refused.text
    stale = anonymous.post(f"/console/outbox/{parked}/retry", data={"csrf": "forged"})
    assert stale.status_code == 400


def test_handlers_do_not_see_the_outbox_link(app: FastAPI, anonymous: TestClient) -> None:
    add_users(app)
    sign_in(anonymous, USERS["call_handler"])
    assert 'href="/console/outbox"' not in anonymous.get("/console/handler").text
    sign_in(anonymous, USERS["supervisor"])
    assert re.search(r'href="/console/outbox"', anonymous.get("/console/supervisor").text)


def test_readyz_names_overdue_messages_when_delivery_is_stuck(
    database_url: str, policy: Policy
) -> None:
    # nothing listens on port 9 of the loopback: the worker would fail, but it is not running
    app = cc_app(database_url, policy, "http://127.0.0.1:9/cc", outbox_stuck_seconds=10)
    client = TestClient(app)  # not entered: no lifespan, so no worker
    assert client.get("/readyz").status_code == 200
    with app.state.uow_factory() as uow:
        uow.outbox.add(
            destination="cc",
            kind="incident.logged",
            idempotency_key="cc:C-old:1",
            contact_id="C-old",
            content_type="application/json",
            body="{}",
            now=datetime.now(UTC) - timedelta(minutes=1),
        )
        uow.commit()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["problems"] == ["outbox: 1 message overdue"]


def test_a_cc_url_that_is_not_https_stops_the_app_from_starting(
    database_url: str, policy: Policy
) -> None:
    from controlroom.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        cc_app(database_url, policy, "http://cad.example.police.uk/incidents")
    assert refused.value.field == "CONTROLROOM_CC_URL" and "loopback" in (refused.value.hint or "")
