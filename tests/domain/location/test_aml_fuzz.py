"""Whatever arrives, the parser gives a fix or an AmlError, never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.domain.location import (
    AmlError,
    LocationFix,
    apply_aml,
    format_aml_https,
    format_aml_v1,
    format_aml_v2,
    parse_aml,
)

from .strategies import v1_fixes, v2_fixes
from .test_aml_v1 import EXAMPLE

AML_ALPHABET = 'A"ML=12;,.+-&%_0123456789ltgrdopcmsieanuzhxvGWCUFN '


def outcome(message: str | bytes, key: bytes | None = None) -> LocationFix | AmlError:
    try:
        return parse_aml(message, hmac_key=key)
    except AmlError as error:
        assert error.field, "every AML error names a field"
        assert error.message
        return error


@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    outcome(text)


@given(st.binary(max_size=300), st.none() | st.binary(max_size=20))
def test_any_bytes(data: bytes, key: bytes | None) -> None:
    outcome(data, key)


@given(st.sampled_from(['A"ML=1;', 'A"ML=2;', "", "location_latitude=1&"]), st.text(AML_ALPHABET))
def test_text_made_of_aml_characters(header: str, body: str) -> None:
    outcome(header + body)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid message with characters deleted, inserted or replaced."""
    base = draw(
        st.just(EXAMPLE)
        | v1_fixes().map(format_aml_v1)
        | v2_fixes().map(format_aml_v2)
        | v2_fixes().map(lambda fix: format_aml_https(fix).decode())
    )
    chars = list(base)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(chars)))
        action = draw(st.sampled_from(["delete", "insert", "replace"]))
        char = draw(st.sampled_from(AML_ALPHABET) | st.characters())
        if action == "insert":
            chars.insert(position, char)
        elif position < len(chars):
            if action == "delete":
                del chars[position]
            else:
                chars[position] = char
    return "".join(chars)


@settings(max_examples=500)
@given(mutated())
def test_mutated_messages(text: str) -> None:
    outcome(text)


@given(v1_fixes(), st.integers(1, 200))
def test_any_truncated_v1_message_is_refused(fix: LocationFix, keep: int) -> None:
    text = format_aml_v1(fix)
    result = outcome(text[: min(keep, len(text) - 1)])
    assert isinstance(result, AmlError)


@given(st.text(max_size=200))
def test_apply_never_loses_the_current_fix(text: str) -> None:
    current = parse_aml(EXAMPLE)
    kept, error = apply_aml(current, text)
    assert kept is not None
    assert (error is None) or (kept is current)
