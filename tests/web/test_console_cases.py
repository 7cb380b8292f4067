"""The console's nuisance-case page in-process: refused rungs shown disabled with their reason,
the override form for supervisors only, and bad forms answered plainly (never a 500)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.domain.policy import Policy
from tests.web.console_support import USERS, add_users, csrf_of, sign_in
from tests.web.test_ladder_safeguards_api import flagged_number

NUMBER = "+447700900888"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def open_case(client: TestClient) -> str:
    csrf = csrf_of(client, "/console/cases")
    data = {"csrf": csrf, "number": NUMBER, "reason": "silent calls"}
    answer = client.post("/console/cases", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_a_refused_rung_is_shown_disabled_with_its_reason(
    app: FastAPI, client: TestClient, policy: Policy
) -> None:
    flagged_number(app, policy, NUMBER)
    sign_in(client, USERS["call_handler"])
    page_url = open_case(client)
    page = client.get(page_url).text
    letter = re.search(r'<button type="submit" id="do-warning_letter"[^>]*>', page)
    assert letter is not None and "disabled" in letter.group(0)
    assert 'id="why-warning_letter"' in page and "faulty device (high confidence)" in page
    assert 'id="override-form"' not in page  # a handler may not override
    advice = re.search(r'<button type="submit" id="do-advice"[^>]*>', page)
    assert advice is not None and "disabled" not in advice.group(0)
    sign_in(client, USERS["supervisor"])
    assert 'id="override-form"' in client.get(page_url).text


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"action": "propose", "step": "warning_letter", "reason": ""}, 400, "reason"),
        ({"action": "teleport"}, 400, "unknown action"),
        ({"action": "record", "step": "no_such_step", "note": "x"}, 400, "no step"),
        ({"action": "propose", "step": "warning_letter", "reason": "x"}, 409, "has not been taken"),
        ({"action": "override_vulnerability", "reason": "x"}, 403, "supervisor"),
    ],
)
def test_bad_or_refused_forms_are_answered_on_the_page(
    app: FastAPI,
    client: TestClient,
    policy: Policy,
    fields: dict[str, str],
    status: int,
    words: str,
) -> None:
    flagged_number(app, policy, NUMBER)
    sign_in(client, USERS["call_handler"])
    page_url = open_case(client)
    csrf = csrf_of(client, page_url)
    answer = client.post(f"{page_url}/actions", data={"csrf": csrf, **fields})
    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert "Traceback" not in answer.text


def test_unknown_case_and_document(client: TestClient) -> None:
    sign_in(client, USERS["call_handler"])
    assert client.get("/console/cases/N-20260101-0000000000").status_code == 404
    answer = client.get("/console/cases/N-20260101-0000000000/documents/letter.html")
    assert answer.status_code == 400 and "unknown document" in answer.text
