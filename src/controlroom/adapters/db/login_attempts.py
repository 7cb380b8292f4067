"""Sign-in failure counts in the ``login_attempts`` table, shared by every instance using the
database (``services/login_limits.AttemptStore``).

Reading takes no write lock. A change is one short transaction of its own: the row is read
``FOR UPDATE`` on PostgreSQL (a SQLite writer holds the whole file), changed and committed,
so two instances counting the same key at once both count. Counts forgotten for a day are
deleted now and then by the changes themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.engine import SQLITE_BUSY_TIMEOUT_MS, read_only_options, writer_lock
from controlroom.adapters.db.tables import login_attempts
from controlroom.domain.errors import ServiceUnavailable
from controlroom.domain.login_backoff import Attempts

T = TypeVar("T")
_T = login_attempts
_COLUMNS = ("failures", "last_failure_at", "next_at", "reported_at", "unreported")
_READ = select(_T).where(_T.c.key.in_(bindparam("b_keys", expanding=True)))
#: Counts untouched for this long are deleted (the rules forget them after a day).
KEEP = timedelta(days=2)
PRUNE_EVERY_SECONDS = 600.0


def _attempts(row: Any) -> Attempts:
    return Attempts(row.failures, row.last_failure_at, row.next_at, row.reported_at, row.unreported)


def _values(record: Attempts) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _COLUMNS}


class SqlAttemptStore:
    """Failure counts in the database behind ``engine``; thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read_options = read_only_options(engine, snapshot=False)
        self._lock = writer_lock(engine)
        self._pruned_at = time.monotonic()
        self._prune_guard = threading.Lock()

    def read(self, keys: Sequence[str]) -> dict[str, Attempts]:
        """The counts under ``keys``."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**self._read_options)
            rows = connection.execute(_READ, {"b_keys": list(keys)}).all()
            connection.rollback()
        return {row.key: _attempts(row) for row in rows}

    def change(self, key: str, change: Callable[[Attempts | None], tuple[Attempts | None, T]]) -> T:
        """Change the count under ``key`` atomically (see ``AttemptStore``)."""
        try:
            return self._change(key, change)
        except IntegrityError:  # another instance added the key meanwhile: change theirs
            return self._change(key, change)

    def _change(
        self, key: str, change: Callable[[Attempts | None], tuple[Attempts | None, T]]
    ) -> T:
        with self._writing() as connection:
            query = select(_T).where(_T.c.key == key).with_for_update()
            row = connection.execute(query).first()
            new, result = change(None if row is None else _attempts(row))
            if new is not None and row is None:
                connection.execute(insert(_T).values(key=key, **_values(new)))
            elif new is not None:
                connection.execute(update(_T).where(_T.c.key == key).values(**_values(new)))
            elif row is not None:
                connection.execute(delete(_T).where(_T.c.key == key))
            connection.commit()
        self._prune_now_and_then()
        return result

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        lock = self._lock
        if lock is not None and not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise ServiceUnavailable("the database is busy", hint="try again in a moment")
        try:
            with self.engine.connect() as connection:
                yield connection
        finally:
            if lock is not None:
                lock.release()

    def _prune_now_and_then(self) -> None:
        with self._prune_guard:
            if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
                return
            self._pruned_at = time.monotonic()
        self.prune(datetime.now(UTC) - KEEP)

    def prune(self, before: datetime) -> int:
        """Delete the counts whose last failure was before ``before``; how many."""
        with self._writing() as connection:
            gone = connection.execute(delete(_T).where(_T.c.last_failure_at < before)).rowcount
            connection.commit()
        return int(gone or 0)
