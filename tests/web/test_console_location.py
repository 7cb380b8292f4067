"""The console's location box, gazetteer search and offline basemap, in process: typed text
recognised and added through the same audited action, refusals that say what would do, and
the routes closed to anyone not signed in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import gazetteer_for
from controlroom.domain.location.gazetteer import EntryKind, GazetteerEntry
from tests.web.console_support import act, add_users, csrf_of, offer_call, sign_in


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "hana")
        yield client


@pytest.fixture
def contact(browser: TestClient, token_for: Callable[[str], str]) -> str:
    made = offer_call(browser, token_for("integration"))
    assert act(browser, made, csrf_of(browser), action="answer").status_code == 303
    return made


def locate(client: TestClient, contact_id: str, text: str, csrf: str | None = None) -> Any:
    return client.post(
        f"/console/contacts/{contact_id}/location",
        data={"csrf": csrf if csrf is not None else csrf_of(client), "text": text},
        follow_redirects=False,
    )


def evidence(app: FastAPI, contact_id: str) -> list[dict[str, str]]:
    with app.state.uow_factory(read_only=True) as uow:
        found = uow.contacts.get(contact_id)
    return [{"source": e.source, **e.payload} for e in found.record.location]


def added_audited(app: FastAPI, contact_id: str) -> int:
    with app.state.uow_factory(read_only=True) as uow:
        entries = uow.audit.tail(100, subject=f"contact:{contact_id}")
    return sum(entry.tag == "contact:procedure:add_location" for entry in entries)


def test_a_typed_grid_reference_is_placed_audited_and_shown(
    browser: TestClient, contact: str, app: FastAPI
) -> None:
    answer = locate(browser, contact, "SX 47712 54421")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/handler/{contact}?done=add_location#location"
    [stored] = evidence(app, contact)
    assert stored["source"] == "os_grid" and stored["kind"] == "fix"
    assert stored["accuracy_m"] == "2.0" and "OS grid reference" in stored["note"]
    assert added_audited(app, contact) == 1
    page = browser.get(answer.headers["location"]).text
    assert 'id="location-result"' in page and "Located: OS grid reference" in page


def test_a_postcode_from_the_gazetteer_is_placed(
    browser: TestClient, contact: str, app: FastAPI
) -> None:
    entry = GazetteerEntry(EntryKind.POSTCODE, "PL1 2AB", 50.36801, -4.13741, 80.0)
    gazetteer_for(app.state.settings).replace([entry], source="test")
    assert locate(browser, contact, "pl12ab").status_code == 303
    [stored] = evidence(app, contact)
    assert (stored["source"], stored["lat"], stored["accuracy_m"]) == (
        "postcode",
        "50.36801",
        "80.0",
    )


def test_three_words_without_a_key_are_kept_with_the_reason(
    browser: TestClient, contact: str, app: FastAPI
) -> None:
    assert locate(browser, contact, "///filled.count.soap").status_code == 303
    [stored] = evidence(app, contact)
    assert stored["kind"] == "unlocated" and stored["source"] == "what3words"
    assert "what3words is not configured: set CONTROLROOM_WHAT3WORDS_API_KEY" in stored["reason"]
    page = browser.get(f"/console/handler/{contact}?done=add_location").text
    assert "Not placed on the map" in page and "what3words is not configured" in page


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("behind the big shed", "not a location format this system knows"),
        ("SX 1234 567", "the same number of figures"),
        ("95.0, -4.1", "latitude 95 is outside -90 to 90"),
    ],
)
def test_text_that_is_no_location_is_refused_and_nothing_added(
    browser: TestClient, contact: str, app: FastAPI, text: str, words: str
) -> None:
    answer = locate(browser, contact, text)
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text and words in answer.text
    assert evidence(app, contact) == [] and added_audited(app, contact) == 0
    assert 'value="' + text.replace('"', "&#34;") + '"' in answer.text  # kept to correct


def test_a_forged_form_or_a_reading_role_changes_nothing(
    browser: TestClient, contact: str, app: FastAPI
) -> None:
    assert locate(browser, contact, "SX 47712 54421", csrf="forged").status_code == 400
    sign_in(browser, "ada")  # an auditor reads contacts, does not handle them
    assert locate(browser, contact, "SX 47712 54421").status_code == 403
    assert evidence(app, contact) == []


def test_the_gazetteer_is_searched_as_the_handler_types(browser: TestClient, app: FastAPI) -> None:
    entries = [
        GazetteerEntry(EntryKind.PLACE, "Plymouth Hoe", 50.3641, -4.1419, 300.0),
        GazetteerEntry(EntryKind.POSTCODE, "PL1 2AB", 50.36801, -4.13741, 100.0),
    ]
    gazetteer_for(app.state.settings).replace(entries, source="test")
    found = browser.get("/console/location/search", params={"q": "plym"}).json()
    assert [r["name"] for r in found["results"]] == ["Plymouth Hoe"]
    assert found["results"][0] == {
        "name": "Plymouth Hoe",
        "kind": "place",
        "lat": 50.3641,
        "lon": -4.1419,
        "accuracy_m": 300.0,
    }
    assert browser.get("/console/location/search", params={"q": "pl1"}).json()["results"]
    assert browser.get("/console/location/search").json()["results"] == []
    long = browser.get("/console/location/search", params={"q": "x" * 101})
    assert long.status_code == 400 and long.json()["error"]["field"] == "q"


def test_the_offline_basemap_has_land_and_the_force_area(
    browser: TestClient, app: FastAPI, tmp_path: Path
) -> None:
    answer = browser.get("/console/basemap.geojson")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    kinds = [f["properties"]["kind"] for f in answer.json()["features"]]
    assert kinds.count("land") > 50 and "force_area" not in kinds
    area = tmp_path / "area.geojson"
    square = [[-5, 50], [-3, 50], [-3, 51], [-5, 51], [-5, 50]]
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [square]}))
    app.state.settings.force_area = area
    kinds = [
        f["properties"]["kind"] for f in browser.get("/console/basemap.geojson").json()["features"]
    ]
    assert kinds.count("force_area") == 1
    area.write_text("{not json")
    body = browser.get("/console/basemap.geojson").json()
    assert "is not JSON" in body["notes"][0]


def test_the_location_routes_need_a_signed_in_session(app: FastAPI, contact: str) -> None:
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        for path in ("/console/basemap.geojson", "/console/location/search?q=pl"):
            assert anonymous.get(path, follow_redirects=False).status_code == 303
        posted = anonymous.post(
            f"/console/contacts/{contact}/location",
            data={"text": "SX 47712 54421"},
            follow_redirects=False,
        )
        assert posted.status_code == 303 and "/console/login" in posted.headers["location"]
