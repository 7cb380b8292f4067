"""Triage engine (being written): returns the not_police default for every text."""

from __future__ import annotations

from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.decision import (
    Decision,
    Level,
    Reason,
    ReasonKind,
    Thrive,
    ThriveFactor,
)


def triage(contact: ContactText, policy: Policy) -> Decision:
    """Decide where ``contact`` belongs under ``policy``, with reasons."""
    default = policy.routes[Route.NOT_POLICE]
    low = ThriveFactor(Level.LOW, "")
    return Decision(
        route=Route.NOT_POLICE,
        grade=default.grade,
        agency=default.agency,
        thrive=Thrive(low, low, low, low, low, low),
        vulnerability=(),
        reasons=(Reason(ReasonKind.DEFAULT, default.paragraph, "default", default.explanation),),
        summary="",
        policy=policy.force.policy_reference,
    )
