"""A rulebook compiled for fast matching: one regular expression per rule, built once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from controlroom.domain.policy import (
    MatterRule,
    OverrideRule,
    Rulebook,
    Tense,
    TimeCue,
    VulnerabilityRule,
)

RuleT = TypeVar("RuleT")

# Words that, standing just before a matter, deny it ("no weapon", "isn't breathing" is a
# pattern of its own). Uncertainty is not denial: "not sure if he has a knife" keeps the knife.
_UNCERTAIN_AFTER = (
    r"(?!\s+(?:sure|certain|know|knowing|tell|if|whether|stop|stopped|stopping|only|longer))"
)


def compile_patterns(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive expression matching any pattern as whole words."""
    joined = "|".join(f"(?:{pattern})" for pattern in patterns)
    return re.compile(rf"(?<![\w'])(?:{joined})(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class Compiled(Generic[RuleT]):
    """A rule and its compiled expression."""

    rule: RuleT
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class CompiledRulebook:
    """Everything the reader needs, compiled."""

    rulebook: Rulebook
    matters: tuple[Compiled[MatterRule], ...]
    overrides: tuple[Compiled[OverrideRule], ...]
    time_cues: tuple[tuple[Tense, Compiled[TimeCue]], ...]
    vulnerabilities: tuple[Compiled[VulnerabilityRule], ...]
    negation: re.Pattern[str]
    negation_window: int


def compile_rulebook(rulebook: Rulebook) -> CompiledRulebook:
    """Compile every pattern of ``rulebook`` once."""
    cues = "|".join(re.escape(cue) for cue in rulebook.negation_cues)
    negation = re.compile(
        rf"(?<![\w'])(?:{cues})(?![\w']){_UNCERTAIN_AFTER}|n't\b{_UNCERTAIN_AFTER}", re.IGNORECASE
    )
    return CompiledRulebook(
        rulebook=rulebook,
        matters=tuple(Compiled(r, compile_patterns(r.patterns)) for r in rulebook.matters),
        overrides=tuple(Compiled(r, compile_patterns(r.patterns)) for r in rulebook.overrides),
        time_cues=tuple(
            (cue.tense, Compiled(cue, compile_patterns(cue.patterns))) for cue in rulebook.time_cues
        ),
        vulnerabilities=tuple(
            Compiled(r, compile_patterns(r.patterns)) for r in rulebook.vulnerabilities
        ),
        negation=negation,
        negation_window=rulebook.negation_window,
    )


_CACHE: dict[int, CompiledRulebook] = {}


def compiled(rulebook: Rulebook) -> CompiledRulebook:
    """The compiled form of ``rulebook``, built on first use and kept for the process."""
    found = _CACHE.get(id(rulebook))
    if found is None or found.rulebook is not rulebook:
        if len(_CACHE) > 32:  # policies are few; this only guards against leaks in tests
            _CACHE.clear()
        found = compile_rulebook(rulebook)
        _CACHE[id(rulebook)] = found
    return found
