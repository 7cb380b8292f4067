"""``POST /api/location/aml``: an Advanced Mobile Location message sent over HTTPS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from controlroom.domain.access import Permission, Principal
from controlroom.services.aml_https import receive_aml_https
from controlroom.web.api.contacts import AUTH, error_doc
from controlroom.web.api.telephony import windows_for
from controlroom.web.auth import require, uow_factory
from controlroom.web.schemas_telephony import TelephonyAnswer

router = APIRouter(prefix="/api/location", tags=["location"])

Integration = Annotated[Principal, Depends(require(Permission.TELEPHONY_INGEST))]


@router.post(
    "/aml",
    response_model=TelephonyAnswer,
    summary="Receive one AML message sent over HTTPS",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "string"},
                    "example": "v=1&emergency_number=999&source=sms&time=1700000000000&"
                    "location_latitude=50.37&location_longitude=-4.14&location_accuracy=12&"
                    "device_number=%2B447700900123&hmac=...",
                }
            },
        }
    },
    responses={
        202: {"model": TelephonyAnswer, "description": "Kept until the caller's call arrives."},
        **AUTH,
        400: error_doc("Not valid AML (the field is named), or its HMAC does not verify."),
        413: error_doc("The body is over 8 KiB."),
    },
)
async def post_aml(request: Request, response: Response, principal: Integration) -> dict[str, Any]:
    """The URL-encoded body exactly as the handset sent it. When the force configures
    ``CONTROLROOM_AML_HMAC_KEY`` the body's ``hmac`` (HMAC-SHA1 of everything before
    ``&hmac=``) must verify. The fix is matched to the caller's contact like an AML SMS; a
    repeated delivery of the same body changes nothing and gets the same answer."""
    body = await request.body()
    key = request.app.state.settings.aml_hmac_key
    status, answer = receive_aml_https(
        uow_factory(request),
        principal,
        body,
        datetime.now(UTC),
        request.app.state.policy,
        windows=windows_for(request.app),
        hmac_key=key.encode() if key else None,
    )
    response.status_code = status
    return answer
