"""The nuisance documents print the incident reference of each call that logged one, in the
HTML and the PDF alike; a call without one says only that an incident was logged."""

from __future__ import annotations

from datetime import timedelta

from controlroom.adapters.documents import render_html, render_pdf
from controlroom.domain.nuisance import CallSummary, DocumentKind, OutcomeKind, summarise
from controlroom.domain.policy import Route
from tests.adapters.test_documents import NOW, NUMBER, Setup, calls, flat, pdf_text


def _incident(contact_id: str, days: int) -> CallSummary:
    at = NOW - timedelta(days=days)
    return CallSummary(
        contact_id,
        at,
        OutcomeKind.EMERGENCY,
        number=NUMBER,
        answered_at=at,
        ended_at=at + timedelta(minutes=6),
        speech=True,
        incident=True,
        route=Route.EMERGENCY,
    )


def test_the_call_log_prints_each_incident_reference() -> None:
    setup = Setup("dcp-p-042").to_pecs()
    history = [*calls(), _incident("C-300", 1), _incident("C-301", 2)]
    setup.history = summarise(history, NOW, "Europe/London")
    data = setup.data(
        DocumentKind.WARNING_LETTER, incident_references={"C-300": "DC-20260302-0007"}
    )
    rows = {row.contact_id: row for row in data.calls}
    assert "incident DC-20260302-0007 logged" in rows["C-300"].notes
    assert "incident logged" in rows["C-301"].notes  # logged before references were issued
    assert "DC-" not in rows["C-301"].notes
    html = flat(render_html(data, setup.config.templates))
    pdf = flat(" ".join(pdf_text(render_pdf(data, setup.config.templates))))
    assert "incident DC-20260302-0007 logged" in html
    assert "DC-20260302-0007" in pdf
