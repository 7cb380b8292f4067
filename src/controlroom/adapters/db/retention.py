"""What retention reads and changes (services/retention.py), on the unit of work's connection.

Contacts are changed in place: an anonymised record is written with the columns derived from
it (the caller's number gone), and its caller-history row loses its number and IMEI; an online
report's private details go with it. A deleted contact takes its caller-history row, online
report, incident references and delivered outbox messages with it. Closed nuisance cases are
deleted with their identifiers. The audit rows are appended by the service; here a row's
details are replaced by a tombstone (the only update the audit log's triggers allow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Connection, Select, bindparam, delete, func, select, update

from controlroom.adapters.db.audit_log import entry_from_row
from controlroom.adapters.db.records_json import record_digest, record_from_json
from controlroom.adapters.db.repositories import stored_columns
from controlroom.adapters.db.tables import (
    audit_log,
    contact_calls,
    contacts,
    incident_references,
    nuisance_cases,
    nuisance_identifiers,
    online_reports,
    outbox,
)
from controlroom.domain.audit import AuditEntry
from controlroom.domain.nuisance.states import CaseState
from controlroom.domain.outbox import MessageState
from controlroom.domain.retention import ContactFacts
from controlroom.domain.retention_scrub import MARKER


@dataclass(frozen=True)
class StoredContactRow:
    """A contact as retention sees it: its facts, its record's JSON and that JSON's digest."""

    facts: ContactFacts
    record: Mapping[str, Any]
    digest: str
    to: str  # "procedure/state"
    history: int | None  # the seq of its last history entry


@dataclass(frozen=True)
class StoredCase:
    """A closed nuisance case: id, when it was closed (its last change), its record's digest."""

    id: str
    closed_at: datetime
    digest: str


_REDACT = (
    update(audit_log)
    .where(audit_log.c.seq == bindparam("b_seq"))
    .values(details=bindparam("b_details", type_=JSON()))
)


class SqlRetentionStore:
    """Retention's reads and writes, in the unit of work's transaction."""

    def __init__(self, connection: Connection, *, lock: bool = False) -> None:
        self._connection = connection
        self._lock = lock  # read contacts FOR UPDATE (PostgreSQL), as apply changes them

    def ended_contacts(
        self, before: datetime, *, after_id: str = "", limit: int = 500
    ) -> list[StoredContactRow]:
        """Contacts that ended at or before ``before``, in id order after ``after_id``."""
        query = (
            select(contacts.c.id, contacts.c.ended_at, contacts.c.record)
            .where(contacts.c.ended_at.is_not(None))
            .where(contacts.c.ended_at <= before)
            .where(contacts.c.id > after_id)
            .order_by(contacts.c.id)
            .limit(limit)
        )
        return self._read(query)

    def contacts(self, ids: Sequence[str]) -> list[StoredContactRow]:
        """The contacts with these ids (those still stored), in id order."""
        query = (
            select(contacts.c.id, contacts.c.ended_at, contacts.c.record)
            .where(contacts.c.id.in_(list(ids)))
            .order_by(contacts.c.id)
        )
        return self._read(query)

    def _read(self, query: Select[Any]) -> list[StoredContactRow]:
        if self._lock:
            query = query.with_for_update()
        rows = self._connection.execute(query).all()
        ids = [row.id for row in rows]
        cases = self._open_cases(ids)
        waiting = self._undelivered(ids)
        found = []
        for row in rows:
            record = row.record
            history = record.get("history") or []
            last = history[-1] if history else None
            facts = ContactFacts(
                row.id,
                row.ended_at,
                record.get("incident") is not None,
                cases.get(row.id),
                waiting.get(row.id, 0),
            )
            to = f"{record.get('procedure')}/{record.get('state')}"
            seq = last.get("seq") if isinstance(last, dict) else None
            found.append(StoredContactRow(facts, record, record_digest(record), to, seq))
        return found

    def _open_cases(self, ids: Sequence[str]) -> dict[str, str]:
        """Contact id -> the open nuisance case its number or IMEI is linked to."""
        if not ids:
            return {}
        linked = (
            select(nuisance_identifiers.c.kind, nuisance_identifiers.c.value, nuisance_cases.c.id)
            .join(nuisance_cases, nuisance_cases.c.id == nuisance_identifiers.c.case_id)
            .where(nuisance_cases.c.state != CaseState.CLOSED.value)
        )
        cases = {(row.kind, row.value): row.id for row in self._connection.execute(linked)}
        if not cases:
            return {}
        found: dict[str, str] = {}
        query = select(contact_calls.c.contact_id, contact_calls.c.number, contact_calls.c.imei)
        for row in self._connection.execute(query.where(contact_calls.c.contact_id.in_(ids))):
            case = cases.get(("number", row.number)) or cases.get(("imei", row.imei))
            if case is not None:
                found[row.contact_id] = case
        numbers = select(contacts.c.id, contacts.c.caller_number).where(contacts.c.id.in_(ids))
        for contact in self._connection.execute(numbers):
            case = cases.get(("number", contact.caller_number))
            if case is not None:
                found.setdefault(contact.id, case)
        return found

    def _undelivered(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        query = (
            select(outbox.c.contact_id, func.count())
            .where(outbox.c.contact_id.in_(ids))
            .where(outbox.c.state != MessageState.DELIVERED.value)
            .group_by(outbox.c.contact_id)
        )
        return {row[0]: int(row[1]) for row in self._connection.execute(query)}

    def replace_contact(self, contact_id: str, record: Mapping[str, Any], *, caller: bool) -> None:
        """Store ``record`` (scrubbed) for the contact; with ``caller`` its caller's number and
        IMEI go from the caller history, and an online report's private details go too."""
        decoded = record_from_json(record)  # a scrubbed record must still be a record
        columns = stored_columns(decoded, dict(record))
        self._connection.execute(
            update(contacts)
            .where(contacts.c.id == contact_id)
            .values(**columns, version=contacts.c.version + 1)
        )
        if caller:
            self._connection.execute(
                update(contact_calls)
                .where(contact_calls.c.contact_id == contact_id)
                .values(number=None, imei=None)
            )
        self._connection.execute(
            update(online_reports)
            .where(online_reports.c.contact_id == contact_id)
            .values(details={"removed": MARKER}, token=None)
        )

    def delete_contact(self, contact_id: str) -> None:
        """Remove the contact and what is kept beside it."""
        for table, column in (
            (online_reports, online_reports.c.contact_id),
            (contact_calls, contact_calls.c.contact_id),
            (incident_references, incident_references.c.contact_id),
        ):
            self._connection.execute(delete(table).where(column == contact_id))
        self._connection.execute(
            delete(outbox)
            .where(outbox.c.contact_id == contact_id)
            .where(outbox.c.state == MessageState.DELIVERED.value)
        )
        self._connection.execute(delete(contacts).where(contacts.c.id == contact_id))

    def closed_cases(self, before: datetime, *, limit: int = 500) -> list[StoredCase]:
        """Closed nuisance cases last changed at or before ``before``, oldest first."""
        query = (
            select(nuisance_cases.c.id, nuisance_cases.c.updated_at, nuisance_cases.c.record)
            .where(nuisance_cases.c.state == CaseState.CLOSED.value)
            .where(nuisance_cases.c.updated_at <= before)
            .order_by(nuisance_cases.c.updated_at, nuisance_cases.c.id)
            .limit(limit)
        )
        return [
            StoredCase(row.id, row.updated_at, record_digest(row.record))
            for row in self._connection.execute(query)
        ]

    def delete_case(self, case_id: str) -> None:
        """Remove a nuisance case and its identifiers."""
        self._connection.execute(
            delete(nuisance_identifiers).where(nuisance_identifiers.c.case_id == case_id)
        )
        self._connection.execute(delete(nuisance_cases).where(nuisance_cases.c.id == case_id))

    def audit_before(self, before: datetime) -> tuple[int, datetime | None]:
        """How many audit rows were written at or before ``before``, and the oldest's time."""
        query = select(func.count(), func.min(audit_log.c.at)).where(audit_log.c.at <= before)
        count, oldest = self._connection.execute(query).one()
        if isinstance(oldest, str):  # SQLite's MIN() loses the column type
            oldest = datetime.fromisoformat(oldest)
        return int(count), _utc(oldest)

    def audit_rows(self, subject: str) -> list[AuditEntry]:
        """Every audit row about ``subject``, in seq order."""
        query = select(audit_log).where(audit_log.c.subject == subject).order_by(audit_log.c.seq)
        return [entry_from_row(row) for row in self._connection.execute(query)]

    def redact(self, tombstones: Mapping[int, Mapping[str, Any]]) -> None:
        """Replace each audit row's details (by seq) by its tombstone, in one statement."""
        if tombstones:
            params = [{"b_seq": seq, "b_details": dict(t)} for seq, t in tombstones.items()]
            self._connection.execute(_REDACT, params)

    def digest(self, record: Mapping[str, Any]) -> str:
        """The digest a contact's audit rows record for ``record`` (its JSON)."""
        return record_digest(record)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
