"""What makes terminating a 999 call need a supervisor's approval (DCP-P-042 4.12.3).

A concern is anything that says the person on the line may need more than advice: a "yes" on
one of the three considerations, a vulnerability flag from any source (triage, the handler,
the caller's age, the 4.12.3 assessment), or a route where the caller may not have heard or
understood the warning (silent calls, relay, 999 BSL, emergencySMS). Each has a key; a
supervisor's approval covers the keys standing when it was given, so anything that arises
afterwards needs approving again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from controlroom.domain.contacts.records import ContactRecord, FlagSource
from controlroom.domain.contacts.states import RELAY_CHANNELS, SILENT_CHANNELS
from controlroom.domain.policy import Route, VulnerabilityFlag

#: Channels whose callers may not have heard or understood the advice and the warning.
APPROVAL_CHANNELS = SILENT_CHANNELS | RELAY_CHANNELS

#: Each 4.12.3 consideration: its note field, answer field, letter and citation key.
CONSIDERATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("seriousness", "serious", "a", "vulnerability.seriousness"),
    ("condition", "condition_concern", "b", "vulnerability.condition"),
    ("age_vulnerability", "vulnerable", "c", "vulnerability.age"),
)

#: Which consideration each vulnerability flag falls under: (b) condition, else (c).
FLAG_CONSIDERATION: Mapping[VulnerabilityFlag, str] = MappingProxyType(
    {
        VulnerabilityFlag.CHILD: "age_vulnerability",
        VulnerabilityFlag.OLDER_PERSON: "age_vulnerability",
        VulnerabilityFlag.DISABILITY: "age_vulnerability",
        VulnerabilityFlag.DOMESTIC_ABUSE: "age_vulnerability",
        VulnerabilityFlag.MENTAL_HEALTH: "condition",
        VulnerabilityFlag.DISTRESS_OR_TRAUMA: "condition",
    }
)
_CITATION = {note: key for note, _, _, key in CONSIDERATIONS}
_LETTER = {note: letter for note, _, letter, _ in CONSIDERATIONS}
_TITLE = {
    "seriousness": "seriousness of what is reported",
    "condition": "condition or trauma",
    "age_vulnerability": "age and vulnerability",
}


@dataclass(frozen=True)
class Concern:
    """One reason termination needs a supervisor: its key, the paragraph, and in words."""

    key: str
    citation: str
    text: str


def flag_sources(record: ContactRecord) -> dict[VulnerabilityFlag, list[str]]:
    """Every vulnerability flag on ``record`` and where each came from, in words."""
    found: dict[VulnerabilityFlag, list[str]] = {}

    def add(flag: VulnerabilityFlag, source: str) -> None:
        sources = found.setdefault(flag, [])
        if source not in sources:
            sources.append(source)

    for assessment in record.triage:
        if assessment.suggestion is not None:
            for flag in assessment.suggestion.vulnerability:
                add(flag, "triage")
    for raised in record.flags:
        add(raised.flag, _SOURCE_WORDS[raised.source])
    band = record.caller.age_band
    if band is not None and band.flag is not None:
        add(band.flag, "the caller's age")
    return found


_SOURCE_WORDS = {
    FlagSource.TRIAGE: "triage",
    FlagSource.HANDLER: "the handler",
    FlagSource.CONSIDERATIONS: "the 4.12.3 assessment",
    FlagSource.AGE_BAND: "the caller's age",
}


def concerns(record: ContactRecord) -> tuple[Concern, ...]:
    """Every concern standing on ``record`` now, approved or not: answers, flags, channel."""
    found: list[Concern] = []
    assessment = record.considerations
    if assessment is not None:
        for note, answer, letter, citation in CONSIDERATIONS:
            if getattr(assessment, answer) is True:
                said = getattr(assessment, note)
                text = f"4.12.3({letter}) {_TITLE[note]} answered yes: {said}"
                found.append(Concern(f"answer:{note}", citation, text))
    for flag, sources in sorted(flag_sources(record).items()):
        words = flag.value.replace("_", " ")
        text = f"{words} flagged by {' and '.join(sources)}"
        found.append(Concern(f"flag:{flag.value}", _CITATION[FLAG_CONSIDERATION[flag]], text))
    if record.channel in APPROVAL_CHANNELS:
        words = record.channel.value.replace("_", " ")
        text = f"a {words} contact: the caller may not have heard or understood the warning"
        found.append(
            Concern(f"channel:{record.channel.value}", "inappropriate.considerations", text)
        )
    return tuple(found)


def approved_keys(record: ContactRecord) -> frozenset[str]:
    """The concern keys a supervisor's approval covers (older approvals: their flags)."""
    keys: set[str] = set()
    for override in record.overrides:
        keys.update(override.concerns)
        keys.update(f"flag:{flag.value}" for flag in override.flags)
    return frozenset(keys)


def unapproved(record: ContactRecord) -> tuple[Concern, ...]:
    """The concerns no supervisor's approval covers: while any stands, no termination."""
    covered = approved_keys(record)
    return tuple(concern for concern in concerns(record) if concern.key not in covered)


def describe(found: Iterable[Concern]) -> str:
    """Concerns in one line of text."""
    return "; ".join(concern.text for concern in found)


@dataclass(frozen=True)
class Prefill:
    """What the 4.12.3 form starts with for one consideration: "yes" when something on record
    points to a concern (``reasons`` says what), otherwise no answer: the handler chooses.
    ``locked`` when a "no" would be refused (a flag under it, or an earlier "yes", stands)."""

    field: str
    answer: bool | None
    reasons: tuple[str, ...]
    locked: bool = False


def prefill(
    record: ContactRecord,
    route: Route | None = None,
    earlier: Iterable[tuple[str, frozenset[VulnerabilityFlag]]] = (),
) -> tuple[Prefill, ...]:
    """The starting answers for (a), (b) and (c): from the flags on ``record``, an earlier
    "yes", triage's ``route`` (an emergency reading points to (a)) and the vulnerability
    flags of the caller's ``earlier`` contacts (id, flags)."""
    reasons: dict[str, list[str]] = {note: [] for note, _, _, _ in CONSIDERATIONS}
    firm = {note for note, _ in required_yes(record)}
    for note, reason in required_yes(record):
        reasons[note].append(reason)
    if route is Route.EMERGENCY:
        reasons["seriousness"].append("triage read the caller's words as an emergency")
    for contact_id, flags in earlier:
        for flag in sorted(flags):
            words = flag.value.replace("_", " ")
            reasons[FLAG_CONSIDERATION[flag]].append(f"{words} flagged on earlier {contact_id}")
    return tuple(
        Prefill(note, True if reasons[note] else None, tuple(reasons[note]), note in firm)
        for note, _, _, _ in CONSIDERATIONS
    )


def required_yes(record: ContactRecord) -> list[tuple[str, str]]:
    """The considerations that must be answered "yes" now, each with why: a vulnerability
    flag under it stands, or it was answered "yes" before (a yes is never withdrawn)."""
    found: list[tuple[str, str]] = []
    for flag, sources in sorted(flag_sources(record).items()):
        words = flag.value.replace("_", " ")
        found.append((FLAG_CONSIDERATION[flag], f"{words} flagged by {' and '.join(sources)}"))
    assessment = record.considerations
    if assessment is not None:
        for note, answer, _, _ in CONSIDERATIONS:
            if getattr(assessment, answer) is True:
                who = assessment.actor.id
                found.append((note, f"answered yes by {who} at {assessment.at:%H:%M:%S}"))
    return found


def letter(note: str) -> str:
    """The letter of a consideration's note field: ``seriousness`` → ``a``."""
    return _LETTER[note]
