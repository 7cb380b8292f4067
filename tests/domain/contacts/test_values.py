"""Values and actions check their own shape."""

from __future__ import annotations

from datetime import datetime

import pytest

from controlroom.domain.contacts import (
    ActionKind,
    Actor,
    AddNote,
    AgeBand,
    Assess,
    Caller,
    Contact,
    FlagVulnerability,
    LocationEvidence,
    ProcedureName,
    RecordConsiderations,
    Role,
    Transfer,
    UpdateCaller,
    procedure_for,
)
from controlroom.domain.contacts.actions import ACTION_TYPES
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import START, SYSTEM, Clock


@pytest.mark.parametrize("number", ["+441632960001", "+12025550123", "+4930123"])
def test_e164_numbers_are_accepted(number: str) -> None:
    assert Caller(number).number == number


@pytest.mark.parametrize(
    "number",
    ["01632 960001", "441632960001", "+0441632960001", "+44 1632 960001", "+1234567890123456", ""],
)
def test_numbers_not_in_e164_shape_are_refused(number: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Caller(number)
    assert caught.value.field == "number"


def test_caller_checks() -> None:
    assert Caller().number is None
    with pytest.raises(InvalidInput):
        Caller("+441632960001", name="bad\x00name")
    with pytest.raises(InvalidInput):
        Caller(age_band="teen")  # type: ignore[arg-type]
    assert AgeBand.CHILD.flag is VulnerabilityFlag.CHILD
    assert AgeBand.ADULT.flag is None


def test_actor_checks() -> None:
    assert Actor("x", "supervisor").role is Role.SUPERVISOR  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Actor("x", "chief")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Actor(" ", Role.CALL_HANDLER)


def test_action_checks() -> None:
    with pytest.raises(InvalidInput):
        AddNote("   ")
    with pytest.raises(InvalidInput):
        AddNote("x" * 131_073)
    with pytest.raises(InvalidInput):
        Assess(grade="")
    with pytest.raises(InvalidInput):
        RecordConsiderations("serious", "", "adult", False, False, False)
    with pytest.raises(InvalidInput):
        RecordConsiderations("a", "b", "c", False, False, True, flags=("child",))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        FlagVulnerability("sad")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Transfer("101")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        UpdateCaller()
    with pytest.raises(InvalidInput):
        LocationEvidence("aml", datetime(2026, 1, 1))


def test_every_action_kind_but_offer_has_a_class() -> None:
    older = {ActionKind.OFFER, ActionKind.OVERRIDE_VULNERABILITY}  # stored history only
    assert {cls.kind for cls in ACTION_TYPES} == set(ActionKind) - older


@pytest.mark.parametrize(
    ("channel", "procedure"),
    [
        (Channel.NINE_NINE_NINE, ProcedureName.EMERGENCY),
        (Channel.BSL_999, ProcedureName.EMERGENCY),
        (Channel.RELAY_UK_18000, ProcedureName.EMERGENCY),
        (Channel.EMERGENCY_SMS, ProcedureName.EMERGENCY),
        (Channel.SILENT_SOLUTION_55, ProcedureName.SILENT),
        (Channel.LANDLINE_OPEN_LINE, ProcedureName.SILENT),
        (Channel.ONE_ZERO_ONE, ProcedureName.NON_EMERGENCY),
        (Channel.ONLINE_REPORT, ProcedureName.NON_EMERGENCY),
        (Channel.LIVE_CHAT, ProcedureName.NON_EMERGENCY),
    ],
)
def test_each_channel_starts_in_its_procedure(
    channel: Channel, procedure: ProcedureName, policy: Policy
) -> None:
    assert procedure_for(channel) is procedure
    contact, events = Contact.offer(
        contact_id="C-1", channel=channel, caller=Caller(), actor=SYSTEM, now=START, policy=policy
    )
    assert contact.procedure is procedure
    assert contact.record.landline is (channel is Channel.LANDLINE_OPEN_LINE)
    assert [e.action for e in events] == [ActionKind.OFFER]


def test_offer_checks(policy: Policy, clock: Clock) -> None:
    def offer(**overrides: object) -> Contact:
        arguments: dict[str, object] = {
            "contact_id": "C-1",
            "channel": Channel.NINE_NINE_NINE,
            "caller": Caller(),
            "actor": SYSTEM,
            "now": clock.tick(),
            "policy": policy,
        }
        arguments.update(overrides)
        return Contact.offer(**arguments)[0]  # type: ignore[arg-type]

    assert offer(landline=True).record.landline
    assert offer(narrative="My neighbour's shed is on fire").record.narrative
    for bad in (
        {"contact_id": ""},
        {"contact_id": "has space"},
        {"channel": "999"},
        {"caller": "+441632960001"},
        {"actor": "me"},
        {"now": datetime(2026, 1, 1)},
        {"channel": Channel.ONLINE_REPORT, "landline": True},
        {"narrative": "\x07"},
    ):
        with pytest.raises(InvalidInput):
            offer(**bad)
