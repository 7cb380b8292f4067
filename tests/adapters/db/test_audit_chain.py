"""The audit chain in the database: intact, then tampered with in each way, on each database."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import JSON, Engine, TextClause, bindparam, text
from sqlalchemy.exc import DBAPIError

from controlroom.adapters.db.tables import UTCDateTime
from controlroom.domain.audit import AuditEntry, AuditTag, ProblemKind
from controlroom.domain.contacts import Actor, Role
from tests.adapters.db.conftest import MakeUow, allow_tampering
from tests.domain.contacts.helpers import START

HANDLER = Actor("handler-1", Role.CALL_HANDLER)


def write(make_uow: MakeUow, n: int = 5) -> list[AuditEntry]:
    entries = []
    for seq in range(1, n + 1):
        with make_uow() as uow:
            details = {"seq": seq, "text": "Ménage à trois ☎", "flags": ["a", "b"], "n": 1.5}
            at = START + timedelta(seconds=seq, microseconds=123)
            entries.append(
                uow.audit.append(HANDLER, AuditTag.CONTACT_WARN, f"contact:C-{seq}", details, at)
            )
            uow.commit()
    return entries


def verify(make_uow: MakeUow):
    with make_uow(read_only=True) as uow:
        return uow.audit.verify()


def tamper(engine: Engine, *statements: tuple[str | TextClause, dict[str, object]]) -> None:
    with engine.begin() as connection:
        allow_tampering(connection)
        for sql, params in statements:
            connection.execute(text(sql) if isinstance(sql, str) else sql, params)


def test_an_intact_chain_verifies(make_uow: MakeUow) -> None:
    written = write(make_uow)
    report = verify(make_uow)
    assert report.ok and report.count == 5
    assert (report.last_seq, report.last_hash) == (5, written[-1].hash)
    with make_uow(read_only=True) as uow:
        assert list(uow.audit.entries()) == written  # times, details, hashes read back exactly
        assert uow.audit.tail(2) == written[-2:]
        assert uow.audit.tail(5, subject="contact:C-3") == [written[2]]
        assert uow.audit.head().seq == 5


def test_an_empty_log_verifies(make_uow: MakeUow) -> None:
    report = verify(make_uow)
    assert report.ok and report.count == 0


def test_an_edited_row_is_reported_at_its_seq(make_uow: MakeUow, database_engine: Engine) -> None:
    write(make_uow)
    tamper(
        database_engine,
        (
            "UPDATE audit_log SET details = :d WHERE seq = 3",
            {"d": '{"seq": 3, "text": "nothing to see"}'},
        ),
    )
    report = verify(make_uow)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (3, ProblemKind.EDITED)


def test_an_edited_actor_is_reported(make_uow: MakeUow, database_engine: Engine) -> None:
    write(make_uow)
    tamper(database_engine, ("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2", {}))
    report = verify(make_uow)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (2, ProblemKind.EDITED)


def test_a_deleted_middle_row_is_reported(make_uow: MakeUow, database_engine: Engine) -> None:
    write(make_uow)
    tamper(database_engine, ("DELETE FROM audit_log WHERE seq = 3", {}))
    report = verify(make_uow)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (4, ProblemKind.DELETED)
    assert "row 3 is missing" in report.problem.message


def test_a_deleted_last_row_is_reported(make_uow: MakeUow, database_engine: Engine) -> None:
    write(make_uow)
    tamper(database_engine, ("DELETE FROM audit_log WHERE seq = 5", {}))
    report = verify(make_uow)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (5, ProblemKind.DELETED)


def _forged(seq: int, prev_hash: str) -> dict[str, object]:
    entry = AuditEntry.create(
        seq=seq,
        actor="intruder",
        role="admin",
        tag=AuditTag.USER_CREATE,
        subject="user:intruder",
        at=START,
        details={"role": "admin"},
        prev_hash=prev_hash,
    )
    return {
        "seq": entry.seq,
        "actor": entry.actor,
        "role": entry.role,
        "tag": entry.tag,
        "subject": entry.subject,
        "at": entry.at,
        "details": {"role": "admin"},
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "details_digest": entry.details_digest,
        "chain_version": entry.chain_version,
    }


INSERT = text(
    "INSERT INTO audit_log (seq, actor, role, tag, subject, at, details, prev_hash, hash, "
    "details_digest, chain_version) VALUES (:seq, :actor, :role, :tag, :subject, :at, "
    ":details, :prev_hash, :hash, :details_digest, :chain_version)"
).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("details", type_=JSON()))


def test_a_forged_row_inserted_in_the_middle_is_reported(
    make_uow: MakeUow, database_engine: Engine
) -> None:
    written = write(make_uow)
    tamper(
        database_engine,
        ("UPDATE audit_log SET seq = -seq WHERE seq >= 3", {}),
        ("UPDATE audit_log SET seq = 1 - seq WHERE seq < 0", {}),
        (INSERT, _forged(3, written[1].hash)),
    )
    report = verify(make_uow)
    assert report.problem is not None
    assert report.count == 3  # rows 1, 2 and the well-made forgery
    assert (report.problem.seq, report.problem.kind) == (4, ProblemKind.EDITED)


def test_a_forged_row_appended_is_reported(make_uow: MakeUow, database_engine: Engine) -> None:
    written = write(make_uow)
    tamper(database_engine, (INSERT, _forged(6, written[-1].hash)))
    report = verify(make_uow)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (6, ProblemKind.HEAD_MISMATCH)


def test_a_replaced_row_breaks_the_next_link(make_uow: MakeUow, database_engine: Engine) -> None:
    written = write(make_uow)
    forged = _forged(3, written[1].hash)
    tamper(
        database_engine,
        ("DELETE FROM audit_log WHERE seq = 3", {}),
        (INSERT, forged),
    )
    report = verify(make_uow)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (4, ProblemKind.BROKEN_LINK)


def test_the_log_refuses_updates_and_deletes(make_uow: MakeUow, database_engine: Engine) -> None:
    write(make_uow, 2)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), database_engine.begin() as connection:
            connection.execute(text(statement))
    assert verify(make_uow).ok


def test_the_audit_row_rolls_back_with_the_change(make_uow: MakeUow) -> None:
    write(make_uow, 2)
    with make_uow() as uow:
        uow.audit.append(HANDLER, AuditTag.CONTACT_WARN, "contact:C-9", {}, START)
    report = verify(make_uow)
    assert report.ok and report.count == 2
    write(make_uow, 1)  # the chain carries on from row 2
    assert verify(make_uow).count == 3


def test_concurrent_appenders_never_fork_the_chain(make_uow: MakeUow) -> None:
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for n in range(5):
                with make_uow() as uow:
                    uow.audit.append(
                        HANDLER, AuditTag.CONTACT_ADD_NOTE, f"contact:W{worker}", {"n": n}, START
                    )
                    uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify(make_uow)
    assert report.ok and report.count == 30


def test_verify_in_a_writing_unit_of_work(make_uow: MakeUow) -> None:
    write(make_uow, 3)
    with make_uow() as uow:
        assert uow.audit.verify().ok
