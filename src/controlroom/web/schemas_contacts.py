"""Bodies of the contacts and audit endpoints, documented field by field for OpenAPI.

An action is ``{"action": "<kind>", ...its fields}``; each kind is its own model (so the schema
lists exactly what each needs) and becomes the domain action of the same name and fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from controlroom.domain.contacts import (
    ACTION_TYPES,
    Action,
    AddLocation,
    AdviceKind,
    AgeBand,
    ApproveTermination,
    EscalationSource,
    SilentResponse,
    TransferDestination,
)
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import LocationFix, LocationSource
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage import Answer as Reply
from controlroom.services.location_matching import evidence_for_fix, evidence_for_unlocated
from controlroom.web.schemas_common import (
    NAME_CHARS,
    NARRATIVE_CHARS,
    NOTE_CHARS,
    REASON_CHARS,
    InputModel,
    Number,
)
from controlroom.web.schemas_contacts_out import (
    AuditEntryOut,
    AuditPageOut,
    BlockedOut,
    CallerOut,
    ContactOut,
    ContactPageOut,
    ContactSummary,
    HistoryOut,
)

_DOMAIN_ACTIONS = {cls.kind.value: cls for cls in ACTION_TYPES}
ANSWER_FIELDS = ("serious", "condition_concern", "vulnerable")
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
    """The 4.12.3 assessment: (a) seriousness, (b) condition, (c) age and vulnerability, each
    answered yes or no (``serious``, ``condition_concern``, ``vulnerable``: ``true`` means a
    cause for concern) with a note. Any "yes" makes termination need a supervisor's approval;
    a "no" is refused where a vulnerability flag under it, or an earlier "yes", stands."""

    action: Literal["record_considerations"]
    seriousness: Text = Field(description="(a) note: the seriousness and nature of the matter.")
    condition: Text = Field(description="(b) note: the condition or trauma of caller or victim.")
    age_vulnerability: Text = Field(description="(c) note: potential age and vulnerability.")
    serious: bool | None = Field(default=None, description="(a) answer: true is a concern.")
    condition_concern: bool | None = Field(default=None, description="(b) answer.")
    vulnerable: bool | None = Field(default=None, description="(c) answer.")
    flags: list[VulnerabilityFlag] = Field(default=[], description="Vulnerabilities it found.")

    def to_action(self, now: datetime) -> Action:
        missing = [name for name in ANSWER_FIELDS if getattr(self, name) is None]
        if missing:
            raise InvalidInput(
                "4.12.3 needs an explicit yes or no on each consideration, not notes alone: "
                f"{', '.join(missing)} not given",
                field=missing[0],
                hint="send serious, condition_concern and vulnerable as true or false, with "
                "the notes in seriousness, condition and age_vulnerability",
            )
        return super().to_action(now)


class FlagVulnerabilityIn(_Action):
    """Flag a vulnerability you have noticed."""

    action: Literal["flag_vulnerability"]
    flag: VulnerabilityFlag
    note: Text = ""


class RequestApprovalIn(_Action):
    """Ask a supervisor to approve terminating a call that gives cause for concern (4.12.3)."""

    action: Literal["request_approval"]
    note: Text = Field(default="", description="Anything the supervisor should know.")


class ApproveTerminationIn(_Action):
    """Supervisors only: approve termination despite the concerns standing now, saying why."""

    action: Literal["approve_termination"]
    reason: Reason


class DeclineTerminationIn(_Action):
    """Supervisors only: decline a request to terminate, saying what to do instead."""

    action: Literal["decline_termination"]
    reason: Reason


class OverrideVulnerabilityIn(_Action):
    """The older name of ``approve_termination`` (supervisors only), still accepted."""

    action: Literal["override_vulnerability"]
    reason: Reason

    def to_action(self, now: datetime) -> Action:
        return ApproveTermination(self.reason)


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


class RecordAnswersIn(_Action):
    """Your answers to the §4.11.1 questions (each yes, no or unknown; those left out keep
    their answer); triage re-decides with them and cites them as yours."""

    action: Literal["record_answers"]
    danger: Reply | None = Field(default=None, description="Anyone in danger or injured now?")
    now: Reply | None = Field(default=None, description="Happening now, or about to?")
    offender: Reply | None = Field(default=None, description="The person responsible there?")
    weapon: Reply | None = Field(default=None, description="A weapon, or anything used as one?")


class EscalateIn(_Action):
    """Mark a waiting online report or live chat as an emergency: an alarm at the top of every
    handler's Waiting list until someone takes it (docs/console.md)."""

    action: Literal["escalate"]
    reason: Reason
    source: EscalationSource = Field(
        default=EscalationSource.PERSON, description="person (the default) or triage."
    )


ActionIn = Annotated[
    AnswerIn
    | AssessIn
    | LogIncidentIn
    | AdviseIn
    | WarnIn
    | TerminateIn
    | RecordConsiderationsIn
    | FlagVulnerabilityIn
    | RequestApprovalIn
    | ApproveTerminationIn
    | DeclineTerminationIn
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
    | AddLocationIn
    | RecordAnswersIn
    | EscalateIn,
    Field(discriminator="action"),
]


__all__ = [
    "ActionIn",
    "AuditEntryOut",
    "AuditPageOut",
    "BlockedOut",
    "CallerOut",
    "ContactOut",
    "ContactPageOut",
    "ContactSummary",
    "HistoryOut",
]
