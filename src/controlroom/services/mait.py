"""Building a MAIT message from a contact, for one partner agency (docs/mait.md).

:func:`build_mait_message` is the one call: it reads the contact (its incident or id, the
latest triage decision, the handler's grade, the best location, the caller, vulnerability,
narrative and timeline), maps the agency to its MAIT partner and returns a checked
:class:`MaitMessage`; ``adapters.mait.xml_codec.to_xml`` makes the validated document. What a
partner is sent, and what it is not, is listed in docs/mait.md ("What a partner gets").
"""

from __future__ import annotations

from datetime import datetime

from controlroom.domain.contacts import Contact
from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.records import ContactRecord, HistoryEntry
from controlroom.domain.location.best import SOURCES, BestChoice, choose_best
from controlroom.domain.mait import (
    Assessment,
    Caller,
    Closure,
    Header,
    Incident,
    Location,
    MaitDirectory,
    MaitInvalid,
    MaitMessage,
    MessageType,
    Reason,
    TimelineEntry,
    checks,
)
from controlroom.domain.mait.checks import shorten
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Decision
from controlroom.services.contact_evidence import contact_evidence

#: The largest accuracy radius a message carries (a wider fix is sent as this wide).
_MAX_ACCURACY_M = 1_000_000.0
#: What a timeline entry says for each action (others: the action's name in words).
_TIMELINE = {
    ActionKind.OFFER: "Contact received",
    ActionKind.ANSWER: "Answered",
    ActionKind.ASSESS: "Assessed",
    ActionKind.LOG_INCIDENT: "Incident logged",
    ActionKind.FLAG_VULNERABILITY: "Vulnerability flagged",
    ActionKind.ADD_LOCATION: "Location received",
    ActionKind.UPDATE_NARRATIVE: "Account updated",
    ActionKind.UPDATE_CALLER: "Caller details updated",
    ActionKind.RECORD_ANSWERS: "Emergency questions answered",
    ActionKind.HANG_UP: "Caller hung up",
    ActionKind.RECONNECT: "Caller reconnected",
    ActionKind.TRANSFER: "Call transferred",
    ActionKind.REFER: "Referred",
    ActionKind.ESCALATE: "Marked as an emergency",
}
#: The detail of an action a timeline entry names.
_DETAIL = {
    ActionKind.LOG_INCIDENT: "reference",
    ActionKind.FLAG_VULNERABILITY: "flag",
    ActionKind.ASSESS: "grade",
    ActionKind.REFER: "agency",
}
#: Actions that say nothing to a partner (notes are the force's own working).
_UNSHARED = frozenset({ActionKind.ADD_NOTE, ActionKind.PROMPT})


def build_mait_message(
    contact: Contact,
    agency: str,
    *,
    policy: Policy,
    directory: MaitDirectory,
    now: datetime,
    message_id: str,
    message_type: MessageType = MessageType.CREATE,
    relates_to: str | None = None,
    recipient_reference: str | None = None,
    closure_reason: str = "",
    decision: Decision | None = None,
) -> MaitMessage:
    """The MAIT message about ``contact`` for the partner that is policy agency ``agency``.

    ``message_id`` is the new message's id (the caller makes it unique, e.g. a UUID, and keeps
    it: an UPDATE or CLOSE names the CREATE's id in ``relates_to``); ``recipient_reference``
    is the partner's own reference once its acknowledgement gave one. ``decision`` defaults to
    the latest triage decision stored on the contact. :class:`MaitInvalid` (field, hint) when
    the agency is not a MAIT partner or the message would break a rule.
    """
    if not isinstance(contact, Contact):
        raise MaitInvalid("a MAIT message is built from a Contact", field="contact")
    if agency not in policy.agencies:
        raise MaitInvalid(
            f"unknown agency {agency!r}", field="agency", hint="use an id from the policy"
        )
    partner = directory.partner_for(agency)
    record = contact.record
    decision = decision if decision is not None else _latest_decision(record)
    reference = _reference(record)
    header = Header(
        message_id=message_id,
        message_type=message_type,
        sent_at=now,
        sender=directory.sender,
        recipient=partner.organisation,
        relates_to=relates_to,
    )
    best = choose_best(contact_evidence(contact), now) if record.location else None
    incident = Incident(
        reference=reference,
        recipient_reference=recipient_reference,
        service=partner.service,
        classification=_classification(decision, policy, agency),
        created_at=record.incident.at if record.incident is not None else record.timestamps.offered,
        summary=_summary(record, directory.sender.name, reference),
        assessment=_assessment(record, decision, policy),
        location=_location(best),
        caller=_caller(record),
        vulnerabilities=tuple(sorted(flag.value for flag in record.vulnerability)),
        timeline=_timeline(record.history),
        closure=_closure(record, message_type, closure_reason, now),
    )
    return MaitMessage(header=header, incident=incident)


def _latest_decision(record: ContactRecord) -> Decision | None:
    return next((t.suggestion for t in reversed(record.triage) if t.suggestion), None)


def _reference(record: ContactRecord) -> str:
    """The force's incident reference; the contact id while no incident is logged."""
    if record.incident is not None and record.incident.reference:
        return record.incident.reference
    if not checks.REFERENCE.fullmatch(record.id):
        raise MaitInvalid(
            f"contact id {record.id!r} cannot stand as a MAIT reference "
            f"(at most {checks.MAX_REFERENCE} letters, digits, '.', '_', ':', '/', '-')",
            field="contact_id",
            hint="log the incident first: its reference is sent instead",
        )
    return record.id


def _classification(decision: Decision | None, policy: Policy, agency: str) -> str:
    if decision is not None and decision.summary.strip():
        return shorten(decision.summary, checks.MAX_CLASSIFICATION, "…")
    return shorten(f"For {policy.agencies[agency].name}", checks.MAX_CLASSIFICATION, "…")


def _summary(record: ContactRecord, sender: str, reference: str) -> str:
    note = f"[shortened: {sender} holds the full account under {reference}]"
    narrative = shorten(record.narrative, checks.MAX_SUMMARY, note)
    return narrative or f"No account recorded: ask {sender} about {reference}"[: checks.MAX_SUMMARY]


def _one_line(value: str, limit: int) -> str:
    return shorten(" ".join(value.split()), limit, "…")


def _assessment(
    record: ContactRecord, decision: Decision | None, policy: Policy
) -> Assessment | None:
    """The grade the force gave (incident, else the handler's, else triage's) and why."""
    grade = None
    if record.incident is not None:
        grade = record.incident.grade
    elif record.triage:
        grade = record.triage[-1].grade
    elif decision is not None:
        grade = decision.grade
    if not grade:
        return None
    known = policy.grades.get(grade)
    reasons: dict[tuple[str, str], Reason] = {}
    for reason in () if decision is None else decision.reasons:
        if reason.paragraph.strip() and reason.explanation.strip():
            read = Reason(
                _one_line(reason.paragraph, checks.MAX_PARAGRAPH), _line(reason.explanation)
            )
            reasons.setdefault((read.paragraph, read.text), read)
    return Assessment(
        grade=_one_line(grade, checks.MAX_GRADE),
        grade_name=_one_line(known.name if known else grade, checks.MAX_NAME),
        summary="" if decision is None else shorten(decision.summary, checks.MAX_LINE, "…"),
        reasons=tuple(reasons.values())[: checks.MAX_REASONS],
    )


def _line(value: str) -> str:
    return shorten(value, checks.MAX_LINE, "…")


def _location(best: BestChoice | None) -> Location | None:
    """The best current fix, its accuracy, where it came from and the address it gives."""
    if best is None or best.fix is None:
        return None
    fix = best.fix
    source = SOURCES.get(fix.source, (None, fix.source.value))[1] or fix.source.value
    if best.stale:
        source = f"{source} (older than the freshness limit)"
    extra = dict(fix.extra) if fix.extra else {}
    uprn = extra.get("uprn")
    return Location(
        latitude=fix.lat,
        longitude=fix.lon,
        accuracy_m=None if fix.accuracy_m is None else min(fix.accuracy_m, _MAX_ACCURACY_M),
        source=_one_line(source, checks.MAX_SOURCE),
        address=_line(extra.get("address", "")),
        uprn=uprn if uprn and checks.UPRN.fullmatch(uprn) else None,
        positioned_at=fix.positioned_at,
    )


def _caller(record: ContactRecord) -> Caller | None:
    """Name, the number to call back on, and age band: nothing of the handset or network."""
    caller = record.caller
    if not caller.name.strip() and caller.number is None and caller.age_band is None:
        return None
    return Caller(
        name=_one_line(caller.name, checks.MAX_NAME),
        telephone=caller.number,
        age_band="" if caller.age_band is None else caller.age_band.value,
    )


def _timeline(history: tuple[HistoryEntry, ...]) -> tuple[TimelineEntry, ...]:
    """What happened, in words, the latest :data:`checks.MAX_TIMELINE` entries."""
    entries = []
    for entry in history:
        if entry.action in _UNSHARED:
            continue
        text = _TIMELINE.get(entry.action) or entry.action.value.replace("_", " ").capitalize()
        detail = entry.details.get(_DETAIL.get(entry.action, ""), "")
        if detail:
            text = f"{text}: {detail.replace('_', ' ')}"
        entries.append(TimelineEntry(entry.at, _line(text)))
    return tuple(entries[-checks.MAX_TIMELINE :])


def _closure(
    record: ContactRecord, message_type: MessageType, reason: str, now: datetime
) -> Closure | None:
    if message_type is not MessageType.CLOSE:
        return None
    if not reason.strip() and record.closure is not None:
        outcome = record.closure.outcome.value.replace("_", " ")
        reason = f"{outcome}: {record.closure.reason}" if record.closure.reason else outcome
    if not reason.strip():
        raise MaitInvalid(
            "a CLOSE message must say why the incident is closed",
            field="closure_reason",
            hint="give the reason (the contact is not closed yet)",
        )
    at = record.closure.at if record.closure is not None else now
    return Closure(at, _line(reason))
