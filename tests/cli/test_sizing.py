"""The pools an instance uses: computed from the machine and PostgreSQL's max_connections when
the settings leave them unset, given by the settings otherwise, and applied to the engine, the
thread pools and the password checks."""

from __future__ import annotations

import anyio.to_thread
from fastapi.testclient import TestClient

from controlroom import bootstrap
from controlroom.adapters.db.engine import max_connections
from controlroom.adapters.machine import cpu_count, memory_mb
from controlroom.config import Settings
from controlroom.domain.sizing import Machine, size_for
from controlroom.web.app import create_app
from controlroom.web.console.login_gate import pool_of


def settings(database_url: str, **given: object) -> Settings:
    return Settings(database_url=database_url, demo=False, **given)  # type: ignore[arg-type]


def test_unset_sizes_come_from_the_machine_and_the_database(database_url: str) -> None:
    limit = max_connections(database_url)
    assert (limit is None) == database_url.startswith("sqlite")
    expected = size_for(Machine(cpu_count(), memory_mb(), None, 1, limit))
    found = bootstrap.sizing_for(settings(database_url))
    assert found == expected
    engine = bootstrap.engine_for(settings(database_url))
    assert engine.pool.size() == expected.pool_size  # type: ignore[attr-defined]


def test_sizes_in_the_settings_win(database_url: str) -> None:
    given = settings(
        database_url, db_pool_size=3, db_pool_overflow=2, threads=5, login_checks=2, instances=3
    )
    sizing = bootstrap.sizing_for(given)
    assert (sizing.pool_size, sizing.pool_overflow, sizing.threads) == (3, 2, 5)
    assert (sizing.login_checks, sizing.instances) == (2, 3)
    assert bootstrap.engine_for(given).pool.size() == 3  # type: ignore[attr-defined]


def test_the_app_runs_its_threads_and_password_checks_at_those_sizes(database_url: str) -> None:
    app = create_app(settings(database_url, threads=7, login_checks=3))

    @app.get("/threads-now")
    async def threads_now() -> dict[str, int]:  # the limit of the web server's thread pool
        return {"tokens": int(anyio.to_thread.current_default_thread_limiter().total_tokens)}

    with TestClient(app) as client:
        assert client.get("/threads-now").json() == {"tokens": 7}
    assert pool_of(app)._workers == 3
