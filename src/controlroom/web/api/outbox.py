"""``/api/outbox``: what the outbox holds, and a supervisor's retry of a parked message
(docs/interop.md#the-outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from controlroom.domain.access import Permission, Principal
from controlroom.domain.outbox import OutboxMessage
from controlroom.services.outbox import MAX_LIST, list_messages, parse_state, retry_message
from controlroom.web.api.contacts import AUTH, error_doc
from controlroom.web.auth import require, uow_factory

router = APIRouter(prefix="/api/outbox", tags=["outbox"])
Watcher = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
Supervisor = Annotated[Principal, Depends(require(Permission.CONTACT_SUPERVISE))]


class MessageOut(BaseModel):
    """One outbox message, without its body."""

    id: int = Field(description="The message's number in the outbox.")
    destination: str = Field(description='Where it goes: "cc" for command-and-control.')
    kind: str = Field(description="What it says, e.g. incident.logged.")
    idempotency_key: str = Field(description="Sent with every attempt; the same each time.")
    contact_id: str | None = Field(description="The contact it is about.")
    sequence: int = Field(description="Its place among the contact's messages.")
    state: str = Field(description="pending, delivering, delivered or parked.")
    attempts: int = Field(description="Attempts made (counted from 0 again after a retry).")
    next_attempt_at: datetime | None = Field(description="When it is due next.")
    last_error: str | None = Field(description="Why the last attempt failed.")
    created_at: datetime = Field(description="When it was written.")
    delivered_at: datetime | None = Field(description="When the receiver took it.")


class OutboxOut(BaseModel):
    """The latest messages, newest first, and how many are in each state."""

    counts: dict[str, int] = Field(description="Messages in each state.")
    items: list[MessageOut] = Field(description="The messages.")


def message_out(message: OutboxMessage) -> dict[str, Any]:
    """A message as the API shows it."""
    fields = MessageOut.model_fields
    return {name: getattr(message, name) for name in fields} | {"state": message.state.value}


@router.get(
    "",
    response_model=OutboxOut,
    summary="List outbox messages",
    responses=AUTH | {400: error_doc("An unknown state.")},
)
def list_outbox(
    request: Request,
    principal: Watcher,
    state: Annotated[
        str | None, Query(description="pending, delivering, delivered or parked; all if unset.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST, description="At most this many.")] = 100,
) -> dict[str, Any]:
    """The latest outbox messages, newest first (only those in ``state`` when given)."""
    view = list_messages(uow_factory(request), principal, state=parse_state(state), limit=limit)
    return {
        "counts": {state.value: count for state, count in view.counts.items()},
        "items": [message_out(message) for message in view.messages],
    }


@router.post(
    "/{message_id}/retry",
    response_model=MessageOut,
    summary="Retry a parked message",
    responses=AUTH
    | {
        404: error_doc("No such message."),
        409: error_doc("The message is not parked (only parked messages can be retried)."),
    },
)
def retry_outbox(
    request: Request,
    principal: Supervisor,
    message_id: Annotated[int, Path(ge=1, description="The message's number.")],
) -> dict[str, Any]:
    """Send a parked message again: due at once, its attempts counted from zero (audited as
    ``outbox:message:retry``)."""
    message = retry_message(uow_factory(request), principal, message_id, datetime.now(UTC))
    return message_out(message)
