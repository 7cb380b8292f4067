"""Back up the database while the service writes, and restore it, checked, into another.

SQLite: the online backup API copies the database in one read transaction (a consistent
snapshot; WAL lets writers carry on). PostgreSQL: ``pg_dump --format=custom`` reads a snapshot
exported by a transaction that also counts the rows and reads the audit chain's head, so the
manifest describes exactly what was dumped; ``pg_restore --single-transaction`` restores it.

A restore checks the file first (:mod:`backup_file`), refuses a schema newer than this
version's migrations and a target that holds data (unless forced), then compares the rows per
table with the manifest, upgrades an older schema, and verifies the audit chain (ending at
the manifest's head) and every contact against its trail. SQLite is restored into a temporary
file beside the target, renamed over it only when every check passed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL

from controlroom.adapters.db import backup_file, migrate
from controlroom.adapters.db.backup_file import Manifest
from controlroom.adapters.db.engine import create_engine_for, normalise_url
from controlroom.adapters.db.tables import metadata
from controlroom.domain.errors import InvalidInput

Progress = Callable[[str], None]
#: Tables a fresh, migrated database already has rows in.
BOOKKEEPING = ("alembic_version", "audit_head")


@dataclass
class RestoreReport:
    """What a restore found. ``problems`` empty: the restored database matches the backup."""

    manifest: Manifest
    counts: dict[str, int]
    upgraded: bool = False
    upgraded_from: str | None = None
    audit_rows: int = 0
    audit_hash: str = ""
    contacts_checked: int = 0
    problems: list[str] = field(default_factory=list)
    replaced: bool = True


def quiet(_message: str) -> None:
    pass


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows in each of the schema's tables that exist in the database."""
    present = set(inspect(connection).get_table_names())
    return {
        table.name: int(connection.execute(text(f"SELECT count(*) FROM {table.name}")).scalar_one())
        for table in metadata.sorted_tables
        if table.name in present
    }


def _head(connection: Connection) -> tuple[int, str]:
    row = connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one_or_none()
    return (0, "") if row is None else (int(row[0]), str(row[1]))


def _revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def _describe(connection: Connection, kind: str, version: str) -> Manifest:
    seq, hash_ = _head(connection)
    return Manifest(
        kind=kind,
        revision=_revision(connection),
        version=version,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        counts=table_counts(connection),
        audit_seq=seq,
        audit_hash=hash_,
    )


def sqlite_path(url: str | URL) -> Path:
    """The file of a SQLite URL; an in-memory database cannot be backed up or restored."""
    database = normalise_url(url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise InvalidInput(
            f"the database {database or ':memory:'!r} is not a file",
            field="CONTROLROOM_DATABASE_URL",
            hint="give a sqlite:///PATH or postgresql:// URL",
        )
    return Path(database).expanduser()


def find_tool(name: str, given: str | None) -> str:
    """The path of a PostgreSQL client tool: ``given`` or found on PATH."""
    found = shutil.which(given or name)
    if found is None:
        option = name.replace("_", "-")
        raise InvalidInput(
            f"{given or name} not found" + ("" if given else " on PATH"),
            field=f"--{option}",
            hint=f"install the PostgreSQL client tools (Debian: apt-get install "
            f"postgresql-client, the same major version as the server) or give --{option} PATH",
        )
    return found


def libpq(url: str | URL) -> tuple[str, dict[str, str]]:
    """``url`` as a libpq connection URI without its password, and the environment that
    carries the password (so it never appears in the process list)."""
    parsed = normalise_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run_tool(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise InvalidInput(
            f"{what} failed (exit {result.returncode}): {reason[-1] if reason else 'no output'}",
            hint="nothing was written; for a server version mismatch install the PostgreSQL "
            "client tools of the server's major version (Debian: postgresql-client)",
        )


def backup(
    url: str | URL,
    out: Path,
    *,
    version: str,
    pg_dump: str | None = None,
    progress: Progress = quiet,
) -> Manifest:
    """Back up the database at ``url`` into the file ``out``; the manifest written."""
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder", field="FILE", hint="give a file name")
    if not out.parent.is_dir():
        raise InvalidInput(
            f"{out.parent} does not exist", field="FILE", hint="create the folder first"
        )
    kind = normalise_url(url).get_backend_name()
    if kind == "sqlite" and out.resolve() in database_files(sqlite_path(url).resolve()):
        raise InvalidInput(
            f"{out} is the database itself (or its journal)",
            field="FILE",
            hint="give the backup a file name of its own",
        )
    tool = find_tool("pg_dump", pg_dump) if kind == "postgresql" else None
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".controlroom-backup-") as work:
        dump = Path(work) / "dump"
        if kind == "sqlite":
            manifest = _dump_sqlite(sqlite_path(url), dump, version, progress)
        else:
            assert tool is not None
            manifest = _dump_postgresql(url, dump, version, tool, progress)
        progress(f"writing {out} ({dump.stat().st_size} bytes of dump)")
        return backup_file.write(out, manifest, dump)


def _dump_sqlite(source: Path, dump: Path, version: str, progress: Progress) -> Manifest:
    if not source.is_file():
        raise InvalidInput(
            f"the database file {source} does not exist",
            field="CONTROLROOM_DATABASE_URL",
            hint="check the URL, or run `controlroom db upgrade` to create it",
        )
    progress(f"copying {source} (SQLite online backup)")
    live = sqlite3.connect(source, timeout=10)  # only read; a read-only open can miss the WAL
    copy = sqlite3.connect(dump)
    try:
        live.backup(copy)  # every page in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        live.close()
        copy.close()
    engine = create_engine(f"sqlite:///{dump}")  # plain: the copy stays out of WAL mode
    try:
        with engine.connect() as connection:
            manifest = _describe(connection, "sqlite", version)
            connection.rollback()
    finally:
        engine.dispose()
    return manifest


def _dump_postgresql(
    url: str | URL, dump: Path, version: str, tool: str, progress: Progress
) -> Manifest:
    uri, env = libpq(url)
    engine = create_engine_for(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            manifest = _describe(connection, "postgresql", version)
            progress(f"running {tool} on snapshot {snapshot}")
            command = [tool, "--format=custom", "--no-owner", "--no-privileges"]
            command += [f"--snapshot={snapshot}", f"--file={dump}", f"--dbname={uri}"]
            run_tool(command, env, "pg_dump")
            connection.rollback()
    finally:
        engine.dispose()
    return manifest


def database_files(database: Path) -> list[Path]:
    """A SQLite database's files: itself, its WAL and its shared memory."""
    return [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]


def known_revision(revision: str | None) -> bool:
    """True when this version's migrations know ``revision`` (``None``: an empty schema)."""
    if revision is None:
        return True
    try:
        return (
            ScriptDirectory.from_config(migrate.alembic_config()).get_revision(revision) is not None
        )
    except CommandError:
        return False


def holds_data(url: str | URL) -> bool:
    """True when the database at ``url`` has rows beyond a fresh schema's bookkeeping."""
    if normalise_url(url).get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return False
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            counts = table_counts(connection)
            seq, _ = _head(connection) if "audit_head" in counts else (0, "")
            connection.rollback()
    finally:
        engine.dispose()
    return seq > 0 or any(n for name, n in counts.items() if name not in BOOKKEEPING)
