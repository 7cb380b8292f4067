"""The emergency and non-emergency procedures, relay calls, history, events and roles."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone

import pytest

from controlroom.domain.contacts import (
    ActionApplied,
    ActionKind,
    Actor,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    Close,
    CloseAccidental,
    Contact,
    ContactEnded,
    HangUp,
    IncidentLogged,
    LogIncident,
    Outcome,
    ProcedureName,
    Refer,
    Role,
    ScriptPrompted,
    State,
    Transfer,
    TransferDestination,
)
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import NUMBER, SYSTEM, Clock, decision, new_contact


def test_emergency_call_answered_assessed_logged_closed(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    offered = contact.timestamps.offered
    assert (contact.procedure, contact.state) == (ProcedureName.EMERGENCY, State.OFFERED)

    contact.apply(Answer(), actor=handler, now=clock.tick(4), policy=policy)
    assert contact.timestamps.answered == offered + timedelta(seconds=4)
    contact.apply(
        Assess(grade="immediate", suggestion=decision("immediate")),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    events = contact.apply(
        LogIncident(grade="immediate"), actor=handler, now=clock.tick(), policy=policy
    )
    logged = [e for e in events if isinstance(e, IncidentLogged)]
    assert logged[0].paragraph == "7.1.1" and not logged[0].discretionary
    events = contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
    ended = [e for e in events if isinstance(e, ContactEnded)]
    assert ended[0].outcome is Outcome.INCIDENT_LOGGED
    assert contact.is_final
    assert contact.timestamps.ended == clock.now


def test_a_grade_different_from_triage_needs_a_reason(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    with pytest.raises(InvalidInput) as caught:
        Assess(grade="priority", suggestion=decision("immediate"))
    assert caught.value.field == "reason"
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(
        Assess(grade="priority", suggestion=decision("immediate"), reason="offender has left"),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    record = contact.record.triage[-1]
    assert (record.grade, record.reason) == ("priority", "offender has left")
    assert contact.history[-1].details["suggested_grade"] == "immediate"


def test_unknown_grades_are_invalid_input(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    before = contact.record
    with pytest.raises(InvalidInput) as caught:
        contact.apply(Assess(grade="grade-9"), actor=handler, now=clock.tick(), policy=policy)
    assert "immediate" in (caught.value.hint or "")
    assert contact.record is before


def test_triage_flags_become_the_contacts_flags(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    suggestion = decision("scheduled", VulnerabilityFlag.OLDER_PERSON)
    contact.apply(
        Assess(grade="scheduled", suggestion=suggestion),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    assert contact.vulnerability == {VulnerabilityFlag.OLDER_PERSON}


def test_accidental_999_call_closes_with_the_reason(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(CloseAccidental("pocket dial"), actor=handler, now=clock.tick(), policy=policy)
    assert contact.closure is not None
    assert (contact.closure.outcome, contact.closure.reason) == (Outcome.ACCIDENTAL, "pocket dial")


def test_a_999_call_can_go_to_another_emergency_service(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(
        Transfer(TransferDestination.AMBULANCE), actor=handler, now=clock.tick(), policy=policy
    )
    assert contact.state is State.TRANSFERRED
    assert contact.record.transfer is not None
    assert contact.record.transfer.to is TransferDestination.AMBULANCE


def test_closing_after_a_hang_up_needs_a_reason(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(HangUp(), actor=SYSTEM, now=clock.tick(), policy=policy)
    with pytest.raises(InvalidInput):
        contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(
        Close("called back twice, no answer"), actor=handler, now=clock.tick(), policy=policy
    )
    assert contact.closure is not None
    assert contact.closure.outcome is Outcome.CALLER_HUNG_UP


def test_a_call_abandoned_before_answer(policy: Policy, clock: Clock) -> None:
    contact = new_contact(policy, clock)
    events = contact.apply(HangUp(), actor=SYSTEM, now=clock.tick(), policy=policy)
    assert contact.state is State.ABANDONED
    assert [e.outcome for e in events if isinstance(e, ContactEnded)] == [Outcome.ABANDONED]


@pytest.mark.parametrize(
    ("channel", "paragraph"),
    [
        (Channel.BSL_999, "A.1"),
        (Channel.RELAY_UK_18000, "A.2"),
        (Channel.EMERGENCY_SMS, "A.2"),
    ],
)
def test_relay_calls_follow_the_emergency_path_and_read_the_relay_introduction(
    channel: Channel, paragraph: str, policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock, channel)
    assert contact.procedure is ProcedureName.EMERGENCY
    events = contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    assert [e.script_id for e in events if isinstance(e, ScriptPrompted)] == ["relay_intro"]
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == paragraph


def test_a_voice_999_call_has_no_relay_introduction(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    events = contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    assert [type(e) for e in events] == [ActionApplied]


@pytest.mark.parametrize(
    "channel", [Channel.ONE_ZERO_ONE, Channel.ONLINE_REPORT, Channel.LIVE_CHAT]
)
def test_non_emergency_contacts_are_logged_advised_or_referred(
    channel: Channel, policy: Policy, clock: Clock, handler: Actor
) -> None:
    for final, action in (
        (Outcome.INCIDENT_LOGGED, LogIncident(grade="scheduled")),
        (Outcome.ADVISED, Advise(AdviceKind.REPORT_ONLINE)),
        (Outcome.REFERRED, Refer("council")),
    ):
        contact = new_contact(policy, clock, channel, contact_id=f"C-{final.value}")
        assert contact.procedure is ProcedureName.NON_EMERGENCY
        contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
        contact.apply(Assess(grade="scheduled"), actor=handler, now=clock.tick(), policy=policy)
        events = contact.apply(action, actor=handler, now=clock.tick(), policy=policy)
        assert not [e for e in events if isinstance(e, ScriptPrompted)]
        contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
        assert contact.closure is not None and contact.closure.outcome is final


def test_a_referral_names_a_known_agency(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = new_contact(policy, clock, Channel.ONE_ZERO_ONE)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Assess(grade="scheduled"), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(InvalidInput):
        contact.apply(Refer("nobody"), actor=handler, now=clock.tick(), policy=policy)


def test_the_history_is_immutable_and_complete(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Assess(grade="scheduled"), actor=handler, now=clock.tick(), policy=policy)
    first, second, third = contact.history
    assert [e.seq for e in contact.history] == [1, 2, 3]
    assert (first.action, first.from_state, first.to_state) == (
        ActionKind.OFFER,
        None,
        State.OFFERED,
    )
    assert first.details["channel"] == "999" and first.actor == SYSTEM
    assert (second.from_state, second.to_state, second.actor) == (
        State.OFFERED,
        State.ANSWERED,
        handler,
    )
    assert third.details["grade"] == "scheduled"
    with pytest.raises(FrozenInstanceError):
        third.at = clock.now  # type: ignore[misc]
    with pytest.raises(TypeError):
        third.details["grade"] = "immediate"  # type: ignore[index]


def test_a_contact_restored_from_its_record_carries_on(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    restored = Contact(contact.record)
    restored.apply(Assess(grade="scheduled"), actor=handler, now=clock.tick(), policy=policy)
    assert restored.state is State.ASSESSED and contact.state is State.ANSWERED
    with pytest.raises(InvalidInput):
        Contact("not a record")  # type: ignore[arg-type]


def test_roles(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = new_contact(policy, clock)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Answer(), actor=SYSTEM, now=clock.tick(), policy=policy)
    assert "integration may not answer" in caught.value.message
    assert caught.value.paragraph == "7.1.1"
    admin = Actor("admin", Role.ADMIN)
    with pytest.raises(PolicyViolation):
        contact.apply(Answer(), actor=admin, now=clock.tick(), policy=policy)
    assert contact.allowed_actions(policy, actor=SYSTEM) == [
        ActionKind.FLAG_VULNERABILITY,
        ActionKind.HANG_UP,
        ActionKind.ADD_LOCATION,
    ]
    with pytest.raises(PolicyViolation):
        Contact.offer(
            contact_id="C-2",
            channel=Channel.NINE_NINE_NINE,
            caller=Caller(),
            actor=Actor("audit", Role.AUDITOR),
            now=clock.tick(),
            policy=policy,
        )


def test_times_must_be_timezone_aware_and_are_kept_in_utc(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    with pytest.raises(InvalidInput) as caught:
        contact.apply(Answer(), actor=handler, now=datetime(2026, 1, 1, 12), policy=policy)
    assert caught.value.field == "now"
    plus_one = timezone(timedelta(hours=1))
    contact.apply(
        Answer(), actor=handler, now=datetime(2026, 1, 23, 22, 5, tzinfo=plus_one), policy=policy
    )
    assert contact.timestamps.answered == datetime(2026, 1, 23, 21, 5, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        contact.accepts_reconnect(NUMBER, datetime(2026, 1, 1))


def test_apply_refuses_things_that_are_not_actions(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    with pytest.raises(InvalidInput):
        contact.apply("answer", actor=handler, now=clock.tick(), policy=policy)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        contact.apply(Answer(), actor="me", now=clock.tick(), policy=policy)  # type: ignore[arg-type]


def test_refusal_hint_lists_what_is_allowed_now(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            LogIncident(grade="immediate"), actor=handler, now=clock.tick(), policy=policy
        )
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("allowed now: answer")
    assert caught.value.as_dict()["paragraph"] == "7.1.1"
