"""Read an evaluation file: tab-separated, UTF-8, with a header naming the columns.

The header is ``text label agency source_url kind``; ``text`` and ``label`` are required, the
others optional, in any order. Fields are not quoted. Blank lines are skipped. Every error names
the file, the line and the column. A directory is read as every ``*.tsv`` file directly inside
it, in name order, each row remembering its file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from controlroom.domain.errors import InvalidInput
from controlroom.domain.evaluation import Example, Label

COLUMNS = ("text", "label", "agency", "source_url", "kind")
REQUIRED = ("text", "label")


def _fail(source: str, line: int, message: str, *, column: str | None, hint: str) -> InvalidInput:
    where = f"{source}, line {line}"
    if column is not None:
        where += f", column {column!r}"
    return InvalidInput(f"{where}: {message}", field=column, hint=hint)


def read_eval_tsv(path: Path | str) -> list[Example]:
    """Read the examples in the TSV file at ``path``; :class:`InvalidInput` on any problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror or exc}",
            field="file",
            hint="give the path of a tab-separated file with a text and a label column",
        ) from None
    return parse_eval_tsv(data.splitlines(), source=str(path))


def read_eval_path(path: Path | str) -> list[Example]:
    """Read one TSV file, or every ``*.tsv`` file directly inside a directory, in name order.

    Rows read from a directory carry their file's path in :attr:`Example.file`.
    """
    path = Path(path)
    if not path.is_dir():
        return read_eval_tsv(path)
    files = sorted(child for child in path.glob("*.tsv") if child.is_file())
    if not files:
        raise InvalidInput(
            f"{path} has no .tsv files",
            field="file",
            hint="give a TSV file, or a directory holding .tsv files directly inside it",
        )
    return [replace(example, file=str(file)) for file in files for example in read_eval_tsv(file)]


def parse_eval_tsv(lines: Iterable[bytes], *, source: str = "<tsv>") -> list[Example]:
    """Parse TSV ``lines`` (raw bytes, one per line); errors name ``source`` and the line."""
    header: dict[str, int] | None = None
    width = 0
    examples: list[Example] = []
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail(
                source,
                number,
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02X} at byte {exc.start + 1})",
                column=None,
                hint="save the file as UTF-8",
            ) from None
        if number == 1:
            line = line.removeprefix("\ufeff")
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        if header is None:
            header = _read_header(fields, source, number)
            width = len(fields)
            continue
        if len(fields) != width:
            raise _fail(
                source,
                number,
                f"expected {width} tab-separated fields, found {len(fields)}",
                column=None,
                hint="separate fields with single tabs; tabs are not allowed inside a field",
            )
        examples.append(_read_row(fields, header, source, number))
    if header is None:
        raise _fail(
            source,
            1,
            "the file is empty",
            column=None,
            hint=f"start with a header line: {' <tab> '.join(COLUMNS)}",
        )
    return examples


def _read_header(fields: list[str], source: str, number: int) -> dict[str, int]:
    names = [name.strip().lower() for name in fields]
    header: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in header:
            raise _fail(
                source,
                number,
                "the column appears twice in the header",
                column=name,
                hint="name each column once",
            )
        header[name] = position
    for name in REQUIRED:
        if name not in header:
            raise _fail(
                source,
                number,
                "the header has no such column",
                column=name,
                hint=f"start with a header line naming the columns: {' <tab> '.join(COLUMNS)}",
            )
    return header


def _read_row(fields: list[str], header: dict[str, int], source: str, number: int) -> Example:
    def get(name: str) -> str:
        position = header.get(name)
        return "" if position is None else fields[position].strip()

    text = get("text")
    if not text:
        raise _fail(source, number, "the text is empty", column="text", hint="give the words used")
    raw_label = get("label")
    try:
        label = Label(raw_label)
    except ValueError:
        allowed = ", ".join(label.value for label in Label)
        raise _fail(
            source,
            number,
            f"unknown label {raw_label!r}",
            column="label",
            hint=f"use one of: {allowed}",
        ) from None
    return Example(
        text=text,
        label=label,
        agency=get("agency"),
        source_url=get("source_url"),
        kind=get("kind"),
        line=number,
    )
