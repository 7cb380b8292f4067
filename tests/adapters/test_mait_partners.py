"""The [mait] table of a policy file: the shipped policies' partners, no table, and what a broken
table reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.adapters.mait.partners_file import load_mait_directory
from controlroom.adapters.policy_file import load_policy
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.domain.mait import Service
from controlroom.domain.policy import Policy

SENDER = '[mait]\nsender = { id = "DCP", name = "Devon & Cornwall Police" }\n'
PARTNER = '[[mait.partners]]\nagency = "{agency}"\nid = "{id}"\nname = "X"\nservice = "{service}"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "force.toml"
    path.write_text(text + '\n[force]\nid = "somewhere"\n', encoding="utf-8")
    return path


def partner(agency: str = "ambulance-999", id: str = "SWASFT", service: str = "AMBULANCE") -> str:
    return PARTNER.format(agency=agency, id=id, service=service)


def refusal(path: Path, policy: Policy | None = None) -> str:
    with pytest.raises(PolicyFileError) as caught:
        load_mait_directory(path, policy)
    return str(caught.value)


@pytest.mark.parametrize("name", ["dcp-p-042", "example-shire"])
def test_the_shipped_policies_name_ambulance_fire_coastguard_and_highways(name: str) -> None:
    directory = load_mait_directory(name, load_policy(name))
    assert directory is not None
    services = {p.agency: p.service for p in directory.partners}
    assert services == {
        "ambulance-999": Service.AMBULANCE,
        "fire-999": Service.FIRE,
        "coastguard-999": Service.COASTGUARD,
        "highways": Service.HIGHWAYS,
    }


def test_without_a_mait_table_nothing_can_be_sent(tmp_path: Path) -> None:
    assert load_mait_directory(write(tmp_path, "")) is None


def test_a_partner_that_is_not_an_agency_of_the_policy_is_refused(tmp_path, policy) -> None:
    path = write(tmp_path, SENDER + partner(agency="ambulance"))
    message = refusal(path, policy)
    assert "mait.partners[0].agency 'ambulance' is not an agency of the policy" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SENDER + partner(id="swasft"), "mait.partners[0].id: mait.partners[0].id 'swasft'"),
        (SENDER + partner(service="PARAMEDIC"), "mait.partners[0].service"),
        (SENDER + partner() + partner(id="OTHER"), "'ambulance-999' is listed twice"),
        (SENDER + partner(id="DCP"), "MAIT identifier 'DCP' is used twice"),
        ("[mait]\npartners = []\n", "mait.sender: Field required"),
        ('mait = "yes"\n', "mait: must be a table"),
    ],
)
def test_a_broken_table_says_what_and_where(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refusal(write(tmp_path, text))
