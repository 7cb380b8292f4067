"""Contacts whose stored record cannot be decoded: a typed placeholder, logged once.

The placeholder is built from the row's own columns (id, channel, state, procedure, number,
times), which the database checked when they were written, so a list shows the contact in its
place; anything that cannot be read even there takes a neutral value.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from controlroom.domain.contacts import Caller, ContactRecord, ProcedureName, State, Timestamps
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.triage.decision import Channel

log = logging.getLogger(__name__)
_LOGGED: set[str] = set()
_LOGGED_GUARD = threading.Lock()
#: at most this many ids are remembered as logged (then each is logged again once)
_LOGGED_MAX = 10_000


def damaged_contact(row: Any, error: BaseException) -> DamagedContact:
    """The placeholder for ``row``, whose record failed to decode with ``error``."""
    damage = f"{type(error).__name__}: {str(error)[:200]}"
    _log_once(str(row.id), damage)
    return DamagedContact(_placeholder(row), damage)


def _log_once(contact_id: str, damage: str) -> None:
    with _LOGGED_GUARD:
        if contact_id in _LOGGED:
            return
        if len(_LOGGED) >= _LOGGED_MAX:
            _LOGGED.clear()
        _LOGGED.add(contact_id)
    log.error("contact %s: stored record cannot be read (%s)", contact_id, damage)


def _placeholder(row: Any) -> ContactRecord:
    number = _or_none(lambda: Caller(number=row.caller_number).number)
    offered = _or_none(lambda: _utc(row.offered_at)) or datetime(2000, 1, 1, tzinfo=UTC)
    channel = _or_none(lambda: Channel(row.channel)) or Channel.ONE_ZERO_ONE
    return ContactRecord(
        id=str(row.id),
        channel=channel,
        caller=Caller(number=number),
        timestamps=Timestamps(
            offered=offered,
            answered=_or_none(lambda: _utc(row.answered_at)),
            ended=_or_none(lambda: _utc(row.ended_at)),
        ),
        procedure=_or_none(lambda: ProcedureName(row.procedure)) or ProcedureName.NON_EMERGENCY,
        state=_or_none(lambda: State(row.state)) or State.OFFERED,
        landline=bool(_or_none(lambda: row.landline)),
    )


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"not a time with a zone: {value!r}")
    return value.astimezone(UTC)


def _or_none(read: Any) -> Any:
    try:
        return read()
    except Exception:  # a column that cannot be read either: a neutral value instead
        return None
