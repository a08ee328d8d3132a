"""Large-neighbourhood search over the CP-SAT model, for parts too large to solve whole.

Start from a feasible plan (the greedy one) and repeat until the time limit:

1. *Free a neighbourhood.* Pick a seed request (most often an unserved one)
   and a time span around its window; grow a set of volunteers through the
   candidate graph (requests in the span share volunteers, so the set is
   close in space and time) until the neighbourhood holds about ``size``
   pairs. The free requests are the requests in the span with a candidate in
   the set that are unpinned and either unserved or served only by volunteers
   of the set; each may use only volunteers of the set.
2. *Solve it exactly-as-modelled with CP-SAT*, everything else fixed: the
   fixed blocks of the set's volunteers become fixed intervals in their
   no-overlap, and their task and minute limits shrink by what the fixed
   plan already uses. The sub-model is :mod:`matchcore.engines.cpsat`'s model
   restricted to the neighbourhood, hinted with the current plan.
3. *Accept* the sub-plan when the whole plan's lexicographic objective
   (served priority, continuity, then distance) does not get worse.
4. *Adapt*: a neighbourhood solved to optimality grows the next one, a
   timed-out one shrinks it.

The sub-model's objective is one weighted sum, and it is exactly the
lexicographic one on the sub-model: with ``D`` the most distance the free
requests could travel (metres) and ``P`` the most preferred pairs they could
use, weights ``W2 = D + 1`` (per preferred pair) and ``W1 = W2 * (P + 1)``
(per unit of priority) make one unit of priority outweigh any change of
continuity and distance together, and one preferred pair outweigh any change
of distance. The rest of the plan is fixed, so improving the sub-model's
objective improves the whole plan's, lexicographically.

Series continuity (repeating requests) is in the acceptance test (it
compares :func:`~matchcore.engines.objective.plan_key`), not in the
sub-model's weights: a move never loses it, but the search does not aim at it.

Every accepted plan satisfies every hard rule (the sub-model holds them all
for the free requests, and the fixed part is unchanged), so the best plan is
always at hand: the search stops before the time limit and returns it, with
the bound of :func:`matchcore.engines.relaxation.priority_bound` (computed
first, in a fifth of the time).

Tuning, measured on the timed M part (485k pairs, 2 shared cores): many
small neighbourhoods (a dozen volunteers, a few hundred pairs) with one
CP-SAT worker, no probing or symmetry detection (they cost more than the
solve) and distance kept in the objective did best; neighbourhoods of
thousands of pairs with 8 workers barely moved the greedy plan.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from matchcore.engines import objective
from matchcore.engines.cpsat import CpSatSettings, add_daily_limits
from matchcore.engines.relaxation import priority_bound
from matchcore.engines.roles import add_roles, has_roles
from matchcore.params import DEFAULT_PARAMS, LnsParams, SolveParams
from matchcore.tasks.arrays import NO_START, csr_rows
from matchcore.tasks.parts import Part, PartResult, day_of_start, has_daily, pair_load

log = logging.getLogger(__name__)

I64 = NDArray[np.int64]
BOOL = NDArray[np.bool_]


def _kept_requests(part: Part, plan: PartResult) -> BOOL:
    """Per local request: the plan keeps its previous assignment."""
    out = np.zeros(part.n_requests, dtype=bool)
    for r in np.flatnonzero(objective.keepable(part)).tolist():
        team = np.arange(part.pair_ptr[r], part.pair_ptr[r + 1])
        team = team[part.keep_pair[team]]
        out[r] = bool(plan.chosen[team].all()) and (
            not part.timed[r] or plan.start[r] == part.keep_start[r]
        )
    return out


def use_lns(part: Part, params: SolveParams = DEFAULT_PARAMS) -> bool:
    """Whether ``part`` is too large for the exact model in a time budget (measured).

    On weekly timed networks exact CP-SAT already returns its hint, or worse,
    within 10 s from about 2,000 timed pairs on (interval literals are what
    make the model hard); untimed models stay exact much longer.
    """
    timed_pairs = int(part.timed[part.p_req].sum())
    lp = params.lns
    return timed_pairs >= lp.from_timed_pairs or part.n_pairs >= lp.from_pairs


def setup_fits(part: Part, settings: CpSatSettings) -> bool:
    """Whether the search's set-up (linear in the part's pairs,
    ``LnsParams.setup_seconds_per_pair``) and one neighbourhood fit the time left:
    after a start plan cut short by the deadline, a set-up that cannot stop
    must not overrun it."""
    return settings.deadline.remaining() >= setup_seconds(part, settings.params.lns)


def setup_seconds(part: Part, lp: LnsParams) -> float:
    """The least time the search needs: its set-up and one neighbourhood."""
    return part.n_pairs * lp.setup_seconds_per_pair + lp.min_sub_limit + lp.reserve_s


def solve_lns(
    part: Part, settings: CpSatSettings, start: PartResult, *, bound: int | None = None
) -> PartResult:
    """Improve ``start`` by large-neighbourhood search until ``settings.deadline``.

    Parameters
    ----------
    part
        The part to solve.
    settings
        Deadline (for everything this function does), workers, seed, params.
    start
        A feasible plan of ``part`` that keeps every pin, e.g. the greedy one.
    bound
        A proven bound on served priority the caller already has; without one
        the relaxations compute it first, in ``LnsParams.bound_share`` of the time.

    Returns
    -------
    PartResult
        The best plan found (never worse than ``start``), engine ``"lns"``, with
        a proven bound on served priority; ``start`` itself when the search's
        set-up cannot fit the time left (:func:`setup_fits`). ``optimal`` only when one
        neighbourhood held the whole part and CP-SAT proved it optimal (then
        the bound is the served priority).
    """
    lp = settings.params.lns
    if part.n_pairs == 0:  # nothing to search: the empty plan is the optimum
        return PartResult(start.chosen.copy(), start.start.copy(), True, 0, "lns")
    if not setup_fits(part, settings):
        return start  # its set-up cannot stop: it would overrun the deadline
    started = time.perf_counter()
    deadline = started + settings.deadline.remaining() - lp.reserve_s
    if bound is None:
        bound = priority_bound(part, settings.deadline.share(lp.bound_share), settings.params)
    search = _Search(part, settings, start)
    log.debug(
        "lns: start %d, bound %d (%.2fs)",
        search.served_priority(),
        bound,
        time.perf_counter() - started,
    )
    proven = search.run(deadline)
    served = search.served_priority()
    log.debug(
        "lns: %d iterations (%d optimal), %d improving, size %.1f, limit %.2fs, "
        "served %d of bound %d, %.2fs",
        search.iterations,
        search.proved,
        search.accepted,
        search.size,
        search.sub_limit,
        served,
        bound,
        time.perf_counter() - started,
    )
    bound = served if proven else max(bound, served)
    return PartResult(search.chosen.copy(), search.start.copy(), proven, bound, "lns")


@dataclass(frozen=True, eq=False)
class _Hood:
    """One neighbourhood: free requests, their allowed pairs, its volunteers."""

    requests: I64  # free local requests, sorted
    pairs: I64  # allowed pairs of the free requests, sorted (so grouped by request)
    volunteers: I64  # volunteers of the neighbourhood, sorted


class _Search:
    """The incumbent plan and the search state."""

    def __init__(self, part: Part, settings: CpSatSettings, start: PartResult) -> None:
        self.part = part
        self.settings = settings
        self.lp: LnsParams = settings.params.lns
        self.rng = np.random.default_rng(settings.seed)
        self.chosen = start.chosen.copy()
        self.start = start.start.copy()
        self.load = pair_load(part)
        n_r, n_v = part.n_requests, part.n_volunteers
        self.served = np.zeros(n_r, dtype=bool)
        self.served[part.p_req[self.chosen]] = True
        # Pins, and previous assignments the start plan keeps, never move:
        # re-planning prefers kept (the start, greedy, books them first).
        self.fixed = part.pinned | _kept_requests(part, start)
        # Pairs by volunteer, in CSR form.
        self.vol_pairs = np.argsort(part.p_vol, kind="stable").astype(np.int64)
        self.vol_ptr = np.concatenate(([0], np.cumsum(np.bincount(part.p_vol, minlength=n_v))))
        # Per pair: the hull of its possible blocks; per request: of its starts.
        n_rows = np.diff(part.start_ptr)
        has = n_rows > 0
        lo = np.full(part.n_pairs, -(np.iinfo(np.int64).max // 4), dtype=np.int64)
        hi = np.full(part.n_pairs, np.iinfo(np.int64).max // 4, dtype=np.int64)
        if part.start_lo.size:
            firsts = part.start_ptr[:-1][has]
            lo[has] = np.minimum.reduceat(part.start_lo, firsts)
            hi[has] = np.maximum.reduceat(part.start_hi, firsts)
        # Blocks of a pair start no earlier than pair_lo - travel and end no
        # later than pair_end: the time it can touch.
        self.pair_lo = lo - part.travel
        self.pair_end = hi + part.duration[part.p_req] + part.travel
        far = np.iinfo(np.int64).max // 4
        self.req_lo = np.full(n_r, far, dtype=np.int64)
        self.req_hi = np.full(n_r, -far, dtype=np.int64)
        np.minimum.at(self.req_lo, part.p_req[has], lo[has])
        np.maximum.at(self.req_hi, part.p_req[has], hi[has] + part.duration[part.p_req[has]])
        self.size = float(self.lp.start_size)
        self.sub_limit = self.lp.start_sub_limit
        self.iterations = 0
        self.proved = 0
        self.accepted = 0

    # -- objective -------------------------------------------------------------

    def served_priority(self) -> int:
        return int(self.part.priority[self.served].sum())

    def _key(self, pairs: I64, chosen: BOOL) -> objective.PlanKey:
        """The objective's levels of the plan ``chosen`` over ``pairs``; with the
        fairness level, of the whole plan with ``chosen`` there (a load counts
        every task of a volunteer, also those outside the neighbourhood)."""
        if not self.part.fair:
            return objective.plan_key(self.part, chosen, pairs)
        whole = self.chosen.copy()
        whole[pairs] = chosen
        return objective.plan_key(self.part, whole)

    # -- the loop --------------------------------------------------------------

    def run(self, deadline: float) -> bool:
        """Search until ``deadline``; True when the plan is proven lexicographically optimal."""
        part, lp = self.part, self.lp
        servable = np.diff(part.pair_ptr) >= part.need
        empty = 0
        while True:
            now = time.perf_counter()
            if deadline - now < lp.min_sub_limit:
                return False
            hood = self._neighbourhood(servable)
            if hood is None:
                empty += 1
                if empty >= lp.empty_tries:
                    return False  # nothing can move (everything pinned, say)
                continue
            empty = 0
            whole = hood.requests.size == part.n_requests and hood.pairs.size == part.n_pairs
            status = self._improve(hood, deadline)
            if status is None:
                return False
            self.iterations += 1
            if status == cp_model.OPTIMAL:
                self.proved += 1
                if whole and not objective.keepable(part).any() and not part.fair:
                    # No proof with a kept level (the sub-model has none) or with
                    # fairness (its weights may have been left out).
                    return True
                self.size = min(self.size * 1.1, lp.max_size, max(part.n_volunteers, 1))
                self.sub_limit = max(self.sub_limit * 0.9, lp.min_sub_limit)
            else:
                self.size = max(self.size * 0.8, lp.min_size)
                self.sub_limit = min(self.sub_limit * 1.1, lp.max_sub_limit)

    # -- neighbourhoods ----------------------------------------------------------

    def _neighbourhood(self, servable: BOOL) -> _Hood | None:
        part, rng, lp = self.part, self.rng, self.lp
        unserved = np.flatnonzero(servable & ~self.served & ~self.fixed)
        if unserved.size and rng.random() < lp.unserved_seed:
            weight = part.priority[unserved].astype(np.float64) ** lp.seed_power
            seed = int(rng.choice(unserved, p=weight / weight.sum()))
        else:
            movable = np.flatnonzero(~self.fixed)
            if movable.size == 0:
                return None
            seed = int(movable[rng.integers(movable.size)])
        half = int(lp.spans[rng.integers(len(lp.spans))])
        if part.timed[seed] and rng.random() >= lp.whole_week:
            span_lo, span_hi = int(self.req_lo[seed]) - half, int(self.req_hi[seed]) + half
            in_span_pair = (self.pair_lo <= span_hi) & (self.pair_end >= span_lo)
        else:
            in_span_pair = np.ones(part.n_pairs, dtype=bool)

        target = max(int(self.size), 1)
        vol_in = np.zeros(part.n_volunteers, dtype=bool)
        req_in = np.zeros(part.n_requests, dtype=bool)
        req_in[seed] = True
        frontier = np.array([seed], dtype=np.int64)
        n_vol = 0
        while frontier.size and n_vol < target:
            pairs = csr_rows(part.pair_ptr, frontier)
            pairs = pairs[in_span_pair[pairs]]
            new_v = np.unique(part.p_vol[pairs])
            new_v = new_v[~vol_in[new_v]]
            # Breadth first, in random order within a layer, up to the target.
            take = new_v[rng.permutation(new_v.size)[: target - n_vol]]
            vol_in[take] = True
            n_vol += take.size
            vp = self.vol_pairs[csr_rows(self.vol_ptr, take)]
            vp = vp[in_span_pair[vp]]
            new_r = np.unique(part.p_req[vp])
            new_r = new_r[~req_in[new_r]]
            req_in[new_r] = True
            frontier = new_r
        volunteers = np.flatnonzero(vol_in)
        # Free requests: in span, with a candidate in the set, unpinned, and
        # either unserved or served only by volunteers of the set.
        vp = self.vol_pairs[csr_rows(self.vol_ptr, volunteers)]
        vp = vp[in_span_pair[vp]]
        cand_r = np.unique(part.p_req[vp])
        cand_r = cand_r[~self.fixed[cand_r]]
        outside_use = self.chosen & ~vol_in[part.p_vol]
        blocked = np.zeros(part.n_requests, dtype=bool)
        blocked[part.p_req[outside_use]] = True
        free_r = cand_r[~blocked[cand_r]]
        if free_r.size == 0:
            return None
        pairs = csr_rows(part.pair_ptr, free_r)
        pairs = pairs[vol_in[part.p_vol[pairs]]]
        # A request that cannot gather its team inside the set stays as it is
        # (it is unserved: a served one has its whole team inside).
        n_allowed = np.bincount(part.p_req[pairs], minlength=part.n_requests)
        ok = n_allowed[part.p_req[pairs]] >= part.need[part.p_req[pairs]]
        pairs = pairs[ok]
        if pairs.size > lp.max_pairs:
            # Too many: keep the requests of a random subset (always the seed's).
            req_of = part.p_req[pairs]
            reqs = np.unique(req_of)
            keep_r = np.zeros(part.n_requests, dtype=bool)
            keep_r[reqs[rng.random(reqs.size) < lp.max_pairs / pairs.size]] = True
            keep_r[seed] = True
            pairs = pairs[keep_r[req_of]]
        free_r = np.unique(part.p_req[pairs])
        if free_r.size == 0:
            return None
        return _Hood(free_r, pairs, volunteers)

    # -- the sub-model -------------------------------------------------------------

    def _improve(self, hood: _Hood, deadline: float) -> int | None:
        """One neighbourhood's solve, in what is left before ``deadline`` once its
        model is built; None when too little is left to try."""
        lp = self.lp
        sub = _SubModel(self, hood)
        limit = min(self.sub_limit, deadline - time.perf_counter())
        if limit < lp.min_sub_limit / 2:
            return None
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(limit, 0.01)
        solver.parameters.num_workers = min(self.settings.workers or lp.sub_workers, lp.sub_workers)
        solver.parameters.random_seed = (self.settings.seed + self.iterations) % (2**31)
        # Probing and symmetry detection cost more than they save on small models.
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
        status = solver.solve(sub.model)
        log.debug(
            "lns step: %d vols, %d requests, %d pairs: %s in %.2fs",
            hood.volunteers.size,
            hood.requests.size,
            hood.pairs.size,
            solver.status_name(status),
            solver.wall_time,
        )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return int(status)
        new_chosen = np.array([solver.boolean_value(v) for v in sub.x], dtype=bool)
        old = self._key(hood.pairs, self.chosen[hood.pairs])
        new = self._key(hood.pairs, new_chosen)
        if new < old:
            return int(status)
        if new > old:
            self.accepted += 1
        self._apply(hood, new_chosen, {r: solver.value(v) for r, v in sub.s.items()})
        return int(status)

    def _apply(self, hood: _Hood, new_chosen: BOOL, starts: dict[int, int]) -> None:
        part = self.part
        new = hood.pairs[new_chosen]
        self.chosen[hood.pairs] = new_chosen
        self.served[hood.requests] = False
        self.served[part.p_req[new]] = True
        self.start[hood.requests] = NO_START
        for r, s in starts.items():
            if self.served[r]:
                self.start[r] = s


class _SubModel:
    """The CP-SAT model of one neighbourhood, everything else fixed."""

    def __init__(self, search: _Search, hood: _Hood) -> None:
        part = search.part
        model = self.model = cp_model.CpModel()
        pairs = hood.pairs.tolist()
        local = {p: i for i, p in enumerate(pairs)}
        self.x = [model.new_bool_var(f"x{p}") for p in pairs]
        current = search.chosen[hood.pairs]
        for var, value in zip(self.x, current.tolist(), strict=True):
            model.add_hint(var, value)
        self.s: dict[int, cp_model.IntVar] = {}

        intervals: dict[int, list[cp_model.IntervalVar]] = {}
        windows: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
        window_length: dict[int, int] = {}
        self.row_lits: dict[int, cp_model.IntVar] = {}  # per start row, for limits per day
        # Requests: team size, starts, optional blocks per (pair, window).
        bounds = np.searchsorted(part.p_req[hood.pairs], hood.requests, side="left").tolist()
        bounds.append(len(pairs))
        prio_terms: list[tuple[cp_model.IntVar, int]] = []
        for i, r in enumerate(hood.requests.tolist()):
            mine = pairs[bounds[i] : bounds[i + 1]]
            y = model.new_bool_var(f"y{r}")
            model.add_hint(y, bool(search.served[r]))
            model.add(sum(self.x[local[p]] for p in mine) == int(part.need[r]) * y)
            if has_roles(part) and part.role_ptr[r + 1] > part.role_ptr[r]:
                add_roles(model, part, r, lambda p: self.x[local[p]] if p in local else None, y)
            prio_terms.append((y, int(part.priority[r])))
            if part.timed[r]:
                self.s[r] = self._start(search, r, mine, local, intervals, windows, window_length)

        # Fixed blocks of the neighbourhood's volunteers, and what is left of their limits.
        vols = hood.volunteers
        vp = search.vol_pairs[csr_rows(search.vol_ptr, vols)]
        free = np.zeros(part.n_requests, dtype=bool)
        free[hood.requests] = True
        fixed = vp[search.chosen[vp] & ~free[part.p_req[vp]]]
        fixed_tasks = np.bincount(part.p_vol[fixed], minlength=part.n_volunteers)
        fixed_minutes = np.bincount(
            part.p_vol[fixed], weights=search.load[fixed], minlength=part.n_volunteers
        )
        for p in fixed[part.timed[part.p_req[fixed]]].tolist():
            v = int(part.p_vol[p])
            if v not in intervals:
                continue  # no free block of this volunteer: nothing to overlap
            r = int(part.p_req[p])
            s, t, d = int(search.start[r]), int(part.travel[p]), int(part.duration[r])
            intervals[v].append(model.new_fixed_size_interval_var(s - t, d + 2 * t, f"f{p}"))
            for k in range(int(part.start_ptr[p]), int(part.start_ptr[p + 1])):
                if part.start_lo[k] <= s <= part.start_hi[k]:
                    w = int(part.start_window[k])
                    if w in window_length:
                        window_length[w] -= d + 2 * t
        for blocks in intervals.values():
            if len(blocks) > 1:
                model.add_no_overlap(blocks)
        for w, items in windows.items():
            if sum(size for size, _ in items) > window_length[w]:
                model.add(sum(size * lit for size, lit in items) <= window_length[w])

        # Task and minute limits, less what the fixed plan uses.
        hood_vol = part.p_vol[hood.pairs]
        order = np.argsort(hood_vol, kind="stable")
        starts = np.searchsorted(hood_vol[order], vols, side="left").tolist()
        ends = np.searchsorted(hood_vol[order], vols, side="right").tolist()
        for v, a, b in zip(vols.tolist(), starts, ends, strict=True):
            mine = order[a:b].tolist()
            if not mine:
                continue
            tasks_left = int(part.max_tasks[v]) - int(fixed_tasks[v])
            if len(mine) > tasks_left:
                model.add(sum(self.x[i] for i in mine) <= tasks_left)
            minutes_left = int(part.max_minutes[v]) - int(fixed_minutes[v])
            loads = search.load[hood.pairs[mine]].tolist()
            if sum(loads) > minutes_left:
                model.add(
                    sum(int(ld) * self.x[i] for ld, i in zip(loads, mine, strict=True))
                    <= minutes_left
                )

        if has_daily(part):
            self._daily(search, fixed)

        # One weighted objective, exactly lexicographic on this sub-model.
        pref = part.preferred[hood.pairs]
        most_pref = objective.most_continuity(part, hood.pairs)
        most_prio = int(part.priority[hood.requests].sum())
        fair_vars, fair_costs = self._fairness(search, hood, fixed_tasks) if part.fair else ([], [])
        most_fair = sum(fair_costs)
        unit = 1
        while True:
            # Distance in units of ``unit`` metres (rounded down): exact while
            # the weights fit, coarser only when they would not (acceptance
            # always compares exact metres). With fairness, one unit of it
            # outweighs all travel, one preferred pair all fairness.
            w_fair = objective.most_travel(part, hood.pairs, unit) + 1
            w1, w2 = objective.level_weights(most_pref, (most_fair + 1) * w_fair - 1)
            if objective.fits(most_prio + 1, w1) or (fair_vars and unit >= 10**9):
                break
            unit *= 10
        if not objective.fits(most_prio + 1, w1):  # fairness alone does not fit:
            fair_vars, fair_costs = [], []  # acceptance still guards the level
            w_fair = objective.most_travel(part, hood.pairs, unit) + 1
            w1, w2 = objective.level_weights(most_pref, w_fair - 1)
        dist = part.dist_m[hood.pairs] // unit
        coefs = (w2 * pref.astype(np.int64) - dist).tolist()
        model.maximize(
            cp_model.LinearExpr.weighted_sum(
                [*(y for y, _ in prio_terms), *self.x, *fair_vars],
                [
                    *(w1 * prio for _, prio in prio_terms),
                    *coefs,
                    *(-w_fair * c for c in fair_costs),
                ],
            )
        )

    def _daily(self, search: _Search, fixed: I64) -> None:
        """Limits per day of the neighbourhood's volunteers, less the fixed blocks' share."""
        part = search.part
        timed = fixed[part.timed[part.p_req[fixed]]]
        days = day_of_start(part, search.start[part.p_req[timed]])
        used_tasks: dict[tuple[int, int], int] = {}
        used_minutes: dict[tuple[int, int], int] = {}
        for p, day in zip(timed.tolist(), days.tolist(), strict=True):
            key = (int(part.p_vol[p]), int(day))
            used_tasks[key] = used_tasks.get(key, 0) + 1
            used_minutes[key] = used_minutes.get(key, 0) + int(search.load[p])
        add_daily_limits(self.model, part, self.row_lits, used_tasks, used_minutes)

    def _fairness(
        self, search: _Search, hood: _Hood, fixed_tasks: I64
    ) -> tuple[list[cp_model.IntVar], list[int]]:
        """The fairness level over the neighbourhood's volunteers: their loads in
        unary above what the fixed plan gives them, with exact weights
        (:func:`~matchcore.engines.objective.fairness_weights`) over their caps.
        Loads of everyone else are fixed, so this ranks sub-plans as the whole
        plan's fairness level does."""
        part = search.part
        hood_vol = part.p_vol[hood.pairs]
        vols = np.unique(hood_vol)
        free = np.bincount(hood_vol, minlength=part.n_volunteers)
        caps = np.minimum(fixed_tasks[vols] + free[vols], part.max_tasks[vols])
        weights = objective.fairness_weights(caps)
        out_vars: list[cp_model.IntVar] = []
        out_costs: list[int] = []
        for v, cap in zip(vols.tolist(), caps.tolist(), strict=True):
            base = int(fixed_tasks[v])
            unary = [self.model.new_bool_var(f"b{v}_{k}") for k in range(base, int(cap))]
            for a, b in itertools.pairwise(unary):
                self.model.add_implication(b, a)
            mine = np.flatnonzero(hood_vol == v).tolist()
            self.model.add(sum(self.x[i] for i in mine) == sum(unary))
            out_vars += unary
            out_costs += weights[base : int(cap)]
        return out_vars, out_costs

    def _start(
        self,
        search: _Search,
        r: int,
        mine: list[int],
        local: dict[int, int],
        intervals: dict[int, list[cp_model.IntervalVar]],
        windows: dict[int, list[tuple[int, cp_model.IntVar]]],
        window_length: dict[int, int],
    ) -> cp_model.IntVar:
        """Start of timed request ``r`` and its optional blocks, as in the exact model."""
        part, model = search.part, self.model
        lo, hi = part.start_lo, part.start_hi
        rows = [range(int(part.start_ptr[p]), int(part.start_ptr[p + 1])) for p in mine]
        union = Domain.from_intervals([[int(lo[k]), int(hi[k])] for ks in rows for k in ks])
        if part.pin_start[r] != NO_START:
            union = Domain(int(part.pin_start[r]), int(part.pin_start[r]))
        start = model.new_int_var_from_domain(union, f"s{r}")
        current = int(search.start[r])
        if search.served[r] and current != NO_START:
            model.add_hint(start, current)
        duration = int(part.duration[r])
        for p, ks in zip(mine, rows, strict=True):
            x = self.x[local[p]]
            t = int(part.travel[p])
            used = bool(search.chosen[p])
            if len(ks) == 1:
                lits = [x]
            else:
                lits = [model.new_bool_var(f"z{k}") for k in ks]
                model.add(sum(lits) == x)
                for k, lit in zip(ks, lits, strict=True):
                    model.add_hint(lit, used and bool(lo[k] <= current <= hi[k]))
            for k, lit in zip(ks, lits, strict=True):
                if not union.is_included_in(Domain(int(lo[k]), int(hi[k]))):
                    model.add_linear_constraint(start, int(lo[k]), int(hi[k])).only_enforce_if(lit)
                size = duration + 2 * t
                block = model.new_optional_fixed_size_interval_var(start - t, size, lit, f"b{k}")
                intervals.setdefault(int(part.p_vol[p]), []).append(block)
                w = int(part.start_window[k])
                windows.setdefault(w, []).append((size, lit))
                window_length.setdefault(w, int(part.window_minutes[k]))
                self.row_lits[k] = lit
        return start
