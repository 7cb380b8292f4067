"""``controlroom serve``: run the web service."""

from __future__ import annotations

from types import FrameType
from typing import Any

import click

from controlroom.cli.db import database_errors, settings_or_exit
from controlroom.cli.output import load_policy_or_exit
from controlroom.config import Settings

#: Printed at start-up when console cookies may travel without the Secure flag.
INSECURE_COOKIES = (
    "WARNING: console cookies are marked Secure only for requests that arrive over HTTPS, and "
    "no trusted proxy is configured to say so (CONTROLROOM_TRUSTED_PROXIES). Behind a TLS "
    "proxy set CONTROLROOM_TRUSTED_PROXIES to its address, or CONTROLROOM_SECURE_COOKIES=true."
)


def cookie_warning(settings: Settings) -> str | None:
    """The start-up warning about cookies, or None when HTTPS is known to be in front."""
    if settings.secure_cookies or settings.trusted_proxies:
        return None
    return INSECURE_COOKIES


#: Seconds the requests in flight get to finish after SIGTERM (systemd waits 30).
GRACEFUL_SECONDS = 20


def _draining_server() -> type[Any]:
    import uvicorn

    from controlroom.web.draining import draining

    class Server(uvicorn.Server):
        """uvicorn's server, which on SIGTERM (or Ctrl-C) also ends the live feeds and chat
        sockets at once with a hint to reconnect (:mod:`controlroom.web.draining`)."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            draining(self.config.app).start()
            super().handle_exit(sig, frame)

    return Server


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: CONTROLROOM_HOST].")
@click.option("--port", default=None, type=int, help="Port [default: CONTROLROOM_PORT].")
def serve(host: str | None, port: int | None) -> None:
    """Start the web service (API, console and public pages).

    Exits with one line on stderr: 2 when the database cannot be reached or migrated, 3 when
    the policy cannot be loaded."""
    import uvicorn

    from controlroom.web.app import create_app
    from controlroom.web.serving import settle

    settings = settings_or_exit()
    policy = load_policy_or_exit(None)
    with database_errors(settings):
        app = create_app(settings, policy=policy)
    warning = cookie_warning(settings)
    if warning:
        click.secho(warning, err=True, fg="yellow", bold=True)
    settle(app)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        # X-Forwarded-* are read by the app itself, from CONTROLROOM_TRUSTED_PROXIES only
        proxy_headers=False,
        # chat messages are short: compressing each costs more CPU than it saves bytes
        ws_per_message_deflate=False,
        # a request still running this long after SIGTERM is cut short
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    _draining_server()(config).run()
