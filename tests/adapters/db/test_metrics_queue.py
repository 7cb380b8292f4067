"""The queue gauges read the database at scrape time, reuse a reading for 2 seconds, and say so
when the database cannot be read; gauge sources added later are reported at every scrape; the
commit observer sees the events of committed units of work only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from controlroom.adapters.db import uow as uow_module
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.uow import observe_commits
from controlroom.adapters.metrics import QUEUE_CACHE_SECONDS, AppMetrics, QueueCollector
from controlroom.domain.contacts import Actor, Caller, Contact, Role
from controlroom.domain.triage.decision import Channel
from tests.adapters.db.conftest import MakeUow
from tests.domain.contacts.policy_builder import build_policy

POLICY = build_policy()
SYSTEM = Actor("telephony", Role.INTEGRATION)


def offer(make_uow: MakeUow, contact_id: str, channel: Channel, waited: float) -> None:
    contact, _ = Contact.offer(
        contact_id=contact_id,
        channel=channel,
        caller=Caller("+447700900123"),
        actor=SYSTEM,
        now=datetime.now(UTC) - timedelta(seconds=waited),
        policy=POLICY,
    )
    with make_uow() as uow:
        uow.contacts.add(contact)
        uow.commit()


def readings(collector: QueueCollector) -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    for family in collector.collect():
        for sample in family.samples:
            found[(sample.name, sample.labels.get("channel", ""))] = sample.value
    return found


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_queue_is_counted_by_channel_and_read_again_after_2_seconds(
    make_uow: MakeUow, database_engine: Engine
) -> None:
    offer(make_uow, "C-1", Channel.NINE_NINE_NINE, 30)
    offer(make_uow, "C-2", Channel.NINE_NINE_NINE, 4)
    offer(make_uow, "C-3", Channel.LIVE_CHAT, 100)
    clock = Clock()
    collector = QueueCollector(database_engine, clock=clock)
    first = readings(collector)
    assert first[("controlroom_database_up", "")] == 1
    assert first[("controlroom_queue_length", "999")] == 2
    assert first[("controlroom_queue_length", "live_chat")] == 1
    assert first[("controlroom_queue_length", "101")] == 0
    assert 30 <= first[("controlroom_queue_oldest_wait_seconds", "999")] < 60
    assert 100 <= first[("controlroom_queue_oldest_wait_seconds", "live_chat")] < 130
    assert first[("controlroom_queue_oldest_wait_seconds", "101")] == 0
    assert {channel for name, channel in first if name == "controlroom_queue_length"} == {
        channel.value for channel in Channel
    }

    offer(make_uow, "C-4", Channel.ONE_ZERO_ONE, 1)
    clock.now += QUEUE_CACHE_SECONDS / 2
    assert readings(collector)[("controlroom_queue_length", "101")] == 0  # the same reading
    clock.now += QUEUE_CACHE_SECONDS
    assert readings(collector)[("controlroom_queue_length", "101")] == 1


def test_a_database_that_cannot_be_read_is_reported_not_raised(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'no.db'}")
    try:
        found = readings(QueueCollector(engine))
    finally:
        engine.dispose()
    assert found == {("controlroom_database_up", ""): 0.0}


def test_a_gauge_source_is_read_at_every_scrape(database_engine: Engine) -> None:
    metrics = AppMetrics(database_engine)
    depth = {"pending": 3.0}
    metrics.add_gauge_source(
        "controlroom_example_depth",
        "Rows waiting, by state.",
        ["state"],
        lambda: {(state,): value for state, value in depth.items()},
    )

    def broken() -> dict[tuple[str, ...], float]:
        raise RuntimeError("the source failed")

    metrics.add_gauge_source("controlroom_example_broken", "Fails.", [], broken)

    def scrape() -> dict[str, float]:
        text = metrics.exposition().decode()
        return {
            f"{sample.name}{sorted(sample.labels.items())}": sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    assert scrape()["controlroom_example_depth[('state', 'pending')]"] == 3
    depth["pending"] = 7
    found = scrape()
    assert found["controlroom_example_depth[('state', 'pending')]"] == 7
    assert not any(name.startswith("controlroom_example_broken") for name in found)
    assert found["controlroom_database_up[]"] == 1


class Seen:
    def __init__(self) -> None:
        self.events: list[object] = []

    def publish(self, events: Sequence[object]) -> None:
        self.events.extend(events)


def test_commit_observers_see_committed_events_only(make_uow: MakeUow) -> None:
    seen = Seen()
    observe_commits(seen)
    observe_commits(seen)  # once is enough
    try:
        with make_uow() as uow:
            uow.collect(["rolled back"])
            uow.rollback()
        with make_uow() as uow:
            uow.collect(["committed"])
            uow.commit()
    finally:
        uow_module._OBSERVERS.remove(seen)  # the process's observers, for the other tests
    assert seen.events == ["committed"]
