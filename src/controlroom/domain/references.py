"""Incident references in the force's own format: ``<prefix>-<yyyymmdd>-<number>``.

The day is the force's local date when the incident was logged; the number counts the
incidents logged that day from 1, written with at least ``digits`` digits (more once a day
outgrows them, so a reference is never cut or reused). The number is allocated by the
shared store (services), never in process memory, so every instance issues distinct ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controlroom.domain.errors import InvalidInput, PolicyError

PREFIX = re.compile(r"[A-Z]{1,6}")
MIN_DIGITS, MAX_DIGITS = 3, 8


@dataclass(frozen=True)
class ReferenceFormat:
    """How a force writes its incident references (policy ``[incident_references]``)."""

    prefix: str = "INC"
    digits: int = 4
    time_zone: str = "Europe/London"

    def __post_init__(self) -> None:
        if not PREFIX.fullmatch(self.prefix):
            raise PolicyError(
                f"incident reference prefix {self.prefix!r} is not 1-6 capital letters",
                hint='write it like "DC"',
            )
        if not MIN_DIGITS <= self.digits <= MAX_DIGITS:
            raise PolicyError(
                f"incident reference digits {self.digits} is not {MIN_DIGITS}-{MAX_DIGITS}",
                hint="4 gives DC-20261207-0042",
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PolicyError(
                f"unknown time zone {self.time_zone!r} for incident references",
                hint="use an IANA name such as Europe/London",
            ) from None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """What a reference of this format looks like."""
        return re.compile(rf"{self.prefix}-[0-9]{{8}}-[0-9]{{{self.digits},}}")

    def scope(self, at: datetime) -> str:
        """The counter a reference issued at ``at`` is numbered in: the prefix and local day."""
        if at.tzinfo is None:
            raise InvalidInput("an incident reference needs a time with its zone", field="at")
        return f"{self.prefix}-{at.astimezone(ZoneInfo(self.time_zone)):%Y%m%d}"

    def make(self, at: datetime, number: int) -> str:
        """The reference numbered ``number`` (1 or more) among those issued on ``at``'s day."""
        if number < 1:
            raise InvalidInput("an incident reference number starts at 1", field="number")
        return f"{self.scope(at)}-{number:0{self.digits}d}"

    def read(self, text: str) -> str | None:
        """``text`` as a reference of this format (any case, spaces around), else ``None``."""
        candidate = text.strip().upper()
        return candidate if self.pattern.fullmatch(candidate) else None

    def example(self) -> str:
        """A reference of this format, to show in help text."""
        return f"{self.prefix}-20261207-{42:0{self.digits}d}"
