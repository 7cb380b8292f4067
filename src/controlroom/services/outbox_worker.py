"""The outbox's delivery worker: a background thread that delivers due messages, off every
request's path (a handler's change only writes its message; it never waits for C&C).

``controlroom serve`` starts one with the service when a destination is configured, and
``controlroom outbox deliver`` runs one on its own. Several may run against one database: each
claims different messages (services/outbox.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from controlroom.domain.errors import DomainError
from controlroom.domain.outbox import RetryPolicy
from controlroom.services.outbox import (
    LEASE,
    DeliveryRound,
    Transport,
    UowFactory,
    deliver_due,
)

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The time now, in UTC."""
    return datetime.now(UTC)


class DeliveryWorker:
    """Delivers due messages round after round; waits ``poll_seconds`` when a round found none
    (or the database could not be reached)."""

    def __init__(
        self,
        uow_factory: UowFactory,
        transports: Mapping[str, Transport],
        retry: RetryPolicy,
        *,
        poll_seconds: float = 1.0,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] = utc_now,
        on_round: Callable[[DeliveryRound], None] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.on_round = on_round
        self.transports = dict(transports)
        self.retry = retry
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> DeliveryRound:
        """One round: claim what is due and send it (reported to ``on_round``)."""
        done = deliver_due(
            self.uow_factory, self.transports, self.retry, self.clock, lease=self.lease
        )
        if self.on_round is not None:
            self.on_round(done)
        return done

    def run(self) -> None:
        """Deliver until :meth:`stop` is called."""
        while not self._stop.is_set():
            try:
                handled = self.run_once().handled
            except DomainError as exc:  # the database is unavailable: try again later
                log.warning("outbox delivery paused: %s", exc.message)
                handled = 0
            except Exception:
                log.exception("outbox delivery round failed")
                handled = 0
            if not handled:
                self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        """Run in a background thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="controlroom-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the loop to end and wait for the round in progress (a message being sent is
        either recorded or claimed again after its lease)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
