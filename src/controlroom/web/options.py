"""``OPTIONS`` answered properly: ``204`` with an ``Allow`` listing every method the path
answers (Starlette alone answers ``405`` with the methods of the first route matching the path
only, so a path served by a GET route and a POST route claimed to allow GET alone).

No cross-origin requests are allowed (no ``Access-Control-*`` headers are sent), so a browser's
pre-flight request still fails, as it should.
"""

from __future__ import annotations

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from controlroom.web.security_headers import API_POLICY, COMMON


class AnswerOptions:
    """Answer ``OPTIONS`` for any path a route of ``app`` serves; anything else passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        methods = allowed_methods(scope)
        if not methods:
            await self.app(scope, receive, send)  # 404 as for any other method
            return
        headers = [(b"allow", ", ".join(sorted(methods | {"OPTIONS"})).encode())]
        headers += [(b"content-length", b"0")]
        headers += [(name.encode(), value.encode()) for name, value in COMMON.items()]
        headers += [(b"content-security-policy", API_POLICY.encode())]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


#: The methods asked about for each path.
CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(scope: Scope) -> set[str]:
    """The methods some route of the application fully matches for ``scope``'s path (empty
    when none does); a mount (static files) answers GET and HEAD."""
    methods: set[str] = set()
    for route in scope["app"].router.routes:
        if isinstance(route, Mount):
            if route.matches(scope)[0] is not Match.NONE:
                methods |= {"GET", "HEAD"}
            continue
        for method in CANDIDATES:
            if (
                method not in methods
                and route.matches({**scope, "method": method})[0] is Match.FULL
            ):
                methods.add(method)
    return methods
