"""Where a nuisance case stands, what can be done to it, and the audit tag of each action."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class CaseState(StrEnum):
    """Where a case stands on the ladder."""

    OPEN = "open"  # no step waiting
    PROPOSED = "proposed"  # a step waits for a supervisor's approval
    APPROVED = "approved"  # an approved step waits to be carried out and recorded
    CLOSED = "closed"


class CaseAction(StrEnum):
    """What an action does to a case; the keys of the transition table."""

    OPEN = "open"
    ASSESS = "assess"
    PROPOSE = "propose"
    APPROVE = "approve"
    REJECT = "reject"
    RECORD = "record"
    OVERRIDE_VULNERABILITY = "override_vulnerability"
    LINK_IDENTIFIER = "link_identifier"
    GENERATE_DOCUMENT = "generate_document"
    CLOSE = "close"
    REOPEN = "reopen"


class NuisanceTag(StrEnum):
    """Audit tags of nuisance cases, as ``subject:object:action``."""

    CASE_OPEN = "nuisance:case:open"
    CASE_ASSESS = "nuisance:case:assess"
    CASE_PROPOSE = "nuisance:case:propose"
    CASE_APPROVE = "nuisance:case:approve"
    CASE_REJECT = "nuisance:case:reject"
    CASE_RECORD = "nuisance:case:record"
    CASE_OVERRIDE = "nuisance:case:override_vulnerability"
    CASE_LINK = "nuisance:case:link_identifier"
    CASE_CLOSE = "nuisance:case:close"
    CASE_REOPEN = "nuisance:case:reopen"
    DOCUMENT_GENERATE = "nuisance:document:generate"


TAGS: Mapping[CaseAction, NuisanceTag] = {
    CaseAction.OPEN: NuisanceTag.CASE_OPEN,
    CaseAction.ASSESS: NuisanceTag.CASE_ASSESS,
    CaseAction.PROPOSE: NuisanceTag.CASE_PROPOSE,
    CaseAction.APPROVE: NuisanceTag.CASE_APPROVE,
    CaseAction.REJECT: NuisanceTag.CASE_REJECT,
    CaseAction.RECORD: NuisanceTag.CASE_RECORD,
    CaseAction.OVERRIDE_VULNERABILITY: NuisanceTag.CASE_OVERRIDE,
    CaseAction.LINK_IDENTIFIER: NuisanceTag.CASE_LINK,
    CaseAction.GENERATE_DOCUMENT: NuisanceTag.DOCUMENT_GENERATE,
    CaseAction.CLOSE: NuisanceTag.CASE_CLOSE,
    CaseAction.REOPEN: NuisanceTag.CASE_REOPEN,
}
