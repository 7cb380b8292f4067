"""The backup file: one file holding a manifest and the database's dump, checkable on its own.

Layout: a first line ``controlroom-backup 1 <SHA-256 of the manifest line>``, then the manifest
as one line of JSON (controlroom version, schema revision, database kind, when, rows per
table, the audit chain's head, the dump's size and SHA-256), then the dump's bytes: a SQLite
database file, or a ``pg_dump --format=custom`` archive. A flipped byte anywhere is found
before anything is restored: in the first two lines by the manifest's hash, in the dump by its.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from controlroom.domain.errors import InvalidInput

MAGIC = "controlroom-backup"
FORMAT = 1
KINDS = ("sqlite", "postgresql")
#: The longest first line and manifest line read: a file with longer ones is not a backup.
MAX_LINE = 1 << 20
CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    """What a backup holds, as its manifest says."""

    kind: str
    revision: str | None
    version: str
    created_at: str
    counts: dict[str, int]
    audit_seq: int
    audit_hash: str
    dump_sha256: str = ""
    dump_bytes: int = 0
    format: int = FORMAT


_FIELDS = tuple(Manifest.__dataclass_fields__)


def _bad(path: Path, what: str) -> InvalidInput:
    return InvalidInput(
        f"{path}: {what}",
        field="FILE",
        hint="give a file written by `controlroom db backup`, copied whole (the file is "
        "refused and nothing was restored)",
    )


def write(path: Path, manifest: Manifest, dump: Path) -> Manifest:
    """Write the backup ``path`` from ``dump`` (hashed here): to a temporary file beside it,
    renamed into place once complete. The manifest as written."""
    digest = hashlib.sha256()
    size = 0
    with dump.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    manifest = Manifest(
        **(asdict(manifest) | {"dump_sha256": digest.hexdigest(), "dump_bytes": size})
    )
    line = json.dumps(asdict(manifest), sort_keys=True, separators=(",", ":")).encode() + b"\n"
    header = f"{MAGIC} {FORMAT} {hashlib.sha256(line).hexdigest()}\n".encode()
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out, dump.open("rb") as source:
            out.write(header)
            out.write(line)
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _line(stream: BinaryIO, path: Path, what: str) -> bytes:
    line = stream.readline(MAX_LINE)
    if not line.endswith(b"\n"):
        raise _bad(path, f"not a controlroom backup ({what} missing or cut short)")
    return line


def read_manifest(path: Path) -> tuple[Manifest, int]:
    """The manifest of the backup ``path`` (its hash checked) and where the dump starts."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot be read: {exc.strerror or exc}",
            field="FILE",
            hint="give the path of a file written by `controlroom db backup`",
        ) from exc
    with stream:
        header = _line(stream, path, "header").decode("ascii", "replace").split()
        if len(header) != 3 or header[0] != MAGIC:
            raise _bad(path, "not a controlroom backup (no controlroom-backup header)")
        if header[1] != str(FORMAT):
            raise _bad(path, f"backup format {header[1]!r}; this version reads format {FORMAT}")
        line = _line(stream, path, "manifest")
        if hashlib.sha256(line).hexdigest() != header[2]:
            raise _bad(path, "the manifest does not match its SHA-256: the file is damaged")
        try:
            raw = json.loads(line)
            known = {name: raw[name] for name in _FIELDS if name in raw}  # newer fields ignored
            manifest = Manifest(**known)
        except (ValueError, TypeError) as exc:
            raise _bad(path, f"the manifest cannot be read: {exc}") from exc
        if manifest.kind not in KINDS:
            raise _bad(path, f"unknown database kind {manifest.kind!r}")
        if not _well_formed(manifest):
            raise _bad(path, "the manifest's fields are not of the expected types")
        return manifest, stream.tell()


def _well_formed(manifest: Manifest) -> bool:
    counts = manifest.counts
    return (
        isinstance(counts, dict)
        and all(isinstance(k, str) and type(v) is int for k, v in counts.items())
        and all(type(v) is int for v in (manifest.audit_seq, manifest.dump_bytes))
        and all(isinstance(v, str) for v in (manifest.audit_hash, manifest.dump_sha256))
        and all(isinstance(v, str) for v in (manifest.version, manifest.created_at))
        and (manifest.revision is None or isinstance(manifest.revision, str))
    )


def extract_dump(path: Path, manifest: Manifest, offset: int, dest: Path) -> None:
    """Copy the dump out of the backup ``path`` into ``dest``, checking its size and SHA-256;
    ``dest`` is removed when they do not match."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source, dest.open("wb") as out:
        source.seek(offset)
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != manifest.dump_bytes or digest.hexdigest() != manifest.dump_sha256:
        dest.unlink(missing_ok=True)
        raise _bad(
            path,
            f"the dump does not match the manifest's SHA-256 ({size} bytes, expected "
            f"{manifest.dump_bytes}): the file is damaged or was changed",
        )
