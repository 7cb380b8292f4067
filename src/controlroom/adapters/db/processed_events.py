"""Answers to telephony events, and the markers of which contact a call belongs to, in the
``telephony_events`` table, on SQLAlchemy Core over the unit of work's connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.lists import one_of, per_dialect
from controlroom.adapters.db.tables import telephony_events
from controlroom.domain.errors import ConcurrentWrite

# built once: SQLAlchemy then reuses their compiled form (see repositories.py)
_EVENT_ANSWER = select(telephony_events.c.status_code, telephony_events.c.response).where(
    telephony_events.c.event_id == bindparam("b_id")
)
_EVENT_ANSWERS = per_dialect(
    lambda dialect: select(
        telephony_events.c.event_id, telephony_events.c.status_code, telephony_events.c.response
    ).where(one_of(telephony_events.c.event_id, "b_ids", dialect))
)
_EVENT_ADD: dict[str, Insert] = {
    name: module.insert(telephony_events)
    .on_conflict_do_nothing()
    .returning(telephony_events.c.event_id)
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}
# answers known to be new, written together at the flush: one prepared statement, many rows
_EVENT_ADD_MANY = insert(telephony_events)


class SqlProcessedEvents:
    """Answers to telephony events in ``telephony_events``.

    An answer added under an id this transaction has already looked for and not found is
    written at :meth:`flush` (before the commit), together with the others: the look-up
    already says it is new, and :class:`ConcurrentWrite` is raised there in the rare case that
    another writer stored the same id in between."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        # answers read ahead (or looked up), None for ids not stored then (this transaction)
        self._ahead: dict[str, tuple[int, dict[str, Any]] | None] = {}
        self._adds: dict[str, dict[str, Any]] = {}

    def get(self, event_id: str) -> tuple[int, dict[str, Any]] | None:
        """The status and body first answered for ``event_id``."""
        if event_id in self._ahead:
            found = self._ahead[event_id]
            return None if found is None else (found[0], dict(found[1]))
        row = self._connection.execute(_EVENT_ANSWER, {"b_id": event_id}).first()
        self._ahead[event_id] = None if row is None else (row.status_code, dict(row.response))
        return None if row is None else (row.status_code, dict(row.response))

    def prefetch(self, event_ids: Sequence[str]) -> None:
        """Read the answers to ``event_ids`` in one query, for the :meth:`get` calls to come."""
        wanted = [i for i in dict.fromkeys(event_ids) if i not in self._ahead]
        if not wanted:
            return
        self._ahead.update(dict.fromkeys(wanted))
        statement = _EVENT_ANSWERS[self._connection.dialect.name]
        rows = self._connection.execute(statement, {"b_ids": wanted})
        for row in rows:
            self._ahead[row.event_id] = (row.status_code, dict(row.response))

    def add(
        self,
        event_id: str,
        *,
        event_type: str,
        received_at: datetime,
        status_code: int,
        response: Mapping[str, Any],
    ) -> bool:
        """Record the answer; ``False`` when the id is already recorded."""
        values = {
            "event_id": event_id,
            "type": event_type,
            "received_at": received_at,
            "status_code": status_code,
            "response": dict(response),
        }
        if event_id in self._ahead:  # looked for in this transaction
            if self._ahead[event_id] is not None:
                return False  # found then, or added since
            self._adds[event_id] = values
            self._ahead[event_id] = (status_code, dict(response))
            return True
        statement = _EVENT_ADD[self._connection.dialect.name]
        added = self._connection.execute(statement, values).first() is not None
        if added:
            self._ahead[event_id] = (status_code, dict(response))
        else:
            self._ahead.pop(event_id, None)
        return added

    def flush(self) -> None:
        """Write the answers added since the last flush, in one statement."""
        if not self._adds:
            return
        rows, self._adds = list(self._adds.values()), {}
        try:
            self._connection.execute(_EVENT_ADD_MANY, rows)
        except IntegrityError as exc:
            raise ConcurrentWrite(
                "an event was answered by another writer at the same time",
                field="id",
                hint="send it again: it gets the answer first given",
            ) from exc

    def forget(self) -> None:
        """The transaction ended: drop what was read and not written."""
        self._ahead, self._adds = {}, {}
