"""Column generation over volunteer schedules: a schedule-level bound and plan for
large timed parts.

Columns
-------
A *slot* is one CSR row of a part: a pair (request, volunteer) in one of the
volunteer's availability windows, with the block ``[s - t, s + d + t)`` the
task occupies when it starts at minute ``s`` (``t`` travel one way, ``d`` the
duration). A *column* is a feasible schedule of one volunteer in one window:
slots of distinct requests whose blocks do not overlap, each at a start in
its interval. A volunteer's windows are disjoint (availability is merged),
so a plan of the part is one column per volunteer-window.

Master
------
The set-packing LP over columns ``lambda_c >= 0`` and requests ``y_r``::

    max  sum_r priority_r y_r
    s.t. sum_c a_rc lambda_c - need_r y_r = 0       (pi_r, free)  each request's team
         0 <= y_r <= 1
         sum_{c in window w} lambda_c <= 1           (sigma_w >= 0) one column per window
         sum_{c of v} tasks_c lambda_c   <= max_tasks_v    (mu_v >= 0)
         sum_{c of v} minutes_c lambda_c <= max_minutes_v  (nu_v >= 0)

over the columns generated so far (the *restricted* master, solved by HiGHS
through :func:`scipy.optimize.linprog`; the ``highspy`` package cannot share a
process with OR-Tools). Every plan of the part is an integer point of the
master over *all* columns.

The bound (valid for any multipliers)
-------------------------------------
For any ``pi`` (free) and ``mu, nu >= 0`` let the value of a slot be
``val_k = pi_r - mu_v - nu_v * load_k`` (``load_k = d + 2t``). Then every
plan's served priority is at most::

    L(pi, mu, nu) = sum_r max(0, priority_r - need_r pi_r)
                  + sum_w max(0, best_w)
                  + sum_v (mu_v max_tasks_v + nu_v max_minutes_v)

where ``best_w`` is at least the largest ``sum of val_k`` over the columns
of window ``w``. *Proof.* Take a plan with served set ``S`` and columns
``c_w``. Its priority is ``sum_{r in S} priority_r``. Add
``sum_r pi_r (sum_w a_{r c_w} - need_r [r in S])``, which is zero (each
served request has exactly ``need_r`` members, an unserved one none), and
``mu_v (max_tasks_v - tasks_v) + nu_v (max_minutes_v - minutes_v)``, which is
non-negative. Regrouped, the total is ``sum_r [r in S](priority_r - need_r
pi_r) + sum_w val(c_w) + sum_v (mu_v max_tasks_v + nu_v max_minutes_v)``,
and each term is at most its counterpart in ``L``. ``L`` at the restricted
master's optimal duals is the LP value plus the windows' positive reduced
costs (the Farley / Lagrangian bound of column generation); at the full
master's optimum it is the LP bound itself. It is evaluated in float64 and
rounded up by a margin larger than the rounding error, then down to an
integer (served priority is integral).

Pricing
-------
``best_w`` comes from a dynamic programme over time on a grid of ``G``
minutes (:class:`Pricer`): with block starts ``b`` measured from the
window's earliest block, ``floor(b/G)`` of consecutive blocks differ by at
least ``floor(length/G)`` (``b2 >= b1 + l1`` implies ``floor(b2/G) >=
floor(b1/G) + floor(l1/G)``), so the grid programme's schedules include
every real one (it may also place blocks that do not really fit, or take a
slot again, though never twice in a row: no real column repeats a request):
its maximum is an upper bound on the real one, as the bound needs. ``G`` is
at most the shortest block, so every block moves the programme forward.
Only slots of positive value enter it (dropping a negative slot from a
schedule never lowers its value). The programme runs for all windows at
once, one vectorised step per grid point. Columns taken
from it are re-timed exactly (earliest starts in grid order), keeping only
slots that fit and requests not yet in the column: what enters the master is
always a real schedule.

Plans
-----
The greedy plan first (it seeds the pool: never below it). From the last
master's (approximate) primal: columns taken greedily by LP
value where they do not clash, or what is left of them without the requests
already served (:func:`round_columns`), teams given one
common start inside every member's slack (else dropped), and the requests
left out added greedily where they still fit (:func:`filled`: the greedy
engine books the rounded plan first, as it books a previous plan). Then the
integer restricted master (CP-SAT over the columns the LP uses and the best
plan's, hinted with the best plan (all of it, :func:`plan_columns`), with
the lexicographic objective of
:mod:`matchcore.engines.objective`: priority, then continuity, then
distance; the part has no kept level, see :func:`applies`), filled the same
way, after a price-and-dive (:func:`dive`: fix the columns the LP takes
whole and the largest share of the fractional ones, price what is open,
solve again, until nothing is fractional; its last LP rounded and filled),
and the large-neighbourhood search (:mod:`matchcore.engines.lns`) from
the best plan for the rest of the time. The result is never worse than the
start plan (the greedy one), lexicographically.

Time
----
Of the part's deadline, ``ColGenParams.generation_share`` goes to the rounds
(master LP and pricing on the finest grid whose events, table cells and memory
fit that share, :func:`round_grid`; none when even the coarsest does not; one
LP at most ``lp_round_s``; a pricing, which cannot stop, only with
``round_margin`` times the last one's time left), one last pricing on a finer
grid for the bound (:func:`refined_bound`, over the windows of positive slots
only, after the rounds' tables are freed), then rounding; the rounds stop early once a
round lowers the bound by at most ``bound_stall`` of it. ``dive_share`` of
what is left (less one more fill) to the dive,
``master_share`` of what is left to the integer master (skipped with less
than ``master_min_s`` left: its model is built in Python), the rest to the
LNS. Every step checks the one deadline.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix, diags, vstack

from matchcore.engines import objective
from matchcore.engines.cpsat import CpSatSettings
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.lns import solve_lns
from matchcore.engines.roles import many_roles
from matchcore.params import ColGenParams, Deadline, SolveParams
from matchcore.tasks.arrays import NO_START, csr_rows
from matchcore.tasks.parts import Part, PartResult, has_daily, limits_bind

log = logging.getLogger(__name__)

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]


def applies(part: Part, params: SolveParams) -> bool:
    """Whether the pipeline gives ``part`` to column generation: switched on,
    large (``ColGenParams.from_timed_pairs`` pairs or more) and :func:`supports`."""
    cp = params.colgen
    return cp.enabled and part.n_pairs >= cp.from_timed_pairs and supports(part)


def supports(part: Part) -> bool:
    """Whether columns can express every rule of ``part``, whatever its size.

    Every request timed, nothing pinned, no previous plan to keep, no team of
    several roles, no limit per day, no fairness level and no repeating
    request: those rules live in the exact model and the LNS, not in columns.
    A ride is a column like any task: its legs are in the pair's travel
    (``Part.travel``, ``Part.dist_m``).
    """
    if not bool(part.timed.all()) or bool(part.pinned.any()) or bool(part.keep_pair.any()):
        return False
    if many_roles(part) or has_daily(part) or part.fair:
        return False
    return not bool((part.series >= 0).any())


# -- slots and windows -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Slots:
    """The part's slots (CSR rows), with compact windows and their volunteers.

    Block starts are minutes; ``origin`` per window is its earliest block start.
    """

    req: I64
    vol: I64
    pair: I64
    window: I64  # compact window index
    block_lo: I64
    block_hi: I64
    length: I64  # block length: duration + 2 travel (also the slot's load)
    travel: I64
    window_vol: I64  # per window: its volunteer
    origin: I64  # per window

    @property
    def n_slots(self) -> int:
        return int(self.req.size)

    @property
    def n_windows(self) -> int:
        return int(self.window_vol.size)


def slots_of(part: Part) -> Slots:
    """The :class:`Slots` of an all-timed ``part``."""
    pair = np.repeat(np.arange(part.n_pairs, dtype=np.int64), np.diff(part.start_ptr))
    req = part.p_req[pair]
    travel = part.travel[pair]
    ids, window = np.unique(part.start_window, return_inverse=True)
    window = window.astype(np.int64)
    window_vol = np.zeros(ids.size, dtype=np.int64)
    window_vol[window] = part.p_vol[pair]
    block_lo = part.start_lo - travel
    origin = np.full(ids.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(origin, window, block_lo)
    return Slots(
        req=req,
        vol=part.p_vol[pair],
        pair=pair,
        window=window,
        block_lo=block_lo,
        block_hi=part.start_hi - travel,
        length=part.duration[req] + 2 * travel,
        travel=travel,
        window_vol=window_vol,
        origin=origin,
    )


# -- pricing ---------------------------------------------------------------------------


class Pricer:
    """The grid programme of the module notes, for all windows at once.

    ``best(value)`` returns, per window, an upper bound on the most any
    column of the window is worth when slot ``k`` is worth ``value[k]``
    (0 for the empty column); ``columns`` then reads schedules off the last
    programme.
    """

    def __init__(self, slots: Slots, grid: int) -> None:
        self.slots = slots
        self.grid = g = _step(slots, grid)
        rel_lo = slots.block_lo - slots.origin[slots.window]
        rel_hi = slots.block_hi - slots.origin[slots.window]
        self.g_lo = rel_lo // g
        self.g_hi = rel_hi // g
        self.g_len = slots.length // g
        self.horizon = int((self.g_hi + self.g_len).max(initial=0)) + 1
        # Every (slot, grid point) a block may start at, sorted by grid point once
        # (a counting sort); each round keeps those of positive slots.
        span = self.g_hi - self.g_lo + 1
        item = np.repeat(np.arange(slots.n_slots, dtype=np.int64), span)
        first = np.cumsum(span) - span
        tau = self.g_lo[item] + (np.arange(item.size) - np.repeat(first, span))
        small = np.int16 if self.horizon < 2**15 else np.int32  # numpy radix-sorts int16
        order = np.argsort(tau.astype(small), kind="stable")
        self._item = item[order].astype(np.int32)
        self._tau = tau[order]
        # Where the block's end leads in the flat table: (tau + length) * n_w + window.
        n_w = slots.n_windows
        self._next = (self._tau + self.g_len[self._item]) * n_w + slots.window[self._item]
        self._b1: F64
        self._b2: F64
        self._f1: NDArray[np.int32]
        self._arg1: NDArray[np.int32]
        self._arg2: NDArray[np.int32]
        self.last_events = 0  # the events the last programme scored (of positive slots)
        self.release()

    def release(self) -> None:
        """Free the last programme's tables (the next :meth:`best` builds new ones;
        :meth:`columns` and :meth:`first_values` read the last)."""
        n_w = self.slots.n_windows
        self._b1, self._b2 = np.zeros((1, n_w)), np.zeros((1, n_w))
        self._f1 = np.full((1, n_w), -1, dtype=np.int32)
        self._arg1 = np.full((1, n_w), -1, dtype=np.int32)
        self._arg2 = np.full((1, n_w), -1, dtype=np.int32)

    def best(self, value: F64) -> F64:
        """Per window: the programme's best column value (at least 0).

        The programme never takes a slot twice in a row. A real column never
        serves a request twice, and a window holds one slot per request, so its
        grid schedule never repeats a slot; without this rule the programme
        would (a slot whose interval is wider than its block, again and again),
        which was most of its excess over the real columns. Each grid point
        keeps, per window, the best value ``b1`` from it on, the slot ``f1``
        that schedule begins with, and the best value ``b2`` of the schedules
        that begin with another slot (or with none: the empty one, 0); a slot
        taken at ``t`` continues with ``b1`` unless that begins with the same
        slot, then with ``b2``. The maximum is over the schedules without a
        slot twice in a row, which include every real one: still a bound.
        """
        n_w, horizon = self.slots.n_windows, self.horizon
        keep = value[self._item] > 0
        item, nxt = self._item[keep], self._next[keep]
        self.last_events = int(item.size)
        win = self.slots.window[item]
        val = value[item]
        ptr = np.concatenate(([0], np.cumsum(np.bincount(self._tau[keep], minlength=horizon))))
        b1 = np.zeros((horizon + 1, n_w))
        b2 = np.zeros((horizon + 1, n_w))
        f1 = np.full((horizon + 1, n_w), -1, dtype=np.int32)
        # How b1 / b2 at t came about: the slot started at t, or -1: as at t + 1
        # (and -2 for b2: it is b1 at t + 1, the best before a new first slot).
        arg1 = np.full((horizon + 1, n_w), -1, dtype=np.int32)
        arg2 = np.full((horizon + 1, n_w), -1, dtype=np.int32)
        flat1, flat2, flat_f = b1.reshape(-1), b2.reshape(-1), f1.reshape(-1)
        for t in range(horizon - 1, -1, -1):
            row1, row2, rowf = b1[t], b2[t], f1[t]
            row1[:] = b1[t + 1]
            row2[:] = b2[t + 1]
            rowf[:] = f1[t + 1]
            a, b = ptr[t], ptr[t + 1]
            if a == b:
                continue
            w, it, nx = win[a:b], item[a:b], nxt[a:b]
            cand = val[a:b] + np.where(flat_f[nx] != it, flat1[nx], flat2[nx])
            np.maximum.at(row1, w, cand)
            won = (cand >= row1[w]) & (row1[w] > b1[t + 1, w])
            arg1[t, w[won]] = it[won]
            rowf[w[won]] = it[won]
            moved = rowf != f1[t + 1]  # a new first slot: the old best is a second best
            row2[moved] = b1[t + 1, moved]
            arg2[t, moved] = -2
            other = it != rowf[w]
            before = row2.copy()
            np.maximum.at(row2, w[other], cand[other])
            up = other & (cand >= row2[w]) & (row2[w] > before[w])
            arg2[t, w[up]] = it[up]
        self._b1, self._b2, self._f1, self._arg1, self._arg2 = b1, b2, f1, arg1, arg2
        return np.asarray(b1[0], dtype=np.float64).copy()

    def _after(self, slot: I64, tau: I64, window: I64) -> tuple[I64, BOOL]:
        """Where a schedule goes on after ``slot`` started at grid point ``tau``:
        the next grid point and whether it continues with ``b2`` (``b1`` begins
        with the same slot)."""
        nxt = np.minimum(tau + self.g_len[slot], self.horizon)
        return nxt, self._f1[nxt, window] == slot

    def first_values(self, value: F64) -> F64:
        """Per slot of positive value: the best column whose first block is that slot
        at its earliest grid point (``-inf`` for the others); after :meth:`best`."""
        out = np.full(value.size, -np.inf)
        pos = np.flatnonzero(value > 0)
        window = self.slots.window[pos]
        nxt, second = self._after(pos, self.g_lo[pos], window)
        out[pos] = value[pos] + np.where(second, self._b2[nxt, window], self._b1[nxt, window])
        return out

    def columns(self, windows: I64, firsts: I64) -> tuple[I64, I64]:
        """Schedules read off the last programme, one per entry of ``windows``:
        ``(column, slot)`` of every block, grouped by column, in grid order.

        ``firsts[i]`` is a slot to begin window ``windows[i]``'s schedule with,
        or -1 for the programme's best schedule from the window's start.
        """
        horizon = self.horizon
        n = windows.size
        tau = np.zeros(n, dtype=np.int64)
        second = np.zeros(n, dtype=bool)  # following b2, else b1
        has = firsts >= 0
        cols, items = [np.flatnonzero(has)], [firsts[has]]
        tau[has], second[has] = self._after(firsts[has], self.g_lo[firsts[has]], windows[has])
        live = np.arange(n)
        while live.size:
            live = live[tau[live] < horizon]
            if live.size == 0:
                break
            t, w, sec = tau[live], windows[live], second[live]
            live = live[np.where(sec, self._b2[t, w], self._b1[t, w]) > 0]  # nothing more
            t, w, sec = tau[live], windows[live], second[live]
            how = np.where(sec, self._arg2[t, w], self._arg1[t, w]).astype(np.int64)
            took = how >= 0
            on = live[took]
            cols.append(on)
            items.append(how[took])
            tau[on], second[on] = self._after(how[took], t[took], w[took])
            rest = live[~took]
            tau[rest] += 1
            second[rest] &= how[~took] != -2
        col, item = np.concatenate(cols), np.concatenate(items)
        order = np.argsort(col, kind="stable")  # steps were appended in grid order
        return col[order], item[order]


def exact_columns(slots: Slots, col: I64, item: I64) -> tuple[BOOL, I64]:
    """The real schedules in the given order (entries grouped by column): earliest
    block starts, keeping only slots that fit and requests not yet in their
    column. Returns the kept mask and each kept entry's task start."""
    n = int(col.max(initial=-1)) + 1
    first = np.searchsorted(col, np.arange(n))
    position = np.arange(col.size) - first[col]
    keep = np.zeros(col.size, dtype=bool)
    start = np.zeros(col.size, dtype=np.int64)
    free = np.full(n, -(2**62), dtype=np.int64)
    depth = int(position.max(initial=-1)) + 1
    at = np.full((n, max(depth, 1)), -1, dtype=np.int64)  # entry at (column, position)
    at[col, position] = np.arange(col.size)
    req = slots.req[item]
    for j in range(depth):
        e = np.flatnonzero(position == j)
        c, k = col[e], item[e]
        b = np.maximum(slots.block_lo[k], free[c])
        ok = b <= slots.block_hi[k]
        for i in range(j):  # a request already kept earlier in the column
            before = at[c, i]
            ok &= ~(keep[before] & (req[before] == req[e]))
        e, c, k, b = e[ok], c[ok], k[ok], b[ok]
        keep[e] = True
        start[e] = b + slots.travel[k]
        free[c] = b + slots.length[k]
    return keep, start


# -- the column pool ---------------------------------------------------------------------


class Pool:
    """Generated columns in CSR form (window, slots and task starts), deduplicated
    by (window, set of requests) through a 64-bit hash (a collision could only
    drop a column, never add a wrong one)."""

    def __init__(self, slots: Slots) -> None:
        self._slots = slots
        rng = np.random.default_rng(12345)
        self._req_hash = rng.integers(1, 2**63, size=int(slots.req.max(initial=0)) + 1)
        self._win_hash = rng.integers(1, 2**63, size=max(slots.n_windows, 1))
        self.window = np.zeros(0, dtype=np.int64)
        self.ptr = np.zeros(1, dtype=np.int64)
        self.slot = np.zeros(0, dtype=np.int64)
        self.start = np.zeros(0, dtype=np.int64)
        self._keys = np.zeros(0, dtype=np.uint64)

    def __len__(self) -> int:
        return int(self.window.size)

    def items(self, c: int) -> list[int]:
        """Column ``c``'s slots, in time order."""
        out: list[int] = self.slot[self.ptr[c] : self.ptr[c + 1]].tolist()
        return out

    def starts(self, c: int) -> list[int]:
        """Column ``c``'s task starts (minutes), in time order."""
        out: list[int] = self.start[self.ptr[c] : self.ptr[c + 1]].tolist()
        return out

    def add(self, window: int, items: list[int], starts: list[int]) -> int:
        """Add one column; 1 when it is new."""
        return self.add_many(
            np.array([window], dtype=np.int64),
            np.zeros(len(items), dtype=np.int64),
            np.asarray(items, dtype=np.int64),
            np.asarray(starts, dtype=np.int64),
        )

    def add_many(self, window: I64, col: I64, slot: I64, start: I64) -> int:
        """Add columns ``window[i]`` made of the entries ``col == i`` (grouped, in
        order); empty and known ones are skipped. Returns how many were new."""
        n = window.size
        key = self._win_hash[window].astype(np.uint64)
        np.add.at(key, col, self._req_hash[self._slots.req[slot]].astype(np.uint64))
        size = np.bincount(col, minlength=n)
        _, first = np.unique(key, return_index=True)
        fresh = np.zeros(n, dtype=bool)
        fresh[first] = True
        fresh &= size > 0
        if self._keys.size:
            at = np.minimum(np.searchsorted(self._keys, key), self._keys.size - 1)
            fresh &= self._keys[at] != key
        if not fresh.any():
            return 0
        self.window = np.concatenate((self.window, window[fresh]))
        self.ptr = np.concatenate((self.ptr, self.ptr[-1] + np.cumsum(size[fresh])))
        self.slot = np.concatenate((self.slot, slot[fresh[col]]))
        self.start = np.concatenate((self.start, start[fresh[col]]))
        self._keys = np.sort(np.concatenate((self._keys, key[fresh])))
        return int(fresh.sum())

    def extend(self, window: I64, col: I64, slot: I64, start: I64) -> int:
        """Add columns as :meth:`add_many` does, but every one of them, even when a
        column of the same requests is known (its starts may differ), in order;
        returns the index of the first."""
        first = len(self)
        key = self._win_hash[window].astype(np.uint64)
        np.add.at(key, col, self._req_hash[self._slots.req[slot]].astype(np.uint64))
        size = np.bincount(col, minlength=window.size)
        self.window = np.concatenate((self.window, window))
        self.ptr = np.concatenate((self.ptr, self.ptr[-1] + np.cumsum(size)))
        self.slot = np.concatenate((self.slot, slot))
        self.start = np.concatenate((self.start, start))
        self._keys = np.sort(np.concatenate((self._keys, key)))
        return first

    def subset(self, cols: I64) -> Pool:
        """A pool of the columns ``cols`` only (numbered in that order)."""
        out = Pool.__new__(Pool)
        out._slots, out._req_hash, out._win_hash = self._slots, self._req_hash, self._win_hash
        sizes = self.ptr[cols + 1] - self.ptr[cols]
        rows = csr_rows(self.ptr, cols)
        out.window = self.window[cols]
        out.ptr = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        out.slot, out.start = self.slot[rows], self.start[rows]
        out._keys = np.zeros(0, dtype=np.uint64)
        return out

    def entries(self) -> tuple[I64, I64]:
        """(column, slot) of every entry."""
        col = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.ptr))
        return col, self.slot


def add_plan(part: Part, slots: Slots, pool: Pool, plan: PartResult) -> int:
    """Add the plan's columns (one per volunteer-window it uses) to ``pool``;
    returns how many were new."""
    return pool.add_many(*_plan_columns(part, slots, plan))


def plan_columns(part: Part, slots: Slots, pool: Pool, plan: PartResult) -> list[int]:
    """Add the plan's columns to ``pool`` even where the pool knows columns of the
    same requests (at other starts); returns their indices."""
    windows, col, slot, start = _plan_columns(part, slots, plan)
    first = pool.extend(windows, col, slot, start)
    return list(range(first, first + windows.size))


def _plan_columns(part: Part, slots: Slots, plan: PartResult) -> tuple[I64, I64, I64, I64]:
    """The plan as columns: windows, and (column, slot, task start) of every entry."""
    used = np.flatnonzero(plan.chosen)
    start = plan.start[part.p_req[used]]
    rows_of = np.diff(part.start_ptr)[used]
    pair_row = np.repeat(np.arange(used.size), rows_of)
    k = csr_rows(part.start_ptr, used)
    fits = (part.start_lo[k] <= start[pair_row]) & (start[pair_row] <= part.start_hi[k])
    k, pair_row = k[fits], pair_row[fits]
    _, first = np.unique(pair_row, return_index=True)  # one row per used pair
    k, s = k[first], start[pair_row[first]]
    windows, col = np.unique(slots.window[k], return_inverse=True)
    order = np.lexsort((s, col))
    return windows, col[order].astype(np.int64), k[order], s[order]


# -- the master LP -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Limits:
    """Volunteers whose weekly task or minute limit can bind (rows of the master)."""

    tasks: I64  # local volunteers
    minutes: I64

    @classmethod
    def of(cls, part: Part) -> Limits:
        tasks_bind, minutes_bind = limits_bind(part)
        return cls(np.flatnonzero(tasks_bind), np.flatnonzero(minutes_bind))


@dataclass(frozen=True, eq=False)
class Duals:
    """Multipliers of the master's rows (``mu``, ``nu`` per local volunteer, 0 off the rows)."""

    pi: F64
    sigma: F64
    mu: F64
    nu: F64
    lp_value: float
    primal: F64 = field(default_factory=lambda: np.zeros(0))  # per column of the pool


@dataclass
class Master:
    """The restricted master LP, with fixed rows so that one round warm-starts the next.

    Variables: the teams' ``y_r`` first, then one per column of the pool.
    Rows: a packing row per single-volunteer request (its ``y_r`` is its
    column sum, its priority sits on the columns), one per window, the
    binding task and minute limits (``<=``), then one equality per team
    (``sum a_rc lambda_c - need_r y_r = 0``). Rows are scaled to a right-hand
    side of at most 1 and the objective to at most 1 (first-order solvers
    converge much faster so); the duals are scaled back and mapped to the
    form of the module notes (``pi_r = priority_r - packing dual`` for a
    single request, the equality's dual for a team).
    """

    part: Part
    slots: Slots
    limits: Limits
    primal: F64 = field(default_factory=lambda: np.zeros(0))
    dual: F64 = field(default_factory=lambda: np.zeros(0))

    def solve(
        self, pool: Pool, time_limit_s: float, method: str, lower: F64 | None = None
    ) -> Duals | None:
        """The LP over ``pool``'s columns, each at least ``lower`` (per column;
        default 0: the dive fixes columns at 1); None when the solver fails."""
        part, slots, limits = self.part, self.slots, self.limits
        n_c, n_r, n_w = len(pool), part.n_requests, slots.n_windows
        col, slot = pool.entries()
        req = slots.req[slot]
        single = part.need == 1
        teams = np.flatnonzero(~single)
        n_t = teams.size
        n_x = n_t + n_c
        xcol = n_t + col
        gain = np.bincount(col, weights=(part.priority * single)[req], minlength=n_c)
        obj_scale = float(max(part.priority.max(initial=1), 1))
        cost: F64 = np.asarray(
            -np.concatenate((part.priority[teams].astype(np.float64), gain)) / obj_scale, np.float64
        )
        win = np.asarray(pool.window, dtype=np.int64)
        col_vol = slots.window_vol[win]
        tasks = np.bincount(col, minlength=n_c).astype(np.float64)
        minutes = np.bincount(col, weights=slots.length[slot], minlength=n_c).astype(np.float64)
        on_single = single[req]
        team_index = np.full(n_r, -1, dtype=np.int64)
        team_index[teams] = np.arange(n_t)
        in_team = ~on_single
        k_cap = part.max_tasks[limits.tasks].astype(np.float64)
        m_cap = part.max_minutes[limits.minutes].astype(np.float64)
        eq = coo_matrix(
            (
                np.concatenate((np.ones(int(in_team.sum())), -part.need[teams].astype(float))),
                (
                    np.concatenate((team_index[req[in_team]], np.arange(n_t))),
                    np.concatenate((xcol[in_team], np.arange(n_t))),
                ),
            ),
            shape=(n_t, n_x),
        ).tocsr()
        singles = np.flatnonzero(single)
        matrix = vstack(
            [
                _rows_of(
                    req[on_single], np.ones(int(on_single.sum())), singles, n_x, xcol[on_single]
                ),
                _rows_of(win, np.ones(n_c), np.arange(n_w), n_x, n_t + np.arange(n_c)),
                _rows_of(col_vol, tasks, limits.tasks, n_x, n_t + np.arange(n_c)),
                _rows_of(col_vol, minutes, limits.minutes, n_x, n_t + np.arange(n_c)),
                eq,
            ]
        ).tocsr()
        n_ub = singles.size + n_w + k_cap.size + m_cap.size
        rhs = np.concatenate((np.ones(singles.size + n_w), k_cap, m_cap, np.zeros(n_t)))
        row_scale = 1.0 / np.maximum(rhs, 1.0)
        upper = np.concatenate((np.ones(n_t), np.full(n_c, np.inf)))
        low = np.zeros(n_t + n_c)
        if lower is not None:
            low[n_t : n_t + lower.size] = lower[:n_c]
        solved = (
            self._pdlp(cost, matrix, rhs, row_scale, n_ub, (low, upper), time_limit_s)
            if method == "pdlp"
            else self._highs(cost, matrix, rhs, row_scale, n_ub, (low, upper), time_limit_s)
        )
        if solved is None:
            return None
        x, dual, value = solved  # dual: >= 0 on "<=" rows (scaled rows and objective)
        dual = dual * row_scale * obj_scale
        pi = part.priority.astype(np.float64)
        pi[singles] -= np.maximum(dual[: singles.size], 0.0)
        pi[teams] = -dual[n_ub:]
        at = singles.size
        sigma = np.maximum(dual[at : at + n_w], 0.0)
        at += n_w
        mu = np.zeros(part.n_volunteers)
        nu = np.zeros(part.n_volunteers)
        mu[limits.tasks] = np.maximum(dual[at : at + k_cap.size], 0.0)
        at += k_cap.size
        nu[limits.minutes] = np.maximum(dual[at:n_ub], 0.0)
        return Duals(pi, sigma, mu, nu, -value * obj_scale, x[n_t:])

    def _highs(
        self,
        cost: F64,
        matrix: csr_matrix,
        rhs: F64,
        row_scale: F64,
        n_ub: int,
        box: tuple[F64, F64],
        time_limit_s: float,
    ) -> tuple[F64, F64, float] | None:
        lower, upper = box
        scaled = csr_matrix(diags(row_scale) @ matrix)
        res = linprog(
            cost,
            A_ub=scaled[:n_ub],
            b_ub=rhs[:n_ub] * row_scale[:n_ub],
            A_eq=scaled[n_ub:] if rhs.size > n_ub else None,
            b_eq=rhs[n_ub:] if rhs.size > n_ub else None,
            bounds=np.column_stack((lower, upper)),
            method="highs",
            options={"time_limit": max(time_limit_s, 0.05), "presolve": True},
        )
        if res.status != 0 or res.ineqlin is None:
            return None
        dual = -np.concatenate(
            (
                np.asarray(res.ineqlin.marginals, dtype=np.float64),
                np.asarray(res.eqlin.marginals if rhs.size > n_ub else [], dtype=np.float64),
            )
        )
        return np.asarray(res.x, dtype=np.float64), dual, float(res.fun)

    def _pdlp(
        self,
        cost: F64,
        matrix: csr_matrix,
        rhs: F64,
        row_scale: F64,
        n_ub: int,
        box: tuple[F64, F64],
        time_limit_s: float,
    ) -> tuple[F64, F64, float] | None:
        from ortools.pdlp import solvers_pb2
        from ortools.pdlp.python import pdlp

        n_x, m = cost.size, rhs.size
        qp = pdlp.QuadraticProgram()
        qp.resize_and_initialize(n_x, m)
        qp.objective_vector = cost
        qp.constraint_matrix = csc_matrix(diags(row_scale) @ matrix)
        lower = np.full(m, -np.inf)
        lower[n_ub:] = rhs[n_ub:] * row_scale[n_ub:]
        qp.constraint_lower_bounds = lower
        qp.constraint_upper_bounds = rhs * row_scale
        lower_x, upper = box
        qp.variable_lower_bounds = lower_x
        qp.variable_upper_bounds = upper
        params = solvers_pb2.PrimalDualHybridGradientParams()
        params.termination_criteria.time_sec_limit = max(time_limit_s, 0.01)
        params.termination_criteria.eps_optimal_relative = 1e-5
        params.termination_criteria.eps_optimal_absolute = 1e-5
        params.num_threads = 1
        warm = None
        if self.dual.size == m:
            warm = pdlp.PrimalAndDualSolution()
            primal = np.zeros(n_x)
            primal[: self.primal.size] = self.primal
            warm.primal_solution = primal
            warm.dual_solution = self.dual
        result = pdlp.primal_dual_hybrid_gradient(qp, params, initial_solution=warm)
        x = np.asarray(result.primal_solution, dtype=np.float64)
        raw = np.asarray(result.dual_solution, dtype=np.float64)
        self.primal, self.dual = x, raw
        x = np.clip(x, lower_x, upper)
        return x, -raw, float(cost @ x)


def _rows_of(group: I64, coef: F64, rows: I64, n_cols: int, cols: I64 | None = None) -> csr_matrix:
    """One row per entry of ``rows`` (a group id): ``coef`` at column ``cols[i]``
    (default ``i``) of every entry ``i`` in that group."""
    index = np.full(int(max(group.max(initial=-1), rows.max(initial=-1))) + 1, -1, dtype=np.int64)
    index[rows] = np.arange(rows.size)
    at = index[group] if group.size else np.zeros(0, dtype=np.int64)
    keep = at >= 0
    where = np.arange(group.size) if cols is None else cols
    return csr_matrix((coef[keep], (at[keep], where[keep])), shape=(rows.size, n_cols))


# -- the bound ---------------------------------------------------------------------------


def slot_values(part: Part, slots: Slots, pi: F64, mu: F64, nu: F64) -> F64:
    """``val_k = pi_r - mu_v - nu_v * load_k`` per slot."""
    return np.asarray(pi[slots.req] - mu[slots.vol] - nu[slots.vol] * slots.length, np.float64)


def lagrangian_bound(part: Part, best: F64, pi: F64, mu: F64, nu: F64) -> int:
    """``floor(L(pi, mu, nu))`` of the module notes, given ``best`` per window
    (an upper bound on each window's best column value at these multipliers)."""
    mu, nu = np.maximum(mu, 0.0), np.maximum(nu, 0.0)
    need = part.need.astype(np.float64)
    requests = np.maximum(part.priority - need * pi, 0.0)
    k = part.max_tasks.astype(np.float64)
    m = part.max_minutes.astype(np.float64)
    on_k, on_m = mu > 0, nu > 0
    limits = float(mu[on_k] @ k[on_k]) + float(nu[on_m] @ m[on_m])
    total = float(requests.sum()) + float(np.maximum(best, 0.0).sum()) + limits
    scale = (
        float(np.abs(pi) @ need)
        + float(part.priority.sum())
        + float(np.abs(best).sum())
        + abs(limits)
    )
    return math.floor(total + 1e-9 * scale + 1e-6)


TABLE_BYTES = 28
"""Bytes per cell (grid point x window) of the programme's tables: ``b1``, ``b2``
(float64), ``f1``, ``arg1``, ``arg2`` (int32)."""


@dataclass(frozen=True)
class Programme:
    """The size of the pricing programme on one grid, hence its time and memory.

    ``events`` are the (slot, grid point) pairs it scores; ``cells`` the grid
    points of its tables, (horizon + 1) x windows: it walks the longest window's
    grid points for all windows at once, so week-long windows cost memory and
    time even with few slots.
    """

    grid: int
    events: int
    cells: int

    def seconds(self, cp: ColGenParams) -> float:
        """One pricing's time at the params' measured rates."""
        return self.events * cp.seconds_per_event + self.cells * cp.seconds_per_cell

    @property
    def table_mb(self) -> float:
        return self.cells * TABLE_BYTES / 1e6


def _step(slots: Slots, grid: int) -> int:
    """The grid the programme really takes: at most the shortest block, so every
    block moves it forward."""
    return max(1, min(grid, int(slots.length.min(initial=grid))))


def programme(slots: Slots, grid: int) -> Programme:
    """The pricing programme's size on ``grid`` (as :class:`Pricer` would build it)."""
    g = _step(slots, grid)
    origin = slots.origin[slots.window]
    g_hi = (slots.block_hi - origin) // g
    events = int((g_hi - (slots.block_lo - origin) // g + 1).sum())
    horizon = int((g_hi + slots.length // g).max(initial=0)) + 1
    return Programme(g, events, (horizon + 1) * slots.n_windows)


def may_fit(part: Part, cp: ColGenParams, time_s: float) -> bool:
    """False when column generation would surely leave ``part`` to the LNS alone:
    even on the coarsest grid the programme has more events than
    ``cp.min_rounds`` pricings take in the generation share of ``time_s`` (every
    start row has at least ``width // grid + 1`` events on any grid origin).
    From the part's arrays, before :func:`slots_of` builds the slots (seconds on
    a national part)."""
    rows = np.repeat(np.arange(part.n_pairs), np.diff(part.start_ptr))
    length = part.duration[part.p_req[rows]] + 2 * part.travel[rows]
    grid = max(1, min(cp.max_grid_minutes, int(length.min(initial=cp.max_grid_minutes))))
    events = int(((part.start_hi - part.start_lo) // grid + 1).sum())
    return time_s * cp.generation_share >= cp.min_rounds * events * cp.seconds_per_event


def round_grid(slots: Slots, cp: ColGenParams, time_s: float) -> int:
    """The rounds' grid: the finest (in steps of ``cp.grid_minutes``, at most
    ``cp.max_grid_minutes``) on which the programme has at most
    ``cp.max_events`` events, its tables fit ``cp.max_table_mb``, and
    ``cp.min_rounds`` pricings take at most ``time_s`` (the generation share of
    the part's time). Coarser on large parts or short deadlines: the bound stays
    valid on any grid."""
    grid = cp.grid_minutes
    while not _rounds_fit(programme(slots, grid), cp, time_s) and grid < cp.max_grid_minutes:
        grid += cp.grid_minutes
    return grid


def _rounds_fit(size: Programme, cp: ColGenParams, time_s: float) -> bool:
    return (
        size.events <= cp.max_events
        and size.table_mb <= cp.max_table_mb
        and cp.min_rounds * size.seconds(cp) <= time_s
    )


def rounds_grid(slots: Slots, cp: ColGenParams, time_s: float) -> int | None:
    """:func:`round_grid`, or None when even that grid's tables pass
    ``cp.max_table_mb`` or ``cp.min_rounds`` pricings do not fit ``time_s``:
    then the LNS alone does better than column generation."""
    grid = round_grid(slots, cp, time_s)
    size = programme(slots, grid)
    if size.table_mb > cp.max_table_mb or cp.min_rounds * size.seconds(cp) > time_s:
        log.info(
            "colgen: too little time or memory for %d pricing events on %d table cells; LNS alone",
            size.events,
            size.cells,
        )
        return None
    return grid


def _subset(slots: Slots, keep: I64) -> tuple[Slots, I64]:
    """The slots ``keep`` over their own windows only (fewer table rows), and
    those windows' indices among ``slots``' windows. Origins stay: the
    programme on the subset is the whole one's, restricted."""
    windows, window = np.unique(slots.window[keep], return_inverse=True)
    sub = Slots(
        req=slots.req[keep],
        vol=slots.vol[keep],
        pair=slots.pair[keep],
        window=window.astype(np.int64),
        block_lo=slots.block_lo[keep],
        block_hi=slots.block_hi[keep],
        length=slots.length[keep],
        travel=slots.travel[keep],
        window_vol=slots.window_vol[windows],
        origin=slots.origin[windows],
    )
    return sub, windows.astype(np.int64)


def refined_bound(
    part: Part,
    slots: Slots,
    duals: Duals,
    cp: ColGenParams,
    time_s: float = math.inf,
    below: int | None = None,
    measured: Measured | None = None,
) -> int:
    """The bound at ``duals`` priced on a finer grid (tighter: fewer schedules that
    do not really fit), over the slots of positive value only, which are few at
    the last round's duals: the finest grid from ``cp.final_grid_minutes`` on
    (and below ``below`` minutes, the rounds' grid, when given) on which they
    make at most ``cp.final_max_events`` grid events, tables within
    ``cp.max_table_mb`` (over their own windows only), and take at most
    ``time_s`` seconds (:meth:`Programme.seconds`, and ``cp.final_margin`` times
    ``measured``'s rate: the rounds' own pricing on this machine, now); the
    total priority when no such grid is left."""
    value = slot_values(part, slots, duals.pi, duals.mu, duals.nu)
    sub, windows = _subset(slots, np.flatnonzero(value > 0))
    grid = max(cp.final_grid_minutes, 1)
    size = programme(sub, grid)
    while not _final_fits(size, cp, time_s, measured):
        if measured is not None:
            log.debug(
                "colgen: no final pricing on a %d-minute grid: %.2fs here, %.2fs at the"
                " default rates, %.2fs left",
                grid,
                measured.predict(size),
                size.seconds(cp),
                time_s,
            )
        grid += 1
        if below is None or grid >= below:
            return int(part.priority.sum())
        size = programme(sub, grid)
    tick = time.perf_counter()
    best = np.zeros(slots.n_windows)
    best[windows] = Pricer(sub, grid).best(value[value > 0])
    log.info(
        "colgen: final pricing on a %d-minute grid, %.2fs (%.2fs predicted here)",
        grid,
        time.perf_counter() - tick,
        math.nan if measured is None else measured.predict(size),
    )
    return lagrangian_bound(part, best, duals.pi, duals.mu, duals.nu)


def _final_fits(
    size: Programme, cp: ColGenParams, time_s: float, measured: Measured | None = None
) -> bool:
    return (
        size.events <= cp.final_max_events
        and size.table_mb <= cp.max_table_mb
        and size.seconds(cp) <= time_s
        and (measured is None or cp.final_margin * measured.predict(size) <= time_s)
    )


@dataclass(frozen=True)
class Measured:
    """The rounds' programme as it ran here: its set-up (``Pricer``, over all
    ``events``) and its last pricing (over the ``scored`` events of positive
    slots, on ``cells`` table cells), in seconds.

    The constant rates of :meth:`Programme.seconds` were measured once; under
    load a pricing takes several times as long (the ample M part's last
    pricing: 17-18 s at load 4-5, 2026-11-30, night), and a pricing cannot
    stop. :meth:`predict` scales the set-up by the events and the pricing by
    the larger of the events' and the cells' ratio: an estimate, not a bound
    (the programme's fixed cost per grid step grows with the horizon alone,
    which neither ratio follows when few windows have positive slots); the
    default rates' check stays beside it."""

    events: int
    setup_s: float
    scored: int
    cells: int
    priced_s: float

    def predict(self, size: Programme) -> float:
        """Seconds a set-up and one pricing of the programme ``size`` would take here."""
        setup = self.setup_s * size.events / max(self.events, 1)
        ratio = max(size.events / max(self.scored, 1), size.cells / max(self.cells, 1))
        return setup + self.priced_s * ratio


# -- the engine ----------------------------------------------------------------------------


@dataclass
class _State:
    bound: int
    rounds: int = 0
    lp_value: float = math.inf
    duals: Duals | None = None
    master: Master | None = None  # the rounds' (the dive goes on warm from it)
    round_s: float = 0.0  # the last round's pricing: the dive's first step must fit it
    priced_s: float = 0.0  # the last round's programme alone (Pricer.best)


def solve_colgen(
    part: Part, settings: CpSatSettings, start: PartResult | None = None
) -> PartResult:
    """Column generation, restricted master, then LNS, by ``settings.deadline``.

    Parameters
    ----------
    part
        An all-timed part without pins or kept assignments (:func:`applies`).
    settings
        Deadline, workers, seed and params.
    start
        A feasible plan, e.g. the greedy one (seeds the pool and the search); or
        None: then the greedy plan is made here, first. (It was made last, when
        the time left covered it; on the loaded machine of 2026-11-30 the ample
        M parts got 26 s in the pipeline, two or three rounds, a rounded plan
        15% below greedy and no time left for the greedy pass.)

    Returns
    -------
    PartResult
        Engine ``"colgen"``: the best plan found (never worse than ``start`` or
        the greedy plan made here, lexicographically) and the smallest Lagrangian bound of any round
        (never below the plan's priority). Never ``optimal``: the lower
        levels of the objective are not proven.
    """
    cp = settings.params.colgen
    deadline = settings.deadline
    started = time.perf_counter()
    total = int(part.priority.sum())
    if part.n_pairs == 0:
        none = np.zeros(0, dtype=bool), np.full(part.n_requests, NO_START, dtype=np.int64)
        return PartResult(*none, True, 0, "colgen")
    greedy_s = 0.0  # a greedy pass's time: the fill of a rounded plan costs as much
    if start is None:  # first: under load the rounds may not pay (never below greedy)
        start = solve_greedy(part, settings.params, deadline)
        greedy_s = time.perf_counter() - started
    if not may_fit(part, cp, deadline.remaining()):  # the greedy pass took the time
        return solve_lns(part, settings, start)
    slots = slots_of(part)
    # The programme's set-up and a few rounds must fit the generation share (and
    # memory), else the LNS alone does better.
    grid = rounds_grid(slots, cp, deadline.remaining() * cp.generation_share)
    if grid is None:
        return solve_lns(part, settings, start)
    pool = Pool(slots)
    add_plan(part, slots, pool, start)
    state = _State(bound=total)
    tick = time.perf_counter()
    pricer = Pricer(slots, grid)
    setup_s = time.perf_counter() - tick
    limits = Limits.of(part)
    gen_deadline = deadline.share(cp.generation_share)
    _generate(part, slots, pool, pricer, limits, state, gen_deadline, cp)
    grid = pricer.grid
    pricer.release()  # its tables, before the last pricing builds its own
    if state.duals is not None and cp.final_grid_minutes < grid:
        # Not at the cost of the rounding's fill (the scarce M part at load 7:
        # an 8 s last pricing, then a rounded plan 7,004 left unfilled, LP 7,450).
        left = (deadline.remaining() - cp.fill_reserve * greedy_s) * (1.0 - cp.master_share)
        if left > 0:
            ran = programme(slots, grid)
            measured = Measured(ran.events, setup_s, pricer.last_events, ran.cells, state.priced_s)
            refined = refined_bound(part, slots, state.duals, cp, left, grid, measured)
            state.bound = min(state.bound, refined)
    log.info(
        "colgen: %d rounds, %d columns, LP %.1f, bound %d of %d (%.2fs)",
        state.rounds,
        len(pool),
        state.lp_value,
        state.bound,
        total,
        time.perf_counter() - started,
    )
    plan = start
    fill_s = 0.0
    if state.duals is not None and state.duals.primal.size:
        picked = round_columns(part, slots, pool, state.duals.primal)
        tick = time.perf_counter()
        rounded = filled(part, _plan_of(part, slots, pool, picked), settings)
        fill_s = time.perf_counter() - tick
        if _key(part, rounded) > _key(part, plan):
            plan = rounded
    log.info("colgen: rounded plan %d (%.2fs)", _key(part, plan)[0], time.perf_counter() - started)
    if cp.dive_share > 0 and deadline.remaining() > cp.master_min_s:
        # The dive's plan is filled too: leave the time of one more fill.
        until = deadline.cap((deadline.remaining() - 1.2 * fill_s) * cp.dive_share)
        picked = dive(part, slots, pool, pricer, state, until, cp)
        if picked:
            dived = filled(part, _plan_of(part, slots, pool, picked), settings)
            if _key(part, dived) > _key(part, plan):
                plan = dived
        log.info("colgen: dive plan %d (%.2fs)", _key(part, plan)[0], time.perf_counter() - started)
    # The master starts from the best plan itself (filled, so more than the
    # columns the rounding picked): CP-SAT can only improve on it.
    hint = plan_columns(part, slots, pool, plan)
    # The integer master over the columns the LP uses and the best plan's: small
    # enough for CP-SAT to improve on the rounding in its share of the time.
    primal = state.duals.primal if state.duals is not None else np.zeros(0)
    weight = np.zeros(len(pool))
    weight[: primal.size] = primal[: len(pool)]
    weight[hint] = np.inf
    some = np.flatnonzero(weight > 1e-3)
    some = np.sort(some[np.argsort(-weight[some], kind="stable")[: cp.master_max_columns]])
    at = np.full(len(pool), -1, dtype=np.int64)
    at[some] = np.arange(some.size)
    master = None
    if deadline.remaining() >= cp.master_min_s:  # building the model takes time too
        master = _integer_master(
            part,
            slots,
            pool.subset(some),
            limits,
            settings,
            deadline.share(cp.master_share),
            [a for a in at[hint].tolist() if a >= 0],
        )
    if master is not None:
        master = filled(part, master, settings)
        if _key(part, master) > _key(part, plan):
            plan = master
    log.info("colgen: master plan %d (%.2fs)", _key(part, plan)[0], time.perf_counter() - started)
    if deadline.remaining() > settings.params.lns.min_sub_limit + settings.params.lns.reserve_s:
        plan = solve_lns(part, settings, plan, bound=state.bound)
    served = int(part.priority[np.unique(part.p_req[plan.chosen])].sum())
    log.info(
        "colgen: served %d, bound %d, %.2fs", served, state.bound, time.perf_counter() - started
    )
    return PartResult(plan.chosen, plan.start, False, max(state.bound, served), "colgen")


def _generate(
    part: Part,
    slots: Slots,
    pool: Pool,
    pricer: Pricer,
    limits: Limits,
    state: _State,
    deadline: Deadline,
    cp: ColGenParams,
) -> None:
    """Rounds of master and pricing until no column prices out or time is up.

    The first round prices at ``pi = priority / need`` (no master yet).
    """
    n_v = part.n_volunteers
    master = state.master = Master(part, slots, limits)
    pi = part.priority / part.need
    duals = Duals(pi, np.zeros(slots.n_windows), np.zeros(n_v), np.zeros(n_v), math.inf)
    while True:
        last = state.bound
        tick = time.perf_counter()
        value = slot_values(part, slots, duals.pi, duals.mu, duals.nu)
        best = pricer.best(value)
        priced = state.priced_s = time.perf_counter() - tick
        state.bound = min(state.bound, lagrangian_bound(part, best, duals.pi, duals.mu, duals.nu))
        added = _add_columns(part, slots, pool, pricer, value, best, duals.sigma, cp)
        state.rounds += 1
        round_s = state.round_s = time.perf_counter() - tick
        log.debug(
            "colgen round %d: LP %.1f, bound %d, +%d columns (%d); pricing %.2fs, all %.2fs",
            state.rounds,
            duals.lp_value,
            state.bound,
            added,
            len(pool),
            priced,
            time.perf_counter() - tick,
        )
        if added == 0 or deadline.remaining() < cp.min_round_s:
            return
        tick = time.perf_counter()
        solved = master.solve(pool, min(deadline.remaining(), cp.lp_round_s), cp.lp_method)
        log.debug("colgen master LP %.2fs", time.perf_counter() - tick)
        if solved is None:
            return
        duals = solved
        state.duals, state.lp_value = solved, solved.lp_value
        if deadline.remaining() < cp.round_margin * round_s:
            # A pricing cannot stop: one that would not fit is not started (the
            # last duals are still priced, finer, by refined_bound when it fits).
            log.debug("colgen: no time for another pricing (%.2fs)", round_s)
            return
        # A bound that has stalled leaves the time to the plan (the dive); one
        # that is still the total has not started to fall (the first rounds).
        stalled = last - state.bound <= cp.bound_stall * state.bound
        if stalled and state.rounds > 1 and state.bound < int(part.priority.sum()):
            return


def _add_columns(
    part: Part,
    slots: Slots,
    pool: Pool,
    pricer: Pricer,
    value: F64,
    best: F64,
    sigma: F64,
    cp: ColGenParams,
) -> int:
    """Columns of positive reduced cost (value less the window's ``sigma``): each
    window's best, and the best ones that begin with each of its
    ``cp.columns_per_window`` most valuable first slots."""
    eps = 1e-6 * max(float(part.priority.max(initial=1)), 1.0)
    windows = np.flatnonzero(best - sigma > eps)
    first = pricer.first_values(value)
    good = np.flatnonzero(first - sigma[slots.window] > eps)
    order = np.lexsort((-first[good], slots.window[good]))
    good = good[order]
    group = slots.window[good]
    rank = np.arange(good.size) - np.searchsorted(group, group)
    good = good[rank < cp.columns_per_window]
    all_windows = np.concatenate((windows, slots.window[good]))
    all_firsts = np.concatenate((np.full(windows.size, -1, dtype=np.int64), good))
    col, item = pricer.columns(all_windows, all_firsts)
    kept, starts = exact_columns(slots, col, item)
    return pool.add_many(all_windows, col[kept], item[kept], starts[kept])


def filled(part: Part, plan: PartResult, settings: CpSatSettings) -> PartResult:
    """``plan`` with the requests it leaves out added greedily where they still fit.

    The greedy engine books a previous plan's assignments first when the part
    has one; given ``plan`` as that previous plan it keeps all of it (a
    feasible plan fits in any order) and serves what else fits, most urgent
    first, nearest first. The result is a plan of ``part`` itself, never worse
    than ``plan``.
    """
    base = dataclasses.replace(part, keep_pair=plan.chosen.copy(), keep_start=plan.start.copy())
    out = solve_greedy(base, settings.params, settings.deadline)
    fill = PartResult(out.chosen, out.start, False, plan.bound, plan.engine)
    # At the deadline the greedy stops early, possibly before it booked all of plan.
    return fill if _key(part, fill) >= _key(part, plan) else plan


def _key(part: Part, plan: PartResult) -> objective.PlanKey:
    return objective.plan_key(part, plan.chosen, start=plan.start)


# -- integer plans -----------------------------------------------------------------------


def round_columns(part: Part, slots: Slots, pool: Pool, primal: F64) -> list[int]:
    """Columns picked greedily by their LP value (largest first, ties by more
    priority): a column is taken when its window is free and its volunteer's
    limits still hold, without the requests it would serve twice (whole
    already, or a team this volunteer is in): what is left of it is a real
    schedule too (the same starts, fewer blocks), added to ``pool`` when it is
    not the whole column. Incomplete teams are left to :func:`_plan_of`,
    which drops them. Only columns the LP uses (above 1e-3) are considered."""
    col, slot = pool.entries()
    gain = np.bincount(
        col, weights=(part.priority / part.need)[slots.req[slot]], minlength=len(pool)
    )
    weight = np.zeros(len(pool))
    weight[: primal.size] = primal[: len(pool)]
    order = np.lexsort((-gain, -np.round(weight, 3)))
    order = order[weight[order] > 1e-3]  # the rest is the greedy fill's (much faster)
    window_used = np.zeros(slots.n_windows, dtype=bool)
    members = np.zeros(part.n_requests, dtype=np.int64)
    tasks = np.zeros(part.n_volunteers, dtype=np.int64)
    minutes = np.zeros(part.n_volunteers, dtype=np.int64)
    team_vols: dict[int, set[int]] = {}
    picked = []
    parts: list[tuple[int, list[int], list[int]]] = []
    for c in order.tolist():
        w = int(pool.window[c])
        if window_used[w]:
            continue
        v = int(slots.window_vol[w])
        items = pool.items(c)
        reqs = slots.req[items]
        free = members[reqs] < part.need[reqs]
        for i, r in enumerate(reqs.tolist()):
            if part.need[r] > 1 and v in team_vols.get(r, ()):
                free[i] = False
        if not free.any():
            continue
        kept = [k for k, f in zip(items, free.tolist(), strict=True) if f]
        load = int(slots.length[kept].sum())
        if tasks[v] + len(kept) > part.max_tasks[v] or minutes[v] + load > part.max_minutes[v]:
            continue
        if not free.all():  # numbered after the pool's columns, added below
            starts = [s for s, f in zip(pool.starts(c), free.tolist(), strict=True) if f]
            c = len(pool) + len(parts)
            parts.append((w, kept, starts))
        window_used[w] = True
        reqs = slots.req[kept]
        members[reqs] += 1
        tasks[v] += len(kept)
        minutes[v] += load
        for r in reqs.tolist():
            if part.need[r] > 1:
                team_vols.setdefault(int(r), set()).add(v)
        picked.append(c)
    if parts:
        pool.extend(
            np.array([w for w, _, _ in parts], dtype=np.int64),
            np.repeat(np.arange(len(parts)), [len(k) for _, k, _ in parts]).astype(np.int64),
            np.array([k for _, ks, _ in parts for k in ks], dtype=np.int64),
            np.array([s for _, _, ss in parts for s in ss], dtype=np.int64),
        )
    return picked


# -- the dive ------------------------------------------------------------------------------


def dive(
    part: Part,
    slots: Slots,
    pool: Pool,
    pricer: Pricer,
    state: _State,
    deadline: Deadline,
    cp: ColGenParams,
) -> list[int]:
    """Price-and-dive from the rounds' last master: columns picked, a consistent set.

    Each step fixes (lower bound 1 in the master) the columns the LP takes
    whole (at least ``cp.dive_fix``) and the ``cp.dive_step`` largest share
    of the fractional ones, as :func:`round_columns` picks them (so the fixed
    set is always a partial plan: windows, requests and limits respected;
    teams not whole in it, or without a common start, are taken out of
    their columns), then prices new columns for what is still open (the
    requests and windows the fixed columns hold are left out of pricing)
    and solves the master again, warm. It stops when the LP uses nothing
    fractional beyond the fixed set or ``deadline`` comes; the last LP is
    rounded with the fixed columns first. Nothing (``[]``) when no master was
    solved with columns fixed: that would be the rounding's own plan again,
    and its greedy fill (3-4 s on an ample M part) for nothing. The bound is
    not touched (a master with fixed columns bounds nothing).
    """
    master, duals = state.master, state.duals
    if master is None or duals is None:
        return []
    fixed: list[int] = []
    steps = solves = 0
    step_s = state.round_s  # the last pricing (and master): the next one must fit
    while True:
        weight = np.zeros(len(pool))
        weight[: duals.primal.size] = duals.primal[: len(pool)]
        weight[fixed] = 0.0
        frac = np.flatnonzero((weight > 1e-3) & (weight < cp.dive_fix))
        whole = np.flatnonzero(weight >= cp.dive_fix)
        if frac.size == 0 or deadline.remaining() < cp.min_round_s:
            break
        top = frac[np.argsort(-weight[frac], kind="stable")]
        take = np.concatenate((whole, top[: max(1, math.ceil(cp.dive_step * top.size))]))
        pick = np.zeros(len(pool))
        pick[take] = weight[take]
        pick[fixed] = 2.0
        before = len(fixed)
        fixed = _whole_teams(part, slots, pool, round_columns(part, slots, pool, pick))
        steps += 1
        if len(fixed) <= before:  # nothing new fits: another step would price the same
            break
        if deadline.remaining() < max(cp.min_round_s, cp.round_margin * step_s):
            break  # a pricing cannot stop
        tick = time.perf_counter()
        value = slot_values(part, slots, duals.pi, duals.mu, duals.nu)
        value[_held(part, slots, pool, fixed)] = -1.0
        if cp.dive_pricing:
            best = pricer.best(value)
            _add_columns(part, slots, pool, pricer, value, best, duals.sigma, cp)
        priced = time.perf_counter() - tick
        if deadline.remaining() < cp.min_round_s:
            break
        lower = np.zeros(len(pool))
        lower[fixed] = 1.0
        solved = master.solve(pool, min(deadline.remaining(), cp.lp_round_s), cp.lp_method, lower)
        if solved is None:
            break
        duals = solved
        solves += 1
        step_s = time.perf_counter() - tick
        log.debug(
            "colgen dive %d: %d fixed, LP %.1f, %d columns; pricing %.2fs, all %.2fs",
            steps,
            len(fixed),
            duals.lp_value,
            len(pool),
            priced,
            time.perf_counter() - tick,
        )
    log.info("colgen: dive of %d steps, %d columns fixed", steps, len(fixed))
    if solves == 0:  # the rounds' own LP, picked in the same order: the rounding's plan
        return []
    weight = np.zeros(len(pool))
    weight[: duals.primal.size] = duals.primal[: len(pool)]
    weight[fixed] = 2.0
    return round_columns(part, slots, pool, weight)


def _held(part: Part, slots: Slots, pool: Pool, cols: list[int]) -> BOOL:
    """Slots the columns ``cols`` rule out: of their windows, or of requests they
    serve whole."""
    at = csr_rows(pool.ptr, np.asarray(cols, dtype=np.int64))
    members = np.bincount(slots.req[pool.slot[at]], minlength=part.n_requests)
    used = np.zeros(slots.n_windows, dtype=bool)
    used[pool.window[cols]] = True
    return np.asarray(used[slots.window] | (members >= part.need)[slots.req], dtype=np.bool_)


def _whole_teams(part: Part, slots: Slots, pool: Pool, picked: list[int]) -> list[int]:
    """``picked`` without the team tasks that :func:`_plan_of` would drop (a team
    not whole among them, or without a common start): such columns are
    replaced by what is left of them (added to ``pool``; empty ones go)."""
    if not picked:
        return picked
    at = csr_rows(pool.ptr, np.asarray(picked, dtype=np.int64))
    req = slots.req[pool.slot[at]]
    teams = part.need[req] > 1
    served = np.zeros(part.n_requests, dtype=bool)
    served[part.p_req[_plan_of(part, slots, pool, picked).chosen]] = True
    drop = teams & ~served[req]
    if not drop.any():
        return picked
    col = np.repeat(np.arange(len(picked)), pool.ptr[np.asarray(picked) + 1] - pool.ptr[picked])
    bad = np.unique(col[drop])
    keep_cols = np.setdiff1d(np.arange(len(picked)), bad)
    out = [picked[i] for i in keep_cols.tolist()]
    rest = np.isin(col, bad) & ~drop
    if rest.any():
        new_col = np.unique(col[rest], return_inverse=True)[1].astype(np.int64)
        windows = pool.window[np.asarray(picked)[np.unique(col[rest])]]
        first = pool.extend(windows, new_col, pool.slot[at][rest], pool.start[at][rest])
        out.extend(range(first, first + windows.size))
    return sorted(out)


# -- the integer master -----------------------------------------------------------------------


def _integer_master(
    part: Part,
    slots: Slots,
    pool: Pool,
    limits: Limits,
    settings: CpSatSettings,
    deadline: Deadline,
    hint: list[int],
) -> PartResult | None:
    """The best integer plan over the pool's columns (CP-SAT), teams given one start."""
    if len(pool) == 0 or deadline.remaining() < 0.2:
        return None
    model = cp_model.CpModel()
    n_c = len(pool)
    x = [model.new_bool_var(f"c{c}") for c in range(n_c)]
    col, slot = pool.entries()
    req = slots.req[slot]
    reqs = np.unique(req)
    y = {int(r): model.new_bool_var(f"y{r}") for r in reqs.tolist()}
    order = np.argsort(req, kind="stable")
    cuts = np.searchsorted(req[order], reqs)
    for r, members in zip(reqs.tolist(), np.split(col[order], cuts[1:]), strict=True):
        model.add(sum(x[c] for c in members.tolist()) == int(part.need[r]) * y[r])
        if part.need[r] > 1:  # distinct volunteers in a team
            by_vol: dict[int, list[int]] = {}
            for c in members.tolist():
                by_vol.setdefault(int(slots.window_vol[pool.window[c]]), []).append(c)
            for cs in by_vol.values():
                if len(cs) > 1:
                    model.add_at_most_one(x[c] for c in cs)
    by_window: dict[int, list[int]] = {}
    for c, w in enumerate(pool.window.tolist()):
        by_window.setdefault(w, []).append(c)
    for cs in by_window.values():
        if len(cs) > 1:
            model.add_at_most_one(x[c] for c in cs)
    win = np.asarray(pool.window, dtype=np.int64)
    col_vol = slots.window_vol[win]
    tasks = np.bincount(col, minlength=n_c)
    minutes = np.bincount(col, weights=slots.length[slot], minlength=n_c).astype(np.int64)
    for vols, per_col, cap in (
        (limits.tasks, tasks, part.max_tasks),
        (limits.minutes, minutes, part.max_minutes),
    ):
        for v in vols.tolist():
            cs = np.flatnonzero(col_vol == v).tolist()
            if cs:
                model.add(sum(int(per_col[c]) * x[c] for c in cs) <= int(cap[v]))
    _master_objective(part, slots, model, x, y, col, slot)
    hinted = np.zeros(n_c, dtype=bool)
    hinted[hint] = True
    for c in range(n_c):
        model.add_hint(x[c], bool(hinted[c]))
    covered = np.bincount(req[hinted[col]], minlength=part.n_requests)
    for r, var in y.items():  # a complete hint: CP-SAT starts from the plan itself
        model.add_hint(var, bool(covered[r] == part.need[r]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(deadline.remaining(), 0.05)
    solver.parameters.num_workers = settings.num_workers
    solver.parameters.random_seed = settings.seed
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    picked = [c for c in range(n_c) if solver.boolean_value(x[c])]
    return _plan_of(part, slots, pool, picked)


def _master_objective(
    part: Part,
    slots: Slots,
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    y: dict[int, cp_model.IntVar],
    col: I64,
    slot: I64,
) -> None:
    """Priority, then continuity, then distance, in one weighted sum (as the LNS does)."""
    pref = np.bincount(col, weights=part.preferred[slots.pair[slot]], minlength=len(x))
    most_prio = int(part.priority.sum())
    unit = 1
    while True:
        w1, w2 = objective.level_weights(
            objective.most_continuity(part), objective.most_travel(part, unit=unit)
        )
        if objective.fits(most_prio + 1, w1):
            break
        unit *= 10
    dist = np.bincount(col, weights=part.dist_m[slots.pair[slot]] // unit, minlength=len(x))
    coefs = (w2 * pref.astype(np.int64) - dist.astype(np.int64)).tolist()
    rs = list(y)
    model.maximize(
        cp_model.LinearExpr.weighted_sum(
            [*(y[r] for r in rs), *x], [*(w1 * int(part.priority[r]) for r in rs), *coefs]
        )
    )


def _plan_of(part: Part, slots: Slots, pool: Pool, picked: list[int]) -> PartResult:
    """The plan of the picked columns; each team gets one start within every
    member's slack, or is dropped."""
    chosen = np.zeros(part.n_pairs, dtype=bool)
    start = np.full(part.n_requests, NO_START, dtype=np.int64)
    # Per picked column: its slots and their current task starts (mutable).
    where: dict[int, list[tuple[int, int]]] = {}  # request -> (column, position)
    cols = {c: (pool.items(c), pool.starts(c)) for c in picked}
    for c, (items, _) in cols.items():
        for i, k in enumerate(items):
            where.setdefault(int(slots.req[k]), []).append((c, i))
    for r, members in sorted(where.items()):
        starts = {cols[c][1][i] for c, i in members}
        whole = len(members) == int(part.need[r])
        if not whole or (len(starts) > 1 and not _common_start(part, slots, cols, members)):
            for c, i in members:  # drop the team: its blocks simply go
                cols[c][1][i] = NO_START
            continue
        for c, i in members:
            chosen[slots.pair[cols[c][0][i]]] = True
            start[r] = cols[c][1][i]
    return PartResult(chosen, start, False, int(part.priority.sum()), "colgen")


def _common_start(
    part: Part,
    slots: Slots,
    cols: dict[int, tuple[list[int], list[int]]],
    members: list[tuple[int, int]],
) -> bool:
    """Move a team's blocks to one start inside each member's slack; False if none."""
    lo, hi = -(2**62), 2**62
    for c, i in members:
        items, starts = cols[c]
        k = items[i]
        t, d = int(slots.travel[k]), int(slots.length[k]) - 2 * int(slots.travel[k])
        a = int(slots.block_lo[k]) + t
        b = int(slots.block_hi[k]) + t
        for j in range(i - 1, -1, -1):  # the latest placed block before it
            if starts[j] != NO_START:
                kj = items[j]
                a = max(a, starts[j] - int(slots.travel[kj]) + int(slots.length[kj]) + t)
                break
        for j in range(i + 1, len(items)):
            if starts[j] != NO_START:
                kj = items[j]
                b = min(b, starts[j] - int(slots.travel[kj]) - d - t)
                break
        lo, hi = max(lo, a), min(hi, b)
    if lo > hi:
        return False
    for c, i in members:
        cols[c][1][i] = lo
    return True
