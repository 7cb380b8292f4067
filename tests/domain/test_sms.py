"""emergencySMS conversations in the domain: delivery status only moves forward, the rules for
a handler's reply, and which triage decision is the more urgent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.contacts import Actor, Answer, Caller, Contact, Role
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.sms import (
    STATUS_MOVES,
    DeliveryStatus,
    check_reply,
    most_urgent,
    next_status,
    urgency,
)
from controlroom.domain.triage import Channel, Decision
from controlroom.services.triage import triage_text

Q, S, D, F = (DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED,
              DeliveryStatus.FAILED)  # fmt: skip
START = datetime(2026, 1, 23, 22, 14, tzinfo=UTC)
SYSTEM = Actor("telephony", Role.INTEGRATION)
HANDLER = Actor("alice", Role.CALL_HANDLER)
#: The order a reply's status may only move forward in (failed and delivered are both final).
RANK = {Q: 0, S: 1, D: 2, F: 2}


@pytest.mark.parametrize(
    ("current", "reported", "after"),
    [
        (Q, S, S),
        (Q, D, D),
        (Q, F, F),
        (S, D, D),
        (S, F, F),
        (Q, Q, None),
        (S, S, None),
        (S, Q, None),
        (D, S, None),
        (D, F, None),
        (D, D, None),
        (F, D, None),
        (F, S, None),
    ],
)
def test_a_delivery_report_moves_a_reply_forward_or_changes_nothing(
    current: DeliveryStatus, reported: DeliveryStatus, after: DeliveryStatus | None
) -> None:
    assert next_status(current, reported) is after


@given(st.lists(st.sampled_from(list(DeliveryStatus)), max_size=12))
def test_whatever_order_reports_come_in_a_reply_never_moves_back(
    reports: list[DeliveryStatus],
) -> None:
    status = Q
    for reported in reports:
        moved = next_status(status, reported)
        if moved is not None:
            assert RANK[moved] > RANK[status] and (status, reported) in STATUS_MOVES
            status = moved
    if D in reports and F not in reports:
        assert status is D  # a delivery report is never lost to a late "sent"


def sms_contact(
    policy: Policy, *, answered: bool = True, channel: Channel = Channel.EMERGENCY_SMS
) -> Contact:
    contact, _ = Contact.offer(
        contact_id="C-1",
        channel=channel,
        caller=Caller(number="+447700900125"),
        actor=SYSTEM,
        now=START,
        policy=policy,
        narrative="Help my ex is outside",
    )
    if answered:
        contact.apply(Answer(), actor=HANDLER, now=START + timedelta(seconds=5), policy=policy)
    return contact


def test_a_reply_to_an_answered_conversation_is_its_text_trimmed(policy: Policy) -> None:
    assert check_reply(sms_contact(policy), "  On our way \n", "key-1", policy) == "On our way"


@pytest.mark.parametrize(
    ("answered", "channel", "hint"),
    [
        (False, Channel.EMERGENCY_SMS, "answer the contact first"),
        (True, Channel.NINE_NINE_NINE, "reply by SMS on emergency_sms contacts"),
    ],
)
def test_a_reply_is_refused_naming_the_rule_and_what_would_allow_it(
    policy: Policy, answered: bool, channel: Channel, hint: str
) -> None:
    contact = sms_contact(policy, answered=answered, channel=channel)
    with pytest.raises(PolicyViolation) as refused:
        check_reply(contact, "On our way", "key-1", policy)
    assert refused.value.paragraph == policy.cite("accessible.relay")
    assert hint in str(refused.value.hint)


@pytest.mark.parametrize(
    ("text", "key", "field"),
    [
        ("", "key-1", "text"),
        ("   ", "key-1", "text"),
        ("bell \x07", "key-1", "text"),
        ("x" * 1001, "key-1", "text"),
        ("fine", "", "idempotency_key"),
        ("fine", "has space", "idempotency_key"),
        ("fine", "k" * 129, "idempotency_key"),
    ],
)
def test_bad_replies_name_the_field(policy: Policy, text: str, key: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_reply(sms_contact(policy), text, key, policy)
    assert refused.value.field == field


def decision(text: str, policy: Policy) -> Decision:
    return triage_text(text, Channel.EMERGENCY_SMS, policy)


def test_the_more_urgent_decision_is_by_route_then_grade_then_flags(policy: Policy) -> None:
    grades = list(policy.grades)
    calm = decision("I am deaf. My ex boyfriend keeps texting me and is outside", policy)
    danger = decision("he is trying the back door now, 14 Fore Street", policy)
    assert (calm.route.value, danger.route.value) == ("police_non_emergency", "emergency")
    assert urgency(danger, grades) > urgency(calm, grades)
    assert most_urgent([calm, None, danger], grades) is danger
    assert most_urgent([None], grades) is None
