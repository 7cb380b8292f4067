"""The outbox's figures on /metrics: messages by state (read at each scrape) and delivery
attempts that failed (counted as the worker reports its rounds)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from controlroom.adapters.metrics import AppMetrics, counter
from controlroom.domain.errors import DomainError
from controlroom.services.outbox import DeliveryRound

#: Delivery attempts that failed: ``retrying`` (tried again later) or ``parked`` (at the limit).
OUTBOX_FAILURES = counter(
    "controlroom_outbox_delivery_failures",
    "Outbox delivery attempts that failed, by what followed (retrying or parked).",
    ["outcome"],
)


def add_outbox_gauge(metrics: AppMetrics, factory: Any) -> None:
    """Report ``controlroom_outbox_messages{state}`` from ``factory``'s database."""

    def outbox_messages() -> dict[tuple[str, ...], float]:
        try:
            with factory(read_only=True) as uow:
                counts = uow.outbox.counts()
        except (DomainError, SQLAlchemyError):  # the database is down: database_up says so
            return {}
        return {(state.value,): float(n) for state, n in counts.items()}

    metrics.add_gauge_source(
        "controlroom_outbox_messages",
        "Outbox messages by state (pending, delivering, delivered, parked).",
        ["state"],
        outbox_messages,
    )


def count_delivery_round(done: DeliveryRound) -> None:
    """Count one delivery round's failed attempts and parked messages."""
    if done.failed:
        OUTBOX_FAILURES.labels("retrying").inc(done.failed)
    if done.parked:
        OUTBOX_FAILURES.labels("parked").inc(done.parked)
