"""An emergencySMS conversation: its messages both ways, delivery status, and the rules for a
handler's reply.

The caller's messages arrive through telephony; a handler's reply is an outbound command the
telephony gateway sends, which then reports its delivery. Delivery status only moves forward
(:data:`STATUS_MOVES`): a late or repeated report changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from controlroom.domain.contacts import Contact, State
from controlroom.domain.contacts.values import require_text
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision

#: The longest reply a handler may send (the gateway splits it into SMS parts).
MAX_REPLY_CHARS = 1000
#: Idempotency keys: what a client may send to make a retried reply send once.
MAX_KEY_CHARS = 128
#: The paragraph a refused reply cites: the national relay and emergencySMS service.
RELAY_CITATION = "accessible.relay"


class Direction(StrEnum):
    """Which way a message went."""

    INBOUND = "inbound"  # from the caller
    OUTBOUND = "outbound"  # a handler's reply


class DeliveryStatus(StrEnum):
    """Where a reply stands: queued for the gateway, sent by it, delivered to the phone, or
    failed."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


#: The moves a delivery report may make; any other report is stale and changes nothing.
STATUS_MOVES: Mapping[tuple[DeliveryStatus, DeliveryStatus], DeliveryStatus] = MappingProxyType(
    {
        (DeliveryStatus.QUEUED, DeliveryStatus.SENT): DeliveryStatus.SENT,
        (DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED): DeliveryStatus.DELIVERED,
        (DeliveryStatus.QUEUED, DeliveryStatus.FAILED): DeliveryStatus.FAILED,
        (DeliveryStatus.SENT, DeliveryStatus.DELIVERED): DeliveryStatus.DELIVERED,
        (DeliveryStatus.SENT, DeliveryStatus.FAILED): DeliveryStatus.FAILED,
    }
)


def next_status(current: DeliveryStatus, reported: DeliveryStatus) -> DeliveryStatus | None:
    """The status after a report of ``reported``; None when the report is stale or repeated."""
    return STATUS_MOVES.get((current, reported))


@dataclass(frozen=True)
class Message:
    """One message of the conversation. An outbound one has a delivery status and the id of
    the command that sends it; an inbound one may say how it raised triage."""

    id: str
    direction: Direction
    text: str
    at: datetime
    sender: str  # the caller's number, or the handler's user name
    status: DeliveryStatus | None = None
    status_at: datetime | None = None
    status_reason: str = ""
    raised: str = ""  # inbound: "<route> (<grade>)" when this message raised triage


@dataclass(frozen=True)
class Thread:
    """A contact's conversation, oldest first."""

    contact_id: str
    number: str | None
    messages: tuple[Message, ...]

    @property
    def last_exchange(self) -> Message | None:
        """The latest message either way: the relay reply timer counts from it."""
        return max(self.messages, key=lambda m: m.at, default=None)

    @property
    def raised(self) -> Message | None:
        """The latest message that raised triage, if any."""
        return next((m for m in reversed(self.messages) if m.raised), None)


def check_reply(contact: Contact, text: str, key: str, policy: Policy) -> str:
    """The reply's text once checked; refuses (naming the rule and what would allow it) a
    reply that is not to an open, answered emergencySMS contact, or bad text or key."""
    paragraph = policy.cite(RELAY_CITATION)
    if contact.channel is not Channel.EMERGENCY_SMS:
        raise PolicyViolation(
            f"contact {contact.id} is a {contact.channel.value} contact: SMS replies go only "
            "to an emergencySMS conversation",
            paragraph=paragraph,
            hint="reply by SMS on emergency_sms contacts; speak to other callers on their line",
        )
    if contact.is_final:
        raise PolicyViolation(
            f"the conversation is {contact.state.value}: no more replies are sent on it",
            paragraph=paragraph,
            hint="a new message from the caller starts a new contact",
        )
    if contact.state is State.OFFERED:
        raise PolicyViolation(
            "the conversation has not been answered",
            paragraph=paragraph,
            hint="answer the contact first (the relay introduction is read on answer)",
        )
    if contact.caller.number is None:
        raise InvalidInput("the caller's number is not known", field="contact_id")
    if not 0 < len(key) <= MAX_KEY_CHARS or not key.isprintable() or " " in key:
        raise InvalidInput(
            "the idempotency key is not valid",
            field="idempotency_key",
            hint=f"1-{MAX_KEY_CHARS} printable characters without spaces (a UUID is ideal)",
        )
    text = require_text(text.strip(), "text")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput(
            f"the reply is {len(text)} characters long",
            field="text",
            hint=f"keep it to {MAX_REPLY_CHARS} characters",
        )
    return text


def urgency(decision: Decision, grades: Sequence[str]) -> tuple[int, int, int]:
    """How urgent a decision is: route, then grade (the policy lists the most urgent first),
    then how many vulnerability flags it raised."""
    grade = grades.index(decision.grade) if decision.grade in grades else len(grades)
    return decision.route.rank, -grade, len(decision.vulnerability)


def most_urgent(decisions: Sequence[Decision | None], grades: Sequence[str]) -> Decision | None:
    """The most urgent of ``decisions`` (the first of equals); None when there are none."""
    found = [d for d in decisions if d is not None]
    if not found:
        return None
    return max(found, key=lambda d: urgency(d, grades))


@dataclass(frozen=True)
class SmsReplyQueued:
    """A handler's reply, committed as an outbound command for the telephony gateway."""

    contact_id: str
    command_id: str
    to: str
    text: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class SmsMessageReceived:
    """A further message of an emergencySMS conversation was recorded on its contact."""

    contact_id: str
    event_id: str
    at: datetime
    raised: str = ""


@dataclass(frozen=True)
class SmsDeliveryReported:
    """The gateway reported a reply's delivery status."""

    contact_id: str
    command_id: str
    status: DeliveryStatus
    at: datetime
