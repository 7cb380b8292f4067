"""``controlroom serve``: run the web service."""

from __future__ import annotations

import click

from controlroom.config import load_settings


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: CONTROLROOM_HOST].")
@click.option("--port", default=None, type=int, help="Port [default: CONTROLROOM_PORT].")
def serve(host: str | None, port: int | None) -> None:
    """Start the web service (API, console and public pages)."""
    import uvicorn

    from controlroom.web.app import create_app
    from controlroom.web.serving import settle

    settings = load_settings()
    app = create_app(settings)
    settle(app)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        # chat messages are short: compressing each costs more CPU than it saves bytes
        ws_per_message_deflate=False,
    )
