"""``POST /api/triage``, ``/api/triage/batch`` and ``/api/triage/reassess``: thin routes over the
triage service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field, TypeAdapter, ValidationError

from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError
from controlroom.domain.policy import Policy
from controlroom.services.triage import reassess_text, triage_text
from controlroom.web.auth import require
from controlroom.web.schemas import (
    BatchRequest,
    BatchResponse,
    ContactId,
    DecisionOut,
    ErrorResponse,
    TriageRequest,
)

router = APIRouter(
    prefix="/api/triage", tags=["triage"], dependencies=[Depends(require(Permission.TRIAGE_RUN))]
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Empty text, unknown channel, bad characters."},
    401: {"model": ErrorResponse, "description": "No token, or a token that is not valid."},
    403: {"model": ErrorResponse, "description": "The token's role may not run triage."},
    413: {"model": ErrorResponse, "description": "The request body is over the size limit."},
    422: {"model": ErrorResponse, "description": "Malformed JSON or a field of the wrong type."},
}

_CONTACT_ID: TypeAdapter[Any] = TypeAdapter(ContactId)


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


@router.post(
    "",
    response_model=DecisionOut,
    summary="Triage one contact",
    responses=ERRORS,
)
def triage_one(body: TriageRequest, request: Request) -> dict[str, Any]:
    """Where the contact belongs under the force's policy, with the reasons and evidence."""
    decision = triage_text(body.text, body.channel, _policy(request))
    return {"id": body.id, **decision.to_dict()}


@router.post(
    "/batch",
    response_model=BatchResponse,
    summary="Triage up to 1,000 contacts",
    responses=ERRORS,
)
def triage_batch(body: BatchRequest, request: Request) -> dict[str, Any]:
    """One result per contact, in order. A contact that cannot be triaged gets an error object
    in its place (with its ``id`` and ``index``); the batch itself still succeeds."""
    policy = _policy(request)
    return {"results": [_triage_item(i, item, policy) for i, item in enumerate(body.contacts)]}


class ReassessRequest(TriageRequest):
    """A contact and the handler's answers to the emergency questions."""

    answers: dict[str, str] = Field(
        description=(
            "Question id (danger, now, offender, weapon) to yes, no or unknown. A yes raises "
            "the route and is cited as the handler's; a no never lowers an emergency the "
            "caller's words describe."
        ),
        examples=[{"danger": "no", "now": "yes", "offender": "yes", "weapon": "unknown"}],
    )


@router.post(
    "/reassess",
    response_model=DecisionOut,
    summary="Triage one contact again with the handler's answers",
    responses=ERRORS,
)
def triage_reassess(body: ReassessRequest, request: Request) -> dict[str, Any]:
    """The decision re-made with the handler's answers taken as evidence."""
    decision = reassess_text(body.text, body.channel, body.answers, _policy(request))
    return {"id": body.id, **decision.to_dict()}


def _triage_item(index: int, item: Any, policy: Policy) -> dict[str, Any]:
    try:
        contact = TriageRequest.model_validate(item)
    except ValidationError as exc:
        return {"id": _echo_id(item), "index": index, "error": _validation_error(exc)}
    try:
        decision = triage_text(contact.text, contact.channel, policy)
    except DomainError as exc:
        return {"id": contact.id, "index": index, "error": exc.as_dict()}
    return {"id": contact.id, **decision.to_dict()}


def _echo_id(item: Any) -> Any:
    """The item's id when it is a valid one, else None."""
    if not isinstance(item, dict):
        return None
    try:
        return _CONTACT_ID.validate_python(item.get("id"))
    except ValidationError:
        return None


def _validation_error(exc: ValidationError) -> dict[str, Any]:
    first = exc.errors()[0]
    location = first.get("loc", ())
    field = str(location[0]) if location else None  # the contact's own field, not a union branch
    message = str(first.get("msg", "invalid contact")).removeprefix("Value error, ")
    return {
        "code": "invalid_request",
        "message": f"{field}: {message}" if field else message,
        "field": field,
        "hint": 'each contact is an object like {"id": 1, "text": "...", "channel": "999"}',
    }
