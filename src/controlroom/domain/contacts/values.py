"""Value objects of a contact (who acts, who called, location evidence) and their checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType

from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import VulnerabilityFlag

#: The shape of an E.164 number: "+", a country code not starting with 0, at most 15 digits.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
#: The longest free text (a note, a reason, a narrative) a contact accepts.
MAX_TEXT_CHARS = 131_072
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def require_utc(value: object, field: str = "now") -> datetime:
    """``value`` as a UTC datetime; :class:`InvalidInput` when it is not a timezone-aware one."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"{field} must be a datetime", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{field} is a naive datetime", field=field, hint="pass a timezone-aware UTC time"
        )
    return value.astimezone(UTC)


def require_member(value: object, kind: type[StrEnum], field: str) -> None:
    """Refuse ``value`` unless it is a member of ``kind``, naming the known ones."""
    if not isinstance(value, kind):
        known = ", ".join(member.value for member in kind)
        raise InvalidInput(f"unknown {field} {value!r}", field=field, hint=f"use one of: {known}")


def require_text(value: object, field: str, *, required: bool = True) -> str:
    """``value`` checked as free text: a string, within the length limit, no control characters.

    With ``required`` it must also hold something other than white space.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    if required and not value.strip():
        raise InvalidInput(f"{field} is empty", field=field, hint=f"give the {field}")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInput(
            f"{field} is {len(value):,} characters long; the limit is {MAX_TEXT_CHARS:,}",
            field=field,
        )
    if _CONTROL.search(value):
        raise InvalidInput(
            f"{field} contains a control character",
            field=field,
            hint="only tab and line breaks are allowed",
        )
    return value


def require_e164(value: object, field: str = "number") -> str:
    """``value`` checked as an E.164 number string such as ``+447700900123``."""
    if not isinstance(value, str) or not E164.fullmatch(value):
        raise InvalidInput(
            f"{field} {value!r} is not an E.164 number",
            field=field,
            hint="normalise it first, e.g. +447700900123",
        )
    return value


class Role(StrEnum):
    """What somebody acting on a contact is allowed to do."""

    CALL_HANDLER = "call_handler"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"  # reads contacts, never changes them
    ADMIN = "admin"  # manages the system, not calls
    INTEGRATION = "integration"  # telephony and other systems: offers, hang-ups, location


@dataclass(frozen=True)
class Actor:
    """Who applied an action: a person or system id and its role."""

    id: str
    role: Role

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidInput("actor id is empty", field="actor")
        if not isinstance(self.role, Role):
            try:
                object.__setattr__(self, "role", Role(self.role))
            except ValueError:
                known = ", ".join(role.value for role in Role)
                raise InvalidInput(
                    f"unknown role {self.role!r}", field="role", hint=f"use one of: {known}"
                ) from None


class AgeBand(StrEnum):
    """The caller's age, as far as it is known."""

    CHILD = "child"  # under 18
    ADULT = "adult"
    OLDER_PERSON = "older_person"  # 65 and over

    @property
    def flag(self) -> VulnerabilityFlag | None:
        """The vulnerability this age band implies under 4.12.3(c), if any."""
        return {
            AgeBand.CHILD: VulnerabilityFlag.CHILD,
            AgeBand.OLDER_PERSON: VulnerabilityFlag.OLDER_PERSON,
        }.get(self)


@dataclass(frozen=True)
class Caller:
    """Who made contact: number (E.164, normalised before it reaches the domain), name, age."""

    number: str | None = None
    name: str = ""
    age_band: AgeBand | None = None

    def __post_init__(self) -> None:
        if self.number is not None:
            require_e164(self.number)
        require_text(self.name, "name", required=False)
        if self.age_band is not None and not isinstance(self.age_band, AgeBand):
            raise InvalidInput(f"unknown age band {self.age_band!r}", field="age_band")


@dataclass(frozen=True)
class LocationEvidence:
    """One piece of evidence of where the caller is. Opaque here: location code reads it."""

    source: str
    received_at: datetime
    payload: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_text(self.source, "source")
        object.__setattr__(self, "received_at", require_utc(self.received_at, "received_at"))
        object.__setattr__(self, "payload", MappingProxyType(dict(self.payload)))


@dataclass(frozen=True)
class Note:
    """A line of free text somebody recorded, and when."""

    text: str
    actor: Actor
    at: datetime
