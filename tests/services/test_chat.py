"""Live chat use cases on a real database: the queue, taking a chat, messages stored once,
an emergency typed by the visitor, and the three ways an operator ends a chat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom import bootstrap
from controlroom.adapters.chat_store import InProcessChatStore
from controlroom.adapters.pubsub import InProcessBroker
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.chat import ChatState, Sender, merge
from controlroom.domain.contacts import Role, State
from controlroom.domain.errors import Conflict, InvalidInput, NotFound
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import chat as service
from controlroom.services.live import EVENTS_TOPIC, BrokerPublisher
from tests.run_async import run_async

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
HANDLER = Principal(name="handler", role=Role.CALL_HANDLER)
AUDITOR = Principal(name="auditor", role=Role.AUDITOR)
T = TypeVar("T")


@pytest.fixture
def chats(database_url: str, policy: Policy) -> service.Chats:
    config = Settings(database_url=database_url, demo=False)
    broker = InProcessBroker()
    uow_factory = bootstrap.uow_factory(
        config, publisher=BrokerPublisher(broker), migrate_first=False
    )
    reporting = bootstrap.reporting_for(config, policy)
    return service.Chats(uow_factory, policy, broker, InProcessChatStore(), reporting)


def run(work: Callable[[], Awaitable[T]]) -> T:
    return run_async(work())  # type: ignore[arg-type]


def _contact(chats: service.Chats, contact_id: str) -> Any:
    with chats.uow_factory(read_only=True) as uow:
        return uow.contacts.get(contact_id)


def test_visitors_wait_in_order_and_move_up_when_a_chat_is_taken(chats: service.Chats) -> None:
    async def work() -> None:
        first = await service.start(chats, "My bike was stolen yesterday", "client-0001", NOW)
        second = await service.start(chats, "Someone keyed my car", "client-0002", NOW)
        assert await service.position(chats, first.chat.chat_id) == 1
        assert await service.position(chats, second.chat.chat_id) == 2
        queue = await service.waiting(chats, HANDLER)
        assert [item["opening"] for item in queue] == [
            "My bike was stolen yesterday",
            "Someone keyed my car",
        ]
        taken = await service.take(chats, HANDLER, first.chat.chat_id, NOW)
        assert taken.state is ChatState.ACTIVE and taken.operator == "handler"
        assert await service.position(chats, first.chat.chat_id) is None
        assert await service.position(chats, second.chat.chat_id) == 1
        with pytest.raises(Conflict):
            await service.take(chats, HANDLER, first.chat.chat_id, NOW)
        contact = _contact(chats, first.chat.contact_id)
        assert contact.channel is Channel.LIVE_CHAT
        assert contact.state is State.ANSWERED

    run(work)


def test_only_the_visitors_secret_resumes_a_chat(chats: service.Chats) -> None:
    async def work() -> None:
        started = await service.start(chats, "Lost my wallet", "client-0001", NOW)
        again = await service.resume(chats, started.chat.chat_id, started.secret)
        assert again.chat_id == started.chat.chat_id
        with pytest.raises(NotFound):
            await service.resume(chats, started.chat.chat_id, "guess")

    run(work)


def test_a_message_sent_twice_is_stored_and_published_once(chats: service.Chats) -> None:
    async def work() -> None:
        started = await service.start(chats, "Lost my wallet", "client-0001", NOW)
        topic = service.chat_topic(started.chat.chat_id)
        async with chats.broker.subscription(topic) as messages:
            one, new = await service.say(
                chats, started.chat, Sender.VISITOR, "client-0002", "It is brown", NOW
            )
            two, again = await service.say(
                chats, started.chat, Sender.VISITOR, "client-0002", "It is brown", NOW
            )
            assert (new, again) == (True, False)
            assert one == two and one["seq"] == 2
            published = await asyncio.wait_for(anext(messages), 1)
        assert published["seq"] == 2
        stored = await chats.store.since(started.chat.chat_id, 0)
        assert [m["text"] for m in stored] == ["Lost my wallet", "It is brown"]

    run(work)


def test_bad_messages_are_refused_with_what_is_wrong(chats: service.Chats) -> None:
    async def work() -> None:
        with pytest.raises(InvalidInput, match="empty"):
            await service.start(chats, "   ", "client-0001", NOW)
        with pytest.raises(InvalidInput, match="at most 1,000"):
            await service.start(chats, "x" * 1001, "client-0001", NOW)
        with pytest.raises(InvalidInput, match="client_id"):
            await service.start(chats, "hello", "no", NOW)

    run(work)


def test_an_emergency_typed_by_the_visitor_tells_them_to_ring_999_and_alerts(
    chats: service.Chats,
) -> None:
    async def work() -> None:
        async with chats.broker.subscription(EVENTS_TOPIC) as events:
            started = await service.start(chats, "I want to report some noise", "client-1", NOW)
            text = "He has a knife and is attacking my brother right now"
            await service.say(chats, started.chat, Sender.VISITOR, "client-0002", text, NOW)
            alerts = []
            while not alerts:
                event = await asyncio.wait_for(anext(events), 2)
                if event["type"] == "ChatEscalated":
                    alerts.append(event)
        assert alerts[0]["chat_id"] == started.chat.chat_id
        assert alerts[0]["text"] == text
        log = await chats.store.since(started.chat.chat_id, 0)
        assert log[-1]["from"] == "system" and log[-1]["emergency"] is True
        assert "call 999" in log[-1]["text"]
        with chats.uow_factory(read_only=True) as uow:
            rows = uow.audit.tail(10, subject=f"contact:{started.chat.contact_id}")
        escalations = [row for row in rows if row.details.get("escalate") == "immediate"]
        assert escalations and text in escalations[0].details["visitor_said"]
        assert escalations[0].details["triage_route"] == "emergency"
        chat = await chats.store.get(started.chat.chat_id)
        assert chat is not None and chat.escalated
        # nobody had taken it: the contact is marked, an alarm at the top of the Waiting list
        marked = _contact(chats, started.chat.contact_id)
        assert marked.state is State.OFFERED and marked.record.escalation is not None
        assert marked.record.escalation.source.value == "triage"
        assert rows[-1].tag == "contact:procedure:escalate"
        # a second emergency message tells the visitor again but alerts only once
        await service.say(chats, started.chat, Sender.VISITOR, "client-0003", text, NOW)
        assert not await chats.store.mark_escalated(started.chat.chat_id)

    run(work)


def test_an_emergency_in_a_chat_already_taken_alerts_but_raises_no_alarm(
    chats: service.Chats,
) -> None:
    async def work() -> None:
        started = await service.start(chats, "I want to report some noise", "client-1", NOW)
        await service.take(chats, HANDLER, started.chat.chat_id, NOW)
        text = "He has a knife and is attacking my brother right now"
        await service.say(chats, started.chat, Sender.VISITOR, "client-0002", text, NOW)
        chat = await chats.store.get(started.chat.chat_id)
        assert chat is not None and chat.escalated  # the operator's page alerts
        contact = _contact(chats, started.chat.contact_id)
        assert contact.state is State.ANSWERED and contact.record.escalation is None

    run(work)


def _taken(chats: service.Chats, text: str) -> Any:
    async def work() -> Any:
        started = await service.start(chats, text, "client-0001", NOW)
        await service.take(chats, HANDLER, started.chat.chat_id, NOW)
        chat = await chats.store.get(started.chat.chat_id)
        await service.say(
            chats,
            chat,
            Sender.OPERATOR,
            "op-000001",
            "Thank you. When was it?",
            NOW,
            operator="handler",
        )
        await service.say(chats, chat, Sender.VISITOR, "client-0002", "Yesterday evening", NOW)
        return chat

    return run(work)


def test_an_advised_chat_closes_its_contact_with_the_transcript(chats: service.Chats) -> None:
    chat = _taken(chats, "My bike was stolen from outside the library")
    done = run(lambda: service.finish(chats, HANDLER, chat.chat_id, "advised", NOW))
    assert done["outcome"] == "advised"
    contact = _contact(chats, chat.contact_id)
    assert contact.state is State.CLOSED
    assert contact.record.narrative == (
        "My bike was stolen from outside the library\nYesterday evening"
    )
    note = contact.record.notes[-1].text
    assert "operator: Thank you. When was it?" in note and "visitor: Yesterday evening" in note
    with pytest.raises(Conflict):
        run(lambda: service.finish(chats, HANDLER, chat.chat_id, "advised", NOW))


def test_an_operator_can_turn_a_chat_into_an_incident(chats: service.Chats) -> None:
    chat = _taken(chats, "My bike was stolen from outside the library")
    done = run(
        lambda: service.finish(chats, HANDLER, chat.chat_id, "incident", NOW, grade="priority")
    )
    assert done["grade"] == "priority"
    contact = _contact(chats, chat.contact_id)
    assert contact.record.incident is not None and contact.record.incident.grade == "priority"


def test_an_operator_can_turn_a_chat_into_an_online_report(chats: service.Chats) -> None:
    chat = _taken(chats, "My bike was stolen from outside the library")
    done = run(
        lambda: service.finish(
            chats,
            HANDLER,
            chat.chat_id,
            "report",
            NOW,
            service_code="asb",
            address="Library, Exeter EX1 1AA",
            answers={"ASB_KIND": "nuisance", "ONGOING": "first"},
        )
    )
    assert done["reference"].startswith("DC-")
    log = run(lambda: chats.store.since(chat.chat_id, 0))
    assert done["reference"] in log[-1]["text"]


def test_a_visitor_who_leaves_the_queue_abandons_the_contact(chats: service.Chats) -> None:
    async def work() -> Any:
        started = await service.start(chats, "Lost my keys", "client-0001", NOW)
        await service.visitor_left(chats, started.chat, NOW)
        return started

    started = run(work)
    contact = _contact(chats, started.chat.contact_id)
    assert contact.state is State.ABANDONED
    assert run(lambda: service.position(chats, started.chat.chat_id)) is None


def test_people_who_may_not_act_on_contacts_cannot_take_chats(chats: service.Chats) -> None:
    async def work() -> None:
        started = await service.start(chats, "Lost my keys", "client-0001", NOW)
        with pytest.raises(Exception, match="does not have permission"):
            await service.take(chats, AUDITOR, started.chat.chat_id, NOW)

    run(work)


@settings(max_examples=60, deadline=None)
@given(
    sends=st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=40),
    drops=st.lists(st.integers(min_value=0, max_value=40), max_size=6),
)
def test_resuming_never_loses_or_duplicates_a_message(sends: list[int], drops: list[int]) -> None:
    """Messages are sent (client ids repeat, as when resent after a reconnect); the client's
    connection drops at random points, and it resumes from the last seq it holds."""

    async def work() -> None:
        store = InProcessChatStore()
        from controlroom.domain.chat import ChatInfo

        await store.create(ChatInfo("chat-1", "C-1", "x", NOW))
        held: dict[int, dict[str, Any]] = {}
        for step, n in enumerate(sends):
            await store.append(
                "chat-1",
                {"client_id": f"client-{n:04d}", "from": "visitor", "text": f"m{n}", "at": ""},
            )
            if step in drops or step == len(sends) - 1:  # reconnect: resume from what is held
                after = max(held, default=0)
                held = merge(held, await store.since("chat-1", after))
        log = await store.since("chat-1", 0)
        assert sorted(held) == list(range(1, len(log) + 1))
        assert [held[seq] for seq in sorted(held)] == log
        assert len({m["client_id"] for m in log}) == len(log) == len(set(sends))

    run_async(work())


def test_answering_a_chat_contact_outside_the_chat_takes_the_chat(chats: service.Chats) -> None:
    from controlroom.domain.contacts import Answer
    from controlroom.services.contacts import do_action

    async def work() -> None:
        started = await service.start(chats, "Someone keeps ringing my doorbell", "visitor-1", NOW)
        chat = started.chat
        details = await asyncio.to_thread(
            do_action, chats.uow_factory, HANDLER, chat.contact_id, Answer(), NOW, chats.policy
        )
        taken = await service.contact_changed(chats, HANDLER, details.contact, NOW)
        assert taken is not None and taken.state is ChatState.ACTIVE
        assert await service.position(chats, chat.chat_id) is None
        texts = [m["text"] for m in await chats.store.since(chat.chat_id, 0)]
        assert texts.count("An operator has joined the chat.") == 1
        await service.contact_changed(chats, HANDLER, details.contact, NOW)  # harmless again
        assert len(await chats.store.since(chat.chat_id, 0)) == len(texts)
        with pytest.raises(Conflict):  # the chat system agrees: nobody else takes it
            await service.take(chats, HANDLER, chat.chat_id, NOW)

    run(work)


def test_a_chat_left_waiting_after_its_contact_was_answered_catches_up(
    chats: service.Chats,
) -> None:
    from controlroom.domain.contacts import Answer
    from controlroom.services.contacts import do_action

    async def work() -> None:
        started = await service.start(chats, "My shed was broken into", "visitor-1", NOW)
        contact_id = started.chat.contact_id
        with pytest.raises(Conflict, match="still waiting"):
            await service.operator_says(chats, HANDLER, contact_id, "handler-01", "Hello", NOW)
        # the contact answered, the chat store not told (it was out of reach at the time)
        await asyncio.to_thread(
            do_action, chats.uow_factory, HANDLER, contact_id, Answer(), NOW, chats.policy
        )
        stored = await service.operator_says(chats, HANDLER, contact_id, "handler-01", "Hi", NOW)
        assert stored["from"] == "operator" and stored["operator"] == "handler"
        chat = await service.for_contact(chats, HANDLER, contact_id)
        assert chat.state is ChatState.ACTIVE
        with pytest.raises(NotFound):
            await service.for_contact(chats, HANDLER, "C-none")

    run(work)
