"""A rulebook compiled for fast matching, built once per rulebook.

Two things keep triage fast without changing what matches:

* text is matched lower-cased (one character for one character, see :mod:`text`) against
  expressions compiled from lower-cased patterns, which the regular-expression engine scans much
  faster than case-insensitive ones; the rare text whose lower-casing changes its length falls
  back to case-insensitive expressions over the whole text, so offsets always stay exact;
* every pattern is anchored on the words a match must begin a word with (:mod:`anchors`); an
  index of anchors, looked up once per word of the text, says which patterns can match and in
  which sentences, and only those are run — so the work grows with the text, not with the
  rulebook times the text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from controlroom.domain.policy import (
    MatterRule,
    OverrideRule,
    Rulebook,
    Tense,
    TimeCue,
    VulnerabilityRule,
    WordClass,
)
from controlroom.domain.triage.anchors import MIN_ANCHOR, anchors_of, needs_digit, words_of
from controlroom.domain.triage.frames import FrameEntry

RuleT = TypeVar("RuleT")

# Words that, standing just before a matter, deny it ("no weapon", "isn't breathing" is a
# pattern of its own). Uncertainty is not denial: "not sure if he has a knife" keeps the knife.
_UNCERTAIN_AFTER = (
    r"(?!\s+(?:sure|certain|know|knowing|tell|if|whether|stop|stopped|stopping|only|longer))"
)

_DIGIT = re.compile(r"\d")

#: For each rule that can match (by ident): for each of its parts that can (by key), the
#: sentences (by index) where one of the part's anchors begins a word.
Triggered = Mapping[int, dict[int, set[int]]]


def _lower_pattern(pattern: str) -> str:
    """``pattern`` with its literal letters lower-cased; escapes such as ``\\W`` kept."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)


def _joined(patterns: tuple[str, ...], *, lead: bool = True) -> str:
    """One expression for ``patterns`` as whole words. Without ``lead`` the start of a word is
    left for the caller to check: a leading look-behind stops the engine skipping ahead to a
    literal, which makes every scan several times slower."""
    joined = "|".join(f"(?:{pattern})" for pattern in patterns)
    return rf"{_LEAD if lead else ''}(?:{joined})(?![\w])"


_LEAD = r"(?<![\w'])"


def _scan(
    pattern: re.Pattern[str], lowered: str, start: int, end: int, found: list[tuple[int, int]]
) -> None:
    """Add to ``found`` every match in ``lowered[start:end]`` that begins a word."""
    search = pattern.search
    pos = start
    while True:
        m = search(lowered, pos, end)
        if m is None:
            return
        first, last = m.span()
        if first:
            before = lowered[first - 1]
            if before.isalnum() or before == "'" or before == "_":
                pos = first + 1  # inside a word: look again just after where this one began
                continue
        found.append((first, last))
        pos = last if last > first else last + 1


@dataclass(frozen=True)
class Part:
    """One pattern (or several with no anchor), compiled, and the anchors it needs."""

    key: int  # unique within a compiled rulebook
    pattern: re.Pattern[str]
    anchors: tuple[str, ...] | None  # None: run on the whole text
    needs_digit: bool = False  # every match holds a digit: skipped for a text with none


@dataclass(frozen=True)
class Compiled(Generic[RuleT]):
    """A rule and its expressions: per pattern for lower-cased text, whole for the rest."""

    rule: RuleT
    parts: tuple[Part, ...]
    folding: re.Pattern[str]  # case-insensitive, for text whose lower-casing changes length
    always_scanned: bool  # some part has no anchor
    anchored: Mapping[int, Part]  # key -> part, for the parts with anchors
    unanchored: tuple[Part, ...]

    ident: int = -1  # unique to this rule within its compiled rulebook: its first part's key

    def spans(
        self, lowered: str, parts: Mapping[int, set[int]] | None, sentences: tuple[int, ...]
    ) -> list[tuple[int, int]]:
        """Non-overlapping (start, end) of every match in ``lowered``, leftmost-longest.

        ``parts`` says which anchored parts can match and in which sentences (whose starts
        are ``sentences``); every other anchored part is skipped without scanning.
        """
        found: list[tuple[int, int]] = []
        size = len(lowered)
        for part in self.unanchored:
            if part.needs_digit and not _DIGIT.search(lowered):
                continue
            _scan(part.pattern, lowered, 0, size, found)
        if parts:
            last = len(sentences) - 1
            anchored = self.anchored
            for key, where in parts.items():
                pattern = anchored[key].pattern
                for index in where:
                    end = sentences[index + 1] if index < last else size
                    _scan(pattern, lowered, sentences[index], end, found)
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
    unanchored: dict[bool, list[str]] = {False: [], True: []}
    for pattern in lowered:
        anchors = anchors_of(pattern)
        if anchors is None:
            unanchored[needs_digit(pattern)].append(pattern)
        else:
            parts.append(Part(next(keys), re.compile(_joined((pattern,), lead=False)), anchors))
    for digit, group in unanchored.items():
        if group:
            joined = re.compile(_joined(tuple(group), lead=False))
            parts.append(Part(next(keys), joined, None, needs_digit=digit))
    return Compiled(
        rule=rule,
        parts=tuple(parts),
        folding=re.compile(_joined(patterns), re.IGNORECASE),
        always_scanned=any(part.anchors is None for part in parts),
        anchored={part.key: part for part in parts if part.anchors is not None},
        unanchored=tuple(part for part in parts if part.anchors is None),
        ident=parts[0].key,
    )


@dataclass(frozen=True)
class CompiledRulebook:
    """Everything the reader needs, compiled."""

    rulebook: Rulebook
    matters: tuple[Compiled[MatterRule], ...]
    overrides: tuple[Compiled[OverrideRule], ...]
    time_cues: tuple[tuple[Tense, Compiled[TimeCue]], ...]
    vulnerabilities: tuple[Compiled[VulnerabilityRule], ...]
    word_classes: Mapping[str, Compiled[WordClass]]
    signals: tuple[str, ...]  # ids of the word classes that are signs of possible harm
    frames_indexed: tuple[FrameEntry, ...]  # each frame, its classes' idents, cheap first
    negation: re.Pattern[str]
    negation_window: int
    # first letters of an anchor -> (anchor, (rule ident, part key) of each part that needs it)
    by_start: Mapping[str, tuple[tuple[str, tuple[tuple[int, int], ...]], ...]]
    always: frozenset[int]  # idents of rules with a part that has no anchor
    # word -> the parts it triggers; filled as texts are read (words repeat across texts)
    word_owners: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def active(self, triggered: Triggered) -> set[int]:
        """Idents of the rules that can match, given the parts triggered."""
        return set(triggered) | self.always

    def triggered(self, lowered: str, sentences: tuple[int, ...]) -> Triggered:
        """For each part an anchor of which begins a word of ``lowered``: those sentences."""
        by_start = self.by_start
        found: dict[int, dict[int, set[int]]] = {}
        bounds = (*sentences, len(lowered))
        occurrences = [
            (word, sentence)
            for sentence in range(len(sentences))
            for word in set(words_of(lowered, bounds[sentence], bounds[sentence + 1]))
        ]
        known = self.word_owners
        for text, sentence in occurrences:
            owners = known.get(text)
            if owners is None:
                owners = _owners(by_start.get(text[:MIN_ANCHOR], ()), text)
                if len(known) >= _WORDS_KEPT:  # a bound, not a policy: forget and start again
                    known.clear()
                known[text] = owners
            for ident, key in owners:
                rule = found.get(ident)
                if rule is None:
                    found[ident] = {key: {sentence}}
                elif key in rule:
                    rule[key].add(sentence)
                else:
                    rule[key] = {sentence}
        return found


_WORDS_KEPT = 50_000  # distinct words whose owners are remembered, per compiled rulebook


def _owners(
    entries: tuple[tuple[str, tuple[tuple[int, int], ...]], ...], word: str
) -> tuple[tuple[int, int], ...]:
    """(rule ident, part key) of every part with an anchor that ``word`` begins with."""
    return tuple(owner for anchor, owners in entries if word.startswith(anchor) for owner in owners)


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
    word_classes = {w.id: compile_rule(w, w.patterns, keys) for w in rulebook.word_classes}
    index: dict[str, list[tuple[int, int]]] = {}
    every: list[Compiled[Any]] = [
        *matters,
        *overrides,
        *(cue for _, cue in time_cues),
        *vulnerabilities,
        *word_classes.values(),
    ]
    for item in every:
        for part in item.parts:
            for anchor in part.anchors or ():
                index.setdefault(anchor, []).append((item.ident, part.key))
    return CompiledRulebook(
        rulebook=rulebook,
        matters=matters,
        overrides=overrides,
        time_cues=time_cues,
        vulnerabilities=vulnerabilities,
        word_classes=word_classes,
        signals=tuple(w.id for w in rulebook.word_classes if w.signal),
        frames_indexed=tuple(
            (
                frame,
                frozenset(word_classes[name].ident for name in frame.requires),
                tuple(sorted(frame.requires, key=lambda name: word_classes[name].always_scanned)),
            )
            for frame in rulebook.frames
        ),
        negation=negation,
        negation_window=rulebook.negation_window,
        by_start=_by_start(index),
        always=frozenset(item.ident for item in every if item.always_scanned),
    )


def _by_start(
    index: Mapping[str, list[tuple[int, int]]],
) -> dict[str, tuple[tuple[str, tuple[tuple[int, int], ...]], ...]]:
    grouped: dict[str, list[tuple[str, tuple[tuple[int, int], ...]]]] = {}
    for anchor, keys in sorted(index.items()):
        grouped.setdefault(anchor[:MIN_ANCHOR], []).append((anchor, tuple(keys)))
    return {start: tuple(entries) for start, entries in grouped.items()}


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
