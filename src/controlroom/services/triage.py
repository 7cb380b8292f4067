"""Triage use cases shared by the CLI and the HTTP API."""

from __future__ import annotations

from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision, make_contact_text, triage


def triage_text(text: str, channel: str | Channel, policy: Policy) -> Decision:
    """Validate ``text`` and ``channel`` and triage them under ``policy``.

    Raises :class:`~controlroom.domain.errors.InvalidInput` for empty, oversized or corrupted
    text and for an unknown channel.
    """
    contact = make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    return triage(contact, policy)
