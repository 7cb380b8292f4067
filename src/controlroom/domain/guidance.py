"""Triage's decision worded for a member of the public: what to do now, and who to contact.

The public pages ("is it a police matter?") and the live chat use the same triage and policy as
the control room; this turns a :class:`~controlroom.domain.triage.Decision` into plain English
and the agency directory's public advice, with no paragraph numbers or grades.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from controlroom.domain.policy import Agency, ContactMethod, Policy, Route
from controlroom.domain.triage.decision import Decision


class Action(StrEnum):
    """What the public is told to do."""

    CALL_999 = "call_999"
    REPORT_ONLINE = "report_online"  # report online, Live Chat, or ring 101
    OTHER_AGENCY = "other_agency"
    NOT_POLICE = "not_police"


@dataclass(frozen=True)
class Guidance:
    """The answer shown to the public."""

    action: Action
    headline: str
    explanation: str
    what: str  # the matter recognised, in lower case ("" when none)
    agency: Agency | None

    @property
    def contacts(self) -> tuple[ContactMethod, ...]:
        """How to reach the agency (none without one)."""
        return self.agency.contact if self.agency else ()


NO_TEXT = Guidance(
    action=Action.NOT_POLICE,
    headline="Tell us what has happened",
    explanation="Describe what is happening in a sentence or two, then press Check.",
    what="",
    agency=None,
)


def matter_of(decision: Decision) -> str:
    """The matter triage recognised, from its summary (``""`` when there is none)."""
    head, sep, rest = decision.summary.partition(": ")
    if not sep or (head.startswith("Not a police matter") and rest.startswith("no emergency")):
        return ""
    for end in (" — ", ". "):
        rest = rest.split(end, 1)[0]
    return rest.rstrip(".").strip()


def public_guidance(decision: Decision, policy: Policy) -> Guidance:
    """What to tell a member of the public who described their situation."""
    what = matter_of(decision)
    agency = policy.agencies.get(decision.agency or "")
    if decision.route is Route.EMERGENCY:
        return Guidance(
            Action.CALL_999,
            "Call 999 now",
            f"What you describe sounds like an emergency{_about(what)}. Call 999 now: do not "
            "report it online or on Live Chat. If you cannot speak, call 999 and, when asked "
            "which service you need, press 55.",
            what,
            agency,
        )
    if decision.needs_assessment:  # triage could not tell: the public get the questions
        return Guidance(
            Action.REPORT_ONLINE,
            "We could not tell from what you wrote",
            "If anyone is in danger or hurt now, if it is happening now, if the person "
            "responsible is still there or nearby, or if a weapon is involved, call 999 now. "
            "Otherwise report it online, chat with us on Live Chat, or call 101.",
            "",
            agency,
        )
    if decision.route is Route.POLICE_NON_EMERGENCY:
        return Guidance(
            Action.REPORT_ONLINE,
            "Report it online, on Live Chat, or call 101",
            f"This is a matter for the police, but not an emergency{_about(what)}. You can "
            "report it online now, chat with us on Live Chat, or call 101 at any time. If it "
            "is happening now and anyone is in danger, call 999.",
            what,
            agency,
        )
    if decision.route is Route.OTHER_AGENCY and agency is not None:
        name = _in_sentence(agency.name)
        return Guidance(
            Action.OTHER_AGENCY,
            f"Contact {name}",
            f"This is usually dealt with by {name}, not the police{_about(what)}. "
            f"{agency.public_advice}".strip(),
            what,
            agency,
        )
    return Guidance(
        Action.NOT_POLICE,
        "This does not sound like a police matter",
        (
            f"This sounds like {what}, which the police do not deal with. "
            if what
            else "We could not find anything in what you wrote that the police deal with. "
        )
        + "If you are not sure, Askthe.police.uk answers common questions and says who to "
        "contact. If anyone is in danger, call 999.",
        what,
        agency,
    )


def _about(what: str) -> str:
    return f" ({what})" if what else ""


def _in_sentence(name: str) -> str:
    """An agency's name inside a sentence: "Your local council" becomes "your local council"."""
    first, _, rest = name.partition(" ")
    return f"{first.lower()} {rest}" if first in ("Your", "The") and rest else name
