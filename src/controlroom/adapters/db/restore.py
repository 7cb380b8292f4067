"""Restore a backup (:mod:`backup`) into the configured database, and check what was restored."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.engine import URL

from controlroom.adapters.db import backup_file, migrate
from controlroom.adapters.db.audit_log import SqlAuditLog
from controlroom.adapters.db.backup import (
    Progress,
    RestoreReport,
    database_files,
    find_tool,
    holds_data,
    known_revision,
    libpq,
    quiet,
    run_tool,
    sqlite_path,
    table_counts,
)
from controlroom.adapters.db.engine import create_engine_for, normalise_url, read_only_options
from controlroom.domain.errors import InvalidInput

KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def restore(
    url: str | URL,
    path: Path,
    *,
    force: bool = False,
    pg_restore: str | None = None,
    progress: Progress = quiet,
) -> RestoreReport:
    """Restore the backup ``path`` into the database at ``url``, then check it.

    Raises :class:`InvalidInput` (nothing restored) for a damaged file, a backup of the other
    kind of database or of a newer schema, or a target holding data without ``force``.
    """
    manifest, offset = backup_file.read_manifest(path)
    kind = normalise_url(url).get_backend_name()
    if manifest.kind != kind:
        raise InvalidInput(
            f"{path} is a backup of a {KIND_NAMES[manifest.kind]} database; the configured "
            f"database is {KIND_NAMES.get(kind, kind)}",
            field="CONTROLROOM_DATABASE_URL",
            hint=f"restore it into a {KIND_NAMES[manifest.kind]} database",
        )
    if not known_revision(manifest.revision):
        raise InvalidInput(
            f"{path} holds schema revision {manifest.revision} (controlroom "
            f"{manifest.version}), newer than this version knows (head {migrate.head_revision()})",
            field="FILE",
            hint=f"restore it with controlroom {manifest.version} or later",
        )
    tool = find_tool("pg_restore", pg_restore) if kind == "postgresql" else None
    if not force and holds_data(url):
        raise InvalidInput(
            "the configured database already holds data; nothing was restored",
            field="CONTROLROOM_DATABASE_URL",
            hint="restore into an empty database, or give --force to replace what it holds",
        )
    if kind == "sqlite":
        return _restore_sqlite(url, path, manifest, offset, progress)
    assert tool is not None
    with tempfile.TemporaryDirectory(prefix="controlroom-restore-") as work:
        dump = Path(work) / "dump"
        progress(f"checking {path} ({manifest.dump_bytes} bytes, SHA-256)")
        backup_file.extract_dump(path, manifest, offset, dump)
        uri, env = libpq(url)
        progress(f"running {tool} (one transaction)")
        command = [tool, "--single-transaction", "--exit-on-error", "--clean", "--if-exists"]
        command += ["--no-owner", "--no-privileges", f"--dbname={uri}", str(dump)]
        run_tool(command, env, "pg_restore")
    return check(url, manifest, progress)


def _restore_sqlite(
    url: str | URL, path: Path, manifest: backup_file.Manifest, offset: int, progress: Progress
) -> RestoreReport:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restoring")
    for leftover in database_files(staged):
        leftover.unlink(missing_ok=True)
    try:
        progress(f"checking {path} ({manifest.dump_bytes} bytes, SHA-256)")
        backup_file.extract_dump(path, manifest, offset, staged)
        report = check(f"sqlite:///{staged}", manifest, progress)
        if report.problems:
            report.replaced = False
            return report
        # the old file's journal must not meet the new file
        for stale in database_files(target)[1:]:
            stale.unlink(missing_ok=True)
        staged.replace(target)
        progress(f"restored into {target}")
        return report
    finally:
        for leftover in database_files(staged):
            leftover.unlink(missing_ok=True)


def check(url: str | URL, manifest: backup_file.Manifest, progress: Progress) -> RestoreReport:
    """Compare the restored database at ``url`` with ``manifest``, upgrade its schema if it is
    older than this version's, then verify its audit chain and contacts."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            counts = table_counts(connection)
            connection.rollback()
        report = RestoreReport(manifest=manifest, counts=counts)
        for table, expected in sorted(manifest.counts.items()):
            found = counts.get(table)
            if found != expected:
                report.problems.append(
                    f"table {table}: {found if found is not None else 'missing'} rows restored, "
                    f"the backup's manifest says {expected}"
                )
        head = migrate.head_revision()
        if manifest.revision != head:
            progress(f"upgrading the schema from {manifest.revision or 'empty'} to {head}")
            migrate.upgrade(url, engine=engine)
            report.upgraded, report.upgraded_from = True, manifest.revision
        progress("verifying the audit chain and every contact against it")
        with engine.connect().execution_options(**read_only_options(engine)) as connection:
            chain, contacts = SqlAuditLog(connection, snapshot=True).verify_all()
            connection.rollback()
    finally:
        engine.dispose()
    report.audit_rows, report.audit_hash = chain.count, chain.last_hash
    if chain.problem is not None:
        report.problems.append(f"audit log broken at {chain.problem}")
    elif (chain.last_seq, chain.last_hash) != (manifest.audit_seq, manifest.audit_hash):
        report.problems.append(
            f"audit chain ends at row {chain.last_seq}, the manifest's at row "
            f"{manifest.audit_seq} (hash {manifest.audit_hash[:12]}…)"
        )
    if contacts is not None:
        report.contacts_checked = contacts.checked
        report.problems.extend(f"contact {problem}" for problem in contacts.problems)
    return report
