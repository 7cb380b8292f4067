"""Nuisance and hoax callers (DCP-P-042 §4.12.6), up to a PECS temporary-disconnection request.

- :mod:`.history`: each earlier call in brief (:class:`CallSummary`) and what they add up to
  (:func:`summarise` -> :class:`CallerHistory`, with the handler's one-line summary);
  :mod:`.outcomes` names how a call ended, :mod:`.windows` counts calls over the windows;
- :mod:`.rules`: detection as data (:class:`NuisanceRules`) and :func:`detect`, which flags a
  faulty device, a vulnerable person or deliberate misuse, each with its evidence;
- :mod:`.config`: the force's escalation ladder (:class:`Ladder`) and configuration;
- :mod:`.ladder`: the :class:`NuisanceCase` aggregate that moves up the ladder, with approvals
  and the vulnerable-person safeguard (:mod:`.states`, :mod:`.case` and :mod:`.table` hold its
  states, actions, records and transition table);
- :mod:`.rungs`: the ladder's safeguards for the people on it (flags that block letters and
  requests, the new evidence each rung needs), set by :class:`LadderRules`;
- :mod:`.from_contacts`: a stored contact as a :class:`CallSummary`.
"""

from controlroom.domain.nuisance.case import (
    Approve,
    Assess,
    CaseAction,
    CaseEntry,
    CaseEvent,
    CaseRecord,
    CaseState,
    Close,
    DocumentIssued,
    GenerateDocument,
    LinkedIdentifier,
    LinkIdentifier,
    NuisanceTag,
    OverrideVulnerability,
    Pending,
    Propose,
    Record,
    Reject,
    Reopen,
    SafeguardOverride,
    StepTaken,
)
from controlroom.domain.nuisance.config import (
    DEFAULT_LADDER,
    Approval,
    DocumentKind,
    Ladder,
    LadderRules,
    LadderStep,
    NuisanceConfig,
)
from controlroom.domain.nuisance.from_contacts import call_summary, imei_of
from controlroom.domain.nuisance.history import (
    WINDOWS,
    CallerHistory,
    CallSummary,
    OutcomeKind,
    WindowCounts,
    count_windows,
    notable,
    summarise,
    window_starts,
)
from controlroom.domain.nuisance.identifiers import Identifier, IdentifierKind
from controlroom.domain.nuisance.ladder import MOVES, ROLES, NuisanceCase, StepOption, provider_note
from controlroom.domain.nuisance.rules import (
    Confidence,
    NuisanceFlag,
    NuisanceKind,
    NuisanceRules,
    Response,
    detect,
    recommended_response,
)

__all__ = [
    "DEFAULT_LADDER",
    "MOVES",
    "ROLES",
    "WINDOWS",
    "Approval",
    "Approve",
    "Assess",
    "CallSummary",
    "CallerHistory",
    "CaseAction",
    "CaseEntry",
    "CaseEvent",
    "CaseRecord",
    "CaseState",
    "Close",
    "Confidence",
    "DocumentIssued",
    "DocumentKind",
    "GenerateDocument",
    "Identifier",
    "IdentifierKind",
    "Ladder",
    "LadderRules",
    "LadderStep",
    "LinkIdentifier",
    "LinkedIdentifier",
    "NuisanceCase",
    "NuisanceConfig",
    "NuisanceFlag",
    "NuisanceKind",
    "NuisanceRules",
    "NuisanceTag",
    "OutcomeKind",
    "OverrideVulnerability",
    "Pending",
    "Propose",
    "Record",
    "Reject",
    "Reopen",
    "Response",
    "SafeguardOverride",
    "StepOption",
    "StepTaken",
    "WindowCounts",
    "call_summary",
    "count_windows",
    "detect",
    "imei_of",
    "notable",
    "provider_note",
    "recommended_response",
    "summarise",
    "window_starts",
]
