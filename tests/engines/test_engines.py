"""Engines and decomposition: each must reach the same lexicographic optimum."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import small_problems

from matchcore import Objective, Problem, Solution, check, solve
from matchcore.engines.cpsat import CpSatSettings, better_of, solve_cpsat
from matchcore.engines.flow import flow_eligible, solve_flow
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.objective import plan_key
from matchcore.params import DEFAULT_PARAMS, Deadline
from matchcore.tasks.assemble import assemble
from matchcore.tasks.parts import limits_bind, split_parts, whole_part
from matchcore.tasks.solve import prepare, uses_flow

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _untimed_singles(problem: Problem) -> Problem:
    """The same network with every request untimed, for one volunteer, unpinned."""
    requests = tuple(
        dataclasses.replace(r, window=None, volunteers_needed=1) for r in problem.requests
    )
    volunteers = tuple(dataclasses.replace(v, max_minutes=None) for v in problem.volunteers)
    return Problem(volunteers, requests, (), problem.options)


def _objective_key(o: Objective) -> tuple[float, int, float]:
    return (round(o.served_priority, 6), o.continuity, round(o.travel_km, 6))


def _plan(problem: Problem, engine: str) -> tuple[Objective, bool]:
    """Solve with one engine over the whole graph, no decomposition."""
    solution, optimal = _solution(problem, engine)
    return solution.objective, optimal


def _solution(problem: Problem, engine: str) -> tuple[Solution, bool]:
    cand, arrays = prepare(problem)
    if cand.n_pairs == 0:
        return assemble(problem, cand, arrays, [], []), True
    part = whole_part(cand, arrays)
    if engine == "flow":
        result = solve_flow([part])[0]
    elif engine == "greedy":
        result = solve_greedy(part)
    else:
        result = solve_cpsat(part, CpSatSettings(Deadline.after(30)))
    solution = assemble(problem, cand, arrays, [part], [result])
    assert check(problem, solution).ok, check(problem, solution).violations
    return solution, result.optimal


def _same_travel(a: Objective, b: Objective) -> bool:
    # Distances enter the models in whole metres: allow a metre per assigned pair.
    return math.isclose(a.travel_km, b.travel_km, abs_tol=1e-3 * (a.served_requests + 1) * 3)


@SETTINGS
@given(small_problems())
def test_flow_equals_cpsat_on_flow_representable_problems(problem: Problem) -> None:
    problem = _untimed_singles(problem)
    flow, flow_optimal = _plan(problem, "flow")
    sat, sat_optimal = _plan(problem, "cpsat")
    assert flow_optimal and sat_optimal
    assert (flow.served_priority, flow.continuity) == (sat.served_priority, sat.continuity)
    assert _same_travel(flow, sat)


@SETTINGS
@given(small_problems())
def test_flow_with_untimed_teams_is_a_valid_relaxation(problem: Problem) -> None:
    requests = tuple(dataclasses.replace(r, window=None) for r in problem.requests)
    volunteers = tuple(dataclasses.replace(v, max_minutes=None) for v in problem.volunteers)
    problem = Problem(volunteers, requests, (), problem.options)
    flow, flow_optimal = _solution(problem, "flow")
    exact, exact_optimal = _plan(problem, "cpsat")
    assert exact_optimal
    assert flow.objective.served_priority <= exact.served_priority + 1e-9
    assert flow.bound >= exact.served_priority - 1e-9, "the flow bound must be valid"
    if flow_optimal:
        got = (flow.objective.served_priority, flow.objective.continuity)
        assert got == (exact.served_priority, exact.continuity)


@SETTINGS
@given(small_problems())
def test_decomposed_solve_equals_undecomposed_model(problem: Problem) -> None:
    whole, optimal = _plan(problem, "cpsat")
    assert optimal
    solution = solve(problem, time_limit_s=30)
    assert solution.status == "optimal"
    got = solution.objective
    assert (got.served_priority, got.continuity) == (whole.served_priority, whole.continuity)
    assert _same_travel(got, whole)


@SETTINGS
@given(small_problems())
def test_greedy_plans_are_feasible_and_never_better_than_optimal(problem: Problem) -> None:
    greedy, _ = _plan(problem, "greedy")  # _plan asserts the checker passes it
    best = solve(problem, time_limit_s=30)
    assert greedy.served_priority <= best.bound + 1e-9
    if best.status == "optimal":
        got = (greedy.served_priority, greedy.continuity)
        assert got <= (best.objective.served_priority, best.objective.continuity)


@SETTINGS
@given(small_problems())
def test_engine_choice_follows_the_rules(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    for part in split_parts(cand, arrays):
        if flow_eligible(part):
            assert not part.pinned.any()
            assert not (part.timed & (part.need > 1)).any()
            timed_pairs = part.p_vol[part.timed[part.p_req]]
            assert len(set(timed_pairs.tolist())) == timed_pairs.size, "no overlap possible"
        small = part.n_pairs < DEFAULT_PARAMS.schedule.relaxed_flow_from_pairs
        if uses_flow(part) and small:
            _, minutes_bind = limits_bind(part)
            assert (part.need == 1).all() and not minutes_bind.any(), "small parts keep a proof"


@SETTINGS
@given(small_problems())
def test_parts_are_independent_and_cover_every_pair(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    parts = split_parts(cand, arrays)
    pairs = sorted(p for part in parts for p in part.pairs.tolist())
    assert pairs == list(range(cand.n_pairs))
    request_part: dict[int, int] = {}
    window_part: dict[int, int] = {}
    volunteer_parts: dict[int, set[int]] = {}
    for k, part in enumerate(parts):
        for r in part.requests.tolist():
            assert request_part.setdefault(r, k) == k, "a request lives in one part"
        for p in part.pairs.tolist():
            volunteer_parts.setdefault(int(cand.vol[p]), set()).add(k)
            for w in cand.start_window[cand.start_ptr[p] : cand.start_ptr[p + 1]].tolist():
                assert window_part.setdefault(w, k) == k, "an availability window in one part"
    load = arrays.duration[cand.req] + 2 * cand.travel_min
    for v, shared in volunteer_parts.items():
        if len(shared) > 1:  # only a volunteer whose limits can never bind is shared
            mine = cand.vol == v
            assert mine.sum() <= arrays.max_tasks[v]
            assert load[mine].sum() <= arrays.max_minutes[v]


@pytest.fixture(scope="module")
def network() -> Problem:
    from matchcore.synth.generate import generate

    return generate(40, 80, region="west-flanders", seed=7)


def test_process_pool_gives_the_same_optimum(network: Problem) -> None:
    here = solve(network, time_limit_s=60)
    with ProcessPoolExecutor(max_workers=2) as pool:
        there = solve(network, time_limit_s=60, executor=pool)
    assert here.status == there.status == "optimal"
    assert _objective_key(here.objective) == _objective_key(there.objective)
    assert check(network, there).ok


def test_dask_executor_gives_the_same_optimum(network: Problem) -> None:
    distributed = pytest.importorskip("distributed")
    here = solve(network, time_limit_s=60)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2) as client:
        there = solve(network, time_limit_s=60, executor=client.get_executor())
    assert there.status == "optimal"
    assert _objective_key(here.objective) == _objective_key(there.objective)


@SETTINGS
@given(small_problems())
def test_cpsat_never_returns_less_than_its_hint(problem: Problem) -> None:
    from matchcore.tasks.parts import PartResult

    cand, arrays = prepare(problem)
    if cand.n_pairs == 0:
        return
    part = whole_part(cand, arrays)
    hint = solve_greedy(part)
    nothing = PartResult(
        hint.chosen & part.pin_pair, hint.start, False, int(part.priority.sum()), "cp-sat"
    )
    kept = better_of(part, nothing, hint)
    key = plan_key
    assert key(part, kept.chosen) == max(key(part, hint.chosen), key(part, nothing.chosen))
    assert kept.bound == nothing.bound and not kept.optimal
