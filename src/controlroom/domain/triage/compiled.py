"""A rulebook compiled for fast matching, built once per rulebook.

Each rule becomes one expression. Two things keep triage fast without changing what matches:

* text is matched lower-cased (a one-for-one change for almost all text) against expressions
  compiled from lower-cased patterns, which the regular-expression engine scans much faster
  than case-insensitive ones; text whose lower-casing changes its length falls back to
  case-insensitive expressions, so offsets always stay exact;
* each expression carries the literal words that any match must contain (found by parsing the
  pattern); a rule none of whose words appear in the text is skipped without scanning.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from controlroom.domain.policy import (
    MatterRule,
    OverrideRule,
    Rulebook,
    Tense,
    TimeCue,
    VulnerabilityRule,
)

try:  # the standard library's own pattern parser; absent or changed -> no prefilter
    from re import _parser as _sre_parse  # type: ignore[attr-defined]

    BRANCH, LITERAL, SUBPATTERN = _sre_parse.BRANCH, _sre_parse.LITERAL, _sre_parse.SUBPATTERN
except (ImportError, AttributeError):  # pragma: no cover - depends on the Python version
    _sre_parse = None

RuleT = TypeVar("RuleT")

# Words that, standing just before a matter, deny it ("no weapon", "isn't breathing" is a
# pattern of its own). Uncertainty is not denial: "not sure if he has a knife" keeps the knife.
_UNCERTAIN_AFTER = (
    r"(?!\s+(?:sure|certain|know|knowing|tell|if|whether|stop|stopped|stopping|only|longer))"
)
_MIN_LITERAL = 2  # characters; a shorter requirement filters nothing


def _lower_pattern(pattern: str) -> str:
    """``pattern`` with its literal letters lower-cased; escapes such as ``\\W`` kept."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)


def _joined(patterns: tuple[str, ...]) -> str:
    joined = "|".join(f"(?:{pattern})" for pattern in patterns)
    return rf"(?<![\w'])(?:{joined})(?![\w])"


def _required_words(pattern: str) -> tuple[str, ...] | None:
    """Literal strings at least one of which every match of ``pattern`` must contain."""
    if _sre_parse is None:
        return None
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None
    found = _requirement(list(parsed))
    if found is None or min(len(word) for word in found) < _MIN_LITERAL:
        return None
    return found


def _strength(words: tuple[str, ...]) -> tuple[int, int]:
    """How selective a requirement is: its shortest word first, then fewer alternatives."""
    return (min(len(word.strip()) for word in words), -len(words))


def _requirement(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """The most selective any-of requirement found in a parsed sequence, or None."""
    candidates: list[tuple[str, ...]] = []
    run = ""
    for op, arg in items:
        if op is LITERAL:
            run += chr(arg)
            continue
        if run:
            candidates.append((run,))
            run = ""
        inner: tuple[str, ...] | None = None
        if op is SUBPATTERN and arg[-1] is not None:
            inner = _requirement(list(arg[-1]))
        elif op is BRANCH:
            branches = [_requirement(list(branch)) for branch in arg[1]]
            if all(branch is not None for branch in branches):
                inner = tuple(word for branch in branches if branch for word in branch)
        if inner:
            candidates.append(inner)
    if run:
        candidates.append((run,))
    candidates = [words for words in candidates if words and all(words)]
    return max(candidates, key=_strength) if candidates else None


def grams(text: str) -> frozenset[str]:
    """Every run of three and of four characters in ``text``."""
    size = len(text)
    return frozenset(text[i : i + 3] for i in range(size - 2)) | frozenset(
        text[i : i + 4] for i in range(size - 3)
    )


def _grams_of(words: tuple[str, ...]) -> frozenset[str] | None:
    """One piece of each word (four letters where it can, no spaces if it can), or None."""
    if any(len(word) < 3 for word in words):
        return None
    chosen = set()
    for word in words:
        width = 4 if len(word) >= 4 else 3
        pieces = [word[i : i + width] for i in range(len(word) - width + 1)]
        solid = [piece for piece in pieces if " " not in piece] or pieces
        chosen.add(solid[len(solid) // 2])
    return frozenset(chosen)


@dataclass(frozen=True)
class Part:
    """Some of a rule's patterns, compiled, with the pieces a match needs (None: no filter)."""

    key: int  # unique within a compiled rulebook
    pattern: re.Pattern[str]
    needs: frozenset[str] | None


@dataclass(frozen=True)
class Compiled(Generic[RuleT]):
    """A rule and its expressions: per pattern for lower-cased text, whole for the rest."""

    rule: RuleT
    parts: tuple[Part, ...]  # lower-cased patterns, for lower-cased text
    folding: re.Pattern[str]  # case-insensitive, for text whose lower-casing changes length
    filtered_keys: frozenset[int] = frozenset()
    always_scanned: bool = False  # some part has no filter

    def finditer(self, lowered: str, candidates: set[int]) -> list[tuple[int, int]]:
        """Non-overlapping (start, end) of every match in ``lowered``, leftmost-longest.

        ``candidates`` holds the keys of the parts whose needed pieces are in the text.
        """
        if not self.always_scanned and self.filtered_keys.isdisjoint(candidates):
            return []
        found: list[tuple[int, int]] = []
        for part in self.parts:
            if part.needs is not None and part.key not in candidates:
                continue
            found.extend(m.span() for m in part.pattern.finditer(lowered))
        if len(found) < 2:
            return found
        found.sort(key=lambda span: (span[0], -span[1]))
        kept = [found[0]]
        for span in found[1:]:
            if span[0] >= kept[-1][1]:
                kept.append(span)
        return kept


def compile_rule(
    rule: RuleT, patterns: tuple[str, ...], keys: Iterator[int] | None = None
) -> Compiled[RuleT]:
    """Compile ``patterns`` of ``rule`` (whole words, either case); ``keys`` numbers parts."""
    keys = keys if keys is not None else itertools.count()
    lowered = tuple(_lower_pattern(pattern) for pattern in patterns)
    parts: list[Part] = []
    unfiltered: list[str] = []
    for pattern in lowered:
        words = _required_words(pattern)
        needs = _grams_of(words) if words else None
        if needs is None:
            unfiltered.append(pattern)
        else:
            parts.append(Part(next(keys), re.compile(_joined((pattern,))), needs))
    if unfiltered:
        parts.append(Part(next(keys), re.compile(_joined(tuple(unfiltered))), None))
    return Compiled(
        rule=rule,
        parts=tuple(parts),
        folding=re.compile(_joined(patterns), re.IGNORECASE),
        filtered_keys=frozenset(part.key for part in parts if part.needs is not None),
        always_scanned=any(part.needs is None for part in parts),
    )


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
    index: Mapping[str, tuple[int, ...]]  # text piece -> keys of the parts that need it

    def candidates(self, lowered: str) -> set[int]:
        """Keys of every part whose needed pieces occur in ``lowered``."""
        index = self.index
        found: set[int] = set()
        for piece in grams(lowered):
            keys = index.get(piece)
            if keys:
                found.update(keys)
        return found


def compile_rulebook(rulebook: Rulebook) -> CompiledRulebook:
    """Compile every pattern of ``rulebook`` once."""
    cues = "|".join(re.escape(cue) for cue in rulebook.negation_cues)
    negation = re.compile(
        rf"(?<![\w'])(?:{cues})(?![\w']){_UNCERTAIN_AFTER}|n't\b{_UNCERTAIN_AFTER}", re.IGNORECASE
    )
    keys = itertools.count()
    matters = tuple(compile_rule(r, r.patterns, keys) for r in rulebook.matters)
    overrides = tuple(compile_rule(r, r.patterns, keys) for r in rulebook.overrides)
    time_cues = tuple(
        (cue.tense, compile_rule(cue, cue.patterns, keys)) for cue in rulebook.time_cues
    )
    vulnerabilities = tuple(compile_rule(r, r.patterns, keys) for r in rulebook.vulnerabilities)
    index: dict[str, list[int]] = {}
    every: list[Compiled[Any]] = [
        *matters,
        *overrides,
        *(cue for _, cue in time_cues),
        *vulnerabilities,
    ]
    for item in every:
        for part in item.parts:
            for piece in part.needs or ():
                index.setdefault(piece, []).append(part.key)
    return CompiledRulebook(
        rulebook=rulebook,
        matters=matters,
        overrides=overrides,
        time_cues=time_cues,
        vulnerabilities=vulnerabilities,
        negation=negation,
        negation_window=rulebook.negation_window,
        index={piece: tuple(keys) for piece, keys in index.items()},
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
