"""A brute-force optimum for tiny problems, written from the format v1 spec only.

Nothing here uses matchcore's candidate or solver code: only the data model.

The search, in two levels:

1. *Skeletons*: for each request, either "unserved" or one set of exactly
   ``volunteers_needed`` distinct volunteers that each pass the static rules
   (skills, languages, exclusions, range, limits that can hold the task at
   all, some start in the window that fits their availability; a ride's
   block holds its legs via the destination, see :func:`trip`). A pinned
   request has only its pin. The objective (served priority, continuity,
   round-trip km; with a previous plan, kept assignments right after
   priority: a request's previous team at its previous start is an option
   of its own, worth one kept) depends on the skeleton only. Skeletons are enumerated
   depth first, each request's options best first, and a branch is cut when
   even the best options for the requests left cannot beat the best feasible
   skeleton found so far (lexicographic order is compatible with addition),
   or when its partial skeleton already breaks a rule (every rule is
   monotone: dropping a request never breaks one). The result is exactly
   "sort all skeletons best first, take the first feasible one", without
   visiting the hopeless ones.
2. *Timing*: a skeleton is feasible when the volunteer limits hold and its
   timed requests can get whole-minute starts with no two blocks of one
   volunteer overlapping. Per group of requests linked by shared volunteers
   (memoised), a depth-first search over the order in which the requests
   start gives each its earliest start after the blocks of the requests
   before it. This is exact: in any feasible timing, taking the requests in
   the order of their starts and moving each to its earliest possible start
   keeps every block apart (one volunteer's blocks are in start order, and a
   request's earliest start only grows with the starts before it).

Limits per day: a timed option is split into one option per local day
(``options.timezone``, else UTC) of its starts, so every option's day is
fixed and the limits per day are a rule of the skeleton (tasks and minutes
per volunteer and day), like the plan-wide limits; the timing search then
moves starts only within their option's day.

Fairness (``options.fairness == "balance"``): a level between continuity
and travel, not additive, so the skeletons are enumerated without cutting
on travel, and of those best on (priority, kept, continuity) the one with
the lexicographically smallest sorted load vector (tasks per volunteer,
largest first), then the least travel, wins.
Series continuity (repeating requests) is not a sum over requests: per
series, the occurrences served by its most frequent volunteer. An option of
an occurrence counts 1 for it on the continuity level, an upper bound (a
series never counts more than its served occurrences), so the cuts above stay
exact; a complete skeleton is then valued with the true figure
(:meth:`_Oracle.true_key`) and the best true value is kept.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from geopy.distance import great_circle

from matchcore.problem import (
    Location,
    Problem,
    Request,
    Volunteer,
    ceil_minute,
    floor_minute,
    normal_term,
)
from matchcore.solution import Objective

ALWAYS: frozenset[int] = frozenset()  # start set of an untimed pair (no start at all)
# A served timed request in a skeleton: (request index, volunteer indices, common starts).
_Timed = tuple[int, tuple[int, ...], frozenset[int]]


# -- the static rules, one pair at a time -------------------------------------------


def distance_km(vol: Volunteer, req: Request) -> float:
    """Great-circle distance, radius 6371.009 km (geopy's great_circle)."""
    a, b = vol.location, req.location
    return float(great_circle((a.lat, a.lon), (b.lat, b.lon)).km)


def travel_minutes(problem: Problem, vol: Volunteer, km: float) -> int:
    """One-way minutes: ceil(km * detour / speed * 60), float noise forgiven."""
    travel = problem.options.travel
    exact: float = km * travel.detour_factor / travel.speeds_kmh[vol.travel_mode] * 60.0
    return math.ceil(exact - 1e-9)


def point_km(a: Location, b: Location) -> float:
    """Great-circle km from ``a`` to ``b`` (geopy)."""
    return float(great_circle((a.lat, a.lon), (b.lat, b.lon)).km)


def trip(problem: Problem, vol: Volunteer, req: Request) -> tuple[int, int, float]:
    """(minutes before the task, minutes after it, km of all legs).

    A plain request: home -> client, then client -> home. A ride: home ->
    client -> destination, the task there, destination -> client -> home;
    every leg measured and rounded up on its own.
    """
    places = [vol.location, req.location]
    if req.destination is not None:
        places.append(req.destination)
    route = places + places[-2::-1]  # out and back the same way
    kms = [point_km(a, b) for a, b in itertools.pairwise(route)]
    minutes = [travel_minutes(problem, vol, km) for km in kms]
    half = len(kms) // 2
    return sum(minutes[:half]), sum(minutes[half:]), sum(kms)


def skills_ok(vol: Volunteer, req: Request) -> bool:
    """Stage 1: every request skill, and a shared language when it lists any;
    with roles, also those of one role at least."""
    plain = req.skills <= vol.skills and (not req.languages or bool(req.languages & vol.languages))
    return plain and (not req.roles or bool(role_fits(vol, req)))


def role_fits(vol: Volunteer, req: Request) -> list[int]:
    """The roles of ``req`` whose skills ``vol`` has and one of whose languages
    (when listed) ``vol`` speaks (the request's own skills not included)."""
    return [
        k
        for k, role in enumerate(req.roles)
        if role.skills <= vol.skills
        and (not role.languages or bool(role.languages & vol.languages))
    ]


def roles_fillable(vols: Sequence[Volunteer], req: Request) -> bool:
    """Brute force: some way to give each member one role it fits, each role its count."""
    if not req.roles:
        return True
    counts = [role.count for role in req.roles]
    if len(vols) != sum(counts):
        return False
    choices = [role_fits(v, req) for v in vols]
    return any(
        all(pick.count(k) == c for k, c in enumerate(counts))
        for pick in itertools.product(*choices)
    )


def credential_spans(vol: Volunteer, key: str) -> list[tuple[int, int]]:
    """Closed minute intervals where a credential of comparison key ``key`` is valid
    (renewals that touch or overlap joined)."""
    never = -(2**40)
    spans = sorted(
        (never if c.valid_from is None else ceil_minute(c.valid_from), floor_minute(c.valid_until))
        for c in vol.credentials
        if normal_term(c.name) == key
    )
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        elif a <= b:
            out.append((a, b))
    return out


def credentials_cover(vol: Volunteer, req: Request, first: int, last: int) -> bool:
    """Every required credential is valid from minute ``first`` to ``last``."""
    return all(
        any(a <= first and last <= b for a, b in credential_spans(vol, key))
        for key in req.credentials
    )


def credentials_ok(problem: Problem, vol: Volunteer, req: Request) -> bool:
    """The credential stage (after skills): a timed request's task itself (travel
    left to the availability stage) fits their validity at some start in the
    window; an untimed request's credentials are valid at the horizon's end."""
    if not req.credentials:
        return True
    if req.window is None:
        horizon = problem.horizon
        if horizon is None:  # valid together at one minute: the latest start of some
            # choice of one interval per credential, so one of the interval starts
            starts = [a for key in req.credentials for a, _ in credential_spans(vol, key)]
            return any(credentials_cover(vol, req, m, m) for m in starts)
        end = floor_minute(horizon.end)
        return credentials_cover(vol, req, end, end)
    return any(
        credentials_cover(vol, req, s, s + req.duration_minutes)
        for s in range(req.earliest_start_minute, req.latest_start_minute + 1)
    )


def not_excluded(vol: Volunteer, req: Request) -> bool:
    """Stage 2: neither side excludes the other."""
    return vol.id not in req.excluded_volunteers and req.client_id not in vol.excluded_clients


def in_range(problem: Problem, vol: Volunteer, req: Request) -> bool:
    """Stage 3: within the volunteer's own (or the default) range."""
    return bool(distance_km(vol, req) <= problem.max_distance_km(vol))


def available_starts(problem: Problem, vol: Volunteer, req: Request) -> frozenset[int] | None:
    """Stage 4: the start minutes at which the volunteer can do the request.

    ``None`` when they cannot do it at all (never available, limits too small
    for this one task, or no start fits); :data:`ALWAYS` for an untimed
    request they can do.
    """
    t, back, _ = trip(problem, vol, req)
    if vol.availability == ():
        return None
    if vol.max_tasks is not None and vol.max_tasks < 1:
        return None
    if vol.max_minutes is not None and vol.max_minutes < req.duration_minutes + t + back:
        return None
    if req.window is None:
        return ALWAYS
    if vol.max_tasks_per_day is not None and vol.max_tasks_per_day < 1:
        return None  # a timed task counts on the day of its start
    if (
        vol.max_minutes_per_day is not None
        and vol.max_minutes_per_day < req.duration_minutes + t + back
    ):
        return None
    lo, hi = req.earliest_start_minute, req.latest_start_minute
    if vol.availability is None:
        starts = set(range(lo, hi + 1))
    else:
        starts = set()
        for w in vol.availability:
            # (s - t) * 60 >= w.start and (s + dur + t) * 60 <= w.end, s whole.
            a = max(lo, ceil_minute(w.start) + t)
            b = min(hi, floor_minute(w.end) - req.duration_minutes - back)
            starts.update(range(a, b + 1))
    if req.credentials:  # the whole block, travel included, inside the validity
        starts = {
            s for s in starts if credentials_cover(vol, req, s - t, s + req.duration_minutes + back)
        }
    return frozenset(starts) or None


def pair_starts(problem: Problem, vol: Volunteer, req: Request) -> frozenset[int] | None:
    """All five stages: the pair's start minutes, or ``None`` if it is no candidate."""
    if not (
        skills_ok(vol, req)
        and credentials_ok(problem, vol, req)
        and not_excluded(vol, req)
        and in_range(problem, vol, req)
    ):
        return None
    return available_starts(problem, vol, req)


# -- the result ---------------------------------------------------------------------


@dataclass(frozen=True)
class OracleAssignment:
    request_id: str
    volunteer_ids: tuple[str, ...]
    start_minute: int | None  # minutes since the Unix epoch, UTC


@dataclass(frozen=True)
class OracleResult:
    """The optimum objective and one plan that reaches it."""

    objective: Objective
    assignments: tuple[OracleAssignment, ...]
    unassigned: tuple[str, ...]
    loads: tuple[int, ...] = ()  # tasks per volunteer, largest first

    @property
    def key(self) -> tuple[float, int, int, float]:
        o = self.objective
        return (o.served_priority, o.kept, o.continuity, o.travel_km)

    def to_document(self) -> dict[str, Any]:
        """The plan as a solution document (enough of one for ``check``)."""
        items = []
        for a in self.assignments:
            item: dict[str, Any] = {
                "request_id": a.request_id,
                "volunteer_ids": list(a.volunteer_ids),
            }
            if a.start_minute is not None:
                item["start"] = datetime.fromtimestamp(a.start_minute * 60, tz=UTC).isoformat()
            items.append(item)
        o = self.objective
        return {
            "assignments": items,
            "unassigned": [{"request_id": rid} for rid in self.unassigned],
            "objective": {
                "served_requests": o.served_requests,
                "served_priority": o.served_priority,
                "continuity": o.continuity,
                "travel_km": o.travel_km,
            },
        }


# -- the search ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    """One way to treat a request: unserved (no volunteers) or served by a team."""

    key: tuple[float, int, int, float]  # (priority, kept, continuity, -travel km): bigger is better
    vols: tuple[int, ...]
    starts: frozenset[int]  # common start minutes; ALWAYS when untimed or unserved
    travel_km: float


@dataclass(frozen=True)
class _Pair:
    km: float  # all legs, there and back
    travel: int  # minutes before the task
    back: int  # minutes after it
    starts: frozenset[int]


def solve_oracle(problem: Problem) -> OracleResult | None:
    """The optimum of a tiny problem by enumeration, or ``None`` if its pins cannot hold.

    Meant for at most a handful of requests and volunteers (it is exponential).
    """
    return _Oracle(problem).run()


class _Oracle:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.pairs: dict[tuple[int, int], _Pair] = {}
        for r, req in enumerate(problem.requests):
            for v, vol in enumerate(problem.volunteers):
                starts = pair_starts(problem, vol, req)
                if starts is not None:
                    before, after, km = trip(problem, vol, req)
                    self.pairs[r, v] = _Pair(km, before, after, starts)
        self.pins = {problem.request_index[p.request_id]: p for p in problem.assignments}
        self.previous = {p.request_id: p for p in problem.previous_plan or ()}
        self.memo: dict[frozenset[_Timed], dict[int, int] | None] = {}
        self.daily = any(
            v.max_tasks_per_day is not None or v.max_minutes_per_day is not None
            for v in problem.volunteers
        )
        self.fair = problem.options.fairness == "balance"

    # options ----------------------------------------------------------------

    def options(self, r: int) -> list[_Option] | None:
        found = self.whole_options(r)
        if found is None or not self.daily or self.problem.requests[r].window is None:
            return found
        out = [piece for opt in found for piece in self.by_day(opt)]
        out.sort(key=lambda o: o.key, reverse=True)
        return out

    def by_day(self, opt: _Option) -> list[_Option]:
        """A timed option as one option per local day of its starts."""
        if not opt.vols:
            return [opt]
        days: dict[date, set[int]] = {}
        for s in opt.starts:
            days.setdefault(self.day(s), set()).add(s)
        return [_Option(opt.key, opt.vols, frozenset(v), opt.travel_km) for v in days.values()]

    def day(self, minute: int) -> date:
        """The local day of a start minute."""
        moment = datetime.fromtimestamp(minute * 60, tz=UTC)
        return moment.astimezone(self.problem.options.zone or UTC).date()

    def whole_options(self, r: int) -> list[_Option] | None:
        problem, req = self.problem, self.problem.requests[r]
        pin = self.pins.get(r)
        if pin is not None:
            vols = tuple(problem.volunteer_index[vid] for vid in pin.volunteer_ids)
            opt = self.team(r, vols)
            if opt is None:
                return None
            if pin.start is not None and req.window is not None:
                minute = floor_minute(pin.start)
                if minute not in opt.starts:
                    return None
                opt = _Option(opt.key, opt.vols, frozenset({minute}), opt.travel_km)
            kept = self.kept_option(r)
            if kept is not None and kept.vols == tuple(sorted(vols)) and kept.starts <= opt.starts:
                return [kept, opt]  # a pin leaving the start open may keep the previous one
            return [opt]
        out = [_Option((0.0, 0, 0, 0.0), (), ALWAYS, 0.0)]
        kept = self.kept_option(r)
        if kept is not None:
            out.append(kept)
        eligible = [v for v in range(len(problem.volunteers)) if (r, v) in self.pairs]
        for vols in itertools.combinations(eligible, req.volunteers_needed):
            opt = self.team(r, vols)
            if opt is not None:
                out.append(opt)
        out.sort(key=lambda o: o.key, reverse=True)
        return out

    def team(self, r: int, vols: tuple[int, ...]) -> _Option | None:
        req = self.problem.requests[r]
        if any((r, v) not in self.pairs for v in vols):
            return None
        starts: frozenset[int] = ALWAYS
        if req.window is not None:
            sets = [self.pairs[r, v].starts for v in vols]
            starts = frozenset.intersection(*sets)
            if not starts:
                return None
        if not roles_fillable([self.problem.volunteers[v] for v in vols], req):
            return None
        km = sum(self.pairs[r, v].km for v in vols)  # every leg of every member
        pref = sum(self.problem.volunteers[v].id in req.preferred_volunteers for v in vols)
        pref += req.series is not None  # optimistic: see true_key
        return _Option((req.priority, 0, pref, -km), vols, starts, km)

    def kept_option(self, r: int) -> _Option | None:
        """The previous assignment of request ``r`` kept: its team at its start
        (worth one more on the kept level), or ``None`` if it cannot be."""
        req = self.problem.requests[r]
        prev = self.previous.get(req.id)
        if prev is None or any(
            vid not in self.problem.volunteer_index for vid in prev.volunteer_ids
        ):
            return None
        if len(prev.volunteer_ids) != req.volunteers_needed:
            return None
        vols = tuple(sorted(self.problem.volunteer_index[vid] for vid in prev.volunteer_ids))
        opt = self.team(r, vols)
        if opt is None or (req.window is None) != (prev.start is None):
            return None
        starts = opt.starts
        if prev.start is not None:
            minute = floor_minute(prev.start)
            if minute not in starts:
                return None
            starts = frozenset({minute})
        priority, _, pref, travel = opt.key
        return _Option((priority, 1, pref, travel), vols, starts, opt.travel_km)

    # skeletons, best first, by branch and bound ------------------------------

    def run(self) -> OracleResult | None:
        n = len(self.problem.requests)
        opts: list[list[_Option]] = []
        for r in range(n):
            o = self.options(r)
            if o is None:
                return None
            opts.append(o)
        # Pinned requests first (their single option is forced), then by priority.
        order = sorted(
            range(n), key=lambda r: (r not in self.pins, -self.problem.requests[r].priority, r)
        )
        # best[i]: the best total the requests order[i:] could add (their first options).
        best_rest = [_ZERO] * (n + 1)
        for i in range(n - 1, -1, -1):
            best_rest[i] = _add(best_rest[i + 1], opts[order[i]][0].key)

        chosen: list[_Option | None] = [None] * n
        incumbent: list[_Option] | None = None
        incumbent_key = _ZERO

        incumbent_full: tuple[Any, ...] = ()

        def dfs(i: int, total: tuple[float, int, int, float]) -> None:
            nonlocal incumbent, incumbent_key, incumbent_full
            if incumbent is not None:
                reach = _add(total, best_rest[i])
                # With fairness, travel is not the level after continuity: no cut on it.
                if not (reach[:3] >= incumbent_key[:3] if self.fair else reach > incumbent_key):
                    return
            if i == n:
                key = self.true_key(chosen, total)
                full = (*key[:3], self.fair_key(chosen), key[3])
                if incumbent is None or full > incumbent_full:
                    incumbent = [o for o in chosen if o is not None]
                    incumbent_key, incumbent_full = key, full
                return
            r = order[i]
            for opt in opts[r]:
                chosen[r] = opt
                if not opt.vols or self.feasible(chosen) is not None:
                    dfs(i + 1, _add(total, opt.key))
                chosen[r] = None

        dfs(0, _ZERO)
        if incumbent is None:
            return None  # the pins do not hold together
        starts = self.feasible(incumbent)
        assert starts is not None
        return self.result(incumbent, starts)

    def loads(self, skeleton: Sequence[_Option | None]) -> list[int]:
        """Tasks per volunteer, largest first."""
        tasks = [0] * len(self.problem.volunteers)
        for opt in skeleton:
            for v in opt.vols if opt is not None else ():
                tasks[v] += 1
        return sorted(tasks, reverse=True)

    def fair_key(self, skeleton: Sequence[_Option | None]) -> tuple[int, ...]:
        """The fairness level, bigger is better: the sorted loads, negated (empty
        without fairness)."""
        return tuple(-n for n in self.loads(skeleton)) if self.fair else ()

    def true_key(
        self, skeleton: Sequence[_Option | None], total: tuple[float, int, int, float]
    ) -> tuple[float, int, int, float]:
        """``total`` with the true series continuity in place of one per served occurrence."""
        optimistic, series = self.series_terms(skeleton)
        return (total[0], total[1], total[2] - optimistic + series, total[3])

    def series_terms(self, skeleton: Sequence[_Option | None]) -> tuple[int, int]:
        """(served occurrences, sum over series of max over volunteers of occurrences served)."""
        counts: dict[str, dict[int, int]] = {}
        served = 0
        for r, opt in enumerate(skeleton):
            series = self.problem.requests[r].series
            if opt is None or not opt.vols or series is None:
                continue
            served += 1
            per = counts.setdefault(series, {})
            for v in opt.vols:
                per[v] = per.get(v, 0) + 1
        return served, sum(max(c.values()) for c in counts.values())

    def feasible(self, skeleton: Sequence[_Option | None]) -> dict[int, int] | None:
        """Start minutes of the timed served requests, or ``None`` if none work."""
        problem = self.problem
        tasks = [0] * len(problem.volunteers)
        minutes = [0] * len(problem.volunteers)
        timed: list[_Timed] = []
        for r, opt in enumerate(skeleton):
            if opt is None or not opt.vols:
                continue
            req = problem.requests[r]
            for v in opt.vols:
                tasks[v] += 1
                minutes[v] += req.duration_minutes + self.pairs[r, v].travel + self.pairs[r, v].back
            if req.window is not None:
                timed.append((r, opt.vols, opt.starts))
        for v, vol in enumerate(problem.volunteers):
            if vol.max_tasks is not None and tasks[v] > vol.max_tasks:
                return None
            if vol.max_minutes is not None and minutes[v] > vol.max_minutes:
                return None
        if self.daily and not self.days_hold(skeleton):
            return None
        out: dict[int, int] = {}
        for group in _linked_groups(timed):
            key = frozenset(group)
            if key not in self.memo:
                self.memo[key] = self.schedule(group)
            found = self.memo[key]
            if found is None:
                return None
            out.update(found)
        return out

    def days_hold(self, skeleton: Sequence[_Option | None]) -> bool:
        """Tasks and minutes per volunteer and local day within the limits per day
        (each timed option lies in one day)."""
        problem = self.problem
        tasks: dict[tuple[int, date], int] = {}
        minutes: dict[tuple[int, date], int] = {}
        for r, opt in enumerate(skeleton):
            if opt is None or not opt.vols or problem.requests[r].window is None:
                continue
            day = self.day(min(opt.starts))
            for v in opt.vols:
                tasks[v, day] = tasks.get((v, day), 0) + 1
                pair = self.pairs[r, v]
                load = problem.requests[r].duration_minutes + pair.travel + pair.back
                minutes[v, day] = minutes.get((v, day), 0) + load
        for (v, _), n in tasks.items():
            most = problem.volunteers[v].max_tasks_per_day
            if most is not None and n > most:
                return False
        for (v, _), m in minutes.items():
            most = problem.volunteers[v].max_minutes_per_day
            if most is not None and m > most:
                return False
        return True

    def schedule(self, group: list[_Timed]) -> dict[int, int] | None:
        """Starts for requests that share volunteers: DFS over the order they start in.

        Two requests placed one after the other that share no volunteer give
        the same state in either order, so only the order by index is tried.
        """
        m = len(group)
        local = {v: i for i, v in enumerate(sorted({v for _, vs, _ in group for v in vs}))}
        team = [tuple(local[v] for v in vs) for _, vs, _ in group]
        travel = [tuple(self.pairs[r, v].travel for v in vs) for r, vs, _ in group]
        back = [tuple(self.pairs[r, v].back for v in vs) for r, vs, _ in group]
        dur = [self.problem.requests[r].duration_minutes for r, _, _ in group]
        domain = [sorted(starts) for _, _, starts in group]
        shares = [[bool(set(team[i]) & set(team[j])) for j in range(m)] for i in range(m)]
        start = [0] * m
        dead: set[tuple[int, tuple[int, ...], int]] = set()
        never = -(10**12)  # "not out yet": a volunteer with no block placed

        def dfs(left: int, home_at: tuple[int, ...], last: int) -> bool:
            """``home_at``: per volunteer, the minute they are back from their last block."""
            if not left:
                return True
            state = (left, home_at, last)
            if state in dead:
                return False
            for i in range(m):
                if not left >> i & 1 or (last >= 0 and i < last and not shares[i][last]):
                    continue
                # Leave no earlier than back home from the block before, plus travel.
                ready = max(home_at[v] + t for v, t in zip(team[i], travel[i], strict=True))
                k = bisect.bisect_left(domain[i], ready)
                if k == len(domain[i]):
                    continue
                start[i] = domain[i][k]
                after = list(home_at)
                for v, t in zip(team[i], back[i], strict=True):
                    after[v] = start[i] + dur[i] + t
                if dfs(left & ~(1 << i), tuple(after), i):
                    return True
            dead.add(state)
            return False

        if not dfs((1 << m) - 1, (never,) * len(local), -1):
            return None
        return {r: start[i] for i, (r, _, _) in enumerate(group)}

    def result(self, skeleton: Sequence[_Option], starts: dict[int, int]) -> OracleResult:
        problem = self.problem
        served: list[OracleAssignment] = []
        unassigned: list[str] = []
        priority, kept, continuity, travel = 0.0, 0, 0, 0.0
        for r, opt in enumerate(skeleton):
            req = problem.requests[r]
            if not opt.vols:
                unassigned.append(req.id)
                continue
            ids = tuple(problem.volunteers[v].id for v in opt.vols)
            served.append(OracleAssignment(req.id, ids, starts.get(r)))
            priority += req.priority
            kept += opt.key[1]
            continuity += opt.key[2]
            travel += opt.travel_km
        loads = self.loads(skeleton)
        optimistic, series = self.series_terms(skeleton)
        continuity += series - optimistic
        tasks = [0] * len(problem.volunteers)
        for opt in skeleton:
            for v in opt.vols:
                tasks[v] += 1
        able = [
            n
            for vol, n in zip(problem.volunteers, tasks, strict=True)
            if vol.max_tasks != 0 and (vol.availability is None or vol.availability)
        ]
        objective = Objective(
            len(served),
            priority,
            continuity,
            travel,
            kept,
            max_tasks_per_volunteer=max(tasks, default=0),
            task_spread=max(able) - min(able) if able else 0,
        )
        return OracleResult(objective, tuple(served), tuple(unassigned), tuple(loads))


_ZERO: tuple[float, int, int, float] = (0.0, 0, 0, 0.0)


def _add(
    a: tuple[float, int, int, float], b: tuple[float, int, int, float]
) -> tuple[float, int, int, float]:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def _linked_groups(
    timed: list[_Timed],
) -> list[list[_Timed]]:
    """Split timed requests into groups that share volunteers (transitively)."""
    groups: list[tuple[set[int], list[_Timed]]] = []
    for item in timed:
        vols = set(item[1])
        merged_vols, merged_items = set(vols), [item]
        rest = []
        for gv, gi in groups:
            if gv & vols:
                merged_vols |= gv
                merged_items.extend(gi)
            else:
                rest.append((gv, gi))
        groups = [*rest, (merged_vols, merged_items)]
    return [items for _, items in groups]


# -- groups (issue 10) -------------------------------------------------------------


def group_oracle(problem: Problem) -> tuple[float, int] | None:
    """The best (priority, continuity) of any plan of a tiny problem with groups.

    Every combination is enumerated: per request unserved or one team (at the
    earliest minute of its window, so only requests whose window fits exactly
    one start are allowed), per group closed or one set of facilitators, per
    participant no group or one of the open groups. Feasibility is decided by
    :func:`matchcore.check.check`, the independent checker, and nothing else;
    priority counts served requests and placed participants' group priority,
    continuity preferred pairs and participants on their first topic.
    ``None`` when the enumeration would be too large.
    """
    from matchcore.check import check

    vols = [v.id for v in problem.volunteers]
    teams: list[list[tuple[str, ...] | None]] = []
    for req in problem.requests:
        if req.window is not None and req.latest_start_minute != req.earliest_start_minute:
            raise ValueError("the group oracle needs requests with one possible start")
        teams.append([None, *itertools.combinations(vols, req.volunteers_needed)])
    leads: list[list[tuple[str, ...] | None]] = [
        [None, *itertools.combinations(vols, g.facilitators_needed)] for g in problem.groups
    ]
    size = math.prod(len(t) for t in teams) * math.prod(len(x) for x in leads)
    if size * (len(problem.groups) + 1) ** len(problem.participants) > 400_000:
        return None
    best: tuple[float, int] | None = None
    for task_choice in itertools.product(*teams):
        assignments = []
        prio, cont = 0.0, 0
        for req, team in zip(problem.requests, task_choice, strict=True):
            if team is None:
                continue
            item: dict[str, Any] = {"request_id": req.id, "volunteer_ids": list(team)}
            if req.window is not None:
                item["start"] = req.window.start.isoformat()
            assignments.append(item)
            prio += req.priority
            cont += sum(v in req.preferred_volunteers for v in team)
        for lead_choice in itertools.product(*leads):
            open_groups = [g for g, lead in enumerate(lead_choice) if lead is not None]
            options: list[list[int | None]] = [[None, *open_groups] for _ in problem.participants]
            for place in itertools.product(*options):
                members: dict[int, list[str]] = {g: [] for g in open_groups}
                p_prio, p_cont = 0.0, 0
                for person, g in zip(problem.participants, place, strict=True):
                    if g is not None:
                        members[g].append(person.id)
                        p_prio += problem.groups[g].priority
                        p_cont += problem.groups[g].topic == person.topics[0]
                key = (round(prio + p_prio, 6), cont + p_cont)
                if best is not None and key <= best:
                    continue
                doc = {
                    "assignments": assignments,
                    "groups": [
                        {
                            "group_id": problem.groups[g].id,
                            "participants": members[g],
                            "facilitators": list(lead_choice[g] or ()),
                        }
                        for g in open_groups
                    ],
                }
                if check(problem, doc).ok:
                    best = key
    return best
