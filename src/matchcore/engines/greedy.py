"""Greedy engine: the most urgent request first, the nearest free volunteer.

With a previous plan, the previous assignments that are still feasible are
booked first (after pins), each with its team at its start, when it fits.

This is what coordinators and listing tools do by hand today. matchcore uses
it as a hint for CP-SAT on large parts and as a safety net; the benchmarks
use it as the baseline. It honours every hard rule, so its plan is always
feasible, but it proves nothing: its bound is the trivial one.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from matchcore.engines import objective
from matchcore.engines.roles import fill_roles, has_roles
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, has_daily, pair_load


@dataclass
class _Diary:
    """One volunteer's commitments so far: blocks, task count, minutes."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    tasks: int = 0
    minutes: int = 0
    # Limits per day: tasks and minutes booked per local day.
    day_tasks: dict[int, int] = field(default_factory=dict)
    day_minutes: dict[int, int] = field(default_factory=dict)

    def earliest(self, lo: int, hi: int, before: int, after: int) -> int | None:
        """Earliest start in ``[lo, hi]`` whose block ``[s-before, s+after)`` is free.

        Blocks never overlap, so their ends are sorted like their starts.
        """
        s = lo
        while s <= hi:
            k = bisect.bisect_right(self.ends, s - before)  # first block ending after us
            if k == len(self.starts) or self.starts[k] >= s + after:
                return s
            s = self.ends[k] + before
        return None

    def book(self, start: int, end: int, minutes: int, day: int | None = None) -> None:
        k = bisect.bisect_left(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)
        self.tasks += 1
        self.minutes += minutes
        if day is not None:
            self.day_tasks[day] = self.day_tasks.get(day, 0) + 1
            self.day_minutes[day] = self.day_minutes.get(day, 0) + minutes


def _day(part: Part, start: int) -> int | None:
    """The local day of a start minute, when ``part`` has limits per day."""
    if not has_daily(part):
        return None
    return int(np.searchsorted(part.day_starts, start, side="right")) - 1


def _day_room(part: Part, p: int, start: int, diaries: list[_Diary], load: int) -> bool:
    """Whether pair ``p``'s volunteer can take one more task of ``load`` minutes
    on the day of ``start`` (always, without limits per day)."""
    day = _day(part, start)
    if day is None:
        return True
    v = int(part.p_vol[p])
    return _room_on(part, v, diaries[v], day, load)


def _room_on(part: Part, v: int, diary: _Diary, day: int, load: int) -> bool:
    """Whether volunteer ``v`` (``diary``) can take one more task of ``load`` minutes on ``day``."""
    return bool(
        diary.day_tasks.get(day, 0) < part.day_tasks[v]
        and diary.day_minutes.get(day, 0) + load <= part.day_minutes[v]
    )


def solve_greedy(
    part: Part,
    params: SolveParams = DEFAULT_PARAMS,
    deadline: Deadline | None = None,
    first: NDArray[np.bool_] | None = None,
) -> PartResult:
    """A feasible plan for ``part``: pins first, then by priority, nearest first.

    At ``deadline`` the requests not yet tried stay unserved (pins are always
    tried): every prefix of the greedy plan is feasible. ``first`` (per request)
    puts those requests first within their priority, e.g. the ones a relaxation
    serves.
    """
    diaries = [_Diary() for _ in range(part.n_volunteers)]
    load = pair_load(part)
    chosen = np.zeros(part.n_pairs, dtype=bool)
    start = np.full(part.n_requests, NO_START, dtype=np.int64)
    n_cand = np.diff(part.pair_ptr)
    keep = objective.keepable(part)
    # Tasks and minutes booked per volunteer, beside the diaries: the limit check
    # of a request's candidates is one vectorised test, not a loop over pairs.
    tasks = np.zeros(part.n_volunteers, dtype=np.int64)
    minutes = np.zeros(part.n_volunteers, dtype=np.int64)
    # Pins first, then previous assignments still feasible (re-planning prefers
    # to keep them), then by priority.
    later = np.zeros(part.n_requests, dtype=bool) if first is None else ~first
    order = np.lexsort((n_cand, later, -part.priority, ~keep, ~part.pinned))
    # Every request's pairs, preferred then nearest first, sorted once for all.
    nearest = np.lexsort((part.dist_m, ~part.preferred, part.p_req))
    for k, r in enumerate(order.tolist()):
        if k % 64 == 0 and deadline is not None and not part.pinned[r] and deadline.expired():
            break
        pairs = np.arange(part.pair_ptr[r], part.pair_ptr[r + 1])
        if keep[r] and _keep(part, r, pairs[part.keep_pair[pairs]], diaries, load):
            chosen[pairs[part.keep_pair[pairs]]] = True
            _booked(part, pairs[part.keep_pair[pairs]], load, tasks, minutes)
            if part.timed[r]:
                start[r] = part.keep_start[r]
            continue
        if part.pinned[r]:
            pairs = pairs[part.pin_pair[pairs]]
        if part.fair:  # the least loaded first, for the fairness level
            held = np.array([diaries[v].tasks for v in part.p_vol[pairs].tolist()], np.int64)
            pairs = pairs[np.lexsort((part.dist_m[pairs], held, ~part.preferred[pairs]))]
        elif not part.pinned[r]:
            pairs = nearest[part.pair_ptr[r] : part.pair_ptr[r + 1]]
        else:
            pairs = pairs[np.lexsort((part.dist_m[pairs], ~part.preferred[pairs]))]
        if part.timed[r] and part.need[r] == 1:
            team = _single(part, r, pairs, diaries, tasks, minutes, load)
        else:
            vols = part.p_vol[pairs]
            room = (tasks[vols] < part.max_tasks[vols]) & (
                minutes[vols] + load[pairs] <= part.max_minutes[vols]
            )
            pairs = pairs[room].astype(np.int64)
            team = _team(part, r, pairs, diaries, params.greedy.team_start_tries)
        if team is None:
            continue
        s, members = team
        chosen[members] = True
        _booked(part, np.asarray(members, dtype=np.int64), load, tasks, minutes)
        if part.timed[r]:
            start[r] = s
        for p in members:
            t = int(part.travel[p])
            diary = diaries[part.p_vol[p]]
            if part.timed[r]:
                diary.book(s - t, s + int(part.duration[r]) + t, int(load[p]), _day(part, s))
            else:
                diary.tasks += 1
                diary.minutes += int(load[p])
    return PartResult(chosen, start, False, int(part.priority.sum()), "greedy")


def _booked(
    part: Part, members: np.ndarray, load: np.ndarray, tasks: np.ndarray, minutes: np.ndarray
) -> None:
    """Count the booked members' tasks and minutes (a team has distinct volunteers)."""
    vols = part.p_vol[members]
    tasks[vols] += 1
    minutes[vols] += load[members]


def _keep(part: Part, r: int, team: np.ndarray, diaries: list[_Diary], load: np.ndarray) -> bool:
    """Book request ``r``'s previous team at its previous start, if it still fits."""
    for p in team.tolist():
        v = int(part.p_vol[p])
        if (
            diaries[v].tasks >= part.max_tasks[v]
            or diaries[v].minutes + load[p] > part.max_minutes[v]
        ):
            return False
    dur, s = int(part.duration[r]), int(part.keep_start[r])
    if part.timed[r] and not all(_fits_at(part, p, s, dur, diaries) for p in team.tolist()):
        return False
    for p in team.tolist():
        diary, t = diaries[int(part.p_vol[p])], int(part.travel[p])
        if part.timed[r]:
            diary.book(s - t, s + dur + t, int(load[p]), _day(part, s))
        else:
            diary.tasks += 1
            diary.minutes += int(load[p])
    return True


def _team(
    part: Part, r: int, pairs: np.ndarray, diaries: list[_Diary], tries_most: int
) -> tuple[int, list[int]] | None:
    """A start and the nearest volunteers free at it, or None."""
    need = int(part.need[r])
    if pairs.size < need:
        return None
    roles = has_roles(part) and bool(part.role_ptr[r + 1] > part.role_ptr[r])
    if not part.timed[r]:
        if roles:  # fill the roles, the shortest first
            members = fill_roles(part, r, pairs.tolist())
            return None if members is None else (0, members)
        return 0, pairs[:need].tolist()
    dur = int(part.duration[r])
    pin = int(part.pin_start[r])
    if need == 1:
        for p in pairs.tolist():
            s = _earliest_for_pair(part, p, dur, diaries, pin)
            if s is not None:
                return s, [p]
        return None
    # A team: try the earliest start of each member, and keep those that work.
    tries = sorted(
        {
            s
            for p in pairs.tolist()
            if (s := _earliest_for_pair(part, p, dur, diaries, pin)) is not None
        }
    )[:tries_most]
    for s in tries:
        free = [p for p in pairs.tolist() if _fits_at(part, p, s, dur, diaries)]
        if len(free) >= need:
            members = fill_roles(part, r, free) if roles else free[:need]
            if members is not None:
                return s, members
    return None


def _single(
    part: Part,
    r: int,
    pairs: NDArray[np.int64],
    diaries: list[_Diary],
    tasks: NDArray[np.int64],
    minutes: NDArray[np.int64],
    load: NDArray[np.int64],
) -> tuple[int, list[int]] | None:
    """A timed one-volunteer request: the first of ``pairs`` whose volunteer has
    room and time, at its earliest start, or None (as :func:`_team` on the pairs
    with room). The hot path of large parts: most requests find a volunteer
    among their first few pairs, so the pairs are fetched a few at a time."""
    dur, pin = int(part.duration[r]), int(part.pin_start[r])
    lo, step = 0, 8
    while lo < pairs.size:
        some = pairs[lo : lo + step]
        lo, step = lo + step, 2 * step
        vols = part.p_vol[some]
        room = (tasks[vols] < part.max_tasks[vols]) & (
            minutes[vols] + load[some] <= part.max_minutes[vols]
        )
        some = some[room]
        for p, v, t, a, b in zip(
            some.tolist(),
            part.p_vol[some].tolist(),
            part.travel[some].tolist(),
            part.start_ptr[some].tolist(),
            part.start_ptr[some + 1].tolist(),
            strict=True,
        ):
            s = _earliest(part, v, diaries[v], t, range(a, b), dur, pin)
            if s is not None:
                return s, [p]
    return None


def _earliest_for_pair(part: Part, p: int, dur: int, diaries: list[_Diary], pin: int) -> int | None:
    rows = range(int(part.start_ptr[p]), int(part.start_ptr[p + 1]))
    v = int(part.p_vol[p])
    return _earliest(part, v, diaries[v], int(part.travel[p]), rows, dur, pin)


def _earliest(
    part: Part, v: int, diary: _Diary, t: int, rows: range, dur: int, pin: int
) -> int | None:
    """The earliest start of a pair of volunteer ``v`` (``diary``; travel ``t``,
    CSR ``rows``), or None."""
    load = dur + 2 * t
    daily = has_daily(part)
    for row in rows:
        lo, hi = int(part.start_lo[row]), int(part.start_hi[row])
        if pin != NO_START:
            if not lo <= pin <= hi:
                continue
            lo = hi = pin
        if daily and not _room_on(part, v, diary, _day(part, lo) or 0, load):
            continue  # a row lies in one day
        s = diary.earliest(lo, hi, t, dur + t)
        if s is not None:
            return s
    return None


def _fits_at(part: Part, p: int, s: int, dur: int, diaries: list[_Diary]) -> bool:
    t = int(part.travel[p])
    if not any(lo <= s <= hi for lo, hi in part.intervals(p)):
        return False
    if not _day_room(part, p, s, diaries, dur + 2 * t):
        return False
    return bool(diaries[part.p_vol[p]].earliest(s, s, t, dur + t) == s)
