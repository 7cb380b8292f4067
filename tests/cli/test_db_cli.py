"""``controlroom db``: upgrade and current, on each test database and on a new file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from controlroom.adapters.db import migrate
from controlroom.cli import main


def run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"CONTROLROOM_DATABASE_URL": url})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_upgrade_a_new_file_then_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'controlroom.db'}"
    code, out, err = run(url, "db", "current")
    assert code == 1 and "revision none" in out and "controlroom db upgrade" in err
    code, out, _ = run(url, "db", "upgrade")
    assert code == 0 and f"upgraded from empty to revision {migrate.head_revision()}" in out
    code, out, _ = run(url, "db", "upgrade")
    assert code == 0 and "already at revision" in out
    code, out, _ = run(url, "db", "current")
    assert code == 0 and "(head)" in out


def test_upgrade_an_up_to_date_database(database_url: str) -> None:
    code, out, _ = run(database_url, "db", "upgrade")
    assert code == 0 and "already at revision" in out


def test_a_password_in_the_url_is_never_shown(tmp_path: Path) -> None:
    code, out, err = run("postgresql://user:s3cret@127.0.0.1:1/none", "db", "current")
    assert code == 2
    assert "s3cret" not in out + err
    assert err.startswith("error: database postgresql://user:***@127.0.0.1:1/none")


def test_an_unreachable_database_is_one_line_exit_2(tmp_path: Path) -> None:
    code, _, err = run("postgresql://postgres@127.0.0.1:1/none", "db", "upgrade")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
