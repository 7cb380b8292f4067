"""Telling a database outage from other database errors, and the error it becomes.

A connection refused, dropped or timed out is an outage: nothing the request did wrong, and
the same request may well succeed once the database is back. The unit of work turns such
errors into :class:`DatabaseUnavailable` (the web layer answers 503 with ``Retry-After``; the
CLI prints one line). The engine's pool replaces dead connections by itself, so the service
recovers without a restart when the database returns.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from controlroom.domain.errors import DatabaseUnavailable


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` says the database could not be reached or the connection broke."""
    if isinstance(exc, DatabaseUnavailable | DisconnectionError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError) and not _sqlite_usage(exc)


def _sqlite_usage(exc: DBAPIError) -> bool:
    """SQLite reports a missing table or a bad statement as an OperationalError too; those are
    not outages (a locked database is: it clears by itself)."""
    module = type(exc.orig).__module__ if exc.orig is not None else ""
    if not module.startswith("sqlite3"):
        return False
    text = str(exc.orig).lower()
    return not ("locked" in text or "unable to open" in text or "disk i/o" in text)


def reason(exc: BaseException) -> str:
    """The first line of what the driver said, for a log line or a one-line error."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__
