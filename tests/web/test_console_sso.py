"""Single sign-on to the console (OpenID Connect), with a stand-in provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.domain.access import Unauthenticated
from tests.web.console_support import add_users


class StandInProvider:
    """Answers like a provider whose user signed in as ``username``."""

    def __init__(self) -> None:
        self.username = "hana"
        self.seen: dict[str, Any] = {}

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        self.seen = {"redirect_uri": redirect_uri, "nonce": nonce, "challenge": code_challenge}
        return f"https://idp.example/authorize?state={state}"

    def identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, Any]:
        if code != "good-code" or nonce != self.seen["nonce"]:
            raise Unauthenticated("the sign-on provider refused the sign-in")
        return {"sub": "1234", "preferred_username": self.username}


@pytest.fixture
def provider(app: FastAPI) -> StandInProvider:
    app.state.identity_provider = StandInProvider()
    return app.state.identity_provider  # type: ignore[no-any-return]


@pytest.fixture
def browser(app: FastAPI, provider: StandInProvider) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def start(client: TestClient) -> str:
    answer = client.get("/console/login/sso?next=/console/handler", follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("https://idp.example/authorize")
    return parse_qs(urlsplit(location).query)["state"][0]


def test_the_sign_in_page_offers_single_sign_on(browser: TestClient) -> None:
    assert "/console/login/sso" in browser.get("/console/login").text


def test_single_sign_on_signs_the_named_account_in_and_is_audited(
    browser: TestClient, provider: StandInProvider, app: FastAPI
) -> None:
    state = start(browser)
    assert provider.seen["redirect_uri"].endswith("/console/login/sso/callback")
    answer = browser.get(
        f"/console/login/sso/callback?code=good-code&state={state}", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/handler"
    assert "hana" in browser.get("/console/handler").text
    with app.state.uow_factory(read_only=True) as uow:
        (entry,) = [e for e in uow.audit.tail(5, subject="user:hana") if "login" in e.tag]
    assert entry.details["method"] == "single sign-on"


def test_a_callback_with_another_state_is_refused(browser: TestClient) -> None:
    start(browser)
    answer = browser.get("/console/login/sso/callback?code=good-code&state=forged")
    assert answer.status_code == 400
    assert browser.get("/console/handler", follow_redirects=False).status_code == 303


def test_a_refused_code_is_a_clear_message(browser: TestClient) -> None:
    state = start(browser)
    answer = browser.get(f"/console/login/sso/callback?code=bad&state={state}")
    assert answer.status_code == 401
    assert "refused the sign-in" in answer.text


def test_a_person_without_a_controlroom_account_is_not_signed_in(
    browser: TestClient, provider: StandInProvider
) -> None:
    provider.username = "stranger"
    state = start(browser)
    answer = browser.get(f"/console/login/sso/callback?code=good-code&state={state}")
    assert answer.status_code == 401
    assert "no active controlroom account" in answer.text


def test_the_provider_saying_no_is_shown(browser: TestClient) -> None:
    start(browser)
    answer = browser.get("/console/login/sso/callback?error=access_denied")
    assert answer.status_code == 401
    assert "access_denied" in answer.text


def test_without_a_provider_there_is_no_single_sign_on(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        assert "/console/login/sso" not in client.get("/console/login").text
        assert client.get("/console/login/sso").status_code == 404
