"""Telephony events answered before the route (``web/api/telephony_fast.py``): the same
answers as the route gives, and everything but the plain good case left to the route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.web.api import telephony_fast
from tests.web.conftest import bearer
from tests.web.test_telephony_api import EVENTS, ago, offered


@pytest.fixture
def answered_early(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each event request, whether the fast path answered it (rather than the route)."""
    seen: list[bool] = []
    submit = telephony_fast.TelephonyFastPath._submit

    def spy(self: telephony_fast.TelephonyFastPath, scope: Any, body: bytes) -> Any:
        answer = submit(self, scope, body)
        seen.append(answer is not None)
        return answer

    monkeypatch.setattr(telephony_fast.TelephonyFastPath, "_submit", spy)
    return seen


def test_once_the_token_is_checked_events_are_answered_early_and_alike(
    app: FastAPI, telephony: TestClient, answered_early: list[bool]
) -> None:
    first = telephony.post(EVENTS, json=offered("ev-1", "PBX-1"))
    event = offered("ev-2", "PBX-2")
    second = telephony.post(EVENTS, json=event)
    assert answered_early == [False, True]  # the route checked the token the first time
    assert (first.status_code, second.status_code) == (201, 201)
    one, two = first.json(), second.json()
    assert set(one) == set(two) and one["result"] == two["result"] == "created"
    assert second.headers["content-type"] == "application/json"
    replay = telephony.post(EVENTS, json=event)
    assert answered_early[-1] and replay.status_code == 201 and replay.json() == two
    app.state.checked_tokens.clear()
    by_route = telephony.post(EVENTS, json=event)
    assert not answered_early[-1] and by_route.json() == two


def test_a_refusal_found_by_the_service_reads_as_the_routes(
    app: FastAPI, telephony: TestClient, answered_early: list[bool]
) -> None:
    telephony.post(EVENTS, json=offered("ev-1"))
    dtmf = offered("ev-9", "PBX-404") | {"type": "call.dtmf", "digits": "55"}
    early = telephony.post(EVENTS, json=dtmf)
    assert answered_early[-1] and early.status_code == 404
    app.state.checked_tokens.clear()
    late = telephony.post(EVENTS, json=dtmf)
    assert not answered_early[-1]
    assert (late.status_code, late.json()) == (early.status_code, early.json())
    assert early.json()["error"]["field"] == "call_id"


@pytest.mark.parametrize(
    ("send", "status"),
    [
        ({"json": {"id": "ev-2", "type": "call.exploded"}}, 422),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422),
        ({"content": b'{"id": "ev-2"}', "headers": {"content-type": "text/plain"}}, 422),
        ({"json": offered("ev-2", "PBX-2", occurred_at=ago(-3600))}, 400),  # in the future
    ],
)
def test_anything_but_the_good_case_is_left_to_the_route(
    telephony: TestClient, answered_early: list[bool], send: dict[str, Any], status: int
) -> None:
    assert telephony.post(EVENTS, json=offered("ev-1")).status_code == 201
    response = telephony.post(EVENTS, **send)
    assert answered_early[-1] is False
    assert response.status_code == status and "error" in response.json()


def test_a_role_that_may_not_send_events_is_refused_by_the_route(
    app: FastAPI, token_for: Callable[[str], str], answered_early: list[bool]
) -> None:
    headers = bearer(token_for("call_handler"))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as handler:
        handler.get("/api/contacts")  # the token is now checked and trusted for a while
        response = handler.post(EVENTS, json=offered("ev-1"))
    assert answered_early == [False]
    assert response.status_code == 403 and "telephony:ingest" in response.text
