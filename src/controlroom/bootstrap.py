"""The composition root: builds the policy, the database and the units of work the
interfaces use."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from sqlalchemy import Engine

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.uow import Publisher, SqlUnitOfWork
from controlroom.adapters.policy_file import load_policy
from controlroom.adapters.secrets import Argon2Hasher
from controlroom.config import Settings
from controlroom.domain.policy import Policy


class UowFactory(Protocol):
    """Makes a new unit of work; ``read_only=True`` for one that only reads."""

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork: ...


@lru_cache(maxsize=8)
def _policy(reference: str) -> Policy:
    return load_policy(reference)


def policy_for(settings: Settings) -> Policy:
    """The force policy the settings name, loaded once per process."""
    return _policy(settings.policy)


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return create_engine_for(url)


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured database, one per process and URL."""
    return _engine(settings.database_url)


_migrated: set[str] = set()


def prepare_database(settings: Settings) -> None:
    """Bring the configured database's schema up to date (once per process and URL)."""
    url = settings.database_url
    if url not in _migrated:
        migrate.upgrade(url, engine=engine_for(settings))
        _migrated.add(url)


def uow_factory(
    settings: Settings, *, publisher: Publisher | None = None, migrate_first: bool = True
) -> UowFactory:
    """A function making a new :class:`SqlUnitOfWork` on the configured database each call.

    The schema is upgraded first (once per process), unless ``migrate_first`` is false.
    """
    if migrate_first:
        prepare_database(settings)
    engine = engine_for(settings)

    def make(*, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, publisher, read_only=read_only)

    return make


def password_hasher() -> Argon2Hasher:
    """The password hasher (argon2id)."""
    return Argon2Hasher()
