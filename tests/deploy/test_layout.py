"""The production layout, as a force would run it: nginx terminating TLS in front of two
instances, checked from outside through the proxy."""

from __future__ import annotations

import json
import re
import signal
import ssl
import threading
import time
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.deploy.conftest import Layout

#: How a gracefully stopped instance exits: the server re-raises the SIGTERM it handled.
GRACEFUL_EXIT = (0, -signal.SIGTERM)


def client(running: Layout, **kwargs: Any) -> httpx.Client:
    trust = ssl.create_default_context(cafile=str(running.certificate))
    return httpx.Client(base_url=running.url, verify=trust, timeout=10, **kwargs)


def test_https_with_hsts_and_plain_http_redirected(deployed: Layout) -> None:
    with client(deployed) as web:
        ready = web.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.headers["strict-transport-security"].startswith("max-age=63072000")
    assert "server" not in ready.headers or "nginx/" not in ready.headers["server"]
    plain = httpx.get(f"http://127.0.0.1:{deployed.http_port}/console", timeout=10)
    assert plain.status_code == 308
    assert plain.headers["location"] == f"https://127.0.0.1:{deployed.https_port}/console"


def test_console_cookies_are_secure_behind_the_proxy(deployed: Layout) -> None:
    with client(deployed) as web:
        page = web.get("/console/login")
    cookies = page.headers.get_list("set-cookie")
    assert cookies, "the sign-in page sets its cookies"
    assert all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)


def sign_in(web: httpx.Client, name: str = "handler") -> httpx.Response:
    """Sign a demo user in through the proxy's sign-in form."""
    login = web.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf
    return web.post(
        "/console/login",
        data={
            "csrf": csrf.group(1),
            "next": "/console/handler",
            "username": name,
            "password": f"demo-{name}-password",
        },
    )


def test_a_handler_signs_in_and_the_live_feed_streams_through_the_proxy(deployed: Layout) -> None:
    with client(deployed, follow_redirects=True) as web:
        login = web.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert csrf
        signed_in = web.post(
            "/console/login",
            data={
                "csrf": csrf.group(1),
                "next": "/console/handler",
                "username": "handler",
                "password": "demo-handler-password",
            },
        )
        assert signed_in.status_code == 200 and "/console/login" not in str(signed_in.url)
        started = time.monotonic()
        with web.stream("GET", "/console/live", headers={"Accept": "text/event-stream"}) as feed:
            assert feed.status_code == 200
            assert feed.headers["content-type"].startswith("text/event-stream")
            first = next(feed.iter_bytes())
        assert first and time.monotonic() - started < 2  # not held back by the proxy


def test_a_live_chat_socket_works_through_the_proxy(deployed: Layout) -> None:
    with client(deployed) as web:
        page = web.get("/public/chat")
    token = re.search(r'data-form-token="([^"]+)"', page.text)
    assert token
    time.sleep(2.5)  # a person reads the page before writing: a faster start is refused
    trust = ssl.create_default_context(cafile=str(deployed.certificate))
    with connect(
        f"wss://localhost:{deployed.https_port}/public/chat/ws",
        ssl=trust,
        origin=f"https://localhost:{deployed.https_port}",  # type: ignore[arg-type]
        open_timeout=10,
    ) as socket:
        socket.send(
            json.dumps(
                {
                    "type": "start",
                    "form_token": token.group(1),
                    "client_id": "layout-0001",
                    "text": "Someone keeps letting my tyres down",
                }
            )
        )
        frames = [json.loads(socket.recv(timeout=10))]
    assert frames[0]["type"] == "joined", frames[0]
    assert frames[0]["state"] == "waiting"


def test_an_oversized_request_is_refused_at_the_proxy(deployed: Layout) -> None:
    with client(deployed) as web:
        answer = web.post(
            "/api/telephony/events",
            content=b"x" * (2 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 413


def test_both_instances_take_requests(deployed: Layout) -> None:
    marks = [instance.log.stat().st_size for instance in deployed.instances]
    with client(deployed) as web:
        for _ in range(12):
            assert web.get("/healthz").status_code == 200
    for instance, mark in zip(deployed.instances, marks, strict=True):
        with instance.log.open("rb") as log:
            log.seek(mark)
            assert b"GET /healthz" in log.read(), f"instance {instance.port} took no request"


def test_each_instance_restarted_in_turn_while_requests_flow(deployed: Layout) -> None:
    answers: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with client(deployed) as web:
            while not stop.is_set():
                try:
                    answers.append(web.get("/readyz").status_code)
                except httpx.HTTPError:
                    answers.append(0)
                time.sleep(0.02)

    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        deployed.rolling_restart()
    finally:
        stop.set()
        asking.join(timeout=20)
    assert len(answers) > 20
    assert set(answers) == {200}, f"answers other than 200: {sorted(set(answers))}"


def chat_token(origin: str, **options: Any) -> str:
    """A form token from the chat page, after a person's reading time (a faster start is
    refused)."""
    page = httpx.get(origin + "/public/chat", timeout=10, **options)
    token = re.search(r'data-form-token="([^"]+)"', page.text)
    assert token
    time.sleep(2.5)
    return token.group(1)


def start_chat(socket: Any, token: str, text: str) -> dict[str, Any]:
    """Start a chat on ``socket``: its "joined" frame."""
    socket.send(
        json.dumps({"type": "start", "form_token": token, "client_id": "drain-0001", "text": text})
    )
    joined: dict[str, Any] = json.loads(socket.recv(timeout=10))
    assert joined["type"] == "joined", joined
    return joined


def test_a_stopping_instance_hands_its_feeds_and_sockets_on_at_once(deployed: Layout) -> None:
    with client(deployed, follow_redirects=True) as web:
        assert sign_in(web).status_code == 200
        cookie = "; ".join(f"{c.name}={c.value}" for c in web.cookies.jar)
    first = deployed.instances[0]
    with (
        httpx.Client(base_url=first.url, timeout=10) as direct,
        direct.stream("GET", "/console/live", headers={"Cookie": cookie}) as feed,
    ):
        assert feed.status_code == 200
        chunks = feed.iter_bytes()
        next(chunks)
        stopped = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        rest = b"".join(chunks)  # the stream ends when the instance lets it go
        feed_ended = time.monotonic() - stopped
    assert b"retry: 250" in rest and feed_ended < 2
    assert first.process.wait(timeout=30) in GRACEFUL_EXIT
    deployed.instances[0] = deployed.start_instance(first.port)

    second = deployed.instances[1]
    origin = f"http://127.0.0.1:{second.port}"
    token = chat_token(origin)
    with connect(
        f"ws://127.0.0.1:{second.port}/public/chat/ws",
        origin=origin,  # type: ignore[arg-type]
        open_timeout=10,
    ) as socket:
        joined = start_chat(socket, token, "My shed was broken into")
        stopped = time.monotonic()
        second.process.send_signal(signal.SIGTERM)
        try:
            while True:
                socket.recv(timeout=5)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1012
        socket_closed = time.monotonic() - stopped
    assert socket_closed < 2
    assert second.process.wait(timeout=30) in GRACEFUL_EXIT
    deployed.instances[1] = deployed.start_instance(second.port)

    trust = ssl.create_default_context(cafile=str(deployed.certificate))
    with connect(
        f"wss://localhost:{deployed.https_port}/public/chat/ws",
        ssl=trust,
        origin=f"https://localhost:{deployed.https_port}",  # type: ignore[arg-type]
        open_timeout=10,
    ) as again:
        again.send(
            json.dumps(
                {"type": "resume", "chat": joined["chat"], "secret": joined["secret"], "after": 0}
            )
        )
        resumed = json.loads(again.recv(timeout=10))
    assert resumed["type"] == "joined" and resumed["chat"] == joined["chat"]
