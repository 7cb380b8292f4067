"""what3words: convert a three-word address to a position, and suggest corrections.

Uses the official ``what3words`` package with the force's API key. Every request has a short
timeout. Without a key, or when the service cannot be reached, the handler gets
:class:`What3WordsUnavailable` with a plain message; an address that does not exist gives
:class:`What3WordsUnknown` carrying any suggestions (clipped to Great Britain).
"""

from __future__ import annotations

import math
import platform
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import requests
from what3words import Coordinates, Geocoder  # type: ignore[import-untyped]
from what3words.version import __version__ as _package_version  # type: ignore[import-untyped]

from controlroom.domain.errors import DomainError, InvalidInput, ServiceUnavailable
from controlroom.domain.location import LocationFix, LocationSource

DEFAULT_API_URL = "https://api.what3words.com/v3"
DEFAULT_TIMEOUT_S = 3.0
#: Half the diagonal of a 3 m what3words square, used when the answer has no square.
SQUARE_HALF_DIAGONAL_M = 2.1
CLIP_TO_COUNTRY = "GB"
MAX_INPUT_LENGTH = 200

_METRES_PER_DEGREE = 111_320.0
_SEPARATORS = re.compile(r"[\s.｡。･・︒។։။۔።।\-‐‑–—_,/\\]+")
_KEY_CODES = frozenset({"InvalidKey", "MissingKey", "SuspendedKey", "InvalidApiKey"})
_UNKNOWN_CODES = frozenset({"BadWords", "BadInput", "NotFound"})
_FORMAT_HINT = "three words separated by dots or spaces, e.g. ///filled.count.soap"
_ASK_AGAIN = "try again or ask for another description of the location"


class What3WordsUnavailable(ServiceUnavailable):
    """what3words cannot be used now: no API key, no network, or the key was refused."""

    code = "what3words_unavailable"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One autosuggest answer: a real three-word address near what was heard."""

    words: str
    nearest_place: str | None
    country: str | None
    distance_to_focus_km: float | None
    rank: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values."""
        return {
            "words": self.words,
            "nearest_place": self.nearest_place,
            "country": self.country,
            "distance_to_focus_km": self.distance_to_focus_km,
            "rank": self.rank,
        }


class What3WordsUnknown(InvalidInput):
    """Three words that are not a what3words address; ``suggestions`` may offer near misses."""

    code = "what3words_unknown"

    def __init__(
        self,
        message: str,
        *,
        suggestions: tuple[Suggestion, ...] = (),
        field: str | None = "words",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, field=field, hint=hint)
        self.suggestions = suggestions


@dataclass(frozen=True, slots=True)
class What3WordsResult:
    """A converted address: the fix (source what3words, ±2 m) and what to read back."""

    fix: LocationFix
    words: str
    nearest_place: str | None
    country: str | None
    map_url: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values."""
        return {
            "words": self.words,
            "nearest_place": self.nearest_place,
            "country": self.country,
            "map": self.map_url,
            "fix": self.fix.as_dict(),
        }


class What3WordsSettings(Protocol):
    """The two settings the service reads (``controlroom.config.Settings`` has them)."""

    @property
    def what3words_api_key(self) -> str | None: ...

    @property
    def what3words_api_url(self) -> str: ...


def normalise_words(text: str) -> str:
    """``///Filled.Count.Soap``, ``filled count soap``, ``filled-count-soap`` all give
    ``filled.count.soap``.

    Raises :class:`InvalidInput` (``field="words"``) when the text is not three words.
    """
    words = _split(text)
    if len(words) != 3:
        raise InvalidInput(
            f"a what3words address has three words, {len(words)} given",
            field="words",
            hint=_FORMAT_HINT,
        )
    return ".".join(words)


def _split(text: str) -> list[str]:
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidInput("the what3words address is too long", field="words", hint=_FORMAT_HINT)
    words = [word for word in _SEPARATORS.split(text.strip().lower()) if word]
    for word in words:
        if not word.isalpha():
            raise InvalidInput(
                f"{word!r} is not a word: what3words uses letters only",
                field="words",
                hint=_FORMAT_HINT,
            )
    return words


def not_configured() -> What3WordsUnavailable:
    """The error shown when no API key is set."""
    return What3WordsUnavailable(
        "what3words is not configured: set CONTROLROOM_WHAT3WORDS_API_KEY",
        field="what3words_api_key",
        hint="ask the caller for another description of the location",
    )


def _unreachable(reason: str) -> What3WordsUnavailable:
    return What3WordsUnavailable(f"what3words could not be reached: {reason}, {_ASK_AGAIN}")


class _Geocoder(Geocoder):  # type: ignore[misc]  # the package has no type information
    """The official client, with a timeout on every request and errors made plain.

    Messages never include the request URL: it carries the API key.
    """

    def __init__(self, api_key: str, end_point: str, timeout_s: float) -> None:
        super().__init__(api_key, language="en", end_point=end_point)
        self.timeout_s = timeout_s

    def _request(self, url_path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        query = {key: value for key, value in (params or {}).items() if value is not None}
        query["key"] = self.api_key
        headers = {
            "X-W3W-Wrapper": f"what3words-Python/{_package_version} "
            f"(Python {platform.python_version()}; controlroom)"
        }
        try:
            response = requests.get(
                self.end_point + url_path, params=query, headers=headers, timeout=self.timeout_s
            )
        except requests.Timeout:
            raise _unreachable(f"no answer within {self.timeout_s:g} s") from None
        except requests.ConnectionError:
            raise _unreachable("no connection to the service") from None
        except requests.RequestException as exc:
            raise _unreachable(f"the request failed ({type(exc).__name__})") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise _unreachable(f"the service answered HTTP {response.status_code} without JSON")
        return data


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _number(data: Any, key: str) -> float:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise What3WordsUnavailable(
            f"what3words answered without a usable {key}", hint="try again later"
        )
    return float(value)


def _square_radius(square: Any, lat: float) -> float:
    """Half the square's diagonal in metres, or 2.1 m when the answer has no square."""
    try:
        south, west = _number(square["southwest"], "lat"), _number(square["southwest"], "lng")
        north, east = _number(square["northeast"], "lat"), _number(square["northeast"], "lng")
    except (KeyError, TypeError, What3WordsUnavailable):
        return SQUARE_HALF_DIAGONAL_M
    height = (north - south) * _METRES_PER_DEGREE
    width = (east - west) * _METRES_PER_DEGREE * math.cos(math.radians(lat))
    radius = round(math.hypot(height, width) / 2, 1)
    return radius if 0 < radius < 100 else SQUARE_HALF_DIAGONAL_M


class What3WordsService:
    """Convert and suggest three-word addresses with the force's API key.

    ``api_key`` None or blank means not configured: every call raises
    :class:`What3WordsUnavailable` without touching the network.
    """

    def __init__(
        self,
        api_key: str | None,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        key = (api_key or "").strip()
        self._geocoder = _Geocoder(key, api_url.rstrip("/"), timeout_s) if key else None

    @classmethod
    def from_settings(
        cls, settings: What3WordsSettings, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> What3WordsService:
        """The service configured by ``CONTROLROOM_WHAT3WORDS_API_KEY`` and ``…_API_URL``."""
        return cls(
            settings.what3words_api_key, api_url=settings.what3words_api_url, timeout_s=timeout_s
        )

    @property
    def configured(self) -> bool:
        """True when an API key is set (the network may still be down)."""
        return self._geocoder is not None

    def _client(self) -> _Geocoder:
        if self._geocoder is None:
            raise not_configured()
        return self._geocoder

    def convert(
        self,
        words: str,
        *,
        focus: tuple[float, float] | None = None,
        stated_at: datetime | None = None,
    ) -> What3WordsResult:
        """The position of ``words``; ``stated_at`` (when the caller said them) is the fix's time.

        Raises :class:`What3WordsUnknown` with suggestions (near ``focus`` when given) when the
        address does not exist, and :class:`What3WordsUnavailable` when the service cannot be
        used. An address outside Great Britain is converted and flagged ``outside_gb``.
        """
        normalised = normalise_words(words)
        if stated_at is not None and stated_at.utcoffset() is None:
            raise InvalidInput("stated_at has no time zone", field="stated_at")
        answer = self._client().convert_to_coordinates(normalised)
        error = answer.get("error")
        if error is not None:
            code = str(error.get("code", "")) if isinstance(error, dict) else ""
            if code in _UNKNOWN_CODES:
                raise self._unknown(normalised, focus)
            raise self._refused(code, error)
        coordinates = answer.get("coordinates")
        lat, lon = _number(coordinates, "lat"), _number(coordinates, "lng")
        country = _text(answer, "country")
        nearest = _text(answer, "nearestPlace")
        found = _text(answer, "words") or normalised
        extra = {"words": found}
        if nearest:
            extra["nearest_place"] = nearest
        if country:
            extra["country"] = country
        try:
            fix = LocationFix(
                source=LocationSource.WHAT3WORDS,
                lat=lat,
                lon=lon,
                accuracy_m=_square_radius(answer.get("square"), lat),
                positioned_at=stated_at,
                flags=("outside_gb",) if country not in (None, CLIP_TO_COUNTRY) else (),
                extra=extra,
                raw=words.strip(),
            )
        except InvalidInput as exc:
            raise What3WordsUnavailable(
                f"what3words answered with an unusable position: {exc.message}",
                hint="try again later",
            ) from None
        return What3WordsResult(fix, found, nearest, country, _text(answer, "map"))

    def suggest(
        self, partial: str, *, focus: tuple[float, float] | None = None, limit: int = 3
    ) -> list[Suggestion]:
        """Real addresses in Great Britain close to ``partial`` (nearest ``focus`` first).

        ``partial`` needs two words and the start of a third; shorter input gives no
        suggestions without asking the service.
        """
        words = _split(partial)
        if len(words) > 3:
            raise InvalidInput(
                f"a what3words address has three words, {len(words)} given",
                field="words",
                hint=_FORMAT_HINT,
            )
        if len(words) < 3:
            return []
        client = self._client()
        answer = client.autosuggest(
            ".".join(words),
            n_results=max(1, min(limit, 100)),
            focus=Coordinates(*focus) if focus is not None else None,
            clip_to_country=CLIP_TO_COUNTRY,
        )
        error = answer.get("error")
        if error is not None:
            code = str(error.get("code", "")) if isinstance(error, dict) else ""
            if code in _UNKNOWN_CODES:
                return []
            raise self._refused(code, error)
        return _suggestions(answer.get("suggestions"))

    def _unknown(self, words: str, focus: tuple[float, float] | None) -> What3WordsUnknown:
        try:
            suggestions = tuple(self.suggest(words, focus=focus))
        except DomainError:
            suggestions = ()
        hint = "check the words with the caller"
        if suggestions:
            listed = ", ".join(
                f"///{item.words}" + (f" (near {item.nearest_place})" if item.nearest_place else "")
                for item in suggestions
            )
            hint = f"did the caller mean {listed}?"
        return What3WordsUnknown(
            f"///{words} is not a what3words address", suggestions=suggestions, hint=hint
        )

    @staticmethod
    def _refused(code: str, error: Any) -> What3WordsUnavailable:
        message = error.get("message") if isinstance(error, dict) else None
        detail = f"{code}: {message}" if code and isinstance(message, str) else code or "unknown"
        if code in _KEY_CODES:
            return What3WordsUnavailable(
                f"what3words refused the API key ({detail})",
                field="what3words_api_key",
                hint="check CONTROLROOM_WHAT3WORDS_API_KEY; meanwhile ask for another "
                "description of the location",
            )
        return What3WordsUnavailable(
            f"what3words could not be used ({detail}), {_ASK_AGAIN}", hint=_ASK_AGAIN
        )


def _suggestions(items: Any) -> list[Suggestion]:
    out: list[Suggestion] = []
    if not isinstance(items, list):
        return out
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not _text(item, "words"):
            continue
        distance = item.get("distanceToFocusKm")
        if isinstance(distance, bool) or not isinstance(distance, (int, float)):
            distance = None
        rank = item.get("rank")
        out.append(
            Suggestion(
                words=str(item["words"]),
                nearest_place=_text(item, "nearestPlace"),
                country=_text(item, "country"),
                distance_to_focus_km=float(distance)
                if distance is not None and math.isfinite(distance)
                else None,
                rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else position,
            )
        )
    return out
