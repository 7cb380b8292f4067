"""Bodies of the contacts and audit endpoints, documented field by field for OpenAPI.

An action is ``{"action": "<kind>", ...its fields}``; each kind is its own model (so the schema
lists exactly what each needs) and becomes the domain action of the same name and fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from controlroom.domain.contacts import (
    ACTION_TYPES,
    Action,
    AddLocation,
    AdviceKind,
    AgeBand,
    SilentResponse,
    TransferDestination,
)
from controlroom.domain.location import LocationFix, LocationSource
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage import Channel
from controlroom.services.location_matching import evidence_for_fix, evidence_for_unlocated
from controlroom.web.schemas_common import (
    NAME_CHARS,
    NARRATIVE_CHARS,
    NOTE_CHARS,
    REASON_CHARS,
    InputModel,
    Number,
)
from controlroom.web.schemas_nuisance import CallerHistoryOut

_DOMAIN_ACTIONS = {cls.kind.value: cls for cls in ACTION_TYPES}
E164 = r"^\+[1-9][0-9]{1,14}$"
Text = Annotated[
    str,
    Field(
        max_length=NOTE_CHARS,
        description="Free text, at most 10,000 characters; no control characters but tab and "
        "newline.",
    ),
]
Narrative = Annotated[
    str,
    Field(
        max_length=NARRATIVE_CHARS,
        description="The caller's account, at most the policy's limits.max_text_chars "
        "characters (131,072 by default); triage reads it.",
    ),
]
Reason = Annotated[
    str,
    Field(max_length=REASON_CHARS, description="Why, in the handler's words (at most 2,000)."),
]
Name = Annotated[str, Field(max_length=NAME_CHARS, description="At most 200 characters.")]
Ident = Annotated[str, Field(min_length=1, max_length=NAME_CHARS)]


class _Action(InputModel):
    model_config = ConfigDict(extra="forbid")

    action: str

    def to_action(self, now: datetime) -> Action:
        """The domain action of the same kind and fields."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        fields.pop("action")
        if "flags" in fields:
            fields["flags"] = tuple(fields["flags"])
        return _DOMAIN_ACTIONS[self.action](**fields)


class AnswerIn(_Action):
    """Pick up the contact."""

    action: Literal["answer"]


class AssessIn(_Action):
    """Record your grade; triage's suggestion on the narrative is added by the service, and a
    grade that differs from it needs a reason."""

    action: Literal["assess"]
    grade: Ident = Field(description="A grade id of the policy.", examples=["scheduled"])
    reason: Reason = ""


class LogIncidentIn(_Action):
    """Log an incident with a grade (from the §4.12 path, with the reason: 4.12.2)."""

    action: Literal["log_incident"]
    grade: Ident = Field(description="A grade id of the policy.", examples=["immediate"])
    reason: Reason = ""


class AdviseIn(_Action):
    """Tell the caller where to go instead (4.12.4)."""

    action: Literal["advise"]
    to: AdviceKind = Field(description="101, online, local_station or agency.")
    agency: Ident | None = Field(default=None, description="The agency's id, when to is agency.")


class WarnIn(_Action):
    """Warn a persistent caller the call will be terminated (4.12.5)."""

    action: Literal["warn"]


class TerminateIn(_Action):
    """Terminate an inappropriate 999 call after the warning."""

    action: Literal["terminate"]


class RecordConsiderationsIn(_Action):
    """The 4.12.3 assessment: (a) seriousness, (b) condition, (c) age and vulnerability."""

    action: Literal["record_considerations"]
    seriousness: Text
    condition: Text
    age_vulnerability: Text
    flags: list[VulnerabilityFlag] = Field(default=[], description="Vulnerabilities it found.")


class FlagVulnerabilityIn(_Action):
    """Flag a vulnerability you have noticed."""

    action: Literal["flag_vulnerability"]
    flag: VulnerabilityFlag
    note: Text = ""


class OverrideVulnerabilityIn(_Action):
    """Supervisors only: allow termination despite the flags set now, saying why."""

    action: Literal["override_vulnerability"]
    reason: Reason


class ReferIn(_Action):
    """Refer a non-emergency contact to the agency that handles it."""

    action: Literal["refer"]
    agency: Ident = Field(description="The agency's id in the policy.", examples=["council"])


class TransferIn(_Action):
    """Pass the call on. A 999 call is never transferred to 101 (4.12.4)."""

    action: Literal["transfer"]
    to: TransferDestination


class HangUpIn(_Action):
    """Record that the caller has gone."""

    action: Literal["hang_up"]


class ReconnectIn(_Action):
    """Rejoin a landline put down no more than 45 seconds ago."""

    action: Literal["reconnect"]
    number: str = Field(
        pattern=E164, description="The caller's E.164 number.", examples=["+441632960106"]
    )


class CloseIn(_Action):
    """Close the contact (a reason is needed after a hang-up)."""

    action: Literal["close"]
    reason: Reason = ""


class CloseAccidentalIn(_Action):
    """Close a call made by accident."""

    action: Literal["close_accidental"]
    reason: Reason


class CloseNoResponseIn(_Action):
    """Close a silent call that gave no response."""

    action: Literal["close_no_response"]
    reason: Reason


class PromptIn(_Action):
    """Prompt a silent caller."""

    action: Literal["prompt"]


class RecordResponseIn(_Action):
    """What you heard after prompting a silent caller."""

    action: Literal["record_response"]
    response: SilentResponse
    note: Text = ""


class InferEmergencyIn(_Action):
    """Judge from what you hear that a silent caller needs the police."""

    action: Literal["infer_emergency"]
    reason: Reason


class AddNoteIn(_Action):
    """Add a note."""

    action: Literal["add_note"]
    text: Text


class UpdateNarrativeIn(_Action):
    """Replace the caller's account (the old one stays in the history); triage re-reads it."""

    action: Literal["update_narrative"]
    text: Narrative


class UpdateCallerIn(_Action):
    """Record the caller's name or age band."""

    action: Literal["update_caller"]
    name: Name | None = Field(default=None, description="The caller's name (at most 200).")
    age_band: AgeBand | None = Field(default=None, description="child, adult or older_person.")


class AddLocationIn(_Action):
    """Add location evidence by hand: coordinates, or what the caller said without them."""

    action: Literal["add_location"]
    source: LocationSource = Field(default=LocationSource.COORDINATES, description="Its kind.")
    lat: Number | None = Field(default=None, ge=-90, le=90, description="WGS84 latitude.")
    lon: Number | None = Field(default=None, ge=-180, le=180, description="WGS84 longitude.")
    accuracy_m: Number | None = Field(
        default=None, ge=0, le=100_000, description="Radius in metres (a number, 0-100,000)."
    )
    text: str = Field(default="", max_length=1000, description="What was given, as text.")

    def to_action(self, now: datetime) -> Action:
        if self.lat is None or self.lon is None:
            reason = "given by the caller; no coordinates"
            return AddLocation(evidence_for_unlocated(self.source, self.text, reason, now))
        extra = {"text": self.text} if self.text else {}
        fix = LocationFix(
            source=self.source,
            lat=self.lat,
            lon=self.lon,
            accuracy_m=self.accuracy_m,
            positioned_at=now,
            extra=extra,
        )
        return AddLocation(evidence_for_fix(fix, now))


ActionIn = Annotated[
    AnswerIn
    | AssessIn
    | LogIncidentIn
    | AdviseIn
    | WarnIn
    | TerminateIn
    | RecordConsiderationsIn
    | FlagVulnerabilityIn
    | OverrideVulnerabilityIn
    | ReferIn
    | TransferIn
    | HangUpIn
    | ReconnectIn
    | CloseIn
    | CloseAccidentalIn
    | CloseNoResponseIn
    | PromptIn
    | RecordResponseIn
    | InferEmergencyIn
    | AddNoteIn
    | UpdateNarrativeIn
    | UpdateCallerIn
    | AddLocationIn,
    Field(discriminator="action"),
]


class CallerOut(BaseModel):
    """Who made contact."""

    number: str | None = Field(default=None, description="E.164 number, if known.")
    name: str = Field(default="", description="Name, if known.")
    age_band: AgeBand | None = Field(default=None, description="child, adult or older_person.")


class CallerIn(InputModel):
    """Who made contact, as the handler records it."""

    number: str | None = Field(
        default=None,
        pattern=E164,
        description="E.164 number, if known.",
        examples=["+447700900123"],
    )
    name: Name = Field(default="", description="Name, if known (at most 200 characters).")
    age_band: AgeBand | None = Field(default=None, description="child, adult or older_person.")


class OfferIn(InputModel):
    """A contact created by hand: an online report, a live chat, a call logged by a handler."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "online_report",
                    "caller": {"name": "Priya Shah"},
                    "narrative": "Someone scratched my car in the car park yesterday",
                }
            ]
        },
    )
    channel: Channel = Field(description="How the contact came in.")
    caller: CallerIn = Field(description="Who made contact: number (E.164) and/or name.")
    narrative: Narrative = Field(default="", description="What they said; triage reads it.")


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
        "answers), or null; assessments: each grade recorded with triage's suggestion then."
    )
    vulnerability: list[str] = Field(description="Every vulnerability flag set.")
    unresolved_vulnerability: list[str] = Field(description="Flags no override covers.")
    location: dict[str, Any] = Field(
        description="evidence: every piece as stored; best: the best fix and the ranking "
        "(docs/location.md), or null. The map: GET .../location.geojson."
    )
    record: dict[str, Any] = Field(
        description="Everything else recorded: notes, flags, considerations, advice, warning, "
        "overrides, incident, referral, transfer, observations, inference, closure."
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
