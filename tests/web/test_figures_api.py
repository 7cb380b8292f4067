"""``GET /api/figures``: the period's service levels and each handler's figures, from the stored
contacts (the same on every instance), for supervisors only, with clear errors for bad filters."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.web.app import create_app
from tests.web.conftest import ADMIN, bearer


def call(client: TestClient, telephony: str, agent: str, wait: float, channel: str = "999") -> str:
    """A call offered ``wait`` seconds before it is answered by ``agent`` (a minute ago)."""
    answered = datetime.now(UTC) - timedelta(minutes=1)
    call_id = f"PBX-{uuid.uuid4().hex[:8]}"
    contact = ""
    for kind, at in (
        ("call.offered", answered - timedelta(seconds=wait)),
        ("call.answered", answered),
    ):
        event = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": at.isoformat().replace("+00:00", "Z"),
            "call_id": call_id,
            "channel": channel,
            "caller": {"number": "+447700900555"},
            **({"agent": agent} if kind == "call.answered" else {}),
        }
        answer = client.post("/api/telephony/events", json=event, headers=bearer(telephony))
        assert answer.status_code in (200, 201), answer.text
        contact = contact or str(answer.json()["contact_id"])
    return contact


def act(client: TestClient, token: str, contact: str, **body: Any) -> None:
    answer = client.post(f"/api/contacts/{contact}/actions", json=body, headers=bearer(token))
    assert answer.status_code == 200, answer.text


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_the_service_levels_and_each_handlers_figures(
    app: FastAPI,
    client: TestClient,
    token_for: Callable[[str], str],
    settings: Settings,
    policy: Policy,
) -> None:
    telephony, alice = token_for("integration"), token_for("call_handler")
    factory = app.state.uow_factory
    accounts.add_user(factory(), ADMIN, "bob", "call_handler")
    call(client, telephony, "call-handler", 4)
    advised = call(client, telephony, "call-handler", 12)
    act(client, alice, advised, action="update_narrative", text="My neighbour's music is loud")
    act(client, alice, advised, action="assess", grade="resolution_without_deployment", reason="x")
    act(client, alice, advised, action="advise", to="101")
    for wait in (20, 90):
        call(client, telephony, "bob", wait, channel="101")

    answer = client.get("/api/figures", headers=bearer(token_for("supervisor")))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    line_999, line_101 = body["service_levels"]
    assert (line_999["line"], line_999["answered"], line_999["within_target"]) == ("999", 2, 1)
    assert (line_999["target_seconds"], line_999["standard_percent"]) == (10, 90)
    assert line_101 == {
        "line": "101",
        "target_seconds": 60,
        "standard_percent": 80,
        "calls": 2,
        "answered": 2,
        "abandoned": 0,
        "within_target": 1,
        "share": 0.5,
        "meets_standard": False,
    }
    assert body["handlers"] == [
        {
            "handler": "bob",
            "contacts": 2,
            "median_answer_seconds": 55.0,
            "p90_answer_seconds": 90.0,
            "inappropriate_999": {
                "calls": 0,
                "advised": 0,
                "warned": 0,
                "terminated": 0,
                "logged": 0,
            },
        },
        {
            "handler": "call-handler",
            "contacts": 2,
            "median_answer_seconds": 8.0,
            "p90_answer_seconds": 12.0,
            "inappropriate_999": {
                "calls": 1,
                "advised": 1,
                "warned": 0,
                "terminated": 0,
                "logged": 0,
            },
        },
    ]
    assert body["contacts"] == 4 and body["by_channel"] == {"999": 2, "101": 2}

    # another instance on the same database answers the same
    other = create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )
    again = TestClient(other).get("/api/figures", headers=bearer(token_for("supervisor")))
    assert again.json()["handlers"] == body["handlers"]

    only_101 = client.get("/api/figures?channel=101", headers=bearer(token_for("supervisor")))
    assert [h["handler"] for h in only_101.json()["handlers"]] == ["bob"]


@pytest.mark.parametrize("role", ["call_handler", "auditor", "admin", "integration"])
def test_only_supervisors_read_the_figures(
    client: TestClient, token_for: Callable[[str], str], role: str
) -> None:
    answer = client.get("/api/figures", headers=bearer(token_for(role)))
    assert answer.status_code == 403
    assert "reports:read" in answer.text


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("from=yesterday", "from", "YYYY-MM-DD"),
        ("from=2026-01-10&to=2026-13-01", "to", "YYYY-MM-DD"),
        ("from=2026-01-10&to=2026-01-09", "to", "ends before it starts"),
        ("from=2026-01-01&to=2026-03-01", "to", "at most 31 days"),
        ("from=1999-12-31", "from", "outside the accepted range"),
        ("channel=carrier-pigeon", "channel", "use one of"),
    ],
)
def test_bad_filters_are_400_naming_the_field(
    client: TestClient, token_for: Callable[[str], str], query: str, field: str, words: str
) -> None:
    answer = client.get(f"/api/figures?{query}", headers=bearer(token_for("supervisor")))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["field"] == field
    assert words in error["message"] + error.get("hint", "")
