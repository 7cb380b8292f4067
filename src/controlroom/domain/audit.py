"""The audit log as a hash chain: tags, entries, the hash, and the check that finds tampering.

Every change writes one :class:`AuditEntry` in the same transaction. Entries are numbered
1, 2, 3... (``seq``) and each stores the hash of the one before it (``prev_hash``; the first
stores :data:`GENESIS_HASH`) and its own hash: over its details (chain version 1,
:func:`chain_hash`), or over their digest (version 2, :func:`chain_hash_v2`), so that they may
become a tombstone and the row still verify. :func:`verify_chain` walks them in order and
reports the first row edited, inserted or deleted. docs/audit.md describes the hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64
#: Chain versions: 1 hashes a row's details, 2 the digest of its details.
CHAIN_V1, CHAIN_V2 = 1, 2
#: The only key of a tombstone: details replaced under the retention policy.
TOMBSTONE = "redacted"


class AuditTag(StrEnum):
    """What a change was, as ``subject:object:action``."""

    # A contact moved by a person, one tag per action kind.
    CONTACT_OFFER = "contact:procedure:offer"
    CONTACT_ANSWER = "contact:procedure:answer"
    CONTACT_ASSESS = "contact:procedure:assess"
    CONTACT_LOG_INCIDENT = "contact:procedure:log_incident"
    CONTACT_ADVISE = "contact:procedure:advise"
    CONTACT_WARN = "contact:procedure:warn"
    CONTACT_TERMINATE = "contact:procedure:terminate"
    CONTACT_RECORD_CONSIDERATIONS = "contact:procedure:record_considerations"
    CONTACT_FLAG_VULNERABILITY = "contact:procedure:flag_vulnerability"
    CONTACT_OVERRIDE_VULNERABILITY = "contact:procedure:override_vulnerability"
    CONTACT_REQUEST_APPROVAL = "contact:procedure:request_approval"
    CONTACT_APPROVE_TERMINATION = "contact:procedure:approve_termination"
    CONTACT_DECLINE_TERMINATION = "contact:procedure:decline_termination"
    CONTACT_REFER = "contact:procedure:refer"
    CONTACT_TRANSFER = "contact:procedure:transfer"
    CONTACT_HANG_UP = "contact:procedure:hang_up"
    CONTACT_RECONNECT = "contact:procedure:reconnect"
    CONTACT_CLOSE = "contact:procedure:close"
    CONTACT_CLOSE_ACCIDENTAL = "contact:procedure:close_accidental"
    CONTACT_CLOSE_NO_RESPONSE = "contact:procedure:close_no_response"
    CONTACT_PROMPT = "contact:procedure:prompt"
    CONTACT_RECORD_RESPONSE = "contact:procedure:record_response"
    CONTACT_INFER_EMERGENCY = "contact:procedure:infer_emergency"
    CONTACT_ADD_NOTE = "contact:procedure:add_note"
    CONTACT_UPDATE_NARRATIVE = "contact:procedure:update_narrative"
    CONTACT_UPDATE_CALLER = "contact:procedure:update_caller"
    CONTACT_ADD_LOCATION = "contact:procedure:add_location"
    CONTACT_RECORD_ANSWERS = "contact:procedure:record_answers"
    CONTACT_ESCALATE = "contact:procedure:escalate"
    # A contact moved by a telephony or location system.
    TELEPHONY_OFFERED = "contact:telephony:offered"
    TELEPHONY_HUNG_UP = "contact:telephony:hung_up"
    TELEPHONY_RECONNECTED = "contact:telephony:reconnected"
    TELEPHONY_LOCATION = "contact:telephony:location_added"
    TELEPHONY_FLAGGED = "contact:telephony:vulnerability_flagged"
    TELEPHONY_DTMF = "contact:telephony:dtmf"
    TELEPHONY_SMS_RECEIVED = "contact:telephony:sms_received"
    TELEPHONY_SMS_REPLY = "contact:telephony:sms_reply"  # a handler's reply: the outbound command
    TELEPHONY_SMS_STATUS = "contact:telephony:sms_status"  # the gateway's delivery report
    # Accounts and credentials.
    USER_CREATE = "user:account:create"
    USER_DISABLE = "user:account:disable"
    TOKEN_CREATE = "token:credential:create"
    TOKEN_REVOKE = "token:credential:revoke"
    # Audit rows whose details were replaced by tombstones (the rows' seqs and the rule).
    AUDIT_REDACT = "audit:retention:redact"


_TELEPHONY_TAGS = {
    ActionKind.OFFER: AuditTag.TELEPHONY_OFFERED,
    ActionKind.HANG_UP: AuditTag.TELEPHONY_HUNG_UP,
    ActionKind.RECONNECT: AuditTag.TELEPHONY_RECONNECTED,
    ActionKind.ADD_LOCATION: AuditTag.TELEPHONY_LOCATION,
    ActionKind.FLAG_VULNERABILITY: AuditTag.TELEPHONY_FLAGGED,
}


def contact_tag(kind: ActionKind, *, telephony: bool = False) -> AuditTag:
    """The tag for a contact action: ``contact:telephony:...`` when a telephony or location
    system reported it (and it has such a tag), otherwise ``contact:procedure:<kind>``."""
    if telephony and kind in _TELEPHONY_TAGS:
        return _TELEPHONY_TAGS[kind]
    return AuditTag(f"contact:procedure:{ActionKind(kind).value}")


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON: keys sorted, no spaces, UTF-8 text kept as is."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def normalise_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as it will read back from storage (tuples become lists, and so on).

    Raises :class:`InvalidInput` when it is not a JSON object of JSON values.
    """
    try:
        text = canonical_json(dict(details))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"audit details are not JSON: {exc}", field="details") from None
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def format_time(at: datetime) -> str:
    """``at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always microseconds)."""
    return require_utc(at, "at").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def details_digest(details: Mapping[str, Any]) -> str:
    """The SHA-256 (lower-case hex) of ``details`` as :func:`canonical_json`, UTF-8."""
    return _sha256(dict(details))


def is_tombstone(details: Mapping[str, Any]) -> bool:
    """True when ``details`` is a tombstone: one key, :data:`TOMBSTONE`, holding an object."""
    return len(details) == 1 and isinstance(details.get(TOMBSTONE), dict)


def _document(
    prev_hash: str, seq: int, actor: str, role: str, tag: str, subject: str, at: datetime
) -> dict[str, Any]:
    return {
        "actor": actor,
        "at": format_time(at),
        "prev_hash": prev_hash,
        "role": role,
        "seq": seq,
        "subject": subject,
        "tag": tag,
    }


def _sha256(value: object) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def chain_hash(
    prev_hash: str,
    *,
    seq: int,
    actor: str,
    role: str,
    tag: str,
    subject: str,
    at: datetime,
    details: Mapping[str, Any],
) -> str:
    """The SHA-256 (lower-case hex) of a chain version 1 entry's canonical JSON.

    The JSON object has the keys ``actor``, ``at`` (:func:`format_time`), ``details``,
    ``prev_hash``, ``role``, ``seq``, ``subject`` and ``tag``, written by
    :func:`canonical_json` and encoded as UTF-8.
    """
    document = _document(prev_hash, seq, actor, role, tag, subject, at)
    return _sha256(document | {"details": dict(details)})


def chain_hash_v2(
    prev_hash: str,
    *,
    seq: int,
    actor: str,
    role: str,
    tag: str,
    subject: str,
    at: datetime,
    digest: str,
) -> str:
    """A chain version 2 hash: as :func:`chain_hash`, with ``chain_version`` (2) and
    ``details_digest`` (:func:`details_digest`) in place of ``details``."""
    document = _document(prev_hash, seq, actor, role, tag, subject, at)
    return _sha256(document | {"chain_version": CHAIN_V2, "details_digest": digest})


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log. ``details_digest`` is empty on a row built in memory
    without one (version 1 rows are then checked by their hash alone)."""

    seq: int
    actor: str
    role: str
    tag: str
    subject: str
    at: datetime
    details: Mapping[str, Any]
    prev_hash: str
    hash: str
    details_digest: str = ""
    chain_version: int = CHAIN_V1

    @classmethod
    def create(
        cls,
        *,
        seq: int,
        actor: str,
        role: str,
        tag: str,
        subject: str,
        at: datetime,
        details: Mapping[str, Any],
        prev_hash: str,
    ) -> AuditEntry:
        """A new entry (chain version 2) following one whose hash is ``prev_hash``, with its
        details' digest and its hash computed."""
        at = require_utc(at, "at")
        normal = normalise_details(details)
        digest = details_digest(normal)
        hashed = chain_hash_v2(
            prev_hash,
            seq=seq,
            actor=actor,
            role=role,
            tag=tag,
            subject=subject,
            at=at,
            digest=digest,
        )
        return cls(seq, actor, role, tag, subject, at, normal, prev_hash, hashed, digest, CHAIN_V2)

    @property
    def redacted(self) -> bool:
        """True when the details are a tombstone."""
        return is_tombstone(self.details)

    def computed_hash(self) -> str:
        """The hash this entry's content should have (by its chain version)."""
        at = require_utc(self.at, "at")
        base = _document(
            self.prev_hash, self.seq, self.actor, self.role, self.tag, self.subject, at
        )
        if self.chain_version == CHAIN_V2:
            return _sha256(
                base | {"chain_version": CHAIN_V2, "details_digest": self.details_digest}
            )
        return _sha256(base | {"details": dict(self.details)})

    def digest_problem(self) -> str | None:
        """What is wrong with the stored digest of the details, if anything: it must be the
        digest of the details, unless they are a tombstone (only on a version 2 row)."""
        if self.redacted and self.chain_version == CHAIN_V2:
            return None
        if self.details_digest and self.details_digest != details_digest(self.details):
            return "its details do not match their stored digest (a detail was changed)"
        return None


@dataclass(frozen=True)
class ChainHead:
    """The last entry written, as the log records it: its seq (0 when empty) and hash."""

    seq: int = 0
    hash: str = GENESIS_HASH


class ProblemKind(StrEnum):
    """What is wrong with the chain at a row."""

    EDITED = "edited"  # the row's content does not match its stored hash
    DELETED = "deleted"  # seq numbers are missing before this row (or after the last)
    BROKEN_LINK = "broken_link"  # prev_hash is not the hash of the row before
    OUT_OF_ORDER = "out_of_order"  # seq repeats or goes backwards
    HEAD_MISMATCH = "head_mismatch"  # the recorded chain head is not the last row


@dataclass(frozen=True)
class ChainProblem:
    """The first problem found: the row's seq, what kind, and a sentence saying what."""

    seq: int
    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        return f"row {self.seq} ({self.kind.value}): {self.message}"


@dataclass(frozen=True)
class ChainReport:
    """The result of :func:`verify_chain`: rows checked, the last seq and hash, the problem,
    and how many rows are tombstones and how many of chain version 1."""

    count: int
    last_seq: int
    last_hash: str
    problem: ChainProblem | None = None
    redacted: int = 0
    version_1: int = 0

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return self.problem is None


def verify_chain(entries: Iterable[AuditEntry], head: ChainHead | None = None) -> ChainReport:
    """Walk ``entries`` (in ascending seq order) and report the first problem, if any.

    Each row is checked in turn for: its content against its stored hash (``edited``), its seq
    following the previous one (``deleted`` for a gap, ``out_of_order`` otherwise), and its
    ``prev_hash`` against the previous row's hash (``broken_link``: a row inserted or deleted
    before it, or the row before replaced). With ``head``, the last row must be the head
    (``deleted`` when rows after it are missing, ``head_mismatch`` otherwise). A row's details
    must match their stored digest unless they are a tombstone, and a tombstone must be named
    by a later ``audit:retention:redact`` row (``edited`` otherwise).
    """
    count, last_seq, last_hash = 0, 0, GENESIS_HASH
    redacted, version_1 = 0, 0
    unrecorded: set[int] = set()  # tombstones no redaction row has named yet
    for entry in entries:
        problem = _check(entry, last_seq, last_hash)
        if problem is not None:
            return ChainReport(count, last_seq, last_hash, problem, redacted, version_1)
        count, last_seq, last_hash = count + 1, entry.seq, entry.hash
        version_1 += entry.chain_version == CHAIN_V1
        if entry.redacted:
            redacted += 1
            unrecorded.add(entry.seq)
        elif entry.tag == AuditTag.AUDIT_REDACT:
            rows = entry.details.get("rows")
            unrecorded.difference_update(rows if isinstance(rows, list) else ())
    problem = None
    if unrecorded:
        problem = ChainProblem(
            min(unrecorded),
            ProblemKind.EDITED,
            "its details were replaced by a tombstone that no redaction row records",
        )
    elif head is not None and (head.seq, head.hash) != (last_seq, last_hash):
        problem = _head_problem(head, last_seq)
    return ChainReport(count, last_seq, last_hash, problem, redacted, version_1)


def _check(entry: AuditEntry, last_seq: int, last_hash: str) -> ChainProblem | None:
    seq = entry.seq
    if entry.computed_hash() != entry.hash:
        return ChainProblem(seq, ProblemKind.EDITED, "its content does not match its stored hash")
    digest_problem = entry.digest_problem()
    if digest_problem is not None:
        return ChainProblem(seq, ProblemKind.EDITED, digest_problem)
    if seq > last_seq + 1:
        missing = _rows(last_seq + 1, seq - 1)
        return ChainProblem(seq, ProblemKind.DELETED, f"{missing} missing before it")
    if seq <= last_seq:
        return ChainProblem(seq, ProblemKind.OUT_OF_ORDER, f"it comes after row {last_seq}")
    if entry.prev_hash != last_hash:
        before = f"row {last_seq}" if last_seq else "the start of the log"
        return ChainProblem(
            seq,
            ProblemKind.BROKEN_LINK,
            f"its prev_hash is not the hash of {before} "
            "(a row was inserted or deleted before it, or the row before was replaced)",
        )
    return None


def _head_problem(head: ChainHead, last_seq: int) -> ChainProblem:
    if head.seq > last_seq:
        missing = _rows(last_seq + 1, head.seq)
        return ChainProblem(
            last_seq + 1,
            ProblemKind.DELETED,
            f"{missing} missing from the end (the chain head is row {head.seq})",
        )
    if head.seq < last_seq:
        return ChainProblem(
            head.seq + 1,
            ProblemKind.HEAD_MISMATCH,
            f"{_rows(head.seq + 1, last_seq)} beyond the chain head (row {head.seq}): "
            "added outside the log",
        )
    return ChainProblem(
        last_seq,
        ProblemKind.HEAD_MISMATCH,
        "its hash is not the one the chain head records (the row was replaced)",
    )


def _rows(first: int, last: int) -> str:
    return f"row {first} is" if first == last else f"rows {first}–{last} are"
