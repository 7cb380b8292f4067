"""Triage use cases shared by the CLI and the HTTP API."""

from __future__ import annotations

from collections.abc import Mapping

from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision, make_contact_text, parse_answers, triage


def triage_text(text: str, channel: str | Channel, policy: Policy) -> Decision:
    """Validate ``text`` and ``channel`` and triage them under ``policy``.

    Raises :class:`~controlroom.domain.errors.InvalidInput` for empty, oversized or corrupted
    text and for an unknown channel.
    """
    contact = make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    return triage(contact, policy)


def reassess_text(
    text: str, channel: str | Channel, answers: Mapping[str, object], policy: Policy
) -> Decision:
    """Triage ``text`` again with the handler's answers to the emergency questions.

    ``answers`` maps question ids (``danger``, ``now``, ``offender``, ``weapon``) to ``yes``,
    ``no`` or ``unknown``. Raises :class:`~controlroom.domain.errors.InvalidInput` for bad
    text, an unknown channel, an unknown question or an answer that is not yes, no or unknown.
    """
    contact = make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    return triage(contact, policy, parse_answers(answers))
