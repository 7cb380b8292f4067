"""The nuisance-call documents as HTML, from per-force Jinja2 templates (autoescaped).

:func:`build_document_data` gathers what a document needs from the case, the caller history,
the ladder and the policy, and checks that the document may be produced (a step that needs a
supervisor's approval has it; a disconnection request is never made for a caller flagged as
vulnerable without an override). :func:`render_html` renders it with the force's templates:
``templates/<set>/<document>.html.j2``, falling back file by file to ``templates/default``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jinja2

from controlroom.domain.contacts.values import Actor, require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.case import CaseRecord
from controlroom.domain.nuisance.config import DocumentKind, Ladder, LadderStep, paragraph_for
from controlroom.domain.nuisance.history import CallerHistory, CallSummary
from controlroom.domain.nuisance.ladder import NuisanceCase, provider_note
from controlroom.domain.nuisance.rules import NuisanceFlag
from controlroom.domain.nuisance.table import safeguard, violation
from controlroom.domain.policy import Policy

TEMPLATE_ROOT = Path(__file__).parent / "templates"
DEFAULT_SET = "default"

RECIPIENTS = {
    DocumentKind.WARNING_LETTER: "The account holder",
    DocumentKind.PECS_REQUEST: "The communications provider",
    DocumentKind.SAFEGUARDING_REFERRAL: "The safeguarding team",
    DocumentKind.PROSECUTION_SUMMARY: "The reviewing officer",
}


def template_sets() -> set[str]:
    """The names of the shipped template sets (``default`` and one per force that has one)."""
    return {path.name for path in TEMPLATE_ROOT.iterdir() if path.is_dir()}


@dataclass(frozen=True)
class ParagraphText:
    """A paragraph of the force's policy, quoted."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class ForceDetails:
    """Who the document comes from, and the paragraphs it cites."""

    id: str
    name: str
    policy_reference: str
    policy_title: str
    nuisance: ParagraphText
    offence: ParagraphText


@dataclass(frozen=True)
class CallRow:
    """One row of the call log, in the force's local time."""

    contact_id: str
    date: str
    time: str
    duration: str
    outcome: str
    channel: str
    notes: str


@dataclass(frozen=True)
class StepRow:
    """A step of the ladder already taken."""

    step: str
    name: str
    date: str
    recorded_by: str
    approved_by: str
    note: str


@dataclass(frozen=True)
class FlagRow:
    """A nuisance flag as the document shows it."""

    kind: str
    confidence: str
    evidence: tuple[str, ...]
    advice: str
    conflict: str


@dataclass(frozen=True)
class DocumentData:
    """Everything a document template reads. Every value is plain text, escaped on output."""

    kind: DocumentKind
    title: str
    reference: str
    generated: str
    timezone: str
    force: ForceDetails
    case_id: str
    number: str
    imei: str
    other_identifiers: tuple[str, ...]
    caller_name: str
    recipient: str
    step_name: str
    step_description: str
    approved_by: str
    approved_at: str
    prepared_by: str
    steps: tuple[StepRow, ...]
    calls: tuple[CallRow, ...]
    call_period: str
    first_call: str
    last_call: str
    not_emergency: int  # calls in the log that were not genuine emergencies
    history_summary: str
    flags: tuple[FlagRow, ...]
    vulnerable: bool
    safeguard: str
    notes: tuple[str, ...]
    override: str = ""  # the supervisor's override this document rests on, if any


def _when(at: datetime, history: CallerHistory) -> str:
    return f"{history.local(at):%d %b %Y %H:%M}"


def duration_text(duration: timedelta | None) -> str:
    """A call's length as "8 s", "1 min 05 s" or "1 h 02 min"; "in progress" when open."""
    if duration is None:
        return "in progress"
    seconds = round(duration.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _notes(call: CallSummary, number: str, reference: str | None = None) -> str:
    notes = []
    if call.number is None:
        notes.append("number withheld")
    elif call.number != number:
        notes.append(f"from {call.number}")
    for flag, text in (
        (call.silent, "silent"),
        (call.speech, "speech"),
        (call.dtmf_55, "55 pressed"),
        (call.warned and not call.terminated, "warned"),
        (call.terminated, "terminated after warning"),
        (call.hoax, "marked hoax"),
        (call.abusive, "marked abusive"),
        (call.incident, f"incident {reference} logged" if reference else "incident logged"),
    ):
        if flag:
            notes.append(text)
    if call.vulnerability:
        names = ", ".join(sorted(f.value.replace("_", " ") for f in call.vulnerability))
        notes.append(f"vulnerability: {names}")
    return "; ".join(notes)


def call_rows(
    history: CallerHistory, number: str = "", references: Mapping[str, str] | None = None
) -> tuple[CallRow, ...]:
    """The call log: every call in ``history``, oldest first, in the force's local time, with
    the incident reference (``references``: by contact id) of a call that logged one."""
    references = references or {}
    return tuple(
        CallRow(
            contact_id=call.contact_id,
            date=f"{history.local(call.offered_at):%Y-%m-%d}",
            time=f"{history.local(call.offered_at):%H:%M:%S}",
            duration=duration_text(call.duration),
            outcome=call.outcome.label,
            channel=call.channel.value,
            notes=_notes(call, number, references.get(call.contact_id)),
        )
        for call in history.calls
    )


def _paragraph(policy: Policy, key: str) -> ParagraphText:
    pid = paragraph_for(policy, key)
    if pid is None or pid not in policy.paragraphs:
        return ParagraphText(key, "", "")
    found = policy.paragraphs[pid]
    return ParagraphText(found.id, found.title, found.text)


def _approval(
    record: CaseRecord, steps: Sequence[LadderStep]
) -> tuple[LadderStep | None, str, datetime | None]:
    """The step a document belongs to, its approving supervisor and when, if approved."""
    ids = {step.id: step for step in steps}
    pending = record.pending
    if pending is not None and pending.step in ids and pending.approved_by is not None:
        return ids[pending.step], pending.approved_by.id, pending.approved_at
    for taken in reversed(record.steps):
        if taken.step in ids:
            who = taken.approved_by.id if taken.approved_by else ""
            return ids[taken.step], who, taken.approved_at
    return (steps[0] if steps else None), "", None


def _safeguard_text(record: CaseRecord, history: CallerHistory) -> str:
    if record.vulnerable_at is None:
        return "No vulnerable-person flag has been recorded on this case."
    flagged = _when(record.vulnerable_at, history)
    after = [o for o in record.overrides if o.at >= record.vulnerable_at]
    if not after:
        return (
            f"The caller was flagged as possibly vulnerable on {flagged}. No request to "
            "disconnect the line will be made unless a supervisor records an explicit "
            "override with a reason."
        )
    last = after[-1]
    return (
        f"The caller was flagged as possibly vulnerable on {flagged}. Supervisor "
        f"{last.actor.id} recorded an explicit override on {_when(last.at, history)}, with "
        f"this reason: {last.reason}"
    )


def _override_text(
    record: CaseRecord, step: LadderStep | None, ladder: Ladder, history: CallerHistory
) -> str:
    """The supervisor's override a letter or request rests on, in words; ``""`` when none."""
    if step is None or not (step.disconnects or ladder.rules.guards(step)):
        return ""
    flagged = [
        (name, at)
        for name, at in (
            ("vulnerable person", record.vulnerable_at),
            ("faulty device", record.faulty_at),
        )
        if at is not None and record.overridden_since(at)
    ]
    last = record.last_override()
    if not flagged or last is None:
        return ""
    names = " and ".join(name for name, _ in flagged)
    return (
        f"The number is flagged as {names}. Supervisor {last.actor.id} recorded an override "
        f"of the safeguard on {_when(last.at, history)}, with this reason: {last.reason}"
    )


def build_document_data(
    kind: DocumentKind,
    case: NuisanceCase | CaseRecord,
    history: CallerHistory,
    policy: Policy,
    ladder: Ladder,
    *,
    generated_at: datetime,
    reference: str,
    prepared_by: Actor,
    flags: Sequence[NuisanceFlag] = (),
    caller_name: str = "",
    recipient: str = "",
    incident_references: Mapping[str, str] | None = None,
) -> DocumentData:
    """The data for one document. Refuses a document whose step still needs approval, and a
    disconnection request for a caller flagged as vulnerable without an override.
    ``incident_references`` (by contact id) are printed in the call log."""
    record = case.record if isinstance(case, NuisanceCase) else case
    generated_at = require_utc(generated_at, "generated_at")
    if not reference.strip():
        raise InvalidInput("a document needs a reference", field="reference")
    step, approver, approved_at = _approval(record, ladder.with_document(kind))
    if step is not None and step.needs_approval and not approver:
        raise InvalidInput(
            f"a {kind.value} is produced only once {step.name} is approved by a supervisor",
            field="document",
            hint=f"propose {step.id} and have a supervisor approve it",
        )
    if step is not None:
        refusal = safeguard(record, step, ladder)
        if refusal is not None:
            raise violation(policy, refusal)
    number = record.number or ""
    current = {number, record.imei or ""}
    others = tuple(
        str(linked.identifier)
        for linked in record.identifiers
        if linked.identifier.value not in current
    )
    calls = history.calls
    period = (
        f"{_when(calls[0].offered_at, history)} to {_when(calls[-1].offered_at, history)}"
        if calls
        else "no calls recorded"
    )
    notes = [f"Times are local time ({history.tz})."]
    if step is not None and step.disconnects:
        note = provider_note(record)
        if note:
            notes.append(note)
    force = policy.force
    names = {s.id: s.name for s in ladder.steps}
    letter_to = caller_name if kind is DocumentKind.WARNING_LETTER else ""
    return DocumentData(
        kind=kind,
        title=kind.heading,
        reference=reference,
        generated=f"{history.local(generated_at):%d %B %Y %H:%M}",
        timezone=history.tz,
        force=ForceDetails(
            id=force.id,
            name=force.name,
            policy_reference=force.policy_reference,
            policy_title=force.policy_title,
            nuisance=_paragraph(policy, "nuisance"),
            offence=_paragraph(policy, "misuse.offence"),
        ),
        case_id=record.id,
        number=number,
        imei=record.imei or "",
        other_identifiers=others,
        caller_name=caller_name,
        recipient=recipient or letter_to or RECIPIENTS[kind],
        step_name=step.name if step else "",
        step_description=step.description if step else "",
        approved_by=approver,
        approved_at=_when(approved_at, history) if approved_at else "",
        prepared_by=prepared_by.id,
        steps=tuple(
            StepRow(
                step=taken.step,
                name=names.get(taken.step, taken.step),
                date=_when(taken.at, history),
                recorded_by=taken.recorded_by.id,
                approved_by=taken.approved_by.id if taken.approved_by else "not needed",
                note=taken.note,
            )
            for taken in record.steps
        ),
        calls=call_rows(history, number, incident_references),
        call_period=period,
        first_call=_when(calls[0].offered_at, history) if calls else "",
        last_call=_when(calls[-1].offered_at, history) if calls else "",
        not_emergency=sum(1 for call in calls if not call.genuine_emergency),
        history_summary=history.summary,
        flags=tuple(
            FlagRow(
                kind=flag.kind.value.replace("_", " "),
                confidence=flag.confidence.value,
                evidence=flag.evidence,
                advice=flag.advice,
                conflict=flag.conflict,
            )
            for flag in flags
        ),
        vulnerable=record.vulnerable_at is not None,
        safeguard=_safeguard_text(record, history),
        notes=tuple(notes),
        override=_override_text(record, step, ladder, history),
    )


@lru_cache(maxsize=32)
def _environment(templates: str | None) -> jinja2.Environment:
    search = [str(TEMPLATE_ROOT / DEFAULT_SET)]
    if templates is not None:
        directory = Path(templates)
        if not directory.is_dir():
            raise InvalidInput(f"template directory {templates} not found", field="templates")
        search.insert(0, str(directory))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(data: DocumentData, templates: str | Path | None = None) -> str:
    """The document as a complete HTML page, from the force's templates (``None``: default)."""
    environment = _environment(None if templates is None else str(templates))
    template = environment.get_template(f"{data.kind.value}.html.j2")
    return template.render(doc=data)
