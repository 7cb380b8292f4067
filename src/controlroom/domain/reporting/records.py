"""Stored reports, their public reference, and what the public may read of them.

A reference is ``<prefix>-<year>-<8 characters>`` (e.g. ``DC-2026-7KQ2M9XD``): the force's
prefix, the year it was made and 40 random bits in Crockford's base 32, so it carries no
personal data and cannot be guessed from another. The public view of a report gives its type,
status and dates, the postcode district and a rounded position: never the reporter's words,
name, email, phone, full address or media.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from controlroom.domain.contacts.events import ContactEvent
from controlroom.domain.contacts.states import FINAL_STATES, State
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.reporting.config import ReportingConfig

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_BITS = 40
REFERENCE = re.compile(r"[A-Z]{1,4}-[0-9]{4}-[0-9A-HJKMNP-TV-Z]{8}")
TOKEN = re.compile(r"[0-9a-f]{20}")
#: The longest period one search of reports may cover, and the default one (Open311).
MAX_WINDOW = timedelta(days=90)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def make_reference(prefix: str, year: int, number: int) -> str:
    """The reference for ``number`` (0 to 2**40 - 1) made in ``year`` with ``prefix``."""
    if not 0 <= number < 2**REFERENCE_BITS or not 1000 <= year <= 9999:
        raise InvalidInput("a reference needs a 40-bit number and a four-digit year")
    chars = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"{prefix}-{year:04d}-{chars}"


def read_reference(text: str) -> str | None:
    """``text`` as a reference (upper case; O read as 0, I and L as 1), or ``None``."""
    head, _, tail = text.strip().upper().rpartition("-")
    candidate = f"{head}-{tail.translate(_LOOKALIKES)}"
    return candidate if REFERENCE.fullmatch(candidate) else None


class Status(StrEnum):
    """A report's public status (Open311)."""

    OPEN = "open"
    CLOSED = "closed"


_NOTES: Mapping[State, str] = {
    State.OFFERED: "Received: waiting to be read by a member of our team.",
    State.ANSWERED: "Being read by a member of our team.",
    State.ASSESSED: "Assessed by a member of our team.",
    State.INCIDENT_LOGGED: "Recorded for officers to deal with.",
    State.ADVISED: "Advice has been given.",
    State.REFERRED: "Passed to the organisation that deals with it.",
    State.HUNG_UP: "We could not reach the person who reported it.",
}
ESCALATED_NOTE = (
    "Marked as an emergency: at the top of every call handler's list in the control room, "
    "waiting for one of them to take it."
)
CLOSED_NOTE = "Closed."


def public_status(state: State, escalated: bool = False) -> tuple[Status, str]:
    """The public status and ``status_notes`` of a report whose contact is in ``state``."""
    if state in FINAL_STATES:
        return Status.CLOSED, CLOSED_NOTE
    if escalated and state is State.OFFERED:
        return Status.OPEN, ESCALATED_NOTE
    return Status.OPEN, _NOTES.get(state, "Open.")


@dataclass(frozen=True)
class StoredReport:
    """A report as kept beside its contact. ``details`` is private: the answers, the
    location and the contact details given; ``listed`` is false for a blackbox type."""

    reference: str
    contact_id: str
    service_code: str
    requested_at: datetime
    listed: bool = True
    escalated: bool = False
    token: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportRecord:
    """A stored report with its contact's state and when the contact last changed."""

    report: StoredReport
    state: State
    updated_at: datetime


@dataclass(frozen=True)
class ReportQuery:
    """Which reports a search wants; ``start`` and ``end`` are inclusive."""

    references: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[Status] = frozenset()

    @property
    def states(self) -> frozenset[State] | None:
        """The contact states the statuses asked for cover; ``None`` for any state."""
        if len(self.statuses) != 1:
            return None
        closed = Status.CLOSED in self.statuses
        return frozenset(state for state in State if (state in FINAL_STATES) == closed)


def search_window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The period to search: the last 90 days unless given, never longer than 90 days."""
    if start is None:
        return (now - MAX_WINDOW, now) if end is None else (end - MAX_WINDOW, end)
    if end is None:
        return start, start + MAX_WINDOW
    if end < start:
        raise InvalidInput("end_date is before start_date", field="end_date")
    if end - start > MAX_WINDOW:
        raise InvalidInput(
            "start_date to end_date may not span more than 90 days", field="end_date"
        )
    return start, end


@dataclass(frozen=True)
class PublicReport:
    """What anyone may read of a report: the Open311 fields, without personal data."""

    service_request_id: str
    status: Status
    status_notes: str
    service_name: str
    service_code: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime
    updated_datetime: datetime
    zipcode: str = ""
    lat: float | None = None
    long: float | None = None
    description: str = ""  # never the reporter's words: they may name people
    address: str = ""
    address_id: str = ""
    media_url: str = ""
    expected_datetime: datetime | None = None


def public_view(record: ReportRecord, config: ReportingConfig, agency: str) -> PublicReport:
    """The public view of ``record``; ``agency`` is the force's name."""
    report = record.report
    if not report.listed:
        raise NotFound(f"no report {report.reference!r}", field="service_request_id")
    status, notes = public_status(record.state, report.escalated)
    try:
        report_type = config.report_type(report.service_code)
        name, notice = report_type.service_name, config.notice(report_type)
    except NotFound:  # a type since removed from the policy
        name, notice = report.service_code, config.service_notice
    return PublicReport(
        service_request_id=report.reference,
        status=status,
        status_notes=notes,
        service_name=name,
        service_code=report.service_code,
        agency_responsible=agency,
        service_notice=notice,
        requested_datetime=report.requested_at,
        updated_datetime=max(record.updated_at, report.requested_at),
        zipcode=str(report.details.get("zipcode", "")),
        lat=_coarse(report.details.get("lat"), config.location_decimals),
        long=_coarse(report.details.get("long"), config.location_decimals),
    )


def _coarse(value: object, decimals: int) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return round(float(value), decimals)


@dataclass(frozen=True, kw_only=True)
class ReportEscalated(ContactEvent):
    """Triage read an emergency in an online report: alert the control room now."""

    reference: str | None
    service_code: str
    summary: str
