"""The console's live feed over real HTTP: it tells the browser to come back a second after a
lost connection, and a change made as soon as the feed is open reaches it."""

from __future__ import annotations

import time

import httpx

from controlroom.config import Settings
from controlroom.domain.contacts import Role
from controlroom.services import accounts
from controlroom.web.app import create_app
from tests.browser.conftest import served
from tests.web.console_support import ADMIN, add_users, offer_call, sign_in


def test_a_call_offered_as_the_feed_opens_reaches_it(database_url: str) -> None:
    settings = Settings(database_url=database_url, demo=False, session_secret="s" * 40)
    app = create_app(settings)
    add_users(app)
    _, token = accounts.create_token(app.state.uow_factory(), ADMIN, "pbx", Role.INTEGRATION)
    with served(app) as url, httpx.Client(base_url=url, timeout=5) as web:
        assert sign_in(web, "hana").status_code == 303  # type: ignore[arg-type]
        with web.stream("GET", "/console/live") as feed:
            assert feed.status_code == 200
            chunks = feed.iter_text()
            assert next(chunks).startswith("retry: 1000\n")  # back a second after a loss
            contact = offer_call(web, token)  # type: ignore[arg-type]
            seen, deadline = "", time.monotonic() + 5
            while contact not in seen and time.monotonic() < deadline:
                seen += next(chunks)
    assert "event: queue" in seen and contact in seen
