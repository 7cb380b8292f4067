"""The public pages in a real browser: guidance for an emergency, a 101 matter and another
agency's matter; an online report and its status. Live chat between a visitor and a handler in
the console is in tests/browser/test_console_chat_browser.py.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` each page is saved there as ``public-*.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str, *, full: bool = False) -> None:
    """Save a screenshot of the page when asked to."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"public-{name}.png"), full_page=full)


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    """The live server, taking forms as soon as they are sent (people are slower)."""
    live_server.app.state.public.guard.min_age = 0
    return live_server


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page the size of a phone's screen."""
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def ask(page: Any, site: LiveServer, text: str) -> str:
    page.goto(site.url + "/public/")
    page.fill("#f-text", text)
    with page.expect_navigation():
        page.click("form[action='/public/guidance'] button[type=submit]")
    return str(page.inner_text("#answer h2"))


def test_guidance_for_an_emergency(phone: Any, site: LiveServer) -> None:
    headline = ask(phone, site, "Someone is breaking into my neighbour's house right now")
    assert headline == "Call 999 now"
    assert phone.get_attribute("#answer a.danger", "href") == "tel:999"
    assert phone.is_visible("text=press 55")
    shot(phone, "guidance-999", full=True)


def test_guidance_for_a_101_matter(browser_page: Any, site: LiveServer) -> None:
    page = browser_page
    headline = ask(page, site, "My bike was stolen from my garden yesterday")
    assert headline.startswith("Report it online")
    assert page.is_visible("#answer >> text=Report online")
    shot(page, "guidance-101")
    page.click("#answer >> text=Start a Live Chat")
    page.wait_for_url("**/public/chat")


def test_guidance_for_another_agency(browser_page: Any, site: LiveServer) -> None:
    page = browser_page
    headline = ask(page, site, "There is a dead badger in the road outside my house")
    assert headline.startswith("Contact your local council")
    assert page.get_attribute("#answer .contacts a", "href") == (
        "https://www.gov.uk/find-local-council"
    )
    shot(page, "guidance-agency")


def test_the_guidance_page_works_from_the_keyboard(browser_page: Any, site: LiveServer) -> None:
    page = browser_page
    page.goto(site.url + "/public/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.focus("#f-text")
    page.keyboard.type("My phone was stolen on the bus last week")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("#answer h2").startswith("Report it online")


def test_an_online_report_and_its_status(browser_page: Any, site: LiveServer) -> None:
    page = browser_page
    page.goto(site.url + "/public/report")
    with page.expect_navigation():
        page.click("text=Report a crime that has already happened")
    page.fill("#f-description", "My bike was taken from the rack outside the library.")
    page.check("input[name='attribute[CRIME_TYPE]'][value=theft]")
    page.fill("#f-attribute\\[WHEN\\]", "2026-11-30T18:30")
    page.fill("#f-address_string", "Library, Castle Street, Exeter EX4 3PQ")
    page.fill("#f-first_name", "Sam")
    shot(page, "report-form", full=True)
    with page.expect_navigation():
        page.click("button:has-text('Send report')")
    reference = page.inner_text("#reference .ref")
    assert reference.startswith("DC-")
    shot(page, "report-receipt")
    page.click("text=check the progress of your report")
    page.fill("#f-reference", reference)
    with page.expect_navigation():
        page.click("button:has-text('Check')")
    status = page.inner_text("#status")
    assert reference in status and "Open: being dealt with" in status
    assert "Sam" not in page.content()
    assert reference not in page.url  # nothing about the report in the address
    shot(page, "report-status")
