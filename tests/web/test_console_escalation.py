"""The console's alarm for escalated written contacts, in process: a handler marks a waiting
online report as an emergency; it leads the Waiting list and the alarm on the handler's and the
supervisor's pages until someone answers it; a bad or refused mark says why and changes
nothing. (What a person sees and hears, live: tests/browser/test_escalation_browser.py.)"""

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


def online_report(client: TestClient, token: str, narrative: str) -> str:
    answer = client.post(
        "/api/contacts",
        json={"channel": "online_report", "caller": {"name": "Priya"}, "narrative": narrative},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def tags(app: FastAPI, contact_id: str) -> list[str]:
    with app.state.uow_factory(read_only=True) as uow:
        return [entry.tag for entry in uow.audit.tail(100, subject=f"contact:{contact_id}")]


def alarm(page: str) -> str:
    found = re.search(r'<section id="alarm".*?</section>', page, re.S)
    assert found is not None
    return found.group(0)


def test_a_handler_marks_a_report_and_it_is_an_alarm_until_answered(
    browser: TestClient, token_for: Callable[[str], str], app: FastAPI
) -> None:
    call = offer_call(browser, token_for("integration"), number="+447700900301", ago=30)
    report = online_report(browser, token_for("call_handler"), "There is a man in my garden")
    page = browser.get(f"/console/handler/{report}").text
    assert 'data-action="escalate"' in page and "Mark as emergency" in page
    assert " hidden>" in alarm(page).split("\n", 1)[0]

    csrf = csrf_of(browser)
    answer = act(browser, report, csrf, action="escalate", reason="he is trying the back door")
    assert answer.status_code == 303
    assert tags(app, report)[-1] == "contact:procedure:escalate"

    page = browser.get("/console/handler").text
    shown = alarm(page)
    assert " hidden" not in shown.split("\n", 1)[0]
    assert f'data-id="{report}"' in shown and "he is trying the back door" in shown
    assert "marked by a person" in shown and 'data-realert="">' not in shown
    waiting = page[page.index('id="queue-waiting"') :]
    assert waiting.index(report) < waiting.index(call)  # ahead even of the 999 call
    assert "qrow p0 escalated" in page and ">EMERGENCY</span>" in page
    assert 'data-action="escalate"' not in browser.get(f"/console/handler/{report}").text

    sign_in(browser, "sam")
    supervisor = alarm(browser.get("/console/supervisor").text)
    assert f'data-id="{report}"' in supervisor and 'data-realert="cue"' in supervisor
    sign_in(browser, "hana")
    assert act(browser, report, csrf_of(browser), action="answer").status_code == 303
    fragment = alarm(browser.get("/console/alarms").text)
    assert report not in fragment and " hidden>" in fragment.split("\n", 1)[0]


def test_a_mark_without_a_reason_or_on_a_call_is_refused_with_the_reason(
    browser: TestClient, token_for: Callable[[str], str], app: FastAPI
) -> None:
    report = online_report(browser, token_for("call_handler"), "My shed was broken into")
    csrf = csrf_of(browser)
    empty = act(browser, report, csrf, action="escalate", reason="")
    assert empty.status_code == 400 and "reason" in empty.text
    assert "contact:procedure:escalate" not in tags(app, report)
    call = offer_call(browser, token_for("integration"), channel="101")
    refused = act(browser, call, csrf, action="escalate", reason="sounds serious")
    assert refused.status_code == 409
    assert "only an online report or a live chat is marked as an emergency" in refused.text
    assert "contact:procedure:escalate" not in tags(app, call)


def test_the_alarm_is_for_people_who_may_read_contacts(app: FastAPI) -> None:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/console/alarms", follow_redirects=False).status_code in (303, 401)
        sign_in(client, "root")
        assert client.get("/console/alarms", follow_redirects=False).status_code == 403
