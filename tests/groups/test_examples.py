"""The group examples of the README: they solve, pass the checker, and the summary shows them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matchcore import solve
from matchcore.check import check
from matchcore.io import read_problem_file

ROOT = Path(__file__).parents[2]
SMALL = ["mixed_week", "mezzo_coaching", "kansrijke_start_parents"]


@pytest.mark.parametrize("name", SMALL)
def test_small_group_examples_are_proven_and_pass_the_checker(name: str) -> None:
    problem = read_problem_file(ROOT / "examples" / f"{name}.json")
    solution = solve(problem, time_limit_s=60)
    assert solution.status.value == "optimal"
    assert check(problem, solution).ok
    plan = solution.group_plan
    assert plan is not None and plan.groups
    assert len(plan.unplaced) + plan.placed_participants == len(problem.participants)


def test_the_mezzo_round_has_one_coach_per_trajectory() -> None:
    problem = read_problem_file(ROOT / "examples" / "mezzo_coaching.json")
    plan = solve(problem, time_limit_s=60).group_plan
    assert plan is not None
    assert all(len(g.facilitators) == 1 for g in plan.groups)
    coaches = [c for g in plan.groups for c in g.facilitators]
    assert len(coaches) == len(set(coaches))  # max_tasks 1: one trajectory each


def test_the_zelfregienetwerk_plan_passes_the_checker_within_a_short_limit() -> None:
    problem = read_problem_file(ROOT / "examples" / "zelfregie_south_limburg.json")
    assert len(problem.groups) >= 25 and len({g.topic for g in problem.groups}) >= 10
    solution = solve(problem, time_limit_s=8)
    assert check(problem, solution).ok  # optimal or not: every rule holds


def test_the_summary_shows_the_groups(tmp_path: Path) -> None:
    example = ROOT / "examples" / "mixed_week.json"
    plan = tmp_path / "plan.json"
    run = [sys.executable, "-m", "matchcore.cli"]
    subprocess.run([*run, "solve", str(example), "-o", str(plan), "--quiet"], check=True)
    out = subprocess.run(
        [*run, "summary", str(example), str(plan)], capture_output=True, text=True, check=True
    ).stdout
    assert "Groups      3 open, 0 not opened; 20 participants placed, 0 not placed" in out
