"""Signals: what a coordinator can act on, from the unserved requests.

``unmet`` aggregates unserved requests; ``recruit`` proposes volunteer
profiles whose figures come from solving again with the profile added;
``near_misses`` proposes one small change per request (as an RFC 6902 JSON
Patch on the problem) that lets it pass every funnel stage, checked with the
candidate funnel of the patched request: a wider window, one volunteer's
range, one volunteer's ``max_tasks``, or one volunteer's credential renewed;
``zorgpad_gaps`` lists themes and places with requests and no fitting service;
with groups, ``group_proposals`` restates the plan's group proposals by place
(a 5 km cell) instead of a cluster's exact centre.

Signals carry ids, counts, priorities, skills, languages and places (a
municipality or the centre of a 5 km cell) only: never a name, an address
or free text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from matchcore import geo
from matchcore.io.localtime import wall_time
from matchcore.problem import Problem, Request, TimeWindow, TravelMode, Volunteer
from matchcore.refer.directory import Directory, normal
from matchcore.refer.referral import fit
from matchcore.solution import GroupPlan, Reason, Solution, Status, Unassigned

#: Size of a grid cell when a request names no municipality.
CELL_KM = 5.0
_KM_PER_DEGREE = 111.195  # great circle, radius 6371.009 km
#: At most this many volunteer profiles are evaluated, and reported.
MAX_PROFILES_TRIED = 6
MAX_PROFILES = 3
#: A near miss is a small change: a window widened by at most two hours, a range
#: extended by at most 5 km.
MAX_WIDEN_MINUTES = 120
MAX_EXTEND_KM = 5.0
#: A renewed credential is valid at most this many days longer (whole days).
MAX_RENEW_DAYS = 366
#: Range patches are rounded up to this step (km).
RANGE_STEP_KM = 0.1
#: At most this many volunteers are tried per kind of near miss.
MAX_NEAR_TRIES = 25
#: A recruitment re-solve gets at least this many seconds, or is not started.
MIN_RESOLVE_SECONDS = 0.2
# Kept back from each re-solve for the bookkeeping around it.
_MARGIN_SECONDS = 0.05

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PARTS = ((6, "night"), (12, "morning"), (18, "afternoon"), (24, "evening"))
#: The kinds of near miss, one small change each.
NEAR_MISS_KINDS = ("widen_window", "extend_range", "raise_max_tasks", "renew_credential")
# Reasons a near miss may cure: one small change lets the request pass the funnel.
_NEAR_REASONS = {Reason.NO_VALID_CREDENTIAL, Reason.OUT_OF_RANGE, Reason.NOT_AVAILABLE}
# Reasons a new volunteer cannot cure: exclusions and referral to professionals.
_NOT_RECRUITABLE = {Reason.EXCLUDED, Reason.REFERRED}

SolveFn = Callable[[Problem, float], Solution]


@dataclass(frozen=True)
class Place:
    """A municipality, or a 5 km grid cell (by its id and centre)."""

    municipality: str | None = None
    cell: str | None = None
    lat: float | None = None
    lon: float | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.municipality is not None:
            return {"municipality": self.municipality}
        return {"cell": self.cell, "lat": self.lat, "lon": self.lon, "size_km": CELL_KM}

    def label(self) -> str:
        if self.municipality is not None:
            return self.municipality
        return f"cell {self.cell}"


@dataclass(frozen=True)
class UnmetGroup:
    """Unserved requests sharing reason, needs, place and time of week."""

    reason: Reason
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    place: Place
    weekday: str | None
    part_of_day: str | None
    requests: int
    priority: float
    request_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "skills": list(self.skills),
            "languages": list(self.languages),
            "place": self.place.to_dict(),
            "weekday": self.weekday,
            "part_of_day": self.part_of_day,
            "requests": self.requests,
            "priority": round(self.priority, 3),
            "request_ids": list(self.request_ids),
        }


@dataclass(frozen=True)
class Recruit:
    """A volunteer profile and what adding it was verified to serve."""

    volunteer: dict[str, Any]
    extra_requests: int
    extra_priority: float
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "volunteer": self.volunteer,
            "extra_requests": self.extra_requests,
            "extra_priority": round(self.extra_priority, 3),
            "summary": self.summary,
        }


@dataclass(frozen=True)
class NearMiss:
    """One small change that lets an unserved request pass every funnel stage."""

    request_id: str
    kind: str  # one of NEAR_MISS_KINDS
    summary: str
    patch: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "kind": self.kind,
            "summary": self.summary,
            "patch": [dict(op) for op in self.patch],
        }


@dataclass(frozen=True)
class ZorgpadGap:
    """A theme in a place with requests and no service that fits."""

    theme: str
    place: Place
    requests: int

    def to_dict(self) -> dict[str, Any]:
        return {"theme": self.theme, "place": self.place.to_dict(), "requests": self.requests}


@dataclass(frozen=True)
class ProposedGroup:
    """Unplaced demand on a topic with no group within reach, by place.

    The plan's :class:`~matchcore.solution.GroupProposal` with its cluster's
    centre replaced by the 5 km cell holding it: a cluster of one person
    would otherwise show where that person lives.
    """

    topic: str
    count: int
    place: Place
    radius_km: float
    facilitators: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "count": self.count,
            "place": self.place.to_dict(),
            "radius_km": self.radius_km,
            "facilitators": list(self.facilitators),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Signals:
    """The signal function of the network, for its coordinator.

    ``complete`` is ``False`` when the time budget cut the recruitment
    advice short; ``notes`` say what was left out and why.
    ``group_proposals`` is ``None`` when the problem has no groups.
    """

    unmet: tuple[UnmetGroup, ...] = ()
    recruit: tuple[Recruit, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    zorgpad_gaps: tuple[ZorgpadGap, ...] = ()
    complete: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)
    group_proposals: tuple[ProposedGroup, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "unmet": [g.to_dict() for g in self.unmet],
            "recruit": [r.to_dict() for r in self.recruit],
            "near_misses": [n.to_dict() for n in self.near_misses],
            "zorgpad_gaps": [g.to_dict() for g in self.zorgpad_gaps],
            "complete": self.complete,
            "notes": list(self.notes),
        }
        if self.group_proposals is not None:
            out["group_proposals"] = [p.to_dict() for p in self.group_proposals]
        return out


# -- places and times ----------------------------------------------------------


def cell_of(lat: float, lon: float) -> Place:
    """The 5 km grid cell of a point: rows of equal latitude, columns of ~5 km."""
    dlat = CELL_KM / _KM_PER_DEGREE
    row = math.floor(lat / dlat)
    mid = (row + 0.5) * dlat
    dlon = CELL_KM / (_KM_PER_DEGREE * max(math.cos(math.radians(mid)), 1e-6))
    col = math.floor(lon / dlon)
    return Place(cell=f"{row}:{col}", lat=round(mid, 4), lon=round((col + 0.5) * dlon, 4))


def place_of(request: Request) -> Place:
    if request.municipality is not None:
        return Place(municipality=request.municipality)
    return cell_of(request.location.lat, request.location.lon)


def time_of_week(request: Request) -> tuple[str | None, str | None]:
    """Weekday and part of day of the window's start, in its own UTC offset."""
    if request.window is None:
        return None, None
    start = request.window.start
    part = next(name for hour, name in _PARTS if start.hour < hour)
    return _WEEKDAYS[start.weekday()], part


# -- unmet -----------------------------------------------------------------------


def unmet_groups(problem: Problem, unassigned: Sequence[Unassigned]) -> tuple[UnmetGroup, ...]:
    """Unserved requests by reason x skills x languages x place x weekday x part of day."""
    groups: dict[tuple[Any, ...], list[Request]] = {}
    for u in unassigned:
        req = problem.requests[problem.request_index[u.request_id]]
        key = (
            u.reason,
            tuple(sorted(req.skills)),
            tuple(sorted(req.languages)),
            place_of(req),
            *time_of_week(req),
        )
        groups.setdefault(key, []).append(req)
    out = [
        UnmetGroup(
            reason=key[0],
            skills=key[1],
            languages=key[2],
            place=key[3],
            weekday=key[4],
            part_of_day=key[5],
            requests=len(reqs),
            priority=sum(r.priority for r in reqs),
            request_ids=tuple(r.id for r in reqs),
        )
        for key, reqs in groups.items()
    ]
    return tuple(sorted(out, key=lambda g: (-g.priority, -g.requests, g.reason.value)))


# -- zorgpad gaps ----------------------------------------------------------------


def zorgpad_gaps(problem: Problem, directory: Directory) -> tuple[ZorgpadGap, ...]:
    """Themes x places with requests for which no service of the directory fits."""
    counts: dict[tuple[str, Place], int] = {}
    max_km = problem.options.referral_max_km
    for req in problem.requests:
        for theme in sorted(req.themes):
            one = replace(req, themes=frozenset({theme}))
            if any(fit(s, one, max_km) is not None for s in directory.services):
                continue
            key = (normal(theme), place_of(req))
            counts[key] = counts.get(key, 0) + 1
    gaps = [ZorgpadGap(theme, place, n) for (theme, place), n in counts.items()]
    return tuple(sorted(gaps, key=lambda g: (-g.requests, g.theme, g.place.label())))


# -- group proposals -------------------------------------------------------------


def group_proposals(plan: GroupPlan) -> tuple[ProposedGroup, ...]:
    """The plan's group proposals, each placed by the 5 km cell of its cluster's centre."""
    return tuple(
        ProposedGroup(
            p.topic, p.count, cell_of(*p.place), p.radius_km, tuple(p.facilitators), p.detail
        )
        for p in plan.group_proposals
    )


# -- near misses -----------------------------------------------------------------


def passes_funnel(problem: Problem, request: Request) -> bool:
    """Whether ``request`` passes every stage of the candidate funnel in ``problem``.

    Only the request itself is placed among all volunteers: a request's
    funnel counts depend on it and on the volunteers alone.
    """
    from matchcore.tasks.solve import candidate_funnels

    # The horizon stays the whole problem's: an untimed request's credentials
    # count at its end, and the request alone would make a horizon of its own.
    options = replace(problem.options, horizon=problem.horizon)
    alone = Problem(problem.volunteers, (request,), (), options)
    f = candidate_funnels(alone)[0]
    need = request.volunteers_needed
    passes = min(f.skills, f.not_excluded, f.in_range, f.available) >= need
    if passes and request.roles:  # its roles must all fill, too (matchcore.tasks.roles)
        from matchcore.tasks.solve import funnel_blocks

        return funnel_blocks(alone)[0] is None
    return passes


def near_misses(
    problem: Problem, unassigned: Sequence[Unassigned], deadline: float = math.inf
) -> tuple[tuple[NearMiss, ...], bool]:
    """The smallest change of each kind that lets an unserved request pass the funnel.

    Returns the near misses and whether every request was looked at before
    ``deadline`` (a ``time.perf_counter()`` value).
    """
    out: list[NearMiss] = []
    for u in unassigned:
        if u.reason not in _NEAR_REASONS:
            continue
        if time.perf_counter() > deadline:
            return tuple(out), False
        around = _Around.of(problem, problem.request_index[u.request_id])
        if around.passes(around.req):
            continue  # pinned commitments keep it out, not the funnel: no change of ours helps
        kinds = (_widen_window, _extend_range, _raise_max_tasks, _renew_credential)
        for found in (kind(around) for kind in kinds):
            if found is not None:
                out.append(found)
    return tuple(out), True


@dataclass(frozen=True)
class _Around:
    """One request and the volunteers that matter to its funnel.

    Only volunteers with the skills, a shared language and no exclusion can
    count at the later funnel stages, so trials run among them alone: the
    request passes among them exactly when it passes among all.
    """

    problem: Problem
    r: int
    req: Request
    dist: np.ndarray[Any, np.dtype[np.float64]]
    ranges: np.ndarray[Any, np.dtype[np.float64]]
    qualified: np.ndarray[Any, np.dtype[np.bool_]]

    @classmethod
    def of(cls, problem: Problem, r: int) -> _Around:
        req = problem.requests[r]
        ranges = np.array([problem.max_distance_km(v) for v in problem.volunteers], dtype=float)
        return cls(problem, r, req, _distances(problem, req), ranges, _qualified(problem, req))

    @property
    def in_range(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return self.qualified & (self.dist <= self.ranges)

    def passes(self, request: Request, changed: Volunteer | None = None, at: int = -1) -> bool:
        """Whether ``request`` passes among the qualified volunteers in range (and ``changed``)."""
        vols = [self.problem.volunteers[int(v)] for v in np.flatnonzero(self.in_range) if v != at]
        if changed is not None:
            vols.append(changed)
        if len(vols) < request.volunteers_needed:
            return False
        # Excluded volunteers are not among them (and preference does not filter).
        alone = replace(request, preferred_volunteers=frozenset(), excluded_volunteers=frozenset())
        options = replace(self.problem.options, horizon=self.problem.horizon)
        return passes_funnel(Problem(tuple(vols), (), (), options), alone)


def _widen_window(a: _Around) -> NearMiss | None:
    """Move the window's end later, or its start earlier, by the fewest minutes."""
    req, window = a.req, a.req.window
    if window is None:
        return None
    best: tuple[int, str] | None = None
    for side in ("end", "start"):

        def widened(k: int, side: str = side) -> Request:
            shift = timedelta(minutes=k)
            w = (
                TimeWindow(window.start, window.end + shift)
                if side == "end"
                else TimeWindow(window.start - shift, window.end)
            )
            return replace(req, window=w)

        k = _smallest(lambda k: a.passes(widened(k)), MAX_WIDEN_MINUTES)
        if k is not None and (best is None or k < best[0]):
            best = (k, side)
    if best is None:
        return None
    k, side = best
    moved = (
        window.end + timedelta(minutes=k) if side == "end" else window.start - timedelta(minutes=k)
    )
    word = "later" if side == "end" else "earlier"
    return NearMiss(
        req.id,
        "widen_window",
        f"widen the window of request {req.id} by {k} minute{'' if k == 1 else 's'} "
        f"(its {side} {word})",
        (
            {"op": "test", "path": f"/requests/{a.r}/id", "value": req.id},
            {"op": "replace", "path": f"/requests/{a.r}/window/{side}", "value": moved.isoformat()},
        ),
    )


def _smallest(ok: Callable[[int], bool], upper: int, lower: int = 1) -> int | None:
    """The smallest ``k`` in ``lower..upper`` with ``ok(k)``; ``ok`` is monotone."""
    if upper < lower or not ok(upper):
        return None
    lo, hi = lower, upper
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _qualified(problem: Problem, req: Request) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Volunteers with the skills, a shared language and no exclusion either way."""
    return np.array(
        [
            req.skills <= v.skills
            and (not req.languages or bool(req.languages & v.languages))
            and v.id not in req.excluded_volunteers
            and req.client_id not in v.excluded_clients
            for v in problem.volunteers
        ],
        dtype=bool,
    )


def _distances(problem: Problem, req: Request) -> np.ndarray[Any, np.dtype[np.float64]]:
    lats = np.array([v.location.lat for v in problem.volunteers], dtype=np.float64)
    lons = np.array([v.location.lon for v in problem.volunteers], dtype=np.float64)
    return geo.great_circle_km(req.location.lat, req.location.lon, lats, lons)


def _extend_range(a: _Around) -> NearMiss | None:
    """One qualified volunteer's range, raised by the fewest 0.1 km steps."""
    dist, ranges = a.dist, a.ranges
    short = np.flatnonzero(a.qualified & (dist > ranges) & (dist <= ranges + MAX_EXTEND_KM))
    new = np.ceil(dist[short] / RANGE_STEP_KM - 1e-9) * RANGE_STEP_KM
    new = np.where(new < dist[short], new + RANGE_STEP_KM, new)  # rounding must not fall short
    order = np.lexsort((short, new - ranges[short]))
    for k in order[:MAX_NEAR_TRIES]:
        v = int(short[k])
        vol = a.problem.volunteers[v]
        value = round(float(new[k]), 1)
        if a.passes(a.req, replace(vol, max_distance_km=value), v):
            extra = value - float(ranges[v])
            return NearMiss(
                a.req.id,
                "extend_range",
                f"volunteer {vol.id} travelling {extra:.1f} km farther ({value:g} km in all) "
                f"could serve request {a.req.id}",
                (
                    {"op": "test", "path": f"/volunteers/{v}/id", "value": vol.id},
                    {"op": "add", "path": f"/volunteers/{v}/max_distance_km", "value": value},
                ),
            )
    return None


def _raise_max_tasks(a: _Around) -> NearMiss | None:
    """One qualified volunteer in range whose ``max_tasks`` of 0 keeps them out."""
    capped = np.array([v.max_tasks == 0 for v in a.problem.volunteers], dtype=bool)
    tries = np.flatnonzero(a.in_range & capped)
    for v in tries[np.argsort(a.dist[tries], kind="stable")][:MAX_NEAR_TRIES]:
        vol = a.problem.volunteers[int(v)]
        if a.passes(a.req, replace(vol, max_tasks=1), int(v)):
            return NearMiss(
                a.req.id,
                "raise_max_tasks",
                f"volunteer {vol.id} taking one task more (max_tasks 1) could serve "
                f"request {a.req.id}",
                (
                    {"op": "test", "path": f"/volunteers/{v}/id", "value": vol.id},
                    {"op": "replace", "path": f"/volunteers/{v}/max_tasks", "value": 1},
                ),
            )
    return None


def _renew_credential(a: _Around) -> NearMiss | None:
    """One volunteer's required credential, valid until the fewest whole days later.

    Tried for volunteers in range who hold every credential the request
    requires, whatever its dates (a VOG that lapsed on Wednesday before
    Thursday's homework help): each entry of a required name is renewed, as
    the reader reads a date, to the end of a later day in ``options.timezone``
    (else UTC). Ties go to the nearer volunteer.
    """
    names = a.req.credentials
    if not names:
        return None
    zone = a.problem.options.zone
    holds = np.array(
        [names <= {c.key for c in v.credentials} for v in a.problem.volunteers], dtype=bool
    )
    tries = np.flatnonzero(a.in_range & holds)
    best: tuple[int, int, int, date] | None = None  # days, volunteer, credential entry, last day
    for v in tries[np.argsort(a.dist[tries], kind="stable")][:MAX_NEAR_TRIES].tolist():
        vol = a.problem.volunteers[v]
        for c, cred in enumerate(vol.credentials):
            if cred.key not in names:
                continue
            last = _last_day(cred.valid_until, zone)
            first = 0 if _end_of_day(last, zone) > cred.valid_until else 1
            upper = MAX_RENEW_DAYS if best is None else best[0] - 1  # only fewer days win

            def passes_renewed(
                k: int, v: int = v, vol: Volunteer = vol, c: int = c, last: date = last
            ) -> bool:
                creds = list(vol.credentials)
                until = _end_of_day(last + timedelta(days=k), zone)
                creds[c] = replace(creds[c], valid_until=until)
                return a.passes(a.req, replace(vol, credentials=tuple(creds)), v)

            k = _smallest(passes_renewed, upper, first)
            if k is not None:
                best = (k, v, c, last)
    if best is None:
        return None
    k, v, c, last = best
    vol = a.problem.volunteers[v]
    cred = vol.credentials[c]
    day = last + timedelta(days=k)
    return NearMiss(
        a.req.id,
        "renew_credential",
        f"volunteer {vol.id} with their {cred.name} renewed until {day.isoformat()} (now valid "
        f"until {last.isoformat()}) could serve request {a.req.id}",
        (
            {"op": "test", "path": f"/volunteers/{v}/id", "value": vol.id},
            {
                "op": "replace",
                "path": f"/volunteers/{v}/credentials/{c}/valid_until",
                "value": day.isoformat(),
            },
        ),
    )


def _last_day(valid_until: datetime, zone: ZoneInfo | None) -> date:
    """The last day (in ``zone``, else UTC) on which a credential valid until then counts."""
    moment = valid_until - timedelta(microseconds=1)
    return moment.astimezone(zone if zone is not None else UTC).date()


def _end_of_day(day: date, zone: ZoneInfo | None) -> datetime:
    """The first moment after ``day``: how the reader reads a date as ``valid_until``."""
    midnight = datetime(day.year, day.month, day.day) + timedelta(days=1)
    if zone is None:
        return midnight.replace(tzinfo=UTC)
    return wall_time(midnight, zone, lenient=True)


# -- recruitment -----------------------------------------------------------------


@dataclass(frozen=True)
class _Need:
    """Unserved requests one new volunteer might take: same needs, same place."""

    skills: tuple[str, ...]
    languages: tuple[str, ...]
    place: Place
    times: tuple[tuple[str, str], ...]  # (weekday, part of day), in week order
    request_ids: tuple[str, ...]
    priority: float


@dataclass(frozen=True)
class _Profile:
    volunteer: Volunteer
    need: _Need


def recruit(
    problem: Problem,
    solution: Solution,
    groups: Iterable[UnmetGroup],
    resolve: SolveFn,
    deadline: float,
) -> tuple[tuple[Recruit, ...], bool]:
    """Profiles that serve the most unserved priority, each verified by solving again.

    ``resolve(problem, seconds)`` solves without advice. Returns the advice
    and whether every profile tried was evaluated in time.
    """
    profiles = _profiles(problem, groups)
    found: list[Recruit] = []
    complete = True
    base = solution.objective
    for profile in profiles:
        # Profiles go in order of unmet priority; each may use all the time left,
        # since a re-solve cut short gives no exact figure at all.
        # A re-solve takes about as long as the plan did: start none that cannot end.
        share = deadline - time.perf_counter() - _MARGIN_SECONDS
        if share < max(MIN_RESOLVE_SECONDS, solution.stats.wall_seconds):
            complete = False
            break
        more = replace(problem, volunteers=(*problem.volunteers, profile.volunteer))
        result = resolve(more, share)
        if result.status is not Status.OPTIMAL:
            complete = False  # figures would not be exact: no advice from this profile
            continue
        extra_p = result.objective.served_priority - base.served_priority
        extra_n = result.objective.served_requests - base.served_requests
        if extra_p <= 1e-9:
            continue
        found.append(
            Recruit(
                _volunteer_json(profile.volunteer),
                extra_n,
                extra_p,
                _summary(profile, extra_n, extra_p),
            )
        )
    found.sort(key=lambda x: (-x.extra_priority, -x.extra_requests, x.volunteer["id"]))
    return tuple(found[:MAX_PROFILES]), complete


def _needs(groups: Iterable[UnmetGroup]) -> list[_Need]:
    """Each recruitable group, and per needs and place all its times of week together."""
    single: list[_Need] = []
    merged: dict[tuple[Any, ...], list[UnmetGroup]] = {}
    for g in groups:
        if g.reason in _NOT_RECRUITABLE:
            continue
        times = ((g.weekday, g.part_of_day),) if g.weekday and g.part_of_day else ()
        single.append(_Need(g.skills, g.languages, g.place, times, g.request_ids, g.priority))
        merged.setdefault((g.skills, g.languages, g.place), []).append(g)
    wide = []
    for (skills, langs, place), gs in merged.items():
        if len(gs) < 2:
            continue
        slots = {(g.weekday, g.part_of_day) for g in gs if g.weekday and g.part_of_day}
        week = tuple(sorted(slots, key=lambda t: (_WEEKDAYS.index(t[0]), t[1])))
        ids = tuple(rid for g in gs for rid in g.request_ids)
        wide.append(_Need(skills, langs, place, week, ids, sum(g.priority for g in gs)))
    return sorted([*wide, *single], key=lambda n: (-n.priority, -len(n.request_ids)))


def _profiles(problem: Problem, groups: Iterable[UnmetGroup]) -> list[_Profile]:
    out: list[_Profile] = []
    seen: set[tuple[Any, ...]] = set()
    taken = set(problem.volunteer_index)
    for need in _needs(groups):
        vol = _profile_volunteer(problem, need, taken)
        key = (vol.skills, vol.languages, vol.location, vol.availability, vol.max_distance_km)
        if key in seen:
            continue
        seen.add(key)
        taken.add(vol.id)
        out.append(_Profile(vol, need))
        if len(out) == MAX_PROFILES_TRIED:
            break
    return out


def _profile_volunteer(problem: Problem, need: _Need, taken: set[str]) -> Volunteer:
    """A volunteer by car living in the 5 km cell of the requests, free around their windows."""
    reqs = [problem.requests[problem.request_index[rid]] for rid in need.request_ids]
    lat = float(np.mean([q.location.lat for q in reqs]))
    lon = float(np.mean([q.location.lon for q in reqs]))
    home = cell_of(lat, lon)
    assert home.lat is not None and home.lon is not None
    dist = geo.great_circle_km(
        home.lat, home.lon, [q.location.lat for q in reqs], [q.location.lon for q in reqs]
    )
    reach = float(max(math.ceil(float(dist.max())) + 1, 1))
    speed = problem.options.travel.speeds_kmh[TravelMode.CAR]
    travel = math.ceil(reach * problem.options.travel.detour_factor / speed * 60)
    rides = [q for q in reqs if q.destination is not None]
    if rides:  # a ride's block holds the client -> destination leg too
        ride_km = max(
            float(geo.great_circle_km(q.location.lat, q.location.lon, d.lat, d.lon))
            for q in rides
            if (d := q.destination) is not None
        )
        travel += math.ceil(ride_km * problem.options.travel.detour_factor / speed * 60)
    availability = None
    if all(q.window is not None for q in reqs):
        slack = timedelta(minutes=travel + 60)
        availability = tuple(
            TimeWindow(
                _floor_hour(q.window.start - slack), _floor_hour(q.window.end + slack + _HOUR)
            )
            for q in reqs
            if q.window is not None
        )
    n = len(taken) + 1
    while f"recruit-{n}" in taken:
        n += 1
    from matchcore.problem import Location

    return Volunteer(
        id=f"recruit-{n}",
        location=Location(home.lat, home.lon),
        skills=frozenset(need.skills),
        languages=frozenset(need.languages),
        travel_mode=TravelMode.CAR,
        max_distance_km=reach,
        availability=availability,
    )


_HOUR = timedelta(hours=1)


def _floor_hour(moment: Any) -> Any:
    return moment.replace(minute=0, second=0, microsecond=0)


def _week_phrase(times: Sequence[tuple[str, str]]) -> str:
    """E.g. ``Monday, Wednesday and Friday mornings and Tuesday afternoons``."""
    by_part: dict[str, list[str]] = {}
    for day, part in times:
        by_part.setdefault(part, []).append(day.capitalize())
    return " and ".join(f"{_and(days)} {part}s" for part, days in by_part.items())


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _volunteer_json(vol: Volunteer) -> dict[str, Any]:
    from matchcore.io.problem_json import problem_to_dict

    return dict(problem_to_dict(Problem((vol,), ()))["volunteers"][0])


def _summary(profile: _Profile, extra_n: int, extra_p: float) -> str:
    g = profile.need
    parts = ["one more volunteer with a car"]
    if g.skills:
        parts.append(f"able to do {', '.join(g.skills)}")
    if g.languages:
        parts.append(f"speaking {' or '.join(g.languages)}")
    where = g.place.municipality if g.place.municipality else f"cell {g.place.cell}"
    parts.append(f"living in {where}")
    if g.times:
        parts.append(f"free on {_week_phrase(g.times)}")
    noun = "request" if extra_n == 1 else "requests"
    return f"{', '.join(parts)} would serve {extra_n} more {noun} (priority {extra_p:g})"
