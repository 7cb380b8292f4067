"""what3words through the official package, against a local fake of the v3 API (no internet)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner

from controlroom.adapters.what3words_client import (
    What3WordsService,
    What3WordsUnavailable,
    What3WordsUnknown,
    normalise_words,
)
from controlroom.cli import main
from controlroom.config import Settings
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import LocationSource

KEY = "test-key-123"
FILLED = {
    "country": "GB",
    "square": {
        "southwest": {"lng": -0.195543, "lat": 51.520833},
        "northeast": {"lng": -0.195499, "lat": 51.52086},
    },
    "nearestPlace": "Bayswater, London",
    "coordinates": {"lng": -0.195521, "lat": 51.520847},
    "words": "filled.count.soap",
    "language": "en",
    "map": "https://w3w.co/filled.count.soap",
}
ABROAD = {**FILLED, "country": "FR", "nearestPlace": "Paris", "words": "outside.the.uk"}
ABROAD["coordinates"] = {"lng": 2.35, "lat": 48.85}
ANSWERS: dict[str, dict[str, Any]] = {
    "filled.count.soap": FILLED,
    "outside.the.uk": ABROAD,
    "answer.without.coordinates": {"country": "GB", "words": "answer.without.coordinates"},
}
SUGGESTIONS = [
    {"country": "GB", "nearestPlace": "Bayswater, London", "words": "filled.count.soap", "rank": 1},
    {"country": "GB", "nearestPlace": "Exeter, Devon", "words": "filled.count.soaps", "rank": 2},
    {"country": "GB", "nearestPlace": "Leeds", "words": "filled.counts.soap", "rank": 3},
]
BAD_WORDS = {"error": {"code": "BadWords", "message": "Invalid or non-existent 3 word address"}}
BAD_KEY = {"error": {"code": "InvalidKey", "message": "Authentication failed; invalid API key"}}


class FakeWhat3Words(ThreadingHTTPServer):
    """``/v3`` answers like the service; ``/slow/v3`` stalls; ``/html/v3`` is not JSON."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeWhat3Words

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict[str, Any] | str) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        kind = "text/html" if isinstance(body, str) else "application/json"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        self.server.seen.append((url.path, params))
        prefix, _, endpoint = url.path.partition("/v3/")
        if prefix == "/slow":
            self.server.release.wait(10)
        if prefix == "/html":
            return self._send(502, "<html><body>Bad gateway</body></html>")
        if params.get("key") != KEY:
            return self._send(401, BAD_KEY)
        if endpoint == "convert-to-coordinates":
            answer = ANSWERS.get(params.get("words", ""))
            return self._send(200, answer) if answer is not None else self._send(400, BAD_WORDS)
        if endpoint == "autosuggest":
            typed = params.get("input", "")
            found = [s for s in SUGGESTIONS if s["words"].startswith(typed[:14])]
            found = found[: int(params.get("n-results", "3"))]
            if "focus" in params:
                found = [{**s, "distanceToFocusKm": 12} for s in found]
            return self._send(200, {"suggestions": found})
        return self._send(404, "<html>not found</html>")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWhat3Words]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = FakeWhat3Words()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def service(fake: FakeWhat3Words) -> What3WordsService:
    return What3WordsService(KEY, api_url=f"{fake.url}/v3/")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_convert_gives_a_what3words_fix_with_the_nearest_place(
    service: What3WordsService, fake: FakeWhat3Words
) -> None:
    said = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    result = service.convert("///Filled.Count.Soap", stated_at=said)
    fix = result.fix
    assert fix.source is LocationSource.WHAT3WORDS
    assert (fix.lat, fix.lon) == (51.520847, -0.195521)
    assert fix.accuracy_m == pytest.approx(2.1, abs=0.1)  # half the 3 m square's diagonal
    assert fix.positioned_at == said and fix.flags == ()
    assert fix.extra["nearest_place"] == "Bayswater, London" and fix.raw == "///Filled.Count.Soap"
    assert result.nearest_place == "Bayswater, London" and result.country == "GB"
    assert result.words == "filled.count.soap"
    assert result.as_dict()["map"] == "https://w3w.co/filled.count.soap"
    path, params = fake.seen[-1]
    assert path == "/v3/convert-to-coordinates"
    assert params["words"] == "filled.count.soap" and params["key"] == KEY


@pytest.mark.parametrize(
    "text",
    [
        "///filled.count.soap",
        "filled.count.soap",
        "Filled.Count.Soap",
        "  filled count soap ",
        "FILLED-COUNT-SOAP",
        "filled. count. soap.",
        "filled – count – soap",
        "filled/count/soap",
        "filled。count。soap",
    ],
)
def test_spoken_and_typed_forms_are_normalised(text: str) -> None:
    assert normalise_words(text) == "filled.count.soap"


@pytest.mark.parametrize(
    "text",
    ["", "filled.count", "filled count soap please", "filled.c0unt.soap", "a.b.c!", "x" * 300],
)
def test_not_three_words_is_a_clear_error_without_a_request(
    text: str, service: What3WordsService, fake: FakeWhat3Words
) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.convert(text)
    assert caught.value.field == "words" and "filled.count.soap" in (caught.value.hint or "")
    assert fake.seen == []


def test_unknown_words_come_with_suggestions_clipped_to_gb(
    service: What3WordsService, fake: FakeWhat3Words
) -> None:
    with pytest.raises(What3WordsUnknown) as caught:
        service.convert("filled count soup", focus=(50.72, -3.53))
    error = caught.value
    assert isinstance(error, InvalidInput) and error.code == "what3words_unknown"
    assert "///filled.count.soup is not a what3words address" in error.message
    assert [s.words for s in error.suggestions][:1] == ["filled.count.soap"]
    assert "did the caller mean ///filled.count.soap (near Bayswater, London)" in (error.hint or "")
    path, params = fake.seen[-1]
    assert path == "/v3/autosuggest"
    assert params["clip-to-country"] == "GB" and params["focus"] == "50.72,-3.53"


def test_a_time_without_a_zone_is_refused_before_asking(
    service: What3WordsService, fake: FakeWhat3Words
) -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        service.convert("filled.count.soap", stated_at=datetime(2025, 3, 1, 12, 0))
    assert fake.seen == []


def test_unknown_words_without_suggestions(service: What3WordsService) -> None:
    with pytest.raises(What3WordsUnknown) as caught:
        service.convert("zebra.yellow.xylophone")
    assert caught.value.suggestions == ()
    assert caught.value.hint == "check the words with the caller"


def test_suggest_clips_to_gb_and_uses_the_focus(
    service: What3WordsService, fake: FakeWhat3Words
) -> None:
    found = service.suggest("Filled Count So", focus=(50.37, -4.14), limit=2)
    assert [s.words for s in found] == ["filled.count.soap", "filled.count.soaps"]
    assert found[0].nearest_place == "Bayswater, London" and found[0].distance_to_focus_km == 12
    assert found[0].as_dict()["rank"] == 1
    _, params = fake.seen[-1]
    assert params["clip-to-country"] == "GB" and params["n-results"] == "2"
    assert params["input"] == "filled.count.so" and params["focus"] == "50.37,-4.14"


def test_suggest_needs_the_start_of_a_third_word(
    service: What3WordsService, fake: FakeWhat3Words
) -> None:
    assert service.suggest("filled count") == []
    assert fake.seen == []
    with pytest.raises(InvalidInput):
        service.suggest("one two three four")


def test_an_address_outside_gb_is_flagged(service: What3WordsService) -> None:
    result = service.convert("outside.the.uk")
    assert result.fix.flags == ("outside_gb",) and result.country == "FR"


@pytest.mark.parametrize("key", [None, "", "   "])
def test_without_a_key_the_handler_is_told_plainly(key: str | None) -> None:
    service = What3WordsService(key, api_url=f"http://127.0.0.1:{_closed_port()}/v3")
    assert not service.configured
    for call in (lambda: service.convert("filled.count.soap"), lambda: service.suggest("a.b.c")):
        with pytest.raises(What3WordsUnavailable) as caught:
            call()
        assert caught.value.message == (
            "what3words is not configured: set CONTROLROOM_WHAT3WORDS_API_KEY"
        )
        assert caught.value.code == "what3words_unavailable"


def test_an_unreachable_service_is_a_plain_message_without_the_key() -> None:
    service = What3WordsService(KEY, api_url=f"http://127.0.0.1:{_closed_port()}/v3")
    with pytest.raises(What3WordsUnavailable) as caught:
        service.convert("filled.count.soap")
    message = caught.value.message
    assert message.startswith("what3words could not be reached: ")
    assert message.endswith("try again or ask for another description of the location")
    assert KEY not in str(caught.value.as_dict())


def test_a_slow_service_times_out_quickly(fake: FakeWhat3Words) -> None:
    service = What3WordsService(KEY, api_url=f"{fake.url}/slow/v3", timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(What3WordsUnavailable, match=r"no answer within 0\.3 s"):
        service.convert("filled.count.soap")
    assert time.monotonic() - started < 3


def test_an_answer_that_is_not_json(fake: FakeWhat3Words) -> None:
    service = What3WordsService(KEY, api_url=f"{fake.url}/html/v3")
    with pytest.raises(What3WordsUnavailable, match="HTTP 502 without JSON"):
        service.convert("filled.count.soap")


def test_a_refused_key_names_the_setting_not_the_key(fake: FakeWhat3Words) -> None:
    service = What3WordsService("wrong-key", api_url=f"{fake.url}/v3")
    with pytest.raises(What3WordsUnavailable) as caught:
        service.convert("filled.count.soap")
    assert "refused the API key (InvalidKey" in caught.value.message
    assert "CONTROLROOM_WHAT3WORDS_API_KEY" in (caught.value.hint or "")
    assert "wrong-key" not in str(caught.value.as_dict())


def test_an_unusable_answer_is_unavailable_not_a_crash(service: What3WordsService) -> None:
    with pytest.raises(What3WordsUnavailable, match="without a usable lat"):
        service.convert("answer.without.coordinates")


def test_settings_configure_the_service(
    fake: FakeWhat3Words, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().what3words_api_url == "https://api.what3words.com/v3"
    monkeypatch.setenv("CONTROLROOM_WHAT3WORDS_API_KEY", KEY)
    monkeypatch.setenv("CONTROLROOM_WHAT3WORDS_API_URL", f"{fake.url}/v3")
    service = What3WordsService.from_settings(Settings())
    assert service.configured
    assert service.convert("filled.count.soap").words == "filled.count.soap"


def test_the_cli_converts_and_explains(
    fake: FakeWhat3Words, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONTROLROOM_WHAT3WORDS_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["location", "w3w", "filled", "count", "soap"])
    assert result.exit_code == 2
    assert "what3words is not configured" in json.loads(result.stderr)["error"]["message"]

    monkeypatch.setenv("CONTROLROOM_WHAT3WORDS_API_KEY", KEY)
    monkeypatch.setenv("CONTROLROOM_WHAT3WORDS_API_URL", f"{fake.url}/v3")
    result = CliRunner().invoke(main, ["location", "w3w", "///filled.count.soap"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["nearest_place"] == "Bayswater, London"
    assert payload["fix"]["source"] == "what3words"

    result = CliRunner().invoke(main, ["location", "w3w", "filled.count.soup"])
    assert result.exit_code == 2
    payload = json.loads(result.stderr)
    assert payload["error"]["code"] == "what3words_unknown"
    assert payload["suggestions"][0]["words"] == "filled.count.soap"
