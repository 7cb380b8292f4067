"""The 4.12.3 safeguards through ``/api/contacts`` (SQLite and PostgreSQL): the rules the
console shows, enforced per role; old notes-only requests refused naming the new fields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.web.test_contacts_api import CONSIDERATIONS, Room

CHILD = CONSIDERATIONS | {
    "seriousness": "asks when a shop closes",
    "condition": "very upset, crying",
    "age_vulnerability": "child aged 12",
    "vulnerable": True,
}


@pytest.fixture
def room(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[Room]:
    room = Room(app, token_for)
    yield room
    for client in room.clients.values():
        client.close()


def warned(room: Room, channel: str = "999") -> str:
    contact_id = room.offer(channel)
    room.ok(contact_id, {"action": "answer"})
    room.ok(contact_id, {"action": "assess", "grade": "resolution_without_deployment"})
    room.ok(contact_id, {"action": "advise", "to": "101"}, {"action": "warn"})
    return contact_id


def blocked(data: dict[str, Any], action: str) -> dict[str, Any]:
    return next(item for item in data["blocked_actions"] if item["action"] == action)


def test_scenario_1_a_child_on_the_line_is_not_cut_off_without_a_supervisor(room: Room) -> None:
    contact_id = warned(room)
    data = room.ok(contact_id, CHILD)
    assert "terminate" not in data["allowed_actions"]
    assert blocked(data, "terminate")["paragraph"] == "4.12.3(c)"
    assert "child aged 12" in blocked(data, "terminate")["message"]
    refused = room.act(contact_id, {"action": "terminate"})
    assert refused.status_code == 409
    assert "supervisor" in refused.json()["error"]["message"]

    asked = room.ok(contact_id, {"action": "request_approval", "note": "she is alone"})
    assert asked["record"]["approval_request"]["actor"]["id"]
    assert [p["script_id"] for p in asked["prompts"]] == ["await_approval"]
    assert "request_approval" not in asked["allowed_actions"]  # one request at a time

    approve = {"action": "approve_termination", "reason": "mother reached; she is safe"}
    handler_try = room.act(contact_id, approve)
    assert handler_try.status_code == 403
    assert "contact:supervise" in handler_try.json()["error"]["message"]
    assert room.act(contact_id, approve, role="auditor").status_code == 403
    approved = room.ok(contact_id, approve, role="supervisor")
    override = approved["record"]["overrides"][-1]
    assert override["reason"] == "mother reached; she is safe"
    assert override["actor"]["role"] == "supervisor"
    assert override["concerns"] == ["answer:age_vulnerability"]
    assert approved["record"]["approval_request"] is None
    assert room.ok(contact_id, {"action": "terminate"})["state"] == "terminated"

    audit = room.clients["auditor"].get("/api/audit", params={"subject": f"contact:{contact_id}"})
    entries = audit.json()["entries"]
    approval = next(e for e in entries if e["tag"] == "contact:procedure:approve_termination")
    assert approval["details"]["reason"] == "mother reached; she is safe"
    assert approval["details"]["requested_by"]
    assert approval["actor"] != entries[-1]["actor"]  # the supervisor, not the handler


def test_a_supervisor_declines_and_the_call_stays_open(room: Room) -> None:
    contact_id = warned(room)
    room.ok(contact_id, CHILD, {"action": "request_approval"})
    decline = {"action": "decline_termination", "reason": "keep her talking; unit sent"}
    assert room.act(contact_id, decline).status_code == 403
    declined = room.ok(contact_id, decline, role="supervisor")
    assert declined["record"]["declines"][-1]["reason"] == "keep her talking; unit sent"
    assert room.act(contact_id, {"action": "terminate"}).status_code == 409


@pytest.mark.parametrize("channel", ["bsl_999", "relay_uk_18000", "emergency_sms"])
def test_relay_routes_need_an_approval_even_with_every_answer_no(room: Room, channel: str) -> None:
    contact_id = warned(room, channel)
    data = room.ok(contact_id, CONSIDERATIONS)
    assert "may not have heard" in blocked(data, "terminate")["message"]
    assert [c["key"] for c in data["unapproved_concerns"]] == [f"channel:{channel}"]
    room.ok(
        contact_id,
        {"action": "approve_termination", "reason": "BSL interpreter confirms"},
        role="supervisor",
    )
    assert room.ok(contact_id, {"action": "terminate"})["state"] == "terminated"


def test_notes_only_considerations_are_refused_naming_the_new_fields(room: Room) -> None:
    contact_id = warned(room)
    old = {key: CONSIDERATIONS[key] for key in ("action", "seriousness", "condition")}
    old["age_vulnerability"] = "(c) child aged 12"
    before = room.counts()
    response = room.act(contact_id, old)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "serious"
    assert "condition_concern" in error["message"] and "vulnerable" in error["message"]
    assert "true or false" in error["hint"]
    assert room.counts() == before


def test_a_no_against_a_flag_is_refused(room: Room) -> None:
    contact_id = warned(room)
    room.ok(contact_id, {"action": "flag_vulnerability", "flag": "child", "note": "sounds young"})
    response = room.act(contact_id, CONSIDERATIONS)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["paragraph"] == "4.12.3(c)"
    assert "cannot be answered no" in error["message"]
