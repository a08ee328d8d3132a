"""``solve_part`` on a large timed part when time is short: column generation is
not started when even its coarsest pricing cannot fit, and the LNS's set-up is
not started after a start plan when it cannot fit; every plan still checks."""

from __future__ import annotations

import dataclasses

import pytest

from matchcore import check
from matchcore.engines import colgen
from matchcore.engines.cpsat import CpSatSettings, solve_cpsat
from matchcore.engines.greedy import solve_greedy
from matchcore.engines.objective import plan_key
from matchcore.params import DEFAULT_PARAMS, ColGenParams, Deadline, LnsParams, SolveParams
from matchcore.problem import Problem
from matchcore.synth.generate import generate
from matchcore.tasks import solve as solve_module
from matchcore.tasks.assemble import assemble
from matchcore.tasks.parts import Part, PartResult, whole_part
from matchcore.tasks.solve import prepare, solve_part


def _problem() -> Problem:
    return generate(25, 60, region="westhoek", seed=3, task_limit_share=0.0)


def _part(problem: Problem) -> Part:
    cand, arrays = prepare(problem)
    return whole_part(cand, arrays)


def _params(seconds_per_event: float, setup: float = 0.0) -> SolveParams:
    return dataclasses.replace(
        DEFAULT_PARAMS,
        colgen=ColGenParams(from_timed_pairs=0, seconds_per_event=seconds_per_event),
        lns=dataclasses.replace(LnsParams(), setup_seconds_per_pair=setup),
    )


def _checked(problem: Problem, part: Part, result: PartResult) -> None:
    cand, arrays = prepare(problem)
    solution = assemble(problem, cand, arrays, [part], [result])
    assert check(problem, solution).ok


def test_columns_are_not_started_when_their_coarsest_pricing_cannot_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = _problem()
    part = _part(problem)
    assert colgen.applies(part, _params(1.0))
    slow = _params(seconds_per_event=1e3)  # no grid fits 4 s
    assert not solve_module._columns_may_fit(part, slow, 4.0)

    def no_columns(*_: object) -> PartResult:
        raise AssertionError("column generation started")

    monkeypatch.setattr(colgen, "solve_colgen", no_columns)
    result = solve_part(part, CpSatSettings(Deadline.after(4), 1, 0, slow))
    _checked(problem, part, result)
    greedy = solve_greedy(part, slow)
    assert plan_key(part, result.chosen, start=result.start) >= plan_key(
        part, greedy.chosen, start=greedy.start
    )


def test_columns_start_when_their_pricing_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    part = _part(_problem())
    fast = _params(seconds_per_event=1e-9)
    assert solve_module._columns_may_fit(part, fast, 4.0)
    called: list[bool] = []

    def columns(p: Part, settings: CpSatSettings) -> PartResult:
        called.append(True)
        return solve_greedy(p, settings.params)

    monkeypatch.setattr(colgen, "solve_colgen", columns)
    solve_part(part, CpSatSettings(Deadline.after(4), 1, 0, fast))
    assert called == [True]


def test_the_search_is_not_set_up_when_it_cannot_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = _problem()
    part = _part(problem)
    slow = _params(seconds_per_event=1e3, setup=1e3)  # no columns, no search

    def no_search(*_: object, **__: object) -> PartResult:
        raise AssertionError("LNS started")

    monkeypatch.setattr(solve_module, "solve_lns", no_search)
    result = solve_part(part, CpSatSettings(Deadline.after(4), 1, 0, slow))
    assert result.engine == "greedy"
    _checked(problem, part, result)
    # The greedy plan, repaired by ejection moves (no search): never worse.
    greedy = solve_greedy(part, slow)
    assert plan_key(part, result.chosen)[0] >= plan_key(part, greedy.chosen)[0]
    off = dataclasses.replace(slow, lns=dataclasses.replace(slow.lns, eject_share=0.0))
    result = solve_part(part, CpSatSettings(Deadline.after(4), 1, 0, off))
    assert result.chosen.tolist() == solve_greedy(part, off).chosen.tolist()


@pytest.mark.parametrize(("setup", "share"), [(0.0, 0.8), (1e3, 1.0)])
def test_the_repair_takes_all_the_time_the_search_could_not_use(
    monkeypatch: pytest.MonkeyPatch, setup: float, share: float
) -> None:
    part = _part(_problem())
    params = _params(seconds_per_event=1e3, setup=setup)  # no columns
    assert params.lns.eject_share == 0.8
    given: list[float] = []

    def spy(p: Part, start: PartResult, until: Deadline, *_: object) -> PartResult:
        given.append(until.remaining())
        return start

    monkeypatch.setattr(solve_module, "eject_repair", spy)
    monkeypatch.setattr(solve_module, "solve_lns", lambda p, s, start: start)
    settings = CpSatSettings(Deadline.after(100), 1, 0, params)
    solve_part(part, settings)
    assert len(given) == 1
    assert share * 100 - 5 <= given[0] <= share * 100 + 0.01


def _capacity_problem() -> Problem:
    """Untimed, every volunteer with a task limit and far more requests than fit."""
    return generate(
        6, 60, region="westhoek", timed=False, seed=3, task_limit_share=1.0, minute_limit_share=0.0
    )


def test_without_the_search_the_part_is_bounded_in_the_time_left() -> None:
    problem = _capacity_problem()
    part = _part(problem)
    slow = _params(seconds_per_event=1e3, setup=1e3)  # no search
    params = dataclasses.replace(slow, lns=dataclasses.replace(slow.lns, eject_share=0.0))
    start = solve_greedy(part, params)
    trivial = int(part.priority.sum())
    assert start.bound == trivial
    result = solve_module._searched(part, CpSatSettings(Deadline.after(10), 1, 0, params), start)
    assert result.chosen.tolist() == start.chosen.tolist()
    exact = solve_cpsat(part, CpSatSettings(Deadline.after(30)))
    assert exact.optimal
    assert plan_key(part, exact.chosen)[0] <= result.bound < trivial
    _checked(problem, part, result)
    # No time left: the start plan as it was, with its own bound.
    late = solve_module._searched(part, CpSatSettings(Deadline.after(0), 1, 0, params), start)
    assert late.bound == start.bound


def test_the_bound_without_the_search_gets_no_more_than_the_part_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    part = _part(_capacity_problem())
    slow = _params(seconds_per_event=1e3, setup=1e3)
    given: list[float] = []

    def spy(p: Part, until: Deadline, params: SolveParams) -> int:
        given.append(until.remaining())
        return int(p.priority.sum())

    monkeypatch.setattr(solve_module, "priority_bound", spy)
    settings = CpSatSettings(Deadline.after(3), 1, 0, slow)
    solve_module._searched(part, settings, solve_greedy(part, slow))
    assert len(given) == 1
    assert 0 < given[0] <= 3
