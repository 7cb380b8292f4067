"""Engines from database URLs: SQLite tuned for a control room's writes, or PostgreSQL.

SQLite files get WAL journalling (readers never wait for the writer), ``synchronous=NORMAL``,
foreign keys on and a busy timeout; the file's directory is created if missing. Transactions
are begun by us rather than by the driver: ``BEGIN IMMEDIATE`` for a unit of work that may
write (so writers queue for the lock at the start instead of failing half-way), ``BEGIN
DEFERRED`` for a read-only one. PostgreSQL URLs use psycopg 3; ``postgresql://`` and
``postgres://`` are accepted and rewritten to ``postgresql+psycopg://``. JSON columns are
written and read with orjson.
"""

from __future__ import annotations

import threading
import time
import weakref
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.pool import NullPool

#: How long a SQLite connection waits for a lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Connections kept open per engine unless the caller says (``controlroom serve`` sizes them
#: from the machine, domain/sizing.py): enough for a thread pool under load, so that a busy
#: service does not open and close a connection for every request.
POOL_SIZE = 20
POOL_OVERFLOW = 40
#: A pooled PostgreSQL connection idle for longer than this is checked (a round trip) before
#: it is used again; one used more recently is trusted, so a busy service pays nothing.
PING_AFTER_IDLE_SECONDS = 5.0
#: Seconds to wait for a new PostgreSQL connection before calling the database unreachable
#: (``connect_timeout`` in the URL overrides it).
CONNECT_TIMEOUT_SECONDS = 5
#: Execution option naming how a SQLite transaction begins: "IMMEDIATE" or "DEFERRED".
SQLITE_BEGIN = "controlroom_sqlite_begin"


def normalise_url(url: str | URL) -> URL:
    """``url`` parsed, with PostgreSQL URLs pointed at the psycopg 3 driver."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(url: str | URL) -> bool:
    """True for a SQLite URL."""
    return normalise_url(url).get_backend_name() == "sqlite"


def json_text(value: Any) -> str:
    """``value`` as JSON text, for JSON columns: as the standard library writes it (keys that
    are not strings become strings) but compact, and several times faster."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine_for(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), configured as this module describes."""
    parsed = normalise_url(url)
    options = {"json_serializer": json_text, "json_deserializer": orjson.loads} | options
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, **options)
    if backend == "postgresql":
        pool: dict[str, Any] = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
        if "connect_timeout" not in parsed.query:
            pool["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        engine = create_engine(parsed, **(pool | options))
        _ping_when_idle(engine)
        return engine
    raise ValueError(f"unsupported database {backend!r}: use a sqlite:// or postgresql:// URL")


def max_connections(url: str | URL) -> int | None:
    """PostgreSQL's ``max_connections`` (one short connection); None for SQLite, or when the
    server cannot be asked (whatever uses the database then says why)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    options: dict[str, Any] = {"poolclass": NullPool}
    if "connect_timeout" not in parsed.query:
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        engine = create_engine(parsed, **options)
        try:
            with engine.connect() as connection:
                return int(connection.execute(text("SHOW max_connections")).scalar_one())
        finally:
            engine.dispose()
    except (SQLAlchemyError, ValueError):
        return None


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it has been idle a while (the database may
    have restarted or closed it since): a dead one is replaced, unseen by the caller.

    Checking every connection on every use (``pool_pre_ping``) costs a round trip per unit of
    work, which is most of a short read's time; a connection used in the last
    :data:`PING_AFTER_IDLE_SECONDS` was alive a moment ago. If it died since, the statement
    fails, the pool is emptied and the next unit of work gets a fresh connection.
    """

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is not None and time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is closed") from exc

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()


_LAST_USED = "controlroom_last_used"


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if in_memory:  # one connection, held by its thread: no pool to size
        options = {k: v for k, v in options.items() if k not in ("pool_size", "max_overflow")}
    else:
        options = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW} | options
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite transaction mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITER_LOCKS_GUARD = threading.Lock()


def writer_lock(engine: Engine) -> threading.RLock | None:
    """The lock a writing unit of work on a SQLite ``engine`` holds from start to end; ``None``
    for other databases.

    SQLite lets one writer in at a time, and a writer that finds the file locked sleeps and
    tries again (the busy timeout), so under load some writers wait far longer than others.
    Writers of one process queue on this lock instead and go in turn, each as soon as the one
    before it ends; other processes still meet SQLite's own lock.
    """
    if engine.dialect.name != "sqlite":
        return None
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            lock = _WRITER_LOCKS[engine] = threading.RLock()
        return lock


def read_only_options(engine: Engine, *, snapshot: bool = True) -> dict[str, Any]:
    """Execution options for a connection that only reads: with a consistent ``snapshot`` for
    all its statements, or (``snapshot=False``) each statement reading the latest committed
    data on its own, which on PostgreSQL saves the round trips of a transaction."""
    if engine.dialect.name == "sqlite":
        return {SQLITE_BEGIN: "DEFERRED"}
    if engine.dialect.name == "postgresql":
        if not snapshot:
            return {"isolation_level": "AUTOCOMMIT"}
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    return {}
