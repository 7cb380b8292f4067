"""The force's call-handling procedures, one transition table each."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from controlroom.domain.contacts.procedures.base import (
    RESUME,
    Guard,
    Handover,
    Procedure,
    Refusal,
    Resume,
    Situation,
    Step,
)
from controlroom.domain.contacts.procedures.emergency import EMERGENCY
from controlroom.domain.contacts.procedures.guards import ROLES, no_transfer_to_101
from controlroom.domain.contacts.procedures.inappropriate import INAPPROPRIATE
from controlroom.domain.contacts.procedures.non_emergency import NON_EMERGENCY
from controlroom.domain.contacts.procedures.silent import PROMPTS as SILENT_PROMPTS
from controlroom.domain.contacts.procedures.silent import SILENT
from controlroom.domain.contacts.states import ProcedureName

#: Every procedure by name.
PROCEDURES: Mapping[ProcedureName, Procedure] = MappingProxyType(
    {p.name: p for p in (EMERGENCY, INAPPROPRIATE, NON_EMERGENCY, SILENT)}
)

#: Guards checked before any table, in every state of every procedure.
GLOBAL_GUARDS: tuple[Guard, ...] = (no_transfer_to_101,)


def step_label(step: Step) -> str:
    """A step as text: ``state``, ``procedure/state`` for a handover, or ``(resume)``."""
    if isinstance(step, Handover):
        return f"{step.procedure.value}/{step.state.value}"
    if isinstance(step, Resume):
        return "(state before hang-up)"
    return step.value


__all__ = [
    "EMERGENCY",
    "GLOBAL_GUARDS",
    "INAPPROPRIATE",
    "NON_EMERGENCY",
    "PROCEDURES",
    "RESUME",
    "ROLES",
    "SILENT",
    "SILENT_PROMPTS",
    "Guard",
    "Handover",
    "Procedure",
    "Refusal",
    "Resume",
    "Situation",
    "Step",
    "step_label",
]
