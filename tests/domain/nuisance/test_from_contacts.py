"""Stored contacts as call summaries: what caller history reads from a ContactRecord."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from controlroom.domain.contacts import (
    ContactRecord,
    FlagVulnerability,
    ProcedureName,
    State,
)
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import NuisanceKind, OutcomeKind, call_summary, detect, summarise
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import SUPERVISOR, Clock, at_state
from tests.domain.nuisance.helpers import IMEI

P, S = ProcedureName, State


@pytest.mark.parametrize(
    ("procedure", "state", "channel", "outcome", "flags"),
    [
        (P.SILENT, S.CLOSED, Channel.LANDLINE_OPEN_LINE, OutcomeKind.SILENT, {"silent"}),
        (P.SILENT, S.CLOSED, Channel.SILENT_SOLUTION_55, OutcomeKind.SILENT, {"silent", "dtmf_55"}),
        (P.SILENT, S.ABANDONED, Channel.LANDLINE_OPEN_LINE, OutcomeKind.ABANDONED, set()),
        (P.EMERGENCY, S.CLOSED, None, OutcomeKind.EMERGENCY, {"speech", "incident"}),
        (P.EMERGENCY, S.ANSWERED, None, OutcomeKind.IN_PROGRESS, set()),
        (
            P.INAPPROPRIATE,
            S.TERMINATED,
            None,
            OutcomeKind.INAPPROPRIATE_TERMINATED,
            {"speech", "warned", "terminated"},
        ),
        (P.INAPPROPRIATE, S.CLOSED, None, OutcomeKind.INAPPROPRIATE_ADVISED, {"speech"}),
        (P.NON_EMERGENCY, S.CLOSED, None, OutcomeKind.NON_EMERGENCY, {"speech"}),
    ],
)
def test_each_way_a_contact_ends(
    policy: Policy,
    procedure: ProcedureName,
    state: State,
    channel: Channel | None,
    outcome: OutcomeKind,
    flags: set[str],
) -> None:
    contact = at_state(policy, Clock(), procedure, state, channel)
    summary = call_summary(contact.record, imei=IMEI)
    assert summary.outcome is outcome
    assert summary.contact_id == contact.id
    assert summary.number == contact.record.caller.number
    assert summary.imei == IMEI
    assert summary.offered_at == contact.record.timestamps.offered
    names = ("silent", "speech", "dtmf_55", "warned", "terminated", "incident")
    assert {name for name in names if getattr(summary, name)} == flags


def test_vulnerability_and_markers_are_carried(policy: Policy) -> None:
    clock = Clock()
    contact = at_state(policy, clock, P.INAPPROPRIATE, S.ADVISED)
    now = clock.tick()
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH, "says they hear voices"),
        actor=SUPERVISOR,
        now=now,
        policy=policy,
    )
    summary = call_summary(contact.record, hoax=True, abusive=True)
    assert VulnerabilityFlag.MENTAL_HEALTH in summary.vulnerability
    assert summary.hoax and summary.abusive
    assert summary.outcome is OutcomeKind.IN_PROGRESS


def test_stored_silent_calls_make_a_faulty_device(policy: Policy) -> None:
    clock = Clock()
    records: list[ContactRecord] = []
    for _ in range(6):
        clock.tick(15 * 60)
        contact = at_state(policy, clock, P.SILENT, S.CLOSED, Channel.LANDLINE_OPEN_LINE)
        records.append(contact.record)
    # the helpers give every contact the same id: number them apart
    summaries = [replace(call_summary(r), contact_id=f"C-{i}") for i, r in enumerate(records)]
    history = summarise(summaries, clock.now + timedelta(minutes=1), "Europe/London")
    assert [flag.kind for flag in detect(history)] == [NuisanceKind.FAULTY_DEVICE]


def test_only_a_record_is_accepted() -> None:
    with pytest.raises(InvalidInput):
        call_summary("C-1")  # type: ignore[arg-type]
