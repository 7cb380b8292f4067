"""emergencySMS conversations over the API: the thread, a handler's reply, and the outbound
commands the telephony gateway reads (docs/telephony.md, "Replying by SMS")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from controlroom.domain.access import Permission, Principal
from controlroom.domain.sms import MAX_KEY_CHARS, MAX_REPLY_CHARS, Message, Thread
from controlroom.services import sms, sms_replies
from controlroom.web.api.contacts import ACT_ERRORS, AUTH, READ_ERRORS, error_doc
from controlroom.web.auth import require, uow_factory
from controlroom.web.schemas_common import InputModel

router = APIRouter(tags=["contacts"])
Reader = Annotated[Principal, Depends(require(Permission.CONTACT_READ))]
Handler = Annotated[Principal, Depends(require(Permission.CONTACT_ACT))]
Integration = Annotated[Principal, Depends(require(Permission.TELEPHONY_INGEST))]


class ReplyIn(InputModel):
    """A handler's SMS reply to the caller."""

    text: str = Field(
        min_length=1,
        max_length=MAX_REPLY_CHARS,
        description="What to send.",
        examples=["Police are on the way. Are you somewhere safe? Can you lock yourself in?"],
    )


class MessageOut(BaseModel):
    """One message of the conversation."""

    id: str = Field(description="The event id of an inbound message; the command id of a reply.")
    direction: str = Field(description="inbound (from the caller) or outbound (a reply).")
    text: str
    at: datetime = Field(description="When it was received, or queued.")
    sender: str = Field(description="The caller's number, or the handler's user name.")
    status: str | None = Field(description="A reply's delivery: queued, sent, delivered, failed.")
    status_at: datetime | None = Field(description="When the status was last reported.")
    status_reason: str = Field(description="Why a reply failed, as the gateway said.")
    raised: str = Field(description="Inbound: the route and grade when it raised triage.")


class ThreadOut(BaseModel):
    """A contact's emergencySMS conversation, oldest message first."""

    contact_id: str
    number: str | None
    messages: list[MessageOut]


class CommandOut(BaseModel):
    """An outbound command for the telephony gateway."""

    cursor: int = Field(description="Ask for commands after this one with ?after=<cursor>.")
    id: str = Field(description="The command id: delivery reports (sms.status) name it.")
    type: str = Field(description="sms.send")
    to: str = Field(description="The number to send to (E.164).")
    text: str
    contact_id: str
    created_at: datetime


class CommandsOut(BaseModel):
    """Commands after the cursor asked for, oldest first."""

    commands: list[CommandOut]
    cursor: int = Field(description="Send this as ?after= next time.")


def message_out(message: Message) -> dict[str, Any]:
    """A message as the API answers it."""
    return {
        "id": message.id,
        "direction": message.direction.value,
        "text": message.text,
        "at": message.at.isoformat(),
        "sender": message.sender,
        "status": None if message.status is None else message.status.value,
        "status_at": None if message.status_at is None else message.status_at.isoformat(),
        "status_reason": message.status_reason,
        "raised": message.raised,
    }


def thread_out(thread: Thread) -> dict[str, Any]:
    """A thread as the API answers it."""
    messages = [message_out(m) for m in thread.messages]
    return {"contact_id": thread.contact_id, "number": thread.number, "messages": messages}


@router.get(
    "/api/contacts/{contact_id}/messages",
    response_model=ThreadOut,
    summary="The contact's emergencySMS conversation",
    responses=READ_ERRORS,
)
def get_messages(contact_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """Every message both ways, oldest first, each timed; a reply with its delivery status."""
    return thread_out(sms.get_thread(uow_factory(request), principal, contact_id))


@router.post(
    "/api/contacts/{contact_id}/messages",
    response_model=MessageOut,
    status_code=201,
    summary="Reply to the caller by SMS",
    responses=ACT_ERRORS | {200: {"model": MessageOut, "description": "Sent before (same key)."}},
)
def post_message(
    contact_id: str,
    body: ReplyIn,
    request: Request,
    principal: Handler,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=MAX_KEY_CHARS,
            description="Makes a retry safe: the same key again sends nothing and answers the "
            "first reply (a UUID per reply is ideal).",
        ),
    ] = None,
) -> JSONResponse:
    """Queue the reply as an outbound telephony command (201); with an ``Idempotency-Key``
    seen before, nothing is sent again and the first reply is answered (200). Refused (409,
    naming the paragraph) unless the contact is an answered, open emergencySMS conversation."""
    key = idempotency_key or uuid.uuid4().hex
    sent = sms_replies.send_reply(
        uow_factory(request),
        principal,
        contact_id,
        body.text,
        key,
        datetime.now(UTC),
        request.app.state.policy,
    )
    return JSONResponse(message_out(sent.message), status_code=201 if sent.created else 200)


@router.get(
    "/api/telephony/commands",
    response_model=CommandsOut,
    tags=["telephony"],
    summary="Outbound commands for the telephony gateway",
    responses=AUTH | {400: error_doc("A limit or cursor out of range.")},
)
def get_commands(
    request: Request,
    principal: Integration,
    after: Annotated[
        int,
        Query(ge=0, le=sms_replies.MAX_CURSOR, description="The cursor of the last command read."),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=sms_replies.MAX_COMMANDS)] = 100,
) -> dict[str, Any]:
    """The replies handlers have queued after ``after``, oldest first: send each once (its
    ``id`` is unique) and report its delivery with ``sms.status`` events."""
    factory = uow_factory(request)
    found, cursor = sms_replies.pending_commands(factory, principal, after=after, limit=limit)
    return {"commands": found, "cursor": cursor}
