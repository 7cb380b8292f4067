"""Which encoder triage's semantic layer runs: the 8-bit one when it is built and checked,
otherwise the NumPy one (the same model in single precision, three to four times slower)."""

from __future__ import annotations

from pathlib import Path

from controlroom.adapters.embeddings.int8_model import MiniLMInt8, build_int8, is_built
from controlroom.adapters.embeddings.minilm import MiniLM
from controlroom.adapters.embeddings.model_files import ModelIntegrityError


def load_encoder(folder: Path, wanted: str = "int8") -> tuple[MiniLM | MiniLMInt8, str | None]:
    """The encoder for the model in ``folder`` — the 8-bit one unless ``wanted`` is
    ``float32`` — and, when the 8-bit one was wanted and cannot be used, why
    (:class:`ModelIntegrityError` when not even the published model is there)."""
    if wanted == "float32":
        return MiniLM(folder), None
    try:
        return MiniLMInt8(folder), None
    except ModelIntegrityError as exc:
        why = str(exc)
    return MiniLM(folder), f"the 8-bit encoder is not used ({why}); the slower one runs instead"


def ensure_int8(folder: Path) -> bool:
    """Build the 8-bit model in ``folder`` unless it is there and checked; True when built."""
    if is_built(folder):
        return False
    build_int8(folder)
    return True
