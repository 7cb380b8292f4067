"""Security headers on every HTTP response, from one ASGI middleware.

Each response gets ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: no-referrer`` and a Content-Security-Policy suited to what it is: the
console (its own, vendored scripts only; map tiles from the configured tile server), the home
page, or an API answer (nothing may load at all). A response that sets its own policy (the
public pages, the API documentation) keeps it. A ``503`` without ``Retry-After`` (a path that
answers by itself, such as telephony's fast path, during a database outage) gets one.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
#: Seconds a 503 asks the client to wait, when the answer does not say.
RETRY_AFTER = b"5"
#: API answers, JSON and anything else not meant to be shown as a page.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: The home page: plain HTML with one inline style sheet.
HOME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def console_policy(tile_url: str | None) -> str:
    """The console's policy: scripts, styles and connections from itself only (style
    attributes allowed: the charts use them), images also from the tile server."""
    images = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            images += f" {parts.scheme}://{parts.netloc}"
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


class SecurityHeaders:
    """Adds the headers to every HTTP response of ``app`` that lacks them."""

    def __init__(self, app: ASGIApp, *, tile_url: str | None = None) -> None:
        self.app = app
        self.console = console_policy(tile_url).encode()

    def _policy(self, path: str) -> bytes:
        if path.startswith(("/console", "/static/")):
            return self.console
        if path == "/":
            return HOME_POLICY.encode()
        return API_POLICY.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = headers + list(_missing(headers, policy))
                if message.get("status") == 503 and not _has(headers, b"retry-after"):
                    message["headers"].append((b"retry-after", RETRY_AFTER))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _has(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(key.lower() == name for key, _ in headers)


def _missing(headers: list[tuple[bytes, bytes]], policy: bytes) -> Iterable[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    wanted = {name.encode(): value.encode() for name, value in COMMON.items()}
    wanted[b"content-security-policy"] = policy
    return [(name, value) for name, value in wanted.items() if name not in present]
