"""Finding, in a regular expression, the words any match must begin a word with.

Triage has hundreds of patterns and most texts match few of them. Rather than scan a text with
every pattern, each pattern is *anchored* on words it cannot match without: for
``stol(?:e|en)`` the word must start with ``stole``; for ``(?:is|are) on fire`` a word must
start with ``fire``; for ``(?:kill|murder) (?:me|him)``, with ``kill`` or ``murder``. The text's
words are looked up in an index of anchors, and a pattern is run only on the sentences where one
of its anchors begins a word. The standard library's own parser reads the patterns; a pattern it
cannot analyse is simply run everywhere.
"""

from __future__ import annotations

import re
from typing import Any

try:  # the standard library's pattern parser; absent or changed -> no anchors
    from re import _parser as _sre_parse  # type: ignore[attr-defined]

    AT, BRANCH, IN = _sre_parse.AT, _sre_parse.BRANCH, _sre_parse.IN
    CATEGORY, RANGE = _sre_parse.CATEGORY, _sre_parse.RANGE
    AT_BOUNDARY = _sre_parse.AT_BOUNDARY
    CATEGORY_DIGIT = _sre_parse.CATEGORY_DIGIT
    ASSERTS = (_sre_parse.ASSERT, _sre_parse.ASSERT_NOT)
    LITERAL, SUBPATTERN = _sre_parse.LITERAL, _sre_parse.SUBPATTERN
    REPEATS = (_sre_parse.MAX_REPEAT, _sre_parse.MIN_REPEAT)
except (ImportError, AttributeError):  # pragma: no cover - depends on the Python version
    _sre_parse = None

MIN_ANCHOR = 3  # characters; shorter words begin too many words to filter anything
_WORD = re.compile(r"[a-z0-9]+")


def is_word_char(char: str) -> bool:
    """ASCII letters and digits: what the text index calls a word."""
    return char.isascii() and char.isalnum()


def text_words(lowered: str) -> list[re.Match[str]]:
    """The words of a lower-cased text, as the anchor index sees them."""
    return list(_WORD.finditer(lowered))


def words_of(lowered: str, start: int = 0, end: int | None = None) -> list[str]:
    """The words of a lower-cased text (or of ``lowered[start:end]``), without positions."""
    return _WORD.findall(lowered, start, len(lowered) if end is None else end)


def anchors_of(pattern: str) -> tuple[str, ...] | None:
    """Words at least one of which begins a word in every match of ``pattern``; or None."""
    if _sre_parse is None:
        return None
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None
    return _requirement(list(parsed), at_word_start=True)


def needs_digit(pattern: str) -> bool:
    """True when every match of ``pattern`` contains a digit ("12-year-old", "aged 85")."""
    if _sre_parse is None:
        return False
    try:
        parsed = _sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return False
    return _has_digit(list(parsed))


def _has_digit(items: list[tuple[Any, Any]]) -> bool:
    for op, arg in items:
        if op is LITERAL and "0" <= chr(arg) <= "9":
            return True
        if op is IN and arg and all(_digit_member(kind, value) for kind, value in arg):
            return True
        if op is SUBPATTERN and arg[-1] is not None and _has_digit(list(arg[-1])):
            return True
        if op is BRANCH and all(_has_digit(list(branch)) for branch in arg[1]):
            return True
        if op in REPEATS and arg[0] >= 1 and _has_digit(list(arg[2])):
            return True
    return False


def _digit_member(kind: Any, value: Any) -> bool:
    if kind is LITERAL:
        return "0" <= chr(value) <= "9"
    if kind is RANGE:
        return chr(value[0]) >= "0" and chr(value[1]) <= "9"
    return kind is CATEGORY and value is CATEGORY_DIGIT


# Words so common in what people say that an anchor on them filters little.
_COMMON = frozenset(
    """about after again all also and any are back because been before being but call can come
    could did does doing done down each even from get gets getting give given going gone good got
    had has have having her here him his home house how into its just know like look made make
    many more most much must near need never new next not now off old one only other our out over
    own please police put really right said same say says see seen she should since some someone
    something still street such take tell than that the their them then there these they thing
    think this those through time told too under until very want was way well went were what when
    where which while who will with would yes you your""".split()  # noqa: SIM905 - a word list
)


def _strength(words: tuple[str, ...]) -> tuple[int, int, int]:
    """How selective a requirement is: no very common word first, then its shortest word, then
    fewer alternatives."""
    common = sum(1 for word in words if word in _COMMON)
    return (-common, min(len(word) for word in words), -len(words))


def _run_anchor(run: str, starts_word: bool) -> tuple[str, ...] | None:
    """The longest word in a literal run that is known to begin a word in the text."""
    best = ""
    for m in _WORD.finditer(run):
        begins = (m.start() == 0 and starts_word) or (
            m.start() > 0 and not is_word_char(run[m.start() - 1])
        )
        if begins and len(m.group()) > len(best):
            best = m.group()
    return (best,) if len(best) >= MIN_ANCHOR else None


def _requirement(items: list[tuple[Any, Any]], *, at_word_start: bool) -> tuple[str, ...] | None:
    """The most selective any-of set of anchors for a parsed sequence, or None."""
    candidates: list[tuple[str, ...]] = []
    run, run_starts_word = "", False
    word_start = at_word_start  # does the current position begin a word?
    for op, arg in items:
        if op is LITERAL:
            if not run:
                run_starts_word = word_start
            char = chr(arg)
            run += char
            word_start = not is_word_char(char)
            continue
        if run:
            found = _run_anchor(run, run_starts_word)
            if found:
                candidates.append(found)
            if op is BRANCH:
                # The parser factors a common prefix out of alternatives ("fell|fallen" is "f"
                # then "ell|allen"): join the word the prefix begins to each alternative.
                joined = _prefix_anchor(run, run_starts_word, arg[1])
                if joined:
                    candidates.append(joined)
            run = ""
        if op is AT and arg is AT_BOUNDARY:
            # \b: when a word character follows (the only way a literal can), it begins a word.
            word_start = True
            continue
        if op is AT or op in ASSERTS:  # other positions, look-arounds: the position stays
            continue
        inner: tuple[str, ...] | None = None
        if op is SUBPATTERN and arg[-1] is not None:
            inner = _requirement(list(arg[-1]), at_word_start=word_start)
            word_start = _ends_non_word(list(arg[-1]))
        elif op is BRANCH:
            branches = [_requirement(list(b), at_word_start=word_start) for b in arg[1]]
            if all(branch is not None for branch in branches):
                inner = tuple(word for branch in branches if branch for word in branch)
            word_start = all(_ends_non_word(list(b)) for b in arg[1])
        elif op in REPEATS:
            low, _, body = arg
            if low >= 1:
                inner = _requirement(list(body), at_word_start=word_start)
                word_start = _ends_non_word(list(body))
            else:  # optional: a word starts after it only if it does whether or not it is there
                word_start = word_start and _ends_non_word(list(body))
        else:
            word_start = False
        if inner:
            candidates.append(inner)
    if run:
        found = _run_anchor(run, run_starts_word)
        if found:
            candidates.append(found)
    return max(candidates, key=_strength) if candidates else None


def _prefix_anchor(run: str, starts_word: bool, branches: Any) -> tuple[str, ...] | None:
    """Words begun by the word at the end of ``run`` and continued by each branch's literals."""
    start = len(run)
    while start > 0 and is_word_char(run[start - 1]):
        start -= 1
    if start == len(run) or (start == 0 and not starts_word):
        return None
    words: list[str] = []
    for branch in branches:
        lead = ""
        for op, arg in branch:
            if op is not LITERAL or not is_word_char(chr(arg)):
                break
            lead += chr(arg)
        word = run[start:] + lead
        if len(word) < MIN_ANCHOR:
            return None
        words.append(word)
    return tuple(dict.fromkeys(words))


def _ends_non_word(items: list[tuple[Any, Any]]) -> bool:
    """True when every way through ``items`` ends on a character that is not a word character."""
    if not items:
        return False
    op, arg = items[-1]
    if op is LITERAL:
        return not is_word_char(chr(arg))
    if op is SUBPATTERN and arg[-1] is not None:
        return _ends_non_word(list(arg[-1]))
    if op is BRANCH:
        return all(_ends_non_word(list(branch)) for branch in arg[1])
    if op in REPEATS:
        low, _, body = arg
        return low >= 1 and _ends_non_word(list(body))
    if op is IN:
        return all(kind is LITERAL and not is_word_char(chr(value)) for kind, value in arg)
    return False
