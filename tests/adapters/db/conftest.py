"""Fixtures for the database tests: units of work on each test database, and tampering."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine

from controlroom.adapters.db.uow import SqlUnitOfWork
from tests.fakes.uow import FakePublisher

MakeUow = Callable[..., SqlUnitOfWork]


@pytest.fixture
def publisher() -> FakePublisher:
    """Remembers what was published."""
    return FakePublisher()


@pytest.fixture
def make_uow(database_engine: Engine, publisher: FakePublisher) -> MakeUow:
    """Makes a unit of work on the test database (``read_only=True`` for a reading one)."""

    def make(*, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(database_engine, publisher, read_only=read_only, snapshot=snapshot)

    return make


def allow_tampering(connection: Connection) -> None:
    """Switch off the append-only triggers, as somebody with the database's keys could."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
