"""THRIVE (threat, harm, risk, investigation, vulnerability, engagement) from a decision."""

from __future__ import annotations

from controlroom.domain.policy import Policy, Route, VulnerabilityFlag
from controlroom.domain.triage.decision import Level, Thrive, ThriveFactor
from controlroom.domain.triage.reading import MatterFinding

_LOW, _MEDIUM, _HIGH = Level.LOW, Level.MEDIUM, Level.HIGH


def assess_thrive(
    route: Route,
    grade: str,
    escalated: list[MatterFinding],
    deciding: MatterFinding | None,
    flags: tuple[VulnerabilityFlag, ...],
    policy: Policy,
) -> Thrive:
    """A first THRIVE assessment; the handler re-applies it as circumstances change."""
    crime_now = any(f.rule.crime for f in escalated)
    crime = deciding is not None and deciding.rule.crime
    emergency = route is Route.EMERGENCY
    what = deciding.rule.description.lower() if deciding else "nothing recognised"
    flag_words = ", ".join(flag.value.replace("_", " ") for flag in flags)

    if crime_now:
        threat = ThriveFactor(_HIGH, f"crime or violence happening now: {what}")
    elif emergency or (route is Route.POLICE_NON_EMERGENCY and crime):
        threat = ThriveFactor(_MEDIUM, f"{what}")
    else:
        threat = ThriveFactor(_LOW, "no threat identified in the text")

    if emergency:
        harm = ThriveFactor(_HIGH, "risk of serious harm to a person or property now")
    elif route is Route.POLICE_NON_EMERGENCY and (crime or flags):
        harm = ThriveFactor(_MEDIUM, "harm has occurred or may recur")
    else:
        harm = ThriveFactor(_LOW, "no harm identified in the text")

    if emergency:
        risk = ThriveFactor(_HIGH, "immediate response needed")
    elif route is Route.POLICE_NON_EMERGENCY and (flags or grade == "priority"):
        risk = ThriveFactor(_MEDIUM, "a prompt police response lowers the risk")
    else:
        risk = ThriveFactor(_LOW, "low risk on what was said")

    if crime_now:
        investigation = ThriveFactor(_HIGH, "offender and evidence may be at the scene now")
    elif crime:
        investigation = ThriveFactor(_MEDIUM, "a crime to record and investigate")
    else:
        investigation = ThriveFactor(_LOW, "no investigation identified")

    if len(flags) >= 2 or (flags and emergency):
        vulnerability = ThriveFactor(_HIGH, flag_words)
    elif flags:
        vulnerability = ThriveFactor(_MEDIUM, flag_words)
    else:
        vulnerability = ThriveFactor(_LOW, "no vulnerability identified in the text")

    grade_name = policy.grades[grade].name if grade in policy.grades else grade
    if emergency:
        engagement = ThriveFactor(_HIGH, f"deploy now ({grade_name}); keep the caller on the line")
    elif route is Route.POLICE_NON_EMERGENCY:
        engagement = ThriveFactor(_MEDIUM, f"record and respond ({grade_name})")
    else:
        engagement = ThriveFactor(_LOW, "signpost to the right service")
    return Thrive(threat, harm, risk, investigation, vulnerability, engagement)
