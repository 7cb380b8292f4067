"""Retention reaches the audit log, on a real database (SQLite and PostgreSQL): the review
counts the rows whose personal details would go and changes nothing; apply tombstones them,
records each redaction, leaves the rows of unexpired or held-back contacts alone, and does
nothing more when run again; ``audit verify`` passes and counts the tombstones."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from controlroom.adapters.db.tables import audit_log
from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from tests.cli.test_audit_cli import run
from tests.fakes.uow import FakePublisher
from tests.services.test_retention_db import NOW, audit_rows, populate


def details_of(engine: Engine, subject: str | None = None) -> str:
    """The audit rows' details (about ``subject``), as text."""
    query = select(audit_log.c.details).order_by(audit_log.c.seq)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    with engine.connect() as connection:
        return json.dumps([row.details for row in connection.execute(query)], ensure_ascii=False)


def case_rows(engine: Engine) -> None:
    """Rows about the closed nuisance case N-OLD, as the nuisance service writes them."""
    actor = Actor("sup", Role.SUPERVISOR)
    with SqlUnitOfWork(engine, FakePublisher()) as uow:
        opened = {"number": "+447700900999", "from_state": "", "to_state": "open", "seq": "1"}
        uow.audit.append(actor, "nuisance_case:case:open", "nuisance_case:N-OLD", opened, NOW)
        closed = {"from_state": "open", "to_state": "closed", "seq": "2"}
        uow.audit.append(actor, "nuisance_case:case:close", "nuisance_case:N-OLD", closed, NOW)
        uow.commit()


def test_review_counts_apply_tombstones_and_again_changes_nothing(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    made = populate(database_url, database_engine, policy)
    case_rows(database_engine)
    before = details_of(database_engine)
    code, out, err = run(database_url, "retention", "review", "--json")
    assert code == 0, err
    expected = json.loads(out)["audit"]["redacted"]
    assert expected > 0 and json.loads(out)["audit"]["kept_version_1"] == 0
    assert details_of(database_engine) == before  # a dry run
    code, out, _ = run(database_url, "retention", "review")
    assert f"audit rows about them with personal details: {expected} to tombstone" in out

    code, out, err = run(database_url, "retention", "apply", "--batch", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["audit"]["redacted"] == expected
    for gone in ("+447700900111", "purple elephant", "green giraffe", "+447700900999"):
        assert gone not in details_of(database_engine), gone
    for kept in ("orange otter", "silver swan", "knife at the blue door"):
        assert kept in details_of(database_engine), kept  # unexpired, held back, incident
    old = details_of(database_engine, f"contact:{made['old']}")
    assert "emergency/answered" in old and "record_hash" in old  # rows of codes keep them
    rows = audit_rows(database_engine)
    redactions = [row for row in rows if row.tag == AuditTag.AUDIT_REDACT]
    assert sum(row.details["count"] for row in redactions) == expected
    rules = {row.subject: row.details["rule"] for row in redactions}
    assert rules[f"contact:{made['old']}"] == "contacts"
    assert rules[f"contact:{made['redact']}"] == "free_text"
    assert rules["nuisance_case:N-OLD"] == "nuisance_cases"
    stones = [row for row in rows if "redacted" in row.details]
    assert len(stones) == expected
    assert all(row.details["redacted"]["row"] in {r.seq for r in redactions} for row in stones)

    code, out, err = run(database_url, "audit", "verify")
    assert code == 0, err
    assert f"redacted under the retention policy: {expected} rows" in out

    once = details_of(database_engine)
    code, out, _ = run(database_url, "retention", "apply", "--json")
    assert code == 0 and json.loads(out)["audit"]["redacted"] == 0
    assert details_of(database_engine) == once
    code, out, _ = run(database_url, "retention", "apply")
    assert "audit rows about them with personal details: 0 tombstoned" in out


def test_a_tombstoned_row_tampered_with_is_named(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    from tests.adapters.db.conftest import allow_tampering

    populate(database_url, database_engine, policy)
    assert run(database_url, "retention", "apply")[0] == 0
    stone: Any = next(row for row in audit_rows(database_engine) if "redacted" in row.details)
    with database_engine.begin() as connection:
        allow_tampering(connection)
        connection.execute(
            audit_log.update().where(audit_log.c.seq == stone.seq).values(actor="mallory")
        )
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1
    assert f"row {stone.seq} (edited): its content does not match its stored hash" in err
