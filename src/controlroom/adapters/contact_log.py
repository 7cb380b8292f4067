"""One INFO line in the log for each step of a contact's life that an operator follows: offered,
answered (with the answer time), escalated, an incident logged, ended (with the outcome).

:data:`CONTACT_LOG` observes every committed unit of work (``adapters/db/uow.py``), so a line
is written only for what was committed, once. Each line names the contact (``contact_id``),
its channel and the step's figures as fields; never the caller's number or words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from controlroom.domain.contacts import ActionApplied, ActionKind, ContactEnded, IncidentLogged

log = logging.getLogger("controlroom.contacts")


def log_events(events: Sequence[object]) -> None:
    """Write the INFO lines for ``events`` (module doc)."""
    if not log.isEnabledFor(logging.INFO):
        return
    channels: dict[str, str] = {}
    for event in events:
        if isinstance(event, ActionApplied) and event.channel is not None:
            channel = channels[event.contact_id] = event.channel.value
            fields = {"contact_id": event.contact_id, "channel": channel}
            if event.action is ActionKind.OFFER:
                log.info("contact offered", extra=fields)
            elif event.action is ActionKind.ANSWER and event.offered_at is not None:
                seconds = round((event.at - event.offered_at).total_seconds(), 3)
                log.info("contact answered", extra=fields | {"answer_seconds": seconds})
            elif event.action is ActionKind.ESCALATE:
                log.info("contact escalated as an emergency", extra=fields)
        elif isinstance(event, IncidentLogged):
            fields = {"contact_id": event.contact_id, "grade": event.grade}
            log.info("incident logged", extra=fields)
        elif isinstance(event, ContactEnded):
            channel = channels.get(event.contact_id, "unknown")
            fields = {"contact_id": event.contact_id, "channel": channel}
            log.info("contact ended", extra=fields | {"outcome": event.outcome.value})


class ContactLog:
    """:func:`log_events` as a commit observer (``publish(events)``)."""

    def publish(self, events: Sequence[object]) -> None:
        """Log ``events``."""
        log_events(events)


#: The one commit observer writing these lines (registered once per process).
CONTACT_LOG = ContactLog()
