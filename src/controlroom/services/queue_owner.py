"""Whose a contact in the queue is, and when its handler's wrap-up ends.

Both are read from the stored record, so every console and every instance agrees: the handler
is whoever last answered the contact, and a contact that has ended stays in its handler's
queue for the policy's wrap-up seconds after it ended (``[wrap_up] seconds``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from controlroom.domain.contacts import ActionKind, ContactRecord
from controlroom.domain.contacts.states import FINAL_STATES


def handler_of(record: ContactRecord) -> str:
    """The id of the person who answered the contact last ("" when nobody has)."""
    for entry in reversed(record.history):
        if entry.action is ActionKind.ANSWER:
            return entry.actor.id
    return ""


def finished_at(record: ContactRecord) -> datetime | None:
    """When the contact reached a final state (None while it is open). Notes added later do
    not move it: wrap-up counts from the end of the call."""
    for entry in record.history:
        if entry.to_state in FINAL_STATES:
            return entry.at
    return None


def wrap_up_until(record: ContactRecord, window: timedelta, now: datetime) -> datetime | None:
    """When the ended contact's wrap-up ends, if it was answered and that is after ``now``."""
    ended = finished_at(record)
    if ended is None or window <= timedelta(0) or not handler_of(record):
        return None
    until = ended + window
    return until if until > now else None
