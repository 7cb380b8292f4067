"""Which of the force's agencies take MAIT messages, and under which identifiers.

The policy's agency directory says who handles what (``[[agencies]]``); the ``[mait]`` table of
the same file (docs/mait.md, "Partners") names the force's own MAIT organisation identifier
and, for each agency that can receive a MAIT message, its identifier, name and kind of service.
An agency without an entry cannot be sent a MAIT message.
"""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.domain.errors import PolicyError
from controlroom.domain.mait.checks import MaitInvalid
from controlroom.domain.mait.message import Organisation, Service
from controlroom.domain.policy import Policy


@dataclass(frozen=True)
class Partner:
    """An agency of the policy's directory that takes MAIT messages."""

    agency: str  # the policy's agency id, e.g. ambulance-999
    organisation: Organisation  # its MAIT identifier and name
    service: Service


@dataclass(frozen=True)
class MaitDirectory:
    """The force's own MAIT identity and its partners, by policy agency id."""

    sender: Organisation
    partners: tuple[Partner, ...] = ()

    def __post_init__(self) -> None:
        self.sender.check("mait.sender")
        seen_agencies: set[str] = set()
        seen_ids = {self.sender.id}
        for index, partner in enumerate(self.partners):
            field = f"mait.partners[{index}]"
            partner.organisation.check(field)
            if partner.agency in seen_agencies:
                raise MaitInvalid(
                    f"agency {partner.agency!r} is listed twice", field=f"{field}.agency"
                )
            if partner.organisation.id in seen_ids:
                raise MaitInvalid(
                    f"MAIT identifier {partner.organisation.id!r} is used twice",
                    field=f"{field}.id",
                    hint="each organisation, the force included, has its own identifier",
                )
            seen_agencies.add(partner.agency)
            seen_ids.add(partner.organisation.id)

    def partner_for(self, agency: str) -> Partner:
        """The partner that is ``agency``; :class:`MaitInvalid` naming the partners when none."""
        for partner in self.partners:
            if partner.agency == agency:
                return partner
        known = ", ".join(partner.agency for partner in self.partners) or "none configured"
        raise MaitInvalid(
            f"agency {agency!r} does not take MAIT messages",
            field="agency",
            hint=f"MAIT partners: {known} (the [mait] table of the policy file)",
        )

    def check(self, policy: Policy) -> None:
        """Refuse a partner whose agency is not in ``policy``'s agency directory."""
        for index, partner in enumerate(self.partners):
            if partner.agency not in policy.agencies:
                raise PolicyError(
                    f"mait.partners[{index}].agency {partner.agency!r} is not an agency of "
                    "the policy",
                    hint="use an id from the policy's [[agencies]]",
                )
