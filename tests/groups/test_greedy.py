"""The groups' greedy plan (matchcore.groups.greedy) and the joint model's fallback on it.

The fallback is exercised by making the joint model's CP-SAT find nothing
(its ``solve`` answers UNKNOWN, as when the time runs out before a first
solution): the plan is then
the tasks' greedy plans with the groups' greedy beside them, and the
independent checker must accept it; the normal solve must never be worse on
the objective levels than that plan.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model
from test_groups import _key, _network, _tiny, _window

import matchcore.groups.model
from matchcore import Problem, solve
from matchcore.check import check
from matchcore.groups.candidates import build_group_candidates
from matchcore.groups.greedy import greedy_groups
from matchcore.solution import Solution


class _NothingInTime(cp_model.CpSolver):
    """A CP-SAT solver whose time always runs out before a first solution."""

    def solve(self, model: cp_model.CpModel, *args: Any, **kwargs: Any) -> Any:
        return cp_model.UNKNOWN

    @property
    def wall_time(self) -> float:
        return 0.0


def _without_cpsat(problem: Problem) -> Solution:
    """``solve`` with the groups' joint model finding nothing in time."""
    fake = SimpleNamespace(**vars(cp_model))
    fake.CpSolver = _NothingInTime
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matchcore.groups.model, "cp_model", fake)
        return solve(problem)


def _placed(doc: dict[str, Any]) -> int:
    return sum(len(g["participants"]) for g in doc["groups"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**20), tight=st.booleans())
def test_the_fallback_plan_passes_the_checker_and_the_solve_is_never_worse(
    seed: int, tight: bool
) -> None:
    data = _tiny(seed)
    if tight:  # a ride and a session (with travel) fill a volunteer's window
        for vol in data["volunteers"]:
            vol["availability"] = [_window(day, "18:30", "21:30") for day in (2, 3)]
    problem = Problem.from_dict(data)
    fallback = _without_cpsat(problem).to_dict()
    report = check(problem, fallback)
    assert report.ok, report.violations
    assert fallback["status"] == "feasible"
    best = solve(problem).to_dict()
    assert check(problem, best).ok
    assert _key(problem, best) >= _key(problem, fallback)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**20))
def test_the_greedy_alone_places_what_its_plan_says_and_never_beats_the_optimum(
    seed: int,
) -> None:
    """Without tasks the fallback's groups are exactly the greedy's (nothing booked)."""
    data = _tiny(seed)
    data["requests"] = []
    problem = Problem.from_dict(data)
    greedy = greedy_groups(problem, build_group_candidates(problem))
    fallback = _without_cpsat(problem).to_dict()
    assert check(problem, fallback).ok
    assert _placed(fallback) == int(greedy.q_chosen.sum())
    assert len(fallback["groups"]) == int(greedy.opened.sum())
    best = solve(problem).to_dict()
    assert _key(problem, best) >= _key(problem, fallback)


def test_a_facilitator_booked_by_the_tasks_greedy_is_not_also_given_a_group() -> None:
    """lea (max_tasks 1) is preferred for the ride and one of the two facilitators the
    group needs: the fallback plan must not give her both."""
    problem = Problem.from_dict(_network())
    doc = _without_cpsat(problem).to_dict()
    report = check(problem, doc)
    assert report.ok, report.violations


def test_a_nearly_spent_deadline_still_places_the_greedys_participants() -> None:
    """With the smallest time limit the plan is the greedy's or better, never every group closed."""
    data = _network()
    data["requests"] = []
    data["options"]["time_limit_seconds"] = 1e-6
    problem = Problem.from_dict(data)
    greedy = greedy_groups(problem, build_group_candidates(problem))
    assert greedy.q_chosen.any()  # the case is only a test when the greedy places someone
    doc = solve(problem).to_dict()
    assert check(problem, doc).ok
    assert _placed(doc) >= int(greedy.q_chosen.sum())


class _FirstLevelOnly(cp_model.CpSolver):
    """A CP-SAT solver whose time runs out after the first (priority) level."""

    def solve(self, model: cp_model.CpModel, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_solved", False):
            return cp_model.UNKNOWN
        self._solved = True
        return super().solve(model, *args, **kwargs)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**20))
def test_a_stage_out_of_time_keeps_the_plan_of_the_level_above(seed: int) -> None:
    problem = Problem.from_dict(_tiny(seed))
    fake = SimpleNamespace(**vars(cp_model))
    fake.CpSolver = _FirstLevelOnly
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matchcore.groups.model, "cp_model", fake)
        cut = solve(problem).to_dict()
    best = solve(problem).to_dict()
    assert check(problem, cut).ok
    assert cut["status"] == "feasible"
    assert _key(problem, cut)[0] == _key(problem, best)[0]  # the priority level was proven
