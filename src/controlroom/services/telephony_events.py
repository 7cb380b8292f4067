"""The telephony events the service understands, as plain values (docs/telephony.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from controlroom.domain.audit import canonical_json
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.triage import Channel


class EventType(StrEnum):
    """The telephony events understood."""

    CALL_OFFERED = "call.offered"
    CALL_ANSWERED = "call.answered"
    CALL_DTMF = "call.dtmf"
    CALL_ENDED = "call.ended"
    CALL_RECONNECTED = "call.reconnected"
    SMS_RECEIVED = "sms.received"
    SMS_STATUS = "sms.status"  # the gateway's delivery report for an SMS reply


@dataclass(frozen=True)
class Address:
    """A landline's registered address (from the network), with coordinates when known."""

    text: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class CallerInfo:
    """Who is calling, as the network reports it."""

    number: str | None = None
    name: str = ""
    landline: bool = False
    address: Address | None = None


@dataclass(frozen=True)
class TelephonyEvent:
    """One event, already checked for shape by the interface that received it."""

    id: str
    type: EventType
    occurred_at: datetime
    call_id: str | None = None
    channel: Channel | None = None
    caller: CallerInfo | None = None
    agent: str | None = None  # call.answered: the user name of the handler who answered
    digits: str | None = None  # call.dtmf
    reason: str = ""  # call.ended: why, as the network says
    sender: str | None = None  # sms.received: the E.164 number it came from
    text: str | None = None  # sms.received
    command_id: str | None = None  # sms.status: the reply's command id
    status: str | None = None  # sms.status: sent, delivered or failed

    def digest(self) -> str:
        """SHA-256 of the event's canonical JSON: what "the same event" means."""
        return hashlib.sha256(canonical_json(_plain(self)).encode()).hexdigest()


_LATER_FIELDS = frozenset({"command_id", "status"})


def _plain(value: Any) -> Any:
    """``value`` as ``asdict`` would give it, with enums as values and times as ISO-8601."""
    if is_dataclass(value) and not isinstance(value, type):
        # fields added after events were first stored count only when set, so an event
        # stored before them keeps its digest
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if f.name not in _LATER_FIELDS or getattr(value, f.name) is not None
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return require_utc(value, "occurred_at").isoformat()
    return value
