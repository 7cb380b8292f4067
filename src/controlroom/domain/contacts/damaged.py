"""A stored contact whose record cannot be read back: shown as damaged, never worked or saved.

A repository that cannot rebuild a contact from what it stored gives a :class:`DamagedContact`
instead of failing: its record is a placeholder built from what could be read (id, channel,
state, times), so lists show it in its place, and :attr:`DamagedContact.damage` says why.
It cannot be changed: :meth:`DamagedContact.apply` raises :class:`DamagedRecord`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from controlroom.domain.contacts.contact import Contact
from controlroom.domain.contacts.records import ContactRecord
from controlroom.domain.errors import Conflict


class DamagedRecord(Conflict):
    """A contact whose stored record cannot be read back; it cannot be worked until repaired."""

    code = "damaged_record"


class DamagedContact(Contact):
    """A placeholder for a contact whose stored record cannot be read (module doc)."""

    __slots__ = ("damage",)

    def __init__(self, record: ContactRecord, damage: str) -> None:
        super().__init__(record)
        self.damage = damage

    def refusal(self) -> DamagedRecord:
        """The error for any attempt to work this contact."""
        return DamagedRecord(
            f"contact {self.id}'s stored record cannot be read ({self.damage}); it is shown "
            "as damaged and reported to supervisors",
            field="contact_id",
            hint="ask an administrator to repair the record; nothing can be applied to it now",
        )

    def apply(self, action: Any, *, actor: Any, now: datetime, policy: Any) -> NoReturn:
        """Always refused: a damaged record is never changed (nor overwritten by this one)."""
        raise self.refusal()
