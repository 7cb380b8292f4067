"""``controlroom replay`` against the real app served by uvicorn on a free local port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from click.testing import CliRunner

from controlroom.bootstrap import UowFactory, uow_factory
from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.web.app import create_app

ADMIN = Actor("cli:test", Role.ADMIN)


@dataclass
class Service:
    url: str
    token: str
    factory: UowFactory


@pytest.fixture
def service(database_url: str, policy: Policy) -> Iterator[Service]:
    """The app on a fresh database, served in a thread; a call handler and a token."""
    settings = Settings(database_url=database_url, demo=False)
    factory = uow_factory(settings, migrate_first=False)
    accounts.add_user(factory(), ADMIN, "handler", Role.CALL_HANDLER)
    _, token = accounts.create_token(factory(), ADMIN, "telephony", Role.INTEGRATION)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(settings, policy=policy, uow_factory=factory)
    server = uvicorn.Server(uvicorn.Config(app, "127.0.0.1", port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Service(f"http://127.0.0.1:{port}", token, factory)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def replay(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    from controlroom.cli import main

    result = CliRunner().invoke(main, ["replay", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_replay_is_acknowledged_and_makes_its_contacts(service: Service) -> None:
    args = ["--url", service.url, "--token", service.token, "--calls", "40", "--seed", "7"]
    code, out, err = replay(*args, "--as-fast-as-possible", "--concurrency", "4")
    assert code == 0, out + err
    assert "replaying" in err and "events" in err  # progress on stderr
    lines = dict(line.split("  ", 1) for line in out.splitlines() if "  " in line)
    assert lines["contacts created"].strip().startswith("40 ")
    assert lines["errors"].strip().startswith("0 ")
    sent, _, planned = lines["events sent"].split()[:3]
    assert sent == planned.rstrip(",")
    with service.factory(read_only=True) as uow:
        assert uow.contacts.count() == 40
    assert "call.offered" in out and "created" in out and "999" in out


def test_the_summary_as_json_for_a_program(service: Service) -> None:
    args = ["--url", service.url, "--token", service.token, "--calls", "12", "--seed", "3"]
    code, out, err = replay(*args, "--as-fast-as-possible", "--json")
    assert code == 0, out + err
    report = json.loads(out)  # stdout is the JSON alone; progress stays on stderr
    assert report["sent"] == report["planned"] == report["acknowledged"] > 12
    assert report["errors"] == 0 and report["statuses"]["201"] == 12  # one new contact a call
    assert sum(report["statuses"].values()) == report["sent"]
    assert report["contacts_created"] == report["calls"] == 12
    assert report["duplicates_answered_identically"] == report["duplicates"]
    assert 0 < report["ack_ms"]["p50"] <= report["ack_ms"]["p99"] <= report["ack_ms"]["max"]
    assert report["seed"] == 3 and report["run"].startswith("r3-")
    assert report["by_type"]["call.offered"]["sent"] == 12
    with service.factory(read_only=True) as uow:
        assert uow.contacts.count() == 12


def test_a_refused_token_stops_the_replay_with_exit_1(service: Service) -> None:
    env = {"CONTROLROOM_TOKEN": "cr_0123456789abcdef_not-the-secret"}
    code, _, err = replay("--url", service.url, "--calls", "5", "--rate", "100", env=env)
    assert code == 1
    assert "error: stopped: the service refused the token: 401 unauthenticated" in err
    with service.factory(read_only=True) as uow:
        assert uow.contacts.count() == 0


def test_usage_mistakes_exit_2_and_an_unreachable_service_1() -> None:
    assert replay("--calls", "5", env={"CONTROLROOM_TOKEN": ""})[0] == 2
    code, _, err = replay("--token", "t", "--rate", "5", "--realtime")
    assert code == 2 and "choose one of" in err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = replay("--url", f"http://127.0.0.1:{port}", "--token", "t", "--calls", "2")
    assert code == 1 and "cannot reach" in err
