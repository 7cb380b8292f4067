"""Contacts on SQLAlchemy Core, over the unit of work's connection (answers to telephony
events are in ``processed_events.py``, the audit log in ``audit_log.py``, accounts in
``accounts.py``).

Contacts are saved with optimistic concurrency: each row has a ``version``; saving a contact
read at version *n* succeeds only while the row is still at *n*. ``get_for_update`` also locks
the row on PostgreSQL (SQLite serialises writers anyway). Adding or saving a contact also
writes its ``contact_calls`` row (caller history, ``nuisance.py``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Row,
    Select,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.call_rows import PendingCalls
from controlroom.adapters.db.contact_search import words_query
from controlroom.adapters.db.damaged import damaged_contact
from controlroom.adapters.db.lists import one_of, per_dialect
from controlroom.adapters.db.records_json import record_digest, record_from_json, record_to_json
from controlroom.adapters.db.tables import contacts
from controlroom.domain.contacts import (
    Contact,
    ContactRecord,
    ProcedureName,
    State,
    rejoined_by,
)
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.timers import LANDLINE_RECONNECT_WINDOW
from controlroom.domain.errors import ConcurrentWrite, Conflict, InvalidInput
from controlroom.domain.triage.decision import Channel

MAX_PAGE = 500

# Statements on the telephony hot path are built once: SQLAlchemy then reuses their cache key
# and compiled form instead of building and hashing a new statement on every event.
_GET = select(contacts).where(contacts.c.id == bindparam("b_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
# a plain INSERT is sent as one prepared statement for many rows; a duplicate id fails it
_INSERT = insert(contacts)


def _locking(dialect: str, ids: bool, recent: bool) -> Select[Any]:
    """Contacts by id and, or, the contacts of some numbers offered or ended since a moment
    (read ahead for a batch), locked."""
    c = contacts.c
    by_id = one_of(c.id, "b_ids", dialect)
    since: BindParameter[datetime] = bindparam("b_since")
    by_number = one_of(c.caller_number, "b_numbers", dialect) & (
        (c.offered_at >= since) | (c.ended_at >= since)
    )
    where = by_id | by_number if ids and recent else by_id if ids else by_number
    return select(contacts).where(where).order_by(c.id).with_for_update()  # one order for all


_LOCK = per_dialect(
    lambda dialect: {
        (ids, recent): _locking(dialect, ids, recent)
        for ids, recent in ((True, False), (False, True), (True, True))
    }
)
_UPDATE = update(contacts).where(
    contacts.c.id == bindparam("b_id"), contacts.c.version == bindparam("b_version")
)


def stored_columns(record: ContactRecord, encoded: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``contacts`` row for ``record`` (bar id and version); ``encoded``: its JSON, when
    already made."""
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
        "record": record_to_json(record) if encoded is None else encoded,
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
        # numbers whose contacts offered or ended since a moment are all held (see lock)
        self._recent: dict[str, datetime] = {}
        # each contact sealed: the record sealed and its JSON, written as is if unchanged
        self._encoded: dict[str, tuple[ContactRecord, dict[str, Any]]] = {}

    def _load(self, query: Select[Any], params: Mapping[str, Any] | None = None) -> Contact | None:
        # no flush: a contact with writes pending is held, and read from there
        row = self._connection.execute(query, params).first()
        return None if row is None else self._contact(row)

    def _contact(self, row: Row[Any]) -> Contact:
        """The row's contact; a :class:`DamagedContact` when its record cannot be decoded."""
        self._seen[row.id] = row.version
        self._stored_numbers[row.id] = row.caller_number
        try:
            return Contact(record_from_json(row.record))
        except Exception as exc:  # any failure to rebuild stored data is damage, not a crash
            return damaged_contact(row, exc)

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
        if isinstance(contact, DamagedContact):
            raise contact.refusal()
        if contact is not None:
            self._held[contact_id] = contact.record
        return contact

    def lock(
        self,
        contact_ids: Sequence[str],
        *,
        numbers: Sequence[str] = (),
        since: datetime | None = None,
    ) -> None:
        """Read and lock, in one query, ``contact_ids`` and every contact from ``numbers``
        offered or ended at ``since`` or later. The :meth:`get_for_update` calls to come
        find them held; a :meth:`find_reconnectable`, or a :meth:`list` by number and time,
        for one of ``numbers`` reaching back no further than ``since`` is answered from what
        this transaction holds, without a query."""
        wanted = [i for i in dict.fromkeys(contact_ids) if i not in self._held]
        recent = [] if since is None else [n for n in numbers if not self._covered(n, since)]
        if not wanted and not recent:
            return
        params = {"b_ids": wanted, "b_numbers": recent, "b_since": since}
        statement = _LOCK[self._connection.dialect.name][bool(wanted), bool(recent)]
        for row in self._connection.execute(statement, params):
            if row.id not in self._held:  # one held already may have changed since its row
                contact = self._contact(row)
                if not isinstance(contact, DamagedContact):  # never worked: not held
                    self._held[row.id] = contact.record
        if since is not None:
            self._recent.update(dict.fromkeys(recent, since))

    def _covered(self, number: str | None, since: datetime | None) -> bool:
        """Whether every contact from ``number`` offered or ended at ``since`` or later is
        held (read ahead by :meth:`lock`, or added since)."""
        start = None if number is None else self._recent.get(number)
        return start is not None and since is not None and start <= since

    def _held_from(self, number: str) -> list[ContactRecord]:
        return [record for record in self._held.values() if record.caller.number == number]

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
        if isinstance(contact, DamagedContact):
            raise contact.refusal()
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

    def seal(self, contact: Contact) -> str:
        """The digest of ``contact``'s record as it will be stored (for its audit row)."""
        encoded = record_to_json(contact.record)
        self._encoded[contact.id] = (contact.record, encoded)
        return record_digest(encoded)

    def _row(self, cid: str, record: ContactRecord) -> dict[str, Any]:
        sealed = self._encoded.pop(cid, None)
        encoded = sealed[1] if sealed is not None and sealed[0] is record else None
        return stored_columns(record, encoded)

    def flush(self) -> None:
        """Write the contacts added and saved since the last flush, each once, as they are
        now; :class:`Conflict` (the transaction must roll back) for an id already stored, or
        a contact somebody else saved first."""
        adds, self._adds = self._adds, {}
        if adds:
            rows = [
                {"id": cid, "version": self._seen[cid], **self._row(cid, record)}
                for cid, record in adds.items()
            ]
            try:
                self._connection.execute(_INSERT, rows)
            except IntegrityError as exc:
                raise Conflict("a new contact's id is already used", field="contact_id") from exc
        saves, self._saves = self._saves, {}
        if saves:
            rows = [
                {
                    "b_id": cid,
                    "b_version": read_at,
                    "version": self._seen[cid],
                    **self._row(cid, record),
                }
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
        self._stored_numbers, self._recent, self._encoded = {}, {}, {}

    def _listed_held(
        self, number: str, offered_from: datetime | None, offered_to: datetime | None
    ) -> list[Contact]:
        """What :meth:`list` gives for ``number`` and times it covers, from held contacts."""
        found = [
            record
            for record in self._held_from(number)
            if (offered_from is None or record.timestamps.offered >= offered_from)
            and (offered_to is None or record.timestamps.offered < offered_to)
        ]
        found.sort(key=lambda record: (record.timestamps.offered, record.id), reverse=True)
        return [Contact(record) for record in found]

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

    def matching(self, words: Sequence[str], *, limit: int = 50) -> list[Contact]:
        """Contacts whose account or caller's name holds every one of ``words``, newest first."""
        self.flush()
        return [self._contact(row) for row in self._connection.execute(words_query(words, limit))]

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
        if (channel, state, procedure) == (None, None, None) and self._covered(
            caller_number, offered_from
        ):
            return self._listed_held(str(caller_number), offered_from, offered_to)[
                offset : offset + limit
            ]
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
        start = at - LANDLINE_RECONNECT_WINDOW
        if self._covered(number, start):
            return rejoined_by(self._held_from(number), number, at)
        self._flush_for(number)
        c = contacts.c
        query = (
            select(contacts)
            .where(
                c.caller_number == number,
                c.state == State.HUNG_UP.value,
                c.ended_at >= start,
                c.ended_at <= at,
            )
            .order_by(c.ended_at.desc())
            .with_for_update()
        )
        for row in self._connection.execute(query).all():
            contact = self._contact(row)
            if isinstance(contact, DamagedContact):
                continue
            self._held[contact.id] = contact.record
            if contact.accepts_reconnect(number, at):
                return contact
        return None
