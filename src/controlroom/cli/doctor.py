"""``controlroom doctor``: check a deployment's configuration and say what to fix."""

from __future__ import annotations

import json

import click

from controlroom.cli.db import settings_or_exit
from controlroom.domain import doctor as judge
from controlroom.domain.doctor import Finding


def findings() -> list[Finding]:
    """Every check, in the order printed."""
    from controlroom import bootstrap
    from controlroom.adapters import doctor_probes as probe

    settings = settings_or_exit()
    database = probe.probe_database(settings.database_url)
    reachable = database[0].level is not judge.Level.FAIL
    return [
        judge.check_demo(settings.demo),
        judge.check_secret(
            "session secret",
            "CONTROLROOM_SESSION_SECRET",
            settings.session_secret,
            "console sessions end at every restart and instances cannot share them",
        ),
        judge.check_secret(
            "public secret",
            "CONTROLROOM_PUBLIC_SECRET",
            settings.public_secret,
            "public forms and chats break at every restart and across instances",
        ),
        judge.check_cookies(settings.secure_cookies, settings.trusted_proxies),
        judge.check_proxies(settings.trusted_proxies),
        judge.check_oidc(
            settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret
        ),
        *database,
        judge.check_sizing(bootstrap.sizing_for(settings, ask_database=reachable)),
        probe.probe_redis(settings.redis_url),
        probe.probe_tiles(settings.tile_url),
        probe.probe_what3words(settings.what3words_api_url, settings.what3words_api_key),
        probe.probe_model(settings.model_dir, settings.encoder),
        *probe.check_outbox(settings.cc_url, settings.cc_secret),
    ]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: every check's result.")
def doctor(as_json: bool) -> None:
    """Check this deployment's configuration: secrets, cookies, proxy trust, single sign-on,
    the database and the pools sized for it,
    Redis, the tile server, what3words, the model, the outbox and the clock. Each line says
    what was found and how to fix it; exit 1 when a check FAILs."""
    results = findings()
    code = judge.exit_code(results)
    if as_json:
        rows = [finding.as_dict() for finding in results]
        click.echo(json.dumps({"ok": code == 0, "checks": rows}, ensure_ascii=False, indent=2))
    else:
        width = max(len(finding.name) for finding in results)
        for finding in results:
            click.echo(finding.line(width))
        failed = sum(finding.level is judge.Level.FAIL for finding in results)
        warned = sum(finding.level is judge.Level.WARN for finding in results)
        click.echo(f"{len(results)} checks: {failed} failed, {warned} warnings")
    raise SystemExit(code)
