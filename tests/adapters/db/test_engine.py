"""Engines: URL rewriting, SQLite's pragmas, and how transactions begin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from controlroom.adapters.db import engine as engine_module
from controlroom.adapters.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_engine_for,
    is_sqlite,
    normalise_url,
    read_only_options,
)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    ],
)
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    assert normalise_url(url).drivername == "postgresql+psycopg"
    assert not is_sqlite(url)


def test_sqlite_file_gets_wal_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "controlroom.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_in_memory_works(tmp_path: Path) -> None:
    engine = create_engine_for("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_writers_begin_immediate_and_readers_deferred(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.commit()
        with engine.connect() as writer, engine.connect() as reader, engine.connect() as other:
            writer.exec_driver_sql("INSERT INTO t VALUES (1)")  # BEGIN IMMEDIATE: lock held
            reader = reader.execution_options(**read_only_options(engine))
            assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
            other.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
            with pytest.raises(Exception, match="locked"):
                other.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


def test_unsupported_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        create_engine_for("mysql://localhost/x")


def test_the_test_database_is_reachable(database_engine: Engine) -> None:
    with database_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_a_pooled_connection_the_server_closed_is_replaced_unseen(
    database_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL closes connections; SQLite has none to close")
    first = _backend(database_engine)
    assert _backend(database_engine) == first  # the pool hands the same connection back
    admin = create_engine_for(database_engine.url)
    with admin.connect() as other:  # the server closes the pooled connection
        other.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
        other.commit()
    admin.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle
    replacement = _backend(database_engine)  # no error: checked, found dead and replaced
    assert replacement != first


def test_a_connection_used_a_moment_ago_is_not_checked_again(database_engine: Engine) -> None:
    if database_engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL connections are checked")
    _backend(database_engine)
    statements: list[str] = []
    event.listen(
        database_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )
    with database_engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert statements == ["SELECT 1"]  # no round trip to check the connection first


def test_a_look_up_without_snapshot_sends_no_begin(database_engine: Engine) -> None:
    if database_engine.dialect.name != "postgresql":
        pytest.skip("SQLite begins without a round trip")
    options = read_only_options(database_engine, snapshot=False)
    with database_engine.connect() as connection:
        connection = connection.execution_options(**options)
        connection.exec_driver_sql("SELECT 1")
        status = connection.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
        assert status.name == "IDLE"  # no transaction was opened
