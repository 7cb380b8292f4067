"""``controlroom db``: migrate the configured database and show its revision. Also the helpers
the other database commands share: the settings, the local actor, database errors."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_FOUND_PROBLEMS, fail
from controlroom.config import Settings, load_settings
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.errors import DomainError


def settings_or_exit() -> Settings:
    """The settings; exits 2 when a ``CONTROLROOM_*`` variable is invalid."""
    try:
        return load_settings()
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
        where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        fail(f"error: settings: {where}: {first.get('msg', '')}", EXIT_BAD_INPUT)


def shown_url(url: str) -> str:
    """``url`` with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by whatever tries to use it
        return url


def local_actor() -> Actor:
    """Who a command acts as: ``cli:<login name>``, an administrator."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Actor(f"cli:{user}", Role.ADMIN)


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """Turn domain errors into exit 2 and database errors into one line on stderr, exit 2."""
    try:
        yield
    except DomainError as exc:
        fail(exc, EXIT_BAD_INPUT)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(
            f"error: database {shown_url(settings.database_url)}: {reason}",
            EXIT_BAD_INPUT,
        )


@click.group()
def db() -> None:
    """The database: migrate it, show its schema revision, back it up and restore it."""


@db.command("upgrade")
def upgrade_command() -> None:
    """Bring the configured database's schema up to date (CONTROLROOM_DATABASE_URL)."""
    from controlroom.adapters.db import migrate

    settings = settings_or_exit()
    with database_errors(settings):
        before = migrate.current(settings.database_url)
        migrate.upgrade(settings.database_url)
        after = migrate.current(settings.database_url)
    where = shown_url(settings.database_url)
    if before == after:
        click.echo(f"{where}: already at revision {after} (head)")
    else:
        click.echo(f"{where}: upgraded from {before or 'empty'} to revision {after} (head)")


@db.command("current")
def current_command() -> None:
    """Show the schema revision; exit 1 when it is behind the code's."""
    from controlroom.adapters.db import migrate

    settings = settings_or_exit()
    with database_errors(settings):
        revision = migrate.current(settings.database_url)
    head = migrate.head_revision()
    where = shown_url(settings.database_url)
    if revision == head:
        click.echo(f"{where}: revision {revision} (head)")
        return
    click.echo(f"{where}: revision {revision or 'none'}; the code's is {head}")
    fail("error: the database is not up to date — run: controlroom db upgrade", EXIT_FOUND_PROBLEMS)


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pg-dump", default=None, metavar="PATH", help="pg_dump to use (PostgreSQL).")
def backup_command(file: Path, pg_dump: str | None) -> None:
    """Back up the configured database into FILE, consistent while the service writes."""
    from controlroom.cli.db_backup import run_backup

    run_backup(file, pg_dump)


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace what the configured database holds.")
@click.option("--pg-restore", default=None, metavar="PATH", help="pg_restore to use.")
def restore_command(file: Path, force: bool, pg_restore: str | None) -> None:
    """Restore FILE into the configured database, then check counts and the audit chain."""
    from controlroom.cli.db_backup import run_restore

    run_restore(file, force, pg_restore)
