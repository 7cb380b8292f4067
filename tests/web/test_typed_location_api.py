"""``POST /api/contacts/{id}/location``: typed text recognised by the service and added, or
kept with its reason, or refused naming the field; only for roles that handle contacts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import gazetteer_for
from controlroom.domain.location.gazetteer import EntryKind, GazetteerEntry
from tests.web.conftest import bearer


@pytest.fixture
def contact(client: TestClient) -> str:
    made = client.post("/api/contacts", json={"channel": "101", "caller": {"name": "Jo"}})
    assert made.status_code == 201, made.text
    contact_id = str(made.json()["id"])
    answered = client.post(f"/api/contacts/{contact_id}/actions", json={"action": "answer"})
    assert answered.status_code == 200, answered.text
    return contact_id


@pytest.mark.parametrize(
    ("text", "fmt", "located", "source"),
    [
        ("SX 47712 54421", "os_grid_reference", True, "os_grid"),
        ("50.3680, -4.1374", "decimal_degrees", True, "coordinates"),
        ("pl12ab", "postcode", True, "postcode"),
        ("EX1 1AA", "postcode", False, "postcode"),
        ("Filled.Count.Soap", "what3words", False, "what3words"),
    ],
)
def test_typed_text_is_recognised_and_added(
    client: TestClient, contact: str, app: FastAPI, text: str, fmt: str, located: bool, source: str
) -> None:
    entry = GazetteerEntry(EntryKind.POSTCODE, "PL1 2AB", 50.36801, -4.13741, 100.0)
    gazetteer_for(app.state.settings).replace([entry], source="test")
    answer = client.post(f"/api/contacts/{contact}/location", json={"text": text})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["format"], body["located"]) == (fmt, located) and body["note"]
    [evidence] = body["contact"]["location"]["evidence"]
    assert evidence["source"] == source


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": "behind the big shed"}, 400, "text"),
        ({"text": "SX 1234 567"}, 400, "os_grid"),
        ({"text": ""}, 422, None),
        ({"text": "x" * 1001}, 422, None),
        ({"words": "a.b.c"}, 422, None),
    ],
)
def test_bad_text_is_refused_and_nothing_added(
    client: TestClient, contact: str, body: dict[str, str], status: int, field: str | None
) -> None:
    answer = client.post(f"/api/contacts/{contact}/location", json=body)
    assert answer.status_code == status, answer.text
    if field is not None:
        assert answer.json()["error"]["field"] == field
    assert client.get(f"/api/contacts/{contact}").json()["location"]["evidence"] == []


def test_a_reading_role_cannot_add(
    app: FastAPI, contact: str, token_for: Callable[[str], str]
) -> None:
    with TestClient(app, headers=bearer(token_for("auditor"))) as auditor:
        answer = auditor.post(f"/api/contacts/{contact}/location", json={"text": "SX 477 544"})
    assert answer.status_code == 403
