"""The escalation ladder as a procedure: a nuisance case per number (or IMEI) and its moves.

A case moves only by :meth:`NuisanceCase.apply`, as the transition table :data:`MOVES` and the
guards allow; anything else raises :class:`PolicyViolation` citing the force's paragraph
(§4.12.6, or the misuse-offence paragraph for a step resting on it). Steps follow the force's
ladder in order; a step that needs approval is proposed, approved by a supervisor (not the
proposer) and then recorded once carried out. The safeguard: a step that disconnects a line is
refused while a vulnerable-person flag stands, unless a supervisor has recorded an explicit
override, with a reason, after the flag. Every applied action returns an audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from controlroom.domain.contacts.values import Actor, require_text, require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.case import (
    COMMAND_TYPES,
    TAGS,
    Approve,
    Assess,
    CaseAction,
    CaseCommand,
    CaseEntry,
    CaseEvent,
    CaseRecord,
    CaseState,
    Close,
    DocumentIssued,
    GenerateDocument,
    LinkedIdentifier,
    LinkIdentifier,
    OverrideVulnerability,
    Pending,
    Propose,
    Record,
    Reject,
    SafeguardOverride,
    StepTaken,
)
from controlroom.domain.nuisance.config import Ladder, LadderStep
from controlroom.domain.nuisance.history import CallSummary
from controlroom.domain.nuisance.identifiers import Identifier
from controlroom.domain.nuisance.refusal import Refusal
from controlroom.domain.nuisance.rules import NuisanceKind
from controlroom.domain.nuisance.table import (
    CASE_ID,
    GUARDS,
    MOVES,
    ROLES,
    Ctx,
    document_step,
    provider_note,
    role_refusal,
    taken_top,
    violation,
)
from controlroom.domain.policy import Policy

__all__ = ["MOVES", "ROLES", "NuisanceCase", "StepOption", "provider_note"]

S, A = CaseState, CaseAction


@dataclass(frozen=True)
class StepOption:
    """One rung as a control shows it: the action that would take it (``propose`` or
    ``record``) and, when it would be refused now, why (``refusal``) and what would allow it."""

    step: LadderStep
    action: CaseAction
    refusal: str | None = None
    hint: str | None = None

    @property
    def allowed(self) -> bool:
        """True when the action would be accepted now."""
        return self.refusal is None


class NuisanceCase:
    """A nuisance case and the ladder it follows. Build with :meth:`open`; move with
    :meth:`apply`; read with :attr:`record`."""

    __slots__ = ("_record",)

    def __init__(self, record: CaseRecord) -> None:
        if not isinstance(record, CaseRecord):
            raise InvalidInput("a case is restored from a CaseRecord", field="record")
        self._record = record

    @property
    def record(self) -> CaseRecord:
        """Everything the case holds, as one immutable value."""
        return self._record

    @property
    def id(self) -> str:
        """The case's id."""
        return self._record.id

    @property
    def state(self) -> CaseState:
        """Where the case stands."""
        return self._record.state

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        actor: Actor,
        now: datetime,
        policy: Policy,
        reason: str,
        number: str | None = None,
        imei: str | None = None,
    ) -> tuple[NuisanceCase, list[CaseEvent]]:
        """A new case for a number, an IMEI, or both. A withheld number alone is refused."""
        if not isinstance(case_id, str) or not CASE_ID.fullmatch(case_id):
            raise InvalidInput(f"case id {case_id!r} is not valid", field="case_id")
        if not isinstance(actor, Actor):
            raise InvalidInput("actor must be an Actor", field="actor")
        now = require_utc(now)
        identifiers: list[Identifier] = []
        if number is not None or imei is None:
            identifiers.append(Identifier.of_number(number))
        if imei is not None:
            identifiers.append(Identifier.of_imei(imei))
        require_text(reason, "reason")
        if actor.role not in ROLES[A.OPEN]:
            raise violation(policy, role_refusal(A.OPEN, actor))
        linked = tuple(LinkedIdentifier(i, actor, now, reason) for i in identifiers)
        details = {"identifiers": ", ".join(str(i) for i in identifiers), "reason": reason}
        entry = CaseEntry(1, A.OPEN, actor, now, None, S.OPEN, MappingProxyType(details))
        record = CaseRecord(case_id, linked, S.OPEN, now, history=(entry,))
        return cls(record), [_event(case_id, entry)]

    # -- moving ------------------------------------------------------------------------------

    def apply(
        self,
        command: CaseCommand,
        *,
        actor: Actor,
        now: datetime,
        policy: Policy,
        ladder: Ladder,
        calls: Sequence[CallSummary] = (),
    ) -> list[CaseEvent]:
        """Apply ``command`` for ``actor`` at ``now``; the events it raised (for the audit log).

        ``calls`` are the caller's calls known now: the new evidence a rung needs (none given,
        none counted). Raises :class:`PolicyViolation` for a move the ladder does not allow
        now, and :class:`InvalidInput` for a malformed command, unknown step or naive time.
        """
        if not isinstance(command, COMMAND_TYPES):
            raise InvalidInput(f"not a nuisance-case action: {command!r}", field="action")
        if not isinstance(actor, Actor):
            raise InvalidInput("actor must be an Actor", field="actor")
        now = require_utc(now)
        record = self._record
        target = MOVES.get((record.state, command.kind))
        if target is None:
            raise violation(
                policy,
                Refusal(
                    "nuisance",
                    f"{command.kind.value} is not allowed while the case is {record.state.value}",
                ),
                hint=self._allowed_hint(policy, ladder),
            )
        refusal = self._refusal(command.kind, ladder, actor, command, now, calls)
        if refusal is not None:
            raise violation(policy, refusal)
        moved, details = self._effect(command, actor, now, ladder)
        entry = CaseEntry(
            len(record.history) + 1,
            command.kind,
            actor,
            now,
            record.state,
            target,
            MappingProxyType(details),
        )
        self._record = replace(moved, state=target, history=(*record.history, entry))
        return [_event(record.id, entry)]

    def _effect(
        self, command: CaseCommand, actor: Actor, now: datetime, ladder: Ladder
    ) -> tuple[CaseRecord, dict[str, str]]:
        record = self._record
        if isinstance(command, Assess):
            return self._assess(command, now)
        if isinstance(command, Propose):
            step = ladder.step(command.step)
            pending = Pending(step.id, actor, now, command.reason)
            return replace(record, pending=pending), self._step_details(
                step, command.reason, ladder
            )
        if isinstance(command, Approve):
            assert record.pending is not None
            pending = replace(
                record.pending, approved_by=actor, approved_at=now, approval_note=command.note
            )
            step = ladder.step(pending.step)
            return replace(record, pending=pending), self._step_details(step, command.note, ladder)
        if isinstance(command, Reject):
            assert record.pending is not None
            details = {"step": record.pending.step, "reason": command.reason}
            return replace(record, pending=None), details
        if isinstance(command, Record):
            return self._record_step(command, actor, now, ladder)
        if isinstance(command, OverrideVulnerability):
            override = SafeguardOverride(command.reason, actor, now)
            details = {"reason": command.reason, "flag": NuisanceKind.VULNERABLE_PERSON.value}
            return replace(record, overrides=(*record.overrides, override)), details
        if isinstance(command, LinkIdentifier):
            linked = LinkedIdentifier(command.identifier, actor, now, command.reason)
            details = {
                "identifier": str(command.identifier),
                "kind": command.identifier.kind.value,
                "previous": ", ".join(str(i.identifier) for i in record.identifiers),
                "reason": command.reason,
            }
            return replace(record, identifiers=(*record.identifiers, linked)), details
        if isinstance(command, GenerateDocument):
            ctx = Ctx(record, ladder, actor, command)
            for_step = document_step(ctx, command.document)[0]
            step_id = for_step.id if for_step else None
            issued = DocumentIssued(command.document, command.reference, step_id, actor, now)
            details = {
                "document": command.document.value,
                "reference": command.reference,
                "step": step_id or "",
            }
            if for_step is not None and for_step.disconnects:
                details.update(self._step_details(for_step, command.reference, ladder))
            elif for_step is not None and self._override_detail(for_step, ladder):
                details["override"] = self._override_detail(for_step, ladder)
            return replace(record, documents=(*record.documents, issued)), details
        if isinstance(command, Close):
            dropped = record.pending.step if record.pending else ""
            return replace(record, pending=None), {"reason": command.reason, "dropped": dropped}
        return record, {"reason": command.reason}  # Reopen

    def _assess(self, command: Assess, now: datetime) -> tuple[CaseRecord, dict[str, str]]:
        record = self._record
        moved = replace(record, kinds=record.kinds | command.kinds)
        details = {
            "kinds": ", ".join(sorted(k.value for k in command.kinds)),
            "evidence": "\n".join(command.evidence),
        }
        if NuisanceKind.VULNERABLE_PERSON in command.kinds:
            moved = replace(moved, vulnerable_at=now, markers=record.markers | command.markers)
            details["markers"] = ", ".join(sorted(m.value for m in command.markers))
        if NuisanceKind.FAULTY_DEVICE in command.kinds:
            confidence = command.faulty_confidence
            moved = replace(moved, faulty_at=now, faulty_confidence=confidence)
            details["faulty_confidence"] = confidence.value if confidence else "not known"
        return moved, details

    def _record_step(
        self, command: Record, actor: Actor, now: datetime, ladder: Ladder
    ) -> tuple[CaseRecord, dict[str, str]]:
        record, step = self._record, ladder.step(command.step)
        pending = record.pending
        if pending is not None and pending.step == step.id:
            taken = StepTaken(
                step.id,
                actor,
                now,
                command.note,
                pending.proposed_by,
                pending.proposed_at,
                pending.approved_by,
                pending.approved_at,
            )
        else:
            taken = StepTaken(step.id, actor, now, command.note)
        moved = replace(record, steps=(*record.steps, taken), pending=None)
        return moved, self._step_details(step, command.note, ladder)

    def _step_details(self, step: LadderStep, text: str, ladder: Ladder) -> dict[str, str]:
        record = self._record
        details = {"step": step.id, "step_name": step.name, "text": text}
        if step.disconnects:
            details["disconnects"] = "true"
            note = provider_note(record)
            if note:
                details["note"] = note
        override = self._override_detail(step, ladder)
        if override:
            details["override"] = override
        return details

    def _override_detail(self, step: LadderStep, ladder: Ladder) -> str:
        """The supervisor's override a guarded step rests on, as ``who: reason``; or ``""``."""
        record = self._record
        flagged = record.vulnerable_at is not None or record.faulty_at is not None
        override = record.last_override()
        if not (ladder.rules.guards(step) or step.disconnects) or not flagged or not override:
            return ""
        return f"{override.actor.id}: {override.reason}"

    # -- asking ------------------------------------------------------------------------------

    def _refusal(
        self,
        kind: CaseAction,
        ladder: Ladder,
        actor: Actor | None,
        command: CaseCommand | None = None,
        now: datetime | None = None,
        calls: Sequence[CallSummary] = (),
    ) -> Refusal | None:
        if actor is not None and actor.role not in ROLES[kind]:
            return role_refusal(kind, actor)
        ctx = Ctx(self._record, ladder, actor, command, now, tuple(calls))
        for guard in GUARDS.get(kind, ()):
            refusal = guard(ctx)
            if refusal is not None:
                return refusal
        return None

    def allowed_actions(
        self, policy: Policy, ladder: Ladder, *, actor: Actor | None = None
    ) -> list[CaseAction]:
        """The actions the table and the guards allow now (for ``actor``, when given).

        What a command carries (which step, which document) is checked only on apply.
        """
        return [
            kind
            for kind in CaseAction
            if (self._record.state, kind) in MOVES and self._refusal(kind, ladder, actor) is None
        ]

    def next_steps(
        self, ladder: Ladder, *, now: datetime | None = None, calls: Sequence[CallSummary] = ()
    ) -> list[LadderStep]:
        """The ladder steps that may be proposed or recorded now, lowest first (with ``now``,
        only those with the new evidence their rung needs in ``calls``)."""
        if self._record.state is not S.OPEN:
            return []
        top = taken_top(self._record, ladder)
        return [
            step
            for step in ladder.steps[: top + 2]
            if self._refusal(self._take_action(step), ladder, None, _take(step), now, calls) is None
        ]

    def step_options(
        self,
        ladder: Ladder,
        *,
        actor: Actor | None,
        now: datetime,
        calls: Sequence[CallSummary] = (),
    ) -> list[StepOption]:
        """Every rung of the ladder as a control shows it: the action that would take it and,
        when the table, the guards or ``actor``'s role would refuse it now, why."""
        options = []
        for step in ladder.steps:
            kind = self._take_action(step)
            if (self._record.state, kind) not in MOVES:
                waiting = self._record.state.value
                reason = f"{kind.value} is not allowed while the case is {waiting}"
                options.append(StepOption(step, kind, reason, "decide the step waiting first"))
                continue
            refusal = self._refusal(kind, ladder, actor, _take(step), now, calls)
            if refusal is None:
                options.append(StepOption(step, kind))
            else:
                options.append(StepOption(step, kind, refusal.message, refusal.hint))
        return options

    @staticmethod
    def _take_action(step: LadderStep) -> CaseAction:
        return A.PROPOSE if step.needs_approval else A.RECORD

    def _allowed_hint(self, policy: Policy, ladder: Ladder) -> str:
        allowed = self.allowed_actions(policy, ladder)
        return "allowed now: " + ", ".join(kind.value for kind in allowed)


def _take(step: LadderStep) -> Propose | Record:
    """The command that would take ``step`` (its text is not checked by the guards)."""
    if step.needs_approval:
        return Propose(step.id, "-")
    return Record(step.id, "-")


def _event(case_id: str, entry: CaseEntry) -> CaseEvent:
    return CaseEvent(
        case_id=case_id,
        seq=entry.seq,
        action=entry.action,
        tag=TAGS[entry.action],
        actor=entry.actor,
        at=entry.at,
        from_state=entry.from_state,
        to_state=entry.to_state,
        details=entry.details,
    )
