"""Every engine honours the kept level (re-planning) on random changed weeks.

- the min-cost flow, where it applies and proves its plan, reaches CP-SAT's
  value on every level, kept included (its kept-pair bonus is exact there);
- greedy and LNS plans keep every hard rule and pin, and keep at least what
  greedy books first: every still-feasible previous assignment that fits
  next to the pins and the ones booked before it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from test_replan import replans

from matchcore.engines.base import CpSatEngine, FlowEngine, GreedyEngine
from matchcore.engines.objective import keepable, kept, plan_key
from matchcore.params import DEFAULT_PARAMS, Deadline
from matchcore.problem import Problem
from matchcore.tasks.parts import split_parts
from matchcore.tasks.solve import prepare

_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=40)


@_SETTINGS
@given(replans(max_requests=8, max_volunteers=5))
def test_flow_with_kept_bonus_matches_cpsat(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    for part in split_parts(cand, arrays):
        if not FlowEngine().applies(part):
            continue
        flow = FlowEngine().solve(part, DEFAULT_PARAMS, Deadline.after(10))
        if not flow.optimal:
            continue
        exact = CpSatEngine().solve(part, DEFAULT_PARAMS, Deadline.after(10))
        assert exact.optimal
        assert plan_key(part, flow.chosen, start=flow.start) == plan_key(
            part, exact.chosen, start=exact.start
        )


@_SETTINGS
@given(replans(max_requests=8, max_volunteers=5))
def test_greedy_books_kept_assignments_first(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    for part in split_parts(cand, arrays):
        if not GreedyEngine().applies(part):
            continue
        plan = GreedyEngine().solve(part, DEFAULT_PARAMS, Deadline.after(10))
        got = kept(part, plan.chosen, plan.start)
        # Nothing competes in a part whose volunteers each hold one keepable request.
        owners = part.p_vol[part.keep_pair] if part.keep_pair.size else part.p_vol[:0]
        if owners.size == len(set(owners.tolist())) and not part.pinned.any():
            assert got == int(keepable(part).sum())
