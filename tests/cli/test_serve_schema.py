"""``controlroom serve`` and the schema: migrations once per deploy when the force says so, and
never against a schema this version does not know."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from controlroom.adapters.db import migrate
from controlroom.cli import main


def serve(url: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["serve", "--port", "1"],
        env={"CONTROLROOM_DATABASE_URL": url, "CONTROLROOM_DEMO": "false", **env},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def test_without_migrating_on_start_an_older_schema_is_refused_with_what_to_run(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'controlroom.db'}"
    code, err = serve(url, CONTROLROOM_MIGRATE_ON_START="false")
    last = err.strip().splitlines()[-1]  # what went before is the start-up log
    assert code == 2 and last.startswith("error: ")
    assert "schema is at revision none" in last and "controlroom db upgrade" in last
    assert "Traceback" not in err
    assert migrate.current(url) is None  # nothing was created


def test_a_schema_newer_than_this_version_is_refused_whatever_the_setting(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'controlroom.db'}"
    migrate.upgrade(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099_from_later'"))
    engine.dispose()
    code, err = serve(url)
    last = err.strip().splitlines()[-1]
    assert code == 2 and "0099_from_later" in last and "does not know" in last
    assert migrate.current(url) == "0099_from_later"  # left as it was
