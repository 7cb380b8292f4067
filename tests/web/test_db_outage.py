"""A database outage: 503 with Retry-After in the one error shape, /readyz not ready while
/healthz stays up, recovery without a restart, and one line at start-up. PostgreSQL goes
down through a loopback proxy the test stops (the shared server is never touched)."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from controlroom.bootstrap import uow_factory
from controlroom.cli import main
from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.web.app import create_app
from tests.conftest import requested_databases
from tests.tcp_proxy import TcpProxy

ADMIN = Actor("cli:test", Role.ADMIN)
needs_postgresql = pytest.mark.skipif(
    "postgresql" not in requested_databases(),
    reason="the outage runs on PostgreSQL: set CONTROLROOM_TEST_DATABASES=sqlite,postgresql",
)


@pytest.fixture
def proxy(request: pytest.FixtureRequest) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of this session's PostgreSQL schema, and the URL through it."""
    postgres = request.getfixturevalue("_postgresql")
    postgres.reset()
    url = make_url(postgres.url)
    tcp = TcpProxy((url.host or "127.0.0.1", url.port or 5432)).start()
    try:
        yield tcp, url.set(host="127.0.0.1", port=tcp.port).render_as_string(False)
    finally:
        tcp.stop()


def _get(client: TestClient, path: str, token: str) -> tuple[int, dict[str, object], str]:
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json(), response.headers.get("retry-after", "")


def _event(client: TestClient, token: str, name: str) -> httpx.Response:
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    event = {
        "id": f"outage-{name}",
        "type": "call.offered",
        "occurred_at": at,
        "call_id": f"PBX-{name}",
        "channel": "999",
        "caller": {"number": "+447700900123"},
    }
    headers = {"Authorization": f"Bearer {token}"}
    return client.post("/api/telephony/events", json=event, headers=headers)


@needs_postgresql
def test_an_outage_answers_503_and_the_service_recovers(
    proxy: tuple[TcpProxy, str], policy: Policy
) -> None:
    tcp, url = proxy
    # tokens trusted for a minute: telephony's fast path answers without a database look-up
    settings = Settings(policy="dcp-p-042", database_url=url, demo=False, token_trust_seconds=60)
    app = create_app(settings, policy=policy, uow_factory=uow_factory(settings))
    accounts.add_user(app.state.uow_factory(), ADMIN, "handler", "call_handler")
    token = accounts.create_token(app.state.uow_factory(), ADMIN, "handler", "call_handler")[1]
    system = accounts.create_token(app.state.uow_factory(), ADMIN, "pbx", "integration")[1]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert _get(client, "/api/contacts", token)[0] == 200
        assert client.get("/readyz").status_code == 200
        assert _event(client, system, "before").status_code == 201

        tcp.stop()
        status, body, retry_after = _get(client, "/api/contacts", token)
        assert status == 503 and retry_after == "5"
        error = body["error"]
        assert isinstance(error, dict) and error["code"] == "database_unavailable"
        assert "cannot be reached" in error["message"] and "try again" in error["hint"]
        assert "127.0.0.1" not in str(body)  # nothing about where the database is
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert ready.json()["problems"] == ["database: cannot be reached"]
        assert client.get("/healthz").status_code == 200  # liveness: the process is fine
        event = _event(client, system, "during")  # telephony's fast path answers by itself
        assert event.status_code == 503 and event.headers["retry-after"] == "5"
        assert event.json()["error"]["code"] == "database_unavailable"

        tcp.start()
        deadline = time.monotonic() + 15
        while (status := _get(client, "/api/contacts", token)[0]) != 200:
            assert status == 503 and time.monotonic() < deadline
            time.sleep(0.2)
        assert client.get("/readyz").status_code == 200


def test_readyz_says_not_ready_when_migrations_are_not_current(
    tmp_path: Path, policy: Policy
) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    settings = Settings(policy="dcp-p-042", database_url=f"sqlite:///{path}", demo=False)
    app = create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        (problem,) = ready.json()["problems"]
        assert "schema at revision none" in problem and "controlroom db upgrade" in problem
        assert client.get("/healthz").status_code == 200


def test_readyz_when_ready(database_url: str, policy: Policy) -> None:
    settings = Settings(policy="dcp-p-042", database_url=database_url, demo=False)
    app = create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )
    with TestClient(app) as client:
        assert client.get("/readyz").json()["status"] == "ready"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_serve_without_a_database_prints_one_line_and_exits() -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/controlroom"
    result = CliRunner().invoke(
        main, ["serve"], env={"CONTROLROOM_DATABASE_URL": url, "CONTROLROOM_DEMO": "false"}
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: database postgresql://postgres@127.0.0.1:") and (
        "refused" in line or "failed" in line
    ), line
    assert "Traceback" not in result.output


def test_serve_with_a_broken_policy_prints_one_line_and_exits(tmp_path: Path) -> None:
    env = {
        "CONTROLROOM_POLICY": str(tmp_path / "missing.toml"),
        "CONTROLROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "missing.toml" in line
