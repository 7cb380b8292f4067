"""Accessibility in a real browser: axe-core (vendored under tests/browser/vendor/axe-core, run
from disk, nothing downloaded) finds no violation on any console or public page, at 1280x720
and at a phone's 390x844.

Each test visits its pages in turn, runs axe's default rules (WCAG 2.x A and AA and the best
practices) on each, and fails with every violation found: the page, the rule, its impact, the
elements and what the rule asks for. A page is checked as a person sees it: signed in as the
role that uses it, with demo data, and after the action that shows it (an answered call with a
narrative, a sent report, a chat in the queue).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VIEWPORT, LiveServer, sign_in

pytestmark = pytest.mark.slow
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": VIEWPORT, "phone": PHONE}
#: Run inside the page: axe's default rules on the whole document, violations only.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture(params=sorted(SIZES))
def sized_page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """A new page at a desktop's or a phone's size, in a context of its own."""
    mobile = request.param == "phone"
    context = browser.new_context(viewport=SIZES[request.param], locale="en-GB", is_mobile=mobile)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


class Audit:
    """The violations found on each page visited, reported together."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: list[str] = []

    def check(self, name: str) -> None:
        """Run axe on the page as it is now and keep what it finds under ``name``."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("typeof window.axe === 'object'"):
            # evaluated by the browser's debugger: the pages' script policy does not apply
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        for violation in self.page.evaluate(RUN_AXE):
            targets = "; ".join(violation["targets"][:6])
            more = len(violation["targets"]) - 6
            if more > 0:
                targets += f"; and {more} more"
            self.found.append(
                f"{name} ({self.page.url}): {violation['id']} [{violation['impact']}] "
                f"on {targets}: {violation['help']} ({violation['url']})"
            )

    def assert_clean(self) -> None:
        """Fail with every violation found, one a line."""
        assert not self.found, "axe-core found violations:\n" + "\n".join(self.found)


def visit(page: Any, url: str) -> None:
    """Open ``url`` and wait for the page's scripts to have run."""
    page.goto(url)
    page.wait_for_load_state("load")


def offer(server: LiveServer, number: str) -> str:
    """Telephony offers a new 999 call; its contact id."""
    event = {
        "id": str(uuid.uuid4()),
        "type": "call.offered",
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "call_id": f"PBX-{uuid.uuid4().hex[:8]}",
        "channel": "999",
        "caller": {"number": number},
    }
    answer = server.api("POST", "/api/telephony/events", "integration", json=event)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["contact_id"])


def submit(page: Any, action: str) -> None:
    """Press the submit button of the action's form and wait for the page that follows."""
    with page.expect_navigation():
        page.click(f'form[data-action="{action}"] button[type=submit]')


def open_row(page: Any, server: LiveServer, text: str) -> None:
    """Open the queue's contact whose row shows ``text``: by its link's address, since the live
    queue may redraw the row between finding it and clicking it."""
    visit(page, server.url + "/console/handler")
    href = page.get_attribute(f".qrow a:has-text('{text}')", "href")
    assert href, f"no row shows {text!r}"
    visit(page, server.url + href)
    page.wait_for_selector(".contact-head")


def test_the_console_pages_of_a_call_handler(sized_page: Any, live_server: LiveServer) -> None:
    page, server = sized_page, live_server
    audit = Audit(page)
    visit(page, server.url + "/console/login")
    audit.check("sign-in")
    page.fill("#username", "handler")
    page.fill("#password", "not the password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    audit.check("sign-in refused")
    sign_in(page, server, "handler")
    visit(page, server.url + "/console/handler")
    audit.check("handler queue")

    number = "+4477009007" + str(uuid.uuid4().int % 100).zfill(2)
    contact = offer(server, number)
    visit(page, f"{server.url}/console/handler/{contact}")
    audit.check("999 call offered")
    submit(page, "answer")
    page.fill("#f-narrative", "Someone is breaking into my house right now, he has a knife")
    submit(page, "update_narrative")
    audit.check("999 call answered with a narrative")
    page.keyboard.press("?")
    audit.check("keyboard shortcuts")
    page.keyboard.press("Escape")

    open_row(page, server, "Sam Hill")
    page.wait_for_selector(".leaflet-interactive")
    audit.check("999 call located on the map")
    open_row(page, server, "07700 900108")
    audit.check("emergencySMS conversation")
    open_row(page, server, "Priya Shah")
    audit.check("online report")

    visit(page, server.url + "/console/search?q=knife")
    page.wait_for_selector("#search-summary")
    audit.check("search results")
    visit(page, server.url + "/console/cases")
    audit.check("nuisance cases")
    with server.app.state.uow_factory(read_only=True) as uow:
        case = uow.nuisance_cases.list()[0]
    visit(page, f"{server.url}/console/cases/{case.id}")
    audit.check("nuisance case")
    visit(page, server.url + "/console/supervisor")  # not for a handler's role
    audit.check("refused")
    audit.assert_clean()


def test_the_console_pages_of_a_supervisor(sized_page: Any, live_server: LiveServer) -> None:
    page, server = sized_page, live_server
    audit = Audit(page)
    sign_in(page, server, "supervisor")
    visit(page, server.url + "/console/supervisor")
    page.wait_for_selector(".chart svg")
    audit.check("supervisor")
    visit(page, server.url + "/console/planning?run=1&weeks=1")
    page.wait_for_selector("#plan-results .chart svg")
    audit.check("planning")
    visit(page, server.url + "/console/planning?run=1&weeks=9")
    audit.check("planning, refused")
    audit.assert_clean()


def ask(page: Any, server: LiveServer, text: str) -> None:
    """Describe ``text`` on the home page and wait for the guidance."""
    visit(page, server.url + "/public/")
    page.fill("#f-text", text)
    with page.expect_navigation():
        page.click("form[action='/public/guidance'] button[type=submit]")


def test_the_public_pages(sized_page: Any, live_server: LiveServer) -> None:
    page, server = sized_page, live_server
    server.app.state.public.guard.min_age = 0  # forms are taken as soon as they are sent
    audit = Audit(page)
    visit(page, server.url + "/public/")
    audit.check("Digital 101 home")
    for name, text in (
        ("guidance: 999", "Someone is breaking into my neighbour's house right now"),
        ("guidance: report online", "My bike was stolen from my garden yesterday"),
        ("guidance: another agency", "There is a dead badger in the road outside my house"),
    ):
        ask(page, server, text)
        audit.check(name)

    visit(page, server.url + "/public/report")
    audit.check("report types")
    with page.expect_navigation():
        page.click("text=Report a crime that has already happened")
    audit.check("report form")
    with page.expect_navigation():
        page.click("button:has-text('Send report')")
    audit.check("report form with errors")
    page.fill("#f-description", "My bike was taken from the rack outside the library.")
    page.check("input[name='attribute[CRIME_TYPE]'][value=theft]")
    page.fill("#f-attribute\\[WHEN\\]", "2026-11-30T18:30")
    page.fill("#f-address_string", "Library, Castle Street, Exeter EX4 3PQ")
    with page.expect_navigation():
        page.click("button:has-text('Send report')")
    reference = page.inner_text("#reference .ref")
    audit.check("report receipt")

    visit(page, server.url + "/public/status")
    audit.check("status form")
    page.fill("#f-reference", reference)
    with page.expect_navigation():
        page.click("button:has-text('Check')")
    page.wait_for_selector("#status")
    audit.check("status of a report")

    visit(page, server.url + "/public/chat")
    audit.check("live chat")
    page.fill("#f-first", "Someone has been letting down my tyres every night")
    page.click("#start button")
    page.wait_for_selector("#chat-status:has-text('in the queue')")
    audit.check("live chat in the queue")

    # the chat as the handler sees it, in the console
    sign_in(page, server, "handler")
    visit(page, server.url + "/console/handler")
    href = page.get_attribute(
        '#queue-waiting .qrow a:has(.badge[data-channel="live_chat"])', "href"
    )
    assert href, "the live chat is not in the Waiting list"
    visit(page, server.url + href)
    page.wait_for_selector(".contact-head")
    audit.check("a live chat in the console")
    audit.assert_clean()


def test_a_new_violation_is_reported_with_its_rule_and_element(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    visit(page, live_server.url + "/public/")
    page.evaluate(
        "() => { const img = document.createElement('img'); img.id = 'unnamed';"
        " img.src = 'data:,'; document.querySelector('main').append(img); }"
    )
    audit = Audit(page)
    audit.check("home with an image without text")
    assert len(audit.found) == 1, audit.found
    assert "image-alt [critical] on #unnamed" in audit.found[0]
    assert "Images must have alternative text" in audit.found[0]
    with pytest.raises(AssertionError, match=r"axe-core found violations:\n.*image-alt"):
        audit.assert_clean()
