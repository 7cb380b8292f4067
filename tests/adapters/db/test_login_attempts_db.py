"""Sign-in failure counts in the database and in Redis: read, changed atomically by several
threads (as by several instances), removed, and forgotten ones pruned."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from controlroom.adapters.db.login_attempts import SqlAttemptStore
from controlroom.adapters.login_attempts_redis import RedisAttemptStore
from controlroom.domain.login_backoff import Attempts, LoginLimits, after_failure
from controlroom.services.login_limits import AttemptStore

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LIMITS = LoginLimits()
REDIS_URL = os.environ.get("CONTROLROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, database_engine: Engine) -> AttemptStore:
    if request.param == "database":
        return SqlAttemptStore(database_engine)
    if not _redis_up() and not os.environ.get("CI"):
        pytest.skip("no Redis at " + REDIS_URL)
    return RedisAttemptStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}:")


def fail(at: datetime) -> Callable[[Attempts | None], tuple[Attempts, int]]:
    def change(record: Attempts | None) -> tuple[Attempts, int]:
        counted = after_failure(record, at, LIMITS.address, LIMITS)
        return counted.record, counted.record.failures

    return change


def test_a_count_is_kept_read_back_and_removed(store: AttemptStore) -> None:
    assert store.read(["address:10.0.0.1"]) == {}
    assert store.change("address:10.0.0.1", fail(T0)) == 1
    assert store.change("address:10.0.0.1", fail(T0 + timedelta(seconds=1))) == 2
    found = store.read(["address:10.0.0.1", "account:hana"])
    assert list(found) == ["address:10.0.0.1"]
    record = found["address:10.0.0.1"]
    assert record.failures == 2 and record.last_failure_at == T0 + timedelta(seconds=1)
    assert record.reported_at == T0 and record.unreported == 1
    assert store.change("address:10.0.0.1", lambda record: (None, "gone")) == "gone"
    assert store.read(["address:10.0.0.1"]) == {}


def test_changes_from_many_threads_at_once_are_all_counted(store: AttemptStore) -> None:
    def hammer() -> None:
        for _ in range(25):
            store.change("account:sam", fail(T0))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read(["account:sam"])["account:sam"].failures == 100


def test_counts_untouched_for_days_are_pruned(database_engine: Engine) -> None:
    store = SqlAttemptStore(database_engine)
    store.change("address:old", fail(T0 - timedelta(days=3)))
    store.change("address:new", fail(T0))
    assert store.prune(T0 - timedelta(days=2)) == 1
    assert list(store.read(["address:old", "address:new"])) == ["address:new"]
