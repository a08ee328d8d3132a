"""Candidate generation against a per-pair brute force written from the spec."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from oracle import ALWAYS, credentials_ok, in_range, not_excluded, pair_starts, skills_ok
from strategies import small_problems

from matchcore.params import DEFAULT_PARAMS, CandidateParams, SolveParams
from matchcore.problem import Problem
from matchcore.tasks.arrays import task_arrays
from matchcore.tasks.candidates import Candidates, build_candidates

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _candidates(problem: Problem, params: SolveParams = DEFAULT_PARAMS) -> Candidates:
    return build_candidates(problem, task_arrays(problem, params), params)


def _most_together(starts: list[frozenset[int]]) -> int:
    counts: dict[int, int] = {}
    for own in starts:
        for s in own:
            counts[s] = counts.get(s, 0) + 1
    return max(counts.values(), default=0)


def _expected_funnel(problem: Problem, r: int) -> tuple[int, int, int, int, int, int]:
    req = problem.requests[r]
    vols = problem.volunteers
    skilled = [v for v in vols if skills_ok(v, req)]
    credentialed = [v for v in skilled if credentials_ok(problem, v, req)]
    allowed = [v for v in credentialed if not_excluded(v, req)]
    near = [v for v in allowed if in_range(problem, v, req)]
    starts = [s for v in near if (s := pair_starts(problem, v, req)) is not None]
    if req.window is not None and req.volunteers_needed > 1 and len(starts) >= 2:
        available = _most_together(starts)
    else:
        available = len(starts)
    return len(vols), len(skilled), len(allowed), len(near), available, len(credentialed)


@SETTINGS
@given(small_problems())
def test_funnel_counts_match_brute_force(problem: Problem) -> None:
    cand = _candidates(problem)
    for r in range(len(problem.requests)):
        assert tuple(cand.funnel[r].tolist()) == _expected_funnel(problem, r)


@SETTINGS
@given(small_problems())
def test_pairs_and_start_minutes_match_brute_force(problem: Problem) -> None:
    cand = _candidates(problem)
    got = {}
    for p in range(cand.n_pairs):
        minutes = frozenset(m for lo, hi in cand.starts(p) for m in range(lo, hi + 1))
        got[(int(cand.req[p]), int(cand.vol[p]))] = minutes
    expected = {}
    for r, req in enumerate(problem.requests):
        if cand.funnel[r, 4] < req.volunteers_needed:
            continue  # a team that cannot gather keeps no pairs
        for v, vol in enumerate(problem.volunteers):
            starts = pair_starts(problem, vol, req)
            if starts is not None:
                expected[(r, v)] = frozenset() if starts is ALWAYS else starts
    assert got == expected
    keys = cand.req * max(len(problem.volunteers), 1) + cand.vol
    assert np.all(np.diff(keys) > 0), "pairs are sorted by request, then volunteer"


@SETTINGS
@given(small_problems())
def test_grid_path_equals_dense_path(problem: Problem) -> None:
    dense = _candidates(problem)
    grid = dataclasses.replace(DEFAULT_PARAMS, candidates=CandidateParams(dense_cells=0))
    tree = _candidates(problem, grid)
    names = ("req", "vol", "travel_min", "preferred", "start_ptr", "start_lo", "funnel", "limits")
    for name in names:
        np.testing.assert_array_equal(getattr(tree, name), getattr(dense, name), err_msg=name)
    np.testing.assert_allclose(tree.distance_km, dense.distance_km, rtol=0, atol=1e-9)


def test_empty_problem_has_no_pairs() -> None:
    cand = _candidates(Problem((), ()))
    assert cand.n_pairs == 0
    assert cand.funnel.shape == (0, 6)
