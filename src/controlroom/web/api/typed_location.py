"""``POST /api/contacts/{id}/location``: a location as typed or read out, recognised by the
service (any notation, what3words, the gazetteer) and added to the contact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from controlroom import bootstrap
from controlroom.domain.access import Permission, Principal
from controlroom.services import location_entry
from controlroom.web.api.contacts import ACT_ERRORS, render
from controlroom.web.auth import require, uow_factory
from controlroom.web.schemas_common import InputModel
from controlroom.web.schemas_contacts import ContactOut

router = APIRouter(prefix="/api/contacts", tags=["contacts"])
Handler = Annotated[Principal, Depends(require(Permission.CONTACT_ACT))]


class TypedLocationIn(InputModel):
    """What the handler typed or the caller said, in any notation."""

    text: str = Field(
        min_length=1,
        max_length=1000,
        description="A grid reference, Plus code, coordinates, three words, a postcode or a "
        "place in the force's gazetteer.",
        examples=["SX 47712 54421"],
    )


class TypedLocationOut(BaseModel):
    """How the text was read, and the contact afterwards."""

    format: str = Field(description="The notation it was read as (docs/location.md).")
    located: bool = Field(description="True when it was placed; false: kept without a position.")
    note: str = Field(description="What was read and how sure, or plainly why it has no position.")
    contact: ContactOut


@router.post(
    "/{contact_id}/location",
    response_model=TypedLocationOut,
    summary="Add a typed location, recognised",
    responses=ACT_ERRORS,
)
def add_typed_location(
    contact_id: str, body: TypedLocationIn, request: Request, principal: Handler
) -> dict[str, Any]:
    """Recognise ``text`` and add it as location evidence (an audited ``add_location``): placed
    with its accuracy, or kept with the reason it could not be (three words what3words does not
    know or cannot convert now, a postcode not in the gazetteer). Text in no notation and in no
    gazetteer entry, or wrong in its notation, is refused with 400 and nothing is added."""
    details, typed = location_entry.add_typed_location(
        uow_factory(request),
        principal,
        contact_id,
        body.text,
        now=datetime.now(UTC),
        policy=request.app.state.policy,
        reader=bootstrap.location_reader_for(request.app.state.settings),
    )
    return {
        "format": typed.format,
        "located": typed.fix is not None,
        "note": typed.note,
        "contact": render(details),
    }
