"""The peers: what each one does to a problem, inside its own subprocess.

Every peer takes a validated :class:`~matchcore.problem.Problem` and returns a
:class:`PeerOutcome`: a status, a v1 solution dict (``None`` when it found no
plan), wall seconds per phase and extra facts. The baselines (``greedy``,
``flow``, ``cpsat``, ``scipy``) all work on *the same candidate graph*: the
arrays of :func:`matchcore.tasks.candidates.build_candidates`, built once per
instance by the ``graph`` step and loaded from an ``.npz`` file, so that
their times measure the method, not the candidate generation (whose time the
``graph`` step records). Their plans are assembled and explained with
matchcore's own ``assemble``, so every peer's answer is the same kind of
document and goes through the same checker.

``matchcore`` runs end to end from the problem (its own candidates included).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matchcore.params import DEFAULT_PARAMS, SolveParams
from matchcore.problem import Problem
from matchcore.tasks.arrays import NO_START, TaskArrays, task_arrays
from matchcore.tasks.assemble import assemble, assemble_pairs
from matchcore.tasks.candidates import Candidates, build_candidates
from matchcore.tasks.parts import whole_part
from matchcore.tasks.pins import check_pins

I64 = NDArray[np.int64]

PEERS = (
    "matchcore",
    "greedy",
    "flow",
    "flow-relaxed",
    "cpsat",
    "scipy",
    "mip",
    "group-greedy",
    "matchcore-lns",
)
DEFAULT_PEERS = PEERS[:-1]  # matchcore-lns (the before of issue 13) only when asked for

# Statuses a peer run can end with.
OPTIMAL = "optimal"  # proven optimal (lexicographic objective)
FEASIBLE = "feasible"  # a plan with a proven bound, not proven optimal
HEURISTIC = "heuristic"  # a plan, no proof
NO_SOLUTION = "no solution"  # ran, found no plan in time
NOT_APPLICABLE = "n/a"  # the method cannot represent this problem
SKIPPED = "skipped"  # could, but a size guard kept it from running
RELAXATION = "relaxation"  # solved a relaxation: no plan, its optimum is an upper bound


@dataclass
class PeerOutcome:
    """What a peer run produced; serialised to JSON by ``run_peer``."""

    status: str
    detail: str = ""
    solution: dict[str, Any] | None = None
    phases: dict[str, float] = field(default_factory=dict)
    bound: float | None = None  # proven upper bound on served priority, if the peer has one
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PeerSettings:
    time_limit_s: float
    cpsat_max_pairs: int = 1_000_000
    scipy_max_edges: int = 20_000_000
    workers: int = 0  # CP-SAT search workers for the cpsat peer; 0 = matchcore's default
    mip_max_pairs: int = 5_000


class _Clock:
    """Wall seconds per named phase."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._tick = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(self.phases.get(name, 0.0) + now - self._tick, 4)
        self._tick = now


# -- the candidate graph ----------------------------------------------------------------


def save_graph(problem: Problem, path: Path) -> dict[str, Any]:
    """Build the candidate graph of ``problem`` and save its arrays to ``path`` (.npz)."""
    clock = _Clock()
    cand = build_candidates(problem, task_arrays(problem))
    clock.lap("candidates")
    arrays = {f.name: getattr(cand, f.name) for f in dataclasses.fields(cand)}
    np.savez(path, **arrays)
    clock.lap("save")
    return {"pairs": cand.n_pairs, "phases": clock.phases}


def load_graph(path: Path) -> Candidates | None:
    """The saved graph, or None when it was saved by another version of ``Candidates``."""
    with np.load(path) as data:
        kwargs = {f.name: data[f.name] for f in dataclasses.fields(Candidates) if f.name in data}
    missing = [
        f.name
        for f in dataclasses.fields(Candidates)
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    return None if missing else Candidates(**kwargs)


# -- glue to matchcore's public seams ----------------------------------------------------------


def _setup(problem: Problem, cand: Candidates) -> tuple[int, TaskArrays]:
    """The problem's arrays with the pins checked against ``cand``, and its priority scale."""
    arrays = check_pins(problem, cand, task_arrays(problem))
    return arrays.scale, arrays


def _assemble_chosen(
    problem: Problem, cand: Candidates, scale: int, chosen: NDArray[np.bool_], optimal: bool
) -> dict[str, Any]:
    """A v1 solution dict for untimed plans given as chosen global pairs."""
    _, arrays = _setup(problem, cand)
    served = np.zeros(len(problem.requests), dtype=bool)
    served[cand.req[chosen]] = True
    start = np.full(len(problem.requests), NO_START, dtype=np.int64)
    bound = int(arrays.priority[served].sum())
    solution = assemble_pairs(problem, cand, arrays, chosen, start, optimal, bound)
    return solution.to_dict()  # type: ignore[no-any-return]


def _flow_applicable(problem: Problem, cand: Candidates) -> str | None:
    """Why plain flow / matching cannot represent ``problem`` exactly (None if it can)."""
    if any(r.window is not None for r in problem.requests):
        return "timed requests (overlaps are not a flow)"
    teams = sum(r.volunteers_needed > 1 for r in problem.requests)
    if teams:
        return f"{teams} requests need a team (all-or-nothing is not a flow)"
    if problem.assignments:
        return "pinned assignments"
    if cand.n_pairs:
        limits = np.array(
            [-1 if v.max_minutes is None else v.max_minutes for v in problem.volunteers],
            dtype=np.int64,
        )
        dur = np.array([r.duration_minutes for r in problem.requests], dtype=np.int64)
        load = dur[cand.req] + 2 * cand.travel_min
        total = np.bincount(cand.vol, weights=load, minlength=limits.size)
        binds = int(((limits >= 0) & (limits < total)).sum())
        if binds:
            return f"minute budgets can bind for {binds} volunteers (a knapsack, not a flow)"
    return None


def _lexicographic_weights(
    problem: Problem, cand: Candidates, scale: int, fits: Callable[[I64, I64], bool]
) -> tuple[I64, I64, int]:
    """Per-request priority gain, per-pair cost and the distance unit used.

    One unit of priority outweighs all continuity; one preferred pair
    outweighs all distance any plan can travel. While ``fits(gain, cost)``
    says the numbers are too large for the solver's arithmetic, distance is
    coarsened by tens (optimality in travel is then only up to that unit).
    """
    n_r = len(problem.requests)
    priority = np.array([round(r.priority * scale) for r in problem.requests], dtype=np.int64)
    pref = cand.preferred.astype(np.int64)
    has_pref = np.zeros(n_r, dtype=np.int64)
    np.maximum.at(has_pref, cand.req, pref)
    unit = 1
    while True:
        dist = np.rint(cand.distance_km * 1000.0).astype(np.int64) // unit
        worst = np.zeros(n_r, dtype=np.int64)
        np.maximum.at(worst, cand.req, dist)
        w_pref = int(worst.sum()) + 1
        w_prio = (int(has_pref.sum()) + 1) * w_pref
        gain = priority * w_prio
        cost = dist - pref * w_pref
        if fits(gain, cost) or unit >= 10**9:
            return gain, cost, unit
        unit *= 10


def _fits_int64(n_r: int, n_nodes: int) -> Callable[[I64, I64], bool]:
    """OR-Tools' cost scaling multiplies every arc cost by ``n_nodes + 1`` (else it
    answers ``BAD_COST_RANGE``), and the total cost must stay inside int64 too."""

    def fits(gain: I64, cost: I64) -> bool:
        largest = max(float(gain.max(initial=0)), float(np.abs(cost).max(initial=0)))
        total = float(np.abs(gain).sum()) + float(np.abs(cost).max(initial=0)) * n_r
        return total < 2.0**62 and largest * (n_nodes + 1) < 2.0**62

    return fits


def _fits_float64(n_rows: int) -> Callable[[I64, I64], bool]:
    def fits(gain: I64, cost: I64) -> bool:
        shift = float(gain.max(initial=0)) + float(np.abs(cost).max(initial=0)) + 1.0
        return 2.0 * shift * max(n_rows, 1) < 2.0**52

    return fits


# -- peers -------------------------------------------------------------------------------


def run_matchcore(
    problem: Problem,
    graph: Path | None,
    settings: PeerSettings,
    params: SolveParams = DEFAULT_PARAMS,
) -> PeerOutcome:
    """matchcore end to end: candidates, decomposition, engines, explanations."""
    import matchcore

    started = time.perf_counter()
    # The matcher alone: the advice (issue 11) would spend the rest of the budget re-solving.
    solution = matchcore.solve(
        problem, time_limit_s=settings.time_limit_s, advise=False, params=params
    )
    solve_s = time.perf_counter() - started
    doc = solution.to_dict()
    wall = time.perf_counter() - started
    phases = dict(solution.stats.phases)
    phases["to_dict"] = round(wall - solution.stats.wall_seconds, 4)
    return PeerOutcome(
        status=solution.status.value,
        solution=doc,
        phases=phases,
        bound=solution.bound,
        extra={
            "candidate_pairs": solution.stats.candidate_pairs,
            "parts": solution.stats.parts,
            "solve_s": round(solve_s, 4),
            "engines": dict(solution.stats.engines),
        },
    )


def run_matchcore_lns(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """matchcore without column generation (``ColGenParams.enabled = False``): large
    timed parts go to the LNS alone, as before issue 13; the before of a before/after
    in one run."""
    params = dataclasses.replace(
        DEFAULT_PARAMS, colgen=dataclasses.replace(DEFAULT_PARAMS.colgen, enabled=False)
    )
    return run_matchcore(problem, graph, settings, params)


def run_greedy(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """Most urgent request first, nearest free volunteer (matchcore's greedy engine,
    on one part covering the whole candidate graph)."""
    from matchcore.engines.greedy import solve_greedy

    clock = _Clock()
    cand = _graph(problem, graph)
    clock.lap("candidates_load")
    _, arrays = _setup(problem, cand)
    parts = [whole_part(cand, arrays)] if cand.n_pairs else []
    clock.lap("build")
    results = [solve_greedy(part) for part in parts]
    clock.lap("solve")
    solution = assemble(problem, cand, arrays, parts, results)
    doc = solution.to_dict()
    clock.lap("assemble")
    return PeerOutcome(HEURISTIC, solution=doc, phases=clock.phases)


def run_flow(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """Plain OR-Tools ``SimpleMinCostFlow`` on the whole candidate graph, undecomposed.

    source -> request (capacity 1, gain = priority) -> volunteer (capacity 1,
    cost = distance - continuity) -> sink (capacity ``max_tasks``), plus a
    source -> sink bypass for unserved requests; all arcs from numpy arrays
    in one ``add_arcs_with_capacity_and_unit_cost`` call.
    """
    clock = _Clock()
    cand = _graph(problem, graph)
    clock.lap("candidates_load")
    why = _flow_applicable(problem, cand)
    if why is not None:
        return PeerOutcome(NOT_APPLICABLE, why, phases=clock.phases)
    scale, _ = _setup(problem, cand)
    solved = _plain_flow(problem, cand, scale, clock)
    if isinstance(solved, PeerOutcome):
        return solved
    chosen, unit, extra = solved
    return _exact_peer_outcome(problem, cand, scale, chosen, unit, "to fit int64", clock, extra)


def run_flow_relaxed(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """The plain min-cost flow of :func:`run_flow` on the same candidate graph, with every
    team request relaxed to a single volunteer and every minute budget dropped.

    A speed reference where the plain flow refuses the problem (issue 13's
    "1.5x a plain min-cost flow on the same candidate graph"), and **not a
    plan**: its answer may put one volunteer on a team request and break a
    budget. Any plan of the real problem becomes a plan of the relaxation
    (drop team members beyond the first; budgets only remove plans), so the
    relaxed optimum's served priority is an upper bound on the real one
    (on the full graph; on a pruned graph it proves nothing).
    """
    clock = _Clock()
    cand = _graph(problem, graph)
    clock.lap("candidates_load")
    why = _relaxation_not_applicable(problem, cand)
    if why is not None:
        return PeerOutcome(NOT_APPLICABLE, why, phases=clock.phases)
    scale, arrays = _setup(problem, cand)
    solved = _plain_flow(problem, cand, scale, clock)
    if isinstance(solved, PeerOutcome):
        return solved
    chosen, unit, extra = solved
    served = np.zeros(len(problem.requests), dtype=bool)
    served[cand.req[chosen]] = True
    priority = float(arrays.priority[served].sum()) / scale
    teams = int(sum(r.volunteers_needed > 1 for r in problem.requests))
    budgets = int(sum(v.max_minutes is not None for v in problem.volunteers))
    pruned = _pruned(cand)
    detail = (
        f"relaxation, not a plan: {teams} team requests as singles, {budgets} minute budgets "
        f"dropped; its optimum {priority:,.0f} is an upper bound on served priority"
    )
    if pruned:
        detail = (
            f"relaxation, not a plan: {teams} team requests as singles, {budgets} minute "
            f"budgets dropped; on matchcore's pruned candidate graph ({pruned:,} valid pairs "
            "left out), so its optimum bounds nothing"
        )
    if unit != 1:
        detail += f"; distance coarsened to {unit} m to fit int64 (priority exact)"
    clock.lap("assemble")
    return PeerOutcome(
        RELAXATION,
        detail,
        phases=clock.phases,
        bound=None if pruned else priority,
        extra={
            **extra,
            "relaxed_served": int(served.sum()),
            "relaxed_priority": priority,
            "relaxed_continuity": int(cand.preferred[chosen].sum()),
            "relaxed_travel_km": round(float(2.0 * cand.distance_km[chosen].sum()), 3),
            "team_requests_as_singles": teams,
            "minute_budgets_dropped": budgets,
            "distance_unit_m": unit,
            "pruned_pairs": pruned,
        },
    )


def _relaxation_not_applicable(problem: Problem, cand: Candidates) -> str | None:
    """Why the relaxed flow does not run: where the plain flow is exact it is the
    plain flow itself; timed requests and pins are not relaxed."""
    why = static_not_applicable("flow-relaxed", problem)
    if why is not None:
        return why
    if _flow_applicable(problem, cand) is None:
        return "the plain flow is exact here (no team, no binding budget): see flow"
    return None


def _plain_flow(
    problem: Problem, cand: Candidates, scale: int, clock: _Clock
) -> tuple[NDArray[np.bool_], int, dict[str, Any]] | PeerOutcome:
    """Build and solve the plain min-cost flow; the chosen pairs, the distance unit and
    sizes, or an error outcome. Every request takes one volunteer; minute budgets are
    not modelled (the callers decide whether that is exact or a relaxation)."""
    from ortools.graph.python import min_cost_flow

    n_r, n_v, n_p = len(problem.requests), len(problem.volunteers), cand.n_pairs
    fits = _fits_int64(n_r, 2 + n_r + n_v)
    gain, cost, unit = _lexicographic_weights(problem, cand, scale, fits)
    source, sink = 0, 1
    r_node = 2 + np.arange(n_r, dtype=np.int64)
    v_node = 2 + n_r + np.arange(n_v, dtype=np.int64)
    max_tasks = np.array(
        [n_r if v.max_tasks is None else min(v.max_tasks, n_r) for v in problem.volunteers],
        dtype=np.int64,
    )
    tail = np.concatenate(([source], np.full(n_r, source), r_node[cand.req], v_node))
    head = np.concatenate(([sink], r_node, v_node[cand.vol], np.full(n_v, sink)))
    capacity = np.concatenate(([n_r], np.ones(n_r + n_p, dtype=np.int64), max_tasks))
    unit_cost = np.concatenate(([0], -gain, cost, np.zeros(n_v, dtype=np.int64)))
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, unit_cost)
    supply = np.zeros(2 + n_r + n_v, dtype=np.int64)
    supply[source], supply[sink] = n_r, -n_r
    smcf.set_nodes_supplies(np.arange(supply.size), supply)
    clock.lap("build")
    status = smcf.solve()
    clock.lap("solve")
    if status != smcf.OPTIMAL:
        return PeerOutcome("error", f"min-cost flow status {status}", phases=clock.phases)
    chosen = smcf.flows(np.arange(1 + n_r, 1 + n_r + n_p)) > 0
    return chosen, unit, {"arcs": int(tail.size), "nodes": int(supply.size)}


def run_cpsat(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """One CP-SAT model of the whole problem, undecomposed and without a hint
    (matchcore's CP-SAT model on one part covering the whole graph)."""
    from matchcore.engines import cpsat as cpsat_mod
    from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
    from matchcore.params import Deadline

    no_solution: tuple[type[Exception], ...] = (RuntimeError,)
    if hasattr(cpsat_mod, "NoSolutionInTimeError"):
        no_solution = (*no_solution, cpsat_mod.NoSolutionInTimeError)

    clock = _Clock()
    cand = _graph(problem, graph)
    clock.lap("candidates_load")
    if cand.n_pairs > settings.cpsat_max_pairs:
        return PeerOutcome(
            SKIPPED,
            f"{cand.n_pairs:,} pairs > --cpsat-max-pairs {settings.cpsat_max_pairs:,} "
            "(memory guard)",
            phases=clock.phases,
        )
    _, arrays = _setup(problem, cand)
    parts = [whole_part(cand, arrays)] if cand.n_pairs else []
    clock.lap("build")
    cp = CpSatSettings(Deadline.after(settings.time_limit_s), workers=settings.workers, seed=0)
    try:
        results = [solve_cpsat(part, cp) for part in parts]
    except no_solution as err:
        clock.lap("model_and_solve")
        why = f"no solution in {settings.time_limit_s:g} s ({type(err).__name__})"
        return PeerOutcome(NO_SOLUTION, why, phases=clock.phases)
    clock.lap("model_and_solve")
    solution = assemble(problem, cand, arrays, parts, results)
    doc = solution.to_dict()
    clock.lap("assemble")
    pruned = _pruned(cand)
    return PeerOutcome(
        FEASIBLE if pruned else solution.status.value,
        _exactness_note(cand, 1, ""),
        solution=doc,
        phases=clock.phases,
        bound=None if pruned else solution.bound,
        extra={"booleans_x": cand.n_pairs, "pruned_pairs": pruned},
    )


def run_scipy(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp).

    Rows are requests with a candidate; columns are task slots: each
    volunteer appears ``min(max_tasks, degree)`` times (a volunteer can never
    serve more requests than it has candidates, so this is exact also for an
    unlimited volunteer), plus one private "unserved" column per request so
    that a full matching always exists. Weights are the flow's lexicographic
    costs shifted to be positive (every row is matched once, so a constant
    shift changes nothing), kept below 2**52 for exact float64 arithmetic.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    clock = _Clock()
    cand = _graph(problem, graph)
    clock.lap("candidates_load")
    why = _flow_applicable(problem, cand)
    if why is not None:
        return PeerOutcome(NOT_APPLICABLE, why, phases=clock.phases)
    scale, _ = _setup(problem, cand)
    n_r, n_v = len(problem.requests), len(problem.volunteers)
    degree = np.bincount(cand.vol, minlength=n_v).astype(np.int64)
    max_tasks = np.array(
        [n_r if v.max_tasks is None else v.max_tasks for v in problem.volunteers], dtype=np.int64
    )
    reps = np.minimum(max_tasks, degree)
    keep = reps[cand.vol] > 0
    pairs = np.flatnonzero(keep)
    edges = int(reps[cand.vol[pairs]].sum())
    rows_req = np.unique(cand.req[pairs])
    n_rows = rows_req.size
    if edges + n_rows > settings.scipy_max_edges:
        return PeerOutcome(
            SKIPPED,
            f"{edges + n_rows:,} edges after one column per task slot > --scipy-max-edges "
            f"{settings.scipy_max_edges:,}",
            phases=clock.phases,
            extra={"edges": edges + n_rows},
        )
    chosen = np.zeros(cand.n_pairs, dtype=bool)
    unit = 1
    if n_rows:
        # Costs and their positive shift, exact in float64.
        fits = _fits_float64(n_rows)
        gain, cost, unit = _lexicographic_weights(problem, cand, scale, fits)
        shift = int(gain.max()) + int(np.abs(cost).max()) + 1
        row_of = np.full(n_r, -1, dtype=np.int64)
        row_of[rows_req] = np.arange(n_rows)
        col_off = np.concatenate(([0], np.cumsum(reps)))
        n_slots = int(col_off[-1])
        per_pair = reps[cand.vol[pairs]]
        edge_pair = np.repeat(pairs, per_pair)
        within = np.arange(edges) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        row = np.concatenate((row_of[cand.req[edge_pair]], np.arange(n_rows)))
        col = np.concatenate((col_off[cand.vol[edge_pair]] + within, n_slots + np.arange(n_rows)))
        weight = np.concatenate(
            (shift + cost[edge_pair] - gain[cand.req[edge_pair]], np.full(n_rows, shift))
        ).astype(np.float64)
        matrix = csr_matrix((weight, (row, col)), shape=(n_rows, n_slots + n_rows))
        clock.lap("build")
        row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
        clock.lap("solve")
        real = col_ind < n_slots
        col_vol = np.repeat(np.arange(n_v, dtype=np.int64), reps)
        served_req = rows_req[row_ind[real]]
        served_vol = col_vol[col_ind[real]]
        keys = cand.req * max(n_v, 1) + cand.vol
        chosen[np.searchsorted(keys, served_req * max(n_v, 1) + served_vol)] = True
    else:
        clock.lap("build")
        clock.lap("solve")
    extra = {"edges": edges + n_rows}
    return _exact_peer_outcome(
        problem, cand, scale, chosen, unit, "for exact float64", clock, extra
    )


def run_mip(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """The time-indexed MIP of :mod:`benchmarks.mip_peer` (HiGHS through scipy) on one
    part covering the whole candidate graph: an exact reference for small timed
    instances, with the lexicographic objective in stages."""
    from benchmarks.mip_peer import TooManyStarts, solve_mip

    clock = _Clock()
    cand = _graph(problem, graph)
    clock.lap("candidates_load")
    if cand.n_pairs > settings.mip_max_pairs:
        return PeerOutcome(
            SKIPPED,
            f"{cand.n_pairs:,} pairs > --mip-max-pairs {settings.mip_max_pairs:,}",
            phases=clock.phases,
        )
    _, arrays = _setup(problem, cand)
    parts = [whole_part(cand, arrays)] if cand.n_pairs else []
    clock.lap("build")
    try:
        outcomes = [solve_mip(part, settings.time_limit_s) for part in parts]
    except TooManyStarts as err:
        clock.lap("model_and_solve")
        return PeerOutcome(SKIPPED, f"start closure too large: {err}", phases=clock.phases)
    clock.lap("model_and_solve")
    if any(o.result is None for o in outcomes):
        why = f"no solution in {settings.time_limit_s:g} s"
        return PeerOutcome(NO_SOLUTION, why, phases=clock.phases)
    results = [o.result for o in outcomes if o.result is not None]
    solution = assemble(problem, cand, arrays, parts, results)
    doc = solution.to_dict()
    clock.lap("assemble")
    pruned = _pruned(cand)
    unit = max((o.distance_unit_m for o in outcomes), default=1)
    return PeerOutcome(
        FEASIBLE if pruned else solution.status.value,
        _exactness_note(cand, unit, "to keep the weighted objective exact in float64"),
        solution=doc,
        phases=clock.phases,
        bound=None if pruned else solution.bound,
        extra={
            "columns": sum(o.columns for o in outcomes),
            "rows": sum(o.rows for o in outcomes),
            "highs": [o.status for o in outcomes],
            "distance_unit_m": unit,
            "pruned_pairs": pruned,
        },
    )


def run_group_greedy(problem: Problem, graph: Path | None, settings: PeerSettings) -> PeerOutcome:
    """The greedy "nearest group with room" of :mod:`benchmarks.group_greedy`."""
    from benchmarks.group_greedy import solve_group_greedy

    clock = _Clock()
    solution, phases, passes = solve_group_greedy(problem)
    doc = solution.to_dict()
    clock.lap("total")
    phases["assemble"] = round(clock.phases["total"] - sum(phases.values()), 4)
    return PeerOutcome(HEURISTIC, solution=doc, phases=phases, extra={"passes": passes})


def _graph(problem: Problem, graph: Path | None) -> Candidates:
    cand = None if graph is None else load_graph(graph)
    return build_candidates(problem, task_arrays(problem)) if cand is None else cand


def _exact_peer_outcome(
    problem: Problem,
    cand: Candidates,
    scale: int,
    chosen: np.ndarray,
    unit: int,
    why: str,
    clock: _Clock,
    extra: dict[str, Any],
) -> PeerOutcome:
    """The outcome of an exact peer (flow, scipy): optimal unless distances were
    coarsened or the graph was pruned, and then without a bound of its own."""
    doc = _assemble_chosen(problem, cand, scale, chosen, optimal=unit == 1)
    clock.lap("assemble")
    exact = unit == 1 and not _pruned(cand)
    return PeerOutcome(
        OPTIMAL if exact else FEASIBLE,
        _exactness_note(cand, unit, why),
        solution=doc,
        phases=clock.phases,
        bound=None if _pruned(cand) else doc["objective"]["served_priority"],
        extra={**extra, "distance_unit_m": unit, "pruned_pairs": _pruned(cand)},
    )


def _exactness_note(cand: Candidates, unit: int, why: str) -> str:
    notes = []
    if unit != 1:
        notes.append(f"distance coarsened to {unit} m {why}")
    if _pruned(cand):
        notes.append(
            f"on matchcore's pruned candidate graph ({_pruned(cand):,} valid pairs left out): "
            "its optimum there proves nothing for the whole problem"
        )
    return "; ".join(notes)


def _pruned(cand: Candidates) -> int:
    """Valid pairs matchcore's candidate generation left out (0: the full graph)."""
    pruned = getattr(cand, "pruned", None)
    return int(pruned.sum()) if pruned is not None and pruned.size else 0


RUNNERS: dict[str, Callable[[Problem, Path | None, PeerSettings], PeerOutcome]] = {
    "matchcore": run_matchcore,
    "greedy": run_greedy,
    "flow": run_flow,
    "cpsat": run_cpsat,
    "scipy": run_scipy,
    "flow-relaxed": run_flow_relaxed,
    "mip": run_mip,
    "group-greedy": run_group_greedy,
    "matchcore-lns": run_matchcore_lns,
}


TASK_PEERS = ("greedy", "flow", "flow-relaxed", "cpsat", "scipy", "mip")


def static_not_applicable(peer: str, problem: Problem) -> str | None:
    """Why ``peer`` cannot run on ``problem``, when that is clear without candidates."""
    has_groups = bool(problem.groups or problem.participants)
    if peer == "group-greedy":
        if not has_groups:
            return "no groups"
        return (
            "tasks beside the groups (this greedy places groups only)" if problem.requests else None
        )
    if peer in TASK_PEERS and has_groups:
        return "groups (a method for tasks only)"
    timed = any(r.window is not None for r in problem.requests)
    if peer == "mip":
        if not timed:
            return "no timed request (flow and CP-SAT are the exact references untimed)"
        return "pinned assignments" if problem.assignments else None
    if peer == "flow-relaxed":
        if timed:
            return "timed requests (overlaps are not relaxed)"
        if problem.assignments:
            return "pinned assignments"
        relaxes = any(r.volunteers_needed > 1 for r in problem.requests) or any(
            v.max_minutes is not None for v in problem.volunteers
        )
        return None if relaxes else "the plain flow is exact here (no team, no budget): see flow"
    if peer not in ("flow", "scipy"):
        return None
    if timed:
        return "timed requests (overlaps are not a flow)"
    teams = sum(r.volunteers_needed > 1 for r in problem.requests)
    if teams:
        return f"{teams} requests need a team (all-or-nothing is not a flow)"
    if problem.assignments:
        return "pinned assignments"
    return None
