"""Live messages: the :class:`Broker` port, and the publisher that puts committed domain events on
it for the console's live queue and the chat.

A broker carries JSON-able ``dict`` messages on named topics. ``publish`` may be called from any
thread (an event loop, or sync code in FastAPI's thread pool right after a commit) and never
blocks; ``subscription(*topics)`` is an async context manager yielding an async iterator of the
messages published on those topics after it was entered, each with its ``"topic"`` key set.
Delivery is at most once: a subscriber that falls too far behind loses messages (and is told,
see ``adapters/pubsub.py``), so anything that must not be lost is also stored (chat messages are,
and a client resumes from its last sequence number).

Topics: :data:`EVENTS_TOPIC` carries every domain event published after commit, as
``{"type": <event class name>, ...fields}`` (:func:`event_message`); the chat uses its own.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from controlroom.domain.contacts import Actor

log = logging.getLogger(__name__)

#: The topic domain events are published on after their transaction commits.
EVENTS_TOPIC = "events"


class Broker(Protocol):
    """Publish/subscribe of JSON-able dicts on named topics."""

    def publish(self, topic: str, message: Mapping[str, Any]) -> None:
        """Send ``message`` to every current subscriber of ``topic``; callable from any thread,
        never blocks, never raises for a subscriber's sake."""

    def subscription(
        self, *topics: str
    ) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """Listen to ``topics`` while the context is open: messages published from now on,
        in the order published by each publisher, each with ``"topic"`` set."""


def jsonable(value: Any) -> Any:
    """``value`` as JSON-able data: dataclasses as dicts, enums by value, times in ISO 8601,
    actors as ``{"id", "role"}``, sets sorted, mappings and sequences element by element."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Actor):
        return {"id": value.id, "role": jsonable(value.role)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return str(value)


def event_message(event: object) -> dict[str, Any]:
    """A domain event as a message: ``{"type": <class name>, ...its fields}``."""
    fields = jsonable(event)
    body = fields if isinstance(fields, dict) else {"value": fields}
    return {"type": type(event).__name__, **body}


class BrokerPublisher:
    """The units of work's publisher (``services.ports.EventPublisher``): each committed domain
    event becomes a message on :data:`EVENTS_TOPIC`. A failure is logged, never raised (the
    change is already committed)."""

    def __init__(self, broker: Broker, topic: str = EVENTS_TOPIC) -> None:
        self.broker = broker
        self.topic = topic

    def publish(self, events: Sequence[object]) -> None:
        """Publish ``events`` in order."""
        for event in events:
            try:
                self.broker.publish(self.topic, event_message(event))
            except Exception:
                log.exception("publishing %s failed", type(event).__name__)
