"""Live chat between a member of the public and an operator: messages, their order, resuming
after a reconnect, and the transcript kept on the contact (docs/digital101.md)."""

from __future__ import annotations

from controlroom.domain.chat.messages import (
    CLIENT_ID,
    MAX_MESSAGE_CHARS,
    ChatEscalated,
    ChatInfo,
    ChatState,
    Sender,
    check_client_id,
    check_text,
    merge,
    transcript,
    visitor_account,
)

__all__ = [
    "CLIENT_ID",
    "MAX_MESSAGE_CHARS",
    "ChatEscalated",
    "ChatInfo",
    "ChatState",
    "Sender",
    "check_client_id",
    "check_text",
    "merge",
    "transcript",
    "visitor_account",
]
