"""Outbox messages in the database (the ``outbox`` table).

A message is added in the transaction of the change it reports. Workers claim due messages in
a short transaction of their own: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``, so
instances claiming at the same moment take different rows; SQLite has one writer at a time.
Only the earliest undelivered message of each contact and destination is claimable, so a
contact's messages reach the receiver in the order they were written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select, update
from sqlalchemy.engine import Row

from controlroom.adapters.db.tables import outbox
from controlroom.domain.outbox import CLAIMABLE, UNDELIVERED, MessageState, OutboxMessage

_C = outbox.c
_ERROR_LIMIT = 500


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=int(row.id),
        destination=str(row.destination),
        kind=str(row.kind),
        idempotency_key=str(row.idempotency_key),
        contact_id=None if row.contact_id is None else str(row.contact_id),
        sequence=int(row.sequence),
        content_type=str(row.content_type),
        body=str(row.body),
        state=MessageState(row.state),
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


class SqlOutbox:
    """The outbox on one connection; ``destinations`` are those configured."""

    def __init__(self, connection: Connection, destinations: frozenset[str]) -> None:
        self._connection = connection
        self._destinations = destinations

    def accepts(self, destination: str) -> bool:
        """True when ``destination`` (or its family, ``partner:`` for ``partner:fire``) is
        configured."""
        family = destination.partition(":")[0] + ":"
        return destination in self._destinations or family in self._destinations

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
        """Store a new pending message; None when the key is already stored."""
        known = select(_C.id).where(_C.idempotency_key == idempotency_key)
        if self._connection.execute(known).first() is not None:
            return None
        sequence = 0
        if contact_id is not None:
            last = select(func.max(_C.sequence)).where(
                _C.destination == destination, _C.contact_id == contact_id
            )
            sequence = int(self._connection.execute(last).scalar() or 0) + 1
        row = {
            "destination": destination,
            "kind": kind,
            "idempotency_key": idempotency_key,
            "contact_id": contact_id,
            "sequence": sequence,
            "content_type": content_type,
            "body": body,
            "state": MessageState.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        result = self._connection.execute(insert(outbox).returning(_C.id), row)
        return int(result.scalar_one())

    def get(self, message_id: int, *, lock: bool = False) -> OutboxMessage | None:
        """One message, or None."""
        query = select(outbox).where(_C.id == message_id)
        if lock and self._connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._connection.execute(query).first()
        return None if row is None else _message(row)

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, destinations: Sequence[str]
    ) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages, each the earliest undelivered of its contact."""
        if not destinations:
            return []
        earlier = outbox.alias("earlier")
        held_back = exists().where(
            and_(
                earlier.c.destination == _C.destination,
                earlier.c.contact_id == _C.contact_id,
                earlier.c.sequence < _C.sequence,
                earlier.c.state.in_([state.value for state in UNDELIVERED]),
            )
        )
        query = (
            select(outbox)
            .where(
                _C.state.in_([state.value for state in CLAIMABLE]),
                _C.next_attempt_at <= now,
                _C.destination.in_(list(destinations)),
                ~held_back,
            )
            .order_by(_C.id)
            .limit(limit)
        )
        if self._connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=outbox)
        claimed = []
        for row in self._connection.execute(query).all():
            message = _message(row)
            attempts = message.attempts + 1
            self._connection.execute(
                update(outbox)
                .where(_C.id == message.id)
                .values(
                    state=MessageState.DELIVERING.value,
                    attempts=attempts,
                    next_attempt_at=lease_until,
                )
            )
            claimed.append(
                OutboxMessage(
                    **{
                        **message.__dict__,
                        "state": MessageState.DELIVERING,
                        "attempts": attempts,
                        "next_attempt_at": lease_until,
                    }
                )
            )
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
        """Move ``message`` on if it is still as read."""
        statement = (
            update(outbox)
            .where(
                _C.id == message.id,
                _C.state == message.state.value,
                _C.attempts == message.attempts,
            )
            .values(
                state=state.value,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=None if last_error is None else last_error[:_ERROR_LIMIT],
                delivered_at=delivered_at,
            )
        )
        return self._connection.execute(statement).rowcount == 1

    def list(self, *, state: MessageState | None, limit: int) -> list[OutboxMessage]:
        """Messages newest first."""
        query = select(outbox).order_by(_C.id.desc()).limit(limit)
        if state is not None:
            query = query.where(_C.state == state.value)
        return [_message(row) for row in self._connection.execute(query)]

    def counts(self) -> dict[MessageState, int]:
        """How many messages are in each state."""
        query = select(_C.state, func.count()).group_by(_C.state)
        found = {MessageState(row[0]): int(row[1]) for row in self._connection.execute(query)}
        return {state: found.get(state, 0) for state in MessageState}

    def overdue(self, due_before: datetime) -> tuple[int, datetime | None]:
        """Claimable messages due before ``due_before``: how many, and the oldest due time."""
        query = select(func.count(), func.min(_C.next_attempt_at)).where(
            _C.state.in_([state.value for state in CLAIMABLE]),
            _C.next_attempt_at < due_before,
        )
        count, oldest = self._connection.execute(query).one()
        return int(count), oldest

    def for_contact(self, contact_id: str, destination_prefix: str) -> tuple[OutboxMessage, ...]:
        """A contact's messages to destinations starting with ``destination_prefix``, oldest
        first."""
        query = (
            select(outbox)
            .where(_C.contact_id == contact_id, _C.destination.startswith(destination_prefix))
            .order_by(_C.id)
        )
        return tuple(_message(row) for row in self._connection.execute(query))

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        """The message with ``idempotency_key``, or None."""
        row = self._connection.execute(
            select(outbox).where(_C.idempotency_key == idempotency_key)
        ).first()
        return None if row is None else _message(row)
