"""solve(): edge cases, pinned commitments one error path at a time, time limits."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from matchcore import PinnedAssignment, Problem, ProblemError, Reason, check, solve
from matchcore.problem import Location, Request, Volunteer

EXAMPLE = Path(__file__).parents[2] / "examples" / "small_network.json"


@pytest.fixture(scope="module")
def small() -> Problem:
    return Problem.from_json(EXAMPLE.read_bytes())


@pytest.fixture(scope="module")
def demo() -> Problem:
    text = resources.files("matchcore").joinpath("data/demo_network.json").read_bytes()
    return Problem.from_json(text)


def _with_pins(problem: Problem, *pins: PinnedAssignment) -> Problem:
    return dataclasses.replace(problem, assignments=pins)


def test_empty_problems_have_empty_optimal_plans() -> None:
    for problem in (
        Problem((), ()),
        Problem((Volunteer("v", Location(50.8, 2.9)),), ()),
        Problem((), (Request("r", Location(50.8, 2.9), 30),)),
    ):
        solution = solve(problem, time_limit_s=5)
        assert solution.status == "optimal"
        assert solution.assignments == ()
        assert solution.bound == 0
        assert len(solution.unassigned) == len(problem.requests)


def test_request_nobody_can_do_is_signalled_with_its_reason(small: Problem) -> None:
    solution = solve(small, time_limit_s=20)
    assert check(small, solution).ok
    reasons = {u.request_id: u.reason for u in solution.unassigned}
    assert reasons["req-oppas-mantelzorg"] == Reason.NO_SKILL_MATCH
    pinned = [a for a in solution.assignments if a.pinned]
    assert [(a.request_id, a.volunteer_ids) for a in pinned] == [("req-rit-kine", ("vol-bart",))]


def test_the_bound_is_never_below_what_is_served(demo: Problem) -> None:
    solution = solve(demo, time_limit_s=30)
    assert check(demo, solution).ok
    assert solution.bound >= solution.objective.served_priority
    if solution.status == "optimal":
        assert solution.bound == solution.objective.served_priority


def test_time_limit_must_be_positive(small: Problem) -> None:
    with pytest.raises(ValueError, match="time_limit_s"):
        solve(small, time_limit_s=0)


def test_a_too_short_time_limit_still_gives_a_feasible_plan_that_keeps_the_pins(
    demo: Problem,
) -> None:
    assert demo.assignments, "the demo network has pinned commitments"
    solution = solve(demo, time_limit_s=0.001)
    assert check(demo, solution).ok
    served = {a.request_id for a in solution.assignments}
    assert {p.request_id for p in demo.assignments} <= served


# -- pins that break a hard rule are input errors that name the pin ----------------


def _pin_problem(**volunteer_changes: object) -> Problem:
    """One volunteer and one timed driving request, 1 km apart."""
    base = Problem.from_dict(
        {
            "volunteers": [
                {
                    "id": "v1",
                    "location": {"lat": 50.85, "lon": 2.88},
                    "skills": ["driving"],
                    "availability": [
                        {"start": "2026-03-02T09:00:00+01:00", "end": "2026-03-02T12:00:00+01:00"}
                    ],
                },
                {"id": "v2", "location": {"lat": 50.86, "lon": 2.88}, "skills": ["driving"]},
            ],
            "requests": [
                {
                    "id": "r1",
                    "location": {"lat": 50.855, "lon": 2.88},
                    "skills": ["driving"],
                    "duration_minutes": 60,
                    "window": {
                        "start": "2026-03-02T09:00:00+01:00",
                        "end": "2026-03-02T12:00:00+01:00",
                    },
                },
                {
                    "id": "r2",
                    "location": {"lat": 50.855, "lon": 2.88},
                    "skills": ["driving"],
                    "duration_minutes": 60,
                    "window": {
                        "start": "2026-03-02T09:00:00+01:00",
                        "end": "2026-03-02T12:00:00+01:00",
                    },
                },
            ],
        }
    )
    v1 = dataclasses.replace(base.volunteers[0], **volunteer_changes)  # type: ignore[arg-type]
    return dataclasses.replace(base, volunteers=(v1, base.volunteers[1]))


def _start(problem: Problem, hours: float) -> datetime:
    window = problem.requests[0].window
    assert window is not None
    return window.start + timedelta(hours=hours)


def test_pin_kept_as_given() -> None:
    problem = _pin_problem()
    pin = PinnedAssignment("r1", ("v1",), _start(problem, 1))
    solution = solve(_with_pins(problem, pin), time_limit_s=10)
    kept = next(a for a in solution.assignments if a.request_id == "r1")
    assert kept.volunteer_ids == ("v1",) and kept.start == pin.start and kept.pinned


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"skills": frozenset()}, "lacks a required skill"),
        ({"max_distance_km": 0.1}, "beyond their travel range"),
        ({"excluded_clients": frozenset({"r1"})}, "is excluded"),
        ({"availability": ()}, "is not available"),
        ({"max_tasks": 0}, "is not available"),
    ],
)
def test_pinned_volunteer_who_breaks_a_rule(change: dict[str, object], message: str) -> None:
    problem = _with_pins(_pin_problem(**change), PinnedAssignment("r1", ("v1",)))
    with pytest.raises(ProblemError) as err:
        solve(problem, time_limit_s=5)
    assert err.value.location == "assignments[0].volunteer_ids[0]"
    assert message in err.value.message


def test_pinned_start_the_volunteer_cannot_make() -> None:
    problem = _pin_problem()
    # 09:00 leaves no travel time after the availability opens at 09:00.
    pin = PinnedAssignment("r1", ("v1",), _start(problem, 0))
    with pytest.raises(ProblemError) as err:
        solve(_with_pins(problem, pin), time_limit_s=5)
    assert err.value.location == "assignments[0].start"


def test_pins_that_cannot_all_be_kept_together() -> None:
    problem = _pin_problem()
    same_time = _start(problem, 1)
    pins = (
        PinnedAssignment("r1", ("v1",), same_time),
        PinnedAssignment("r2", ("v1",), same_time),
    )
    with pytest.raises(ProblemError) as err:
        solve(_with_pins(problem, *pins), time_limit_s=5)
    assert err.value.location == "assignments"
    assert "cannot all be kept" in err.value.message


def test_errors_do_not_echo_personal_data() -> None:
    problem = _with_pins(_pin_problem(skills=frozenset()), PinnedAssignment("r1", ("v1",)))
    with pytest.raises(ProblemError) as err:
        solve(problem, time_limit_s=5)
    text = str(err.value)
    assert "50.85" not in text and "driving" not in text and "v1" not in text


def test_solution_round_trips_through_json(small: Problem) -> None:
    solution = solve(small, time_limit_s=20)
    document = json.loads(solution.to_json())
    assert check(small, document).ok
    assert document["status"] == solution.status.value
