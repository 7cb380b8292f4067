"""``controlroom triage --jsonl``: JSON lines in, one JSON answer per line out, in order.

Lines that have arrived together are triaged together (the semantic layer encodes a batch of
texts at once), but a line is never held back waiting for more: when no further input is ready
the batch read so far is answered and flushed, so the command can sit in a pipe with a producer
that waits for each answer.
"""

from __future__ import annotations

import io
import json
import os
import re
import select
from dataclasses import dataclass
from typing import IO, Any

from controlroom.cli.output import EXIT_FOUND_PROBLEMS, EXIT_OK, error_object
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision, make_contact_text, parse_channel
from controlroom.domain.triage.contact_text import ContactText
from controlroom.services.triage import triage_contacts

CHANNELS = ", ".join(channel.value for channel in Channel)
# Bytes allowed on one JSON line: room for every character escaped (\uXXXX) plus the other keys.
LINE_BYTES_PER_CHAR = 6
LINE_OVERHEAD_BYTES = 64 * 1024
#: Lines triaged together at most.
BATCH = 64
_READ_SIZE = 1 << 16


class LineReader:
    """Numbered lines of a byte stream, and whether another can be had without waiting.

    A line longer than ``max_bytes`` is skipped to its end and given as None."""

    def __init__(self, stream: IO[bytes], max_bytes: int) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.eof = False
        self.number = 0
        try:
            self.fd: int | None = stream.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None  # an in-memory stream: everything is there to read

    def ready(self) -> bool:
        """Whether the next line (or the end) can be read without waiting for the writer."""
        if self.eof or b"\n" in self.buffer or self.fd is None:
            return True
        readable, _, _ = select.select([self.fd], [], [], 0)
        return bool(readable)

    def _fill(self) -> None:
        if self.fd is not None:
            chunk = os.read(self.fd, _READ_SIZE)
        else:
            chunk = self.stream.read(_READ_SIZE) or b""
        if chunk:
            self.buffer += chunk
        else:
            self.eof = True

    def next_line(self) -> tuple[int, bytes | None] | None:
        """The next line's number and bytes (None when too long); None at the end."""
        skipping = False
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                self.number += 1
                too_long = skipping or len(line) > self.max_bytes + 1
                return self.number, None if too_long else line
            if len(self.buffer) > self.max_bytes:
                skipping = True
                self.buffer.clear()
            if self.eof:
                if not self.buffer and not skipping:
                    return None
                line, skipped = bytes(self.buffer), skipping
                self.buffer.clear()
                self.number += 1
                return self.number, None if skipped else line
            self._fill()


@dataclass
class _Line:
    """One input line: an answer already (an error), or a contact to triage."""

    number: int
    contact_id: Any = None
    answer: dict[str, Any] | None = None
    contact: ContactText | None = None


def run_jsonl(stdin: IO[bytes], stdout: IO[bytes], policy: Policy, default_channel: Channel) -> int:
    """Answer each JSON line on ``stdin`` with one JSON line on ``stdout``, in order.

    Returns the exit code: 0 when every line was fine, 1 when any line had an error.
    """
    max_bytes = LINE_BYTES_PER_CHAR * policy.limits.max_text_chars + LINE_OVERHEAD_BYTES
    reader = LineReader(stdin, max_bytes)
    code = EXIT_OK
    batch: list[_Line] = []
    while True:
        got = reader.next_line()
        if got is not None:
            number, raw = got
            line = _read_line(number, raw, policy, default_channel, max_bytes)
            if line is not None:
                batch.append(line)
        if batch and (got is None or len(batch) >= BATCH or not reader.ready()):
            if not _answer(batch, stdout, policy):
                code = EXIT_FOUND_PROBLEMS
            batch = []
        if got is None:
            return code


def _answer(batch: list[_Line], stdout: IO[bytes], policy: Policy) -> bool:
    """Triage the batch's contacts, write every answer in order; False when any is an error."""
    contacts = [line.contact for line in batch if line.contact is not None]
    try:
        decisions = iter(triage_contacts(contacts, policy))
    except DomainError:
        decisions = iter([])  # answer each alone, so the error is given to its own line
    ok = True
    out = bytearray()
    for line in batch:
        answer = line.answer
        if line.contact is not None:
            answer = _decided(line, next(decisions, None), policy)
        assert answer is not None
        ok = ok and "error" not in answer
        out += json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n"
    stdout.write(bytes(out))
    stdout.flush()
    return ok


def _decided(line: _Line, decision: Decision | None, policy: Policy) -> dict[str, Any]:
    if decision is None:
        assert line.contact is not None
        try:
            decision = triage_contacts([line.contact], policy)[0]
        except DomainError as exc:
            return line_error(line.contact_id, line.number, exc)
    return {"id": line.contact_id, **decision.to_dict()}


def line_error(contact_id: Any, number: int, error: DomainError) -> dict[str, Any]:
    """The answer for a line that could not be triaged."""
    return {"id": contact_id, "line": number, "error": error_object(error)}


def _read_line(
    number: int, raw: bytes | None, policy: Policy, default_channel: Channel, max_bytes: int
) -> _Line | None:
    """The line checked: its contact, or its error answer; None for a blank line."""
    if raw is None:
        problem = InvalidInput(
            f"the line is longer than {max_bytes:,} bytes",
            field="text",
            hint=f"the text may be at most {policy.limits.max_text_chars:,} characters",
        )
        return _Line(number, answer=line_error(None, number, problem))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = InvalidInput(
            f"the line is not valid UTF-8 (byte 0x{raw[exc.start]:02X} at byte {exc.start + 1})",
            hint="encode every line as UTF-8",
        )
        return _Line(number, answer=line_error(None, number, problem))
    text = text.removeprefix("\ufeff").strip()
    if not text:
        return None
    try:
        record = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        problem = InvalidJson(
            f"the line is not valid JSON: {reason}{where}",
            hint='write one JSON object per line, e.g. {"id": 1, "text": "..."}',
        )
        return _Line(number, answer=line_error(None, number, problem))
    if not isinstance(record, dict):
        problem = InvalidInput(
            f"the line is a JSON {_json_type(record)}, not an object",
            hint='write one JSON object per line, e.g. {"id": 1, "text": "..."}',
        )
        return _Line(number, answer=line_error(None, number, problem))
    contact_id = record.get("id")
    try:
        _check_id(contact_id)
    except InvalidInput as exc:
        return _Line(number, answer=line_error(None, number, exc))
    try:
        words, channel = _text_and_channel(record, default_channel)
        contact = make_contact_text(words, channel, max_chars=policy.limits.max_text_chars)
    except DomainError as exc:
        return _Line(number, contact_id, answer=line_error(contact_id, number, exc))
    return _Line(number, contact_id, contact=contact)


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
