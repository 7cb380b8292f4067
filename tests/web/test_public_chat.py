"""Live chat over WebSockets: a visitor and an operator, the queue, resuming after a lost
connection, an emergency typed by the visitor, and ending the chat."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from controlroom import bootstrap
from controlroom.adapters.pubsub import InProcessBroker
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.services.live import BrokerPublisher
from controlroom.web.app import create_app

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
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def until(socket: Any, wanted: Callable[[Frame], bool], limit: int = 30) -> Frame:
    """The first frame ``wanted`` accepts (others are skipped)."""
    for _ in range(limit):
        frame: Frame = socket.receive_json()
        if wanted(frame):
            return frame
    raise AssertionError("the frame never came")


def is_type(kind: str, **fields: Any) -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


def _form_token(client: TestClient) -> str:
    found = re.search(r'data-form-token="([^"]+)"', client.get("/public/chat").text)
    assert found
    return found.group(1)


def _start(client: TestClient, socket: Any, text: str) -> Frame:
    socket.send_json(
        {
            "type": "start",
            "form_token": _form_token(client),
            "client_id": "visitor-0001",
            "text": text,
        }
    )
    return until(socket, is_type("joined"))


def _operator(socket: Any, token: str) -> None:
    socket.send_json({"type": "auth", "token": token})
    until(socket, is_type("hello"))


def test_a_visitor_and_an_operator_chat(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        joined = _start(client, visitor, "My bike was stolen from the station yesterday")
        chat = joined["chat"]
        assert joined["state"] == "waiting" and joined["position"] == 1 and joined["secret"]
        assert until(visitor, is_type("message"))["text"].startswith("My bike")
        with client.websocket_connect("/api/chat/ws") as operator:
            _operator(operator, token_for("call_handler"))
            queue = until(operator, lambda f: f.get("type") == "queue" and f["chats"])
            assert queue["chats"][0]["chat"] == chat
            operator.send_json({"type": "take", "chat": chat})
            assert until(operator, is_type("joined"))["chat"] == chat
            first = until(operator, is_type("message", seq=1))
            assert first["from"] == "visitor"
            assert until(visitor, is_type("state"))["state"] == "active"
            operator.send_json({"type": "typing", "chat": chat})
            assert until(visitor, is_type("typing"))["from"] == "operator"
            operator.send_json(
                {
                    "type": "message",
                    "chat": chat,
                    "client_id": "operator-001",
                    "text": "Sorry to hear that. <b>Which</b> station?",
                }
            )
            reply = until(visitor, lambda f: f.get("type") == "message" and f["from"] == "operator")
            assert reply["text"] == "Sorry to hear that. <b>Which</b> station?"  # as text
            visitor.send_json({"type": "message", "client_id": "visitor-0002", "text": "Exeter"})
            echo = until(visitor, lambda f: f.get("client_id") == "visitor-0002")
            assert echo["type"] == "message" and echo["seq"] == 4
            heard = until(
                operator,
                lambda f: (
                    f.get("type") == "message" and f["from"] == "visitor" and f["text"] == "Exeter"
                ),
            )
            operator.send_json({"type": "close", "chat": chat, "outcome": "advised"})
            closed = until(operator, is_type("closed"))
            assert closed["outcome"] == "advised"
            ended = until(
                visitor,
                lambda f: (
                    f.get("type") == "message" and f["from"] == "system" and "ended" in f["text"]
                ),
            )
            assert ended["seq"] > heard["seq"]
            assert until(visitor, is_type("state"))["state"] == "closed"


def test_a_reconnecting_visitor_gets_what_they_missed_once_each(client: TestClient) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        joined = _start(client, visitor, "Someone scratched my car")
        until(visitor, is_type("message", seq=1))
        visitor.send_json({"type": "message", "client_id": "visitor-0002", "text": "Last night"})
        until(visitor, lambda f: f.get("client_id") == "visitor-0002")
    with client.websocket_connect("/public/chat/ws") as again:
        # resent after the drop, with the same client id: stored once
        again.send_json(
            {"type": "resume", "chat": joined["chat"], "secret": joined["secret"], "after": 1}
        )
        rejoined = until(again, is_type("joined"))
        assert "secret" not in rejoined
        assert until(again, is_type("message"))["seq"] == 2
        again.send_json({"type": "message", "client_id": "visitor-0002", "text": "Last night"})
        assert until(again, is_type("ack"))["seq"] == 2
        again.send_json({"type": "message", "client_id": "visitor-0003", "text": "Blue Ford"})
        assert until(again, is_type("message"))["seq"] == 3


def test_a_wrong_secret_does_not_resume_a_chat(client: TestClient) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        joined = _start(client, visitor, "Someone scratched my car")
    with client.websocket_connect("/public/chat/ws") as stranger:
        stranger.send_json({"type": "resume", "chat": joined["chat"], "secret": "guess"})
        assert until(stranger, is_type("error"))["code"] == "not_found"


def test_an_emergency_typed_in_chat_tells_the_visitor_to_ring_999_and_alerts_operators(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    with client.websocket_connect("/api/chat/ws") as supervisor:
        _operator(supervisor, token_for("supervisor"))
        with client.websocket_connect("/public/chat/ws") as visitor:
            _start(client, visitor, "I need to talk about my neighbour")
            visitor.send_json(
                {
                    "type": "message",
                    "client_id": "visitor-0002",
                    "text": "He is kicking my door in right now and has a knife",
                }
            )
            notice = until(visitor, lambda f: f.get("type") == "message" and f.get("emergency"))
            assert "call 999" in notice["text"]
            alert = until(supervisor, is_type("alert"))
            assert alert["event"]["type"] == "ChatEscalated"
            assert "knife" in alert["event"]["text"]
            queue = until(
                supervisor,
                lambda f: f.get("type") == "queue" and f["chats"] and f["chats"][0]["escalated"],
            )
            assert queue["chats"][0]["escalated"] is True


def test_operators_must_authenticate_first(client: TestClient) -> None:
    with client.websocket_connect("/api/chat/ws") as socket:
        socket.send_json({"type": "auth", "token": "cr_0123456789abcdef_nope"})
        assert until(socket, is_type("error"))["code"] == "closed"
        with pytest.raises(WebSocketDisconnect):
            socket.receive_json()


def test_an_auditor_cannot_handle_chats(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    with client.websocket_connect("/api/chat/ws") as socket:
        socket.send_json({"type": "auth", "token": token_for("auditor")})
        error = until(socket, is_type("error"))
        assert "does not have permission contact:act" in error["message"]


def test_a_chat_needs_a_token_from_the_page(client: TestClient) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        visitor.send_json(
            {"type": "start", "form_token": "1.2.3", "client_id": "visitor-0001", "text": "hello"}
        )
        assert "reload the page" in until(visitor, is_type("error"))["message"]


def test_oversized_frames_close_the_socket(client: TestClient) -> None:
    with client.websocket_connect("/public/chat/ws") as visitor:
        visitor.send_text("x" * 10_000)
        assert until(visitor, is_type("error"))["code"] == "closed"


def test_sockets_opened_by_another_site_are_refused(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            "/public/chat/ws", headers={"origin": "https://evil.example"}
        ) as socket,
    ):
        socket.receive_json()


def test_an_emergency_in_an_online_report_alerts_operators_at_once(
    app: FastAPI, client: TestClient, token_for: Callable[[str], str]
) -> None:
    with client.websocket_connect("/api/chat/ws") as supervisor:
        _operator(supervisor, token_for("supervisor"))
        page = client.get("/public/report/crime").text
        found = re.search(r'name="form_token" value="([^"]+)"', page)
        assert found
        form = {
            "form_token": found.group(1),
            "description": "A man is breaking into the house next door right now with a crowbar",
            "attribute[CRIME_TYPE]": "burglary",
            "attribute[WHEN]": "2026-12-04T15:00",
            "address_string": "2 High Street, Exeter EX1 1AA",
        }
        receipt = client.post("/public/report/crime", data=form)
        assert "Call 999 now if anyone is in danger" in receipt.text
        alert = until(supervisor, is_type("alert"))
        assert alert["event"]["type"] == "ReportEscalated"
        assert alert["event"]["reference"] in receipt.text
