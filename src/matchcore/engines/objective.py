"""The lexicographic objective, written once for every engine.

A plan is better than another when it is better on the first level where
they differ, levels in this order:

1. ``priority``: the served requests' priority (scaled integers), plus, when
   the problem has groups, each placed participant's group ``priority``;
   more is better;
2. ``kept``: previous assignments kept (same request, same volunteers, same
   start; :mod:`matchcore.replan`), more is better; 0 without a previous plan;
3. ``continuity``: preferred pairs used, plus participants placed on their
   first-choice topic, plus series continuity (below); more is better;
4. ``fairness`` (only with ``options.fairness == "balance"``, else 0): the
   tasks per volunteer, sorted from the most loaded down, compared
   lexicographically, smaller is better (lexicographic min-max: the
   largest load as small as possible, then the next largest, ...); see
   :func:`fairness_cost`;
5. ``travel``: metres travelled one way by every used pair, plus, per
   session, every facilitator's and participant's one-way metres to their
   group; less is better. For a ride a pair's one way is home -> client
   plus client -> destination, half of its four legs
   (:meth:`~matchcore.tasks.arrays.TaskArrays.trip_metres`), as a visit's is
   half of its round trip; the solution's ``travel_km`` is twice this.

**Series continuity.** The occurrences of one repeating request (a series
``s``, :attr:`~matchcore.problem.Request.series`) prefer one volunteer. With
``n(s, v)`` the number of occurrences of ``s`` that volunteer ``v`` serves
(alone or in a team), the continuity level adds, for every series,

    ``series(s) = max over v of n(s, v)``  (0 when no occurrence is served),

the occurrences served by the volunteer who serves most of the series:
``continuity = preferred pairs + first-choice participants + sum over s of series(s)``.
Three Tuesdays served by Anna count 3; by Anna, Bert and Anna, 2; by three
different volunteers, 1. A served occurrence always counts at least 1, so at
equal priority and kept count a plan does not lose continuity by serving
more. CP-SAT models it exactly (a literal per series and candidate
volunteer, "v is the series' main volunteer", at most one per series); the
min-cost flow cannot (a maximum is not a flow cost), so parts with a series
go to CP-SAT; :func:`plan_key` and :func:`series_continuity` compute it from
any plan, for the checker's and the oracle's comparison.

Groups enter the priority, continuity and travel levels (the joint model of
:mod:`matchcore.groups.model` solves them level by level), so a week's tasks
and its groups are one plan with one order: a placed participant weighs as
much as a served request of the same priority.

Engines that need one number (the min-cost flow, CP-SAT's weighted
objective, the LNS sub-model, pricing) use weights that cannot trade: one
unit of a level outweighs everything all lower levels can ever add,

* ``w_pref = most_travel + 1`` (one preferred pair beats all travel),
* ``w_prio = (most_continuity + 1) * w_pref`` (one unit of priority beats
  all continuity and travel),

see :func:`level_weights`; with kept assignments (:func:`kept_weights`)
``w_kept = (most_continuity + 1) * w_pref`` and
``w_prio = (most_kept + 1) * w_kept``; they are exact while ``most_priority * w_prio``
stays below :data:`OBJECTIVE_LIMIT` (:func:`fits`), else an engine coarsens
travel (metres in units of 10, 100, ...) or solves the levels in stages.
Relaxations bound the first level only (:mod:`matchcore.engines.relaxation`).
The fairness level has weights of its own (:func:`fairness_weights`), which
grow like ``(volunteers + 1) ** (load - 1)``; CP-SAT solves it in stages
(:mod:`matchcore.engines.fair`), LNS neighbourhoods weigh it over their own
volunteers, and :func:`plan_key` compares it exactly (:func:`fairness_cost`).

A new level (stability, fairness, groups) is added here: a term of
:func:`plan_key`, its most possible value, and a weight in
:func:`level_weights` above the levels below it.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from matchcore.tasks.parts import Part

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]

LEVELS = ("priority", "kept", "continuity", "fairness", "travel")
"""The levels, most important first."""

OBJECTIVE_LIMIT = 2.0**50
"""Largest weighted objective kept in one number: well inside int64 (and
CP-SAT's arithmetic, which sums terms and multiplies by its own factors)."""

Num = TypeVar("Num", int, I64)

PlanKey = tuple[int, int, int, int, int]
"""A plan's value per level (:func:`plan_key`), larger is better."""


def level_weights(most_continuity: Num, most_travel: Num) -> tuple[Num, Num]:
    """``(w_prio, w_pref)``: the weights that keep the levels apart.

    Works on ints (one part) and on integer arrays (one entry per part).
    ``most_travel`` is the most travel any plan can have, in the unit the
    engine uses; ``most_continuity`` the most preferred pairs it can use.
    """
    w_pref = most_travel + 1
    return (most_continuity + 1) * w_pref, w_pref


def kept_weights(most_kept: Num, most_continuity: Num, most_travel: Num) -> tuple[Num, Num, Num]:
    """``(w_prio, w_kept, w_pref)``: :func:`level_weights` with the kept level
    between priority and continuity (``most_kept`` kept assignments at most)."""
    w_kept, w_pref = level_weights(most_continuity, most_travel)
    return (most_kept + 1) * w_kept, w_kept, w_pref


def keepable(part: Part) -> BOOL:
    """Per local request: a still-feasible previous assignment could be kept
    (its whole team is among the part's pairs)."""
    if part.keep_pair.size == 0:
        return np.zeros(part.n_requests, dtype=bool)
    count = np.bincount(part.p_req[part.keep_pair], minlength=part.n_requests)
    return np.asarray((count == part.need) & (count > 0), dtype=bool)


def most_kept(part: Part) -> int:
    """The most previous assignments any plan of ``part`` can keep."""
    return int(keepable(part).sum())


def kept(part: Part, chosen: BOOL, start: I64 | None = None, pairs: I64 | None = None) -> int:
    """Previous assignments the plan keeps: its whole previous team chosen and,
    for a timed request, its previous start (without ``start``: the team alone).

    ``chosen`` is per local pair of ``part``, or per entry of ``pairs``.
    """
    if part.keep_pair.size == 0:
        return 0
    used = np.flatnonzero(chosen) if pairs is None else pairs[chosen]
    used = used[part.keep_pair[used]]
    count = np.bincount(part.p_req[used], minlength=part.n_requests)
    ok = keepable(part) & (count == part.need)
    if start is not None:
        ok &= ~part.timed | (start == part.keep_start)
    return int(ok.sum())


def fits(most_priority: float, w_prio: float) -> bool:
    """Whether the weighted objective ``most_priority * w_prio`` fits in one number."""
    return float(most_priority) * float(w_prio) < OBJECTIVE_LIMIT


def most_continuity(part: Part, pairs: I64 | None = None) -> int:
    """The most continuity any plan of ``part`` (or of ``pairs`` only) can have:
    preferred pairs, plus per series its occurrences that have a pair."""
    sel = np.arange(part.n_pairs) if pairs is None else pairs
    per_req = np.bincount(part.p_req[sel][part.preferred[sel]], minlength=part.n_requests)
    reqs = np.unique(part.p_req[sel])
    in_series = int((part.series[reqs] >= 0).sum()) if part.series.size else 0
    return int(np.minimum(per_req[reqs], part.need[reqs]).sum()) + in_series


def series_continuity(series: I64, req: I64, vol: I64) -> int:
    """``sum over series s of max over v of n(s, v)`` for the used pairs ``(req, vol)``.

    ``series`` gives each request's series number (-1: none; may be empty);
    ``req`` and ``vol`` are the used pairs' request and volunteer indices.
    """
    if series.size == 0 or req.size == 0:
        return 0
    s = series[req]
    mine = s >= 0
    if not mine.any():
        return 0
    width = int(vol.max()) + 1
    keys, counts = np.unique(s[mine] * width + vol[mine], return_counts=True)
    of_series = keys // width
    firsts = np.flatnonzero(np.r_[True, of_series[1:] != of_series[:-1]])
    return int(np.maximum.reduceat(counts, firsts).sum())


def most_travel(part: Part, pairs: I64 | None = None, unit: int = 1) -> int:
    """The most travel (in ``unit`` metres) any plan of ``part`` (or of ``pairs``)
    can have: each request's team times its longest pair."""
    sel = np.arange(part.n_pairs) if pairs is None else pairs
    worst = np.zeros(part.n_requests, dtype=np.int64)
    np.maximum.at(worst, part.p_req[sel], part.dist_m[sel] // unit)
    reqs = np.unique(part.p_req[sel])
    return int((worst[reqs] * part.need[reqs]).sum())


def plan_key(
    part: Part, chosen: BOOL, pairs: I64 | None = None, start: I64 | None = None
) -> PlanKey:
    """The plan's value per level, comparable as a tuple (larger is better).

    ``chosen`` is per local pair of ``part``, or per entry of ``pairs`` when
    given; ``start`` per local request (see :func:`kept`). The fairness term
    is ``-fairness_cost`` over the chosen pairs (0 unless ``part.fair``).
    """
    used = np.flatnonzero(chosen) if pairs is None else pairs[chosen]
    served = np.unique(part.p_req[used])
    return (
        int(part.priority[served].sum()),
        kept(part, chosen, start, pairs),
        int(part.preferred[used].sum())
        + series_continuity(part.series, part.p_req[used], part.p_vol[used]),
        -fairness_cost(part, used) if part.fair else 0,
        -int(part.dist_m[used].sum()),
    )


def load_counts(loads: I64) -> list[int]:
    """``n[k-1]``: how many volunteers have at least ``k`` tasks, ``k = 1..max load``."""
    if loads.size == 0 or int(loads.max()) <= 0:
        return []
    per_load = np.bincount(loads)
    at_least = np.cumsum(per_load[::-1])[::-1]
    return [int(n) for n in at_least[1:]]


def fairness_cost(part: Part, used: I64) -> int:
    """The fairness level of the plan using local pairs ``used``, as one exact integer.

    With ``n_k`` the number of volunteers holding at least ``k`` tasks and
    ``B = part.n_volunteers + 1``, the cost is ``sum_k n_k * B**(k-1)``: a
    number in base ``B`` whose digits, most significant first, are
    ``n_max, ..., n_1``. Comparing two plans' costs compares these counts
    from the top load down, which is exactly comparing their sorted load
    vectors (largest first) lexicographically: the counts and the sorted
    loads are conjugate, and the first load from the top where the counts
    differ is where the sorted vectors first differ. Python integers do not
    overflow, so the comparison is exact at any size.
    """
    loads = np.bincount(part.p_vol[used], minlength=part.n_volunteers)
    base = part.n_volunteers + 1
    return sum(n * base**k for k, n in enumerate(load_counts(loads)))


def fairness_weights(caps: I64) -> list[int]:
    """``w[k-1]``: the cost of a volunteer's ``k``-th task, for a weighted sum.

    ``caps`` holds the most tasks each volunteer can ever hold. With
    ``c_j`` the number of volunteers able to hold ``j`` tasks (the most
    ``n_j`` can be), ``w_1 = 1`` and ``w_k = 1 + sum_{j<k} w_j * c_j``: one
    more volunteer at load ``k`` costs more than every change at lower loads
    together, so minimising ``sum_v sum_{k <= load_v} w_k = sum_k w_k n_k``
    minimises ``(n_max, ..., n_1)`` lexicographically, i.e. the sorted load
    vector (:func:`fairness_cost`). Exact Python integers; the caller checks
    that they fit (:func:`fits`).
    """
    counts = load_counts(np.asarray(caps, dtype=np.int64))
    weights: list[int] = []
    total = 0
    for c in counts:
        w = 1 + total
        weights.append(w)
        total += w * c
    return weights


def most_fairness(caps: I64) -> int:
    """The largest weighted fairness cost any plan can have (every volunteer at cap)."""
    counts = load_counts(np.asarray(caps, dtype=np.int64))
    return sum(w * c for w, c in zip(fairness_weights(caps), counts, strict=True))


def volunteer_caps(part: Part, pairs: I64 | None = None) -> I64:
    """The most tasks each local volunteer can hold: ``max_tasks``, and no more
    than their candidate pairs (among ``pairs`` when given)."""
    sel = np.arange(part.n_pairs) if pairs is None else pairs
    count = np.bincount(part.p_vol[sel], minlength=part.n_volunteers)
    return np.asarray(np.minimum(count, part.max_tasks), dtype=np.int64)
