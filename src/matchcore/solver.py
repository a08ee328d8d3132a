"""``solve``: from a validated problem to an explained, feasible plan.

The pipeline: make candidates (``candidates``), check the pins against them,
split the candidate graph into independent parts (``engines.part``), solve
each part with the engine that fits it (``engines``), then assemble and
explain the plan (``explain``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matchcore import pricing
from matchcore.candidates import NO_LIMIT_HI, Candidates, build_candidates
from matchcore.engines.cpsat import (
    CpSatSettings,
    NoSolutionInTimeError,
    PinConflictError,
    can_serve,
    solve_cpsat,
    solve_pins_only,
)
from matchcore.engines.flow import flow_eligible, solve_flow
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.lns import solve_lns, use_lns
from matchcore.engines.part import (
    NO_START,
    GlobalArrays,
    Part,
    PartResult,
    limits_bind,
    make_part,
    split_parts,
)
from matchcore.errors import ProblemError
from matchcore.explain import (
    assignment_note,
    funnel_of,
    pin_error,
    pins_detail,
    reason_detail,
    reason_for,
)
from matchcore.problem import Problem, floor_minute, minute_to_datetime
from matchcore.solution import (
    AssignedVolunteer,
    Assignment,
    Funnel,
    Objective,
    Reason,
    Solution,
    Stats,
    Status,
    Unassigned,
)

log = logging.getLogger("matchcore")

I64 = NDArray[np.int64]

# Time to decide whether pins alone keep an unserved request out (a tiny model).
_PIN_CHECK_SECONDS = 5.0
# Time for the last resort, a plan of the pins alone (a small, easy model).
_PINS_ONLY_SECONDS = 10.0
# Parts this large take the flow relaxation rather than the exact CP-SAT model.
_RELAXED_FLOW_FROM_PAIRS = 50_000
# CP-SAT parts at least this large start from the greedy plan.
_HINT_FROM_PAIRS = 2_000
# Solve in worker processes only when two or more parts are at least this large.
_PARALLEL_PART_PAIRS = 20_000
# CP-SAT search workers per part when parts run in parallel processes.
_PARALLEL_CPSAT_WORKERS = 4


def solve(
    problem: Problem,
    *,
    time_limit_s: float | None = None,
    executor: Executor | None = None,
    advise: bool = True,
) -> Solution:
    """Assign volunteers to all requests at once.

    Parameters
    ----------
    problem
        A validated problem.
    time_limit_s
        Wall-clock budget in seconds; defaults to
        ``problem.options.time_limit_seconds``.
    executor
        Where independent parts are solved, e.g. a ``ProcessPoolExecutor`` or
        a Dask ``client.get_executor()``. By default large problems with
        several sizeable parts use a process pool over the machine's cores,
        and small ones are solved in this process.
    advise
        Add referrals and signals (:mod:`matchcore.refer`) within the same time
        budget; ``False`` plans only. ``refer_only`` requests are never planned.

    Returns
    -------
    Solution
        A plan that satisfies every hard rule. Its ``status`` is ``optimal``
        when the lexicographic optimum is proven, else ``feasible`` with a
        proven ``bound`` on served priority.

    Raises
    ------
    ProblemError
        When pinned assignments break a hard rule or cannot all be kept.
    """
    started = time.perf_counter()
    budget = problem.options.time_limit_seconds if time_limit_s is None else time_limit_s
    if not budget > 0:
        raise ValueError("time_limit_s must be greater than 0")
    if advise or any(r.refer_only for r in problem.requests):  # issue 11: referral, signals
        from matchcore.refer import solve_and_annotate  # the engines never see refer_only

        return solve_and_annotate(problem, _SOLVE, budget, executor=executor, advise=advise)
    deadline = started + budget
    phases: dict[str, float] = {}

    cand = build_candidates(problem)
    phases["candidates"] = time.perf_counter() - started
    log.info("candidates: %d pairs for %d requests", cand.n_pairs, len(problem.requests))

    scale = priority_scale([r.priority for r in problem.requests])
    arrays = global_arrays(problem, cand, scale)
    tick = time.perf_counter()
    if cand.is_pruned and pricing.applies(cand, arrays):
        # Pruned graph: one priced flow re-establishes optimality for the full graph.
        priced = pricing.solve_pruned(problem, cand, arrays, deadline)
        cand, arrays, parts, results = priced.cand, priced.arrays, priced.parts, priced.results
        phases.update(priced.report.phases)
    else:
        parts = split_parts(cand, arrays, len(problem.volunteers))
        log.info("decomposed into %d independent parts", len(parts))
        results = _solve_parts(problem, parts, deadline, executor, scale)
        if cand.is_pruned:  # pruned pairs that no engine priced: plans stand, proofs go
            results = pricing.unproven(parts, results)
    phases["solve"] = time.perf_counter() - tick

    tick = time.perf_counter()
    solution = assemble(problem, cand, parts, results, scale, arrays)
    phases["explain"] = time.perf_counter() - tick
    engines: dict[str, int] = {}
    for res in results:
        engines[res.engine] = engines.get(res.engine, 0) + 1
    stats = Stats(
        wall_seconds=round(time.perf_counter() - started, 4),
        candidate_pairs=cand.n_pairs,
        components=len(parts),
        engines=engines,
        phases={k: round(v, 4) for k, v in phases.items()},
    )
    log.info(
        "done: %s, served %d of %d requests",
        solution.status.value,
        solution.objective.served_requests,
        len(problem.requests),
    )
    return Solution(
        solution.status,
        solution.assignments,
        solution.unassigned,
        solution.objective,
        solution.bound,
        stats,
    )


_SOLVE = solve  # the real one, also when a test swaps ``solve`` for a spy


def candidate_funnels(problem: Problem) -> tuple[Funnel, ...]:
    """The candidate funnel of every request, in problem order, without solving."""
    cand = build_candidates(problem)
    return tuple(funnel_of(cand, r) for r in range(len(problem.requests)))


def priority_scale(priorities: Sequence[float]) -> int:
    """The smallest power of ten (at most 1000) that makes priorities whole.

    Priorities are compared at a resolution of 0.001.
    """
    for scale in (1, 10, 100, 1000):
        if all(abs(p * scale - round(p * scale)) <= 1e-9 * max(1.0, p * scale) for p in priorities):
            return scale
    return 1000


# -- pins and arrays ---------------------------------------------------------------


def global_arrays(problem: Problem, cand: Candidates, scale: int) -> GlobalArrays:
    """Per-request and per-volunteer arrays, with the pins checked against ``cand``.

    Raises
    ------
    ProblemError
        When a pinned volunteer is no candidate for the pinned request, or
        cannot be there at the pinned start.
    """
    reqs, vols = problem.requests, problem.volunteers
    n_r = len(reqs)
    pinned = np.zeros(n_r, dtype=bool)
    pin_pair = np.zeros(cand.n_pairs, dtype=bool)
    pin_start = np.full(n_r, NO_START, dtype=np.int64)
    keys = cand.req * max(len(vols), 1) + cand.vol
    for i, pin in enumerate(problem.assignments):
        r = problem.request_index[pin.request_id]
        pinned[r] = True
        for k, vid in enumerate(pin.volunteer_ids):
            v = problem.volunteer_index[vid]
            p = int(np.searchsorted(keys, r * max(len(vols), 1) + v))
            if p >= keys.size or keys[p] != r * max(len(vols), 1) + v:
                raise pin_error(problem, i, k, r, v)
            pin_pair[p] = True
            if pin.start is not None:
                minute = floor_minute(pin.start)
                if not any(lo <= minute <= hi for lo, hi in cand.starts(p)):
                    raise ProblemError(
                        ("assignments", i, "start"),
                        f"volunteer_ids[{k}] cannot be there at this start "
                        "(availability with travel)",
                    )
                pin_start[r] = minute
    return GlobalArrays(
        need=np.array([r.volunteers_needed for r in reqs], dtype=np.int64),
        priority=np.array([round(r.priority * scale) for r in reqs], dtype=np.int64),
        duration=np.array([r.duration_minutes for r in reqs], dtype=np.int64),
        timed=np.array([r.window is not None for r in reqs], dtype=bool),
        pinned=pinned,
        pin_pair=pin_pair,
        pin_start=pin_start,
        max_tasks=np.array(
            [len(reqs) if v.max_tasks is None else v.max_tasks for v in vols], dtype=np.int64
        ),
        max_minutes=np.array(
            [NO_LIMIT_HI if v.max_minutes is None else v.max_minutes for v in vols],
            dtype=np.int64,
        ),
    )


# -- solving -------------------------------------------------------------------------


def solve_part(part: Part, settings: CpSatSettings) -> PartResult:
    """Solve one CP-SAT part; a plain top-level function, so any executor can run it.

    Large parts start from the greedy plan: CP-SAT gets it as a hint, and it
    is the answer if CP-SAT finds nothing better in time. If CP-SAT finds
    nothing at all in time, the greedy plan (or, failing that, a plan of the
    pins alone) is returned: a timeout never turns into an error.
    """
    started = time.perf_counter()
    greedy = None
    if part.n_pairs >= _HINT_FROM_PAIRS:
        greedy = _keeps_pins(part, solve_greedy(part))
    if greedy is not None and use_lns(part):  # too large for the exact model: LNS
        left = settings.time_limit_s - (time.perf_counter() - started)
        return solve_lns(part, CpSatSettings(left, settings.workers, settings.seed), greedy)
    try:
        return solve_cpsat(part, settings, greedy)
    except NoSolutionInTimeError:
        fallback = greedy or _keeps_pins(part, solve_greedy(part))
        if fallback is not None:
            return fallback
        pins_only = CpSatSettings(_PINS_ONLY_SECONDS, settings.workers, settings.seed)
        return solve_pins_only(part, pins_only)


def _keeps_pins(part: Part, result: PartResult) -> PartResult | None:
    return result if bool(result.chosen[part.pin_pair].all()) else None


def solve_flow_batch(parts: list[Part]) -> list[PartResult]:
    """Solve flow-representable parts together (picklable entry point)."""
    return solve_flow(parts)


def _solve_parts(
    problem: Problem,
    parts: list[Part],
    deadline: float,
    executor: Executor | None,
    scale: int,
) -> list[PartResult]:
    """Solve every part within the deadline, in this process or on ``executor``."""
    flow_idx = [i for i, part in enumerate(parts) if _use_flow(part)]
    flow_set = set(flow_idx)
    sat_idx = sorted(
        (i for i in range(len(parts)) if i not in flow_set),
        key=lambda i: parts[i].n_pairs,
        reverse=True,
    )
    own_pool = None
    if executor is None and _worth_processes(parts, sat_idx):
        own_pool = executor = ProcessPoolExecutor(
            max_workers=min(_cpu_count(), max(len(sat_idx), 2)),
            mp_context=multiprocessing.get_context("spawn"),
        )
    try:
        if executor is None:
            return _solve_here(problem, parts, flow_idx, sat_idx, deadline, scale)
        return _solve_on(executor, problem, parts, flow_idx, sat_idx, deadline, scale)
    except PinConflictError:  # the only way a part can be infeasible
        raise ProblemError(
            ("assignments",),
            "the pinned commitments cannot all be kept together "
            "(their volunteers' times, task or minute limits clash)",
        ) from None
    finally:
        if own_pool is not None:
            own_pool.shutdown(wait=False, cancel_futures=True)


def _solve_here(
    problem: Problem,
    parts: list[Part],
    flow_idx: list[int],
    sat_idx: list[int],
    deadline: float,
    scale: int,
) -> list[PartResult]:
    """Sequentially: flow parts in one batch, then CP-SAT parts smallest first,
    each with its share of the time that is left."""
    results: dict[int, PartResult] = dict(
        zip(flow_idx, solve_flow([parts[i] for i in flow_idx]), strict=True)
    )
    progress = _Progress(parts, scale)
    for i, res in results.items():
        progress.done(i, res)
    remaining_size = sum(parts[i].n_pairs for i in sat_idx)
    for i in reversed(sat_idx):
        left = max(deadline - time.perf_counter(), 0.0)
        share = left * parts[i].n_pairs / max(remaining_size, 1)
        remaining_size -= parts[i].n_pairs
        results[i] = solve_part(parts[i], _settings(problem, share))
        progress.done(i, results[i])
    return [results[i] for i in range(len(parts))]


def _solve_on(
    executor: Executor,
    problem: Problem,
    parts: list[Part],
    flow_idx: list[int],
    sat_idx: list[int],
    deadline: float,
    scale: int,
) -> list[PartResult]:
    """In parallel: flow batches and CP-SAT parts (largest first) on the executor."""
    slots = _cpu_count()
    batches = [flow_idx[k::slots] for k in range(slots) if flow_idx[k::slots]]
    futures: dict[Future[Any], list[int]] = {}
    for batch in batches:
        futures[executor.submit(solve_flow_batch, [parts[i] for i in batch])] = batch
    total = sum(parts[i].n_pairs for i in sat_idx)
    left = max(deadline - time.perf_counter(), 0.0)
    for i in sat_idx:
        share = min(left, left * slots * parts[i].n_pairs / max(total, 1))
        settings = _settings(problem, share, workers=_PARALLEL_CPSAT_WORKERS)
        futures[executor.submit(solve_part, parts[i], settings)] = [i]
    results: dict[int, PartResult] = {}
    progress = _Progress(parts, scale)
    for future in as_completed(futures):
        answer = future.result()
        for i, res in zip(
            futures[future], answer if isinstance(answer, list) else [answer], strict=True
        ):
            results[i] = res
            progress.done(i, res)
    return [results[i] for i in range(len(parts))]


def _use_flow(part: Part) -> bool:
    """Min-cost flow where it is exact; as a relaxation only where CP-SAT cannot go.

    With single-volunteer requests and no binding minute budget the flow is
    exact and much faster than CP-SAT. With teams or budgets it is a
    relaxation plus repair, which gives up the proof, so it serves only the
    parts too large for the exact model.
    """
    if not flow_eligible(part):
        return False
    _, minutes_bind = limits_bind(part)
    exact = bool((part.need == 1).all()) and not minutes_bind.any()
    return exact or part.n_pairs >= _RELAXED_FLOW_FROM_PAIRS


def _settings(problem: Problem, seconds: float, workers: int | None = None) -> CpSatSettings:
    opts = problem.options
    return CpSatSettings(
        time_limit_s=max(seconds, 0.05), workers=opts.workers or workers or 0, seed=opts.seed
    )


def _worth_processes(parts: list[Part], sat_idx: list[int]) -> bool:
    """Processes pay off only for several sizeable CP-SAT parts on several cores."""
    big = [i for i in sat_idx if parts[i].n_pairs >= _PARALLEL_PART_PAIRS]
    return _cpu_count() > 1 and len(big) >= 2


def _cpu_count() -> int:
    return max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 1)


class _Progress:
    """Logs parts solved, the served priority so far and the bound, ~10 times a solve.

    The bound counts solved parts at their proven bound and open parts at
    their whole priority, so it only ever falls toward the final bound.
    """

    def __init__(self, parts: list[Part], scale: int) -> None:
        self.parts, self.scale = parts, scale
        self.count = self.served = self.bound = 0
        self.open_priority = sum(int(p.priority.sum()) for p in parts)
        self.step = max(len(parts) // 10, 1)

    def done(self, index: int, result: PartResult) -> None:
        part = self.parts[index]
        self.count += 1
        self.served += int(part.priority[np.unique(part.p_req[result.chosen])].sum())
        self.bound += result.bound
        self.open_priority -= int(part.priority.sum())
        if self.count % self.step == 0 or self.count == len(self.parts):
            log.info(
                "solved %d of %d parts; served priority %g, bound %g",
                self.count,
                len(self.parts),
                self.served / self.scale,
                (self.bound + self.open_priority) / self.scale,
            )


def _pins_take_it(cand: Candidates, arrays: GlobalArrays, r: int) -> bool:
    """Whether pinned commitments alone leave no way to serve request ``r``.

    Every funnel stage passed, so without pins ``r`` could be served on its
    own. Only when its candidates share volunteers with pins can the pins
    take the times it could fit; a small model of ``r`` and those pins says.
    """
    mine = np.flatnonzero(cand.req == r)
    pinned_vols = np.unique(cand.vol[arrays.pin_pair])
    if not np.isin(cand.vol[mine], pinned_vols).any():
        return False
    pins = np.flatnonzero(arrays.pin_pair)
    pairs = np.sort(np.concatenate((mine, pins)))
    pairs = pairs[np.lexsort((cand.vol[pairs], cand.req[pairs]))]
    part = make_part(cand, arrays, pairs)
    local = int(np.searchsorted(part.requests, r))
    return not can_serve(part, local, CpSatSettings(time_limit_s=_PIN_CHECK_SECONDS))


# -- assembling ------------------------------------------------------------------------


def assemble(
    problem: Problem,
    cand: Candidates,
    parts: list[Part],
    results: list[PartResult],
    scale: int,
    arrays: GlobalArrays | None = None,
) -> Solution:
    """The plan of all parts' results, explained, without stats.

    ``results[k]`` belongs to ``parts[k]``; requests in no part are unserved.
    """
    n_r = len(problem.requests)
    if arrays is None:
        arrays = global_arrays(problem, cand, scale)
    chosen = np.zeros(cand.n_pairs, dtype=bool)
    start = np.full(n_r, NO_START, dtype=np.int64)
    optimal = True
    bound = 0
    for part, res in zip(parts, results, strict=True):
        chosen[part.pairs[res.chosen]] = True
        start[part.requests] = res.start
        optimal &= res.optimal
        bound += res.bound

    pinned = {problem.request_index[p.request_id] for p in problem.assignments}
    served = np.zeros(n_r, dtype=bool)
    served[cand.req[chosen]] = True
    by_request = np.split(
        np.flatnonzero(chosen), np.searchsorted(cand.req[chosen], np.arange(1, n_r))
    )
    assignments = []
    unassigned = []
    for r, req in enumerate(problem.requests):
        if not served[r]:
            funnel = funnel_of(cand, r)
            reason = reason_for(funnel, req.volunteers_needed)
            if reason is Reason.CAPACITY and _pins_take_it(cand, arrays, r):
                reason = Reason.NOT_AVAILABLE
                detail = pins_detail(funnel, req.volunteers_needed)
            else:
                detail = reason_detail(funnel, req.volunteers_needed, reason)
            unassigned.append(Unassigned(req.id, reason, detail, funnel))
            continue
        team = tuple(
            AssignedVolunteer(
                problem.volunteers[int(cand.vol[p])].id,
                float(cand.distance_km[p]),
                int(cand.travel_min[p]),
                bool(cand.preferred[p]),
            )
            for p in by_request[r].tolist()
        )
        begin = end = None
        if req.window is not None:
            begin = minute_to_datetime(int(start[r]), req.window.start)
            end = minute_to_datetime(int(start[r]) + req.duration_minutes, req.window.start)
        note = assignment_note(req, team, r in pinned)
        assignments.append(Assignment(req.id, team, begin, end, r in pinned, note))

    served_priority = sum(problem.requests[r].priority for r in np.flatnonzero(served).tolist())
    objective = Objective(
        served_requests=int(served.sum()),
        served_priority=float(served_priority),
        continuity=int(cand.preferred[chosen].sum()),
        travel_km=float(2.0 * cand.distance_km[chosen].sum()),
    )
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    bound_priority = served_priority if optimal else max(bound / scale, served_priority)
    return Solution(status, tuple(assignments), tuple(unassigned), objective, bound_priority)
