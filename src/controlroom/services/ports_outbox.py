"""The outbox's port: the repository a unit of work gives as ``uow.outbox``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from controlroom.domain.mait.delivery import PartnerAck
from controlroom.domain.outbox import MessageState, OutboxMessage


class OutboxRepository(Protocol):
    """Outbox messages in the unit of work's transaction."""

    def accepts(self, destination: str) -> bool:
        """True when ``destination`` is configured (messages for others are not kept)."""

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
        """Store a new pending message (due now, next in its contact's sequence); its id, or
        None when a message with ``idempotency_key`` is already stored (nothing is written)."""

    def get(self, message_id: int, *, lock: bool = False) -> OutboxMessage | None:
        """One message, or None."""

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, destinations: Sequence[str]
    ) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages (each the earliest undelivered of its contact):
        each becomes ``delivering`` until ``lease_until``, its attempts counted one more. Other
        instances skip rows being claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""

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
        """Move ``message`` on, only if it is still as read (same state and attempts): False
        when someone else moved it meanwhile."""

    def list(self, *, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        """Messages newest first, only those in ``state`` when given."""

    def counts(self) -> dict[MessageState, int]:
        """How many messages are in each state."""

    def overdue(self, due_before: datetime) -> tuple[int, datetime | None]:
        """How many claimable messages were due before ``due_before``, and the oldest due time."""

    def for_contact(self, contact_id: str, destination_prefix: str) -> tuple[OutboxMessage, ...]:
        """A contact's messages to destinations starting with ``destination_prefix``, oldest
        first."""

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        """The message with ``idempotency_key``, or None."""


class MaitAckRepository(Protocol):
    """Partners' acknowledgements of MAIT messages (``uow.mait_acks``)."""

    def add(self, ack: PartnerAck) -> bool:
        """Store ``ack``; False (nothing written) when one with its ``ack_id`` is stored."""

    def get(self, ack_id: str) -> PartnerAck | None:
        """The acknowledgement with ``ack_id``, or None."""

    def for_contact(self, contact_id: str) -> list[PartnerAck]:
        """A contact's acknowledgements, in the order they were received."""
