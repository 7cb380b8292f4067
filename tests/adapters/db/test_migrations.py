"""Migrations: they build exactly the schema ``tables.py`` describes, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect

from controlroom.adapters.db import migrate
from controlroom.adapters.db.tables import metadata


def test_no_drift_between_the_migrations_and_the_tables(database_url: str) -> None:
    assert migrate.check_drift(database_url) == []


def test_the_database_is_at_the_head_revision(database_url: str) -> None:
    assert migrate.current(database_url) == migrate.head_revision()
    migrate.upgrade(database_url)  # again: nothing to do
    assert migrate.current(database_url) == migrate.head_revision()


def test_drift_is_detected(database_engine: Engine, database_url: str) -> None:
    with database_engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_contacts_state")
    try:
        differences = migrate.check_drift(database_url)
        assert any(diff[0] == "add_index" for diff in differences), differences
    finally:  # the PostgreSQL schema is shared by the session
        with database_engine.begin() as connection:
            connection.exec_driver_sql("CREATE INDEX ix_contacts_state ON contacts (state)")


def test_a_new_file_is_migrated_from_nothing_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'controlroom.db'}"
    assert migrate.current(url) is None
    migrate.upgrade(url)
    engine_tables = set(inspect_tables(url))
    assert {table.name for table in metadata.sorted_tables} <= engine_tables
    config = migrate.alembic_config(url)
    command.downgrade(config, "base")
    assert migrate.current(url) is None
    assert set(inspect_tables(url)) == {"alembic_version"}
    migrate.upgrade(url)
    assert migrate.check_drift(url) == []


def inspect_tables(url: str) -> list[str]:
    from controlroom.adapters.db.engine import create_engine_for

    engine = create_engine_for(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_the_chain_head_starts_at_genesis(database_engine: Engine) -> None:
    with database_engine.connect() as connection:
        row = connection.exec_driver_sql("SELECT id, seq, hash FROM audit_head").one()
    assert tuple(row) == (1, 0, "0" * 64)
