"""A command-and-control receiver for tests: a real HTTP server on a free loopback port that
checks what the outbox sends as docs/interop.md tells a receiver to.

It refuses (401) a request whose timestamp or signature does not verify, answers a key it has
processed already with 200 and no effect (counted in ``duplicates``), and records a breach of
a contact's order (a change older than one already processed) in ``out_of_order``. ``fail_next``
makes it answer 503 to that many requests first; ``delay`` holds each answer back, after the
request was processed (so a sender killed meanwhile will send it again).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from controlroom.domain.outbox import verify_signature

SECRET = "test-cc-secret-0123456789abcdef0123456789"


class Receiver:
    """The receiver's state, shared by its request threads."""

    def __init__(self, secret: str = SECRET, *, delay: float = 0.0) -> None:
        self.secret = secret
        self.delay = delay
        self.fail_next = 0
        self.lock = threading.Lock()
        self.processed: list[str] = []  # keys, in the order they took effect
        self.documents: dict[str, dict[str, Any]] = {}
        self.duplicates: Counter[str] = Counter()
        self.refused: list[str] = []  # why each refused request was refused
        self.out_of_order: list[str] = []
        self.requests = 0
        self._last_seq: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to send."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/incidents"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        """Wait until ``count`` distinct keys have been processed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.processed) >= count:
                    return True
            time.sleep(0.02)
        return False

    #: What the receiver takes; anything else is refused.
    content_type = "application/json"

    def handle(self, headers: Any, body: bytes) -> int:
        """Check one request and take it (:meth:`take`) unless its key was taken before; the
        status to answer."""
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
            if why is None and headers.get("Content-Type") != self.content_type:
                why = f"not {self.content_type}"
            if why is None and not key:
                why = "no Idempotency-Key"
            if why is not None:
                self.refused.append(why)
                return 401
            if key in self.processed:
                self.duplicates[key] += 1
                return 200
            status = self.take(key, body)
            if status == 200:
                self.processed.append(key)
            return status

    def take(self, key: str, body: bytes) -> int:
        """Process one new, verified document (the lock held): C&C's JSON, its order per
        contact checked; the status to answer."""
        document = json.loads(body)
        if document.get("message_id") != key:
            self.refused.append("the key does not match the document")
            return 400
        contact, seq = document["contact_id"], int(document["change"]["seq"])
        if seq <= self._last_seq.get(contact, 0):
            self.out_of_order.append(f"{contact}: {seq} after {self._last_seq[contact]}")
        self._last_seq[contact] = max(seq, self._last_seq.get(contact, 0))
        self.documents[key] = document
        return 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                status = receiver.handle(self.headers, self.rfile.read(length))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
