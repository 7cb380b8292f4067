"""The database engine and the pools, sized from this machine and the database
(:mod:`controlroom.domain.sizing`) unless the settings give the sizes."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine

from controlroom.adapters.db.engine import create_engine_for, max_connections
from controlroom.adapters.machine import cpu_count, memory_mb
from controlroom.config import Settings
from controlroom.domain.sizing import Machine, Sizing, overridden, size_for


@lru_cache(maxsize=8)
def _engine(url: str, pool_size: int, pool_overflow: int) -> Engine:
    return create_engine_for(url, pool_size=pool_size, max_overflow=pool_overflow)


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured database, one per process, URL and pool size."""
    pool, overflow = settings.db_pool_size, settings.db_pool_overflow
    if pool is None or overflow is None:
        sizing = sizing_for(settings)
        pool, overflow = sizing.pool_size, sizing.pool_overflow
    return _engine(settings.database_url, pool, overflow)


def sizing_for(settings: Settings, *, ask_database: bool = True) -> Sizing:
    """The pool sizes from this machine and the database (domain/sizing.py), with those the
    settings give instead; computed once per process. ``ask_database=False``: without
    PostgreSQL's ``max_connections`` (a database known to be unreachable)."""
    return _sizing(
        settings.database_url if ask_database else None,
        settings.instances,
        settings.hosts,
        (settings.db_pool_size, settings.db_pool_overflow, settings.threads),
        settings.login_checks,
    )


@lru_cache(maxsize=8)
def _sizing(
    url: str | None,
    instances: int | None,
    hosts: int,
    given: tuple[int | None, int | None, int | None],
    login_checks: int | None,
) -> Sizing:
    limit = max_connections(url) if url else None
    machine = Machine(cpu_count(), memory_mb(), instances, hosts, limit)
    pool, overflow, threads = given
    return overridden(
        size_for(machine),
        pool_size=pool,
        pool_overflow=overflow,
        threads=threads,
        login_checks=login_checks,
    )
