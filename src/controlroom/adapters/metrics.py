"""Metrics in the Prometheus text format, through ``prometheus-client``.

Two kinds of figures, both documented metric by metric in docs/operations.md:

* **What this process did** — counters and histograms in :data:`SHARED`, moved by committed
  domain events (:func:`record_events`, registered as a commit observer of the unit of work),
  by the services' instruments (:class:`PrometheusInstruments`: triage's latency, procedure
  refusals, telephony events) and the process's own figures (CPU, memory, open files, garbage
  collection). Each instance counts its own; add them up across instances.
* **The room's state** — the queue by channel, read from the database when scraped
  (:class:`QueueCollector`, one query, kept for :data:`QUEUE_CACHE_SECONDS`), so every instance
  reports the same truth.

:class:`AppMetrics` is one application's registry: the shared figures, the process's, its
database's queue, and any gauge another part of the service adds with
:meth:`AppMetrics.add_gauge_source` (one call: a name, its help, its labels and a function
reading the values). Labels come from bounded sets only: channels, routes, outcomes, policy
paragraphs and telephony event types; never ids or telephone numbers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from controlroom.adapters.db.outage import reason
from controlroom.adapters.db.tables import contacts
from controlroom.domain.contacts import ActionApplied, ActionKind, ContactEnded, State
from controlroom.domain.triage import Channel

log = logging.getLogger(__name__)

#: Answer-time buckets in seconds: 10 s is the 999 answer standard.
ANSWER_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
TRIAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: How long a queue reading is reused before the database is asked again.
QUEUE_CACHE_SECONDS = 2.0
CONTENT_TYPE = CONTENT_TYPE_LATEST

disable_created_metrics()  # type: ignore[no-untyped-call]  # no ``_created`` series: Prometheus needs none of them

#: The figures of what this process did (one set per process, whatever the applications).
SHARED = CollectorRegistry()
CONTACTS_OFFERED = Counter(
    "controlroom_contacts_offered",
    "Contacts offered to the control room, by channel.",
    ["channel"],
    registry=SHARED,
)
ANSWER_SECONDS = Histogram(
    "controlroom_answer_seconds",
    "Seconds from offer to answer of each contact answered, by channel (10 s: the 999 standard).",
    ["channel"],
    buckets=ANSWER_BUCKETS,
    registry=SHARED,
)
CONTACTS_TRIAGED = Counter(
    "controlroom_contacts_triaged",
    "Contacts assessed by a handler, by channel and the route triage suggested (none: no text).",
    ["channel", "route"],
    registry=SHARED,
)
CONTACTS_ENDED = Counter(
    "controlroom_contacts_ended",
    "Contacts that reached a final state, by channel and outcome.",
    ["channel", "outcome"],
    registry=SHARED,
)
REFUSALS = Counter(
    "controlroom_procedure_refusals",
    "Actions a call-handling procedure refused, by the policy paragraph cited.",
    ["paragraph"],
    registry=SHARED,
)
TRIAGE_SECONDS = Histogram(
    "controlroom_triage_seconds",
    "Seconds each call to triage took (rules and semantic layer).",
    buckets=TRIAGE_BUCKETS,
    registry=SHARED,
)
TRIAGE_TEXTS = Counter("controlroom_triage_texts", "Texts triage has read.", registry=SHARED)
TELEPHONY_EVENTS = Counter(
    "controlroom_telephony_events",
    "Telephony events received, by type and result.",
    ["type", "result"],
    registry=SHARED,
)
TELEPHONY_ACK_SECONDS = Histogram(
    "controlroom_telephony_ack_seconds",
    "Seconds from receiving a telephony event to acknowledging it, by type.",
    ["type"],
    buckets=ACK_BUCKETS,
    registry=SHARED,
)
#: Contact channels, all reported by the queue gauges (0 when none wait).
CHANNELS = tuple(channel.value for channel in Channel)


def record_events(events: Sequence[object]) -> None:
    """Count committed domain events: offers, answers (with their answer time), assessments
    and ends, each by its contact's channel."""
    channels: dict[str, str] = {}
    for event in events:
        if isinstance(event, ActionApplied) and event.channel is not None:
            channel = channels[event.contact_id] = event.channel.value
            if event.action is ActionKind.OFFER:
                CONTACTS_OFFERED.labels(channel).inc()
            elif event.action is ActionKind.ANSWER and event.offered_at is not None:
                waited = (event.at - event.offered_at).total_seconds()
                ANSWER_SECONDS.labels(channel).observe(max(waited, 0.0))
            elif event.action is ActionKind.ASSESS:
                route = event.details.get("suggested_route") or "none"
                CONTACTS_TRIAGED.labels(channel, route).inc()
        elif isinstance(event, ContactEnded):
            channel = channels.get(event.contact_id, "unknown")
            CONTACTS_ENDED.labels(channel, event.outcome.value).inc()


class EventCounter:
    """:func:`record_events` as a commit observer (``publish(events)``)."""

    def publish(self, events: Sequence[object]) -> None:
        """Count ``events``."""
        record_events(events)


#: The one commit observer counting events (registered once per process).
EVENT_COUNTER = EventCounter()


class PrometheusInstruments:
    """The services' instruments (``services.instruments.Instruments``) as Prometheus figures."""

    def triaged(self, seconds: float, count: int) -> None:
        """One call to triage."""
        TRIAGE_SECONDS.observe(seconds)
        TRIAGE_TEXTS.inc(count)

    def refused(self, paragraph: str) -> None:
        """One refusal."""
        REFUSALS.labels(paragraph or "none").inc()

    def telephony_event(self, kind: str, result: str, seconds: float) -> None:
        """One telephony event answered."""
        TELEPHONY_EVENTS.labels(kind, result).inc()
        TELEPHONY_ACK_SECONDS.labels(kind).observe(seconds)


class _Forward(Collector):
    """Another registry's metrics, as one collector of this one."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class QueueCollector(Collector):
    """The contacts waiting to be answered, by channel, as the database has them now."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._rows: list[tuple[str, int, datetime | None]] | None = None

    def _read(self) -> list[tuple[str, int, datetime | None]] | None:
        now = self.clock()
        with self._lock:
            if self._read_at is not None and now - self._read_at < QUEUE_CACHE_SECONDS:
                return self._rows
            query = (
                select(contacts.c.channel, func.count(), func.min(contacts.c.offered_at))
                .where(contacts.c.state == State.OFFERED.value)
                .group_by(contacts.c.channel)
            )
            try:
                with self.engine.connect() as connection:
                    self._rows = [(str(c), int(n), t) for c, n, t in connection.execute(query)]
            except SQLAlchemyError as exc:
                log.warning("metrics: the queue could not be read: %s", reason(exc))
                self._rows = None
            self._read_at = now
            return self._rows

    def collect(self) -> Iterable[Metric]:
        rows = self._read()
        up = GaugeMetricFamily(
            "controlroom_database_up", "1 when the queue could be read from the database, else 0."
        )
        up.add_metric([], 0.0 if rows is None else 1.0)
        yield up
        if rows is None:
            return
        length = GaugeMetricFamily(
            "controlroom_queue_length",
            "Contacts waiting to be answered, by channel.",
            None,
            ["channel"],
        )
        oldest = GaugeMetricFamily(
            "controlroom_queue_oldest_wait_seconds",
            "Seconds the longest-waiting contact has waited, by channel (0 when none waits).",
            None,
            ["channel"],
        )
        now = datetime.now(UTC)
        found = {channel: (count, first) for channel, count, first in rows}
        for channel in sorted(set(CHANNELS) | set(found)):
            count, first = found.get(channel, (0, None))
            waited = 0.0 if first is None else max((now - first).total_seconds(), 0.0)
            length.add_metric([channel], float(count))
            oldest.add_metric([channel], waited)
        yield length
        yield oldest


#: A gauge source: the current value for each tuple of label values.
GaugeReader = Callable[[], Mapping[tuple[str, ...], float]]


class _GaugeSource(Collector):
    def __init__(self, name: str, help_: str, labels: Sequence[str], read: GaugeReader) -> None:
        self.name, self.help, self.labels, self.read = name, help_, list(labels), read

    def collect(self) -> Iterable[Metric]:
        try:
            values = self.read()
        except Exception:
            log.exception("metrics: reading %s failed", self.name)
            return
        family = GaugeMetricFamily(self.name, self.help, None, self.labels)
        for labels, value in values.items():
            family.add_metric(list(labels), float(value))
        yield family


class AppMetrics:
    """One application's metrics: what the process did, the process's own figures, the queue
    in ``engine``'s database, and the gauge sources added."""

    content_type = CONTENT_TYPE

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Forward(SHARED))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(QueueCollector(engine))

    def add_gauge_source(
        self, name: str, help_: str, labels: Sequence[str], read: GaugeReader
    ) -> None:
        """Report gauge ``name`` at every scrape with the values ``read()`` gives, keyed by
        label values in the order of ``labels`` (``()`` for a gauge without labels)."""
        self.registry.register(_GaugeSource(name, help_, labels, read))

    def exposition(self) -> bytes:
        """Every metric, in the Prometheus text format (:data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)


def counter(name: str, help_: str, labels: Sequence[str] = ()) -> Counter:
    """A new counter among the process's figures (exposed as ``<name>_total``), for a part of
    the service that counts events itself (e.g. deliveries that failed)."""
    return Counter(name, help_, list(labels), registry=SHARED)
