"""The public "is it a police matter?" use case: triage a description, word it for the public.

Nothing is stored: the words are read and forgotten.
"""

from __future__ import annotations

from controlroom.domain.errors import InvalidInput
from controlroom.domain.guidance import Guidance, public_guidance
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services.triage import triage_text

#: The longest description the public pages read.
MAX_PUBLIC_CHARS = 2_000


def advise(text: str, policy: Policy) -> Guidance:
    """What a member of the public should do about what ``text`` describes.

    Raises :class:`InvalidInput` for an empty or over-long description.
    """
    if not text.strip():
        raise InvalidInput(
            "describe what is happening", field="text", hint="a sentence or two is enough"
        )
    if len(text) > MAX_PUBLIC_CHARS:
        raise InvalidInput(
            f"that is {len(text):,} characters; please keep it under {MAX_PUBLIC_CHARS:,}",
            field="text",
        )
    decision = triage_text(text, Channel.ONLINE_REPORT, policy)
    return public_guidance(decision, policy)
