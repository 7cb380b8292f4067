"""The ``controlroom`` command line. Thin: parse, call a service, print.

Sub-commands are imported only when used, so ``controlroom --help`` stays fast and one broken
command cannot stop the others. Exit codes are listed in docs/cli.md.
"""

from __future__ import annotations

import importlib

import click

from controlroom import __version__

# name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "serve": "controlroom.cli.serve:serve",
    "policy": "controlroom.cli.policy:policy",
    "triage": "controlroom.cli.triage:triage_command",
    "eval": "controlroom.cli.evaluate:eval_group",
    "location": "controlroom.cli.location:location",
    "db": "controlroom.cli.db:db",
    "audit": "controlroom.cli.audit:audit",
    "users": "controlroom.cli.accounts:users",
    "tokens": "controlroom.cli.accounts:tokens",
    "replay": "controlroom.cli.replay:replay",
    "models": "controlroom.cli.models:models",
    "outbox": "controlroom.cli.outbox:outbox",
    "retention": "controlroom.cli.retention:retention",
    "doctor": "controlroom.cli.doctor:doctor",
    "plan": "controlroom.cli.plan:plan",
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="controlroom")
def main() -> None:
    """controlroom: contact handling and call triage for police control rooms."""
