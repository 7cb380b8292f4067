"""Incident references and ``GET /api/contacts/search`` on SQLite and PostgreSQL: logging an
incident issues a reference in the force's format, shown with the contact; a search by that
reference, the number or words finds it; bad searches answer 400 saying what to give."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

from tests.web.test_contacts_api import Room

KNIFE = "There is a man with a knife outside the chip shop on Fore Street"


@pytest.fixture
def room(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[Room]:
    room = Room(app, token_for)
    yield room
    for client in room.clients.values():
        client.close()


def _logged(room: Room, number: str) -> tuple[str, str]:
    contact_id = room.offer(number=number)
    contact = room.ok(
        contact_id,
        {"action": "answer"},
        {"action": "update_narrative", "text": KNIFE},
        {"action": "assess", "grade": "immediate", "reason": "knife in public"},
        {"action": "log_incident", "grade": "immediate", "reason": "knife in public"},
    )
    reference = contact["record"]["incident"]["reference"]
    assert contact["history"][-1]["details"]["reference"] == reference
    return contact_id, reference


def _search(room: Room, q: str, role: str = "call_handler") -> list[str]:
    response = room.clients[role].get("/api/contacts/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_an_incident_gets_the_next_reference_of_the_day(room: Room) -> None:
    _, first = _logged(room, "+447700900113")
    _, second = _logged(room, "+447700900114")
    today = datetime.now(ZoneInfo("Europe/London")).strftime("%Y%m%d")
    assert re.fullmatch(rf"DC-{today}-\d{{4}}", first)
    assert int(second[-4:]) == int(first[-4:]) + 1


def test_search_by_reference_number_and_words(room: Room) -> None:
    knife, reference = _logged(room, "+447700900113")
    other = room.offer(number="+447700900555")
    assert _search(room, reference) == [knife]
    assert _search(room, reference.lower(), role="auditor") == [knife]
    assert _search(room, "07700 900113") == [knife]
    assert _search(room, "+447700900555") == [other]
    assert _search(room, "chip shop KNIFE") == [knife]
    assert _search(room, "chip shop bicycle") == []
    found = room.clients["supervisor"].get("/api/contacts/search", params={"q": reference}).json()
    assert found["kind"] == "reference" and found["items"][0]["reference"] == reference
    by_number = room.clients["call_handler"].get(
        "/api/contacts/search", params={"q": "07700 900113"}
    )
    assert by_number.json()["number"] == "+447700900113"


@pytest.mark.parametrize(("q", "message"), [("  ", "empty"), ("!!", "nothing to search for")])
def test_a_bad_search_says_what_to_give(room: Room, q: str, message: str) -> None:
    response = room.clients["call_handler"].get("/api/contacts/search", params={"q": q})
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"] and error["field"] == "q"
    assert "reference" in error["hint"]


def test_search_needs_a_query_and_a_sane_limit(room: Room) -> None:
    client = room.clients["call_handler"]
    assert client.get("/api/contacts/search").status_code == 422
    assert client.get("/api/contacts/search", params={"q": "x", "limit": 0}).status_code == 422
    assert client.get("/api/contacts/search", params={"q": "x" * 201}).status_code == 422
