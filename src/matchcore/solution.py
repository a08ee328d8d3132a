"""The answer: who serves what, what stayed open and why, and how good it is."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from matchcore import _json as j
from matchcore.errors import ProblemError
from matchcore.warnings import InputWarning

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matchcore.problem import Volunteer
    from matchcore.refer.signals import Signals


class Status(StrEnum):
    """How good the plan is known to be.

    ``OPTIMAL``: proven best for the lexicographic objective (priority, then
    continuity, then travel). ``FEASIBLE``: satisfies every hard rule, but the
    time limit ended the search before the proof; ``Solution.bound`` says how
    much served priority could at most be gained.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


class Reason(StrEnum):
    """Why a request was not served: the first funnel stage that left too few.

    The stages, in order: ``no_skill_match`` (skills and a shared language),
    ``no_valid_credential`` (a credential the request requires is missing, or
    not valid over the whole task), ``excluded`` (the request excludes the
    volunteer or the volunteer the client), ``out_of_range`` (farther than the
    volunteer's max distance),
    ``not_available`` (no start in the window fits their availability with
    travel, or their task/minute limits cannot hold the task at all; for a
    request needing several volunteers: not enough of them at one start; or
    pinned commitments take every time it could be done).
    ``capacity``: enough volunteers pass every stage, and the request could be
    served on its own, but the optimal plan needs them for other requests.
    ``referred``: a ``refer_only`` request, for professionals alone; it is
    never assigned and gets its referrals.
    """

    NO_SKILL_MATCH = "no_skill_match"
    NO_VALID_CREDENTIAL = "no_valid_credential"
    EXCLUDED = "excluded"
    OUT_OF_RANGE = "out_of_range"
    NOT_AVAILABLE = "not_available"
    CAPACITY = "capacity"
    REFERRED = "referred"


class GroupReason(StrEnum):
    """Why a participant was not placed, or why a group did not open.

    Participants, the first stage of their funnel that leaves no group:
    ``no_group_on_topic`` (no group on one of their topics that they did not
    exclude and whose languages, if any, they share), ``out_of_range``
    (farther than their ``max_distance_km``), ``not_available`` (some session
    outside their availability), ``group_not_opened`` (every group left is
    closed), ``capacity`` (an open group is left, but it is full or its
    sessions clash with their other groups). Groups: ``too_few_participants``
    (fewer than ``min_participants`` could come) or ``no_facilitators`` (fewer
    than ``facilitators_needed`` trained facilitators in range are free).
    """

    NO_GROUP_ON_TOPIC = "no_group_on_topic"
    OUT_OF_RANGE = "out_of_range"
    NOT_AVAILABLE = "not_available"
    GROUP_NOT_OPENED = "group_not_opened"
    CAPACITY = "capacity"
    TOO_FEW_PARTICIPANTS = "too_few_participants"
    NO_FACILITATORS = "no_facilitators"


@dataclass(frozen=True)
class OpenGroup:
    """An open group: who takes part and who leads it."""

    group_id: str
    participants: tuple[str, ...]
    facilitators: tuple[str, ...]


@dataclass(frozen=True)
class Unplaced:
    """A participant placed in no group, with a truthful reason."""

    participant_id: str
    reason: GroupReason
    detail: str


@dataclass(frozen=True)
class ClosedGroup:
    """A group that did not open, with a truthful reason and counts."""

    group_id: str
    reason: GroupReason
    detail: str


@dataclass(frozen=True)
class GroupProposal:
    """Unplaced demand on a topic with no group within reach, clustered by place."""

    topic: str
    count: int
    place: tuple[float, float]
    radius_km: float
    facilitators: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class GroupPlan:
    """The groups' part of a plan (present when the problem has groups)."""

    groups: tuple[OpenGroup, ...]
    unplaced: tuple[Unplaced, ...]
    closed_groups: tuple[ClosedGroup, ...]
    group_proposals: tuple[GroupProposal, ...]
    placed_participants: int = 0
    group_priority: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The four solution fields of groups, as JSON-ready data."""
        return {
            "groups": [
                {
                    "group_id": g.group_id,
                    "participants": list(g.participants),
                    "facilitators": list(g.facilitators),
                }
                for g in self.groups
            ],
            "unplaced": [
                {"participant_id": u.participant_id, "reason": u.reason.value, "detail": u.detail}
                for u in self.unplaced
            ],
            "closed_groups": [
                {"group_id": c.group_id, "reason": c.reason.value, "detail": c.detail}
                for c in self.closed_groups
            ],
            "group_proposals": [
                {
                    "topic": p.topic,
                    "count": p.count,
                    "place": {"lat": p.place[0], "lon": p.place[1]},
                    "radius_km": p.radius_km,
                    "facilitators": list(p.facilitators),
                    "detail": p.detail,
                }
                for p in self.group_proposals
            ],
        }


#: The places a leg of a ride runs between.
LEG_PLACES: tuple[str, ...] = ("home", "client", "destination")


@dataclass(frozen=True)
class Leg:
    """One leg of a ride: from one place to another, its km and whole minutes.

    ``origin`` and ``to`` are ``"home"``, ``"client"`` or ``"destination"``
    (the JSON names ``origin`` ``from``).
    """

    origin: str
    to: str
    km: float
    minutes: int


@dataclass(frozen=True)
class AssignedVolunteer:
    """One volunteer on an assignment, with their travel.

    ``distance_km`` is home -> client (what ``max_distance_km`` limits);
    ``travel_minutes`` the travel before the start and, the same, after the
    end: for a ride the first two legs. A ride's member has its four
    ``legs`` (home -> client -> destination, destination -> client -> home);
    other requests have none. ``role`` is the index (in the request's ``roles``) of the role this
    member fills; ``None`` for a request without roles.
    """

    volunteer_id: str
    distance_km: float
    travel_minutes: int
    preferred: bool
    legs: tuple[Leg, ...] = ()
    role: int | None = None


@dataclass(frozen=True)
class Assignment:
    """A served request: its volunteers and, when timed, its start and end."""

    request_id: str
    volunteers: tuple[AssignedVolunteer, ...]
    start: datetime | None = None
    end: datetime | None = None
    pinned: bool = False
    explanation: str = ""

    @property
    def volunteer_ids(self) -> tuple[str, ...]:
        return tuple(v.volunteer_id for v in self.volunteers)


@dataclass(frozen=True)
class Funnel:
    """How many volunteers remain after each stage of the candidate funnel.

    For a request needing several volunteers, ``available`` counts the most
    volunteers available together at one start. ``credentials`` is the stage
    between ``skills`` and ``not_excluded`` (volunteers with the skills and
    every required credential valid; equal to ``skills`` when the request
    requires none); ``None`` when the solution does not say.
    """

    volunteers: int
    skills: int
    not_excluded: int
    in_range: int
    available: int
    credentials: int | None = None


@dataclass(frozen=True)
class Referral:
    """A professional service an unserved request may be referred to."""

    service_id: str
    name: str
    organization: str
    distance_km: float | None
    why: str


@dataclass(frozen=True)
class Unassigned:
    """A request that was not served, with a truthful reason.

    ``referrals`` is ``None`` when the request names no themes, else the
    ranked services that fit (at most 5, possibly none).
    """

    request_id: str
    reason: Reason
    detail: str
    funnel: Funnel
    referrals: tuple[Referral, ...] | None = None


@dataclass(frozen=True)
class Objective:
    """The plan's value on each level of the lexicographic objective."""

    served_requests: int
    served_priority: float
    continuity: int
    travel_km: float
    kept: int = 0
    # Tasks per volunteer (see :func:`load_figures`): the most, and the most
    # minus the fewest over the volunteers who can take a task at all.
    max_tasks_per_volunteer: int = 0
    task_spread: int = 0


def load_figures(volunteers: Sequence[Volunteer], tasks: Sequence[int]) -> tuple[int, int]:
    """``(max_tasks_per_volunteer, task_spread)`` of a plan.

    ``tasks[v]`` is the number of requests volunteer ``v`` serves (a group
    session is not a task here). The maximum is over every volunteer; the
    spread is the maximum minus the minimum over the volunteers who can take
    a task at all: availability not empty and ``max_tasks`` not 0 (0 when
    there are none).
    """
    most = max(tasks, default=0)
    able = [n for v, n in zip(volunteers, tasks, strict=True) if _can_take_tasks(v)]
    return most, (max(able) - min(able) if able else 0)


def _can_take_tasks(volunteer: Volunteer) -> bool:
    return volunteer.max_tasks != 0 and (
        volunteer.availability is None or len(volunteer.availability) > 0
    )


@dataclass(frozen=True)
class Change:
    """How one request fared against the previous plan (:mod:`matchcore.replan`)."""

    request_id: str
    status: str
    reason: str | None


@dataclass(frozen=True)
class Stats:
    """How the solve went; informative, not part of the plan."""

    wall_seconds: float = 0.0
    candidate_pairs: int = 0
    parts: int = 0
    engines: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Solution:
    """A feasible plan for a :class:`~matchcore.problem.Problem`.

    Attributes
    ----------
    status
        ``optimal`` when proven, else ``feasible``.
    assignments
        Served requests, in the order of the problem's requests.
    unassigned
        Every request not served, with its reason, in problem order.
    objective
        Served requests and priority, continuity, and round-trip km.
    bound
        Proven upper bound on served priority (equal to it when optimal).
    stats
        Timings, sizes and engines used.
    warnings
        What in the input is valid but probably not meant
        (:mod:`matchcore.warnings`); they never block a plan.
    signals
        What a coordinator can act on (unmet needs, recruitment, near
        misses, zorgpad gaps); see :mod:`matchcore.refer.signals`.
    group_plan
        Open groups, unplaced participants, closed groups and group
        proposals, when the problem has groups (:mod:`matchcore.groups`).
    changes
        With a previous plan: every request's change against it
        (:mod:`matchcore.replan`); else ``None``.
    """

    status: Status
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    objective: Objective
    bound: float
    stats: Stats = field(default_factory=Stats)
    warnings: tuple[InputWarning, ...] = ()
    signals: Signals | None = None
    group_plan: GroupPlan | None = None
    changes: tuple[Change, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The solution as JSON-ready data (``changes`` only with a previous plan)."""
        out: dict[str, Any] = {
            "status": self.status.value,
            "assignments": [_assignment_dict(a) for a in self.assignments],
            "unassigned": [_unassigned_dict(u) for u in self.unassigned],
            "objective": asdict(self.objective),
            "bound": self.bound,
            "stats": asdict(self.stats),
            "warnings": [asdict(w) for w in self.warnings],
            **(self.group_plan.to_dict() if self.group_plan is not None else {}),
        }
        if self.signals is not None:
            out["signals"] = self.signals.to_dict()
        if self.changes is not None:
            out["changes"] = [asdict(c) for c in self.changes]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _unassigned_dict(u: Unassigned) -> dict[str, Any]:
    d: dict[str, Any] = {
        "request_id": u.request_id,
        "reason": u.reason.value,
        "detail": u.detail,
        "funnel": {k: v for k, v in asdict(u.funnel).items() if v is not None},
    }
    if u.referrals is not None:
        d["referrals"] = [asdict(r) for r in u.referrals]
    return d


def _assignment_dict(a: Assignment) -> dict[str, Any]:
    d: dict[str, Any] = {"request_id": a.request_id, "volunteer_ids": list(a.volunteer_ids)}
    if a.start is not None and a.end is not None:
        d["start"] = a.start.isoformat()
        d["end"] = a.end.isoformat()
    d["volunteers"] = [_member_dict(v) for v in a.volunteers]
    d["pinned"] = a.pinned
    d["explanation"] = a.explanation
    return d


def _member_dict(v: AssignedVolunteer) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": v.volunteer_id,
        "distance_km": round(v.distance_km, 3),
        "travel_minutes": v.travel_minutes,
        "preferred": v.preferred,
    }
    if v.role is not None:
        d["role"] = v.role
    if v.legs:
        d["legs"] = [
            {"from": g.origin, "to": g.to, "km": round(g.km, 3), "minutes": g.minutes}
            for g in v.legs
        ]
    return d


@dataclass(frozen=True)
class PlannedAssignment:
    """An assignment as read back from a solution document, for checking."""

    request_id: str
    volunteer_ids: tuple[str, ...]
    start: datetime | None
    # volunteer id -> (position in the assignment's ``volunteers``, the legs it reports)
    legs: dict[str, tuple[int, tuple[Leg, ...]]] = field(default_factory=dict)


_LEG_FIELDS = ("from", "to", "km", "minutes")


def read_legs(value: Any, path: j.Path) -> tuple[Leg, ...]:
    """A member's ``legs`` as written in a solution document, checked for shape."""
    out = []
    for n, item in enumerate(j.read_list(value, path)):
        where: j.Path = (*path, n)
        obj = j.read_object(item, where, _LEG_FIELDS)
        places = []
        for name in ("from", "to"):
            place = j.require(obj, name, where)
            if place not in LEG_PLACES:
                raise ProblemError((*where, name), "must be " + ", ".join(LEG_PLACES))
            places.append(str(place))
        km = j.read_number(j.require(obj, "km", where), (*where, "km"))
        minutes = j.read_integer(j.require(obj, "minutes", where), (*where, "minutes"))
        if km < 0:
            raise ProblemError((*where, "km"), "must be 0 or more")
        if minutes < 0:
            raise ProblemError((*where, "minutes"), "must be 0 or more")
        out.append(Leg(places[0], places[1], km, minutes))
    return tuple(out)


def _read_member_legs(item: dict[str, Any], path: j.Path) -> dict[str, tuple[int, tuple[Leg, ...]]]:
    """The legs each member of an assignment reports (members without legs: none)."""
    if item.get("volunteers") is None:
        return {}
    out = {}
    for k, member in enumerate(j.read_list(item["volunteers"], (*path, "volunteers"))):
        where: j.Path = (*path, "volunteers", k)
        if not isinstance(member, dict):
            raise ProblemError(where, f"must be an object, not {j.json_type(member)}")
        if member.get("legs") is None:
            continue
        vid = j.read_string(j.require(member, "id", where), (*where, "id"))
        out[vid] = (k, read_legs(member["legs"], (*where, "legs")))
    return out


#: The top-level fields of a solution document, as :meth:`Solution.to_dict` writes them.
SOLUTION_FIELDS: tuple[str, ...] = (
    "status",
    "assignments",
    "unassigned",
    "objective",
    "bound",
    "stats",
    "warnings",
    "signals",
    "groups",
    "unplaced",
    "closed_groups",
    "group_proposals",
    "changes",
)
#: The fields a complete solution document must have (``stats`` are informative only).
REQUIRED_SOLUTION_FIELDS: tuple[str, ...] = (
    "status",
    "assignments",
    "unassigned",
    "objective",
    "bound",
)
# Fields only a problem document has: a problem given where a solution belongs.
_PROBLEM_ONLY_FIELDS = ("volunteers", "requests", "options", "version")


def read_solution_document(data: Any, *, complete: bool = False) -> dict[str, Any]:
    """``data`` as a solution document, checked at its top level.

    Parameters
    ----------
    data
        Parsed JSON.
    complete
        Require every field of :data:`REQUIRED_SOLUTION_FIELDS`, as a solution
        file must have (the ``check`` command). Without it, only
        ``assignments`` is required: a plan being drafted may leave out the
        figures.

    Returns
    -------
    dict
        The document itself.

    Raises
    ------
    ProblemError
        When ``data`` is not an object, is a problem document, lacks a required
        field, has a field no solution has, or has a ``status``, ``bound`` or
        ``stats`` of the wrong kind (with ``complete``, also an ``objective``
        or ``unassigned`` of the wrong kind, null included); the error names
        the field.
    """
    if not isinstance(data, dict):
        raise ProblemError((), f"must be an object, not {j.json_type(data)}")
    if any(name in data for name in _PROBLEM_ONLY_FIELDS):
        raise ProblemError((), "is a problem document, not a solution")
    required = REQUIRED_SOLUTION_FIELDS if complete else ("assignments",)
    for name in required:
        j.require(data, name, ())
    j.read_object(data, (), SOLUTION_FIELDS)
    if "status" in data and data["status"] not in [s.value for s in Status]:  # {} unhashable
        known = " or ".join(s.value for s in Status)
        raise ProblemError(("status",), f"must be {known}")
    if "bound" in data:
        j.read_number(data["bound"], ("bound",))
    for name in ("stats", "signals"):  # informative members: only their kind is checked
        if name in data and not isinstance(data[name], dict):
            raise ProblemError((name,), f"must be an object, not {j.json_type(data[name])}")
    if "warnings" in data:
        j.read_list(data["warnings"], ("warnings",))
    if complete:  # a drafted plan may leave these null; a solution file has them
        if not isinstance(data["objective"], dict):
            raise ProblemError(
                ("objective",), f"must be an object, not {j.json_type(data['objective'])}"
            )
        j.read_list(data["unassigned"], ("unassigned",))
    return data


def read_planned_assignments(data: Any) -> tuple[PlannedAssignment, ...]:
    """The ``assignments`` of a solution document, validated for shape only.

    Only ``request_id``, ``volunteer_ids``, ``start`` and the members'
    ride ``legs`` matter to a check; every other field is recomputed from the
    problem (and the legs compared with the recomputed ones). The document's top level
    is read by :func:`read_solution_document` (without ``complete``).
    """
    top = read_solution_document(data)
    items = j.read_list(j.require(top, "assignments", ()), ("assignments",))
    out = []
    for i, item in enumerate(items):
        path: j.Path = ("assignments", i)
        if not isinstance(item, dict):
            raise ProblemError(path, f"must be an object, not {j.json_type(item)}")
        rid = j.read_string(j.require(item, "request_id", path), (*path, "request_id"))
        vids = j.read_strings(j.require(item, "volunteer_ids", path), (*path, "volunteer_ids"))
        start = None
        if item.get("start") is not None:
            start = j.read_datetime(item["start"], (*path, "start"))
        out.append(PlannedAssignment(rid, vids, start, _read_member_legs(item, path)))
    return tuple(out)
