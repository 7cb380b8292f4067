"""``controlroom audit``: verify (intact and tampered) and tail."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import Engine, text

from controlroom.cli import main
from tests.adapters.db.conftest import allow_tampering


def run(url: str, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, list(args), env={"CONTROLROOM_DATABASE_URL": url}, input=input
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def populate(url: str) -> None:
    for name in ("alice", "bob", "carol"):
        assert run(url, "users", "add", name, "--role", "call_handler")[0] == 0


def test_verify_an_empty_log(database_url: str) -> None:
    code, out, _ = run(database_url, "audit", "verify")
    assert code == 0 and "intact: no rows yet" in out


def test_verify_an_intact_log(database_url: str) -> None:
    populate(database_url)
    code, out, _ = run(database_url, "audit", "verify")
    assert code == 0 and "audit log intact: 3 rows; head row 3, hash " in out


def test_verify_names_the_first_bad_row(database_url: str, database_engine: Engine) -> None:
    populate(database_url)
    with database_engine.begin() as connection:
        allow_tampering(connection)
        connection.execute(text("UPDATE audit_log SET subject = 'user:mallory' WHERE seq = 2"))
    code, out, err = run(database_url, "audit", "verify")
    assert code == 1
    assert "checked 1 rows before the problem" in out
    assert err.startswith("error: audit log broken at row 2 (edited): its content does not match")


def test_verify_reports_a_deleted_row(database_url: str, database_engine: Engine) -> None:
    populate(database_url)
    with database_engine.begin() as connection:
        allow_tampering(connection)
        connection.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    code, _, err = run(database_url, "audit", "verify")
    assert code == 1 and "row 3 (deleted): row 2 is missing before it" in err


def test_tail(database_url: str) -> None:
    populate(database_url)
    code, out, _ = run(database_url, "audit", "tail", "-n", "2")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert "user:account:create  user:bob" in lines[0] and "cli:" in lines[0]
    code, out, _ = run(database_url, "audit", "tail", "--json", "--subject", "user:alice")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["seq"] == 1 and row["details"]["name"] == "alice" and row["role"] == "admin"
    assert run(database_url, "audit", "tail", "-n", "0")[0] == 2


def test_an_export_recomputes_with_the_documented_recipe(database_url: str) -> None:
    import hashlib

    def sha256(value: object) -> str:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    populate(database_url)
    code, out, _ = run(database_url, "audit", "tail", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    prev = "0" * 64
    for row in rows:
        body = {key: row[key] for key in ("actor", "at", "role", "seq", "subject", "tag")}
        body |= {"prev_hash": prev, "chain_version": 2, "details_digest": row["details_digest"]}
        assert row["chain_version"] == 2 and row["details_digest"] == sha256(row["details"])
        assert row["prev_hash"] == prev and row["hash"] == sha256(body)
        prev = row["hash"]
    verified = run(database_url, "audit", "verify")[1]
    assert f"head row 3, hash {prev}" in verified
    assert "redacted under the retention policy: 0 rows" in verified
