"""Delivery of outbox messages by HTTPS POST, signed (docs/interop.md#signatures).

Each request carries ``Content-Type``, ``Idempotency-Key`` (the message's key: the same on every
attempt), ``X-Controlroom-Timestamp`` (Unix seconds, at this attempt) and
``X-Controlroom-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``. A 2xx answer is a
delivery; anything else, a timeout or a refused connection is a failed attempt, retried later.
Plain ``http://`` is allowed only to a loopback address (a receiver on the same machine, tests).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from controlroom.domain.errors import InvalidInput
from controlroom.domain.outbox import DeliveryFailed, OutboxMessage, signature

USER_AGENT = "controlroom-outbox/1"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str, setting: str) -> str:
    """``url`` when it is an HTTPS URL (or HTTP to a loopback address); otherwise
    :class:`InvalidInput` naming the setting and how to fix it."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return url
    raise InvalidInput(
        f"{setting} must be an https:// URL, not {url!r}",
        field=setting,
        hint="plain http:// is accepted only for a loopback address such as 127.0.0.1",
    )


class SignedHttpTransport:
    """POSTs each message's body to ``url``, signed with ``secret``."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        setting: str = "url",
    ) -> None:
        if not secret:
            raise InvalidInput(
                "the shared secret for signing is empty",
                field=setting,
                hint="set the secret agreed with the receiver (32+ random characters)",
            )
        self.url = check_endpoint(url, setting)
        self._secret = secret
        self._clock = clock
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, message: OutboxMessage) -> None:
        """POST the message once; :class:`DeliveryFailed` unless the answer is 2xx."""
        body = message.body.encode("utf-8")
        timestamp = int(self._clock())
        headers = {
            "Content-Type": message.content_type,
            "Idempotency-Key": message.idempotency_key,
            "X-Controlroom-Timestamp": str(timestamp),
            "X-Controlroom-Signature": signature(self._secret, timestamp, body),
            "X-Controlroom-Kind": message.kind,
            "User-Agent": USER_AGENT,
        }
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryFailed("the receiver did not answer in time") from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"could not reach the receiver: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"the receiver answered HTTP {response.status_code}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
