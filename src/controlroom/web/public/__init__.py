"""The force's public pages (Digital 101): "is it a police matter?", reporting online, checking
a report, and live chat (docs/digital101.md). None needs a login. Operators chat in the console
(``web/console/chat.py``); the API's chat socket authenticates in its first frame.

:func:`install_public` adds the routes; it needs ``app.state.policy``, ``app.state.broker``,
``app.state.uow_factory`` and the Open311 reporting (``install_open311``) set up first.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from controlroom import bootstrap
from controlroom.config import Settings
from controlroom.services.chat import Chats
from controlroom.services.chat_store import ChatStore
from controlroom.web.public.chat import router as chat_router
from controlroom.web.public.guard import Guard, Limits
from controlroom.web.public.operator import router as operator_router
from controlroom.web.public.pages import router as pages_router

__all__ = ["PublicSite", "install_public"]


@dataclass
class PublicSite:
    """What the public pages work with (``app.state.public``)."""

    guard: Guard


def install_public(
    app: FastAPI,
    settings: Settings,
    *,
    limits: Limits | None = None,
    chat_store: ChatStore | None = None,
) -> None:
    """Add the public pages and live chat to ``app``."""
    state = app.state
    spent = bootstrap.spent_tokens_for(settings)
    state.public = PublicSite(Guard(settings.public_secret, limits, spent=spent))
    store = chat_store or bootstrap.chat_store_for(settings)
    state.chats = Chats(
        state.uow_factory, state.policy, state.broker, store, state.open311.reporting
    )
    app.include_router(pages_router)
    app.include_router(chat_router)
    app.include_router(operator_router)
