"""Bodies and answers of the caller-history and nuisance-case endpoints, documented for OpenAPI.

A case action is ``{"action": "<kind>", ...its fields}``; each kind is its own model and
becomes the domain action of the same name (docs/nuisance.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import (
    Approve,
    Assess,
    Close,
    Identifier,
    LinkIdentifier,
    NuisanceKind,
    OverrideVulnerability,
    Propose,
    Record,
    Reject,
    Reopen,
)
from controlroom.domain.nuisance.case import CaseCommand
from controlroom.web.schemas_common import NAME_CHARS, NOTE_CHARS, REASON_CHARS, InputModel

Reason = Annotated[
    str,
    Field(max_length=REASON_CHARS, description="Why, in your words (at most 2,000 characters)."),
]
Note = Annotated[str, Field(max_length=NOTE_CHARS, description="At most 10,000 characters.")]
Step = Annotated[str, Field(min_length=1, max_length=NAME_CHARS)]
Number = Annotated[str, Field(max_length=40)]


class _In(InputModel):
    model_config = ConfigDict(extra="forbid")


class OpenCaseIn(_In):
    """Open a nuisance case for a number, a handset's IMEI, or both."""

    number: Number | None = Field(
        default=None,
        description="E.164 number, any country. A withheld number cannot open a case.",
        examples=["+447700900123"],
    )
    imei: Number | None = Field(
        default=None, description="The handset's IMEI (14-16 digits), e.g. from AML."
    )
    reason: Reason


class CaseAssessIn(_In):
    """Record what you judge the source to be, with the evidence."""

    action: Literal["assess"]
    kinds: list[NuisanceKind] = Field(min_length=1, description="faulty_device, ...")
    evidence: list[Note] = Field(
        default=[], max_length=100, description="Plain sentences of evidence (at most 100)."
    )

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Assess(frozenset(self.kinds), tuple(self.evidence))


class CaseProposeIn(_In):
    """Propose a ladder step that needs a supervisor's approval."""

    action: Literal["propose"]
    step: Step = Field(description="A step id of the force's ladder.", examples=["pecs_request"])
    reason: Reason

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Propose(self.step, self.reason)


class CaseApproveIn(_In):
    """Approve the proposed step (a supervisor who did not propose it)."""

    action: Literal["approve"]
    note: Note = Field(default="", description="Anything the approval should record.")

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Approve(self.note)


class CaseRejectIn(_In):
    """Reject the proposed step, or withdraw the approved one (a supervisor)."""

    action: Literal["reject"]
    reason: Reason

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Reject(self.reason)


class CaseRecordIn(_In):
    """Record a step as carried out (the letter sent, the request made)."""

    action: Literal["record"]
    step: Step = Field(description="The step carried out.", examples=["advice"])
    note: Note = Field(description="What was done.")

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Record(self.step, self.note)


class CaseOverrideIn(_In):
    """Override the ladder's safeguard for the flags standing on the case (vulnerable person,
    faulty device): a supervisor, with a reason; audited and shown on the letter or request."""

    action: Literal["override_vulnerability"]
    reason: Reason

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return OverrideVulnerability(self.reason)


class CaseLinkIn(_In):
    """The caller now uses another number or handset: link it to this case."""

    action: Literal["link_identifier"]
    number: Number | None = Field(default=None, description="The new E.164 number.")
    imei: Number | None = Field(default=None, description="The new handset's IMEI.")
    reason: Reason

    def to_command(self) -> CaseCommand:
        """The domain action."""
        if (self.number is None) == (self.imei is None):
            raise InvalidInput("give either a number or an IMEI to link", field="number")
        if self.number is not None:
            return LinkIdentifier(Identifier.of_number(self.number), self.reason)
        assert self.imei is not None
        return LinkIdentifier(Identifier.of_imei(self.imei), self.reason)


class CaseCloseIn(_In):
    """Close the case (a step waiting for approval is dropped)."""

    action: Literal["close"]
    reason: Reason

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Close(self.reason)


class CaseReopenIn(_In):
    """Reopen a closed case; the steps taken before still count."""

    action: Literal["reopen"]
    reason: Reason

    def to_command(self) -> CaseCommand:
        """The domain action."""
        return Reopen(self.reason)


CaseActionIn = Annotated[
    CaseAssessIn
    | CaseProposeIn
    | CaseApproveIn
    | CaseRejectIn
    | CaseRecordIn
    | CaseOverrideIn
    | CaseLinkIn
    | CaseCloseIn
    | CaseReopenIn,
    Field(discriminator="action"),
]


class MarkCallIn(_In):
    """Mark a stored call as abusive or a hoax (or withdraw the mark); leave one out to keep it."""

    abusive: bool | None = Field(default=None, description="The caller was abusive.")
    hoax: bool | None = Field(default=None, description="The call was a hoax.")
    reason: Reason


# -- answers -----------------------------------------------------------------------------------


class FlagOut(BaseModel):
    """A probable nuisance source, with its evidence and what to do."""

    kind: NuisanceKind = Field(description="vulnerable_person, faulty_device, deliberate_misuse.")
    confidence: str = Field(description="low, medium or high.")
    evidence: list[str] = Field(description="Plain sentences naming contacts and local times.")
    contact_ids: list[str] = Field(description="The contacts the evidence relies on.")
    response: str = Field(description="contact_provider, safeguarding_referral, ...")
    advice: str = Field(description="What to do, in words.")
    conflict: str = Field(description="Set when several kinds are flagged: which comes first.")


class CallOut(BaseModel):
    """One earlier call, in brief."""

    contact_id: str = Field(description="The contact.")
    offered_at: datetime = Field(description="When it was offered (UTC).")
    local_time: str = Field(description="The same, in the force's local time.")
    duration_s: float | None = Field(description="Seconds from answer (or offer) to end.")
    outcome: str = Field(description="How it ended (silent, abandoned, emergency...).")
    outcome_label: str = Field(description="The outcome in words.")
    channel: str = Field(description="999, 101, silent_solution_55...")
    number: str | None = Field(description="The number it came from (null: withheld).")
    imei: str | None = Field(description="The handset's IMEI, when AML gave it.")
    markers: list[str] = Field(description="silent, speech, dtmf_55, warned, terminated...")
    vulnerability: list[str] = Field(description="Vulnerability flags on the call.")


class CaseBriefOut(BaseModel):
    """A nuisance case, in brief."""

    id: str = Field(description="The case's id.")
    state: str = Field(description="open, proposed, approved or closed.")
    step: str = Field(description="The step waiting, else the highest taken, else none.")
    kinds: list[str] = Field(description="The kinds assessed.")
    number: str | None = Field(description="The latest number linked.")
    imei: str | None = Field(description="The latest IMEI linked.")
    opened_at: datetime = Field(description="When it was opened (UTC).")


class CallerHistoryOut(BaseModel):
    """What a caller has done before: counts, flags and cases, and the handler's line."""

    identifiers: list[dict[str, str]] = Field(
        description="The numbers and IMEIs read (kind, value), with a case's other ones."
    )
    summary: str = Field(description='The handler\'s line: "14 calls today, 12 silent, ...".')
    windows: dict[str, dict[str, Any]] = Field(
        description="last_hour, today (force-local), last_7_days, last_30_days: since, calls, "
        "silent, speech, abandoned, dtmf_55, warned, terminated, emergency, outcomes."
    )
    withheld: int = Field(description="Calls in the history with the number withheld.")
    left_out: int = Field(
        default=0,
        description="Calls of the last 30 days counted in windows but not listed: a number "
        "with over 200 calls in the window lists its newest 200 and every notable call.",
    )
    flags: list[FlagOut] = Field(description="Nuisance flags, most important first.")
    recommended_response: str | None = Field(description="The response to act on first.")
    cases: list[CaseBriefOut] = Field(description="Nuisance cases the caller is under.")
    notes: list[str] = Field(description="International number, IMEI only, withheld...")
    calls: list[CallOut] = Field(
        default=[],
        description="Every call listed, oldest first (not in the contact's answer); see left_out.",
    )


class CaseOut(BaseModel):
    """A nuisance case: where it stands on the ladder, its record, and what you may do."""

    id: str = Field(description="The case's id.")
    state: str = Field(description="open, proposed, approved or closed.")
    step: str = Field(description="The step waiting, else the highest taken, else none.")
    number: str | None = Field(description="The latest number linked (documents show it).")
    imei: str | None = Field(description="The latest IMEI linked.")
    kinds: list[str] = Field(description="The kinds assessed so far.")
    vulnerability_unresolved: bool = Field(
        description="A vulnerable-person flag with no supervisor override after it: no step "
        "that disconnects may be taken."
    )
    provider_note: str = Field(description="International or IMEI-only note, or empty.")
    record: dict[str, Any] = Field(
        description="Everything the case holds: identifiers, opened_at, vulnerable_at, "
        "pending, steps, overrides, documents."
    )
    history: list[dict[str, Any]] = Field(description="Every action applied, oldest first.")
    allowed_actions: list[str] = Field(description="What you may apply now.")
    next_steps: list[dict[str, Any]] = Field(description="Ladder steps open now, lowest first.")
    ladder: list[dict[str, Any]] = Field(description="The force's ladder, lowest step first.")
    ladder_options: list[dict[str, Any]] = Field(
        default=[],
        description="Every step as a control shows it, for you now: step, action (propose or "
        "record), allowed, and when refused the refusal (which rule, what is missing) and hint.",
    )
    caller_history: CallerHistoryOut = Field(description="The caller's history and flags.")


class FlaggedOut(BaseModel):
    """A number or IMEI flagged now, with its calls per day over the last week."""

    identifier: dict[str, str] = Field(description="kind (number or imei) and value.")
    calls_in_window: int = Field(description="Calls in the window asked for.")
    summary: str = Field(description="The handler's line for it.")
    flags: list[FlagOut] = Field(description="Its flags, most important first.")
    trend: list[dict[str, Any]] = Field(description="day (force-local) and calls, 7 days.")
    last_call: datetime | None = Field(description="Its latest call (UTC).")
    case: CaseBriefOut | None = Field(description="The case it is under, if any.")


class FlaggedListOut(BaseModel):
    """The numbers flagged now, surest first, then busiest."""

    window_hours: float = Field(description="The window asked for, in hours.")
    generated_at: datetime = Field(description="When the view was computed (UTC).")
    items: list[FlaggedOut] = Field(description="The flagged numbers and IMEIs.")


class CaseGroupOut(BaseModel):
    """The cases of one kind at one step."""

    kind: str = Field(description="The first kind assessed, in precedence order, or unassessed.")
    step: str = Field(description="The step they stand at (none: no step yet).")
    step_name: str = Field(description="The step's name.")
    count: int = Field(description="How many cases.")
    cases: list[CaseBriefOut] = Field(description="The cases, oldest opened first.")


class CaseOverviewOut(BaseModel):
    """Cases grouped by kind and step."""

    total: int = Field(description="How many cases in all.")
    groups: list[CaseGroupOut] = Field(description="By kind (precedence), then ladder step.")


class TimelineItemOut(BaseModel):
    """A call, or an action on the caller's case."""

    at: datetime = Field(description="When (UTC).")
    local_time: str = Field(description="The same, in the force's local time.")
    type: Literal["call", "case"] = Field(description="call or case.")
    call: CallOut | None = Field(default=None, description="The call, for type call.")
    case_id: str | None = Field(default=None, description="The case, for type case.")
    entry: dict[str, Any] | None = Field(
        default=None, description="The case action: seq, action, actor, states, details."
    )


class TimelineOut(BaseModel):
    """A caller's calls and case events in time order."""

    identifiers: list[dict[str, str]] = Field(description="The numbers and IMEIs read.")
    summary: str = Field(description="The handler's line now.")
    flags: list[FlagOut] = Field(description="Nuisance flags now.")
    cases: list[CaseBriefOut] = Field(description="The caller's cases.")
    notes: list[str] = Field(description="International number, IMEI only...")
    items: list[TimelineItemOut] = Field(description="Oldest first.")
