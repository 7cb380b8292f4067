"""The sign-in limits hold across instances of the service: failures counted by one are
refused by another (in the database, or in Redis when configured)."""

from __future__ import annotations

import os
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.adapters.login_attempts_redis import RedisAttemptStore
from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.app import create_app
from tests.web.console_support import add_users, sign_in

REDIS_URL = os.environ.get("CONTROLROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _instance(settings: Settings, policy: Policy) -> FastAPI:
    return create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )


@pytest.mark.parametrize("store", ["database", "redis"])
def test_an_address_failing_on_one_instance_waits_on_the_other(
    settings: Settings, policy: Policy, store: str
) -> None:
    first, second = _instance(settings, policy), _instance(settings, policy)
    if store == "redis":
        if not _redis_up() and not os.environ.get("CI"):
            pytest.skip("no Redis at " + REDIS_URL)
        prefix = f"test-{uuid.uuid4().hex[:8]}:"
        for app in (first, second):
            app.state.login_attempts = RedisAttemptStore(REDIS_URL, prefix=prefix)
    add_users(first)
    with TestClient(first) as one, TestClient(second) as other:
        for _ in range(5):
            assert sign_in(one, "hana", "wrong-password-1").status_code == 401
        refused = sign_in(other, "hana")
        assert refused.status_code == 429
        assert "Too many wrong sign-ins from this address" in refused.text
