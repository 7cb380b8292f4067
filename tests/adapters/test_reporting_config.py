"""The [online_reporting] table of a policy file: defaults, the shipped policies, and what a
broken table reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.adapters.policy_file import load_policy, shipped_policies
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.adapters.reporting_config import default_prefix, load_reporting_config
from controlroom.domain.policy import Policy
from controlroom.domain.reporting import Datatype, ServiceType

MINIMAL = '[force]\nid = "somewhere-else"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "force.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, policy: Policy | None = None) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        load_reporting_config(path, policy)
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_without_the_table_a_force_takes_no_reports_online(tmp_path: Path) -> None:
    config = load_reporting_config(write(tmp_path, MINIMAL))
    assert config.report_types == () and config.reference_prefix == "SE"
    assert default_prefix("devon-cornwall") == "DC" and default_prefix(None) == "CR"
    assert default_prefix("a-b-c-d-e") == "ABCD"


@pytest.mark.parametrize("name", sorted(shipped_policies()))
def test_the_shipped_policies_have_sound_report_types(name: str) -> None:
    config = load_reporting_config(name, load_policy(name))
    codes = [item.service_code for item in config.report_types]
    assert {"crime", "asb", "found-property", "information", "abandoned-vehicle"} <= set(codes)
    elsewhere = {item.service_code: item.agency for item in config.report_types if item.agency}
    assert elsewhere["abandoned-vehicle"] == "council" and elsewhere["fraud"] == "action-fraud"


def test_the_seed_policy_read_in_full(policy: Policy) -> None:
    config = load_reporting_config("dcp-p-042", policy)
    lost = config.report_type("lost-property")
    assert lost.type is ServiceType.BATCH and lost.group == "Lost and found property"
    assert [a.code for a in lost.attributes] == ["ITEM", "WHEN", "VALUE"]
    assert [a.order for a in lost.attributes] == [1, 2, 3]
    assert lost.attributes[0].datatype is Datatype.SINGLEVALUELIST
    assert lost.attributes[0].value("phone") is not None


def test_a_broken_table_reports_every_field(tmp_path: Path, policy: Policy) -> None:
    text = MINIMAL + (
        '[online_reporting]\nreference_prefx = "X"\n'
        "[[online_reporting.report_types]]\n"
        'service_code = "a"\nservice_name = "A"\ndescription = "A"\ntype = "sometimes"\n'
        "[[online_reporting.report_types.attributes]]\n"
        'code = "Q"\ndatatype = "colour"\ndescription = "Q?"\n'
    )
    found = "\n".join(problems(write(tmp_path, text)))
    assert (
        "online_reporting.reference_prefx: unknown key; did you mean 'reference_prefix'?" in found
    )
    assert "online_reporting.report_types[0].type" in found
    assert "online_reporting.report_types[0].attributes[0].datatype" in found


def test_references_to_the_policy_are_checked(tmp_path: Path, policy: Policy) -> None:
    text = MINIMAL + (
        "[[online_reporting.report_types]]\n"
        'service_code = "a"\nservice_name = "A"\ndescription = "A"\nagency = "nobody"\n'
    )
    assert problems(write(tmp_path, text), policy) == [
        "online_reporting.report_types[0].agency: no agency 'nobody' in the policy's [[agencies]]"
    ]
    assert problems(write(tmp_path, "online_reporting = 3\n")) == [
        "online_reporting: must be a table"
    ]
