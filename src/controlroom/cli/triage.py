"""``controlroom triage``: where a contact belongs under the force's policy, and why.

One text on the command line gives a readable decision (or ``--json``); ``--jsonl`` reads JSON
lines on stdin and answers each on stdout, one line per line, so it can sit in a pipe.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import click
from click.exceptions import Exit

from controlroom.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_BAD_POLICY,
    EXIT_FOUND_PROBLEMS,
    Printer,
    fail,
    load_policy_or_exit,
    print_decision,
)
from controlroom.cli.triage_jsonl import run_jsonl
from controlroom.domain.errors import InvalidInput, PolicyError
from controlroom.domain.triage import Channel, Decision, parse_channel
from controlroom.services.triage import triage_text

CHANNELS = ", ".join(channel.value for channel in Channel)

# Characters Python substitutes for bytes of the command line that are not valid UTF-8.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


@click.command("triage", short_help="Where a contact belongs under the policy, and why.")
@click.argument("text", required=False)
@click.option(
    "--channel",
    default=Channel.NINE_NINE_NINE.value,
    show_default=True,
    metavar="CHANNEL",
    help=f"How the contact came in: {CHANNELS}. With --jsonl: for lines that give none.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read JSON lines {"id", "text", "channel"} on stdin; write one JSON line for each.',
)
@click.option("--id", "contact_id", default=None, help="An id to echo back in --json output.")
@click.option(
    "--policy",
    "policy_ref",
    metavar="NAME_OR_PATH",
    default=None,
    help="A shipped policy's name or a policy file [default: CONTROLROOM_POLICY].",
)
@click.option("-v", "--verbose", is_flag=True, help="Also print each cited paragraph's text.")
def triage_command(
    text: str | None,
    channel: str,
    as_json: bool,
    jsonl: bool,
    contact_id: str | None,
    policy_ref: str | None,
    verbose: bool,
) -> None:
    """Triage TEXT ("-" reads it from stdin) and explain where it belongs.

    With --jsonl, each input line is answered with the decision, or with an error object for
    that line; the exit code is 0 when every line was fine and 1 when any line had an error.
    """
    if jsonl:
        if text is not None:
            raise click.UsageError("give TEXT or --jsonl, not both")
        default_channel = _channel_or_exit(channel)
        policy = load_policy_or_exit(policy_ref)
        stdin = sys.stdin.buffer
        stdout = sys.stdout.buffer
        try:
            code = run_jsonl(stdin, stdout, policy, default_channel)
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, without a traceback at exit.
            _silence_stdout()
            code = EXIT_FOUND_PROBLEMS
        raise Exit(code)
    if text is None:
        raise click.UsageError('give the TEXT to triage, "-" to read it from stdin, or --jsonl')
    if text == "-":
        text = _read_stdin_text()
    _check_argument_encoding(text)
    if contact_id is not None:
        _check_argument_encoding(contact_id, field="id")
    chosen = _channel_or_exit(channel)
    policy = load_policy_or_exit(policy_ref)
    try:
        decision = triage_text(text, chosen, policy)
    except PolicyError as exc:
        fail(exc, EXIT_BAD_POLICY)
    except InvalidInput as exc:
        fail(exc, EXIT_BAD_INPUT)
    if as_json:
        click.echo(json.dumps(decision_json(contact_id, decision), ensure_ascii=False, indent=2))
        return
    print_decision(decision, policy, Printer(sys.stdout), verbose=verbose)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def decision_json(contact_id: Any, decision: Decision) -> dict[str, Any]:
    """The decision as JSON-ready data, with ``id`` first."""
    return {"id": contact_id, **decision.to_dict()}


def _channel_or_exit(value: str) -> Channel:
    _check_argument_encoding(value, field="channel")
    try:
        return parse_channel(value)
    except InvalidInput as exc:
        fail(exc, EXIT_BAD_INPUT)


def _check_argument_encoding(value: str, *, field: str = "text") -> None:
    """Exit 2 with a clear message when the command line held bytes that are not UTF-8."""
    bad = _ESCAPED_BYTE.search(value)
    if bad:
        byte = ord(bad.group()) - 0xDC00
        fail(
            InvalidInput(
                f"{field} is not valid UTF-8 (byte 0x{byte:02X} at character {bad.start() + 1})",
                field=field,
                hint="pass the text as UTF-8; check the terminal's or the file's encoding",
            )
        )


def _read_stdin_text() -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        fail(
            InvalidInput(
                f"stdin is not valid UTF-8 (byte 0x{data[exc.start]:02X} at byte {exc.start + 1})",
                field="text",
                hint="send the text as UTF-8",
            )
        )
