"""Keeping a live chat in line with its contact after an action on the contact made outside
the chat (``services.chat.contact_changed``): answering the contact, in the console or through
the API, takes its chat too."""

from __future__ import annotations

import logging
from datetime import datetime

import anyio.from_thread
from fastapi import Request

from controlroom.domain.access import Principal
from controlroom.domain.contacts import Contact
from controlroom.domain.triage import Channel
from controlroom.services import chat as chat_service
from controlroom.services.chat import Chats
from controlroom.services.sessions import Session

log = logging.getLogger(__name__)


async def sync_chat(request: Request, session: Session, contact: Contact, now: datetime) -> None:
    """Tell the chat system what was done to a ``live_chat`` contact. The contact's change is
    already committed: a chat store that cannot be reached is logged, and the chat catches up
    when the operator next writes in it or opens it."""
    await _sync(request, session.principal, contact, now)


def sync_chat_from_thread(
    request: Request, principal: Principal, contact: Contact, now: datetime
) -> None:
    """:func:`sync_chat` for a synchronous route (run in the thread pool)."""
    if contact.channel is Channel.LIVE_CHAT:
        anyio.from_thread.run(_sync, request, principal, contact, now)


async def _sync(request: Request, principal: Principal, contact: Contact, now: datetime) -> None:
    chats: Chats | None = getattr(request.app.state, "chats", None)
    if chats is None or contact.channel is not Channel.LIVE_CHAT:
        return
    try:
        await chat_service.contact_changed(chats, principal, contact, now)
    except Exception:  # the contact's change stands; the chat catches up on the next step
        log.exception("could not bring chat of contact %s into line", contact.id)
