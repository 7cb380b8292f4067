"""The input to triage: what somebody said, and the channel it came by. Validated here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from controlroom.domain.errors import InvalidInput
from controlroom.domain.triage.decision import Channel

# Control characters other than tab, newline and carriage return are refused: they are never
# typed by a person and usually mean a binary or corrupted payload. Lone surrogates mean the
# text was not valid Unicode to begin with.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class ContactText:
    """What a member of the public said, as text, and the channel it came by."""

    text: str
    channel: Channel = Channel.NINE_NINE_NINE


def parse_channel(value: str) -> Channel:
    """The channel named ``value``; a clear :class:`InvalidInput` for an unknown one."""
    try:
        return Channel(value)
    except ValueError:
        known = ", ".join(channel.value for channel in Channel)
        raise InvalidInput(
            f"unknown channel {value!r}",
            field="channel",
            hint=f"use one of: {known}",
        ) from None


def make_contact_text(text: str, channel: str | Channel, *, max_chars: int) -> ContactText:
    """Validate raw input and build a :class:`ContactText`, or raise :class:`InvalidInput`."""
    chosen = channel if isinstance(channel, Channel) else parse_channel(channel)
    if not isinstance(text, str):
        raise InvalidInput("text must be a string", field="text")
    if not text.strip():
        raise InvalidInput(
            "text is empty", field="text", hint="give the words the caller or reporter used"
        )
    if len(text) > max_chars:
        raise InvalidInput(
            f"text is {len(text):,} characters long; the limit is {max_chars:,}",
            field="text",
            hint="send the caller's account, not attachments or transcripts of whole shifts",
        )
    bad = _CONTROL.search(text)
    if bad:
        raise InvalidInput(
            f"text contains control character U+{ord(bad.group()):04X} at position {bad.start()}",
            field="text",
            hint="remove control characters; only tab and line breaks are allowed",
        )
    bad = _SURROGATE.search(text)
    if bad:
        raise InvalidInput(
            f"text contains an unpaired surrogate at position {bad.start()} (not valid Unicode)",
            field="text",
            hint="send the text as valid UTF-8",
        )
    return ContactText(text=text, channel=chosen)
