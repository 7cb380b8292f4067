"""``/api/contacts`` and ``/api/audit``: thin routes over the contact use cases."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from controlroom.domain.access import Permission, Principal
from controlroom.domain.contacts import Caller, Contact, ProcedureName, State
from controlroom.domain.contacts.concerns import unapproved
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.policy import Policy
from controlroom.domain.time_range import RANGE_TEXT
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.contacts import ContactDetails, ContactFilters
from controlroom.services.nuisance_history import contact_history
from controlroom.web.api.nuisance_render import render_history
from controlroom.web.auth import require, uow_factory
from controlroom.web.chat_sync import sync_chat_from_thread
from controlroom.web.schemas import ErrorResponse
from controlroom.web.schemas_common import BoundedTime
from controlroom.web.schemas_contacts import (
    ActionIn,
    AuditPageOut,
    ContactOut,
    ContactPageOut,
)
from controlroom.web.schemas_offer import OfferIn

router = APIRouter(prefix="/api/contacts", tags=["contacts"])
E164 = r"^\+[1-9][0-9]{1,14}$"
MAX_OFFSET = 1_000_000_000
TIMES = f"ISO 8601 with a time zone, {RANGE_TEXT}"
audit_router = APIRouter(prefix="/api/audit", tags=["audit"])

Reader = Annotated[Principal, Depends(require(Permission.CONTACT_READ))]
Handler = Annotated[Principal, Depends(require(Permission.CONTACT_ACT))]
AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


def error_doc(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


AUTH: dict[int | str, dict[str, Any]] = {
    401: error_doc("No token, or a token that is not valid (WWW-Authenticate: Bearer)."),
    403: error_doc("The token's role does not have the permission."),
}
QUERY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error_doc("A filter the service refuses (e.g. a caller number that is not E.164)."),
    422: error_doc("A query parameter of the wrong type or out of range; problems lists each."),
}
READ_ERRORS = AUTH | {404: error_doc("No contact with this id.")}
ACT_ERRORS = READ_ERRORS | {
    400: error_doc("A value the domain refuses: an unknown grade or agency, an empty reason..."),
    409: error_doc(
        "policy_violation: the procedure refuses the move, naming the paragraph (e.g. 4.12.4); "
        "or conflict: the contact changed meanwhile."
    ),
    413: error_doc("The request body is over the size limit."),
    422: error_doc("Malformed JSON, an unknown action, a missing or wrong-typed field."),
}
_RECORD_KEYS = (
    "notes",
    "flags",
    "considerations",
    "advice",
    "warning",
    "overrides",
    "approval_request",
    "declines",
    "incident",
    "referral",
    "transfer",
    "observations",
    "inference",
    "closure",
    "resume",
)


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def _now() -> datetime:
    return datetime.now(UTC)


@router.get(
    "", response_model=ContactPageOut, summary="List contacts", responses=AUTH | QUERY_ERRORS
)
def list_contacts(
    request: Request,
    principal: Reader,
    channel: Annotated[Channel | None, Query(description="Only this channel.")] = None,
    state: Annotated[State | None, Query(description="Only contacts in this state.")] = None,
    procedure: Annotated[ProcedureName | None, Query(description="Only this procedure.")] = None,
    caller: Annotated[
        str | None, Query(pattern=E164, description="Only this E.164 number.")
    ] = None,
    offered_from: Annotated[
        BoundedTime | None, Query(description=f"Offered at or after ({TIMES}).")
    ] = None,
    offered_to: Annotated[
        BoundedTime | None, Query(description=f"Offered before ({TIMES}).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="Page size.")] = 50,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="How many to skip (at most 1,000,000,000).")
    ] = 0,
) -> dict[str, Any]:
    """Contacts matching every filter given, newest offered first, a page at a time."""
    filters = ContactFilters(channel, state, procedure, caller, offered_from, offered_to)
    factory = uow_factory(request)
    page = service.list_contacts(factory, principal, filters, limit=limit, offset=offset)
    following = None
    if offset + limit < page.total:
        query = {
            "channel": channel,
            "state": state,
            "procedure": procedure,
            "caller": caller,
            "offered_from": None if offered_from is None else offered_from.isoformat(),
            "offered_to": None if offered_to is None else offered_to.isoformat(),
            "limit": limit,
            "offset": offset + limit,
        }
        given = {key: plain(value) for key, value in query.items() if value is not None}
        following = f"{request.url.path}?{urlencode(given)}"
    return {
        "items": [_summary(contact) for contact in page.items],
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next": following,
    }


@router.post(
    "",
    response_model=ContactOut,
    status_code=201,
    summary="Create a contact by hand",
    responses=ACT_ERRORS,
)
def offer_contact(body: OfferIn, request: Request, principal: Handler) -> dict[str, Any]:
    """A contact that did not come through telephony: an online report, a live chat, or a
    call logged by a handler. Triage reads the narrative."""
    caller = Caller(body.caller.number, body.caller.name, body.caller.age_band)
    details = service.offer_contact(
        uow_factory(request),
        principal,
        channel=body.channel,
        caller=caller,
        narrative=body.narrative,
        now=_now(),
        policy=_policy(request),
    )
    return render(details)


@router.get(
    "/{contact_id}", response_model=ContactOut, summary="One contact", responses=READ_ERRORS
)
def get_contact(contact_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """The contact with its full history, triage's suggestion, its location evidence, the
    actions the caller of this endpoint may apply now (and those refused, with the reason) and
    what the caller's number (or handset) did before, with any nuisance flags."""
    factory, now, nuisance = uow_factory(request), _now(), request.app.state.nuisance
    details = service.get_contact(factory, principal, contact_id, now, _policy(request))
    found = contact_history(factory, principal, details.contact.record, now, nuisance)
    return render(details) | {"caller_history": render_history(found, nuisance.ladder, calls=False)}


@router.post(
    "/{contact_id}/actions",
    response_model=ContactOut,
    summary="Apply a procedure action",
    responses=ACT_ERRORS,
)
def apply_action(
    contact_id: str, body: ActionIn, request: Request, principal: Handler
) -> dict[str, Any]:
    """Move the contact as the force's procedure allows; the contact as it is afterwards, with
    any script lines to read in ``prompts``. A move the procedure refuses answers 409 with the
    paragraph, the reason and a hint."""
    now = _now()
    factory, policy = uow_factory(request), _policy(request)
    action = body.to_action(now)
    details = service.do_action(factory, principal, contact_id, action, now, policy)
    sync_chat_from_thread(request, principal, details.contact, now)
    return render(details)


@router.get(
    "/{contact_id}/location.geojson",
    summary="The contact's location evidence as GeoJSON",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "An RFC 7946 FeatureCollection: a Point per fix, its accuracy "
            "circle, the chosen fix marked (docs/location.md).",
            "content": {"application/geo+json": {}},
        },
        **READ_ERRORS,
    },
)
def location_geojson(contact_id: str, request: Request, principal: Reader) -> JSONResponse:
    """Every piece of location evidence, ready to draw on a map."""
    collection = service.location_geojson(uow_factory(request), principal, contact_id, _now())
    return JSONResponse(collection, media_type="application/geo+json")


@audit_router.get("", response_model=AuditPageOut, summary="Read the audit log", responses=AUTH)
def read_audit(
    request: Request,
    principal: AuditReader,
    subject: Annotated[
        str | None, Query(max_length=200, description="Only about this, e.g. contact:C-1.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_AUDIT_ENTRIES, description="How many, the latest.")
    ] = 100,
) -> dict[str, Any]:
    """The latest audit entries, oldest first (auditors and administrators)."""
    entries = service.read_audit(uow_factory(request), principal, subject=subject, limit=limit)
    return {"entries": [plain(entry) for entry in entries]}


# -- rendering ------------------------------------------------------------------------------


def render(details: ContactDetails) -> dict[str, Any]:
    """A contact's details as the JSON ``ContactOut`` documents."""
    record = details.contact.record
    data = plain(record)
    suggestion = details.suggestion
    assessments = [
        {
            "grade": item.grade,
            "suggestion": None if item.suggestion is None else item.suggestion.to_dict(),
            "reason": item.reason,
            "actor": plain(item.actor),
            "at": plain(item.at),
        }
        for item in record.triage
    ]
    best = details.location
    return {
        **{key: data[key] for key in ("id", "channel", "procedure", "state", "landline")},
        **{key: data[key] for key in ("caller", "timestamps", "narrative", "history")},
        "triage": {
            "suggestion": None if suggestion is None else suggestion.to_dict(),
            "assessments": assessments,
            "answers": data["answers"],
        },
        "vulnerability": sorted(record.vulnerability),
        "unresolved_vulnerability": sorted(record.unresolved_vulnerability),
        "unapproved_concerns": [{"key": c.key, "text": c.text} for c in unapproved(record)],
        "location": {
            "evidence": data["location"],
            "best": None if best is None else best.as_dict(),
        },
        "record": {key: data[key] for key in _RECORD_KEYS},
        "telephony": [
            {"tag": entry.tag, "at": plain(entry.at), "details": plain(entry.details)}
            for entry in details.telephony
        ],
        "allowed_actions": [kind.value for kind in details.allowed],
        "blocked_actions": [
            {"action": kind.value, "paragraph": why.paragraph, "message": why.message}
            | ({"hint": why.hint} if why.hint else {})
            for kind, why in details.blocked.items()
        ],
        "prompts": [
            {"script_id": p.script_id, "paragraph": p.paragraph, "text": p.text}
            for p in details.prompts
        ],
    }


def _summary(contact: Contact) -> dict[str, Any]:
    record = contact.record
    times = record.timestamps
    damage = contact.damage if isinstance(contact, DamagedContact) else None
    return {
        "id": record.id,
        "channel": record.channel.value,
        "procedure": record.procedure.value,
        "state": record.state.value,
        "caller": plain(record.caller),
        "offered_at": plain(times.offered),
        "answered_at": plain(times.answered),
        "ended_at": plain(times.ended),
        "vulnerability": sorted(record.vulnerability),
        "damaged": damage,
    }


def plain(value: Any) -> Any:
    """A domain value as JSON-ready data: dataclasses as objects, enums as their values,
    datetimes in UTC, sets as sorted lists."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(plain(item) for item in value)
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return str(value)
