"""Chat messages and chats, as stored and sent: plain dicts for messages (they travel as JSON),
a dataclass for a chat's state.

A stored message is ``{"seq", "client_id", "from", "text", "at"}`` (plus ``"emergency": True``
on the system's ring-999 notice). ``seq`` numbers a chat's messages 1, 2, 3… in the order the
store accepted them; ``client_id`` is chosen by the sender, so a message sent twice (after a
reconnect) is stored once. A reconnecting client asks for the messages after the last ``seq``
it holds and merges them with :func:`merge`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from controlroom.domain.contacts.events import ContactEvent
from controlroom.domain.errors import InvalidInput

MAX_MESSAGE_CHARS = 1_000
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Message = dict[str, Any]


class Sender(StrEnum):
    """Who wrote a message."""

    VISITOR = "visitor"
    OPERATOR = "operator"
    SYSTEM = "system"


class ChatState(StrEnum):
    """Where a chat is."""

    WAITING = "waiting"  # in the queue for an operator
    ACTIVE = "active"  # an operator has taken it
    CLOSED = "closed"


@dataclass(frozen=True)
class ChatInfo:
    """A chat as the store keeps it (no messages)."""

    chat_id: str
    contact_id: str
    secret_hash: str  # SHA-256 of the visitor's resume secret
    started_at: datetime
    state: ChatState = ChatState.WAITING
    operator: str = ""
    escalated: bool = False


@dataclass(frozen=True, kw_only=True)
class ChatEscalated(ContactEvent):
    """Triage read an emergency in what a chat visitor typed: alert operators and supervisors
    now (the visitor has been told to ring 999)."""

    chat_id: str
    summary: str
    text: str


def check_text(text: object, field: str = "text") -> str:
    """A message's text, stripped of control characters; :class:`InvalidInput` when empty or
    over :data:`MAX_MESSAGE_CHARS`."""
    if not isinstance(text, str):
        raise InvalidInput("a message is text", field=field)
    cleaned = _CONTROL.sub("", text).strip()
    if not cleaned:
        raise InvalidInput("the message is empty", field=field)
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"a message may be at most {MAX_MESSAGE_CHARS:,} characters; this is {len(cleaned):,}",
            field=field,
            hint="send it in parts",
        )
    return cleaned


def check_client_id(client_id: object) -> str:
    """A sender's message id: 8-64 letters, digits, ``-`` or ``_``."""
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise InvalidInput(
            "client_id must be 8-64 letters, digits, '-' or '_'",
            field="client_id",
            hint="give each message a random id and reuse it when sending it again",
        )
    return client_id


def merge(held: Mapping[int, Message], incoming: Iterable[Message]) -> dict[int, Message]:
    """The messages a client holds after receiving ``incoming``: by ``seq``, each once."""
    merged = dict(held)
    for message in incoming:
        seq = message.get("seq")
        if isinstance(seq, int) and seq > 0:
            merged.setdefault(seq, message)
    return merged


def visitor_account(messages: Iterable[Mapping[str, Any]]) -> str:
    """What the visitor wrote, in order, one message a line: the contact's narrative."""
    return "\n".join(m["text"] for m in messages if m.get("from") == Sender.VISITOR)


def transcript(messages: Iterable[Mapping[str, Any]]) -> str:
    """The whole chat as text, one line a message: ``[hh:mm:ss] who: text``."""
    lines = []
    for message in messages:
        at = str(message.get("at", ""))
        clock = at[11:19] if len(at) >= 19 else at
        lines.append(f"[{clock}] {message.get('from', '?')}: {message.get('text', '')}")
    return "\n".join(lines)
