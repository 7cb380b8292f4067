"""In-memory incident references for :class:`tests.fakes.uow.FakeUnitOfWork`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from controlroom.domain.contacts import ContactRecord
from controlroom.domain.errors import Conflict


class FakeIncidentReferences:
    """Counters and issued references in the fake store (``counters``, ``references``)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def next_number(self, scope: str) -> int:
        """The next number in ``scope``."""
        number = self._store.counters.get(scope, 0) + 1
        self._store.counters[scope] = number
        return int(number)

    def link(self, reference: str, contact_id: str, at: datetime) -> None:
        """Record the reference's contact; :class:`Conflict` for one issued before."""
        if reference in self._store.references:
            raise Conflict(f"incident reference {reference} is already issued")
        self._store.references[reference] = contact_id

    def contact_for(self, reference: str) -> str | None:
        """The contact ``reference`` was issued to."""
        found = self._store.references.get(reference)
        return None if found is None else str(found)

    def for_contacts(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """The reference of each contact that has one."""
        wanted = set(contact_ids)
        return {cid: ref for ref, cid in self._store.references.items() if cid in wanted}


def holds_words(record: ContactRecord, words: Sequence[str]) -> bool:
    """True when every word is in the record's account or caller's name (case ignored)."""
    text = f"{record.narrative} {record.caller.name or ''}".lower()
    return all(word.lower() in text for word in words)
