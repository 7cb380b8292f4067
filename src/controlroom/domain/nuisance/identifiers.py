"""Who a nuisance caller is to the network: a telephone number (E.164) or a handset's IMEI.

A number can be withheld, and a phone with no usable SIM (a "limited service" 999 call) has no
number the network can act on; Advanced Mobile Location then often gives the handset's IMEI.
A case is kept per number or per IMEI, and can be linked to more of either when the caller
changes number or handset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from controlroom.domain.contacts.values import require_e164
from controlroom.domain.errors import InvalidInput

#: An IMEI (14 digits), an IMEI with its check digit (15), or an IMEISV (16).
_IMEI = re.compile(r"[0-9]{14,16}")
#: The country calling code of the United Kingdom (and the Crown Dependencies).
UK_PREFIX = "+44"


def require_imei(value: object, field: str = "imei") -> str:
    """``value`` checked as an IMEI of 14 to 16 digits."""
    if not isinstance(value, str) or not _IMEI.fullmatch(value):
        raise InvalidInput(
            f"{field} {value!r} is not an IMEI",
            field=field,
            hint="an IMEI is 14 to 16 digits, as Advanced Mobile Location reports it",
        )
    return value


def is_uk_number(number: str) -> bool:
    """True for an E.164 number with the UK country code (+44)."""
    return number.startswith(UK_PREFIX)


class IdentifierKind(StrEnum):
    """What kind of identifier a case is kept under."""

    NUMBER = "number"  # E.164 telephone number
    IMEI = "imei"  # handset identity, for limited-service calls or a withheld number


@dataclass(frozen=True)
class Identifier:
    """A number or an IMEI, checked. Build with :meth:`of_number` or :meth:`of_imei`."""

    kind: IdentifierKind
    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, IdentifierKind):
            raise InvalidInput(f"unknown identifier kind {self.kind!r}", field="identifier")
        if self.kind is IdentifierKind.NUMBER:
            require_e164(self.value, "number")
        else:
            require_imei(self.value)

    @classmethod
    def of_number(cls, number: str | None) -> Identifier:
        """The identifier for a number; a withheld number (``None`` or empty) is refused."""
        if number is None or (isinstance(number, str) and not number.strip()):
            raise InvalidInput(
                "the number is withheld, so it cannot identify a nuisance caller",
                field="number",
                hint="open the case by the handset's IMEI, if Advanced Mobile Location gave one",
            )
        return cls(IdentifierKind.NUMBER, number)

    @classmethod
    def of_imei(cls, imei: str) -> Identifier:
        """The identifier for a handset's IMEI."""
        return cls(IdentifierKind.IMEI, imei)

    @property
    def international(self) -> bool:
        """True for a number outside the UK (+44); False for a UK number or an IMEI."""
        return self.kind is IdentifierKind.NUMBER and not is_uk_number(self.value)

    def __str__(self) -> str:
        return self.value if self.kind is IdentifierKind.NUMBER else f"IMEI {self.value}"
