"""Location in a real browser: each notation typed in the contact's location box is recognised
and drawn with its accuracy (or the handler is told plainly why not), a landline's address is
shown as an address, a gazetteer imported with the CLI is searched from the box, and with no
tile server the map draws the offline basemap."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from controlroom.bootstrap import password_hasher
from controlroom.cli import main
from controlroom.config import Settings
from controlroom.domain.contacts import Role
from controlroom.services import accounts
from controlroom.web.app import create_app
from tests.adapters.test_what3words_client import KEY, FakeWhat3Words
from tests.browser.conftest import ADMIN, LiveServer, served, sign_in
from tests.browser.test_console_browser import offer, shot

pytestmark = pytest.mark.slow

GAZETTEER = """name,lat,lon,kind,accuracy_m
PL1 2AB,50.36801,-4.13741,,
PL4 8AA,50.37512,-4.13220,,80
Plymouth Hoe,50.36410,-4.14190,place,300
Plympton,50.38680,-4.05130,place,
"""
FORCE_AREA = {
    "type": "Feature",
    "properties": {"name": "test force"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[-5.8, 49.9], [-2.9, 50.6], [-3.7, 51.3], [-5.8, 50.3], [-5.8, 49.9]]],
    },
}


@pytest.fixture(scope="module")
def what3words() -> Iterator[FakeWhat3Words]:
    """A local server answering as the documented what3words v3 API does."""
    before = os.environ.get("NO_PROXY")
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    server = FakeWhat3Words()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    if before is None:
        os.environ.pop("NO_PROXY", None)
    else:
        os.environ["NO_PROXY"] = before


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, what3words: FakeWhat3Words
) -> Iterator[LiveServer]:
    """The application (no demo data: a handler is enough) with the what3words key set, a
    force area, and a gazetteer imported by the CLI into its database."""
    folder = tmp_path_factory.mktemp("location-server")
    database = f"sqlite:///{folder / 'controlroom.db'}"
    area = folder / "force-area.geojson"
    area.write_text(json.dumps(FORCE_AREA))
    settings = Settings(
        database_url=database,
        demo=False,
        session_secret="browser-tests-" + "x" * 32,
        what3words_api_key=KEY,
        what3words_api_url=f"{what3words.url}/v3",
        force_area=area,
    )
    app = create_app(settings)
    accounts.add_user(
        app.state.uow_factory(),
        ADMIN,
        "handler",
        Role.CALL_HANDLER,
        "demo-handler-password",
        hasher=password_hasher(),
    )
    csv = folder / "gazetteer.csv"
    csv.write_text(GAZETTEER)
    imported = CliRunner().invoke(
        main,
        ["location", "gazetteer-import", str(csv)],
        env={"CONTROLROOM_DATABASE_URL": database},
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["imported"] == 4
    with served(app) as url:
        yield LiveServer(url, app)


def _answered_call(server: LiveServer, number: str, **caller: Any) -> str:
    contact = offer(server, number, caller={"number": number, **caller})
    answer = server.api(
        "POST", f"/api/contacts/{contact}/actions", "call_handler", json={"action": "answer"}
    )
    assert answer.status_code == 200, answer.text
    return contact


def _locate(page: Any, text: str) -> str:
    """Type ``text`` in the location box, locate it, and return what the page says."""
    page.fill("#f-loc-text", text)
    with page.expect_navigation():
        page.click(".location-box button[type=submit]")
    page.wait_for_selector("#location-result, #refusal")
    if page.is_visible("#refusal"):
        return "REFUSED: " + page.inner_text("#refusal")
    return str(page.inner_text("#location-result"))


def _drawn_fixes(page: Any, count: int) -> None:
    """Wait until the map has drawn ``count`` fixes (attribute selectors: the console's
    content security policy refuses evaluated strings)."""
    page.wait_for_selector(f"#map[data-evidence='{count}']", state="attached")


def _tooltips(page: Any) -> list[str]:
    """What each drawn fix says when pointed at (its kind and accuracy, also its label)."""
    found: list[str] = page.eval_on_selector_all(
        "#map path.fix", "paths => paths.map(p => p.getAttribute('aria-label'))"
    )
    return found


NOTATIONS = [
    # (typed, what the result says, what the fix's tooltip says)
    ("SX 47712 54421", "OS grid reference", "os grid ± 2 m"),
    ("9C2Q9V97+62", "Plus code", "plus code ± 8 m"),
    ("50.3680, -4.1374", "Coordinates", "coordinates ± 7 m"),
    ("50°22'04.8\"N 4°08'14.6\"W", "Coordinates", "coordinates ± 2 m"),
    ("///filled.count.soap", "///filled.count.soap (near Bayswater, London)", "what3words ± 2 m"),
    ("pl12ab", "Postcode PL1 2AB", "postcode ± 100 m"),
]


def test_each_notation_typed_is_recognised_and_drawn_with_its_accuracy(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    contact = _answered_call(live_server, "+447700900701")
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    for index, (typed, said, tooltip) in enumerate(NOTATIONS, start=1):
        result = _locate(page, typed)
        assert result.startswith("Located"), (typed, result)
        assert said in result, (typed, result)
        _drawn_fixes(page, index)
        assert tooltip in _tooltips(page), (typed, _tooltips(page))
    circles = page.locator("#map path.accuracy").count()
    assert circles == len(NOTATIONS)  # each with its accuracy circle
    evidence = page.inner_text(".map-panel .evidence")
    assert "OS grid reference: SX 47712 54421" in evidence and "± 2 m" in evidence
    shot(page, "location-notations")


def test_what_cannot_be_placed_is_said_plainly_and_kept(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    contact = _answered_call(live_server, "+447700900702")
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")

    unknown = _locate(page, "filled.count.soaps")
    assert unknown.startswith("Not placed on the map"), unknown
    assert "what3words does not know it" in unknown and "did the caller mean" in unknown

    settings = live_server.app.state.settings
    settings.what3words_api_key = None
    try:
        unconfigured = _locate(page, "///filled.count.soap")
    finally:
        settings.what3words_api_key = KEY
    assert "could not be converted: what3words is not configured" in unconfigured

    postcode = _locate(page, "EX1 1AA")
    assert "postcode EX1 1AA is not in the force's gazetteer" in postcode

    wrong = _locate(page, "SX 1234 567")
    assert wrong.startswith("REFUSED") and "the same number of figures" in wrong
    nothing = _locate(page, "behind the big shed")
    assert nothing.startswith("REFUSED") and "not a location format" in nothing

    evidence = page.inner_text(".map-panel .evidence")
    assert "filled.count.soaps" in evidence and "EX1 1AA" in evidence  # kept, unlocated
    assert page.locator(".map-panel .evidence li.unlocated").count() == 3


def test_a_landline_call_shows_its_address(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    address = {"text": "12 Harbour Street, Plymouth PL1 2AB", "lat": 50.36801, "lon": -4.13741}
    contact = _answered_call(live_server, "+441632960701", landline=True, address=address)
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    row = page.inner_text(".map-panel .evidence li[data-source=landline_address]")
    assert "Landline address: 12 Harbour Street, Plymouth PL1 2AB" in row
    assert "12 Harbour Street, Plymouth PL1 2AB" in page.inner_text(".map-panel .best")
    _drawn_fixes(page, 1)


def test_the_imported_gazetteer_is_searched_from_the_location_box(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    contact = _answered_call(live_server, "+447700900703")
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    page.type("#f-loc-text", "plym")
    page.wait_for_selector("#f-loc-matches .loc-match")
    matches = page.locator("#f-loc-matches .loc-match").all_inner_texts()
    assert matches == ["Plymouth Hoe (place, ± 300 m)", "Plympton (place, ± 1000 m)"]
    page.click("#f-loc-matches .loc-match[data-name='Plymouth Hoe']")
    assert page.input_value("#f-loc-text") == "Plymouth Hoe"
    with page.expect_navigation():
        page.click(".location-box button[type=submit]")
    result = page.inner_text("#location-result")
    assert result.startswith("Located: Place Plymouth Hoe ± 300 m"), result
    _drawn_fixes(page, 1)

    page.fill("#f-loc-text", "")
    page.type("#f-loc-text", "PL4")
    page.wait_for_selector("#f-loc-matches .loc-match[data-name='PL4 8AA']")


def _map_pixels(page: Any) -> tuple[int, int]:
    """Distinct colours in a screenshot of the map, and how many pixels are the land's."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(page.locator("#map").screenshot())).convert("RGB")
    colours = {colour: count for count, colour in image.getcolors(maxcolors=1 << 20)}
    return len(colours), colours.get((0x2D, 0x3B, 0x2F), 0)


def test_without_a_tile_server_the_map_shows_the_offline_basemap(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    assert not live_server.app.state.settings.tile_url
    contact = _answered_call(live_server, "+447700900704")
    sign_in(page, live_server, "handler")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    page.wait_for_selector("#map[data-basemap-state='drawn']", state="attached")
    assert page.locator("#map path.land").count() > 50  # Great Britain, Ireland, islands
    assert page.locator("#map path.force-area").count() == 1
    assert "Offline basemap" in page.inner_text("#basemap-note")
    colours, land = _map_pixels(page)
    assert colours > 3 and land > 1000  # land drawn on the sea, not a blank pattern
    shot(page, "location-basemap")
