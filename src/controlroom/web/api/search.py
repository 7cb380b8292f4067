"""``GET /api/contacts/search``: find contacts by incident reference, contact id, telephone
number or words (installed before ``/api/contacts/{contact_id}``, which would take the path)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from controlroom.services.contact_search import MAX_QUERY_CHARS, MAX_RESULTS, search_contacts
from controlroom.web.api.contacts import AUTH, Reader, _policy, _summary, error_doc
from controlroom.web.auth import uow_factory
from controlroom.web.schemas_contacts_out import ContactSummary

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


class FoundContact(ContactSummary):
    """A contact a search found."""

    reference: str | None = Field(description="Its incident reference, if one was logged.")


class SearchOut(BaseModel):
    """What a search found, newest offered first."""

    query: str = Field(description="The search as given (trimmed).")
    kind: str = Field(description="How it was read: reference, contact, number or words.")
    number: str | None = Field(description="For a number search, the number in E.164.")
    words: list[str] = Field(description="For a words search, the words (lower case).")
    items: list[FoundContact] = Field(description="The contacts found.")


SEARCH_ERRORS: dict[int | str, dict[str, Any]] = AUTH | {
    400: error_doc("An empty search, one too long, or one with nothing to search for."),
    422: error_doc("q missing, or limit out of range."),
}


@router.get("/search", response_model=SearchOut, summary="Find contacts", responses=SEARCH_ERRORS)
def search(
    request: Request,
    principal: Reader,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description="An incident reference (DC-20261207-0042), a contact id, a telephone "
            "number (07700 900113 or +447700900113) or words the caller used.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="At most this many.")] = 20,
) -> dict[str, Any]:
    """Contacts by reference, id, number or words: each word must appear in the caller's
    account or name (case ignored)."""
    found = search_contacts(uow_factory(request), principal, q, _policy(request), limit=limit)
    items = []
    for contact in found.contacts:
        incident = getattr(contact.record, "incident", None)
        reference = None if incident is None else incident.reference
        items.append(_summary(contact) | {"reference": reference})
    return {
        "query": found.query,
        "kind": found.kind.value,
        "number": found.number,
        "words": list(found.words),
        "items": items,
    }
