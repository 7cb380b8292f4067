"""Reading text without losing character offsets: normalisation, sentences, clauses, words.

Every transformation here is one character for one character, so an offset found in the
normalised text is the same offset in what the person wrote — evidence spans stay exact.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# Typographic variants people (and phones) type, mapped one-for-one to plain ASCII.
_ONE_FOR_ONE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u0060": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
        "\u0130": "I",  # dotted capital I lower-cases to two characters; plain I does not
    }
)

# A sentence ends at . ! ? or a line break (not inside numbers such as "70.5" or "A.38").
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$|[\"')\]])|[\r\n]+")
# A clause ends at a comma, semicolon, colon, dash between words, bracket, or "but"/"however".
_CLAUSE_END = re.compile(
    r"[,;:()\[\]]|\s-+\s|\b(?:but|however|although|though|and|then|so|because|while|whilst)\b", re.I
)
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


def normalise(text: str) -> str:
    """Curly quotes, dashes and odd spaces made plain; same length as ``text``."""
    return text.translate(_ONE_FOR_ONE)


class Segments:
    """Sentence and clause boundaries of a text, for scoping cues and negations.

    Sentences are found at once; clauses only when first asked for, since most texts need them
    only around the few words a rule matched.
    """

    __slots__ = ("_clause_starts", "length", "sentence_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.length = len(text)
        starts = [0]
        starts.extend(m.end() for m in _SENTENCE_END.finditer(text) if m.end() < self.length)
        self.sentence_starts: tuple[int, ...] = tuple(starts)
        self._clause_starts: tuple[int, ...] | None = None

    @property
    def clause_starts(self) -> tuple[int, ...]:
        """Where each clause begins (every sentence start is a clause start too)."""
        if self._clause_starts is None:
            ends = {m.end() for m in _CLAUSE_END.finditer(self.text) if m.end() < self.length}
            self._clause_starts = tuple(sorted(set(self.sentence_starts) | ends))
        return self._clause_starts

    def sentence_of(self, offset: int) -> int:
        """Index of the sentence containing ``offset``."""
        return bisect_right(self.sentence_starts, offset) - 1

    def clause_of(self, offset: int) -> int:
        """Index of the clause containing ``offset``."""
        return bisect_right(self.clause_starts, offset) - 1

    def clause_start(self, offset: int) -> int:
        """Where the clause containing ``offset`` begins."""
        return self.clause_starts[self.clause_of(offset)]


def segment(text: str) -> Segments:
    """Split ``text`` (already normalised) into sentences and clauses."""
    return Segments(text)


def words_before(text: str, start: int, limit: int, floor: int) -> list[re.Match[str]]:
    """Up to ``limit`` words ending before ``start`` and starting at or after ``floor``."""
    window_start = max(floor, start - 12 * limit - 12)
    found = [m for m in _WORD.finditer(text, window_start, start) if m.start() >= floor]
    return found[-limit:]
