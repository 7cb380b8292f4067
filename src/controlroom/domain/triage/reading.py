"""Reading a text against a compiled rulebook: what matters it mentions, when, and what rules
them out. The decision is made from these findings in :mod:`engine`."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from controlroom.domain.policy import (
    MatterRule,
    OverrideRule,
    Tense,
    VulnerabilityRule,
    When,
    WordClass,
)
from controlroom.domain.triage.compiled import Compiled, CompiledRulebook
from controlroom.domain.triage.decision import Span
from controlroom.domain.triage.frames import match_frames
from controlroom.domain.triage.text import Segments, segment, words_before

T = TypeVar("T")


class Aspect(StrEnum):
    """How the words around a matter place it in time."""

    PROGRESSIVE = "progressive"  # "is breaking in", "being followed"
    EXISTENTIAL = "existential"  # "there's a fight", "there has been a crash"
    COMPLETED = "completed"  # "was stolen", "broke into", "has been burgled"
    BARE = "bare"  # no verb tells: "drink driver on the A5"


@dataclass
class TimeHit:
    """A time cue found in the text."""

    tense: Tense
    cue: str
    span: Span
    sentence: int


@dataclass
class MatterFinding:
    """One matter found in the text, and everything that bears on it."""

    rule: MatterRule
    span: Span
    sentence: int
    aspect: Aspect
    time: TimeHit | None = None
    negated_by: Span | None = None
    suppressed_by: MatterFinding | None = None
    cancelled_by: tuple[OverrideRule, Span] | None = None
    escalated: bool = False

    @property
    def active(self) -> bool:
        """True when the matter counts: neither denied nor displaced by a more specific one."""
        return self.negated_by is None and self.suppressed_by is None


@dataclass
class Reading:
    """All findings for one text."""

    text: str
    matters: list[MatterFinding] = field(default_factory=list)
    overrides: list[tuple[OverrideRule, Span]] = field(default_factory=list)
    times: list[TimeHit] = field(default_factory=list)
    vulnerabilities: list[tuple[VulnerabilityRule, Span]] = field(default_factory=list)
    # Words of a class that is a sign of possible harm (a weapon, an injury, an intrusion...).
    signals: list[tuple[WordClass, Span]] = field(default_factory=list)


_WORDS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_AUX_PRESENT = {"is", "are", "am"}
_AUX_PROGRESSIVE = {"be", "being", "was", "were", "keep", "keeps", "still"}
_AUX_COMPLETED = {"was", "were", "had", "has", "have", "got", "been", "did"}
_CONTRACTED_PROGRESSIVE = ("'s", "'re", "'m")
_CONTRACTED_COMPLETED = ("'ve", "'d")
_EXISTENTIAL = re.compile(
    r"\bthere(?:'s|'re| is| are| was| were| has been| have been|'s been|'ve been)\b", re.I
)
# Speech acts: "I'm calling because my bike was stolen" is not a crime in progress.
_SPEECH_ACT = re.compile(
    r"^(?:calling|ringing|phoning|reporting|wondering|writing|asking|hoping|trying|going|"
    r"looking|getting|contacting|messaging|chatting|texting|emailing|thinking|worried|worrying)$",
    re.I,
)
_PAST_FORM = re.compile(
    r"\b(?:\w+ed|stole|stolen|broke|broken|took|taken|ran|run off|hit|beat|beaten|threw|"
    r"thrown|fought|left|came|went|gone|bit|bitten|cut|nicked|lost|found|had|made off)\b",
    re.I,
)


def _aspect(text: str, start: int, end: int, segments: Segments) -> Aspect:
    """How the match itself, then the words just before it, place it in time."""
    matched = [word.lower() for word in _WORDS.findall(text, start, end)]
    ing_here = any(word.endswith("ing") for word in matched)
    # A match may carry its own verb: "the road is blocked", "shots have been fired".
    found = _aspect_of_words(matched, ing_here)
    if found is not None:
        return found
    clause_start = segments.clause_start(start)
    before = [m.group().lower() for m in words_before(text, start, 3, clause_start)]
    if "being" in before:  # "is being robbed"
        return Aspect.PROGRESSIVE
    if not ing_here and _PAST_FORM.search(text, start, end):
        # "the car outside is stolen", "a stolen car": the act is over, whatever tense follows.
        return Aspect.COMPLETED
    if _EXISTENTIAL.search(text, clause_start, start):
        return Aspect.EXISTENTIAL
    found = _aspect_of_words(before, ing_here)
    if found is not None:
        return found
    if _PAST_FORM.search(text, start, end):
        return Aspect.COMPLETED
    if ing_here:
        return Aspect.PROGRESSIVE
    return Aspect.BARE


def _aspect_of_words(words: list[str], ing_here: bool) -> Aspect | None:
    if "being" in words:
        return Aspect.PROGRESSIVE
    present = any(w in _AUX_PRESENT or w.endswith(_CONTRACTED_PROGRESSIVE) for w in words)
    if ing_here and (present or any(w in _AUX_PROGRESSIVE for w in words)):
        return Aspect.PROGRESSIVE
    if any(w in _AUX_COMPLETED or w.endswith(_CONTRACTED_COMPLETED) for w in words):
        return Aspect.COMPLETED
    if present:
        return Aspect.PROGRESSIVE
    return None


_DENIAL = {"not", "never", "longer", "nothing"}


def _denied_now(text: str, start: int, segments: Segments) -> bool:
    """True when the two words before a cue of now deny it ("no longer", "isn't", "not")."""
    before = words_before(text, start, 2, segments.clause_start(start))
    return any(m.group().lower() in _DENIAL or m.group().lower().endswith("n't") for m in before)


def _negation(book: CompiledRulebook, text: str, start: int, segments: Segments) -> Span | None:
    """The denial standing just before ``start`` in its clause ("no", "not", "isn't"...)."""
    clause_start = segments.clause_start(start)
    window = words_before(text, start, book.negation_window, clause_start)
    if not window:
        return None
    window_start = window[0].start()
    last = None
    for m in book.negation.finditer(text, window_start, start):
        last = m
    if last is None:
        return None
    return Span(last.start(), last.end(), text[last.start() : last.end()])


def read(book: CompiledRulebook, text: str) -> Reading:
    """Find every matter, override, time cue and vulnerability marker in ``text``.

    ``text`` must already be normalised (see :func:`controlroom.domain.triage.text.normalise`);
    spans refer to it and so to the original.
    """
    segments = segment(text)
    reading = Reading(text=text)
    lowered = text.lower()
    fast = len(lowered) == len(text)
    sentences = segments.sentence_starts
    triggered = book.triggered(lowered, sentences) if fast else {}
    active = book.active(triggered) if fast else set()

    def hits(item: Compiled[Any]) -> Iterator[Span]:
        if fast:
            spans = item.spans(lowered, triggered.get(item.ident), sentences)
        else:
            spans = [m.span() for m in item.folding.finditer(text)]
        for start, end in spans:
            yield Span(start, end, text[start:end])

    def scanned(items: Iterable[Compiled[T]]) -> Iterator[Compiled[T]]:
        return (item for item in items if not fast or item.ident in active)

    for cue_tense, cue in book.time_cues:
        if fast and cue.ident not in active:
            continue
        for span in hits(cue):
            tense, cue_id = cue_tense, cue.rule.id
            if tense in _IMMEDIATE and _denied_now(text, span.start, segments):
                # "no longer in progress", "not happening right now": placed in the past.
                tense, cue_id = Tense.PAST, f"{cue_id}-denied"
            sentence = segments.sentence_of(span.start)
            reading.times.append(TimeHit(tense, cue_id, span, sentence))
    for override in scanned(book.overrides):
        for span in hits(override):
            if _negation(book, text, span.start, segments) is None:
                reading.overrides.append((override.rule, span))
    for vulnerability in scanned(book.vulnerabilities):
        for span in hits(vulnerability):
            if _negation(book, text, span.start, segments) is None:
                reading.vulnerabilities.append((vulnerability.rule, span))
    for matter in scanned(book.matters):
        for span in hits(matter):
            reading.matters.append(
                MatterFinding(
                    rule=matter.rule,
                    span=span,
                    sentence=segments.sentence_of(span.start),
                    aspect=_aspect(text, span.start, span.end, segments),
                    negated_by=_negation(book, text, span.start, segments),
                )
            )
    _read_frames(book, text, segments, reading, hits, fast, active)
    _suppress(reading)
    for finding in reading.matters:
        if finding.active and finding.rule.emergency is not None:
            finding.time = _time_for(finding, reading.times)
            finding.escalated = _escalates(finding)
    _apply_overrides(reading, segments)
    return reading


_ASPECT_ORDER = (Aspect.PROGRESSIVE, Aspect.EXISTENTIAL, Aspect.BARE, Aspect.COMPLETED)


def _read_frames(
    book: CompiledRulebook,
    text: str,
    segments: Segments,
    reading: Reading,
    hits: Callable[[Compiled[Any]], Iterator[Span]],
    fast: bool,
    active: set[int],
) -> None:
    """Word classes found once each, then every frame they complete, read as a matter."""
    if not book.word_classes:
        return
    cache: dict[str, list[Span]] = {}

    def hits_of(name: str) -> list[Span]:
        found = cache.get(name)
        if found is None:
            word_class = book.word_classes[name]
            if fast and word_class.ident not in active:
                found = []
            elif word_class.rule.signal:  # "no weapon", "isn't hurt": a denied sign is no sign
                found = [
                    span
                    for span in hits(word_class)
                    if _negation(book, text, span.start, segments) is None
                ]
            else:
                found = list(hits(word_class))
            cache[name] = found
        return found

    for match in match_frames(book.frames_indexed, hits_of, segments, active if fast else None):
        # The words of the first class that say most plainly that it is happening now; only a
        # matter that is an emergency when "present" needs them (see _escalates).
        aspect = Aspect.BARE
        escalation = match.frame.rule.emergency
        if escalation is not None and escalation.when is When.PRESENT:
            aspects = [_aspect(text, lead.start, lead.end, segments) for lead in match.leads]
            aspect = min(aspects, key=_ASPECT_ORDER.index)
        span = match.span
        reading.matters.append(
            MatterFinding(
                rule=match.frame.rule,
                span=Span(span.start, span.end, text[span.start : span.end]),
                sentence=match.sentence,
                aspect=aspect,
            )
        )
        marker = match.frame.marker
        if marker is not None and not any(
            r.flag is marker.flag for r, _ in reading.vulnerabilities
        ):
            reading.vulnerabilities.append((marker, reading.matters[-1].span))
    for name in book.signals:
        reading.signals.extend((book.word_classes[name].rule, span) for span in hits_of(name))


def _suppress(reading: Reading) -> None:
    """Let more specific matters displace the general ones they name, in the same sentence."""
    for finding in reading.matters:
        if finding.negated_by is not None or not finding.rule.suppresses:
            continue
        targets = finding.rule.suppresses
        for other in reading.matters:
            if other is finding or other.sentence != finding.sentence:
                continue
            if other.suppressed_by is not None:
                continue
            if "*" in targets and (other.rule.suppresses or _always_emergency(other.rule)):
                # A blanket suppression (e.g. "on TV") never cancels a specific rule or an
                # inherent emergency such as "unconscious": safety first.
                continue
            if "*" in targets or other.rule.id in targets:
                other.suppressed_by = finding


_IMMEDIATE = (Tense.NOW, Tense.RECENT)
_NOT_NOW = (Tense.PAST, Tense.HABITUAL)


def _always_emergency(rule: MatterRule) -> bool:
    return rule.emergency is not None and rule.emergency.when is When.ALWAYS


def _time_for(finding: MatterFinding, times: list[TimeHit]) -> TimeHit | None:
    """The time cue that governs a matter: its own sentence first, then the whole text.

    In the matter's sentence a cue of now or just-happened wins over one of the past; across the
    text, a past or habitual cue counts only when nothing anywhere says it is happening now.
    """
    own = [hit for hit in times if hit.sentence == finding.sentence]
    for group in (own, times):
        for wanted in (_IMMEDIATE, _NOT_NOW):
            hits = [hit for hit in group if hit.tense in wanted]
            if hits:
                return hits[0]
    reported = [hit for hit in own if hit.tense is Tense.REPORTED]
    return reported[0] if reported else None


def _escalates(finding: MatterFinding) -> bool:
    """Whether the matter, placed in time as found, meets its emergency condition."""
    assert finding.rule.emergency is not None
    when = finding.rule.emergency.when
    tense = finding.time.tense if finding.time else None
    if tense in _IMMEDIATE:
        return True
    if tense in _NOT_NOW:  # past or habitual, and nothing says now
        return False
    if when is When.ALWAYS:
        return True
    if when is When.PRESENT:
        if finding.aspect in (Aspect.PROGRESSIVE, Aspect.EXISTENTIAL):
            return True
        # A bare mention ("drink driver on the A5") counts as now, unless told as a report.
        return finding.aspect is Aspect.BARE and tense is not Tense.REPORTED
    return False


def _apply_overrides(reading: Reading, segments: Segments) -> None:
    """Cancel escalations that explicit words rule out ("nobody is hurt", "they've gone")."""
    for rule, span in reading.overrides:
        sentence = segments.sentence_of(span.start)
        for finding in reading.matters:
            if not finding.escalated or finding.rule.emergency is None:
                continue
            if rule.scope == "sentence" and finding.sentence != sentence:
                continue
            if "*" in rule.cancels or finding.rule.emergency.group in rule.cancels:
                finding.escalated = False
                finding.cancelled_by = (rule, span)


_recent = threading.local()
#: Readings remembered per thread: more than a batch of contacts triaged together.
REMEMBERED = 128


def read_remembered(book: CompiledRulebook, text: str) -> Reading:
    """:func:`read`, remembering the latest texts read on this thread: triage reads a batch of
    contacts, then its semantic layer reads the same texts again. A reading is never changed
    after it is made, so the two share it."""
    memo: OrderedDict[tuple[int, str], tuple[CompiledRulebook, Reading]] | None = getattr(
        _recent, "memo", None
    )
    if memo is None:
        memo = _recent.memo = OrderedDict()
    key = (id(book), text)
    found = memo.get(key)
    if found is not None and found[0] is book:
        memo.move_to_end(key)
        return found[1]
    reading = read(book, text)
    memo[key] = (book, reading)
    if len(memo) > REMEMBERED:
        memo.popitem(last=False)
    return reading
