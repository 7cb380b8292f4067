"""``controlroom location``: recognise a typed location, parse one AML message, or convert a
what3words address, as JSON.

Success prints JSON on stdout and exits 0. Input that is invalid or not recognised prints
``{"error": {...}}`` on stderr and exits 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError

from controlroom.adapters.location_text import recognise_location
from controlroom.cli.output import EXIT_BAD_INPUT, error_object, fail
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
    """Caller locations: recognise typed text, parse AML messages, convert what3words, and
    import or search the force's gazetteer."""


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


@location.command("w3w")
@click.argument("words", nargs=-1, required=True)
@click.option("--near", metavar="LAT,LON", help="Where to look first for suggestions.")
def what3words_command(words: tuple[str, ...], near: str | None) -> None:
    """Convert a what3words address (``///filled.count.soap`` or ``filled count soap``).

    Needs CONTROLROOM_WHAT3WORDS_API_KEY and the network. An unknown address prints its
    suggestions with the error.
    """
    from controlroom.adapters.what3words_client import What3WordsService, What3WordsUnknown
    from controlroom.config import load_settings

    point = _near(near)
    try:
        settings = load_settings()
    except ValidationError as exc:
        fail(f"error: settings: {exc.errors()[0]['msg'] if exc.errors() else exc}")
    service = What3WordsService.from_settings(settings)
    try:
        result = service.convert(" ".join(words), focus=point)
    except What3WordsUnknown as error:
        payload = {
            "error": error_object(error),
            "suggestions": [item.as_dict() for item in error.suggestions],
        }
        click.echo(json.dumps(payload, ensure_ascii=False), err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except DomainError as error:
        _fail(error)
    _emit(result.as_dict())


@location.command("gazetteer-import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", metavar="NAME", help="A label for where the file came from.")
def gazetteer_import_command(path: Path, source: str | None) -> None:
    """Import a gazetteer CSV (name,lat,lon[,kind][,accuracy_m], or the ONS Postcode
    Directory's pcds,lat,long) into the database; all rows or none."""
    from controlroom.adapters.gazetteer_csv import read_gazetteer_file
    from controlroom.bootstrap import gazetteer_for, prepare_database
    from controlroom.cli.db import database_errors, settings_or_exit

    settings = settings_or_exit()
    try:
        found = read_gazetteer_file(path)
    except DomainError as error:
        _fail(error)
    with database_errors(settings):
        prepare_database(settings)
        written = gazetteer_for(settings).replace(found.entries, source=source or path.name)
        total = gazetteer_for(settings).count()
    _emit(
        {
            "imported": written,
            "skipped_terminated": found.terminated,
            "skipped_without_location": found.without_location,
            "entries_in_gazetteer": total,
        }
    )


@location.command("gazetteer-search")
@click.argument("text")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50))
def gazetteer_search_command(text: str, limit: int) -> None:
    """Search the gazetteer for postcodes and places starting with TEXT."""
    from controlroom.bootstrap import gazetteer_for, prepare_database
    from controlroom.cli.db import database_errors, settings_or_exit

    settings = settings_or_exit()
    with database_errors(settings):
        prepare_database(settings)
        found = gazetteer_for(settings).search(text, limit=limit)
    _emit(
        {
            "query": text,
            "results": [
                {
                    "name": e.name,
                    "kind": e.kind.value,
                    "lat": e.lat,
                    "lon": e.lon,
                    "accuracy_m": e.accuracy_m,
                }
                for e in found
            ],
        }
    )
