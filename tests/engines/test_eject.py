"""Ejection repair: every plan it returns checks, never serves less, keeps pins,
is the same for the same input, and finds the move a greedy plan misses."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from strategies import small_problems

from matchcore import check
from matchcore.engines.eject import applies, eject_repair, movable
from matchcore.engines.greedy import solve_greedy
from matchcore.params import Deadline
from matchcore.problem import Location, Options, Problem, Request, TimeWindow, Volunteer
from matchcore.synth.generate import generate
from matchcore.tasks.assemble import assemble
from matchcore.tasks.parts import Part, PartResult, whole_part
from matchcore.tasks.solve import prepare

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _served(part: Part, result: PartResult) -> int:
    served = np.zeros(part.n_requests, dtype=bool)
    served[part.p_req[result.chosen]] = True
    return int(part.priority[served].sum())


def _repaired_holds(problem: Problem, depth: int) -> tuple[Part, PartResult, PartResult]:
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    result = eject_repair(part, start, Deadline.after(30), depth=depth, most_options=4)
    report = check(problem, assemble(problem, cand, arrays, [part], [result]))
    assert report.ok, report.violations
    assert bool(result.chosen[part.pin_pair].all())
    assert _served(part, result) >= _served(part, start)
    assert result.bound == start.bound
    # Moves touch only the requests the pass may move; the others keep their plan.
    fixed = ~movable(part)[part.p_req]
    assert result.chosen[fixed].tolist() == start.chosen[fixed].tolist()
    again = eject_repair(part, start, Deadline.after(30), depth=depth, most_options=4)
    assert again.chosen.tolist() == result.chosen.tolist()
    assert again.start.tolist() == result.start.tolist()
    return part, start, result


@SETTINGS
@given(problem=small_problems())
def test_repaired_plans_check_never_serve_less_and_repeat(problem: Problem) -> None:
    cand, arrays = prepare(problem)
    assume(cand.n_pairs > 0)
    part = whole_part(cand, arrays)
    assume(bool(solve_greedy(part).chosen[part.pin_pair].all()))
    for depth in (1, 2, 3):
        _repaired_holds(problem, depth)


def test_a_timed_network_gains_and_still_checks() -> None:
    problem = generate(40, 240, region="westhoek", timed=True, seed=2, multi_volunteer_share=0.0)
    part, start, result = _repaired_holds(problem, depth=2)
    assert applies(part)
    assert _served(part, result) > _served(part, start)


_NINE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_TEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
_HERE = Location(51.0, 3.0)


def _two_requests(with_b: bool) -> Problem:
    """``q`` (priority 2) and ``r`` (priority 1) both need 9:00-10:00; ``A`` is
    nearest to both, ``r`` may only have ``A``; ``B`` (farther) may take ``q``."""
    volunteers = [Volunteer("A", Location(51.001, 3.0))]
    if with_b:
        volunteers.append(Volunteer("B", Location(51.02, 3.0)))
    window = TimeWindow(_NINE, _TEN)
    requests = (
        Request("q", _HERE, 60, client_id="cq", window=window, priority=2.0),
        Request(
            "r",
            _HERE,
            60,
            client_id="cr",
            window=window,
            excluded_volunteers=frozenset({"B"} if with_b else ()),
        ),
    )
    return Problem(tuple(volunteers), requests, (), Options(time_limit_seconds=5))


def test_the_task_in_the_way_moves_to_another_volunteer() -> None:
    part, start, result = _repaired_holds(_two_requests(with_b=True), depth=1)
    assert _served(part, start) == 2  # greedy: q on A, r left out
    assert _served(part, result) == 3  # r on A, q moved to B


def test_a_move_that_loses_priority_is_undone() -> None:
    problem = _two_requests(with_b=False)
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    assert _served(part, start) == 2
    # Moving q out for r would lose priority 2 for 1: nothing changes.
    assert eject_repair(part, start, Deadline.after(30)) is start


def test_an_expired_deadline_returns_the_start_plan() -> None:
    cand, arrays = prepare(_two_requests(with_b=True))
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    assert eject_repair(part, start, Deadline.after(0)) is start
