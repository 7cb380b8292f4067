"""A small policy built by hand, so contact tests do not depend on the shipped policy file.

Its paragraph numbers deliberately differ from DCP-P-042's (7.2.x for §4.12, S.x for silent
calls, A.x for accessible routes): every paragraph a contact error names must come through
``Policy.cite``.
"""

from __future__ import annotations

from controlroom.domain.policy import (
    Agency,
    ContactMethod,
    Force,
    Grade,
    Paragraph,
    Policy,
    Route,
    RouteDefault,
    Rulebook,
    ScriptLine,
)
from controlroom.domain.policy_checks import check_policy

CITATIONS = {
    "emergency.definition": "7.1.1",
    "inappropriate.definition": "7.2.1",
    "inappropriate.logging": "7.2.2",
    "inappropriate.considerations": "7.2.3",
    "vulnerability.seriousness": "7.2.3(a)",
    "vulnerability.condition": "7.2.3(b)",
    "vulnerability.age": "7.2.3(c)",
    "inappropriate.advise": "7.2.4",
    "inappropriate.no-transfer": "7.2.4",
    "inappropriate.warn": "7.2.5",
    "nuisance": "7.2.6",
    "silent.solution": "S.1",
    "silent.landline": "S.2",
    "accessible.bsl": "A.1",
    "accessible.relay": "A.2",
}

SCRIPTS = {
    "advise": ("7.2.4", "The correct number to ring is 101, or visit your local station."),
    "warn": ("7.2.5", "It is our intention to terminate this call."),
    "terminate": ("7.2.5", "I am ending this call now."),
    "await_approval": ("7.2.3", "Please stay on the line while I check with my supervisor."),
    "silent_prompt": ("S.1", "Cough, tap the phone or press a key if you can hear me."),
    "silent_landline": ("S.2", "Tap the phone or press a key; the line stays open 45 seconds."),
    "relay_intro": ("A.2", "This is the police. I will wait for each reply."),
}

GRADES = ("immediate", "priority", "scheduled", "resolution_without_deployment")
AGENCIES = ("police-101", "council")


def build_policy(*, scripts: tuple[str, ...] = tuple(SCRIPTS)) -> Policy:
    """A sound policy with every citation key and the given script lines."""
    paragraphs = {pid: Paragraph(pid, f"Paragraph {pid}.") for pid in set(CITATIONS.values())}
    agencies = {
        aid: Agency(aid, aid.title(), "things", (ContactMethod("phone", "101"),))
        for aid in AGENCIES
    }
    routes = {
        route: RouteDefault(paragraph="7.1.1", grade="resolution_without_deployment")
        for route in Route
    }
    policy = Policy(
        force=Force("test-force", "Test Force", "TF-1", "Call Handling", "1"),
        paragraphs=paragraphs,
        emergency_definition=("7.1.1",),
        grades={gid: Grade(gid, gid.title(), gid, "soon") for gid in GRADES},
        agencies=agencies,
        scripts={sid: ScriptLine(sid, *SCRIPTS[sid]) for sid in scripts},
        routes=routes,
        rulebook=Rulebook(matters=()),
        citations=dict(CITATIONS),
    )
    return check_policy(policy)
