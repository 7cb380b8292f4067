"""``controlroom users`` and ``controlroom tokens``: accounts and API tokens, each change
made as the local administrator ``cli:<login name>`` and audited."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from controlroom.cli.db import database_errors, local_actor, settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, fail
from controlroom.domain.contacts import Role

ROLES = click.Choice([role.value for role in Role])


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


@click.group()
def users() -> None:
    """User accounts: add, list, disable."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLES, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read a password (12+ characters) from stdin.")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a user NAME with a role (and a password read from stdin)."""
    from controlroom.bootstrap import password_hasher, uow_factory
    from controlroom.services.accounts import add_user

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("error: password: nothing was read from stdin", EXIT_BAD_INPUT)
    settings = settings_or_exit()
    with database_errors(settings):
        user = add_user(
            uow_factory(settings)(),
            local_actor(),
            name,
            role,
            password,
            hasher=password_hasher() if password else None,
        )
    note = " with a password" if user.password_hash else ""
    click.echo(f"added user {user.name} ({user.role.value}){note}; id {user.id}")


@users.command("list")
def users_list() -> None:
    """List the user accounts."""
    from controlroom.bootstrap import uow_factory
    from controlroom.services.accounts import list_users

    settings = settings_or_exit()
    with database_errors(settings):
        accounts = list_users(uow_factory(settings)(read_only=True), local_actor())
    click.echo(f"{'NAME':<24}{'ROLE':<14}{'PASSWORD':<10}{'CREATED':<22}DISABLED")
    for user in accounts:
        password = "yes" if user.password_hash else "no"
        click.echo(
            f"{user.name:<24}{user.role.value:<14}{password:<10}"
            f"{_when(user.created_at):<22}{_when(user.disabled_at)}"
        )


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable user NAME: their tokens and password stop working."""
    from controlroom.bootstrap import uow_factory
    from controlroom.services.accounts import disable_user

    settings = settings_or_exit()
    with database_errors(settings):
        user = disable_user(uow_factory(settings)(), local_actor(), name)
    click.echo(f"disabled user {user.name} at {_when(user.disabled_at)}")


@click.group()
def tokens() -> None:
    """API tokens: create, list, revoke."""


@tokens.command("create")
@click.option("--name", required=True, help="A user's name, or a system's (e.g. telephony).")
@click.option(
    "--role", type=ROLES, default=None, help="The user's role, or integration for a system."
)
def tokens_create(name: str, role: str | None) -> None:
    """Create a token and print it once (it is stored only as a hash)."""
    from controlroom.bootstrap import uow_factory
    from controlroom.services.accounts import create_token

    settings = settings_or_exit()
    with database_errors(settings):
        token_id, token = create_token(uow_factory(settings)(), local_actor(), name, role)
    click.echo(token)
    click.echo(
        f"token {token_id} for {name}: copy it now, it cannot be shown again; "
        "send it as 'Authorization: Bearer <token>'",
        err=True,
    )


@tokens.command("list")
@click.option("--active", is_flag=True, help="Leave out revoked tokens.")
def tokens_list(active: bool) -> None:
    """List tokens (never their secrets)."""
    from controlroom.bootstrap import uow_factory
    from controlroom.services.accounts import list_tokens

    settings = settings_or_exit()
    with database_errors(settings):
        found = list_tokens(
            uow_factory(settings)(read_only=True), local_actor(), include_revoked=not active
        )
    click.echo(f"{'ID':<18}{'NAME':<24}{'ROLE':<14}{'CREATED':<22}{'LAST USED':<22}REVOKED")
    for token in found:
        click.echo(
            f"{token.id:<18}{token.name:<24}{token.role.value:<14}"
            f"{_when(token.created_at):<22}{_when(token.last_used_at):<22}"
            f"{_when(token.revoked_at)}"
        )


@tokens.command("revoke")
@click.argument("token_id")
def tokens_revoke(token_id: str) -> None:
    """Revoke token TOKEN_ID: it stops working at once."""
    from controlroom.bootstrap import uow_factory
    from controlroom.services.accounts import revoke_token

    settings = settings_or_exit()
    with database_errors(settings):
        token = revoke_token(uow_factory(settings)(), local_actor(), token_id)
    click.echo(f"revoked token {token.id} ({token.name}) at {_when(token.revoked_at)}")
