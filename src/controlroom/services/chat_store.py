"""The live chat's store port: chats, their queue and their messages, shared by every app
instance (``adapters/chat_store.py``: in process, or Redis). Every method is async, so a
WebSocket handler never blocks its event loop."""

from __future__ import annotations

from typing import Any, Protocol

from controlroom.domain.chat import ChatInfo, ChatState


class ChatStore(Protocol):
    """Chats, the waiting queue, and each chat's numbered messages."""

    async def create(self, chat: ChatInfo) -> None:
        """Store a new chat and put it at the back of the queue."""

    async def get(self, chat_id: str) -> ChatInfo | None:
        """The chat, or ``None``."""

    async def for_contact(self, contact_id: str) -> ChatInfo | None:
        """The chat of the ``live_chat`` contact ``contact_id``, or ``None``."""

    async def set_state(
        self, chat_id: str, state: ChatState, *, escalated: bool | None = None
    ) -> None:
        """Record the chat's state (and whether it was escalated); a closed chat leaves the
        queue."""

    async def mark_escalated(self, chat_id: str) -> bool:
        """Mark the chat escalated; ``True`` only for the first caller."""

    async def append(
        self, chat_id: str, message: dict[str, Any], *, closed_ok: bool = False
    ) -> tuple[dict[str, Any], bool]:
        """Store ``message`` (which has a ``client_id``) as the chat's next: the stored message
        with its ``seq``, and ``True``; or, when that ``client_id`` was stored before, that
        message and ``False``. ``NotFound`` for no such chat; ``Conflict`` for one that has
        ended, unless ``closed_ok``."""

    async def since(self, chat_id: str, after: int) -> list[dict[str, Any]]:
        """The chat's messages with ``seq`` over ``after``, in order."""

    async def openings(self, chat_ids: list[str]) -> dict[str, str]:
        """Each chat's first message's text (chats without one are left out)."""

    async def position(self, chat_id: str) -> int | None:
        """The chat's place in the queue (1 = next), or ``None`` when not waiting."""

    async def waiting(self, limit: int) -> list[ChatInfo]:
        """The first ``limit`` chats in the queue, in order."""

    async def take(self, chat_id: str, operator: str) -> bool:
        """Take the chat out of the queue for ``operator``; ``False`` when it was not waiting
        (somebody else took it, or it ended)."""
