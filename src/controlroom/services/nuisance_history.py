"""Caller history: what a number or handset has done before, the flags it raises and the
cases it is under, looked up the moment a call arrives (docs/nuisance.md).

:func:`lookup` is the look-up itself: one index range scan per identifier over the
``contact_calls`` summaries for the detection window (30 days, or longer if the force's rules
say so), then ``summarise`` and ``detect`` with the force's rules. A number linked to a case
brings the case's other numbers and IMEIs with it, so a caller's history survives a change
of number. Withheld and malformed numbers are refused plainly, with a hint; numbers from any
country are accepted.

A caller with more than :data:`MAX_LISTED` calls in the window (a faulty handset ringing every
few minutes) is read in part, so that the look-up stays fast however busy the number: its
newest :data:`MAX_LISTED` calls and every notable one (genuine emergencies, warnings and
terminations, vulnerability flags, the handler's markers) are listed and read by detection,
and each window's counts are taken by the database over all of its calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.contacts.values import require_text, require_utc
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.nuisance import (
    CallerHistory,
    CallSummary,
    CaseRecord,
    DocumentKind,
    Identifier,
    IdentifierKind,
    NuisanceConfig,
    NuisanceFlag,
    NuisanceRules,
    WindowCounts,
    detect,
    imei_of,
    notable,
    summarise,
    window_starts,
)
from controlroom.services.contacts import UowFactory
from controlroom.services.ports import UnitOfWork

#: The shortest history detection reads: the last 30 days.
HISTORY_DAYS = 30
#: The most calls of one caller a look-up lists (the newest), besides the notable ones.
MAX_LISTED = 200
_WITHHELD = {"", "withheld", "anonymous", "private", "unknown", "unavailable", "restricted"}
_SEPARATORS = re.compile(r"[\s\-().]")


def history_window(rules: NuisanceRules) -> timedelta:
    """How far back detection reads: 30 days, or a longer window the force's rules use."""
    return max(
        timedelta(days=HISTORY_DAYS),
        timedelta(hours=rules.faulty_window_hours),
        timedelta(days=rules.vulnerable_window_days),
        timedelta(days=rules.deliberate_window_days),
    )


def parse_identifier(text: str) -> Identifier:
    """A number (E.164, any country) or an IMEI (14-16 digits) as typed; spaces, dashes, dots
    and brackets are ignored. A withheld or malformed number is :class:`InvalidInput` with a
    hint saying what to send instead."""
    value = _SEPARATORS.sub("", text)
    if value.lower() in _WITHHELD:
        return Identifier.of_number(None)  # raises: a withheld number identifies nobody
    if value.startswith("+"):
        return Identifier.of_number(value)
    if value.isdigit() and 14 <= len(value) <= 16:
        return Identifier.of_imei(value)
    hint = "send an E.164 number such as +447700900123, or a handset's IMEI of 14-16 digits"
    if value.isdigit() and value.startswith("00"):
        hint = f"international numbers start with +: did you mean +{value[2:]}?"
    elif value.isdigit() and value.startswith("0"):
        hint = f"write a UK number in E.164: did you mean +44{value[1:]}?"
    elif value.isdigit() and value.startswith("44"):
        hint = f"E.164 numbers start with +: did you mean +{value}?"
    raise InvalidInput(
        f"{text!r} is neither a telephone number in E.164 form nor an IMEI",
        field="identifier",
        hint=hint,
    )


def identifier_notes(identifiers: Iterable[Identifier]) -> tuple[str, ...]:
    """What a reader should know about these identifiers (international, IMEI only)."""
    notes = []
    given = list(identifiers)
    for identifier in given:
        if identifier.international:
            notes.append(
                f"{identifier} is not a UK (+44) number: it is accepted, but its provider may "
                "be outside the UK PECS arrangements."
            )
    if given and all(i.kind is IdentifierKind.IMEI for i in given):
        notes.append("No number: the history is the handset's (IMEI), across any SIM used.")
    return tuple(notes)


@dataclass(frozen=True)
class CallerLookup:
    """A caller's history at ``now``, the flags it raises and the cases it is under."""

    identifiers: tuple[Identifier, ...]
    history: CallerHistory
    flags: tuple[NuisanceFlag, ...]
    cases: tuple[CaseRecord, ...]
    notes: tuple[str, ...] = ()


def warning_sent(cases: Iterable[CaseRecord], config: NuisanceConfig) -> datetime | None:
    """When a warning letter was last recorded as sent on any of ``cases``."""
    letters = {step.id for step in config.ladder.with_document(DocumentKind.WARNING_LETTER)}
    sent = [taken.at for case in cases for taken in case.steps if taken.step in letters]
    return max(sent, default=None)


def lookup(
    uow: UnitOfWork,
    identifiers: Sequence[Identifier],
    now: datetime,
    config: NuisanceConfig,
    *,
    exclude: str | None = None,
    since: datetime | None = None,
) -> CallerLookup:
    """The history of ``identifiers`` (and of every identifier linked to the same case) from
    ``since`` (by default :func:`history_window` before ``now``) to ``now``, and its flags.
    This is what runs when a call arrives; ``exclude`` leaves that call out."""
    cases: dict[str, CaseRecord] = {}
    wanted = list(dict.fromkeys(identifiers))
    for identifier in list(wanted):
        case = uow.nuisance_cases.by_identifier(identifier)
        if case is not None and case.id not in cases:
            cases[case.id] = case.record
            wanted.extend(
                i.identifier for i in case.record.identifiers if i.identifier not in wanted
            )
    start = since or now - history_window(config.rules)
    calls: dict[str, CallSummary] = {}
    complete = True
    for identifier in wanted:
        found, everything = uow.calls.latest(identifier, since=start, until=now, newest=MAX_LISTED)
        complete = complete and everything
        for call in found:
            if call.contact_id != exclude:
                calls.setdefault(call.contact_id, call)
    counts = None
    if not complete:
        calls, counts = _in_part(uow, wanted, calls, start, now, config.tz, exclude)
    history = summarise(calls.values(), now, config.tz, counts=counts)
    flags = detect(history, config.rules, warned_at=warning_sent(cases.values(), config))
    return CallerLookup(
        tuple(wanted), history, tuple(flags), tuple(cases.values()), identifier_notes(wanted)
    )


def _in_part(
    uow: UnitOfWork,
    identifiers: Sequence[Identifier],
    newest: Mapping[str, CallSummary],
    start: datetime,
    now: datetime,
    tz: str,
    exclude: str | None,
) -> tuple[dict[str, CallSummary], dict[str, WindowCounts]]:
    """A caller with more than :data:`MAX_LISTED` calls in the window: the newest of them and
    every notable one (genuine emergencies, warnings, vulnerability, markers), as read by
    ``latest``, and every window's counts over all of them, counted by the database."""
    numbers = [i.value for i in identifiers if i.kind is IdentifierKind.NUMBER]
    imeis = [i.value for i in identifiers if i.kind is IdentifierKind.IMEI]
    kept = sorted(newest.values(), key=lambda call: (call.offered_at, call.contact_id))
    older, recent = kept[:-MAX_LISTED], kept[-MAX_LISTED:]
    calls = {call.contact_id: call for call in [*filter(notable, older), *recent]}
    starts = window_starts(now, tz)
    counts = uow.calls.totals(
        numbers=numbers, imeis=imeis, starts=starts, until=now, exclude=exclude
    )
    return calls, counts


# -- caller history --------------------------------------------------------------------------


def caller_history(
    uow_factory: UowFactory,
    principal: Principal,
    identifier: str | Identifier,
    now: datetime,
    config: NuisanceConfig,
) -> CallerLookup:
    """The history of a number or IMEI over the last 30 days, with its flags and cases."""
    access_check(principal, Permission.CONTACT_READ)
    now = require_utc(now)
    wanted = identifier if isinstance(identifier, Identifier) else parse_identifier(identifier)
    with uow_factory(read_only=True, snapshot=False) as uow:
        return lookup(uow, [wanted], now, config)


def contact_history(
    uow_factory: UowFactory,
    principal: Principal,
    record: ContactRecord,
    now: datetime,
    config: NuisanceConfig,
) -> CallerLookup:
    """What the caller of ``record`` did before it: by its number and, where AML gave one,
    its handset's IMEI. A withheld number with no IMEI has no history, and says so."""
    access_check(principal, Permission.CONTACT_READ)
    now = require_utc(now)
    identifiers = []
    if record.caller.number is not None:
        identifiers.append(Identifier.of_number(record.caller.number))
    imei = imei_of(record)
    if imei is not None:
        identifiers.append(Identifier.of_imei(imei))
    if not identifiers:
        empty = summarise((), now, config.tz)
        note = "The number is withheld and no handset IMEI is known: no caller history."
        return CallerLookup((), empty, (), (), (note,))
    with uow_factory(read_only=True, snapshot=False) as uow:
        found = lookup(uow, identifiers, now, config, exclude=record.id)
    if record.caller.number is None:
        note = "The number is withheld: the history is the handset's (IMEI) only."
        found = CallerLookup(
            found.identifiers, found.history, found.flags, found.cases, (*found.notes, note)
        )
    return found


def flags_for(
    uow_factory: UowFactory,
    principal: Principal,
    identifier: str | Identifier,
    now: datetime,
    config: NuisanceConfig,
) -> tuple[NuisanceFlag, ...]:
    """The nuisance flags a number's or IMEI's history raises now, most important first."""
    return caller_history(uow_factory, principal, identifier, now, config).flags


def do_mark_call(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    *,
    abusive: bool | None,
    hoax: bool | None,
    reason: str,
    now: datetime,
) -> CallSummary:
    """Record the handler's judgement that a call was abusive or a hoax (or withdraw it)."""
    access_check(principal, Permission.CONTACT_ACT)
    now = require_utc(now)
    require_text(reason, "reason")
    if abusive is None and hoax is None:
        raise InvalidInput("say whether the call was abusive, a hoax, or both", field="hoax")
    with uow_factory() as uow:
        if not uow.calls.mark(contact_id, abusive=abusive, hoax=hoax):
            raise NotFound(f"no contact {contact_id!r}", field="contact_id")
        call = uow.calls.get(contact_id)
        assert call is not None
        details = {"abusive": call.abusive, "hoax": call.hoax, "reason": reason}
        uow.audit.append(
            principal.actor, "nuisance:call:mark", f"contact:{contact_id}", details, now
        )
        uow.commit()
    return call
