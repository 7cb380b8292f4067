"""The room's figures from contacts: the answer standard, genuine emergencies, inappropriate
calls by category, hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from controlroom.domain.contacts import (
    Actor,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    Contact,
    ContactRecord,
    HangUp,
    LogIncident,
    Role,
    UpdateNarrative,
)
from controlroom.domain.policy import Policy
from controlroom.domain.room_figures import room_figures
from controlroom.domain.triage import Channel, Decision
from controlroom.domain.triage.contact_text import make_contact_text
from controlroom.domain.triage.engine import triage

T0 = datetime(2026, 1, 23, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
HANDLER = Actor("alice", Role.CALL_HANDLER)


def call(
    policy: Policy,
    n: int,
    *,
    offered: datetime,
    wait: float | None,
    words: str = "",
    channel: Channel = Channel.NINE_NINE_NINE,
    then: tuple[object, ...] = (),
) -> ContactRecord:
    contact, _ = Contact.offer(
        contact_id=f"C-20260123-{n:010x}",
        channel=channel,
        caller=Caller(number="+447700900001"),
        actor=HANDLER,
        now=offered,
        policy=policy,
    )
    at = offered
    if wait is None:
        contact.apply(HangUp(), actor=HANDLER, now=at + timedelta(seconds=30), policy=policy)
        return contact.record
    at += timedelta(seconds=wait)
    for action in (Answer(), *((UpdateNarrative(words),) if words else ()), *then):
        contact.apply(action, actor=HANDLER, now=at, policy=policy)  # type: ignore[arg-type]
        at += timedelta(seconds=5)
    return contact.record


def decide(policy: Policy, words: str) -> Decision:
    return triage(make_contact_text(words, Channel.NINE_NINE_NINE, max_chars=10_000), policy)


def test_the_answer_standard_and_the_average(policy: Policy) -> None:
    records = [
        call(policy, 1, offered=T0, wait=4),
        call(policy, 2, offered=T0, wait=9.9),
        call(policy, 3, offered=T0, wait=10),  # on the line: not within
        call(policy, 4, offered=T0, wait=None),  # abandoned
        call(policy, 5, offered=T0, wait=30, channel=Channel.ONE_ZERO_ONE),  # no 999 standard
    ]
    figures = room_figures(records, start=T0, end=T0 + timedelta(hours=1), zone=LONDON)
    assert figures.calls_999 == 4
    assert figures.answered_999 == 3
    assert figures.abandoned_999 == 1
    assert figures.within_target == 2
    assert figures.within_target_share == 2 / 3
    assert figures.meets_standard is False
    assert figures.mean_answer_seconds == (4 + 9.9 + 10) / 3
    assert figures.by_channel == {"999": 4, "101": 1}


def test_genuine_emergencies_and_inappropriate_calls_by_category(policy: Policy) -> None:
    burglary = "Someone is breaking into my house right now"
    noise = "My neighbour's music is too loud"
    records = [
        call(
            policy,
            1,
            offered=T0,
            wait=3,
            words=burglary,
            then=(Assess(grade="immediate"), LogIncident(grade="immediate")),
        ),
        call(
            policy,
            2,
            offered=T0,
            wait=3,
            words=noise,
            then=(
                Assess(grade="resolution_without_deployment", suggestion=decide(policy, noise)),
                Advise(AdviceKind.CALL_101),
            ),
        ),
        call(policy, 3, offered=T0, wait=3),
    ]
    figures = room_figures(records, start=T0, end=T0 + timedelta(hours=1), zone=LONDON)
    assert figures.genuine_999 == 1
    assert figures.genuine_share == 1 / 3
    assert figures.inappropriate_999 == 1
    (category,) = figures.inappropriate_by_category
    assert category.startswith(("other_agency", "not_police", "police_non_emergency"))


def test_hours_cover_the_period_and_contacts_outside_it_are_left_out(policy: Policy) -> None:
    inside = call(policy, 1, offered=T0 + timedelta(minutes=70), wait=2)
    outside = call(policy, 2, offered=T0 - timedelta(minutes=1), wait=2)
    figures = room_figures([inside, outside], start=T0, end=T0 + timedelta(hours=3), zone=LONDON)
    assert [hour.start.hour for hour in figures.hours] == [9, 10, 11]
    assert [hour.calls_999 for hour in figures.hours] == [0, 1, 0]
    assert figures.offered == 1


def test_a_channel_filter_counts_that_channel_only(policy: Policy) -> None:
    records = [
        call(policy, 1, offered=T0, wait=2),
        call(policy, 2, offered=T0, wait=2, channel=Channel.ONE_ZERO_ONE),
    ]
    figures = room_figures(
        records, start=T0, end=T0 + timedelta(hours=1), zone=LONDON, channel=Channel.ONE_ZERO_ONE
    )
    assert figures.offered == 1 and figures.calls_999 == 0
    assert figures.within_target_share is None and figures.genuine_share is None
