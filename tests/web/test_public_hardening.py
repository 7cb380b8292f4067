"""The public pages' hardening: a form token serves one report (on every instance sharing
Redis), a refused report says when to try again, a database outage is a 503 page, and OPTIONS
names every method a path answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.adapters.spent_tokens import RedisSpentTokens
from controlroom.domain.errors import DatabaseUnavailable
from controlroom.web.open311.limits import Rate
from controlroom.web.public.guard import Guard, InProcessSpentTokens, Limits, Refused
from tests.run_async import run_async

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def public(app: FastAPI) -> Iterator[TestClient]:
    app.state.public.guard.min_age = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _token(client: TestClient, path: str = "/public/report/crime") -> str:
    found = TOKEN.search(client.get(path).text)
    assert found
    return found.group(1)


def _report(client: TestClient, token: str) -> tuple[int, str, str]:
    form = {
        "form_token": token,
        "description": "My bike was stolen from my shed overnight",
        "attribute[CRIME_TYPE]": "theft",
        "attribute[WHEN]": "2026-11-30T21:15",
        "address_string": "1 High Street, Exeter EX1 1AA",
        "first_name": "Sam",
        "email": "sam@example.org",
    }
    page = client.post("/public/report/crime", data=form)
    return page.status_code, page.text, page.headers.get("retry-after", "")


def test_one_form_token_sends_one_report(public: TestClient) -> None:
    token = _token(public)
    first = _report(public, token)
    assert first[0] == 200 and 'class="ref"' in first[1]
    for _ in range(4):
        status, text, _ = _report(public, token)
        assert status == 409 and "already been sent" in text
        assert 'class="ref"' not in text
        assert TOKEN.search(text)  # a new form to send something else
    assert _report(public, _token(public))[0] == 200  # a new page load, a new report


def test_a_rate_limited_report_says_when_to_try_again(app: FastAPI, public: TestClient) -> None:
    app.state.public.guard.limits = Limits(posts_per_client=Rate(1, 1))
    assert _report(public, _token(public))[0] == 200
    status, text, retry_after = _report(public, _token(public))
    assert status == 429 and "Too many requests" in text
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60


def test_a_form_sent_too_quickly_says_when_to_try_again(app: FastAPI, public: TestClient) -> None:
    app.state.public.guard.min_age = 30
    status, _, retry_after = _report(public, _token(public))
    assert status == 429 and retry_after == "30"


def test_a_database_outage_is_a_503_page(
    app: FastAPI, public: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object, **__: object) -> None:
        raise DatabaseUnavailable()

    monkeypatch.setattr("controlroom.services.reporting.submit_report", down)
    status, text, retry_after = _report(public, _token(public))
    assert status == 503 and retry_after == "5"
    assert "try again in a minute" in text and "call 999" in text


def test_tokens_are_spent_for_every_instance_sharing_redis() -> None:
    shared = f"test-{uuid.uuid4().hex}:"
    first = Guard("secret", min_age=0, spent=RedisSpentTokens(REDIS_URL, prefix=shared))
    second = Guard("secret", min_age=0, spent=RedisSpentTokens(REDIS_URL, prefix=shared))
    token = first.form_token("report")

    async def both() -> None:
        await first.use_form_token(token, "report")
        with pytest.raises(Refused) as refused:
            await second.use_form_token(token, "report")
        assert refused.value.status == 409

    run_async(both())


def test_in_process_tokens_are_forgotten_when_they_would_have_expired() -> None:
    spent = InProcessSpentTokens()

    async def uses() -> list[bool]:
        return [await spent.first_use("a", 0), await spent.first_use("a", 60)]

    assert run_async(uses()) == [True, True]  # a zero time to live is already over


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/public/report/crime", "GET, OPTIONS, POST"),
        ("/api/contacts", "GET, OPTIONS, POST"),
        ("/api/contacts/C-1/actions", "OPTIONS, POST"),
        ("/healthz", "GET, OPTIONS"),
    ],
)
def test_options_names_every_method_the_path_answers(
    public: TestClient, path: str, allowed: str
) -> None:
    answer = public.options(path)
    assert answer.status_code == 204 and answer.headers["allow"] == allowed
    assert "access-control-allow-origin" not in answer.headers
    assert answer.headers["x-frame-options"] == "DENY"


def test_options_on_an_unknown_path_is_404(public: TestClient) -> None:
    assert public.options("/no/such/path").status_code == 404


def _frame(socket: Any, kind: str) -> dict[str, Any]:
    for _ in range(30):
        frame: dict[str, Any] = socket.receive_json()
        if frame.get("type") == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def test_one_page_load_starts_one_chat(public: TestClient) -> None:
    found = re.search(r'data-form-token="([^"]+)"', public.get("/public/chat").text)
    assert found
    start = {"type": "start", "form_token": found.group(1), "client_id": "visitor-0001"}
    with public.websocket_connect("/public/chat/ws") as socket:
        socket.send_json(start | {"text": "   "})  # refused: nothing started, token kept
        assert _frame(socket, "error")["field"] == "text"
        socket.send_json(start | {"text": "Someone keeps following me home"})
        assert _frame(socket, "joined")["chat"]
    with public.websocket_connect("/public/chat/ws") as socket:
        socket.send_json(start | {"text": "And again"})
        refused = _frame(socket, "error")
        assert refused["code"] == "refused" and "reload the page" in refused["message"]
