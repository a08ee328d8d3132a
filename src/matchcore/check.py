"""Independent check of a plan: hard rules, pins and the objective.

The checker is deliberately separate from the solver. It uses none of the
candidate or solver code and no numpy: it walks the plan assignment by
assignment and tests every hard rule of format v1 directly, with
``geopy.distance.great_circle`` for distances. A plan the solver produced
and the checker accepts was therefore verified by a second, much simpler
implementation of the same rules.

The rules, as the checker applies them:

- distance is the great-circle distance (radius 6371.009 km); it must be at
  most the volunteer's range (``Problem.max_distance_km``);
- one-way travel minutes are ``ceil(distance * detour_factor / speed * 60)``;
- a ride (a request with a ``destination``) goes home -> client ->
  destination, the task there, then destination -> client -> home; each
  leg's km and minutes are computed on their own (geopy, rounded up per
  leg); the block holds the first two legs before the start and the last two
  after the end, the minute budget and travel km count all four, and the
  range applies to home -> client only; ``legs`` a member reports must be
  these four legs, km to a metre and minutes exactly (rule ``legs_mismatch``;
  legs on a request that is no ride are a mismatch too);
- the volunteer has every skill of the request, speaks one of its languages
  when it lists any, and neither side excludes the other;
- a timed request has one start at a whole minute with ``window.start <=
  start`` and ``start + duration <= window.end``; each volunteer's block
  ``[start - travel, start + duration + travel]`` lies inside one of their
  availability windows, and one volunteer's blocks never overlap (touching
  is fine); an untimed request has no start;
- a volunteer whose availability is empty (never available) serves nothing;
- a volunteer holds every credential the request requires (names compared
  as skills are): for a timed request, credentials of that name (renewals
  that touch count as one) cover the whole block, travel included; for an
  untimed one, one is valid at the end of the planning horizon (without a
  horizon: all of them valid at one moment, when the task could be done);
- per volunteer, the number of tasks is at most ``max_tasks`` and the sum of
  ``duration + 2 * travel`` at most ``max_minutes``;
- per volunteer and local day (``options.timezone``, else UTC) of a timed
  task's start, the number of tasks is at most ``max_tasks_per_day`` and the
  sum of ``duration + 2 * travel`` at most ``max_minutes_per_day`` (an
  untimed task has no start, so no day);
- ``objective.max_tasks_per_volunteer`` is the most tasks of any volunteer,
  ``objective.task_spread`` the most minus the fewest over the volunteers
  whose availability is not empty and whose ``max_tasks`` is not 0;
- a request gets exactly ``volunteers_needed`` distinct volunteers, and a
  pinned request exactly its pinned volunteers (and start, when pinned);
- a ``refer_only`` request is never assigned (it is for professionals alone);
- a request with ``roles``: every member object in ``volunteers`` names the
  index of its ``role``; each role has exactly its ``count`` members, and each
  member has the role's skills and speaks one of its languages (when it lists
  any), besides the request's own skills and languages; a request without
  roles gives no member a role;
- with a ``previous_plan``: ``objective.kept`` counts the previous
  assignments with the same request, the same volunteers and the same start,
  and ``changes`` lists every request served in either plan with the status
  the two plans give (reasons are the solver's account and not re-derived,
  except that kept and new requests have none);
- repeating requests (``series``): ``objective.continuity`` adds, for every
  series, the occurrences served by the volunteer who serves most of them;
  given the problem document, each ``repeat`` is expanded again here (with
  python-dateutil and zoneinfo, not the reader's code) and the problem's
  occurrences must be exactly those: ids ``<id>@<YYYY-MM-DD>``, the same local
  times on each day (a time the clocks skip moves forward by the gap, a
  repeated one is the first), the series named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from dateutil import rrule
from geopy.distance import great_circle

from matchcore import _json as j
from matchcore.check_groups import check_groups
from matchcore.errors import PathSegment, ProblemError
from matchcore.problem import Problem, Request, Volunteer, normal_term
from matchcore.solution import Objective, PlannedAssignment, Solution, read_planned_assignments

__all__ = ["CheckReport", "Violation", "check"]

#: Relative tolerance for the reported served priority and travel km.
REL_TOL = 1e-6
#: Absolute tolerance for the reported travel km (per-volunteer km are rounded to metres).
TRAVEL_ABS_TOL_KM = 1e-3
#: Slack on the range rule, far below the 1 m agreement of distance formulas.
RANGE_SLACK_KM = 1e-9
# Rounding slack for travel minutes: a product that is whole up to float noise stays whole.
_MINUTE_EPS = 1e-9
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Violation:
    """One broken rule in a plan.

    Attributes
    ----------
    path
        Where in the solution document, in the dotted form of
        :attr:`~matchcore.errors.ProblemError.location`, e.g.
        ``assignments[2].volunteer_ids[1]``.
    rule
        A short code: ``unknown_request``, ``duplicate_request``,
        ``unknown_volunteer``, ``duplicate_volunteer``, ``wrong_team_size``,
        ``skills``, ``languages``, ``credential``, ``excluded``, ``out_of_range``,
        ``start_missing``, ``start_not_allowed``, ``start_not_whole_minute``,
        ``outside_window``, ``not_available``, ``overlap``, ``max_tasks``,
        ``max_minutes``, ``max_tasks_per_day``, ``max_minutes_per_day``,
        ``pin_broken``, ``objective_mismatch``, ``unassigned_mismatch``,
        ``legs_mismatch``, ``role_missing``, ``role_unknown``,
        ``role_not_allowed``, ``role_count``, ``role_skills``, ``role_languages``
        or ``series_expansion`` (a path in the problem document: its
        occurrences are not what its ``repeat`` gives).
    message
        What is wrong, in words. Names ids from the documents but never
        coordinates, skills, languages or other free text.
    """

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check`.

    Attributes
    ----------
    violations
        Every broken rule found, in document order (volunteer-wide rules and
        document-level comparisons last).
    objective
        The plan's objective recomputed from the problem, with full-precision
        distances; assignments of unknown or repeated requests do not count,
        and neither do unknown or repeated volunteers.
    """

    violations: tuple[Violation, ...]
    objective: Objective

    @property
    def ok(self) -> bool:
        """Whether the plan breaks no rule."""
        return not self.violations


def check(
    problem: Problem,
    solution: Solution | Mapping[str, Any],
    *,
    document: Mapping[str, Any] | None = None,
) -> CheckReport:
    """Check a plan against every hard rule of its problem, and its objective.

    Parameters
    ----------
    problem
        The validated problem the plan is for.
    solution
        A :class:`~matchcore.solution.Solution`, or a solution document as
        parsed JSON. Only the assignments' ``request_id``, ``volunteer_ids``
        and ``start`` are taken from it; everything else is recomputed (ride
        ``legs`` a member reports are compared with the recomputed ones). When
        the document has an ``objective``, its values must match the
        recomputed ones (counts exactly; priority within a relative 1e-6;
        travel within 1e-3 km plus a relative 1e-6). When it has an
        ``unassigned`` list, it must name exactly the requests not served.
    document
        The problem document ``problem`` was read from (parsed JSON), when at
        hand: its repeating requests are expanded again, independently, and
        compared with the problem's occurrences (rule ``series_expansion``,
        named by the problem document's path).

    Returns
    -------
    CheckReport
        The violations found (none when the plan is feasible and its
        reported figures are right) and the recomputed objective.

    Raises
    ------
    ProblemError
        When the document does not have the shape of a solution (not an
        object, ``assignments`` not a list, a start that is not an ISO-8601
        date-time with a UTC offset, ...), naming the JSON path.
    """
    doc: dict[str, Any]
    if isinstance(solution, Solution):
        doc = solution.to_dict()
    elif isinstance(solution, Mapping):
        doc = dict(solution)
    else:
        raise ProblemError((), f"must be an object, not {j.json_type(solution)}")
    plan = read_planned_assignments(doc)
    checker = _Checker(problem)
    checker.check_plan(plan)
    _check_roles(problem, doc, checker.add)
    objective = checker.objective()
    if doc.get("objective") is not None:
        checker.check_objective(doc["objective"], objective)
    if doc.get("unassigned") is not None:
        checker.check_unassigned(doc["unassigned"])
    check_groups(  # the group rules (matchcore.check_groups), beside the tasks' time and load
        problem,
        doc,
        checker.add,
        {vid: [(b.start, b.end) for b in load.blocks] for vid, load in checker.loads.items()},
        {vid: (load.tasks, load.minutes) for vid, load in checker.loads.items()},
    )
    if doc.get("changes") is not None or problem.previous_plan is not None:
        checker.check_changes(plan, doc.get("changes"))
    if document is not None:
        for path, message in series_expansion_errors(problem, document):
            checker.add(path, "series_expansion", message)
    return CheckReport(tuple(checker.violations), objective)


# -- the rules ---------------------------------------------------------------------


def _location(path: tuple[PathSegment, ...]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out or "(document)"


def distance_km(volunteer: Volunteer, request: Request) -> float:
    """Great-circle km between a volunteer's home and a request (geopy)."""
    a, b = volunteer.location, request.location
    return float(great_circle((a.lat, a.lon), (b.lat, b.lon)).km)


def travel_minutes(problem: Problem, volunteer: Volunteer, km: float) -> int:
    """One-way travel minutes over ``km``, rounded up to a whole minute."""
    travel = problem.options.travel
    exact = km * travel.detour_factor / travel.speeds_kmh[volunteer.travel_mode] * 60.0
    return math.ceil(exact - _MINUTE_EPS)


def route_legs(
    problem: Problem, volunteer: Volunteer, request: Request
) -> list[tuple[str, str, float, int]]:
    """The legs a volunteer travels for a request: (from, to, km, minutes).

    Home -> client -> home; for a ride home -> client -> destination ->
    client -> home. Each leg is measured on its own (geopy), its minutes
    rounded up on their own.
    """
    places = {"home": volunteer.location, "client": request.location}
    route = ["home", "client", "home"]
    if request.destination is not None:
        places["destination"] = request.destination
        route = ["home", "client", "destination", "client", "home"]
    legs = []
    for a, b in pairwise(route):
        p, q = places[a], places[b]
        km = float(great_circle((p.lat, p.lon), (q.lat, q.lon)).km)
        legs.append((a, b, km, travel_minutes(problem, volunteer, km)))
    return legs


def travel_around(legs: list[tuple[str, str, float, int]]) -> tuple[int, int]:
    """Minutes of travel before the task (up to where it takes place) and after it."""
    half = len(legs) // 2
    return sum(m for *_, m in legs[:half]), sum(m for *_, m in legs[half:])


def _valid_together(lists: list[list[tuple[datetime, datetime]]]) -> bool:
    """Whether one moment lies in an interval of every list (closed intervals)."""
    common = lists[0]
    for other in lists[1:]:
        common = [
            (max(a, c), min(b, d)) for a, b in common for c, d in other if max(a, c) <= min(b, d)
        ]
    return bool(common)


def _merged_validity(vol: Volunteer, name: str) -> list[tuple[datetime, datetime]]:
    """The validity of a volunteer's credentials of one name, touching ones merged."""
    never = datetime.min.replace(tzinfo=UTC)
    spans = sorted(
        (c.valid_from or never, c.valid_until)
        for c in vol.credentials
        if normal_term(c.name) == name
    )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@dataclass
class _Block:
    """A volunteer's time away from home for one timed task."""

    start: datetime
    end: datetime
    assignment: int
    slot: int
    request_id: str


@dataclass
class _Load:
    tasks: int = 0
    minutes: int = 0
    blocks: list[_Block] = field(default_factory=list)
    tasks_reported: bool = False
    minutes_reported: bool = False
    # Per local day of a timed task's start: tasks and minutes.
    day_tasks: dict[date, int] = field(default_factory=dict)
    day_minutes: dict[date, int] = field(default_factory=dict)
    days_reported: set[tuple[str, date]] = field(default_factory=set)


@dataclass
class _Checker:
    problem: Problem
    plan: tuple[PlannedAssignment, ...] = ()
    violations: list[Violation] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=dict)  # request id -> assignment index
    loads: dict[str, _Load] = field(default_factory=dict)
    priority: float = 0.0
    continuity: int = 0
    travel_km: float = 0.0

    def add(self, path: tuple[PathSegment, ...], rule: str, message: str) -> None:
        self.violations.append(Violation(_location(path), rule, message))

    # -- per assignment --------------------------------------------------------

    def check_plan(self, plan: tuple[PlannedAssignment, ...]) -> None:
        self.plan = plan
        for i, item in enumerate(plan):
            self.check_assignment(i, item)
        for vid, load in self.loads.items():
            self.check_overlaps(vid, load.blocks)
        self.check_pins()

    def check_assignment(self, i: int, item: PlannedAssignment) -> None:
        problem = self.problem
        path: tuple[PathSegment, ...] = ("assignments", i)
        rid = item.request_id
        if rid not in problem.request_index:
            self.add((*path, "request_id"), "unknown_request", f"names unknown request {rid}")
            return
        if rid in self.served:
            self.add(
                (*path, "request_id"),
                "duplicate_request",
                f"request {rid} is already served by assignments[{self.served[rid]}]",
            )
            return
        self.served[rid] = i
        req = problem.requests[problem.request_index[rid]]
        self.priority += req.priority
        if req.refer_only:
            self.add((*path, "request_id"), "refer_only_assigned", f"request {rid} is refer_only")

        team = len(set(item.volunteer_ids))
        if team != req.volunteers_needed:
            self.add(
                (*path, "volunteer_ids"),
                "wrong_team_size",
                f"names {team} distinct volunteers; request {rid} needs {req.volunteers_needed}",
            )
        start = self.check_start(path, req, item.start)
        seen: set[str] = set()
        for k, vid in enumerate(item.volunteer_ids):
            slot: tuple[PathSegment, ...] = (*path, "volunteer_ids", k)
            if vid not in problem.volunteer_index:
                self.add(slot, "unknown_volunteer", f"names unknown volunteer {vid}")
                continue
            if vid in seen:
                self.add(slot, "duplicate_volunteer", f"names volunteer {vid} twice")
                continue
            seen.add(vid)
            vol = problem.volunteers[problem.volunteer_index[vid]]
            self.check_pair(i, k, req, vol, start)

    def check_start(
        self, path: tuple[PathSegment, ...], req: Request, start: datetime | None
    ) -> datetime | None:
        """Check the start of an assignment; the start to plan blocks with, if any."""
        where = (*path, "start")
        if req.window is None:
            if start is not None:
                self.add(where, "start_not_allowed", f"request {req.id} has no window, so no start")
            return None
        if start is None:
            self.add(where, "start_missing", f"request {req.id} has a window and needs a start")
            return None
        if (start - _EPOCH) % _MINUTE:
            self.add(where, "start_not_whole_minute", "is not at a whole minute")
        end = start + timedelta(minutes=req.duration_minutes)
        if start < req.window.start or end > req.window.end:
            self.add(
                where,
                "start_not_allowed",
                f"request {req.id} of {req.duration_minutes} minutes does not fit its window "
                "from this start",
            )
        return start

    def check_pair(
        self, i: int, k: int, req: Request, vol: Volunteer, start: datetime | None
    ) -> None:
        """Rules of one volunteer on one assignment; adds to their load and the objective."""
        problem = self.problem
        slot: tuple[PathSegment, ...] = ("assignments", i, "volunteer_ids", k)
        who = f"volunteer {vol.id}"
        if not req.skills <= vol.skills:
            self.add(slot, "skills", f"{who} lacks a skill that request {req.id} requires")
        if req.languages and not req.languages & vol.languages:
            self.add(slot, "languages", f"{who} speaks none of the languages of request {req.id}")
        if vol.id in req.excluded_volunteers:
            self.add(slot, "excluded", f"request {req.id} excludes {who}")
        self.check_credentials(slot, req, vol, start)
        if req.client_id in vol.excluded_clients:
            self.add(slot, "excluded", f"{who} excludes the client of request {req.id}")
        km = distance_km(vol, req)  # home -> client: the range applies to it alone
        legs = route_legs(problem, vol, req)
        before, after = travel_around(legs)
        self.check_legs(i, req, vol, legs)
        reach = problem.max_distance_km(vol)
        if km > reach + RANGE_SLACK_KM:
            self.add(
                slot,
                "out_of_range",
                f"request {req.id} is {km:.3f} km away; the range of {who} is {reach:g} km",
            )
        if vol.availability == ():
            self.add(slot, "not_available", f"{who} is never available")
        elif start is not None:
            block = _Block(
                start - timedelta(minutes=before),
                start + timedelta(minutes=req.duration_minutes + after),
                i,
                k,
                req.id,
            )
            if vol.availability is not None and not any(
                w.start <= block.start and block.end <= w.end for w in vol.availability
            ):
                self.add(
                    slot,
                    "outside_window",
                    f"{who} is not available for the whole of request {req.id} "
                    f"with {before} minutes of travel before and {after} after",
                )
            self.load(vol.id).blocks.append(block)

        load = self.load(vol.id)
        load.tasks += 1
        load.minutes += req.duration_minutes + before + after
        if vol.max_tasks is not None and load.tasks > vol.max_tasks and not load.tasks_reported:
            load.tasks_reported = True
            self.add(slot, "max_tasks", f"{who} gets more than max_tasks={vol.max_tasks} tasks")
        if (
            vol.max_minutes is not None
            and load.minutes > vol.max_minutes
            and not load.minutes_reported
        ):
            load.minutes_reported = True
            self.add(
                slot,
                "max_minutes",
                f"{who} reaches {load.minutes} minutes of tasks and travel here; "
                f"max_minutes is {vol.max_minutes}",
            )

        if start is not None:
            self.check_day(slot, vol, start, req.duration_minutes + before + after)
        self.continuity += vol.id in req.preferred_volunteers
        self.travel_km += sum(leg_km for _, _, leg_km, _ in legs)

    def check_day(
        self, slot: tuple[PathSegment, ...], vol: Volunteer, start: datetime, minutes: int
    ) -> None:
        """The limits per day: the task counts on the local day of its start."""
        day = start.astimezone(self.problem.options.zone or UTC).date()
        load = self.load(vol.id)
        load.day_tasks[day] = load.day_tasks.get(day, 0) + 1
        load.day_minutes[day] = load.day_minutes.get(day, 0) + minutes
        who, reported = f"volunteer {vol.id}", load.days_reported
        limit = vol.max_tasks_per_day
        if limit is not None and load.day_tasks[day] > limit and ("tasks", day) not in reported:
            reported.add(("tasks", day))
            self.add(
                slot,
                "max_tasks_per_day",
                f"{who} gets more than max_tasks_per_day={limit} tasks on {day}",
            )
        limit = vol.max_minutes_per_day
        if limit is not None and load.day_minutes[day] > limit and ("minutes", day) not in reported:
            reported.add(("minutes", day))
            self.add(
                slot,
                "max_minutes_per_day",
                f"{who} reaches {load.day_minutes[day]} minutes of tasks and travel "
                f"on {day}; max_minutes_per_day is {limit}",
            )

    def check_credentials(
        self, slot: tuple[PathSegment, ...], req: Request, vol: Volunteer, start: datetime | None
    ) -> None:
        """Each required credential valid over the block (timed) or at the horizon's end."""
        if not req.credentials:
            return
        block: tuple[datetime, datetime] | None = None
        if start is not None:
            before, after = travel_around(route_legs(self.problem, vol, req))
            block = (
                start - timedelta(minutes=before),
                start + timedelta(minutes=req.duration_minutes + after),
            )
        else:
            horizon = self.problem.horizon
            if horizon is not None:
                block = (horizon.end, horizon.end)
        if block is None:  # untimed, no horizon: the task is done at one moment,
            # when every credential it requires is valid at once
            names = sorted(req.credentials)
            if not _valid_together([_merged_validity(vol, n) for n in names]):
                self.add(
                    slot,
                    "credential",
                    f"volunteer {vol.id} holds no moment at which every credential that "
                    f"request {req.id} requires is valid",
                )
            return
        for name in sorted(req.credentials):
            spans = _merged_validity(vol, name)
            valid = any(a <= block[0] and block[1] <= b for a, b in spans)
            if not valid:
                self.add(
                    slot,
                    "credential",
                    f"volunteer {vol.id} holds no valid credential that request {req.id} "
                    "requires, over the whole task",
                )
                return

    def check_legs(
        self, i: int, req: Request, vol: Volunteer, legs: list[tuple[str, str, float, int]]
    ) -> None:
        """The ride legs a member reports, against the recomputed ones."""
        reported = self.plan[i].legs.get(vol.id)
        if reported is None:
            return
        k, given = reported
        where: tuple[PathSegment, ...] = ("assignments", i, "volunteers", k, "legs")
        if req.destination is None:
            if given:
                self.add(where, "legs_mismatch", f"are given, but request {req.id} is no ride")
            return
        if [(g.origin, g.to) for g in given] != [(a, b) for a, b, _, _ in legs]:
            self.add(
                where,
                "legs_mismatch",
                "must be home -> client -> destination -> client -> home, in that order",
            )
            return
        for n, (g, (_, _, km, minutes)) in enumerate(zip(given, legs, strict=True)):
            if abs(g.km - km) > TRAVEL_ABS_TOL_KM or g.minutes != minutes:
                self.add(
                    (*where, n),
                    "legs_mismatch",
                    f"is {g.km:g} km in {g.minutes} minutes; the leg is {km:.3f} km "
                    f"in {minutes} minutes",
                )

    def load(self, vid: str) -> _Load:
        return self.loads.setdefault(vid, _Load())

    # -- per volunteer and per pin ---------------------------------------------

    def check_overlaps(self, vid: str, blocks: list[_Block]) -> None:
        """Report each block that starts before an earlier block of the volunteer ends."""
        latest: _Block | None = None
        for block in sorted(blocks, key=lambda b: (b.start, b.end, b.assignment)):
            if latest is not None and block.start < latest.end:
                self.add(
                    ("assignments", block.assignment, "volunteer_ids", block.slot),
                    "overlap",
                    f"volunteer {vid} is busy with request {latest.request_id} "
                    f"(assignments[{latest.assignment}]) during request {block.request_id}",
                )
            if latest is None or block.end > latest.end:
                latest = block

    def check_pins(self) -> None:
        for p, pin in enumerate(self.problem.assignments):
            i = self.served.get(pin.request_id)
            pinned = f"the pin of request {pin.request_id} (problem assignments[{p}])"
            if i is None:
                self.add(("assignments",), "pin_broken", f"does not serve {pinned}")
                continue
            self.check_pin_of(i, pin.volunteer_ids, pin.start, pinned)

    def check_pin_of(
        self, i: int, volunteer_ids: tuple[str, ...], start: datetime | None, pinned: str
    ) -> None:
        item = self.plan[i]
        if set(item.volunteer_ids) != set(volunteer_ids):
            self.add(
                ("assignments", i, "volunteer_ids"),
                "pin_broken",
                f"are not the volunteers of {pinned}",
            )
        if start is not None and item.start is not None and item.start != start:
            self.add(("assignments", i, "start"), "pin_broken", f"is not the start of {pinned}")

    # -- document-level figures ------------------------------------------------

    def objective(self) -> Objective:
        return Objective(
            served_requests=len(self.served),
            served_priority=self.priority,
            continuity=self.continuity + self.series_continuity(),
            travel_km=self.travel_km,
            kept=self.kept(self.plan),
            max_tasks_per_volunteer=max(
                (
                    self.loads[v.id].tasks if v.id in self.loads else 0
                    for v in self.problem.volunteers
                ),
                default=0,
            ),
            task_spread=self.task_spread(),
        )

    def task_spread(self) -> int:
        """Most minus fewest tasks over the volunteers who can take a task at all."""
        tasks = [
            self.loads[v.id].tasks if v.id in self.loads else 0
            for v in self.problem.volunteers
            if v.max_tasks != 0 and (v.availability is None or v.availability)
        ]
        return max(tasks) - min(tasks) if tasks else 0

    def series_continuity(self) -> int:
        """Per series, the occurrences its most frequent volunteer serves, summed."""
        counts: dict[str, dict[str, int]] = {}
        for item in self.plan:
            index = self.problem.request_index.get(item.request_id)
            if index is None or self.served.get(item.request_id) is None:
                continue
            series = self.problem.requests[index].series
            if series is None:
                continue
            per_volunteer = counts.setdefault(series, {})
            for vid in set(item.volunteer_ids) & self.problem.volunteer_index.keys():
                per_volunteer[vid] = per_volunteer.get(vid, 0) + 1
        return sum(max(c.values(), default=0) for c in counts.values())

    def check_objective(self, value: Any, actual: Objective) -> None:
        if not isinstance(value, dict):
            raise ProblemError(("objective",), f"must be an object, not {j.json_type(value)}")
        for name in (
            "served_requests",
            "continuity",
            "kept",
            "max_tasks_per_volunteer",
            "task_spread",
        ):
            if name in value:
                got = j.read_integer(value[name], ("objective", name))
                want = int(getattr(actual, name))
                if got != want:
                    self.add(
                        ("objective", name),
                        "objective_mismatch",
                        f"is {got}; the plan gives {want}",
                    )
        for name, abs_tol in (("served_priority", 0.0), ("travel_km", TRAVEL_ABS_TOL_KM)):
            if name in value:
                got_f = j.read_number(value[name], ("objective", name))
                want_f = float(getattr(actual, name))
                if abs(got_f - want_f) > abs_tol + REL_TOL * max(abs(want_f), 1.0):
                    self.add(
                        ("objective", name),
                        "objective_mismatch",
                        f"is {got_f:g}; the plan gives {want_f:g}",
                    )

    def check_referred(self, path: tuple[PathSegment, ...], rid: str, reason: Any) -> None:
        """Reason ``referred`` belongs to ``refer_only`` requests, and only to them."""
        if rid not in self.problem.request_index or rid in self.served:
            return
        refer_only = self.problem.requests[self.problem.request_index[rid]].refer_only
        if refer_only != (reason == "referred"):
            self.add(
                (*path, "reason"),
                "unassigned_mismatch",
                f"is {reason}; request {rid} is {'' if refer_only else 'not '}refer_only",
            )

    def check_changes(self, plan: tuple[PlannedAssignment, ...], value: Any) -> None:
        """``changes`` against the previous plan: one entry per request served in
        either plan, its status re-derived (kept: same volunteers and start;
        moved: same volunteers; reassigned; dropped; new), and no reason on
        kept or new; without a previous plan there are no changes."""
        previous = {p.request_id: p for p in self.problem.previous_plan or ()}
        if self.problem.previous_plan is None:
            if value:
                self.add(("changes",), "changes_mismatch", "are listed without a previous plan")
            return
        if value is None:
            self.add(
                ("changes",), "changes_mismatch", "are missing; the problem has a previous plan"
            )
            return
        now = {a.request_id: a for a in plan}
        want: dict[str, str] = {}
        for rid in set(previous) | set(now):
            p, a = previous.get(rid), now.get(rid)
            if p is None:
                want[rid] = "new"
            elif a is None:
                want[rid] = "dropped"
            elif set(a.volunteer_ids) != set(p.volunteer_ids):
                want[rid] = "reassigned"
            else:
                want[rid] = "kept" if a.start == p.start else "moved"
        seen: set[str] = set()
        for k, item in enumerate(j.read_list(value, ("changes",))):
            path: tuple[PathSegment, ...] = ("changes", k)
            if not isinstance(item, dict):
                raise ProblemError(path, f"must be an object, not {j.json_type(item)}")
            rid = j.read_string(j.require(item, "request_id", path), (*path, "request_id"))
            status = item.get("status")
            if rid in seen or rid not in want:
                self.add(path, "changes_mismatch", f"lists request {rid} twice or needlessly")
            elif status != want[rid]:
                self.add(
                    (*path, "status"),
                    "changes_mismatch",
                    f"is {status}; the plans give {want[rid]}",
                )
            elif status in ("kept", "new") and item.get("reason") is not None:
                self.add((*path, "reason"), "changes_mismatch", f"is given for a {status} request")
            seen.add(rid)
        for rid in sorted(set(want) - seen):
            self.add(("changes",), "changes_mismatch", f"do not list request {rid}")

    def kept(self, plan: tuple[PlannedAssignment, ...]) -> int:
        """Previous assignments the plan keeps: same request, volunteers and start."""
        now = {a.request_id: a for a in plan}
        return sum(
            p.request_id in now
            and set(now[p.request_id].volunteer_ids) == set(p.volunteer_ids)
            and now[p.request_id].start == p.start
            for p in self.problem.previous_plan or ()
        )

    def check_unassigned(self, value: Any) -> None:
        items = j.read_list(value, ("unassigned",))
        listed: set[str] = set()
        for k, item in enumerate(items):
            path: tuple[PathSegment, ...] = ("unassigned", k)
            if not isinstance(item, dict):
                raise ProblemError(path, f"must be an object, not {j.json_type(item)}")
            rid = j.read_string(j.require(item, "request_id", path), (*path, "request_id"))
            where = (*path, "request_id")
            if rid not in self.problem.request_index:
                self.add(where, "unassigned_mismatch", f"names unknown request {rid}")
            elif rid in listed:
                self.add(where, "unassigned_mismatch", f"lists request {rid} twice")
            elif rid in self.served:
                self.add(
                    where,
                    "unassigned_mismatch",
                    f"lists request {rid}, which assignments[{self.served[rid]}] serves",
                )
            listed.add(rid)
            self.check_referred(path, rid, item.get("reason"))
        for req in self.problem.requests:
            if req.id not in self.served and req.id not in listed:
                self.add(
                    ("unassigned",),
                    "unassigned_mismatch",
                    f"does not list request {req.id}, which is not served",
                )


# -- team roles --------------------------------------------------------------------


def _check_roles(problem: Problem, doc: Mapping[str, Any], add: Any) -> None:
    """Every member of a request with roles fills one role it fits; counts match."""
    items = doc.get("assignments")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or item.get("request_id") not in problem.request_index:
            continue
        req = problem.requests[problem.request_index[item["request_id"]]]
        members = item.get("volunteers")
        members = [m for m in members if isinstance(m, dict)] if isinstance(members, list) else []
        path: tuple[PathSegment, ...] = ("assignments", i)
        if not req.roles:
            for k, m in enumerate(members):
                if m.get("role") is not None:
                    add(
                        (*path, "volunteers", k, "role"),
                        "role_not_allowed",
                        f"request {req.id} has no roles",
                    )
            continue
        _check_members(problem, req, path, item, members, add)


def _check_members(
    problem: Problem,
    req: Request,
    path: tuple[PathSegment, ...],
    item: Mapping[str, Any],
    members: list[dict[str, Any]],
    add: Any,
) -> None:
    role_of = {m.get("id"): (k, m.get("role")) for k, m in enumerate(members)}
    filled = [0] * len(req.roles)
    ids = item.get("volunteer_ids")
    for n, vid in enumerate(ids if isinstance(ids, list) else []):
        k, role = role_of.get(vid, (None, None))
        where: tuple[PathSegment, ...] = (
            (*path, "volunteer_ids", n) if k is None else (*path, "volunteers", k, "role")
        )
        if isinstance(role, bool) or not isinstance(role, int):
            add(where, "role_missing", f"volunteer {vid} of request {req.id} has no role index")
            continue
        if not 0 <= role < len(req.roles):
            add(where, "role_unknown", f"request {req.id} has no role {role}")
            continue
        filled[role] += 1
        if vid not in problem.volunteer_index:
            continue  # unknown volunteers are reported with the assignment
        vol = problem.volunteers[problem.volunteer_index[vid]]
        spec = req.roles[role]
        if not spec.skills <= vol.skills:
            add(where, "role_skills", f"volunteer {vid} lacks a skill of role {role}")
        if spec.languages and not spec.languages & vol.languages:
            add(where, "role_languages", f"volunteer {vid} speaks no language of role {role}")
    for role, (spec, got) in enumerate(zip(req.roles, filled, strict=True)):
        if got != spec.count:
            add(
                (*path, "volunteers"),
                "role_count",
                f"role {role} of request {req.id} has {got} members; it needs {spec.count}",
            )


# -- repeating requests, expanded again ----------------------------------------------

_DAY_CODES = dict(
    zip(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "ma", "di", "wo", "do", "vr", "za", "zo"),
        ("MO", "TU", "WE", "TH", "FR", "SA", "SU") * 2,
        strict=True,
    )
)


def series_expansion_errors(
    problem: Problem, document: Mapping[str, Any]
) -> list[tuple[tuple[PathSegment, ...], str]]:
    """Where the problem's occurrences differ from the document's ``repeat`` fields.

    Expected occurrences are computed here on their own: the rule counted from
    the window's local start, each day's window at the same wall-clock times
    (zoneinfo's reading of a skipped or repeated wall time: before the gap,
    the first of two), ids ``<id>@<YYYY-MM-DD>``.
    """
    from zoneinfo import ZoneInfo

    out: list[tuple[tuple[PathSegment, ...], str]] = []
    options = document.get("options") or {}
    requests = document.get("requests") or []
    made = {r.id: r for r in problem.requests}
    expected: set[str] = set()
    for i, item in enumerate(requests):
        if not isinstance(item, dict) or item.get("repeat") is None:
            continue
        path: tuple[PathSegment, ...] = ("requests", i, "repeat")
        zone = ZoneInfo(options["timezone"])
        sid = item["id"]
        local = [_local(item["window"][k], zone) for k in ("start", "end")]
        for day, window in _occurrences(item["repeat"], local, zone):
            oid = f"{sid}@{day.isoformat()}"
            expected.add(oid)
            got = made.get(oid)
            if got is None or got.series != sid:
                out.append((path, f"should give occurrence {oid} of series {sid}"))
            elif got.window is None or (got.window.start, got.window.end) != window:
                out.append((path, f"gives occurrence {oid} at other times than its own day's"))
    repeating = {r.get("id") for r in requests if isinstance(r, dict) and r.get("repeat")}
    for req in problem.requests:
        if req.id not in expected and req.series is not None and req.series in repeating:
            out.append((("requests",), f"hold occurrence {req.id}, which no rule gives"))
    return out


def _local(text: str, zone: Any) -> datetime:
    """A document date-time as naive wall-clock time in ``zone``."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.replace(tzinfo=None)


def _occurrences(
    repeat: Mapping[str, Any], local: list[datetime], zone: Any
) -> list[tuple[Any, tuple[datetime, datetime]]]:
    """(day, (start, end)) of every occurrence, from the window's local start and end."""
    if "weekly" in repeat:
        codes = (_DAY_CODES[d.strip().lower()] for d in repeat["weekly"]["days"])
        days = ",".join(dict.fromkeys(codes))
        until = repeat["until"].strip().replace("-", "")
        rule = f"FREQ=WEEKLY;BYDAY={days};UNTIL={until}T235959"
    else:
        rule = repeat["rrule"].strip().removeprefix("RRULE:").strip()
    start, end = local
    out = []
    for moment in rrule.rrulestr(rule, dtstart=start):
        shift = moment - start
        # as UTC instants: an aware time in a fold or gap never compares equal across zones
        window = (
            (start + shift).replace(tzinfo=zone).astimezone(UTC),
            (end + shift).replace(tzinfo=zone).astimezone(UTC),
        )
        out.append((moment.date(), window))
    return out
