"""``controlroom audit verify`` checks each stored contact against its audit trail: a contact
row edited outside the service is reported with the contact's id and the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    RecordConsiderations,
    Role,
    Terminate,
    UpdateNarrative,
    Warn,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from tests.cli.test_audit_cli import run

HANDLER = Principal("alice", Role.CALL_HANDLER)
NOISE = "My neighbour's music is too loud and I can't sleep"


def terminated_and_answered(url: str, policy: Policy) -> tuple[str, str]:
    """Two contacts made through the service: one terminated (4.12.5), one answered."""
    factory = uow_factory(Settings(database_url=url, demo=False), migrate_first=False)
    now = datetime.now(UTC) - timedelta(minutes=10)

    def offer() -> str:
        details = service.offer_contact(
            factory,
            HANDLER,
            channel=Channel.NINE_NINE_NINE,
            caller=Caller(number="+447700900001"),
            narrative="",
            now=now,
            policy=policy,
        )
        return details.contact.id

    def act(contact_id: str, *actions: Any) -> None:
        nonlocal now
        for action in actions:
            now += timedelta(seconds=10)
            service.do_action(factory, HANDLER, contact_id, action, now, policy)

    terminated, answered = offer(), offer()
    act(terminated, Answer(), UpdateNarrative(NOISE))
    act(terminated, Assess(grade="resolution_without_deployment", reason="noise only"))
    considerations = RecordConsiderations(
        seriousness="noise complaint",
        condition="calm",
        age_vulnerability="adult",
        serious=False,
        condition_concern=False,
        vulnerable=False,
    )
    act(terminated, considerations, Advise(AdviceKind.CALL_101), Warn(), Terminate())
    act(answered, Answer())
    return terminated, answered


def _edit(engine: Engine, contact_id: str, sql: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), {"id": contact_id} | params)


def _record(engine: Engine, contact_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT record FROM contacts WHERE id = :id"), {"id": contact_id}
        ).scalar_one()
    return value if isinstance(value, dict) else json.loads(value)


def _set_record(engine: Engine, contact_id: str, record: dict[str, Any]) -> None:
    cast = "CAST(:record AS json)" if engine.dialect.name == "postgresql" else ":record"
    _edit(
        engine,
        contact_id,
        f"UPDATE contacts SET record = {cast} WHERE id = :id",
        record=json.dumps(record),
    )


def test_contacts_made_through_the_service_match(database_url: str, policy: Policy) -> None:
    terminated_and_answered(database_url, policy)
    code, out, err = run(database_url, "audit", "verify")
    assert code == 0, err
    assert "contacts match their audit trail: 2 checked" in out


def test_a_state_column_edited_in_the_table_is_found(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    terminated, _ = terminated_and_answered(database_url, policy)
    _edit(database_engine, terminated, "UPDATE contacts SET state = 'closed' WHERE id = :id")
    code, out, err = run(database_url, "audit", "verify")
    assert code == 1
    assert "audit log intact" in out  # the chain itself was not touched
    first, last = err.splitlines()
    assert first.startswith(f"error: contact {terminated}, field state: the stored state is ")
    assert "'closed' but its record says 'terminated'" in first
    assert last == "error: 1 of 2 contacts do not match their audit trail"


def test_a_state_changed_in_the_row_and_its_record_is_found(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    terminated, _ = terminated_and_answered(database_url, policy)
    record = _record(database_engine, terminated) | {"state": "closed"}
    _set_record(database_engine, terminated, record)
    _edit(database_engine, terminated, "UPDATE contacts SET state = 'closed' WHERE id = :id")
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1
    assert f"error: contact {terminated}, field state: stored as inappropriate/closed, " in err
    assert "records it moved to inappropriate/terminated" in err


def test_any_other_edit_to_the_record_is_found(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    _, answered = terminated_and_answered(database_url, policy)
    record = _record(database_engine, answered) | {"narrative": "nothing happened"}
    _set_record(database_engine, answered, record)
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1
    assert f"error: contact {answered}, field record: its stored record does not match" in err


def test_a_contact_inserted_outside_the_service_is_found(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    _, answered = terminated_and_answered(database_url, policy)
    forged = "C-20260101-0000000000"
    with database_engine.begin() as connection:
        row = (
            connection.execute(text("SELECT * FROM contacts WHERE id = :id"), {"id": answered})
            .mappings()
            .one()
        )
        copy = dict(row) | {"id": forged}
        if isinstance(copy["record"], dict):
            copy["record"] = json.dumps(copy["record"])
        columns = ", ".join(copy)
        values = ", ".join(
            f"CAST(:{name} AS json)"
            if name == "record" and connection.dialect.name == "postgresql"
            else f":{name}"
            for name in copy
        )
        connection.execute(text(f"INSERT INTO contacts ({columns}) VALUES ({values})"), copy)
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1
    assert f"error: contact {forged}, field id: no audit row records it" in err


@pytest.mark.parametrize("column", ["ended_at", "caller_number"])
def test_other_columns_are_checked_against_the_record(
    database_url: str, database_engine: Engine, policy: Policy, column: str
) -> None:
    terminated, _ = terminated_and_answered(database_url, policy)
    _edit(database_engine, terminated, f"UPDATE contacts SET {column} = NULL WHERE id = :id")
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1 and f"error: contact {terminated}, field {column}: " in err


def test_a_record_that_cannot_be_read_is_found(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    _, answered = terminated_and_answered(database_url, policy)
    _set_record(database_engine, answered, {"format": 99})
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1
    assert f"error: contact {answered}, field record: its stored record cannot be read" in err
