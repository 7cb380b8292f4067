"""Outbox messages: their states, the moves between them, backoff and parking, and signing.

A message is written in the transaction of the change it reports, then delivered at least once
by a worker. Its life is a transition table (:data:`TRANSITIONS`); an illegal move raises
:class:`IllegalTransition`, nothing else sets a state:

``pending --claim--> delivering``; ``delivering --succeed--> delivered`` (final);
``delivering --fail--> pending`` (retried later) or ``parked`` once the attempts reach the
limit; ``delivering --claim--> delivering`` when a worker died holding it (its lease ran out);
``parked --retry--> pending`` (a supervisor's retry, attempts counted from zero again).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from controlroom.domain.errors import Conflict, InvalidInput


class MessageState(StrEnum):
    """Where an outbox message stands."""

    PENDING = "pending"  # waiting for its next attempt
    DELIVERING = "delivering"  # claimed by a worker, being sent
    DELIVERED = "delivered"  # the receiver answered 2xx: final
    PARKED = "parked"  # attempts used up: waits for a supervisor's retry


class MessageEvent(StrEnum):
    """What happens to a message."""

    CLAIM = "claim"
    SUCCEED = "succeed"
    FAIL = "fail"
    PARK = "park"
    RETRY = "retry"


S, E = MessageState, MessageEvent
#: Every legal move: (state, event) -> new state.
TRANSITIONS = MappingProxyType(
    {
        (S.PENDING, E.CLAIM): S.DELIVERING,
        (S.DELIVERING, E.CLAIM): S.DELIVERING,  # the lease of a worker that died ran out
        (S.DELIVERING, E.SUCCEED): S.DELIVERED,
        (S.DELIVERING, E.FAIL): S.PENDING,
        (S.DELIVERING, E.PARK): S.PARKED,
        (S.PARKED, E.RETRY): S.PENDING,
    }
)
#: States a worker may claim (a ``delivering`` one only once its lease has run out).
CLAIMABLE = frozenset({S.PENDING, S.DELIVERING})
#: States still owed to the receiver: they hold back the same contact's later messages.
UNDELIVERED = frozenset({S.PENDING, S.DELIVERING, S.PARKED})


#: Audit tags of the outbox's changes (subject ``outbox:<id>``).
TAG_PARKED = "outbox:message:park"
TAG_RETRY = "outbox:message:retry"


@dataclass(frozen=True)
class OutboxMessage:
    """One message as stored. ``sequence`` numbers a contact's messages to one destination."""

    id: int
    destination: str
    kind: str
    idempotency_key: str
    contact_id: str | None
    sequence: int
    content_type: str
    body: str
    state: MessageState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveryFailed(Exception):
    """A delivery attempt the receiver did not accept; the message says why (no secrets, no
    telephone numbers)."""


class IllegalTransition(Conflict):
    """A move the outbox's transition table does not have."""

    code = "illegal_transition"


def transition(state: MessageState, event: MessageEvent) -> MessageState:
    """The state after ``event`` in ``state``; :class:`IllegalTransition` when not allowed."""
    try:
        return TRANSITIONS[(MessageState(state), MessageEvent(event))]
    except KeyError:
        raise IllegalTransition(
            f"an outbox message that is {state} cannot {event}",
            hint="only parked messages can be retried; delivered messages are final",
        ) from None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a message is attempted.

    After failed attempt ``n`` the next waits ``min(max, base * 2**(n-1))`` seconds, times a
    jitter factor between 0.5 and 1 (so instances that failed together do not retry together);
    after ``max_attempts`` failed attempts the message is parked.
    """

    max_attempts: int = 10
    base_seconds: float = 2.0
    max_seconds: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidInput("the attempt limit must be 1 or more", field="max_attempts")
        if not 0 < self.base_seconds <= self.max_seconds:
            raise InvalidInput(
                "the backoff base must be above 0 and at most the longest wait",
                field="base_seconds",
            )

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """How long to wait after ``attempts`` failed attempts; ``jitter`` is in [0, 1)."""
        if attempts < 1:
            raise InvalidInput("attempts must be 1 or more after a failure", field="attempts")
        if not 0 <= jitter < 1:
            raise InvalidInput("jitter must be in [0, 1)", field="jitter")
        exponent = min(attempts - 1, 62)
        seconds = min(self.max_seconds, self.base_seconds * 2.0**exponent)
        return timedelta(seconds=seconds * (0.5 + jitter / 2))

    def after_failure(
        self, attempts: int, now: datetime, jitter: float
    ) -> tuple[MessageState, datetime | None]:
        """The state after failed attempt number ``attempts`` and when to try next (None when
        parked)."""
        if attempts >= self.max_attempts:
            return transition(S.DELIVERING, E.PARK), None
        return transition(S.DELIVERING, E.FAIL), now + self.delay(attempts, jitter)


# -- signatures -------------------------------------------------------------------------------

SIGNATURE_VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with ``secret``."""
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, header: str, now: float, tolerance: float = 300
) -> str | None:
    """Why a signed request must be refused, or None when it is good: the timestamp is a whole
    number of seconds within ``tolerance`` of ``now`` and one ``v1=`` value of ``header``
    (comma separated) is the signature of the body."""
    try:
        moment = int(timestamp)
    except ValueError:
        return "timestamp is not a whole number of seconds"
    if abs(now - moment) > tolerance:
        return "timestamp is outside the tolerance (a replay, or a clock out of step)"
    expected = signature(secret, moment, body)
    offered = [part.strip() for part in header.split(",")]
    if not any(hmac.compare_digest(expected, part) for part in offered):
        return "signature does not match"
    return None
