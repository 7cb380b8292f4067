"""Fixtures shared by every tier of tests.

``database_url`` gives each test an empty, migrated database, once for each database named in
``CONTROLROOM_TEST_DATABASES`` (a comma list; ``sqlite`` by default, ``sqlite,postgresql`` in
CI). SQLite: the schema is migrated once per session into a template file, which each test
gets a fresh copy of. PostgreSQL (``CONTROLROOM_TEST_POSTGRESQL_URL``, by default the local
``test`` database): the schema is migrated once per session (per xdist worker) into a schema of
its own, dropped at the end, and every table is truncated before each test. When PostgreSQL is
asked for but cannot be reached, the tests fail: they are never silently skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.tables import metadata
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.audit import GENESIS_HASH
from controlroom.domain.policy import Policy
from tests.chromium import CHROMIUM_MISSING
from tests.chromium import browser as browser  # the fixture, shared by every folder

DATABASES = ("sqlite", "postgresql")

#: The start of the reason a browser test is skipped with when Chromium is missing.
#: How the deployment tests (tests/deploy/) say they were skipped.
DEPLOYMENT_MISSING = "deployment test skipped"
DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def requested_databases() -> list[str]:
    """The databases ``CONTROLROOM_TEST_DATABASES`` names (``sqlite`` when unset)."""
    raw = os.environ.get("CONTROLROOM_TEST_DATABASES", "sqlite")
    names = [name.strip().lower() for name in raw.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DATABASES))
    if unknown or not names:
        raise pytest.UsageError(
            f"CONTROLROOM_TEST_DATABASES={raw!r}: use a comma list of {', '.join(DATABASES)}"
        )
    return list(dict.fromkeys(names))


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The seed force's shipped policy (Devon & Cornwall DCP-P-042)."""
    return load_policy("dcp-p-042")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert not leftover.exists() or leftover.stat().st_size == 0
    return path


class _Postgres:
    """A session's own schema in the PostgreSQL test database."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    def reset(self) -> None:
        """Empty every table and the chain head."""
        tables = ", ".join(t.name for t in metadata.sorted_tables if t.name != "audit_head")
        with self.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            connection.exec_driver_sql(f"TRUNCATE {tables}")
            connection.execute(
                text("UPDATE audit_head SET seq = 0, hash = :genesis"), {"genesis": GENESIS_HASH}
            )
            connection.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER ALL")


@pytest.fixture(scope="session")
def _postgresql() -> Iterator[_Postgres]:
    base = make_url(os.environ.get("CONTROLROOM_TEST_POSTGRESQL_URL", DEFAULT_POSTGRESQL_URL))
    shown = base.render_as_string(hide_password=True)
    admin = create_engine_for(base, connect_args={"connect_timeout": 5})
    schema = f"cr_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except Exception as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL was asked for (CONTROLROOM_TEST_DATABASES) but {shown} cannot be "
            f"used: {exc}. Start it, or set CONTROLROOM_TEST_POSTGRESQL_URL.",
            pytrace=False,
        )
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    engine = create_engine_for(url)
    try:
        migrate.upgrade(url_text, engine=engine)
        yield _Postgres(url_text, engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=requested_databases())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database at the current schema revision (one per test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "controlroom.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    postgres: _Postgres = request.getfixturevalue("_postgresql")
    postgres.reset()
    return postgres.url


@pytest.fixture
def database_engine(database_url: str) -> Iterator[Engine]:
    """An engine on :func:`database_url`."""
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Say loudly, in the run's last lines, how many browser tests were skipped for want of
    Chromium, and deployment tests for want of nginx, PostgreSQL or Redis, and what enables
    them: the whole suite was not run."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [
        str(report.longrepr[2])
        for report in reporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple)
    ]
    browser = [why for why in skipped if CHROMIUM_MISSING in why]
    if browser:
        reporter.write_line(
            f"NOT THE WHOLE SUITE: {len(browser)} browser tests were skipped because Chromium "
            "is missing; enable them with: sudo apt-get install chromium",
            red=True,
            bold=True,
        )
    deployment = [why for why in skipped if DEPLOYMENT_MISSING in why]
    if deployment:
        reporter.write_line(
            f"NOT THE WHOLE SUITE: {len(deployment)} deployment tests were skipped "
            f"({deployment[0].split(DEPLOYMENT_MISSING, 1)[1].strip(': ')}); enable them with: "
            "sudo apt-get install nginx-light, and PostgreSQL and Redis on 127.0.0.1",
            red=True,
            bold=True,
        )
