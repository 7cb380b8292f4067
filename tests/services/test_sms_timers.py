"""The console's relay timer on an emergencySMS contact counts both directions."""

from __future__ import annotations

from datetime import timedelta

from controlroom.domain.contacts import State
from controlroom.domain.policy import Policy
from controlroom.domain.sms import DeliveryStatus, Direction, Message, Thread
from controlroom.services.console import timers_for
from tests.domain.test_sms import START, sms_contact

Q = DeliveryStatus.QUEUED


def test_the_relay_reply_timer_counts_from_the_last_message_either_way(policy: Policy) -> None:
    contact = sms_contact(policy)
    later = START + timedelta(minutes=3)
    inbound = Message("ev-1", Direction.INBOUND, "Help", START, "+447700900125")
    reply = Message("SMS-1", Direction.OUTBOUND, "On our way", later, "alice", Q, later)
    thread = Thread(contact.id, "+447700900125", (inbound, reply))
    timers = timers_for(contact.record, thread)
    assert timers.reply_due == later + timedelta(minutes=2)
    assert timers.awaiting == "caller"
    caller_again = Message(
        "ev-2", Direction.INBOUND, "he is here", later + timedelta(minutes=1), ""
    )
    turn = timers_for(contact.record, Thread(contact.id, None, (inbound, reply, caller_again)))
    assert turn.awaiting == "handler" and turn.reply_due == later + timedelta(minutes=3)
    assert timers_for(contact.record).awaiting == ""
    assert contact.state is State.ANSWERED
