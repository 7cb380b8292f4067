"""The audit log on SQLAlchemy Core: the chain in ``audit_log``, its last entry in
``audit_head``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from controlroom.adapters.db.contact_seal import check_stored_contacts
from controlroom.adapters.db.tables import audit_head, audit_log
from controlroom.domain.audit import AuditEntry, AuditTag, ChainHead, ChainReport, verify_chain
from controlroom.domain.audit_contacts import (
    CONTACT_SUBJECT,
    ContactSeal,
    ContactsReport,
    seal_of,
)
from controlroom.domain.contacts import Actor
from controlroom.domain.contacts.values import Role

# Built once, so SQLAlchemy reuses their cache keys and compiled forms (one append per change).
_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_HEAD_FOR_UPDATE = _HEAD.with_for_update()
_HEAD_FOR_SHARE = _HEAD.with_for_update(read=True)
_INSERT = insert(audit_log)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)


def entry_from_row(row: Row[Any]) -> AuditEntry:
    """An audit row as an entry."""
    return AuditEntry(
        row.seq,
        row.actor,
        row.role,
        row.tag,
        row.subject,
        row.at,
        row.details,
        row.prev_hash,
        row.hash,
        row.details_digest,
        row.chain_version,
    )


class SqlAuditLog:
    """The audit chain in ``audit_log``, its last entry recorded in ``audit_head``.

    ``append`` locks the head row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the
    ``BEGIN IMMEDIATE`` write transaction already excludes other writers), so concurrent units
    of work append one after another and the chain never forks.
    """

    def __init__(self, connection: Connection, *, snapshot: bool = False) -> None:
        self._connection = connection
        self._snapshot = snapshot
        # The head as this transaction has moved it, once locked, and the entries appended
        # since the last flush(): written together, before the commit or the next read.
        self._held: ChainHead | None = None
        self._moved = False
        self._unwritten: list[dict[str, Any]] = []

    def _head(self, *, lock: bool = False, share: bool = False) -> ChainHead:
        if self._held is not None:
            return self._held
        query = _HEAD_FOR_UPDATE if lock else _HEAD_FOR_SHARE if share else _HEAD
        row = self._connection.execute(query).one()
        head = ChainHead(row.seq, row.hash)
        if lock:
            self._held = head
        return head

    def flush(self) -> None:
        """Write the entries appended and the head as they left it (before the commit)."""
        if self._unwritten:
            self._connection.execute(_INSERT, self._unwritten)
            self._unwritten = []
        if self._moved and self._held is not None:
            params = {"b_seq": self._held.seq, "b_hash": self._held.hash}
            self._connection.execute(_MOVE_HEAD, params)
        self._moved = False

    def forget(self) -> None:
        """The transaction ended: the head must be read (and locked) again."""
        self._held, self._moved, self._unwritten = None, False, []

    def append(
        self,
        actor: Actor,
        tag: AuditTag | str,
        subject: str,
        details: Mapping[str, Any],
        at: datetime,
    ) -> AuditEntry:
        """Add the next entry and move the head on, in the current transaction. The head row
        is locked by the first append; the entries and the head are written together by
        :meth:`flush`, which the unit of work calls before it commits."""
        head = self._head(lock=True)
        entry = AuditEntry.create(
            seq=head.seq + 1,
            actor=actor.id,
            role=Role(actor.role).value,
            tag=str(tag),
            subject=subject,
            at=at,
            details=details,
            prev_hash=head.hash,
        )
        row = {
            "seq": entry.seq,
            "actor": entry.actor,
            "role": entry.role,
            "tag": entry.tag,
            "subject": entry.subject,
            "at": entry.at,
            "details": dict(entry.details),
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
            "details_digest": entry.details_digest,
            "chain_version": entry.chain_version,
        }
        self._unwritten.append(row)
        self._held, self._moved = ChainHead(entry.seq, entry.hash), True
        return entry

    def head(self) -> ChainHead:
        """The last entry written, as recorded."""
        return self._head()

    def entries(self, *, after_seq: int = 0) -> Iterator[AuditEntry]:
        """Entries after ``after_seq`` in seq order, fetched in batches."""
        self.flush()
        query = (
            select(audit_log)
            .where(audit_log.c.seq > after_seq)
            .order_by(audit_log.c.seq)
            .execution_options(yield_per=1000)
        )
        for row in self._connection.execute(query):
            yield entry_from_row(row)

    def tail(self, n: int = 20, *, subject: str | None = None) -> list[AuditEntry]:
        """The last ``n`` entries (about ``subject``), oldest first."""
        self.flush()
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(max(n, 0))
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        return [entry_from_row(row) for row in reversed(self._connection.execute(query).all())]

    def tagged(self, tag: str, *, after_seq: int = 0, limit: int = 100) -> list[AuditEntry]:
        """The first ``limit`` entries tagged ``tag`` after ``after_seq``, in seq order."""
        self.flush()
        query = (
            select(audit_log)
            .where(audit_log.c.tag == tag, audit_log.c.seq > after_seq)
            .order_by(audit_log.c.seq)
            .limit(max(limit, 0))
        )
        return [entry_from_row(row) for row in self._connection.execute(query).all()]

    def verify(self) -> ChainReport:
        """Check the chain against the head.

        On PostgreSQL outside a read-only (snapshot) unit of work, appenders are held off
        while it reads, so rows committed meanwhile cannot look like tampering.
        """
        return self.verify_all(contacts=False)[0]

    def verify_all(self, *, contacts: bool = True) -> tuple[ChainReport, ContactsReport | None]:
        """Check the chain against the head and then, when it is intact (and ``contacts``),
        every stored contact against the last ``record_hash`` its audit rows record."""
        self.flush()
        share = not self._snapshot and self._connection.dialect.name == "postgresql"
        head = self._head(share=share)
        seals: dict[str, ContactSeal] = {}
        audited: set[str] = set()

        def watched() -> Iterator[AuditEntry]:
            for entry in self.entries():
                if contacts and entry.subject.startswith(CONTACT_SUBJECT):
                    contact_id = entry.subject[len(CONTACT_SUBJECT) :]
                    audited.add(contact_id)
                    seal = seal_of(entry)
                    if seal is not None:
                        seals[contact_id] = seal
                yield entry

        chain = verify_chain(watched(), head)
        if not contacts or not chain.ok:
            return chain, None
        return chain, check_stored_contacts(self._connection, seals, audited)
