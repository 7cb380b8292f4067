"""The outbox's use cases: enqueue inside a change's unit of work, claim and deliver, list,
and a supervisor's retry of a parked message (docs/interop.md).

:func:`enqueue` never commits: the message is written in the caller's transaction, so a change
that rolls back leaves no message, and a message exists for every change that committed. The
delivery worker (``outbox_worker.py``) calls :func:`deliver_due`: claim (a short transaction of
its own), send outside any transaction, then record the outcome. A worker that dies after
sending and before recording leaves the message ``delivering``; once its lease runs out it is
claimed and sent again, with the same idempotency key, so the receiver sees it at least once
and can drop the repeat.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.outbox import (
    TAG_PARKED,
    TAG_RETRY,
    DeliveryFailed,
    MessageEvent,
    MessageState,
    OutboxMessage,
    RetryPolicy,
    transition,
)
from controlroom.services.ports import UnitOfWork

log = logging.getLogger(__name__)

#: Who parks a message in the audit log.
DELIVERY = Actor("outbox-delivery", Role.INTEGRATION)
MAX_LIST = 500
#: How long a claimed message is held by its worker before another may claim it again (by
#: default; ``CONTROLROOM_OUTBOX_LEASE_SECONDS``).
LEASE = timedelta(seconds=60)


class UowFactory(Protocol):
    """Makes a new unit of work."""

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> UnitOfWork: ...


class Transport(Protocol):
    """Sends one message to its destination; raises :class:`DeliveryFailed` when not taken."""

    def send(self, message: OutboxMessage) -> None: ...


def enqueue(
    uow: UnitOfWork,
    *,
    destination: str,
    kind: str,
    idempotency_key: str,
    body: str,
    now: datetime,
    contact_id: str | None = None,
    content_type: str = "application/json",
) -> int | None:
    """Write a message in ``uow``'s transaction (the caller commits): its id, or None when
    ``destination`` is not configured or the key is already in the outbox."""
    if not destination or not kind or not idempotency_key:
        raise InvalidInput("an outbox message needs a destination, a kind and a key")
    if not uow.outbox.accepts(destination):
        return None
    return uow.outbox.add(
        destination=destination,
        kind=kind,
        idempotency_key=idempotency_key,
        contact_id=contact_id,
        content_type=content_type,
        body=body,
        now=require_utc(now),
    )


@dataclass(frozen=True)
class DeliveryRound:
    """What one round of delivery did."""

    delivered: int = 0
    failed: int = 0
    parked: int = 0

    @property
    def handled(self) -> int:
        """Messages attempted in the round."""
        return self.delivered + self.failed + self.parked


def deliver_due(
    uow_factory: UowFactory,
    transports: Mapping[str, Transport],
    retry: RetryPolicy,
    clock: Callable[[], datetime],
    *,
    limit: int = 20,
    lease: timedelta = LEASE,
    jitter: Callable[[], float] = random.random,
) -> DeliveryRound:
    """Claim due messages for ``transports``' destinations (held for ``lease``) and send each
    once."""
    now = clock()
    with uow_factory() as uow:
        claimed = uow.outbox.claim(now, now + lease, limit, sorted(transports))
        uow.commit()
    delivered = failed = parked = 0
    for message in claimed:
        if message.next_attempt_at is not None and clock() >= message.next_attempt_at:
            continue  # its lease ran out while earlier ones were sent: claimed again later
        error: str | None = None
        try:
            transports[message.destination].send(message)
        except DeliveryFailed as exc:
            error = str(exc)
        except Exception as exc:  # a transport bug must not stop the worker
            log.exception("outbox message %d: sending failed", message.id)
            error = f"could not send: {type(exc).__name__}"
        if error is None:
            delivered += _record(uow_factory, message, None, clock(), retry, jitter())
        elif _record(uow_factory, message, error, clock(), retry, jitter()):
            if message.attempts >= retry.max_attempts:
                parked += 1
            else:
                failed += 1
    return DeliveryRound(delivered, failed, parked)


def _record(
    uow_factory: UowFactory,
    message: OutboxMessage,
    error: str | None,
    now: datetime,
    retry: RetryPolicy,
    jitter: float,
) -> bool:
    """Record an attempt's outcome; False when the message was moved meanwhile (its lease ran
    out and another worker has it)."""
    with uow_factory() as uow:
        if error is None:
            state = transition(message.state, MessageEvent.SUCCEED)
            moved = uow.outbox.mark(
                message,
                state=state,
                attempts=message.attempts,
                next_attempt_at=None,
                last_error=None,
                delivered_at=now,
            )
        else:
            state, due = retry.after_failure(message.attempts, now, jitter)
            moved = uow.outbox.mark(
                message,
                state=state,
                attempts=message.attempts,
                next_attempt_at=due,
                last_error=error,
            )
            log.warning(
                "outbox message %d to %s: attempt %d failed: %s",
                message.id,
                message.destination,
                message.attempts,
                error,
            )
            if moved and state is MessageState.PARKED:
                details = _details(message) | {"error": error}
                uow.audit.append(DELIVERY, TAG_PARKED, f"outbox:{message.id}", details, now)
        uow.commit()
    return moved


def _details(message: OutboxMessage) -> dict[str, str | int]:
    return {
        "destination": message.destination,
        "kind": message.kind,
        "idempotency_key": message.idempotency_key,
        "contact_id": message.contact_id or "",
        "attempts": message.attempts,
    }


@dataclass(frozen=True)
class OutboxView:
    """A page of messages and how many are in each state."""

    messages: list[OutboxMessage]
    counts: dict[MessageState, int]
    state: MessageState | None


def parse_state(value: str | None) -> MessageState | None:
    """A state filter from a query string (empty: every state)."""
    if not value:
        return None
    try:
        return MessageState(value)
    except ValueError:
        names = ", ".join(state.value for state in MessageState)
        raise InvalidInput(
            f"unknown outbox state {value!r}", field="state", hint=f"one of: {names}"
        ) from None


def list_messages(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    state: MessageState | None = None,
    limit: int = 100,
) -> OutboxView:
    """The latest messages (only those in ``state`` when given), newest first."""
    access_check(principal, Permission.REPORTS_READ)
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be 1-{MAX_LIST}", field="limit")
    with uow_factory(read_only=True) as uow:
        return OutboxView(uow.outbox.list(state=state, limit=limit), uow.outbox.counts(), state)


def parked_count(uow_factory: UowFactory) -> int:
    """How many messages wait for a supervisor's retry (for the console's navigation)."""
    with uow_factory(read_only=True, snapshot=False) as uow:
        return uow.outbox.counts()[MessageState.PARKED]


def retry_message(
    uow_factory: UowFactory, principal: Principal, message_id: int, now: datetime
) -> OutboxMessage:
    """A supervisor sends a parked message again: due now, its attempts counted from zero;
    audited. :class:`IllegalTransition` for a message that is not parked."""
    access_check(principal, Permission.CONTACT_SUPERVISE)
    now = require_utc(now)
    with uow_factory() as uow:
        message = uow.outbox.get(message_id, lock=True)
        if message is None:
            raise NotFound(f"no outbox message {message_id}", field="message_id")
        state = transition(message.state, MessageEvent.RETRY)
        uow.outbox.mark(
            message, state=state, attempts=0, next_attempt_at=now, last_error=message.last_error
        )
        uow.audit.append(principal.actor, TAG_RETRY, f"outbox:{message.id}", _details(message), now)
        uow.commit()
    return OutboxMessage(
        **{**message.__dict__, "state": state, "attempts": 0, "next_attempt_at": now}
    )


def overdue(uow_factory: UowFactory, now: datetime, threshold: timedelta) -> str | None:
    """ "outbox: N messages overdue" when messages due more than ``threshold`` ago are still
    waiting (the worker is stopped or cannot keep up); None otherwise."""
    with uow_factory(read_only=True, snapshot=False) as uow:
        count, _ = uow.outbox.overdue(now - threshold)
    if count == 0:
        return None
    return f"outbox: {count} message{'s' if count != 1 else ''} overdue"
