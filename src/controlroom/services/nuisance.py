"""Nuisance cases up the force's escalation ladder, and their documents (docs/nuisance.md).

Every use case checks access first. A change is one unit of work: the case saved, one audit row
per case event (``nuisance:case:*``, ``nuisance:document:generate``), the events published
after the commit. Before a case moves, detection runs on the caller's history and records any
new flag as an assessment by ``detection``, so a vulnerable-person flag that arrives between a
proposal and its approval blocks a disconnection again. The force's :class:`NuisanceConfig`
and the :class:`DocumentRenderer` are passed in by the caller (the web layer, from bootstrap).
Caller history is in ``nuisance_history``; the supervisor views in ``nuisance_views``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.contacts.values import require_text, require_utc
from controlroom.domain.errors import Conflict, InvalidInput, NotFound
from controlroom.domain.nuisance import (
    Assess,
    CaseAction,
    CaseEvent,
    CaseRecord,
    CaseState,
    Confidence,
    DocumentKind,
    GenerateDocument,
    Identifier,
    LadderStep,
    LinkIdentifier,
    NuisanceCase,
    NuisanceConfig,
    NuisanceKind,
    StepOption,
)
from controlroom.domain.nuisance.case import CaseCommand
from controlroom.domain.nuisance.config import CONFIDENCE_ORDER
from controlroom.domain.policy import Policy
from controlroom.services.contacts import UowFactory
from controlroom.services.nuisance_history import (
    CallerLookup,
    caller_history,
    contact_history,
    do_mark_call,
    flags_for,
    history_window,
    lookup,
    parse_identifier,
)
from controlroom.services.ports import DocumentRenderer, UnitOfWork

__all__ = [
    "DETECTION",
    "FORMATS",
    "CallerLookup",
    "CaseView",
    "GeneratedDocument",
    "caller_history",
    "contact_history",
    "do_case_action",
    "do_generate_document",
    "do_mark_call",
    "do_open_case",
    "flags_for",
    "get_case",
    "lookup",
    "parse_identifier",
]

#: Who records what detection found on a case.
DETECTION = Actor("detection", Role.INTEGRATION)
#: Actions only a supervisor may take (the domain checks the role again).
SUPERVISOR_ACTIONS = frozenset(
    {CaseAction.APPROVE, CaseAction.REJECT, CaseAction.OVERRIDE_VULNERABILITY}
)
FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
_SHORT = {
    DocumentKind.WARNING_LETTER: "WL",
    DocumentKind.PECS_REQUEST: "PECS",
    DocumentKind.SAFEGUARDING_REFERRAL: "SR",
    DocumentKind.PROSECUTION_SUMMARY: "PS",
}


@dataclass(frozen=True)
class CaseView:
    """A case as one reader sees it: the case, the caller's history and flags, what they
    may do now, the ladder steps open to it, and every rung as a control shows it (with the
    reason it would be refused now)."""

    case: CaseRecord
    lookup: CallerLookup
    allowed: tuple[CaseAction, ...]
    next_steps: tuple[LadderStep, ...]
    config: NuisanceConfig
    options: tuple[StepOption, ...] = ()


@dataclass(frozen=True)
class GeneratedDocument:
    """A document produced for a case: its bytes, media type, file name and reference."""

    content: bytes
    media_type: str
    filename: str
    reference: str


def new_case_id(now: datetime) -> str:
    """A new case id: ``N-<yyyymmdd>-<10 hex digits>``."""
    return f"N-{now:%Y%m%d}-{secrets.token_hex(5)}"


def _existing(uow: UnitOfWork, case_id: str) -> NuisanceCase:
    case = uow.nuisance_cases.get_for_update(case_id)
    if case is None:
        raise NotFound(f"no nuisance case {case_id!r}", field="case_id")
    return case


def _case_lookup(
    uow: UnitOfWork, record: CaseRecord, now: datetime, config: NuisanceConfig, *, full: bool
) -> CallerLookup:
    """The case's history: detection's window, or (``full``) from that long before the case
    was opened, for documents."""
    identifiers = [linked.identifier for linked in record.identifiers]
    window = history_window(config.rules)
    since = min(record.opened_at, now) - window if full else now - window
    return lookup(uow, identifiers, now, config, since=since)


def _assess(
    case: NuisanceCase, found: CallerLookup, now: datetime, policy: Policy, config: NuisanceConfig
) -> list[CaseEvent]:
    """Record flags the case does not hold yet; a vulnerable-person flag again when a call
    marked vulnerable came after the last one recorded (so it blocks disconnection anew)."""
    record = case.record
    if record.state is CaseState.CLOSED or not found.flags:
        return []
    offered = {call.contact_id: call.offered_at for call in found.history.calls}
    chosen = []
    for flag in found.flags:
        if flag.kind is NuisanceKind.VULNERABLE_PERSON:
            times = [offered[cid] for cid in flag.contact_ids if cid in offered]
            latest = max(times, default=None)
            vulnerable_at = record.vulnerable_at
            if vulnerable_at is None or (latest is not None and latest > vulnerable_at):
                chosen.append(flag)
        elif flag.kind not in record.kinds or _surer(flag.kind, flag.confidence, record):
            chosen.append(flag)
    if not chosen:
        return []
    assessment = Assess.from_flags(chosen, found.history.calls)
    return case.apply(assessment, actor=DETECTION, now=now, policy=policy, ladder=config.ladder)


def _surer(kind: NuisanceKind, confidence: Confidence, record: CaseRecord) -> bool:
    """True when a faulty-device flag is surer than the one recorded (so it may block now), or
    the case was stored before flags kept their time."""
    if kind is not NuisanceKind.FAULTY_DEVICE:
        return False
    if record.faulty_at is None:
        return True
    if record.faulty_confidence is None:
        return False  # not known already counts as the strongest
    rank = CONFIDENCE_ORDER.index
    return rank(confidence) > rank(record.faulty_confidence)


def _record(uow: UnitOfWork, events: Sequence[CaseEvent], document_format: str = "") -> None:
    for event in events:
        details = event.audit_details()
        if document_format and event.action is CaseAction.GENERATE_DOCUMENT:
            details["format"] = document_format
        uow.audit.append(event.actor, event.tag, event.subject, details, event.at)
    uow.collect(events)


def _view(
    principal: Principal,
    case: NuisanceCase,
    found: CallerLookup,
    policy: Policy,
    config: NuisanceConfig,
    now: datetime,
) -> CaseView:
    ladder, calls = config.ladder, found.history.calls
    allowed = case.allowed_actions(policy, ladder, actor=principal.actor)
    steps = case.next_steps(ladder, now=now, calls=calls)
    options = case.step_options(ladder, actor=principal.actor, now=now, calls=calls)
    return CaseView(case.record, found, tuple(allowed), tuple(steps), config, tuple(options))


def _unclaimed(uow: UnitOfWork, identifiers: Iterable[Identifier], case_id: str = "") -> None:
    for identifier in identifiers:
        other = uow.nuisance_cases.by_identifier(identifier)
        if other is not None and other.id != case_id:
            raise Conflict(
                f"{identifier} is already under nuisance case {other.id} ({other.state.value})",
                field="identifier",
                hint=f"use case {other.id}"
                + (" (reopen it first)" if other.state is CaseState.CLOSED else ""),
            )


def do_open_case(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    number: str | None,
    imei: str | None,
    reason: str,
    now: datetime,
    policy: Policy,
    config: NuisanceConfig,
) -> CaseView:
    """Open a case for a number, an IMEI or both, with detection's flags recorded at once.
    A withheld number alone is refused (open it by IMEI); a number already under a case is a
    :class:`Conflict` naming that case."""
    access_check(principal, Permission.CONTACT_ACT)
    now = require_utc(now)
    case, events = NuisanceCase.open(
        case_id=new_case_id(now),
        actor=principal.actor,
        now=now,
        policy=policy,
        reason=reason,
        number=number,
        imei=imei,
    )
    with uow_factory() as uow:
        _unclaimed(uow, (linked.identifier for linked in case.record.identifiers))
        found = _case_lookup(uow, case.record, now, config, full=False)
        events += _assess(case, found, now, policy, config)
        uow.nuisance_cases.add(case)
        _record(uow, events)
        view = _view(principal, case, found, policy, config, now)
        uow.commit()
    return view


def get_case(
    uow_factory: UowFactory,
    principal: Principal,
    case_id: str,
    now: datetime,
    policy: Policy,
    config: NuisanceConfig,
) -> CaseView:
    """One case with its caller history, current flags and what the reader may do now."""
    access_check(principal, Permission.CONTACT_READ)
    now = require_utc(now)
    with uow_factory(read_only=True) as uow:
        case = uow.nuisance_cases.get(case_id)
        if case is None:
            raise NotFound(f"no nuisance case {case_id!r}", field="case_id")
        found = _case_lookup(uow, case.record, now, config, full=True)
    return _view(principal, case, found, policy, config, now)


def do_case_action(
    uow_factory: UowFactory,
    principal: Principal,
    case_id: str,
    command: CaseCommand,
    now: datetime,
    policy: Policy,
    config: NuisanceConfig,
) -> CaseView:
    """Apply ``command`` to the case; the case as it is afterwards. Approvals, rejections and
    safeguard overrides need ``contact:supervise``. A move the ladder refuses (such as
    disconnecting a caller flagged as vulnerable without an override) is a
    :class:`PolicyViolation` naming the paragraph; nothing is changed."""
    access_check(principal, Permission.CONTACT_ACT)
    if command.kind in SUPERVISOR_ACTIONS:
        access_check(principal, Permission.CONTACT_SUPERVISE)
    if isinstance(command, GenerateDocument):
        raise InvalidInput("documents are produced by their download", field="action")
    now = require_utc(now)
    with uow_factory() as uow:
        case = _existing(uow, case_id)
        if isinstance(command, LinkIdentifier):
            _unclaimed(uow, [command.identifier], case.id)
        found = _case_lookup(uow, case.record, now, config, full=False)
        events = _assess(case, found, now, policy, config)
        events += case.apply(
            command,
            actor=principal.actor,
            now=now,
            policy=policy,
            ladder=config.ladder,
            calls=found.history.calls,
        )
        uow.nuisance_cases.save(case)
        _record(uow, events)
        if isinstance(command, LinkIdentifier):
            found = _case_lookup(uow, case.record, now, config, full=False)
        view = _view(principal, case, found, policy, config, now)
        uow.commit()
    return view


def do_generate_document(
    uow_factory: UowFactory,
    principal: Principal,
    case_id: str,
    kind: DocumentKind,
    fmt: str,
    *,
    now: datetime,
    policy: Policy,
    config: NuisanceConfig,
    renderer: DocumentRenderer,
    caller_name: str = "",
) -> GeneratedDocument:
    """Produce a document for the case as HTML or PDF, audited as
    ``nuisance:document:generate``. Refused while its step waits for approval, and for a
    disconnection request the vulnerable-person safeguard blocks."""
    access_check(principal, Permission.CONTACT_ACT)
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}", field="format", hint="use html or pdf")
    require_text(caller_name, "caller_name", required=False)
    now = require_utc(now)
    with uow_factory() as uow:
        case = _existing(uow, case_id)
        found = _case_lookup(uow, case.record, now, config, full=True)
        events = _assess(case, found, now, policy, config)
        issued = sum(1 for document in case.record.documents if document.document is kind)
        reference = f"{case.id}-{_SHORT[kind]}-{issued + 1}"
        command = GenerateDocument(kind, reference)
        events += case.apply(
            command,
            actor=principal.actor,
            now=now,
            policy=policy,
            ladder=config.ladder,
            calls=found.history.calls,
        )
        content = renderer.render(
            kind,
            fmt,
            case.record,
            found.history,
            policy=policy,
            ladder=config.ladder,
            generated_at=now,
            reference=reference,
            prepared_by=principal.actor,
            flags=found.flags,
            caller_name=caller_name,
            incident_references=uow.references.for_contacts(
                [call.contact_id for call in found.history.calls if call.incident]
            ),
        )
        uow.nuisance_cases.save(case)
        _record(uow, events, document_format=fmt)
        uow.commit()
    return GeneratedDocument(content, FORMATS[fmt], f"{reference}.{fmt}", reference)
