"""The ``[mait]`` table of a policy file: the force's MAIT identity and its partners.

```toml
[mait]
sender = { id = "DCP", name = "Devon & Cornwall Police" }

[[mait.partners]]
agency = "ambulance-999"          # an id from the policy's [[agencies]]
id = "SWASFT"                     # the partner's MAIT organisation identifier
name = "South Western Ambulance Service"
service = "AMBULANCE"             # AMBULANCE, FIRE, COASTGUARD, HIGHWAYS, POLICE or OTHER
```

The table is optional: without it :func:`load_mait_directory` returns ``None`` and nothing can
be sent by MAIT. Problems come out as a :class:`PolicyFileError`, one
``FILE: mait.field: problem`` line each, like the rest of the policy file (docs/mait.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controlroom.adapters.policy_reading import PolicyFileError, PolicyProblem
from controlroom.adapters.policy_sections import locate_policy, read_policy_toml
from controlroom.domain.errors import DomainError
from controlroom.domain.mait import MaitDirectory, Organisation, Partner, Service
from controlroom.domain.policy import Policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OrganisationModel(_Strict):
    """An organisation as written in the file."""

    id: str
    name: str


class PartnerModel(_Strict):
    """One ``[[mait.partners]]`` entry."""

    agency: str
    id: str
    name: str
    service: Service = Field(default=Service.OTHER)


class MaitModel(_Strict):
    """The ``[mait]`` table."""

    sender: OrganisationModel
    partners: list[PartnerModel] = Field(default_factory=list)


def load_mait_directory(
    reference: str | Path, policy: Policy | None = None
) -> MaitDirectory | None:
    """The MAIT directory in a policy file (a shipped name or a path); None without ``[mait]``.

    With ``policy`` (the same file, loaded), every partner's agency must be in its directory.
    """
    path, display = locate_policy(reference)
    raw = read_policy_toml(path, display)
    table = raw.get("mait")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise PolicyFileError(path, "must be a table", field="mait", display=display)
    try:
        model = MaitModel.model_validate(_with_services(table))
    except ValidationError as exc:
        problems = [
            PolicyProblem(path, display, _dotted(tuple(error["loc"])), str(error["msg"]))
            for error in exc.errors(include_url=False)
        ]
        raise PolicyFileError.from_problems(problems) from None
    try:
        directory = MaitDirectory(
            sender=Organisation(model.sender.id, model.sender.name),
            partners=tuple(
                Partner(item.agency, Organisation(item.id, item.name), item.service)
                for item in model.partners
            ),
        )
        if policy is not None:
            directory.check(policy)
    except DomainError as exc:
        raise PolicyFileError(
            path, exc.message, field=exc.field, hint=exc.hint, display=display
        ) from None
    return directory


def _with_services(table: dict[str, Any]) -> dict[str, Any]:
    """The table with each partner's ``service`` read as a :class:`Service` (strict mode
    takes enum members only), unknown names left for the model to refuse."""
    partners = table.get("partners")
    if not isinstance(partners, list):
        return table
    read = []
    for item in partners:
        if isinstance(item, dict) and item.get("service") in Service.__members__.values():
            item = {**item, "service": Service(item["service"])}
        read.append(item)
    return {**table, "partners": read}


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = "mait"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
