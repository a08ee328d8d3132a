"""Column generation (``engines.colgen``): the pricing programme, the bound, the plans.

Oracles: each window's best real column by enumeration of every subset and
order of its slots; each part's optimum by the exact CP-SAT model (proven
optimal) and, on the tiniest, by the brute-force oracle (``tests/oracle.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np
import pytest
from oracle import solve_oracle

from matchcore import check, solve
from matchcore.engines import colgen
from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.lns import solve_lns
from matchcore.engines.objective import plan_key
from matchcore.params import DEFAULT_PARAMS, ColGenParams, Deadline, SolveParams
from matchcore.problem import Problem
from matchcore.tasks.assemble import assemble
from matchcore.tasks.parts import Part, whole_part
from matchcore.tasks.solve import prepare

EVERYWHERE = dataclasses.replace(
    DEFAULT_PARAMS, colgen=ColGenParams(from_timed_pairs=0, lp_round_s=2.0)
)


def _part(problem: Problem) -> Part:
    cand, arrays = prepare(problem)
    return whole_part(cand, arrays)


def _dense(volunteers: int, requests: int, seed: int, teams: float = 0.1) -> Problem:
    """One busy day in one town: every volunteer near every request, so windows
    hold many slots (the generator's networks are too sparse at this size)."""
    rng = np.random.default_rng(seed)
    day = "2026-03-02T{:02d}:{:02d}:00+01:00"

    def at(minute: int) -> str:
        return day.format(minute // 60, minute % 60)

    vols = []
    for v in range(volunteers):
        start = int(rng.integers(8, 13)) * 60
        length = int(rng.integers(2, 6)) * 60
        extra = {}
        if rng.random() < 0.4:
            extra["max_tasks"] = int(rng.integers(1, 4))
        if rng.random() < 0.3:
            extra["max_minutes"] = int(rng.integers(2, 5)) * 60
        vols.append(
            {
                "id": f"v{v}",
                "location": {"lat": 50.85 + rng.uniform(-0.02, 0.02), "lon": 2.88},
                "skills": ["driving"],
                "availability": [{"start": at(start), "end": at(start + length)}],
                **extra,
            }
        )
    reqs = []
    for r in range(requests):
        duration = int(rng.integers(2, 7)) * 15
        start = int(rng.integers(8 * 4, 15 * 4)) * 15
        width = duration + int(rng.integers(0, 9)) * 15
        reqs.append(
            {
                "id": f"r{r}",
                "location": {"lat": 50.85 + rng.uniform(-0.02, 0.02), "lon": 2.88},
                "skills": ["driving"],
                "duration_minutes": duration,
                "priority": int(rng.integers(1, 4)),
                "volunteers_needed": 2 if rng.random() < teams else 1,
                "window": {"start": at(start), "end": at(start + width)},
            }
        )
    return Problem.from_dict({"volunteers": vols, "requests": reqs})


def _real_schedule(slots: colgen.Slots, order: tuple[int, ...]) -> bool:
    """Whether the slots, in this order, fit one after another (earliest starts)."""
    free = -(2**62)
    for k in order:
        b = max(int(slots.block_lo[k]), free)
        if b > int(slots.block_hi[k]):
            return False
        free = b + int(slots.length[k])
    return True


def _best_real_column(slots: colgen.Slots, members: list[int], value: np.ndarray) -> float:
    """The best real column of a window, by enumeration (distinct requests, any order)."""
    best = 0.0
    for size in range(1, min(len(members), 4) + 1):
        for subset in itertools.combinations(members, size):
            if len({int(slots.req[k]) for k in subset}) < size:
                continue
            total = float(value[list(subset)].sum())
            if total <= best:
                continue
            if any(_real_schedule(slots, order) for order in itertools.permutations(subset)):
                best = total
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("grid", [1, 5, 30])
def test_pricing_is_at_least_every_real_column(seed: int, grid: int) -> None:
    part = _part(_dense(6, 14, seed))
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(seed)
    value = rng.normal(1.0, 2.0, size=slots.n_slots)
    best = colgen.Pricer(slots, grid).best(value)
    checked = 0
    for w in range(slots.n_windows):
        members = np.flatnonzero(slots.window == w).tolist()
        if len(members) > 12:
            continue
        real = _best_real_column(slots, members, value)
        assert best[w] >= real - 1e-9
        checked += 1
    assert checked >= 5


def test_columns_read_off_the_programme_are_real_schedules() -> None:
    part = _part(_dense(6, 14, 3))
    slots = colgen.slots_of(part)
    value = np.random.default_rng(3).uniform(-1.0, 3.0, size=slots.n_slots)
    pricer = colgen.Pricer(slots, 5)
    best = pricer.best(value)
    windows = np.flatnonzero(best > 0)
    col, item = pricer.columns(windows, np.full(windows.size, -1, dtype=np.int64))
    assert col.size
    keep, starts = colgen.exact_columns(slots, col, item)
    assert keep.any()
    for c in np.unique(col[keep]).tolist():
        kept = item[keep & (col == c)].tolist()
        assert len({int(slots.req[k]) for k in kept}) == len(kept)
        assert all(slots.window[k] == windows[c] for k in kept)
        assert _real_schedule(slots, tuple(kept))
        for k, s in zip(kept, starts[keep & (col == c)].tolist(), strict=True):
            assert slots.block_lo[k] <= s - slots.travel[k] <= slots.block_hi[k]


@pytest.mark.parametrize("grid", [1, 5, 30])
def test_each_window_s_best_is_the_value_of_the_schedule_read_off(grid: int) -> None:
    """The schedule read off the programme, before re-timing, is worth exactly the
    programme's best (the path tables follow b1 and b2 as the values do), and
    never holds a slot twice in a row."""
    part = _part(_dense(8, 24, 5))
    slots = colgen.slots_of(part)
    value = np.random.default_rng(5).uniform(-1.0, 3.0, size=slots.n_slots)
    pricer = colgen.Pricer(slots, grid)
    best = pricer.best(value)
    windows = np.arange(slots.n_windows)
    col, item = pricer.columns(windows, np.full(windows.size, -1, dtype=np.int64))
    path = np.bincount(col, weights=value[item], minlength=windows.size)
    np.testing.assert_allclose(path, best, rtol=1e-9, atol=1e-9)
    same = (col[1:] == col[:-1]) & (item[1:] == item[:-1])
    assert not same.any()
    firsts = np.flatnonzero(value > 0)
    first = pricer.first_values(value)[firsts]
    col, item = pricer.columns(slots.window[firsts], firsts)
    path = np.bincount(col, weights=value[item], minlength=firsts.size)
    np.testing.assert_allclose(path, first, rtol=1e-9, atol=1e-9)
    assert (first <= best[slots.window[firsts]] + 1e-9).all()


def test_a_wide_slot_is_not_priced_twice() -> None:
    """One request whose window is far wider than its block: a grid schedule could
    take it again and again; the programme counts it once."""
    day = "2026-03-02T{:02d}:00:00+01:00"
    problem = Problem.from_dict(
        {
            "volunteers": [
                {
                    "id": "v",
                    "location": {"lat": 50.85, "lon": 2.88},
                    "availability": [{"start": day.format(8), "end": day.format(18)}],
                }
            ],
            "requests": [
                {
                    "id": "r",
                    "location": {"lat": 50.85, "lon": 2.88},
                    "duration_minutes": 60,
                    "priority": 3,
                    "window": {"start": day.format(8), "end": day.format(18)},
                }
            ],
        }
    )
    part = _part(problem)
    slots = colgen.slots_of(part)
    assert slots.n_slots == 1
    for grid in (1, 5, 60):
        best = colgen.Pricer(slots, grid).best(np.array([2.5]))
        assert best.tolist() == [2.5]


def _optimum(part: Part) -> int:
    settings = CpSatSettings(Deadline.after(60), 8, 0, DEFAULT_PARAMS)
    result = solve_cpsat(part, settings)
    assert result.optimal, "the oracle must prove its optimum"
    return plan_key(part, result.chosen)[0]


def _random_multipliers(part: Part, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    pi = rng.uniform(-1.0, 1.5, size=part.n_requests) * part.priority
    mu = rng.uniform(0.0, 2.0, size=part.n_volunteers) * (rng.random(part.n_volunteers) < 0.5)
    nu = rng.uniform(0.0, 0.01, size=part.n_volunteers) * (rng.random(part.n_volunteers) < 0.5)
    return pi, mu, nu


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_bound_holds_for_any_multipliers(seed: int) -> None:
    part = _part(_dense(6, 16, seed, teams=0.2))
    best_plan = _optimum(part)
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(seed)
    for grid in (1, 5):
        pricer = colgen.Pricer(slots, grid)
        for _ in range(30):
            pi, mu, nu = _random_multipliers(part, rng)
            best = pricer.best(colgen.slot_values(part, slots, pi, mu, nu))
            assert colgen.lagrangian_bound(part, best, pi, mu, nu) >= best_plan


def test_the_bound_holds_against_the_brute_force_oracle() -> None:
    checked = 0
    for seed in range(12):
        problem = _dense(3, 6, seed, teams=0.3)
        oracle = solve_oracle(problem)
        assert oracle is not None
        cand, arrays = prepare(problem)
        part = whole_part(cand, arrays)
        if part.n_pairs == 0:
            continue
        best_plan = round(oracle.objective.served_priority * arrays.scale)
        slots = colgen.slots_of(part)
        rng = np.random.default_rng(seed)
        pricer = colgen.Pricer(slots, 5)
        for _ in range(20):
            pi, mu, nu = _random_multipliers(part, rng)
            best = pricer.best(colgen.slot_values(part, slots, pi, mu, nu))
            assert colgen.lagrangian_bound(part, best, pi, mu, nu) >= best_plan
        checked += 1
    assert checked >= 8


def test_master_duals_price_the_pool_to_the_lp_value() -> None:
    """At the exact master's duals, the bound over the pool's own columns is the
    LP value (strong duality): the duals are read with the right signs."""
    part = _part(_dense(10, 30, 4, teams=0.2))
    slots = colgen.slots_of(part)
    pool = colgen.Pool(slots)
    start = solve_greedy(part)
    assert colgen.add_plan(part, slots, pool, start) > 0
    pricer = colgen.Pricer(slots, 5)
    value = colgen.slot_values(
        part, slots, part.priority / part.need, *([np.zeros(part.n_volunteers)] * 2)
    )
    pricer.best(value)
    windows = np.arange(slots.n_windows)
    col, item = pricer.columns(windows, np.full(windows.size, -1, dtype=np.int64))
    keep, starts = colgen.exact_columns(slots, col, item)
    assert pool.add_many(windows, col[keep], item[keep], starts[keep]) > 0
    assert pool.add_many(windows, col[keep], item[keep], starts[keep]) == 0, "no duplicates"
    master = colgen.Master(part, slots, colgen.Limits.of(part))
    duals = master.solve(pool, 30.0, "highs")
    assert duals is not None
    val = colgen.slot_values(part, slots, duals.pi, duals.mu, duals.nu)
    best = np.zeros(slots.n_windows)
    for c, w in enumerate(pool.window.tolist()):
        best[w] = max(best[w], float(val[pool.items(c)].sum()))
    need = part.need.astype(float)
    requests = np.maximum(part.priority - need * duals.pi, 0.0).sum()
    limits = duals.mu @ part.max_tasks + duals.nu @ np.minimum(part.max_minutes, 10**9)
    assert requests + best.sum() + limits == pytest.approx(duals.lp_value, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("method", ["pdlp", "highs"])
def test_the_engine_returns_a_feasible_plan_and_a_valid_bound(method: str) -> None:
    problem = _dense(6, 16, 5, teams=0.2)
    part = _part(problem)
    best_plan = _optimum(part)
    params = dataclasses.replace(
        EVERYWHERE, colgen=dataclasses.replace(EVERYWHERE.colgen, lp_method=method)
    )
    start = solve_greedy(part, params)
    result = colgen.solve_colgen(part, CpSatSettings(Deadline.after(8), 1, 0, params), start)
    served = plan_key(part, result.chosen)[0]
    assert result.engine == "colgen" and not result.optimal
    assert served <= best_plan <= result.bound
    assert plan_key(part, result.chosen, start=result.start) >= plan_key(
        part, start.chosen, start=start.start
    )


def test_the_pipeline_uses_column_generation_where_told_and_every_plan_checks() -> None:
    problem = _dense(20, 60, 6)
    solution = solve(problem, time_limit_s=8, params=EVERYWHERE, advise=False)
    assert solution.stats is not None and "colgen" in solution.stats.engines
    report = check(problem, solution)
    assert report.ok, report.violations
    assert solution.bound is not None
    assert solution.bound >= solution.objective.served_priority


def test_applies_only_to_large_all_timed_parts_without_pins() -> None:
    problem = _dense(6, 14, 7)
    part = _part(problem)
    assert colgen.applies(part, EVERYWHERE)
    assert not colgen.applies(part, DEFAULT_PARAMS)  # below the threshold
    off = dataclasses.replace(EVERYWHERE, colgen=ColGenParams(enabled=False, from_timed_pairs=0))
    assert not colgen.applies(part, off)
    pinned = dataclasses.replace(part, pinned=np.ones(part.n_requests, dtype=bool))
    assert not colgen.applies(pinned, EVERYWHERE)
    untimed = dataclasses.replace(part, timed=np.zeros(part.n_requests, dtype=bool))
    assert not colgen.applies(untimed, EVERYWHERE)


def test_params_default_switch_is_documented_and_on() -> None:
    params = SolveParams()
    assert params.colgen.enabled and params.colgen.from_timed_pairs == 20_000


def test_a_plan_read_as_columns_is_the_same_plan() -> None:
    part = _part(_dense(10, 30, 8, teams=0.2))
    slots = colgen.slots_of(part)
    start = solve_greedy(part)
    pool = colgen.Pool(slots)
    n = colgen.add_plan(part, slots, pool, start)
    assert n == len(pool) > 0
    again = colgen._plan_of(part, slots, pool, list(range(n)))
    assert np.array_equal(again.chosen, start.chosen)
    served = np.unique(part.p_req[start.chosen])
    assert np.array_equal(again.start[served], start.start[served])


def test_a_plan_added_again_gets_its_own_columns() -> None:
    """``plan_columns`` adds the plan's columns even where the pool knows the same
    requests (deduplicated ``add_plan`` would not), so the master can be hinted
    with exactly the plan."""
    part = _part(_dense(10, 30, 8, teams=0.2))
    slots = colgen.slots_of(part)
    start = solve_greedy(part)
    pool = colgen.Pool(slots)
    n = colgen.add_plan(part, slots, pool, start)
    assert colgen.add_plan(part, slots, pool, start) == 0
    ids = colgen.plan_columns(part, slots, pool, start)
    assert ids == list(range(n, 2 * n)) and len(pool) == 2 * n
    again = colgen._plan_of(part, slots, pool, ids)
    assert np.array_equal(again.chosen, start.chosen)
    served = np.unique(part.p_req[start.chosen])
    assert np.array_equal(again.start[served], start.start[served])


@pytest.mark.parametrize("seed", [0, 1])
def test_the_refined_bound_holds_for_any_multipliers(seed: int) -> None:
    part = _part(_dense(6, 16, seed, teams=0.2))
    best_plan = _optimum(part)
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(seed)
    cp = ColGenParams(final_grid_minutes=1)
    for _ in range(20):
        pi, mu, nu = _random_multipliers(part, rng)
        duals = colgen.Duals(pi, np.zeros(slots.n_windows), mu, nu, 0.0)
        assert colgen.refined_bound(part, slots, duals, cp) >= best_plan
    few = ColGenParams(final_grid_minutes=1, final_max_events=0)
    pi, mu, nu = _random_multipliers(part, rng)
    duals = colgen.Duals(np.abs(pi) + 1, np.zeros(slots.n_windows), mu * 0, nu * 0, 0.0)
    assert colgen.refined_bound(part, slots, duals, few) == int(part.priority.sum())


def test_the_refined_bound_takes_a_coarser_grid_when_the_finest_is_too_big() -> None:
    """Over budget on the 1-minute grid, the last pricing takes the finest grid
    that fits, still below the rounds' grid: the same bound as pricing there."""
    part = _part(_dense(6, 16, 7, teams=0.2))
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(7)
    pi, mu, nu = _random_multipliers(part, rng)
    pi = np.abs(pi) + 1.0
    duals = colgen.Duals(pi, np.zeros(slots.n_windows), mu, nu, 0.0)
    value = colgen.slot_values(part, slots, pi, mu, nu)
    positive, _ = colgen._subset(slots, np.flatnonzero(value > 0))

    def events(grid: int) -> int:
        return colgen.programme(positive, grid).events

    assert events(1) > events(4) > events(5)
    cp = ColGenParams(final_grid_minutes=1, final_max_events=events(4))
    priced = colgen.lagrangian_bound(part, colgen.Pricer(slots, 4).best(value), pi, mu, nu)
    assert colgen.refined_bound(part, slots, duals, cp, below=30) == priced
    assert colgen.refined_bound(part, slots, duals, cp, below=4) == int(part.priority.sum())
    assert colgen.refined_bound(part, slots, duals, cp) == int(part.priority.sum())


def test_a_measured_pricing_predicts_by_events_and_by_the_larger_ratio() -> None:
    """The set-up scales with all events, the pricing with the larger of the
    scored events' and the cells' ratio (an upper bound of a sum of the two)."""
    ran = colgen.Measured(events=100, setup_s=1.0, scored=50, cells=10, priced_s=2.0)
    assert ran.predict(colgen.Programme(1, events=200, cells=10)) == pytest.approx(2.0 + 8.0)
    assert ran.predict(colgen.Programme(1, events=25, cells=40)) == pytest.approx(0.25 + 8.0)


def test_the_last_pricing_is_not_started_when_its_measured_time_does_not_fit() -> None:
    """At the default rates the last pricing fits; at the rate the rounds' own
    pricing measured here it does not: then no grid is priced and the bound is
    the total; at a fast measured rate it is the same as without one."""
    part = _part(_dense(6, 16, 3, teams=0.2))
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(3)
    pi, mu, nu = _random_multipliers(part, rng)
    duals = colgen.Duals(np.abs(pi) + 1.0, np.zeros(slots.n_windows), mu, nu, 0.0)
    cp = ColGenParams(final_grid_minutes=1)
    size = colgen.programme(slots, 5)
    unmeasured = colgen.refined_bound(part, slots, duals, cp, 10.0, below=30)
    value = colgen.slot_values(part, slots, duals.pi, mu, nu)
    finest = colgen.Pricer(slots, 1).best(value)
    assert unmeasured == colgen.lagrangian_bound(part, finest, duals.pi, mu, nu)
    assert unmeasured != int(part.priority.sum())
    slow = colgen.Measured(size.events, 100.0, size.events, size.cells, 100.0)
    assert colgen.refined_bound(part, slots, duals, cp, 10.0, 30, slow) == int(part.priority.sum())
    fast = colgen.Measured(size.events, 1e-6, size.events, size.cells, 1e-6)
    assert colgen.refined_bound(part, slots, duals, cp, 10.0, 30, fast) == unmeasured


def test_too_little_time_for_the_programme_leaves_the_part_to_the_lns() -> None:
    part = _part(_dense(6, 16, 9))
    params = dataclasses.replace(
        EVERYWHERE, colgen=dataclasses.replace(EVERYWHERE.colgen, seconds_per_event=1e6)
    )
    start = solve_greedy(part, params)
    result = colgen.solve_colgen(part, CpSatSettings(Deadline.after(3), 1, 0, params), start)
    assert result.engine == "lns"
    assert plan_key(part, result.chosen, start=result.start) >= plan_key(
        part, start.chosen, start=start.start
    )


def test_the_greedy_fill_keeps_the_plan_and_adds_to_it() -> None:
    problem = _dense(10, 30, 10, teams=0.2)
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    slots = colgen.slots_of(part)
    start = solve_greedy(part)
    pool = colgen.Pool(slots)
    n = colgen.add_plan(part, slots, pool, start)
    half = colgen._plan_of(part, slots, pool, list(range(0, n, 2)))  # every other column
    settings = CpSatSettings(Deadline.after(30), 1, 0, DEFAULT_PARAMS)
    full = colgen.filled(part, half, settings)
    assert (full.chosen >= half.chosen).all(), "every pair of the plan stays"
    assert plan_key(part, full.chosen) > plan_key(part, half.chosen)
    report = check(problem, assemble(problem, cand, arrays, [part], [full]))
    assert report.ok, report.violations
    late = CpSatSettings(Deadline.after(0), 1, 0, DEFAULT_PARAMS)
    assert plan_key(part, colgen.filled(part, half, late).chosen) >= plan_key(part, half.chosen)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rounding_keeps_what_still_fits_of_a_clashing_column(seed: int) -> None:
    """Columns that share requests, all used by the LP: the rounding takes the rest
    of a clashing column as a new real column, and the plan checks."""
    problem = _dense(12, 40, seed, teams=0.2)
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    rng = np.random.default_rng(seed)
    slots, pool = _random_pool(part, rng)
    n_before = len(pool)
    primal = rng.uniform(0.01, 1.0, size=n_before)
    picked = colgen.round_columns(part, slots, pool, primal)
    added = [c for c in picked if c >= n_before]
    assert added, "some column was taken in part"
    assert len(pool) == n_before + len(added)
    windows = pool.window[picked]
    assert np.unique(windows).size == windows.size, "one column per window"
    for c in added:
        items = pool.items(c)
        assert _real_schedule(slots, tuple(items))
        older = [
            d
            for d in range(n_before)
            if pool.window[d] == pool.window[c] and set(items) < set(pool.items(d))
        ]
        assert older, "a part of a generated column"
    served = np.bincount(slots.req[np.concatenate([pool.items(c) for c in picked])])
    assert (served <= part.need[: served.size]).all(), "no request served twice"
    plan = colgen._plan_of(part, slots, pool, picked)
    report = check(problem, assemble(problem, cand, arrays, [part], [plan]))
    assert report.ok, report.violations


def test_the_rounds_grid_is_the_finest_that_fits_events_and_time() -> None:
    part = _part(_dense(10, 30, 9))
    slots = colgen.slots_of(part)
    cp = ColGenParams(
        grid_minutes=1,
        max_grid_minutes=30,
        seconds_per_event=1e-3,
        seconds_per_cell=0.0,
        min_rounds=2,
    )
    fine = colgen.programme(slots, 1).events
    assert colgen.round_grid(slots, cp, math.inf) == 1
    # Half the events of the finest grid, by count or by time: a coarser grid.
    half = dataclasses.replace(cp, max_events=fine // 2)
    by_events = colgen.round_grid(slots, half, math.inf)
    by_time = colgen.round_grid(slots, cp, fine // 2 * 2 * 1e-3)
    assert by_events == by_time > 1
    events = [colgen.programme(slots, g).events for g in (by_events, by_events - 1)]
    assert events[0] <= fine // 2 < events[1]
    assert colgen.round_grid(slots, cp, 0.0) == 30, "at most the coarsest"


def _week_long_windows(n_windows: int, per_window: int) -> colgen.Slots:
    """Slots of volunteers free all week (one window each): few slots, a long horizon."""
    rng = np.random.default_rng(3)
    n = n_windows * per_window
    window = np.repeat(np.arange(n_windows, dtype=np.int64), per_window)
    lo = rng.integers(0, 10_000, n)
    return colgen.Slots(
        req=np.arange(n, dtype=np.int64),
        vol=window.copy(),
        pair=np.arange(n, dtype=np.int64),
        window=window,
        block_lo=lo,
        block_hi=lo + rng.integers(0, 300, n),
        length=np.full(n, 80, dtype=np.int64),
        travel=np.full(n, 10, dtype=np.int64),
        window_vol=np.arange(n_windows, dtype=np.int64),
        origin=np.zeros(n_windows, dtype=np.int64),
    )


def test_the_programme_size_is_what_the_pricer_builds() -> None:
    slots = _week_long_windows(7, 3)
    for grid in (1, 5, 200):
        size = colgen.programme(slots, grid)
        pricer = colgen.Pricer(slots, grid)
        pricer.best(np.ones(slots.n_slots))
        assert size.grid == pricer.grid == min(grid, 80)
        assert size.cells == pricer._b1.shape[0] * slots.n_windows
        assert size.events == pricer._item.size


def test_the_rounds_grid_keeps_the_tables_within_their_memory() -> None:
    """Week-long windows make the tables large with few slots: the grid grows
    until they fit, and with no grid that fits, column generation stays off."""
    slots = _week_long_windows(50, 2)
    cp = ColGenParams(grid_minutes=1, max_grid_minutes=15, seconds_per_event=0.0)
    finest = colgen.programme(slots, 1)
    assert finest.events < cp.max_events
    capped = dataclasses.replace(cp, max_table_mb=finest.table_mb / 4, seconds_per_cell=0.0)
    grid = colgen.round_grid(slots, capped, math.inf)
    assert colgen.programme(slots, grid).table_mb <= capped.max_table_mb
    assert colgen.programme(slots, grid - 1).table_mb > capped.max_table_mb
    assert colgen.rounds_grid(slots, capped, math.inf) == grid
    tiny = dataclasses.replace(cp, max_table_mb=colgen.programme(slots, 15).table_mb / 2)
    assert colgen.round_grid(slots, tiny, math.inf) == 15
    assert colgen.rounds_grid(slots, tiny, math.inf) is None


def test_the_rounds_time_counts_the_tables_cells_too() -> None:
    slots = _week_long_windows(50, 2)
    cp = ColGenParams(grid_minutes=1, seconds_per_event=0.0, seconds_per_cell=1e-6, min_rounds=2)
    size = colgen.programme(slots, 1)
    assert colgen.rounds_grid(slots, cp, 2 * size.cells * 1e-6) == 1
    assert colgen.rounds_grid(slots, cp, 2 * size.cells * 1e-6 * 0.9) != 1


def test_column_generation_needs_its_rounds_within_the_generation_share() -> None:
    """The rounds must fit the share of the time they get, not all of it."""
    part = _part(_dense(6, 16, 9))
    slots = colgen.slots_of(part)
    cp = dataclasses.replace(EVERYWHERE.colgen, seconds_per_event=1e-6, seconds_per_cell=0.0)
    coarsest = colgen.programme(slots, cp.max_grid_minutes)
    share = cp.min_rounds * coarsest.seconds(cp) / 20.0  # the rounds fit 20 s, not 10 s of it
    params = dataclasses.replace(EVERYWHERE, colgen=dataclasses.replace(cp, generation_share=share))
    start = solve_greedy(part, params)
    result = colgen.solve_colgen(part, CpSatSettings(Deadline.after(10), 1, 0, params), start)
    assert result.engine == "lns"
    assert colgen.rounds_grid(slots, cp, 20.0) is not None


@pytest.mark.parametrize("margin", [0.0, 1e12])
def test_a_pricing_that_would_not_fit_is_not_started(margin: float) -> None:
    """After the first round, a round starts only with ``round_margin`` times the
    last one's time left (a pricing cannot stop)."""
    part = _part(_dense(10, 30, 11, teams=0.2))
    slots = colgen.slots_of(part)
    cp = dataclasses.replace(EVERYWHERE.colgen, round_margin=margin, lp_method="highs")
    state = colgen._State(bound=int(part.priority.sum()))
    colgen._generate(
        part,
        slots,
        colgen.Pool(slots),
        colgen.Pricer(slots, 1),
        colgen.Limits.of(part),
        state,
        Deadline.after(30),
        cp,
    )
    if margin > 1.0:
        assert state.rounds == 1 and state.duals is not None
    else:
        assert state.rounds > 1


def test_the_refined_bound_stays_within_the_tables_memory() -> None:
    part = _part(_dense(6, 16, 7, teams=0.2))
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(7)
    pi, mu, nu = _random_multipliers(part, rng)
    duals = colgen.Duals(np.abs(pi) + 1.0, np.zeros(slots.n_windows), mu, nu, 0.0)
    value = colgen.slot_values(part, slots, duals.pi, duals.mu, duals.nu)
    priced = colgen.lagrangian_bound(
        part, colgen.Pricer(slots, 1).best(value), duals.pi, duals.mu, duals.nu
    )
    roomy = ColGenParams(final_grid_minutes=1)
    assert colgen.refined_bound(part, slots, duals, roomy) == priced != int(part.priority.sum())
    none = ColGenParams(final_grid_minutes=1, max_table_mb=0.0)
    assert colgen.refined_bound(part, slots, duals, none, below=30) == int(part.priority.sum())


def _random_pool(
    part: Part, seed: int | np.random.Generator, prices: int = 4
) -> tuple[colgen.Slots, colgen.Pool]:
    """A pool of real columns at several random prices (they overlap)."""
    slots = colgen.slots_of(part)
    rng = np.random.default_rng(seed)
    pool = colgen.Pool(slots)
    pricer = colgen.Pricer(slots, 5)
    for _ in range(prices):
        value = rng.uniform(-0.5, 3.0, size=slots.n_slots)
        pricer.best(value)
        windows = np.arange(slots.n_windows)
        col, item = pricer.columns(windows, np.full(windows.size, -1, dtype=np.int64))
        keep, starts = colgen.exact_columns(slots, col, item)
        pool.add_many(windows, col[keep], item[keep], starts[keep])
    return slots, pool


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_whole_teams_takes_out_only_the_teams_the_plan_would_drop(seed: int) -> None:
    """A picked set with teams short of members: the team tasks go from their
    columns (what is left is a real schedule), everything else stays, and the
    plan is the same."""
    problem = _dense(12, 40, seed, teams=0.4)
    part = _part(problem)
    slots, pool = _random_pool(part, seed)
    rng = np.random.default_rng(seed)
    picked = colgen.round_columns(part, slots, pool, rng.uniform(0.01, 1.0, size=len(pool)))
    before = colgen._plan_of(part, slots, pool, picked)
    n_before = len(pool)
    whole = colgen._whole_teams(part, slots, pool, picked)
    reqs = slots.req[np.concatenate([pool.items(c) for c in whole])]
    members = np.bincount(reqs, minlength=part.n_requests)
    assert (members[reqs] == part.need[reqs]).all(), "every team in it is whole"
    after = colgen._plan_of(part, slots, pool, whole)
    assert (after.chosen == before.chosen).all(), "the same plan"
    if len(pool) > n_before:  # some columns lost a team task (not on every seed)
        for c in range(n_before, len(pool)):
            assert _real_schedule(slots, tuple(pool.items(c)))
    assert set(whole) - set(range(n_before, len(pool))) <= set(picked)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_master_keeps_fixed_columns_and_loses_value_by_it(seed: int) -> None:
    """Lower bounds of 1 on a consistent set of columns: the LP takes them whole
    and its value is at most the free LP's (and at least the set's own)."""
    part = _part(_dense(10, 30, seed, teams=0.2))
    slots, pool = _random_pool(part, seed)
    master = colgen.Master(part, slots, colgen.Limits.of(part))
    free = master.solve(pool, 30.0, "highs")
    assert free is not None
    rng = np.random.default_rng(seed)
    fixed = colgen._whole_teams(
        part, slots, pool, colgen.round_columns(part, slots, pool, rng.uniform(0.01, 1, len(pool)))
    )
    lower = np.zeros(len(pool))
    lower[fixed] = 1.0
    held = colgen.Master(part, slots, colgen.Limits.of(part)).solve(pool, 30.0, "highs", lower)
    assert held is not None
    assert held.primal[fixed] == pytest.approx(1.0)
    own = plan_key(part, colgen._plan_of(part, slots, pool, fixed).chosen)[0]
    assert own - 1e-6 <= held.lp_value <= free.lp_value + 1e-6


@pytest.mark.parametrize("pricing", [True, False])
def test_the_dive_picks_a_plan_that_checks(pricing: bool) -> None:
    """The dive from a real master ends in a consistent set of columns (one per
    window, no request twice) whose plan passes the checker, and fixes
    something along the way."""
    problem = _dense(20, 60, 7, teams=0.2)
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    slots = colgen.slots_of(part)
    cp = dataclasses.replace(EVERYWHERE.colgen, dive_pricing=pricing, lp_method="highs")
    pool = colgen.Pool(slots)
    colgen.add_plan(part, slots, pool, solve_greedy(part))
    pricer = colgen.Pricer(slots, 5)
    state = colgen._State(bound=int(part.priority.sum()))
    limits = colgen.Limits.of(part)
    colgen._generate(part, slots, pool, pricer, limits, state, Deadline.after(5), cp)
    assert state.duals is not None and state.master is not None
    picked = colgen.dive(part, slots, pool, pricer, state, Deadline.after(10), cp)
    assert picked
    windows = pool.window[picked]
    assert np.unique(windows).size == windows.size, "one column per window"
    served = np.bincount(slots.req[np.concatenate([pool.items(c) for c in picked])])
    assert (served <= part.need[: served.size]).all(), "no request served twice"
    plan = colgen._plan_of(part, slots, pool, picked)
    report = check(problem, assemble(problem, cand, arrays, [part], [plan]))
    assert report.ok, report.violations
    assert plan_key(part, plan.chosen)[0] > 0


def test_the_rounds_stop_once_the_bound_stalls() -> None:
    """A round that lowers the bound by at most ``bound_stall`` of it ends the
    rounds and leaves the time to the plan; with no such slack they go on."""
    part = _part(_dense(20, 60, 8, teams=0.2))
    slots = colgen.slots_of(part)

    def rounds(gap: float) -> int:
        cp = dataclasses.replace(EVERYWHERE.colgen, bound_stall=gap, lp_method="highs")
        state = colgen._State(bound=int(part.priority.sum()))
        pool, limits = colgen.Pool(slots), colgen.Limits.of(part)
        colgen._generate(
            part, slots, pool, colgen.Pricer(slots, 5), limits, state, Deadline.after(20), cp
        )
        assert state.duals is not None
        return int(state.rounds)

    quick, full = rounds(10.0), rounds(0.0)
    assert quick < full, "a stalled bound stops the rounds early"


def test_the_plan_is_never_below_greedy_when_the_rounds_take_all_the_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rounds that leave a poor LP and no time (a loaded machine): the greedy plan
    was made after them only when time was left; now it is made first."""
    part = _part(_dense(20, 60, 9))
    outer = Deadline.after(3.0)

    def slow_rounds(
        part: Part,
        slots: colgen.Slots,
        pool: colgen.Pool,
        pricer: colgen.Pricer,
        limits: colgen.Limits,
        state: colgen._State,
        deadline: Deadline,
        cp: ColGenParams,
    ) -> None:
        one = np.zeros(len(pool))
        one[0] = 1.0  # an LP that takes one column
        n_v = part.n_volunteers
        z = np.zeros(n_v)
        state.duals = colgen.Duals(part.priority * 1.0, np.zeros(slots.n_windows), z, z, 1.0, one)
        time.sleep(outer.remaining())

    monkeypatch.setattr(colgen, "_generate", slow_rounds)
    greedy = solve_greedy(part, EVERYWHERE)
    result = colgen.solve_colgen(part, CpSatSettings(outer, 1, 0, EVERYWHERE))
    assert plan_key(part, result.chosen, start=result.start) >= plan_key(
        part, greedy.chosen, start=greedy.start
    )


@pytest.mark.parametrize("reserve", [0.0, 1e9])
def test_the_last_pricing_leaves_the_fill_its_time(
    monkeypatch: pytest.MonkeyPatch, reserve: float
) -> None:
    """The finer last pricing runs only when the time of ``fill_reserve`` greedy
    passes is left beside it."""
    part = _part(_dense(20, 60, 10))
    calls: list[float] = []
    real = colgen.refined_bound

    def counted(*args: object, **kwargs: object) -> int:
        calls.append(1.0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(colgen, "refined_bound", counted)
    cp = dataclasses.replace(EVERYWHERE.colgen, grid_minutes=5, fill_reserve=reserve)
    params = dataclasses.replace(EVERYWHERE, colgen=cp)
    result = colgen.solve_colgen(part, CpSatSettings(Deadline.after(6), 1, 0, params))
    assert result.bound >= plan_key(part, result.chosen)[0]
    assert len(calls) == (1 if reserve == 0.0 else 0)


def test_the_dive_does_not_start_a_pricing_longer_than_the_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pricing cannot stop: the dive's first step must fit the last round's
    pricing time (``round_margin`` times it), as the rounds' steps do."""
    problem = _dense(20, 60, 7, teams=0.2)
    part = _part(problem)
    slots = colgen.slots_of(part)
    cp = dataclasses.replace(EVERYWHERE.colgen, lp_method="highs")
    pool = colgen.Pool(slots)
    colgen.add_plan(part, slots, pool, solve_greedy(part))
    pricer = colgen.Pricer(slots, 5)
    state = colgen._State(bound=int(part.priority.sum()))
    colgen._generate(
        part, slots, pool, pricer, colgen.Limits.of(part), state, Deadline.after(5), cp
    )
    assert state.round_s > 0.0
    state.round_s = 1e6  # the last pricing took longer than any deadline here

    def no_pricing(*_: object) -> np.ndarray:
        raise AssertionError("the dive priced without the time for it")

    monkeypatch.setattr(pricer, "best", no_pricing)
    picked = colgen.dive(part, slots, pool, pricer, state, Deadline.after(10), cp)
    # No master solved with columns fixed: the rounding's own plan, not picked again.
    assert picked == []


def test_the_lns_is_not_set_up_when_its_set_up_cannot_fit() -> None:
    """The LNS's set-up cannot stop: with no time for it the start plan is the answer
    (column generation's own calls included)."""
    part = _part(_dense(10, 30, 4))
    start = solve_greedy(part)
    slow = dataclasses.replace(
        EVERYWHERE, lns=dataclasses.replace(EVERYWHERE.lns, setup_seconds_per_pair=1e6)
    )
    result = solve_lns(part, CpSatSettings(Deadline.after(5), 1, 0, slow), start)
    assert result is start
    roomy = solve_lns(part, CpSatSettings(Deadline.after(2), 1, 0, EVERYWHERE), start)
    assert roomy.engine == "lns"
