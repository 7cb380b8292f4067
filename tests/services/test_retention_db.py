"""Retention on a real database (SQLite and PostgreSQL): the dry run changes nothing; apply
anonymises and deletes what has expired, holds back what must be kept, leaves no personal data
in what it anonymised, keeps the statistics, and ``audit verify`` still passes after it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from controlroom.adapters.db.tables import (
    audit_log,
    contact_calls,
    contacts,
    nuisance_cases,
    nuisance_identifiers,
    online_reports,
    outbox,
)
from controlroom.adapters.policy_file import shipped_policies
from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    AddNote,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    Close,
    LogIncident,
    RecordConsiderations,
    Role,
    UpdateNarrative,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from tests.cli.test_audit_cli import run

HANDLER = Principal("alice", Role.CALL_HANDLER)
NOW = datetime.now(UTC)


def contact(
    url: str, policy: Policy, days_ago: int, number: str, narrative: str, *, incident: bool = False
) -> str:
    """A contact made through the service, ended ``days_ago`` days ago."""
    factory = uow_factory(Settings(database_url=url, demo=False), migrate_first=False)
    at = NOW - timedelta(days=days_ago, minutes=5)
    offered = service.offer_contact(
        factory,
        HANDLER,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number=number, name="Jane Doe"),
        narrative="",
        now=at,
        policy=policy,
    )
    actions: list[Any] = [Answer(), UpdateNarrative(narrative), AddNote(f"note: {narrative}")]
    if incident:
        actions += [Assess(grade="immediate", reason="weapon"), LogIncident(grade="immediate")]
    else:
        actions += [
            Assess(grade="resolution_without_deployment", reason="advice only"),
            RecordConsiderations(
                seriousness=f"minor: {narrative}",
                condition="calm",
                age_vulnerability="adult",
                serious=False,
                condition_concern=False,
                vulnerable=False,
            ),
            Advise(AdviceKind.CALL_101),
        ]
    actions.append(Close())
    for action in actions:
        at += timedelta(seconds=10)
        service.do_action(factory, HANDLER, offered.contact.id, action, at, policy)
    return offered.contact.id


def case(engine: Engine, case_id: str, state: str, number: str, days_ago: int) -> None:
    """A nuisance case linked to ``number`` (only its columns matter to retention)."""
    at = NOW - timedelta(days=days_ago)
    with engine.begin() as connection:
        connection.execute(
            insert(nuisance_cases).values(
                id=case_id,
                identifiers=number,
                state=state,
                step=None,
                kind="abusive",
                opened_at=at,
                updated_at=at,
                version=1,
                record={"format": 1, "id": case_id, "identifiers": [number]},
            )
        )
        connection.execute(
            insert(nuisance_identifiers).values(kind="number", value=number, case_id=case_id)
        )


def dump(engine: Engine) -> str:
    """Everything retention may touch, as text."""
    with engine.connect() as connection:
        rows: list[Any] = []
        for table in (contacts, contact_calls, nuisance_cases, nuisance_identifiers):
            rows += [
                tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))
            ]
    return json.dumps(rows, default=str, sort_keys=True)


def audit_rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(audit_log).order_by(audit_log.c.seq)))


def populate(url: str, engine: Engine, policy: Policy) -> dict[str, str]:
    made = {
        "old": contact(url, policy, 800, "+447700900111", "purple elephant by the harbour"),
        "redact": contact(url, policy, 400, "+447700900222", "green giraffe near the quay"),
        "recent": contact(url, policy, 10, "+447700900333", "orange otter in the park"),
        "incident": contact(
            url, policy, 800, "+447700900444", "knife at the blue door", incident=True
        ),
        "held": contact(url, policy, 800, "+447700900555", "silver swan on the lake"),
    }
    case(engine, "N-OPEN", "open", "+447700900555", 5)
    case(engine, "N-OLD", "closed", "+447700900999", 1200)
    return made


def test_review_reports_and_changes_nothing(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    populate(database_url, database_engine, policy)
    before, chain = dump(database_engine), len(audit_rows(database_engine))
    code, out, err = run(database_url, "retention", "review", "--json")
    assert code == 0, err
    report = json.loads(out)
    kinds = {(item["kind"], item["action"]): item for item in report["kinds"]}
    assert set(kinds) == {
        ("contacts", "anonymise"),
        ("free_text", "anonymise"),
        ("nuisance_cases", "delete"),
    }
    assert kinds["contacts", "anonymise"]["count"] == 1
    assert kinds["contacts", "anonymise"]["held"] == 1
    assert kinds["contacts", "anonymise"]["held_reasons"] == {"linked to an open nuisance case": 1}
    assert kinds["free_text", "anonymise"]["count"] == 1
    assert kinds["nuisance_cases", "delete"]["count"] == 1
    assert report["audit"]["action"] == "keep"
    assert dump(database_engine) == before
    assert len(audit_rows(database_engine)) == chain
    code, out, _ = run(database_url, "retention", "review")
    assert code == 0
    assert "contacts (after 730 days): anonymise 1, oldest ended " in out
    assert "held back: 1 linked to an open nuisance case" in out


def test_apply_anonymises_keeps_statistics_and_the_chain_verifies(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    made = populate(database_url, database_engine, policy)
    with database_engine.connect() as connection:
        calls_before = {row.contact_id: row for row in connection.execute(select(contact_calls))}
    code, out, err = run(database_url, "retention", "apply", "--batch", "2")
    assert code == 0, err
    assert "contacts: " in err and "changed" in err  # progress on stderr
    after = dump(database_engine)
    # anonymised: no number, no narrative, no note anywhere retention keeps contacts
    for gone in ("+447700900111", "purple elephant", "green giraffe", "+447700900999"):
        assert gone not in after
    # free text only: the caller's number stays; the rest is untouched
    for kept in ("+447700900222", "orange otter", "knife at the blue door", "silver swan"):
        assert kept in after
    with database_engine.connect() as connection:
        calls = {row.contact_id: row for row in connection.execute(select(contact_calls))}
        row = connection.execute(select(contacts).where(contacts.c.id == made["old"])).one()
    old, was = calls[made["old"]], calls_before[made["old"]]
    assert old.number is None
    for column in ("channel", "offered_at", "ended_at", "outcome", "route", "incident"):
        assert getattr(old, column) == getattr(was, column)
    assert row.channel == "999" and row.state == "closed" and row.caller_number is None
    tags = [entry.tag for entry in audit_rows(database_engine)]
    assert tags.count("contact:retention:anonymise") == 1
    assert tags.count("contact:retention:redact") == 1
    assert tags.count("nuisance:retention:delete") == 1
    code, out, err = run(database_url, "audit", "verify")
    assert code == 0, err
    assert "contacts match their audit trail: 5 checked" in out


def test_apply_twice_changes_nothing_the_second_time(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    populate(database_url, database_engine, policy)
    assert run(database_url, "retention", "apply")[0] == 0
    once, chain = dump(database_engine), len(audit_rows(database_engine))
    code, out, _ = run(database_url, "retention", "apply", "--json")
    assert code == 0
    assert all(item["count"] == 0 for item in json.loads(out)["kinds"])
    assert dump(database_engine) == once
    assert len(audit_rows(database_engine)) == chain


def test_delete_leaves_a_tombstone_and_the_chain_verifies(
    database_url: str, database_engine: Engine, policy: Policy, tmp_path: Any
) -> None:
    made = populate(database_url, database_engine, policy)
    source = policy_path = tmp_path / "force.toml"
    text_ = shipped_policies()["dcp-p-042"].read_text()
    text_ = text_.replace(
        'contacts = { after_days = 730, action = "anonymise" }',
        'contacts = { after_days = 730, action = "delete" }',
    )
    source.write_text(text_)
    result = run_with_policy(database_url, str(policy_path), "retention", "apply")
    assert result[0] == 0, result[2]
    with database_engine.connect() as connection:
        ids = set(connection.execute(select(contacts.c.id)).scalars())
        tombstone = connection.execute(
            select(audit_log).where(audit_log.c.tag == "contact:retention:delete")
        ).one()
    assert made["old"] not in ids and made["held"] in ids
    assert tombstone.subject == f"contact:{made['old']}"
    assert len(tombstone.details["removed_hash"]) == 64
    code, out, err = run(database_url, "audit", "verify")
    assert code == 0, err
    assert "contacts match their audit trail: 4 checked" in out


def run_with_policy(url: str, policy: str, *args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from controlroom.cli import main

    env = {"CONTROLROOM_DATABASE_URL": url, "CONTROLROOM_POLICY": policy}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_bad_input_is_named(database_url: str) -> None:
    code, _, err = run(database_url, "retention", "review", "--as-of", "last tuesday")
    assert code == 2 and "--as-of: 'last tuesday' is not a date" in err
    code, _, err = run(database_url, "retention", "apply", "--batch", "0")
    assert code == 2 and "--batch: 0 is out of range" in err


def test_a_policy_without_retention_removes_nothing(database_url: str, tmp_path: Any) -> None:
    source = shipped_policies()["dcp-p-042"].read_text()
    start = source.index("[retention]")
    end = source.index("[triage]")
    path = tmp_path / "force.toml"
    path.write_text(source[:start] + source[end:])
    code, _, err = run_with_policy(database_url, str(path), "retention", "apply")
    assert code == 3 and "no [retention] table" in err


def test_an_online_report_loses_its_details_and_waiting_messages_hold_a_contact_back(
    database_url: str, database_engine: Engine, policy: Policy, tmp_path: Path
) -> None:
    made = populate(database_url, database_engine, policy)
    with database_engine.begin() as connection:
        connection.execute(
            insert(online_reports).values(
                reference="DC-R-1",
                token="t0ken",
                contact_id=made["old"],
                service_code="asb",
                listed=True,
                escalated=False,
                requested_at=NOW - timedelta(days=800),
                details={"email": "jane@example.org", "answers": {"what": "purple elephant"}},
            )
        )
        for key, state in (("sent", "delivered"), ("waiting", "pending")):
            connection.execute(
                insert(outbox).values(
                    destination="cad",
                    kind="incident",
                    idempotency_key=key,
                    contact_id=made["incident"] if state == "pending" else made["old"],
                    sequence=1,
                    content_type="application/json",
                    body='{"caller": "+447700900444"}',
                    state=state,
                    attempts=0,
                    created_at=NOW - timedelta(days=800),
                )
            )
    source = (
        shipped_policies()["dcp-p-042"]
        .read_text()
        .replace(
            'contacts_with_incident = { after_days = 2192, action = "anonymise" }',
            'contacts_with_incident = { after_days = 700, action = "delete" }',
        )
    )
    path = str(tmp_path / "force.toml")
    Path(path).write_text(source)
    code, out, err = run_with_policy(database_url, path, "retention", "review", "--json")
    assert code == 0, err
    kinds = {(item["kind"], item["action"]): item for item in json.loads(out)["kinds"]}
    waiting = kinds["contacts_with_incident", "delete"]
    assert waiting["count"] == 0 and waiting["held"] == 1
    assert waiting["held_reasons"] == {"messages to other systems not yet delivered": 1}
    assert run_with_policy(database_url, path, "retention", "apply")[0] == 0
    with database_engine.connect() as connection:
        report = connection.execute(select(online_reports)).one()
        kept = set(connection.execute(select(contacts.c.id)).scalars())
        messages = set(connection.execute(select(outbox.c.idempotency_key)).scalars())
    assert "jane@example.org" not in json.dumps(report.details)
    assert "purple elephant" not in json.dumps(report.details)
    assert report.token is None
    assert made["incident"] in kept  # held back
    assert messages == {"sent", "waiting"}  # the old contact was anonymised, not deleted
    assert run(database_url, "audit", "verify")[0] == 0
