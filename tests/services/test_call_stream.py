"""The replay stream: deterministic, a realistic mix, every event valid and the stream sound."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from controlroom.domain.access import Principal
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.location import looks_like_aml, parse_aml
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import accounts
from controlroom.services.call_stream import CallStream, calls_for_events, generate
from controlroom.services.telephony import ingest_event
from controlroom.web.schemas_telephony import TelephonyEventIn
from tests.fakes.uow import FakeUnitOfWork

START = datetime(2026, 1, 23, 18, 0, tzinfo=UTC)
EVENT = TypeAdapter(TelephonyEventIn)
CREATING = ("call.offered", "call.answered", "call.ended")


@pytest.fixture(scope="module")
def stream() -> CallStream:
    return generate(2000, seed=11, start=START)


def test_same_seed_same_stream_and_another_seed_another() -> None:
    first = generate(150, seed=3, start=START)
    assert first == generate(150, seed=3, start=START)
    assert first.events != generate(150, seed=4, start=START).events
    assert len(generate(0, seed=3, start=START).events) == 0


def test_the_mix_of_channels_callers_and_accounts(stream: CallStream) -> None:
    calls = stream.calls
    channels = Counter(call.channel for call in calls)
    assert 0.50 < channels[Channel.NINE_NINE_NINE] / len(calls) < 0.60
    assert 0.25 < channels[Channel.ONE_ZERO_ONE] / len(calls) < 0.35
    rare = (Channel.SILENT_SOLUTION_55, Channel.LANDLINE_OPEN_LINE, Channel.BSL_999)
    for channel in (*rare, Channel.RELAY_UK_18000, Channel.EMERGENCY_SMS):
        assert 20 <= channels[channel] <= 120, channel
    nines = [call for call in calls if call.channel is Channel.NINE_NINE_NINE]
    assert 0.16 < sum(call.emergency for call in nines) / len(nines) < 0.24  # "just 20%"
    assert 0.15 < sum(call.landline for call in nines) / len(nines) < 0.35
    assert sum(call.repeat for call in calls) >= 20
    withheld = [call for call in calls if call.number is None]
    assert withheld and all(call.channel is Channel.ONE_ZERO_ONE for call in withheld)
    outcomes = Counter(call.outcome for call in calls)
    assert {"answered", "abandoned", "reconnected", "rejoined", "sms"} <= set(outcomes)
    assert outcomes["answered"] > len(calls) / 2
    assert sum(call.aml for call in calls) > 500


def test_every_event_is_valid_as_the_api_reads_it(stream: CallStream) -> None:
    for delivery in stream.events:
        event = EVENT.validate_python(delivery.body).to_event()
        assert event.id == delivery.id
        assert event.occurred_at >= START
        offset = (event.occurred_at - START).total_seconds()
        assert delivery.at >= offset  # never delivered before it happened
        caller = delivery.body.get("caller") or {}
        if caller.get("landline"):
            assert delivery.body["channel"] in ("999", "101", "landline_open_line")


def test_aml_messages_parse_and_both_versions_are_used(stream: CallStream) -> None:
    texts = [e.body["text"] for e in stream.events if e.type == "sms.received"]
    aml = [text for text in texts if looks_like_aml(text)]
    assert len(aml) > 500 and len(texts) > len(aml)  # emergencySMS messages too
    versions = Counter(text[:6] for text in aml)
    assert versions['A"ML=1'] > versions['A"ML=2'] > 50
    for text in aml:
        fix = parse_aml(text)
        assert 49.9 < fix.lat < 51.3 and -5.8 < fix.lon < -3.2  # Devon and Cornwall


def test_ids_unique_and_duplicates_repeat_an_earlier_delivery(stream: CallStream) -> None:
    seen: dict[str, object] = {}
    duplicates = 0
    for event in stream.events:
        if event.duplicate:
            duplicates += 1
            assert seen[event.id] == event.body
        else:
            assert event.id not in seen
            seen[event.id] = event.body
    assert 20 < duplicates < 150
    assert [e.at for e in stream.events] == sorted(e.at for e in stream.events)


def test_each_call_is_valid_in_delivery_order(stream: CallStream) -> None:
    by_call = defaultdict(list)
    for event in stream.events:
        by_call[event.call].append(event)
    held = 0
    for events in by_call.values():
        kinds = [event.type for event in events]
        known = False
        for event in events:
            known = known or event.type in CREATING or event.body.get("channel") == "emergency_sms"
            if event.type in ("call.dtmf", "call.reconnected"):
                assert known, kinds  # never for a call not yet known (that would be a 404)
        if "call.offered" in kinds and kinds[0] != "call.offered":
            held += 1
    assert held > 10  # some offers arrive after the answer or the AML
    for event in stream.events:
        if event.type == "call.reconnected":
            ended = max(
                datetime.fromisoformat(e.body["occurred_at"])
                for e in by_call[event.call]
                if e.type == "call.ended" and e.body["occurred_at"] < event.body["occurred_at"]
            )
            gap = datetime.fromisoformat(event.body["occurred_at"]) - ended
            assert gap <= timedelta(seconds=45)


def test_the_service_takes_the_whole_stream(policy: Policy) -> None:
    stream = generate(250, seed=5, start=START, agents=("handler", "supervisor"))
    uow = FakeUnitOfWork()
    admin = Actor("cli:test", Role.ADMIN)
    accounts.add_user(uow, admin, "handler", Role.CALL_HANDLER)
    accounts.add_user(uow, admin, "supervisor", Role.SUPERVISOR)
    system = Principal("telephony", Role.INTEGRATION)
    answers: dict[str, tuple[int, object]] = {}
    now = START + timedelta(days=1)
    for delivery in stream.events:
        event = EVENT.validate_python(delivery.body).to_event()
        answer = ingest_event(lambda read_only=False: uow, system, event, now, policy)
        assert 200 <= answer[0] < 300, (delivery.body, answer)
        if delivery.duplicate:
            assert answers[delivery.id] == answer
        answers.setdefault(delivery.id, answer)
    results = Counter(body["result"] for _, body in answers.values())  # type: ignore[index]
    assert results["created"] == len(stream.calls) == len(uow.store.contacts)
    assert results["reconnected"] > 0 and results["attached"] > 0 and results["recorded"] > 0


def test_calls_for_events_is_about_right() -> None:
    calls = calls_for_events(10_000, seed=2)
    events = len(generate(calls, seed=2, start=START).events)
    assert 9_000 < events < 11_000
