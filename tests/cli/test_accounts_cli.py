"""``controlroom users`` and ``controlroom tokens``, each change audited."""

from __future__ import annotations

import re

from click.testing import CliRunner

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Role
from controlroom.services.accounts import authenticate_token


def run(url: str, *args: str, input: str | None = None) -> tuple[int, str, str]:
    from controlroom.cli import main

    result = CliRunner().invoke(
        main, list(args), env={"CONTROLROOM_DATABASE_URL": url}, input=input
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def authenticate(url: str, token: str) -> Principal:
    return authenticate_token(uow_factory(Settings(database_url=url))(), token)


def test_add_and_list_users(database_url: str) -> None:
    code, out, _ = run(database_url, "users", "add", "alice", "--role", "supervisor")
    assert code == 0 and out.startswith("added user alice (supervisor); id ")
    code, out, _ = run(
        database_url,
        "users",
        "add",
        "bob",
        "--role",
        "auditor",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert code == 0 and "with a password" in out
    code, out, _ = run(database_url, "users", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("NAME")
    assert lines[1].split()[:3] == ["alice", "supervisor", "no"]
    assert lines[2].split()[:3] == ["bob", "auditor", "yes"]


def test_bad_input_is_one_line_exit_2(database_url: str) -> None:
    assert run(database_url, "users", "add", "alice", "--role", "call_handler")[0] == 0
    code, _, err = run(database_url, "users", "add", "alice", "--role", "call_handler")
    assert code == 2 and err == "error: name: a user named 'alice' already exists\n"
    code, _, err = run(database_url, "users", "add", "Alice!", "--role", "call_handler")
    assert code == 2 and err.startswith("error: name: name 'Alice!' is not valid")
    code, _, err = run(database_url, "users", "add", "x", "--role", "root")
    assert code == 2 and "root" in err
    code, _, err = run(
        database_url, "users", "add", "y", "--role", "admin", "--password-stdin", input="short\n"
    )
    assert code == 2 and "shorter than 12" in err
    code, _, err = run(
        database_url, "users", "add", "z", "--role", "admin", "--password-stdin", input=""
    )
    assert code == 2 and "nothing was read" in err


def test_create_use_list_and_revoke_a_token(database_url: str) -> None:
    run(database_url, "users", "add", "alice", "--role", "call_handler")
    code, out, err = run(database_url, "tokens", "create", "--name", "alice")
    assert code == 0 and "cannot be shown again" in err
    token = out.strip()
    match = re.fullmatch(r"cr_([0-9a-f]{16})_[A-Za-z0-9_-]{43}", token)
    assert match is not None
    token_id = match.group(1)
    assert authenticate(database_url, token).role is Role.CALL_HANDLER

    code, out, _ = run(database_url, "tokens", "list")
    assert code == 0 and token_id in out and token.split("_", 2)[2] not in out
    code, out, _ = run(database_url, "tokens", "revoke", token_id)
    assert code == 0 and f"revoked token {token_id} (alice)" in out
    code, out, _ = run(database_url, "tokens", "list", "--active")
    assert token_id not in out
    code, _, err = run(database_url, "tokens", "revoke", "f" * 16)
    assert code == 2 and "no token" in err

    code, out, _ = run(database_url, "audit", "tail", "-n", "5")
    tags = [line.split()[4] for line in out.splitlines()]
    assert tags == ["user:account:create", "token:credential:create", "token:credential:revoke"]


def test_an_integration_token_and_a_missing_user(database_url: str) -> None:
    code, out, _ = run(
        database_url, "tokens", "create", "--name", "telephony", "--role", "integration"
    )
    assert code == 0
    assert authenticate(database_url, out.strip()).role is Role.INTEGRATION
    code, _, err = run(
        database_url, "tokens", "create", "--name", "nobody", "--role", "call_handler"
    )
    assert code == 2 and "no user named 'nobody'" in err and "users add nobody" in err


def test_disable_a_user(database_url: str) -> None:
    run(database_url, "users", "add", "carol", "--role", "auditor")
    code, out, _ = run(database_url, "users", "disable", "carol")
    assert code == 0 and out.startswith("disabled user carol at ")
    code, out, _ = run(database_url, "users", "list")
    assert out.splitlines()[1].split()[-1] != "-"
