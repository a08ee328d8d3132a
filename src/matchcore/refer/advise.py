"""One entry point: solve with referral, and annotate a plan with referrals and signals.

``solve`` (the library's) calls :func:`solve_and_annotate` once; it solves
the problem without its ``refer_only`` requests (the engines never see
them), adds those back as unassigned with reason ``referred``, and then
:func:`annotate` adds referrals and signals within what is left of the
caller's time budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace

from matchcore.explain import reason_detail
from matchcore.problem import Problem
from matchcore.refer.directory import Directory
from matchcore.refer.referral import referrals_for
from matchcore.refer.signals import (
    Recruit,
    Signals,
    ZorgpadGap,
    group_proposals,
    near_misses,
    recruit,
    unmet_groups,
    zorgpad_gaps,
)
from matchcore.solution import Funnel, Reason, Solution, Unassigned

#: Share of the time budget kept for advice (recruitment re-solves) when the
#: plan itself would use it all; a plan that finishes early leaves more.
ADVICE_SHARE = 0.2

PlanFn = Callable[..., Solution]


def solve_and_annotate(
    problem: Problem,
    plan: PlanFn,
    time_limit_s: float,
    *,
    executor: Executor | None = None,
    directory: Directory | None = None,
    advise: bool = True,
) -> Solution:
    """Plan without ``refer_only`` requests, add them back, then :func:`annotate`.

    ``plan(problem, time_limit_s=..., executor=..., advise=False)`` is the
    library's ``solve``. The whole call keeps to ``time_limit_s``. Without
    ``advise`` the plan has the whole budget and no referrals or signals.
    """
    started = time.perf_counter()
    deadline = started + time_limit_s
    matched = _without_referred(problem)
    share = time_limit_s * (1 - ADVICE_SHARE) if advise else time_limit_s
    solution = plan(matched, time_limit_s=share, executor=executor, advise=False)
    solution = _with_referred(problem, solution)
    if not advise:
        return solution

    def resolve(more: Problem, seconds: float) -> Solution:
        return plan(_without_referred(more), time_limit_s=seconds, executor=executor, advise=False)

    planned = time.perf_counter()
    annotated = annotate(
        problem,
        solution,
        directory if directory is not None else problem.directory,
        deadline_s=deadline - time.perf_counter(),
        resolve=resolve,
    )
    done = time.perf_counter()
    stats = replace(
        annotated.stats,
        wall_seconds=round(done - started, 4),
        phases={**annotated.stats.phases, "advice": round(done - planned, 4)},
    )
    return replace(annotated, stats=stats)


def annotate(
    problem: Problem,
    solution: Solution,
    directory: Directory | None,
    *,
    deadline_s: float,
    resolve: Callable[[Problem, float], Solution] | None = None,
) -> Solution:
    """``solution`` with referrals on its unassigned requests and its ``signals``.

    Parameters
    ----------
    problem
        The problem ``solution`` plans.
    solution
        A plan of ``problem`` (``refer_only`` requests unassigned).
    directory
        Professional services to refer to; ``None`` gives no referrals.
    deadline_s
        Seconds left of the caller's budget; recruitment re-solves share
        them and stop in time, marking the signals incomplete.
    resolve
        ``resolve(problem, seconds)`` solves without advice; ``None`` gives
        no recruitment advice.
    """
    deadline = time.perf_counter() + max(deadline_s, 0.0)
    max_km = problem.options.referral_max_km
    unassigned = []
    for u in solution.unassigned:
        req = problem.requests[problem.request_index[u.request_id]]
        refs = None
        if req.themes:
            refs = referrals_for(directory or Directory(), req, max_km)
        unassigned.append(replace(u, referrals=refs))
    notes: list[str] = []
    gaps: tuple[ZorgpadGap, ...] = ()
    if directory is not None:
        gaps = zorgpad_gaps(problem, directory)
    elif any(r.themes for r in problem.requests):
        notes.append("no directory given: no referrals and no zorgpad gaps")
    groups = unmet_groups(problem, unassigned)
    # Near misses may use a third of the time left; the recruitment re-solves the rest.
    now = time.perf_counter()
    misses, misses_done = near_misses(problem, unassigned, now + (deadline - now) / 3)
    if not misses_done:
        notes.append("near misses cut short by the time limit")
    recruits: tuple[Recruit, ...] = ()
    complete = True
    if resolve is not None and groups:
        matched = _without_referred(problem)
        base = _served_only(solution, matched)
        recruits, complete = recruit(matched, base, groups, resolve, deadline)
        if not complete:
            notes.append("recruitment advice cut short by the time limit or an unproven re-solve")
    proposals = None if solution.group_plan is None else group_proposals(solution.group_plan)
    signals = Signals(
        groups,
        recruits,
        misses,
        gaps,
        complete and misses_done,
        tuple(notes),
        group_proposals=proposals,
    )
    return replace(solution, unassigned=tuple(unassigned), signals=signals)


def _without_referred(problem: Problem) -> Problem:
    if not any(r.refer_only for r in problem.requests):
        return problem
    keep = tuple(r for r in problem.requests if not r.refer_only)
    return replace(problem, requests=keep)  # every other member (groups...) stays


def _with_referred(problem: Problem, solution: Solution) -> Solution:
    """The plan with every ``refer_only`` request listed as unassigned, in problem order."""
    referred = [r for r in problem.requests if r.refer_only]
    if not referred:
        return solution
    from matchcore.tasks.solve import candidate_funnels

    funnels = candidate_funnels(Problem(problem.volunteers, tuple(referred), (), problem.options))
    added = {
        r.id: Unassigned(r.id, Reason.REFERRED, reason_detail(f, 1, Reason.REFERRED), f)
        for r, f in zip(referred, funnels, strict=True)
    }
    listed = {u.request_id: u for u in solution.unassigned}
    order = [
        added.get(r.id) or listed[r.id] for r in problem.requests if r.id in added or r.id in listed
    ]
    return replace(solution, unassigned=tuple(order))


def _served_only(solution: Solution, matched: Problem) -> Solution:
    return replace(
        solution,
        unassigned=tuple(u for u in solution.unassigned if u.request_id in matched.request_index),
    )


__all__ = ["ADVICE_SHARE", "Funnel", "annotate", "solve_and_annotate"]
