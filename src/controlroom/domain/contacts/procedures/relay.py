"""Relay and BSL calls: 999 BSL, Relay UK (18000) and emergencySMS.

They follow the emergency procedure with the same priority as a voice call (the same answer
target); what differs is the paragraph they fall under, the relay introduction read on answer,
and the reply timers, which allow for the relay's delay (see ``contacts.timers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.states import RELAY_CHANNELS
from controlroom.domain.triage.decision import Channel

__all__ = ["RELAY_CHANNELS", "RELAY_CITATIONS", "RELAY_SCRIPTS", "is_relay"]

#: The paragraph each relay channel falls under.
RELAY_CITATIONS: Mapping[Channel, str] = MappingProxyType(
    {
        Channel.BSL_999: "accessible.bsl",
        Channel.RELAY_UK_18000: "accessible.relay",
        Channel.EMERGENCY_SMS: "accessible.relay",
    }
)

#: The introduction read when a relay call is answered: the handler will wait for each reply.
RELAY_SCRIPTS: Mapping[tuple[ActionKind, Channel], str] = MappingProxyType(
    {(ActionKind.ANSWER, channel): "relay_intro" for channel in RELAY_CHANNELS}
)


def is_relay(channel: Channel) -> bool:
    """True for 999 BSL, Relay UK and emergencySMS."""
    return channel in RELAY_CHANNELS
