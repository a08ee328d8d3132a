"""Reproducible plans: canonical start times, by the rule of ``tasks.starts``."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import small_problems

from matchcore import Problem, Solution, check, solve
from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
from matchcore.params import Deadline
from matchcore.tasks.arrays import NO_START
from matchcore.tasks.assemble import assemble
from matchcore.tasks.parts import PartResult, split_parts
from matchcore.tasks.solve import prepare
from matchcore.tasks.starts import canonical_starts

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plan(solution: Solution) -> list[tuple[str, tuple[str, ...], str | None]]:
    return [
        (a.request_id, a.volunteer_ids, None if a.start is None else a.start.isoformat())
        for a in solution.assignments
    ]


@pytest.fixture(scope="module")
def demo() -> Problem:
    text = resources.files("matchcore").joinpath("data/demo_network.json").read_bytes()
    return Problem.from_json(text)


def test_two_solves_of_the_demo_give_the_same_plan_byte_for_byte(demo: Problem) -> None:
    first, second = solve(demo, time_limit_s=60), solve(demo, time_limit_s=60)
    assert first.status == second.status == "optimal"
    assert _plan(first) == _plan(second)
    # stats hold wall times; signals come from re-solves given the time the plan
    # left, so on a loaded machine the advice may be cut short at another point.
    strip = {"stats", "signals"}
    a = {k: v for k, v in first.to_dict().items() if k not in strip}
    b = {k: v for k, v in second.to_dict().items() if k not in strip}
    assert a == b
    assert any(s for _, _, s in _plan(first)), "the demo has timed requests"


@SETTINGS
@given(small_problems())
def test_canonical_starts_are_feasible_and_ignore_the_engines_own_starts(
    problem: Problem,
) -> None:
    cand, arrays = prepare(problem)
    rng = np.random.default_rng(0)
    parts = split_parts(cand, arrays)
    results = []
    for part in parts:
        found = solve_cpsat(part, CpSatSettings(Deadline.after(20)))
        assert found.optimal
        canon = canonical_starts(part, found, Deadline.after(20))
        # The same assignment with other (even nonsensical) starts: the same canonical starts.
        junk = rng.integers(0, 10**6, found.start.size)
        noise = np.where(found.start == NO_START, NO_START, junk)
        other = PartResult(found.chosen, noise, True, found.bound, found.engine)
        assert np.array_equal(canonical_starts(part, other, Deadline.after(20)).start, canon.start)
        assert np.array_equal(canon.chosen, found.chosen) and canon.bound == found.bound
        again = canonical_starts(part, canon, Deadline.after(20))
        assert np.array_equal(again.start, canon.start), "the rule is idempotent"
        results.append(canon)
    report = check(problem, assemble(problem, cand, arrays, parts, results))
    assert report.ok, report.violations


@SETTINGS
@given(small_problems())
def test_plans_cut_short_keep_the_engines_starts(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    for part in split_parts(cand, arrays):
        found = solve_cpsat(part, CpSatSettings(Deadline.after(20)))
        unproven = PartResult(found.chosen, found.start, False, found.bound, found.engine)
        assert canonical_starts(part, unproven, Deadline.after(20)) is unproven
