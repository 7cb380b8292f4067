"""The handler's queue: "Mine" by default, the room's view chosen without the script, and the
ended contact's wrap-up row, all rendered by the server (issue #17 item 3)."""

from __future__ import annotations

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
        sign_in(client, "hana")
        yield client


@pytest.fixture
def telephony(token_for: Callable[[str], str]) -> str:
    return token_for("integration")


def working_row(page: str, contact: str) -> str:
    found = re.search(rf'<li class="([^"]*)" data-id="{contact}"[^>]*>', page)
    assert found is not None, f"no row for {contact}"
    return found.group(0)


def test_mine_by_default_and_the_room_one_form_away(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony)
    assert act(browser, contact, csrf_of(browser), action="answer").status_code == 303
    page = browser.get("/console/handler").text
    assert 'data-view="mine"' in page and 'data-me="hana"' in page
    assert 'Being worked · <span id="queue-view-name">mine</span>' in page
    row = working_row(page, contact)
    assert " mine" in row and 'data-handler="hana"' in row
    assert 'id="count-working">1<' in page

    switched = browser.get(
        "/console/queue/view", params={"view": "room", "contact": contact}, follow_redirects=False
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/console/handler/{contact}"
    cookie = switched.headers["set-cookie"]
    assert "cr_queue_view=room" in cookie and "Path=/console" in cookie
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()  # the session
    page = browser.get("/console/handler").text
    assert 'data-view="room"' in page and ">whole room<" in page


def test_the_view_form_returns_only_to_a_contact_page(browser: TestClient) -> None:
    for back in ("//evil.example", "../../api", "x" * 80):
        answer = browser.get(
            "/console/queue/view", params={"view": "mine", "contact": back}, follow_redirects=False
        )
        assert answer.headers["location"] == "/console/handler"


def test_an_ended_call_shows_as_its_handlers_wrap_up(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony)
    token = csrf_of(browser)
    for fields in (
        {"action": "answer"},
        {"action": "update_narrative", "text": "Someone is breaking in right now"},
        {"action": "assess", "grade": "immediate"},
        {"action": "log_incident", "grade": "immediate"},
        {"action": "close"},
    ):
        assert act(browser, contact, token, **fields).status_code == 303, fields
    page = browser.get(f"/console/handler/{contact}").text
    row = working_row(page, contact)
    assert "wrapup" in row and "data-wrapup-until=" in row
    assert 'id="wrapup-done"' in page and "Finish wrap-up" in page
