"""The CP-SAT search of every exact part: one worker first, then the portfolio
(:func:`matchcore.engines.cpsat.run_search`). Each clause of its contract, on
small models whose optimum brute force knows."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from ortools.sat.python import cp_model
from strategies import small_problems

from matchcore import Problem, solve
from matchcore.engines import cpsat
from matchcore.engines.cpsat import CpSatSettings, run_search
from matchcore.params import DEFAULT_PARAMS, Deadline, SolveParams

WEIGHTS = [7, 5, 4, 3, 6, 2, 8, 5, 3, 4]
SIZES = [4, 3, 3, 2, 5, 1, 6, 3, 2, 3]
CAPACITY = 14


def _knapsack() -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(WEIGHTS))]
    # only a fixed search follows it (see _first_plan_is_empty): every item left out first
    model.add_decision_strategy(x, cp_model.CHOOSE_FIRST, cp_model.SELECT_MIN_VALUE)
    model.add(sum(s * v for s, v in zip(SIZES, x, strict=True)) <= CAPACITY)
    model.maximize(sum(w * v for w, v in zip(WEIGHTS, x, strict=True)))
    return model, x


def _brute_force() -> int:
    best = 0
    for pick in itertools.product((0, 1), repeat=len(WEIGHTS)):
        if sum(s * p for s, p in zip(SIZES, pick, strict=True)) <= CAPACITY:
            best = max(best, sum(w * p for w, p in zip(WEIGHTS, pick, strict=True)))
    return best


def _settings(quick: float, workers: int = 0, light_below: int | None = None) -> CpSatSettings:
    cp = dataclasses.replace(DEFAULT_PARAMS.cpsat, quick_deterministic_s=quick)
    if light_below is not None:
        cp = dataclasses.replace(cp, light_quick_below_vars=light_below)
    params = dataclasses.replace(DEFAULT_PARAMS, cpsat=cp)
    return CpSatSettings(Deadline.after(30), workers=workers, params=params)


def _first_plan_is_empty(solver: cp_model.CpSolver) -> None:
    """The quick pass stops at its first plan, which serves nothing and proves nothing."""
    solver.parameters.stop_after_first_solution = True
    solver.parameters.cp_model_presolve = False
    solver.parameters.search_branching = cp_model.FIXED_SEARCH


def test_a_small_model_is_proven_by_the_single_worker() -> None:
    model, _ = _knapsack()
    solver, status = run_search(model, _settings(0.5), 30)
    assert status == cp_model.OPTIMAL
    assert round(solver.objective_value) == _brute_force()
    assert solver.parameters.num_workers == 1


@pytest.mark.parametrize("light_below, light", [(None, True), (len(WEIGHTS), False), (0, False)])
def test_the_quick_pass_is_light_only_below_its_size(light_below: int | None, light: bool) -> None:
    """Ten variables: light under the default threshold, not at a threshold of ten or off."""
    model, _ = _knapsack()
    solver, status = run_search(model, _settings(0.5, light_below=light_below), 30)
    assert status == cp_model.OPTIMAL and round(solver.objective_value) == _brute_force()
    assert solver.parameters.num_workers == 1
    assert (solver.parameters.search_branching == cp_model.LP_SEARCH) is light
    assert (solver.parameters.linearization_level == 2) is light
    assert (solver.parameters.cp_model_probing_level == 0) is light


def test_the_portfolio_continues_when_the_quick_pass_proves_nothing() -> None:
    model, _ = _knapsack()
    solver, status = run_search(model, _settings(1e-12), 30)
    assert status == cp_model.OPTIMAL
    assert round(solver.objective_value) == _brute_force()
    assert solver.parameters.num_workers == DEFAULT_PARAMS.cpsat.default_workers


@pytest.mark.parametrize("quick, workers", [(0.0, 0), (0.5, 1)])
def test_no_quick_pass_when_it_is_off_or_there_is_one_worker(quick: float, workers: int) -> None:
    model, _ = _knapsack()
    solver, status = run_search(model, _settings(quick, workers), 30)
    assert status == cp_model.OPTIMAL
    assert solver.parameters.num_workers == (workers or DEFAULT_PARAMS.cpsat.default_workers)
    assert solver.parameters.max_deterministic_time == float("inf")


def test_an_infeasible_model_is_reported_by_the_quick_pass() -> None:
    model, x = _knapsack()
    model.add(sum(x) >= len(x))  # every item: more than the capacity
    solver, status = run_search(model, _settings(0.5), 30)
    assert status == cp_model.INFEASIBLE
    assert solver.parameters.num_workers == 1


def test_the_quick_plan_stands_when_the_portfolio_finds_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quick pass stops at its first plan; the portfolio stops after presolve."""
    made = cpsat._solver

    def stubborn(settings: CpSatSettings, limit: float, workers: int = 0) -> cp_model.CpSolver:
        solver: cp_model.CpSolver = made(settings, limit, workers)
        if workers == 1:
            _first_plan_is_empty(solver)
        else:
            solver.parameters.stop_after_presolve = True
        return solver

    monkeypatch.setattr(cpsat, "_solver", stubborn)
    model, x = _knapsack()
    solver, status = run_search(model, _settings(0.5, light_below=0), 30)  # the stub's search
    assert status == cp_model.FEASIBLE
    assert solver.parameters.num_workers == 1
    picked = [solver.value(v) for v in x]
    assert round(solver.objective_value) < _brute_force()  # the quick, unproven plan
    assert sum(s * p for s, p in zip(SIZES, picked, strict=True)) <= CAPACITY
    assert round(solver.objective_value) == sum(w * p for w, p in zip(WEIGHTS, picked, strict=True))


def test_the_portfolio_starts_from_the_quick_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the quick pass has a plan but no proof, that plan is the portfolio's hint."""
    made = cpsat._solver
    solvers: list[cp_model.CpSolver] = []

    def first_plan_only(
        settings: CpSatSettings, limit: float, workers: int = 0
    ) -> cp_model.CpSolver:
        solver: cp_model.CpSolver = made(settings, limit, workers)
        if workers == 1:
            _first_plan_is_empty(solver)
        solvers.append(solver)
        return solver

    monkeypatch.setattr(cpsat, "_solver", first_plan_only)
    model, _ = _knapsack()
    solver, status = run_search(model, _settings(0.5, light_below=0), 30)  # the stub's search
    assert status == cp_model.OPTIMAL and round(solver.objective_value) == _brute_force()
    quick_plan = list(solvers[0].response_proto.solution)
    assert len(solvers) == 2 and solver is solvers[1]
    assert list(model.proto.solution_hint.vars) == list(range(len(quick_plan)))
    assert list(model.proto.solution_hint.values) == quick_plan


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _params(
    quick: float, light_below: int = DEFAULT_PARAMS.cpsat.light_quick_below_vars
) -> SolveParams:
    cp = dataclasses.replace(
        DEFAULT_PARAMS.cpsat, quick_deterministic_s=quick, light_quick_below_vars=light_below
    )
    return dataclasses.replace(DEFAULT_PARAMS, cpsat=cp)


@SETTINGS
@given(small_problems())
def test_the_quick_pass_changes_no_optimum(problem: Problem) -> None:
    """Differential: with and without the quick pass, the same proven optimum."""
    on = solve(problem, time_limit_s=30, advise=False, params=_params(0.5))
    off = solve(problem, time_limit_s=30, advise=False, params=_params(0.0))
    assert on.status == off.status
    assert on.objective.served_priority == pytest.approx(off.objective.served_priority)
    assert on.objective.continuity == off.objective.continuity
    assert on.objective.travel_km == pytest.approx(off.objective.travel_km, abs=1e-6)


@SETTINGS
@given(small_problems())
def test_the_light_quick_pass_changes_no_optimum(problem: Problem) -> None:
    """Differential: the light quick pass and CP-SAT's defaults, the same proven optimum
    (each also against brute force in tests/tasks/test_solve_oracle.py, light by default)."""
    light = solve(problem, time_limit_s=30, advise=False, params=_params(0.5))
    heavy = solve(problem, time_limit_s=30, advise=False, params=_params(0.5, light_below=0))
    assert light.status == heavy.status
    assert light.objective.served_priority == pytest.approx(heavy.objective.served_priority)
    assert light.objective.continuity == heavy.objective.continuity
    assert light.objective.travel_km == pytest.approx(heavy.objective.travel_km, abs=1e-6)
