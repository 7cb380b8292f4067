"""The vocabularies actions use: what an action does, advice, transfer destinations, responses."""

from __future__ import annotations

from enum import StrEnum


class ActionKind(StrEnum):
    """What an action does; the keys of every transition table."""

    OFFER = "offer"  # a new contact arrives (not applied: see Contact.offer)
    ANSWER = "answer"
    ASSESS = "assess"
    LOG_INCIDENT = "log_incident"
    ADVISE = "advise"
    WARN = "warn"
    TERMINATE = "terminate"
    RECORD_CONSIDERATIONS = "record_considerations"
    FLAG_VULNERABILITY = "flag_vulnerability"
    # older records only: a supervisor's approval is now approve_termination
    OVERRIDE_VULNERABILITY = "override_vulnerability"
    REQUEST_APPROVAL = "request_approval"
    APPROVE_TERMINATION = "approve_termination"
    DECLINE_TERMINATION = "decline_termination"
    REFER = "refer"
    TRANSFER = "transfer"
    HANG_UP = "hang_up"
    RECONNECT = "reconnect"
    CLOSE = "close"
    CLOSE_ACCIDENTAL = "close_accidental"
    CLOSE_NO_RESPONSE = "close_no_response"
    PROMPT = "prompt"
    RECORD_RESPONSE = "record_response"
    INFER_EMERGENCY = "infer_emergency"
    ADD_NOTE = "add_note"
    UPDATE_NARRATIVE = "update_narrative"
    UPDATE_CALLER = "update_caller"
    ADD_LOCATION = "add_location"
    RECORD_ANSWERS = "record_answers"  # the handler's answers to the §4.11.1 questions
    ESCALATE = "escalate"  # a digital contact marked as an emergency while it waits


class EscalationSource(StrEnum):
    """Who marked a digital contact as an emergency."""

    TRIAGE = "triage"  # triage read an emergency in what the member of the public wrote
    PERSON = "person"  # a handler or supervisor judged it one


class AdviceKind(StrEnum):
    """Where a caller is told to go instead (4.12.4: 101 or the local station)."""

    CALL_101 = "101"
    REPORT_ONLINE = "online"
    LOCAL_STATION = "local_station"
    AGENCY = "agency"  # another organisation, named by its id in the policy's agencies


class TransferDestination(StrEnum):
    """Where a call can be passed on. Passing a 999 call to 101 is always refused (4.12.4)."""

    POLICE_101 = "101"
    OTHER_FORCE = "other_force"
    AMBULANCE = "ambulance"
    FIRE = "fire"
    COASTGUARD = "coastguard"


class SilentResponse(StrEnum):
    """What a handler heard on a silent call."""

    COUGH = "cough"
    TAP = "tap"
    KEYPRESS = "keypress"
    SPEECH = "speech"
    BACKGROUND_NOISE = "background_noise"
    NOTHING = "nothing"
