"""Turning a guard's refusal into the error the caller sees, and the checks every move shares."""

from __future__ import annotations

from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.procedures import ROLES, Guard, Procedure, Refusal, Situation
from controlroom.domain.contacts.values import Actor
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel


def violation(policy: Policy, refusal: Refusal, hint: str | None = None) -> PolicyViolation:
    """The :class:`PolicyViolation` for ``refusal``: its key cited through ``policy``, the
    paragraph named in the message, and the refusal's hint (or ``hint``)."""
    paragraph = policy.cite(refusal.citation)
    reference = policy.force.policy_reference
    return PolicyViolation(
        f"{refusal.message} ({reference} {paragraph})",
        paragraph=paragraph,
        hint=refusal.hint or hint,
    )


def role_refusal(
    procedure: Procedure, channel: Channel, actor: Actor, kind: ActionKind
) -> Refusal | None:
    """A refusal when ``actor``'s role may not apply ``kind`` (see ``procedures.ROLES``)."""
    allowed = ROLES[kind]
    if actor.role in allowed:
        return None
    roles = " or ".join(sorted(role.value for role in allowed))
    return Refusal(
        procedure.refusal_citation(kind, channel),
        f"a {actor.role.value} may not {kind.value}; only a {roles} may",
    )


def first_refusal(guards: tuple[Guard, ...], situation: Situation) -> Refusal | None:
    """The first refusal any of ``guards`` gives in ``situation``, or None."""
    for guard in guards:
        refusal = guard(situation)
        if refusal is not None:
            return refusal
    return None
