"""``POST /api/contacts/{id}/answers`` on SQLite and PostgreSQL: the handler's answers to the
§4.11.1 questions recorded, triage re-decided and citing them, bad input refused clearly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.web.test_contacts_api import Room

UNREADABLE = "Please can someone ring me back about what happened with Gary."


@pytest.fixture
def room(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[Room]:
    room = Room(app, token_for)
    yield room
    for client in room.clients.values():
        client.close()


def _answer(room: Room, contact_id: str, body: Any, role: str = "call_handler") -> Any:
    return room.clients[role].post(f"/api/contacts/{contact_id}/answers", json=body)


def _handler_reasons(contact: dict[str, Any]) -> list[str]:
    reasons = contact["triage"]["suggestion"]["reasons"]
    return [r["explanation"] for r in reasons if r["kind"] == "handler"]


def test_answers_are_recorded_and_triage_cites_them(room: Room) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "answer"}, {"action": "update_narrative", "text": UNREADABLE})
    seen = room.clients["call_handler"].get(f"/api/contacts/{contact_id}").json()
    suggestion = seen["triage"]["suggestion"]
    assert suggestion["needs_assessment"] and len(suggestion["questions"]) == 4
    assert "record_answers" in seen["allowed_actions"]

    response = _answer(room, contact_id, {"answers": {"weapon": "yes", "danger": "no"}})
    assert response.status_code == 200, response.text
    contact = response.json()
    assert contact["triage"]["suggestion"]["route"] == "emergency"
    assert "handler: weapon seen — yes" in _handler_reasons(contact)
    answers = contact["triage"]["answers"]
    assert [(a["question"], a["answer"]) for a in answers] == [("danger", "no"), ("weapon", "yes")]
    assert all(a["actor"]["id"] and a["at"].endswith("Z") for a in answers)
    assert contact["history"][-1]["action"] == "record_answers"

    again = room.clients["supervisor"].get(f"/api/contacts/{contact_id}").json()
    assert again["triage"] == contact["triage"]  # stored, not just answered


def test_a_changed_answer_keeps_the_old_one_in_the_audit(room: Room) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "update_narrative", "text": UNREADABLE})
    assert _answer(room, contact_id, {"answers": {"offender": "yes"}}).status_code == 200
    changed = _answer(room, contact_id, {"answers": {"offender": "no"}}, role="supervisor")
    assert changed.status_code == 200, changed.text
    assert changed.json()["triage"]["answers"][0]["actor"]["role"] == "supervisor"
    audit = room.clients["auditor"].get("/api/audit", params={"subject": f"contact:{contact_id}"})
    rows = [e for e in audit.json()["entries"] if e["tag"] == "contact:procedure:record_answers"]
    assert [(r["details"]["offender"], r["details"]["offender_was"]) for r in rows] == [
        ("yes", "unknown"),
        ("no", "yes"),
    ]
    assert all(r["details"]["triage_route"] for r in rows)


def test_the_answers_action_is_also_a_procedure_action(room: Room) -> None:
    contact_id = room.offer("silent_solution_55")
    contact = room.ok(contact_id, {"action": "record_answers", "danger": "yes"})
    assert contact["triage"]["suggestion"]["route"] == "emergency"
    assert _handler_reasons(contact) == ["handler: someone in danger or injured now — yes"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"answers": {}}, 400, "answers"),
        ({"answers": {"weapons": "yes"}}, 400, "answers.weapons"),
        ({"answers": {"weapon": "maybe"}}, 400, "answers.weapon"),
        ({"answers": "yes"}, 422, None),
        ({"answers": {"weapon": "yes"}, "extra": 1}, 422, None),
        ({}, 422, None),
    ],
)
def test_bad_answers_are_refused_clearly_and_change_nothing(
    room: Room, body: Any, status: int, field: str | None
) -> None:
    contact_id = room.offer()
    before = room.counts()
    response = _answer(room, contact_id, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is not None:
        assert error["field"] == field and error["hint"]
    assert room.counts() == before


def test_no_answers_on_a_contact_that_has_ended_or_does_not_exist(room: Room) -> None:
    contact_id = room.offer()
    room.ok(contact_id, {"action": "hang_up"})
    refused = _answer(room, contact_id, {"answers": {"danger": "yes"}})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "policy_violation" and error["paragraph"]
    assert "record_answers is not allowed" in error["message"]
    missing = _answer(room, "C-20260101-0000000000", {"answers": {"danger": "yes"}})
    assert missing.status_code == 404


def test_the_schema_documents_the_endpoint(room: Room) -> None:
    schema = room.clients["call_handler"].get("/openapi.json").json()
    post = schema["paths"]["/api/contacts/{contact_id}/answers"]["post"]
    assert post["summary"] and {"400", "401", "403", "404", "409", "422"} <= set(post["responses"])
