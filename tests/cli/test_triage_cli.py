"""``controlroom triage``: readable output, --json, --jsonl, errors and exit codes."""

from __future__ import annotations

import io
import json
import os
import select
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from controlroom.cli import main
from controlroom.cli.output import Printer, colour_enabled, describe_error
from controlroom.cli.triage_jsonl import run_jsonl
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel

BURGLARY = "Someone is breaking into my house right now, he has a knife"
MUSIC = "My neighbour is playing loud music"
DECISION_KEYS = {
    "id",
    "route",
    "grade",
    "agency",
    "summary",
    "policy",
    "vulnerability",
    "thrive",
    "reasons",
    "confidence",
    "needs_assessment",
    "questions",
}
ERROR_KEYS = {"code", "message", "field", "hint"}


@pytest.fixture(autouse=True)
def _shipped_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_POLICY", "dcp-p-042")
    monkeypatch.delenv("NO_COLOR", raising=False)


def run(*args: str, stdin: bytes | str | None = None) -> Result:
    return CliRunner().invoke(main, ["triage", *args], input=stdin)


def assert_clean_error(result: Result, code: int, starts: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(starts), result.stderr
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


# --- readable output ---------------------------------------------------------------------------


def test_readable_output_has_every_part(policy: Policy) -> None:
    result = run(MUSIC)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in ("Route:", "Grade:", "Agency:", "THRIVE:", "Vulnerability:", "Reasons:"):
        assert heading in out
    for factor in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement"):
        assert f"  {factor} " in out
    assert f"Policy:        {policy.force.policy_reference}" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_readable_reason_lines_cite_paragraph_rule_and_evidence() -> None:
    result = run(BURGLARY)
    reasons = result.stdout.split("Reasons:\n", 1)[1].splitlines()
    lines = [line for line in reasons if line.startswith("  [")]
    assert lines
    for line in lines:
        assert "] " in line and " — " in line
    with_evidence = [line for line in lines if "(chars " in line]
    assert with_evidence  # the burglary was recognised in the words
    start, end = with_evidence[0].rsplit("(chars ", 1)[1].rstrip(")").split("–")
    quoted = with_evidence[0].rsplit('"', 2)[1]
    assert BURGLARY[int(start) : int(end)] == quoted


def test_engine_burglary_with_knife_is_an_emergency() -> None:
    # Depends on the triage engine: an obvious emergency.
    result = run(BURGLARY)
    assert result.exit_code == 0
    assert "Route:         Emergency (emergency)" in result.stdout


def test_engine_loud_music_is_not_an_emergency() -> None:
    # Depends on the triage engine: an obvious non-emergency.
    result = run(MUSIC)
    assert result.exit_code == 0
    assert "(emergency)" not in result.stdout.splitlines()[0]


def test_verbose_prints_the_cited_paragraphs(policy: Policy) -> None:
    result = run(MUSIC, "--verbose")
    assert result.exit_code == 0
    assert "Paragraphs cited" in result.stdout
    data = json.loads(run(MUSIC, "--json").stdout)
    first = policy.paragraphs[data["reasons"][0]["paragraph"]]
    assert f"  {first.id}" in result.stdout
    assert first.text.split()[0] in result.stdout.split("Paragraphs cited", 1)[1]


def test_agency_is_shown_with_how_to_contact_it(policy: Policy) -> None:
    data = json.loads(run(BURGLARY, "--json").stdout)
    agency = policy.agencies.get(data["agency"] or "")
    if agency is None:
        pytest.skip("the decision names no agency")
    out = run(BURGLARY).stdout
    assert agency.name in out
    for method in agency.contact:
        assert f"{method.kind}: {method.value}" in out


def test_text_from_stdin_with_dash() -> None:
    from_stdin = json.loads(run("-", "--json", stdin=MUSIC.encode()).stdout)
    from_argv = json.loads(run(MUSIC, "--json").stdout)
    assert from_stdin == from_argv


# --- --json ------------------------------------------------------------------------------------


def test_json_is_the_decision_plus_id() -> None:
    result = run(MUSIC, "--json", "--channel", "101", "--id", "INC-7")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == DECISION_KEYS
    assert data["id"] == "INC-7"
    assert next(iter(data)) == "id"
    assert data["policy"] == "DCP-P-042"
    assert set(data["thrive"]) == {
        "threat",
        "harm",
        "risk",
        "investigation",
        "vulnerability",
        "engagement",
    }
    for reason in data["reasons"]:
        assert set(reason) == {"kind", "paragraph", "rule", "explanation", "evidence"}


def test_json_id_defaults_to_null() -> None:
    assert json.loads(run(MUSIC, "--json").stdout)["id"] is None


# --- bad input for one text: exit 2, one line on stderr ----------------------------------------


def test_empty_text() -> None:
    result = run("")
    assert_clean_error(result, 2, "error: text: text is empty — give the words")
    assert result.stderr.count("\n") == 1


def test_blank_text() -> None:
    assert_clean_error(run("   \n\t "), 2, "error: text: text is empty")


def test_one_megabyte_text() -> None:
    result = run("a" * 1_000_000)
    assert_clean_error(result, 2, "error: text: text is 1,000,000 characters long")


def test_control_characters() -> None:
    result = run("help\x00me")
    assert_clean_error(result, 2, "error: text: text contains control character U+0000")


def test_unknown_channel() -> None:
    result = run(MUSIC, "--channel", "112")
    assert_clean_error(result, 2, "error: channel: unknown channel '112' — use one of: 999")


def test_invalid_utf8_on_the_command_line() -> None:
    # Python hands undecodable argv bytes over as surrogate escapes (0xFF -> U+DCFF).
    result = run("help \udcff me")
    assert_clean_error(result, 2, "error: text: text is not valid UTF-8 (byte 0xFF at char")


def test_invalid_utf8_in_the_id() -> None:
    result = run(MUSIC, "--json", "--id", "INC-\udcff")
    assert_clean_error(result, 2, "error: id: id is not valid UTF-8 (byte 0xFF at character 5)")


def test_invalid_utf8_on_stdin() -> None:
    result = run("-", stdin=b"help \xff me")
    assert_clean_error(result, 2, "error: text: stdin is not valid UTF-8")


def test_no_text_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "TEXT" in result.stderr


def test_text_and_jsonl_together_is_a_usage_error() -> None:
    result = run(MUSIC, "--jsonl", stdin=b"")
    assert result.exit_code == 2
    assert "not both" in result.stderr


# --- policies that cannot be loaded: exit 3 ----------------------------------------------------


def test_missing_policy_file(tmp_path: Path) -> None:
    result = run(MUSIC, "--policy", str(tmp_path / "missing.toml"))
    assert_clean_error(result, 3, "error: ")
    assert "missing.toml" in result.stderr


def test_broken_policy_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[force]\nid = 1\n", encoding="utf-8")
    result = run(MUSIC, "--policy", str(broken))
    assert_clean_error(result, 3, "error: ")
    assert "broken.toml" in result.stderr


def test_unknown_policy_name_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_POLICY", "no-such-force")
    assert_clean_error(run(MUSIC), 3, "error: ")


def test_broken_policy_with_jsonl_exits_3(tmp_path: Path) -> None:
    result = run("--jsonl", "--policy", str(tmp_path / "missing.toml"), stdin=b"")
    assert result.exit_code == 3


# --- JSON lines --------------------------------------------------------------------------------


def jsonl(lines: list[bytes], *args: str) -> tuple[int, list[dict[str, Any]], Result]:
    result = run("--jsonl", *args, stdin=b"\n".join(lines) + b"\n")
    answers = [json.loads(line) for line in result.stdout_bytes.splitlines()]
    return result.exit_code, answers, result


def obj(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def test_jsonl_good_lines_exit_0_and_echo_ids() -> None:
    code, answers, _ = jsonl(
        [
            obj(id=1, text=BURGLARY),
            obj(id="abc", text=MUSIC, channel="101"),
            obj(id=2.5, text=MUSIC),
            obj(id=True, text=MUSIC),
            obj(text=MUSIC),
        ]
    )
    assert code == 0
    assert [answer["id"] for answer in answers] == [1, "abc", 2.5, True, None]
    for answer in answers:
        assert set(answer) >= DECISION_KEYS
        assert "error" not in answer


def test_jsonl_mix_of_good_and_bad_lines_goes_on_after_each_bad_one() -> None:
    lines = [
        obj(id=1, text=MUSIC),  # 1
        b"",  # 2: blank, skipped
        b"{not json",  # 3
        b"[1, 2]",  # 4
        obj(id=5, channel="999"),  # 5: no text
        obj(id=6, text=""),  # 6
        obj(id=7, text=42),  # 7
        obj(id=8, text=MUSIC, channel="112"),  # 8
        obj(id=9, text=MUSIC, channel=999),  # 9
        obj(id=10, text="bad\u0007bell"),  # 10
        b'{"id": 11, "text": "caf\xe9"}',  # 11: Latin-1, not UTF-8
        obj(id=12, text="x" * 200_000),  # 12
        obj(id={"nested": 1}, text=MUSIC),  # 13
        b'{"id": NaN, "text": "x"}',  # 14
        b"   ",  # 15: blank, skipped
        obj(id=16, text=BURGLARY),  # 16
    ]
    code, answers, result = jsonl(lines)
    assert code == 1
    assert "Traceback" not in result.stderr
    assert len(answers) == 14
    assert answers[0]["id"] == 1 and "route" in answers[0]
    assert answers[-1]["id"] == 16 and "route" in answers[-1]
    errors = answers[1:-1]
    assert [e["line"] for e in errors] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert [e["id"] for e in errors] == [None, None, 5, 6, 7, 8, 9, 10, None, 12, None, None]
    for answer in errors:
        assert set(answer) == {"id", "line", "error"}
        assert set(answer["error"]) == ERROR_KEYS
        assert answer["error"]["message"]
    by_line = {e["line"]: e["error"] for e in errors}
    assert by_line[3]["code"] == "invalid_json"
    assert by_line[4]["message"] == "the line is a JSON array, not an object"
    assert by_line[5]["field"] == "text" and "missing" in by_line[5]["message"]
    assert by_line[6]["message"] == "text is empty"
    assert by_line[7]["message"] == "text must be a string, not number"
    assert by_line[8]["field"] == "channel"
    assert by_line[9]["message"] == "channel must be a string, not number"
    assert "control character U+0007" in by_line[10]["message"]
    assert "not valid UTF-8 (byte 0xE9" in by_line[11]["message"]
    assert "characters long" in by_line[12]["message"]
    assert by_line[13]["field"] == "id"
    assert by_line[14]["code"] == "invalid_json"


def test_jsonl_line_too_long_to_read_is_an_error_and_the_stream_goes_on() -> None:
    huge = b'{"id": 1, "text": "' + b"a" * 2_000_000 + b'"}'
    code, answers, _ = jsonl([huge, obj(id=2, text=MUSIC)])
    assert code == 1
    assert answers[0]["line"] == 1
    assert "longer than" in answers[0]["error"]["message"]
    assert answers[1]["id"] == 2 and "route" in answers[1]


def test_jsonl_empty_input_exits_0_with_no_output() -> None:
    result = run("--jsonl", stdin=b"")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_jsonl_unknown_default_channel_is_a_usage_error() -> None:
    result = run("--jsonl", "--channel", "pigeon", stdin=obj(text=MUSIC))
    assert_clean_error(result, 2, "error: channel: unknown channel 'pigeon'")


def test_jsonl_output_is_utf8_and_unescaped() -> None:
    _, answers, result = jsonl([obj(id="café ☎", text=MUSIC)])
    assert answers[0]["id"] == "café ☎"
    assert "café ☎".encode() in result.stdout_bytes


def test_jsonl_matches_json_for_the_same_text() -> None:
    _, answers, _ = jsonl([obj(id="x", text=BURGLARY)])
    single = json.loads(run(BURGLARY, "--json", "--id", "x").stdout)
    assert answers[0] == single


class CountingOutput(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_jsonl_answers_lines_that_arrived_together_in_one_batch(policy: Policy) -> None:
    stdin = io.BytesIO(b"\n".join(obj(id=i, text=MUSIC) for i in range(100)) + b"\n")
    stdout = CountingOutput()
    assert run_jsonl(stdin, stdout, policy, Channel.NINE_NINE_NINE) == 0
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [answer["id"] for answer in answers] == list(range(100))
    assert stdout.flushes == 2  # batches of 64


def test_jsonl_never_holds_a_line_back_waiting_for_the_next(policy: Policy) -> None:
    """A producer that sends one line and waits for its answer gets it (a pipe, not a file)."""
    into_read, into_write = os.pipe()
    out_read, out_write = os.pipe()
    with (
        os.fdopen(into_read, "rb", buffering=0) as stdin,
        os.fdopen(out_write, "wb") as stdout,
        os.fdopen(into_write, "wb", buffering=0) as producer,
        os.fdopen(out_read, "rb") as answers,
    ):
        worker = threading.Thread(
            target=run_jsonl, args=(stdin, stdout, policy, Channel.NINE_NINE_NINE), daemon=True
        )
        worker.start()
        for i in range(3):
            producer.write(obj(id=i, text=MUSIC) + b"\n")
            ready, _, _ = select.select([answers], [], [], 10)
            assert ready, f"no answer to line {i + 1} while the producer waited"
            assert json.loads(answers.readline())["id"] == i
        producer.close()
        worker.join(timeout=10)
        assert not worker.is_alive()


def test_jsonl_loads_the_policy_once(monkeypatch: pytest.MonkeyPatch, policy: Policy) -> None:
    import controlroom.triage_setup

    calls: list[object] = []

    def counting(settings: object) -> Policy:
        calls.append(settings)
        return policy

    monkeypatch.setattr(controlroom.triage_setup, "policy_for", counting)
    code, answers, _ = jsonl([obj(id=i, text=MUSIC) for i in range(50)])
    assert code == 0
    assert len(answers) == 50
    assert len(calls) == 1


# --- output helpers ----------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert colour_enabled(FakeTerminal())
    assert not colour_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled(FakeTerminal())


def test_printer_styles_only_with_colour() -> None:
    assert Printer(io.StringIO(), colour=True).style("x", fg="red") != "x"
    assert Printer(io.StringIO(), colour=False).style("x", fg="red") == "x"


def test_describe_error_is_one_line() -> None:
    error = InvalidInput("text is empty", field="text", hint="give the words")
    assert describe_error(error) == "error: text: text is empty — give the words"
    assert describe_error(InvalidInput("bad")) == "error: bad"
