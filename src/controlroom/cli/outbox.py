"""``controlroom outbox``: run the outbox's delivery worker on its own (docs/interop.md)."""

from __future__ import annotations

import signal
from types import FrameType

import click

from controlroom.cli.db import database_errors, settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, fail


@click.group()
def outbox() -> None:
    """The outbox: deliver its messages to command-and-control and partner agencies."""


@outbox.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def deliver(once: bool) -> None:
    """Deliver due outbox messages until stopped (SIGTERM or Ctrl-C end it after the round in
    progress). Exits 2 when no destination is configured (CONTROLROOM_CC_URL, or
    CONTROLROOM_MAIT_URL with MAIT partners in the policy)."""
    from controlroom import bootstrap

    settings = settings_or_exit()
    with database_errors(settings):
        worker = bootstrap.delivery_worker(settings, bootstrap.uow_factory(settings))
        if worker is None:
            fail(
                "error: no outbox destination is configured: set CONTROLROOM_CC_URL and "
                "CONTROLROOM_CC_SECRET (or CONTROLROOM_MAIT_URL and CONTROLROOM_MAIT_SECRET for "
                "partner agencies)",
                EXIT_BAD_INPUT,
            )
        if once:
            done = worker.run_once()
            click.echo(f"delivered {done.delivered}, failed {done.failed}, parked {done.parked}")
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stop(timeout=0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        click.echo("delivering outbox messages (Ctrl-C to stop)", err=True)
        worker.run()
