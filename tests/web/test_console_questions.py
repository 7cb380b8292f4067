"""The console's §4.11.1 questions, as served: when they show, the answer forms, what an answer
records, and a reader's view (the keys themselves: tests/browser/test_questions_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.console_support import act, add_users, csrf_of, offer_call, sign_in
from tests.web.test_console_handler import audit

UNREADABLE = "Please can someone ring me back about what happened with Gary."


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "hana")
        yield client


@pytest.fixture
def telephony(token_for: Callable[[str], str]) -> str:
    return token_for("integration")


def _questions(page: str) -> str:
    found = re.search(r'<div class="questions".*?</ol>', page, re.S)
    return found.group(0) if found else ""


def test_an_open_999_call_shows_the_four_questions_with_their_keys(
    browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    panel = _questions(browser.get(f"/console/handler/{contact}").text)
    assert re.findall(r'data-question="(\w+)"', panel) == [
        "danger",
        "now",
        "offender",
        "weapon",
    ]
    assert "Is there a weapon" in panel and "<kbd>q</kbd>" in panel
    assert panel.count('aria-pressed="false"') == 12 and 'aria-pressed="true"' not in panel
    for key in ("y", "n", "u"):
        assert f'data-key="{key}"' in panel
    assert 'role="status"' in panel


def test_a_recognised_101_call_shows_no_questions(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony, channel="101")
    act(browser, contact, csrf_of(browser), action="update_narrative", text="My bike was stolen")
    assert _questions(browser.get(f"/console/handler/{contact}").text) == ""


def test_an_unrecognised_101_call_asks_them(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony, channel="101")
    act(browser, contact, csrf_of(browser), action="update_narrative", text=UNREADABLE)
    assert 'data-question="weapon"' in _questions(browser.get(f"/console/handler/{contact}").text)


def test_an_answer_is_recorded_cited_and_the_next_question_comes_up(
    app: FastAPI, browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    act(browser, contact, csrf, action="update_narrative", text=UNREADABLE)
    posted = act(browser, contact, csrf, action="record_answers", offender="yes")
    assert posted.status_code == 303
    assert posted.headers["location"].startswith(f"/console/handler/{contact}?done=record_answers")
    assert ("hana", "contact:procedure:record_answers") in audit(app, contact)

    page = browser.get(posted.headers["location"]).text
    panel = _questions(page)
    assert 'data-current="weapon"' in panel and 'data-focus="true"' in panel
    assert 'data-question="offender" data-answer="yes"' in panel
    assert "Triage cites “handler: offender there or nearby — yes” (hana," in panel
    assert (
        "Recorded handler: offender there or nearby — yes. Triage now suggests emergency." in page
    )
    assert 'class="route" data-route="emergency"' in page


def test_a_bad_answer_is_a_clear_message_and_changes_nothing(
    app: FastAPI, browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    refused = act(browser, contact, csrf_of(browser), action="record_answers", weapon="maybe")
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text and "weapon" in refused.text
    assert "Traceback" not in refused.text
    assert all(tag != "contact:procedure:record_answers" for _, tag in audit(app, contact))


def test_an_auditor_sees_the_answers_but_no_buttons(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony)
    act(browser, contact, csrf_of(browser), action="record_answers", danger="no")
    sign_in(browser, "ada")
    panel = _questions(browser.get(f"/console/handler/{contact}").text)
    assert 'data-question="danger" data-answer="no"' in panel
    assert "<button" not in panel and '<strong class="answer-read">No</strong>' in panel
