"""Incident references in the database: numbers from a counter row per scope, and each
reference issued with its contact.

The counter is raised with one upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``),
which on PostgreSQL locks the scope's row until the transaction ends: a second instance
logging an incident at the same moment waits, then gets the next number. SQLite serialises
writers anyway. A transaction that rolls back gives its number back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.tables import incident_references, reference_counters
from controlroom.domain.errors import Conflict

_C = reference_counters.c


def _next_statement(dialect: str) -> Any:
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = build(reference_counters).values(scope=bindparam("scope"), last=1)
    return statement.on_conflict_do_update(
        index_elements=[_C.scope], set_={"last": _C.last + 1}
    ).returning(_C.last)


_NEXT = {name: _next_statement(name) for name in ("postgresql", "sqlite")}


class SqlIncidentReferences:
    """Issues incident reference numbers and finds a reference's contact."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def next_number(self, scope: str) -> int:
        """The next number in ``scope`` (1 for its first), held by this transaction."""
        statement = _NEXT[self._connection.dialect.name]
        return int(self._connection.execute(statement, {"scope": scope}).scalar_one())

    def link(self, reference: str, contact_id: str, at: datetime) -> None:
        """Record that ``reference`` was issued to ``contact_id``; :class:`Conflict` when the
        reference was issued before (the transaction must roll back)."""
        row = {"reference": reference, "contact_id": contact_id, "issued_at": at}
        try:
            self._connection.execute(insert(incident_references), row)
        except IntegrityError as exc:
            raise Conflict(f"incident reference {reference} is already issued") from exc

    def contact_for(self, reference: str) -> str | None:
        """The id of the contact ``reference`` was issued to, or ``None``."""
        query = select(incident_references.c.contact_id).where(
            incident_references.c.reference == reference
        )
        found = self._connection.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def for_contacts(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """The reference issued to each of ``contact_ids`` that has one, by contact id."""
        if not contact_ids:
            return {}
        c = incident_references.c
        query = select(c.contact_id, c.reference).where(c.contact_id.in_(list(contact_ids)))
        return {str(row.contact_id): str(row.reference) for row in self._connection.execute(query)}
