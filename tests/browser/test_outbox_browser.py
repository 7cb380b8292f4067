"""In a real browser: C&C refuses an incident until the outbox parks it; a supervisor sees the
parked message on the Outbox page with why, and once C&C is back presses Retry; the message is
delivered, once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controlroom.adapters.policy_file import load_policy
from controlroom.bootstrap import password_hasher
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Role
from controlroom.services import accounts
from controlroom.web.app import create_app
from tests.browser.conftest import ADMIN, served
from tests.browser.test_accessibility_browser import Audit
from tests.cc_receiver import SECRET, Receiver
from tests.outbox_support import logged_incident

pytestmark = pytest.mark.slow
PASSWORD = "a-long-enough-password"


def expect(locator: Any) -> Any:
    """Playwright's waiting assertions."""
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.expect(locator)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        running.fail_next = 1_000_000  # C&C is down
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Any]:
    """The application with C&C configured (one attempt before parking), served by uvicorn."""
    folder: Path = tmp_path_factory.mktemp("outbox-server")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'controlroom.db'}",
        demo=False,
        session_secret="browser-tests-" + "x" * 32,
        cc_url=receiver.url,
        cc_secret=SECRET,
        outbox_max_attempts=1,
        outbox_poll_seconds=0.1,
    )
    app = create_app(settings)
    accounts.add_user(
        app.state.uow_factory(), ADMIN, "sue", "supervisor", PASSWORD, hasher=password_hasher()
    )
    with served(app) as url:
        app.state.url = url
        yield app


def log_incident(app: Any) -> str:
    handler = Principal("hana", Role.CALL_HANDLER)
    return logged_incident(
        app.state.uow_factory, load_policy("dcp-p-042"), handler, "+447700900113"
    )


def test_a_supervisor_sees_a_parked_message_and_retries_it(
    browser_page: Any, server: Any, receiver: Receiver
) -> None:
    page = browser_page
    contact = log_incident(server)
    deadline = time.monotonic() + 15
    while receiver.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.requests >= 1, "the worker tried C&C"

    page.goto(server.state.url + "/console/login")
    page.fill("#username", "sue")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/console/login" not in url)
    page.click("nav >> text=Outbox")
    page.wait_for_url("**/console/outbox")

    row = page.locator("tr[data-state=parked]")
    for _ in range(50):  # the worker parks it moments after its one attempt
        if row.count():
            break
        page.wait_for_timeout(100)
        page.reload()
    expect(row).to_have_count(1)
    expect(row).to_contain_text(contact)
    expect(row).to_contain_text("the receiver answered HTTP 503")
    expect(page.locator("#outbox-counts")).to_contain_text("parked: 1")
    expect(page.locator("#nav-parked")).to_have_text("1 parked")
    audit = Audit(page)
    audit.check("outbox")
    audit.assert_clean()

    receiver.fail_next = 0  # C&C is back
    row.get_by_role("button", name="Retry").click()
    expect(page.locator("#outbox-retried")).to_contain_text("will be sent again")
    assert receiver.wait_for(1), "delivered after the retry"
    delivered = page.locator("tr[data-state=delivered]")
    for _ in range(50):
        if delivered.count():
            break
        page.wait_for_timeout(100)
        page.reload()
    expect(delivered).to_have_count(1)
    expect(page.locator("tr[data-state=parked]")).to_have_count(0)
    expect(page.locator("#nav-parked")).to_have_count(0)
    (key,) = receiver.processed
    assert receiver.documents[key]["contact_id"] == contact and not receiver.duplicates
