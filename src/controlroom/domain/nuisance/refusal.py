"""Why the ladder refuses a move: what a guard answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """Why a move is refused: a citation key or paragraph id, a message and a hint."""

    citation: str
    message: str
    hint: str | None = None
