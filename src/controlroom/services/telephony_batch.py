"""Group commit for telephony events: one writer thread applies them in batches.

A control room's telephony sends events in bursts, many calls at once. Committing each event
in a transaction of its own spends most of the time on the transaction (taking the write
lock, the commit itself, moving the audit chain's head) rather than on the event. The
:class:`EventBatcher` queues events from every request and hands them to one writer thread,
which takes whatever has queued up (at most ``max_batch``) and applies it in one transaction,
in the order received. Each event's answer is released only after that transaction has
committed, so an acknowledged event is always stored.

When any event of a batch fails (bad input found late, a procedure refusing the move, another
writer first), the batch is rolled back whole and each of its events applied again on its own,
exactly as :func:`~controlroom.services.telephony.ingest_event` does: one event's error never
changes another event's answer. With nothing queued, a lone event is applied at once on its
own, so batching adds no delay when the room is quiet.

The thread is started by the first event and stops after :data:`IDLE_SECONDS` without one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controlroom.domain.access import Principal
from controlroom.domain.policy import Policy
from controlroom.services import location_matching as aml
from controlroom.services.contacts import UowFactory
from controlroom.services.telephony import (
    TelephonyEvent,
    apply_in,
    checked,
    ingest_event,
)
from controlroom.services.telephony_read_ahead import read_ahead

log = logging.getLogger(__name__)

#: The most events one transaction applies.
MAX_BATCH = 64
#: The writer thread stops after this long without an event (the next one starts it again).
IDLE_SECONDS = 30.0

Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class _Item:
    principal: Principal
    event: TelephonyEvent
    now: datetime
    answer: Future[Answer]


class EventBatcher:
    """Applies telephony events in batches on one writer thread (see the module doc)."""

    def __init__(
        self,
        uow_factory: UowFactory,
        policy: Policy,
        windows: aml.MatchWindows | None = None,
        *,
        max_batch: int = MAX_BATCH,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be 1 or more")
        self._uow_factory = uow_factory
        self._policy = policy
        self._windows = windows or aml.MatchWindows()
        self._max_batch = max_batch
        self._idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0  # transactions committed with more than one event, for the curious

    def submit(self, principal: Principal, event: TelephonyEvent, now: datetime) -> Future[Answer]:
        """Queue ``event``; the future gives ``(status, body)`` once it is committed, or the
        domain error it was refused with. Access and the event's shape are checked first, and
        a refusal raised here, before anything is queued."""
        now = checked(principal, event, now)
        answer: Future[Answer] = Future()
        self._queue.put(_Item(principal, event, now, answer))
        self._ensure_writer()
        return answer

    def _ensure_writer(self) -> None:
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="telephony-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._apply(batch)
            except BaseException as exc:  # never leave a sender waiting for ever
                log.exception("applying %d telephony events failed", len(batch))
                for item in batch:
                    if not item.answer.done():
                        item.answer.set_exception(exc)

    def _next_batch(self) -> list[_Item] | None:
        try:
            first = self._queue.get(timeout=self._idle_seconds)
        except queue.Empty:
            with self._guard:
                if self._queue.empty():
                    self._thread = None
                    return None
            first = self._queue.get()
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _apply(self, batch: Sequence[_Item]) -> None:
        if len(batch) > 1:
            answers = self._together(batch)
            if answers is not None:
                self.batches += 1
                for item, answer in zip(batch, answers, strict=True):
                    item.answer.set_result(answer)
                return
        for item in batch:
            self._alone(item)

    def _together(self, batch: Sequence[_Item]) -> list[Answer] | None:
        """The answers of the whole batch applied in one transaction, or ``None`` (nothing
        committed) when any event of it failed."""
        try:
            with self._uow_factory() as uow:
                read_ahead(uow, [item.event for item in batch], self._windows)
                answers = [
                    apply_in(uow, i.principal, i.event, i.now, self._policy, self._windows)[:2]
                    for i in batch
                ]
                uow.commit()
        except Exception:
            return None
        return answers

    def _alone(self, item: _Item) -> None:
        try:
            answer = ingest_event(
                self._uow_factory,
                item.principal,
                item.event,
                item.now,
                self._policy,
                windows=self._windows,
            )
        except Exception as exc:
            item.answer.set_exception(exc)
        else:
            item.answer.set_result(answer)
