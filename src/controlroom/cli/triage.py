"""``controlroom triage``: where a contact belongs under the force's policy, and why.

One text on the command line gives a readable decision (or ``--json``); ``--jsonl`` reads JSON
lines on stdin and answers each on stdout, one line per line, so it can sit in a pipe.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

import click
from click.exceptions import Exit

from controlroom.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_BAD_POLICY,
    EXIT_FOUND_PROBLEMS,
    EXIT_OK,
    Printer,
    error_object,
    fail,
    load_policy_or_exit,
    print_decision,
)
from controlroom.domain.errors import DomainError, InvalidInput, PolicyError
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision, parse_channel
from controlroom.services.triage import triage_text

CHANNELS = ", ".join(channel.value for channel in Channel)

# Characters Python substitutes for bytes of the command line that are not valid UTF-8.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# Bytes allowed on one JSON line: room for every character escaped (\uXXXX) plus the other keys.
_LINE_BYTES_PER_CHAR = 6
_LINE_OVERHEAD_BYTES = 64 * 1024


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


# --- JSON lines ---------------------------------------------------------------------------------


def run_jsonl(stdin: IO[bytes], stdout: IO[bytes], policy: Policy, default_channel: Channel) -> int:
    """Answer each JSON line on ``stdin`` with one JSON line on ``stdout``, flushing each.

    Returns the exit code: 0 when every line was fine, 1 when any line had an error.
    """
    max_bytes = _LINE_BYTES_PER_CHAR * policy.limits.max_text_chars + _LINE_OVERHEAD_BYTES
    code = EXIT_OK
    for number, raw in _lines(stdin, max_bytes):
        if raw is None:
            problem = InvalidInput(
                f"the line is longer than {max_bytes:,} bytes",
                field="text",
                hint=f"the text may be at most {policy.limits.max_text_chars:,} characters",
            )
            answer: dict[str, Any] | None = line_error(None, number, problem)
        else:
            answer = answer_line(raw, number, policy, default_channel)
        if answer is None:
            continue
        if "error" in answer:
            code = EXIT_FOUND_PROBLEMS
        stdout.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        stdout.flush()
    return code


def _lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Number each line of ``stream``; a line over ``max_bytes`` is skipped and given as None."""
    number = 0
    while True:
        raw = stream.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            while True:
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
        else:
            yield number, raw


def line_error(contact_id: Any, number: int, error: DomainError) -> dict[str, Any]:
    """The answer for a line that could not be triaged."""
    return {"id": contact_id, "line": number, "error": error_object(error)}


def answer_line(
    raw: bytes, number: int, policy: Policy, default_channel: Channel
) -> dict[str, Any] | None:
    """The JSON answer for one input line, or None for a blank line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = InvalidInput(
            f"the line is not valid UTF-8 (byte 0x{raw[exc.start]:02X} at byte {exc.start + 1})",
            hint="encode every line as UTF-8",
        )
        return line_error(None, number, problem)
    line = line.removeprefix("\ufeff").strip()
    if not line:
        return None
    try:
        record = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        problem = InvalidJson(
            f"the line is not valid JSON: {reason}{where}",
            hint='write one JSON object per line, e.g. {"id": 1, "text": "..."}',
        )
        return line_error(None, number, problem)
    if not isinstance(record, dict):
        problem = InvalidInput(
            f"the line is a JSON {_json_type(record)}, not an object",
            hint='write one JSON object per line, e.g. {"id": 1, "text": "..."}',
        )
        return line_error(None, number, problem)
    contact_id = record.get("id")
    try:
        _check_id(contact_id)
    except InvalidInput as exc:
        return line_error(None, number, exc)
    try:
        text, channel = _text_and_channel(record, default_channel)
        decision = triage_text(text, channel, policy)
    except DomainError as exc:
        return line_error(contact_id, number, exc)
    return decision_json(contact_id, decision)


class InvalidJson(InvalidInput):
    """A line that is not JSON at all."""

    code = "invalid_json"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_id(value: Any) -> None:
    if isinstance(value, dict | list):
        raise InvalidInput(
            f"id must be a string, a number, true, false or null, not an {_json_type(value)}",
            field="id",
            hint="use a scalar id, such as the incident or message number",
        )
    if isinstance(value, str) and _SURROGATE.search(value):
        raise InvalidInput(
            "id contains an unpaired surrogate (not valid Unicode)",
            field="id",
            hint="send the id as valid UTF-8",
        )


def _text_and_channel(record: dict[str, Any], default_channel: Channel) -> tuple[str, Channel]:
    if "text" not in record or record["text"] is None:
        raise InvalidInput(
            "text is missing", field="text", hint="give the words the caller or reporter used"
        )
    text = record["text"]
    if not isinstance(text, str):
        raise InvalidInput(
            f"text must be a string, not {_json_type(text)}",
            field="text",
            hint="give the words as one JSON string",
        )
    channel = record.get("channel")
    if channel is None:
        return text, default_channel
    if not isinstance(channel, str):
        raise InvalidInput(
            f"channel must be a string, not {_json_type(channel)}",
            field="channel",
            hint=f"use one of: {CHANNELS}",
        )
    return text, parse_channel(channel)


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"
