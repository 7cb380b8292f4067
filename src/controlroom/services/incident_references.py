"""Issuing incident references: the force's format (policy) numbered from the shared store."""

from __future__ import annotations

from datetime import datetime

from controlroom.domain.policy import Policy
from controlroom.services.ports import UnitOfWork


def next_reference(uow: UnitOfWork, policy: Policy, at: datetime) -> str:
    """A new incident reference in the force's format for an incident logged at ``at``,
    numbered from the shared store within this transaction (so distinct on every instance,
    and given back if the transaction rolls back)."""
    style = policy.incident_references
    return style.make(at, uow.references.next_number(style.scope(at)))
