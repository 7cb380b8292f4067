"""Schema migrations, driven from code: upgrade, the current revision, and a drift check.

Alembic is configured here (no ``alembic.ini``): the scripts are in ``migrations/`` beside this
module. To write a new migration, change ``tables.py``, then run :func:`make_revision` against a
database at the current head and edit what it generates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.tables import metadata

MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration for our scripts (and ``url``, when given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revision() -> str:
    """The newest revision the scripts define."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - there is always a first migration
        raise RuntimeError("no migrations found")
    return head


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one of this version's migrations (a newer version's is not)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises for an unknown or malformed revision id
        return False


def upgrade(url: str | URL, revision: str = "head", *, engine: Engine | None = None) -> None:
    """Bring the database at ``url`` up to ``revision`` in one transaction.

    Safe to run at every start-up: nothing happens when it is already there, and concurrent
    runs wait for each other.
    """
    own = engine is None
    engine = engine or create_engine_for(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if own:
            engine.dispose()


def current(url: str | URL, *, engine: Engine | None = None) -> str | None:
    """The revision the database at ``url`` is at (``None`` before the first migration)."""
    own = engine is None
    engine = engine or create_engine_for(url)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
            connection.rollback()
            return revision
    finally:
        if own:
            engine.dispose()


def check_drift(url: str | URL, *, engine: Engine | None = None) -> list[Any]:
    """The differences between ``tables.py`` and the (migrated) database at ``url``; empty when
    the migrations create exactly the schema the code describes."""
    own = engine is None
    engine = engine or create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences: list[Any] = compare_metadata(context, metadata)
            connection.rollback()
            return differences
    finally:
        if own:
            engine.dispose()


def make_revision(url: str | URL, message: str) -> None:
    """Write a new migration script from the differences between ``tables.py`` and the
    database at ``url`` (upgraded to the current head first: use a scratch database)."""
    upgrade(url)
    command.revision(alembic_config(url), message=message, autogenerate=True)
