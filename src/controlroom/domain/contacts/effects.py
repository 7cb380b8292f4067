"""What each action records on a contact. The aggregate decides whether a move is allowed;
these functions only compute the new record and the details its history entry keeps."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from controlroom.domain.contacts import actions as act
from controlroom.domain.contacts.concerns import unapproved
from controlroom.domain.contacts.kinds import AdviceKind
from controlroom.domain.contacts.records import (
    Advice,
    ApprovalRequest,
    Assessment4123,
    Closure,
    ContactRecord,
    Decline,
    EscalationRecord,
    FlagRecord,
    FlagSource,
    Incident,
    Observation,
    Outcome,
    Override,
    QuestionAnswer,
    Referral,
    TransferRecord,
    TriageRecord,
    WarningGiven,
)
from controlroom.domain.contacts.states import ProcedureName, State
from controlroom.domain.contacts.values import Actor, Note, Role
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage.assessment import ASKED


@dataclass(frozen=True)
class Effect:
    """The record after an action (state and history aside) and the details to keep."""

    record: ContactRecord
    details: dict[str, str]


def _grade(policy: Policy, grade: str) -> str:
    if grade not in policy.grades:
        known = ", ".join(policy.grades)
        raise InvalidInput(f"unknown grade {grade!r}", field="grade", hint=f"use one of: {known}")
    return grade


def _agency(policy: Policy, agency: str) -> str:
    if agency not in policy.agencies:
        raise InvalidInput(
            f"unknown agency {agency!r}",
            field="agency",
            hint="use an agency id from the policy's directory",
        )
    return agency


def _close_outcome(record: ContactRecord, reason: str) -> Outcome:
    if record.state is State.HUNG_UP:
        if record.incident is not None:
            return Outcome.INCIDENT_LOGGED
        if not reason.strip():
            raise InvalidInput(
                "say why a contact whose caller hung up is being closed",
                field="reason",
                hint="e.g. called back twice, no answer",
            )
        return Outcome.CALLER_HUNG_UP
    if record.state is State.INCIDENT_LOGGED:
        return Outcome.INCIDENT_LOGGED
    if record.state is State.REFERRED:
        return Outcome.REFERRED
    if record.procedure is ProcedureName.INAPPROPRIATE:
        return Outcome.ADVICE_ACCEPTED
    return Outcome.ADVISED


def _ended(record: ContactRecord, now: datetime) -> ContactRecord:
    if record.timestamps.ended is not None:
        return record
    return replace(record, timestamps=replace(record.timestamps, ended=now))


def _closed(
    record: ContactRecord, outcome: Outcome, reason: str, actor: Actor, now: datetime
) -> Effect:
    closure = Closure(outcome=outcome, reason=reason, actor=actor, at=now)
    details = {"outcome": outcome.value, "reason": reason}
    return Effect(replace(_ended(record, now), closure=closure), details)


def _answered(
    record: ContactRecord, action: act.RecordAnswers, actor: Actor, now: datetime
) -> Effect:
    """The answers given replace earlier ones to the same questions; the details keep both."""
    current = {item.question: item for item in record.answers}
    details: dict[str, str] = {}
    for question, answer in action.given():
        was = current.get(question)
        details[question] = answer.value
        details[f"{question}_was"] = "unknown" if was is None else was.answer.value
        current[question] = QuestionAnswer(question, answer, actor, now)
    ordered = tuple(current[q] for q in ASKED if q in current)
    return Effect(replace(record, answers=ordered), details)


def _yes_no(answer: bool) -> str:
    return "yes" if answer else "no"


def _request_details(record: ContactRecord) -> dict[str, str]:
    request = record.approval_request
    if request is None:
        return {}
    return {"requested_by": request.actor.id, "requested_at": request.at.isoformat()}


def apply_effect(
    record: ContactRecord, action: act.Action, *, actor: Actor, now: datetime, policy: Policy
) -> Effect:
    """The new record and history details for ``action``; :class:`InvalidInput` when the action
    names a grade or agency the policy does not have, or lacks a reason it needs here."""
    match action:
        case act.Answer():
            stamps = replace(record.timestamps, answered=now)
            return Effect(replace(record, timestamps=stamps), {})
        case act.Assess(grade=grade, suggestion=suggestion, reason=reason):
            entry = TriageRecord(_grade(policy, grade), suggestion, reason, actor, now)
            details = {"grade": grade, "reason": reason}
            if suggestion is not None:
                details["suggested_grade"] = suggestion.grade
                details["suggested_route"] = suggestion.route.value
                details["flags"] = ",".join(flag.value for flag in suggestion.vulnerability)
            return Effect(replace(record, triage=(*record.triage, entry)), details)
        case act.LogIncident(grade=grade, reason=reason, reference=reference):
            discretionary = record.procedure is ProcedureName.INAPPROPRIATE
            incident = Incident(_grade(policy, grade), discretionary, reason, actor, now, reference)
            details = {"grade": grade, "discretionary": str(discretionary).lower()}
            if reference is not None:
                details["reference"] = reference
            return Effect(replace(record, incident=incident), details | {"reason": reason})
        case act.Advise(to=to, agency=agency):
            if to is AdviceKind.AGENCY and agency is not None:
                _agency(policy, agency)
            advice = Advice(to, agency, actor, now)
            details = {"to": to.value, "agency": agency or ""}
            return Effect(replace(record, advice=(*record.advice, advice)), details)
        case act.Warn():
            return Effect(replace(record, warning=WarningGiven(actor, now)), {})
        case act.Terminate():
            return _closed(record, Outcome.TERMINATED, "", actor, now)
        case act.RecordConsiderations():
            assessment = Assessment4123(
                action.seriousness,
                action.condition,
                action.age_vulnerability,
                actor,
                now,
                serious=action.serious,
                condition_concern=action.condition_concern,
                vulnerable=action.vulnerable,
            )
            raised = tuple(
                FlagRecord(flag, FlagSource.CONSIDERATIONS, "", actor, now) for flag in action.flags
            )
            details = {
                "seriousness": action.seriousness,
                "condition": action.condition,
                "age_vulnerability": action.age_vulnerability,
                **{name: _yes_no(getattr(action, name)) for name in act.ANSWER_FIELDS},
                "flags": ",".join(flag.value for flag in action.flags),
            }
            new = replace(record, considerations=assessment, flags=(*record.flags, *raised))
            return Effect(new, details)
        case act.FlagVulnerability(flag=flag, note=note):
            source = FlagSource.TRIAGE if actor.role is Role.INTEGRATION else FlagSource.HANDLER
            raised_one = FlagRecord(flag, source, note, actor, now)
            details = {"flag": flag.value, "note": note, "source": source.value}
            return Effect(replace(record, flags=(*record.flags, raised_one)), details)
        case act.RequestApproval(note=note):
            keys = tuple(concern.key for concern in unapproved(record))
            request = ApprovalRequest(keys, note, actor, now)
            details = {"concerns": ",".join(keys), "note": note}
            return Effect(replace(record, approval_request=request), details)
        case act.ApproveTermination(reason=reason):
            keys = tuple(concern.key for concern in unapproved(record))
            flags = record.unresolved_vulnerability
            override = Override(flags, reason, actor, now, concerns=frozenset(keys))
            details = {"concerns": ",".join(keys), "reason": reason}
            details |= _request_details(record)
            new = replace(record, overrides=(*record.overrides, override), approval_request=None)
            return Effect(new, details)
        case act.DeclineTermination(reason=reason):
            keys = tuple(concern.key for concern in unapproved(record))
            decline = Decline(keys, reason, actor, now)
            details = {"concerns": ",".join(keys), "reason": reason} | _request_details(record)
            new = replace(record, declines=(*record.declines, decline), approval_request=None)
            return Effect(new, details)
        case act.Refer(agency=agency):
            referral = Referral(_agency(policy, agency), actor, now)
            return Effect(replace(record, referral=referral), {"agency": agency})
        case act.Transfer(to=to):
            closed = _closed(record, Outcome.TRANSFERRED, "", actor, now)
            transfer = TransferRecord(to, actor, now)
            return Effect(replace(closed.record, transfer=transfer), {"to": to.value})
        case act.HangUp():
            if record.state is State.OFFERED:
                return _closed(record, Outcome.ABANDONED, "", actor, now)
            stamps = replace(record.timestamps, ended=now)
            return Effect(replace(record, timestamps=stamps, resume=record.state), {})
        case act.Reconnect(number=number):
            ended = record.timestamps.ended
            after = "" if ended is None else f"{(now - ended).total_seconds():g}"
            stamps = replace(record.timestamps, ended=None)
            details = {"number": number, "after_seconds": after}
            return Effect(replace(record, timestamps=stamps, resume=None), details)
        case act.Close(reason=reason):
            return _closed(record, _close_outcome(record, reason), reason, actor, now)
        case act.CloseAccidental(reason=reason):
            return _closed(record, Outcome.ACCIDENTAL, reason, actor, now)
        case act.CloseNoResponse(reason=reason):
            return _closed(record, Outcome.NO_RESPONSE, reason, actor, now)
        case act.Prompt():
            return Effect(record, {})
        case act.RecordResponse(response=response, note=note):
            seen = Observation(response, note, actor, now)
            details = {"response": response.value, "note": note}
            return Effect(replace(record, observations=(*record.observations, seen)), details)
        case act.InferEmergency(reason=reason):
            return Effect(replace(record, inference=Note(reason, actor, now)), {"reason": reason})
        case act.AddNote(text=text):
            note_entry = Note(text, actor, now)
            return Effect(replace(record, notes=(*record.notes, note_entry)), {"text": text})
        case act.UpdateNarrative(text=text):
            return Effect(replace(record, narrative=text), {"text": text})
        case act.UpdateCaller(name=name, age_band=age_band):
            caller = replace(
                record.caller,
                name=record.caller.name if name is None else name,
                age_band=record.caller.age_band if age_band is None else age_band,
            )
            age = "" if caller.age_band is None else caller.age_band.value
            details = {"name": caller.name, "age_band": age}
            return Effect(replace(record, caller=caller), details)
        case act.RecordAnswers():
            return _answered(record, action, actor, now)
        case act.AddLocation(evidence=evidence):
            details = {"source": evidence.source, "received_at": evidence.received_at.isoformat()}
            return Effect(replace(record, location=(*record.location, evidence)), details)
        case act.Escalate(source=source, reason=reason):
            escalation = EscalationRecord(source, reason, actor, now)
            details = {"escalate": "immediate", "source": source.value, "reason": reason}
            return Effect(replace(record, escalation=escalation), details)
    raise InvalidInput(f"not an action: {action!r}", field="action")  # pragma: no cover
