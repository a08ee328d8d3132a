"""Large-neighbourhood search and the priority bound: feasible, monotone, bounded, on time."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from strategies import small_problems

from matchcore import Problem, check
from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
from matchcore.engines.flow import flow_eligible
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.lns import solve_lns
from matchcore.engines.relaxation import (
    coupling_rows,
    flow_bound,
    items_of,
    lagrangian_bound,
    priority_bound,
)
from matchcore.params import DEFAULT_PARAMS, Deadline, LnsParams
from matchcore.tasks.assemble import assemble
from matchcore.tasks.parts import Part, PartResult, split_parts, whole_part
from matchcore.tasks.solve import prepare

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _parts(problem: Problem) -> tuple[list[Part], int]:
    cand, arrays = prepare(problem)
    return split_parts(cand, arrays), arrays.scale


def _served(part: Part, result: PartResult) -> int:
    served = np.zeros(part.n_requests, dtype=bool)
    served[part.p_req[result.chosen]] = True
    return int(part.priority[served].sum())


def _key(part: Part, result: PartResult) -> tuple[int, int, int]:
    used = result.chosen
    return _served(part, result), int(part.preferred[used].sum()), -int(part.dist_m[used].sum())


def _optimum(part: Part) -> int:
    exact = solve_cpsat(part, CpSatSettings(Deadline.after(30)))
    assert exact.optimal
    return _served(part, exact)


def _untimed_singles(problem: Problem) -> Problem:
    requests = tuple(
        dataclasses.replace(r, window=None, volunteers_needed=1) for r in problem.requests
    )
    volunteers = tuple(dataclasses.replace(v, max_minutes=None) for v in problem.volunteers)
    return Problem(volunteers, requests, (), problem.options)


# -- the bound -------------------------------------------------------------------------


@SETTINGS
@given(small_problems())
def test_bound_is_at_least_the_exact_optimum(problem: Problem) -> None:
    parts, _ = _parts(problem)
    for part in parts:
        best = _optimum(part)
        assert priority_bound(part) >= best
        assert flow_bound(part) >= best
        # The Lagrangian bound holds for any multipliers, not only good ones.
        it = items_of(part)
        rows = coupling_rows(part, it)
        rng = np.random.default_rng(part.n_pairs)
        for _ in range(3):
            u = rng.exponential(0.05, rows.rhs.size) * (rng.random(rows.rhs.size) < 0.5)
            assert lagrangian_bound(part, it, rows, u) >= best


@SETTINGS
@given(small_problems())
def test_bound_equals_the_optimum_on_flow_representable_parts(problem: Problem) -> None:
    parts, _ = _parts(_untimed_singles(problem))
    for part in parts:
        assert flow_eligible(part)
        best = _optimum(part)
        assert flow_bound(part) == best
        assert priority_bound(part) == best


def test_bound_on_a_timed_network_is_below_the_total_and_above_the_plan() -> None:
    from matchcore.synth.generate import generate

    problem = generate(60, 240, region="westhoek", timed=True, seed=1)
    parts, _ = _parts(problem)
    for part in parts:
        bound = priority_bound(part, Deadline.after(5))
        assert _served(part, solve_greedy(part)) <= bound <= int(part.priority.sum())
    big = max(parts, key=lambda p: p.n_pairs)
    assert priority_bound(big, Deadline.after(5)) < int(big.priority.sum())


# -- the search -------------------------------------------------------------------------


def _lns_plans_hold(
    problem: Problem, limit: float, *, exact: bool = False, lns: LnsParams | None = None
) -> None:
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    tick = time.perf_counter()
    params = dataclasses.replace(DEFAULT_PARAMS, lns=lns or LnsParams())
    result = solve_lns(part, CpSatSettings(Deadline.after(limit), seed=3, params=params), start)
    assert time.perf_counter() - tick <= limit + 5
    assert result.engine == "lns"
    solution = assemble(problem, cand, arrays, [part], [result])
    report = check(problem, solution)
    assert report.ok, report.violations
    assert bool(result.chosen[part.pin_pair].all())
    assert _key(part, result) >= _key(part, start)
    assert result.bound >= _served(part, result)
    if result.optimal:
        assert result.bound == _served(part, result)
    if exact:
        assert result.bound >= _optimum(part)


@SETTINGS
@given(problem=small_problems())
def test_lns_plans_are_feasible_never_worse_and_bounded(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    assume(cand.n_pairs > 0)
    part = whole_part(cand, arrays)
    assume(bool(solve_greedy(part).chosen[part.pin_pair].all()))
    # Tiny neighbourhoods and steps, so that most of the plan stays fixed in each.
    tiny = LnsParams(start_size=1, min_size=1, max_size=2, min_sub_limit=0.02, start_sub_limit=0.05)
    _lns_plans_hold(problem, limit=0.6, exact=True, lns=tiny)


def test_lns_on_a_pinned_network_with_teams() -> None:
    from matchcore.synth.generate import generate

    problem = generate(50, 200, region="westhoek", timed=True, seed=5, pins=8)
    assert problem.assignments
    assert any(r.volunteers_needed > 1 for r in problem.requests)
    _lns_plans_hold(problem, limit=4)


def test_lns_returns_within_its_time_limit_on_a_large_part() -> None:
    from matchcore.synth.generate import generate

    problem = generate(400, 1600, region="zorgnetwerken", timed=True, seed=11)
    parts, _ = _parts(problem)
    part = max(parts, key=lambda p: p.n_pairs)
    start = solve_greedy(part)
    tick = time.perf_counter()
    result = solve_lns(part, CpSatSettings(Deadline.after(3)), start)
    assert time.perf_counter() - tick <= 3 + 5
    assert _key(part, result) >= _key(part, start)
