"""Read-only access to a contact's record, shared by the aggregate."""

from __future__ import annotations

from controlroom.domain.contacts.records import (
    Assessment4123,
    Closure,
    ContactRecord,
    HistoryEntry,
    Incident,
    Timestamps,
    WarningGiven,
)
from controlroom.domain.contacts.states import FINAL_STATES, ProcedureName, State
from controlroom.domain.contacts.values import Caller
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage.decision import Channel


class ContactView:
    """The parts of a contact most callers read; :attr:`record` has everything."""

    __slots__ = ("_record",)

    def __init__(self, record: ContactRecord) -> None:
        self._record = record

    @property
    def record(self) -> ContactRecord:
        """Everything the contact holds, as one immutable value (what a repository stores)."""
        return self._record

    @property
    def id(self) -> str:
        """The contact's id."""
        return self._record.id

    @property
    def channel(self) -> Channel:
        """How the contact reached the force."""
        return self._record.channel

    @property
    def caller(self) -> Caller:
        """Who made contact."""
        return self._record.caller

    @property
    def procedure(self) -> ProcedureName:
        """The procedure the contact is following now."""
        return self._record.procedure

    @property
    def state(self) -> State:
        """Where the contact stands in its procedure."""
        return self._record.state

    @property
    def timestamps(self) -> Timestamps:
        """When it was offered, answered and ended."""
        return self._record.timestamps

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        """Every action applied, oldest first."""
        return self._record.history

    @property
    def considerations(self) -> Assessment4123 | None:
        """The 4.12.3 assessment, once recorded."""
        return self._record.considerations

    @property
    def warning(self) -> WarningGiven | None:
        """The 4.12.5 warning, once given."""
        return self._record.warning

    @property
    def incident(self) -> Incident | None:
        """The incident logged for the contact, if any."""
        return self._record.incident

    @property
    def closure(self) -> Closure | None:
        """How the contact ended, once it has."""
        return self._record.closure

    @property
    def vulnerability(self) -> frozenset[VulnerabilityFlag]:
        """Every vulnerability flag set on the contact."""
        return self._record.vulnerability

    @property
    def is_final(self) -> bool:
        """True once the contact is terminated, transferred, abandoned or closed."""
        return self._record.state in FINAL_STATES

    def __repr__(self) -> str:
        record = self._record
        return (
            f"Contact(id={record.id!r}, channel={record.channel.value!r}, "
            f"procedure={record.procedure.value!r}, state={record.state.value!r})"
        )
