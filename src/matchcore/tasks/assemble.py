"""From the engines' answers to an explained plan, in time linear in its size.

:func:`assemble` maps each part's result back to the whole problem and hands
it to :func:`assemble_pairs`, the public seam for anyone who has a plan as
chosen candidate pairs (the benchmarks' peers, tests): it writes the
assignments, gives every unserved request its reason and detail
(:mod:`matchcore.explain`), and computes the objective.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from matchcore.engines.objective import series_continuity
from matchcore.explain import (
    assignment_note,
    funnel_of,
    pins_detail,
    pins_unchecked_detail,
    reason_detail,
    reason_for,
    role_reason,
)
from matchcore.params import Deadline
from matchcore.problem import Problem, minute_to_datetime
from matchcore.solution import (
    AssignedVolunteer,
    Assignment,
    Leg,
    Objective,
    Reason,
    Solution,
    Status,
    Unassigned,
    load_figures,
)
from matchcore.tasks.arrays import NO_START, TaskArrays
from matchcore.tasks.candidates import Candidates
from matchcore.tasks.parts import Part, PartResult
from matchcore.tasks.pins import PinCheck
from matchcore.tasks.roles import team_roles

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]
F64 = NDArray[np.float64]


def assemble(
    problem: Problem,
    cand: Candidates,
    arrays: TaskArrays,
    parts: Sequence[Part],
    results: Sequence[PartResult],
    pins: PinCheck | None = None,
) -> Solution:
    """The plan of all parts' results, explained, without stats.

    ``results[k]`` belongs to ``parts[k]``; requests in no part are unserved.
    """
    chosen = np.zeros(cand.n_pairs, dtype=bool)
    start = np.full(arrays.n_r, NO_START, dtype=np.int64)
    optimal = True
    bound = 0
    for part, res in zip(parts, results, strict=True):
        chosen[part.pairs[res.chosen]] = True
        start[part.requests] = res.start
        optimal &= res.optimal
        bound += res.bound
    return assemble_pairs(problem, cand, arrays, chosen, start, optimal, bound, pins)


def assemble_pairs(
    problem: Problem,
    cand: Candidates,
    arrays: TaskArrays,
    chosen: BOOL,
    start: I64,
    optimal: bool,
    bound: int,
    pins: PinCheck | None = None,
) -> Solution:
    """The explained plan of the chosen candidate pairs, without stats.

    Parameters
    ----------
    problem, cand, arrays
        The problem, its candidate graph and arrays.
    chosen
        Per candidate pair: used by the plan (a feasible plan).
    start
        Per request: its start minute, or ``NO_START`` (unserved or untimed).
    optimal
        Whether the plan is proven lexicographically optimal.
    bound
        A proven upper bound on the served priority, scaled by ``arrays.scale``.
    pins
        Asked whether pins keep a ``capacity`` request out; by default a
        check that has no time (so only problems without pins settle it).
    """
    n_r = arrays.n_r
    if pins is None:
        pins = PinCheck(cand, arrays, Deadline.after(0.0))
    served = np.zeros(n_r, dtype=bool)
    served[cand.req[chosen]] = True
    used = np.flatnonzero(chosen)  # sorted by request (pairs are)
    # Plain lists, read once: the loop below touches Python objects only.
    ptr = np.searchsorted(cand.req[used], np.arange(n_r + 1)).tolist()
    vol_id = [v.id for v in problem.volunteers]
    u_vol = cand.vol[used].tolist()
    u_km = cand.distance_km[used].tolist()
    u_min = cand.travel_min[used].tolist()
    any_ride = any(r.destination is not None for r in problem.requests)
    u_legs = _leg_lists(arrays, cand, used) if any_ride else []
    u_pref = cand.preferred[used].tolist()
    starts = start.tolist()
    served_list = served.tolist()
    pinned_list = arrays.pinned.tolist()
    limits = cand.limits if cand.limits.size else np.zeros((n_r, 2), dtype=np.int64)
    assignments = []
    unassigned = []
    for r, req in enumerate(problem.requests):
        if not served_list[r]:
            unassigned.append(_unassigned(problem, cand, r, limits, pins))
            continue
        team = tuple(
            AssignedVolunteer(
                vol_id[u_vol[k]],
                u_km[k],
                u_min[k],
                u_pref[k],
                () if req.destination is None else ride_legs(*u_legs[k]),
            )
            for k in range(ptr[r], ptr[r + 1])
        )
        if req.roles:
            team = _with_roles(arrays, r, team, u_vol[ptr[r] : ptr[r + 1]])
        begin = end = None
        if req.window is not None:
            begin = minute_to_datetime(starts[r], req.window.start)
            end = minute_to_datetime(starts[r] + req.duration_minutes, req.window.start)
        pinned = pinned_list[r]
        note = assignment_note(req, team, pinned)
        assignments.append(Assignment(req.id, team, begin, end, pinned, note))

    served_idx = np.flatnonzero(served).tolist()
    served_priority = sum(problem.requests[r].priority for r in served_idx)
    objective = Objective(
        served_requests=int(served.sum()),
        served_priority=float(served_priority),
        continuity=int(cand.preferred[chosen].sum())
        + series_continuity(arrays.series, cand.req[chosen], cand.vol[chosen]),
        travel_km=float(2.0 * _one_way_km(arrays, cand, chosen).sum()),
        **_load_fields(problem, np.bincount(cand.vol[chosen], minlength=arrays.n_v)),
    )
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    bound_priority = served_priority if optimal else max(bound / arrays.scale, served_priority)
    return Solution(status, tuple(assignments), tuple(unassigned), objective, bound_priority)


def _load_fields(problem: Problem, tasks: I64) -> dict[str, int]:
    most, spread = load_figures(problem.volunteers, tasks.tolist())
    return {"max_tasks_per_volunteer": most, "task_spread": spread}


def _one_way_km(arrays: TaskArrays, cand: Candidates, chosen: BOOL) -> F64:
    """Per chosen pair: km one way, home -> client and, for a ride, on to the destination."""
    km = cand.distance_km[chosen]
    if arrays.has_rides:
        km = km + arrays.r_ride_km[cand.req[chosen]]
    return np.asarray(km, dtype=np.float64)


def _leg_lists(
    arrays: TaskArrays, cand: Candidates, used: I64
) -> list[tuple[float, int, float, int]]:
    """Per used pair: (home -> client km, its minutes, client -> destination km, its
    minutes); the second two are 0 for a request that is no ride."""
    req, vol = cand.req[used], cand.vol[used]
    ride = arrays.r_ride_km[req] if arrays.r_ride_km.size else np.zeros(req.size)
    home_min = arrays.travel(vol, cand.distance_km[used])
    ride_min = arrays.travel(vol, ride)
    return list(
        zip(
            cand.distance_km[used].tolist(),
            home_min.tolist(),
            ride.tolist(),
            ride_min.tolist(),
            strict=True,
        )
    )


def ride_legs(home_km: float, home_min: int, ride_km: float, ride_min: int) -> tuple[Leg, ...]:
    """The four legs of a ride: home -> client -> destination, and back the same way."""
    return (
        Leg("home", "client", home_km, home_min),
        Leg("client", "destination", ride_km, ride_min),
        Leg("destination", "client", ride_km, ride_min),
        Leg("client", "home", home_km, home_min),
    )


def _with_roles(
    arrays: TaskArrays, r: int, team: tuple[AssignedVolunteer, ...], members: list[int]
) -> tuple[AssignedVolunteer, ...]:
    """The team with the role each member fills (the engines chose a team that can)."""
    assert arrays.roles is not None
    roles = team_roles(arrays.roles, arrays.v_sig, r, members)
    if roles is None:
        raise AssertionError("an engine chose a team that cannot fill the request's roles")
    return tuple(replace(v, role=k) for v, k in zip(team, roles, strict=True))


def _unassigned(
    problem: Problem, cand: Candidates, r: int, limits: I64, pins: PinCheck
) -> Unassigned:
    """The reason and detail of unserved request ``r``.

    ``capacity`` becomes ``not_available`` when pins alone provably keep the
    request out; when that could not be settled before the deadline it stays
    ``capacity`` (the best plan found does use those volunteers elsewhere,
    the pins among them) and the detail says the pins were not settled.
    """
    req = problem.requests[r]
    need = req.volunteers_needed
    if req.roles and cand.role_table.size:
        return _unassigned_roles(problem, cand, r, pins)
    funnel = funnel_of(cand, r)
    reason = reason_for(funnel, need)
    if reason is Reason.CAPACITY:
        taken = pins.take_it(r)
        if taken:
            return Unassigned(req.id, Reason.NOT_AVAILABLE, pins_detail(funnel, need), funnel)
        if taken is None:
            return Unassigned(req.id, reason, pins_unchecked_detail(funnel, need), funnel)
    limit = (int(limits[r, 0]), int(limits[r, 1]))
    holders = int(cand.cred_holders[r]) if cand.cred_holders.size else 0
    return Unassigned(req.id, reason, reason_detail(funnel, need, reason, limit, holders), funnel)


def _unassigned_roles(problem: Problem, cand: Candidates, r: int, pins: PinCheck) -> Unassigned:
    """The reason of an unserved request with roles: read off the role that runs
    short first (:func:`~matchcore.explain.role_reason`); its funnel is reported."""
    req = problem.requests[r]
    assert pins.arrays.roles is not None
    first = int(pins.arrays.roles.r_ptr[r])
    table = cand.role_table[first : first + len(req.roles)]
    counts = [role.count for role in req.roles]
    found = role_reason(table, cand.role_slots[r], counts)
    if found.reason is Reason.CAPACITY:
        taken = pins.take_it(r)
        if taken:
            detail = found.prefix + pins_detail(found.funnel, found.need)
            return Unassigned(req.id, Reason.NOT_AVAILABLE, detail, found.funnel)
        if taken is None:
            detail = pins_unchecked_detail(found.funnel, found.need)
            return Unassigned(req.id, found.reason, found.prefix + detail, found.funnel)
    return Unassigned(req.id, found.reason, found.detail, found.funnel)
