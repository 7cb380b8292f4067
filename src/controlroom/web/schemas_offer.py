"""The body of ``POST /api/contacts``: a contact created by hand."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from controlroom.domain.contacts import AgeBand
from controlroom.domain.triage import Channel
from controlroom.web.schemas_common import NAME_CHARS, InputModel
from controlroom.web.schemas_contacts import E164, Narrative

Name = Annotated[str, Field(max_length=NAME_CHARS, description="At most 200 characters.")]


class OfferCallerIn(InputModel):
    """Who made contact, as the handler records it."""

    model_config = ConfigDict(extra="ignore")  # as before: fields it does not know are left

    number: str | None = Field(
        default=None,
        pattern=E164,
        description="E.164 number, if known.",
        examples=["+447700900123"],
    )
    name: Name = Field(default="", description="Name, if known (at most 200 characters).")
    age_band: AgeBand | None = Field(default=None, description="child, adult or older_person.")


class OfferIn(InputModel):
    """A contact created by hand: an online report, a live chat, a call logged by a handler."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "online_report",
                    "caller": {"name": "Priya Shah"},
                    "narrative": "Someone scratched my car in the car park yesterday",
                }
            ]
        },
    )
    channel: Channel = Field(description="How the contact came in.")
    caller: OfferCallerIn = Field(description="Who made contact: number (E.164) and/or name.")
    narrative: Narrative = Field(default="", description="What they said; triage reads it.")
