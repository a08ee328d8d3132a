"""Team roles on the paths the tiny cases do not reach: LNS, pruned graphs, the flow.

Every plan is verified by the independent checker, which reads each member's
role from the solution; nothing here trusts the engines' own account.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from matchcore import check, solve
from matchcore.engines.base import FlowEngine
from matchcore.params import CandidateParams, LnsParams, ScheduleParams, SolveParams
from matchcore.problem import Problem, Role
from matchcore.synth.generate import generate
from matchcore.tasks.parts import whole_part
from matchcore.tasks.solve import prepare


def with_roles(problem: Problem, every: int = 4, two: bool = True) -> Problem:
    """Every ``every``-th request becomes a team: its own skills as one role and,
    with ``two``, a driver as a second role."""
    out = []
    for i, req in enumerate(problem.requests):
        if i % every == 0:
            roles = [Role(req.skills, count=1)]
            if two:
                roles.append(Role(frozenset({"driving"}), count=1))
            req = replace(req, skills=frozenset(), roles=tuple(roles), volunteers_needed=len(roles))
        out.append(req)
    return replace(problem, requests=tuple(out))


def assert_roles_hold(problem: Problem, params: SolveParams, engine: str) -> None:
    solution = solve(problem, time_limit_s=8, params=params, advise=False)
    assert solution.stats is not None and engine in solution.stats.engines
    report = check(problem, solution)
    assert report.ok, report.violations[:5]
    teams = [
        a
        for a in solution.assignments
        if problem.requests[problem.request_index[a.request_id]].roles
    ]
    assert teams, "some team of roles is served (else the test proves nothing)"
    for a in teams:
        assert sorted(v.role for v in a.volunteers if v.role is not None) == [0, 1]


def test_lns_keeps_the_roles_of_every_team() -> None:
    problem = with_roles(generate(120, 60, region="west-flanders", seed=3))
    params = SolveParams(
        lns=LnsParams(from_timed_pairs=1, from_pairs=1),
        schedule=ScheduleParams(hint_from_pairs=1),
    )
    assert_roles_hold(problem, params, "lns")


def test_a_pruned_graph_with_roles_gives_a_checked_plan() -> None:
    problem = with_roles(generate(200, 80, region="west-flanders", timed=False, seed=5))
    params = SolveParams(candidates=CandidateParams(prune_above_pairs=500, keep_nearest=4))
    cand, _ = prepare(problem, params)
    assert cand.is_pruned
    assert_roles_hold(problem, params, "cp-sat")  # not priced: parts with roles go to CP-SAT


@pytest.mark.parametrize(("two", "flow"), [(False, True), (True, False)])
def test_the_flow_takes_single_roles_and_not_several(two: bool, flow: bool) -> None:
    plain = generate(40, 20, region="west-flanders", timed=False, seed=2)
    plain = replace(plain, requests=tuple(replace(r, volunteers_needed=1) for r in plain.requests))
    problem = with_roles(plain, every=3, two=two)
    cand, arrays = prepare(problem)
    assert FlowEngine().applies(whole_part(cand, arrays)) is flow
