"""The force's public pages (Digital 101): "is it a police matter?", reporting online, checking
a report, and live chat (docs/digital101.md). None needs a login.

:func:`install_public` adds the routes; it needs ``app.state.policy``, ``app.state.broker`` and
the Open311 reporting set up first (``install_open311``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from controlroom.config import Settings
from controlroom.web.public.guard import Guard, Limits
from controlroom.web.public.pages import router as pages_router

__all__ = ["PublicSite", "install_public"]


@dataclass
class PublicSite:
    """What the public pages work with (``app.state.public``)."""

    guard: Guard


def install_public(app: FastAPI, settings: Settings, *, limits: Limits | None = None) -> None:
    """Add the public pages to ``app``."""
    app.state.public = PublicSite(Guard(settings.public_secret, limits))
    app.include_router(pages_router)
