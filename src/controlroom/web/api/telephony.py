"""``POST /api/telephony/events``: one telephony event, answered once it is committed.

Events go through the application's :class:`EventBatcher`, which commits the events that
arrive together in one transaction (group commit) and answers each once it is committed.
When all is well the request is answered before it reaches this route, with the same checks
(``telephony_fast.py``); this route answers everything else, and documents the endpoint.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response

from controlroom.domain.access import Permission, Principal
from controlroom.domain.policy import Policy
from controlroom.services.location_matching import MatchWindows
from controlroom.services.telephony_batch import EventBatcher
from controlroom.web.api.contacts import AUTH, error_doc
from controlroom.web.auth import require
from controlroom.web.schemas_telephony import TelephonyAnswer, TelephonyEventIn

router = APIRouter(prefix="/api/telephony", tags=["telephony"])

Integration = Annotated[Principal, Depends(require(Permission.TELEPHONY_INGEST))]

ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"model": TelephonyAnswer, "description": "A contact was created."},
    202: {"model": TelephonyAnswer, "description": "An AML message is waiting for its call."},
    **AUTH,
    400: error_doc(
        "A value refused: a bad AML message, a call id or number not valid, an agent "
        "who is not a handler, a time in the future."
    ),
    404: error_doc("call.dtmf or call.reconnected for a call never offered (send it again later)."),
    409: error_doc(
        "The event id was used for a different event; or the procedure refuses the "
        "move (e.g. a reconnect after 45 s), naming the paragraph."
    ),
    413: error_doc("The body is over 64 KiB."),
    422: error_doc("Malformed JSON, an unknown event type, a missing or wrong-typed field."),
}


def windows_for(app: FastAPI) -> MatchWindows:
    """The AML matching windows from the application's settings."""
    settings = app.state.settings
    return MatchWindows(
        pending=timedelta(seconds=settings.aml_pending_seconds),
        late=timedelta(minutes=settings.aml_late_minutes),
    )


_BATCHER_GUARD = threading.Lock()


def batcher_of(app: FastAPI) -> EventBatcher:
    """The application's event batcher, made on first use."""
    state = app.state
    batcher: EventBatcher | None = getattr(state, "telephony_batcher", None)
    if batcher is not None:
        return batcher
    with _BATCHER_GUARD:
        batcher = getattr(state, "telephony_batcher", None)
        if batcher is None:
            policy: Policy = state.policy
            batcher = EventBatcher(state.uow_factory, policy, windows_for(app))
            state.telephony_batcher = batcher
        return batcher


@router.post(
    "/events",
    response_model=TelephonyAnswer,
    summary="Send one telephony event",
    responses=ANSWERS,
)
async def post_event(
    event: Annotated[TelephonyEventIn, Body()],
    request: Request,
    principal: Integration,
) -> Response:
    """Idempotent: the same event again (same id, same content) changes nothing and gets the
    same answer. See docs/telephony.md for every event type, the ordering rules and AML
    matching."""
    answer = batcher_of(request.app).submit(principal, event.to_event(), datetime.now(UTC))
    status, body = await asyncio.wrap_future(answer)
    # the body is the service's own answer (TelephonyAnswer's shape, tested against it): sent
    # as it is, rather than validated again on every event
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, media_type="application/json")
