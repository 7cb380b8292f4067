"""The answer of ``GET /api/figures``, documented for OpenAPI (docs/api.md)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ServiceLevelOut(BaseModel):
    """One line's calls against its answer target."""

    line: str = Field(description="999 (every route into 999) or 101.", examples=["101"])
    target_seconds: int = Field(description="Answered in less than this many seconds.")
    standard_percent: int = Field(description="The share of answered calls that should be.")
    calls: int = Field(description="Calls offered in the period.")
    answered: int = Field(description="Of them, answered.")
    abandoned: int = Field(description="Of them, abandoned before being answered.")
    within_target: int = Field(description="Answered within the target.")
    share: float | None = Field(description="within_target / answered; null before any.")
    meets_standard: bool | None = Field(description="share >= the standard; null before any.")


class InappropriateOut(BaseModel):
    """A handler's inappropriate 999 calls (§4.12), each under every step it reached."""

    calls: int = Field(description="Calls handed to the §4.12 procedure.")
    advised: int = Field(description="Advised where to go instead (4.12.4).")
    warned: int = Field(description="Warned the call would be terminated (4.12.5).")
    terminated: int = Field(description="Terminated (4.12.5).")
    logged: int = Field(description="An incident logged on it (4.12.2).")


class HandlerOut(BaseModel):
    """One handler's contacts in the period (the contacts they answered)."""

    handler: str = Field(description="The user name of the handler who answered.")
    contacts: int = Field(description="Contacts they answered.")
    median_answer_seconds: float | None = Field(
        description="Median answer time of their calls and chats; null before any."
    )
    p90_answer_seconds: float | None = Field(
        description="90th percentile (nearest rank) of the same; null before any."
    )
    inappropriate_999: InappropriateOut


class FiguresOut(BaseModel):
    """The period's figures: the 999 and 101 service levels and each handler's figures."""

    from_: date = Field(alias="from", description="First force-local day of the period.")
    to: date = Field(description="Last force-local day of the period (inclusive).")
    channel: str | None = Field(description="The one channel counted, or null for all.")
    time_zone: str = Field(description="The force's time zone the days are in.")
    start: datetime = Field(description="The period's first instant (UTC).")
    end: datetime = Field(description="Just after its last instant (UTC).")
    contacts: int = Field(description="Contacts offered in the period.")
    by_channel: dict[str, int] = Field(description="Contacts offered, per channel.")
    service_levels: list[ServiceLevelOut] = Field(description="999 first, then 101.")
    genuine_999: int = Field(description="999 calls that were genuine emergencies.")
    inappropriate_999: int = Field(description="999 calls handed to the §4.12 procedure.")
    handlers: list[HandlerOut] = Field(description="Each handler who answered, by user name.")
    truncated: bool = Field(description="True when only the first 50,000 contacts counted.")
    damaged: list[str] = Field(description="Contacts whose stored record cannot be read.")
