"""``controlroom db backup`` and ``db restore``: the drill (back up while contacts are being
written, restore into a fresh database, the audit chain intact and the counts equal), and the
refusals (a damaged file, a database holding data, a newer schema, a missing pg_dump).

Each test gets two databases of its own, once on SQLite and once on PostgreSQL (a database
created for the test and dropped after: ``pg_dump`` works on whole databases)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from controlroom.adapters.db import backup_file, migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Answer, Caller, Role
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from tests.adapters.db.conftest import allow_tampering
from tests.cli.test_audit_cli import run
from tests.conftest import DEFAULT_POSTGRESQL_URL, requested_databases

HANDLER = Principal("alice", Role.CALL_HANDLER)


@dataclass
class Databases:
    kind: str
    new: Callable[[], str]  # a new empty database's URL


@pytest.fixture(params=requested_databases())
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Makes empty databases of one kind; PostgreSQL ones are dropped at the end."""
    if request.param == "sqlite":
        names = iter(range(1000))
        yield Databases("sqlite", lambda: f"sqlite:///{tmp_path / f'db{next(names)}.db'}")
        return
    import os

    from sqlalchemy.engine import make_url

    base = make_url(os.environ.get("CONTROLROOM_TEST_POSTGRESQL_URL", DEFAULT_POSTGRESQL_URL))
    admin = create_engine_for(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"cr_backup_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0")
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    try:
        yield Databases("postgresql", make)
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def migrated(url: str, revision: str = "head") -> str:
    migrate.upgrade(url, revision)
    return url


def count(url: str, table: str) -> int:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Offers and answers contacts through the service, as handlers would, until stopped."""

    def __init__(self, url: str, policy: Policy) -> None:
        super().__init__(daemon=True)
        self.factory = uow_factory(Settings(database_url=url, demo=False), migrate_first=False)
        self.policy = policy
        self.stop = threading.Event()
        self.made = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                details = service.offer_contact(
                    self.factory,
                    HANDLER,
                    channel=Channel.NINE_NINE_NINE,
                    caller=Caller(number="+447700900001"),
                    narrative="Someone is shouting in the street",
                    now=datetime.now(UTC),
                    policy=self.policy,
                )
                service.do_action(
                    self.factory,
                    HANDLER,
                    details.contact.id,
                    Answer(),
                    datetime.now(UTC),
                    self.policy,
                )
                self.made += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, made: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.made < made and time.monotonic() < deadline and self.error is None:
            time.sleep(0.02)
        assert self.error is None, self.error
        assert self.made >= made, f"only {self.made} contacts written in {timeout} s"


def flip_a_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_drill_backup_under_load_restores_intact(
    databases: Databases, policy: Policy, tmp_path: Path
) -> None:
    source = migrated(databases.new())
    writer = Writer(source, policy)
    writer.start()
    try:
        writer.wait_for(10)
        code, out, err = run(source, "db", "backup", str(tmp_path / "drill.bak"))
        assert code == 0, err
        writer.wait_for(writer.made + 5)  # still writing after the backup
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None
    assert "backed up" in out and f"{databases.kind}, revision" in out
    manifest, _ = backup_file.read_manifest(tmp_path / "drill.bak")
    assert manifest.kind == databases.kind and manifest.revision == migrate.head_revision()
    assert 10 <= manifest.counts["contacts"] < count(source, "contacts")
    # each contact has its offer's row and, unless the snapshot fell between the two, its answer's
    assert manifest.counts["audit_log"] == manifest.audit_seq >= 2 * manifest.counts["contacts"] - 1

    target = databases.new()
    code, out, err = run(target, "db", "restore", str(tmp_path / "drill.bak"))
    assert code == 0, err
    assert "row counts equal the manifest's" in out and "audit log intact" in out
    assert "checking" in err and "verifying the audit chain" in err  # progress on stderr
    for table, rows in manifest.counts.items():
        assert count(target, table) == rows, table
    code, out, _ = run(target, "audit", "verify")
    assert code == 0
    assert f"audit log intact: {manifest.audit_seq} rows; head row {manifest.audit_seq}, " in out
    assert f"hash {manifest.audit_hash}" in out
    assert f"contacts match their audit trail: {manifest.counts['contacts']} checked" in out


def test_a_damaged_backup_is_refused_and_nothing_is_restored(
    databases: Databases, tmp_path: Path
) -> None:
    source = migrated(databases.new())
    assert run(source, "users", "add", "alice", "--role", "call_handler")[0] == 0
    backup = tmp_path / "users.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    size = backup.stat().st_size
    target = migrated(databases.new())
    for at, says in [(size // 2, "the dump does not match"), (40, "the manifest does not match")]:
        damaged = tmp_path / f"damaged-{at}.bak"
        damaged.write_bytes(backup.read_bytes())
        flip_a_byte(damaged, at)
        code, _, err = run(target, "db", "restore", str(damaged))
        assert code == 2 and says in err and "nothing was restored" in err, err
        assert count(target, "users") == 0
    (tmp_path / "not-a-backup.bak").write_text("hello\n")
    code, _, err = run(target, "db", "restore", str(tmp_path / "not-a-backup.bak"))
    assert code == 2 and "not a controlroom backup" in err
    code, _, err = run(target, "db", "restore", str(tmp_path / "missing.bak"))
    assert code == 2 and "cannot be read" in err


def test_a_database_holding_data_is_replaced_only_with_force(
    databases: Databases, tmp_path: Path
) -> None:
    source = migrated(databases.new())
    assert run(source, "users", "add", "alice", "--role", "call_handler")[0] == 0
    backup = tmp_path / "alice.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    target = migrated(databases.new())
    assert run(target, "users", "add", "bob", "--role", "call_handler")[0] == 0
    code, _, err = run(target, "db", "restore", str(backup))
    assert code == 2 and "already holds data" in err and "--force" in err
    code, out, _ = run(target, "users", "list")
    assert "bob" in out and "alice" not in out
    code, _, err = run(target, "db", "restore", "--force", str(backup))
    assert code == 0, err
    code, out, _ = run(target, "users", "list")
    assert "alice" in out and "bob" not in out
    assert run(target, "audit", "verify")[0] == 0


def _rewrite_manifest(path: Path, **changes: object) -> None:
    manifest, offset = backup_file.read_manifest(path)
    raw = json.loads(path.read_bytes().split(b"\n", 2)[1]) | changes
    line = json.dumps(raw, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    header = f"controlroom-backup 1 {hashlib.sha256(line).hexdigest()}\n".encode()
    path.write_bytes(header + line + path.read_bytes()[offset:])
    assert manifest is not None


def test_a_backup_from_a_newer_schema_is_refused(databases: Databases, tmp_path: Path) -> None:
    source = migrated(databases.new())
    backup = tmp_path / "future.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    _rewrite_manifest(backup, revision="0099_future", version="9.0")
    code, _, err = run(databases.new(), "db", "restore", str(backup))
    assert code == 2
    assert "holds schema revision 0099_future (controlroom 9.0), newer than this version" in err
    assert "restore it with controlroom 9.0 or later" in err


def test_a_backup_from_an_older_schema_is_upgraded(databases: Databases, tmp_path: Path) -> None:
    source = migrated(databases.new(), "0008_incident_references")
    backup = tmp_path / "older.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    target = databases.new()
    code, out, err = run(target, "db", "restore", str(backup))
    assert code == 0, err
    assert "schema upgraded from 0008_incident_references" in out
    assert migrate.current(target) == migrate.head_revision()


def test_a_backup_whose_audit_chain_is_broken_does_not_restore_cleanly(
    databases: Databases, tmp_path: Path
) -> None:
    source = migrated(databases.new())
    for name in ("alice", "bob"):
        assert run(source, "users", "add", name, "--role", "call_handler")[0] == 0
    engine = create_engine_for(source)
    with engine.begin() as connection:
        allow_tampering(connection)
        connection.execute(text("UPDATE audit_log SET subject = 'user:mallory' WHERE seq = 1"))
    engine.dispose()
    backup = tmp_path / "tampered.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    target = databases.new()
    code, _, err = run(target, "db", "restore", str(backup))
    assert code == 1
    assert "audit log broken at row 1 (edited)" in err
    if databases.kind == "sqlite":  # restored beside the target, never renamed over it
        assert "was not changed" in err
        assert not Path(target.removeprefix("sqlite:///")).exists()


def test_the_backup_refuses_what_it_cannot_do(databases: Databases, tmp_path: Path) -> None:
    source = migrated(databases.new())
    code, _, err = run(source, "db", "backup", str(tmp_path / "no" / "such" / "x.bak"))
    assert code == 2 and "does not exist — create the folder first" in err
    if databases.kind == "postgresql":
        code, _, err = run(source, "db", "backup", "--pg-dump", "/nonexistent/pg_dump", "x")
        assert code == 2 and "apt-get install postgresql-client" in err
        assert "--pg-dump" in err
    else:
        live = source.removeprefix("sqlite:///")
        before = Path(live).read_bytes()
        for name in (live, live + "-wal"):
            code, _, err = run(source, "db", "backup", name)
            assert code == 2 and "is the database itself" in err
        assert Path(live).read_bytes() == before
        missing = f"sqlite:///{tmp_path / 'missing.db'}"
        code, _, err = run(missing, "db", "backup", str(tmp_path / "x.bak"))
        assert code == 2 and "does not exist" in err
    assert not list(tmp_path.glob("*.bak")) and not list(tmp_path.glob(".*partial"))


def test_a_manifest_of_the_wrong_shape_is_refused(databases: Databases, tmp_path: Path) -> None:
    source = migrated(databases.new())
    backup = tmp_path / "shape.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    _rewrite_manifest(backup, counts=["users"], later_field="ignored")
    code, _, err = run(databases.new(), "db", "restore", str(backup))
    assert code == 2 and "not of the expected types" in err and "nothing was restored" in err


def test_a_backup_restores_only_into_its_kind_of_database(
    databases: Databases, tmp_path: Path
) -> None:
    source = migrated(databases.new())
    backup = tmp_path / "kind.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    other = "Pos" if databases.kind == "sqlite" else "SQLite"
    _rewrite_manifest(backup, kind="postgresql" if databases.kind == "sqlite" else "sqlite")
    code, _, err = run(databases.new(), "db", "restore", str(backup))
    assert code == 2 and f"is a backup of a {other}" in err
