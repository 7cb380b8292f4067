"""The handler's view: the queue, one contact, and actions through the same services and audit
as the API."""

from __future__ import annotations

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


def audit(app: FastAPI, contact_id: str) -> list[tuple[str, str]]:
    with app.state.uow_factory(read_only=True) as uow:
        entries = uow.audit.tail(100, subject=f"contact:{contact_id}")
    return [(entry.actor, entry.tag) for entry in entries]


def test_the_queue_puts_999_before_older_101_calls(browser: TestClient, telephony: str) -> None:
    older_101 = offer_call(browser, telephony, channel="101", number="+447700900201", ago=60)
    newer_999 = offer_call(browser, telephony, channel="999", number="+447700900202", ago=5)
    page = browser.get("/console/handler").text
    assert page.index(newer_999) < page.index(older_101)
    assert 'id="count-waiting">2<' in page


def test_answering_from_the_console_is_the_same_audited_action_as_the_api(
    browser: TestClient, telephony: str, app: FastAPI
) -> None:
    contact = offer_call(browser, telephony)
    answer = act(browser, contact, csrf_of(browser), action="answer")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/console/handler/{contact}?done=answer")
    assert ("hana", "contact:procedure:answer") in audit(app, contact)
    page = browser.get(f"/console/handler/{contact}").text
    assert 'data-state="answered"' in page


def test_an_action_without_the_csrf_token_changes_nothing(
    browser: TestClient, telephony: str, app: FastAPI
) -> None:
    contact = offer_call(browser, telephony)
    answer = act(browser, contact, "forged", action="answer")
    assert answer.status_code == 400
    assert all(tag != "contact:procedure:answer" for _, tag in audit(app, contact))


def test_the_inappropriate_999_procedure_from_advice_to_termination(
    browser: TestClient, telephony: str, app: FastAPI
) -> None:
    contact = offer_call(browser, telephony)
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    words = "My neighbour's music is too loud and I can't sleep"
    act(browser, contact, csrf, action="update_narrative", text=words)
    graded = act(browser, contact, csrf, action="assess", grade="resolution_without_deployment")
    assert graded.status_code == 303
    refused = act(browser, contact, csrf, action="transfer", to="101")
    assert refused.status_code == 409
    assert "4.12.4" in refused.text and 'id="refusal"' in refused.text
    page = browser.get(f"/console/handler/{contact}").text
    assert "The correct number to ring is 101" in page  # the advise script, before advising
    considered = act(
        browser,
        contact,
        csrf,
        action="record_considerations",
        seriousness="noise, nothing in progress",
        serious="no",
        condition="calm",
        condition_concern="no",
        age_vulnerability="adult, none apparent",
        vulnerable="no",
    )
    assert considered.status_code == 303
    assert act(browser, contact, csrf, action="advise", to="101").status_code == 303
    warned = act(browser, contact, csrf, action="warn")
    read = browser.get(warned.headers["location"]).text
    assert "Read now" in read and "it is our intention to terminate this call" in read
    assert act(browser, contact, csrf, action="terminate").status_code == 303
    page = browser.get(f"/console/handler/{contact}").text
    assert 'data-state="terminated"' in page
    tags = [tag for _, tag in audit(app, contact)]
    assert tags[-3:] == [
        "contact:procedure:advise",
        "contact:procedure:warn",
        "contact:procedure:terminate",
    ]


def test_termination_without_a_warning_is_not_offered_and_says_why(
    browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    act(browser, contact, csrf, action="update_narrative", text="My neighbour's music is loud")
    act(browser, contact, csrf, action="assess", grade="resolution_without_deployment")
    act(browser, contact, csrf, action="advise", to="101")
    refused = act(browser, contact, csrf, action="terminate")
    assert refused.status_code == 409
    page = browser.get(f"/console/handler/{contact}").text
    assert 'data-action="terminate"' not in page
    assert 'data-action="warn"' in page


def test_triage_evidence_is_highlighted_and_the_words_are_escaped(
    browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    words = "Someone is breaking into my house right now <script>alert(1)</script>"
    act(browser, contact, csrf, action="update_narrative", text=words)
    page = browser.get(f"/console/handler/{contact}").text
    assert "breaking into</mark>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_grade_that_differs_from_triage_needs_a_reason(
    browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    act(browser, contact, csrf, action="update_narrative", text="Someone is breaking in right now")
    refused = act(browser, contact, csrf, action="assess", grade="scheduled")
    assert refused.status_code in (400, 409)
    assert 'role="alert"' in refused.text
    ok = act(browser, contact, csrf, action="assess", grade="scheduled", reason="he has left")
    assert ok.status_code == 303


def test_a_note_is_kept_and_shown(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony)
    act(browser, contact, csrf_of(browser), action="add_note", text="caller sounds frightened")
    assert "caller sounds frightened" in browser.get(f"/console/handler/{contact}").text


def test_bad_form_input_is_a_clear_message(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony)
    answer = act(browser, contact, csrf_of(browser), action="fly_to_the_moon")
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "Traceback" not in answer.text


def test_an_unknown_contact_is_a_404_page(browser: TestClient) -> None:
    answer = browser.get("/console/handler/C-20990101-0000000000")
    assert answer.status_code == 404
    assert "no contact" in answer.text


def test_an_auditor_reads_contacts_but_gets_no_buttons(
    app: FastAPI, browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    sign_in(browser, "ada")
    page = browser.get(f"/console/handler/{contact}")
    assert page.status_code == 200
    assert 'data-action="answer"' not in page.text
    assert act(browser, contact, csrf_of(browser), action="answer").status_code == 403


def test_the_map_reads_the_evidence_through_the_session(
    browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony)
    answer = browser.get(f"/console/contacts/{contact}/location.geojson")
    assert answer.status_code == 200
    assert answer.json()["type"] == "FeatureCollection"


def test_a_callers_name_is_escaped_in_the_queue_and_the_live_rows(
    browser: TestClient, token_for: Callable[[str], str]
) -> None:
    from controlroom.services.console import feed_rows
    from controlroom.web.console.live import _row

    body = {"channel": "online_report", "caller": {"name": "<img src=x onerror=alert(1)>"}}
    made = browser.post(
        "/api/contacts", json=body, headers={"Authorization": f"Bearer {token_for('call_handler')}"}
    )
    contact = made.json()["id"]
    page = browser.get("/console/handler").text
    assert "<img src=x" not in page and "&lt;img src=x" in page
    row = _row(contact, feed_rows(browser.app.state.uow_factory, [contact])[contact])
    assert "<img src=x" not in row["html"] and "&lt;img" in row["html"]


def test_a_silent_call_shows_the_checklist_and_the_prompt(
    browser: TestClient, telephony: str
) -> None:
    contact = offer_call(browser, telephony, channel="silent_solution_55")
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    page = browser.get(f"/console/handler/{contact}").text
    assert "Silent call checklist" in page and "Listen for background noise" in page
    prompted = act(browser, contact, csrf, action="prompt")
    read = browser.get(prompted.headers["location"]).text
    assert "Read now" in read and "Cough, tap the phone" in read


def test_the_caller_and_a_location_can_be_recorded(browser: TestClient, telephony: str) -> None:
    contact = offer_call(browser, telephony)
    csrf = csrf_of(browser)
    act(browser, contact, csrf, action="answer")
    saved = act(browser, contact, csrf, action="update_caller", name="Jo Bloggs", age_band="")
    assert saved.status_code == 303
    placed = act(
        browser,
        contact,
        csrf,
        action="add_location",
        source="coordinates",
        lat="50.37",
        lon="-4.14",
        text="outside the Co-op",
    )
    assert placed.status_code == 303
    said = act(
        browser,
        contact,
        csrf,
        action="add_location",
        source="postcode",
        lat="",
        lon="",
        text="PL1 2AB",
    )
    assert said.status_code == 303
    page = browser.get(f"/console/handler/{contact}").text
    assert "Jo Bloggs" in page and "50.37" in page and "PL1 2AB" in page
    bad = act(browser, contact, csrf, action="add_location", lat="95", lon="0")
    assert bad.status_code == 400 and 'role="alert"' in bad.text
