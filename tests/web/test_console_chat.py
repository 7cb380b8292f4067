"""Live chat in the console (in-process): answering a chat's contact takes the chat for the
visitor too, the handler writes and ends it from the contact page, a read-only role reads only,
and answering through the API keeps the chat in line as well."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom import bootstrap
from controlroom.adapters.pubsub import InProcessBroker
from controlroom.config import Settings
from controlroom.domain.chat import ChatState
from controlroom.domain.contacts import State
from controlroom.domain.policy import Policy
from controlroom.services.live import BrokerPublisher
from controlroom.web.app import create_app
from tests.web.console_support import USERS, act, add_users, csrf_of, sign_in
from tests.web.test_public_chat import is_type, until

Frame = dict[str, Any]


@pytest.fixture
def app(settings: Settings, policy: Policy) -> FastAPI:
    """The application with domain events reaching its broker, forms accepted at once."""
    broker = InProcessBroker()
    factory = bootstrap.uow_factory(
        settings, publisher=BrokerPublisher(broker), migrate_first=False
    )
    app = create_app(settings, policy=policy, uow_factory=factory, broker=broker)
    app.state.public.guard.min_age = 0
    add_users(app)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _start(client: TestClient, visitor: Any, text: str) -> str:
    """The visitor starts a chat on the public page; its contact's id."""
    found = re.search(r'data-form-token="([^"]+)"', client.get("/public/chat").text)
    assert found
    start = {"type": "start", "form_token": found.group(1), "client_id": "visitor-01", "text": text}
    visitor.send_json(start)
    chat = until(visitor, is_type("joined"))["chat"]
    until(visitor, is_type("message", seq=1))
    info = asyncio.run(client.app.state.chats.store.get(chat))  # type: ignore[attr-defined]
    return str(info.contact_id)


def _chat_state(app: FastAPI, contact_id: str) -> ChatState:
    chat = asyncio.run(app.state.chats.store.for_contact(contact_id))
    assert chat is not None
    return ChatState(chat.state)


def _contact_state(app: FastAPI, contact_id: str) -> State:
    with app.state.uow_factory(read_only=True) as uow:
        return State(uow.contacts.get(contact_id).state)


def _say(client: TestClient, contact_id: str, csrf: str, text: str, client_id: str) -> Any:
    return client.post(
        f"/console/contacts/{contact_id}/chat/messages",
        data={"csrf": csrf, "client_id": client_id, "text": text},
    )


def test_a_handler_takes_writes_in_and_ends_a_chat_from_the_contact_page(
    app: FastAPI, client: TestClient
) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        contact_id = _start(client, visitor, "My bike was stolen from the station yesterday")
        sign_in(client, USERS["call_handler"])
        csrf = csrf_of(client)
        assert contact_id in client.get("/console/handler").text  # in the Waiting list
        page = client.get(f"/console/handler/{contact_id}").text
        assert 'id="chat"' in page and "Answer the contact" in page
        assert 'id="chat-send"' not in page  # not until the chat is taken

        early = _say(client, contact_id, csrf, "Hello?", "handler-0001")
        assert early.status_code == 409
        assert "answer the contact" in early.json()["error"]["hint"]

        assert act(client, contact_id, csrf, action="answer").status_code == 303
        assert until(visitor, is_type("state"))["state"] == "active"
        assert _chat_state(app, contact_id) is ChatState.ACTIVE  # both agree
        assert _contact_state(app, contact_id) is State.ANSWERED
        page = client.get(f"/console/handler/{contact_id}?done=answer").text
        assert 'id="chat-send"' in page and 'data-shortcut="r"' in page

        for _ in range(2):  # sent twice (a retry): stored once
            answer = _say(client, contact_id, csrf, "Sorry to hear that. <b>Which</b>?", "h-000002")
            assert answer.status_code == 200 and answer.json()["from"] == "operator"
        reply = until(visitor, lambda f: f.get("type") == "message" and f["from"] == "operator")
        assert reply["text"] == "Sorry to hear that. <b>Which</b>?" and reply["operator"] == "hana"
        typing = client.post(f"/console/contacts/{contact_id}/chat/typing", data={"csrf": csrf})
        assert typing.status_code == 204
        assert until(visitor, is_type("typing"))["from"] == "operator"

        ended = client.post(
            f"/console/contacts/{contact_id}/chat/end",
            data={"csrf": csrf, "outcome": "advised", "advice": "101"},
            follow_redirects=False,
        )
        assert ended.status_code == 303
        assert ended.headers["location"].endswith("?done=chat_ended")
        closing = until(visitor, lambda f: f.get("type") == "message" and "ended" in f["text"])
        assert closing["from"] == "system"
        assert until(visitor, is_type("state"))["state"] == "closed"
    assert _contact_state(app, contact_id) is State.CLOSED
    page = client.get(f"/console/handler/{contact_id}").text
    assert "Live chat transcript" in page and 'id="chat-end"' not in page


def test_a_refused_end_shows_the_page_again_with_the_reason(
    app: FastAPI, client: TestClient
) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        contact_id = _start(client, visitor, "Someone keeps scratching my car")
        sign_in(client, USERS["supervisor"])  # supervisors chat too
        csrf = csrf_of(client)
        assert act(client, contact_id, csrf, action="answer").status_code == 303
        bad = client.post(
            f"/console/contacts/{contact_id}/chat/end",
            data={"csrf": csrf, "outcome": "report", "answers": "no equals sign"},
        )
        assert bad.status_code == 400
        assert "line 1 of the answers is not CODE=value" in bad.text
        assert _chat_state(app, contact_id) is ChatState.ACTIVE  # nothing half-done
        forged = client.post(
            f"/console/contacts/{contact_id}/chat/messages",
            data={"csrf": "nope", "client_id": "h-0000001", "text": "hi"},
        )
        assert forged.status_code == 400


def test_a_read_only_role_reads_the_chat_but_does_not_write(
    app: FastAPI, client: TestClient
) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        contact_id = _start(client, visitor, "Someone keeps scratching my car")
        sign_in(client, USERS["auditor"])
        csrf = csrf_of(client)
        page = client.get(f"/console/handler/{contact_id}").text
        assert 'id="chat"' in page and "Your role reads the chat" in page
        assert 'id="chat-send"' not in page and 'id="chat-end"' not in page
        refused = _say(client, contact_id, csrf, "Hello", "auditor-01")
        assert refused.status_code == 403 and "contact:act" in refused.text
        assert _chat_state(app, contact_id) is ChatState.WAITING
    missing = client.get("/console/contacts/C-nobody/chat/live")
    assert missing.status_code == 404
    assert "no live chat" in missing.json()["error"]["message"]


def test_answering_through_the_api_takes_the_chat_too(
    app: FastAPI, client: TestClient, token_for: Callable[[str], str]
) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        contact_id = _start(client, visitor, "My shed was broken into last night")
        answer = client.post(
            f"/api/contacts/{contact_id}/actions",
            json={"action": "answer"},
            headers={"Authorization": f"Bearer {token_for('call_handler')}"},
        )
        assert answer.status_code == 200, answer.text
        assert until(visitor, is_type("state"))["state"] == "active"
        assert _chat_state(app, contact_id) is ChatState.ACTIVE


def test_the_alarm_for_an_escalated_chat_opens_its_contact(
    app: FastAPI, client: TestClient
) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        contact_id = _start(client, visitor, "I need to talk about my neighbour")
        visitor.send_json(
            {
                "type": "message",
                "client_id": "visitor-02",
                "text": "He is kicking my door in right now and has a knife",
            }
        )
        until(visitor, lambda f: f.get("type") == "message" and f.get("emergency"))
        sign_in(client, USERS["call_handler"])
        alarm = client.get("/console/alarms").text
        assert f'href="/console/handler/{contact_id}#chat"' in alarm
        assert "/operator/chat" not in alarm
