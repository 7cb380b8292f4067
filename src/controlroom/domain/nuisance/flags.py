"""The kinds of nuisance source, how sure a flag is, what it recommends, and the flag itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NuisanceKind(StrEnum):
    """The three sources of nuisance calls §4.12.6 names, in order of precedence."""

    VULNERABLE_PERSON = "vulnerable_person"
    FAULTY_DEVICE = "faulty_device"
    DELIBERATE_MISUSE = "deliberate_misuse"


class Confidence(StrEnum):
    """How strongly the evidence points to the kind."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Response(StrEnum):
    """What a flag recommends."""

    CONTACT_PROVIDER = "contact_provider"
    SAFEGUARDING_REFERRAL = "safeguarding_referral"
    ESCALATION_LADDER = "escalation_ladder"


ADVICE = {
    NuisanceKind.FAULTY_DEVICE: (
        Response.CONTACT_PROVIDER,
        "Contact the communications provider, or the owner of the line, about the handset: "
        "the pattern looks like a faulty device, not a person.",
    ),
    NuisanceKind.VULNERABLE_PERSON: (
        Response.SAFEGUARDING_REFERRAL,
        "Make a safeguarding referral. Do not ask for the line to be disconnected unless a "
        "supervisor records an explicit override with a reason.",
    ),
    NuisanceKind.DELIBERATE_MISUSE: (
        Response.ESCALATION_LADDER,
        "Follow the force's escalation ladder for misuse of 999, with a supervisor's approval "
        "at the steps that need it.",
    ),
}


@dataclass(frozen=True)
class NuisanceFlag:
    """A probable nuisance source: its kind, how sure, why, and what to do.

    ``evidence`` holds plain sentences, each naming contacts and their local times;
    ``contact_ids`` every contact the evidence relies on. ``conflict`` is set when the history
    also shows signs of another kind, and says which response comes first.
    """

    kind: NuisanceKind
    confidence: Confidence
    evidence: tuple[str, ...]
    contact_ids: tuple[str, ...]
    response: Response
    advice: str
    conflict: str = ""
