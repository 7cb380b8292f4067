"""Triage use cases shared by the CLI and the HTTP API: the rules, then the semantic layer.

A policy with an exemplar bank gets the semantic layer once one is attached to it
(:func:`attach_semantic_layer`, done at start-up where the embedding model is installed). A
contact the rules already call an emergency needs nothing more from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Protocol

from controlroom.domain.exemplars import ExemplarBank
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import (
    Channel,
    Decision,
    make_contact_text,
    parse_answers,
    triage,
)
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.semantic import Closeness, refine
from controlroom.services.instruments import instruments


class SemanticLayer(Protocol):
    """For each of some texts, the exemplar bank's nearest texts per route and each route's
    likelihood."""

    def closeness(self, texts: Sequence[str]) -> list[Closeness]: ...


@dataclass
class _Attached:
    """A bank's layer: built by ``make`` on first use (None: the model is not there)."""

    bank: ExemplarBank  # kept, so the identity the layer is found by is never reused
    make: Callable[[], SemanticLayer | None]
    built: bool = False
    layer: SemanticLayer | None = None


_attached: dict[int, _Attached] = {}
_building = threading.Lock()


def attach_semantic_layer(policy: Policy, make: Callable[[], SemanticLayer | None]) -> None:
    """Give ``policy``'s exemplar bank a semantic layer, built by ``make`` on first use (which
    may answer None: the model is not there, and triage goes on with the rules alone). A bank
    keeps the first layer attached to it."""
    if policy.exemplars is not None:
        _attached.setdefault(id(policy.exemplars), _Attached(policy.exemplars, make))


def semantic_layer(policy: Policy) -> SemanticLayer | None:
    """The layer attached to ``policy``'s bank, built now if it was not yet; None without one."""
    attached = _attached.get(id(policy.exemplars)) if policy.exemplars is not None else None
    if attached is None:
        return None
    if not attached.built:
        with _building:
            if not attached.built:
                attached.layer = attached.make()
                attached.built = True
    return attached.layer


def triage_text(text: str, channel: str | Channel, policy: Policy) -> Decision:
    """Validate ``text`` and ``channel`` and triage them under ``policy``.

    Raises :class:`~controlroom.domain.errors.InvalidInput` for empty, oversized or corrupted
    text and for an unknown channel.
    """
    contact = make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    return triage_contacts([contact], policy)[0]


def triage_contacts(contacts: Sequence[ContactText], policy: Policy) -> list[Decision]:
    """Triage checked contacts; the semantic layer reads those it may change in one batch."""
    started = perf_counter()
    try:
        return _triage_contacts(contacts, policy)
    finally:
        instruments().triaged(perf_counter() - started, len(contacts))


def _triage_contacts(contacts: Sequence[ContactText], policy: Policy) -> list[Decision]:
    decisions = [triage(contact, policy) for contact in contacts]
    layer = semantic_layer(policy)
    if layer is None or policy.exemplars is None:
        return decisions
    open_ = [i for i, d in enumerate(decisions) if d.route is not Route.EMERGENCY]
    if not open_:
        return decisions
    found = layer.closeness([contacts[i].text for i in open_])
    for i, close in zip(open_, found, strict=True):
        decisions[i] = refine(
            decisions[i], contacts[i], policy, policy.exemplars, close.nearest, close.likelihood
        )
    return decisions


def reassess_text(
    text: str, channel: str | Channel, answers: Mapping[str, object], policy: Policy
) -> Decision:
    """Triage ``text`` again with the handler's answers to the emergency questions.

    ``answers`` maps question ids (``danger``, ``now``, ``offender``, ``weapon``) to ``yes``,
    ``no`` or ``unknown``. The handler's answers are the evidence now: the semantic layer, which
    suggested what to ask, is not consulted again. Raises
    :class:`~controlroom.domain.errors.InvalidInput` for bad text, an unknown channel, an
    unknown question or an answer that is not yes, no or unknown.
    """
    contact = make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    return triage(contact, policy, parse_answers(answers))
