"""Matching a partner's acknowledgement to the message it answers."""

from __future__ import annotations

from controlroom.domain.mait.checks import MaitInvalid
from controlroom.domain.mait.message import Acknowledgement, Header, MaitMessage, MessageType


def acknowledgement_of(reply: MaitMessage, sent: Header) -> Acknowledgement:
    """The acknowledgement ``reply`` gives to the message ``sent`` (its header, as sent).

    :class:`MaitInvalid` when ``reply`` is not an ACK, names another message, or does not come
    from the organisation the message went to (or is not addressed back to its sender): an
    acknowledgement that cannot be matched must not change what the handler sees.
    """
    if reply.header.message_type is not MessageType.ACK or reply.acknowledgement is None:
        raise MaitInvalid(
            f"expected an ACK message, got {reply.header.message_type.value}",
            field="header.message_type",
        )
    if reply.header.relates_to != sent.message_id:
        raise MaitInvalid(
            f"the acknowledgement answers message {reply.header.relates_to!r}, "
            f"not {sent.message_id!r}",
            field="header.relates_to",
            hint="match acknowledgements by the id of the message they answer",
        )
    if reply.header.sender.id != sent.recipient.id or reply.header.recipient.id != sent.sender.id:
        raise MaitInvalid(
            f"the acknowledgement comes from {reply.header.sender.id} to "
            f"{reply.header.recipient.id}; the message went from {sent.sender.id} to "
            f"{sent.recipient.id}",
            field="header.sender.id",
            hint="only the organisation a message went to can acknowledge it",
        )
    return reply.acknowledgement
