"""Checking a policy: every part it refers to exists, and every pattern compiles.

Reading a policy from a file is an adapter's job; these checks are the domain's, so any source
of a policy gets the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from controlroom.domain.errors import PolicyError
from controlroom.domain.policy import (
    MAX_REALERT_SECONDS,
    MAX_SERVICE_PERCENT,
    MAX_SERVICE_SECONDS,
    MAX_WRAP_UP_SECONDS,
    MIN_REALERT_SECONDS,
    MIN_WRAP_UP_SECONDS,
    REQUIRED_SCRIPTS,
    Policy,
    Route,
    Rulebook,
)


def validate_policy(policy: Policy) -> list[str]:
    """Every inconsistency in ``policy``, each as ``field: problem``; empty when it is sound.

    Checks that everything referred to exists (paragraphs, grades, agencies, escalation groups,
    suppressed rules), that every route has a default, that the scripts 4.12.4 and 4.12.5 need
    are there, and that every pattern compiles.
    """
    problems: list[str] = []

    def need_paragraph(where: str, pid: str) -> None:
        if pid not in policy.paragraphs:
            problems.append(f"{where}: paragraph {pid!r} is not defined in [[paragraphs]]")

    def need_grade(where: str, gid: str | None) -> None:
        if gid is not None and gid not in policy.grades:
            problems.append(f"{where}: grade {gid!r} is not defined in [[grades]]")

    def need_agency(where: str, aid: str | None) -> None:
        if aid is not None and aid not in policy.agencies:
            problems.append(f"{where}: agency {aid!r} is not defined in [[agencies]]")

    def need_patterns(where: str, patterns: tuple[str, ...]) -> None:
        if not patterns:
            problems.append(f"{where}.patterns: at least one pattern is needed")
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"{where}.patterns[{i}]: not a valid regular expression ({exc})")

    for key, pid in policy.citations.items():
        need_paragraph(f"citations.{key}", pid)
    for i, pid in enumerate(policy.emergency_definition):
        need_paragraph(f"emergency_definition[{i}]", pid)
    if not policy.emergency_definition:
        problems.append("emergency_definition: list the paragraphs that define an emergency")
    for sid in REQUIRED_SCRIPTS:
        if sid not in policy.scripts:
            problems.append(f"scripts: the {sid!r} script line is required")
    for sid, line in policy.scripts.items():
        need_paragraph(f"scripts.{sid}", line.paragraph)
    for route in Route:
        default = policy.routes.get(route)
        if default is None:
            problems.append(f"routes.{route.value}: a default for this route is required")
            continue
        need_paragraph(f"routes.{route.value}", default.paragraph)
        need_grade(f"routes.{route.value}", default.grade)
        need_agency(f"routes.{route.value}", default.agency)

    rulebook = policy.rulebook
    framed = [frame.rule for frame in rulebook.frames]
    rule_ids = [rule.id for rule in (*rulebook.matters, *framed)]
    groups = {rule.emergency.group for rule in (*rulebook.matters, *framed) if rule.emergency}
    seen: set[str] = set()
    for rule in (*rulebook.matters, *framed):
        kind = "frames" if rule in framed else "matters"
        where = f"rulebook.{kind}.{rule.id}"
        if rule.id in seen:
            problems.append(f"{where}: the id is used by more than one rule")
        seen.add(rule.id)
        need_paragraph(where, rule.paragraph)
        need_grade(where, rule.grade)
        need_agency(where, rule.agency)
        if kind == "matters":
            need_patterns(where, rule.patterns)
        if rule.route is Route.EMERGENCY:
            problems.append(f"{where}.route: use [emergency] to say when a matter is an emergency")
        if rule.route is Route.OTHER_AGENCY and rule.agency is None:
            problems.append(f"{where}.agency: an other_agency rule must name the agency")
        if rule.emergency is not None:
            need_paragraph(f"{where}.emergency", rule.emergency.paragraph)
            need_agency(f"{where}.emergency", rule.emergency.agency)
        for target in rule.suppresses:
            if target != "*" and target not in rule_ids:
                problems.append(f"{where}.suppresses: no rule has the id {target!r}")
    _check_frames(rulebook, problems, need_patterns)
    for override in rulebook.overrides:
        where = f"rulebook.overrides.{override.id}"
        need_paragraph(where, override.paragraph)
        need_patterns(where, override.patterns)
        if override.scope not in ("text", "sentence"):
            problems.append(f"{where}.scope: must be 'text' or 'sentence'")
        for group in override.cancels:
            if group != "*" and group not in groups:
                problems.append(f"{where}.cancels: no emergency rule has the group {group!r}")
    for cue in rulebook.time_cues:
        need_patterns(f"rulebook.time_cues.{cue.id}", cue.patterns)
    for vulnerability in rulebook.vulnerabilities:
        where = f"rulebook.vulnerabilities.{vulnerability.id}"
        need_paragraph(where, vulnerability.paragraph)
        need_patterns(where, vulnerability.patterns)
    if policy.limits.max_text_chars < 1:
        problems.append("limits.max_text_chars: must be a positive number of characters")
    realert = policy.digital_escalation.realert_seconds
    if not MIN_REALERT_SECONDS <= realert <= MAX_REALERT_SECONDS:
        problems.append(
            f"digital_escalation.realert_seconds: {realert} is not "
            f"{MIN_REALERT_SECONDS}-{MAX_REALERT_SECONDS} seconds"
        )
    level = policy.service_level_101
    if not 1 <= level.seconds <= MAX_SERVICE_SECONDS:
        problems.append(
            f"service_level_101.seconds: {level.seconds} is not 1-{MAX_SERVICE_SECONDS} seconds"
        )
    if not 1 <= level.percent <= MAX_SERVICE_PERCENT:
        problems.append(f"service_level_101.percent: {level.percent} is not 1-100")
    wrap = policy.wrap_up.seconds
    if not MIN_WRAP_UP_SECONDS <= wrap <= MAX_WRAP_UP_SECONDS:
        problems.append(
            f"wrap_up.seconds: {wrap} is not {MIN_WRAP_UP_SECONDS}-{MAX_WRAP_UP_SECONDS} seconds"
        )
    return problems


def _check_frames(
    rulebook: Rulebook, problems: list[str], need_patterns: Callable[[str, tuple[str, ...]], None]
) -> None:
    """Word classes compile and are named once; frames name only word classes that exist."""
    classes: set[str] = set()
    for word_class in rulebook.word_classes:
        where = f"rulebook.word_classes.{word_class.id}"
        if word_class.id in classes:
            problems.append(f"{where}: the id is used by more than one word class")
        classes.add(word_class.id)
        need_patterns(where, word_class.patterns)
    for frame in rulebook.frames:
        where = f"rulebook.frames.{frame.rule.id}"
        if not frame.requires:
            problems.append(f"{where}.requires: name at least one word class")
        for name in (*frame.requires, *frame.unless):
            if name not in classes:
                problems.append(f"{where}: no word class has the id {name!r}")
        if frame.scope not in ("sentence", "clause", "text"):
            problems.append(f"{where}.scope: must be 'sentence', 'clause' or 'text'")


def check_policy(policy: Policy) -> Policy:
    """Return ``policy`` unchanged if it is sound; raise :class:`PolicyError` listing problems."""
    problems = validate_policy(policy)
    if problems:
        raise PolicyError("; ".join(problems), hint="fix each field named and load again")
    return policy
