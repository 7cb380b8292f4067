"""AML location messages delivered over HTTPS (the handset's own data push), not by SMS.

The body is checked (and its HMAC verified when the force has a key) before anything is stored,
then handed to the same telephony ingestion as an ``sms.received``: so it is matched to the
caller's contact by number and time in exactly the same way, audited, and idempotent — the
event id is derived from the body, so a retried delivery changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import parse_aml
from controlroom.domain.policy import Policy
from controlroom.services.contacts import UowFactory
from controlroom.services.location_matching import MatchWindows
from controlroom.services.telephony import EventType, TelephonyEvent, ingest_event

MAX_BODY_BYTES = 8 * 1024


def receive_aml_https(
    uow_factory: UowFactory,
    principal: Principal,
    body: bytes,
    now: datetime,
    policy: Policy,
    *,
    windows: MatchWindows,
    hmac_key: bytes | None,
) -> tuple[int, dict[str, Any]]:
    """Check one HTTPS AML body and ingest it; answers (status, body) like a telephony event.

    Raises :class:`~controlroom.domain.location.AmlError` naming the field for a body that is
    not valid AML or whose HMAC does not verify, before anything is written.
    """
    access_check(principal, Permission.TELEPHONY_INGEST)
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(
            f"the AML body is {len(body):,} bytes; the limit is {MAX_BODY_BYTES:,}", field="body"
        )
    fix = parse_aml(body, hmac_key=hmac_key)
    if fix.caller_number is None:
        raise InvalidInput(
            "the AML body has no device_number, so it cannot be matched to a caller",
            field="device_number",
            hint="the handset must send its own number in device_number",
        )
    try:
        text = body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidInput(
            "the AML body is not URL-encoded ASCII", field="body", hint="URL-encode every field"
        ) from None
    event = TelephonyEvent(
        id=f"aml-https-{hashlib.sha256(body.strip()).hexdigest()[:40]}",
        type=EventType.SMS_RECEIVED,
        occurred_at=min(fix.positioned_at or now, now),
        sender=fix.caller_number,
        text=text,
    )
    return ingest_event(uow_factory, principal, event, now, policy, windows=windows)
