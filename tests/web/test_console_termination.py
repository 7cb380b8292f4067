"""The console's 4.12.3 safeguards in-process: the yes/no form, a refused "no", the request on
the supervisor's page (persisted: a second application on the same database shows it), the
decision from there, and a handler refused the supervisor's part."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.app import create_app
from tests.web.console_support import act, add_users, csrf_of, offer_call, sign_in

ANSWERS = {
    "action": "record_considerations",
    "seriousness": "asks when the shop closes",
    "serious": "no",
    "condition": "very upset",
    "condition_concern": "yes",
    "age_vulnerability": "(c) child aged 12",
    "vulnerable": "yes",
}


@pytest.fixture
def clients(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    add_users(app)
    with (
        TestClient(app, raise_server_exceptions=False) as handler,
        TestClient(app, raise_server_exceptions=False) as supervisor,
    ):
        sign_in(handler, "hana")
        sign_in(supervisor, "sam")
        yield handler, supervisor


def warned(handler: TestClient, token: str) -> tuple[str, str]:
    contact = offer_call(handler, token)
    csrf = csrf_of(handler)
    for fields in (
        {"action": "answer"},
        {"action": "assess", "grade": "resolution_without_deployment"},
        {"action": "advise", "to": "101"},
        {"action": "warn"},
    ):
        assert act(handler, contact, csrf, **fields).status_code == 303
    return contact, csrf


def test_the_request_reaches_the_supervisor_and_the_decision_comes_back(
    clients: tuple[TestClient, TestClient], token_for: Callable[[str], str]
) -> None:
    handler, supervisor = clients
    contact, csrf = warned(handler, token_for("integration"))
    page = handler.get(f"/console/handler/{contact}").text
    assert 'id="f-c-c-yes"' in page and 'id="f-c-c-no"' in page
    missing = act(handler, contact, csrf, **{k: v for k, v in ANSWERS.items() if k != "serious"})
    assert missing.status_code == 400 and "serious" in missing.text

    assert act(handler, contact, csrf, **ANSWERS).status_code == 303
    page = handler.get(f"/console/handler/{contact}").text
    assert 'data-blocked="terminate"' in page and 'data-action="terminate"' not in page
    assert 'data-approval="needed"' in page
    assert 'id="f-c-c-no" name="vulnerable" value="no" disabled' in page  # a yes stands
    cleared = act(handler, contact, csrf, **(ANSWERS | {"vulnerable": "no"}))
    assert cleared.status_code == 409 and "cannot be answered no" in cleared.text

    assert act(handler, contact, csrf, action="request_approval", note="alone").status_code == 303
    room = supervisor.get("/console/supervisor").text
    assert f'data-contact="{contact}"' in room and "child aged 12" in room
    assert handler.get("/console/supervisor").status_code == 403  # not a handler's page
    refused = act(handler, contact, csrf, action="approve_termination", reason="fine")
    assert refused.status_code == 403

    decided = act(
        supervisor,
        contact,
        csrf_of(supervisor, "/console/supervisor"),
        action="approve_termination",
        reason="mother reached; she is safe",
        **{"return": "supervisor"},
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == "/console/supervisor#approvals"
    room = supervisor.get("/console/supervisor/figures").text
    assert f'data-contact="{contact}"' not in room
    page = handler.get(f"/console/handler/{contact}").text
    assert "mother reached; she is safe" in page and 'data-action="terminate"' in page
    assert act(handler, contact, csrf, action="terminate").status_code == 303


def test_a_waiting_request_is_stored_not_held_in_memory(
    clients: tuple[TestClient, TestClient],
    token_for: Callable[[str], str],
    settings: Settings,
    policy: Policy,
) -> None:
    handler, _ = clients
    contact, csrf = warned(handler, token_for("integration"))
    act(handler, contact, csrf, **ANSWERS)
    act(handler, contact, csrf, action="request_approval")
    # another instance on the same database (or this one restarted)
    other = create_app(
        settings, policy=policy, uow_factory=uow_factory(settings, migrate_first=False)
    )
    with TestClient(other, raise_server_exceptions=False) as supervisor:
        sign_in(supervisor, "sam")
        assert f'data-contact="{contact}"' in supervisor.get("/console/supervisor/figures").text
