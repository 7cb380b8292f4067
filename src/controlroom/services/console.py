"""What the handler's console shows: the room's queue, and one contact ready to work.

The queue is every contact waiting to be answered, most urgent first and then longest waiting,
and every contact being worked. An emergency is any route into 999 and any online report or
live chat marked as one (escalated): those lead the Waiting list, then 101, chat and online.
The contact page adds to the contact's details (the same as the API's) its caller history, the
script lines the allowed actions read out, the caller's words split at the evidence triage
cited, and its timers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import ActionKind, Contact, ContactRecord, State
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.states import FINAL_STATES, RELAY_CHANNELS
from controlroom.domain.contacts.timers import (
    ANSWER_TARGET,
    LANDLINE_RECONNECT_WINDOW,
    reply_wait,
)
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import NotFound
from controlroom.domain.nuisance import NuisanceConfig
from controlroom.domain.policy import Policy, ScriptLine
from controlroom.domain.sms import Direction, Thread
from controlroom.domain.triage import Channel, Decision
from controlroom.services import contacts as contacts_service
from controlroom.services.contacts import ContactDetails, UowFactory
from controlroom.services.nuisance_history import CallerLookup, contact_history
from controlroom.services.ports import UnitOfWork
from controlroom.services.queue_owner import handler_of, wrap_up_until
from controlroom.services.sms import thread_of
from controlroom.services.termination import TerminationView, termination_view

#: How many contacts the queue shows in each of its two lists.
QUEUE_LIMIT = 500
#: How far back the queue looks for earlier calls from the same number.
REPEAT_WINDOW = timedelta(hours=24)
#: States of a contact somebody is working (neither waiting nor finished).
WORKING_STATES = tuple(s for s in State if s is not State.OFFERED and s not in FINAL_STATES)
#: Final states a contact's handler wraps up (an abandoned call was never answered).
WRAP_UP_STATES = (State.TERMINATED, State.TRANSFERRED, State.CLOSED)
#: How far back (by when they were offered) the queue looks for contacts still in wrap-up.
WRAP_UP_LOOKBACK = timedelta(hours=12)
_PRIORITY: dict[Channel, int] = {channel: 0 for channel in Channel if channel.is_emergency_line}
_PRIORITY |= {Channel.ONE_ZERO_ONE: 1, Channel.LIVE_CHAT: 2, Channel.ONLINE_REPORT: 3}
PRIORITY_LABELS = ("Emergency", "101", "Live chat", "Online report")


def priority(channel: Channel, *, escalated: bool = False) -> int:
    """The urgency of a waiting contact: 0 for every route into 999 (the same answer target as
    voice) and for a written contact marked as an emergency, then 101, chat, online."""
    return 0 if escalated else _PRIORITY.get(channel, len(PRIORITY_LABELS) - 1)


@dataclass(frozen=True)
class QueueItem:
    """One contact in the queue, with what its row shows."""

    id: str
    channel: Channel
    procedure: str
    state: State
    priority: int
    offered_at: datetime
    answered_at: datetime | None
    caller: str
    vulnerability: tuple[str, ...]
    landline: bool
    earlier_calls: int = 0
    version: int = 0  # how many actions the contact has had: a change shows as a bigger one
    damaged: str = ""  # why its stored record cannot be read, for a damaged contact
    escalated_at: datetime | None = None  # when a written contact was marked as an emergency
    handler: str = ""  # who answered it: the console's "Mine" shows that person's rows
    wrap_up_until: datetime | None = None  # an ended contact: when it leaves its handler's list

    @property
    def emergency(self) -> bool:
        """True for an online report or live chat marked as an emergency, while it waits."""
        return self.escalated_at is not None and self.waiting

    @property
    def waiting(self) -> bool:
        """True while nobody has answered it."""
        return self.state is State.OFFERED

    @property
    def sort_key(self) -> str:
        """Orders the queue as text: urgency, then the earliest offered first."""
        return f"{self.priority}|{int(not self.emergency)}|{self.offered_at.isoformat()}|{self.id}"

    @property
    def priority_label(self) -> str:
        """The priority group in words."""
        return PRIORITY_LABELS[self.priority]


def queue_item(record: ContactRecord, earlier_calls: int = 0) -> QueueItem:
    """The queue row of a contact."""
    escalation = record.escalation
    caller = record.caller.number or record.caller.name or "withheld"
    if record.caller.number and record.caller.name:
        caller = f"{record.caller.name} ({record.caller.number})"
    return QueueItem(
        id=record.id,
        channel=record.channel,
        procedure=record.procedure.value,
        state=record.state,
        priority=priority(record.channel, escalated=escalation is not None),
        offered_at=record.timestamps.offered,
        answered_at=record.timestamps.answered,
        caller=caller,
        vulnerability=tuple(sorted(flag.value for flag in record.vulnerability)),
        landline=record.landline,
        earlier_calls=earlier_calls,
        version=len(record.history),
        escalated_at=None if escalation is None else escalation.at,
        handler=handler_of(record),
    )


def earlier_calls(uow: UnitOfWork, record: ContactRecord) -> int:
    """How many other calls came from the contact's number in the day before it was offered
    (the queue shows a repeat caller before anyone answers; the contact page has the rest)."""
    number = record.caller.number
    if number is None:
        return 0
    offered = record.timestamps.offered
    calls = uow.calls.summaries(number=number, since=offered - REPEAT_WINDOW, until=offered)
    return sum(1 for call in calls if call.contact_id != record.id)


def _row(uow: UnitOfWork, record: ContactRecord) -> QueueItem:
    waiting = record.state is State.OFFERED
    return queue_item(record, earlier_calls(uow, record) if waiting else 0)


def contact_row(uow: UnitOfWork, contact: Contact, *, waiting: bool) -> QueueItem:
    """The queue row of a contact; a damaged one (record unreadable) says so."""
    if isinstance(contact, DamagedContact):
        return replace(queue_item(contact.record), damaged=contact.damage)
    return _row(uow, contact.record) if waiting else queue_item(contact.record)


@dataclass(frozen=True)
class RoomQueue:
    """Contacts waiting (urgency, then wait) and contacts being worked (oldest first)."""

    waiting: list[QueueItem]
    working: list[QueueItem]

    @property
    def damaged(self) -> list[QueueItem]:
        """The rows of contacts whose stored record cannot be read."""
        return [item for item in (*self.waiting, *self.working) if item.damaged]


def sort_queue(items: Iterable[QueueItem]) -> list[QueueItem]:
    """Urgency first, then the longest waiting. Among emergencies a written one marked as an
    emergency comes first: no telephone rings for it, so the list is its only way to a person."""
    return sorted(
        items, key=lambda item: (item.priority, not item.emergency, item.offered_at, item.id)
    )


def wrap_up_rows(uow: UnitOfWork, now: datetime, window: timedelta) -> list[QueueItem]:
    """Ended contacts still in their handler's wrap-up (the newest offered of each final state;
    a call is never hours long, so the look back is bounded)."""
    since = now - WRAP_UP_LOOKBACK - window
    found = (
        wrap_up_row(contact, window, now)
        for state in WRAP_UP_STATES
        for contact in uow.contacts.list(state=state, offered_from=since, limit=QUEUE_LIMIT)
    )
    return [row for row in found if row is not None]


def wrap_up_row(contact: Contact, window: timedelta, now: datetime) -> QueueItem | None:
    """The row of an ended contact still in its handler's wrap-up (None otherwise; a damaged
    record shows no wrap-up: its handler cannot be read)."""
    if isinstance(contact, DamagedContact):
        return None
    until = wrap_up_until(contact.record, window, now)
    return None if until is None else replace(queue_item(contact.record), wrap_up_until=until)


def room_queue(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    now: datetime | None = None,
    wrap_up: timedelta | None = None,
) -> RoomQueue:
    """The room's queue now; with ``wrap_up`` (and ``now``), contacts that ended less than that
    long ago stay among those being worked, marked with when their wrap-up ends."""
    access_check(principal, Permission.CONTACT_READ)
    with uow_factory(read_only=True) as uow:
        waiting = [
            contact_row(uow, c, waiting=True)
            for c in uow.contacts.list(state=State.OFFERED, limit=QUEUE_LIMIT)
        ]
        working = [
            contact_row(uow, contact, waiting=False)
            for state in WORKING_STATES
            for contact in uow.contacts.list(state=state, limit=QUEUE_LIMIT)
        ]
        if wrap_up is not None and now is not None:
            working += wrap_up_rows(uow, require_utc(now), wrap_up)
    return RoomQueue(sort_queue(waiting), sorted(working, key=lambda i: (i.offered_at, i.id)))


def changes_since(uow_factory: UowFactory, after_seq: int | None) -> tuple[int, list[str]]:
    """The audit log's last sequence number, and the contacts changed after ``after_seq``
    (oldest change first; none when ``after_seq`` is None, for a feed starting now). For the
    live feed, which checks each subscriber's session and permission when it connects; it
    holds ids only."""
    with uow_factory(read_only=True) as uow:
        head = uow.audit.head().seq
        if after_seq is None or head <= after_seq:
            return head, []
        changed = [
            entry.subject.removeprefix("contact:")
            for entry in uow.audit.entries(after_seq=after_seq)
            if entry.subject.startswith("contact:") and entry.seq <= head
        ]
    return head, list(dict.fromkeys(changed))


def feed_rows(
    uow_factory: UowFactory,
    contact_ids: Sequence[str],
    *,
    now: datetime | None = None,
    wrap_up: timedelta | None = None,
) -> dict[str, QueueItem | None]:
    """The queue rows of changed contacts, for the live feed (see :func:`changes_since`): None
    for one that has left the queue; an ended one in its wrap-up (see :func:`room_queue`) is
    still a row."""
    out: dict[str, QueueItem | None] = {}
    with uow_factory(read_only=True) as uow:
        for contact_id in contact_ids:
            contact = uow.contacts.get(contact_id)
            row = None
            if contact is not None and contact.state not in FINAL_STATES:
                row = contact_row(uow, contact, waiting=True)
            elif contact is not None and wrap_up is not None and now is not None:
                row = wrap_up_row(contact, wrap_up, require_utc(now))
            out[contact_id] = row
    return out


# -- one contact ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of the caller's words; ``reasons`` are the triage reasons citing it (if any)."""

    text: str
    reasons: tuple[str, ...] = ()


def highlight(text: str, decision: Decision | None) -> list[Segment]:
    """``text`` cut at the evidence the decision's reasons cite, each cited run carrying the
    reasons' explanations and paragraphs. Overlapping evidence is merged."""
    marks: list[tuple[int, int, str]] = []
    if decision is not None:
        for reason in decision.reasons:
            span = reason.evidence
            if span is None or not 0 <= span.start < span.end <= len(text):
                continue
            marks.append((span.start, span.end, f"{reason.explanation} ({reason.paragraph})"))
    cuts = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    out: list[Segment] = []
    for start, end in pairwise(cuts):
        why = tuple(dict.fromkeys(m[2] for m in marks if m[0] <= start and end <= m[1]))
        if out and not why and not out[-1].reasons:
            out[-1] = Segment(out[-1].text + text[start:end])
        else:
            out.append(Segment(text[start:end], why))
    return out


#: The script line each action reads out, when the policy has it.
ACTION_SCRIPTS: dict[ActionKind, str] = {
    ActionKind.ADVISE: "advise",
    ActionKind.WARN: "warn",
    ActionKind.TERMINATE: "terminate",
}


def scripts_for(details: ContactDetails, policy: Policy) -> list[tuple[str, ScriptLine]]:
    """The script lines that go with what the handler may do now: the action's own line
    (advise, warn, terminate), the silent-call prompt, and the relay introduction."""
    record = details.contact.record
    wanted: list[tuple[str, str]] = []
    for kind in details.allowed:
        if kind in ACTION_SCRIPTS:
            wanted.append((kind.value, ACTION_SCRIPTS[kind]))
        elif kind is ActionKind.PROMPT:
            line = "silent_prompt"
            if record.channel is Channel.LANDLINE_OPEN_LINE or record.landline:
                line = "silent_landline"
            wanted.append((kind.value, line))
        elif kind is ActionKind.ANSWER and record.channel in RELAY_CHANNELS:
            wanted.append((kind.value, "relay_intro"))
    return [(kind, policy.scripts[sid]) for kind, sid in wanted if sid in policy.scripts]


@dataclass(frozen=True)
class Timers:
    """What the contact's clocks count from and to (the page counts them live)."""

    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    answer_due: datetime | None
    reconnect_until: datetime | None
    reply_wait: timedelta | None
    reply_due: datetime | None
    awaiting: str = ""  # emergencySMS: whose turn it is, "caller" or "handler"


def timers_for(record: ContactRecord, thread: Thread | None = None) -> Timers:
    """The contact's timers: the answer target, the landline's 45-second window once it has
    hung up, and on a relay channel the wait allowed for each reply and when the reply to the
    last exchange (the last action, or the last SMS either way) is due."""
    times = record.timestamps
    due = times.offered + ANSWER_TARGET if record.channel.is_emergency_line else None
    reconnect = None
    if record.state is State.HUNG_UP and record.landline and times.ended is not None:
        reconnect = times.ended + LANDLINE_RECONNECT_WINDOW
    wait = reply_wait(record.channel) if record.channel in RELAY_CHANNELS else None
    reply = None
    last = thread.last_exchange if thread is not None else None
    if wait is not None and times.answered is not None and record.state not in FINAL_STATES:
        reply = record.history[-1].at + wait if record.history else None
        if last is not None and (reply is None or last.at + wait > reply):
            reply = last.at + wait
    turn = "" if last is None else ("caller" if last.direction is Direction.OUTBOUND else "handler")
    return Timers(times.offered, times.answered, times.ended, due, reconnect, wait, reply, turn)


@dataclass(frozen=True)
class ContactPage:
    """Everything the handler's view of one contact shows."""

    details: ContactDetails
    history: CallerLookup
    words: list[Segment]
    scripts: list[tuple[str, ScriptLine]]
    timers: Timers
    termination: TerminationView
    thread: Thread | None = None  # an emergencySMS conversation


def contact_page(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    *,
    now: datetime,
    policy: Policy,
    nuisance: NuisanceConfig,
) -> ContactPage:
    """One contact as the handler's view shows it."""
    now = require_utc(now)
    details = contacts_service.get_contact(uow_factory, principal, contact_id, now, policy)
    record = details.contact.record
    history = contact_history(uow_factory, principal, record, now, nuisance)
    thread = None
    decision = details.suggestion
    if record.channel is Channel.EMERGENCY_SMS:
        thread = thread_of(record, details.telephony)
        if thread.raised is not None:  # its reasons cite a message's words, not the narrative's
            decision = contacts_service.suggest(record.narrative, record.channel, policy)
    return ContactPage(
        details=details,
        history=history,
        words=highlight(record.narrative, decision),
        scripts=scripts_for(details, policy),
        timers=timers_for(record, thread),
        thread=thread,
        termination=termination_view(record, details.suggestion, history.history),
    )


def sms_panel(
    uow_factory: UowFactory, principal: Principal, contact_id: str
) -> tuple[Thread, Timers]:
    """An emergencySMS contact's thread and timers alone (the page refreshes them live)."""
    access_check(principal, Permission.CONTACT_READ)
    with uow_factory(read_only=True) as uow:
        contact = uow.contacts.get(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id!r}", field="contact_id")
        if isinstance(contact, DamagedContact):
            raise contact.refusal()
        entries = uow.audit.tail(
            contacts_service.MAX_AUDIT_ENTRIES, subject=f"contact:{contact_id}"
        )
    thread = thread_of(contact.record, entries)
    return thread, timers_for(contact.record, thread)
