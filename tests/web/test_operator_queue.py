"""The operators' queue read: shared by sockets for a moment, but never older than a change a
socket has heard of (else a chat that arrives just after a read stays hidden)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from controlroom.domain.access import Principal
from controlroom.domain.contacts import Role
from controlroom.web.public import operator
from tests.run_async import run_async

HANDLER = Principal("handler", Role.CALL_HANDLER)


def test_a_change_heard_after_the_last_read_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiting: list[dict[str, Any]] = []

    async def read(_chats: Any, _principal: Principal, _shown: int) -> list[dict[str, Any]]:
        return list(waiting)

    monkeypatch.setattr(operator.service, "waiting", read)
    chats: Any = SimpleNamespace(store=object())

    async def scenario() -> tuple[list[Any], list[Any], list[Any]]:
        first = await operator._queue(chats, HANDLER)  # read now: empty
        waiting.append({"chat": "chat-1"})  # a visitor joins the queue ...
        shared = await operator._queue(chats, HANDLER)  # ... another socket, no change heard
        heard = time.monotonic()  # ... and this socket hears of the change
        fresh = await operator._queue(chats, HANDLER, heard)
        return first, shared, fresh

    first, shared, fresh = run_async(scenario())
    assert first == [] and shared == []  # the moment's shared read, as designed
    assert fresh == [{"chat": "chat-1"}]
