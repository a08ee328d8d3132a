"""The gap split's exact model (benchmarks/gap_split.py) against the brute-force oracle."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from oracle import solve_oracle
from strategies import tiny_problems

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the benchmarks package

from benchmarks.gap_split import case_problem, full_params, solve_exact, split
from matchcore.problem import Problem
from matchcore.tasks.arrays import task_arrays
from matchcore.tasks.candidates import build_candidates
from matchcore.tasks.parts import whole_part
from matchcore.tasks.pins import check_pins


def _untimed(problem: Problem) -> Problem:
    """Windows and availability dropped, teams and minute budgets kept, no pins."""
    requests = tuple(dataclasses.replace(r, window=None) for r in problem.requests)
    volunteers = tuple(dataclasses.replace(v, availability=None) for v in problem.volunteers)
    return Problem(volunteers, requests, (), problem.options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_the_exact_model_finds_the_brute_force_optimum(problem: Problem) -> None:
    problem = _untimed(problem)
    oracle = solve_oracle(problem)
    assert oracle is not None
    params = full_params()
    arrays = task_arrays(problem, params)
    cand = build_candidates(problem, arrays, params)
    assume(cand.n_pairs > 0)
    arrays = check_pins(problem, cand, arrays)
    part = whole_part(cand, arrays)
    exact = solve_exact(part, part.max_tasks, 30.0)
    assert exact["optimal"]
    assert abs(exact["mip_plan"] / arrays.scale - oracle.objective.served_priority) < 1e-6
    assert exact["lp"] >= exact["mip_plan"] - 1e-6  # the LP relaxes it


def test_a_split_adds_up() -> None:
    out = split(case_problem("zorg:30:120", Path("/nonexistent")), 30.0, 30.0)
    mc, opt = out["matchcore"], out["exact"]["mip_plan"]
    assert out["exact"]["optimal"]
    assert mc["plan"] <= opt <= mc["bound"]
    assert out["matchcore_budget_minutes"]["plan"] <= opt
    total = out["plan_gap_pct"] + out["bound_gap_pct"]
    assert abs(total - out["gap_pct"]) < 1e-9
