"""The Contact aggregate: the only thing that changes a contact's state.

A contact moves only by :meth:`Contact.apply`, which looks the move up in the transition table
of the procedure the contact is following, checks that procedure's guards, records the action
in the history and returns the events it raised. Anything else is refused with a
:class:`PolicyViolation` naming the paragraph, or an :class:`InvalidInput` for a malformed
action; a refused action changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType

from controlroom.domain.contacts.actions import ACTION_TYPES, Action
from controlroom.domain.contacts.effects import apply_effect
from controlroom.domain.contacts.events import ActionApplied, ContactEvent
from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.procedures import (
    GLOBAL_GUARDS,
    PROCEDURES,
    Handover,
    Procedure,
    Refusal,
    Resume,
    Situation,
    Step,
)
from controlroom.domain.contacts.records import ContactRecord, HistoryEntry, Timestamps
from controlroom.domain.contacts.refusals import first_refusal, role_refusal, violation
from controlroom.domain.contacts.side_events import side_events
from controlroom.domain.contacts.states import ProcedureName, State, procedure_for
from controlroom.domain.contacts.timers import LANDLINE_RECONNECT_WINDOW, within_reconnect_window
from controlroom.domain.contacts.values import (
    Actor,
    Caller,
    require_e164,
    require_text,
    require_utc,
)
from controlroom.domain.contacts.view import ContactView
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel

_CONTACT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_LANDLINE_CHANNELS = (Channel.NINE_NINE_NINE, Channel.ONE_ZERO_ONE, Channel.LANDLINE_OPEN_LINE)


class Contact(ContactView):
    """A contact (a call, a text conversation, an online report) and the procedure it follows."""

    __slots__ = ()

    def __init__(self, record: ContactRecord) -> None:
        """Wrap a stored record (see :attr:`record`); new contacts come from :meth:`offer`."""
        if not isinstance(record, ContactRecord):
            raise InvalidInput("a contact is restored from a ContactRecord", field="record")
        super().__init__(record)

    @classmethod
    def offer(
        cls,
        *,
        contact_id: str,
        channel: Channel,
        caller: Caller,
        actor: Actor,
        now: datetime,
        policy: Policy,
        landline: bool = False,
        narrative: str = "",
    ) -> tuple[Contact, list[ContactEvent]]:
        """A new contact offered to the control room, and the event that records it.

        ``landline`` says the network reported a fixed line (it is implied for a landline
        open line); only a landline 999 call can rejoin its contact after a hang-up.
        """
        if not isinstance(contact_id, str) or not _CONTACT_ID.fullmatch(contact_id):
            raise InvalidInput(
                f"contact id {contact_id!r} is not valid",
                field="contact_id",
                hint="use 1-128 letters, digits, '.', '_', ':' or '-'",
            )
        if not isinstance(channel, Channel):
            raise InvalidInput(f"unknown channel {channel!r}", field="channel")
        if not isinstance(caller, Caller):
            raise InvalidInput("caller must be a Caller", field="caller")
        if not isinstance(actor, Actor):
            raise InvalidInput("actor must be an Actor", field="actor")
        now = require_utc(now)
        require_text(narrative, "narrative", required=False)
        landline = bool(landline) or channel is Channel.LANDLINE_OPEN_LINE
        if landline and channel not in _LANDLINE_CHANNELS:
            raise InvalidInput(f"a {channel.value} contact is not a landline", field="landline")
        procedure = PROCEDURES[procedure_for(channel)]
        refusal = role_refusal(procedure, channel, actor, ActionKind.OFFER)
        if refusal is not None:
            raise violation(policy, refusal)
        details = {"channel": channel.value, "landline": str(landline).lower()}
        entry = HistoryEntry(
            seq=1,
            action=ActionKind.OFFER,
            actor=actor,
            at=now,
            from_procedure=None,
            from_state=None,
            to_procedure=procedure.name,
            to_state=State.OFFERED,
            details=MappingProxyType(details),
        )
        record = ContactRecord(
            id=contact_id,
            channel=channel,
            caller=caller,
            timestamps=Timestamps(offered=now),
            procedure=procedure.name,
            state=State.OFFERED,
            landline=landline,
            narrative=narrative,
            history=(entry,),
        )
        return cls(record), [ActionApplied.from_entry(contact_id, entry, record)]

    # -- moving ----------------------------------------------------------------------------

    def apply(
        self, action: Action, *, actor: Actor, now: datetime, policy: Policy
    ) -> list[ContactEvent]:
        """Apply ``action`` for ``actor`` at ``now`` under ``policy``; the events it raised.

        Raises :class:`PolicyViolation` (naming the paragraph) for a move the procedure does
        not allow now, and :class:`InvalidInput` for a malformed action, actor or time.
        """
        if not isinstance(action, ACTION_TYPES):
            raise InvalidInput(f"not an action: {action!r}", field="action")
        if not isinstance(actor, Actor):
            raise InvalidInput("actor must be an Actor", field="actor")
        now = require_utc(now)
        record = self._record
        procedure = PROCEDURES[record.procedure]
        situation = Situation(record, policy, actor, now, action)
        refusal = first_refusal(GLOBAL_GUARDS, situation)
        if refusal is not None:
            raise violation(policy, refusal)
        step = procedure.step(record.state, action.kind)
        if step is None:
            raise violation(
                policy,
                Refusal(
                    procedure.refusal_citation(action.kind, record.channel),
                    f"{action.kind.value} is not allowed while the contact is "
                    f"{record.state.value} ({record.procedure.value} procedure)",
                ),
                hint=self._allowed_hint(policy, now),
            )
        refusal = role_refusal(procedure, record.channel, actor, action.kind)
        refusal = refusal or first_refusal(procedure.guards_for(action.kind), situation)
        if refusal is not None:
            raise violation(policy, refusal)
        return self._move(procedure, step, action, actor, now, policy)

    def _move(
        self,
        procedure: Procedure,
        step: Step,
        action: Action,
        actor: Actor,
        now: datetime,
        policy: Policy,
    ) -> list[ContactEvent]:
        record = self._record
        to_procedure, to_state = self._target(step)
        effect = apply_effect(record, action, actor=actor, now=now, policy=policy)
        entry = HistoryEntry(
            seq=len(record.history) + 1,
            action=action.kind,
            actor=actor,
            at=now,
            from_procedure=record.procedure,
            from_state=record.state,
            to_procedure=to_procedure,
            to_state=to_state,
            details=MappingProxyType(effect.details),
        )
        moved = replace(
            effect.record,
            procedure=to_procedure,
            state=to_state,
            history=(*record.history, entry),
        )
        events: list[ContactEvent] = [ActionApplied.from_entry(record.id, entry, moved)]
        events.extend(side_events(procedure, record, moved, entry, action, policy))
        self._record = moved
        return events

    def _target(self, step: Step) -> tuple[ProcedureName, State]:
        record = self._record
        if isinstance(step, Handover):
            return step.procedure, step.state
        if isinstance(step, Resume):
            if record.resume is None:  # pragma: no cover - a hang-up always records it
                raise InvalidInput("nothing to resume", field="action")
            return record.procedure, record.resume
        return record.procedure, step

    # -- asking ----------------------------------------------------------------------------

    def allowed_actions(
        self, policy: Policy, *, actor: Actor | None = None, now: datetime | None = None
    ) -> list[ActionKind]:
        """The actions the procedure allows now (for ``actor`` and at ``now``, when given).

        What an action carries (a grade, a number, a destination) is checked only on apply.
        """
        return [
            kind
            for kind in PROCEDURES[self._record.procedure].actions_from(self._record.state)
            if self._refusal(kind, policy, actor, now) is None
        ]

    def blocked_actions(
        self, policy: Policy, *, actor: Actor | None = None, now: datetime | None = None
    ) -> dict[ActionKind, PolicyViolation]:
        """The table's moves from here that a guard or role refuses, each with the reason."""
        blocked: dict[ActionKind, PolicyViolation] = {}
        for kind in PROCEDURES[self._record.procedure].actions_from(self._record.state):
            refusal = self._refusal(kind, policy, actor, now)
            if refusal is not None:
                blocked[kind] = violation(policy, refusal)
        return blocked

    def _refusal(
        self, kind: ActionKind, policy: Policy, actor: Actor | None, now: datetime | None
    ) -> Refusal | None:
        record = self._record
        procedure = PROCEDURES[record.procedure]
        if actor is not None:
            refusal = role_refusal(procedure, record.channel, actor, kind)
            if refusal is not None:
                return refusal
        when = None if now is None else require_utc(now)
        return first_refusal(procedure.guards_for(kind), Situation(record, policy, actor, when))

    def _allowed_hint(self, policy: Policy, now: datetime) -> str:
        allowed = self.allowed_actions(policy, now=now)
        if not allowed:
            return "nothing more can be done with this contact"
        return "allowed now: " + ", ".join(kind.value for kind in allowed)

    def accepts_reconnect(
        self, number: str, at: datetime, *, window: timedelta = LANDLINE_RECONNECT_WINDOW
    ) -> bool:
        """True when a call from ``number`` at ``at`` rejoins this contact: a landline call
        put down (and not yet closed) no more than ``window`` (45 s) ago, from the same number."""
        number = require_e164(number)
        at = require_utc(at, "at")
        record = self._record
        ended = record.timestamps.ended
        return (
            record.reconnectable
            and record.state is State.HUNG_UP
            and record.caller.number == number
            and ended is not None
            and within_reconnect_window(ended, at, window=window)
        )


def rejoined_by(records: Iterable[ContactRecord], number: str, at: datetime) -> Contact | None:
    """Of ``records``, the contact a landline call from ``number`` at ``at`` rejoins: of those
    that accept it (:meth:`Contact.accepts_reconnect`), the one put down last."""
    ended = [record for record in records if record.timestamps.ended is not None]
    ended.sort(key=lambda record: (record.timestamps.ended, record.id), reverse=True)
    return next((c for c in map(Contact, ended) if c.accepts_reconnect(number, at)), None)
