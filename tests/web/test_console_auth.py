"""The console's sign-in: sessions, CSRF, limits on wrong passwords, sign-out and roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.services import accounts
from tests.web.console_support import ADMIN, PASSWORD, add_users, csrf_of, sign_in


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client keeping cookies, like a browser; one user of each role."""
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def page_csrf(client: TestClient) -> str:
    return csrf_of(client)


def audit_tags(app: FastAPI, subject_prefix: str) -> list[str]:
    with app.state.uow_factory(read_only=True) as uow:
        return [e.tag for e in uow.audit.entries() if e.subject.startswith(subject_prefix)]


def test_pages_need_signing_in(browser: TestClient) -> None:
    answer = browser.get("/console/handler", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=")


def test_sign_in_goes_back_where_asked_and_is_audited(browser: TestClient, app: FastAPI) -> None:
    answer = sign_in(browser, "hana", next="/console/handler")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/handler"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "hana" in browser.get("/console/handler").text
    assert "console:session:login" in audit_tags(app, "user:hana")


def test_sign_in_never_sends_you_to_another_site(browser: TestClient) -> None:
    answer = sign_in(browser, "hana", next="https://evil.example/")
    assert answer.headers["location"] == "/console"


def test_wrong_password_is_refused_without_saying_which(browser: TestClient) -> None:
    wrong = sign_in(browser, "hana", "not-the-password")
    unknown = sign_in(browser, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "The name or password is wrong." in wrong.text
    assert "The name or password is wrong." in unknown.text


def test_sign_in_without_the_form_token_is_refused(browser: TestClient) -> None:
    data = {"csrf": "forged", "username": "hana", "password": PASSWORD}
    answer = browser.post("/console/login", data=data, follow_redirects=False)
    assert answer.status_code == 400
    assert "cr_console=" not in answer.headers.get("set-cookie", "")


def test_an_address_that_keeps_failing_waits_but_the_account_is_not_locked(
    browser: TestClient, app: FastAPI
) -> None:
    for _ in range(5):
        assert sign_in(browser, "hana", "wrong-password-1").status_code == 401
    waiting = sign_in(browser, "hana")  # the right password, from the same address, too soon
    assert waiting.status_code == 429
    assert waiting.headers["retry-after"] == "1"
    assert "Too many wrong sign-ins from this address" in waiting.text
    with TestClient(app, client=("10.1.2.3", 50000)) as desk:  # hana's own computer
        assert sign_in(desk, "hana").status_code == 303
    tags = audit_tags(app, "user:hana")
    assert tags.count("console:session:login_failed") == 1  # a summary, not one per failure
    assert "console:session:locked" in tags  # the account's delay began
    assert "console:session:throttled" in audit_tags(app, "address:testclient")


def test_many_wrong_sign_ins_write_a_handful_of_audit_rows(
    browser: TestClient, app: FastAPI
) -> None:
    before = len(audit_tags(app, ""))
    for n in range(60):
        with TestClient(app, client=(f"198.51.100.{n}", 50000)) as attacker:
            assert sign_in(attacker, "sam", "wrong-password-1").status_code == 401
    written = audit_tags(app, "")[before:]
    assert written.count("console:session:login_failed") == 1
    assert written.count("console:session:locked") == 1
    assert len(written) == 2  # was one row per failure (60)


def test_a_supervisor_is_not_locked_out_by_wrong_passwords_from_elsewhere(
    app: FastAPI, browser: TestClient
) -> None:
    for n in range(30):
        with TestClient(app, client=(f"198.51.100.{n}", 50000)) as attacker:
            for _ in range(2):
                sign_in(attacker, "sam", "wrong-password-1")
    assert sign_in(browser, "sam").status_code == 303


def test_a_good_sign_in_resets_the_failure_count(browser: TestClient) -> None:
    for _ in range(4):
        sign_in(browser, "hana", "wrong-password-1")
    assert sign_in(browser, "hana").status_code == 303
    for _ in range(4):
        sign_in(browser, "hana", "wrong-password-1")
    assert sign_in(browser, "hana").status_code == 303


def test_sign_out_ends_the_session_for_good(browser: TestClient, app: FastAPI) -> None:
    sign_in(browser, "hana")
    cookie = browser.cookies.get("cr_console")
    csrf = page_csrf(browser)
    answer = browser.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    browser.cookies.set("cr_console", cookie or "", path="/console")
    again = browser.get("/console/handler", follow_redirects=False)
    assert again.status_code == 303
    assert "console:session:logout" in audit_tags(app, "session:")


def test_sign_out_needs_the_csrf_token(browser: TestClient) -> None:
    sign_in(browser, "hana")
    answer = browser.post("/console/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert answer.status_code == 400
    assert browser.get("/console/handler", follow_redirects=False).status_code == 200


def test_a_tampered_cookie_is_not_a_session(browser: TestClient) -> None:
    sign_in(browser, "hana")
    cookie = browser.cookies.get("cr_console") or ""
    browser.cookies.set("cr_console", cookie[:-2] + "00", path="/console")
    assert browser.get("/console/handler", follow_redirects=False).status_code == 303


def test_disabling_the_account_ends_its_sessions(browser: TestClient, app: FastAPI) -> None:
    sign_in(browser, "hana")
    accounts.disable_user(app.state.uow_factory(), ADMIN, "hana")
    assert browser.get("/console/handler", follow_redirects=False).status_code == 303


def test_each_role_lands_on_its_page(browser: TestClient) -> None:
    sign_in(browser, "sam")
    assert browser.get("/console", follow_redirects=False).headers["location"] == (
        "/console/supervisor"
    )
    sign_in(browser, "hana")
    assert browser.get("/console", follow_redirects=False).headers["location"] == (
        "/console/handler"
    )


def test_a_handler_cannot_open_the_supervisor_view(browser: TestClient) -> None:
    sign_in(browser, "hana")
    answer = browser.get("/console/supervisor")
    assert answer.status_code == 403
    assert "reports:read" in answer.text


def test_an_administrator_reads_no_contacts(browser: TestClient) -> None:
    sign_in(browser, "root")
    answer = browser.get("/console/handler")
    assert answer.status_code == 403
    assert "contact:read" in answer.text


def sign_in_from(client: TestClient, name: str, known: str) -> int:
    """Sign in with the right password from a browser holding ``known`` as its known-browser
    cookie; the answer's status."""
    client.cookies.clear()
    page = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    client.cookies.set("cr_console_known", known, path="/console")
    data = {"csrf": found.group(1), "username": name, "password": PASSWORD}
    return client.post("/console/login", data=data, follow_redirects=False).status_code


def test_a_browser_that_signed_in_before_is_not_held_back_by_an_attack_on_the_account(
    app: FastAPI, browser: TestClient
) -> None:
    assert sign_in(browser, "sam").status_code == 303
    known = browser.cookies.get("cr_console_known") or ""
    assert known.endswith(".sam")
    for n in range(30):  # the account is attacked from thirty addresses
        with TestClient(app, client=(f"198.51.100.{n}", 50000)) as attacker:
            sign_in(attacker, "sam", "wrong-password-1")
    with TestClient(app, client=("198.51.100.7", 50000)) as desk:  # an address that failed
        assert sign_in(desk, "sam").status_code == 429  # a browser never seen here waits
        assert sign_in_from(desk, "sam", known[:-44] + "0" * 40 + ".sam") == 429  # forged
        assert sign_in_from(desk, "sam", known) == 303


def test_an_address_waiting_is_refused_without_reading_the_counts_again(
    browser: TestClient, app: FastAPI
) -> None:
    from controlroom.web.console.login_gate import attempts_of

    store, reads = attempts_of(app), []
    real_read = store.read

    def counting_read(keys: Any) -> Any:
        reads.append(keys)
        return real_read(keys)

    store.read = counting_read  # type: ignore[method-assign]
    for _ in range(5):
        sign_in(browser, "nobody", "wrong-password-1")
    before = len(reads)
    answers = [sign_in(browser, "hana").status_code for _ in range(10)]
    assert answers == [429] * 10
    assert len(reads) == before + 1  # the first refusal read the wait; the others knew it
