"""``/api/contacts`` and ``/api/audit`` on SQLite and PostgreSQL: whole procedures through the
API, refusals with their paragraph, lists, bad input, the schema, and demo data on start."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.app import create_app
from tests.web.conftest import bearer

NUMBER = "+447700900123"
NOISE = "My neighbour's music is too loud and I can't sleep"
BURGLARY = "Someone is breaking into my house right now, he has a knife"


class Room:
    """A telephony system, a handler, a supervisor and an auditor on one application."""

    def __init__(self, app: FastAPI, token_for: Callable[[str], str]) -> None:
        self.app = app
        self.clients = {
            role: TestClient(app, raise_server_exceptions=False, headers=bearer(token_for(role)))
            for role in ("integration", "call_handler", "supervisor", "auditor")
        }
        self.events = 0

    def offer(self, channel: str = "999", number: str = NUMBER) -> str:
        self.events += 1
        body = {
            "id": f"ev-{self.events}",
            "type": "call.offered",
            "occurred_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
            "call_id": f"PBX-{self.events}",
            "channel": channel,
            "caller": {"number": number},
        }
        response = self.clients["integration"].post("/api/telephony/events", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["contact_id"])

    def act(self, contact_id: str, body: dict[str, Any], role: str = "call_handler") -> Any:
        return self.clients[role].post(f"/api/contacts/{contact_id}/actions", json=body)

    def ok(self, contact_id: str, *bodies: dict[str, Any], role: str = "call_handler") -> Any:
        data = None
        for body in bodies:
            response = self.act(contact_id, body, role)
            assert response.status_code == 200, response.text
            data = response.json()
        return data

    def counts(self) -> tuple[int, int]:
        with self.app.state.uow_factory(read_only=True) as uow:
            return uow.contacts.count(), uow.audit.head().seq


@pytest.fixture
def room(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[Room]:
    room = Room(app, token_for)
    yield room
    for client in room.clients.values():
        client.close()


CONSIDERATIONS = {
    "action": "record_considerations",
    "seriousness": "a noise complaint; nothing in progress",
    "condition": "caller calm, no injury",
    "age_vulnerability": "adult; nothing apparent",
    "serious": False,
    "condition_concern": False,
    "vulnerable": False,
}


def test_the_inappropriate_999_flow_advise_warn_terminate(room: Room) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "answer"}, {"action": "update_narrative", "text": NOISE})
    assessed = room.ok(
        contact_id,
        {"action": "assess", "grade": "resolution_without_deployment", "reason": "noise only"},
    )
    assert assessed["triage"]["assessments"][0]["suggestion"]["route"] != "emergency"
    assert "advise" in assessed["allowed_actions"]
    refused = room.act(contact_id, {"action": "terminate"})
    assert refused.status_code == 409
    room.ok(contact_id, CONSIDERATIONS)
    advised = room.ok(contact_id, {"action": "advise", "to": "101"})
    assert advised["procedure"] == "inappropriate" and advised["state"] == "advised"
    assert [p["script_id"] for p in advised["prompts"]] == ["advise"]
    assert advised["prompts"][0]["text"]
    room.ok(contact_id, {"action": "warn"})
    done = room.ok(contact_id, {"action": "terminate"})
    assert done["state"] == "terminated"
    assert done["record"]["considerations"]["seriousness"] == CONSIDERATIONS["seriousness"]
    assert done["record"]["closure"]["outcome"] == "terminated"
    actions = [entry["action"] for entry in done["history"]]
    assert actions == [
        "offer",
        "answer",
        "update_narrative",
        "assess",
        "record_considerations",
        "advise",
        "warn",
        "terminate",
    ]
    audit = room.clients["auditor"].get("/api/audit", params={"subject": f"contact:{contact_id}"})
    tags = [entry["tag"] for entry in audit.json()["entries"]]
    assert tags[0] == "contact:telephony:offered"
    assert tags[-3:] == [
        "contact:procedure:advise",
        "contact:procedure:warn",
        "contact:procedure:terminate",
    ]


def test_a_transfer_to_101_is_refused_with_paragraph_4_12_4_and_nothing_written(
    room: Room,
) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "answer"})
    before, contact = room.counts(), room.clients["auditor"].get(f"/api/contacts/{contact_id}")
    response = room.act(contact_id, {"action": "transfer", "to": "101"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "policy_violation"
    assert error["paragraph"] == "4.12.4"
    assert "101" in error["message"] and error["hint"]
    assert room.counts() == before
    after = room.clients["auditor"].get(f"/api/contacts/{contact_id}")
    assert after.json()["history"] == contact.json()["history"]


def test_the_emergency_flow_ends_with_a_graded_incident(room: Room) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "answer"}, {"action": "update_narrative", "text": BURGLARY})
    seen = room.clients["call_handler"].get(f"/api/contacts/{contact_id}").json()
    assert seen["triage"]["suggestion"]["route"] == "emergency"
    assert seen["triage"]["suggestion"]["grade"] == "immediate"
    differs = room.act(contact_id, {"action": "assess", "grade": "scheduled"})
    assert differs.status_code == 400
    assert differs.json()["error"]["field"] == "reason"
    room.ok(contact_id, {"action": "assess", "grade": "immediate"})
    logged = room.ok(contact_id, {"action": "log_incident", "grade": "immediate"})
    assert logged["state"] == "incident_logged"
    assert logged["record"]["incident"]["grade"] == "immediate"
    closed = room.ok(contact_id, {"action": "close"})
    assert closed["state"] == "closed" and closed["allowed_actions"] == ["add_note", "add_location"]


def test_the_older_override_name_still_approves_for_supervisors_only(room: Room) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "answer"}, {"action": "assess", "grade": "scheduled"})
    room.ok(contact_id, CONSIDERATIONS | {"flags": ["older_person"], "vulnerable": True})
    room.ok(contact_id, {"action": "advise", "to": "101"}, {"action": "warn"})
    blocked = room.act(contact_id, {"action": "terminate"})
    assert blocked.status_code == 409 and blocked.json()["error"]["paragraph"] == "4.12.3(c)"
    override = {"action": "override_vulnerability", "reason": "caller's carer is with her"}
    assert room.act(contact_id, override).status_code == 403
    room.ok(contact_id, override, role="supervisor")
    assert room.ok(contact_id, {"action": "terminate"})["state"] == "terminated"


def test_what_each_role_may_do_is_shown_with_the_contact(room: Room) -> None:
    contact_id = room.offer()
    handler = room.clients["call_handler"].get(f"/api/contacts/{contact_id}").json()
    auditor = room.clients["auditor"].get(f"/api/contacts/{contact_id}").json()
    assert "answer" in handler["allowed_actions"]
    assert auditor["allowed_actions"] == []
    blocked = {item["action"]: item for item in auditor["blocked_actions"]}
    assert "auditor" in blocked["answer"]["message"] and blocked["answer"]["paragraph"]


def test_lists_filter_page_and_link_the_next_page(room: Room) -> None:
    ids = [room.offer(number=f"+44770090010{i}") for i in range(3)]
    room.offer(channel="101")
    room.ok(ids[0], {"action": "answer"})
    client = room.clients["auditor"]
    page = client.get("/api/contacts", params={"limit": 2}).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert page["next"] == "/api/contacts?limit=2&offset=2"
    last = client.get(page["next"]).json()
    assert last["next"] is None and len(last["items"]) == 2
    assert len({item["id"] for item in page["items"] + last["items"]}) == 4
    assert client.get("/api/contacts", params={"channel": "101"}).json()["total"] == 1
    assert client.get("/api/contacts", params={"state": "answered"}).json()["total"] == 1
    one = client.get("/api/contacts", params={"caller": "+447700900101"}).json()
    assert [item["id"] for item in one["items"]] == [ids[1]]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/api/contacts", params={"offered_from": future}).json()["total"] == 0
    filtered = client.get("/api/contacts", params={"channel": "999", "limit": 1}).json()
    assert filtered["next"] == "/api/contacts?channel=999&limit=1&offset=1"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 201}, 422),
        ({"limit": 0}, 422),
        ({"offset": -1}, 422),
        ({"channel": "112"}, 422),
        ({"state": "sleeping"}, 422),
        ({"offered_from": "2026-01-01T00:00:00"}, 422),
        ({"caller": "07700900123"}, 422),  # the OpenAPI states the E.164 pattern
    ],
)
def test_bad_list_filters_are_4xx(room: Room, params: dict[str, Any], status: int) -> None:
    response = room.clients["call_handler"].get("/api/contacts", params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"action": "fly"}, 422, "body"),
        ({}, 422, "body"),
        ({"action": "assess"}, 422, "grade"),
        ({"action": "assess", "grade": 3}, 422, "grade"),
        ({"action": "assess", "grade": "grade-9"}, 400, "grade"),
        ({"action": "advise", "to": "the moon"}, 422, "to"),
        ({"action": "answer", "grade": "immediate"}, 422, "grade"),
        ({"action": "update_narrative", "text": ""}, 400, "text"),
        ({"action": "add_note", "text": "bell\u0007"}, 400, "text"),
        ({"action": "log_incident", "grade": "immediate"}, 409, None),
        (["answer"], 422, "body"),
    ],
)
def test_bad_actions_are_4xx_and_write_nothing(
    room: Room, body: Any, status: int, field: str | None
) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "answer"})
    before = room.counts()
    response = room.act(contact_id, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is not None:
        assert field in (error.get("field") or "") or field in error["message"], error
    assert room.counts() == before


def test_unknown_contacts_are_404(room: Room) -> None:
    client = room.clients["call_handler"]
    for response in (
        client.get("/api/contacts/C-nope"),
        client.get("/api/contacts/C-nope/location.geojson"),
        client.post("/api/contacts/C-nope/actions", json={"action": "answer"}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_an_online_report_is_created_by_hand_and_triaged(room: Room) -> None:
    body = {
        "channel": "online_report",
        "caller": {"name": "Priya Shah"},
        "narrative": "My bike was stolen from my shed last week",
    }
    response = room.clients["call_handler"].post("/api/contacts", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert (data["channel"], data["procedure"], data["state"]) == (
        "online_report",
        "non_emergency",
        "offered",
    )
    assert data["triage"]["suggestion"]["route"] == "police_non_emergency"
    bad = room.clients["call_handler"].post(
        "/api/contacts", json=body | {"caller": {"number": "07700"}}
    )
    assert bad.status_code == 422  # the OpenAPI states the E.164 pattern
    assert bad.json()["error"]["field"] == "caller.number"
    assert room.clients["auditor"].post("/api/contacts", json=body).status_code == 403


def test_a_location_added_by_hand_is_on_the_map(room: Room) -> None:
    contact_id = room.offer()
    room.ok(
        contact_id,
        {"action": "add_location", "source": "what3words", "text": "filled.count.soap"},
        {"action": "add_location", "lat": 50.3712, "lon": -4.1427, "accuracy_m": 7},
    )
    geo = room.clients["call_handler"].get(f"/api/contacts/{contact_id}/location.geojson").json()
    kinds = [
        (f["properties"]["kind"], f["geometry"] and f["geometry"]["type"]) for f in geo["features"]
    ]
    assert kinds == [("fix", None), ("fix", "Point"), ("accuracy", "Polygon")]


def test_the_audit_log_is_for_auditors(room: Room) -> None:
    room.offer()
    assert room.clients["call_handler"].get("/api/audit").status_code == 403
    entries = room.clients["auditor"].get("/api/audit", params={"limit": 1}).json()["entries"]
    assert len(entries) == 1 and entries[0]["tag"] == "contact:telephony:offered"
    assert len(entries[0]["hash"]) == 64
    assert room.clients["auditor"].get("/api/audit", params={"limit": 5000}).status_code == 422


def test_the_schema_documents_the_contact_endpoints(anonymous: TestClient) -> None:
    schema = anonymous.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/contacts"]) == {"get", "post"}
    action = paths["/api/contacts/{contact_id}/actions"]["post"]
    assert action["responses"]["409"]["description"]
    components = schema["components"]["schemas"]
    for name in ("ContactOut", "ContactPageOut", "AssessIn", "AuditEntryOut"):
        model = components[name]
        assert model.get("description"), name
        for field, spec in model["properties"].items():
            if field != "action":
                assert spec.get("description") or "$ref" in spec or "allOf" in spec, (name, field)
    assert schema["components"]["securitySchemes"]


def test_serve_starts_with_demo_data_once(
    database_url: str, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(policy="dcp-p-042", database_url=database_url, demo=True)
    factory = uow_factory(settings, migrate_first=False)
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        app = create_app(settings, policy=policy, uow_factory=factory)
    banner = printed.getvalue()
    assert "demo-handler-password" in banner
    tokens = {
        line.split()[1]: line.split()[2]
        for line in banner.splitlines()
        if line.strip().startswith("token")
    }
    with TestClient(app, headers=bearer(tokens["auditor"])) as client:
        listed = client.get("/api/contacts", params={"limit": 200}).json()
        assert listed["total"] >= 12
        states = {item["state"] for item in listed["items"]}
        assert {"terminated", "incident_logged", "abandoned", "offered"} <= states
        assert client.get("/api/audit", params={"limit": 1}).status_code == 200
    again = io.StringIO()
    with contextlib.redirect_stderr(again):
        create_app(settings, policy=policy, uow_factory=factory)
    assert again.getvalue() == ""
