"""``controlroom db backup`` and ``controlroom db restore``: the work behind the commands."""

from __future__ import annotations

import time
from pathlib import Path

import click

from controlroom import __version__
from controlroom.cli.db import database_errors, settings_or_exit, shown_url
from controlroom.cli.output import EXIT_FOUND_PROBLEMS, fail

#: Problems printed in full; the rest are counted.
SHOWN_PROBLEMS = 20


def _progress(message: str) -> None:
    click.echo(message, err=True)


def run_backup(file: Path, pg_dump: str | None) -> None:
    """Write the backup and print what it holds."""
    from controlroom.adapters.db.backup import backup

    settings = settings_or_exit()
    started = time.monotonic()
    with database_errors(settings):
        manifest = backup(
            settings.database_url, file, version=__version__, pg_dump=pg_dump, progress=_progress
        )
    rows = sum(manifest.counts.values())
    click.echo(
        f"backed up {shown_url(settings.database_url)} to {file}: {manifest.kind}, revision "
        f"{manifest.revision or 'none'}, {rows} rows ({manifest.counts.get('contacts', 0)} "
        f"contacts, {manifest.audit_seq} audit rows), {manifest.dump_bytes} bytes, "
        f"SHA-256 {manifest.dump_sha256}, {time.monotonic() - started:.1f} s"
    )


def run_restore(file: Path, force: bool, pg_restore: str | None) -> None:
    """Restore, print the checks, exit 1 when any failed."""
    from controlroom.adapters.db.restore import restore
    from controlroom.bootstrap import engine_for

    settings = settings_or_exit()
    started = time.monotonic()
    with database_errors(settings):
        engine_for(settings).dispose()  # no connection of this process outlives the old file
        report = restore(
            settings.database_url, file, force=force, pg_restore=pg_restore, progress=_progress
        )
        engine_for(settings).dispose()
    manifest = report.manifest
    where = shown_url(settings.database_url)
    for problem in report.problems[:SHOWN_PROBLEMS]:
        click.echo(f"error: {problem}", err=True)
    if len(report.problems) > SHOWN_PROBLEMS:
        click.echo(f"error: and {len(report.problems) - SHOWN_PROBLEMS} more", err=True)
    if report.problems and not report.replaced:
        fail(
            f"error: {file} restored with {len(report.problems)} problems; {where} was not changed",
            EXIT_FOUND_PROBLEMS,
        )
    if report.problems:
        fail(
            f"error: {file} restored into {where} with {len(report.problems)} problems — "
            "check them, or restore an older backup with --force",
            EXIT_FOUND_PROBLEMS,
        )
    upgraded = (
        f"; schema upgraded from {report.upgraded_from or 'empty'}" if report.upgraded else ""
    )
    click.echo(
        f"restored {file} (made {manifest.created_at} by controlroom {manifest.version}) into "
        f"{where}{upgraded}: row counts equal the manifest's ({sum(report.counts.values())} "
        f"rows); audit log intact: {report.audit_rows} rows, hash {report.audit_hash}; "
        f"{report.contacts_checked} contacts match their audit trail; "
        f"{time.monotonic() - started:.1f} s"
    )
