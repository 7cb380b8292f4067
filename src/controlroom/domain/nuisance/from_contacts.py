"""A stored contact as a :class:`CallSummary`: what caller history needs from a ContactRecord.

Fields read: ``id``, ``channel``, ``caller.number``, ``timestamps`` (offered, answered,
ended), ``procedure``, ``state``, ``closure.outcome``, ``warning``, ``incident``, ``transfer``,
``observations`` (speech heard on a silent call), ``narrative``, ``triage`` (the latest
suggestion's route), ``advice``, ``referral`` and ``vulnerability``. The handset's IMEI comes
from location evidence (AML), and the abusive and hoax markers from the handler: the caller
passes them.
"""

from __future__ import annotations

import re

from controlroom.domain.contacts.kinds import SilentResponse
from controlroom.domain.contacts.records import ContactRecord, Outcome
from controlroom.domain.contacts.states import ProcedureName, State
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.history import CallSummary, OutcomeKind
from controlroom.domain.policy import Route
from controlroom.domain.triage.decision import Channel

_DIRECT = {
    Outcome.ACCIDENTAL: OutcomeKind.ACCIDENTAL,
    Outcome.NO_RESPONSE: OutcomeKind.SILENT,
    Outcome.ABANDONED: OutcomeKind.ABANDONED,
    Outcome.TERMINATED: OutcomeKind.INAPPROPRIATE_TERMINATED,
    Outcome.ADVISED: OutcomeKind.NON_EMERGENCY,
    Outcome.REFERRED: OutcomeKind.NON_EMERGENCY,
}


_IMEI = re.compile(r"[0-9]{14,16}")


def imei_of(record: ContactRecord) -> str | None:
    """The handset's IMEI from the contact's location evidence (the latest giving one)."""
    for evidence in reversed(record.location):
        value = evidence.payload.get("imei")
        if value is not None and _IMEI.fullmatch(value):
            return value
    return None


def _spoke(record: ContactRecord) -> bool:
    heard = any(o.response is SilentResponse.SPEECH for o in record.observations)
    handled = bool(record.triage or record.advice or record.referral or record.warning)
    return heard or handled or bool(record.narrative.strip()) or record.incident is not None


def _outcome(record: ContactRecord, silent: bool) -> OutcomeKind:
    closure = record.closure
    if closure is None:
        if record.state is State.ABANDONED:
            return OutcomeKind.ABANDONED
        if record.state is State.TERMINATED:
            return OutcomeKind.INAPPROPRIATE_TERMINATED
        return OutcomeKind.IN_PROGRESS
    outcome = closure.outcome
    if outcome in _DIRECT:
        return _DIRECT[outcome]
    if record.procedure is ProcedureName.INAPPROPRIATE and record.incident is None:
        if record.warning is not None:
            return OutcomeKind.INAPPROPRIATE_WARNED
        return OutcomeKind.INAPPROPRIATE_ADVISED
    if outcome is Outcome.INCIDENT_LOGGED or record.incident is not None:
        discretionary = record.incident is not None and record.incident.discretionary
        return OutcomeKind.NON_EMERGENCY if discretionary else OutcomeKind.EMERGENCY
    if outcome is Outcome.TRANSFERRED:
        emergency = record.channel.is_emergency_line
        return OutcomeKind.EMERGENCY if emergency else OutcomeKind.NON_EMERGENCY
    if outcome is Outcome.ADVICE_ACCEPTED:
        return OutcomeKind.INAPPROPRIATE_ADVISED
    return OutcomeKind.SILENT if silent else OutcomeKind.CALLER_HUNG_UP


def call_summary(
    record: ContactRecord, *, imei: str | None = None, abusive: bool = False, hoax: bool = False
) -> CallSummary:
    """The summary of one stored contact for caller history and nuisance detection."""
    if not isinstance(record, ContactRecord):
        raise InvalidInput("a call summary is built from a ContactRecord", field="record")
    speech = _spoke(record)
    answered = record.timestamps.answered is not None
    silent_procedure = record.procedure is ProcedureName.SILENT
    no_response = record.closure is not None and record.closure.outcome is Outcome.NO_RESPONSE
    silent = not speech and answered and (silent_procedure or no_response)
    route: Route | None = None
    for assessment in reversed(record.triage):
        if assessment.suggestion is not None:
            route = assessment.suggestion.route
            break
    return CallSummary(
        contact_id=record.id,
        offered_at=record.timestamps.offered,
        outcome=_outcome(record, silent),
        number=record.caller.number,
        imei=imei,
        channel=record.channel,
        answered_at=record.timestamps.answered,
        ended_at=record.timestamps.ended,
        silent=silent,
        speech=speech,
        dtmf_55=record.channel is Channel.SILENT_SOLUTION_55,
        warned=record.warning is not None,
        terminated=record.state is State.TERMINATED,
        vulnerability=record.vulnerability,
        route=route,
        incident=record.incident is not None,
        abusive=abusive,
        hoax=hoax,
    )
