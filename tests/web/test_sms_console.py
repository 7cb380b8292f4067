"""The emergencySMS thread in the console (in-process): the thread fragment, a reply from the
form sent once however often the form is sent, and a read-only role refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.console_support import USERS, act, add_users, csrf_of, sign_in

NUMBER = "+447700900556"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def start(client: TestClient, token: str, text: str) -> str:
    event = {
        "id": str(uuid.uuid4()),
        "type": "sms.received",
        "occurred_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
        "from": NUMBER,
        "text": text,
    }
    answer = client.post(
        "/api/telephony/events", json=event, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["contact_id"])


def commands(client: TestClient, token: str) -> list[dict[str, str]]:
    answer = client.get("/api/telephony/commands", headers={"Authorization": f"Bearer {token}"})
    return list(answer.json()["commands"])


def test_a_reply_from_the_form_is_sent_once_and_shows_in_the_thread(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    integration = token_for("integration")
    contact_id = start(client, integration, "Help he is outside my door")
    sign_in(client, USERS["call_handler"])
    csrf = csrf_of(client)
    assert act(client, contact_id, csrf, action="answer").status_code == 303
    page = client.get(f"/console/handler/{contact_id}").text
    assert 'id="sms-reply"' in page and "Help he is outside my door" in page
    key = re.search(r'name="key" value="([0-9a-f]+)"', page)
    assert key is not None
    form = {"csrf": csrf, "key": key.group(1), "text": "Police are on the way"}
    for _ in range(2):  # a second press of the same form
        sent = client.post(
            f"/console/contacts/{contact_id}/messages", data=form, follow_redirects=False
        )
        assert sent.status_code == 303
    assert [c["text"] for c in commands(client, integration)] == ["Police are on the way"]
    fragment = client.get(f"/console/contacts/{contact_id}/thread").text
    assert 'data-direction="outbound" data-status="queued"' in fragment
    assert (
        "Waiting for the caller&#39;s reply" in fragment
        or "Waiting for the caller's reply" in fragment
    )


def test_an_auditor_reads_the_thread_but_cannot_reply(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    integration = token_for("integration")
    contact_id = start(client, integration, "Help he is outside my door")
    sign_in(client, USERS["auditor"])
    page = client.get(f"/console/handler/{contact_id}").text
    assert "Help he is outside my door" in page and 'id="sms-reply"' not in page
    form = {"csrf": csrf_of(client), "key": "k-1", "text": "hello"}
    refused = client.post(f"/console/contacts/{contact_id}/messages", data=form)
    assert refused.status_code == 403 and "contact:act" in refused.text
    assert commands(client, integration) == []
