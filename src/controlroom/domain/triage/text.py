"""Reading text without losing character offsets: normalisation, sentences, clauses, words.

Every transformation here is one character for one character, so an offset found in the
normalised text is the same offset in what the person wrote — evidence spans stay exact.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Segments:
    """Sentence and clause boundaries of a text, for scoping cues and negations."""

    sentence_starts: tuple[int, ...]
    clause_starts: tuple[int, ...]
    length: int

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
    sentence_starts = [0]
    sentence_starts.extend(m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text))
    clause_starts = sorted(
        set(sentence_starts) | {m.end() for m in _CLAUSE_END.finditer(text) if m.end() < len(text)}
    )
    return Segments(tuple(sentence_starts), tuple(clause_starts), len(text))


def words_before(text: str, start: int, limit: int, floor: int) -> list[re.Match[str]]:
    """Up to ``limit`` words ending before ``start`` and starting at or after ``floor``."""
    window_start = max(floor, start - 12 * limit - 12)
    found = [m for m in _WORD.finditer(text, window_start, start) if m.start() >= floor]
    return found[-limit:]
