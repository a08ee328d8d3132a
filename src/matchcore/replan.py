"""Re-planning: a previous plan, what of it can be kept, and what changed.

A problem may carry ``previous_plan``: the assignments of an earlier plan of
the same network (request, volunteers, start). A previous assignment is
**kept** when the new plan gives the same request the same volunteers (as a
set) at the same start minute (untimed requests: no start). Kept assignments
are the objective's second level, right after served priority
(:mod:`matchcore.engines.objective`).

A previous assignment is **still feasible** (keepable) when, on its own,
the new problem allows it: the request and every volunteer are still there,
the team size is the request's ``volunteers_needed``, the start fits the
request's window (a start exactly when the request is timed), and each
volunteer is still a candidate who can be there at that start (skills,
language, range, exclusions, availability with travel). The first rule that
fails gives the reason of a change:

* ``volunteer_withdrawn``: a previous volunteer is no longer in the problem;
* ``request_changed``: the request now needs another team size, has a window
  that no longer admits the previous start, or became timed or untimed;
* ``no_longer_feasible``: a previous volunteer is no longer a candidate for
  the request, or cannot be there at the previous start;
* ``freed_for_priority``: the previous assignment was still feasible on its
  own and the plan does not keep it. In a proven-optimal plan this happens
  only when keeping it would serve less priority, or when still-feasible
  previous assignments cannot all be kept together (e.g. a volunteer's task
  limit was lowered); a plan cut short by the time limit may also give it up.

``changes`` (:func:`changes`) lists, for every request served in either plan,
its status: ``kept``; ``moved`` (same volunteers, another start);
``reassigned`` (other volunteers); ``dropped`` (served before, not now; a
request no longer in the problem is dropped with no reason); ``new`` (served
now, not before). A request unserved in both has no entry.

``options.replan = "freeze"`` (:func:`frozen`) pins every still-feasible
previous assignment and plans the rest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matchcore.problem import PinnedAssignment, Problem, floor_minute
from matchcore.solution import Assignment, Change, Solution
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.candidates import Candidates
from matchcore.tasks.roles import roles_of_team

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]

CHANGE_STATUSES = ("kept", "moved", "reassigned", "dropped", "new")
"""Every ``status`` of a change."""

CHANGE_REASONS = (
    "volunteer_withdrawn",
    "request_changed",
    "no_longer_feasible",
    "freed_for_priority",
)
"""Every ``reason`` of a change (see the module docstring for when each applies)."""


@dataclass(frozen=True, eq=False)
class Assessment:
    """What of the previous plan the new problem still allows.

    ``keep_pair`` per candidate pair: the pair belongs to a still-feasible
    previous assignment; ``keep_start`` per request: that assignment's start
    minute (``NO_START`` when untimed or none); ``reasons`` per previous
    assignment: ``None`` when still feasible, else why not (``""`` when the
    request is no longer in the problem).
    """

    keep_pair: BOOL
    keep_start: I64
    reasons: tuple[str | None, ...]


def assess(problem: Problem, cand: Candidates) -> Assessment:
    """Which previous assignments are still feasible, each on its own."""
    n_r = len(problem.requests)
    keep_pair = np.zeros(cand.n_pairs, dtype=bool)
    keep_start = np.full(n_r, NO_START, dtype=np.int64)
    reasons: list[str | None] = []
    pins = {pin.request_id: pin for pin in problem.assignments}
    n_v = max(len(problem.volunteers), 1)
    keys = cand.req * n_v + cand.vol
    for prev in problem.previous_plan or ():
        reason, pairs = _assess_one(problem, cand, keys, prev)
        pin = pins.get(prev.request_id)
        if reason is None and pin is not None and not _pin_allows(pin, prev):
            reason = "no_longer_feasible"  # a pin now fixes it otherwise
        reasons.append(reason)
        r = problem.request_index.get(prev.request_id)
        if reason is None and r is not None:
            keep_pair[pairs] = True
            if prev.start is not None:
                keep_start[r] = floor_minute(prev.start)
    return Assessment(keep_pair, keep_start, tuple(reasons))


def _assess_one(
    problem: Problem, cand: Candidates, keys: I64, prev: PinnedAssignment
) -> tuple[str | None, list[int]]:
    r = problem.request_index.get(prev.request_id)
    if r is None:
        return "", []
    if any(vid not in problem.volunteer_index for vid in prev.volunteer_ids):
        return "volunteer_withdrawn", []
    req = problem.requests[r]
    if len(prev.volunteer_ids) != req.volunteers_needed or (req.window is None) != (
        prev.start is None
    ):
        return "request_changed", []
    minute = None if prev.start is None else floor_minute(prev.start)
    if minute is not None and not req.earliest_start_minute <= minute <= req.latest_start_minute:
        return "request_changed", []
    n_v = max(len(problem.volunteers), 1)
    pairs = []
    for vid in prev.volunteer_ids:
        key = r * n_v + problem.volunteer_index[vid]
        p = int(np.searchsorted(keys, key))
        if p >= keys.size or keys[p] != key:
            return "no_longer_feasible", []
        if minute is not None and not any(lo <= minute <= hi for lo, hi in cand.starts(p)):
            return "no_longer_feasible", []
        pairs.append(p)
    team = [problem.volunteers[problem.volunteer_index[vid]] for vid in prev.volunteer_ids]
    if req.roles and roles_of_team(req, team) is None:
        return "no_longer_feasible", []  # the team cannot fill the roles (now)
    return None, pairs


def _pin_allows(pin: PinnedAssignment, prev: PinnedAssignment) -> bool:
    """Whether a pin of the new problem allows the previous assignment: the same
    team, and the same start or none."""
    same_start = pin.start is None or (
        prev.start is not None and floor_minute(pin.start) == floor_minute(prev.start)
    )
    return set(pin.volunteer_ids) == set(prev.volunteer_ids) and same_start


def frozen(problem: Problem, assessment: Assessment) -> Problem:
    """``problem`` with every still-feasible previous assignment pinned (a pin
    that leaves its start open takes the previous start)."""
    keep = {
        prev.request_id: prev
        for prev, reason in zip(problem.previous_plan or (), assessment.reasons, strict=True)
        if reason is None
    }
    pins = tuple(keep.pop(pin.request_id, pin) for pin in problem.assignments)
    return dataclasses.replace(problem, assignments=pins + tuple(keep.values()))


def _same_start(a: Assignment | None, prev: PinnedAssignment) -> bool:
    if a is None:
        return False
    if a.start is None or prev.start is None:
        return a.start is None and prev.start is None
    return floor_minute(a.start) == floor_minute(prev.start)


def is_kept(a: Assignment | None, prev: PinnedAssignment) -> bool:
    """Whether assignment ``a`` keeps ``prev``: same volunteers, same start."""
    return (
        a is not None and set(a.volunteer_ids) == set(prev.volunteer_ids) and _same_start(a, prev)
    )


def changes(problem: Problem, solution: Solution, assessment: Assessment) -> tuple[Change, ...]:
    """Every request's change from the previous plan (see the module docstring)."""
    previous = {
        p.request_id: (p, reason)
        for p, reason in zip(problem.previous_plan or (), assessment.reasons, strict=True)
    }
    now = {a.request_id: a for a in solution.assignments}
    out: list[Change] = []
    for req in problem.requests:
        a = now.get(req.id)
        if req.id not in previous:
            if a is not None:
                out.append(Change(req.id, "new", None))
            continue
        prev, reason = previous[req.id]
        out.append(_change(req.id, a, prev, reason))
    gone = [rid for rid in previous if rid not in problem.request_index]
    out += [Change(rid, "dropped", None) for rid in gone]
    return tuple(out)


def _change(rid: str, a: Assignment | None, prev: PinnedAssignment, reason: str | None) -> Change:
    why = reason or "freed_for_priority"
    if a is None:
        return Change(rid, "dropped", why)
    if is_kept(a, prev):
        return Change(rid, "kept", None)
    if set(a.volunteer_ids) == set(prev.volunteer_ids):
        return Change(rid, "moved", why)
    return Change(rid, "reassigned", why)


def kept_count(previous: Sequence[PinnedAssignment], solution: Solution) -> int:
    """How many previous assignments ``solution`` keeps (recomputed from its assignments)."""
    now = {a.request_id: a for a in solution.assignments}
    return sum(is_kept(now.get(p.request_id), p) for p in previous)


def with_changes(problem: Problem, solution: Solution, assessment: Assessment) -> Solution:
    """``solution`` with its ``changes`` and its objective's ``kept`` count."""
    found = changes(problem, solution, assessment)
    objective = dataclasses.replace(solution.objective, kept=sum(c.status == "kept" for c in found))
    return dataclasses.replace(solution, objective=objective, changes=found)
