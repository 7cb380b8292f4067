"""The console's location box and map: a typed location recognised and added, the gazetteer
searched as the handler types, and the offline basemap the map always has under it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from controlroom import bootstrap
from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.services import location_entry
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.pages import _handler_page
from controlroom.web.console.session import check_csrf, expired_form, settings_of

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]
MAX_QUERY = 100


@router.post("/contacts/{contact_id}/location")
async def add_location(contact_id: str, request: Request, session: Reader) -> Response:
    """Recognise the location box's text and add it to the contact; the page again with a
    refusal for text in no known notation and not in the gazetteer."""
    try:
        form = await read_form(request)
    except DomainError as exc:
        return _handler_page(request, session, contact_id, error=exc)
    if not check_csrf(request, session, form):
        return expired_form()
    text = str(form.get("text", ""))
    try:
        location_entry.add_typed_location(
            request.app.state.uow_factory,
            session.principal,
            contact_id,
            text,
            now=datetime.now(UTC),
            policy=request.app.state.policy,
            reader=bootstrap.location_reader_for(settings_of(request)),
        )
    except DomainError as exc:
        return _handler_page(request, session, contact_id, error=exc, form=form)
    target = f"/console/handler/{contact_id}?done=add_location#location"
    return RedirectResponse(target, status_code=303)


@router.get("/location/search")
def search(request: Request, session: Reader, q: str = "") -> Response:
    """Gazetteer entries whose postcode or name starts with ``q`` (at most 10)."""
    if len(q) > MAX_QUERY:
        error = InvalidInput("the search is too long", field="q", hint="at most 100 characters")
        return JSONResponse({"error": error.as_dict()}, status_code=400)
    found = bootstrap.gazetteer_for(settings_of(request)).search(q) if q.strip() else []
    results = [
        {
            "name": entry.name,
            "kind": entry.kind.value,
            "lat": entry.lat,
            "lon": entry.lon,
            "accuracy_m": entry.accuracy_m,
        }
        for entry in found
    ]
    return JSONResponse({"query": q, "results": results})


@router.get("/basemap.geojson")
def offline_basemap(request: Request, session: Reader) -> Response:
    """The offline basemap: land, coast and the force area (CONTROLROOM_FORCE_AREA)."""
    collection = bootstrap.basemap_for(settings_of(request))
    headers = {"Cache-Control": "private, max-age=3600"}
    return JSONResponse(collection, media_type="application/geo+json", headers=headers)
