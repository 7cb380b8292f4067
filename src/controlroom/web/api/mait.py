"""``/api/mait/acknowledgements``: a partner's MAIT acknowledgement of a message we sent, passed
on by the MAIT hub (docs/interop.md#acknowledgements)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from controlroom.domain.access import Permission, Principal
from controlroom.services.partner_acks import record_acknowledgement
from controlroom.web.api.contacts import AUTH, error_doc
from controlroom.web.auth import require, uow_factory

router = APIRouter(prefix="/api/mait", tags=["mait"])
Hub = Annotated[Principal, Depends(require(Permission.PARTNER_ACKNOWLEDGE))]
XML_BODY: dict[str, Any] = {
    "required": True,
    "content": {"application/xml": {"schema": {"type": "string"}}},
    "description": "A MAIT ACK message (docs/mait.md), UTF-8, at most 256 KiB.",
}


class AcknowledgementOut(BaseModel):
    """The acknowledgement as recorded."""

    ack_id: str = Field(description="The acknowledgement's own MessageID.")
    message_id: str = Field(description="The id of our message it answers (RelatesTo).")
    contact_id: str | None = Field(description="The contact the message was about.")
    agency: str = Field(description="The policy agency the message went to.")
    status: str = Field(description="RECEIVED, ACCEPTED or REJECTED.")
    recipient_reference: str | None = Field(description="The partner's reference.")
    reason: str = Field(description="Why, for a rejection (may be empty otherwise).")
    received_at: datetime = Field(description="When controlroom recorded it.")
    created: bool = Field(description="False when the same acknowledgement came before.")


@router.post(
    "/acknowledgements",
    response_model=AcknowledgementOut,
    status_code=201,
    summary="Pass on a partner's MAIT acknowledgement",
    openapi_extra={"requestBody": XML_BODY},
    responses=AUTH
    | {
        200: {"model": AcknowledgementOut, "description": "The same acknowledgement again."},
        400: error_doc("Not a MAIT ACK document, or one that breaks the schema."),
        404: error_doc("It answers no MAIT message controlroom sent."),
        409: error_doc(
            "It comes from another organisation than the message went to, or its id was "
            "used before for other content."
        ),
        503: error_doc("No MAIT partners are configured."),
    },
)
async def post_acknowledgement(
    request: Request,
    principal: Hub,
    factory: Annotated[Any, Depends(uow_factory)],
) -> JSONResponse:
    """Record a partner's acknowledgement (RECEIVED, ACCEPTED or REJECTED with its reason) of
    the message named in its RelatesTo; the handler sees it on the contact. Idempotent by the
    acknowledgement's MessageID."""
    document, policy = await request.body(), request.app.state.policy
    recorded = await run_in_threadpool(
        record_acknowledgement, factory, principal, document, datetime.now(UTC), policy
    )
    ack = recorded.ack
    body = AcknowledgementOut(
        ack_id=ack.ack_id,
        message_id=ack.message_id,
        contact_id=ack.contact_id,
        agency=ack.agency,
        status=ack.status.value,
        recipient_reference=ack.recipient_reference,
        reason=ack.reason,
        received_at=ack.received_at,
        created=recorded.created,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if recorded.created else 200)
