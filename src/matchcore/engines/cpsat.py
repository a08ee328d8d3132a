"""CP-SAT engine: the exact model with every side constraint.

Variables: ``x[p]`` (pair p is used), ``y[r]`` (request r is served), and a
start minute ``s[r]`` per timed request. Each used pair of a timed request
is an optional interval ``[s[r] - t, s[r] + duration + t)`` in its
volunteer's no-overlap constraint, and ``s[r]`` must lie in the pair's
feasible start intervals when ``x[p]`` holds.

The objective is lexicographic (:mod:`matchcore.engines.objective`). When
the weights that keep the levels apart fit comfortably, it is one weighted
objective; otherwise two stages: priority with continuity (continuity weighs
less than one unit of priority), then, with that value fixed, total distance.

Every search stops at the :class:`~matchcore.params.Deadline` it is given.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python.cp_model_helper import SatParameters
from ortools.util.python.sorted_interval_list import Domain

from matchcore.engines import objective
from matchcore.engines.roles import add_roles, role_requests
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.parts import Part, PartResult, daily_bind, limits_bind, pair_load

log = logging.getLogger(__name__)


class PinConflictError(Exception):
    """The pinned commitments of a part provably cannot all be kept together."""


class NoSolutionInTimeError(Exception):
    """CP-SAT found no plan within its time limit (nothing is proven)."""


@dataclass(frozen=True)
class CpSatSettings:
    """How one CP-SAT search runs: until ``deadline``, with ``seed``, and
    ``workers`` search workers (0: ``params.cpsat.default_workers``)."""

    deadline: Deadline
    workers: int = 0
    seed: int = 0
    params: SolveParams = DEFAULT_PARAMS

    @property
    def num_workers(self) -> int:
        return self.workers or self.params.cpsat.default_workers


@dataclass
class _Model:
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    y: list[cp_model.IntVar]
    s: dict[int, cp_model.IntVar]
    # Per keepable request (matchcore.replan): true only when its previous
    # team is chosen and, if timed, it starts at its previous start.
    k: list[cp_model.IntVar]
    # Series continuity (engines/objective.py): per series and candidate
    # volunteer, the occurrences counted when that volunteer is its main one.
    c: list[cp_model.IntVar] = field(default_factory=list)


def solve_cpsat(part: Part, settings: CpSatSettings, hint: PartResult | None = None) -> PartResult:
    """Solve one part to lexicographic optimality, or as far as time allows.

    When the weights fit comfortably, the three levels are one weighted
    objective (one solve, about twice as fast as two stages on a weekly
    network); otherwise priority and continuity come first, then distance.
    """
    m = _build(part)
    if hint is not None:
        _add_hint(m, part, hint)
    w_prio, w_kept, reach = objective.kept_weights(
        len(m.k), objective.most_continuity(part), objective.most_travel(part)
    )
    weight = w_prio // reach  # one unit of priority beats all kept and continuity
    if part.fair:  # the fairness level between continuity and travel: in stages
        from matchcore.engines.fair import solve_fair

        return solve_fair(m, part, settings, (weight, w_kept // reach), hint)
    if objective.fits(_total(part), w_prio):
        return _solve_weighted(m, part, settings, (weight, w_kept // reach, reach), hint)
    return _solve_two_stages(m, part, settings, (weight, w_kept // reach), hint)


def _solve_weighted(
    m: _Model,
    part: Part,
    settings: CpSatSettings,
    weights: tuple[int, int, int],
    hint: PartResult | None,
) -> PartResult:
    """(priority * weight + kept * w_kept + continuity) * reach - distance, in one solve."""
    weight, w_kept, reach = weights
    pref = part.preferred.tolist()
    coefs = [int(p) * weight * reach for p in part.priority.tolist()]
    coefs += [(reach if pref[p] else 0) - int(d) for p, d in enumerate(part.dist_m.tolist())]
    coefs += [w_kept * reach] * len(m.k)
    coefs += [reach] * len(m.c)  # a series' occurrence weighs as a preferred pair
    m.model.maximize(cp_model.LinearExpr.weighted_sum([*m.y, *m.x, *m.k, *m.c], coefs))
    solver, status = run_search(m.model, settings, settings.deadline.remaining())
    log.debug(
        "cp-sat weighted: %s in %.2fs (%d pairs)",
        solver.status_name(status),
        solver.wall_time,
        part.n_pairs,
    )
    fallback = _without_plan(status, hint)
    if fallback is not None:
        return fallback
    # objective + distance = (priority * weight + kept * w_kept + continuity) * reach,
    # kept * w_kept + continuity < weight, distance < reach:
    # so priority <= (bound + reach - 1) / (weight * reach).
    bound = math.floor((solver.best_objective_bound + reach - 1 + 1e-6) / (weight * reach))
    found = _extract(m, part, solver, status == cp_model.OPTIMAL, min(bound, _total(part)))
    return better_of(part, found, hint)


def better_of(part: Part, found: PartResult, hint: PartResult | None) -> PartResult:
    """``found``, unless ``hint`` is lexicographically better and ``found`` is not
    proven optimal: then the hint's plan with ``found``'s bound (not optimal)."""

    def key(res: PartResult) -> objective.PlanKey:
        return objective.plan_key(part, res.chosen, start=res.start)

    if hint is None or found.optimal or key(found) >= key(hint):
        return found
    return PartResult(hint.chosen, hint.start, False, found.bound, hint.engine)


def _without_plan(status: object, hint: PartResult | None) -> PartResult | None:
    """None when CP-SAT has a plan; else the hint, or the reason there is none.

    INFEASIBLE can only come from pins (serving nothing is always feasible).
    """
    if status == cp_model.INFEASIBLE:
        raise PinConflictError
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    if hint is not None:
        return hint  # keep the heuristic's plan; its bound is the trivial one
    raise NoSolutionInTimeError


def upper_levels(m: _Model, part: Part, weights: tuple[int, int]) -> cp_model.LinearExpr:
    """The levels above fairness and travel in one sum: priority (times
    ``weights[0]``), kept (times ``weights[1]``) and continuity (preferred
    pairs and series counts, once each), which every staged solve maximises first."""
    weight, w_kept = weights
    return cp_model.LinearExpr.weighted_sum(
        [*m.y, *(m.x[p] for p in np.flatnonzero(part.preferred).tolist()), *m.k, *m.c],
        [
            *(int(p) * weight for p in part.priority.tolist()),
            *[1] * int(part.preferred.sum()),
            *[w_kept] * len(m.k),
            *[1] * len(m.c),
        ],
    )


def _solve_two_stages(
    m: _Model,
    part: Part,
    settings: CpSatSettings,
    weights: tuple[int, int],
    hint: PartResult | None,
) -> PartResult:
    """Priority with kept and continuity first; then, with that fixed, distance."""
    weight, _ = weights
    first = upper_levels(m, part, weights)
    m.model.maximize(first)

    total_s = settings.deadline.remaining()
    solver, status = run_search(
        m.model, settings, total_s * settings.params.cpsat.first_stage_share
    )
    fallback = _without_plan(status, hint)
    if fallback is not None:
        return fallback
    log.debug(
        "cp-sat stage 1: %s in %.2fs (%d pairs)",
        solver.status_name(status),
        solver.wall_time,
        part.n_pairs,
    )
    best_first = round(solver.objective_value)
    first_optimal = status == cp_model.OPTIMAL
    bound = math.floor((solver.best_objective_bound + 1e-6) / weight)
    result = _extract(m, part, solver, first_optimal, min(bound, _total(part)))

    remaining = settings.deadline.remaining()
    if remaining <= 0.01:
        return _with(result, optimal=False)
    m.model.clear_hints()  # type: ignore[no-untyped-call]
    _add_hint(m, part, result)
    m.model.add(first == best_first) if first_optimal else m.model.add(first >= best_first)
    m.model.minimize(sum(int(d) * x for d, x in zip(part.dist_m.tolist(), m.x, strict=True)))
    solver, status = run_search(m.model, settings, remaining)
    log.debug("cp-sat stage 2: %s in %.2fs", solver.status_name(status), solver.wall_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _with(result, optimal=False)
    found = _extract(m, part, solver, first_optimal and status == cp_model.OPTIMAL, result.bound)
    return better_of(part, found, hint)


def solve_pins_only(part: Part, settings: CpSatSettings) -> PartResult:
    """A plan that serves the pinned requests only: the last resort when time ran out.

    Raises :class:`PinConflictError` when the pins provably cannot all be kept.
    """
    m = _build(part)
    for r in np.flatnonzero(~part.pinned).tolist():
        m.model.add(m.y[r] == 0)
    solver, status = run_search(m.model, settings, settings.deadline.remaining())
    if status == cp_model.INFEASIBLE:
        raise PinConflictError
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise NoSolutionInTimeError
    return _extract(m, part, solver, False, int(part.priority.sum()))


def can_serve(part: Part, request: int, settings: CpSatSettings) -> bool | None:
    """Whether local ``request`` can be served while the part's pins are kept:
    True or False when proven, None when the deadline came first."""
    m = _build(part)
    m.model.add(m.y[request] == 1)
    status = _solver(settings, settings.deadline.remaining()).solve(m.model)
    if status == cp_model.INFEASIBLE:
        return False
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return None


@dataclass
class SharedVolunteers:
    """Blocks another model puts on a part's volunteers (group sessions, :mod:`matchcore.groups`).

    ``blocks[v]`` join local volunteer ``v``'s no-overlap. Task and minute
    limits are the other model's to add: a volunteer may be in several parts.
    """

    model: cp_model.CpModel
    blocks: dict[int, list[cp_model.IntervalVar]] = field(default_factory=dict)
    # Filled by build_shared: the part's series-continuity counts, for the
    # other model's continuity level (engines/objective.py).
    series_counts: list[cp_model.IntVar] = field(default_factory=list)


def build_shared(
    part: Part, shared: SharedVolunteers
) -> tuple[list[cp_model.IntVar], list[cp_model.IntVar], dict[int, cp_model.IntVar]]:
    """The part's exact model built into ``shared.model``, with ``shared.blocks``.

    Returns the pair literals ``x``, the request literals ``y`` and the start
    variables ``s`` (by local request), as :func:`solve_cpsat` uses them.
    """
    m = _build(part, shared)
    shared.series_counts.extend(m.c)
    return m.x, m.y, m.s


def _build(part: Part, shared: SharedVolunteers | None = None) -> _Model:
    model = cp_model.CpModel() if shared is None else shared.model
    x = [model.new_bool_var(f"x{p}") for p in range(part.n_pairs)]
    y = [model.new_bool_var(f"y{r}") for r in range(part.n_requests)]
    s: dict[int, cp_model.IntVar] = {}
    intervals: list[list[cp_model.IntervalVar]] = [[] for _ in range(part.n_volunteers)]
    windows: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    row_lits: dict[int, cp_model.IntVar] = {}  # per start row: its block is used
    ptr = part.pair_ptr.tolist()
    rows = _Rows.of(part)
    for r in range(part.n_requests):
        pairs = range(ptr[r], ptr[r + 1])
        model.add(sum(x[p] for p in pairs) == int(part.need[r]) * y[r])
        if part.pinned[r]:
            model.add(y[r] == 1)
            for p in pairs:
                model.add(x[p] == int(part.pin_pair[p]))
        if part.timed[r]:
            s[r] = _start_var(model, part, rows, r, pairs, x, intervals, windows, row_lits)
    for r in role_requests(part):  # each member in one role, each role its count
        add_roles(model, part, r, x.__getitem__, y[r])
    load = pair_load(part)
    tasks_bind, minutes_bind = limits_bind(part)
    if shared is not None:
        for v, blocks in shared.blocks.items():
            intervals[v].extend(blocks)
    for v in range(part.n_volunteers):
        if len(intervals[v]) > 1:
            model.add_no_overlap(intervals[v])
    for v in np.flatnonzero(tasks_bind | minutes_bind).tolist():
        mine = np.flatnonzero(part.p_vol == v).tolist()
        if tasks_bind[v]:
            model.add(sum(x[p] for p in mine) <= int(part.max_tasks[v]))
        if minutes_bind[v]:
            model.add(sum(int(load[p]) * x[p] for p in mine) <= int(part.max_minutes[v]))
    add_daily_limits(model, part, row_lits)
    # Redundant, for the bound: the blocks inside one availability window
    # cannot together be longer than the window (the LP of no-overlap is weak).
    capacity = dict(zip(part.start_window.tolist(), part.window_minutes.tolist(), strict=True))
    for w, items in windows.items():
        if sum(size for size, _ in items) > capacity[w]:
            model.add(sum(size * lit for size, lit in items) <= capacity[w])
    return _Model(model, x, y, s, _kept_literals(model, part, x, s), _series_counts(model, part, x))


def _series_counts(
    model: cp_model.CpModel, part: Part, x: list[cp_model.IntVar]
) -> list[cp_model.IntVar]:
    """Series continuity, linearised: per series ``s`` and candidate volunteer ``v``
    a literal ``main[s, v]`` (at most one per series) and a count
    ``c[s, v] <= sum of x over v's pairs of s`` and ``c[s, v] <= n * main[s, v]``
    (``n``: occurrences of ``s`` ``v`` has a pair for). Maximised, ``sum_v c[s, v]``
    is ``max_v n(s, v)``, the objective's figure."""
    if part.series.size == 0:
        return []
    pair_series = part.series[part.p_req]
    out: list[cp_model.IntVar] = []
    for ser in np.unique(pair_series[pair_series >= 0]).tolist():
        pairs = np.flatnonzero(pair_series == ser)
        mains = []
        for v in np.unique(part.p_vol[pairs]).tolist():
            mine = pairs[part.p_vol[pairs] == v].tolist()
            n = len(mine)  # one pair per (request, volunteer)
            main = model.new_bool_var(f"main{ser}_{v}")
            count = model.new_int_var(0, n, f"c{ser}_{v}")
            model.add(count <= sum(x[p] for p in mine))
            model.add(count <= n * main)
            mains.append(main)
            out.append(count)
        model.add_at_most_one(mains)
    return out


def _kept_literals(
    model: cp_model.CpModel, part: Part, x: list[cp_model.IntVar], s: dict[int, cp_model.IntVar]
) -> list[cp_model.IntVar]:
    """One literal per keepable request, true only when the plan keeps it."""
    out = []
    for r in np.flatnonzero(objective.keepable(part)).tolist():
        k = model.new_bool_var(f"k{r}")
        for p in range(int(part.pair_ptr[r]), int(part.pair_ptr[r + 1])):
            if part.keep_pair[p]:
                model.add_implication(k, x[p])
        if part.timed[r]:
            model.add(s[r] == int(part.keep_start[r])).only_enforce_if(k)
        out.append(k)
    return out


@dataclass(frozen=True)
class _Rows:
    """A part's per-pair and per-row arrays as Python lists, made once per model
    (converting them for every request made building quadratic in the rows)."""

    start_ptr: list[int]
    lo: list[int]
    hi: list[int]
    window: list[int]
    travel: list[int]
    p_vol: list[int]

    @classmethod
    def of(cls, part: Part) -> _Rows:
        return cls(
            part.start_ptr.tolist(),
            part.start_lo.tolist(),
            part.start_hi.tolist(),
            part.start_window.tolist(),
            part.travel.tolist(),
            part.p_vol.tolist(),
        )


def _start_var(
    model: cp_model.CpModel,
    part: Part,
    lists: _Rows,
    r: int,
    pairs: range,
    x: list[cp_model.IntVar],
    intervals: list[list[cp_model.IntervalVar]],
    windows: dict[int, list[tuple[int, cp_model.IntVar]]],
    row_lits: dict[int, cp_model.IntVar] | None = None,
) -> cp_model.IntVar:
    """The start minute of timed request ``r`` and its volunteers' blocks.

    A pair that fits several availability windows gets one literal per
    window, so that each block belongs to exactly one window (and, with
    limits per day, one day); ``row_lits`` collects them by start row.
    """
    lo, hi, ptr = lists.lo, lists.hi, lists.start_ptr
    rows = [range(ptr[p], ptr[p + 1]) for p in pairs]
    union = Domain.from_intervals([[lo[k], hi[k]] for ks in rows for k in ks])
    if part.pin_start[r] != NO_START:
        union = Domain(int(part.pin_start[r]), int(part.pin_start[r]))
    start = model.new_int_var_from_domain(union, f"s{r}")
    duration = int(part.duration[r])
    for p, ks in zip(pairs, rows, strict=True):
        t = lists.travel[p]
        if len(ks) == 1:
            lits = [x[p]]
        else:
            lits = [model.new_bool_var(f"z{k}") for k in ks]
            model.add(sum(lits) == x[p])
        for k, lit in zip(ks, lits, strict=True):
            if not union.is_included_in(Domain(lo[k], hi[k])):
                model.add_linear_constraint(start, lo[k], hi[k]).only_enforce_if(lit)
            size = duration + 2 * t
            block = model.new_optional_fixed_size_interval_var(start - t, size, lit, f"b{k}")
            intervals[lists.p_vol[p]].append(block)
            windows.setdefault(lists.window[k], []).append((size, lit))
            if row_lits is not None:
                row_lits[k] = lit
    return start


def add_daily_limits(
    model: cp_model.CpModel,
    part: Part,
    row_lits: dict[int, cp_model.IntVar],
    used_tasks: dict[tuple[int, int], int] | None = None,
    used_minutes: dict[tuple[int, int], int] | None = None,
) -> None:
    """``max_tasks_per_day`` and ``max_minutes_per_day`` of every volunteer whose
    limit could bind: per local day, the blocks of the rows of that day.

    Each start row lies in one local day (:func:`matchcore.tasks.parts.make_part`
    cuts rows at midnight) and each used block has exactly one row literal, so
    the sum of a day's row literals is the tasks starting that day. Rows
    without a literal in ``row_lits`` are not in this model. ``used_tasks``
    and ``used_minutes`` (by ``(volunteer, day)``) are taken by blocks fixed
    outside the model (LNS).
    """
    binding = daily_bind(part)
    if not binding.any():
        return
    load = pair_load(part)
    pair_of_row = np.repeat(np.arange(part.n_pairs), np.diff(part.start_ptr))
    per_day: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = {}
    for k, lit in row_lits.items():
        p = int(pair_of_row[k])
        v = int(part.p_vol[p])
        if binding[v]:
            per_day.setdefault((v, int(part.row_day[k])), []).append((int(load[p]), lit))
    for (v, day), items in per_day.items():
        tasks = int(part.day_tasks[v]) - (used_tasks or {}).get((v, day), 0)
        minutes = int(part.day_minutes[v]) - (used_minutes or {}).get((v, day), 0)
        if len(items) > tasks:
            model.add(sum(lit for _, lit in items) <= tasks)
        if sum(size for size, _ in items) > minutes:
            model.add(sum(size * lit for size, lit in items) <= minutes)


def _solver(settings: CpSatSettings, time_limit_s: float, workers: int = 0) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.01)
    solver.parameters.random_seed = settings.seed
    # Ctrl-C belongs to the caller (the CLI stops at once), not to one search.
    solver.parameters.catch_sigint_signal = False
    solver.parameters.num_workers = workers or settings.num_workers
    return solver


def lighten(parameters: SatParameters) -> None:
    """Set a single-worker search up for a small model (``CpSatParams.light_quick_below_vars``).

    Presolve, probing and the symmetry search cost a small model more than
    they save (a fixed cost of a few tenths of a second); the full linear
    relaxation (no-overlap and limits included) with a search that follows
    the LP proves its optimum in fewer nodes. Only speed changes: the search
    is as exact as with the defaults, and as deterministic.
    """
    parameters.max_presolve_iterations = 1
    parameters.cp_model_probing_level = 0
    parameters.symmetry_level = 0
    parameters.linearization_level = 2
    parameters.search_branching = cp_model.LP_SEARCH


def hint_plan(model: cp_model.CpModel, plan: list[int]) -> None:
    """Replace ``model``'s hints by ``plan``, a value for every variable (a solver's
    ``response_proto.solution``)."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    model.proto.solution_hint.vars.extend(range(len(plan)))
    model.proto.solution_hint.values.extend(plan)


def run_search(
    model: cp_model.CpModel, settings: CpSatSettings, time_limit_s: float
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Solve ``model`` within ``time_limit_s``: the solver holding the answer and its status.

    A single worker searches first, for ``CpSatParams.quick_deterministic_s``
    of CP-SAT's deterministic time: a network's parts are proven there, several
    times faster than by the portfolio, whose workers share two cores. When it
    proves nothing, the portfolio searches in the time that is left, from its
    plan. The quick pass is deterministic, so the same input and seed still
    give the same plan wherever it decides.
    """
    quick = settings.params.cpsat.quick_deterministic_s
    if quick <= 0 or settings.num_workers <= 1:
        solver = _solver(settings, time_limit_s)
        return solver, solver.solve(model)
    started = time.perf_counter()
    first = _solver(settings, time_limit_s, workers=1)
    first.parameters.max_deterministic_time = quick
    if len(model.proto.variables) < settings.params.cpsat.light_quick_below_vars:
        lighten(first.parameters)
    status = first.solve(model)
    left = time_limit_s - (time.perf_counter() - started)
    if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID) or left <= 0.01:
        return first, status
    if status == cp_model.FEASIBLE:  # the portfolio continues from this plan
        hint_plan(model, list(first.response_proto.solution))
    solver = _solver(settings, left)
    second = solver.solve(model)
    if second not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and status == cp_model.FEASIBLE:
        return first, status  # the portfolio found nothing in time: the quick plan stands
    return solver, second


def _add_hint(m: _Model, part: Part, result: PartResult) -> None:
    for p, var in enumerate(m.x):
        m.model.add_hint(var, bool(result.chosen[p]))
    served = np.zeros(part.n_requests, dtype=bool)
    served[part.p_req[result.chosen]] = True
    for r, var in enumerate(m.y):
        m.model.add_hint(var, bool(served[r]))
    for r, var in m.s.items():
        if result.start[r] != NO_START:
            m.model.add_hint(var, int(result.start[r]))
    keep = np.flatnonzero(objective.keepable(part)).tolist()
    for r, var in zip(keep, m.k, strict=True):
        team = np.arange(part.pair_ptr[r], part.pair_ptr[r + 1])
        team = team[part.keep_pair[team]]
        held = bool(result.chosen[team].all()) and (
            not part.timed[r] or result.start[r] == part.keep_start[r]
        )
        m.model.add_hint(var, held)


def _extract(
    m: _Model, part: Part, solver: cp_model.CpSolver, optimal: bool, bound: int
) -> PartResult:
    chosen = np.array([solver.boolean_value(v) for v in m.x], dtype=bool)
    start = np.full(part.n_requests, NO_START, dtype=np.int64)
    served = np.zeros(part.n_requests, dtype=bool)
    served[part.p_req[chosen]] = True
    for r, var in m.s.items():
        if served[r]:
            start[r] = solver.value(var)
    return PartResult(chosen, start, optimal, bound, "cp-sat")


def _with(result: PartResult, *, optimal: bool) -> PartResult:
    return PartResult(result.chosen, result.start, optimal, result.bound, result.engine)


def _total(part: Part) -> int:
    return int(part.priority.sum())
