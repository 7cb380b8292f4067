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
from controlroom.domain.errors import ConcurrentWrite, Conflict, InvalidInput
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
_LOCK_MANY = (
    select(contacts)
    .where(contacts.c.id.in_(bindparam("b_ids", expanding=True)))
    .order_by(contacts.c.id)  # every writer locks in the same order
    .with_for_update()
)
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
    """Contacts in the ``contacts`` table.

    A contact this transaction holds — read for update, added or saved — is kept as its
    record, so reading it again in the same transaction builds it from that record without a
    query. New and changed contacts are written together (each once, however often it was
    saved) at :meth:`flush`, which the unit of work calls before it commits; every query here
    flushes first, so a transaction always reads what it wrote.
    """

    def __init__(self, connection: Connection, pending: PendingCalls | None = None) -> None:
        self._connection = connection
        self._seen: dict[str, int] = {}  # the version each contact will have once flushed
        self._held: dict[str, ContactRecord] = {}
        self._adds: dict[str, ContactRecord] = {}  # each contact added and not yet written
        self._stored_numbers: dict[str, str | None] = {}  # caller numbers as read from rows
        # each contact saved and not yet written: the version it was read at, and its record
        self._saves: dict[str, tuple[int, ContactRecord]] = {}
        self._calls = pending or PendingCalls(connection)

    def _load(self, query: Select[Any], params: Mapping[str, Any] | None = None) -> Contact | None:
        # no flush: a contact with writes pending is held, and read from there
        row = self._connection.execute(query, params).first()
        return None if row is None else self._contact(row)

    def _contact(self, row: Row[Any]) -> Contact:
        self._seen[row.id] = row.version
        self._stored_numbers[row.id] = row.caller_number
        return Contact(record_from_json(row.record))

    def get(self, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""
        held = self._held.get(contact_id)
        if held is not None:
            return Contact(held)
        return self._load(_GET, {"b_id": contact_id})

    def get_for_update(self, contact_id: str) -> Contact | None:
        """The contact, its row locked until the transaction ends."""
        held = self._held.get(contact_id)
        if held is not None:
            return Contact(held)
        contact = self._load(_GET_FOR_UPDATE, {"b_id": contact_id})
        if contact is not None:
            self._held[contact_id] = contact.record
        return contact

    def lock(self, contact_ids: Sequence[str]) -> None:
        """Read and lock ``contact_ids`` in one query, for the :meth:`get_for_update` calls to
        come (those not found are left to them)."""
        wanted = [i for i in dict.fromkeys(contact_ids) if i not in self._held]
        if not wanted:
            return
        for row in self._connection.execute(_LOCK_MANY, {"b_ids": wanted}):
            self._held[row.id] = self._contact(row).record

    def add(self, contact: Contact) -> None:
        """Insert a new contact at version 1 (written at :meth:`flush`, where an id already
        stored is a :class:`Conflict`)."""
        if contact.id in self._held:
            raise Conflict(f"contact {contact.id} already exists", field="contact_id")
        self._adds[contact.id] = contact.record
        self._seen[contact.id] = 1
        self._held[contact.id] = contact.record
        self._calls.add(contact.record)

    def save(self, contact: Contact) -> None:
        """Update a contact read in this unit of work, if nobody saved it since (checked when
        the save is written: :meth:`flush`)."""
        seen = self._seen.get(contact.id)
        if seen is None:
            raise InvalidInput(f"contact {contact.id} was not read in this unit of work")
        if contact.id in self._adds:  # not written yet: written as it is now
            self._adds[contact.id] = contact.record
        else:
            read_at = self._saves[contact.id][0] if contact.id in self._saves else seen
            self._saves[contact.id] = (read_at, contact.record)
        self._seen[contact.id] = seen + 1
        self._held[contact.id] = contact.record
        self._calls.add(contact.record)

    def flush(self) -> None:
        """Write the contacts added and saved since the last flush, each once, as they are
        now; :class:`Conflict` (the transaction must roll back) for an id already stored, or
        a contact somebody else saved first."""
        adds, self._adds = self._adds, {}
        if adds:
            rows = [
                {"id": cid, "version": self._seen[cid], **_columns(record)}
                for cid, record in adds.items()
            ]
            written = self._connection.execute(_INSERT[self._connection.dialect.name], rows)
            if len(written.all()) != len(rows):
                raise Conflict("a new contact's id is already used", field="contact_id")
        saves, self._saves = self._saves, {}
        if saves:
            rows = [
                {"b_id": cid, "b_version": read_at, "version": self._seen[cid], **_columns(record)}
                for cid, (read_at, record) in saves.items()
            ]
            if self._connection.execute(_UPDATE, rows).rowcount != len(rows):
                raise ConcurrentWrite(
                    "a contact was changed by somebody else at the same time",
                    hint="reload it and retry",
                )

    def _flush_for(self, number: str | None) -> None:
        """Before a query for the contacts of ``number`` (any number when ``None``): flush,
        unless no contact with writes pending could be among them."""
        pending = (*self._adds.values(), *(record for _, record in self._saves.values()))
        numbers = {record.caller.number for record in pending}
        numbers.update(self._stored_numbers.get(cid) for cid in self._saves)
        if number is None or number in numbers:
            self.flush()

    def forget(self) -> None:
        """The transaction ended: drop what it held and the saves not written."""
        self._held, self._adds, self._saves, self._seen = {}, {}, {}, {}
        self._stored_numbers = {}

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
        self._flush_for(caller_number)
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
        self._flush_for(caller_number)
        query = self._filtered(select(func.count()).select_from(contacts), filters)
        return int(self._connection.execute(query).scalar_one())

    def find_reconnectable(self, number: str, at: datetime) -> Contact | None:
        """The hung-up landline contact from ``number`` that may rejoin at ``at``, locked."""
        self._flush_for(number)
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
            self._held[contact.id] = contact.record
            if contact.accepts_reconnect(number, at):
                return contact
        return None


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
        statement = _EVENT_ADD[self._connection.dialect.name]
        written = self._connection.execute(statement, rows).all()
        if len(written) != len(rows):
            raise ConcurrentWrite(
                "an event was answered by another writer at the same time",
                field="id",
                hint="send it again: it gets the answer first given",
            )

    def forget(self) -> None:
        """The transaction ended: drop what was read and not written."""
        self._ahead, self._adds = {}, {}
