"""``/console/search``: find a contact by incident reference, contact id, number or words, and
open it from the list of what was found."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from controlroom.domain.access import Permission
from controlroom.domain.contacts import Contact
from controlroom.domain.errors import InvalidInput
from controlroom.services.contact_search import SearchResult, search_contacts
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]
LIMIT = 50
EXCERPT_CHARS = 240


@dataclass(frozen=True)
class Hit:
    """A contact found, with the part of the caller's words that matched, marked."""

    contact: Contact
    excerpt: Markup


def excerpt(text: str, words: tuple[str, ...]) -> Markup:
    """Up to :data:`EXCERPT_CHARS` of ``text`` around the first of ``words``, each of them
    marked; the start of ``text`` when there are no words."""
    if not text:
        return Markup("")
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    first = pattern.search(text) if words else None
    start = 0 if first is None else max(0, first.start() - EXCERPT_CHARS // 3)
    end = min(len(text), start + EXCERPT_CHARS)
    part = text[start:end]
    out: list[Markup] = [Markup("…") if start else Markup("")]
    last = 0
    for match in pattern.finditer(part) if words else ():
        out.append(escape(part[last : match.start()]))
        out.append(Markup("<mark>{}</mark>").format(match.group(0)))
        last = match.end()
    out.append(escape(part[last:]))
    out.append(Markup("…") if end < len(text) else Markup(""))
    return Markup("").join(out)


@router.get("/search")
def search_page(request: Request, session: Reader, q: str = "") -> Response:
    """The search box's results: each contact found, newest first, with a link to open it.
    A search the service refuses is shown with what to give instead (400)."""
    result: SearchResult | None = None
    error: InvalidInput | None = None
    if q:
        try:
            result = search_contacts(
                request.app.state.uow_factory,
                session.principal,
                q,
                request.app.state.policy,
                limit=LIMIT,
            )
        except InvalidInput as exc:
            error = exc
    hits = []
    if result is not None:
        hits = [
            Hit(contact, excerpt(contact.record.narrative, result.words))
            for contact in result.contacts
        ]
    context = {
        "query": q.strip(),
        "search_query": q,
        "result": result,
        "hits": hits,
        "error": error,
        "limit": LIMIT,
    }
    status = 400 if error is not None else 200
    return render(request, "search.html", context, session=session, status=status)
