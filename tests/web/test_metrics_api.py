"""``/metrics``: the figures an operations team scrapes, moved by real contacts, telephony events,
refusals and triage, and refused to anybody without the metrics token (SQLite and PostgreSQL).

Counters belong to the process and so run on from test to test: each test compares a scrape
after with a scrape before. The queue gauges come from the test's own database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from controlroom.config import Settings
from tests.web.conftest import bearer

TOKEN = "metrics-" + "k" * 40
DOCS = Path(__file__).parents[2] / "docs" / "operations.md"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings on the test database with a metrics token."""
    return Settings(policy="dcp-p-042", database_url=database_url, demo=False, metrics_token=TOKEN)


@pytest.fixture
def scraper(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers=bearer(TOKEN)) as client:
        yield client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


class Room:
    """Telephony and a call handler on one application."""

    def __init__(self, app: FastAPI, token_for: Callable[[str], str]) -> None:
        self.telephony = TestClient(app, headers=bearer(token_for("integration")))
        self.handler = TestClient(app, headers=bearer(token_for("call_handler")))
        self.events = 0

    def event(self, kind: str, call: str, channel: str, seconds_ago: float, **more: Any) -> Any:
        self.events += 1
        body = {
            "id": f"ev-{self.events}",
            "type": kind,
            "occurred_at": ago(seconds_ago),
            "call_id": call,
            "channel": channel,
            "caller": {"number": "+447700900123"},
        } | more
        response = self.telephony.post("/api/telephony/events", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def offer(self, call: str, channel: str = "999", seconds_ago: float = 0) -> str:
        return str(self.event("call.offered", call, channel, seconds_ago)["contact_id"])

    def act(self, contact_id: str, body: dict[str, Any]) -> Any:
        return self.handler.post(f"/api/contacts/{contact_id}/actions", json=body)


@pytest.fixture
def room(app: FastAPI, token_for: Callable[[str], str]) -> Iterator[Room]:
    room = Room(app, token_for)
    yield room
    room.telephony.close()
    room.handler.close()


def documented_metrics() -> list[str]:
    """The metric names in the table of operations.md's Metrics section."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)`", section, re.MULTILINE)


def family_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name + ("_total" if family.type == "counter" else ""))
        names.update(sample.name for sample in family.samples)
    return names


def test_without_the_token_metrics_answers_401_and_shows_no_figure(
    anonymous: TestClient, token_for: Callable[[str], str]
) -> None:
    for headers in (
        {},
        bearer("metrics-" + "x" * 40),
        bearer(TOKEN[:-1]),
        {"Authorization": f"Basic {TOKEN}"},
        bearer(token_for("admin")),  # an API token is not the metrics token
    ):
        response = anonymous.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthenticated"
        assert "controlroom_" not in response.text and "process_" not in response.text


def test_with_no_token_configured_metrics_are_refused_to_everybody(
    database_url: str, policy: Any
) -> None:
    from controlroom.bootstrap import uow_factory
    from controlroom.web.app import create_app

    settings = Settings(policy="dcp-p-042", database_url=database_url, demo=False)
    app = create_app(settings, policy=policy, uow_factory=uow_factory(settings))
    with TestClient(app) as client:
        for headers in ({}, bearer(TOKEN), bearer("")):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 401
            assert "CONTROLROOM_METRICS_TOKEN" in response.json()["error"]["hint"]
            assert "controlroom_" not in response.text


def test_a_metrics_token_shorter_than_32_characters_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="metrics_token"):
        Settings(metrics_token="short")


def test_every_documented_metric_is_exposed(scraper: TestClient, room: Room) -> None:
    room.offer("PBX-1")  # so that the labelled families have a sample
    documented = documented_metrics()
    assert len(documented) >= 14
    exposed = family_names(scraper.get("/metrics").text)
    missing = [name for name in documented if name not in exposed]
    assert not missing, f"documented but not exposed: {missing}"
    ours = {name for name in exposed if name.startswith("controlroom_")}
    families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in ours}
    undocumented = families - {re.sub(r"_total$", "", name) for name in documented}
    assert not undocumented, f"exposed but not documented: {undocumented}"


def test_offers_answers_and_assessments_move_the_counters_by_channel(
    scraper: TestClient, room: Room
) -> None:
    before = scrape(scraper)
    quick = room.offer("PBX-1", seconds_ago=4)
    slow = room.offer("PBX-2", seconds_ago=12)
    room.offer("PBX-3", channel="101")
    assert room.act(quick, {"action": "answer"}).status_code == 200
    room.event("call.answered", "PBX-2", "999", 0, agent="call-handler")
    narrative = {"action": "update_narrative", "text": "My neighbour's music is too loud"}
    assert room.act(quick, narrative).status_code == 200
    assessed = room.act(quick, {"action": "assess", "grade": "resolution_without_deployment"})
    assert assessed.status_code == 200, assessed.text
    route = assessed.json()["triage"]["assessments"][0]["suggestion"]["route"]
    after = scrape(scraper)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("controlroom_contacts_offered_total", channel="999") == 2
    assert moved("controlroom_contacts_offered_total", channel="101") == 1
    assert moved("controlroom_answer_seconds_count", channel="999") == 2
    assert moved("controlroom_answer_seconds_bucket", channel="999", le="10.0") == 1
    assert moved("controlroom_answer_seconds_bucket", channel="999", le="15.0") == 2
    assert moved("controlroom_answer_seconds_sum", channel="999") == pytest.approx(16, abs=3)
    assert moved("controlroom_contacts_triaged_total", channel="999", route=route) == 1
    assert moved("controlroom_triage_seconds_count") >= 1
    assert moved("controlroom_telephony_events_total", type="call.offered", result="accepted") == 3
    assert moved("controlroom_telephony_events_total", type="call.answered", result="accepted") == 1
    assert moved("controlroom_telephony_ack_seconds_count", type="call.offered") == 3
    assert slow != quick


def test_the_answer_time_histogram_has_the_10_second_standard_as_a_bucket(
    scraper: TestClient, room: Room
) -> None:
    contact_id = room.offer("PBX-1", channel="101", seconds_ago=3)
    assert room.act(contact_id, {"action": "answer"}).status_code == 200
    samples = scrape(scraper)
    buckets = {
        dict(labels)["le"]
        for name, labels in samples
        if name == "controlroom_answer_seconds_bucket" and dict(labels)["channel"] == "101"
    }
    assert {"10.0", "+Inf"} <= buckets


def test_a_refused_action_and_an_abandoned_call_are_counted(
    scraper: TestClient, room: Room
) -> None:
    contact_id = room.offer("PBX-1")
    assert room.act(contact_id, {"action": "answer"}).status_code == 200
    room.offer("PBX-2")
    before = scrape(scraper)
    refused = room.act(contact_id, {"action": "transfer", "to": "101"})
    assert refused.status_code == 409
    paragraph = refused.json()["error"]["paragraph"]
    room.event("call.ended", "PBX-2", "999", 0)  # before anyone answered
    after = scrape(scraper)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("controlroom_procedure_refusals_total", paragraph=paragraph) == 1
    assert moved("controlroom_contacts_ended_total", channel="999", outcome="abandoned") == 1


def test_a_refused_telephony_event_is_counted_by_result(scraper: TestClient, room: Room) -> None:
    before = scrape(scraper)
    bad = {"id": "ev-x", "type": "call.dtmf", "occurred_at": ago(0), "call_id": "PBX-404"}
    bad |= {"channel": "999", "caller": {"number": "+447700900123"}, "digits": "55"}
    response = room.telephony.post("/api/telephony/events", json=bad)  # no such call
    assert response.status_code == 404
    after = scrape(scraper)
    key = (
        "controlroom_telephony_events_total",
        frozenset({("type", "call.dtmf"), ("result", "invalid")}),
    )
    assert after[key] - before.get(key, 0.0) == 1


def test_the_queue_is_read_from_the_database_by_channel(scraper: TestClient, room: Room) -> None:
    room.offer("PBX-1", seconds_ago=40)
    room.offer("PBX-2", seconds_ago=5)
    answered = room.offer("PBX-3", channel="101", seconds_ago=20)
    assert room.act(answered, {"action": "answer"}).status_code == 200
    samples = scrape(scraper)  # the first reading of this application's queue
    assert value(samples, "controlroom_database_up") == 1
    assert value(samples, "controlroom_queue_length", channel="999") == 2
    assert value(samples, "controlroom_queue_length", channel="101") == 0
    assert value(samples, "controlroom_queue_length", channel="live_chat") == 0
    oldest = value(samples, "controlroom_queue_oldest_wait_seconds", channel="999")
    assert 40 <= oldest < 100
    assert value(samples, "controlroom_queue_oldest_wait_seconds", channel="101") == 0


def test_the_process_reports_its_own_figures(scraper: TestClient) -> None:
    names = family_names(scraper.get("/metrics").text)
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= names


def test_the_outbox_reports_its_messages_and_failed_deliveries(
    scraper: TestClient, app: FastAPI
) -> None:
    from controlroom.bootstrap.outbox_metrics import count_delivery_round
    from controlroom.services.outbox import DeliveryRound

    before = scrape(scraper)
    assert all(
        value(before, "controlroom_outbox_messages", state=state) == 0
        for state in ("pending", "delivering", "delivered", "parked")
    )
    count_delivery_round(DeliveryRound(delivered=3, failed=2, parked=1))
    after = scrape(scraper)
    name = "controlroom_outbox_delivery_failures_total"
    assert value(after, name, outcome="retrying") - value(before, name, outcome="retrying") == 2
    assert value(after, name, outcome="parked") - value(before, name, outcome="parked") == 1
