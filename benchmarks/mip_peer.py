"""The ``mip`` peer: a time-indexed MIP of a timed instance, solved by HiGHS through scipy.

An exact reference for small timed instances (the S family), independent of
matchcore's engines: one binary ``x[p, s]`` per candidate pair ``p`` and
start minute ``s``, one binary ``y[r, s]`` per team request and start, and

- each request served at most once: ``sum_s y[r, s] <= 1`` (singles:
  ``sum_{p, s} x[p, s] <= 1``);
- a team is all-or-nothing at one shared start:
  ``sum_{p of r} x[p, s] = volunteers_needed * y[r, s]``;
- per volunteer and time point at most one block covering it, a block being
  the task with travel from home and back, ``[s - t, s + d + t)``;
- ``max_tasks`` and ``max_minutes`` (task plus travel both ways) per volunteer.

**Which starts.** Minutes are too many for binaries, but a plan can always be
*left-shifted*: move a request earlier while every member can still be
there and nothing overlaps; it stops when, for one member, the start is the
first minute of a feasible start interval or their block touches the end of
their previous block. So some optimal plan uses only starts of the
*left-shift closure*: the first minute of each pair's feasible intervals,
and, recursively, ``end of a block of the same volunteer + travel``. The
model keeps every start of that closure that lies in the pair's feasible
intervals (:func:`start_points`), so it is exact, not a grid. Coverage
rows are written only at block starts where a maximal clique can begin
(a block start followed by a block end before the next start).

**Objective.** matchcore's lexicographic levels (priority, continuity,
travel; no previous plan here, so no kept level) in one weighted sum whose
weights cannot trade (:func:`lexicographic_costs`), solved by one
``scipy.optimize.milp`` call (HiGHS) on the time left after building. The
plan's status is ``optimal`` when HiGHS proves it (and distances were not
coarsened), ``feasible`` otherwise; its bound on served priority comes
from HiGHS's dual bound. (Solving the levels in stages, priority first and
then the rest with priority fixed, proved priority on S in 6-9 s but then
found no plan at all in the time left: HiGHS through scipy takes no start
solution. The weighted sum solved S-timed-teams-ample to optimality in 8 s.) HiGHS
through scipy, not the ``highspy`` package, which cannot share a process
with OR-Tools.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, pair_load

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

MAX_POINTS = 400_000
"""Most (pair, start) binaries the closure may produce before the peer gives up."""


class TooManyStarts(Exception):
    """The left-shift closure grew past :data:`MAX_POINTS`."""


def start_points(part: Part, max_points: int = MAX_POINTS) -> list[I64]:
    """Per local pair, the sorted start minutes of the left-shift closure that lie in
    its feasible intervals (one start, ``0``, for an untimed pair)."""
    n_p = part.n_pairs
    untimed = np.diff(part.start_ptr) == 0
    by_req: list[set[int]] = [set() for _ in range(part.n_requests)]
    for p in np.flatnonzero(~untimed).tolist():
        a, b = int(part.start_ptr[p]), int(part.start_ptr[p + 1])
        by_req[int(part.p_req[p])].update(part.start_lo[a:b].tolist())
    pairs_of_vol: list[list[int]] = [[] for _ in range(part.n_volunteers)]
    for p in np.flatnonzero(~untimed).tolist():
        pairs_of_vol[int(part.p_vol[p])].append(p)
    feasible: list[I64] = [np.zeros(0, dtype=np.int64)] * n_p
    dirty = set(range(part.n_requests))
    while dirty:
        for p in range(n_p):
            if not untimed[p] and int(part.p_req[p]) in dirty:
                feasible[p] = _inside(part, p, by_req[int(part.p_req[p])])
        if sum(f.size for f in feasible) > max_points:
            raise TooManyStarts(f"more than {max_points:,} (pair, start) points")
        changed: set[int] = set()
        for mine in pairs_of_vol:
            if not mine:
                continue
            ends = np.unique(
                np.concatenate(
                    [
                        feasible[q] + int(part.duration[part.p_req[q]]) + int(part.travel[q])
                        for q in mine
                    ]
                )
            )
            for p in mine:
                r = int(part.p_req[p])
                new = set(_inside(part, p, (ends + int(part.travel[p])).tolist()).tolist())
                new -= by_req[r]
                if new:
                    by_req[r] |= new
                    changed.add(r)
        dirty = changed
    for p in np.flatnonzero(untimed).tolist():
        feasible[p] = np.zeros(1, dtype=np.int64)
    return feasible


def _inside(part: Part, p: int, points: Any) -> I64:
    """The sorted points that lie in pair ``p``'s feasible start intervals."""
    pts: I64 = np.unique(np.fromiter(points, dtype=np.int64))
    a, b = int(part.start_ptr[p]), int(part.start_ptr[p + 1])
    lo, hi = part.start_lo[a:b], part.start_hi[a:b]
    k = np.searchsorted(lo, pts, side="right") - 1
    ok = (k >= 0) & (pts <= hi[np.maximum(k, 0)])
    out: I64 = pts[ok]
    return out


@dataclass
class Model:
    """The MIP's columns and rows, as arrays (rows of a CSR-like triplet list)."""

    n_x: int
    x_pair: I64  # per x column: its local pair
    x_start: I64  # per x column: its start minute (0 untimed)
    n_cols: int  # x columns, then y columns (team requests)
    y_req: I64  # per y column: its local request
    y_start: I64
    served_cols: I64  # columns whose value 1 means "request served" (with their request)
    served_req: I64
    rows: list[tuple[I64, I64, F64, F64, F64]]  # (row ids, cols, coefs, lb, ub) blocks
    n_rows: int


def build_model(part: Part, points: list[I64]) -> Model:
    """Columns and rows of the time-indexed model over ``points`` (see the module)."""
    counts = np.array([p.size for p in points], dtype=np.int64)
    x_pair = np.repeat(np.arange(part.n_pairs, dtype=np.int64), counts)
    x_start = np.concatenate(points) if points else np.zeros(0, dtype=np.int64)
    n_x = int(x_pair.size)
    x_req = part.p_req[x_pair]
    team = part.need > 1
    # y columns: one per (team request, start) where some pair of it can start.
    is_team_x = team[x_req]
    keys = np.unique(np.stack((x_req[is_team_x], x_start[is_team_x]), axis=1), axis=0)
    y_req = keys[:, 0].astype(np.int64) if keys.size else np.zeros(0, dtype=np.int64)
    y_start = keys[:, 1].astype(np.int64) if keys.size else np.zeros(0, dtype=np.int64)
    n_y = int(y_req.size)
    rows: list[tuple[I64, I64, F64, F64, F64]] = []
    n_rows = 0

    def add(row: I64, col: I64, coef: F64, lb: float, ub: float, count: int) -> None:
        """Rows ``0..count-1`` of a block (numbered after the rows so far)."""
        nonlocal n_rows
        rows.append((row + n_rows, col, coef, np.full(count, lb), np.full(count, ub)))
        n_rows += count

    # each single request at most once
    single_x = np.flatnonzero(~is_team_x)
    _, single_row = np.unique(x_req[single_x], return_inverse=True)
    n_single = int(single_row.max(initial=-1)) + 1
    add(single_row.astype(np.int64), single_x, np.ones(single_x.size), -np.inf, 1.0, n_single)
    # each team request at most once, over its starts
    _, team_row = np.unique(y_req, return_inverse=True)
    n_team = int(team_row.max(initial=-1)) + 1
    add(team_row.astype(np.int64), n_x + np.arange(n_y), np.ones(n_y), -np.inf, 1.0, n_team)
    # a team's members share its start: sum x[p, s] - need * y[r, s] = 0
    team_x = np.flatnonzero(is_team_x)
    # the y column of each team x column: same request and start (y keys are sorted)
    base = int(y_start.min(initial=0))
    y_key = y_req * (2**31) + (y_start - base)
    y_of = np.searchsorted(y_key, x_req[team_x] * (2**31) + (x_start[team_x] - base))
    link_rows = np.concatenate((y_of, np.arange(n_y)))
    link_cols = np.concatenate((team_x, n_x + np.arange(n_y)))
    link_coef = np.concatenate((np.ones(team_x.size), -part.need[y_req].astype(np.float64)))
    add(link_rows.astype(np.int64), link_cols, link_coef, 0.0, 0.0, n_y)
    _overlap_rows(part, x_pair, x_start, add)
    _limit_rows(part, x_pair, add)
    served_cols = np.concatenate((single_x, n_x + np.arange(n_y))).astype(np.int64)
    served_req = np.concatenate((x_req[single_x], y_req)).astype(np.int64)
    return Model(n_x, x_pair, x_start, n_x + n_y, y_req, y_start, served_cols, served_req,
                 rows, n_rows)  # fmt: skip


def _overlap_rows(part: Part, x_pair: I64, x_start: I64, add: Any) -> None:
    """Per volunteer, at most one block over each point where a maximal clique starts."""
    timed = np.diff(part.start_ptr)[x_pair] > 0
    cols = np.flatnonzero(timed)
    if not cols.size:
        return
    p = x_pair[cols]
    t = part.travel[p]
    begin = x_start[cols] - t
    end = x_start[cols] + part.duration[part.p_req[p]] + t
    vol = part.p_vol[p]
    order = np.lexsort((begin, vol))
    cols, begin, end, vol = cols[order], begin[order], end[order], vol[order]
    bounds = np.flatnonzero(np.diff(vol)) + 1
    for idx in np.split(np.arange(cols.size), bounds):
        b, e = begin[idx], end[idx]
        pts = np.unique(b)
        ends = np.sort(e)
        nxt = np.append(pts[1:], np.iinfo(np.int64).max)
        # keep a point when a block ends before the next block start (else its set
        # of covering blocks is contained in the next point's)
        keep = np.searchsorted(ends, nxt, side="right") > np.searchsorted(ends, pts, side="right")
        pts = pts[keep]
        lo = np.searchsorted(pts, b, side="left")
        hi = np.searchsorted(pts, e, side="left")  # blocks are half-open [b, e)
        span = hi - lo
        if not pts.size or span.max(initial=0) < 1:
            continue
        first = np.cumsum(span) - span
        row = np.repeat(lo, span) + (np.arange(int(span.sum())) - np.repeat(first, span))
        col = np.repeat(cols[idx], span)
        # one block alone never needs a row: rows with a single entry are dropped
        size = np.bincount(row, minlength=pts.size)
        need = size[row] > 1
        if not need.any():
            continue
        _, row_ids = np.unique(row[need], return_inverse=True)
        n = int(row_ids.max()) + 1
        add(row_ids.astype(np.int64), col[need], np.ones(int(need.sum())), -np.inf, 1.0, n)


def _limit_rows(part: Part, x_pair: I64, add: Any) -> None:
    """``max_tasks`` and ``max_minutes`` per volunteer, where they can bind."""
    vol = part.p_vol[x_pair]
    load = pair_load(part)[x_pair].astype(np.float64)
    n_v = part.n_volunteers
    tasks_most = np.bincount(part.p_vol, minlength=n_v)
    minutes_most = np.bincount(part.p_vol, weights=pair_load(part), minlength=n_v)
    for limit, most, coef in (
        (part.max_tasks, tasks_most, np.ones(vol.size)),
        (part.max_minutes, minutes_most, load),
    ):
        binds = limit < most
        take = binds[vol]
        if not take.any():
            continue
        which = np.flatnonzero(binds)
        row_of = np.full(n_v, -1, dtype=np.int64)
        row_of[which] = np.arange(which.size)
        cols = np.flatnonzero(take)
        rows = row_of[vol[cols]]
        # one row per volunteer: the ub is that volunteer's limit
        for k, v in enumerate(which.tolist()):
            mine = rows == k
            add(np.zeros(int(mine.sum()), dtype=np.int64), cols[mine], coef[cols[mine]],
                -np.inf, float(limit[v]), 1)  # fmt: skip


@dataclass
class MipOutcome:
    result: PartResult | None
    status: str  # HiGHS's message
    columns: int
    rows: int
    distance_unit_m: int
    priority_bound: int | None  # scaled


def lexicographic_costs(part: Part, model: Model) -> tuple[F64, float, float, int]:
    """Per column: ``w_prio * priority + w_pref * preferred - distance``, and the weights.

    One preferred pair outweighs all travel any plan can have (at most
    ``volunteers_needed`` times the farthest pair of every request); one
    unit of priority all continuity and travel. Distance is coarsened by
    tens while the objective would pass 2**50 (exact double arithmetic with
    room for HiGHS's tolerances).
    """
    n = model.n_cols
    prio = np.zeros(n)
    prio[model.served_cols] = part.priority[model.served_req].astype(np.float64)
    pref = np.zeros(n)
    pref[: model.n_x] = part.preferred[model.x_pair].astype(np.float64)
    unit = 1
    while True:
        dist_unit = np.ceil(part.dist_m.astype(np.float64) / unit)
        far = np.zeros(part.n_requests)
        np.maximum.at(far, part.p_req, dist_unit)
        # a team's travel is its members' trips: up to `need` times its farthest pair
        w_pref = float((far * part.need).sum()) + 1.0
        w_prio = (float(part.preferred.sum()) + 1.0) * w_pref
        if w_prio * float(part.priority.sum() + 1) < 2.0**50 or unit >= 10**9:
            break
        unit *= 10
    dist = np.zeros(n)
    dist[: model.n_x] = dist_unit[model.x_pair]
    return w_prio * prio + w_pref * pref - dist, w_prio, w_pref, unit


def solve_mip(part: Part, time_limit_s: float) -> MipOutcome:
    """The lexicographic time-indexed MIP of ``part`` within ``time_limit_s`` seconds
    (closure and model building included)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    started = time.perf_counter()
    points = start_points(part)
    model = build_model(part, points)
    row = np.concatenate([b[0] for b in model.rows])
    col = np.concatenate([b[1] for b in model.rows])
    val = np.concatenate([b[2] for b in model.rows])
    lb = np.concatenate([b[3] for b in model.rows])
    ub = np.concatenate([b[4] for b in model.rows])
    matrix = coo_matrix((val, (row, col)), shape=(lb.size, model.n_cols)).tocsr()
    cost, w_prio, w_pref, unit = lexicographic_costs(part, model)
    left = max(time_limit_s - (time.perf_counter() - started), 0.05)
    res = milp(
        -cost,
        integrality=np.ones(model.n_cols),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(matrix, lb, ub)],
        options={"time_limit": left, "disp": False, "mip_rel_gap": 0.0},
    )
    dual = getattr(res, "mip_dual_bound", None)
    bound = None
    if dual is not None and np.isfinite(dual):
        # cost = w_prio * P + (w_pref * C - D) with -w_pref < w_pref * C - D < w_prio
        bound = int(np.floor((-float(dual) + w_pref - 1.0 + 1e-6) / w_prio))
    if res.x is None:
        return MipOutcome(None, str(res.message), model.n_cols, int(lb.size), unit, bound)
    x = np.round(res.x)[: model.n_x] > 0.5
    chosen = np.zeros(part.n_pairs, dtype=bool)
    chosen[model.x_pair[x]] = True
    start = np.full(part.n_requests, NO_START, dtype=np.int64)
    timed_x = x & part.timed[part.p_req[model.x_pair]]
    start[part.p_req[model.x_pair[timed_x]]] = model.x_start[timed_x]
    achieved = int(part.priority[np.unique(part.p_req[chosen])].sum())
    optimal = res.status == 0
    proven = achieved if optimal else max(bound if bound is not None else achieved, achieved)
    result = PartResult(chosen, start, optimal and unit == 1, proven, "mip")
    return MipOutcome(result, str(res.message), model.n_cols, int(lb.size), unit, bound)
