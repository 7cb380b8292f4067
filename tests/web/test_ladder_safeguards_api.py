"""The ladder's safeguards over HTTP, on each test database, with the shipped policy's rules:
a warning letter refused for a number flagged faulty device and vulnerable person until a
supervisor overrides (and the reason on the letter), then a PECS request refused for want of
new evidence. The override per role is in tests/web/test_access_matrix.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.domain.contacts import ActionKind, Contact, FlagVulnerability, Role
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.services import accounts
from tests.adapters.db.test_nuisance_repositories import EMERGENCY, call
from tests.domain.contacts.helpers import SUPERVISOR
from tests.web.conftest import ADMIN, bearer

NUMBER = "+447700900777"


def flagged_number(app: FastAPI, policy: Policy, number: str = NUMBER) -> None:
    """Six regular silent calls in two hours (a faulty device, high confidence) and two calls
    marked with a mental-health concern (a vulnerable person)."""
    now = datetime.now(UTC)
    contacts: list[Contact] = [
        call(policy, f"C-{number[-3:]}-{n}", now - timedelta(minutes=20 * n), number=number)
        for n in range(6, 0, -1)
    ]
    for n in (1, 2):
        marked = call(
            policy,
            f"C-{number[-3:]}-v{n}",
            now - timedelta(days=n),
            EMERGENCY,
            number=number,
            kinds=(ActionKind.ANSWER,),
        )
        flag = FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH, note="talks of self-harm")
        marked.apply(flag, actor=SUPERVISOR, now=now - timedelta(days=n, minutes=-1), policy=policy)
        contacts.append(marked)
    with app.state.uow_factory() as uow:
        for contact in contacts:
            uow.contacts.add(contact)
        uow.commit()


def clients(app: FastAPI, token_for: Callable[[str], str]) -> dict[str, TestClient]:
    """A call handler, two supervisors and an auditor."""
    factory = app.state.uow_factory
    tokens = {"handler": token_for("call_handler"), "auditor": token_for("auditor")}
    for name in ("sgt-ade", "sgt-bo"):
        accounts.add_user(factory(), ADMIN, name, Role.SUPERVISOR.value)
        tokens[name] = accounts.create_token(factory(), ADMIN, name, "supervisor")[1]
    return {
        who: TestClient(app, raise_server_exceptions=False, headers=bearer(token))
        for who, token in tokens.items()
    }


def act(client: TestClient, case_id: str, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post(f"/api/nuisance/cases/{case_id}/actions", json=body)
    assert response.status_code == status, response.text
    return response.json()


def option(case: dict[str, Any], step: str) -> dict[str, Any]:
    return next(o for o in case["ladder_options"] if o["step"] == step)


def test_a_letter_for_a_flagged_number_waits_for_a_supervisors_override(
    app: FastAPI, token_for: Callable[[str], str], policy: Policy
) -> None:
    flagged_number(app, policy)
    c = clients(app, token_for)
    opened = c["handler"].post("/api/nuisance/cases", json={"number": NUMBER, "reason": "calls"})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    case = act(c["handler"], case_id, {"action": "record", "step": "advice", "note": "advised"})
    letter = option(case, "warning_letter")
    assert letter["action"] == "propose" and not letter["allowed"]
    assert "faulty device (high confidence)" in letter["refusal"]
    assert [s["id"] for s in case["next_steps"]] == ["advice"]

    refused = act(
        c["handler"],
        case_id,
        {"action": "propose", "step": "warning_letter", "reason": "calls continue"},
        409,
    )["error"]
    assert refused["code"] == "policy_violation" and refused["paragraph"] == "4.12.6"
    assert (
        "vulnerable person (mental health) and faulty device (high confidence)"
        in (refused["message"])
    )
    assert "nuisance.safeguards.blocking_flags" in refused["message"]
    assert "override" in refused["hint"]

    override = {"action": "override_vulnerability", "reason": "care team ask us to write"}
    act(c["handler"], case_id, override, 403)
    act(c["auditor"], case_id, override, 403)
    case = act(c["sgt-ade"], case_id, override)
    assert option(case, "warning_letter")["allowed"]
    act(c["handler"], case_id, {"action": "propose", "step": "warning_letter", "reason": "x"})
    act(c["sgt-bo"], case_id, {"action": "approve", "note": "agreed"})
    page = c["handler"].get(f"/api/nuisance/cases/{case_id}/documents/warning_letter.html")
    assert page.status_code == 200, page.text
    assert "Supervisor's override" in page.text
    assert "Supervisor sgt-ade recorded an override" in page.text
    assert "care team ask us to write" in page.text
    case = act(
        c["handler"], case_id, {"action": "record", "step": "warning_letter", "note": "sent"}
    )

    pecs = option(case, "pecs_request")
    assert not pecs["allowed"] and "needs new evidence" in pecs["refusal"]
    refused = act(
        c["handler"], case_id, {"action": "propose", "step": "pecs_request", "reason": "x"}, 409
    )["error"]
    assert "needs new evidence since Warning letter was recorded" in refused["message"]
    assert "1 more call from the caller after it (0 of 1)" in refused["message"]
    assert "at least 168 hours after it" in refused["message"]
    assert c["handler"].get(f"/api/nuisance/cases/{case_id}").json()["state"] == "open"
