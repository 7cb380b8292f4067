"""The public pages: guidance for the public, reporting online and checking a report, with no
login, nothing personal in URLs, signed form tokens and rate limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.web.open311.limits import Rate
from controlroom.web.public.guard import Guard, Limits, Refused

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def public(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous browser; forms may be sent at once (the minimum age is tested below)."""
    app.state.public.guard.min_age = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


def _answer(html: str) -> str:
    found = re.search(r'<section class="answer answer-(\w+)".*?<h2>(.*?)</h2>', html, re.S)
    assert found, html
    return f"{found.group(1)}: {found.group(2)}"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Someone is breaking into my neighbour's house right now", "call_999: Call 999 now"),
        ("My bike was stolen from my garden yesterday", "report_online: Report it online"),
        ("There is a dead badger in the road outside my house", "other_agency: Contact your"),
        ("What is the law on flying drones?", "not_police: This does not sound"),
    ],
)
def test_the_guidance_page_tells_the_public_what_to_do(
    public: TestClient, text: str, answer: str
) -> None:
    token = _token(public, "/public/")
    page = public.post("/public/guidance", data={"text": text, "form_token": token})
    assert page.status_code == 200
    assert _answer(page.text).startswith(answer)
    assert text.replace("'", "&#39;") in page.text  # kept in the box, escaped


def test_the_guidance_page_names_the_agency_and_how_to_reach_it(public: TestClient) -> None:
    token = _token(public, "/public/")
    text = "There is a dead badger in the road outside my house"
    page = public.post("/public/guidance", data={"text": text, "form_token": token})
    assert "https://www.gov.uk/find-local-council" in page.text
    assert "a dead animal to be removed" in page.text


def test_the_guidance_page_gives_the_seeds_advice_on_other_ways_to_call(
    public: TestClient,
) -> None:
    page = public.get("/public/").text
    for words in ("press <strong>55</strong>", "999 BSL", "Relay UK", "18000", "what3words"):
        assert words in page
    assert '<label for="f-text">' in page and 'id="f-text"' in page
    assert page.count("<h1>") == 1


def test_html_typed_by_the_public_is_escaped(public: TestClient) -> None:
    token = _token(public, "/public/")
    page = public.post(
        "/public/guidance",
        data={"text": "<script>alert(1)</script> stolen bike", "form_token": token},
    )
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_an_empty_description_is_explained_on_the_page(public: TestClient) -> None:
    token = _token(public, "/public/")
    page = public.post("/public/guidance", data={"text": "  ", "form_token": token})
    assert page.status_code == 400
    assert "There is a problem" in page.text and "Describe what is happening" in page.text


def test_a_form_not_loaded_from_our_page_is_refused(public: TestClient) -> None:
    for token in ("", "123.abc.def", "not a token"):
        page = public.post("/public/guidance", data={"text": "bike stolen", "form_token": token})
        assert page.status_code == 400
        assert "reload the page" in page.text


def test_forms_sent_faster_than_a_person_can_are_refused() -> None:
    now = [1000.0]
    guard = Guard("k" * 32, min_age=2, clock=lambda: now[0])
    token = guard.form_token("report")
    with pytest.raises(Refused) as refused:
        guard.check_form_token(token, "report")
    assert refused.value.status == 429
    now[0] += 3
    guard.check_form_token(token, "report")
    with pytest.raises(Refused):
        guard.check_form_token(token, "status")  # a token is for one form only
    now[0] += 5 * 3600
    with pytest.raises(Refused, match="expired"):
        guard.check_form_token(token, "report")


def test_tokens_signed_by_one_instance_verify_on_another_with_the_same_secret() -> None:
    first, second = Guard("shared-secret"), Guard("shared-secret")
    second.check_form_token(first.form_token("chat"), "chat", min_age=0)
    with pytest.raises(Refused):
        Guard("another-secret").check_form_token(first.form_token("chat"), "chat", min_age=0)


def test_a_flood_from_one_client_is_slowed_down(app: FastAPI, public: TestClient) -> None:
    app.state.public.guard.limits = Limits(posts_per_client=Rate(60, 3))
    token = _token(public, "/public/")
    answers = [
        public.post("/public/guidance", data={"text": "bike stolen", "form_token": token})
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]  # the guidance page itself is free
    statuses = []
    for _ in range(5):
        token = _token(public, "/public/status")
        page = public.post("/public/status", data={"reference": "DC-2026-X", "form_token": token})
        statuses.append(page.status_code)
    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429]


def _report(public: TestClient, description: str, **extra: str) -> str:
    token = _token(public, "/public/report/crime")
    form = {
        "form_token": token,
        "description": description,
        "attribute[CRIME_TYPE]": "theft",
        "attribute[WHEN]": "2026-11-30T21:15",
        "address_string": "1 High Street, Exeter EX1 1AA",
        "first_name": "Sam",
        "email": "sam@example.org",
    } | extra
    page = public.post("/public/report/crime", data=form)
    return page.text if page.status_code == 200 else f"{page.status_code}: {page.text}"


def test_a_report_gets_a_reference_whose_status_can_be_checked(public: TestClient) -> None:
    receipt = _report(public, "My bike was stolen from my shed overnight")
    found = re.search(r'class="ref">([A-Z0-9-]+)<', receipt)
    assert found, receipt
    reference = found.group(1)
    token = _token(public, "/public/status")
    page = public.post("/public/status", data={"reference": reference.lower(), "form_token": token})
    assert page.status_code == 200
    assert f"Report {reference}" in page.text
    assert "Open: being dealt with" in page.text
    assert "Sam" not in page.text and "sam@example.org" not in page.text  # nothing personal
    assert "shed" not in page.text


def test_the_report_list_shows_types_taken_online_and_where_others_go(public: TestClient) -> None:
    page = public.get("/public/report").text
    assert 'href="/public/report/crime"' in page
    assert "We do not take these reports" in page


def test_a_report_with_a_problem_keeps_what_was_typed(public: TestClient) -> None:
    token = _token(public, "/public/report/crime")
    form = {"form_token": token, "description": "My bike went", "address_string": "Exeter"}
    page = public.post("/public/report/crime", data=form)
    assert page.status_code == 400
    assert "There is a problem" in page.text
    assert "My bike went" in page.text


def test_an_emergency_in_a_report_tells_the_reporter_to_call_999_and_alerts(
    app: FastAPI, public: TestClient
) -> None:
    receipt = _report(public, "A man is breaking into the house next door right now with a knife")
    assert "Call 999 now if anyone is in danger" in receipt


def test_an_unknown_report_type_is_a_plain_404(public: TestClient) -> None:
    page = public.get("/public/report/no-such-type")
    assert page.status_code == 404
    assert "We cannot take this report online" in page.text


def test_public_pages_forbid_framing_and_inline_scripts(public: TestClient) -> None:
    page = public.get("/public/")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    assert public.get("/public/static/public.css").status_code == 200
    assert public.get("/public/static/../app.py").status_code == 404


def test_a_body_too_large_is_refused(public: TestClient) -> None:
    token = _token(public, "/public/")
    page = public.post("/public/guidance", data={"text": "x" * 40_000, "form_token": token})
    assert page.status_code == 413


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0, max_value=200), char=st.sampled_from("0123456789abcdef."))
def test_a_tampered_form_token_is_always_refused(position: int, char: str) -> None:
    guard = Guard("a-secret", min_age=0)
    token = guard.form_token("report")
    at = position % len(token)
    tampered = token[:at] + char + token[at + 1 :]
    if tampered == token:
        return
    with pytest.raises(Refused):
        guard.check_form_token(tampered, "report")


def test_no_public_form_sends_what_it_holds_in_the_url() -> None:
    folder = Path(__file__).resolve().parents[2] / "src/controlroom/web/templates/public"
    for template in folder.glob("*.html"):
        for form in re.findall(r"<form[^>]*>", template.read_text()):
            assert 'method="post"' in form or "action" not in form, (template.name, form)
