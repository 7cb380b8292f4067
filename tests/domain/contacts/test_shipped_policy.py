"""The shipped DCP-P-042 policy has everything the procedures cite and read out."""

from __future__ import annotations

import pytest

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.contacts import (
    PROCEDURES,
    ActionKind,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    FlagVulnerability,
    ScriptPrompted,
    Terminate,
    Transfer,
    TransferDestination,
    Warn,
)
from controlroom.domain.contacts.concerns import CONSIDERATIONS
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import SUPERVISOR, Clock, considerations, new_contact

GUARD_CITATIONS = {
    "inappropriate.definition",
    "inappropriate.logging",
    "inappropriate.considerations",
    "inappropriate.advise",
    "inappropriate.no-transfer",
    "inappropriate.warn",
    "silent.landline",
    *(citation for _, _, _, citation in CONSIDERATIONS),
}


@pytest.fixture(scope="module")
def shipped() -> Policy:
    """The seed force's policy file."""
    return load_policy("dcp-p-042")


def test_every_citation_and_script_the_procedures_use_is_defined(shipped: Policy) -> None:
    keys = set(GUARD_CITATIONS)
    scripts: set[str] = set()
    for procedure in PROCEDURES.values():
        keys.add(procedure.citation)
        keys.update(procedure.refusal_citations.values())
        keys.update(procedure.channel_citations.values())
        scripts.update(procedure.scripts.values())
        scripts.update(procedure.channel_scripts.values())
    for key in keys:
        assert shipped.cite(key) in shipped.paragraphs
    assert scripts <= set(shipped.scripts)


def test_the_seed_policy_numbers_the_4_12_refusals(shipped: Policy) -> None:
    clock = Clock()
    contact = new_contact(shipped, clock, Channel.NINE_NINE_NINE)
    contact.apply(Answer(), actor=SUPERVISOR, now=clock.tick(), policy=shipped)
    contact.apply(
        Assess(grade="resolution_without_deployment"),
        actor=SUPERVISOR,
        now=clock.tick(),
        policy=shipped,
    )
    events = contact.apply(
        Advise(AdviceKind.CALL_101), actor=SUPERVISOR, now=clock.tick(), policy=shipped
    )
    script = next(e for e in events if isinstance(e, ScriptPrompted))
    assert script.paragraph == "4.12.4" and "101" in script.text

    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            Transfer(TransferDestination.POLICE_101),
            actor=SUPERVISOR,
            now=clock.tick(),
            policy=shipped,
        )
    assert caught.value.paragraph == "4.12.4"
    assert "DCP-P-042 4.12.4" in caught.value.message

    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=SUPERVISOR, now=clock.tick(), policy=shipped)
    assert caught.value.paragraph == "4.12.5"

    contact.apply(Warn(), actor=SUPERVISOR, now=clock.tick(), policy=shipped)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=SUPERVISOR, now=clock.tick(), policy=shipped)
    assert caught.value.paragraph == "4.12.3"

    contact.apply(considerations(), actor=SUPERVISOR, now=clock.tick(), policy=shipped)
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.CHILD),
        actor=SUPERVISOR,
        now=clock.tick(),
        policy=shipped,
    )
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=SUPERVISOR, now=clock.tick(), policy=shipped)
    assert caught.value.paragraph == "4.12.3(c)"
    assert ActionKind.TERMINATE in contact.blocked_actions(shipped)
