"""Contacts' stored records against the audit log: the digest a change records, and the check
``controlroom audit verify`` runs over every stored contact (domain/audit_contacts.py).

The digest is :func:`~controlroom.adapters.db.records_json.record_digest`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from controlroom.adapters.db.records_json import record_digest, record_from_json
from controlroom.adapters.db.repositories import stored_columns
from controlroom.adapters.db.tables import contacts
from controlroom.domain.audit_contacts import (
    ContactProblem,
    ContactSeal,
    ContactsReport,
    StoredContact,
    check_contact,
)
from controlroom.domain.errors import DomainError

#: The columns derived from a contact's record, checked against it.
DERIVED = (
    "channel",
    "state",
    "procedure",
    "caller_number",
    "landline",
    "offered_at",
    "answered_at",
    "ended_at",
    "updated_at",
)


def _stored(row: Row[Any]) -> StoredContact:
    columns = {name: getattr(row, name) for name in DERIVED}
    digest = record_digest(row.record)
    try:
        record = record_from_json(row.record)
    except (DomainError, ValueError, TypeError, KeyError, AttributeError):
        return StoredContact(row.id, digest, columns, None)
    derived = {name: value for name, value in stored_columns(record).items() if name in DERIVED}
    history = record.history[-1].seq if record.history else None
    return StoredContact(row.id, digest, columns, derived, history)


def stored_contacts(connection: Connection) -> Iterator[StoredContact]:
    """Every stored contact, in id order, fetched in batches."""
    query = select(contacts).order_by(contacts.c.id).execution_options(yield_per=500)
    for row in connection.execute(query):
        yield _stored(row)


def check_stored_contacts(
    connection: Connection, seals: Mapping[str, ContactSeal], audited: set[str]
) -> ContactsReport:
    """Check every stored contact against the last seal the audit log records for it."""
    checked = sealed = 0
    problems: list[ContactProblem] = []
    for stored in stored_contacts(connection):
        checked += 1
        seal = seals.get(stored.id)
        sealed += seal is not None
        problem = check_contact(stored, seal, audited=stored.id in audited)
        if problem is not None:
            problems.append(problem)
    return ContactsReport(checked, sealed, tuple(problems))
