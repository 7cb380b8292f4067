"""Triage reads a contact's text once: the semantic layer shares the rules' reading of it."""

from __future__ import annotations

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.triage.compiled import compile_rulebook, compiled
from controlroom.domain.triage.reading import REMEMBERED, read, read_remembered
from controlroom.domain.triage.text import normalise

POLICY = load_policy("dcp-p-042")
TEXT = normalise("there's a man with a knife outside my house right now")


def test_a_text_read_again_gives_the_same_reading_without_reading_it_again() -> None:
    book = compiled(POLICY.rulebook)
    first = read_remembered(book, TEXT)
    assert read_remembered(book, TEXT) is first
    fresh = read(book, TEXT)
    assert [m.rule.id for m in first.matters] == [m.rule.id for m in fresh.matters]
    assert [s for _, s in first.signals] == [s for _, s in fresh.signals]


def test_another_rulebook_reads_the_text_afresh() -> None:
    book = compiled(POLICY.rulebook)
    other = compile_rulebook(POLICY.rulebook)
    assert read_remembered(other, TEXT) is not read_remembered(book, TEXT)


def test_only_the_latest_texts_are_remembered() -> None:
    book = compiled(POLICY.rulebook)
    first = read_remembered(book, TEXT)
    for i in range(REMEMBERED):
        read_remembered(book, normalise(f"my bike was stolen {i} days ago"))
    assert read_remembered(book, TEXT) is not first
