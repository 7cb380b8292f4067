"""What a procedure is: a transition table, the guards on its moves, and what each step cites.

A table maps ``(state, action)`` to the next step: a :class:`State` in the same procedure, a
:class:`Handover` into another procedure, or :data:`RESUME` (back to the state the contact was
in before the caller hung up). A pair missing from the table is refused, citing the paragraph
the procedure names for that action. Guards then check what the table cannot: what has been
recorded, who is acting, and what the action asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from controlroom.domain.contacts.actions import Action
from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.records import ContactRecord
from controlroom.domain.contacts.states import FINAL_STATES, ProcedureName, State
from controlroom.domain.contacts.values import Actor
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel


@dataclass(frozen=True)
class Handover:
    """A move that leaves this procedure for ``state`` in ``procedure``."""

    procedure: ProcedureName
    state: State


class Resume(Enum):
    """The marker for "back to the state before the hang-up"."""

    RESUME = "resume"


RESUME = Resume.RESUME
Step = State | Handover | Resume


@dataclass(frozen=True)
class Situation:
    """What a guard can see: the contact and policy, and when known the actor, time and action.

    ``allowed_actions`` asks guards without an action (and perhaps without an actor or time):
    a guard that needs one of those passes when it is missing; ``apply`` always gives them all.
    """

    contact: ContactRecord
    policy: Policy
    actor: Actor | None = None
    now: datetime | None = None
    action: Action | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a move is refused: the citation key of the paragraph, a message, and a hint."""

    citation: str
    message: str
    hint: str | None = None


Guard = Callable[[Situation], Refusal | None]

#: Actions allowed in every state of every procedure, final states included: a note or a
#: piece of location evidence can arrive after the call has ended.
ANNOTATIONS = (ActionKind.ADD_NOTE, ActionKind.ADD_LOCATION)
#: Actions allowed in every state that is not final; they record, they do not move.
UPDATES = (
    ActionKind.FLAG_VULNERABILITY,
    ActionKind.UPDATE_CALLER,
    ActionKind.UPDATE_NARRATIVE,
    ActionKind.RECORD_ANSWERS,
)


def with_updates(
    moves: Mapping[tuple[State, ActionKind], Step], states: Iterable[State]
) -> dict[tuple[State, ActionKind], Step]:
    """``moves`` plus the self-loops for notes, location, flags and caller updates."""
    table = dict(moves)
    for state in states:
        for action in ANNOTATIONS:
            table[(state, action)] = state
        if state not in FINAL_STATES:
            for action in UPDATES:
                table[(state, action)] = state
    return table


@dataclass(frozen=True)
class Procedure:
    """One procedure of DCP-P-042 as data.

    ``citation`` is the key cited for a refused move unless ``refusal_citations`` names a more
    specific one for that action; ``channel_citations`` replace ``citation`` for some channels.
    ``scripts`` names the script line read when an action is applied from this procedure, and
    ``channel_scripts`` does so for one channel only.
    """

    name: ProcedureName
    summary: str
    citation: str
    states: tuple[State, ...]
    moves: Mapping[tuple[State, ActionKind], Step]
    guards: Mapping[ActionKind, tuple[Guard, ...]] = field(default_factory=dict)
    refusal_citations: Mapping[ActionKind, str] = field(default_factory=dict)
    scripts: Mapping[ActionKind, str] = field(default_factory=dict)
    channel_citations: Mapping[Channel, str] = field(default_factory=dict)
    channel_scripts: Mapping[tuple[ActionKind, Channel], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "moves",
            "guards",
            "refusal_citations",
            "scripts",
            "channel_citations",
            "channel_scripts",
        ):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def step(self, state: State, action: ActionKind) -> Step | None:
        """The table's step for ``action`` in ``state``; None when the table does not allow it."""
        return self.moves.get((state, action))

    def actions_from(self, state: State) -> tuple[ActionKind, ...]:
        """Every action the table allows in ``state``, in the order of :class:`ActionKind`."""
        return tuple(action for action in ActionKind if (state, action) in self.moves)

    def guards_for(self, action: ActionKind) -> tuple[Guard, ...]:
        """The guards this procedure puts on ``action``."""
        return self.guards.get(action, ())

    def citation_for(self, channel: Channel) -> str:
        """The key of the paragraph that governs this procedure on ``channel``."""
        return self.channel_citations.get(channel, self.citation)

    def refusal_citation(self, action: ActionKind, channel: Channel) -> str:
        """The key cited when ``action`` is refused in this procedure."""
        return self.refusal_citations.get(action, self.citation_for(channel))

    def script_for(self, action: ActionKind, channel: Channel) -> str | None:
        """The id of the script line read when ``action`` is applied, if there is one."""
        return self.channel_scripts.get((action, channel), self.scripts.get(action))
