"""``controlroom outbox deliver``: refused plainly without a C&C endpoint or with one that
cannot work; ``--once`` delivers what is due and says how it went."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import Engine

from controlroom.bootstrap import attach_mait
from controlroom.cli import main
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from tests.cc_receiver import SECRET, Receiver
from tests.mait_receiver import SECRET as HUB_SECRET
from tests.mait_receiver import MaitHub, written_create
from tests.services.test_outbox_sql import Factory, incident


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["outbox", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_without_a_cc_endpoint_the_worker_does_not_start(database_url: str) -> None:
    code, _, err = run(
        {"CONTROLROOM_DATABASE_URL": database_url, "CONTROLROOM_CC_URL": ""}, "deliver"
    )
    assert code == 2 and "set CONTROLROOM_CC_URL and CONTROLROOM_CC_SECRET" in err


def test_an_endpoint_that_is_not_https_or_has_no_secret_is_refused(database_url: str) -> None:
    env = {"CONTROLROOM_DATABASE_URL": database_url, "CONTROLROOM_CC_URL": "http://cad.example/x"}
    code, _, err = run(env | {"CONTROLROOM_CC_SECRET": SECRET}, "deliver", "--once")
    assert code == 2 and "CONTROLROOM_CC_URL" in err and "https://" in err
    assert "Traceback" not in err
    code, _, err = run(env | {"CONTROLROOM_CC_URL": "https://cad.example/x"}, "deliver", "--once")
    assert code == 2 and "secret" in err


def test_once_delivers_what_is_due(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    incident(Factory(database_engine), policy, datetime.now(UTC), notes=1)
    with Receiver() as receiver:
        env = {
            "CONTROLROOM_DATABASE_URL": database_url,
            "CONTROLROOM_CC_URL": receiver.url,
            "CONTROLROOM_CC_SECRET": SECRET,
        }
        code, out, _ = run(env, "deliver", "--once")
        assert (code, out.strip()) == (0, "delivered 1, failed 0, parked 0")
        code, out, _ = run(env, "deliver", "--once")  # the contact's next message
        assert (code, out.strip()) == (0, "delivered 1, failed 0, parked 0")
    assert [receiver.documents[k]["event"] for k in receiver.processed] == [
        "incident.logged",
        "incident.updated",
    ]


def test_once_delivers_a_partner_message_to_the_mait_hub_alone(
    database_url: str, database_engine: Engine, policy: Policy
) -> None:
    attach_mait(Settings(policy="dcp-p-042"), policy)
    factory = Factory(database_engine)
    contact = incident(factory, policy, datetime.now(UTC), notes=0)
    sent = written_create(factory, policy, contact, "fire-999")
    with MaitHub() as hub:
        env = {
            "CONTROLROOM_DATABASE_URL": database_url,
            "CONTROLROOM_CC_URL": "",
            "CONTROLROOM_MAIT_URL": hub.url,
            "CONTROLROOM_MAIT_SECRET": HUB_SECRET,
        }
        code, out, _ = run(env, "deliver", "--once")
        assert (code, out.strip()) == (0, "delivered 1, failed 0, parked 0")
    assert hub.processed == [f"mait:{sent}"] and hub.messages[f"mait:{sent}"].header.recipient.id
    code, _, err = run(env | {"CONTROLROOM_MAIT_SECRET": ""}, "deliver", "--once")
    assert code == 2 and "CONTROLROOM_MAIT_URL" in err and "secret" in err
