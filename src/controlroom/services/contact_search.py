"""Finding contacts by what a handler has to hand: an incident reference, a contact id, a
telephone number, or words the caller used.

The query is read in that order: a reference of the force's format (``DC-20261207-0042``)
finds the contact it was issued to; a contact id finds that contact; something that reads as a
telephone number (``07700 900113``, ``+44 7700 900113``) finds that number's contacts; anything
else is words, each of which must appear in the caller's account or name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import Contact
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.reporting.submission import uk_e164
from controlroom.services.contacts import UowFactory
from controlroom.services.ports import UnitOfWork

#: The most contacts one search gives, and the longest query.
MAX_RESULTS = 100
MAX_QUERY_CHARS = 200
MAX_WORDS = 8
_CONTACT_ID = re.compile(r"C-[0-9]{8}-[0-9a-f]{10}")
_PHONE_LIKE = re.compile(r"\+?[0-9 ()\-]{7,24}")
_WORD = re.compile(r"\w+")


class SearchKind(StrEnum):
    """How the query was read."""

    REFERENCE = "reference"
    CONTACT = "contact"
    NUMBER = "number"
    WORDS = "words"


@dataclass(frozen=True)
class SearchResult:
    """The contacts found, newest offered first, and how the query was read."""

    query: str
    kind: SearchKind
    contacts: list[Contact]
    number: str | None = None  # the number searched for, in E.164, for a number search
    words: tuple[str, ...] = ()


def read_query(text: str, policy: Policy) -> tuple[SearchKind, str | tuple[str, ...]]:
    """How ``text`` is searched for, and the value searched; :class:`InvalidInput` when it is
    empty, too long, or has nothing to search for."""
    query = text.strip()
    if not query:
        raise InvalidInput(
            "the search is empty",
            field="q",
            hint=f"give a reference ({policy.incident_references.example()}), "
            "a telephone number or words the caller used",
        )
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"the search is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}",
            field="q",
            hint="search for a reference, a number or a few words",
        )
    reference = policy.incident_references.read(query)
    if reference is not None:
        return SearchKind.REFERENCE, reference
    if _CONTACT_ID.fullmatch(query):
        return SearchKind.CONTACT, query
    if _PHONE_LIKE.fullmatch(query):
        number = uk_e164(query)
        if number is not None:
            return SearchKind.NUMBER, number
    words = tuple(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    if not words:
        raise InvalidInput(
            f"nothing to search for in {query!r}",
            field="q",
            hint="give a reference, a telephone number or words the caller used",
        )
    if len(words) > MAX_WORDS:
        raise InvalidInput(
            f"the search has {len(words)} words; the limit is {MAX_WORDS}",
            field="q",
            hint="use the few words that stand out",
        )
    return SearchKind.WORDS, words


def search_contacts(
    uow_factory: UowFactory, principal: Principal, text: str, policy: Policy, *, limit: int = 20
) -> SearchResult:
    """The contacts ``text`` finds (see the module's docstring), at most ``limit``."""
    access_check(principal, Permission.CONTACT_READ)
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidInput(f"limit must be 1-{MAX_RESULTS}", field="limit")
    kind, value = read_query(text, policy)
    with uow_factory(read_only=True) as uow:
        found = _found(uow, kind, value, limit)
    return SearchResult(
        query=text.strip(),
        kind=kind,
        contacts=found,
        number=value if kind is SearchKind.NUMBER and isinstance(value, str) else None,
        words=value if isinstance(value, tuple) else (),
    )


def _found(
    uow: UnitOfWork, kind: SearchKind, value: str | tuple[str, ...], limit: int
) -> list[Contact]:
    if isinstance(value, tuple):
        return uow.contacts.matching(value, limit=limit)
    if kind is SearchKind.NUMBER:
        return uow.contacts.list(caller_number=value, limit=limit)
    contact_id = uow.references.contact_for(value) if kind is SearchKind.REFERENCE else value
    contact = None if contact_id is None else uow.contacts.get(contact_id)
    return [] if contact is None else [contact]
