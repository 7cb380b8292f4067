"""``controlroom serve``: run the web service."""

from __future__ import annotations

from types import FrameType
from typing import Any

import click

from controlroom.adapters.log_format import LOG_FORMATS, logging_config
from controlroom.cli.db import database_errors, settings_or_exit
from controlroom.cli.output import load_policy_or_exit
from controlroom.config import Settings

LOG_LEVELS = ("debug", "info", "warning", "error")

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
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default=None,
    help="json: one JSON object a line; text: plain lines [default: CONTROLROOM_LOG_FORMAT].",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default=None,
    help="The least serious level written [default: CONTROLROOM_LOG_LEVEL].",
)
def serve(
    host: str | None, port: int | None, log_format: str | None, log_level: str | None
) -> None:
    """Start the web service (API, console and public pages).

    Exits with one line on stderr: 2 when the database cannot be reached or migrated, 3 when
    the policy cannot be loaded."""
    import logging.config

    import uvicorn

    from controlroom.web.app import create_app
    from controlroom.web.log_redaction import RedactFields
    from controlroom.web.serving import settle

    settings = settings_or_exit()
    level = (log_level or settings.log_level).lower()
    if level not in LOG_LEVELS:
        raise click.BadParameter(
            f"{settings.log_level!r}: use one of {', '.join(LOG_LEVELS)}",
            param_hint="CONTROLROOM_LOG_LEVEL",
        )
    log_config = logging_config(log_format or settings.log_format, level)
    log_config["filters"] = {"fields": {"()": RedactFields}}  # fields given with extra=
    log_config["handlers"]["main"]["filters"] = ["fields"]
    logging.config.dictConfig(log_config)  # start-up's own records are written the same way
    policy = load_policy_or_exit(None)
    with database_errors(settings):
        app = create_app(settings, policy=policy)
    logging.getLogger("controlroom.serve").info("sizing: %s", app.state.sizing.describe())
    warning = cookie_warning(settings)
    if warning and (log_format or settings.log_format) == "json":
        logging.getLogger("controlroom.serve").warning(warning)  # one JSON line like the rest
    elif warning:
        click.secho(warning, err=True, fg="yellow", bold=True)
    settle(app)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=level,
        log_config=log_config,
        # X-Forwarded-* are read by the app itself, from CONTROLROOM_TRUSTED_PROXIES only
        proxy_headers=False,
        # chat messages are short: compressing each costs more CPU than it saves bytes
        ws_per_message_deflate=False,
        # a request still running this long after SIGTERM is cut short
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    _draining_server()(config).run()
