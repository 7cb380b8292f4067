"""BERT's uncased WordPiece tokenizer, read from a ``vocab.txt``.

The same steps as the reference BERT tokenizer (``do_lower_case``, Chinese characters split,
accents stripped): clean the text, split on white space and punctuation, then cut each word into
the longest pieces the vocabulary knows, continuation pieces marked ``##``. A word of more than
100 characters, or one with no cut, is ``[UNK]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

MAX_WORD_CHARS = 100
CLS, SEP, PAD, UNK = "[CLS]", "[SEP]", "[PAD]", "[UNK]"


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


#: ASCII control characters, which the reference drops (tab, new line and return are spaces).
_ASCII_CONTROLS = dict.fromkeys([*range(9), 11, 12, *range(14, 32), 127])
#: Typographic punctuation common in typed text (curly quotes, dashes, ellipsis, bullet).
_TYPOGRAPHIC = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022"
_WITHOUT_TYPOGRAPHIC = dict.fromkeys(map(ord, _TYPOGRAPHIC))
#: A word of ASCII letters and digits, or one punctuation mark (every ASCII printable that is
#: not a letter, digit or space is one, as is each typographic mark).
_PLAIN_WORD = re.compile(rf"[a-z0-9]+|[!-/:-@\[-`{{-~{_TYPOGRAPHIC}]")


def basic_words(text: str) -> list[str]:
    """The words of ``text`` before WordPiece: cleaned, lower-cased, accents stripped, split on
    white space, punctuation and Chinese characters."""
    if text.translate(_WITHOUT_TYPOGRAPHIC).isascii():
        # Most text: the same words by one regular expression (tested equal to the full path).
        return _PLAIN_WORD.findall(text.translate(_ASCII_CONTROLS).lower())
    return _basic_words(text)


def _basic_words(text: str) -> list[str]:
    spaced: list[str] = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD or _is_control(char):
            continue
        if _is_whitespace(char):
            spaced.append(" ")
        elif _is_cjk(code):
            spaced.append(f" {char} ")
        else:
            spaced.append(char)
    words: list[str] = []
    for token in "".join(spaced).split():
        plain = "".join(
            c
            for c in unicodedata.normalize("NFD", token.lower())
            if unicodedata.category(c) != "Mn"
        )
        current = ""
        for char in plain:
            if _is_punctuation(char):
                if current:
                    words.append(current)
                    current = ""
                words.append(char)
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    """A tokenizer over one vocabulary: text to token ids, ``[CLS] … [SEP]``."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.ids = {token: index for index, token in enumerate(vocabulary)}
        for special in (CLS, SEP, PAD, UNK):
            if special not in self.ids:
                raise ValueError(f"the vocabulary has no {special} token")
        self.cls, self.sep = self.ids[CLS], self.ids[SEP]
        self.pad, self.unk = self.ids[PAD], self.ids[UNK]

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        """Read a ``vocab.txt``: one token a line, its id the line number from 0."""
        return cls(path.read_text(encoding="utf-8").splitlines())

    def word_ids(self, word: str) -> list[int]:
        """The ids of one word's pieces, longest first; ``[UNK]`` when it cannot be cut."""
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def encode(self, text: str, max_length: int) -> list[int]:
        """``[CLS]``, the text's pieces, ``[SEP]``: at most ``max_length`` ids in all."""
        ids = [self.cls]
        for word in basic_words(text):
            ids.extend(self.word_ids(word))
            if len(ids) >= max_length - 1:
                break
        return [*ids[: max_length - 1], self.sep]
