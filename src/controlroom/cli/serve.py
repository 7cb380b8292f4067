"""``controlroom serve``: run the web service."""

from __future__ import annotations

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
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        # X-Forwarded-* are read by the app itself, from CONTROLROOM_TRUSTED_PROXIES only
        proxy_headers=False,
        # chat messages are short: compressing each costs more CPU than it saves bytes
        ws_per_message_deflate=False,
    )
