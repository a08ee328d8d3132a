"""Canonical start times: the rule that makes a plan reproducible.

The objective says nothing about *when* a timed request starts, so many
start times are equally optimal, and a parallel search returns whichever
its threads met first. So once an engine has chosen who serves whom, the
starts are re-derived by one documented rule, independent of the engine's
own starts:

    1. Timed served requests are placed one at a time, in the order of
       their latest possible start (then earliest, then their index in the
       problem); each takes the earliest minute at which every volunteer of
       its team can be there (their start intervals, travel included)
       without overlapping a block already placed. A pinned start stays,
       and so does the start of a kept previous assignment.
    2. If that order leaves some request without a start: the starts that
       minimise the sum of the start minutes, found by CP-SAT on a model of
       the starts alone (the assignment fixed) with one search worker, the
       solve's seed, no hint, and a limit in CP-SAT's *deterministic* time
       (``CpSatParams.polish_deterministic_s``): the same model gives the
       same answer however busy the machine.
    3. If even that finds nothing before the deadline: the engine's own
       order in step 1, in which the earliest start always exists (a block
       placed earlier ends no later than in the engine's plan). That plan is
       feasible but depends on the engine's order: it may vary (see the
       README).

Only proven plans are rewritten: a plan cut short by the time limit is not
reproducible anyway (which plan the search reached depends on timing), and
its time is spent. The assignment itself is untouched, so the plan's value and every limit
(tasks, minutes) stay as they were (with limits per day, each start stays on
the local day the engine gave it, so those hold too); only blocks move, each checked against
the blocks already placed (steps 1 and 3) or by CP-SAT's no-overlap (step 2).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from matchcore.engines import objective
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, day_of_start, has_daily

I64 = NDArray[np.int64]
Interval = tuple[int, int]


def canonical_starts(
    part: Part,
    result: PartResult,
    deadline: Deadline,
    seed: int = 0,
    params: SolveParams = DEFAULT_PARAMS,
) -> PartResult:
    """``result`` with its timed requests' starts set by the rule above, when it is
    proven optimal; a plan cut short by the deadline keeps the engine's starts
    (it is not reproducible anyway, and the time is gone)."""
    if not result.optimal:
        return result
    part = _kept_starts_pinned(part, result)
    chosen = result.chosen
    served_pairs = np.flatnonzero(chosen)
    if served_pairs.size == 0 or not part.timed.any():
        return result
    team_of: dict[int, list[int]] = {}
    for p in served_pairs.tolist():
        r = int(part.p_req[p])
        if part.timed[r]:
            team_of.setdefault(r, []).append(p)
    if not team_of:
        return result
    feasible = {r: _team_starts(part, r, pairs) for r, pairs in team_of.items()}
    if has_daily(part):  # each task stays on its day, so limits per day still hold
        for r in feasible:
            day = int(day_of_start(part, result.start[r : r + 1])[0])
            span = (int(part.day_starts[day]), int(part.day_starts[day + 1]) - 1)
            feasible[r] = _intersect(feasible[r], [span])
    fixed = sorted(team_of, key=lambda r: (_latest(feasible[r]), _earliest_of(feasible[r]), r))
    starts = _place(part, fixed, team_of, feasible)
    if starts is None:
        starts = _least_total(part, team_of, feasible, deadline, seed, params)
    if starts is None:
        by_engine = sorted(team_of, key=lambda r: (int(result.start[r]), r))
        starts = _place(part, by_engine, team_of, feasible)
    if starts is None:  # cannot happen for a feasible plan; keep the engine's starts
        return result
    start = result.start.copy()
    for r, s in starts.items():
        start[r] = s
    return PartResult(chosen, start, result.optimal, result.bound, result.engine)


def _kept_starts_pinned(part: Part, result: PartResult) -> Part:
    """``part`` with the start of every kept previous assignment fixed like a pin:
    a kept assignment keeps its start (it is a level of the objective)."""
    keep = objective.keepable(part) & part.timed
    if not keep.any():
        return part
    pin_start = part.pin_start.copy()
    for r in np.flatnonzero(keep & (result.start == part.keep_start)).tolist():
        team = np.arange(part.pair_ptr[r], part.pair_ptr[r + 1])
        if result.chosen[team[part.keep_pair[team]]].all():
            pin_start[r] = part.keep_start[r]
    return dataclasses.replace(part, pin_start=pin_start)


def _latest(intervals: list[Interval]) -> int:
    return intervals[-1][1] if intervals else 0


def _earliest_of(intervals: list[Interval]) -> int:
    return intervals[0][0] if intervals else 0


def _team_starts(part: Part, r: int, pairs: list[int]) -> list[Interval]:
    """Start minutes at which every member of the team can be there (sorted, disjoint)."""
    common: list[Interval] | None = None
    for p in pairs:
        mine = part.intervals(p)
        common = mine if common is None else _intersect(common, mine)
    out = common or []
    pin = int(part.pin_start[r])
    if pin != NO_START:
        out = [(pin, pin)] if any(lo <= pin <= hi for lo, hi in out) else []
    return out


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


class _Diary:
    """One volunteer's blocks placed so far, sorted (they never overlap)."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def clash(self, begin: int, end: int) -> int | None:
        """The end of a placed block that overlaps ``[begin, end)``, or None."""
        k = bisect.bisect_right(self.ends, begin)
        if k < len(self.starts) and self.starts[k] < end:
            return self.ends[k]
        return None

    def book(self, begin: int, end: int) -> None:
        k = bisect.bisect_left(self.starts, begin)
        self.starts.insert(k, begin)
        self.ends.insert(k, end)


def _place(
    part: Part,
    order: list[int],
    team_of: dict[int, list[int]],
    feasible: dict[int, list[Interval]],
) -> dict[int, int] | None:
    """Earliest starts in ``order``; None when some request finds none."""
    diaries: dict[int, _Diary] = {}
    out: dict[int, int] = {}
    for r in order:
        s = _earliest(part, r, team_of[r], feasible[r], diaries)
        if s is None:
            return None
        out[r] = s
        dur = int(part.duration[r])
        for p in team_of[r]:
            t = int(part.travel[p])
            diaries.setdefault(int(part.p_vol[p]), _Diary()).book(s - t, s + dur + t)
    return out


def _least_total(
    part: Part,
    team_of: dict[int, list[int]],
    feasible: dict[int, list[Interval]],
    deadline: Deadline,
    seed: int,
    params: SolveParams,
) -> dict[int, int] | None:
    """Step 2 of the rule: the least total of start minutes, deterministically."""
    if deadline.expired() or any(not f for f in feasible.values()):
        return None
    model = cp_model.CpModel()
    blocks: dict[int, list[cp_model.IntervalVar]] = {}
    var: dict[int, cp_model.IntVar] = {}
    offset: dict[int, int] = {}
    for r in sorted(team_of):
        base = feasible[r][0][0]  # starts relative to the earliest: small numbers
        offset[r] = base
        dom = Domain.from_intervals([[lo - base, hi - base] for lo, hi in feasible[r]])
        var[r] = s = model.new_int_var_from_domain(dom, f"s{r}")
        dur = int(part.duration[r])
        for p in team_of[r]:
            t = int(part.travel[p])
            iv = model.new_fixed_size_interval_var(s + (base - t), dur + 2 * t, f"b{p}")
            blocks.setdefault(int(part.p_vol[p]), []).append(iv)
    for v in sorted(blocks):
        if len(blocks[v]) > 1:
            model.add_no_overlap(blocks[v])
    model.minimize(sum(var.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.catch_sigint_signal = False
    solver.parameters.max_deterministic_time = params.cpsat.polish_deterministic_s
    solver.parameters.max_time_in_seconds = max(deadline.remaining(), 0.01)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {r: int(solver.value(v)) + offset[r] for r, v in var.items()}


def _earliest(
    part: Part,
    r: int,
    pairs: list[int],
    feasible: list[Interval],
    diaries: dict[int, _Diary],
) -> int | None:
    """The earliest start in ``feasible`` at which no member's block clashes."""
    dur = int(part.duration[r])
    k = 0
    s = feasible[0][0] if feasible else 0
    while k < len(feasible):
        lo, hi = feasible[k]
        if s > hi:
            k += 1
            continue
        s = max(s, lo)
        later = s
        for p in pairs:
            t = int(part.travel[p])
            diary = diaries.get(int(part.p_vol[p]))
            end = None if diary is None else diary.clash(s - t, s + dur + t)
            if end is not None:
                later = max(later, end + t)
        if later == s:
            return s
        s = later
    return None
