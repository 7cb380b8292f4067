"""The exemplar bank: kinds of situation in a caller's words, as policy data.

Each situation cites a part of the policy, names the route it belongs to and, for another
agency, which one. Triage's semantic layer compares a contact with the bank's texts; the
thresholds say how close is close enough for each use. Reading the bank from a file is an
adapter's job; :func:`validate_bank` checks it against the policy it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.domain.policy import Policy, Route


@dataclass(frozen=True)
class Situation:
    """One kind of situation and the texts that show it."""

    id: str
    cite: str  # a citation key of the policy
    route: Route
    agency: str | None
    texts: tuple[str, ...]
    #: How reasons name it ("close to a weapon threat"); the id's words when not given.
    title: str | None = None

    @property
    def words(self) -> str:
        """The situation as a reason names it."""
        return self.title or self.id.replace("-", " ")


@dataclass(frozen=True)
class Thresholds:
    """How close (cosine similarity) a contact must be to the bank for each use.

    ``raise_at`` and ``margin``: the mean similarity of the nearest emergency texts that raises a
    contact to an emergency, and how far it must beat every other route's. ``recognise_at``:
    where the rules recognised nothing, the similarity at which the nearest situation that is no
    emergency chooses route and agency (if it also beats every emergency situation by
    ``margin``); ``route_at``: from here the handler is told what was nearest.
    ``neighbours``: how many nearest texts make a route's score and are shown as evidence.

    The bank also trains a route model (each route's likelihood for a contact, from all the
    bank's texts together). ``raise_likelihood``: the emergency likelihood that raises a contact
    to an emergency, as closeness does; ``raise_unrecognised_likelihood`` the one that raises a
    contact the rules recognised nothing in (None: ``raise_likelihood``), for a fail-safe that
    leans further towards an emergency where nothing was recognised.
    ``recognise_likelihood`` and ``lead``: where the rules
    recognised nothing, the likelihood at which the likeliest route that is no emergency
    decides, if it also leads the emergency likelihood by ``lead``; while the emergency
    likelihood is still at least ``ask_likelihood`` the handler is asked the questions too.
    """

    raise_at: float = 0.50
    margin: float = 0.06
    route_at: float = 0.30
    recognise_at: float = 0.35
    neighbours: int = 3
    raise_likelihood: float = 0.75
    raise_unrecognised_likelihood: float | None = None
    recognise_likelihood: float = 0.30
    lead: float = 0.10
    ask_likelihood: float = 0.10


@dataclass(frozen=True)
class RouteHeadFile:
    """The bank's tuned route head: a weights file (its path resolved when the bank is read)
    and the SHA-256 it must have."""

    path: str
    sha256: str


@dataclass(frozen=True)
class ExemplarBank:
    """A policy's exemplar bank."""

    name: str
    situations: tuple[Situation, ...]
    thresholds: Thresholds = Thresholds()
    route_head: RouteHeadFile | None = None

    def entries(self) -> list[tuple[Situation, str]]:
        """Every text with its situation, in the bank's order."""
        return [(situation, text) for situation in self.situations for text in situation.texts]


@dataclass(frozen=True)
class Neighbour:
    """A text of the bank near a contact, and how near (cosine similarity, -1 to 1)."""

    situation: Situation
    text: str
    similarity: float


def validate_bank(bank: ExemplarBank, policy: Policy) -> list[str]:
    """Every problem with ``bank`` as ``where: what`` lines; empty when it is sound."""
    problems: list[str] = []
    seen: set[str] = set()
    limits = bank.thresholds
    for name in ("raise_at", "route_at", "recognise_at"):
        value = getattr(limits, name)
        if not -1.0 <= value <= 1.0:
            problems.append(f"thresholds.{name}: {value} is not a similarity from -1 to 1")
    for name in ("raise_likelihood", "recognise_likelihood", "lead", "ask_likelihood"):
        value = getattr(limits, name)
        if not 0.0 <= value <= 1.0:
            problems.append(f"thresholds.{name}: {value} is not a likelihood from 0 to 1")
    if not 0.0 <= limits.margin <= 2.0:
        problems.append(f"thresholds.margin: {limits.margin} must be from 0 to 2")
    if limits.neighbours < 1:
        problems.append("thresholds.neighbours: must be at least 1")
    if limits.recognise_at < limits.route_at:
        problems.append("thresholds.recognise_at: must not be below route_at")
    for situation in bank.situations:
        where = f"situations.{situation.id}"
        if situation.id in seen:
            problems.append(f"{where}: the id is used by more than one situation")
        seen.add(situation.id)
        if situation.cite not in policy.citations:
            problems.append(f"{where}.cite: {situation.cite!r} is not in the policy's [citations]")
        if situation.agency is not None and situation.agency not in policy.agencies:
            problems.append(f"{where}.agency: {situation.agency!r} is not in [[agencies]]")
        if situation.route is Route.OTHER_AGENCY and situation.agency is None:
            problems.append(f"{where}.agency: an other_agency situation must name the agency")
        if not situation.texts:
            problems.append(f"{where}.texts: at least one text is needed")
        for index, text in enumerate(situation.texts):
            if not text.strip():
                problems.append(f"{where}.texts[{index}]: empty text")
    routes = {situation.route for situation in bank.situations}
    for route in Route:
        if route not in routes:
            problems.append(f"situations: no situation for the route {route.value!r}")
    return problems
