"""Pruned candidate graphs: exact funnels, and pricing proves the full graph's optimum.

Pruning is forced on small problems: every valid pair counts against a budget
of 0 and each request keeps its ``k`` nearest pairs (plus preferred and
pinned ones).
"""

from __future__ import annotations

import dataclasses
import math
import types
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from oracle import solve_oracle
from strategies import small_problems, tiny_problems

from matchcore import Problem, Solution, check, solve
from matchcore.engines.flow import repair, solve_flow
from matchcore.engines.greedy import solve_greedy
from matchcore.params import DEFAULT_PARAMS, CandidateParams, Deadline, PricingParams, SolveParams
from matchcore.synth.generate import generate
from matchcore.tasks import pricing
from matchcore.tasks.arrays import NO_LIMIT_HI, TaskArrays
from matchcore.tasks.assemble import assemble
from matchcore.tasks.candidates import Candidates
from matchcore.tasks.parts import whole_part
from matchcore.tasks.solve import prepare

I64 = NDArray[np.int64]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pruned(k: int, pricing_params: PricingParams | None = None) -> SolveParams:
    """Prune every graph to the ``k`` nearest pairs per request, via the grid path."""
    return dataclasses.replace(
        DEFAULT_PARAMS,
        candidates=CandidateParams(prune_above_pairs=0, keep_nearest=k, dense_cells=0),
        pricing=pricing_params or PricingParams(),
    )


def _grid() -> SolveParams:
    return dataclasses.replace(DEFAULT_PARAMS, candidates=CandidateParams(dense_cells=0))


def _full(problem: Problem) -> Candidates:
    """The unpruned graph through the same (grid) path, so distances are identical."""
    return prepare(problem, _grid())[0]


def _cut(problem: Problem, k: int) -> tuple[Candidates, TaskArrays]:
    return prepare(problem, _pruned(k))


def _untimed(problem: Problem, singles: bool) -> Problem:
    requests = tuple(
        dataclasses.replace(r, window=None, volunteers_needed=1 if singles else r.volunteers_needed)
        for r in problem.requests
    )
    volunteers = tuple(
        dataclasses.replace(v, availability=None, max_minutes=None if singles else v.max_minutes)
        for v in problem.volunteers
    )
    return Problem(volunteers, requests, (), problem.options)


def _flow_solution(problem: Problem) -> tuple[Solution, int]:
    """The unpruned graph as one flow part: the plan and the relaxation's bound."""
    cand, arrays = prepare(problem)
    if cand.n_pairs == 0:
        return assemble(problem, cand, arrays, [], []), 0
    part = whole_part(cand, arrays)
    result = solve_flow([part])[0]
    return assemble(problem, cand, arrays, [part], [result]), result.bound


@SETTINGS
@given(small_problems(), st.integers(1, 3))
def test_pruning_keeps_exact_funnels_and_each_requests_nearest_pairs(
    problem: Problem, k: int
) -> None:
    full = _full(problem)
    cut, _ = _cut(problem, k)
    np.testing.assert_array_equal(cut.funnel, full.funnel)
    np.testing.assert_array_equal(cut.funnel, prepare(problem)[0].funnel)  # dense path
    n_v = max(len(problem.volunteers), 1)
    full_keys = full.req * n_v + full.vol
    cut_keys = cut.req * n_v + cut.vol
    assert np.all(np.diff(cut_keys) > 0), "sorted by request, then volunteer"
    at = np.searchsorted(full_keys, cut_keys)
    np.testing.assert_array_equal(full_keys[at], cut_keys)  # a subset of the full graph
    for name in ("distance_km", "travel_min", "preferred"):
        np.testing.assert_array_equal(
            getattr(cut, name)[np.arange(cut.n_pairs)], getattr(full, name)[at]
        )
    for p, q in enumerate(at.tolist()):
        assert cut.starts(p) == full.starts(q)

    pinned = {
        (problem.request_index[pin.request_id], problem.volunteer_index[vid])
        for pin in problem.assignments
        for vid in pin.volunteer_ids
    }
    for r in range(len(problem.requests)):
        mine = np.flatnonzero(full.req == r)
        order = mine[np.lexsort((full.vol[mine], full.distance_km[mine]))]
        expected = {int(full.vol[p]) for p in order[:k]}
        expected |= {
            int(full.vol[p]) for p in mine if full.preferred[p] or (r, full.vol[p]) in pinned
        }
        assert set(cut.vol[cut.req == r].tolist()) == expected
    if full.n_pairs:
        assert cut.pruned_pairs == full.n_pairs - cut.n_pairs
        np.testing.assert_array_equal(
            cut.pruned,
            np.bincount(full.req, minlength=len(problem.requests))
            - np.bincount(cut.req, minlength=len(problem.requests)),
        )


@SETTINGS
@given(small_problems(), st.integers(1, 2))
def test_priced_flow_reaches_the_unpruned_flow_optimum(problem: Problem, k: int) -> None:
    problem = _untimed(problem, singles=True)
    base, _ = _flow_solution(problem)
    got = solve(problem, time_limit_s=30, params=_pruned(k))
    assert check(problem, got).ok
    assert got.status == "optimal"
    a, b = base.objective, got.objective
    assert (a.served_priority, a.continuity) == (b.served_priority, b.continuity)
    # Distances enter the models in whole metres: a metre per assigned pair.
    assert math.isclose(a.travel_km, b.travel_km, abs_tol=2e-3 * (a.served_requests + 1))
    assert got.bound == b.served_priority


@SETTINGS
@given(small_problems(), st.integers(1, 2))
def test_priced_relaxation_bound_equals_the_unpruned_relaxation(problem: Problem, k: int) -> None:
    problem = _untimed(problem, singles=False)  # teams and minute budgets, relaxed
    base, base_bound = _flow_solution(problem)
    cand, arrays = _cut(problem, k)
    if not cand.is_pruned:
        return
    priced = pricing.solve_pruned(cand, arrays, _pruned(k))
    assert priced.report.proven
    assert sum(res.bound for res in priced.results) == base_bound
    solution = assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
    assert check(problem, solution).ok
    assert solution.bound >= base.objective.served_priority - 1e-9


def _lex_less(a_hi: I64, a_lo: I64, b_hi: I64, b_lo: I64) -> NDArray[np.bool_]:
    return np.asarray((a_hi < b_hi) | ((a_hi == b_hi) & (a_lo < b_lo)), dtype=bool)


def test_potentials_certify_the_flow_on_the_full_graph() -> None:
    problem = generate(40, 200, region="west-flanders", timed=False, seed=11)
    full = _full(problem)
    cand, arrays = _cut(problem, 1)
    priced = pricing.solve_pruned(cand, arrays, _pruned(1))
    assert cand.is_pruned and priced.report.proven and priced.report.lexicographic
    arr = priced.arrays
    final = priced.cand
    net = pricing.PricingNetwork(final, arr, arr.n_r, arr.n_v, float(arr.reach.max()))
    flows = net.solve()
    assert flows is not None
    pot = pricing.settle_potentials(net, flows, DEFAULT_PARAMS.pricing.bf_max_iterations)
    assert pot is not None and pot.lexicographic
    # Every residual arc of the network: reduced cost >= 0 (lexicographically).
    hi = net.p * pot.radix + net.q
    fwd, bwd = flows < net.capacity, flows > 0
    for mask, sign, tail, head in ((fwd, 1, net.tail, net.head), (bwd, -1, net.head, net.tail)):
        rc_hi = sign * hi[mask] + pot.hi[tail[mask]] - pot.hi[head[mask]]
        rc_lo = sign * net.d[mask] + pot.lo[tail[mask]] - pot.lo[head[mask]]
        assert not _lex_less(rc_hi, rc_lo, 0 * rc_hi, 0 * rc_lo).any()
    # Every pair of the full graph (the pruned ones too): reduced cost >= 0, with a
    # volunteer that kept no pair as low as the sink allows.
    n_r = arr.n_r
    v_hi, v_lo = pot.hi[2 + n_r :].copy(), pot.lo[2 + n_r :].copy()
    idle = np.bincount(final.vol, minlength=arr.n_v) == 0
    v_hi[idle], v_lo[idle] = pot.hi[1], pot.lo[1]
    metres = np.rint(full.distance_km * 1000.0).astype(np.int64)
    rc_hi = -full.preferred.astype(np.int64) + pot.hi[2 + full.req] - v_hi[full.vol]
    rc_lo = metres + pot.lo[2 + full.req] - v_lo[full.vol]
    n_v = arr.n_v
    full_keys = full.req * n_v + full.vol
    net_keys = final.req[net.pairs] * n_v + final.vol[net.pairs]
    kept = np.isin(full_keys, final.req * n_v + final.vol)
    used = np.zeros(full.n_pairs, dtype=bool)
    used[np.searchsorted(full_keys, net_keys)] = net.chosen(flows, final.n_pairs)[net.pairs]
    in_net = np.isin(full_keys, net_keys)
    # Pruned pairs, and network pairs without flow, may only cost more. (Kept
    # pairs left out of the network are dominated by a free volunteer's pair.)
    check = (~kept | in_net) & ~used
    assert not _lex_less(rc_hi[check], rc_lo[check], 0 * rc_hi[check], 0 * rc_lo[check]).any()
    assert (~kept).any() and (kept & ~in_net).any(), "the test covers pruned and dominated pairs"


def test_bellman_ford_reports_a_negative_cycle() -> None:
    tail = np.array([0, 1, 2], dtype=np.int64)
    head = np.array([1, 2, 0], dtype=np.int64)
    found = pricing.bellman_ford(3, tail, head, np.array([1, -3, 1]), np.zeros(3, np.int64))
    assert found is None
    found = pricing.bellman_ford(3, tail, head, np.array([1, -2, 1]), np.zeros(3, np.int64))
    assert found is not None
    d_hi, _, _ = found
    assert (d_hi[head] <= d_hi[tail] + np.array([1, -2, 1])).all()


def test_a_pruned_timed_problem_keeps_no_proof_but_a_valid_bound() -> None:
    problem = generate(30, 80, region="west-flanders", seed=5)
    exact = solve(problem, time_limit_s=30)
    got = solve(problem, time_limit_s=30, params=_pruned(1))
    assert check(problem, got).ok
    assert got.status == "feasible"
    assert got.bound >= exact.objective.served_priority - 1e-9


def _exact_problem() -> Problem:
    problem = generate(80, 400, region="west-flanders", timed=False, seed=3)
    return _untimed(problem, singles=True)


def test_out_of_rounds_the_reduced_costs_still_bound_the_full_graph() -> None:
    problem = _exact_problem()
    base, base_bound = _flow_solution(problem)
    got = solve(problem, time_limit_s=30, params=_pruned(1, PricingParams(max_rounds=1)))
    assert check(problem, got).ok
    assert got.status == "feasible"  # pairs still priced out
    assert got.bound >= base.objective.served_priority
    assert got.bound >= base_bound


def test_scalar_potentials_take_over_when_lexicographic_ones_do_not_settle() -> None:
    problem = _exact_problem()
    base, _ = _flow_solution(problem)
    real = pricing.bellman_ford
    calls: list[bool] = []

    def flaky(
        n_nodes: int,
        tail: I64,
        head: I64,
        c_hi: I64,
        c_lo: I64,
        max_iterations: int,
        deadline: Deadline | None = None,
    ) -> tuple[I64, I64, int] | None:
        calls.append(bool(c_lo.any()))
        if c_lo.any():  # lexicographic
            return None
        return real(n_nodes, tail, head, c_hi, c_lo, max_iterations, deadline)

    pricing.bellman_ford = flaky  # type: ignore[assignment]
    try:
        got = solve(problem, time_limit_s=30, params=_pruned(2))
    finally:
        pricing.bellman_ford = real
    assert True in calls and False in calls
    assert check(problem, got).ok
    assert got.objective.served_priority == base.objective.served_priority
    assert got.bound == base.objective.served_priority


class _AfterChecks(Deadline):
    """A deadline that passes after ``checks`` looks at it (no clock: the test
    cuts every phase of pricing at every point it watches the deadline)."""

    def __init__(self, checks: int) -> None:
        super().__init__(math.inf)
        self.left = checks

    def expired(self) -> bool:
        self.left -= 1
        return self.left < 0

    def remaining(self) -> float:
        return 0.0 if self.left <= 0 else math.inf


def _budgets_problem() -> Problem:
    problem = generate(12, 120, region="west-flanders", timed=False, seed=4)
    return _untimed(problem, singles=False)  # teams and minute budgets


@pytest.mark.parametrize("checks", [*range(0, 20, 1), 10_000])
def test_a_deadline_at_any_point_of_pricing_leaves_a_checked_plan_and_a_valid_bound(
    checks: int,
) -> None:
    problem = _budgets_problem()
    _, base_bound = _flow_solution(problem)  # the unpruned relaxation's optimum
    cand, arrays = _cut(problem, 1)
    assert cand.is_pruned
    deadline = _AfterChecks(checks)
    priced = pricing.solve_pruned(cand, arrays, _pruned(1), deadline)
    solution = assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
    assert check(problem, solution).ok
    assert solution.bound >= base_bound  # a bound on the relaxation bounds every plan
    if checks == 0:  # not even one flow fits: the greedy plan, nothing proven
        assert priced.report.rounds == 0 and priced.results[0].engine == "greedy"
        assert priced.results[0].bound == int(priced.parts[0].priority.sum())
    else:
        assert priced.report.rounds >= 1
    if checks == 10_000:  # never cut: as without a deadline
        free = pricing.solve_pruned(cand, arrays, _pruned(1))
        assert priced.results[0].bound == free.results[0].bound
        np.testing.assert_array_equal(priced.results[0].chosen, free.results[0].chosen)


def test_repair_at_its_deadline_releases_partial_teams() -> None:
    problem = _budgets_problem()
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    chosen = np.zeros(part.n_pairs, dtype=bool)
    teams = np.flatnonzero(part.need > 1)
    assert teams.size
    firsts = part.pair_ptr[teams][np.diff(part.pair_ptr)[teams] > 0]
    chosen[firsts] = True  # every team staffed by one volunteer only
    assert not repair(part, chosen, Deadline.after(0.0))
    staffed = np.bincount(part.p_req[chosen], minlength=part.n_requests)
    assert not ((staffed > 0) & (staffed < part.need)).any()
    assert not chosen.any()  # nothing was tried: every partial team let go


@SETTINGS
@given(small_problems(), st.integers(1, 2))
def test_one_round_bound_holds_with_teams_and_budgets(problem: Problem, k: int) -> None:
    problem = _untimed(problem, singles=False)
    _, base_bound = _flow_solution(problem)
    cand, arrays = _cut(problem, k)
    if not cand.is_pruned:
        return
    priced = pricing.solve_pruned(cand, arrays, _pruned(k, PricingParams(max_rounds=1)))
    assert sum(res.bound for res in priced.results) >= base_bound


def _first_arcs(cand: Candidates, arrays: TaskArrays) -> int:
    """Arcs of the first round's pricing network (its undominated pairs)."""
    return pricing._arcs(pricing._undominated(cand, arrays, arrays.n_r), arrays)


class _Left(Deadline):
    """A deadline that always has ``seconds`` left (no clock: it picks the costs)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(math.inf)
        self.seconds = seconds

    def expired(self) -> bool:
        return False

    def remaining(self) -> float:
        return self.seconds


@pytest.mark.parametrize(
    # a round in metres is estimated at 1 s and fits with the 1.3 margin from 1.3 s left
    ("left", "mode"),
    [(2.0, "metres"), (1.1, "km"), (1.0, "km"), (0.4, "priority"), (0.3, None), (0.1, None)],
)
@pytest.mark.parametrize("seed", [4, 7])
def test_coarse_costs_prove_the_same_relaxation_bound(
    left: float, mode: str | None, seed: int
) -> None:
    problem = _untimed(generate(12, 120, region="west-flanders", timed=False, seed=seed), False)
    _, base_bound = _flow_solution(problem)
    cand, arrays = _cut(problem, 1)
    assert cand.is_pruned
    # A round in metres is estimated at 1 s; ``left`` picks the costs that fit with
    # ``round_margin`` (1.3) to spare: 1.1 s is enough for a round in metres, not with it.
    arcs = _first_arcs(cand, arrays)
    per_arc = 1.0 / arcs
    factors = (0.7, 0.25)
    params = _pruned(
        1,
        PricingParams(flow_seconds_per_arc=per_arc, max_rounds=20, coarse_flow_factors=factors),
    )
    assert pricing._flow_mode(arcs, params.pricing, _Left(left)) == mode
    priced = pricing.solve_pruned(cand, arrays, params, _Left(left))
    solution = assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
    assert check(problem, solution).ok
    if mode is None:  # no round fits: the greedy plan and the trivial bound
        assert priced.results[0].engine == "greedy" and solution.bound >= base_bound
        return
    assert priced.report.proven
    assert priced.report.lexicographic == (mode == "metres")
    assert priced.results[0].bound == base_bound


@pytest.mark.parametrize("seed", [2, 5])
def test_the_first_rounds_estimate_counts_the_networks_pairs_not_the_candidates(
    seed: int,
) -> None:
    # Free volunteers (no task or minute limit) make most pairs dominated: the network
    # keeps a request's best free pair and its better limited ones. A round estimated
    # on the candidates would not fit here and the greedy plan would be returned (the
    # L single-ample family: 9.4M candidates, 0.33M kept); on the kept pairs it fits.
    problem = _untimed(generate(300, 200, region="west-flanders", timed=False, seed=seed), True)
    volunteers = tuple(dataclasses.replace(v, max_tasks=None) for v in problem.volunteers)
    problem = dataclasses.replace(problem, volunteers=volunteers)
    _, base_bound = _flow_solution(problem)
    cand, arrays = _cut(problem, 50)
    arcs = _first_arcs(cand, arrays)
    all_arcs = cand.n_pairs + arrays.n_r + arrays.n_v
    assert arcs < all_arcs / 4
    # a round on the kept pairs is estimated at 1 s: 2 s left fits it with the margin,
    # the same round estimated on every candidate does not fit even in priority alone
    params = _pruned(50, PricingParams(flow_seconds_per_arc=1.0 / arcs, max_rounds=20))
    left = _Left(2.0)
    assert (
        left.remaining()
        < params.pricing.round_margin * min(params.pricing.coarse_flow_factors) * all_arcs / arcs
    )
    assert pricing._flow_mode(arcs, params.pricing, left) == "metres"
    priced = pricing.solve_pruned(cand, arrays, params, left)
    assert priced.results[0].engine != "greedy"
    assert priced.report.proven and priced.results[0].bound == base_bound
    solution = assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
    assert check(problem, solution).ok


def test_no_sort_of_the_pairs_when_not_even_an_empty_network_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The sort of the first round's pairs cannot stop: with too little time for any
    # flow it is not started, and the greedy plan is what comes back.
    problem = _untimed(generate(12, 120, region="west-flanders", timed=False, seed=4), False)
    cand, arrays = _cut(problem, 1)
    empty = arrays.n_r + arrays.n_v  # arcs of a network with no pairs
    params = _pruned(1, PricingParams(flow_seconds_per_arc=1.0 / empty))
    sorted_pairs: list[int] = []
    undominated = pricing._undominated

    def spy(*args: Any, **kwargs: Any) -> Any:
        sorted_pairs.append(1)
        return undominated(*args, **kwargs)

    monkeypatch.setattr(pricing, "_undominated", spy)
    left = _Left(0.5 * min(params.pricing.coarse_flow_factors))  # below any mode's margin
    priced = pricing.solve_pruned(cand, arrays, params, left)
    assert priced.results[0].engine == "greedy" and not sorted_pairs
    assert check(
        problem, assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
    ).ok
    # With the time for a flow the same sort runs (the spy sees the calls).
    pricing.solve_pruned(cand, arrays, params, _Left(1e6))
    assert sorted_pairs


class _Then(_Left):
    """``first`` seconds left at the first look, ``then`` at every later one."""

    def __init__(self, first: float, then: float) -> None:
        super().__init__(first)
        self.then = then

    def remaining(self) -> float:
        seconds, self.seconds = self.seconds, self.then
        return seconds


@pytest.mark.parametrize("seed", [4, 7, 9])
def test_time_left_after_a_coarse_bound_buys_a_plan_from_finer_costs(seed: int) -> None:
    problem = _untimed(generate(12, 120, region="west-flanders", timed=False, seed=seed), False)
    _, base_bound = _flow_solution(problem)
    cand, arrays = _cut(problem, 1)
    per_arc = 1.0 / _first_arcs(cand, arrays)
    params = _pruned(1, PricingParams(flow_seconds_per_arc=per_arc, max_rounds=20))
    coarse = pricing.solve_pruned(
        cand, arrays, params, _Then(0.4, 0.0)
    )  # priority alone (0.3 s, 0.39 with the margin)
    finer = pricing.solve_pruned(cand, arrays, params, _Then(0.4, 10.0))  # then metres
    assert coarse.results[0].bound >= finer.results[0].bound == base_bound
    keys = []
    for priced in (coarse, finer):
        solution = assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
        assert check(problem, solution).ok
        o = solution.objective
        keys.append((o.served_priority, o.continuity, -round(o.travel_km, 3)))
    assert keys[1] >= keys[0]  # the better of the two plans is kept
    assert keys[1] > keys[0]  # on these instances the finer plan wins (travel at least)
    # Neither plan is worse than the greedy plan on the same graph.
    for priced in (coarse, finer):
        part = priced.parts[0]
        greedy = solve_greedy(part, params).chosen
        assert pricing._plan_key(part, priced.results[0].chosen) >= pricing._plan_key(part, greedy)


def test_the_finer_plan_is_the_finest_whose_scaled_estimate_fits() -> None:
    pp = PricingParams(coarse_flow_factors=(0.7, 0.3), round_margin=1.3)
    # 3 s at priority alone: about 10 s in metres, 7 s in km.
    assert pricing._finer_mode(pp, "priority", 3.0, 100.0) == ("metres", pytest.approx(10.0))
    assert pricing._finer_mode(pp, "priority", 3.0, 12.0) == ("km", pytest.approx(7.0))
    assert pricing._finer_mode(pp, "priority", 3.0, 9.0) is None
    assert pricing._finer_mode(pp, "km", 7.0, 12.9) is None  # metres: 10 s, 13 s with margin
    assert pricing._finer_mode(pp, "km", 7.0, 13.1) == ("metres", pytest.approx(10.0))
    assert pricing._finer_mode(pp, "metres", 1.0, 1e9) is None  # nothing finer


def test_greedy_tries_the_requests_given_first_first_within_their_priority() -> None:
    problem = _budgets_problem()
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    plain = solve_greedy(part).chosen
    everyone = solve_greedy(part, first=np.ones(part.n_requests, dtype=bool)).chosen
    np.testing.assert_array_equal(plain, everyone)  # a key shared by all changes nothing
    served = np.bincount(part.p_req[plain], minlength=part.n_requests) >= part.need
    could = ~served & (part.need == 1) & (np.diff(part.pair_ptr) > 0)
    assert could.any(), "the instance is scarce: requests stay out"
    # The most urgent requests left out: tried first among their priority, they get in.
    left_out = np.flatnonzero(could & (part.priority == part.priority[could].max()))
    for r in left_out[:3].tolist():
        first = np.zeros(part.n_requests, dtype=bool)
        first[r] = True
        chosen = solve_greedy(part, first=first).chosen
        assert chosen[part.pair_ptr[r] : part.pair_ptr[r + 1]].sum() == 1  # tried first: served


# -- the budget level of the flow of priority alone (PricingParams.budget_minutes) ----------


def _priority_mode(
    problem: Problem, k: int, budget_minutes: bool, rounds: int = 20
) -> pricing.Priced:
    """``solve_pruned`` forced onto priority alone (a round in metres is estimated at
    1 s, 0.4 s are left: see ``test_coarse_costs_prove_the_same_relaxation_bound``)."""
    cand, arrays = _cut(problem, k)
    per_arc = 1.0 / _first_arcs(cand, arrays)
    pp = PricingParams(
        flow_seconds_per_arc=per_arc, max_rounds=rounds, budget_minutes=budget_minutes
    )
    return pricing.solve_pruned(cand, arrays, _pruned(k, pp), _Left(0.4))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(), st.integers(1, 2), st.integers(1, 2))
def test_the_budget_level_keeps_every_bound_valid(problem: Problem, k: int, rounds: int) -> None:
    """Against the brute-force optimum, with one round (bound from reduced costs) or more."""
    problem = _untimed(problem, singles=False)  # teams and minute budgets
    assume(not problem.assignments)
    oracle = solve_oracle(problem)
    assert oracle is not None
    priced = _priority_mode(problem, k, True, rounds)
    solution = assemble(problem, priced.cand, priced.arrays, priced.parts, priced.results)
    assert check(problem, solution).ok
    assert solution.bound >= oracle.objective.served_priority - 1e-9
    assert solution.objective.served_priority <= oracle.objective.served_priority + 1e-9


@SETTINGS
@given(small_problems(), st.integers(1, 2))
def test_the_budget_level_proves_the_same_relaxation_bound(problem: Problem, k: int) -> None:
    problem = _untimed(problem, singles=False)
    _, base_bound = _flow_solution(problem)
    cand, _ = _cut(problem, k)
    if not cand.is_pruned:
        return
    aware, blind = (_priority_mode(problem, k, on) for on in (True, False))
    assert aware.report.proven and blind.report.proven
    assert aware.results[0].bound == blind.results[0].bound == base_bound
    part = aware.parts[0]  # never below the plain greedy plan, which stays the floor
    greedy = solve_greedy(part, DEFAULT_PARAMS).chosen
    assert pricing._plan_key(part, aware.results[0].chosen) >= pricing._plan_key(part, greedy)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_budget_level_spares_budgets_at_the_same_priority(seed: int) -> None:
    problem = generate(
        40, 160, region="west-flanders", timed=False, seed=seed, multi_volunteer_share=0.03,
        task_limit_share=1.0, minute_limit_share=0.3,
    )  # fmt: skip
    cand, arrays = _cut(problem, 3)
    headroom = PricingParams().cost_headroom
    aware, a_flows = pricing._solved_network(cand, arrays, headroom, "priority", True)
    blind, b_flows = pricing._solved_network(cand, arrays, headroom, "priority", False)
    assert aware.budget_minutes and not blind.budget_minutes
    assert aware.relaxed_units(a_flows) == blind.relaxed_units(b_flows)
    # The blind flow is one of the priority optima: priced with the budget level's
    # own arc costs it takes at least as many budget minutes as the aware one.
    arcs = slice(aware.first_pair, aware.first_pair + aware.n_pairs)
    np.testing.assert_array_equal(aware.pairs, blind.pairs)
    aware_min = int((aware.cost[arcs] * a_flows[arcs]).sum())
    blind_min = int((aware.cost[arcs] * b_flows[arcs]).sum())
    assert aware_min <= blind_min
    # Each budgeted pair costs its load capped at the budget; others nothing.
    budgeted = arrays.max_minutes[cand.vol[aware.pairs]] < NO_LIMIT_HI
    load = arrays.duration[cand.req[aware.pairs]] + 2 * cand.travel_min[aware.pairs]
    expected = np.where(budgeted, np.minimum(load, arrays.max_minutes[cand.vol[aware.pairs]]), 0)
    np.testing.assert_array_equal(aware.cost[arcs], expected)


def test_the_budget_level_repairs_less_on_a_capped_batch() -> None:
    """Measured, not a theorem: on these budgets-capped instances the budget-aware flow's
    repaired plan serves more priority than the blind one's (the reason for the level)."""
    gains = []
    for seed in (1, 2, 3):
        problem = generate(
            40, 160, region="west-flanders", timed=False, seed=seed,
            multi_volunteer_share=0.03, task_limit_share=1.0, minute_limit_share=0.3,
        )  # fmt: skip
        cand, arrays = _cut(problem, 20)
        part = whole_part(cand, arrays)
        keys = []
        for on in (True, False):
            net, flows = pricing._solved_network(
                cand, arrays, PricingParams().cost_headroom, "priority", on
            )
            chosen = net.chosen(flows, cand.n_pairs)
            repair(part, chosen)
            keys.append(pricing._plan_key(part, chosen)[0])
        gains.append(keys[0] - keys[1])
    assert sum(gains) > 0


# -- the budget-weighted plan flow (PricingParams.budget_weight) ---------------------------


def _capped(seed: int) -> Problem:
    return generate(
        40, 160, region="west-flanders", timed=False, seed=seed, multi_volunteer_share=0.03,
        task_limit_share=1.0, minute_limit_share=0.3,
    )  # fmt: skip


def _weighted(
    problem: Problem, k: int, weight: int, factor: float = 2.0, rounds: int = 20, nearest: int = 0
) -> pricing.Priced:
    """``solve_pruned`` on priority alone (as ``_priority_mode``) with the budget-weighted
    plan flow at ``weight`` (0: none) on each request's ``nearest`` pairs (0: all),
    estimated at ``factor`` times the priority flow."""
    cand, arrays = _cut(problem, k)
    per_arc = 1.0 / _first_arcs(cand, arrays)
    pp = PricingParams(
        flow_seconds_per_arc=per_arc, max_rounds=rounds, budget_weight=weight,
        budget_flow_factor=factor, budget_nearest=nearest,
    )  # fmt: skip
    return pricing.solve_pruned(cand, arrays, _pruned(k, pp), _Left(0.4))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tiny_problems(), st.integers(1, 2), st.integers(1, 2), st.sampled_from([1, 1_000]),
    st.sampled_from([0, 1]),
)  # fmt: skip
def test_the_budget_weighted_plan_keeps_the_bound_and_never_loses(
    problem: Problem, k: int, rounds: int, weight: int, nearest: int
) -> None:
    """Against the brute-force optimum; a weight of 1 minute per priority unit lets the
    flow give up priority for minutes, so its plan is often not kept."""
    problem = _untimed(problem, singles=False)  # teams and minute budgets
    assume(not problem.assignments)
    oracle = solve_oracle(problem)
    assert oracle is not None
    on = _weighted(problem, k, weight, rounds=rounds, nearest=nearest)
    off = _weighted(problem, k, 0, rounds=rounds)
    solution = assemble(problem, on.cand, on.arrays, on.parts, on.results)
    assert check(problem, solution).ok
    assert on.results[0].bound == off.results[0].bound  # the plan flow is never priced
    assert solution.bound >= oracle.objective.served_priority - 1e-9
    assert solution.objective.served_priority <= oracle.objective.served_priority + 1e-9
    part = on.parts[0]
    key = pricing._plan_key(part, on.results[0].chosen)
    assert key >= pricing._plan_key(off.parts[0], off.results[0].chosen)  # a candidate more
    assert key >= pricing._plan_key(part, solve_greedy(part, DEFAULT_PARAMS).chosen)


def test_the_budget_weighted_plan_runs_only_when_its_estimate_fits() -> None:
    """Skipped (its estimate a trillion priority flows): the plan of no such flow. Run
    (measured, not a theorem): on these capped instances it serves more priority."""
    gains = []
    for seed in (1, 2, 3):
        problem = _capped(seed)
        off, skipped, run = (
            _weighted(problem, 3, w, f) for w, f in ((0, 2.0), (1_000, 1e12), (1_000, 2.0))
        )
        np.testing.assert_array_equal(skipped.results[0].chosen, off.results[0].chosen)
        assert run.results[0].bound == skipped.results[0].bound == off.results[0].bound
        served = [pricing._plan_key(p.parts[0], p.results[0].chosen)[0] for p in (run, off)]
        gains.append(served[0] - served[1])
    assert min(gains) >= 0 and sum(gains) > 0


def test_the_budget_weighted_network_prices_minutes_at_the_weight() -> None:
    cand, arrays = _cut(_capped(1), 3)
    headroom = PricingParams().cost_headroom
    net, _ = pricing._solved_network(cand, arrays, headroom, "priority", budget_weight=700)
    assert net.budget_minutes and net.w.w_prio == 700
    requests = slice(1, net.first_pair)
    np.testing.assert_array_equal(net.cost[requests], -700 * net.units[requests])
    arcs = slice(net.first_pair, net.first_pair + net.n_pairs)
    vol = cand.vol[net.pairs]
    budgeted = arrays.max_minutes[vol] < NO_LIMIT_HI
    load = arrays.duration[cand.req[net.pairs]] + 2 * cand.travel_min[net.pairs]
    expected = np.where(budgeted, np.minimum(load, arrays.max_minutes[vol]), 0)
    np.testing.assert_array_equal(net.cost[arcs], expected)


def test_plan_flows_keep_back_their_time_in_the_order_they_run() -> None:
    # Priority flow 1 s: budget-weighted 2 s (2.6 with the margin), whole km 2.8 s
    # (3.64), metres 4 s (5.2).
    pp = PricingParams(coarse_flow_factors=(0.7, 0.25), budget_weight=1_000, budget_flow_factor=2.0)
    assert pricing._plan_flows_time(pp, "priority", 1.0, 100.0) == pytest.approx(2.6 + 5.2)
    assert pricing._plan_flows_time(pp, "priority", 1.0, 7.0) == pytest.approx(2.6 + 3.64)
    assert pricing._plan_flows_time(pp, "priority", 1.0, 3.0) == pytest.approx(2.6)
    assert pricing._plan_flows_time(pp, "priority", 1.0, 2.5) == 0.0  # none fits
    assert pricing._plan_flows_time(pp, "km", 2.8, 100.0) == pytest.approx(5.2)  # no budget one
    off = dataclasses.replace(pp, budget_weight=0)
    assert pricing._plan_flows_time(off, "priority", 1.0, 100.0) == pytest.approx(5.2)
    level = dataclasses.replace(pp, budget_minutes=True)  # the flow is budget-aware already
    assert pricing._plan_flows_time(level, "priority", 1.0, 3.0) == 0.0


def test_the_plan_flow_keeps_each_requests_nearest_pairs() -> None:
    cand, arrays = _cut(_capped(1), 5)
    headroom = PricingParams().cost_headroom
    full, _ = pricing._solved_network(cand, arrays, headroom, "priority", budget_weight=1_000)
    near, _ = pricing._solved_network(
        cand, arrays, headroom, "priority", budget_weight=1_000, nearest=2
    )
    assert np.isin(near.pairs, full.pairs).all() and near.n_pairs < full.n_pairs
    for r in range(arrays.n_r):
        mine = full.pairs[cand.req[full.pairs] == r]
        kept = near.pairs[cand.req[near.pairs] == r]
        k = min(mine.size, max(2, int(arrays.need[r])))
        np.testing.assert_array_equal(
            np.sort(cand.distance_km[kept]), np.sort(cand.distance_km[mine])[:k]
        )


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.integers(0, 4)), max_size=60),
       st.integers(0, 4))  # fmt: skip
def test_nearest_pairs_break_distance_ties_by_volunteer(
    rows: list[tuple[int, int, int]], k: int
) -> None:
    """Against the plain lexsort on (request, distance, volunteer), with many ties."""
    unique = sorted({(r, v): d for r, v, d in rows}.items())
    req = np.array([rv[0] for rv, _ in unique], dtype=np.int64)
    vol = np.array([rv[1] for rv, _ in unique], dtype=np.int64)
    dist = np.array([d / 2 for _, d in unique], dtype=np.float64)
    need = np.array([1, 2, 1, 3, 1, 1], dtype=np.int64)
    cand = types.SimpleNamespace(req=req, vol=vol, distance_km=dist)
    arrays = types.SimpleNamespace(need=need)
    pairs = np.arange(req.size, dtype=np.int64)
    got = pricing._nearest(cand, arrays, pairs, k)  # type: ignore[arg-type]
    order = np.lexsort((vol, dist, req))
    rank = pricing._rank_in_runs(req[order])
    want = np.sort(order[rank < np.maximum(k, need[req[order]])])
    np.testing.assert_array_equal(got, want)


def _undominated_by_lexsort(cand: Candidates, arrays: TaskArrays) -> I64:
    """The undominated pairs as first written (a four-key lexsort): the reference."""
    free = (arrays.max_tasks >= arrays.n_r) & (arrays.max_minutes >= NO_LIMIT_HI)
    metres = arrays.trip_metres(cand.req, cand.distance_km)
    notpref = (~cand.preferred).astype(np.int64)
    u = np.flatnonzero(free[cand.vol])
    u = u[np.lexsort((cand.vol[u], metres[u], notpref[u], cand.req[u]))]
    rank = pricing._rank_in_runs(cand.req[u])
    last = u[rank == arrays.need[cand.req[u]] - 1]
    has = np.zeros(arrays.n_r, dtype=bool)
    t_pref = np.zeros(arrays.n_r, dtype=np.int64)
    t_metres = np.zeros(arrays.n_r, dtype=np.int64)
    has[cand.req[last]] = True
    t_pref[cand.req[last]] = notpref[last]
    t_metres[cand.req[last]] = metres[last]
    other = np.flatnonzero(~free[cand.vol])
    r = cand.req[other]
    worse = (notpref[other] > t_pref[r]) | (
        (notpref[other] == t_pref[r]) & (metres[other] >= t_metres[r])
    )
    keep = u[rank < arrays.need[cand.req[u]]]
    return np.sort(np.concatenate((keep, other[~(has[r] & worse)])))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_undominated_pairs_match_the_lexsort_reference(seed: int) -> None:
    problem = generate(
        60, 400, region="west-flanders", timed=False, seed=seed, multi_volunteer_share=0.1,
        task_limit_share=0.3, minute_limit_share=0.3,
    )  # fmt: skip
    cand, arrays = prepare(problem, _grid())
    got = pricing._undominated(cand, arrays, arrays.n_r)
    assert 0 < got.size < cand.n_pairs  # some pairs are dominated, some not
    np.testing.assert_array_equal(got, _undominated_by_lexsort(cand, arrays))
