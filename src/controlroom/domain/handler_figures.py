"""Each handler's figures over a period, from the contacts: pure functions, no clock.

A contact's **handler** is the person who answered it (the actor of its ``answer`` step); a
contact never answered has none. Answer times are those of the calls and live chats a handler
answered (an online report waits in a list, so its wait is no answer time). The median is the
middle value (the mean of the two middle ones for an even count); the 90th percentile is the
nearest rank: the smallest answer time at least 90% of the others do not exceed.

A handler's **inappropriate 999 calls** are those handed to the §4.12 procedure; each counts
under every step it reached: advised (4.12.4), warned and terminated (4.12.5), and logged
(an incident logged on it, 4.12.2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from controlroom.domain.contacts import ActionKind, ContactRecord, ProcedureName, State
from controlroom.domain.triage import Channel


@dataclass
class HandlerFigures:
    """One handler's contacts in the period."""

    handler: str
    contacts: int = 0
    answer_seconds: list[float] = field(default_factory=list)
    inappropriate: int = 0
    advised: int = 0
    warned: int = 0
    terminated: int = 0
    logged: int = 0

    @property
    def median_answer_seconds(self) -> float | None:
        """The median answer time (None before any)."""
        return median(self.answer_seconds)

    @property
    def p90_answer_seconds(self) -> float | None:
        """The 90th percentile answer time, nearest rank (None before any)."""
        return percentile(self.answer_seconds, 90)


def median(values: Sequence[float]) -> float | None:
    """The middle of ``values`` (the mean of the two middle ones); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank ``percent``-th percentile of ``values``; None when empty."""
    if not values:
        return None
    if not 0 < percent <= 100:
        raise ValueError("a percentile is above 0 and at most 100")
    ordered = sorted(values)
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[rank - 1]


def handler_of(record: ContactRecord) -> str | None:
    """Who answered the contact (the first ``answer`` step's actor), or None."""
    for entry in record.history:
        if entry.action is ActionKind.ANSWER:
            return entry.actor.id
    return None


def handler_figures(records: Iterable[ContactRecord]) -> list[HandlerFigures]:
    """The figures of each handler who answered any of ``records``, by handler id."""
    by_handler: dict[str, HandlerFigures] = {}
    for record in records:
        handler = handler_of(record)
        answered = record.timestamps.answered
        if handler is None or answered is None:
            continue
        figures = by_handler.setdefault(handler, HandlerFigures(handler))
        figures.contacts += 1
        if record.channel is not Channel.ONLINE_REPORT:
            wait = (answered - record.timestamps.offered).total_seconds()
            figures.answer_seconds.append(max(0.0, wait))
        if any(e.to_procedure is ProcedureName.INAPPROPRIATE for e in record.history):
            figures.inappropriate += 1
            figures.advised += int(bool(record.advice))
            figures.warned += int(record.warning is not None)
            figures.terminated += int(record.state is State.TERMINATED)
            figures.logged += int(record.incident is not None)
    return [by_handler[key] for key in sorted(by_handler)]
