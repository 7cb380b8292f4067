"""Bodies of ``POST /api/telephony/events``: one model per event type, told apart by ``type``.

Each model checks the event's shape (a 422 names every field at fault) and turns into the
service's :class:`~controlroom.services.telephony.TelephonyEvent`. docs/telephony.md describes
the same formats for a force's telephony team.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from controlroom.domain.time_range import RANGE_TEXT
from controlroom.domain.triage import Channel
from controlroom.services.telephony import Address, CallerInfo, EventType, TelephonyEvent
from controlroom.web.schemas_common import NAME_CHARS, BoundedTime, InputModel, Number

E164 = r"^\+[1-9][0-9]{1,14}$"
CHANNELS = ", ".join(channel.value for channel in Channel)
MAX_SMS_CHARS = 10_000
_FIELDS: tuple[str, ...] = ("call_id", "channel", "agent", "digits", "reason", "sender", "text")
_FIELDS += ("command_id", "status")

EventId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$",
        description="Unique id of this event, chosen by the sender (a UUID is ideal). Sending "
        "the same event again with the same id changes nothing and gets the same answer.",
        examples=["6f1c2a4e-8b1d-4f7e-9a55-0c2d1e3f4a5b"],
    ),
]
OccurredAt = Annotated[
    BoundedTime,
    Field(
        description=f"When it happened: ISO 8601 with a time zone (e.g. Z), {RANGE_TEXT}, "
        "and at most 5 minutes ahead of the server's clock.",
        examples=["2026-01-23T21:00:00Z"],
    ),
]
MAX_ADDRESS_CHARS = 500
CallId = Annotated[
    str,
    Field(
        pattern=r"^[\x21-\x7e]{1,128}$",
        description="The telephony system's id for the call (1-128 printable ASCII characters, "
        "no spaces). Every event about one call carries the same call_id.",
        examples=["PBX-20260123-000417"],
    ),
]


def _no_address(value: Any) -> Any:
    """ "" (or only spaces) is how some networks say the address is unknown: no address."""
    return None if isinstance(value, str) and not value.strip() else value


class AddressIn(InputModel):
    """A landline's registered address, as the network gives it."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(
        min_length=1, max_length=MAX_ADDRESS_CHARS, description="The address as one line of text."
    )
    lat: Number | None = Field(default=None, ge=-90, le=90, description="WGS84 latitude, if known.")
    lon: Number | None = Field(
        default=None, ge=-180, le=180, description="WGS84 longitude, if known."
    )


class CallerIn(InputModel):
    """Who is calling, as the network reports it."""

    model_config = ConfigDict(extra="ignore")

    number: str | None = Field(
        default=None,
        pattern=E164,
        description="The caller's number in E.164 (+44...); null when withheld.",
        examples=["+447700900123"],
    )
    name: str = Field(
        default="", max_length=NAME_CHARS, description="The name the network gives, if any."
    )
    landline: bool = Field(
        default=False,
        description="True for a fixed line: a landline may rejoin its contact within 45 s of "
        "hanging up (implied for channel landline_open_line).",
    )
    address: Annotated[
        Annotated[str, Field(max_length=MAX_ADDRESS_CHARS)] | AddressIn | None,
        BeforeValidator(_no_address),
    ] = Field(
        default=None,
        description="A landline's registered address: a line of text, or an object with text "
        "and coordinates. Stored as location evidence. Empty text means no address.",
    )

    def to_info(self) -> CallerInfo:
        """The caller as the service takes it."""
        address = self.address
        if isinstance(address, str):
            address = AddressIn(text=address)
        place = None if address is None else Address(address.text, address.lat, address.lon)
        return CallerInfo(self.number, self.name, self.landline, place)


class _Event(InputModel):
    model_config = ConfigDict(extra="ignore")

    id: EventId
    type: str
    occurred_at: OccurredAt

    def to_event(self) -> TelephonyEvent:
        """The event as the service takes it."""
        present = type(self).model_fields
        fields: dict[str, Any] = {name: getattr(self, name) for name in _FIELDS if name in present}
        if fields.get("channel") is not None:
            fields["channel"] = Channel(fields["channel"])
        caller = getattr(self, "caller", None)
        if caller is not None:
            fields["caller"] = caller.to_info()
        kind = EventType(self.type)
        return TelephonyEvent(id=self.id, type=kind, occurred_at=self.occurred_at, **fields)


class _CallEvent(_Event):
    call_id: CallId
    channel: Channel = Field(description=f"How the call came in; one of: {CHANNELS}.")
    caller: CallerIn = Field(description="Who is calling.")


class CallOffered(_CallEvent):
    """A call is presented to the control room. From a landline number whose contact hung up
    no more than 45 s ago, it rejoins that contact instead of starting a new one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ev-0001",
                    "type": "call.offered",
                    "occurred_at": "2026-01-23T21:00:00Z",
                    "call_id": "PBX-000417",
                    "channel": "999",
                    "caller": {"number": "+447700900123", "landline": False},
                }
            ]
        }
    )
    type: Literal["call.offered"]


class CallAnswered(_CallEvent):
    """A handler answered the call (creates the contact first if call.offered has not come)."""

    type: Literal["call.answered"]
    agent: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="The controlroom user name of the handler who answered.",
        examples=["handler"],
    )


class CallDtmf(_CallEvent):
    """The caller pressed keys (on a Silent Solution call, 55 means they need help)."""

    type: Literal["call.dtmf"]
    digits: str = Field(
        pattern=r"^[0-9*#A-D]{1,32}$", description="The keys pressed.", examples=["55"]
    )


class CallEnded(_CallEvent):
    """The caller hung up or the line dropped. A landline's 45-second window starts now."""

    type: Literal["call.ended"]
    reason: str = Field(
        default="",
        max_length=NAME_CHARS,
        description="Why, as the network says.",
        examples=["cleared"],
    )


class CallReconnected(_CallEvent):
    """A landline put down was picked up again on the same call within 45 seconds."""

    type: Literal["call.reconnected"]


class SmsReceived(_Event):
    """An SMS to the emergency service: an AML location message (attached to the sender's
    call) or a message of an emergencySMS conversation."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "ev-0002",
                    "type": "sms.received",
                    "occurred_at": "2026-01-23T21:00:18Z",
                    "from": "+447700900123",
                    "text": 'A"ML=1;lt=+50.72154;lg=-3.53329;rd=8;top=20260123210016;lc=68;'
                    "pm=G;mcc=234;mnc=30;ml=87",
                }
            ]
        },
    )
    type: Literal["sms.received"]
    sender: str = Field(
        alias="from",
        pattern=E164,
        description="The sender's number in E.164.",
        examples=["+447700900123"],
    )
    text: str = Field(
        min_length=1, max_length=MAX_SMS_CHARS, description="The message as received."
    )
    channel: Literal["emergency_sms"] | None = Field(
        default=None,
        description="emergency_sms for an emergencySMS message; may be left out (an AML "
        "message is recognised by its text).",
    )


class SmsStatus(_Event):
    """The gateway's delivery report for an SMS reply (a command read from
    GET /api/telephony/commands)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ev-0003",
                    "type": "sms.status",
                    "occurred_at": "2026-01-23T21:02:31Z",
                    "command_id": "SMS-20260123-4f1a2b3c4d5e",
                    "status": "delivered",
                }
            ]
        }
    )
    type: Literal["sms.status"]
    command_id: str = Field(
        pattern=r"^SMS-[0-9]{8}-[0-9a-f]{12}$",
        description="The id of the command that sent the reply.",
        examples=["SMS-20260123-4f1a2b3c4d5e"],
    )
    status: Literal["sent", "delivered", "failed"] = Field(
        description="sent (the gateway handed it to the network), delivered (the phone has "
        "it) or failed."
    )
    reason: str = Field(
        default="",
        max_length=NAME_CHARS,
        description="Why it failed, as the gateway says.",
        examples=["absent subscriber"],
    )


TelephonyEventIn = Annotated[
    CallOffered | CallAnswered | CallDtmf | CallEnded | CallReconnected | SmsReceived | SmsStatus,
    Field(discriminator="type"),
]


class TelephonyAnswer(BaseModel):
    """What an event did; the same answer again for the same event."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "ev-0001",
                    "type": "call.offered",
                    "result": "created",
                    "message": "contact offered",
                    "contact_id": "C-20260123-3f9c0a1b2c",
                    "state": "offered",
                    "procedure": "emergency",
                    "digest": "9f1c0e…",
                }
            ]
        }
    )

    event_id: str = Field(description="The event's id.")
    type: str = Field(description="The event's type.")
    result: str = Field(
        description="created, applied, reconnected, recorded, attached, pending, unchanged or "
        "unmatched (see docs/telephony.md)."
    )
    message: str = Field(description="What happened, in words.")
    contact_id: str | None = Field(description="The contact concerned, if any.")
    state: str | None = Field(description="The contact's state afterwards.")
    procedure: str | None = Field(description="The contact's procedure afterwards.")
    digest: str = Field(description="SHA-256 of the event as understood: what 'the same' means.")
