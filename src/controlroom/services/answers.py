"""Recording the handler's answers to the §4.11.1 emergency questions on a contact.

One unit of work like every contact action (:func:`~controlroom.services.contacts.do_action`):
the answers saved on the contact with who gave them and when, one audit row with each answer
and the one it replaced and triage's decision re-made with them, and the event published after
the commit so that every console showing the contact sees it change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from controlroom.domain.access import Principal
from controlroom.domain.contacts import RecordAnswers
from controlroom.domain.policy import Policy
from controlroom.domain.triage import parse_answers
from controlroom.services.contacts import ContactDetails, UowFactory, do_action


def answers_action(raw: Mapping[str, object]) -> RecordAnswers:
    """The action recording ``raw`` (``{"weapon": "yes"}``); :class:`InvalidInput` naming the
    question for an unknown question, an answer that is not yes, no or unknown, or no answer."""
    parsed = parse_answers(raw)
    return RecordAnswers(**{question: parsed.of(question) for question in raw})


def record_answers(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    answers: Mapping[str, object],
    now: datetime,
    policy: Policy,
) -> ContactDetails:
    """Record the handler's ``answers`` on the contact; the contact as it is afterwards, with
    triage's suggestion re-made with them."""
    return do_action(uow_factory, principal, contact_id, answers_action(answers), now, policy)
