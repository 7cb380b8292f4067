"""Live chat use cases: a visitor starts a chat and waits in the queue; an operator takes it;
both write; the operator ends it with advice, an incident or an online report.

Each chat is a ``live_chat`` contact, made through the same services and audit as any other.
Messages live in the chat store (numbered, each stored once however often it is sent) and are
published on the chat's topic (:func:`chat_topic`) for every instance's sockets. The
transcript is written to the contact when the chat ends (the visitor's words as its narrative,
the whole conversation as a note), and the visitor's account as soon as triage reads an
emergency in it: the visitor is told at once to ring 999, and a :class:`ChatEscalated` event on
``events`` alerts operators and supervisors.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.chat import (
    ChatEscalated,
    ChatInfo,
    ChatState,
    Sender,
    check_client_id,
    check_text,
)
from controlroom.domain.contacts import Caller, Contact, State
from controlroom.domain.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import Channel
from controlroom.services.chat_contact import close_contact, record_escalation
from controlroom.services.chat_store import ChatStore
from controlroom.services.contacts import UowFactory, new_contact_id, record_offer, suggest
from controlroom.services.live import Broker, BrokerPublisher
from controlroom.services.public_site import PUBLIC_SITE
from controlroom.services.reporting import Reporting

QUEUE_TOPIC = "chatqueue"
EMERGENCY_NOTICE = (
    "What you have written sounds like an emergency. If anyone is in danger now, call 999 "
    "straight away: do not wait for a reply here. If you cannot speak, call 999 and press 55 "
    "when asked which service you need. We have alerted the control room: until an operator "
    "joins you, this chat is at the top of every call handler's list, marked as an emergency."
)
WELCOME = "Thank you. You are in the queue and an operator will be with you as soon as possible."


def chat_topic(chat_id: str) -> str:
    """The topic a chat's messages, typing notices and changes are published on."""
    return f"chat:{chat_id}"


@dataclass(frozen=True)
class Chats:
    """What the chat use cases work with."""

    uow_factory: UowFactory
    policy: Policy
    broker: Broker
    store: ChatStore
    reporting: Reporting | None = None


@dataclass(frozen=True)
class Started:
    """A new chat, and the secret its visitor resumes it with (shown to nobody else)."""

    chat: ChatInfo
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def start(chats: Chats, text: object, client_id: object, now: datetime) -> Started:
    """Start a chat with the visitor's first message: a ``live_chat`` contact in the queue."""
    first = check_text(text)
    client_id = check_client_id(client_id)
    contact_id = await asyncio.to_thread(_offer, chats, first, now)
    secret = secrets.token_urlsafe(24)
    chat = ChatInfo(
        chat_id=f"chat-{secrets.token_hex(8)}",
        contact_id=contact_id,
        secret_hash=_hash(secret),
        started_at=now,
    )
    await chats.store.create(chat)
    await say(chats, chat, Sender.VISITOR, client_id, first, now)
    chats.broker.publish(QUEUE_TOPIC, {"type": "queue", "chat": chat.chat_id, "change": "joined"})
    return Started(chat, secret)


def _offer(chats: Chats, text: str, now: datetime) -> str:
    actor = PUBLIC_SITE.actor
    access_check(PUBLIC_SITE, Permission.TELEPHONY_INGEST)
    contact, events = Contact.offer(
        contact_id=new_contact_id(now),
        channel=Channel.LIVE_CHAT,
        caller=Caller(),
        actor=actor,
        now=now,
        policy=chats.policy,
        narrative=text,
    )
    with chats.uow_factory() as uow:
        record_offer(uow, contact, events, actor, now, chats.policy, via="live chat")
        uow.commit()
    return contact.id


async def resume(chats: Chats, chat_id: object, secret: object) -> ChatInfo:
    """The visitor's chat, if ``secret`` is the one it was started with."""
    chat = await chats.store.get(chat_id) if isinstance(chat_id, str) else None
    given = secret if isinstance(secret, str) else ""
    if chat is None or not hmac.compare_digest(chat.secret_hash, _hash(given)):
        raise NotFound("this chat cannot be found: it may have ended", field="chat")
    return chat


async def say(
    chats: Chats,
    chat: ChatInfo,
    sender: Sender,
    client_id: str,
    text: str,
    now: datetime,
    *,
    operator: str = "",
    emergency: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Store and publish one message (once, however often it is sent); the stored message and
    whether it is new. A visitor's message that reads as an emergency escalates the chat."""
    message: dict[str, Any] = {
        "client_id": client_id,
        "from": sender.value,
        "text": text,
        "at": now.isoformat(),
    }
    if operator:
        message["operator"] = operator
    if emergency:
        message["emergency"] = True
    closed_ok = sender is Sender.SYSTEM
    stored, new = await chats.store.append(chat.chat_id, message, closed_ok=closed_ok)
    if new:
        chats.broker.publish(chat_topic(chat.chat_id), {"type": "message", **stored})
        if sender is Sender.VISITOR:
            await _check_emergency(chats, chat, stored, now)
    return stored, new


async def _check_emergency(
    chats: Chats, chat: ChatInfo, message: dict[str, Any], now: datetime
) -> None:
    decision = suggest(message["text"], Channel.LIVE_CHAT, chats.policy)
    if decision is None or decision.route is not Route.EMERGENCY:
        return
    notice_id = f"system-999-{message['seq']}"
    await say(chats, chat, Sender.SYSTEM, notice_id, EMERGENCY_NOTICE, now, emergency=True)
    if not await chats.store.mark_escalated(chat.chat_id):
        return
    messages = await chats.store.since(chat.chat_id, 0)
    seq, action = await asyncio.to_thread(record_escalation, chats, chat, messages, decision, now)
    event = ChatEscalated(
        contact_id=chat.contact_id,
        seq=seq,
        action=action,
        actor=PUBLIC_SITE.actor,
        at=now,
        chat_id=chat.chat_id,
        summary=decision.summary,
        text=message["text"],
    )
    BrokerPublisher(chats.broker).publish([event])
    change = {"type": "queue", "chat": chat.chat_id, "change": "escalated"}
    chats.broker.publish(QUEUE_TOPIC, change)


def typing(chats: Chats, chat_id: str, sender: Sender) -> None:
    """Tell the other side someone is typing (not stored)."""
    chats.broker.publish(chat_topic(chat_id), {"type": "typing", "from": sender.value})


async def position(chats: Chats, chat_id: str) -> int | None:
    """The chat's place in the queue (1 = next), or ``None`` once taken or ended."""
    return await chats.store.position(chat_id)


async def waiting(chats: Chats, principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
    """The chats waiting for an operator, first first, with the visitor's opening words."""
    access_check(principal, Permission.CONTACT_READ)
    queue = await chats.store.waiting(limit)
    openings = await chats.store.openings([chat.chat_id for chat in queue])
    return [
        {
            "chat": chat.chat_id,
            "contact_id": chat.contact_id,
            "position": place,
            "started_at": chat.started_at.isoformat(),
            "escalated": chat.escalated,
            "opening": openings.get(chat.chat_id, "")[:200],
        }
        for place, chat in enumerate(queue, start=1)
    ]


async def take(chats: Chats, principal: Principal, chat_id: str, now: datetime) -> ChatInfo:
    """Take a waiting chat: its contact is answered (the database decides between operators
    taking it at once), then it leaves the queue and the visitor is told."""
    access_check(principal, Permission.CONTACT_ACT)
    chat = await _must(chats, chat_id)
    if chat.state is not ChatState.WAITING:
        raise Conflict("another operator has taken this chat, or it has ended", field="chat")
    try:
        await asyncio.to_thread(_answer, chats, principal, chat, now)
    except PolicyViolation:
        raise Conflict(
            "this chat's contact cannot be answered now: another operator has taken it",
            field="chat",
            hint="open the contact in the console to see who has it",
        ) from None
    return await _joined(chats, principal, chat, now)


async def contact_changed(
    chats: Chats, principal: Principal, contact: Contact, now: datetime
) -> ChatInfo | None:
    """Bring a ``live_chat`` contact's chat into line after an action on the contact made
    outside the chat (the console's Answer, the API): once the contact is answered its chat
    leaves the queue and the visitor is told an operator has joined. The chat, if any."""
    if contact.channel is not Channel.LIVE_CHAT or contact.state is State.OFFERED:
        return None
    chat = await chats.store.for_contact(contact.id)
    if chat is None or chat.state is not ChatState.WAITING:
        return chat
    return await _joined(chats, principal, chat, now)


async def _joined(chats: Chats, principal: Principal, chat: ChatInfo, now: datetime) -> ChatInfo:
    """The chat's contact has been answered: out of the queue, and the visitor told (each step
    harmless to repeat)."""
    chat_id = chat.chat_id
    await chats.store.take(chat_id, principal.name)  # False once taken: nothing more to do
    chat = await _must(chats, chat_id)
    text = "An operator has joined the chat."
    await say(chats, chat, Sender.SYSTEM, f"system-joined-{chat_id}", text, now)
    chats.broker.publish(chat_topic(chat_id), {"type": "state", "state": chat.state.value})
    chats.broker.publish(QUEUE_TOPIC, {"type": "queue", "chat": chat_id, "change": "taken"})
    return chat


def _answer(chats: Chats, principal: Principal, chat: ChatInfo, now: datetime) -> None:
    from controlroom.domain.contacts import Answer
    from controlroom.services.contacts import do_action

    do_action(chats.uow_factory, principal, chat.contact_id, Answer(), now, chats.policy)


async def for_contact(chats: Chats, principal: Principal, contact_id: str) -> ChatInfo:
    """The chat of contact ``contact_id``, for someone who may read contacts."""
    access_check(principal, Permission.CONTACT_READ)
    chat = await chats.store.for_contact(contact_id)
    if chat is None:
        raise NotFound(
            f"no live chat for contact {contact_id!r}",
            field="contact",
            hint="its chat has ended and expired: the transcript is in the contact's notes",
        )
    return chat


async def _must(chats: Chats, chat_id: str) -> ChatInfo:
    chat = await chats.store.get(chat_id)
    if chat is None:
        raise NotFound(f"no chat {chat_id!r}", field="chat")
    return chat


async def operator_chat(chats: Chats, principal: Principal, chat_id: str) -> ChatInfo:
    """A chat an operator may join (again, after a reconnect)."""
    access_check(principal, Permission.CONTACT_ACT)
    return await _must(chats, chat_id)


async def visitor_left(chats: Chats, chat: ChatInfo, now: datetime) -> None:
    """The visitor ended the chat. A chat nobody had taken is closed (its contact abandoned);
    an operator's chat stays open for the operator to finish."""
    text = "The visitor has left the chat."
    await say(chats, chat, Sender.SYSTEM, f"system-left-{chat.chat_id}", text, now)
    if chat.state is ChatState.WAITING:
        await finish(chats, None, chat.chat_id, "left", now)


OUTCOMES = ("advised", "incident", "report", "left")


async def finish(
    chats: Chats,
    principal: Principal | None,
    chat_id: str,
    outcome: str,
    now: datetime,
    *,
    grade: str = "",
    advice: str = "101",
    service_code: str = "",
    address: str = "",
    answers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """End a chat: the transcript onto its contact, and the outcome the operator chose —
    ``advised``, ``incident`` (with a grade) or ``report`` (an online report of
    ``service_code`` made from the visitor's words, at ``address``, with ``answers`` to its
    questions). ``left``: the visitor
    left before anyone took the chat. What was done, as JSON-able data."""
    if outcome not in OUTCOMES or (outcome == "left") != (principal is None):
        raise InvalidInput(
            f"unknown outcome {outcome!r}", field="outcome", hint="advised, incident or report"
        )
    if principal is not None:
        access_check(principal, Permission.CONTACT_ACT)
    chat = await _must(chats, chat_id)
    if chat.state is ChatState.CLOSED:
        raise Conflict("this chat has already ended", field="chat")
    messages = await chats.store.since(chat_id, 0)
    done = await asyncio.to_thread(
        close_contact,
        chats,
        principal,
        chat,
        messages,
        outcome,
        now,
        grade=grade,
        advice=advice,
        service_code=service_code,
        address=address,
        answers=answers,
    )
    await chats.store.set_state(chat_id, ChatState.CLOSED)
    closed = await _must(chats, chat_id)
    text = "This chat has ended. Thank you for contacting us. If anyone is in danger, call 999."
    if done.get("reference"):
        text += f" Your report's reference number is {done['reference']}."
    await say(chats, closed, Sender.SYSTEM, f"system-closed-{chat_id}", text, now)
    chats.broker.publish(chat_topic(chat_id), {"type": "state", "state": "closed", **done})
    chats.broker.publish(QUEUE_TOPIC, {"type": "queue", "chat": chat_id, "change": "closed"})
    return done


async def open_chat(chats: Chats, principal: Principal, contact_id: str, now: datetime) -> ChatInfo:
    """The chat of contact ``contact_id`` as a console shows it; one still waiting although its
    contact was answered (the chat store could not be told at the time) is taken now."""
    chat = await for_contact(chats, principal, contact_id)
    if chat.state is ChatState.WAITING:
        state = await asyncio.to_thread(_contact_state, chats, contact_id)
        if state is not None and state is not State.OFFERED:
            chat = await _joined(chats, principal, chat, now)
    return chat


def _contact_state(chats: Chats, contact_id: str) -> State | None:
    with chats.uow_factory(read_only=True) as uow:
        contact = uow.contacts.get(contact_id)
        return None if contact is None else contact.state


async def operator_says(
    chats: Chats,
    principal: Principal,
    contact_id: str,
    client_id: object,
    text: object,
    now: datetime,
) -> dict[str, Any]:
    """An operator's message in the chat of contact ``contact_id`` (stored once however often
    it is sent): only once the contact is answered, so the visitor knows someone has joined."""
    access_check(principal, Permission.CONTACT_ACT)
    checked_id, checked_text = check_client_id(client_id), check_text(text)
    chat = await open_chat(chats, principal, contact_id, now)
    if chat.state is ChatState.WAITING:
        raise Conflict(
            "this chat is still waiting in the queue",
            field="chat",
            hint="answer the contact (a) to take the chat, then write",
        )
    stored, _ = await say(
        chats, chat, Sender.OPERATOR, checked_id, checked_text, now, operator=principal.name
    )
    return stored
