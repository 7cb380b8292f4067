"""``controlroom location``: recognise a typed location, or parse one AML message, as JSON.

Success prints JSON on stdout and exits 0. Input that is invalid or not recognised prints
``{"error": {...}}`` on stderr and exits 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from controlroom.adapters.location_text import recognise_location
from controlroom.cli.output import EXIT_BAD_INPUT, error_object
from controlroom.domain.errors import DomainError
from controlroom.domain.location import parse_aml


def _emit(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _fail(error: DomainError) -> NoReturn:
    click.echo(json.dumps({"error": error_object(error)}, ensure_ascii=False), err=True)
    raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _near(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat_s, lon_s = value.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise click.BadParameter(
            "expected LAT,LON, e.g. 50.37,-4.14", param_hint="--near"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise click.BadParameter("latitude -90..90, longitude -180..180", param_hint="--near")
    return lat, lon


@click.group()
def location() -> None:
    """Caller locations: recognise typed text, parse AML messages."""


@location.command("parse")
@click.argument("text")
@click.option("--near", metavar="LAT,LON", help="Reference point for short Plus codes.")
def parse_command(text: str, near: str | None) -> None:
    """Recognise the location format of TEXT and print it, with the fix when there is one."""
    point = _near(near)
    try:
        result = recognise_location(text, near=point)
    except DomainError as error:
        _fail(error)
    _emit(result.as_dict())


@location.command("aml")
@click.argument("message")
@click.option("--hmac-key", metavar="HEX", help="Key to verify the HTTPS form's HMAC-SHA1.")
def aml_command(message: str, hmac_key: str | None) -> None:
    """Parse one AML MESSAGE (v1 or v2 SMS, or an HTTPS body; ``-`` reads stdin)."""
    key = None
    if hmac_key is not None:
        try:
            key = bytes.fromhex(hmac_key)
        except ValueError:
            raise click.BadParameter("not hexadecimal", param_hint="--hmac-key") from None
    data: str | bytes = message
    if message == "-":
        data = sys.stdin.buffer.read()
    try:
        fix = parse_aml(data, hmac_key=key)
    except DomainError as error:
        _fail(error)
    _emit({"format": fix.source.value, "fix": fix.as_dict()})
