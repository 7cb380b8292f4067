"""Backups and the audit chain's versions: a backup of a log written before migration 0011 is
upgraded on restore and verifies as chain version 1; a backup taken after retention tombstoned
audit rows restores with its tombstones, and ``audit verify`` passes on the restored copy."""

from __future__ import annotations

from pathlib import Path

from controlroom.adapters.db.engine import create_engine_for
from controlroom.domain.policy import Policy
from tests.adapters.db.test_migration_0011 import BEFORE, write_old_rows
from tests.cli.test_audit_cli import run
from tests.cli.test_db_backup import Databases, databases, migrated  # noqa: F401 (fixture)
from tests.services.test_retention_db import populate


def test_a_backup_of_a_version_1_log_is_upgraded_and_verifies(
    databases: Databases,  # noqa: F811
    tmp_path: Path,
) -> None:
    source = migrated(databases.new(), BEFORE)
    engine = create_engine_for(source)
    try:
        write_old_rows(engine)
    finally:
        engine.dispose()
    backup = tmp_path / "old.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    target = databases.new()
    code, out, err = run(target, "db", "restore", str(backup))
    assert code == 0, err
    assert f"schema upgraded from {BEFORE}" in out
    code, out, err = run(target, "audit", "verify")
    assert code == 0, err
    assert "audit log intact: 2 rows" in out
    assert "chain version 1 (hashed over their details, written before the upgrade): 2 rows" in out


def test_a_backup_with_tombstones_restores_intact(
    databases: Databases,  # noqa: F811
    policy: Policy,
    tmp_path: Path,
) -> None:
    source = migrated(databases.new())
    engine = create_engine_for(source)
    try:
        populate(source, engine, policy)
    finally:
        engine.dispose()
    assert run(source, "retention", "apply")[0] == 0
    verified = run(source, "audit", "verify")[1]
    redacted = next(line for line in verified.splitlines() if line.startswith("redacted"))
    assert redacted != "redacted under the retention policy: 0 rows"
    backup = tmp_path / "after.bak"
    assert run(source, "db", "backup", str(backup))[0] == 0
    target = databases.new()
    code, out, err = run(target, "db", "restore", str(backup))
    assert code == 0, err
    code, out, err = run(target, "audit", "verify")
    assert code == 0, err
    assert redacted in out
