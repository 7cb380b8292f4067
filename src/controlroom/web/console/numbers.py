"""Telephone numbers as people read them: UK numbers in national format (``07700 900113``),
others in international format (``+33 1 23 45 67 89``), always whole.

Numbers are stored in E.164 (``+447700900113``); the console shows them through the ``phone``
filter (one number) and the ``numbers`` filter (any E.164 numbers within a text, such as
"Jo Bloggs (+447700900113)"), each number kept on one line.
"""

from __future__ import annotations

import re

import phonenumbers
from markupsafe import Markup, escape

E164_IN_TEXT = re.compile(r"\+[1-9][0-9]{6,14}")
UK = 44


def display_number(number: str) -> str:
    """``number`` (E.164) as written in the UK: national format for a UK number, international
    for any other; as given when it cannot be read."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == UK
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    shown = phonenumbers.format_number(parsed, style)
    # a number the library cannot lay out is still shown whole
    return shown if sum(ch.isdigit() for ch in shown) >= len(number) - 2 else number


def _tel(number: str) -> Markup:
    return Markup('<span class="tel" data-e164="{}">{}</span>').format(
        number, display_number(number)
    )


def phone(number: str | None) -> Markup:
    """One number for a page (empty for none)."""
    return Markup("") if not number else _tel(number)


def numbers(text: object) -> Markup:
    """``text``, escaped, with every E.164 number in it shown as :func:`display_number`."""
    source = str(text or "")
    out: list[Markup] = []
    last = 0
    for match in E164_IN_TEXT.finditer(source):
        out.extend((escape(source[last : match.start()]), _tel(match.group(0))))
        last = match.end()
    out.append(escape(source[last:]))
    return Markup("").join(out)
