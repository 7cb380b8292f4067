"""Caller history (``contact_calls``) and nuisance cases in the database, on each test database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from controlroom.adapters.db import migrate
from controlroom.adapters.db.call_history import from_micros, to_micros
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.repositories import stored_columns
from controlroom.adapters.db.tables import contact_calls, contacts
from controlroom.adapters.db.tables import nuisance_cases as cases
from controlroom.domain.contacts import (
    ActionKind,
    Contact,
    LocationEvidence,
    ProcedureName,
    State,
)
from controlroom.domain.errors import Conflict, InvalidInput
from controlroom.domain.nuisance import (
    DEFAULT_LADDER,
    Approve,
    Assess,
    CaseState,
    Close,
    Identifier,
    LinkIdentifier,
    NuisanceCase,
    NuisanceKind,
    OutcomeKind,
    Propose,
    Record,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel
from tests.adapters.db.conftest import MakeUow
from tests.domain.contacts.helpers import CHANNELS, PATHS, Clock, drive, new_contact
from tests.domain.nuisance.helpers import (
    FOREIGN,
    HANDLER,
    IMEI,
    NEW_NUMBER,
    NOW,
    NUMBER,
    SUPERVISOR,
)

P, S = ProcedureName, State
SILENT = (P.SILENT, S.CLOSED)
EMERGENCY = (P.EMERGENCY, S.CLOSED)
TERMINATED = (P.INAPPROPRIATE, S.TERMINATED)


def call(
    policy: Policy,
    cid: str,
    at: datetime,
    path: tuple[ProcedureName, State] = SILENT,
    *,
    number: str | None = NUMBER,
    imei: str | None = None,
    kinds: tuple[ActionKind, ...] | None = None,
) -> Contact:
    """A contact offered at ``at`` from ``number`` and driven along ``path`` (or ``kinds``);
    with ``imei``, AML location evidence that names the handset."""
    clock = Clock(at - timedelta(seconds=1))
    channel = CHANNELS[path[0]]
    contact = new_contact(policy, clock, channel, number=number, contact_id=cid)
    drive(contact, PATHS[path] if kinds is None else kinds, policy, clock)
    if imei is not None:
        aml = LocationEvidence("aml_sms", at, {"kind": "fix", "lat": "50.1", "imei": imei})
        contact = Contact(replace(contact.record, location=(*contact.record.location, aml)))
    return contact


def store(make_uow: MakeUow, *items: Contact) -> None:
    with make_uow() as uow:
        for contact in items:
            uow.contacts.add(contact)
        uow.commit()


def test_micros_round_trip() -> None:
    assert from_micros(to_micros(NOW)) == NOW
    assert to_micros(NOW + timedelta(microseconds=1)) - to_micros(NOW) == 1
    with pytest.raises(ValueError, match="naive"):
        to_micros(NOW.replace(tzinfo=None))


def test_summaries_by_number_within_the_window(make_uow: MakeUow, policy: Policy) -> None:
    store(
        make_uow,
        call(policy, "C-old", NOW - timedelta(days=40)),
        call(policy, "C-1", NOW - timedelta(days=2)),
        call(policy, "C-2", NOW - timedelta(hours=1), EMERGENCY, number=NUMBER),
        call(policy, "C-other", NOW - timedelta(hours=1), number=NEW_NUMBER),
        call(policy, "C-later", NOW + timedelta(hours=1)),
    )
    with make_uow(read_only=True) as uow:
        found = uow.calls.summaries(number=NUMBER, since=NOW - timedelta(days=30), until=NOW)
        assert [c.contact_id for c in found] == ["C-1", "C-2"]
        assert found[0].outcome is OutcomeKind.SILENT and found[0].silent
        assert found[1].outcome is OutcomeKind.EMERGENCY and found[1].genuine_emergency
        assert found[1].speech and found[1].incident
        everything = uow.calls.summaries(number=NUMBER, since=NOW - timedelta(days=60))
        assert [c.contact_id for c in everything] == ["C-old", "C-1", "C-2", "C-later"]
        edge = uow.calls.summaries(number=NUMBER, since=found[0].offered_at, until=NOW)
        assert [c.contact_id for c in edge] == ["C-1", "C-2"]  # both ends inclusive
        assert uow.calls.summaries(number=FOREIGN, since=NOW - timedelta(days=30)) == []


def test_summaries_by_imei_and_merged_with_the_number(make_uow: MakeUow, policy: Policy) -> None:
    store(
        make_uow,
        call(policy, "C-1", NOW - timedelta(hours=3), imei=IMEI),
        call(policy, "C-2", NOW - timedelta(hours=2), number=None, imei=IMEI),
        call(policy, "C-3", NOW - timedelta(hours=1)),
    )
    since = NOW - timedelta(days=1)
    with make_uow(read_only=True) as uow:
        by_imei = uow.calls.summaries(imei=IMEI, since=since)
        assert [(c.contact_id, c.number) for c in by_imei] == [("C-1", NUMBER), ("C-2", None)]
        both = uow.calls.summaries(number=NUMBER, imei=IMEI, since=since)
        assert [c.contact_id for c in both] == ["C-1", "C-2", "C-3"]  # once each, in order
        assert both[0].imei == IMEI and both[2].imei is None


def test_the_summary_follows_the_contact_and_keeps_markers(
    make_uow: MakeUow, policy: Policy
) -> None:
    contact = call(policy, "C-1", NOW - timedelta(hours=1), kinds=())
    store(make_uow, contact)
    with make_uow() as uow:
        [summary] = uow.calls.summaries(number=NUMBER, since=NOW - timedelta(days=1))
        assert summary.outcome is OutcomeKind.IN_PROGRESS
        assert uow.calls.mark("C-1", hoax=True)
        assert not uow.calls.mark("C-nope", hoax=True)
        uow.commit()
    with make_uow() as uow:
        stored = uow.contacts.get_for_update("C-1")
        assert stored is not None
        drive(stored, PATHS[SILENT], policy, Clock(NOW - timedelta(minutes=59)))
        uow.contacts.save(stored)
        uow.commit()
    with make_uow(read_only=True) as uow:
        summary = uow.calls.get("C-1")
        assert summary is not None
        assert summary.outcome is OutcomeKind.SILENT and summary.ended_at is not None
        assert summary.hoax and not summary.abusive  # the marker survives the save


def test_a_rolled_back_contact_leaves_no_summary(make_uow: MakeUow, policy: Policy) -> None:
    with make_uow() as uow:
        uow.contacts.add(call(policy, "C-1", NOW - timedelta(hours=1)))
    with make_uow(read_only=True) as uow:
        assert uow.calls.get("C-1") is None


def test_active_numbers_for_the_flagged_view(make_uow: MakeUow, policy: Policy) -> None:
    store(
        make_uow,
        call(policy, "C-1", NOW - timedelta(hours=3)),
        call(policy, "C-2", NOW - timedelta(hours=2)),
        call(policy, "C-3", NOW - timedelta(hours=2), number=NEW_NUMBER),
        call(policy, "C-4", NOW - timedelta(hours=1), TERMINATED, number=FOREIGN),
        call(policy, "C-5", NOW - timedelta(hours=1), number=None, imei=IMEI),
        call(policy, "C-6", NOW - timedelta(minutes=30), number=None, imei=IMEI),
    )
    with make_uow(read_only=True) as uow:
        found = uow.calls.active(NOW - timedelta(days=1), limit=10)
    assert found == [
        (Identifier.of_number(NUMBER), 2),
        (Identifier.of_number(FOREIGN), 1),  # one call, but terminated after a warning
        (Identifier.of_imei(IMEI), 2),
    ]


def _case(policy: Policy) -> NuisanceCase:
    case, _ = NuisanceCase.open(
        case_id="N-1", actor=HANDLER, now=NOW, policy=policy, reason="silent calls", number=NUMBER
    )
    kinds = frozenset({NuisanceKind.DELIBERATE_MISUSE})
    for at, command, actor in (
        (1, Assess(kinds, ("3 terminated calls",)), HANDLER),
        (2, Record("advice", "advised on the call"), HANDLER),
        (3, Propose("warning_letter", "calls continue"), HANDLER),
        (4, Approve("agreed"), SUPERVISOR),
    ):
        later = NOW + timedelta(minutes=at)
        case.apply(command, actor=actor, now=later, policy=policy, ladder=DEFAULT_LADDER)
    return case


def test_cases_round_trip(make_uow: MakeUow, policy: Policy) -> None:
    case = _case(policy)
    with make_uow() as uow:
        uow.nuisance_cases.add(case)
        uow.commit()
    with make_uow(read_only=True) as uow:
        found = uow.nuisance_cases.get("N-1")
        assert found is not None and found.record == case.record
        assert found.state is CaseState.APPROVED
        linked = uow.nuisance_cases.by_identifier(Identifier.of_number(NUMBER))
        assert linked is not None and linked.id == "N-1"
        assert uow.nuisance_cases.by_identifier(Identifier.of_imei(IMEI)) is None
        assert [c.id for c in uow.nuisance_cases.list()] == ["N-1"]
        columns = (cases.c.state, cases.c.step, cases.c.kind, cases.c.identifiers)
        row = uow.connection.execute(select(*columns)).one()
    assert tuple(row) == ("approved", "warning_letter", "deliberate_misuse", NUMBER)


def test_case_versions_identifiers_and_closing(make_uow: MakeUow, policy: Policy) -> None:
    with make_uow() as uow:
        uow.nuisance_cases.add(_case(policy))
        uow.commit()
    later = NOW + timedelta(hours=1)
    with make_uow() as uow:
        case = uow.nuisance_cases.get_for_update("N-1")
        assert case is not None
        link = LinkIdentifier(Identifier.of_number(NEW_NUMBER), "new SIM")
        case.apply(link, actor=HANDLER, now=later, policy=policy, ladder=DEFAULT_LADDER)
        close = Close("calls stopped")
        case.apply(close, actor=HANDLER, now=later, policy=policy, ladder=DEFAULT_LADDER)
        uow.nuisance_cases.save(case)
        uow.commit()
    with make_uow() as uow:
        moved = uow.nuisance_cases.by_identifier(Identifier.of_number(NEW_NUMBER))
        assert moved is not None and moved.state is CaseState.CLOSED
        assert uow.nuisance_cases.list() == []
        assert [c.id for c in uow.nuisance_cases.list(include_closed=True)] == ["N-1"]
        stale = uow.nuisance_cases.get("N-1")
        assert stale is not None
        uow.connection.execute(text("UPDATE nuisance_cases SET version = version + 1"))
        with pytest.raises(Conflict, match="changed by somebody else"):
            uow.nuisance_cases.save(stale)  # another writer saved it meanwhile
    with make_uow() as uow, pytest.raises(InvalidInput, match="not read"):
        uow.nuisance_cases.save(stale)


def test_an_identifier_belongs_to_one_case(make_uow: MakeUow, policy: Policy) -> None:
    with make_uow() as uow:
        uow.nuisance_cases.add(_case(policy))
        uow.commit()
    second, _ = NuisanceCase.open(
        case_id="N-2", actor=HANDLER, now=NOW, policy=policy, reason="again", number=NUMBER
    )
    with make_uow() as uow, pytest.raises(Conflict, match="already linked"):
        uow.nuisance_cases.add(second)
    with make_uow() as uow, pytest.raises(Conflict, match="already exists"):
        uow.nuisance_cases.add(_case(policy))


def test_the_migration_fills_contact_calls_from_stored_contacts(
    tmp_path: Path, policy: Policy
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0001")
    engine = create_engine_for(url)
    try:
        older = [call(policy, f"C-{n}", NOW - timedelta(hours=n), imei=IMEI) for n in (1, 2, 3)]
        with engine.begin() as connection:
            for contact in older:
                values = {"id": contact.id, "version": 1, **stored_columns(contact.record)}
                connection.execute(insert(contacts).values(values))
        migrate.upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(
                select(contact_calls.c.contact_id, contact_calls.c.imei).order_by("contact_id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("C-1", IMEI), ("C-2", IMEI), ("C-3", IMEI)]
    assert migrate.check_drift(url) == []


def test_channels_are_kept(make_uow: MakeUow, policy: Policy) -> None:
    contact = call(policy, "C-55", NOW - timedelta(minutes=5))
    contact = Contact(replace(contact.record, channel=Channel.SILENT_SOLUTION_55))
    store(make_uow, contact)
    with make_uow(read_only=True) as uow:
        summary = uow.calls.get("C-55")
    assert summary is not None
    assert summary.channel is Channel.SILENT_SOLUTION_55 and summary.dtmf_55
