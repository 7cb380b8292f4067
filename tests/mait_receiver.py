"""A MAIT hub for tests: the C&C test receiver (signatures, timestamps, idempotency keys) that
takes MAIT XML instead of JSON and checks each document against the schema before taking it."""

from __future__ import annotations

import time
from typing import Any

from controlroom.adapters.mait.xml_codec import from_xml
from controlroom.domain.mait import MaitInvalid, MaitMessage
from controlroom.domain.outbox import verify_signature
from tests.cc_receiver import Receiver

SECRET = "test-mait-secret-0123456789abcdef01234567"


class MaitHub(Receiver):
    """Keeps each message it took, read back and validated, by idempotency key."""

    def __init__(self, secret: str = SECRET) -> None:
        super().__init__(secret)
        self.messages: dict[str, MaitMessage] = {}

    def handle(self, headers: Any, body: bytes) -> int:
        """Check and take one request; the status to answer."""
        with self.lock:
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            why = verify_signature(
                self.secret,
                headers.get("X-Controlroom-Timestamp", ""),
                body,
                headers.get("X-Controlroom-Signature", ""),
                now=time.time(),
            )
            key = headers.get("Idempotency-Key", "")
            if why is None and headers.get("Content-Type") != "application/xml":
                why = "not XML"
            if why is not None:
                self.refused.append(why)
                return 401
            if key in self.messages:
                self.duplicates[key] += 1
                return 200
            try:
                message = from_xml(body)
            except MaitInvalid as exc:
                self.refused.append(f"invalid MAIT: {exc.message}")
                return 400
            if key != f"mait:{message.header.message_id}":
                self.refused.append("the key does not match the MessageID")
                return 400
            self.messages[key] = message
            self.processed.append(key)
            return 200
