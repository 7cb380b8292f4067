"""Contacts and processed telephony events on SQLAlchemy Core, over the unit of work's
connection (the audit log is in ``audit_log.py``, accounts in ``accounts.py``).

Contacts are saved with optimistic concurrency: each row has a ``version``; saving a contact
read at version *n* succeeds only while the row is still at *n*. ``get_for_update`` also locks
the row on PostgreSQL (SQLite serialises writers anyway). Adding or saving a contact also
writes its ``contact_calls`` row (caller history, ``nuisance.py``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, Select, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from controlroom.adapters.db.call_rows import PendingCalls
from controlroom.adapters.db.records_json import record_from_json, record_to_json
from controlroom.adapters.db.tables import contacts, telephony_events
from controlroom.domain.contacts import Contact, ContactRecord, ProcedureName, State
from controlroom.domain.contacts.timers import LANDLINE_RECONNECT_WINDOW
from controlroom.domain.errors import Conflict, InvalidInput
from controlroom.domain.triage.decision import Channel

MAX_PAGE = 500

# Statements on the telephony hot path are built once: SQLAlchemy then reuses their cache key
# and compiled form instead of building and hashing a new statement on every event.
_GET = select(contacts).where(contacts.c.id == bindparam("b_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_INSERT: dict[str, Insert] = {
    name: module.insert(contacts).on_conflict_do_nothing().returning(contacts.c.id)
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}
_UPDATE = update(contacts).where(
    contacts.c.id == bindparam("b_id"), contacts.c.version == bindparam("b_version")
)
_EVENT_ANSWER = select(telephony_events.c.status_code, telephony_events.c.response).where(
    telephony_events.c.event_id == bindparam("b_id")
)
_EVENT_ANSWERS = select(
    telephony_events.c.event_id, telephony_events.c.status_code, telephony_events.c.response
).where(telephony_events.c.event_id.in_(bindparam("b_ids", expanding=True)))
_EVENT_ADD: dict[str, Insert] = {
    name: module.insert(telephony_events)
    .on_conflict_do_nothing()
    .returning(telephony_events.c.event_id)
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _columns(record: ContactRecord) -> dict[str, Any]:
    times = record.timestamps
    return {
        "channel": record.channel.value,
        "state": record.state.value,
        "procedure": record.procedure.value,
        "caller_number": record.caller.number,
        "landline": record.landline,
        "offered_at": times.offered,
        "answered_at": times.answered,
        "ended_at": times.ended,
        "updated_at": record.history[-1].at if record.history else times.offered,
        "record": record_to_json(record),
    }


class SqlContactRepository:
    """Contacts in the ``contacts`` table."""

    def __init__(self, connection: Connection, pending: PendingCalls | None = None) -> None:
        self._connection = connection
        self._seen: dict[str, int] = {}
        self._calls = pending or PendingCalls(connection)

    def _load(self, query: Select[Any], params: Mapping[str, Any] | None = None) -> Contact | None:
        row = self._connection.execute(query, params).first()
        return None if row is None else self._contact(row)

    def _contact(self, row: Row[Any]) -> Contact:
        self._seen[row.id] = row.version
        return Contact(record_from_json(row.record))

    def get(self, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""
        return self._load(_GET, {"b_id": contact_id})

    def get_for_update(self, contact_id: str) -> Contact | None:
        """The contact, its row locked until the transaction ends."""
        return self._load(_GET_FOR_UPDATE, {"b_id": contact_id})

    def add(self, contact: Contact) -> None:
        """Insert a new contact at version 1."""
        values = {"id": contact.id, "version": 1, **_columns(contact.record)}
        inserted = self._connection.execute(_INSERT[self._connection.dialect.name], values)
        if inserted.first() is None:
            raise Conflict(f"contact {contact.id} already exists", field="contact_id")
        self._seen[contact.id] = 1
        self._calls.add(contact.record)

    def save(self, contact: Contact) -> None:
        """Update a contact read in this unit of work, if nobody saved it since."""
        seen = self._seen.get(contact.id)
        if seen is None:
            raise InvalidInput(f"contact {contact.id} was not read in this unit of work")
        values = {"b_id": contact.id, "b_version": seen, "version": seen + 1}
        result = self._connection.execute(_UPDATE, values | _columns(contact.record))
        if result.rowcount != 1:
            raise Conflict(
                f"contact {contact.id} was changed by somebody else", hint="reload it and retry"
            )
        self._seen[contact.id] = seen + 1
        self._calls.add(contact.record)

    @staticmethod
    def _filtered(query: Select[Any], filters: Mapping[str, Any]) -> Select[Any]:
        c = contacts.c
        for name, column in (
            ("channel", c.channel),
            ("state", c.state),
            ("procedure", c.procedure),
            ("caller_number", c.caller_number),
        ):
            value = filters.get(name)
            if value is not None:
                query = query.where(column == str(value))
        if filters.get("offered_from") is not None:
            query = query.where(c.offered_at >= filters["offered_from"])
        if filters.get("offered_to") is not None:
            query = query.where(c.offered_at < filters["offered_to"])
        return query

    def list(
        self,
        *,
        channel: Channel | None = None,
        state: State | None = None,
        procedure: ProcedureName | None = None,
        caller_number: str | None = None,
        offered_from: datetime | None = None,
        offered_to: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Contact]:
        """Matching contacts, newest offered first."""
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"limit must be 1-{MAX_PAGE} and offset 0 or more", field="limit")
        filters = {
            "channel": channel,
            "state": state,
            "procedure": procedure,
            "caller_number": caller_number,
            "offered_from": offered_from,
            "offered_to": offered_to,
        }
        query = self._filtered(select(contacts), filters)
        query = query.order_by(contacts.c.offered_at.desc(), contacts.c.id.desc())
        rows = self._connection.execute(query.limit(limit).offset(offset))
        return [self._contact(row) for row in rows]

    def count(
        self,
        *,
        channel: Channel | None = None,
        state: State | None = None,
        procedure: ProcedureName | None = None,
        caller_number: str | None = None,
        offered_from: datetime | None = None,
        offered_to: datetime | None = None,
    ) -> int:
        """How many contacts match."""
        filters = {
            "channel": channel,
            "state": state,
            "procedure": procedure,
            "caller_number": caller_number,
            "offered_from": offered_from,
            "offered_to": offered_to,
        }
        query = self._filtered(select(func.count()).select_from(contacts), filters)
        return int(self._connection.execute(query).scalar_one())

    def find_reconnectable(self, number: str, at: datetime) -> Contact | None:
        """The hung-up landline contact from ``number`` that may rejoin at ``at``, locked."""
        c = contacts.c
        query = (
            select(contacts)
            .where(
                c.caller_number == number,
                c.state == State.HUNG_UP.value,
                c.ended_at >= at - LANDLINE_RECONNECT_WINDOW,
                c.ended_at <= at,
            )
            .order_by(c.ended_at.desc())
            .with_for_update()
        )
        for row in self._connection.execute(query).all():
            contact = self._contact(row)
            if contact.accepts_reconnect(number, at):
                return contact
        return None


class SqlProcessedEvents:
    """Answers to telephony events in ``telephony_events``."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        # answers read ahead by prefetch(), None for ids not stored then (this transaction)
        self._ahead: dict[str, tuple[int, dict[str, Any]] | None] = {}

    def get(self, event_id: str) -> tuple[int, dict[str, Any]] | None:
        """The status and body first answered for ``event_id``."""
        if event_id in self._ahead:
            found = self._ahead[event_id]
            return None if found is None else (found[0], dict(found[1]))
        row = self._connection.execute(_EVENT_ANSWER, {"b_id": event_id}).first()
        return None if row is None else (row.status_code, dict(row.response))

    def prefetch(self, event_ids: Sequence[str]) -> None:
        """Read the answers to ``event_ids`` in one query, for the :meth:`get` calls to come."""
        wanted = [i for i in dict.fromkeys(event_ids) if i not in self._ahead]
        if not wanted:
            return
        self._ahead.update(dict.fromkeys(wanted))
        rows = self._connection.execute(_EVENT_ANSWERS, {"b_ids": wanted})
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
        statement = _EVENT_ADD[self._connection.dialect.name]
        added = self._connection.execute(statement, values).first() is not None
        if added:
            self._ahead[event_id] = (status_code, dict(response))
        else:
            self._ahead.pop(event_id, None)
        return added
