"""``POST /api/telephony/events`` on SQLite and PostgreSQL: answers, replays, bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.domain.location import (
    LocationFix,
    LocationSource,
    PositioningMethod,
    format_aml_v1,
)
from tests.web.conftest import bearer

EVENTS = "/api/telephony/events"
NUMBER = "+447700900123"
LANDLINE = "+441632960123"


def ago(seconds: float) -> str:
    """An ISO 8601 time ``seconds`` before now."""
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def offered(event_id: str, call_id: str = "PBX-1", **change: Any) -> dict[str, Any]:
    body = {
        "id": event_id,
        "type": "call.offered",
        "occurred_at": ago(60),
        "call_id": call_id,
        "channel": "999",
        "caller": {"number": NUMBER},
    }
    return body | change


def aml_text(lat: float, lon: float) -> str:
    fix = LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=lat,
        lon=lon,
        accuracy_m=12,
        confidence_pct=68,
        positioned_at=datetime.now(UTC) - timedelta(seconds=50),
        method=PositioningMethod.GNSS,
    )
    return format_aml_v1(fix)


def counts(app: FastAPI) -> tuple[int, int]:
    """How many contacts and audit rows the database holds."""
    with app.state.uow_factory(read_only=True) as uow:
        return uow.contacts.count(), uow.audit.head().seq


def test_an_offer_creates_a_contact_and_a_replay_answers_the_same(
    app: FastAPI, telephony: TestClient, client: TestClient
) -> None:
    first = telephony.post(EVENTS, json=offered("ev-1"))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["result"] == "created" and body["state"] == "offered"
    before = counts(app)
    again = telephony.post(EVENTS, json=offered("ev-1", call_id="PBX-2"))
    assert again.status_code == 409  # same id, different content
    assert "ev-1" in again.json()["error"]["message"]
    assert counts(app) == before
    contact = client.get(f"/api/contacts/{body['contact_id']}").json()
    assert contact["caller"]["number"] == NUMBER
    assert [entry["action"] for entry in contact["history"]] == ["offer"]


def test_replaying_the_identical_event_changes_nothing(app: FastAPI, telephony: TestClient) -> None:
    event = offered("ev-1")
    first = telephony.post(EVENTS, json=event)
    before = counts(app)
    for _ in range(3):
        replay = telephony.post(EVENTS, json=event)
        assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert counts(app) == before


def test_answered_before_offered_and_a_landline_reconnect(
    app: FastAPI, telephony: TestClient, token_for: Callable[[str], str]
) -> None:
    token_for("call_handler")  # the user "call-handler" exists
    caller = {"number": LANDLINE, "landline": True, "address": "1 High St, Exeter EX1 1AA"}
    answered = {
        "id": "ev-2",
        "type": "call.answered",
        "occurred_at": ago(50),
        "call_id": "PBX-9",
        "channel": "999",
        "caller": caller,
        "agent": "call-handler",
    }
    response = telephony.post(EVENTS, json=answered)
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "answered"
    contact_id = response.json()["contact_id"]
    late = telephony.post(EVENTS, json=offered("ev-1", "PBX-9", caller=caller, occurred_at=ago(55)))
    assert (late.status_code, late.json()["result"]) == (200, "unchanged")
    ended = answered | {"id": "ev-3", "type": "call.ended", "occurred_at": ago(40)}
    del ended["agent"]
    assert telephony.post(EVENTS, json=ended).json()["state"] == "hung_up"
    again = offered("ev-4", "PBX-10", caller={"number": LANDLINE, "landline": True})
    response = telephony.post(EVENTS, json=again | {"occurred_at": ago(20)})
    assert response.status_code == 200, response.text
    assert (response.json()["result"], response.json()["contact_id"]) == ("reconnected", contact_id)


def test_an_aml_sms_attaches_and_shows_on_the_map(
    telephony: TestClient, client: TestClient
) -> None:
    contact_id = telephony.post(EVENTS, json=offered("ev-1")).json()["contact_id"]
    sms = {
        "id": "ev-2",
        "type": "sms.received",
        "occurred_at": ago(45),
        "from": NUMBER,
        "text": aml_text(50.72154, -3.53329),
    }
    response = telephony.post(EVENTS, json=sms)
    assert response.status_code == 200, response.text
    assert (response.json()["result"], response.json()["contact_id"]) == ("attached", contact_id)
    geo = client.get(f"/api/contacts/{contact_id}/location.geojson")
    assert geo.status_code == 200
    assert geo.headers["content-type"].startswith("application/geo+json")
    point = geo.json()["features"][0]
    assert point["geometry"]["coordinates"] == [-3.53329, 50.72154]
    assert point["properties"]["chosen"] is True
    bad = sms | {"id": "ev-3", "text": sms["text"][:-8]}
    response = telephony.post(EVENTS, json=bad)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_aml"
    contact = client.get(f"/api/contacts/{contact_id}").json()
    assert contact["location"]["best"]["fix"]["lat"] == 50.72154
    assert len(contact["location"]["evidence"]) == 1


def test_an_early_aml_waits_with_202(telephony: TestClient, client: TestClient) -> None:
    sms = {
        "id": "ev-1",
        "type": "sms.received",
        "occurred_at": ago(62),
        "from": NUMBER,
        "text": aml_text(50.1, -4.1),
    }
    response = telephony.post(EVENTS, json=sms)
    assert (response.status_code, response.json()["result"]) == (202, "pending")
    contact_id = telephony.post(EVENTS, json=offered("ev-2")).json()["contact_id"]
    contact = client.get(f"/api/contacts/{contact_id}").json()
    assert contact["location"]["best"]["fix"]["lat"] == 50.1


# --- bad input: a clear 4xx, nothing written ----------------------------------------------------


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("unknown type", offered("ev-9") | {"type": "call.teleported"}, 422, "type"),
    ("no type", _without(offered("ev-9"), "type"), 422, "body"),
    ("no id", _without(offered("ev-9"), "id"), 422, "id"),
    ("no call id", _without(offered("ev-9"), "call_id"), 422, "call_id"),
    ("no caller", _without(offered("ev-9"), "caller"), 422, "caller"),
    ("id a number", offered("ev-9") | {"id": 12}, 422, "id"),
    ("bad id", offered("#9"), 422, "id"),
    ("naive time", offered("ev-9") | {"occurred_at": "2026-01-23T21:00:00"}, 422, "occurred_at"),
    ("not a time", offered("ev-9") | {"occurred_at": "yesterday"}, 422, "occurred_at"),
    ("future", offered("ev-9") | {"occurred_at": "2099-01-01T00:00:00Z"}, 400, "occurred_at"),
    (
        "beyond the range",
        offered("ev-9") | {"occurred_at": "2999-01-01T00:00:00Z"},
        422,
        "occurred_at",
    ),
    ("unknown channel", offered("ev-9") | {"channel": "112"}, 422, "channel"),
    ("bad number", offered("ev-9") | {"caller": {"number": "07700 900123"}}, 422, "caller"),
    ("landline sms", offered("ev-9", channel="emergency_sms", caller={"landline": True}), 400, ""),
    ("array", [offered("ev-9")], 422, "body"),
    ("text", "call.offered", 422, "body"),
    ("answer without agent", offered("ev-9") | {"type": "call.answered"}, 422, "agent"),
    ("unknown agent", offered("ev-9") | {"type": "call.answered", "agent": "nobody"}, 400, "agent"),
    (
        "dtmf for an unknown call",
        offered("ev-9", "PBX-404") | {"type": "call.dtmf", "digits": "55"},
        404,
        "call_id",
    ),
    (
        "bad digits",
        offered("ev-9") | {"type": "call.dtmf", "digits": "5x5"},
        422,
        "digits",
    ),
    (
        "sms without text",
        {"id": "ev-9", "type": "sms.received", "occurred_at": ago(1), "from": NUMBER},
        422,
        "text",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_bad_events_are_4xx_with_a_clear_message_and_write_nothing(
    app: FastAPI, telephony: TestClient, name: str, body: Any, status: int, field: str
) -> None:
    before = counts(app)
    response = telephony.post(EVENTS, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field:
        assert field in error.get("field", "") or field in error["message"], error
    assert counts(app) == before


def test_malformed_json_is_422(app: FastAPI, telephony: TestClient) -> None:
    headers = {"content-type": "application/json"}
    response = telephony.post(EVENTS, content=b'{"id": "ev-1", ', headers=headers)
    assert response.status_code == 422
    assert counts(app) == (0, 1)  # just the integration token's creation


def test_an_oversized_event_is_413(app: FastAPI, telephony: TestClient) -> None:
    body = offered("ev-1") | {"padding": "x" * 70_000}
    response = telephony.post(EVENTS, json=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert response.json()["error"]["hint"] == "send one event per request"
    assert counts(app) == (0, 1)


@pytest.mark.parametrize("token", [None, "cr_0000000000000000_" + "A" * 43, "garbage"])
def test_bad_tokens_are_401(app: FastAPI, anonymous: TestClient, token: str | None) -> None:
    headers = {} if token is None else bearer(token)
    response = anonymous.post(EVENTS, json=offered("ev-1"), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert counts(app) == (0, 0)


def test_a_handler_cannot_send_telephony_events(app: FastAPI, client: TestClient) -> None:
    response = client.post(EVENTS, json=offered("ev-1"))
    assert response.status_code == 403
    assert "telephony:ingest" in response.json()["error"]["message"]


def test_a_revoked_token_stops_working(
    app: FastAPI, telephony: TestClient, token_for: Callable[[str], str]
) -> None:
    from controlroom.domain.contacts import Actor, Role
    from controlroom.services import accounts

    assert telephony.post(EVENTS, json=offered("ev-1")).status_code == 201
    token_id = token_for("integration").split("_")[1]
    accounts.revoke_token(app.state.uow_factory(), Actor("cli:test", Role.ADMIN), token_id)
    # trusted for up to CONTROLROOM_TOKEN_TRUST_SECONDS after it was last checked ...
    assert telephony.post(EVENTS, json=offered("ev-2", "PBX-2")).status_code == 201
    # ... and refused once that has passed (as if the trust time were over)
    app.state.checked_tokens.clear()
    assert telephony.post(EVENTS, json=offered("ev-3", "PBX-3")).status_code == 401


def test_with_no_trust_time_a_revoked_token_stops_at_once(
    app: FastAPI, telephony: TestClient, token_for: Callable[[str], str]
) -> None:
    from controlroom.domain.contacts import Actor, Role
    from controlroom.services import accounts

    app.state.settings = app.state.settings.model_copy(update={"token_trust_seconds": 0})
    assert telephony.post(EVENTS, json=offered("ev-1")).status_code == 201
    token_id = token_for("integration").split("_")[1]
    accounts.revoke_token(app.state.uow_factory(), Actor("cli:test", Role.ADMIN), token_id)
    assert telephony.post(EVENTS, json=offered("ev-2", "PBX-2")).status_code == 401


def test_the_schema_documents_every_event_type(anonymous: TestClient) -> None:
    schema = anonymous.get("/openapi.json").json()
    operation = schema["paths"][EVENTS]["post"]
    for status in ("200", "201", "202", "400", "401", "403", "404", "409", "413", "422"):
        assert status in operation["responses"], status
    components = schema["components"]["schemas"]
    for name in ("CallOffered", "CallAnswered", "CallDtmf", "CallEnded", "CallReconnected"):
        assert components[name]["description"], name
    assert components["SmsReceived"]["properties"]["from"]["description"]


def test_every_answer_has_the_documented_shape(
    telephony: TestClient, token_for: Callable[[str], str]
) -> None:
    from controlroom.web.schemas_telephony import TelephonyAnswer

    token_for("call_handler")
    offer = offered("ev-1")
    answers = [
        telephony.post(EVENTS, json=offer),
        telephony.post(EVENTS, json=offer),  # the stored answer, again
        telephony.post(
            EVENTS,
            json={
                "id": "ev-2",
                "type": "call.answered",
                "occurred_at": offered("x")["occurred_at"],
                "call_id": "PBX-1",
                "channel": "999",
                "caller": {"number": NUMBER},
                "agent": "call-handler",
            },
        ),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert answer.headers["content-type"] == "application/json"
        shaped = TelephonyAnswer.model_validate(answer.json())
        assert shaped.model_dump(mode="json") == answer.json()
