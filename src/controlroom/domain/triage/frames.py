"""Situations recognised by kinds of words, not by phrasings.

A frame names word classes (a harm verb, a person, an everyday object used as a weapon, words of
intrusion...) that must all occur in one sentence or clause. "He is coming at me with a
screwdriver" and "she's swinging a bottle at the barman" are one frame, WIELD x EVERYDAY-OBJECT,
whichever object and verb are used. A match is read exactly like a matter found by its patterns:
placed in time, denied, displaced, ruled out and escalated by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass

from controlroom.domain.policy import Frame
from controlroom.domain.triage.decision import Span
from controlroom.domain.triage.text import Segments

#: The hits of a word class in the text (denied ones left out), by word-class id.
HitsOf = Callable[[str], list[Span]]


@dataclass(frozen=True)
class FrameMatch:
    """A frame found in one sentence or clause: the words that made it, first class first."""

    frame: Frame
    hits: tuple[Span, ...]
    sentence: int
    leads: tuple[Span, ...]  # every hit of the first class there: where its tense may be read

    @property
    def span(self) -> Span:
        """From the first word to the last word that made the frame."""
        start = min(hit.start for hit in self.hits)
        end = max(hit.end for hit in self.hits)
        return Span(start, end, "")


#: A frame, the idents of the word classes it requires, and those classes cheapest first.
FrameEntry = tuple[Frame, frozenset[int], tuple[str, ...]]


def match_frames(
    entries: tuple[FrameEntry, ...],
    hits_of: HitsOf,
    segments: Segments,
    active: Set[int] | None,
) -> list[FrameMatch]:
    """Every frame whose word classes all occur together, once per sentence or clause.

    ``active`` (the idents the anchor index lets occur; None: any) sets most frames aside
    without running a pattern; of the rest, the classes scanned on every text are looked for
    last.
    """
    found: list[FrameMatch] = []
    for frame, need, order in entries:
        if active is not None and not need <= active:
            continue
        if not all(hits_of(name) for name in order):
            continue
        unit_of = _UNITS[frame.scope](segments)
        per_class: list[dict[int, list[Span]]] = []
        for name in frame.requires:
            grouped: dict[int, list[Span]] = {}
            for span in hits_of(name):
                grouped.setdefault(unit_of(span.start), []).append(span)
            per_class.append(grouped)
        # every class occurs somewhere: do they occur together?
        units = set(per_class[0]).intersection(*per_class[1:])
        if units and frame.unless:
            vetoed = {unit_of(s.start) for name in frame.unless for s in hits_of(name)}
            units -= vetoed
        for unit in sorted(units):
            chosen = _choose([grouped[unit] for grouped in per_class], frame.ordered)
            if chosen is not None:
                sentence = segments.sentence_of(chosen[0].start)
                leads = (chosen[0],) if frame.ordered else tuple(per_class[0][unit])
                found.append(FrameMatch(frame, chosen, sentence, leads))
    return found


_UNITS: dict[str, Callable[[Segments], Callable[[int], int]]] = {
    "sentence": lambda segments: segments.sentence_of,
    "clause": lambda segments: segments.clause_of,
    "text": lambda segments: lambda offset: 0,
}


def _choose(candidates: list[list[Span]], ordered: bool) -> tuple[Span, ...] | None:
    """One hit per class: the first of each, or, when ``ordered``, each after the last one."""
    if not ordered:
        return tuple(spans[0] for spans in candidates)
    chosen: list[Span] = []
    after = -1
    for spans in candidates:
        nxt = next((span for span in spans if span.start > after), None)
        if nxt is None:
            return None
        chosen.append(nxt)
        after = nxt.end - 1
    return tuple(chosen)
