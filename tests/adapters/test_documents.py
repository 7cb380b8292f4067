"""The nuisance-call documents: HTML and PDF from the force's templates, read back as text."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from controlroom.adapters.documents import (
    build_document_data,
    render_html,
    render_pdf,
    template_sets,
)
from controlroom.adapters.documents.render import DocumentData, duration_text
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.nuisance import (
    Approve,
    Assess,
    CallerHistory,
    CallSummary,
    DocumentKind,
    Ladder,
    LadderRules,
    NuisanceCase,
    NuisanceConfig,
    NuisanceKind,
    OutcomeKind,
    OverrideVulnerability,
    Propose,
    Record,
    detect,
    summarise,
)
from controlroom.domain.policy import Policy, Route, VulnerabilityFlag

NUMBER = "+447700900123"
IMEI = "356708041746734"
NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
HANDLER = Actor("handler-7", Role.CALL_HANDLER)
SUPERVISOR = Actor("sgt-ada-lovelace", Role.SUPERVISOR)
HOSTILE = "<script>alert('x')</script> & <b>bold</b>"
ALL = list(DocumentKind)
RELAXED = LadderRules(
    blocking_flags=frozenset(), min_calls_between_steps=0, min_hours_between_steps=0
)


def calls(count: int = 8, number: str | None = NUMBER) -> list[CallSummary]:
    out = []
    for i in range(count):
        at = NOW - timedelta(minutes=13 * (count - i))
        out.append(
            CallSummary(
                f"C-{100 + i}",
                at,
                OutcomeKind.SILENT,
                number=number,
                imei=IMEI,
                answered_at=at + timedelta(seconds=2),
                ended_at=at + timedelta(seconds=2 + 5 + i),
                silent=True,
            )
        )
    at = NOW - timedelta(days=2)
    out.append(
        CallSummary(
            "C-099",
            at,
            OutcomeKind.INAPPROPRIATE_TERMINATED,
            number=number,
            answered_at=at,
            ended_at=at + timedelta(minutes=3, seconds=5),
            speech=True,
            terminated=True,
            hoax=True,
            route=Route.NOT_POLICE,
        )
    )
    return out


class Setup:
    """A case taken up to an approved PECS request, with its history and flags."""

    def __init__(self, name: str, *, number: str | None = NUMBER, count: int = 8) -> None:
        self.policy: Policy = load_policy(name)
        config = load_nuisance_config(name, self.policy)
        # the ladder's flag and new-evidence rules have their own tests
        # (tests/domain/nuisance/test_ladder_safeguards.py); these cover the documents
        self.config: NuisanceConfig = replace(config, ladder=Ladder(config.ladder.steps, RELAXED))
        self.history: CallerHistory = summarise(calls(count, number), NOW, self.config.tz)
        self.flags = detect(self.history, self.config.rules)
        self.now = NOW
        self.case, _ = NuisanceCase.open(
            case_id="NC-2026-0042",
            actor=HANDLER,
            now=NOW,
            policy=self.policy,
            reason="repeated silent calls",
            number=number,
            imei=IMEI,
        )
        self.do(Assess.from_flags(self.flags), HANDLER)

    def do(self, command: object, actor: Actor = HANDLER) -> None:
        self.now += timedelta(minutes=5)
        self.case.apply(
            command,  # type: ignore[arg-type]
            actor=actor,
            now=self.now,
            policy=self.policy,
            ladder=self.config.ladder,
        )

    def take(self, step: str, note: str = "done") -> None:
        if self.config.ladder.step(step).needs_approval:
            self.do(Propose(step, "calls continue"))
            self.do(Approve("agreed"), SUPERVISOR)
        self.do(Record(step, note))

    def to_pecs(self) -> Setup:
        self.take("advice", "advised on C-099")
        self.take("warning_letter", HOSTILE)
        self.do(Propose("pecs_request", "calls continue after the letter"))
        self.do(Approve("agreed"), SUPERVISOR)
        return self

    def to_prosecution(self) -> Setup:
        self.to_pecs()
        self.do(Record("pecs_request", "sent to the provider"))
        self.do(Propose("prosecution_file", "calls continue after disconnection"))
        self.do(Approve("agreed"), SUPERVISOR)
        return self

    def data(self, kind: DocumentKind, **extra: object) -> DocumentData:
        options: dict[str, object] = {
            "generated_at": self.now,
            "reference": f"{kind.value.upper()}-0042",
            "prepared_by": HANDLER,
            "flags": self.flags,
        }
        options.update(extra)
        return build_document_data(
            kind,
            self.case,
            self.history,
            self.policy,
            self.config.ladder,
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def dcp() -> Setup:
    return Setup("dcp-p-042").to_prosecution()


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("kind", ALL)
def test_each_document_as_html_and_pdf(dcp: Setup, kind: DocumentKind) -> None:
    data = dcp.data(kind, caller_name=HOSTILE)
    html = render_html(data, dcp.config.templates)
    pages = pdf_text(render_pdf(data, dcp.config.templates))
    text = flat(" ".join(pages))
    for source in (flat(html), text):
        assert NUMBER in source
        assert IMEI in source
        assert "NC-2026-0042" in source
        assert kind.heading in source
    if kind is DocumentKind.SAFEGUARDING_REFERRAL:
        assert data.approved_by == ""  # a referral needs nobody's approval
    else:
        assert data.approved_by == "sgt-ada-lovelace"
    for row in data.calls:  # every row of the call log
        for cell in (row.date, row.time, row.duration, row.contact_id, row.outcome):
            assert cell in text, cell
    for step in ("Advice at the call", "Warning letter", "PECS temporary-disconnection request"):
        assert step in text
    assert "handler-7" in text
    if kind is not DocumentKind.SAFEGUARDING_REFERRAL:
        assert "sgt-ada-lovelace" in text
    assert pages[0].count("Page 1 of") == 1
    assert all("Devon & Cornwall Police. " in page for page in pages)
    assert all(f"{kind.value.upper()}-0042" in page for page in pages)
    assert "Generated 03 March 2026" in pages[-1]


def test_the_call_log_in_detail(dcp: Setup) -> None:
    data = dcp.data(DocumentKind.PECS_REQUEST)
    rows = {row.contact_id: row for row in data.calls}
    assert len(rows) == 9
    first = rows["C-099"]
    assert (first.date, first.time, first.duration) == ("2026-03-01", "14:00:00", "3 min 05 s")
    assert first.outcome == "inappropriate call, terminated after warning"
    assert "marked hoax" in first.notes and "speech" in first.notes
    silent = rows["C-100"]
    assert (silent.date, silent.time, silent.duration) == ("2026-03-03", "12:16:00", "5 s")
    assert silent.outcome == "silent, no response"


def test_the_pecs_request_wording(dcp: Setup) -> None:
    data = dcp.data(DocumentKind.PECS_REQUEST)
    text = flat(" ".join(pdf_text(render_pdf(data, dcp.config.templates))))
    assert "To the communications provider," in text
    assert "Public Emergency Call Service (PECS) Code of Practice" in text
    assert "DCP-P-042 4.12.6" in text
    assert "request temporary disconnection of services" in text  # §4.12.6 quoted
    assert "Approved by sgt-ada-lovelace, supervisor" in text
    assert "No vulnerable-person flag has been recorded on this case." in text
    assert "Times are local time (Europe/London)." in text
    assert "faulty device" in text.lower() and "deliberate misuse" in text.lower()


def test_the_warning_letter_wording(dcp: Setup) -> None:
    data = dcp.data(DocumentKind.WARNING_LETTER, caller_name="Sam Smith")
    text = flat(" ".join(pdf_text(render_pdf(data, dcp.config.templates))))
    assert "Dear Sam Smith," in text
    assert "Persistent misuse of 999 is an offence." in text
    assert "improper use of a public electronic communications network" in text
    assert "section 127 of the Communications Act 2003" in text
    assert "The persistent misuse of 999 is a crime." in text  # PUB.11, quoted
    assert "If you have an emergency, always call 999." in text
    assert "sgt-ada-lovelace, supervisor, on behalf of Devon & Cornwall Police" in text


def test_the_prosecution_summary_does_not_prejudge(dcp: Setup) -> None:
    data = dcp.data(DocumentKind.PROSECUTION_SUMMARY)
    text = flat(render_html(data, dcp.config.templates))
    assert "is for the prosecutor to decide" in text


def test_hostile_text_is_escaped_in_html_and_kept_as_text_in_pdf(dcp: Setup) -> None:
    data = dcp.data(DocumentKind.WARNING_LETTER, caller_name=HOSTILE)
    html = render_html(data, dcp.config.templates)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    text = flat(" ".join(pdf_text(render_pdf(data, dcp.config.templates))))
    assert "<script>alert('x')</script> & <b>bold</b>" in text  # the step note and the name


def test_pdf_bytes_are_repeatable(dcp: Setup) -> None:
    data = dcp.data(DocumentKind.PECS_REQUEST)
    first = render_pdf(data, dcp.config.templates)
    assert first.startswith(b"%PDF-")
    assert render_pdf(data, dcp.config.templates) == first


def test_a_long_call_log_runs_over_pages_with_its_header() -> None:
    setup = Setup("dcp-p-042", count=90).to_pecs()
    pages = pdf_text(render_pdf(setup.data(DocumentKind.PECS_REQUEST), setup.config.templates))
    assert len(pages) >= 3
    assert all(f"Page {i} of {len(pages)}" in page for i, page in enumerate(pages, start=1))
    assert "Duration" in pages[1] and "Outcome" in pages[1]  # the header row repeats


def test_each_force_has_its_own_header() -> None:
    assert {"default", "devon-cornwall"} <= template_sets()
    dcp = Setup("dcp-p-042").to_pecs()
    shire = Setup("example-shire")
    shire.take("advice")
    shire.take("first_letter")  # a letter this force sends without approval
    dcp_html = render_html(dcp.data(DocumentKind.WARNING_LETTER), dcp.config.templates)
    shire_data = shire.data(DocumentKind.WARNING_LETTER)
    shire_html = render_html(shire_data, shire.config.templates)
    assert "Devon &amp; Cornwall Police</strong>: Contact Centre" in dcp_html
    assert "paragraph 4.12.6" in dcp_html
    assert "Contact Centre" not in shire_html
    assert "Example Shire Constabulary (fictional)" in shire_html
    assert "ESC-CH-01 Contact Management Procedure" in shire_html
    assert shire_data.approved_by == ""
    assert "handler-7, on behalf of Example Shire" in flat(shire_html)


def test_a_force_template_directory_overrides_file_by_file(dcp: Setup, tmp_path: Path) -> None:
    (tmp_path / "_header.html.j2").write_text("<p>Our own header for {{ doc.force.name }}</p>\n")
    html = render_html(dcp.data(DocumentKind.PECS_REQUEST), tmp_path)
    assert "Our own header for Devon &amp; Cornwall Police" in html
    assert "To the communications provider" in html  # the rest from the default set
    with pytest.raises(InvalidInput, match="not found"):
        render_html(dcp.data(DocumentKind.PECS_REQUEST), tmp_path / "missing")


# --- what may not be produced -----------------------------------------------------------------


def test_a_pecs_request_needs_the_approving_supervisor() -> None:
    setup = Setup("dcp-p-042")
    setup.take("advice")
    setup.take("warning_letter")
    setup.do(Propose("pecs_request", "calls continue"))
    with pytest.raises(InvalidInput, match="only once PECS temporary-disconnection request is"):
        setup.data(DocumentKind.PECS_REQUEST)


def test_no_pecs_request_for_a_vulnerable_caller_without_an_override() -> None:
    setup = Setup("dcp-p-042").to_pecs()
    setup.do(Assess(frozenset({NuisanceKind.VULNERABLE_PERSON})))
    with pytest.raises(PolicyViolation, match="vulnerable") as caught:
        setup.data(DocumentKind.PECS_REQUEST)
    assert caught.value.paragraph == "4.12.6"
    referral = setup.data(DocumentKind.SAFEGUARDING_REFERRAL)
    assert "will be made unless a supervisor records an explicit override" in referral.safeguard
    setup.do(OverrideVulnerability("reviewed with the mental health team"), SUPERVISOR)
    data = setup.data(DocumentKind.PECS_REQUEST)
    text = flat(render_html(data, setup.config.templates))
    assert "Supervisor sgt-ada-lovelace recorded an explicit override" in text
    assert "reviewed with the mental health team" in text


def test_international_and_imei_only_lines_carry_a_note() -> None:
    foreign = Setup("dcp-p-042", number="+33612345678").to_pecs()
    text = flat(render_html(foreign.data(DocumentKind.PECS_REQUEST), foreign.config.templates))
    assert "+33612345678 is not a UK (+44) number" in text
    imei_only = Setup("dcp-p-042", number=None).to_pecs()
    data = imei_only.data(DocumentKind.PECS_REQUEST)
    text = flat(render_html(data, imei_only.config.templates))
    assert "none (withheld or no usable SIM)" in text
    assert "only on the handset identity (IMEI 356708041746734)" in text
    assert all("number withheld" in row.notes for row in data.calls)


def test_document_input_is_checked(dcp: Setup) -> None:
    with pytest.raises(InvalidInput):
        dcp.data(DocumentKind.PECS_REQUEST, reference="  ")  # type: ignore[arg-type]


def test_vulnerability_markers_appear_in_the_call_log() -> None:
    setup = Setup("dcp-p-042")
    call = CallSummary(
        "C-200",
        NOW - timedelta(hours=1),
        OutcomeKind.INAPPROPRIATE_ADVISED,
        number=NUMBER,
        speech=True,
        vulnerability=frozenset({VulnerabilityFlag.MENTAL_HEALTH}),
    )
    setup.history = summarise([call], NOW, "Europe/London")
    data = setup.data(DocumentKind.SAFEGUARDING_REFERRAL)
    assert data.calls[0].notes == "speech; vulnerability: mental health"
    assert data.calls[0].duration == "in progress"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(8, "8 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")],
)
def test_durations(seconds: int, text: str) -> None:
    assert duration_text(timedelta(seconds=seconds)) == text


def test_the_letter_says_how_many_calls_were_not_emergencies() -> None:
    setup = Setup("dcp-p-042").to_pecs()
    genuine = CallSummary(
        "C-300",
        NOW - timedelta(days=1),
        OutcomeKind.EMERGENCY,
        number=NUMBER,
        answered_at=NOW - timedelta(days=1),
        ended_at=NOW - timedelta(days=1) + timedelta(minutes=6),
        speech=True,
        incident=True,
        route=Route.EMERGENCY,
    )
    setup.history = summarise([*calls(), genuine], NOW, "Europe/London")
    data = setup.data(DocumentKind.WARNING_LETTER)
    text = flat(render_html(data, setup.config.templates))
    assert "10 calls reached our control room from this number, 9 of them not emergencies" in text
    assert "<td>emergency</td>" in text


def test_another_force_names_its_own_disconnection_step() -> None:
    shire = Setup("example-shire")
    for step in ("advice", "first_letter", "final_letter"):
        shire.take(step)
    shire.do(Propose("restrict_line", "calls continue"))
    shire.do(Approve("agreed"), SUPERVISOR)
    text = flat(render_html(shire.data(DocumentKind.PECS_REQUEST), shire.config.templates))
    assert "Ask the network operator to restrict the line" in text
    assert "ESC-CH-01 5.7" in text  # Example Shire's nuisance paragraph
    assert "Final warning letter" in text
