"""A MAIT incident message and its parts, as the project reads the standard (docs/mait.md).

Each part checks its fields when it is made and raises :class:`MaitInvalid` naming the field,
so a message that exists can be serialised; the XML adapter validates the result against the
XSD as well. Times are UTC to the second; coordinates WGS84 degrees to six places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from controlroom.domain.mait import checks
from controlroom.domain.mait.checks import MaitInvalid


class MessageType(StrEnum):
    """What a message does (the header's ``MessageType``)."""

    CREATE = "CREATE"  # a new incident for the recipient
    UPDATE = "UPDATE"  # more or changed information about an incident already sent
    CLOSE = "CLOSE"  # the sender has closed the incident (or cancels the request)
    ACK = "ACK"  # the recipient's answer to a message


class Service(StrEnum):
    """The kind of organisation a partner is (``ServiceRequested``)."""

    AMBULANCE = "AMBULANCE"
    FIRE = "FIRE"
    COASTGUARD = "COASTGUARD"
    HIGHWAYS = "HIGHWAYS"
    POLICE = "POLICE"
    OTHER = "OTHER"


class AckStatus(StrEnum):
    """What the recipient says about a message it got."""

    RECEIVED = "RECEIVED"  # delivered to the recipient's system, not yet looked at
    ACCEPTED = "ACCEPTED"  # taken on: the recipient is dealing with the incident
    REJECTED = "REJECTED"  # refused (unreadable, not theirs): the reason says why


def _member(value: object, kind: type[StrEnum], field: str) -> None:
    if not isinstance(value, kind):
        known = ", ".join(member.value for member in kind)
        raise MaitInvalid(f"unknown {field} {value!r}", field=field, hint=f"use one of: {known}")


@dataclass(frozen=True)
class Organisation:
    """A sender or recipient: its MAIT organisation identifier and its name."""

    id: str
    name: str

    def check(self, field: str) -> None:
        """Refuse a malformed identifier or name, naming them under ``field``."""
        checks.pattern(
            self.id,
            f"{field}.id",
            checks.ORGANISATION_ID,
            f"use 1-{checks.MAX_ORGANISATION_ID} capital letters, digits or '-', e.g. SWASFT",
        )
        checks.text(self.name, f"{field}.name", checks.MAX_NAME)


@dataclass(frozen=True)
class Header:
    """Who sends what to whom and when; ``relates_to`` names the message this one follows."""

    message_id: str
    message_type: MessageType
    sent_at: datetime
    sender: Organisation
    recipient: Organisation
    relates_to: str | None = None

    def __post_init__(self) -> None:
        hint = f"use 1-{checks.MAX_ID} letters, digits, '.', '_', ':' or '-'"
        checks.pattern(self.message_id, "header.message_id", checks.MESSAGE_ID, hint)
        _member(self.message_type, MessageType, "header.message_type")
        object.__setattr__(self, "sent_at", checks.moment(self.sent_at, "header.sent_at"))
        for name in ("sender", "recipient"):
            party = getattr(self, name)
            if not isinstance(party, Organisation):
                raise MaitInvalid(f"header.{name} must be an Organisation", field=f"header.{name}")
            party.check(f"header.{name}")
        if self.sender.id == self.recipient.id:
            raise MaitInvalid(
                f"sender and recipient are both {self.sender.id}",
                field="header.recipient.id",
                hint="a message goes to another organisation",
            )
        if self.relates_to is not None:
            checks.pattern(self.relates_to, "header.relates_to", checks.MESSAGE_ID, hint)
            if self.relates_to == self.message_id:
                raise MaitInvalid("a message cannot relate to itself", field="header.relates_to")
        if self.message_type is not MessageType.CREATE and self.relates_to is None:
            raise MaitInvalid(
                f"a {self.message_type.value} message must name the message it follows",
                field="header.relates_to",
                hint="give the message id of the CREATE (or the message acknowledged)",
            )


@dataclass(frozen=True)
class Location:
    """Where the incident is: a WGS84 point and, when known, its accuracy, address and UPRN."""

    latitude: float
    longitude: float
    accuracy_m: float | None = None
    source: str = ""
    address: str = ""
    uprn: str | None = None
    positioned_at: datetime | None = None

    def __post_init__(self) -> None:
        where = "incident.location"
        set_ = object.__setattr__
        set_(self, "latitude", checks.coordinate(self.latitude, f"{where}.latitude", 90))
        set_(self, "longitude", checks.coordinate(self.longitude, f"{where}.longitude", 180))
        set_(self, "accuracy_m", checks.metres(self.accuracy_m, f"{where}.accuracy_m"))
        checks.text(self.source, f"{where}.source", checks.MAX_SOURCE, required=False)
        checks.text(self.address, f"{where}.address", checks.MAX_ADDRESS, required=False)
        if self.uprn is not None:
            checks.pattern(self.uprn, f"{where}.uprn", checks.UPRN, "a UPRN is 1-12 digits")
        if self.positioned_at is not None:
            set_(self, "positioned_at", checks.moment(self.positioned_at, f"{where}.positioned_at"))


@dataclass(frozen=True)
class Caller:
    """The person who called: name, a number to call back on, and age band when known."""

    name: str = ""
    telephone: str | None = None
    age_band: str = ""

    def __post_init__(self) -> None:
        checks.text(self.name, "incident.caller.name", checks.MAX_NAME, required=False)
        if self.telephone is not None:
            checks.pattern(
                self.telephone,
                "incident.caller.telephone",
                checks.TELEPHONE,
                "give an E.164 number such as +447700900123",
            )
        checks.text(self.age_band, "incident.caller.age_band", checks.MAX_GRADE, required=False)


@dataclass(frozen=True)
class Reason:
    """One reason of the sender's assessment: the policy paragraph and what it found."""

    paragraph: str
    text: str

    def __post_init__(self) -> None:
        field = "incident.assessment.reasons"
        checks.text(self.paragraph, f"{field}.paragraph", checks.MAX_PARAGRAPH)
        checks.text(self.text, field, checks.MAX_LINE)


@dataclass(frozen=True)
class Assessment:
    """The sender's assessment: its grade (id and name), a summary and the reasons."""

    grade: str
    grade_name: str
    summary: str
    reasons: tuple[Reason, ...] = ()

    def __post_init__(self) -> None:
        field = "incident.assessment"
        checks.text(self.grade, f"{field}.grade", checks.MAX_GRADE)
        checks.text(self.grade_name, f"{field}.grade_name", checks.MAX_NAME)
        checks.text(self.summary, f"{field}.summary", checks.MAX_LINE, required=False)
        object.__setattr__(self, "reasons", tuple(self.reasons))
        checks.count(self.reasons, f"{field}.reasons", checks.MAX_REASONS)
        for reason in self.reasons:
            if not isinstance(reason, Reason):
                raise MaitInvalid("a reason must be a Reason", field=f"{field}.reasons")


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened on the sender's side, and when."""

    at: datetime
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", checks.moment(self.at, "incident.timeline.at"))
        checks.text(self.text, "incident.timeline", checks.MAX_LINE)


@dataclass(frozen=True)
class Closure:
    """Why and when the sender closed the incident (a CLOSE message)."""

    closed_at: datetime
    reason: str

    def __post_init__(self) -> None:
        at = checks.moment(self.closed_at, "incident.closure.closed_at")
        object.__setattr__(self, "closed_at", at)
        checks.text(self.reason, "incident.closure.reason", checks.MAX_LINE)


@dataclass(frozen=True)
class Incident:
    """The incident: the sender's reference, what it is, where, who, and what happened."""

    reference: str
    service: Service
    classification: str
    summary: str
    created_at: datetime
    assessment: Assessment | None = None
    location: Location | None = None
    caller: Caller | None = None
    vulnerabilities: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    closure: Closure | None = None
    recipient_reference: str | None = None

    def __post_init__(self) -> None:
        hint = "use the force's incident reference (letters, digits, '.', '_', ':', '/', '-')"
        checks.pattern(self.reference, "incident.reference", checks.REFERENCE, hint)
        if self.recipient_reference is not None:
            field = "incident.recipient_reference"
            checks.pattern(self.recipient_reference, field, checks.REFERENCE, hint)
        _member(self.service, Service, "incident.service")
        checks.text(self.classification, "incident.classification", checks.MAX_CLASSIFICATION)
        checks.text(self.summary, "incident.summary", checks.MAX_SUMMARY)
        at = checks.moment(self.created_at, "incident.created_at")
        object.__setattr__(self, "created_at", at)
        for name, kind in (
            ("assessment", Assessment),
            ("location", Location),
            ("caller", Caller),
            ("closure", Closure),
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise MaitInvalid(f"incident.{name} must be a {kind.__name__}", field=name)
        object.__setattr__(self, "vulnerabilities", tuple(self.vulnerabilities))
        for flag in self.vulnerabilities:
            checks.text(flag, "incident.vulnerabilities", checks.MAX_SOURCE)
        if len(set(self.vulnerabilities)) != len(self.vulnerabilities):
            raise MaitInvalid("a vulnerability is listed twice", field="incident.vulnerabilities")
        object.__setattr__(self, "timeline", tuple(self.timeline))
        checks.count(self.timeline, "incident.timeline", checks.MAX_TIMELINE)
        for entry in self.timeline:
            if not isinstance(entry, TimelineEntry):
                raise MaitInvalid("a timeline entry must be a TimelineEntry", field="timeline")


@dataclass(frozen=True)
class Acknowledgement:
    """A recipient's answer to a message: its status, its own reference, and why."""

    status: AckStatus
    recipient_reference: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        _member(self.status, AckStatus, "acknowledgement.status")
        if self.recipient_reference is not None:
            checks.pattern(
                self.recipient_reference,
                "acknowledgement.recipient_reference",
                checks.REFERENCE,
                "letters, digits, '.', '_', ':', '/' or '-'",
            )
        checks.text(self.reason, "acknowledgement.reason", checks.MAX_LINE, required=False)
        if self.status is AckStatus.REJECTED and not self.reason.strip():
            raise MaitInvalid(
                "a rejection must say why", field="acknowledgement.reason", hint="give the reason"
            )


@dataclass(frozen=True)
class MaitMessage:
    """One MAIT message: a header and either an incident (CREATE, UPDATE, CLOSE) or an
    acknowledgement (ACK)."""

    header: Header
    incident: Incident | None = None
    acknowledgement: Acknowledgement | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.header, Header):
            raise MaitInvalid("header must be a Header", field="header")
        kind = self.header.message_type
        if kind is MessageType.ACK:
            if not isinstance(self.acknowledgement, Acknowledgement) or self.incident is not None:
                raise MaitInvalid(
                    "an ACK message carries an acknowledgement and no incident",
                    field="acknowledgement",
                )
            return
        if not isinstance(self.incident, Incident) or self.acknowledgement is not None:
            raise MaitInvalid(
                f"a {kind.value} message carries an incident and no acknowledgement",
                field="incident",
                hint="build it with the contact's incident",
            )
        if kind is MessageType.CLOSE and self.incident.closure is None:
            raise MaitInvalid(
                "a CLOSE message must say why the incident was closed",
                field="incident.closure",
                hint="give the closure time and reason",
            )
        if kind is not MessageType.CLOSE and self.incident.closure is not None:
            raise MaitInvalid(
                f"a {kind.value} message cannot carry a closure",
                field="incident.closure",
                hint="send a CLOSE message to close the incident",
            )
