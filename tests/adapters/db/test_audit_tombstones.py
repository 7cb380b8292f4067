"""Tombstones in the database, on each database: the triggers let a chain version 2 row's
details become a tombstone and refuse every other update; the chain still verifies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from controlroom.adapters.db.retention import SqlRetentionStore
from controlroom.domain.audit import AuditTag, chain_hash, details_digest
from controlroom.domain.contacts import Actor, Role
from controlroom.services.retention_audit import redact_rows
from tests.adapters.db.conftest import MakeUow
from tests.adapters.db.test_audit_chain import INSERT
from tests.domain.contacts.helpers import START

HANDLER = Actor("handler-1", Role.CALL_HANDLER)
RETENTION = Actor("cli:retention", Role.ADMIN)
STONE = {"redacted": {"rule": "contacts", "row": 9, "at": "x", "fields": ["text"]}}


def write(make_uow: MakeUow) -> None:
    """Row 1 of chain version 1 (as before the upgrade), rows 2-4 of version 2."""
    details = {"note": "an old note: Jane Doe"}
    hashed = chain_hash(
        "0" * 64,
        seq=1,
        actor="handler-1",
        role="call_handler",
        tag=AuditTag.CONTACT_ADD_NOTE,
        subject="contact:C-1",
        at=START,
        details=details,
    )
    row = {
        "seq": 1,
        "actor": "handler-1",
        "role": "call_handler",
        "tag": AuditTag.CONTACT_ADD_NOTE.value,
        "subject": "contact:C-1",
        "at": START,
        "details": details,
        "prev_hash": "0" * 64,
        "hash": hashed,
        "details_digest": details_digest(details),
        "chain_version": 1,
    }
    with make_uow() as uow:
        uow.connection.execute(INSERT, row)
        uow.connection.execute(text("UPDATE audit_head SET seq = 1, hash = :h"), {"h": hashed})
        uow.commit()
    for seq, details in enumerate(
        [{"text": "Mill Lane, he has a knife"}, {"seq": 3, "to": "emergency/answered"}, {}], 2
    ):
        with make_uow() as uow:
            at = START + timedelta(seconds=seq)
            tag = AuditTag.TELEPHONY_SMS_RECEIVED
            uow.audit.append(HANDLER, tag, "contact:C-1", details, at)
            uow.commit()


def update(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), params)


def verify(make_uow: MakeUow) -> Any:
    with make_uow(read_only=True) as uow:
        return uow.audit.verify()


def test_retention_tombstones_a_row_and_the_chain_verifies(
    make_uow: MakeUow, database_engine: Engine
) -> None:
    write(make_uow)
    with make_uow() as uow:
        store = SqlRetentionStore(uow.connection, lock=True)
        count = redact_rows(uow.audit, store, "contact:C-1", "contacts", RETENTION, START)
        uow.commit()
    assert (count.redacted, count.kept_version_1) == (1, 1)
    report = verify(make_uow)
    assert report.ok, report.problem
    assert (report.count, report.redacted, report.version_1) == (5, 1, 1)
    with database_engine.connect() as connection:
        rows = connection.execute(text("SELECT seq, tag, details FROM audit_log ORDER BY seq"))
        details = {row.seq: (row.tag, row.details) for row in rows}
    stored = details[2][1] if isinstance(details[2][1], dict) else json.loads(details[2][1])
    assert stored["redacted"]["row"] == 5 and "knife" not in json.dumps(stored)
    assert details[5][0] == "audit:retention:redact"
    assert "an old note" in str(details[1][1])  # version 1: kept whole
    with make_uow() as uow:  # again: nothing left to redact, no second redaction row
        store = SqlRetentionStore(uow.connection, lock=True)
        again = redact_rows(uow.audit, store, "contact:C-1", "contacts", RETENTION, START)
        uow.commit()
    assert again.redacted == 0 and verify(make_uow).count == 5


SET_DETAILS = "UPDATE audit_log SET details = :d WHERE seq = 2"
REFUSED = [
    ("a version 1 row", "UPDATE audit_log SET details = :d WHERE seq = 1", {"d": STONE}),
    (
        "another column",
        "UPDATE audit_log SET actor = 'x', details = :d WHERE seq = 2",
        {"d": STONE},
    ),
    ("the digest", "UPDATE audit_log SET details_digest = 'x' WHERE seq = 2", {}),
    ("the version", "UPDATE audit_log SET chain_version = 1 WHERE seq = 2", {}),
    ("details not a tombstone", SET_DETAILS, {"d": {"a": 1}}),
    ("a tombstone and more", SET_DETAILS, {"d": STONE | {"a": 1}}),
    ("a tombstone not an object", SET_DETAILS, {"d": {"redacted": 1}}),
    ("the hash", "UPDATE audit_log SET hash = 'x' WHERE seq = 3", {}),
    ("a delete", "DELETE FROM audit_log WHERE seq = 4", {}),
]


@pytest.mark.parametrize(("what", "sql", "params"), REFUSED, ids=[r[0] for r in REFUSED])
def test_the_triggers_refuse_every_other_update(
    make_uow: MakeUow, database_engine: Engine, what: str, sql: str, params: dict[str, Any]
) -> None:
    write(make_uow)
    values = {name: json.dumps(value) for name, value in params.items()}
    with pytest.raises(DBAPIError, match="append-only"):
        update(database_engine, sql, **values)
    assert verify(make_uow).ok


def test_a_tombstone_cannot_be_rewritten(make_uow: MakeUow, database_engine: Engine) -> None:
    write(make_uow)
    sql = "UPDATE audit_log SET details = :d WHERE seq = 2"
    update(database_engine, sql, d=json.dumps(STONE))  # allowed by the triggers ...
    report = verify(make_uow)  # ... but no redaction row records it
    assert report.problem is not None and report.problem.seq == 2
    assert "no redaction row records" in report.problem.message
    other = {"redacted": {"rule": "someone", "row": 9, "at": "y", "fields": []}}
    with pytest.raises(DBAPIError, match="append-only"):
        update(database_engine, sql, d=json.dumps(other))
