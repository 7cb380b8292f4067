"""Answers of the contacts and audit endpoints, documented field by field for OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from controlroom.domain.contacts import AgeBand
from controlroom.domain.triage import Channel
from controlroom.web.schemas_nuisance import CallerHistoryOut


class CallerOut(BaseModel):
    """Who made contact."""

    number: str | None = Field(default=None, description="E.164 number, if known.")
    name: str = Field(default="", description="Name, if known.")
    age_band: AgeBand | None = Field(default=None, description="child, adult or older_person.")


class HistoryOut(BaseModel):
    """One applied action."""

    seq: int = Field(description="1, 2, 3... in order.")
    action: str = Field(description="The action's kind.")
    actor: dict[str, str] = Field(description="Who: id and role.")
    at: datetime = Field(description="When (UTC).")
    from_procedure: str | None = Field(description="Procedure before (null for the offer).")
    from_state: str | None = Field(description="State before (null for the offer).")
    to_procedure: str = Field(description="Procedure after.")
    to_state: str = Field(description="State after.")
    details: dict[str, str] = Field(description="What the action recorded.")


class BlockedOut(BaseModel):
    """A move the procedure has from here that is refused now, and why."""

    action: str = Field(description="The action's kind.")
    paragraph: str = Field(description="The policy paragraph that refuses it.")
    message: str = Field(description="Why, in words.")
    hint: str | None = Field(default=None, description="What would allow it.")


class ContactOut(BaseModel):
    """A contact with its full history, triage, location and what the reader may do now."""

    id: str = Field(description="The contact's id.")
    channel: Channel = Field(description="How it came in.")
    procedure: str = Field(description="The procedure it follows now.")
    state: str = Field(description="Where it stands in that procedure.")
    landline: bool = Field(description="True for a fixed line.")
    caller: CallerOut = Field(description="Who made contact.")
    timestamps: dict[str, datetime | None] = Field(description="offered, answered, ended (UTC).")
    narrative: str = Field(description="The caller's account.")
    history: list[HistoryOut] = Field(description="Every action applied, oldest first.")
    triage: dict[str, Any] = Field(
        description="suggestion: triage's decision on the narrative now (as POST /api/triage "
        "answers), re-made with the handler's answers once any are recorded (as POST "
        "/api/triage/reassess), or null; assessments: each grade recorded with triage's "
        "suggestion then; answers: the handler's latest answer to each §4.11.1 question "
        "(question, answer, actor, at)."
    )
    vulnerability: list[str] = Field(description="Every vulnerability flag set.")
    unresolved_vulnerability: list[str] = Field(description="Flags no approval covers.")
    unapproved_concerns: list[dict[str, str]] = Field(
        default=[],
        description="What termination needs a supervisor's approval for now (4.12.3): a yes "
        "answer, a vulnerability flag or a relay, BSL, SMS or silent route: key and text.",
    )
    location: dict[str, Any] = Field(
        description="evidence: every piece as stored; best: the best fix and the ranking "
        "(docs/location.md), or null. The map: GET .../location.geojson."
    )
    record: dict[str, Any] = Field(
        description="Everything else recorded: notes, flags, considerations (notes and yes/no "
        "answers), advice, warning, overrides (supervisors' approvals), approval_request (one "
        "waiting), declines, incident, referral, transfer, observations, inference, closure."
    )
    telephony: list[dict[str, Any]] = Field(
        description="What telephony reported without changing the contact (keys pressed, "
        "further emergencySMS messages): tag, at, details."
    )
    allowed_actions: list[str] = Field(description="What the reader may apply now.")
    blocked_actions: list[BlockedOut] = Field(description="Moves refused now, with the reason.")
    prompts: list[dict[str, str]] = Field(
        default=[],
        description="After an action: script lines to read (script_id, paragraph, text).",
    )
    caller_history: CallerHistoryOut | None = Field(
        default=None,
        description="GET only: what the caller's number (and handset, from AML) did before "
        "this contact, with nuisance flags and cases (docs/nuisance.md).",
    )


class ContactSummary(BaseModel):
    """A contact in a list."""

    id: str = Field(description="The contact's id.")
    channel: Channel = Field(description="How it came in.")
    procedure: str = Field(description="The procedure it follows now.")
    state: str = Field(description="Where it stands.")
    caller: CallerOut = Field(description="Who made contact.")
    offered_at: datetime = Field(description="When it was offered (UTC).")
    answered_at: datetime | None = Field(description="When it was answered, if it was.")
    ended_at: datetime | None = Field(description="When it ended, if it has.")
    vulnerability: list[str] = Field(description="Vulnerability flags set.")
    damaged: str | None = Field(
        default=None,
        description="Set when the contact's stored record cannot be read: why. The other "
        "fields then come from what could be read (id, channel, state, times); the contact "
        "cannot be opened or worked until it is repaired (409 damaged_record).",
    )


class ContactPageOut(BaseModel):
    """A page of contacts, newest offered first."""

    items: list[ContactSummary] = Field(description="The contacts on this page.")
    total: int = Field(description="How many contacts match the filters.")
    limit: int = Field(description="The page size asked for.")
    offset: int = Field(description="How many were skipped.")
    next: str | None = Field(description="The path of the next page, or null on the last.")


class AuditEntryOut(BaseModel):
    """One row of the audit log (docs/audit.md)."""

    seq: int = Field(description="Position in the chain.")
    actor: str = Field(description="Who made the change.")
    role: str = Field(description="Their role then.")
    tag: str = Field(description="What happened, subject:object:action.")
    subject: str = Field(description="What it happened to, e.g. contact:C-1.")
    at: datetime = Field(description="When (UTC).")
    details: dict[str, Any] = Field(description="What changed.")
    prev_hash: str = Field(description="The previous row's hash.")
    hash: str = Field(description="This row's hash.")


class AuditPageOut(BaseModel):
    """The latest audit entries, oldest first."""

    entries: list[AuditEntryOut] = Field(description="The entries.")
