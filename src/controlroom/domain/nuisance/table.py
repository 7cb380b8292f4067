"""The escalation ladder's transition table, who may do what, and the guards on each move.

:data:`MOVES` maps ``(state, action)`` to the next state; a pair missing is refused. Guards
then check what the table cannot: the step's place on the ladder, approval by a supervisor who
did not propose it, and the safeguard for callers flagged as vulnerable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from controlroom.domain.contacts.values import Actor, Role
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.nuisance.case import (
    CaseAction,
    CaseCommand,
    CaseRecord,
    CaseState,
    GenerateDocument,
    LinkIdentifier,
    Propose,
    Record,
)
from controlroom.domain.nuisance.config import DocumentKind, Ladder, LadderStep, cite
from controlroom.domain.nuisance.history import CallSummary
from controlroom.domain.nuisance.identifiers import Identifier
from controlroom.domain.nuisance.refusal import Refusal
from controlroom.domain.nuisance.rungs import blocking_flags, evidence_refusal, flag_refusal
from controlroom.domain.policy import Policy

S, A = CaseState, CaseAction
_LIVE = (S.OPEN, S.PROPOSED, S.APPROVED)
CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

#: The transition table: (state, action) -> the next state. A pair missing is refused.
MOVES: Mapping[tuple[CaseState, CaseAction], CaseState] = MappingProxyType(
    {
        **{(s, A.ASSESS): s for s in _LIVE},
        **{(s, A.OVERRIDE_VULNERABILITY): s for s in _LIVE},
        **{(s, A.CLOSE): S.CLOSED for s in _LIVE},
        **{(s, A.LINK_IDENTIFIER): s for s in CaseState},
        **{(s, A.GENERATE_DOCUMENT): s for s in CaseState},
        (S.OPEN, A.PROPOSE): S.PROPOSED,
        (S.OPEN, A.RECORD): S.OPEN,
        (S.PROPOSED, A.APPROVE): S.APPROVED,
        (S.PROPOSED, A.REJECT): S.OPEN,
        (S.APPROVED, A.REJECT): S.OPEN,
        (S.APPROVED, A.RECORD): S.OPEN,
        (S.CLOSED, A.REOPEN): S.OPEN,
    }
)

_HANDLERS = frozenset({Role.CALL_HANDLER, Role.SUPERVISOR})
_SUPERVISOR = frozenset({Role.SUPERVISOR})
#: Who may apply each action. Only a supervisor approves, rejects or overrides the safeguard.
ROLES: Mapping[CaseAction, frozenset[Role]] = MappingProxyType(
    {
        **dict.fromkeys(CaseAction, _HANDLERS),
        A.ASSESS: _HANDLERS | {Role.INTEGRATION},
        A.APPROVE: _SUPERVISOR,
        A.REJECT: _SUPERVISOR,
        A.OVERRIDE_VULNERABILITY: _SUPERVISOR,
    }
)


@dataclass(frozen=True)
class Ctx:
    """What a guard sees: the case, the ladder and, when known, the actor, the command, the
    time and the caller's calls (the new evidence a rung needs)."""

    record: CaseRecord
    ladder: Ladder
    actor: Actor | None
    command: CaseCommand | None
    now: datetime | None = None
    calls: tuple[CallSummary, ...] = ()


Guard = Callable[[Ctx], Refusal | None]


def taken_top(record: CaseRecord, ladder: Ladder) -> int:
    """The position of the highest step taken on this case; -1 when none has been."""
    known = {step.id: i for i, step in enumerate(ladder.steps)}
    return max((known[s.step] for s in record.steps if s.step in known), default=-1)


def _out_of_order(record: CaseRecord, ladder: Ladder, step: LadderStep) -> Refusal | None:
    index, top = ladder.index(step.id), taken_top(record, ladder)
    if index <= top + 1:
        return None
    missing = ladder.steps[top + 1]
    return Refusal(
        step.paragraph,
        f"{step.name} comes after {missing.name}, which has not been taken for this case",
        f"take the steps in order; next: {missing.id}",
    )


def safeguard(record: CaseRecord, step: LadderStep, ladder: Ladder) -> Refusal | None:
    """THE safeguard: no disconnection of a flagged-vulnerable caller without an override;
    and no letter or request for a number the force's rules say is flagged (faulty device,
    vulnerable person) without one."""
    if step.disconnects and record.vulnerability_unresolved:
        return Refusal(
            "nuisance",
            f"{step.name} would disconnect a caller flagged as a vulnerable person; "
            "that is refused unless a supervisor records an explicit override with a reason",
            "make a safeguarding referral; a supervisor may override_vulnerability with a reason",
        )
    return flag_refusal(record, ladder, step)


def _rung(ctx: Ctx, step: LadderStep) -> Refusal | None:
    """The safeguard, then the new evidence the rung needs (when the time is known)."""
    refusal = safeguard(ctx.record, step, ctx.ladder)
    if refusal is None and ctx.now is not None:
        refusal = evidence_refusal(ctx.record, ctx.ladder, step, ctx.now, ctx.calls)
    return refusal


def _command_step(ctx: Ctx) -> LadderStep | None:
    command = ctx.command
    if isinstance(command, Propose | Record):
        return ctx.ladder.step(command.step)
    if ctx.record.pending is not None:
        return ctx.ladder.step(ctx.record.pending.step)
    return None


def _propose_guard(ctx: Ctx) -> Refusal | None:
    step = _command_step(ctx)
    if step is None:
        return None
    if not step.needs_approval:
        return Refusal(
            step.paragraph,
            f"{step.name} needs no approval",
            f"record it once it is done (record {step.id})",
        )
    return _out_of_order(ctx.record, ctx.ladder, step) or _rung(ctx, step)


def _approve_guard(ctx: Ctx) -> Refusal | None:
    pending, step = ctx.record.pending, _command_step(ctx)
    if pending is None or step is None:
        return None
    if ctx.actor is not None and ctx.actor.id == pending.proposed_by.id:
        return Refusal(
            step.paragraph,
            f"{ctx.actor.id} proposed {step.name} and cannot also approve it",
            "another supervisor must approve",
        )
    return _rung(ctx, step)


def _record_guard(ctx: Ctx) -> Refusal | None:
    step, record = _command_step(ctx), ctx.record
    if step is None:
        return None
    if record.state is S.APPROVED and isinstance(ctx.command, Record):
        pending = record.pending
        if pending is not None and pending.step != step.id:
            return Refusal(
                step.paragraph,
                f"the approved step is {pending.step}, not {step.id}",
                f"record {pending.step}, or reject it first",
            )
    elif record.state is S.OPEN and step.needs_approval:
        return Refusal(
            step.paragraph,
            f"{step.name} needs a supervisor's approval before it is taken",
            f"propose {step.id} for approval",
        )
    if record.state is S.OPEN:
        refusal = _out_of_order(record, ctx.ladder, step)
        if refusal is not None:
            return refusal
    return _rung(ctx, step)


def _override_guard(ctx: Ctx) -> Refusal | None:
    if not ctx.record.vulnerability_unresolved and not blocking_flags(ctx.record, ctx.ladder):
        return Refusal(
            "nuisance",
            "there is no flag to override",
            "an override is only needed while a vulnerable-person or faulty-device flag "
            "blocks a letter or a disconnection",
        )
    return None


def _link_guard(ctx: Ctx) -> Refusal | None:
    command = ctx.command
    if isinstance(command, LinkIdentifier) and any(
        linked.identifier == command.identifier for linked in ctx.record.identifiers
    ):
        return Refusal("nuisance", f"{command.identifier} is already linked to this case")
    return None


def document_step(ctx: Ctx, kind: DocumentKind) -> tuple[LadderStep | None, Refusal | None]:
    """The ladder step a document is produced for, or why it cannot be produced now."""
    if kind is DocumentKind.SAFEGUARDING_REFERRAL:
        return None, None
    steps = ctx.ladder.with_document(kind)
    if not steps:
        return None, Refusal("nuisance", f"the force's ladder has no step producing a {kind.value}")
    record = ctx.record
    taken = {s.step for s in record.steps}
    for step in steps:
        if step.id in taken:
            return step, None  # a copy of a document already sent
        pending = record.pending
        if record.state is S.APPROVED and pending is not None and pending.step == step.id:
            return step, safeguard(record, step, ctx.ladder)
        if not step.needs_approval and record.state is not S.CLOSED:
            refusal = _out_of_order(record, ctx.ladder, step)
            return step, refusal or safeguard(record, step, ctx.ladder)
    step = steps[0]
    return step, Refusal(
        step.paragraph,
        f"a {kind.value} is produced only once {step.name} is approved",
        f"propose {step.id} and have a supervisor approve it",
    )


def _document_guard(ctx: Ctx) -> Refusal | None:
    if isinstance(ctx.command, GenerateDocument):
        return document_step(ctx, ctx.command.document)[1]
    return None


GUARDS: Mapping[CaseAction, tuple[Guard, ...]] = MappingProxyType(
    {
        A.PROPOSE: (_propose_guard,),
        A.APPROVE: (_approve_guard,),
        A.RECORD: (_record_guard,),
        A.OVERRIDE_VULNERABILITY: (_override_guard,),
        A.LINK_IDENTIFIER: (_link_guard,),
        A.GENERATE_DOCUMENT: (_document_guard,),
    }
)


def violation(policy: Policy, refusal: Refusal, hint: str | None = None) -> PolicyViolation:
    """The :class:`PolicyViolation` for ``refusal``, naming the force's paragraph."""
    paragraph = cite(policy, refusal.citation)
    reference = policy.force.policy_reference
    return PolicyViolation(
        f"{refusal.message} ({reference} {paragraph})",
        paragraph=paragraph,
        hint=refusal.hint or hint,
    )


def provider_note(record: CaseRecord) -> str:
    """What a disconnection request must say about who can act on it, or ``""``."""
    number = record.number
    if number is None:
        return (
            "There is no usable number: the communications provider can act only on the "
            f"handset identity (IMEI {record.imei})."
        )
    if not Identifier.of_number(number).international:
        return ""
    return (
        f"{number} is not a UK (+44) number: its communications provider may be outside the "
        "UK PECS arrangements, so ask the provider whether it can act on the request."
    )


def role_refusal(kind: CaseAction, actor: Actor) -> Refusal:
    """The refusal for an actor whose role may not apply ``kind``."""
    roles = " or ".join(sorted(role.value for role in ROLES[kind]))
    return Refusal("nuisance", f"a {actor.role.value} may not {kind.value}; only a {roles} may")
