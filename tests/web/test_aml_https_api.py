"""AML over HTTPS: checked, HMAC-verified when the force has a key, matched, idempotent."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.config import Settings
from controlroom.web.app import create_app

FORM = {"content-type": "application/x-www-form-urlencoded"}
NUMBER = "+447700900321"


def _body(at: datetime, *, number: str = NUMBER, key: bytes | None = None) -> bytes:
    millis = int(at.timestamp() * 1000)
    plain = (
        f"v=1&emergency_number=999&source=sms&time={millis}&location_latitude=50.37123"
        f"&location_longitude=-4.14256&location_time={millis}&location_accuracy=9"
        f"&location_source=gps&device_number={number.replace('+', '%2B')}"
    ).encode()
    if key is None:
        return plain
    digest = hmac.new(key, plain, hashlib.sha1).hexdigest()
    return plain + f"&hmac={digest}".encode()


def _offer(client: TestClient, token: str, at: datetime) -> str:
    answer = client.post(
        "/api/telephony/events",
        headers={"authorization": f"Bearer {token}"},
        json={
            "id": "ev-aml-offer",
            "type": "call.offered",
            "occurred_at": at.isoformat(),
            "call_id": "PBX-AML-1",
            "channel": "999",
            "caller": {"number": NUMBER},
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["contact_id"])


def test_an_https_aml_fix_attaches_to_the_live_call_once(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    token = token_for("integration")
    now = datetime.now(UTC) - timedelta(seconds=30)
    contact_id = _offer(client, token, now)
    headers = {"authorization": f"Bearer {token}"} | FORM
    first = client.post(
        "/api/location/aml", content=_body(now + timedelta(seconds=18)), headers=headers
    )
    again = client.post(
        "/api/location/aml", content=_body(now + timedelta(seconds=18)), headers=headers
    )
    assert first.status_code == 200, first.text
    assert first.json()["contact_id"] == contact_id
    assert again.json() == first.json()
    handler = {"authorization": f"Bearer {token_for('call_handler')}"}
    geojson = client.get(f"/api/contacts/{contact_id}/location.geojson", headers=handler)
    points = [f for f in geojson.json()["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == 1
    assert points[0]["geometry"]["coordinates"] == [-4.14256, 50.37123]


def test_a_corrupted_body_is_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    headers = {"authorization": f"Bearer {token_for('integration')}"} | FORM
    body = _body(datetime.now(UTC)).replace(b"location_latitude=50.37123", b"location_latitude=95")
    answer = client.post("/api/location/aml", content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "location_latitude"


def test_with_a_force_key_the_hmac_must_verify(
    database_url: str, policy: Any, token_for: Callable[[str], str], app: FastAPI
) -> None:
    keyed = create_app(
        Settings(database_url=database_url, demo=False, aml_hmac_key="force-secret"),
        policy=policy,
        uow_factory=app.state.uow_factory,
    )
    headers = {"authorization": f"Bearer {token_for('integration')}"} | FORM
    at = datetime.now(UTC) - timedelta(seconds=5)
    with TestClient(keyed, raise_server_exceptions=False) as client:
        unsigned = client.post("/api/location/aml", content=_body(at), headers=headers)
        forged = client.post("/api/location/aml", content=_body(at, key=b"wrong"), headers=headers)
        signed = client.post(
            "/api/location/aml", content=_body(at, key=b"force-secret"), headers=headers
        )
    assert unsigned.status_code == 400 and unsigned.json()["error"]["field"] == "hmac"
    assert forged.status_code == 400 and forged.json()["error"]["field"] == "hmac"
    assert signed.status_code in (200, 202), signed.text


def test_a_handler_cannot_post_location_messages(
    client: TestClient, token_for: Callable[[str], str]
) -> None:
    headers = {"authorization": f"Bearer {token_for('call_handler')}"} | FORM
    answer = client.post("/api/location/aml", content=_body(datetime.now(UTC)), headers=headers)
    assert answer.status_code == 403
