"""The supervisor's view: figures that change as calls are handled, filters, CSV, approvals."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.console_support import act, add_users, csrf_of, offer_call, sign_in


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "sam")
        yield client


@pytest.fixture
def telephony(token_for: Callable[[str], str]) -> str:
    return token_for("integration")


def figure(page: str, name: str) -> str:
    found = re.search(rf'id="fig-{name}">([^<]*)<', page)
    assert found is not None, name
    return found.group(1).strip()


def test_figures_follow_the_calls(browser: TestClient, telephony: str) -> None:
    empty = browser.get("/console/supervisor").text
    assert figure(empty, "waiting") == "0"
    assert figure(empty, "within") == "—"
    slow = offer_call(browser, telephony, number="+447700900301", ago=30)
    fast = offer_call(browser, telephony, number="+447700900302", ago=2)
    waiting = browser.get("/console/supervisor").text
    assert figure(waiting, "waiting") == "2"
    csrf = csrf_of(browser, "/console/supervisor")
    for contact in (slow, fast):
        act(browser, contact, csrf, action="answer")
    page = browser.get("/console/supervisor").text
    assert figure(page, "waiting") == "0"
    assert figure(page, "within") == "50.0%"  # one in 2 s, one after 30 s
    assert figure(page, "offered") == "2"
    assert "<svg" in page and "10 s target" in page


def test_genuine_and_inappropriate_calls_are_counted(browser: TestClient, telephony: str) -> None:
    csrf = csrf_of(browser, "/console/supervisor")
    real = offer_call(browser, telephony, number="+447700900311")
    act(browser, real, csrf, action="answer")
    act(browser, real, csrf, action="update_narrative", text="Someone is breaking in right now")
    act(browser, real, csrf, action="assess", grade="immediate")
    act(browser, real, csrf, action="log_incident", grade="immediate")
    noise = offer_call(browser, telephony, number="+447700900312")
    act(browser, noise, csrf, action="answer")
    act(browser, noise, csrf, action="update_narrative", text="My neighbour's music is too loud")
    act(browser, noise, csrf, action="assess", grade="resolution_without_deployment")
    act(browser, noise, csrf, action="advise", to="101")
    page = browser.get("/console/supervisor").text
    assert figure(page, "genuine") == "50%"
    assert figure(page, "inappropriate") == "1"
    assert "not a police matter" in page or "another agency" in page


def test_the_channel_filter_narrows_the_figures(browser: TestClient, telephony: str) -> None:
    offer_call(browser, telephony, channel="999", number="+447700900321")
    offer_call(browser, telephony, channel="101", number="+447700900322")
    assert figure(browser.get("/console/supervisor").text, "offered") == "2"
    assert figure(browser.get("/console/supervisor?channel=101").text, "offered") == "1"


def test_bad_filters_are_a_clear_message(browser: TestClient) -> None:
    answer = browser.get("/console/supervisor?from=yesterday")
    assert answer.status_code == 400
    assert "YYYY-MM-DD" in answer.text
    answer = browser.get("/console/supervisor?channel=carrier-pigeon")
    assert answer.status_code == 400


def test_csv_export_has_a_row_per_hour(browser: TestClient, telephony: str) -> None:
    offer_call(browser, telephony)
    answer = browser.get("/console/supervisor/figures.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert 23 <= len(rows) <= 25  # one local day, clock changes included
    assert sum(int(row["999"]) for row in rows) == 1
    assert sum(int(row["calls_999"]) for row in rows) == 1


def test_the_figures_fragment_is_the_same_figures(browser: TestClient, telephony: str) -> None:
    offer_call(browser, telephony)
    fragment = browser.get("/console/supervisor/figures").text
    assert figure(fragment, "waiting") == "1"
    assert "<html" not in fragment


def _case_waiting_for_approval(app: FastAPI) -> str:
    from datetime import UTC, datetime

    from controlroom.domain.access import Principal
    from controlroom.domain.nuisance import Propose, Record
    from controlroom.services.nuisance import do_case_action, do_open_case

    handler = Principal("hana", "call_handler")
    now = datetime.now(UTC)
    policy, config = app.state.policy, app.state.nuisance
    view = do_open_case(
        app.state.uow_factory,
        handler,
        number="+447700900399",
        imei=None,
        reason="hoax calls",
        now=now,
        policy=policy,
        config=config,
    )
    for command in (
        Record(step="advice", note="advised at each call"),
        Propose(step="warning_letter", reason="hoax calls after advice"),
    ):
        do_case_action(app.state.uow_factory, handler, view.case.id, command, now, policy, config)
    return view.case.id


def test_a_supervisor_approves_a_ladder_step(browser: TestClient, app: FastAPI) -> None:
    case_id = _case_waiting_for_approval(app)
    page = browser.get("/console/supervisor").text
    assert "Waiting for a supervisor" in page and case_id in page
    csrf = csrf_of(browser, "/console/supervisor")
    answer = browser.post(
        f"/console/nuisance/{case_id}/approve",
        data={"csrf": csrf, "note": "letter approved"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert case_id not in browser.get("/console/supervisor").text.split("Nuisance cases")[1]
    with app.state.uow_factory(read_only=True) as uow:
        tags = [entry.tag for entry in uow.audit.tail(20, subject=f"nuisance_case:{case_id}")]
    assert any(tag.endswith("approve") for tag in tags), tags


def test_approval_needs_the_csrf_token(browser: TestClient, app: FastAPI) -> None:
    case_id = _case_waiting_for_approval(app)
    answer = browser.post(f"/console/nuisance/{case_id}/approve", data={"csrf": "forged"})
    assert answer.status_code == 400
    assert "Waiting for a supervisor" in browser.get("/console/supervisor").text
