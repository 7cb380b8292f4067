"""What the public is told about an emergency is in docs/digital101.md word for word, and says
what the control room does (the alarm at the top of every handler's list)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controlroom.domain.reporting import EMERGENCY_NOTICE, ESCALATED_NOTE
from controlroom.services.chat import EMERGENCY_NOTICE as CHAT_NOTICE

DOC = Path(__file__).resolve().parents[2] / "docs" / "digital101.md"


def _quoted() -> list[str]:
    """Each block quote of the page's emergency section, as one line of text."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## What the public is told about an emergency")
    section = text[start : text.index("\n## ", start + 1)]
    quotes: list[str] = []
    for block in re.findall(r"(?:^ *> .*\n)+", section, re.M):
        lines = [line.strip().removeprefix(">").strip() for line in block.splitlines()]
        quotes.append(" ".join(lines))
    return quotes


@pytest.mark.parametrize("words", [EMERGENCY_NOTICE, ESCALATED_NOTE, CHAT_NOTICE])
def test_the_docs_quote_what_the_public_is_told(words: str) -> None:
    assert words in _quoted()


@pytest.mark.parametrize("words", [EMERGENCY_NOTICE, ESCALATED_NOTE, CHAT_NOTICE])
def test_the_promise_is_the_alarm_not_an_unkept_urgent(words: str) -> None:
    assert "at the top of every call handler's list" in words
    assert "urgent" not in words and "straight to the control room" not in words
