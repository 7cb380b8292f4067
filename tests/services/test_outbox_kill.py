"""Kill the delivery worker mid-delivery and start it again: every message reaches the
receiver, none takes effect twice, and each contact's messages arrive in order.

The worker runs as its own process (``controlroom outbox deliver``) against the test database;
the receiver holds each answer back a little after processing the request, and the worker is
killed with SIGKILL while it waits for one, so the message in flight was taken by C&C but not
recorded as delivered: the restarted worker sends it again with the same idempotency key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from controlroom.adapters.db.tables import outbox
from controlroom.domain.policy import Policy
from tests.cc_receiver import SECRET, Receiver
from tests.services.test_outbox_sql import Factory, incident

CONTACTS, NOTES = 3, 3  # each contact: incident.logged and three incident.updated
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(delay=0.2) as running:
        yield running


def start_worker(database_url: str, receiver: Receiver) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "CONTROLROOM_DATABASE_URL": database_url,
        "CONTROLROOM_DEMO": "false",
        "CONTROLROOM_CC_URL": receiver.url,
        "CONTROLROOM_CC_SECRET": SECRET,
        "CONTROLROOM_OUTBOX_LEASE_SECONDS": "1",
        "CONTROLROOM_OUTBOX_POLL_SECONDS": "0.05",
        "CONTROLROOM_OUTBOX_BACKOFF_SECONDS": "0.1",
    }
    command = [sys.executable, "-m", "controlroom", "outbox", "deliver"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)


def states(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row.state for row in connection.execute(select(outbox).order_by(outbox.c.id))]


def wait_until_delivered(engine: Engine, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    found = states(engine)
    while time.monotonic() < deadline and set(found) != {"delivered"}:
        time.sleep(0.05)
        found = states(engine)
    return found


def test_a_worker_killed_mid_delivery_loses_nothing_and_doubles_nothing(
    database_url: str, database_engine: Engine, policy: Policy, receiver: Receiver
) -> None:
    factory = Factory(database_engine)
    for _ in range(CONTACTS):
        incident(factory, policy, datetime.now(UTC), notes=NOTES)
    with database_engine.connect() as connection:
        keys = [row.idempotency_key for row in connection.execute(select(outbox))]
    assert len(keys) == CONTACTS * (NOTES + 1)

    first = start_worker(database_url, receiver)
    try:
        assert receiver.wait_for(4), "the first worker delivered nothing"
        first.send_signal(signal.SIGKILL)  # while it waits for the answer to the 4th
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    in_flight = states(database_engine)
    assert "delivering" in in_flight, "killed in the middle of a delivery"
    assert set(in_flight) != {"delivered"}

    second = start_worker(database_url, receiver)
    try:
        assert receiver.wait_for(len(keys)), f"only {len(receiver.processed)} of {len(keys)}"
        assert wait_until_delivered(database_engine) == ["delivered"] * len(keys)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
    assert second.returncode == 0, second.stderr.read().decode() if second.stderr else ""

    assert sorted(receiver.processed) == sorted(keys), "every message arrived"
    assert len(set(receiver.processed)) == len(receiver.processed), "each took effect once"
    assert sum(receiver.duplicates.values()) >= 1, "the message in flight was sent again"
    assert receiver.out_of_order == [] and receiver.refused == []
