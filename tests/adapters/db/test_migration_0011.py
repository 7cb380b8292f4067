"""Migration 0011 on each database: an audit log written before it keeps verifying as chain
version 1 with its digests filled in; new rows are version 2; a downgrade works while every row
is of version 1 and is refused once a version 2 row exists."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import JSON, Engine, bindparam, text
from sqlalchemy.engine import make_url

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.tables import UTCDateTime
from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.domain.audit import GENESIS_HASH, AuditTag, chain_hash, details_digest
from controlroom.domain.contacts import Actor, Role
from tests.conftest import DEFAULT_POSTGRESQL_URL, requested_databases
from tests.domain.contacts.helpers import START
from tests.fakes.uow import FakePublisher

BEFORE = "0010_mait_acknowledgements"
OLD_DETAILS = [{"note": "Ménage à trois ☎", "n": 1.5}, {"list": [1, 2], "nested": {"b": 1}}]


@pytest.fixture(params=requested_databases())
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (a schema of its own on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    base = make_url(os.environ.get("CONTROLROOM_TEST_POSTGRESQL_URL", DEFAULT_POSTGRESQL_URL))
    schema = f"cr_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


OLD_INSERT = text(
    "INSERT INTO audit_log (seq, actor, role, tag, subject, at, details, prev_hash, hash) "
    "VALUES (:seq, :actor, :role, :tag, 'contact:C-1', :at, :details, :prev, :hash)"
).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("details", type_=JSON()))


def write_old_rows(engine: Engine, first: int = 1, prev: str = GENESIS_HASH) -> str:
    """Two rows as controlroom wrote them before 0011 (rows ``first`` and the next); the last
    hash."""
    with engine.begin() as connection:
        for seq, details in enumerate(OLD_DETAILS, first):
            at = START + timedelta(seconds=seq)
            fields = {"actor": "alice", "role": "call_handler", "tag": "contact:procedure:add_note"}
            hashed = chain_hash(
                prev, seq=seq, subject="contact:C-1", at=at, details=details, **fields
            )
            params = {"seq": seq, "at": at, "details": details, "prev": prev, "hash": hashed}
            connection.execute(OLD_INSERT, params | fields)
            prev = hashed
        head = {"seq": first + 1, "h": prev}
        connection.execute(text("UPDATE audit_head SET seq = :seq, hash = :h"), head)
    return prev


def test_0011_up_and_down(fresh_url: str) -> None:
    migrate.upgrade(fresh_url, BEFORE)
    engine = create_engine_for(fresh_url)
    try:
        last = write_old_rows(engine)
        migrate.upgrade(fresh_url)
        assert migrate.current(fresh_url) == migrate.head_revision()
        assert migrate.check_drift(fresh_url, engine=engine) == []
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT details_digest, chain_version FROM audit_log ORDER BY seq")
            ).all()
        assert [tuple(row) for row in rows] == [(details_digest(d), 1) for d in OLD_DETAILS]
        uow = SqlUnitOfWork(engine, FakePublisher(), read_only=True)
        with uow:
            report = uow.audit.verify()
        assert report.ok and (report.count, report.version_1) == (2, 2)

        config = migrate.alembic_config(fresh_url)
        command.downgrade(config, BEFORE)  # only version 1 rows: allowed, nothing lost
        assert migrate.current(fresh_url) == BEFORE
        with engine.begin() as connection, pytest.raises(Exception, match="append-only"):
            connection.execute(text("UPDATE audit_log SET actor = 'x'"))
        migrate.upgrade(fresh_url)

        # an instance of the older version still running during a rolling deploy writes rows
        # without the new columns: they are of chain version 1, and verify
        last = write_old_rows(engine, 3, last)
        with SqlUnitOfWork(engine, FakePublisher()) as writing:
            actor = Actor("bob", Role.CALL_HANDLER)
            writing.audit.append(actor, AuditTag.CONTACT_ADD_NOTE, "contact:C-1", {"n": 3}, START)
            writing.commit()
        with SqlUnitOfWork(engine, FakePublisher(), read_only=True) as reading:
            report = reading.audit.verify()
        assert report.ok and (report.count, report.version_1) == (5, 4)
        with pytest.raises(RuntimeError, match=r"rows of chain version 2 \(1\)"):
            command.downgrade(config, BEFORE)
        assert migrate.current(fresh_url) == migrate.head_revision()
    finally:
        engine.dispose()
