"""Ejection repair: every plan it returns checks, never serves less, keeps pins,
is the same for the same input, and finds the move a greedy plan misses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from strategies import small_problems

from matchcore import check
from matchcore.engines import eject
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
    assert applies(part)  # the pass runs: it tries the move and undoes it
    # Moving q out for r would lose priority 2 for 1: nothing changes.
    assert eject_repair(part, start, Deadline.after(30)) is start


def _a_chain() -> Problem:
    """``r`` (priority 1) may only have ``A``, where greedy put ``q1`` (priority 2);
    ``q1``'s other candidate ``B`` holds ``q2`` (priority 2), whose other is ``C``:
    serving ``r`` takes two moves (q1 to B, q2 to C)."""
    volunteers = (
        Volunteer("A", Location(51.001, 3.0)),
        Volunteer("B", Location(51.02, 3.0)),
        Volunteer("C", Location(51.05, 3.0)),
    )
    window = TimeWindow(_NINE, _TEN)

    def task(rid: str, where: Location, priority: float, excluded: set[str]) -> Request:
        return Request(
            rid,
            where,
            60,
            client_id=f"c{rid}",
            window=window,
            priority=priority,
            excluded_volunteers=frozenset(excluded),
        )

    requests = (
        task("q1", _HERE, 2.0, {"C"}),
        task("q2", Location(51.02, 3.0), 2.0, {"A"}),
        task("r", _HERE, 1.0, {"B", "C"}),
    )
    return Problem(volunteers, requests, (), Options(time_limit_seconds=5))


def test_a_two_deep_move_needs_depth_two() -> None:
    part, start, one = _repaired_holds(_a_chain(), depth=1)
    assert _served(part, start) == 4  # q1 on A, q2 on B, r left out
    assert _served(part, one) == 4  # one move cannot place q1: undone
    _, _, two = _repaired_holds(_a_chain(), depth=2)
    assert _served(part, two) == 5  # r on A, q1 on B, q2 on C


@pytest.mark.parametrize(
    "change",
    [
        lambda p: replace(
            p, volunteers=tuple(replace(v, max_tasks_per_day=3) for v in p.volunteers)
        ),
        lambda p: replace(p, options=replace(p.options, fairness="balance")),
    ],
    ids=["limits per day", "fairness"],
)
def test_parts_with_limits_per_day_or_fairness_are_left_as_they_are(
    change: Callable[[Problem], Problem],
) -> None:
    problem = change(_two_requests(with_b=True))
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    assert not applies(part)
    assert eject_repair(part, start, Deadline.after(30)) is start


def _a_busy_week() -> Problem:
    """``A`` holds 100 short tasks (priority 2) one after another; ``r`` (priority 1)
    needs ten hours of ``A`` among them: its search tries to move each of the 100."""
    volunteers = (Volunteer("A", Location(51.001, 3.0)),)
    tasks = tuple(
        Request(
            f"q{i}",
            _HERE,
            5,
            client_id=f"c{i}",
            window=TimeWindow(
                _NINE + timedelta(minutes=10 * i), _NINE + timedelta(minutes=10 * i + 5)
            ),
            priority=2.0,
        )
        for i in range(100)
    )
    long = Request(
        "r", _HERE, 600, client_id="cr", window=TimeWindow(_NINE, _NINE + timedelta(hours=17))
    )
    return Problem(volunteers, (*tasks, long), (), Options(time_limit_seconds=5))


class _ExpiresAfterMoves(Deadline):
    """A deadline that expires once ``moves`` moves were tried (counted by the test)."""

    def __init__(self, moves: int) -> None:
        super().__init__(float("inf"))
        self.moves, self.tried = moves, 0

    def expired(self) -> bool:
        return self.tried >= self.moves


def test_the_pass_stops_soon_after_its_deadline_inside_a_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = _a_busy_week()
    cand, arrays = prepare(problem)
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    assert _served(part, start) == 200  # every short task, not r
    deadline = _ExpiresAfterMoves(10)
    swap = eject._Book._swap

    def counted(self: Any, *args: Any) -> int:
        deadline.tried += 1
        return int(swap(self, *args))

    monkeypatch.setattr(eject._Book, "_swap", counted)
    result = eject_repair(part, start, deadline, depth=2, most_options=8)
    # r's search alone would try 100 moves: it stops within one batch of the expiry.
    assert 10 <= deadline.tried <= 10 + eject._CHECK_EVERY
    assert check(problem, assemble(problem, cand, arrays, [part], [result])).ok
    assert _served(part, result) == 200


def test_an_expired_deadline_returns_the_start_plan() -> None:
    cand, arrays = prepare(_two_requests(with_b=True))
    part = whole_part(cand, arrays)
    start = solve_greedy(part)
    assert eject_repair(part, start, Deadline.after(0)) is start
