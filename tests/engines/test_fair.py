"""The fairness level (``options.fairness == "balance"``) against brute force.

- the weights of :func:`~matchcore.engines.objective.fairness_weights` and the
  exact key :func:`~matchcore.engines.objective.fairness_cost` order load
  vectors as sorting them (largest first) and comparing lexicographically
  does, checked over every load vector of tiny sizes;
- the solver's plan equals the brute-force oracle's on every level, the
  sorted loads included, on random tiny problems; also when the weights do
  not fit and CP-SAT must stage the fairness level count by count;
- fairness never costs served priority or continuity, and never raises the
  largest load, on the bundled demo network.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from oracle import solve_oracle
from strategies import tiny_problems

from matchcore import Problem, check, solve
from matchcore.engines import objective
from matchcore.engines.objective import fairness_cost, fairness_weights, load_counts
from matchcore.solution import Solution
from matchcore.tasks.parts import Part

DEMO = Path(__file__).parents[2] / "src" / "matchcore" / "data" / "demo_network.json"


def _sorted_key(loads: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(loads, reverse=True))


def _weighted(loads: tuple[int, ...], weights: list[int]) -> int:
    return sum(sum(weights[:n]) for n in loads)


@pytest.mark.parametrize(("volunteers", "cap"), [(1, 4), (2, 3), (3, 3), (4, 2)])
def test_fairness_weights_order_loads_as_sorted_vectors_do(volunteers: int, cap: int) -> None:
    caps = np.full(volunteers, cap, dtype=np.int64)
    weights = fairness_weights(caps)
    vectors = list(itertools.product(range(cap + 1), repeat=volunteers))
    for a, b in itertools.combinations(vectors, 2):
        by_sort = (_sorted_key(a) > _sorted_key(b)) - (_sorted_key(a) < _sorted_key(b))
        by_weight = (_weighted(a, weights) > _weighted(b, weights)) - (
            _weighted(a, weights) < _weighted(b, weights)
        )
        assert by_sort == by_weight, (a, b)


def test_fairness_weights_follow_unequal_caps() -> None:
    """Caps 3, 1, 1: one volunteer can reach 2 and 3; w_k exceeds all below it."""
    caps = np.array([3, 1, 1], dtype=np.int64)
    weights = fairness_weights(caps)
    assert load_counts(caps) == [3, 1, 1]
    assert weights == [1, 4, 8]  # 1; 1 + 1*3; 1 + 1*3 + 4*1
    vectors = [v for v in itertools.product(range(4), range(2), range(2))]
    for a, b in itertools.combinations(vectors, 2):
        if _sorted_key(a) < _sorted_key(b):
            assert _weighted(a, weights) < _weighted(b, weights), (a, b)


def _part_with_loads(volunteers: int) -> Part:
    """A part of one pair per (volunteer, request) slot: pair p belongs to volunteer p % n."""
    n_pairs = volunteers * 4
    zeros = np.zeros(n_pairs, dtype=np.int64)
    return Part(
        requests=np.arange(n_pairs),
        volunteers=np.arange(volunteers),
        pairs=np.arange(n_pairs),
        p_req=np.arange(n_pairs),
        p_vol=np.arange(n_pairs) % volunteers,
        dist_m=zeros,
        travel=zeros,
        preferred=np.zeros(n_pairs, dtype=bool),
        start_ptr=np.zeros(n_pairs + 1, dtype=np.int64),
        start_lo=np.zeros(0, dtype=np.int64),
        start_hi=np.zeros(0, dtype=np.int64),
        start_window=np.zeros(0, dtype=np.int64),
        window_minutes=np.zeros(0, dtype=np.int64),
        pair_ptr=np.arange(n_pairs + 1),
        need=np.ones(n_pairs, dtype=np.int64),
        priority=np.ones(n_pairs, dtype=np.int64),
        duration=np.full(n_pairs, 60, dtype=np.int64),
        timed=np.zeros(n_pairs, dtype=bool),
        pinned=np.zeros(n_pairs, dtype=bool),
        pin_pair=np.zeros(n_pairs, dtype=bool),
        pin_start=np.zeros(n_pairs, dtype=np.int64),
        max_tasks=np.full(volunteers, 4, dtype=np.int64),
        max_minutes=np.full(volunteers, 10**6, dtype=np.int64),
        fair=True,
    )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fairness_cost_is_the_sorted_load_order(data: st.DataObject) -> None:
    part = _part_with_loads(3)

    def plan() -> tuple[np.ndarray, tuple[int, ...]]:
        loads = data.draw(st.tuples(*[st.integers(0, 4)] * 3))
        used = np.concatenate([np.arange(k) * 3 + v for v, k in enumerate(loads)])
        return used.astype(np.int64), loads

    (a, la), (b, lb) = plan(), plan()
    assert (fairness_cost(part, a) < fairness_cost(part, b)) == (_sorted_key(la) < _sorted_key(lb))
    chosen = np.zeros(part.n_pairs, dtype=bool)
    chosen[a] = True
    assert objective.plan_key(part, chosen)[3] == -fairness_cost(part, a)


def _balanced(problem: Problem) -> Problem:
    return dataclasses.replace(
        problem, options=dataclasses.replace(problem.options, fairness="balance")
    )


def _loads(problem: Problem, solution: Solution) -> tuple[int, ...]:
    tasks = dict.fromkeys((v.id for v in problem.volunteers), 0)
    for a in solution.assignments:
        for m in a.volunteers:
            tasks[m.volunteer_id] += 1
    return _sorted_key(tuple(tasks.values()))


def _same_as_oracle(problem: Problem) -> None:
    note(f"problem: {json.dumps(problem.to_dict())}")
    oracle = solve_oracle(problem)
    assert oracle is not None
    solution = solve(problem, time_limit_s=20, advise=False)
    report = check(problem, solution)
    assert report.ok, report.violations
    assert solution.status == "optimal"
    got, want = solution.objective, oracle.objective
    assert (got.served_priority, got.continuity) == (want.served_priority, want.continuity)
    assert _loads(problem, solution) == oracle.loads
    assert got.max_tasks_per_volunteer == want.max_tasks_per_volunteer
    assert got.task_spread == want.task_spread
    legs = 2 * max(got.served_requests, want.served_requests) * 2
    assert abs(got.travel_km - want.travel_km) <= 1e-3 * legs + 1e-9, (got, want)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_balanced_plans_are_the_brute_force_optimum(problem: Problem) -> None:
    _same_as_oracle(_balanced(problem))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_fairness_is_staged_count_by_count_when_weights_do_not_fit(
    problem: Problem,
) -> None:
    """With a tiny number limit no weighted sum fits: every level is its own solve."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(objective, "OBJECTIVE_LIMIT", 2.0)
        _same_as_oracle(_balanced(problem))


def test_fair_share_spreads_the_demo_without_losing_a_higher_level() -> None:
    problem = Problem.from_dict(json.loads(DEMO.read_text()))
    plain = solve(problem, time_limit_s=20, advise=False)
    fair = solve(_balanced(problem), time_limit_s=20, advise=False)
    assert check(_balanced(problem), fair).ok
    assert fair.objective.served_priority == plain.objective.served_priority
    if fair.status == plain.status == "optimal":
        assert fair.objective.continuity == plain.objective.continuity
    assert fair.objective.max_tasks_per_volunteer <= plain.objective.max_tasks_per_volunteer
