"""Helpers for the console's tests: users with passwords, signing in, CSRF tokens, calls."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import password_hasher
from controlroom.domain.contacts import Actor, Role
from controlroom.services import accounts

ADMIN = Actor("cli:test", Role.ADMIN)
PASSWORD = "a-long-enough-password"
USERS = {"call_handler": "hana", "supervisor": "sam", "auditor": "ada", "admin": "root"}


def add_users(app: FastAPI) -> None:
    """One user of each role, with :data:`PASSWORD`."""
    for role, name in USERS.items():
        accounts.add_user(
            app.state.uow_factory(), ADMIN, name, role, PASSWORD, hasher=password_hasher()
        )


def sign_in(client: TestClient, name: str, password: str = PASSWORD, **extra: str) -> Any:
    """Sign in through the form (cookies cleared first); the answer to the POST."""
    client.cookies.clear()
    page = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    data = {"csrf": found.group(1), "username": name, "password": password} | extra
    return client.post("/console/login", data=data, follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/console/handler") -> str:
    """The signed-in session's CSRF token, read from a page."""
    found = re.search(r'data-csrf="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def offer_call(
    client: TestClient,
    token: str,
    *,
    channel: str = "999",
    number: str = "+447700900123",
    ago: float = 5,
) -> str:
    """Telephony offers a call; its contact id."""
    at = datetime.now(UTC) - timedelta(seconds=ago)
    event = {
        "id": str(uuid.uuid4()),
        "type": "call.offered",
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "call_id": f"PBX-{uuid.uuid4().hex[:8]}",
        "channel": channel,
        "caller": {"number": number},
    }
    answer = client.post(
        "/api/telephony/events", json=event, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["contact_id"])


def act(client: TestClient, contact_id: str, csrf: str, **fields: str) -> Any:
    """Post an action form for the contact; the answer (redirects not followed)."""
    return client.post(
        f"/console/contacts/{contact_id}/actions",
        data={"csrf": csrf, **fields},
        follow_redirects=False,
    )
