"""``solve``: from a validated problem to an explained, feasible plan.

The pipeline of today's kind of matching, each step in its own module:

1. :mod:`~matchcore.tasks.arrays`: the problem as one bundle of arrays;
2. :mod:`~matchcore.tasks.candidates`: candidate pairs and each request's funnel;
3. :mod:`~matchcore.tasks.pins`: pinned commitments checked against them;
4. :mod:`~matchcore.tasks.parts`: independent parts of the candidate graph
   (or :mod:`~matchcore.tasks.pricing` for a pruned graph);
5. :mod:`matchcore.engines`: each part solved by the engine that fits it,
   here or in worker processes, all within one :class:`~matchcore.params.Deadline`;
6. :mod:`~matchcore.tasks.starts`: canonical start times (reproducible plans);
7. :mod:`~matchcore.tasks.assemble`: the plan explained.

Time: the deadline is made once from ``time_limit_s``. Engines get all of
it, less ``explain_share`` kept for pin checks when there are pins; every
step after the engines is linear in the problem's size.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import replace
from typing import Any

import numpy as np

from matchcore import replan
from matchcore.engines import colgen
from matchcore.engines.cpsat import (
    CpSatSettings,
    NoSolutionInTimeError,
    PinConflictError,
    solve_cpsat,
    solve_pins_only,
)
from matchcore.engines.eject import eject_repair
from matchcore.engines.flow import flow_eligible, solve_flow
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.lns import setup_fits, setup_seconds, solve_lns, use_lns
from matchcore.engines.relaxation import priority_bound
from matchcore.errors import ProblemError
from matchcore.explain import funnel_of, reason_for, role_reason
from matchcore.groups.model import GroupChoice, solve_with_groups
from matchcore.groups.outcome import group_plan
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams
from matchcore.problem import Problem
from matchcore.solution import Funnel, Reason, Solution, Stats, Status
from matchcore.tasks import pricing
from matchcore.tasks.arrays import TaskArrays, task_arrays
from matchcore.tasks.assemble import assemble
from matchcore.tasks.candidates import Candidates, build_candidates
from matchcore.tasks.parts import Part, PartResult, limits_bind, split_parts
from matchcore.tasks.pins import PinCheck, check_pins
from matchcore.tasks.starts import canonical_starts
from matchcore.warnings import finish_solution

log = logging.getLogger("matchcore")


def solve(
    problem: Problem,
    *,
    time_limit_s: float | None = None,
    executor: Executor | None = None,
    params: SolveParams = DEFAULT_PARAMS,
    advise: bool = True,
) -> Solution:
    """Assign volunteers to all requests at once.

    Parameters
    ----------
    problem
        A validated problem.
    time_limit_s
        Wall-clock budget in seconds, from this call to the returned plan;
        defaults to ``problem.options.time_limit_seconds``.
    executor
        Where independent parts are solved, e.g. a ``ProcessPoolExecutor`` or
        a Dask ``client.get_executor()``. By default large problems with
        several sizeable parts use a process pool over the machine's cores,
        and small ones are solved in this process.
    params
        Tuning constants (:class:`~matchcore.params.SolveParams`); the
        measured defaults unless given.
    advise
        Add referrals and signals (:mod:`matchcore.refer`) within the same time
        budget; ``False`` plans only. ``refer_only`` requests are never planned.

    Returns
    -------
    Solution
        A plan that satisfies every hard rule. Its ``status`` is ``optimal``
        when the lexicographic optimum is proven, else ``feasible`` with a
        proven ``bound`` on served priority. A proven plan is the same, byte
        for byte, for the same problem and seed.

    Raises
    ------
    ProblemError
        When pinned assignments break a hard rule or cannot all be kept.
    """
    started = time.perf_counter()
    budget = problem.options.time_limit_seconds if time_limit_s is None else time_limit_s
    if not budget > 0:
        raise ValueError("time_limit_s must be greater than 0")
    if advise or any(r.refer_only for r in problem.requests):  # referral and signals
        from matchcore.refer import solve_and_annotate  # the engines never see refer_only

        plan = functools.partial(_SOLVE, params=params)
        return solve_and_annotate(problem, plan, budget, executor=executor, advise=advise)
    deadline = Deadline.after(budget)
    phases: dict[str, float] = {}

    if problem.previous_plan is not None and problem.options.replan == "freeze":
        problem = _frozen(problem, params)
    cand, arrays = prepare(problem, params)
    assessment = None
    if problem.previous_plan is not None:  # for the changes, against the final candidates
        assessment = replan.assess(problem, cand)
    phases["candidates"] = time.perf_counter() - started
    log.info("candidates: %d pairs for %d requests", cand.n_pairs, len(problem.requests))

    # Engines get all the time but a share kept for what follows them (canonical
    # starts, pin checks): cheap where plans are proven early, vital where not.
    left = deadline.remaining()
    keep = max(
        params.schedule.explain_share * left, params.schedule.explain_per_request_s * arrays.n_r
    )
    engines_deadline = deadline.cap(left - min(keep, left / 2))
    tick = time.perf_counter()
    groups = None
    if problem.groups or problem.participants:  # groups and the parts sharing their volunteers
        parts = split_parts(cand, arrays)
        results, groups = _solve_groups(problem, arrays, parts, engines_deadline, executor, params)
        if cand.is_pruned:  # no pricing beside groups: the plans stand, the proofs go
            results = pricing.unproven(parts, results)
            groups = replace(groups, optimal=False)
    elif cand.is_pruned and pricing.applies(cand, arrays):
        # Pruned graph: one priced flow re-establishes optimality for the full graph.
        priced = pricing.solve_pruned(cand, arrays, params, engines_deadline)
        cand, arrays, parts, results = priced.cand, priced.arrays, priced.parts, priced.results
        phases.update(priced.report.phases)
    else:
        parts = split_parts(cand, arrays)
        log.info("decomposed into %d independent parts", len(parts))
        results = solve_parts(problem, parts, engines_deadline, executor, arrays.scale, params)
        if cand.is_pruned:  # pruned pairs that no engine priced: plans stand, proofs go
            results = pricing.unproven(parts, results)
    phases["solve"] = time.perf_counter() - tick

    tick = time.perf_counter()
    seed = problem.options.seed
    joint = frozenset() if groups is None else groups.joint_parts  # starts beside sessions
    results = [
        res if i in joint else canonical_starts(part, res, deadline, seed, params)
        for i, (part, res) in enumerate(zip(parts, results, strict=True))
    ]
    pins = PinCheck(cand, arrays, deadline, params)
    solution = assemble(problem, cand, arrays, parts, results, pins)
    if pins.unchecked:
        log.info("%d pin checks not settled within the time limit", pins.unchecked)
    phases["explain"] = time.perf_counter() - tick
    engines: dict[str, int] = {}
    for res in results:
        engines[res.engine] = engines.get(res.engine, 0) + 1
    stats = Stats(
        wall_seconds=round(time.perf_counter() - started, 4),
        candidate_pairs=cand.n_pairs,
        parts=len(parts),
        engines=engines,
        phases={k: round(v, 4) for k, v in phases.items()},
    )
    log.info(
        "done: %s, served %d of %d requests",
        solution.status.value,
        solution.objective.served_requests,
        len(problem.requests),
    )
    solution = Solution(
        solution.status,
        solution.assignments,
        solution.unassigned,
        solution.objective,
        solution.bound,
        stats,
    )
    if groups is not None:
        solution = _with_groups(problem, solution, groups)
    solution = finish_solution(problem, solution)  # warnings, and times in options.timezone
    if assessment is not None:
        solution = replan.with_changes(problem, solution, assessment)
    return solution


def _frozen(problem: Problem, params: SolveParams) -> Problem:
    """``problem`` with every still-feasible previous assignment pinned ("freeze")."""
    cand = build_candidates(problem, task_arrays(problem, params), params)
    return replan.frozen(problem, replan.assess(problem, cand))


_SOLVE = solve  # the real one, also when a test swaps ``solve`` for a spy


def _solve_groups(
    problem: Problem,
    arrays: TaskArrays,
    parts: list[Part],
    deadline: Deadline,
    executor: Executor | None,
    params: SolveParams,
) -> tuple[list[PartResult], GroupChoice]:
    """Groups with the parts that share a potential facilitator (:mod:`matchcore.groups`)."""

    def rest(some: list[Part], until: Deadline) -> list[PartResult]:
        return solve_parts(problem, some, until, executor, arrays.scale, params)

    return solve_with_groups(problem, arrays, parts, deadline, rest, params)


def _with_groups(problem: Problem, solution: Solution, groups: GroupChoice) -> Solution:
    """The solution with its groups; not optimal unless the groups' model is proven too."""
    plan = group_plan(problem, groups, solution.assignments)
    status = solution.status if groups.optimal else Status.FEASIBLE
    return replace(solution, status=status, group_plan=plan)


def prepare(
    problem: Problem, params: SolveParams = DEFAULT_PARAMS
) -> tuple[Candidates, TaskArrays]:
    """The first steps of the pipeline: arrays, candidates, pins checked.

    Raises
    ------
    ProblemError
        When a pin cannot hold (see :func:`~matchcore.tasks.pins.check_pins`).
    """
    arrays = task_arrays(problem, params)
    cand = build_candidates(problem, arrays, params)
    arrays = check_pins(problem, cand, arrays)
    if problem.previous_plan is not None:
        keep = replan.assess(problem, cand)
        arrays = arrays.with_keep(keep.keep_pair, keep.keep_start)
    return cand, arrays


def candidate_funnels(problem: Problem) -> tuple[Funnel, ...]:
    """The candidate funnel of every request, in problem order, without solving."""
    cand = build_candidates(problem, task_arrays(problem))
    return tuple(funnel_of(cand, r) for r in range(len(problem.requests)))


def funnel_blocks(problem: Problem) -> tuple[Reason | None, ...]:
    """The funnel stage that keeps each request out, without solving; None when
    every stage leaves enough (the reason a solve gives, but for ``capacity``).

    For a request with roles this is the stage at which its roles cannot all
    be filled by different volunteers (:func:`~matchcore.explain.role_reason`),
    which the funnel of :func:`candidate_funnels` (volunteers fitting any
    role) cannot tell.
    """
    arrays = task_arrays(problem)
    cand = build_candidates(problem, arrays)
    out: list[Reason | None] = []
    for r, req in enumerate(problem.requests):
        if req.roles and arrays.roles is not None:
            first = int(arrays.roles.r_ptr[r])
            table = cand.role_table[first : first + len(req.roles)]
            found = role_reason(table, cand.role_slots[r], [x.count for x in req.roles])
            reason = found.reason
        else:
            reason = reason_for(funnel_of(cand, r), req.volunteers_needed)
        out.append(None if reason is Reason.CAPACITY else reason)
    return tuple(out)


# -- solving -------------------------------------------------------------------------


def solve_part(part: Part, settings: CpSatSettings) -> PartResult:
    """Solve one CP-SAT part by ``settings.deadline``; a plain top-level function,
    so any executor can run it (the deadline travels as an absolute wall time).

    Large parts start from the greedy plan: CP-SAT gets it as a hint, and it
    is the answer if CP-SAT finds nothing better in time. Large all-timed parts
    (``ColGenParams.from_timed_pairs``) go to column generation
    (:mod:`matchcore.engines.colgen`), other parts too large for the exact
    model to the LNS. If CP-SAT finds
    nothing at all in time, the greedy plan (or, failing that, a plan of the
    pins alone, in the share of the part's time kept for it) is returned: a
    timeout never turns into an error.
    """
    params = settings.params
    greedy = None
    if colgen.applies(part, params):  # large and timed: columns (their own greedy plan)
        if _columns_may_fit(part, params, settings.deadline.remaining()):
            return colgen.solve_colgen(part, settings)
        return _searched(part, settings, solve_greedy(part, params, settings.deadline))
    if part.n_pairs >= params.schedule.hint_from_pairs:
        greedy = _keeps_pins(part, solve_greedy(part, params, settings.deadline))
    if greedy is not None and use_lns(part, params):  # too large for the exact model: LNS
        return _searched(part, settings, greedy)
    deadline = settings.deadline
    if part.pinned.any():  # keep time for the last resort, a plan of the pins alone
        deadline = deadline.share(1.0 - params.schedule.pins_only_share)
    try:
        return solve_cpsat(part, _with_deadline(settings, deadline), greedy)
    except NoSolutionInTimeError:
        fallback = greedy or _keeps_pins(part, solve_greedy(part, params, settings.deadline))
        if fallback is not None:
            return fallback
        return solve_pins_only(part, settings)


def _columns_may_fit(part: Part, params: SolveParams, time_s: float) -> bool:
    """:func:`~matchcore.engines.colgen.may_fit`, before column generation builds
    its slots: on timed L's largest part that took 10-28 s only to give up."""
    return colgen.may_fit(part, params.colgen, time_s)


def _searched(part: Part, settings: CpSatSettings, start: PartResult) -> PartResult:
    """``start`` repaired by ejection moves (in ``LnsParams.eject_share`` of the
    time) and improved by the LNS, or without the LNS when the search's set-up
    and one neighbourhood would not fit the time left (:func:`setup_fits`): then
    the relaxations bound it in whatever time is left (:func:`_bounded`)."""
    lp = settings.params.lns
    if lp.eject_share > 0:
        share = lp.eject_share
        if (1.0 - share) * settings.deadline.remaining() < 2 * setup_seconds(part, lp):
            share = 1.0  # the search could hardly start after it: the repair takes all
        until = settings.deadline.share(share)
        start = eject_repair(part, start, until, lp.eject_depth, lp.eject_options)
    if not setup_fits(part, settings):
        return _bounded(part, start, settings.deadline, settings.params)
    return solve_lns(part, settings, start)


def _bounded(part: Part, result: PartResult, deadline: Deadline, params: SolveParams) -> PartResult:
    """``result`` with the relaxations' bound when it is smaller, computed by
    ``deadline`` (:func:`~matchcore.engines.relaxation.priority_bound` gives the
    trivial bound when the time left would not cover it)."""
    if deadline.expired():
        return result
    bound = priority_bound(part, deadline, params)
    return replace(result, bound=min(result.bound, bound))


def _with_deadline(settings: CpSatSettings, deadline: Deadline) -> CpSatSettings:
    return CpSatSettings(deadline, settings.workers, settings.seed, settings.params)


def _keeps_pins(part: Part, result: PartResult) -> PartResult | None:
    return result if bool(result.chosen[part.pin_pair].all()) else None


def solve_flow_batch(parts: list[Part]) -> list[PartResult]:
    """Solve flow-representable parts together (picklable entry point)."""
    return solve_flow(parts)


def solve_parts(
    problem: Problem,
    parts: list[Part],
    deadline: Deadline,
    executor: Executor | None = None,
    scale: int = 1,
    params: SolveParams = DEFAULT_PARAMS,
) -> list[PartResult]:
    """Solve every part by ``deadline``, in this process or on ``executor``.

    Flow-representable parts go to the min-cost flow (in batches), the rest
    to :func:`solve_part`. ``scale`` only scales the progress log.
    """
    flow_idx = [i for i, part in enumerate(parts) if _use_flow(part, params)]
    flow_set = set(flow_idx)
    sat_idx = sorted(
        (i for i in range(len(parts)) if i not in flow_set),
        key=lambda i: parts[i].n_pairs,
        reverse=True,
    )
    run = _Run(problem, parts, deadline, scale, params)
    own_pool = None
    if executor is None and _worth_processes(parts, sat_idx, params):
        own_pool = executor = ProcessPoolExecutor(
            max_workers=min(_cpu_count(), max(len(sat_idx), 2)),
            mp_context=multiprocessing.get_context("spawn"),
        )
    try:
        if executor is None:
            return run.here(flow_idx, sat_idx)
        return run.on(executor, flow_idx, sat_idx)
    except PinConflictError:  # the only way a part can be infeasible
        raise ProblemError(
            ("assignments",),
            "the pinned commitments cannot all be kept together "
            "(their volunteers' times, task or minute limits clash)",
        ) from None
    finally:
        if own_pool is not None:
            own_pool.shutdown(wait=False, cancel_futures=True)


class _Run:
    """One solve of all parts: where they run and how the deadline is shared."""

    def __init__(
        self,
        problem: Problem,
        parts: list[Part],
        deadline: Deadline,
        scale: int,
        params: SolveParams,
    ) -> None:
        self.problem, self.parts, self.deadline = problem, parts, deadline
        self.scale, self.params = scale, params

    def settings(self, deadline: Deadline, workers: int = 0) -> CpSatSettings:
        """``Options.workers`` when given, else ``workers``, else CP-SAT's default."""
        opts = self.problem.options
        return CpSatSettings(deadline, opts.workers or workers, opts.seed, self.params)

    def here(self, flow_idx: list[int], sat_idx: list[int]) -> list[PartResult]:
        """Sequentially: flow parts in one batch, then CP-SAT parts smallest first,
        each with its share of the time that is left."""
        parts = self.parts
        results: dict[int, PartResult] = dict(
            zip(flow_idx, solve_flow([parts[i] for i in flow_idx]), strict=True)
        )
        progress = _Progress(parts, self.scale)
        for i, res in results.items():
            progress.done(i, res)
        remaining_size = sum(parts[i].n_pairs for i in sat_idx)
        least = self.params.schedule.min_part_s
        for i in reversed(sat_idx):
            share = parts[i].n_pairs / max(remaining_size, 1)
            remaining_size -= parts[i].n_pairs
            left = self.deadline.remaining()
            part_deadline = self.deadline.cap(max(left * share, least))
            results[i] = solve_part(parts[i], self.settings(part_deadline))
            progress.done(i, results[i])
        return [results[i] for i in range(len(parts))]

    def on(self, executor: Executor, flow_idx: list[int], sat_idx: list[int]) -> list[PartResult]:
        """In parallel: flow batches and CP-SAT parts (largest first) on the executor."""
        parts = self.parts
        slots = _cpu_count()
        batches = [flow_idx[k::slots] for k in range(slots) if flow_idx[k::slots]]
        futures: dict[Future[Any], list[int]] = {}
        for batch in batches:
            futures[executor.submit(solve_flow_batch, [parts[i] for i in batch])] = batch
        workers = self.params.schedule.parallel_cpsat_workers
        left, least = self.deadline.remaining(), self.params.schedule.min_part_s
        shares = time_shares([parts[i].n_pairs for i in sat_idx], slots)
        for i, share in zip(sat_idx, shares, strict=True):
            settings = self.settings(self.deadline.cap(max(left * share, least)), workers)
            futures[executor.submit(solve_part, parts[i], settings)] = [i]
        results: dict[int, PartResult] = {}
        progress = _Progress(parts, self.scale)
        for future in as_completed(futures):
            answer = future.result()
            for i, res in zip(
                futures[future], answer if isinstance(answer, list) else [answer], strict=True
            ):
                results[i] = res
                progress.done(i, res)
        return [results[i] for i in range(len(parts))]


def time_shares(sizes: list[int], cores: int) -> list[float]:
    """Each part's share of the time left, parts solved side by side on ``cores``:
    in proportion to size where they crowd the cores, the whole time for a part
    that has a core of its own (filled from the largest down: two large parts
    and a tiny one on two cores both get all of it, not 86% for the second)."""
    shares = [0.0] * len(sizes)
    free, rest = float(cores), float(sum(sizes))
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        shares[i] = min(1.0, free * sizes[i] / rest) if rest > 0 else 1.0
        if shares[i] >= 1.0:
            free, rest = max(free - 1.0, 0.0), rest - sizes[i]
    return shares


def _use_flow(part: Part, params: SolveParams) -> bool:
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
    return exact or part.n_pairs >= params.schedule.relaxed_flow_from_pairs


def uses_flow(part: Part, params: SolveParams = DEFAULT_PARAMS) -> bool:
    """Whether the pipeline gives ``part`` to the min-cost flow (exact or relaxed)."""
    return _use_flow(part, params)


def _worth_processes(parts: list[Part], sat_idx: list[int], params: SolveParams) -> bool:
    """Processes pay off only for several sizeable CP-SAT parts on several cores."""
    big = [i for i in sat_idx if parts[i].n_pairs >= params.schedule.parallel_part_pairs]
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
