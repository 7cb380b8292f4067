"""What a batch of telephony events will look up, read before it is applied: in four
queries rather than several for each event (see :mod:`controlroom.services.telephony_batch`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from controlroom.domain.contacts.timers import LANDLINE_RECONNECT_WINDOW
from controlroom.domain.location import looks_like_aml
from controlroom.domain.triage import Channel
from controlroom.services import location_matching as aml
from controlroom.services.ports import UnitOfWork
from controlroom.services.telephony import CALL_PREFIX, EventType, TelephonyEvent


def read_ahead(
    uow: UnitOfWork, events: Sequence[TelephonyEvent], windows: aml.MatchWindows
) -> None:
    """Read what :func:`apply_in` will look up for ``events`` — their stored answers, their
    calls' markers and contacts, AML messages waiting for new calls, the handlers who answered
    and the recent contacts of the numbers it will look through — in four queries, rather
    than in several for each event."""
    calls = [CALL_PREFIX + event.call_id for event in events if event.call_id is not None]
    waiting = [
        key
        for event in events
        if event.type is EventType.CALL_OFFERED and event.caller and event.caller.number
        for key in aml.pending_keys(event.caller.number, event.occurred_at, windows)
    ]
    uow.processed_events.prefetch([event.id for event in events] + calls + waiting)
    contacts = [
        str(stored[1]["contact_id"])
        for stored in map(uow.processed_events.get, calls)
        if stored is not None
    ]
    recent = [found for event in events if (found := _recent_looked_for(event, windows))]
    since = min((start for _, start in recent), default=None)
    uow.contacts.lock(contacts, numbers=[number for number, _ in recent], since=since)
    uow.users.read_ahead([event.agent for event in events if event.agent])


def _recent_looked_for(
    event: TelephonyEvent, windows: aml.MatchWindows
) -> tuple[str, datetime] | None:
    """The number whose recent contacts handling ``event`` will look through (a landline
    call's that may rejoin, an AML message's that it may belong to) and how far back."""
    at, caller, kind = event.occurred_at, event.caller, event.type
    landline = caller and (caller.landline or event.channel is Channel.LANDLINE_OPEN_LINE)
    if kind is EventType.CALL_OFFERED and landline and caller and caller.number:
        return caller.number, at - LANDLINE_RECONNECT_WINDOW
    if kind is EventType.SMS_RECEIVED and event.sender and looks_like_aml(event.text or ""):
        return event.sender, aml.earliest_offer(at, windows)
    return None
