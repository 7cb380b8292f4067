"""Fixtures for the HTTP tests: the application on the shipped policy and a fresh database
(SQLite, and PostgreSQL when asked for), API tokens for each role, and clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.web.app import create_app

ADMIN = Actor("cli:test", Role.ADMIN)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings on the test database, without demo data."""
    return Settings(policy="dcp-p-042", database_url=database_url, demo=False)


@pytest.fixture
def app(settings: Settings, policy: Policy) -> FastAPI:
    """The application, on the seed force's policy and the test database."""
    return create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )


@pytest.fixture
def token_for(app: FastAPI) -> Callable[[str], str]:
    """``token_for(role)``: an API token for a user of that role (a system for
    ``integration``), made through the accounts service once per role and test."""
    made: dict[str, str] = {}

    def token(role: str) -> str:
        if role not in made:
            factory = app.state.uow_factory
            if role != Role.INTEGRATION.value:
                accounts.add_user(factory(), ADMIN, role.replace("_", "-"), role)
            name = role.replace("_", "-")
            made[role] = accounts.create_token(factory(), ADMIN, name, role)[1]
        return made[role]

    return token


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    """A client without a token, answering server errors as responses."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def telephony(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[TestClient]:
    """The telephony system's client (role integration)."""
    headers = bearer(token_for("integration"))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as test_client:
        yield test_client


@pytest.fixture
def client(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[TestClient]:
    """A call handler's client: sends a token, answers server errors as responses."""
    headers = bearer(token_for("call_handler"))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as test_client:
        yield test_client


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    """The application behind a real uvicorn server (access log on), and its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
