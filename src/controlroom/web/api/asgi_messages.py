"""A small ASGI helper shared by the API's middleware."""

from __future__ import annotations

from starlette.types import Message, Receive


def given_back(first: Message, receive: Receive) -> Receive:
    """``receive`` with ``first`` (a message already read from it) given back first."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return first
        return await receive()

    return again
