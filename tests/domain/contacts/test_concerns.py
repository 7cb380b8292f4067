"""What makes a termination need a supervisor (4.12.3), and what the form starts with."""

from __future__ import annotations

from dataclasses import replace

import pytest

from controlroom.domain.contacts import (
    Actor,
    AgeBand,
    Answer,
    Assess,
    Contact,
    FlagVulnerability,
    Override,
    UpdateCaller,
)
from controlroom.domain.contacts.concerns import concerns, prefill, unapproved
from controlroom.domain.policy import Policy, Route, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import Clock, considerations, new_contact


def keys(contact: Contact) -> list[str]:
    return [concern.key for concern in concerns(contact.record)]


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (Channel.NINE_NINE_NINE, []),
        (Channel.BSL_999, ["channel:bsl_999"]),
        (Channel.RELAY_UK_18000, ["channel:relay_uk_18000"]),
        (Channel.EMERGENCY_SMS, ["channel:emergency_sms"]),
        (Channel.SILENT_SOLUTION_55, ["channel:silent_solution_55"]),
        (Channel.LANDLINE_OPEN_LINE, ["channel:landline_open_line"]),
    ],
)
def test_routes_that_need_approval(
    channel: Channel, expected: list[str], policy: Policy, clock: Clock
) -> None:
    assert keys(new_contact(policy, clock, channel)) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, []),
        ({"serious": True}, ["answer:seriousness"]),
        ({"condition": True}, ["answer:condition"]),
        ({"vulnerable": True}, ["answer:age_vulnerability"]),
        (
            {"serious": True, "vulnerable": True},
            ["answer:seriousness", "answer:age_vulnerability"],
        ),
    ],
)
def test_each_yes_is_a_concern(
    answers: dict[str, bool], expected: list[str], policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Assess(grade="scheduled"), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(considerations(**answers), actor=handler, now=clock.tick(), policy=policy)
    assert keys(contact) == expected


def test_flags_name_every_source_and_an_approval_covers_only_what_stood(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(
        UpdateCaller(age_band=AgeBand.CHILD), actor=handler, now=clock.tick(), policy=policy
    )
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.CHILD), actor=handler, now=clock.tick(), policy=policy
    )
    (child,) = concerns(contact.record)
    assert child.key == "flag:child" and child.citation == "vulnerability.age"
    assert "the handler" in child.text and "the caller's age" in child.text
    record = contact.record
    approved = replace(
        record,
        overrides=(Override(frozenset(), "ok", supervisor, clock.now, frozenset({"flag:child"})),),
    )
    assert unapproved(approved) == ()
    older = replace(
        record,
        overrides=(Override(frozenset({VulnerabilityFlag.CHILD}), "ok", supervisor, clock.now),),
    )
    assert unapproved(older) == ()  # an approval from before concerns had keys


def test_the_form_starts_from_flags_triage_and_earlier_contacts(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    nothing = prefill(contact.record)
    assert [(p.answer, p.reasons, p.locked) for p in nothing] == [(None, (), False)] * 3

    contact.apply(
        FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    earlier = [("C-earlier", frozenset({VulnerabilityFlag.OLDER_PERSON}))]
    seriousness, condition, age = prefill(contact.record, Route.EMERGENCY, earlier)
    assert seriousness.answer is True and not seriousness.locked
    assert "emergency" in seriousness.reasons[0]
    assert condition.answer is True and condition.locked
    assert condition.reasons == ("mental health flagged by the handler",)
    assert age.answer is True and not age.locked
    assert age.reasons == ("older person flagged on earlier C-earlier",)
