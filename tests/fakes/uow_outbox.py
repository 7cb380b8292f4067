"""An in-memory outbox for :class:`tests.fakes.uow.FakeUnitOfWork`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from controlroom.domain.mait.delivery import PartnerAck
from controlroom.domain.outbox import CLAIMABLE, UNDELIVERED, MessageState, OutboxMessage


class FakeOutbox:
    """Messages in the fake store's ``outbox`` dict, by id; ``destinations`` configured."""

    def __init__(self, store: Any, destinations: frozenset[str]) -> None:
        self._store = store
        self._destinations = destinations

    def accepts(self, destination: str) -> bool:
        """True for a configured destination."""
        return destination in self._destinations

    def add(
        self,
        *,
        destination: str,
        kind: str,
        idempotency_key: str,
        contact_id: str | None,
        content_type: str,
        body: str,
        now: datetime,
    ) -> int | None:
        """Store a pending message; None for a key already stored."""
        messages = self._store.outbox
        if any(m.idempotency_key == idempotency_key for m in messages.values()):
            return None
        same = [
            m.sequence
            for m in messages.values()
            if contact_id is not None and (m.destination, m.contact_id) == (destination, contact_id)
        ]
        message_id = max(messages, default=0) + 1
        messages[message_id] = OutboxMessage(
            id=message_id,
            destination=destination,
            kind=kind,
            idempotency_key=idempotency_key,
            contact_id=contact_id,
            sequence=max(same, default=0) + 1 if contact_id is not None else 0,
            content_type=content_type,
            body=body,
            state=MessageState.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            created_at=now,
        )
        return message_id

    def get(self, message_id: int, *, lock: bool = False) -> OutboxMessage | None:
        """One message."""
        found: OutboxMessage | None = self._store.outbox.get(message_id)
        return found

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, destinations: Sequence[str]
    ) -> list[OutboxMessage]:
        """Due messages, the earliest undelivered of each contact."""
        messages = self._store.outbox
        claimed = []
        for message in sorted(messages.values(), key=lambda m: m.id):
            if len(claimed) >= limit:
                break
            due = message.next_attempt_at is not None and message.next_attempt_at <= now
            if message.state not in CLAIMABLE or not due or message.destination not in destinations:
                continue
            if any(
                other.contact_id is not None
                and (other.destination, other.contact_id)
                == (message.destination, message.contact_id)
                and other.sequence < message.sequence
                and other.state in UNDELIVERED
                for other in messages.values()
            ):
                continue
            taken = replace(
                message,
                state=MessageState.DELIVERING,
                attempts=message.attempts + 1,
                next_attempt_at=lease_until,
            )
            messages[message.id] = taken
            claimed.append(taken)
        return claimed

    def mark(
        self,
        message: OutboxMessage,
        *,
        state: MessageState,
        attempts: int,
        next_attempt_at: datetime | None,
        last_error: str | None,
        delivered_at: datetime | None = None,
    ) -> bool:
        """Move the message on if it is still as read."""
        stored = self._store.outbox.get(message.id)
        if stored is None or (stored.state, stored.attempts) != (message.state, message.attempts):
            return False
        self._store.outbox[message.id] = replace(
            stored,
            state=state,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=last_error,
            delivered_at=delivered_at,
        )
        return True

    def list(self, *, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        """Newest first."""
        found = [m for m in self._store.outbox.values() if state is None or m.state is state]
        return sorted(found, key=lambda m: -m.id)[:limit]

    def counts(self) -> dict[MessageState, int]:
        """Messages per state."""
        return {
            state: sum(1 for m in self._store.outbox.values() if m.state is state)
            for state in MessageState
        }

    def overdue(self, due_before: datetime) -> tuple[int, datetime | None]:
        """Claimable messages due before ``due_before``."""
        due = [
            m.next_attempt_at
            for m in self._store.outbox.values()
            if m.state in CLAIMABLE
            and m.next_attempt_at is not None
            and m.next_attempt_at < due_before
        ]
        return len(due), min(due, default=None)

    def for_contact(self, contact_id: str, destination_prefix: str) -> tuple[OutboxMessage, ...]:
        """A contact's messages to destinations with the prefix, oldest first."""
        return tuple(
            m
            for _, m in sorted(self._store.outbox.items())
            if m.contact_id == contact_id and m.destination.startswith(destination_prefix)
        )

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        """The message with the key, or None."""
        found = (m for m in self._store.outbox.values() if m.idempotency_key == idempotency_key)
        return next(found, None)


class FakeMaitAcks:
    """Acknowledgements in the fake store's ``mait_acks`` dict, by acknowledgement id."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def add(self, ack: PartnerAck) -> bool:
        """Store it; False when its id is stored."""
        if ack.ack_id in self._store.mait_acks:
            return False
        self._store.mait_acks[ack.ack_id] = ack
        return True

    def get(self, ack_id: str) -> PartnerAck | None:
        """One acknowledgement, or None."""
        found: PartnerAck | None = self._store.mait_acks.get(ack_id)
        return found

    def for_contact(self, contact_id: str) -> list[PartnerAck]:
        """A contact's acknowledgements in the order received."""
        return [a for a in self._store.mait_acks.values() if a.contact_id == contact_id]
