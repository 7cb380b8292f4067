"""Silent calls and the landline reconnect window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controlroom.domain.contacts import (
    SILENT_PROMPTS,
    ActionKind,
    Actor,
    Answer,
    Assess,
    Close,
    CloseAccidental,
    CloseNoResponse,
    Contact,
    ContactReconnected,
    HangUp,
    InferEmergency,
    LogIncident,
    Outcome,
    ProcedureName,
    Prompt,
    Reconnect,
    RecordResponse,
    ScriptPrompted,
    SilentResponse,
    State,
    Warn,
)
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import (
    NUMBER,
    OTHER_NUMBER,
    PATHS,
    SYSTEM,
    Clock,
    drive,
    new_contact,
)


def prompting(policy: Policy, clock: Clock, handler: Actor, channel: Channel) -> Contact:
    """A silent contact answered and prompted."""
    contact = new_contact(policy, clock, channel)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Prompt(), actor=handler, now=clock.tick(), policy=policy)
    return contact


@pytest.mark.parametrize(
    ("channel", "script", "paragraph"),
    [
        (Channel.SILENT_SOLUTION_55, "silent_prompt", "S.1"),
        (Channel.LANDLINE_OPEN_LINE, "silent_landline", "S.2"),
    ],
)
def test_silent_calls_get_their_own_prompt(
    channel: Channel, script: str, paragraph: str, policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock, channel)
    assert contact.procedure is ProcedureName.SILENT
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    events = contact.apply(Prompt(), actor=handler, now=clock.tick(), policy=policy)
    prompts = [e for e in events if isinstance(e, ScriptPrompted)]
    assert [(p.script_id, p.paragraph) for p in prompts] == [(script, paragraph)]
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.5"
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == paragraph


def test_the_prompts_say_what_to_do_and_record() -> None:
    text = " ".join(SILENT_PROMPTS).lower()
    for word in ("cough", "tap", "key", "background noise", "record", "45 s"):
        assert word in text


def test_an_emergency_inferred_is_logged_on_the_emergency_path(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = prompting(policy, clock, handler, Channel.SILENT_SOLUTION_55)
    contact.apply(
        RecordResponse(SilentResponse.BACKGROUND_NOISE, "a man shouting"),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    contact.apply(
        InferEmergency("shouting, a woman crying"), actor=handler, now=clock.tick(), policy=policy
    )
    assert contact.state is State.EMERGENCY_INFERRED
    assert contact.record.inference is not None
    contact.apply(Assess(grade="immediate"), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(LogIncident(grade="immediate"), actor=handler, now=clock.tick(), policy=policy)
    assert (contact.procedure, contact.state) == (ProcedureName.EMERGENCY, State.INCIDENT_LOGGED)
    assert contact.incident is not None and not contact.incident.discretionary
    assert [o.response for o in contact.record.observations] == [SilentResponse.BACKGROUND_NOISE]


@pytest.mark.parametrize(
    ("action", "outcome"),
    [
        (CloseAccidental("child playing with the phone"), Outcome.ACCIDENTAL),
        (CloseNoResponse("no response to three prompts, no background noise"), Outcome.NO_RESPONSE),
    ],
)
def test_silent_outcomes_close_with_the_reason(
    action: CloseAccidental | CloseNoResponse,
    outcome: Outcome,
    policy: Policy,
    clock: Clock,
    handler: Actor,
) -> None:
    contact = prompting(policy, clock, handler, Channel.SILENT_SOLUTION_55)
    contact.apply(action, actor=handler, now=clock.tick(), policy=policy)
    assert contact.closure is not None
    assert (contact.closure.outcome, contact.closure.reason) == (outcome, action.reason)
    with pytest.raises(InvalidInput):
        CloseNoResponse("")


def hung_up_landline(policy: Policy, clock: Clock, handler: Actor) -> Contact:
    """A landline open line prompted, then put down."""
    contact = prompting(policy, clock, handler, Channel.LANDLINE_OPEN_LINE)
    contact.apply(HangUp(), actor=SYSTEM, now=clock.tick(), policy=policy)
    return contact


@pytest.mark.parametrize("seconds", [0, 1, 44, 45])
def test_a_landline_reconnecting_within_45_s_rejoins_the_contact(
    seconds: int, policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = hung_up_landline(policy, clock, handler)
    hung_up_at = clock.now
    at = hung_up_at + timedelta(seconds=seconds)
    assert contact.accepts_reconnect(NUMBER, at)
    events = contact.apply(Reconnect(NUMBER), actor=SYSTEM, now=at, policy=policy)
    assert contact.state is State.PROMPTING
    assert contact.timestamps.ended is None
    reconnected = [e for e in events if isinstance(e, ContactReconnected)]
    assert reconnected[0].after == timedelta(seconds=seconds)


@pytest.mark.parametrize("seconds", [45.001, 46, 600])
def test_a_reconnect_after_45_s_is_a_new_contact(
    seconds: float, policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = hung_up_landline(policy, clock, handler)
    at = clock.now + timedelta(seconds=seconds)
    assert not contact.accepts_reconnect(NUMBER, at)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Reconnect(NUMBER), actor=SYSTEM, now=at, policy=policy)
    assert caught.value.paragraph == "S.2"
    assert "new contact" in (caught.value.hint or "")
    assert contact.state is State.HUNG_UP


def test_a_reconnect_from_another_number_or_before_the_hang_up_is_refused(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = hung_up_landline(policy, clock, handler)
    soon = clock.now + timedelta(seconds=5)
    assert not contact.accepts_reconnect(OTHER_NUMBER, soon)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Reconnect(OTHER_NUMBER), actor=SYSTEM, now=soon, policy=policy)
    assert "not the number" in caught.value.message
    earlier = clock.now - timedelta(seconds=1)
    assert not contact.accepts_reconnect(NUMBER, earlier)
    with pytest.raises(PolicyViolation):
        contact.apply(Reconnect(NUMBER), actor=SYSTEM, now=earlier, policy=policy)


def test_a_mobile_999_call_does_not_reconnect(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = new_contact(policy, clock, landline=False)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(HangUp(), actor=SYSTEM, now=clock.tick(), policy=policy)
    assert not contact.accepts_reconnect(NUMBER, clock.now)
    assert ActionKind.RECONNECT not in contact.allowed_actions(policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Reconnect(NUMBER), actor=SYSTEM, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "S.2"
    assert "only a landline" in caught.value.message


def test_a_landline_999_call_resumes_where_it_was(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    drive(contact, PATHS[(ProcedureName.INAPPROPRIATE, State.WARNED)], policy, clock)
    contact.apply(HangUp(), actor=SYSTEM, now=clock.tick(), policy=policy)
    assert (contact.procedure, contact.state) == (ProcedureName.INAPPROPRIATE, State.HUNG_UP)
    contact.apply(Reconnect(NUMBER), actor=SYSTEM, now=clock.tick(30), policy=policy)
    assert (contact.procedure, contact.state) == (ProcedureName.INAPPROPRIATE, State.WARNED)
    assert contact.warning is not None


def test_a_closed_contact_no_longer_accepts_a_reconnect(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = hung_up_landline(policy, clock, handler)
    contact.apply(Close("line cleared"), actor=handler, now=clock.tick(), policy=policy)
    assert not contact.accepts_reconnect(NUMBER, clock.tick())


def test_accepts_reconnect_takes_a_window(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = hung_up_landline(policy, clock, handler)
    at = clock.now + timedelta(seconds=50)
    assert not contact.accepts_reconnect(NUMBER, at)
    assert contact.accepts_reconnect(NUMBER, at, window=timedelta(seconds=60))
    with pytest.raises(InvalidInput):
        contact.accepts_reconnect("01632 960001", at)
