"""An emergencySMS conversation after retention has tombstoned its audit rows: the thread still
reads, every message saying it was removed under the retention policy, never an error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.adapters.db.retention import SqlRetentionStore
from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    AdviceKind,
    Advise,
    Assess,
    Close,
    RecordConsiderations,
    Role,
)
from controlroom.domain.policy import Policy
from controlroom.domain.retention import Action, Kind, RetentionPolicy, Rule
from controlroom.domain.retention_scrub import MARKER
from controlroom.services import contacts as service
from controlroom.services.retention import apply
from tests.web.conftest import ADMIN
from tests.web.console_support import USERS, add_users, sign_in
from tests.web.test_sms_api import EVENTS, FIRST, conversation, reply, sms

HANDLER = Principal("alice", Role.CALL_HANDLER)
POLICY = RetentionPolicy(
    {
        Kind.CONTACTS: Rule(730, Action.ANONYMISE),
        Kind.CONTACTS_WITH_INCIDENT: Rule(2192, Action.ANONYMISE),
        Kind.FREE_TEXT: Rule(365, Action.ANONYMISE),
        Kind.NUISANCE_CASES: Rule(1096, Action.DELETE),
        Kind.AUDIT: Rule(2557, Action.KEEP),
    }
)


def close(app: FastAPI, contact_id: str, policy: Policy) -> None:
    now = datetime.now(UTC)
    actions: list[Any] = [
        Assess(grade="resolution_without_deployment", reason="advice only"),
        RecordConsiderations(
            seriousness="minor",
            condition="calm",
            age_vulnerability="adult",
            serious=False,
            condition_concern=False,
            vulnerable=True,
        ),
        Advise(AdviceKind.CALL_101),
        Close(),
    ]
    for n, action in enumerate(actions, 1):
        at = now + timedelta(seconds=n)
        service.do_action(app.state.uow_factory, HANDLER, contact_id, action, at, policy)


def session(app: FastAPI) -> Any:
    @contextmanager
    def make(read_only: bool) -> Iterator[tuple[Any, SqlRetentionStore]]:
        with app.state.uow_factory(read_only=read_only) as uow:
            yield uow, SqlRetentionStore(uow.connection, lock=not read_only)

    return make


def test_a_redacted_thread_shows_its_messages_removed(
    app: FastAPI, telephony: TestClient, client: TestClient, policy: Policy
) -> None:
    contact_id = conversation(telephony, client)
    assert telephony.post(EVENTS, json=sms("he is at 14 Fore Street", 60)).status_code == 200
    assert reply(client, contact_id, "Police are on the way", "k-1").status_code == 201
    close(app, contact_id, policy)
    later = datetime.now(UTC) + timedelta(days=800)
    done = apply(session(app), POLICY, later, actor=ADMIN, now=lambda: datetime.now(UTC))
    assert done.audit_rows.redacted >= 4  # the offer, two messages, the reply, the note...
    answer = client.get(f"/api/contacts/{contact_id}/messages")
    assert answer.status_code == 200, answer.text
    messages = answer.json()["messages"]
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("inbound", MARKER),
        ("inbound", MARKER),
        ("outbound", MARKER),
    ]
    shown = answer.text + client.get(f"/api/contacts/{contact_id}").text
    for gone in (FIRST, "Fore Street", "Police are on the way", "+447700900555"):
        assert gone not in shown
    with app.state.uow_factory(read_only=True) as uow:
        report = uow.audit.verify()
    assert report.ok and report.redacted == done.audit_rows.redacted

    add_users(app)  # an auditor reads it in the console: the page and the thread
    with TestClient(app, raise_server_exceptions=False) as console:
        sign_in(console, USERS["auditor"])
        for path in (f"/console/handler/{contact_id}", f"/console/contacts/{contact_id}/thread"):
            page = console.get(path)
            assert page.status_code == 200, path
            assert MARKER in page.text and "Fore Street" not in page.text, path
