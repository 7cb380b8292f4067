"""The SQL unit of work: one connection and one transaction for every repository.

Used as ``with uow: ...; uow.commit()``. Events collected with :meth:`SqlUnitOfWork.collect`
are published only after the commit succeeds; a publisher that fails is logged and the change
stays committed. Leaving the block without committing rolls back.

Saved contacts, their caller-history rows, event answers and audit entries are written
together just before the commit (or before the same transaction next reads them), so a
transaction that changes many contacts writes each table once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Connection, Engine

from controlroom.adapters.db.accounts import SqlTokenRepository, SqlUserRepository
from controlroom.adapters.db.audit_log import SqlAuditLog
from controlroom.adapters.db.call_history import PendingCalls, SqlCallHistory
from controlroom.adapters.db.engine import SQLITE_BUSY_TIMEOUT_MS, read_only_options, writer_lock
from controlroom.adapters.db.mait_acks import SqlMaitAcks
from controlroom.adapters.db.nuisance import SqlNuisanceCases
from controlroom.adapters.db.outage import is_outage, reason
from controlroom.adapters.db.outbox import SqlOutbox
from controlroom.adapters.db.processed_events import SqlProcessedEvents
from controlroom.adapters.db.references import SqlIncidentReferences
from controlroom.adapters.db.repositories import SqlContactRepository
from controlroom.domain.errors import DatabaseUnavailable, ServiceUnavailable

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Anything with ``publish(events)``."""

    def publish(self, events: Sequence[object]) -> None:
        """Publish ``events`` in order."""


#: Also told of every committed unit of work's events, in every unit of work of the process
#: (the metrics count them): add with :func:`observe_commits`.
_OBSERVERS: list[Publisher] = []


def observe_commits(observer: Publisher) -> None:
    """Give ``observer`` the events of every unit of work committed from now on (idempotent)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)


class NullPublisher:
    """Publishes nowhere."""

    def publish(self, events: Sequence[object]) -> None:
        """Do nothing."""


def _end(connection: Connection, *, quiet: bool) -> None:
    """Roll back and close ``connection``; with ``quiet`` (the database is gone) errors doing
    so are dropped, as the error that got here says what happened."""
    try:
        connection.rollback()
    except Exception:
        if not quiet:
            raise
    finally:
        connection.close()


class SqlUnitOfWork:
    """A transaction on ``engine``; ``read_only`` units read a consistent snapshot and take no
    write lock (on SQLite, ``BEGIN DEFERRED``; on PostgreSQL, ``REPEATABLE READ READ ONLY``),
    or with ``snapshot=False`` read each statement's latest committed data (on PostgreSQL, no
    transaction: no ``BEGIN`` or ``ROLLBACK`` round trips)."""

    contacts: SqlContactRepository
    audit: SqlAuditLog
    users: SqlUserRepository
    tokens: SqlTokenRepository
    processed_events: SqlProcessedEvents
    calls: SqlCallHistory
    nuisance_cases: SqlNuisanceCases
    references: SqlIncidentReferences
    outbox: SqlOutbox
    mait_acks: SqlMaitAcks
    _calls_pending: PendingCalls

    def __init__(
        self,
        engine: Engine,
        publisher: Publisher | None = None,
        *,
        read_only: bool = False,
        snapshot: bool = True,
        outbox_destinations: frozenset[str] = frozenset(),
    ) -> None:
        self.engine = engine
        self.outbox_destinations = outbox_destinations
        self.publisher = publisher or NullPublisher()
        self.read_only = read_only
        self._options = read_only_options(engine, snapshot=snapshot) if read_only else None
        self._connection: Connection | None = None
        self._pending: list[object] = []
        self._lock = None if read_only else writer_lock(engine)

    @property
    def connection(self) -> Connection:
        """The connection of the current ``with`` block."""
        if self._connection is None:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self._connection

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("the unit of work is already in use")
        if self._lock is not None and not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise ServiceUnavailable(
                "the database is busy",
                hint="try again in a moment; if it persists, check "
                "for a long-running command holding the database",
            )
        try:
            connection = self.engine.connect()
        except BaseException as exc:
            if self._lock is not None:
                self._lock.release()
            if is_outage(exc):
                log.warning("database unavailable: %s", reason(exc))
                raise DatabaseUnavailable() from exc
            raise
        if self._options is not None:
            connection = connection.execution_options(**self._options)
        self._connection = connection
        self._pending = []
        self._calls_pending = PendingCalls(connection)
        self.contacts = SqlContactRepository(connection, self._calls_pending)
        self.audit = SqlAuditLog(connection, snapshot=self.read_only)
        self.users = SqlUserRepository(connection)
        self.tokens = SqlTokenRepository(connection)
        self.processed_events = SqlProcessedEvents(connection)
        self.calls = SqlCallHistory(connection, self._calls_pending)
        self.nuisance_cases = SqlNuisanceCases(connection)
        self.references = SqlIncidentReferences(connection)
        self.outbox = SqlOutbox(connection, self.outbox_destinations)
        self.mait_acks = SqlMaitAcks(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        self._pending = []
        outage = exc is not None and is_outage(exc)
        if connection is not None:
            try:
                _end(connection, quiet=outage)
            finally:
                if self._lock is not None:
                    self._lock.release()
        if outage and exc is not None and not isinstance(exc, DatabaseUnavailable):
            log.warning("database unavailable: %s", reason(exc))
            raise DatabaseUnavailable() from exc

    def collect(self, events: Sequence[object]) -> None:
        """Queue ``events`` to publish after the commit."""
        self._pending.extend(events)

    def flush(self) -> None:
        """Write what the repositories keep back until the commit (saved contacts, their
        caller-history rows, event answers); audit entries stay for the commit."""
        self.contacts.flush()
        self._calls_pending.flush()
        self.processed_events.flush()

    def commit(self) -> None:
        """Commit the transaction, then publish what was collected."""
        connection = self.connection
        self.flush()
        self.audit.flush()
        connection.commit()
        self._forget()
        pending, self._pending = self._pending, []
        if pending:
            for publisher in (self.publisher, *_OBSERVERS):
                try:
                    publisher.publish(pending)
                except Exception:
                    log.exception("publishing %d events after commit failed", len(pending))

    def rollback(self) -> None:
        """Undo the transaction so far and drop the collected events."""
        self.connection.rollback()
        self._forget()
        self._calls_pending.forget()
        self._pending = []

    def _forget(self) -> None:
        """The transaction ended: what the repositories held for it no longer holds."""
        self.audit.forget()
        self.contacts.forget()
        self.processed_events.forget()
